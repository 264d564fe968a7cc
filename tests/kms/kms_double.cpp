// The KMS test double's server, see kms_double.h. One thread accepts and
// serves connections one at a time with blocking Beast calls; a socket
// timeout keeps a silent client from holding it.
#include "kms_double.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "base64.h"
#include "kms_signing.h"       // http_date / parse_http_date only
#include "kms_wire_test.pb.h"  // the test's own protobuf code, not the plugin's codec

namespace kms_test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

constexpr const char* kHost = "kst-test123.cryptoservice.kms.aliyuncs.com";

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string lower(std::string text) {
    for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

std::string trim(std::string_view text) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    return std::string(text);
}

std::string upper_hex_sha256(const std::string& data) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
    std::string hex;
    char pair[3];
    for (unsigned char b : digest) {
        std::snprintf(pair, sizeof pair, "%02X", b);
        hex += pair;
    }
    return hex;
}

std::string header(const Request& request, const char* name) {
    auto found = request.find(name);
    return found == request.end() ? std::string() : std::string(found->value());
}

// The gateway's string to sign, rebuilt from what arrived on the wire.
std::string rebuild_string_to_sign(const Request& request) {
    std::vector<std::pair<std::string, std::string>> kms;
    for (const auto& field : request) {
        std::string name = lower(std::string(field.name_string()));
        if (name.rfind("x-kms-", 0) == 0)
            kms.emplace_back(name, trim({field.value().data(), field.value().size()}));
    }
    std::sort(kms.begin(), kms.end());
    std::string text = std::string(http::to_string(request.method())) + "\n" +
                       header(request, "content-sha256") + "\n" + header(request, "content-type") +
                       "\n" + header(request, "date") + "\n";
    for (const auto& [name, value] : kms) text += name + ":" + value + "\n";
    return text + std::string(request.target());
}

bool signature_valid(EVP_PKEY* client_key, const std::string& text,
                     const std::string& authorization) {
    const std::string prefix = "Bearer ";
    if (authorization.rfind(prefix, 0) != 0) return false;
    std::string b64 = authorization.substr(prefix.size());
    auto size = cvfs::kms::base64_decoded_size(b64);
    if (!size) return false;
    std::vector<uint8_t> signature(*size);
    cvfs::kms::base64_decode(b64, signature.data());
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    bool ok =
        EVP_DigestVerifyInit(md, nullptr, EVP_sha256(), nullptr, client_key) == 1 &&
        EVP_DigestVerify(md, signature.data(), signature.size(),
                         reinterpret_cast<const unsigned char*>(text.data()), text.size()) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

}  // namespace

struct KmsDouble::State {
    DoubleOptions options;
    std::string key_id;
    EVP_PKEY* client_key = nullptr;
    asio::io_context io;
    ssl::context tls{ssl::context::tls_server};
    tcp::acceptor acceptor{io};
    int served = 0;

    ~State() { EVP_PKEY_free(client_key); }

    Response reply(const Request& request, unsigned status, const std::string& body,
                   std::time_t now) {
        Response response{static_cast<http::status>(status), request.version()};
        response.set(http::field::content_type, "application/x-protobuf");
        response.set(http::field::date, cvfs::kms::http_date(now));
        response.body() = body;
        response.prepare_payload();
        return response;
    }

    Response fail(const Request& request, unsigned status, const char* code,
                  const std::string& message, std::time_t now) {
        kms_wire_test::GatewayError error;
        error.set_status_code(static_cast<int32_t>(status));
        error.set_error_code(code);
        error.set_error_message(message);
        error.set_request_id("test-request-" + std::to_string(served));
        return reply(request, status, error.SerializeAsString(), now);
    }

