// Makes the LUKS2 seeds of the fuzz corpus with libcryptsetup: a header as
// `cvfs init` writes it (through the engine's FormattedVolume) and one with
// libcryptsetup's own defaults (what `cryptsetup luksFormat` writes), each on a
// small sparse file. A seed keeps only the two 16 KiB metadata copies: the
// header targets read the keyslots area as zeros. Beside each header, its
// JSON metadata (for luks_json) and, for the cvfs one, its token.
//
//   make_luks_seeds <corpus folder>    writes luks_header/, luks_json/
#include <fcntl.h>
#include <libcryptsetup.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "base/error.h"
#include "base/secure_buffer.h"
#include "luks/luks_volume.h"

namespace fs = std::filesystem;

namespace {

constexpr off_t kDeviceSize = 32 << 20;

std::string scratch_file(const fs::path& dir, const char* name) {
    std::string path = (dir / name).string();
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ::ftruncate(fd, kDeviceSize) != 0) throw std::runtime_error("cannot make " + path);
    ::close(fd);
    return path;
}

void check(int rc, const std::string& what) {
    if (rc < 0) throw std::runtime_error(what + " failed: " + std::to_string(rc));
}

void write_text(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

// The metadata copies of `device` into corpus/luks_header/<name>, its JSON
// into corpus/luks_json/<name>.json, and each token into <name>-token<N>.json.
void keep_seed(const std::string& device, const fs::path& corpus, const std::string& name) {
    crypt_device* cd = nullptr;
    check(crypt_init(&cd, device.c_str()), "crypt_init");
    check(crypt_load(cd, CRYPT_LUKS2, nullptr), "crypt_load");
    uint64_t metadata = 0, keyslots = 0;
    check(crypt_get_metadata_size(cd, &metadata, &keyslots), "crypt_get_metadata_size");
    const char* json = nullptr;
    check(crypt_dump_json(cd, &json, 0), "crypt_dump_json");
    write_text(corpus / "luks_json" / (name + ".json"), json);
    for (int id = 0; id < 32; ++id) {
        const char* token = nullptr;
        if (crypt_token_json_get(cd, id, &token) >= 0)
            write_text(corpus / "luks_json" / (name + "-token" + std::to_string(id) + ".json"), token);
    }
    crypt_free(cd);
    fs::copy_file(device, corpus / "luks_header" / name, fs::copy_options::overwrite_existing);
    fs::resize_file(corpus / "luks_header" / name, 2 * metadata);
}

void cvfs_header(const std::string& device, const cvfs::LuksParams& params) {
    cvfs::SecureBuffer secret(32);
    secret.resize(32);
    for (size_t i = 0; i < secret.size(); ++i) secret.data()[i] = static_cast<uint8_t>(i * 7 + 1);
    cvfs::CvfsToken token;
    token.volume = "data0";
    token.provider = "keyfile";
    token.fs = "ext4";
    token.created_by = "cvfs 0.1.0";
    token.state = cvfs::TokenState::Ready;
    (void)cvfs::FormattedVolume::format(device, params, cvfs::KdfChoice::MachineSecret, secret, token);
}

void cryptsetup_defaults(const std::string& device) {
    crypt_device* cd = nullptr;
    check(crypt_init(&cd, device.c_str()), "crypt_init");
    // What `cryptsetup luksFormat` does with no options: LUKS2, the compiled-in
    // cipher and key size, argon2id benchmarked (kept short here).
    crypt_pbkdf_type pbkdf = *crypt_get_pbkdf_default(CRYPT_LUKS2);
    pbkdf.time_ms = 100;
    check(crypt_set_pbkdf_type(cd, &pbkdf), "crypt_set_pbkdf_type");
    check(crypt_format(cd, CRYPT_LUKS2, "aes", "xts-plain64", nullptr, nullptr, 64, nullptr), "crypt_format");
    check(crypt_keyslot_add_by_volume_key(cd, CRYPT_ANY_SLOT, nullptr, 0, "a passphrase", 12), "keyslot_add");
    crypt_free(cd);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <corpus folder>\n", argv[0]);
        return 2;
    }
    try {
        fs::path corpus = argv[1];
        fs::create_directories(corpus / "luks_header");
        fs::create_directories(corpus / "luks_json");
        fs::path scratch = fs::temp_directory_path() / ("cvfs-seeds-" + std::to_string(::getpid()));
        fs::create_directories(scratch);
        std::string device = scratch_file(scratch, "cvfs-default");
        cvfs_header(device, cvfs::LuksParams{});
        keep_seed(device, corpus, "cvfs-default");
        cvfs::LuksParams hmac;
        hmac.integrity = cvfs::IntegrityMode::HmacSha256;
        device = scratch_file(scratch, "cvfs-hmac-sha256");
        try {
            cvfs_header(device, hmac);
            keep_seed(device, corpus, "cvfs-hmac-sha256");
        } catch (const cvfs::Error& e) {
            std::fprintf(stderr, "no integrity seed: %s\n", e.what());
        }
        device = scratch_file(scratch, "cryptsetup-defaults");
        cryptsetup_defaults(device);
        keep_seed(device, corpus, "cryptsetup-defaults");
        fs::remove_all(scratch);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "make_luks_seeds: %s\n", e.what());
        return 1;
    }
    return 0;
}
