// Key provider "keyfile": a machine-generated key kept in a root-only file.
//
// The crypttab key file, for keys that a machine provisions and no person
// types: a secret delivered by the platform to a protected path, or one that
// `cvfs init` makes. Since it is a machine secret of full entropy, the host
// protects its keyslot with the minimal PBKDF2 and opens the volume at the
// kernel's own speed.
//
// Configuration, table [encrypt.keyfile]:
//
//   key_file = "/etc/cvfs/keys/data1.key"
//       The key is the raw content of the file: 32 to 8192 bytes, a regular
//       file owned by root with mode 0600 or 0400. When `cvfs init` finds no
//       file there, it writes 32 random bytes into a new one of mode 0400
//       (its folder must exist and be root's alone).
//
// Whoever can read the file can open the volume: keep it on storage that is
// itself protected, never beside the volume on the same unencrypted disk.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "cvfs/key_provider.h"
#include "cvfs/plugin.hpp"
#include "cvfs/random.hpp"
#include "cvfs/secret_file.hpp"
#include "cvfs/unique_fd.hpp"

namespace {

using cvfs::sdk::Call;
using cvfs::sdk::Config;
using cvfs::sdk::Error;
using cvfs::sdk::SecretOut;
using cvfs::sdk::UniqueFd;

constexpr size_t kNewKeyBytes = 32;  // 256 bits, like every machine key of cvfs
constexpr size_t kMinKeyBytes = 32;
constexpr size_t kMaxKeyBytes = 8192;

std::string errno_text(int error = errno) { return std::strerror(error); }

struct Settings {
    std::string path;
    std::string where;  // "file:line: " of key_file
};

Settings read_settings(const Config& config) {
    config.allow_only({"key_file"});
    auto path = config.string("key_file");
    if (!path)
        throw Error(CVFS_E_INVALID_CONFIG, std::string(config.source()) + ": [" + config.table() +
                                               "] needs key_file = \"/path/of/the/key\"");
    Settings settings{*path, config.where(*config.find("key_file"))};
    if (path->empty() || path->front() != '/')
        throw Error(CVFS_E_INVALID_CONFIG, settings.where + "key_file must be an absolute path, got '" + *path + "'");
    return settings;
}

// Makes a new key in the host's buffer and writes it to a file that did not
// exist (O_EXCL: an existing key is never replaced). Returns false when the
// file appeared meanwhile.
bool create_key_file(const Settings& s, SecretOut& out) {
    UniqueFd fd(open(s.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0400));
    if (fd.get() < 0 && errno == EEXIST) return false;
    if (fd.get() < 0)
        throw Error(CVFS_E_PERMISSION_DENIED, s.where + "cannot create key file " + s.path + ": " + errno_text());
    out.set_length(kNewKeyBytes);
    cvfs::sdk::fill_random(out.data(), kNewKeyBytes);
    for (size_t done = 0; done < kNewKeyBytes;) {
        ssize_t n = write(fd.get(), out.data() + done, kNewKeyBytes - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int error = n < 0 ? errno : EIO;
            unlink(s.path.c_str());
            throw Error(CVFS_E_UNAVAILABLE, "cannot write key file " + s.path + ": " + errno_text(error));
        }
        done += static_cast<size_t>(n);
    }
    if (fsync(fd.get()) != 0) {
        int error = errno;
        unlink(s.path.c_str());
        throw Error(CVFS_E_UNAVAILABLE, "cannot write key file " + s.path + ": " + errno_text(error));
    }
    return true;
}

class Keyfile {
public:
    explicit Keyfile(const cvfs::sdk::Host&) {}

    void check_config(Call& call) { read_settings(call.config()); }

    void get_key(Call& call, uint32_t purpose, SecretOut& out) {
        Settings s = read_settings(call.config());
        struct stat st {};
        if (purpose == CVFS_KEY_PURPOSE_ENROL && lstat(s.path.c_str(), &st) != 0 && errno == ENOENT &&
            create_key_file(s, out)) {
            call.log(CVFS_LOG_INFO, "made a new key in " + s.path);
            return;
        }
        cvfs::sdk::read_secret_file(s.path, s.where, out, kMinKeyBytes, kMaxKeyBytes);
    }
};

}  // namespace

CVFS_KEY_PROVIDER_PLUGIN(Keyfile, "keyfile", "0.1.0", "cvfs", "Machine key in a root-only file",
                         CVFS_CAP_THREAD_SAFE)
