// Unit tests of the aliyun-kms client's pieces that need no network: the
// vendor SDK's known-answer signature (PKCS#12 in the legacy format, then
// RSA-SHA256), the string to sign of the documented worked example, the
// protobuf codec, strict base64, the HTTP date, and the client key JSON.
#include "kms_signing.h"

#include <openssl/evp.h>

#include <catch2/catch.hpp>
#include <string>

#include "base64.h"
#include "cvfs/plugin.hpp"
#include "flat_json.h"
#include "kms_fetch.h"
#include "kms_protobuf.h"
#include "sdk_signature_vector.h"

using namespace cvfs::kms;

namespace {

std::string hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

}  // namespace

TEST_CASE("the SDK's known-answer vector: the client key signs 'string to sign' byte for byte") {
    CryptoContext crypto;
    ClientKey key(crypto, kms_test::kSdkVectorClientKey, kms_test::kSdkVectorPassword);
    CHECK(key.key_id() == kms_test::kSdkVectorKeyId);
    CHECK("Bearer " + key.sign(kms_test::kSdkVectorStringToSign) ==
          kms_test::kSdkVectorAuthorization);
}

TEST_CASE("the legacy provider stays inside the plugin's own OpenSSL context") {
    CryptoContext crypto;
    ClientKey key(crypto, kms_test::kSdkVectorClientKey, kms_test::kSdkVectorPassword);
    EVP_CIPHER* in_default = EVP_CIPHER_fetch(nullptr, "RC2-40-CBC", nullptr);
    EVP_CIPHER* in_ours = EVP_CIPHER_fetch(crypto.get(), "RC2-40-CBC", nullptr);
    CHECK(in_default == nullptr);
    CHECK(in_ours != nullptr);
    EVP_CIPHER_free(in_default);
    EVP_CIPHER_free(in_ours);
}

TEST_CASE("a wrong client key password is refused as such, without the password in the message") {
    CryptoContext crypto;
    try {
        ClientKey key(crypto, kms_test::kSdkVectorClientKey, "12345-not-it");
        FAIL("a wrong password opened the key");
    } catch (const cvfs::sdk::Error& e) {
        CHECK(e.status() == CVFS_E_PERMISSION_DENIED);
        CHECK_THAT(e.what(), Catch::Contains(
                                 "client_key_password does not open client key key_for_unit_test"));
        CHECK_THAT(e.what(), !Catch::Contains("12345-not-it"));
    }
}

TEST_CASE("client key JSON that is not the console's shape is refused with a position") {
    CryptoContext crypto;
    auto status_of = [&](const char* json) {
        try {
            ClientKey key(crypto, json, "x");
            return CVFS_OK;
        } catch (const cvfs::sdk::Error& e) {
            return e.status();
        }
    };
    CHECK(status_of("{\"KeyId\": \"KAAP.x\"}") == CVFS_E_INVALID_CONFIG);
    CHECK(status_of("{\"KeyId\": \"KAAP.x\", \"PrivateKeyData\": \"!!!!\"}") ==
          CVFS_E_INVALID_CONFIG);
    CHECK(status_of("{\"KeyId\": \"KAAP.x\", \"PrivateKeyData\": \"QUJD\"}") ==
          CVFS_E_INVALID_CONFIG);
    CHECK(status_of("not json") == CVFS_E_INVALID_CONFIG);
    CHECK_THROWS_WITH(parse_flat_json_object("{\"a\": 1}"), Catch::Contains("\"a\" is not a string"));
    CHECK_THROWS_AS(parse_flat_json_object("{\"a\": \"b\"} x"), cvfs::JsonError);
    auto fields = parse_flat_json_object(" {\"KeyId\" : \"K\\u0041\\/\", \"B\": \"\"} ");
    REQUIRE(fields.size() == 2);
    CHECK(view(fields[0].value) == "KA/");
}

TEST_CASE("the documented worked example: body, content-sha256 and string to sign") {
    std::string body = encode(GetSecretValueRequest{"luks_passphrase", {}, {}, true});
    CHECK(hex(body) == "0a0f6c756b735f706173737068726173652001");
    CHECK(sha256_upper_hex(body) ==
          "7D29B1EB6BEFC0CF69102412D10993466DD00D8EB5F7E001ABFC5C85A3873D8F");
    HeaderList headers = {
        {"Content-Type", "application/x-protobuf"}, {"content-sha256", sha256_upper_hex(body)},
        {"date", "Mon, 01 Jan 2024 00:00:00 GMT"},  {"x-kms-signaturemethod", "RSA_PKCS1_SHA_256"},
        {"X-KMS-ApiName", " GetSecretValue "},      {"x-kms-apiversion", "dkms-gcs-0.2"},
        {"x-kms-acccesskeyid", "KAAP.test"},        {"accept", "application/x-protobuf"}};
    CHECK(string_to_sign(headers) ==
          "POST\n"
          "7D29B1EB6BEFC0CF69102412D10993466DD00D8EB5F7E001ABFC5C85A3873D8F\n"
          "application/x-protobuf\n"
          "Mon, 01 Jan 2024 00:00:00 GMT\n"
          "x-kms-acccesskeyid:KAAP.test\n"
          "x-kms-apiname:GetSecretValue\n"
          "x-kms-apiversion:dkms-gcs-0.2\n"
          "x-kms-signaturemethod:RSA_PKCS1_SHA_256\n"
          "/");
}

