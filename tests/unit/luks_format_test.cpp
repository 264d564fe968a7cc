// Formatting LUKS2 volumes on plain files, checking keys against the checked
// header copy, and spotting LUKS headers.
#include "base/error.h"
#include "luks/luks_volume.h"
#include "luks_tamper.h"

#include <catch2/catch.hpp>
#include <libcryptsetup.h>

#include <memory>

using namespace cvfs;
using luks_test::kSecret;
using luks_test::token_for;

namespace {

struct CryptFree {
    void operator()(crypt_device* cd) const { crypt_free(cd); }
};
using Device = std::unique_ptr<crypt_device, CryptFree>;

Device load_directly(const std::string& path) {
    crypt_device* cd = nullptr;
    REQUIRE(crypt_init(&cd, path.c_str()) == 0);
    Device device(cd);
    REQUIRE(crypt_load(cd, CRYPT_LUKS2, nullptr) == 0);
    return device;
}

}  // namespace

TEST_CASE("a formatted volume passes the policy and opens with its secret only") {
    luks_test::ImageFile image;
    auto secret = luks_test::secret_of(kSecret);
    auto formatted =
        FormattedVolume::format(image.path(), LuksParams{}, KdfChoice::MachineSecret, secret, token_for("data0"));

    CheckedHeader header = CheckedHeader::load(image.path(), LuksParams{});
    CHECK(header.uuid() == formatted.uuid());
    CHECK(header.keyslot() == 0);
    REQUIRE(header.token());
    CHECK(header.token()->state == TokenState::Initializing);
    CHECK(header.token()->volume == "data0");
    CHECK(header.verify_key(secret));
    CHECK_FALSE(header.verify_key(luks_test::secret_of("fedcba9876543210fedcba9876543210")));
}

TEST_CASE("format sets label, subsystem, cipher, sector size and a cheap PBKDF2 keyslot") {
    luks_test::ImageFile image;
    FormattedVolume::format(image.path(), LuksParams{}, KdfChoice::MachineSecret, luks_test::secret_of(kSecret),
                            token_for("data0"));
    Device cd = load_directly(image.path());
    CHECK(std::string(crypt_get_label(cd.get())) == "data0");
    CHECK(std::string(crypt_get_subsystem(cd.get())) == "cvfs");
    CHECK(std::string(crypt_get_cipher(cd.get())) == "aes");
    CHECK(std::string(crypt_get_cipher_mode(cd.get())) == "xts-plain64");
    CHECK(crypt_get_volume_key_size(cd.get()) == 64);
    CHECK(crypt_get_sector_size(cd.get()) == 4096);
    crypt_pbkdf_type pbkdf{};
    REQUIRE(crypt_keyslot_get_pbkdf(cd.get(), 0, &pbkdf) == 0);
    CHECK(std::string(pbkdf.type) == "pbkdf2");
    CHECK(std::string(pbkdf.hash) == "sha256");
    CHECK(pbkdf.iterations == 1000);
}

TEST_CASE("format honours a configured cipher, key size and sector size") {
    luks_test::ImageFile image;
    LuksParams params;
    params.cipher = "aes-cbc-essiv:sha256";
    params.key_bits = 256;
    params.sector_size = 512;
    auto secret = luks_test::secret_of(kSecret);
    FormattedVolume::format(image.path(), params, KdfChoice::MachineSecret, secret, token_for("v"));
    CheckedHeader header = CheckedHeader::load(image.path(), params);
    CHECK(header.verify_key(secret));
    CHECK_THROWS_AS(CheckedHeader::load(image.path(), LuksParams{}), Error);
}

TEST_CASE("format leaves the data area alone") {
    luks_test::ImageFile image;
    const std::vector<uint8_t> marker{'c', 'v', 'f', 's', '-', 'd', 'a', 't', 'a'};
    const uint64_t data_at = 24ull << 20;  // past the 16 MiB header
    luks_test::write_bytes(image.path(), data_at, marker);
    FormattedVolume::format(image.path(), LuksParams{}, KdfChoice::MachineSecret, luks_test::secret_of(kSecret),
                            token_for("v"));
    CHECK(luks_test::read_bytes(image.path(), data_at, marker.size()) == marker);
}

TEST_CASE("format refuses unusable parameters with a reason") {
    luks_test::ImageFile image;
    auto secret = luks_test::secret_of(kSecret);
    LuksParams no_mode;
    no_mode.cipher = "aes";
    CHECK_THROWS_WITH(FormattedVolume::format(image.path(), no_mode, KdfChoice::MachineSecret, secret, token_for("v")),
                      Catch::Contains("not of the form cipher-mode"));
    CHECK_THROWS_WITH(FormattedVolume::format(image.path(), LuksParams{}, KdfChoice::MachineSecret, secret,
                                              token_for(std::string(60, 'x'))),
                      Catch::Contains("LUKS2 label limit"));
    CHECK_THROWS_WITH(FormattedVolume::format("/nonexistent/cvfs-image", LuksParams{}, KdfChoice::MachineSecret,
                                              secret, token_for("v")),
                      Catch::Contains("/nonexistent/cvfs-image"));
    CHECK_FALSE(has_luks_header(image.path()));
}

TEST_CASE("a device without a LUKS2 header is refused on load") {
    luks_test::ImageFile image;
    try {
        CheckedHeader::load(image.path(), LuksParams{});
        FAIL("an empty file was accepted as a LUKS2 volume");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::Header);
        CHECK_THAT(e.what(), Catch::Contains(image.path()) && Catch::Contains("no valid LUKS2 header"));
    }
}

TEST_CASE("has_luks_header sees either header copy and nothing on zeros") {
    luks_test::ImageFile image;
    CHECK_FALSE(has_luks_header(image.path()));
    FormattedVolume::format(image.path(), LuksParams{}, KdfChoice::MachineSecret, luks_test::secret_of(kSecret),
                            token_for("v"));
    CHECK(has_luks_header(image.path()));
    luks_test::write_bytes(image.path(), 0, std::vector<uint8_t>(4096, 0));  // primary header gone
    CHECK(has_luks_header(image.path()));
}

TEST_CASE("keys are checked against the checked copy, not the disk changed after the check") {
    luks_test::ImageFile image;
    auto secret = luks_test::secret_of(kSecret);
    FormattedVolume::format(image.path(), LuksParams{}, KdfChoice::MachineSecret, secret, token_for("v"));
    CheckedHeader header = CheckedHeader::load(image.path(), LuksParams{});

    luks_test::tamper(image.path(), [](std::string& json) {
        luks_test::replace_once(json, R"("iterations":1000,)", R"("iterations":10,)");
    });

    CHECK(header.verify_key(secret));  // the disk's keyslot no longer derives this key
    CHECK_THROWS_WITH(CheckedHeader::load(image.path(), LuksParams{}),
                      Catch::Contains("keyslot 0: pbkdf2 with 10 iterations; at least 1000 required"));
}
