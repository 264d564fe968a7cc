// One HTTPS POST to a KMS instance, with Boost.Beast over Asio and OpenSSL.
//
// The server must present a certificate that chains to the instance's CA
// (kms_cert_pem) and only to it: the system's trust store is never used. The
// certificate must name `host` (checked by OpenSSL against the SAN), and
// `host` is also the SNI and the Host header. `connect_host`/`port` only say
// where the TCP connection goes (a test double on loopback, a VPC address
// when DNS is not up yet): they never weaken the name check.
//
// The whole exchange (resolve, connect, handshake, write, read) must end
// within `timeout`. The response body lands in locked memory: it carries the
// volume's secret.
#pragma once

#include <chrono>
#include <string>

#include "kms_signing.h"
#include "locked_memory.h"

namespace cvfs::kms {

struct HttpsRequest {
    std::string host;          // the instance's name: SNI, certificate check, Host header
    std::string connect_host;  // where TCP connects (usually `host`)
    std::string port = "443";
    std::string ca_pem;  // the only trusted certificates
    HeaderList headers;  // sent as given, besides host
    std::string body;
    std::chrono::milliseconds timeout{10000};
};

struct HttpsResponse {
    unsigned status = 0;
    std::string date;  // the server's Date header, if any
    SecretText body;
};

// Performs the POST. Throws cvfs::sdk::Error: CVFS_E_UNAVAILABLE for network
// failures (worth a retry), CVFS_E_DEADLINE_EXCEEDED when `timeout` passed,
// CVFS_E_PERMISSION_DENIED when the server's certificate is refused,
// CVFS_E_INVALID_CONFIG when `ca_pem` holds no certificate.
HttpsResponse https_post(const HttpsRequest& request);

}  // namespace cvfs::kms
