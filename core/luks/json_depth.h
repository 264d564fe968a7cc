// How deep JSON taken from a LUKS2 header may nest: the max_depth that
// base/json.h's parse_json is given for header and cvfs token JSON.
//
// The JSON cvfs parses comes through libcryptsetup, which refuses headers
// nested deeper than json-c's own limit; this bound keeps that true whatever
// the library version, so code walking header values recursively can never
// exhaust the stack.
#pragma once

#include <cstddef>

namespace cvfs {

// Deeper than any LUKS2 header or cvfs token needs (they nest 5 levels).
inline constexpr size_t kMaxHeaderJsonDepth = 32;

}  // namespace cvfs
