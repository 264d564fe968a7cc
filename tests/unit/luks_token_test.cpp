// The cvfs LUKS2 token: JSON round trip, refusal of broken tokens, and
// rewriting it in a real header.
#include "base/error.h"
#include "luks/cvfs_token.h"
#include "luks/luks_volume.h"
#include "luks_tamper.h"

#include <catch2/catch.hpp>

using namespace cvfs;

namespace {

CvfsToken sample_token() {
    CvfsToken token;
    token.volume = "data0";
    token.provider = "otp";
    token.fs = "ext4";
    token.created_by = "cvfs 0.1.0";
    token.provider_data = {{"key_id", "k-123"}, {"sealed", "AAEC/w=="}};
    return token;
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

const std::string kValid = R"({"type":"cvfs","keyslots":["0"],"state":"ready","volume":"v","provider":"otp"})";

}  // namespace

TEST_CASE("token JSON names its type and keyslot as LUKS2 expects") {
    std::string json = sample_token().to_json(3);
    CHECK(json.find(R"("type":"cvfs")") != std::string::npos);
    CHECK(json.find(R"("keyslots":["3"])") != std::string::npos);
    CHECK(token_keyslots(json) == std::vector<int>{3});
}

TEST_CASE("token survives a JSON round trip") {
    CvfsToken token = sample_token();
    token.state = TokenState::Ready;
    CvfsToken back = CvfsToken::from_json(token.to_json(0));
    CHECK(back.state == TokenState::Ready);
    CHECK(back.volume == "data0");
    CHECK(back.provider == "otp");
    CHECK(back.fs == "ext4");
    CHECK(back.created_by == "cvfs 0.1.0");
    CHECK(back.provider_data == token.provider_data);
}

TEST_CASE("token without provider data writes an empty object") {
    CvfsToken token = sample_token();
    token.provider_data.clear();
    token.fs.clear();
    std::string json = token.to_json(0);
    CHECK(json.find(R"("provider_data":{})") != std::string::npos);
    CvfsToken back = CvfsToken::from_json(json);
    CHECK(back.provider_data.empty());
    CHECK(back.fs.empty());
}

TEST_CASE("token values with quotes and slashes are escaped") {
    CvfsToken token = sample_token();
    token.provider_data = {{"pem", "line \"one\"\nline/two\\"}};
    CHECK(CvfsToken::from_json(token.to_json(0)).provider_data == token.provider_data);
}

TEST_CASE("broken token JSON is refused with the reason") {
    CHECK(CvfsToken::from_json(kValid).state == TokenState::Ready);
    CHECK_THAT(refusal_of("{\"type\":\"cvfs\""), Catch::Contains("not valid JSON"));
    CHECK_THAT(refusal_of(R"({"type":"luks2-keyring","keyslots":[],"state":"ready","volume":"v","provider":"p"})"),
               Catch::Contains("\"type\" is \"luks2-keyring\"; expected \"cvfs\""));
    CHECK_THAT(refusal_of(R"({"type":"cvfs","keyslots":["0"],"state":"ready","volume":"v"})"),
               Catch::Contains("\"provider\" is missing"));
    CHECK_THAT(refusal_of(R"({"type":"cvfs","keyslots":["0"],"state":"done","volume":"v","provider":"p"})"),
               Catch::Contains("\"state\" is \"done\""));
    CHECK_THAT(refusal_of(R"({"type":"cvfs","keyslots":"0","state":"ready","volume":"v","provider":"p"})"),
               Catch::Contains("\"keyslots\" must be a list"));
    CHECK_THAT(refusal_of(R"({"type":"cvfs","keyslots":["x"],"state":"ready","volume":"v","provider":"p"})"),
               Catch::Contains("keyslot numbers"));
    CHECK_THAT(refusal_of(R"({"type":"cvfs","keyslots":["0"],"state":"ready","volume":"","provider":"p"})"),
               Catch::Contains("\"volume\" is empty"));
    CHECK_THAT(refusal_of(R"({"type":"cvfs","keyslots":["0"],"state":"ready","volume":"v","provider":"p",)"
                          R"("provider_data":{"k":{"nested":"x"}}})"),
               Catch::Contains("provider_data \"k\" must be a string"));
}

TEST_CASE("token JSON keeps the bytes earlier cvfs wrote, and reads what it wrote") {
    CvfsToken token = sample_token();
    token.provider_data = {{"key_id", "k-123"}};
    token.generation = 7;
    token.generation_mac = std::string(64, 'a');
    token.counter = "tpm";
    token.counter_index = "0x01c80000";
    CHECK(token.to_json(std::vector<int>{2, 0}) ==
          R"({"type":"cvfs","keyslots":["2","0"],"state":"initializing","volume":"data0",)"
          R"("provider":"otp","fs":"ext4","created_by":"cvfs 0.1.0","provider_data":{"key_id":"k-123"},)"
          R"("generation":"7","generation_mac":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",)"
          R"("counter":"tpm","counter_index":"0x01c80000"})");
    // Earlier writers escaped '/' and wrote control characters as \u00XX.
    CvfsToken old = CvfsToken::from_json(
        R"({"type":"cvfs","keyslots":["1"],"state":"ready","volume":"v","provider":"tpm",)"
        R"("fs":"","created_by":"cvfs 0.1.0","provider_data":{"sealed":"AAEC\/w==","note":"a\u001Fb"},)"
        R"("generation":"12","generation_mac":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",)"
        R"("counter":"none","counter_index":""})");
    CHECK(old.provider_data.at("sealed") == "AAEC/w==");
    CHECK(old.provider_data.at("note") == "a\x1f" "b");
    CHECK(old.generation == 12u);
    CHECK(old.counter == "none");
    // Brackets inside strings are text, not nesting.
    std::string brackets(40, '[');
    token.provider_data = {{"k", brackets}};
    CHECK(CvfsToken::from_json(token.to_json(0)).provider_data.at("k") == brackets);
}

