// The protobuf (proto3) messages of the KMS instance API that cvfs speaks,
// with a small hand-written codec instead of generated code.
//
// Field numbers follow the vendor SDKs' api.proto: GetSecretValueRequest,
// GetSecretValueResponse and Error. Only wire types 0 (varint) and 2 (length
// delimited) are produced; on reading, unknown fields of every wire type are
// skipped so newer servers keep working. Decoded strings are views into the
// caller's buffer: nothing is copied, so a secret stays where it arrived.
// The test double uses the same codec for the messages it answers with.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cvfs::kms {

struct GetSecretValueRequest {
    std::string_view secret_name;        // 1
    std::string_view version_stage;      // 2, empty: the server's default (ACSCurrent)
    std::string_view version_id;         // 3
    bool fetch_extended_config = false;  // 4
};

struct GetSecretValueResponse {
    std::string_view secret_name;                  // 1
    std::string_view secret_type;                  // 2
    std::string_view secret_data;                  // 3, the secret itself
    std::string_view secret_data_type;             // 4, "text" or "binary"
    std::vector<std::string_view> version_stages;  // 5
    std::string_view version_id;                   // 6
    std::string_view request_id;                   // 8
};

struct KmsErrorMessage {
    int32_t status_code = 0;         // 1
    std::string_view error_code;     // 2
    std::string_view error_message;  // 3
    std::string_view request_id;     // 4
};

std::string encode(const GetSecretValueRequest& message);
std::string encode(const GetSecretValueResponse& message);
std::string encode(const KmsErrorMessage& message);

// Each returns nothing when `body` is not a well-formed message of that type.
std::optional<GetSecretValueRequest> decode_get_secret_value_request(std::string_view body);
std::optional<GetSecretValueResponse> decode_get_secret_value_response(std::string_view body);
std::optional<KmsErrorMessage> decode_error(std::string_view body);

}  // namespace cvfs::kms
