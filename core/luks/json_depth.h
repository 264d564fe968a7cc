// A bound on the nesting of JSON taken from a LUKS2 header, checked without
// recursion before any recursive parser (Boost.PropertyTree) sees the text.
//
// The JSON cvfs parses comes through libcryptsetup, which refuses headers
// nested deeper than json-c's own limit; this check keeps that true whatever
// the library version, so header text can never exhaust the stack.
#pragma once

#include <cstddef>
#include <string_view>

namespace cvfs {

// Deeper than any LUKS2 header or cvfs token needs (they nest 5 levels).
inline constexpr size_t kMaxHeaderJsonDepth = 32;

// Is every object and array in `json` nested at most `max_depth` deep?
// Brackets inside strings (with their escapes) do not count.
inline bool json_depth_within(std::string_view json, size_t max_depth = kMaxHeaderJsonDepth) {
    size_t depth = 0;
    bool in_string = false, escaped = false;
    for (char c : json) {
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
            continue;
        }
        if (c == '"') in_string = true;
        else if (c == '{' || c == '[') {
            if (++depth > max_depth) return false;
        } else if ((c == '}' || c == ']') && depth > 0) {
            --depth;
        }
    }
    return true;
}

}  // namespace cvfs