TEST_CASE("signed request headers carry every field the gateway checks") {
    CryptoContext crypto;
    ClientKey key(crypto, kms_test::kSdkVectorClientKey, kms_test::kSdkVectorPassword);
    std::string body = encode(GetSecretValueRequest{"s", {}, {}, false});
    HeaderList headers = signed_headers(key, body, 1704067200);  // 2024-01-01
    auto value = [&](const std::string& name) {
        for (const auto& [k, v] : headers)
            if (k == name) return v;
        return std::string("<missing>");
    };
    CHECK(value("date") == "Mon, 01 Jan 2024 00:00:00 GMT");
    CHECK(value("x-kms-acccesskeyid") == "key_for_unit_test");
    CHECK(value("x-kms-apiversion") == "dkms-gcs-0.2");
    CHECK(value("content-sha256") == sha256_upper_hex(body));
    HeaderList unsigned_part(headers.begin(), headers.end() - 1);
    CHECK(value("authorization") == "Bearer " + key.sign(string_to_sign(unsigned_part)));
}

TEST_CASE("protobuf: messages round-trip and unknown fields are skipped") {
    GetSecretValueResponse response;
    response.secret_name = "n";
    response.secret_data = "c2VjcmV0";
    response.version_stages = {"ACSCurrent", "ACSPrevious"};
    response.request_id = "r-1";
    std::string wire = encode(response);
    // newer servers add fields: a varint (field 20), a fixed32 (21), a string (22), a fixed64 (23)
    wire += std::string("\xa0\x01\x96\x01", 4) + std::string("\xad\x01\x01\x02\x03\x04", 6) +
            std::string("\xb2\x01\x02hi", 5) + std::string("\xb9\x01", 2) + std::string(8, '\x07');
    auto decoded = decode_get_secret_value_response(wire);
    REQUIRE(decoded);
    CHECK(decoded->secret_data == "c2VjcmV0");
    CHECK(decoded->version_stages.size() == 2);
    CHECK(decoded->request_id == "r-1");

    KmsErrorMessage error{429, "Rejected.Throttling", "slow down", "r-2"};
    std::string error_wire = encode(error);
    auto back = decode_error(error_wire);
    REQUIRE(back);
    CHECK(back->status_code == 429);
    CHECK(back->error_code == "Rejected.Throttling");

    CHECK_FALSE(decode_error("<html>502</html>"));
    CHECK_FALSE(
        decode_get_secret_value_response(std::string("\x1a\x10short", 7)));  // length past the end
    CHECK_FALSE(
        decode_get_secret_value_response(std::string("\x18\x01", 2)));  // SecretData as varint
}

TEST_CASE("base64 decoding is strict") {
    uint8_t out[16];
    CHECK(base64_decoded_size("c2VjcmV0") == 6u);
    REQUIRE(base64_decode("c2VjcmV0", out));
    CHECK(std::string(reinterpret_cast<char*>(out), 6) == "secret");
    CHECK(base64_decoded_size("YQ==") == 1u);
    CHECK_FALSE(base64_decoded_size("YQ="));
    CHECK_FALSE(base64_decoded_size("Y=Q="));
    CHECK_FALSE(base64_decoded_size("not base64!"));
    CHECK_FALSE(base64_decoded_size("c2Vj\ncmV0"));
    CHECK(base64_encode(reinterpret_cast<const uint8_t*>("ab"), 2) == "YWI=");
}

TEST_CASE("HTTP dates are written and read in RFC 1123 GMT") {
    CHECK(http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT");
    CHECK(parse_http_date("Mon, 01 Jan 2024 00:00:00 GMT") == std::time_t{1704067200});
    CHECK_FALSE(parse_http_date("Mon, 01 Jan 2024 00:00:00 UTC"));
    CHECK_FALSE(parse_http_date("2024-01-01T00:00:00Z"));
    CHECK_FALSE(parse_http_date("Mon, 01 Foo 2024 00:00:00 GMT"));
}
