// Key provider "example-seed": the example of a third-party (vendor) plugin.
//
// Many platforms provision a per-machine secret that only the machine can
// read: a vendor agent unwraps it at boot into a file on a tmpfs, a board
// exposes it through a root-only sysfs node, an HSM driver writes it out.
// This provider turns such a machine seed into one key per volume:
//
//   key = HKDF-SHA256(seed, salt, "cvfs example-seed v1:" + volume [+ ":" + context])
//
// The salt is 32 random bytes drawn when the volume is made (purpose ENROL)
// and kept, hex-encoded, in the volume's LUKS2 token (token_set); it is
// public, the seed is not. Opening (purpose UNLOCK) reads the salt back and
// derives the same key. A different seed, volume name or context gives a
// different key, so one seed serves any number of volumes.
//
// Configuration, table [encrypt.example-seed]:
//   seed_file = "/run/acme/machine-seed"   required: absolute path of the seed,
//       a regular file owned by root, mode 0400 or 0600, 32 to 4096 bytes
//   context = "tenant-a"                   optional: mixed into the derivation
//
// Secrets: the seed is read into a locked host buffer (secret_alloc) and
// wiped when released; the key is derived straight into the host's output
// buffer. Threading: no shared state, so CVFS_CAP_THREAD_SAFE.
//
// Built with nothing but the installed SDK (see CMakeLists.txt); read it
// with docs/plugin-guide.md at hand.
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <cvfs/plugin.hpp>
#include <cvfs/unique_fd.hpp>

