// Key provider "otp": a one-time random key for temporary volumes.
//
// Every call returns 32 fresh bytes from the kernel's random generator
// (getrandom(2)), written straight into the host's locked secret buffer. The
// key is never stored anywhere, so whatever was on the volume is unreadable
// after it is closed: the host re-formats the volume at each open
// (CVFS_CAP_EPHEMERAL). This is the seed tool's `[encrypt.otp]`.
//
// Configuration: the table [encrypt.otp] is empty; any key in it is refused
// with its file and line.
#include "cvfs/plugin.hpp"
#include "cvfs/random.hpp"

namespace {

// 256 bits of entropy, like every machine-generated key of cvfs.
constexpr size_t kKeyBytes = 32;

class Otp {
public:
    explicit Otp(const cvfs::sdk::Host&) {}

    void check_config(cvfs::sdk::Call& call) { call.config().allow_only({}); }

    void get_key(cvfs::sdk::Call& call, uint32_t /*purpose*/, cvfs::sdk::SecretOut& out) {
        check_config(call);
        out.set_length(kKeyBytes);
        cvfs::sdk::fill_random(out.data(), kKeyBytes);
    }
};

}  // namespace

CVFS_KEY_PROVIDER_PLUGIN(Otp, "otp", "0.1.0", "cvfs", "One-time random key for temporary volumes",
                         CVFS_CAP_EPHEMERAL | CVFS_CAP_THREAD_SAFE)
