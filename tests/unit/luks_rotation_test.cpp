// Keyslot rotation for `cvfs reseal`: the new key's keyslot replaces the one
// the cvfs token named, proven by the old key or by another keyslot's
// passphrase; recovery keyslots survive; a wrong key or a swapped header
// changes nothing. On plain image files, as libcryptsetup allows.
#include <libcryptsetup.h>

#include <catch2/catch.hpp>

#include "base/error.h"
#include "luks/keyslot_rotation.h"
#include "luks/luks_volume.h"
#include "luks_tamper.h"

using namespace cvfs;
using luks_test::secret_of;

namespace {

const std::string kOld = luks_test::kSecret;
const std::string kNew = "fedcba9876543210fedcba9876543210";
const std::string kRecovery = "a recovery passphrase";

// Adds a keyslot for `passphrase`, as an operator adds a recovery key.
int add_recovery_keyslot(const std::string& path, const std::string& existing, const std::string& passphrase) {
    crypt_device* cd = nullptr;
    REQUIRE(crypt_init(&cd, path.c_str()) == 0);
    REQUIRE(crypt_load(cd, CRYPT_LUKS2, nullptr) == 0);
    crypt_pbkdf_type pbkdf{CRYPT_KDF_PBKDF2, "sha256", 0, 1000, 0, 0, CRYPT_PBKDF_NO_BENCHMARK};
    REQUIRE(crypt_set_pbkdf_type(cd, &pbkdf) == 0);
    int slot = crypt_keyslot_add_by_passphrase(cd, CRYPT_ANY_SLOT, existing.data(), existing.size(),
                                               passphrase.data(), passphrase.size());
    crypt_free(cd);
    REQUIRE(slot >= 0);
    return slot;
}

// The keyslot `passphrase` opens on disk, or -1.
int opens(const std::string& path, const std::string& passphrase) {
    crypt_device* cd = nullptr;
    REQUIRE(crypt_init(&cd, path.c_str()) == 0);
    REQUIRE(crypt_load(cd, CRYPT_LUKS2, nullptr) == 0);
    int slot = crypt_activate_by_passphrase(cd, nullptr, CRYPT_ANY_SLOT, passphrase.data(), passphrase.size(), 0);
    crypt_free(cd);
    return slot >= 0 ? slot : -1;
}

CvfsToken resealed_token() {
    CvfsToken token = luks_test::token_for("data0");
    token.state = TokenState::Ready;
    token.provider_data = {{"tpm.format", "1"}, {"tpm.public", "00ff"}};
    return token;
}

std::string uuid_of(const std::string& path) { return CheckedHeader::load(path, LuksParams{}).uuid(); }

// The keyslot lists of the header's tokens, read with libcryptsetup.
std::vector<std::vector<int>> list_token_keyslots(const std::string& path) {
    crypt_device* cd = nullptr;
    REQUIRE(crypt_init(&cd, path.c_str()) == 0);
    REQUIRE(crypt_load(cd, CRYPT_LUKS2, nullptr) == 0);
    std::vector<std::vector<int>> lists;
    for (int id = 0; id < 32; ++id) {
        const char* json = nullptr;
        if (crypt_token_json_get(cd, id, &json) < 0 || !json) continue;
        // The "keyslots" list in its order (the first is the current one),
        // each entry also assigned in libcryptsetup's view.
        std::string text = json;
        auto begin = text.find("\"keyslots\":[");
        REQUIRE(begin != std::string::npos);
        std::string list = text.substr(begin + 12, text.find(']', begin) - begin - 12);
        std::vector<int> keyslots;
        for (size_t at = list.find('"'); at != std::string::npos; at = list.find('"', list.find('"', at + 1) + 1)) {
            int slot = std::stoi(list.substr(at + 1));
            CHECK(crypt_token_is_assigned(cd, id, slot) == 0);
            keyslots.push_back(slot);
        }
        lists.push_back(keyslots);
    }
    crypt_free(cd);
    return lists;
}

// Replaces the header's one token by `json`, as libcryptsetup takes it.
void write_token_naming(const std::string& path, const std::string& json) {
    crypt_device* cd = nullptr;
    REQUIRE(crypt_init(&cd, path.c_str()) == 0);
    REQUIRE(crypt_load(cd, CRYPT_LUKS2, nullptr) == 0);
    CHECK(crypt_token_json_set(cd, 0, json.c_str()) == 0);
    crypt_free(cd);
}

}  // namespace

TEST_CASE("reseal with the old key puts the new key in a new keyslot and removes the old one") {
    luks_test::ImageFile image;
    FormattedVolume::format(image.path(), LuksParams{}, KdfChoice::MachineSecret, secret_of(kOld),
                            luks_test::token_for("data0"));
    KeyslotRotation r = rotate_keyslot(image.path(), LuksParams{}, uuid_of(image.path()), secret_of(kOld), secret_of(kNew),
                                       KdfChoice::MachineSecret, resealed_token());
    CHECK(r.old_keyslot == 0);
    CHECK(r.unlocked_keyslot == 0);
    CHECK(r.new_keyslot != 0);

    CheckedHeader header = CheckedHeader::load(image.path(), LuksParams{});  // still passes the allow-list
    CHECK(header.keyslot() == r.new_keyslot);
    CHECK(header.token()->provider_data == resealed_token().provider_data);
    CHECK(header.verify_key(secret_of(kNew)));
    CHECK(opens(image.path(), kOld) == -1);
    CHECK(opens(image.path(), kNew) == r.new_keyslot);
}

