// The header allow-list against headers a hostile host could write: each
// tampered header is rewritten with valid checksums, so libcryptsetup loads
// it and the refusal comes from cvfs (or, where noted, libcryptsetup already
// refuses it, and the policy is shown to refuse the same JSON on its own).
#include "base/error.h"
#include "base/log.h"
#include "luks/header_facts.h"
#include "luks/header_policy.h"
#include "luks/luks_volume.h"
#include "luks_tamper.h"

#include <catch2/catch.hpp>
#include <libcryptsetup.h>
#include <unistd.h>

#include <algorithm>

using namespace cvfs;
using luks_test::kSecret;
using luks_test::token_for;

namespace {

void format_default(const std::string& path, const LuksParams& params = {}) {
    FormattedVolume::format(path, params, KdfChoice::MachineSecret, luks_test::secret_of(kSecret), token_for("v"));
}

// The message CheckedHeader::load refuses `path` with.
std::string load_refusal(const std::string& path, const LuksParams& expected = {}) {
    try {
        CheckedHeader::load(path, expected);
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::Header);
        return e.what();
    }
    FAIL("the header was accepted");
    return {};
}

// The problems the policy finds in JSON metadata alone.
std::string policy_refusal(const std::string& json, const LuksParams& expected = {}) {
    PolicyFindings findings = check_header_policy(header_facts_from_json(json), expected);
    std::string all;
    for (const auto& p : findings.problems) all += p + "\n";
    return all;
}

void tamper_replace(const std::string& path, const std::string& from, const std::string& to) {
    luks_test::tamper(path, [&](std::string& json) { luks_test::replace_once(json, from, to); });
}

// The attack of the Trail of Bits report: the data segment's cipher becomes
// cipher_null. (Formatting with cipher_null directly needs device-mapper,
// which libcryptsetup uses to test the cipher.)
void make_null_cipher_header(const std::string& path) {
    format_default(path);
    tamper_replace(path, R"("encryption":"aes-xts-plain64","sector_size":4096)",
                   R"("encryption":"cipher_null-ecb","sector_size":4096)");
}

}  // namespace

TEST_CASE("policy: a null data cipher is refused") {
    luks_test::ImageFile image;
    make_null_cipher_header(image.path());
    CHECK_THAT(load_refusal(image.path()),
               Catch::Contains("segment 0 uses cipher cipher_null-ecb; expected aes-xts-plain64 (512-bit key)"));
}

TEST_CASE("policy: the refusal carries a tampering hint") {
    luks_test::ImageFile image;
    make_null_cipher_header(image.path());
    try {
        CheckedHeader::load(image.path(), LuksParams{});
        FAIL("accepted");
    } catch (const Error& e) {
        CHECK_THAT(e.hint(), Catch::Contains("tampered with"));
    }
}

TEST_CASE("policy: a weak keyslot KDF is refused") {
    luks_test::ImageFile image;
    format_default(image.path());
    tamper_replace(image.path(), R"("iterations":1000,)", R"("iterations":10,)");
    CHECK_THAT(load_refusal(image.path()), Catch::Contains("keyslot 0: pbkdf2 with 10 iterations; at least 1000 required"));
}

TEST_CASE("policy: a weak digest is refused") {
    luks_test::ImageFile image;
    format_default(image.path());
    luks_test::tamper(image.path(), [](std::string& json) {
        auto digests = json.find(R"("digests")");
        json.replace(json.find(R"("iterations":1000,)", digests), 18, R"("iterations":10,)");
    });
    CHECK_THAT(load_refusal(image.path()), Catch::Contains("digest 0: pbkdf2 with 10 iterations; at least 1000 required"));
}

TEST_CASE("policy: an argon2id keyslot with a huge memory cost is refused") {
    luks_test::ImageFile image;
    format_default(image.path());
    tamper_replace(image.path(), R"("kdf":{"type":"pbkdf2","hash":"sha256","iterations":1000,)",
                   R"("kdf":{"type":"argon2id","time":4,"memory":67108864,"cpus":4,)");
    CHECK_THAT(load_refusal(image.path()),
               Catch::Contains("keyslot 0: argon2id with memory 67108864 KiB; expected 32768 to "));
}

