// cvfs-secretd: the trusted-side secret service for the ra-tls key provider.
//
// Serves cvfs.secret.v1.SecretRelease and the Intel secretmanger.SecretManger
// over gRPC with TLS. A client must present a certificate carrying evidence
// (a TDX or TPM2 quote bound to the certificate's key); each request is
// decided against the secret's release policy and written to the audit log.
//
//   cvfs-secretd [--config FILE]            serve (SIGHUP reloads the
//                                           configuration and secret store,
//                                           SIGTERM stops)
//   cvfs-secretd --check [--config FILE]    check everything and exit
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <signal.h>

#include <boost/program_options.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "base/core_dump_guard.h"
#include "secret_service.h"

namespace {

using namespace cvfs::secretd;
namespace gx = grpc::experimental;

constexpr int kExitConfig = 78;  // EX_CONFIG

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error(path + ": cannot be read");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Checks that the key file holds the private key of the certificate file.
void check_identity(const DaemonConfig& config, const std::string& cert_pem,
                    const std::string& key_pem) {
    BIO* cert_bio = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
    X509* cert = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
    BIO_free(cert_bio);
    BIO* key_bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
    BIO_free(key_bio);
    bool match = cert && key && X509_check_private_key(cert, key) == 1;
    X509_free(cert);
    EVP_PKEY_free(key);
    if (!match)
        throw std::runtime_error(config.path + ": server_key " + config.server_key +
                                 " is not the private key of server_cert " + config.server_cert);
}

std::shared_ptr<const ServiceState> load_state(const std::string& path) {
    auto state = std::make_shared<ServiceState>();
    state->config = load_daemon_config(path);
    state->store = SecretStore::load(state->config.secrets);
    return state;
}

// Lines for --check and the start-up log: what is served, and what will never be.
void summarise(const ServiceState& s, std::ostream& out) {
    out << "cvfs-secretd: " << s.config.path << ": " << s.store.size() << " secrets, "
        << s.config.policies.size() << " release policies, TDX root "
        << (s.config.tdx_root_ca.empty() ? "(none: TDX evidence refused)" : s.config.tdx_root_ca)
        << "\n";
    for (const auto& id : s.store.ids())
        if (!s.config.policies.count(id))
            out << "cvfs-secretd: warning: secret '" << id
                << "' has no policy and is never released\n";
    for (const auto& [id, policy] : s.config.policies)
        if (!s.store.find(id))
            out << "cvfs-secretd: warning: policy '" << id << "' names no secret in "
                << s.config.secrets << "\n";
}

std::shared_ptr<grpc::ServerCredentials> server_credentials(const DaemonConfig& config) {
    std::string cert = read_file(config.server_cert);
    std::string key = read_file(config.server_key);
    check_identity(config, cert, key);
    auto provider = std::make_shared<gx::StaticDataCertificateProvider>(
        std::vector<gx::IdentityKeyCertPair>{{key, cert}});
    OPENSSL_cleanse(key.data(), key.size());
    gx::TlsServerCredentialsOptions options(provider);
    options.watch_identity_key_cert_pairs();
    // Every client must show a certificate; its evidence, not a CA, is what
    // is checked (per request, in attestation.cpp).
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_BUT_DONT_VERIFY);
    return gx::TlsServerCredentials(options);
}

int serve(const std::string& config_path) {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGHUP);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before gRPC starts its threads

    StateHolder holder;
    holder.set(load_state(config_path));
    const DaemonConfig& first = holder.get()->config;
    summarise(*holder.get(), std::cerr);
    AuditLog audit(first.audit_log);
    CvfsReleaseService cvfs_service(holder, audit);
    IntelSecretManagerService intel_service(holder, audit);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort(first.listen, server_credentials(first), &port);
    builder.RegisterService(&cvfs_service);
    builder.RegisterService(&intel_service);
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    if (!server || port == 0) throw std::runtime_error("cannot listen on " + first.listen);
    std::cerr << "cvfs-secretd: listening on " << first.listen << " (port " << port << ")"
              << std::endl;

    for (;;) {
        int sig = 0;
        sigwait(&signals, &sig);
        if (sig != SIGHUP) break;
        try {
            auto next = load_state(config_path);
            const DaemonConfig& now = holder.get()->config;
            if (next->config.listen != now.listen || next->config.server_cert != now.server_cert ||
                next->config.server_key != now.server_key ||
                next->config.audit_log != now.audit_log)
                std::cerr << "cvfs-secretd: listen, server_cert, server_key and audit_log take "
                             "effect at the next "
                             "restart; policies and secrets now"
                          << std::endl;
            summarise(*next, std::cerr);
            holder.set(std::move(next));
            audit.reopen();
            std::cerr << "cvfs-secretd: reloaded " << config_path << std::endl;
        } catch (const std::exception& e) {
            std::cerr << "cvfs-secretd: reload refused, still serving the previous state: "
                      << e.what() << std::endl;
        }
    }
    std::cerr << "cvfs-secretd: stopping" << std::endl;
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    // The service holds every secret it releases: none may reach a core file.
    if (std::string failed = cvfs::cli::forbid_core_dumps(); !failed.empty()) {
        std::cerr << "cvfs-secretd: cannot keep secrets out of core dumps: " << failed << "\n";
        return 1;
    }
    namespace po = boost::program_options;
    po::options_description options("cvfs-secretd options");
    options.add_options()("config", po::value<std::string>()->default_value(CVFS_SECRETD_CONFIG),
                          "configuration file")(
        "check", "check the configuration, secret store and certificates, then exit")(
        "help", "show this help");
    po::variables_map args;
    try {
        po::store(po::parse_command_line(argc, argv, options), args);
        po::notify(args);
    } catch (const po::error& e) {
        std::cerr << "cvfs-secretd: " << e.what() << "\n" << options;
        return 2;
    }
    if (args.count("help")) {
        std::cout << options;
        return 0;
    }
    std::string config = args["config"].as<std::string>();
    try {
        if (args.count("check")) {
            auto state = load_state(config);
            server_credentials(state->config);
            AuditLog probe(state->config.audit_log);
            summarise(*state, std::cout);
            std::cout << "cvfs-secretd: configuration ok" << std::endl;
            return 0;
        }
        return serve(config);
    } catch (const std::exception& e) {
        std::cerr << "cvfs-secretd: " << e.what() << std::endl;
        return kExitConfig;
    }
}
