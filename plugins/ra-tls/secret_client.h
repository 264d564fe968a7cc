// One request for a secret over gRPC with an RA-TLS client certificate, to
// cvfs-secretd (service cvfs.secret.v1.SecretRelease) or to the Intel
// secretmanager (secretmanger.SecretManger/GetSecret).
//
// The server is authenticated with a pinned CA (or its own certificate)
// and, unless `server_name` says otherwise, the host name of `server`.
// Without a pinned CA (allowed for the Intel protocol only) the server is not
// authenticated at all: the caller must say so loudly.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>

namespace cvfs::ratls {

enum class Protocol { cvfs, intel };

struct ServerOptions {
    std::string address;  // host:port
    Protocol protocol = Protocol::cvfs;
    std::string ca_pem;       // pinned CA or server certificate; empty: not authenticated
    std::string server_name;  // name expected in the server certificate; empty: the host of address
};

// The client's TLS identity for one connection.
struct ClientIdentity {
    std::string key_pem;
    std::string cert_pem;
};

enum class FetchFailure {
    not_found,    // the server has no such secret
    refused,      // the server refused the evidence or the policy did not allow it
    unreachable,  // no connection (UNAVAILABLE): retrying may help
    deadline,     // no answer in time
    failed,       // anything else the server said
};

class FetchError : public std::runtime_error {
public:
    FetchError(FetchFailure kind, const std::string& message)
        : std::runtime_error(message), kind_(kind) {}
    FetchFailure kind() const noexcept { return kind_; }

private:
    FetchFailure kind_;
};

// Receives the secret's bytes; they live in a buffer that is wiped after.
using SecretSink = std::function<void(std::span<const uint8_t>)>;

// Asks for `secret_id` once, on a new connection, within `timeout`. Throws
// FetchError.
void fetch_secret(const ServerOptions& server, const ClientIdentity& identity,
                  const std::string& secret_id, std::chrono::milliseconds timeout,
                  const SecretSink& sink);

}  // namespace cvfs::ratls
