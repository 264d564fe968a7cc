// The [encrypt.ra-tls] table of a volume file, read and checked.
//
//   server = "secrets.example:50051"      required, host:port
//   secret_id = "luksKey"                 required, the app id in the store
//   protocol = "cvfs"                     "cvfs" (cvfs-secretd) or "intel" (secretmanager)
//   server_ca = "/etc/cvfs/ra-tls/ca.pem" pinned CA or server certificate (PEM);
//                                         required for "cvfs"; without it the
//                                         Intel server is not authenticated
//   server_name = "secrets.example"       name in the server certificate, if not the host
//   evidence = "tdx"                      "tdx" or "tpm"
//   tdx_layout = "cczoo"                  TDX extension layout: "cczoo" (quote, then the
//                                         key hash; what cvfs-secretd and the Intel
//                                         secretmanager read) or "cczoo-b01" (the quote
//                                         alone, report_data = key hash, u64 32, zeros:
//                                         the servers of cczoo's branch0.1)
//   tdx_report_dir = "/sys/kernel/config/tsm/report"
//   tdx_quote_command = "/usr/libexec/quote-tool"  instead of configfs-tsm
//   tpm_tcti = "device:/dev/tpmrm0"
//   tpm_pcrs = "0,1,2,3,4,5,6,7"           SHA-256 PCRs to quote
//   timeout_seconds = 30                  per attempt
//   attempts = 5                          retried only when the server is unreachable
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cvfs/plugin.hpp"
#include "secret_client.h"

namespace cvfs::ratls {

enum class EvidenceKind { tdx, tpm };

struct Settings {
    ServerOptions server;
    std::string secret_id;
    EvidenceKind evidence = EvidenceKind::tdx;
    bool tdx_layout_b01 = false;
    std::string tdx_report_dir = "/sys/kernel/config/tsm/report";
    std::string tdx_quote_command;
    std::string tpm_tcti = "device:/dev/tpmrm0";
    std::vector<uint32_t> tpm_pcrs{0, 1, 2, 3, 4, 5, 6, 7};
    int64_t timeout_ms = 30000;
    int attempts = 5;
};

// Throws cvfs::sdk::Error(CVFS_E_INVALID_CONFIG) naming file, line and key.
Settings read_settings(const cvfs::sdk::Config& config);

}  // namespace cvfs::ratls
