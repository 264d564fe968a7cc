// Known-answer bytes for the three protobuf messages of the KMS instance API,
// derived by hand, field by field, from the message definitions of the
// vendor's dkms-gcs SDK (api.proto). Both encoders must produce exactly these
// bytes and both decoders must read them: the plugin's hand-written codec
// (kms_protobuf.h) and the code protoc makes from the test's own
// kms_wire_test.proto, which the KMS double uses. A field number wrong on
// either side fails here, whatever the other side does.
//
// Protobuf wire format: each field is a key varint (field_number << 3 |
// wire_type) and its value; wire type 0 = varint, 2 = length-delimited
// (length varint, then the bytes). proto3 omits fields at their default.
#include <catch2/catch.hpp>
#include <string>

#include "kms_protobuf.h"
#include "kms_wire_test.pb.h"

namespace {

std::string unhex(const std::string& hex) {
    std::string bytes;
    std::string digits;
    for (char c : hex)
        if (std::isxdigit(static_cast<unsigned char>(c))) digits += c;
    for (size_t i = 0; i + 1 < digits.size(); i += 2)
        bytes.push_back(static_cast<char>(std::stoi(digits.substr(i, 2), nullptr, 16)));
    return bytes;
}

// GetSecretValueRequest { SecretName = "data0-key", VersionStage = "ACSCurrent",
// VersionId = "v1", FetchExtendedConfig = true }
const std::string kRequest = unhex(
    "0a 09 64 61 74 61 30 2d 6b 65 79"     // 1 << 3 | 2 = 0x0a, length 9, "data0-key"
    "12 0a 41 43 53 43 75 72 72 65 6e 74"  // 2 << 3 | 2 = 0x12, length 10, "ACSCurrent"
    "1a 02 76 31"                          // 3 << 3 | 2 = 0x1a, length 2, "v1"
    "20 01");                              // 4 << 3 | 0 = 0x20, varint 1 (true)

// What the plugin sends: the secret name alone (the others at their default).
const std::string kNameOnlyRequest = unhex("0a 09 64 61 74 61 30 2d 6b 65 79");

// GetSecretValueResponse { SecretName = "data0-key", SecretType = "Generic",
// SecretData = "c2VjcmV0", SecretDataType = "text", VersionStages =
// ["ACSCurrent", "ACSPrevious"], VersionId = "v1", CreateTime = "2026",
// RequestId = "req-1" }
const std::string kResponse = unhex(
    "0a 09 64 61 74 61 30 2d 6b 65 79"        // 1: SecretName
    "12 07 47 65 6e 65 72 69 63"              // 2 << 3 | 2 = 0x12: SecretType "Generic"
    "1a 08 63 32 56 6a 63 6d 56 30"           // 3 << 3 | 2 = 0x1a: SecretData "c2VjcmV0"
    "22 04 74 65 78 74"                       // 4 << 3 | 2 = 0x22: SecretDataType "text"
    "2a 0a 41 43 53 43 75 72 72 65 6e 74"     // 5 << 3 | 2 = 0x2a: VersionStages[0]
    "2a 0b 41 43 53 50 72 65 76 69 6f 75 73"  // 5 again: VersionStages[1] "ACSPrevious"
    "32 02 76 31"                             // 6 << 3 | 2 = 0x32: VersionId "v1"
    "3a 04 32 30 32 36"                       // 7 << 3 | 2 = 0x3a: CreateTime "2026"
    "42 05 72 65 71 2d 31");                  // 8 << 3 | 2 = 0x42: RequestId "req-1"

// Error { StatusCode = 404, ErrorCode = "NotFound", ErrorMessage = "gone",
// RequestId = "req-2" }
const std::string kError = unhex(
    "08 94 03"                       // 1 << 3 | 0: 404 = 0b11_0010100 -> 0x94 0x03
    "12 08 4e 6f 74 46 6f 75 6e 64"  // 2 << 3 | 2: ErrorCode "NotFound"
    "1a 04 67 6f 6e 65"              // 3 << 3 | 2: ErrorMessage "gone"
    "22 05 72 65 71 2d 32");         // 4 << 3 | 2: RequestId "req-2"

}  // namespace

