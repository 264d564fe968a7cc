// Hex text for bytes and back: the one hex codec of cvfs, header-only, part of
// the SDK (plugins write key material and measurements into tokens, policies
// and messages as hex).
//
// Pure functions: no state, safe from any thread. The returned objects are the
// caller's. Not for secrets: the text is an ordinary std::string.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cvfs::sdk {

enum class HexCase { Lower, Upper };

// Two hex digits a byte, lowercase unless asked otherwise.
inline std::string to_hex(std::span<const uint8_t> bytes, HexCase letters = HexCase::Lower) {
    const char* digits = letters == HexCase::Lower ? "0123456789abcdef" : "0123456789ABCDEF";
    std::string text;
    text.reserve(bytes.size() * 2);
    for (uint8_t b : bytes) {
        text.push_back(digits[b >> 4]);
        text.push_back(digits[b & 15]);
    }
    return text;
}

// The bytes of a hex text (digits of either case, an even number of them), or
// nothing when the text is not that.
inline std::optional<std::vector<uint8_t>> from_hex(std::string_view text) {
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    if (text.size() % 2 != 0) return std::nullopt;
    std::vector<uint8_t> bytes;
    bytes.reserve(text.size() / 2);
    for (size_t i = 0; i < text.size(); i += 2) {
        const int hi = nibble(text[i]), lo = nibble(text[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        bytes.push_back(static_cast<uint8_t>(hi << 4 | lo));
    }
    return bytes;
}

}  // namespace cvfs::sdk