TEST_CASE("reseal with a recovery passphrase keeps the recovery keyslot") {
    luks_test::ImageFile image;
    FormattedVolume::format(image.path(), LuksParams{}, KdfChoice::MachineSecret, secret_of(kOld),
                            luks_test::token_for("data0"));
    int recovery = add_recovery_keyslot(image.path(), kOld, kRecovery);
    KeyslotRotation r = rotate_keyslot(image.path(), LuksParams{}, uuid_of(image.path()), secret_of(kRecovery), secret_of(kNew),
                                       KdfChoice::MachineSecret, resealed_token());
    CHECK(r.unlocked_keyslot == recovery);
    CHECK(r.old_keyslot == 0);
    CHECK(opens(image.path(), kOld) == -1);
    CHECK(opens(image.path(), kRecovery) == recovery);
    CHECK(opens(image.path(), kNew) == r.new_keyslot);
    CHECK(CheckedHeader::load(image.path(), LuksParams{}).keyslot() == r.new_keyslot);

    // And again: a second reseal replaces the keyslot of the first.
    const std::string newer = "0011223344556677889900aabbccddee";
    KeyslotRotation again = rotate_keyslot(image.path(), LuksParams{}, uuid_of(image.path()), secret_of(kNew), secret_of(newer),
                                           KdfChoice::MachineSecret, resealed_token());
    CHECK(again.old_keyslot == r.new_keyslot);
    CHECK(opens(image.path(), kNew) == -1);
    CHECK(opens(image.path(), newer) == again.new_keyslot);
    CHECK(opens(image.path(), kRecovery) == recovery);
}

TEST_CASE("reseal with a key that opens no keyslot changes nothing") {
    luks_test::ImageFile image;
    FormattedVolume::format(image.path(), LuksParams{}, KdfChoice::MachineSecret, secret_of(kOld),
                            luks_test::token_for("data0"));
    auto before = luks_test::read_metadata_json(image.path());
    CHECK_THROWS_WITH(rotate_keyslot(image.path(), LuksParams{}, uuid_of(image.path()), secret_of("not the key"), secret_of(kNew),
                                     KdfChoice::MachineSecret, resealed_token()),
                      Catch::Contains("opens none of its keyslots"));
    CHECK(luks_test::read_metadata_json(image.path()) == before);
    CHECK(opens(image.path(), kOld) == 0);
}

TEST_CASE("reseal refuses a header other than the one checked") {
    luks_test::ImageFile image;
    FormattedVolume::format(image.path(), LuksParams{}, KdfChoice::MachineSecret, secret_of(kOld),
                            luks_test::token_for("data0"));
    try {
        rotate_keyslot(image.path(), LuksParams{}, "00000000-0000-0000-0000-000000000000", secret_of(kOld), secret_of(kNew),
                       KdfChoice::MachineSecret, resealed_token());
        FAIL("a different header was accepted");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::Header);
        CHECK_THAT(e.what(), Catch::Contains("changed while cvfs worked on it"));
    }
    CHECK(opens(image.path(), kOld) == 0);
}

TEST_CASE("reseal leaves a token that names only the new keyslot") {
    luks_test::ImageFile image;
    FormattedVolume::format(image.path(), LuksParams{}, KdfChoice::MachineSecret, secret_of(kOld),
                            luks_test::token_for("data0"));
    KeyslotRotation r = rotate_keyslot(image.path(), LuksParams{}, uuid_of(image.path()), secret_of(kOld), secret_of(kNew),
                                       KdfChoice::MachineSecret, resealed_token());
    auto tokens = list_token_keyslots(image.path());
    REQUIRE(tokens.size() == 1);
    CHECK(tokens[0] == std::vector<int>{r.new_keyslot});
}

TEST_CASE("a reseal stopped before it removed the old keyslot is finished by the next one") {
    // The header as a reseal leaves it when killed after writing the token:
    // a second keyslot, and the token naming it first and the old one after.
    luks_test::ImageFile image;
    FormattedVolume::format(image.path(), LuksParams{}, KdfChoice::MachineSecret, secret_of(kOld),
                            luks_test::token_for("data0"));
    int recovery = add_recovery_keyslot(image.path(), kOld, kRecovery);
    int half = add_recovery_keyslot(image.path(), kOld, kNew);
    write_token_naming(image.path(), resealed_token().to_json(std::vector<int>{half, 0}));
    CHECK(opens(image.path(), kOld) == 0);
    CHECK(opens(image.path(), kNew) == half);
    // A token rewrite (as open does) keeps both keyslots named.
    write_token(image.path(), resealed_token());
    CHECK(list_token_keyslots(image.path())[0] == std::vector<int>{half, 0});

    const std::string newer = "0011223344556677889900aabbccddee";
    KeyslotRotation r = rotate_keyslot(image.path(), LuksParams{}, uuid_of(image.path()), secret_of(kNew), secret_of(newer),
                                       KdfChoice::MachineSecret, resealed_token());
    CHECK(r.old_keyslot == half);
    CHECK(opens(image.path(), kOld) == -1);  // the old key no longer opens it
    CHECK(opens(image.path(), kNew) == -1);
    CHECK(opens(image.path(), newer) == r.new_keyslot);
    CHECK(opens(image.path(), kRecovery) == recovery);
    CHECK(list_token_keyslots(image.path())[0] == std::vector<int>{r.new_keyslot});
}
