// Fuzzes what cvfs-secretd does with a client's RA-TLS certificate: parse the
// PEM, find the Intel (TDX quote) or cvfs TPM extension, verify the evidence
// and its binding to the certificate's key, then the release policy of the
// secret asked for. The daemon's configuration is the one in tests/fuzz/trust
// (Intel's root, a policy per evidence type), read by the real loader.
// Input: the certificate as the TLS stack hands it over (PEM).
#include <cstdint>
#include <stdexcept>
#include <string>

#include "attestation.h"
#include "daemon_config.h"
#include "evidence_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const cvfs::secretd::DaemonConfig config =
        cvfs::secretd::load_daemon_config(std::string(CVFS_FUZZ_TRUST_DIR) + "/secretd.toml");
    const std::string pem(reinterpret_cast<const char*>(data), size);
    for (const char* id : {"tdxKey", "tpmKey"}) {
        cvfs::secretd::Verdict verdict = cvfs::secretd::decide(pem, id, true, config);
        if (verdict.allowed) __builtin_trap();  // nobody can forge Intel's or the pinned key's signature
    }
    return 0;
}
