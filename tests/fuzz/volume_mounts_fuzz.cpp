// Fuzzes the [mount] options check (libmount's option parser under cvfs'
// rules) with the input as an option list, and the mountinfo reader with the
// same bytes as a mountinfo file. A refusal is a cvfs::Error; anything else
// escaping, or a crash, is a finding.
#include <sys/sysmacros.h>

#include <cstdint>
#include <string>

#include "base/error.h"
#include "fuzz_support.h"
#include "volume/mounts.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        cvfs::MountOptions options = cvfs::parse_mount_options(text.substr(0, text.find('\0')));
        (void)options;
    } catch (const cvfs::Error&) {
    }
    static const std::string path = cvfs::fuzz::scratch_dir() + "/mountinfo";
    cvfs::fuzz::write_file(path, data, size);
    try {
        (void)cvfs::mount_points_of(makedev(253, 3), path);
    } catch (const cvfs::Error&) {
    }
    return 0;
}
