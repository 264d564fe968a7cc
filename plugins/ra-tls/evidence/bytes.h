// Byte strings as the evidence code passes them around, and their hex form
// (measurements in policies and audit lines are written in hex).
#pragma once

#include <cvfs/hex.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cvfs::ratls {

using Bytes = std::vector<uint8_t>;
using Sha256 = std::array<uint8_t, 32>;

// The SDK's hex codec (cvfs/hex.hpp), lowercase.
inline std::string to_hex(std::span<const uint8_t> bytes) { return sdk::to_hex(bytes); }
using sdk::from_hex;

}  // namespace cvfs::ratls