    Response handle(Request& request) {
        ++served;
        std::time_t now = std::time(nullptr) + options.clock_offset_s;
        if (served <= options.bad_gateway_first) {
            Response response{http::status::bad_gateway, request.version()};
            response.set(http::field::content_type, "text/html");
            response.body() = "<html><body><h1>502 Bad Gateway</h1></body></html>";
            response.prepare_payload();
            return response;
        }
        if (options.tamper_body && !request.body().empty()) request.body()[0] ^= 0x01;
        if (request.method() != http::verb::post || request.target() != "/")
            return fail(request, 404, "NotFound", "Only POST / is served.", now);
        if (header(request, "host") != kHost)
            return fail(request, 400, "InvalidParam", "The Param Host is invalid.", now);
        if (header(request, "x-kms-apiversion") != "dkms-gcs-0.2")
            return fail(request, 400, "InvalidApiVersion", "The api version is invalid.", now);
        if (header(request, "x-kms-signaturemethod") != "RSA_PKCS1_SHA_256")
            return fail(request, 400, "InvalidParam", "The Param x-kms-signaturemethod is invalid.",
                        now);
        std::string sent_key_id = header(request, "x-kms-acccesskeyid");
        if (sent_key_id.empty())
            return fail(request, 400, "MissingParameter",
                        "Parameter x-kms-acccesskeyid does not exist in http header or body.", now);
        auto date = cvfs::kms::parse_http_date(header(request, "date"));
        if (!date) return fail(request, 400, "InvalidParam", "The Param Date is invalid.", now);
        if (*date > now + 900 || *date < now - 900)
            return fail(request, 400, "RequestTimeTooSkewed",
                        "Request time exceeds server time more than 15 minutes.", now);
        if (header(request, "content-type") != "application/x-protobuf" ||
            header(request, "accept") != "application/x-protobuf")
            return fail(request, 400, "InvalidParam", "The Param Content-Type is invalid.", now);
        if (header(request, "content-sha256") != upper_hex_sha256(request.body()))
            return fail(request, 400, "InvalidParam", "The Param content-sha256 is invalid.", now);
        if (sent_key_id != key_id)
            return fail(request, 401, "Unauthorized", "Unknown access key.", now);
        if (!signature_valid(client_key, rebuild_string_to_sign(request),
                             header(request, "authorization")))
            return fail(request, 400, "InvalidParam", "The Param Authorization is invalid.", now);
        if (header(request, "x-kms-apiname") != "GetSecretValue")
            return fail(request, 400, "InvalidApiName", "The api name is invalid.", now);
        if (served <= options.bad_gateway_first + options.throttle_first)
            return fail(request, 429, "Rejected.Throttling",
                        "Request was denied due to flow control.", now);
        kms_wire_test::SecretValueRequest message;
        if (!message.ParseFromString(request.body()) || message.secret_name().empty())
            return fail(request, 400, "InvalidParameter", "The body is not valid.", now);
        auto secret = options.secrets.find(message.secret_name());
        if (secret == options.secrets.end())
            return fail(request, 404, "Forbidden.ResourceNotFound", "The resource not found.", now);
        kms_wire_test::SecretValueResponse answer;
        answer.set_secret_name(secret->first);
        answer.set_secret_type("Generic");
        answer.set_secret_data(secret->second);
        answer.set_secret_data_type("text");
        answer.add_version_stages("ACSCurrent");
        answer.set_version_id("v1");
        answer.set_create_time("2026-01-01T00:00:00Z");
        answer.set_request_id("test-request-" + std::to_string(served));
        return reply(request, 200, answer.SerializeAsString(), now);
    }
};

KmsDouble::KmsDouble(DoubleOptions options) : state_(std::make_unique<State>()) {
    auto& s = *state_;
    s.options = std::move(options);
    const std::string dir = s.options.pki_dir + "/";
    std::string key_id = read_file(dir + "key_id.txt");
    s.key_id = key_id.substr(0, key_id.find('\n'));
    std::string cert_pem = read_file(dir + "client_cert.pem");
    BIO* bio = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
    X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (!cert) throw std::runtime_error("cannot read client_cert.pem");
    s.client_key = X509_get_pubkey(cert);
    X509_free(cert);

    s.tls.use_certificate_chain_file(dir + "server_chain.pem");
    s.tls.use_private_key_file(dir + "server.key", ssl::context::pem);
    tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), s.options.port);
    s.acceptor.open(endpoint.protocol());
    s.acceptor.set_option(tcp::acceptor::reuse_address(true));
    s.acceptor.bind(endpoint);
    s.acceptor.listen();
    thread_ = std::thread([this] { serve(); });
}

KmsDouble::~KmsDouble() {
    stopping_ = true;
    try {  // wake the blocking accept
        tcp::socket poke(state_->io);
        poke.connect(state_->acceptor.local_endpoint());
    } catch (...) {
    }
    thread_.join();
}

uint16_t KmsDouble::port() const { return state_->acceptor.local_endpoint().port(); }

void KmsDouble::serve() {
    auto& s = *state_;
    while (!stopping_) {
        tcp::socket socket(s.io);
        boost::system::error_code ec;
        s.acceptor.accept(socket, ec);
        if (ec || stopping_) continue;
        timeval timeout{5, 0};
        setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
        ssl::stream<tcp::socket> stream(std::move(socket), s.tls);
        try {
            stream.handshake(ssl::stream_base::server);
            beast::flat_buffer buffer;
            Request request;
            http::read(stream, buffer, request);
            Response response = s.handle(request);
            ++requests_;
            http::write(stream, response);
            stream.shutdown(ec);
        } catch (const std::exception&) {
            // A client that refused our certificate or hung up: next one.
        }
    }
}

}  // namespace kms_test
