// Strict standard base64, see base64.h.
#include "base64.h"

#include <openssl/crypto.h>

#include <array>

namespace cvfs::kms {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Value of each character, or -1 for characters outside the alphabet.
constexpr std::array<int8_t, 256> decode_table() {
    std::array<int8_t, 256> table{};
    for (auto& value : table) value = -1;
    for (int i = 0; i < 64; ++i) table[static_cast<uint8_t>(kAlphabet[i])] = static_cast<int8_t>(i);
    return table;
}
constexpr auto kDecode = decode_table();

}  // namespace

std::string base64_encode(const uint8_t* data, size_t size) {
    std::string text;
    text.reserve((size + 2) / 3 * 4);
    for (size_t i = 0; i < size; i += 3) {
        uint32_t group = uint32_t(data[i]) << 16;
        if (i + 1 < size) group |= uint32_t(data[i + 1]) << 8;
        if (i + 2 < size) group |= data[i + 2];
        text += kAlphabet[(group >> 18) & 63];
        text += kAlphabet[(group >> 12) & 63];
        text += i + 1 < size ? kAlphabet[(group >> 6) & 63] : '=';
        text += i + 2 < size ? kAlphabet[group & 63] : '=';
    }
    return text;
}

std::optional<size_t> base64_decoded_size(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    size_t padding = 0;
    if (!text.empty() && text.back() == '=') ++padding;
    if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
    for (size_t i = 0; i < text.size() - padding; ++i)
        if (kDecode[static_cast<uint8_t>(text[i])] < 0) return std::nullopt;
    return text.size() / 4 * 3 - padding;
}

bool base64_decode(std::string_view text, uint8_t* out) {
    auto size = base64_decoded_size(text);
    if (!size) return false;
    size_t written = 0;
    for (size_t i = 0; i < text.size(); i += 4) {
        uint32_t group = 0;
        for (size_t j = 0; j < 4; ++j) {
            char c = text[i + j];
            group = (group << 6) |
                    (c == '=' ? 0u : static_cast<uint32_t>(kDecode[static_cast<uint8_t>(c)]));
        }
        uint8_t bytes[3] = {uint8_t(group >> 16), uint8_t(group >> 8), uint8_t(group)};
        for (size_t j = 0; j < 3 && written < *size; ++j) out[written++] = bytes[j];
        OPENSSL_cleanse(bytes, sizeof bytes);
        group = 0;
    }
    return true;
}

}  // namespace cvfs::kms
