// Header JSON nested far deeper than any LUKS2 header is (100000 levels, as a
// hostile host can write into the secondary copy's JSON area with a valid
// checksum) must be refused or ignored with a clear error, never parsed by a
// recursive parser until the stack overflows.
#include "base/error.h"
#include "luks/cvfs_token.h"
#include "luks/luks_volume.h"
#include "luks_tamper.h"

#include <catch2/catch.hpp>
#include <libcryptsetup.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

using namespace cvfs;
using luks_test::kSecret;

namespace {

constexpr size_t kDepth = 100000;
constexpr uint64_t kMetadataSize = 256 * 1024;  // room in the JSON area for 200000 brackets

std::string deep_json() { return "{\"x\":" + std::string(kDepth, '[') + std::string(kDepth, ']') + "}"; }

// A LUKS2 header with large metadata copies, made with libcryptsetup itself.
void format_large_metadata(const std::string& path) {
    crypt_device* cd = nullptr;
    REQUIRE(crypt_init(&cd, path.c_str()) == 0);
    REQUIRE(crypt_set_metadata_size(cd, kMetadataSize, 0) == 0);
    crypt_pbkdf_type pbkdf{CRYPT_KDF_PBKDF2, "sha256", 0, 1000, 0, 0, CRYPT_PBKDF_NO_BENCHMARK};
    crypt_params_luks2 params{};
    params.pbkdf = &pbkdf;
    params.sector_size = 4096;
    REQUIRE(crypt_format(cd, CRYPT_LUKS2, "aes", "xts-plain64", nullptr, nullptr, 64, &params) == 0);
    REQUIRE(crypt_keyslot_add_by_volume_key(cd, 0, nullptr, 0, kSecret.data(), kSecret.size()) == 0);
    crypt_free(cd);
}

// Replaces the JSON of the secondary copy only, with a valid checksum.
void nest_secondary(const std::string& path) {
    REQUIRE(luks_test::metadata_size(path) == kMetadataSize);
    auto copy = luks_test::read_bytes(path, kMetadataSize, kMetadataSize);
    const std::string json = deep_json();
    REQUIRE(json.size() < kMetadataSize - luks_test::kBinaryHeaderSize);
    std::fill(copy.begin() + luks_test::kBinaryHeaderSize, copy.end(), 0);
    std::memcpy(copy.data() + luks_test::kBinaryHeaderSize, json.data(), json.size());
    luks_test::sha256_into(copy);
    luks_test::write_bytes(path, kMetadataSize, copy);
}

// The image in a memfd sealed against writing, so libcryptsetup cannot
// "repair" the secondary copy before cvfs copies the header: the raw bytes
// cvfs reads stay the hostile ones, as when the host rewrites them after the
// repair. Returns the fd; its /proc path is the device.
int sealed_copy_of(const std::string& path, uint64_t bytes) {
    int fd = ::memfd_create("cvfs-test-device", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    REQUIRE(fd >= 0);
    auto image = luks_test::read_bytes(path, 0, bytes);
    REQUIRE(::pwrite(fd, image.data(), image.size(), 0) == static_cast<ssize_t>(image.size()));
    REQUIRE(::fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK) == 0);
    return fd;
}

}  // namespace

TEST_CASE("deep json: a cvfs token nested 100000 deep is refused as invalid") {
    try {
        CvfsToken::from_json(deep_json());
        FAIL("the token was accepted");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::Header);
        CHECK(std::string(e.what()).find("nests objects or arrays more than 32 levels deep") !=
              std::string::npos);
    }
}

TEST_CASE("deep json: a secondary header nested 100000 deep does not crash the header check") {
    luks_test::ImageFile image(32);
    format_large_metadata(image.path());
    nest_secondary(image.path());
    int fd = sealed_copy_of(image.path(), 32ull << 20);
    const std::string device = "/proc/self/fd/" + std::to_string(fd);

    std::string outcome = "accepted";
    try {
        CheckedHeader header = CheckedHeader::load(device, LuksParams{});
        CHECK_FALSE(header.uuid().empty());  // the primary copy, which is valid
    } catch (const Error& e) {
        outcome = e.what();
        CHECK(e.kind() == ErrorKind::Header);
        CHECK_FALSE(outcome.empty());
    }
    INFO("outcome: " << outcome);
    // The hostile copy was still there when cvfs read the header.
    auto secondary = luks_test::read_bytes(device, kMetadataSize + luks_test::kBinaryHeaderSize, 16);
    CHECK(std::string(secondary.begin(), secondary.end()) == "{\"x\":" + std::string(11, '['));
    ::close(fd);
}
