// Fuzzes the TPM provider's values in a volume's cvfs token: the token JSON
// is read by the host's own decoder (CvfsToken::from_json, as the engine does
// with the header's token), and the TPM plugin's load_blob reads its values
// through the real host services (PluginCall, token_get), as it does at
// open. Input: the token JSON.
#include <cstdint>
#include <chrono>
#include <string>

#include <cvfs/plugin.hpp>

#include "base/error.h"
#include "luks/cvfs_token.h"
#include "plugin/plugin_host.h"
#include "tpm_token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    cvfs::CvfsToken token;
    try {
        token = cvfs::CvfsToken::from_json(std::string(reinterpret_cast<const char*>(data), size));
    } catch (const cvfs::Error&) {
        return 0;
    }
    cvfs::VolumeConfig volume;
    volume.name = token.volume;
    cvfs::PluginRef ref;
    ref.name = "tpm";
    cvfs::PluginCall call(volume, ref, std::chrono::steady_clock::time_point::max(), &token.provider_data);
    try {
        (void)cvfs_tpm::load_blob(cvfs::sdk::Call(cvfs::host_services(), call.get()));
    } catch (const cvfs::sdk::Error&) {
    }
    return 0;
}
