// Deciding one request: verify the evidence in the client's TLS certificate
// (TDX quote or TPM2 quote, bound to the certificate's key), then the secret
// id's release policy. The result carries the measurements for the audit line
// and, when refused, the status and reason for the client.
#pragma once

#include <grpcpp/support/status.h>

#include <string>

#include "daemon_config.h"

namespace cvfs::secretd {

struct Verdict {
    bool allowed = false;
    grpc::StatusCode code = grpc::StatusCode::PERMISSION_DENIED;
    std::string reason;  // when refused
    std::string evidence = "none";
    std::string measurements;  // "key=value ..." for the audit line
};

// `peer_pem` is the client's certificate as the TLS stack saw it (empty when
// none); `has_secret` says whether the store holds `secret_id`.
Verdict decide(const std::string& peer_pem, const std::string& secret_id, bool has_secret,
               const DaemonConfig& config);

}  // namespace cvfs::secretd