TEST_CASE("token values of another JSON type than string are refused by name") {
    auto with = [](const std::string& members) {
        return refusal_of(R"({"type":"cvfs","keyslots":["0"],"state":"ready","volume":"v","provider":"p",)" +
                          members + "}");
    };
    CHECK_THAT(with(R"("fs":5)"), Catch::Contains("\"fs\" must be a string, not a number"));
    CHECK_THAT(with(R"("created_by":null)"), Catch::Contains("\"created_by\" must be a string, not null"));
    CHECK_THAT(with(R"("provider_data":{"k":true})"),
               Catch::Contains("provider_data \"k\" must be a string, not a boolean"));
    CHECK_THAT(with(R"("provider_data":["x"])"), Catch::Contains("\"provider_data\" must be an object, not a list"));
    CHECK_THAT(with(R"("generation":5,"generation_mac":"","counter":"none","counter_index":"")"),
               Catch::Contains("\"generation\" must be a string, not a number"));
    CHECK_THAT(refusal_of(R"({"type":"cvfs","keyslots":[0],"state":"ready","volume":"v","provider":"p"})"),
               Catch::Contains("keyslot numbers as strings, not 0"));
    CHECK_THAT(refusal_of(R"(["cvfs"])"), Catch::Contains("its JSON is an array, not an object"));
    CHECK_THAT(with(R"("volume":{"name":"v"})"), Catch::Contains("\"volume\" must be a string, not an object"));
    CvfsToken token = sample_token();
    token.provider_data = {{"k", "\xff"}};
    CHECK_THROWS_WITH(token.to_json(0), Catch::Contains("a value is not UTF-8 text"));
}

TEST_CASE("write_token replaces the cvfs token and keeps its keyslot") {
    luks_test::ImageFile image;
    auto secret = luks_test::secret_of("0123456789abcdef0123456789abcdef");
    FormattedVolume::format(image.path(), LuksParams{}, KdfChoice::MachineSecret, secret, sample_token());

    CvfsToken ready = sample_token();
    ready.state = TokenState::Ready;
    ready.provider_data["sealed"] = "new-blob";
    write_token(image.path(), ready);

    CheckedHeader header = CheckedHeader::load(image.path(), LuksParams{});
    REQUIRE(header.token());
    CHECK(header.token()->state == TokenState::Ready);
    CHECK(header.token()->provider_data.at("sealed") == "new-blob");
    CHECK(header.keyslot() == 0);
    std::string json = luks_test::read_metadata_json(image.path());
    CHECK(json.find("\"type\":\"cvfs\"") == json.rfind("\"type\":\"cvfs\""));  // one token, not two
    CHECK(header.verify_key(secret));
}

TEST_CASE("a broken token in a header is refused on load") {
    luks_test::ImageFile image;
    auto secret = luks_test::secret_of("0123456789abcdef0123456789abcdef");
    FormattedVolume::format(image.path(), LuksParams{}, KdfChoice::MachineSecret, secret, sample_token());
    luks_test::tamper(image.path(), [](std::string& json) {
        luks_test::replace_once(json, R"("state":"initializing")", R"("state":"half-done")");
    });
    try {
        CheckedHeader::load(image.path(), LuksParams{});
        FAIL("a header with a broken token was accepted");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::Header);
        CHECK_THAT(e.what(), Catch::Contains("\"state\" is \"half-done\""));
    }
}