TEST_CASE("policy: an argon2id keyslot within bounds is accepted") {
    luks_test::ImageFile image;
    format_default(image.path());
    crypt_device* cd = nullptr;
    REQUIRE(crypt_init(&cd, image.path().c_str()) == 0);
    REQUIRE(crypt_load(cd, CRYPT_LUKS2, nullptr) == 0);
    crypt_pbkdf_type argon{CRYPT_KDF_ARGON2ID, nullptr, 0, 4, 32 * 1024, 1, CRYPT_PBKDF_NO_BENCHMARK};
    REQUIRE(crypt_set_pbkdf_type(cd, &argon) == 0);
    const std::string passphrase = "correct horse battery staple";
    int slot = crypt_keyslot_add_by_passphrase(cd, 1, kSecret.data(), kSecret.size(), passphrase.data(),
                                               passphrase.size());
    crypt_free(cd);
    REQUIRE(slot == 1);
    CHECK_NOTHROW(CheckedHeader::load(image.path(), LuksParams{}));
}

TEST_CASE("policy: a data segment moved into the keyslots area is refused") {
    luks_test::ImageFile image;
    format_default(image.path());
    std::string json = luks_test::read_metadata_json(image.path());
    luks_test::replace_once(json, R"("offset":"16777216")", R"("offset":"1048576")");
    CHECK_THAT(policy_refusal(json), Catch::Contains("segment 0 starts at byte 1048576, inside the header and "
                                                     "keyslots area; expected at least 16777216"));
    luks_test::write_metadata_json(image.path(), json);
    // libcryptsetup's own validation already refuses this layout on load.
    CHECK_THAT(load_refusal(image.path()), Catch::Contains("has no valid LUKS2 header"));
}

TEST_CASE("policy: a keyslot area outside the keyslots area is refused") {
    luks_test::ImageFile image;
    format_default(image.path());
    std::string json = luks_test::read_metadata_json(image.path());
    luks_test::replace_once(json, R"("offset":"32768")", R"("offset":"16777216")");
    CHECK_THAT(policy_refusal(json), Catch::Contains("keyslot 0: area at byte 16777216 of size 258048; expected "
                                                     "inside the keyslots area [32768, 16777216)"));
    luks_test::write_metadata_json(image.path(), json);
    // libcryptsetup's own validation already refuses this layout on load.
    CHECK_THAT(load_refusal(image.path()), Catch::Contains("has no valid LUKS2 header"));
}

TEST_CASE("policy: a null keyslot cipher is refused") {
    luks_test::ImageFile image;
    format_default(image.path());
    std::string json = luks_test::read_metadata_json(image.path());
    luks_test::replace_once(json, R"("encryption":"aes-xts-plain64","key_size":64)",
                            R"("encryption":"cipher_null-ecb","key_size":64)");
    luks_test::write_metadata_json(image.path(), json);
    CHECK_THAT(load_refusal(image.path()),
               Catch::Contains("keyslot 0: area encryption cipher_null-ecb with a 512-bit area key; expected "
                               "aes-xts-plain64 with a 512-bit area key"));
}

TEST_CASE("policy: a header differing from the configuration is refused") {
    luks_test::ImageFile image;
    format_default(image.path());
    LuksParams cipher;
    cipher.cipher = "aes-cbc-essiv:sha256";
    CHECK_THAT(load_refusal(image.path(), cipher),
               Catch::Contains("segment 0 uses cipher aes-xts-plain64; expected aes-cbc-essiv:sha256 (512-bit key)"));
    LuksParams key;
    key.key_bits = 256;
    CHECK_THAT(load_refusal(image.path(), key),
               Catch::Contains("the volume key has 512 bits; expected 256 for aes-xts-plain64"));
    LuksParams sector;
    sector.sector_size = 512;
    CHECK_THAT(load_refusal(image.path(), sector), Catch::Contains("segment 0 has sector size 4096; expected 512"));
    LuksParams integrity;
    integrity.integrity = IntegrityMode::HmacSha256;
    CHECK_THAT(load_refusal(image.path(), integrity),
               Catch::Contains("segment 0 has no integrity; expected integrity hmac(sha256)"));
}

