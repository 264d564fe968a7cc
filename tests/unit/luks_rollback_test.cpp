// The rollback record: its token fields, the HMAC that authenticates it
// (checked against values computed independently from RFC 5869 and RFC 2104,
// not with the code under test), and the volume key read from a real header.
#include "base/error.h"
#include "luks/cvfs_token.h"
#include "luks/luks_volume.h"
#include "luks/rollback_mac.h"
#include "luks_tamper.h"

#include <catch2/catch.hpp>

using namespace cvfs;

namespace {

const std::string kOld = R"({"type":"cvfs","keyslots":["0"],"state":"ready","volume":"v","provider":"otp"})";
const std::string kMac = "e7fe4c8a032d0534fa71bf585e383226218a941cd8c2448ed11e8e6cdc422d16";

SecureBuffer bytes_0_to_63() {
    SecureBuffer key(64);
    key.resize(64);
    for (size_t i = 0; i < 64; ++i) key.data()[i] = static_cast<uint8_t>(i);
    return key;
}

RollbackRecord sample_record() { return {"0b6a2f3e-8d71-4c55-9a1e-2f4b6c8d0e12", 7, "tpm", "0x01c00010"}; }

std::string with_record(const std::string& fields) {
    return R"({"type":"cvfs","keyslots":["0"],"state":"ready","volume":"v","provider":"otp",)" + fields + "}";
}

std::string refusal_of(const std::string& json) {
    try {
        CvfsToken::from_json(json);
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::Header);
        return e.what();
    }
    FAIL("the token was accepted: " << json);
    return {};
}

std::string hex_of(const SecureBuffer& bytes) {
    std::string hex;
    static const char digits[] = "0123456789abcdef";
    for (uint8_t b : bytes.bytes()) {
        hex.push_back(digits[b >> 4]);
        hex.push_back(digits[b & 0xf]);
    }
    return hex;
}

}  // namespace

TEST_CASE("a token without a rollback record is read as one without it") {
    CvfsToken token = CvfsToken::from_json(kOld);
    CHECK_FALSE(token.generation);
    CHECK(token.generation_mac.empty());
    CHECK(token.counter.empty());
    // and written back without one
    CHECK(token.to_json(0).find("generation") == std::string::npos);
}

TEST_CASE("the rollback record survives a JSON round trip") {
    CvfsToken token = CvfsToken::from_json(kOld);
    token.generation = 18446744073709551615ull;
    token.generation_mac = kMac;
    token.counter = "tpm";
    token.counter_index = "0x01c00010";
    std::string json = token.to_json(0);
    CHECK(json.find(R"("generation":"18446744073709551615")") != std::string::npos);
    CvfsToken back = CvfsToken::from_json(json);
    CHECK(back.generation == token.generation);
    CHECK(back.generation_mac == kMac);
    CHECK(back.counter == "tpm");
    CHECK(back.counter_index == "0x01c00010");
}

TEST_CASE("a broken rollback record is refused with the reason") {
    const std::string mac = R"("generation_mac":")" + kMac + R"(")";
    CHECK(CvfsToken::from_json(with_record(R"("generation":"3",)" + mac + R"(,"counter":"none")")).generation == 3u);
    CHECK_THAT(refusal_of(with_record(mac + R"(,"counter":"none")")), Catch::Contains("\"generation\" is missing"));
    CHECK_THAT(refusal_of(with_record(R"("generation":"-1",)" + mac + R"(,"counter":"none")")),
               Catch::Contains("expected a decimal number"));
    CHECK_THAT(refusal_of(with_record(R"("generation":"07",)" + mac + R"(,"counter":"none")")),
               Catch::Contains("expected a decimal number"));
    CHECK_THAT(refusal_of(with_record(R"("generation":"18446744073709551616",)" + mac + R"(,"counter":"none")")),
               Catch::Contains("expected a decimal number"));
    CHECK_THAT(refusal_of(with_record(R"("generation":"3","generation_mac":"abc","counter":"none")")),
               Catch::Contains("64 lower-case hex digits"));
    CHECK_THAT(refusal_of(with_record(R"("generation":"3",)" + mac + R"(,"counter":"cloud")")),
               Catch::Contains("\"counter\" is \"cloud\""));
    CHECK_THAT(refusal_of(with_record(R"("generation":{"a":"1"},)" + mac + R"(,"counter":"none")")),
               Catch::Contains("\"generation\" must be a string"));
}

TEST_CASE("the rollback key is HKDF-SHA256 of the volume key with the cvfs label") {
    // RFC 5869 with no salt, info "cvfs rollback generation mac v1", 32 bytes, computed apart.
    CHECK(hex_of(rollback_mac_key(bytes_0_to_63())) ==
          "e6e3f66c170801fc110d62d279074e79e04d35896e623f5bb5fc71063ce47d2a");
    CHECK_THROWS_AS(rollback_mac_key(SecureBuffer{}), Error);
}

TEST_CASE("the rollback MAC covers the UUID, the generation and the counter") {
    SecureBuffer key = rollback_mac_key(bytes_0_to_63());
    RollbackRecord record = sample_record();
    CHECK(rollback_mac(key, record) == kMac);
    CHECK(rollback_mac_matches(key, record, kMac));

    auto changed = [&](auto change) {
        RollbackRecord other = sample_record();
        change(other);
        return rollback_mac_matches(key, other, kMac);
    };
    CHECK_FALSE(changed([](RollbackRecord& r) { r.generation = 8; }));
    CHECK_FALSE(changed([](RollbackRecord& r) { r.uuid[0] = '1'; }));
    CHECK_FALSE(changed([](RollbackRecord& r) { r.counter = "none"; }));
    CHECK_FALSE(changed([](RollbackRecord& r) { r.counter_index = "0x01c00011"; }));
    // field boundaries are part of what is covered
    CHECK_FALSE(changed([](RollbackRecord& r) { r.counter = "tpm0"; r.counter_index = "x01c00010"; }));
    CHECK_FALSE(rollback_mac_matches(key, record, kMac.substr(0, 63)));

    SecureBuffer other_volume = bytes_0_to_63();
    other_volume.data()[0] ^= 1;
    CHECK_FALSE(rollback_mac_matches(rollback_mac_key(other_volume), record, kMac));
}

TEST_CASE("the volume key read from a checked header opens and keys the record") {
    luks_test::ImageFile image;
    auto secret = luks_test::secret_of("0123456789abcdef0123456789abcdef");
    CvfsToken token = CvfsToken::from_json(kOld);
    FormattedVolume::format(image.path(), LuksParams{}, KdfChoice::MachineSecret, secret, token);
    CheckedHeader header = CheckedHeader::load(image.path(), LuksParams{});
    SecureBuffer volume_key = header.volume_key(secret);
    CHECK(volume_key.size() == 64);  // 512 bits, aes-xts-plain64
    CHECK(header.volume_key(secret).bytes().size() == volume_key.size());
    CHECK(std::equal(volume_key.bytes().begin(), volume_key.bytes().end(), header.volume_key(secret).data()));
    auto wrong = luks_test::secret_of("fedcba9876543210fedcba9876543210");
    try {
        header.volume_key(wrong);
        FAIL("a wrong secret gave a volume key");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::Key);
    }
}