TEST_CASE(
    "GetSecretValueRequest: both encoders write the known-answer bytes, both decoders read them") {
    CHECK(cvfs::kms::encode(
              cvfs::kms::GetSecretValueRequest{"data0-key", "ACSCurrent", "v1", true}) == kRequest);
    CHECK(cvfs::kms::encode(cvfs::kms::GetSecretValueRequest{"data0-key", {}, {}, false}) ==
          kNameOnlyRequest);
    kms_wire_test::SecretValueRequest generated;
    generated.set_secret_name("data0-key");
    generated.set_version_stage("ACSCurrent");
    generated.set_version_id("v1");
    generated.set_fetch_extended_config(true);
    CHECK(generated.SerializeAsString() == kRequest);

    auto mine = cvfs::kms::decode_get_secret_value_request(kRequest);
    REQUIRE(mine);
    CHECK(mine->secret_name == "data0-key");
    CHECK(mine->version_stage == "ACSCurrent");
    CHECK(mine->version_id == "v1");
    CHECK(mine->fetch_extended_config);
    kms_wire_test::SecretValueRequest parsed;
    REQUIRE(parsed.ParseFromString(kNameOnlyRequest));
    CHECK(parsed.secret_name() == "data0-key");
    CHECK(parsed.version_stage().empty());
}

TEST_CASE(
    "GetSecretValueResponse: both encoders write the known-answer bytes, both decoders read them") {
    kms_wire_test::SecretValueResponse generated;
    generated.set_secret_name("data0-key");
    generated.set_secret_type("Generic");
    generated.set_secret_data("c2VjcmV0");
    generated.set_secret_data_type("text");
    generated.add_version_stages("ACSCurrent");
    generated.add_version_stages("ACSPrevious");
    generated.set_version_id("v1");
    generated.set_create_time("2026");
    generated.set_request_id("req-1");
    CHECK(generated.SerializeAsString() == kResponse);

    // The plugin's codec has no CreateTime (field 7): it skips it on reading.
    auto mine = cvfs::kms::decode_get_secret_value_response(kResponse);
    REQUIRE(mine);
    CHECK(mine->secret_name == "data0-key");
    CHECK(mine->secret_type == "Generic");
    CHECK(mine->secret_data == "c2VjcmV0");
    CHECK(mine->secret_data_type == "text");
    REQUIRE(mine->version_stages.size() == 2);
    CHECK(mine->version_stages[1] == "ACSPrevious");
    CHECK(mine->version_id == "v1");
    CHECK(mine->request_id == "req-1");

    cvfs::kms::GetSecretValueResponse plugin_side;
    plugin_side.secret_name = "data0-key";
    plugin_side.secret_type = "Generic";
    plugin_side.secret_data = "c2VjcmV0";
    plugin_side.secret_data_type = "text";
    plugin_side.version_stages = {"ACSCurrent", "ACSPrevious"};
    plugin_side.version_id = "v1";
    plugin_side.request_id = "req-1";
    std::string without_create_time = kResponse;
    without_create_time.erase(without_create_time.find("\x3a\x04"
                                                       "2026"),
                              6);
    CHECK(cvfs::kms::encode(plugin_side) == without_create_time);
}

TEST_CASE("Error: both encoders write the known-answer bytes, both decoders read them") {
    CHECK(cvfs::kms::encode(cvfs::kms::KmsErrorMessage{404, "NotFound", "gone", "req-2"}) ==
          kError);
    kms_wire_test::GatewayError generated;
    generated.set_status_code(404);
    generated.set_error_code("NotFound");
    generated.set_error_message("gone");
    generated.set_request_id("req-2");
    CHECK(generated.SerializeAsString() == kError);

    auto mine = cvfs::kms::decode_error(kError);
    REQUIRE(mine);
    CHECK(mine->status_code == 404);
    CHECK(mine->error_code == "NotFound");
    CHECK(mine->error_message == "gone");
    CHECK(mine->request_id == "req-2");
    kms_wire_test::GatewayError parsed;
    REQUIRE(parsed.ParseFromString(kError));
    CHECK(parsed.status_code() == 404);
    CHECK(parsed.request_id() == "req-2");
}