TEST_CASE("policy: a second data segment is refused") {
    luks_test::ImageFile image;
    format_default(image.path());
    std::string json = luks_test::read_metadata_json(image.path());
    luks_test::replace_once(json, R"("segments":{"0":{"type":"crypt","offset":"16777216","size":"dynamic")",
                            R"("segments":{"1":{"type":"linear","offset":"33554432","size":"dynamic"},)"
                            R"("0":{"type":"crypt","offset":"16777216","size":"16777216")");
    luks_test::write_metadata_json(image.path(), json);
    CHECK_THAT(load_refusal(image.path()),
               Catch::Contains("the header has 2 data segments; expected exactly 1") &&
                   Catch::Contains("segment 1 has type \"linear\"; expected \"crypt\"") &&
                   Catch::Contains("segment 0 has size 16777216; expected \"dynamic\""));
}

TEST_CASE("policy: an hmac-sha256 integrity header passes for an integrity volume only") {
    luks_test::ImageFile image;
    format_default(image.path());
    luks_test::tamper(image.path(), [](std::string& json) {
        luks_test::replace_once(json, R"("sector_size":4096)",
                                R"j("sector_size":4096,"integrity":{"type":"hmac(sha256)",)j"
                                R"("journal_encryption":"none","journal_integrity":"none"})");
        luks_test::replace_once(json, R"("type":"luks2","key_size":64)", R"("type":"luks2","key_size":96)");
    });
    LuksParams hmac;
    hmac.integrity = IntegrityMode::HmacSha256;
    CHECK_NOTHROW(CheckedHeader::load(image.path(), hmac));
    CHECK_THAT(load_refusal(image.path()),
               Catch::Contains("segment 0 has integrity hmac(sha256); expected no integrity") &&
                   Catch::Contains("the volume key has 768 bits; expected 512"));
}

TEST_CASE("policy: an aead header passes for an aead volume only") {
    luks_test::ImageFile image;
    format_default(image.path());
    luks_test::tamper(image.path(), [](std::string& json) {
        luks_test::replace_once(json, R"("encryption":"aes-xts-plain64","sector_size":4096)",
                                R"("encryption":"aes-gcm-random","sector_size":4096,"integrity":{"type":"aead",)"
                                R"("journal_encryption":"none","journal_integrity":"none"})");
        luks_test::replace_once(json, R"("type":"luks2","key_size":64)", R"("type":"luks2","key_size":32)");
    });
    LuksParams aead;
    aead.integrity = IntegrityMode::Aead;
    CHECK_NOTHROW(CheckedHeader::load(image.path(), aead));
    LuksParams hmac;
    hmac.integrity = IntegrityMode::HmacSha256;
    CHECK_THAT(load_refusal(image.path(), hmac),
               Catch::Contains("segment 0 uses cipher aes-gcm-random; expected aes-xts-plain64 (768-bit key)"));
}

TEST_CASE("policy: foreign tokens are allowed with a warning, a second cvfs token is not") {
    luks_test::ImageFile image;
    format_default(image.path());
    crypt_device* cd = nullptr;
    REQUIRE(crypt_init(&cd, image.path().c_str()) == 0);
    REQUIRE(crypt_load(cd, CRYPT_LUKS2, nullptr) == 0);
    REQUIRE(crypt_token_json_set(cd, CRYPT_ANY_TOKEN, R"({"type":"vendor-escrow","keyslots":[]})") >= 0);
    crypt_free(cd);

    std::vector<std::string> warnings;
    set_log_sink([&](LogLevel level, const std::string& line) {
        if (level == LogLevel::Warning) warnings.push_back(line);
    });
    CHECK_NOTHROW(CheckedHeader::load(image.path(), LuksParams{}));
    set_log_sink({});
    REQUIRE(warnings.size() == 1);
    CHECK_THAT(warnings[0], Catch::Contains("has type \"vendor-escrow\", which cvfs does not use"));

    tamper_replace(image.path(), R"("type":"vendor-escrow")", R"("type":"cvfs")");
    CHECK_THAT(load_refusal(image.path()), Catch::Contains("the header has 2 cvfs tokens; expected at most 1"));
}

