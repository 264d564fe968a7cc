// The gRPC side of the ra-tls key provider (see secret_client.h).
#include "secret_client.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <grpcpp/support/channel_arguments.h>
#include <openssl/crypto.h>

#include "cvfs_secret.grpc.pb.h"
#include "secretmanger.grpc.pb.h"

namespace cvfs::ratls {
namespace {

namespace gx = grpc::experimental;

std::shared_ptr<grpc::ChannelCredentials> credentials(const ServerOptions& server,
                                                      const ClientIdentity& identity) {
    // Without a pinned CA the roots are never used, but an empty root set
    // would make gRPC look for the system's roots; give it our own cert.
    const std::string& roots = server.ca_pem.empty() ? identity.cert_pem : server.ca_pem;
    auto provider = std::make_shared<gx::StaticDataCertificateProvider>(
        roots, std::vector<gx::IdentityKeyCertPair>{{identity.key_pem, identity.cert_pem}});
    gx::TlsChannelCredentialsOptions options;
    options.set_certificate_provider(provider);
    options.watch_identity_key_cert_pairs();
    options.watch_root_certs();
    if (server.ca_pem.empty()) {
        options.set_verify_server_certs(false);
        options.set_certificate_verifier(std::make_shared<gx::NoOpCertificateVerifier>());
        options.set_check_call_host(false);
    } else {
        options.set_verify_server_certs(true);
        options.set_certificate_verifier(std::make_shared<gx::HostNameCertificateVerifier>());
    }
    return gx::TlsCredentials(options);
}

FetchError error_of(const grpc::Status& status, const ServerOptions& server,
                    const std::string& id) {
    std::string where = "secret '" + id + "' from " + server.address + ": ";
    std::string said = status.error_message().empty() ? "" : " (" + status.error_message() + ")";
    switch (status.error_code()) {
        case grpc::StatusCode::NOT_FOUND:
            return FetchError(FetchFailure::not_found,
                              where + "the server has no such secret" + said);
        case grpc::StatusCode::PERMISSION_DENIED:
        case grpc::StatusCode::UNAUTHENTICATED:
            return FetchError(FetchFailure::refused, where + "attestation refused" + said);
        case grpc::StatusCode::UNAVAILABLE:
            return FetchError(FetchFailure::unreachable,
                              where +
                                  "server unreachable or it closed the connection (a server that "
                                  "rejects the evidence during the handshake looks like this too)" +
                                  said);
        case grpc::StatusCode::DEADLINE_EXCEEDED:
            return FetchError(FetchFailure::deadline,
                              where + "no answer before the deadline" + said);
        default:
            return FetchError(FetchFailure::failed, where + "the server answered with status " +
                                                        std::to_string(status.error_code()) + said);
    }
}

// Wipes a protobuf string field that held the secret.
void wipe(std::string* text) {
    if (!text->empty()) OPENSSL_cleanse(text->data(), text->size());
    text->clear();
}

}  // namespace

void fetch_secret(const ServerOptions& server, const ClientIdentity& identity,
                  const std::string& secret_id, std::chrono::milliseconds timeout,
                  const SecretSink& sink) {
    grpc::ChannelArguments args;
    if (!server.server_name.empty()) args.SetSslTargetNameOverride(server.server_name);
    args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);  // retries are ours: only for UNAVAILABLE
    auto channel = grpc::CreateCustomChannel(server.address, credentials(server, identity), args);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + timeout);
    if (server.protocol == Protocol::cvfs) {
        cvfs::secret::v1::ReleaseRequest request;
        request.set_secret_id(secret_id);
        cvfs::secret::v1::ReleaseReply reply;
        grpc::Status status =
            cvfs::secret::v1::SecretRelease::NewStub(channel)->Release(&context, request, &reply);
        if (!status.ok()) throw error_of(status, server, secret_id);
        try {
            const std::string& secret = reply.secret();
            sink({reinterpret_cast<const uint8_t*>(secret.data()), secret.size()});
        } catch (...) {
            wipe(reply.mutable_secret());
            throw;
        }
        wipe(reply.mutable_secret());
    } else {
        secretmanger::SecretRequest request;
        request.set_name(secret_id);
        secretmanger::SecretReply reply;
        grpc::Status status =
            secretmanger::SecretManger::NewStub(channel)->GetSecret(&context, request, &reply);
        if (!status.ok()) throw error_of(status, server, secret_id);
        try {
            const std::string& secret = reply.message();
            sink({reinterpret_cast<const uint8_t*>(secret.data()), secret.size()});
        } catch (...) {
            wipe(reply.mutable_message());
            throw;
        }
        wipe(reply.mutable_message());
    }
}

}  // namespace cvfs::ratls
