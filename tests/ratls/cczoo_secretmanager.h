// A test double of Intel's secretmanager (cczoo tdx-encrypted-vfs, grpc-ra-tls
// TDX backend), which cannot run here (it needs Intel's DCAP libraries). It
// is faithful where a client can tell: the service and messages of
// secretmanger.proto, a throw-away server certificate as cczoo makes it
// (X.509 v1 with an extension, RSA-2048, SHA-1 self-signature,
// CN=localhost), a client certificate required but not chain-verified, the
// client's extension 1.2.840.113741.1 read as quote ‖ SHA-256(SPKI) with the
// appended hash compared to the certificate's key, the quote verified
// (here with cvfs' verifier and the test PKI's root, standing in for
// Intel's QVL), then an exact lookup: NOT_FOUND with no details, or the
// string. It runs in the test's process on a free loopback port.
#pragma once

#include <map>
#include <memory>
#include <string>

namespace grpc {
class Server;
}

namespace ratls_test {

class CczooSecretManager {
public:
    CczooSecretManager(std::map<std::string, std::string> secrets, std::string quote_root_pem);
    ~CczooSecretManager();
    int port() const { return port_; }
    int requests() const;

private:
    struct Service;
    std::unique_ptr<Service> service_;
    std::unique_ptr<grpc::Server> server_;
    int port_ = 0;
};

}  // namespace ratls_test
