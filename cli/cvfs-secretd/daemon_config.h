// cvfs-secretd's configuration file (TOML), conf/secretd/secretd.toml:
//
//   listen = "0.0.0.0:50051"
//   server_cert = "/etc/cvfs/secretd/server.crt"   TLS identity (PEM) that clients pin
//   server_key = "/etc/cvfs/secretd/server.key"
//   secrets = "/etc/cvfs/secretd/secrets.json"      the secret store (secret_store.h)
//   audit_log = "/var/log/cvfs-secretd/audit.log"   optional; default: standard error
//   [tdx]
//   root_ca = "/etc/cvfs/secretd/intel-sgx-root-ca.pem"   root of PCK chains
//   crls = ["pck-platform.crl", "root.crl"]              optional, DER or PEM
//   tcb_info = "tdx-tcb-info.json"                        optional collateral:
//   qe_identity = "tdx-qe-identity.json"                  signed JSON from Intel's
//   tcb_signing_cert = "tcb-signing-chain.pem"            service, and its signer
//   accept_tcb_status = ["UpToDate"]                      default of the policies
//   [policy."luksKey"]                              one per app id, release_policy.h
//   tdx_mrtd = ["<96 hex>"]
//   accept_tcb_status = ["UpToDate", "SWHardeningNeeded"]   optional, Intel's names
//   tpm_ak = ["<64 hex>"]
//   tpm_pcrs = { "7" = "<64 hex>" }
//
// Relative paths are taken from the configuration file's folder.
#pragma once

#include <map>
#include <string>

#include "release_policy.h"
#include "tdx_quote.h"

namespace cvfs::secretd {

struct DaemonConfig {
    std::string path;
    std::string listen = "0.0.0.0:50051";
    std::string server_cert, server_key;  // file names
    std::string secrets;                  // file name
    std::string audit_log;                // empty: standard error
    std::string tdx_root_ca;              // file name; empty: TDX evidence is refused
    ratls::TdxTrust tdx;                  // the files' text
    std::map<std::string, ReleasePolicy> policies;
};

// Reads and checks the file, and the certificate files it names. Throws
// std::runtime_error with "file:line: what is wrong and what to do".
DaemonConfig load_daemon_config(const std::string& path);

}  // namespace cvfs::secretd
