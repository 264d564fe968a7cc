// Standard base64 (RFC 4648, "+/" alphabet, "=" padding), as the KMS uses it
// for the client key's PrivateKeyData, the signature and the seed tool's
// secrets.
//
// Decoding is strict: whole 4-character groups, padding only at the end, no
// other characters. It writes into a buffer the caller owns, so a secret
// can be decoded straight into locked memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cvfs::kms {

std::string base64_encode(const uint8_t* data, size_t size);

// The number of bytes `text` decodes to, or nothing when it is not base64.
std::optional<size_t> base64_decoded_size(std::string_view text);

// Decodes `text` into `out`, which holds base64_decoded_size(text) bytes.
// Returns false (with `out` wiped) when `text` is not base64.
bool base64_decode(std::string_view text, uint8_t* out);

}  // namespace cvfs::kms