namespace {

using cvfs::sdk::Call;
using cvfs::sdk::Config;
using cvfs::sdk::Error;
using cvfs::sdk::SecretOut;
using cvfs::sdk::UniqueFd;

constexpr size_t kKeyBytes = 32;  // 256 bits, as every machine key of cvfs
constexpr size_t kSaltBytes = 32;
constexpr size_t kMinSeed = 32;
constexpr size_t kMaxSeed = 4096;
constexpr const char* kSaltKey = "salt";  // the token value this provider keeps

struct Settings {
    std::string seed_file;
    std::string where;  // "file:line: " of seed_file, for messages
    std::string context;
};

Settings read_settings(const Config& config) {
    config.allow_only({"seed_file", "context"});
    Settings s;
    s.seed_file = config.require_string("seed_file");
    s.where = config.where(*config.find("seed_file"));
    if (s.seed_file.empty() || s.seed_file.front() != '/')
        throw Error(CVFS_E_INVALID_CONFIG, s.where + "seed_file must be an absolute path, got '" + s.seed_file + "'");
    s.context = config.string("context").value_or("");
    return s;
}

// A host-owned locked buffer, released (and wiped by the host) on scope exit.
class LockedBuffer {
public:
    LockedBuffer(const cvfs_host_services* host, size_t size) : host_(host) {
        if (host_->secret_alloc(size, &buffer_) != CVFS_OK)
            throw Error(CVFS_E_UNAVAILABLE, "cannot lock memory for the seed");
    }
    ~LockedBuffer() { host_->secret_free(&buffer_); }
    LockedBuffer(const LockedBuffer&) = delete;
    LockedBuffer& operator=(const LockedBuffer&) = delete;
    cvfs_secret& get() { return buffer_; }

private:
    const cvfs_host_services* host_;
    cvfs_secret buffer_{};
};

// Opens the seed and checks that only root can read or replace it.
UniqueFd open_seed(const Settings& s, size_t& size) {
    UniqueFd fd(::open(s.seed_file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd.valid())
        throw Error(errno == ENOENT ? CVFS_E_NOT_FOUND : CVFS_E_PERMISSION_DENIED,
                    s.where + "cannot open the seed " + s.seed_file + ": " + std::strerror(errno) +
                        (errno == ENOENT ? " (is the vendor agent that provisions it running?)" : ""));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
        throw Error(CVFS_E_PERMISSION_DENIED, s.where + "the seed " + s.seed_file + " is not a regular file");
    if (st.st_uid != 0 || (st.st_mode & 077) != 0)
        throw Error(CVFS_E_PERMISSION_DENIED,
                    s.where + "the seed " + s.seed_file + " must be owned by root and readable by root only: run `chown root " +
                        s.seed_file + " && chmod 400 " + s.seed_file + "`");
    if (st.st_size < static_cast<off_t>(kMinSeed) || st.st_size > static_cast<off_t>(kMaxSeed))
        throw Error(CVFS_E_INVALID_CONFIG, s.where + "the seed " + s.seed_file + " holds " + std::to_string(st.st_size) +
                                               " bytes; a seed holds " + std::to_string(kMinSeed) + " to " +
                                               std::to_string(kMaxSeed));
    size = static_cast<size_t>(st.st_size);
    return fd;
}

void read_seed(const Settings& s, LockedBuffer& out, size_t size, int fd) {
    cvfs_secret& seed = out.get();
    while (seed.length < size) {
        ssize_t n = ::read(fd, seed.data + seed.length, size - seed.length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw Error(CVFS_E_UNAVAILABLE, "cannot read the seed " + s.seed_file);
        seed.length += static_cast<size_t>(n);
    }
}

std::string to_hex(const uint8_t* bytes, size_t size) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (size_t i = 0; i < size; ++i) {
        out += digits[bytes[i] >> 4];
        out += digits[bytes[i] & 0xf];
    }
    return out;
}

std::string from_hex(const std::string& text) {
    auto value = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    if (text.size() != 2 * kSaltBytes) return {};
    std::string out;
    for (size_t i = 0; i < text.size(); i += 2) {
        int hi = value(text[i]), lo = value(text[i + 1]);
        if (hi < 0 || lo < 0) return {};
        out += static_cast<char>(hi << 4 | lo);
    }
    return out;
}

// The salt of this volume: a new one when enrolling, else the one kept in the token.
std::string salt_for(Call& call, uint32_t purpose) {
    if (purpose == CVFS_KEY_PURPOSE_ENROL) {
        uint8_t salt[kSaltBytes];
        if (::getrandom(salt, sizeof salt, 0) != static_cast<ssize_t>(sizeof salt))
            throw Error(CVFS_E_UNAVAILABLE, "cannot draw a random salt: " + std::string(std::strerror(errno)));
        std::string hex = to_hex(salt, sizeof salt);
        call.token_set(kSaltKey, hex);
        return std::string(reinterpret_cast<char*>(salt), sizeof salt);
    }
    auto hex = call.token_get(kSaltKey);
    if (!hex)
        throw Error(CVFS_E_NOT_FOUND, "volume '" + std::string(call.volume()) +
                                          "' has no example-seed salt in its header: was it made with this provider?");
    std::string salt = from_hex(*hex);
    if (salt.empty()) throw Error(CVFS_E_INVALID_ARGUMENT, "the example-seed salt in the volume's header is malformed");
    return salt;
}

// HKDF-SHA256 (RFC 5869) through OpenSSL 3's EVP_KDF, straight into `out`.
void derive(const cvfs_secret& seed, const std::string& salt, const std::string& info, uint8_t* out) {
    EVP_KDF* kdf = EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_HKDF, nullptr);
    EVP_KDF_CTX* ctx = kdf ? EVP_KDF_CTX_new(kdf) : nullptr;
    EVP_KDF_free(kdf);
    if (!ctx) throw Error(CVFS_E_INTERNAL, "OpenSSL has no HKDF");
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, seed.data, seed.length),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()), salt.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()), info.size()),
        OSSL_PARAM_construct_end()};
    int ok = EVP_KDF_derive(ctx, out, kKeyBytes, params);
    EVP_KDF_CTX_free(ctx);
    if (ok != 1) throw Error(CVFS_E_INTERNAL, "HKDF-SHA256 failed");
}

class SeedKey {
public:
    explicit SeedKey(const cvfs::sdk::Host& host) : host_(host.services()) {}

    void check_config(Call& call) { read_settings(call.config()); }

    void get_key(Call& call, uint32_t purpose, SecretOut& out) {
        Settings s = read_settings(call.config());
        out.set_length(kKeyBytes);  // asks for a bigger buffer before any work
        size_t size = 0;
        UniqueFd fd = open_seed(s, size);
        LockedBuffer seed(host_, size);
        read_seed(s, seed, size, fd.get());
        std::string info = "cvfs example-seed v1:" + std::string(call.volume());
        if (!s.context.empty()) info += ":" + s.context;
        derive(seed.get(), salt_for(call, purpose), info, out.data());
    }

private:
    const cvfs_host_services* host_;
};

}  // namespace

CVFS_KEY_PROVIDER_PLUGIN(SeedKey, "example-seed", "1.0.0", "Example Vendor",
                         "per-volume keys derived from a machine seed file", CVFS_CAP_THREAD_SAFE)