TEST_CASE("policy: argon2 time and thread counts outside the bounds are refused") {
    luks_test::ImageFile image;
    format_default(image.path());
    std::string json = luks_test::read_metadata_json(image.path());
    luks_test::replace_once(json, R"("kdf":{"type":"pbkdf2","hash":"sha256","iterations":1000,)",
                            R"("kdf":{"type":"argon2i","time":1,"memory":65536,"cpus":128,)");
    CHECK_THAT(policy_refusal(json), Catch::Contains("keyslot 0: argon2i with time cost 1; expected 4 to 100") &&
                                         Catch::Contains("keyslot 0: argon2i with 128 threads; expected 1 to 64"));
    CHECK(policy_refusal(luks_test::read_metadata_json(image.path())).empty());
}

// The weak values a host could still write after the first allow-list: each
// one tampered into a header cvfs made, each refused naming field and value.
TEST_CASE("policy: a keyslot area encrypted with aes-ecb is refused") {
    luks_test::ImageFile image;
    format_default(image.path());
    tamper_replace(image.path(), R"("encryption":"aes-xts-plain64","key_size":64)",
                   R"("encryption":"aes-ecb","key_size":64)");
    CHECK_THAT(load_refusal(image.path()),
               Catch::Contains("keyslot 0: area encryption aes-ecb with a 512-bit area key; expected "
                               "aes-xts-plain64 with a 512-bit area key"));
}

TEST_CASE("policy: a keyslot area key shorter than what libcryptsetup writes is refused") {
    luks_test::ImageFile image;
    format_default(image.path());
    std::string json = luks_test::read_metadata_json(image.path());
    luks_test::replace_once(json, R"("encryption":"aes-xts-plain64","key_size":64)",
                            R"("encryption":"aes-xts-plain64","key_size":32)");
    CHECK_THAT(policy_refusal(json), Catch::Contains("keyslot 0: area encryption aes-xts-plain64 with a 256-bit area "
                                                     "key; expected aes-xts-plain64 with a 512-bit area key"));
}

TEST_CASE("policy: an anti-forensic splitter with 1 stripe is refused") {
    luks_test::ImageFile image;
    format_default(image.path());
    tamper_replace(image.path(), R"("stripes":4000)", R"("stripes":1)");
    CHECK_THAT(load_refusal(image.path()), Catch::Contains("keyslot 0: af stripes 1; expected 4000"));
}

TEST_CASE("policy: md5 as the anti-forensic hash is refused") {
    luks_test::ImageFile image;
    format_default(image.path());
    tamper_replace(image.path(), R"("stripes":4000,"hash":"sha256")", R"("stripes":4000,"hash":"md5")");
    CHECK_THAT(load_refusal(image.path()),
               Catch::Contains("keyslot 0: af hash md5; expected sha256, sha384 or sha512"));
}

TEST_CASE("policy: sha1 as the anti-forensic hash is refused") {
    luks_test::ImageFile image;
    format_default(image.path());
    tamper_replace(image.path(), R"("stripes":4000,"hash":"sha256")", R"("stripes":4000,"hash":"sha1")");
    CHECK_THAT(load_refusal(image.path()),
               Catch::Contains("keyslot 0: af hash sha1; expected sha256, sha384 or sha512"));
}

TEST_CASE("policy: md5 as the digest hash is refused") {
    luks_test::ImageFile image;
    format_default(image.path());
    luks_test::tamper(image.path(), [](std::string& json) {
        auto digests = json.find(R"("digests")");
        const std::string from = R"("hash":"sha256")";
        json.replace(json.find(from, digests), from.size(), R"("hash":"md5")");
    });
    CHECK_THAT(load_refusal(image.path()),
               Catch::Contains("digest 0: pbkdf2 with hash md5; expected sha256, sha384 or sha512"));
}

