// HTTPS POST with Beast, see kms_https.h. One coroutine runs the exchange on
// a private io_context; the tcp_stream's expiry bounds every step of it.
#include "kms_https.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <exception>

#include "cvfs/plugin.hpp"

namespace cvfs::kms {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using sdk::Error;

constexpr size_t kMaxResponseBody = 1 << 20;

using LockedBody = http::vector_body<char, LockedAllocator<char>>;
using LockedBuffer = beast::basic_flat_buffer<LockedAllocator<char>>;

// A TLS client context that trusts exactly the certificates of `ca_pem`.
// Each of them is a trust anchor, whether or not it is self-signed, as the
// vendor's SDKs do: a kms_cert_pem holding only the instance's intermediate
// CA (without the root above it) is accepted (X509_V_FLAG_PARTIAL_CHAIN).
void trust_only(ssl::context& context, const std::string& ca_pem) {
    X509_STORE* store = SSL_CTX_get_cert_store(context.native_handle());
    BIO* bio = BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size()));
    int added = 0;
    while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
        if (X509_STORE_add_cert(store, cert) == 1) ++added;
        X509_free(cert);
    }
    BIO_free(bio);
    ERR_clear_error();  // the loop ends on "no start line"
    if (added == 0) throw Error(CVFS_E_INVALID_CONFIG, "kms_cert_pem holds no PEM certificate");
    X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
    context.set_verify_mode(ssl::verify_peer);
}

struct Exchange {
    const HttpsRequest& request;
    ssl::stream<beast::tcp_stream>& stream;
    HttpsResponse& response;
    std::string step = "resolving";

    asio::awaitable<void> run() {
        auto executor = co_await asio::this_coro::executor;
        tcp::resolver resolver(executor);
        auto& tcp_layer = beast::get_lowest_layer(stream);
        tcp_layer.expires_after(request.timeout);
        auto endpoints = co_await resolver.async_resolve(request.connect_host, request.port,
                                                         asio::use_awaitable);
        step = "connecting";
        co_await tcp_layer.async_connect(endpoints, asio::use_awaitable);
        step = "TLS handshake";
        co_await stream.async_handshake(ssl::stream_base::client, asio::use_awaitable);

        step = "sending the request";
        http::request<http::string_body> post{http::verb::post, "/", 11};
        post.set(http::field::host, request.host);
        for (const auto& [name, value] : request.headers) post.set(name, value);
        post.body() = request.body;
        post.prepare_payload();
        co_await http::async_write(stream, post, asio::use_awaitable);

        step = "reading the response";
        LockedBuffer buffer;
        http::response_parser<LockedBody> parser;
        parser.body_limit(kMaxResponseBody);
        co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
        auto& message = parser.get();
        response.status = message.result_int();
        if (auto date = message.find(http::field::date); date != message.end())
            response.date = std::string(date->value());
        response.body = std::move(message.body());
        // The connection is not reused; a TLS close_notify is not waited for.
    }
};

}  // namespace

HttpsResponse https_post(const HttpsRequest& request) {
    ssl::context context(ssl::context::tls_client);
    context.set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                        ssl::context::no_tlsv1_1);
    trust_only(context, request.ca_pem);

    asio::io_context io;
    ssl::stream<beast::tcp_stream> stream(io, context);
    SSL* handle = stream.native_handle();
    if (!SSL_set_tlsext_host_name(handle, request.host.c_str()) ||
        !SSL_set1_host(handle, request.host.c_str()))
        throw Error(CVFS_E_INTERNAL, "cannot set the TLS server name " + request.host);

    HttpsResponse response;
    Exchange exchange{request, stream, response};
    std::exception_ptr failure;
    asio::co_spawn(io, exchange.run(), [&](std::exception_ptr e) { failure = e; });
    io.run();
    if (!failure) return response;

    try {
        std::rethrow_exception(failure);
    } catch (const boost::system::system_error& e) {
        long verify = SSL_get_verify_result(handle);
        if (exchange.step == "TLS handshake" && verify != X509_V_OK)
            throw Error(CVFS_E_PERMISSION_DENIED,
                        "the server's TLS certificate is refused: " +
                            std::string(X509_verify_cert_error_string(verify)) +
                            " (it must chain to kms_cert_pem and name " + request.host + ")");
        if (e.code() == beast::error::timeout)
            throw Error(CVFS_E_DEADLINE_EXCEEDED, exchange.step + " timed out after " +
                                                      std::to_string(request.timeout.count()) +
                                                      " ms");
        if (e.code() == http::error::body_limit)
            throw Error(CVFS_E_UNAVAILABLE, "the response is larger than " +
                                                std::to_string(kMaxResponseBody) + " bytes");
        throw Error(CVFS_E_UNAVAILABLE, exchange.step + " failed: " + e.code().message());
    }
}

}  // namespace cvfs::kms
