// Fuzzes a volume file (<confdir>/volumes/*.toml) through the real loader:
// toml++ (the shared library as shipped) and cvfs' checks of every key.
// A refusal is a cvfs::Error; anything else escaping is a finding.
#include <cstdint>
#include <string>

#include "base/error.h"
#include "config/config_loader.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::string path = cvfs::fuzz::scratch_dir() + "/volume.toml";
    cvfs::fuzz::write_file(path, data, size);
    cvfs::GlobalConfig global;
    try {
        cvfs::VolumeConfig volume = cvfs::parse_volume_file(path, global);
        (void)volume;
    } catch (const cvfs::Error&) {
    }
    return 0;
}