TEST_CASE("policy: md5 as the keyslot pbkdf2 hash is refused") {
    luks_test::ImageFile image;
    format_default(image.path());
    tamper_replace(image.path(), R"("kdf":{"type":"pbkdf2","hash":"sha256")", R"("kdf":{"type":"pbkdf2","hash":"md5")");
    CHECK_THAT(load_refusal(image.path()),
               Catch::Contains("keyslot 0: pbkdf2 with hash md5; expected sha256, sha384 or sha512"));
}

TEST_CASE("policy: an argon2id keyslot with 4 GiB of memory is refused") {
    luks_test::ImageFile image;
    format_default(image.path());
    tamper_replace(image.path(), R"("kdf":{"type":"pbkdf2","hash":"sha256","iterations":1000,)",
                   R"("kdf":{"type":"argon2id","time":4,"memory":4194304,"cpus":4,)");
    // The ceiling, worked out here on its own: 1 GiB, or half of the RAM.
    const uint64_t half_ram_kb =
        static_cast<uint64_t>(::sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE)) / 2048;
    const uint64_t ceiling = std::min<uint64_t>(1024 * 1024, half_ram_kb);
    CHECK_THAT(load_refusal(image.path()),
               Catch::Contains("keyslot 0: argon2id with memory 4194304 KiB; expected 32768 to " +
                               std::to_string(ceiling) + " KiB"));
}

TEST_CASE("policy: an argon2id keyslot with cryptsetup's 1 GiB default is accepted where RAM allows") {
    luks_test::ImageFile image;
    format_default(image.path());
    std::string json = luks_test::read_metadata_json(image.path());
    luks_test::replace_once(json, R"("kdf":{"type":"pbkdf2","hash":"sha256","iterations":1000,)",
                            R"("kdf":{"type":"argon2id","time":4,"memory":1048576,"cpus":4,)");
    const bool enough_ram = static_cast<uint64_t>(::sysconf(_SC_PHYS_PAGES)) *
                                static_cast<uint64_t>(::sysconf(_SC_PAGESIZE)) >= (uint64_t{2} << 30);
    CHECK(policy_refusal(json).empty() == enough_ram);
}

TEST_CASE("policy: the keyslot of a 256-bit aes-xts volume keeps libcryptsetup's 256-bit area key") {
    luks_test::ImageFile image;
    LuksParams key256;
    key256.key_bits = 256;
    format_default(image.path(), key256);
    CHECK_THAT(luks_test::read_metadata_json(image.path()),
               Catch::Contains(R"("encryption":"aes-xts-plain64","key_size":32)"));
    CHECK_NOTHROW(CheckedHeader::load(image.path(), key256));
    // The same 256-bit area key is not what libcryptsetup writes for a 512-bit volume.
    CHECK_THAT(load_refusal(image.path(), LuksParams{}),
               Catch::Contains("keyslot 0: area encryption aes-xts-plain64 with a 256-bit area key; expected "
                               "aes-xts-plain64 with a 512-bit area key"));
}

TEST_CASE("policy: a header made by libcryptsetup's defaults is accepted") {
    luks_test::ImageFile image;
    crypt_device* cd = nullptr;
    REQUIRE(crypt_init(&cd, image.path().c_str()) == 0);
    crypt_params_luks2 params{};
    params.sector_size = 4096;
    REQUIRE(crypt_format(cd, CRYPT_LUKS2, "aes", "xts-plain64", nullptr, nullptr, 64, &params) == 0);
    const std::string passphrase = "correct horse battery staple";
    int slot = crypt_keyslot_add_by_volume_key(cd, CRYPT_ANY_SLOT, nullptr, 0, passphrase.data(), passphrase.size());
    crypt_free(cd);
    REQUIRE(slot == 0);
    const std::string json = luks_test::read_metadata_json(image.path());
    CHECK_THAT(json, Catch::Contains(R"("type":"argon2id")"));
    CHECK(policy_refusal(json).empty());
    CHECK_NOTHROW(CheckedHeader::load(image.path(), LuksParams{}));
}
