// The Intel secretmanager test double (see cczoo_secretmanager.h).
#include "cczoo_secretmanager.h"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <cstring>

#include "certificate.h"
#include "evidence_error.h"
#include "secretmanger.grpc.pb.h"
#include "tdx_quote.h"
#include "test_pki.h"

namespace ratls_test {
namespace {

namespace gx = grpc::experimental;

// cczoo's generate_key_cert(): RSA-2048, serial 1, 20 years, C=CN/O=Intel
// Inc./CN=localhost, version left at v1, extension = hash, SHA-1 signature.
std::pair<std::string, std::string> cczoo_server_identity() {
    EVP_PKEY* key = EVP_RSA_gen(2048);
    X509* cert = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 630720000L);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("CN"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("Intel Inc."), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    cvfs::ratls::Sha256 hash = cvfs::ratls::spki_sha256(key);
    ASN1_OBJECT* oid = OBJ_txt2obj("1.2.840.113741.1", 1);
    ASN1_OCTET_STRING* data = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(data, hash.data(), static_cast<int>(hash.size()));
    X509_EXTENSION* ext = X509_EXTENSION_create_by_OBJ(nullptr, oid, 0, data);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(data);
    ASN1_OBJECT_free(oid);
    X509_sign(cert, key, EVP_sha1());
    std::string cert_pem = pem_of(cert);
    std::string key_pem = pem_of_key(key);
    X509_free(cert);
    EVP_PKEY_free(key);
    return {key_pem, cert_pem};
}

}  // namespace

struct CczooSecretManager::Service final : secretmanger::SecretManger::Service {
    std::map<std::string, std::string> secrets;
    cvfs::ratls::TdxTrust trust;
    std::atomic<int> requests{0};

    grpc::Status GetSecret(grpc::ServerContext* context, const secretmanger::SecretRequest* request,
                           secretmanger::SecretReply* reply) override {
        ++requests;
        auto pems = context->auth_context()->FindPropertyValues("x509_pem_cert");
        if (pems.empty()) return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "");
        try {
            auto peer = cvfs::ratls::read_peer_certificate(
                std::string(pems.front().data(), pems.front().size()));
            if (!peer.intel_ext || peer.intel_ext->size() < 256 + 32)
                return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "");
            const auto& ext = *peer.intel_ext;
            // The layout is the quote itself, then the key hash: nothing between them.
            if (cvfs::ratls::tdx_quote_length(ext) + 32 != ext.size())
                return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "");
            // verify_pubkey_hash: the 32 bytes after the quote are SHA-256(SPKI).
            if (std::memcmp(ext.data() + ext.size() - 32, peer.key_binding.data(), 32) != 0)
                return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "");
            cvfs::ratls::verify_tdx_quote(std::span(ext).first(ext.size() - 32), trust);
        } catch (const cvfs::ratls::EvidenceError&) {
            return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "");
        }
        auto found = secrets.find(request->name());
        if (found == secrets.end()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "");
        reply->set_message(found->second);
        return grpc::Status::OK;
    }
};

CczooSecretManager::CczooSecretManager(std::map<std::string, std::string> secrets,
                                       std::string quote_root_pem)
    : service_(std::make_unique<Service>()) {
    service_->secrets = std::move(secrets);
    service_->trust.root_pem = std::move(quote_root_pem);
    auto [key, cert] = cczoo_server_identity();
    auto provider = std::make_shared<gx::StaticDataCertificateProvider>(
        std::vector<gx::IdentityKeyCertPair>{{key, cert}});
    gx::TlsServerCredentialsOptions options(provider);
    options.watch_identity_key_cert_pairs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_BUT_DONT_VERIFY);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", gx::TlsServerCredentials(options), &port_);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
}

CczooSecretManager::~CczooSecretManager() {
    if (server_) server_->Shutdown();
}

int CczooSecretManager::requests() const { return service_->requests; }

}  // namespace ratls_test
