// Fuzzes cvfs-secretd's configuration file through its real loader (toml++
// as shipped): the top level, [tdx] with its collateral files and the release
// policies. The file sits in tests/fuzz/trust's copy, so the certificate and
// collateral names of the seeds resolve. Each policy read is then asked about
// the claims of the real TDX quote, so the policy checks run on what was read.
// Input: the file's text.
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "daemon_config.h"
#include "fuzz_support.h"
#include "release_policy.h"

namespace {

// A scratch folder with the trust files, so relative names in the input resolve.
std::string config_path() {
    namespace fs = std::filesystem;
    fs::path dir = fs::path(cvfs::fuzz::scratch_dir()) / "secretd";
    fs::create_directories(dir);
    for (const auto& entry : fs::directory_iterator(CVFS_FUZZ_TRUST_DIR))
        fs::copy_file(entry.path(), dir / entry.path().filename(), fs::copy_options::overwrite_existing);
    return (dir / "fuzzed.toml").string();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::string path = config_path();
    cvfs::fuzz::write_file(path, data, size);
    try {
        cvfs::secretd::DaemonConfig config = cvfs::secretd::load_daemon_config(path);
        cvfs::ratls::TdxClaims tdx;
        tdx.mr_td.assign(48, 0);
        tdx.td_attributes.assign(8, 0);
        tdx.xfam.assign(8, 0);
        for (auto& rtmr : tdx.rtmr) rtmr.assign(48, 0);
        cvfs::ratls::TpmClaims tpm;
        tpm.ak_id = std::string(64, '0');
        tpm.pcrs[7] = std::string(64, '0');
        for (const auto& [id, policy] : config.policies) {
            (void)cvfs::secretd::refusal(policy, tdx);
            (void)cvfs::secretd::refusal(policy, tpm);
        }
    } catch (const std::runtime_error&) {
    }
    return 0;
}
