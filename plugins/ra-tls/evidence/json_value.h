// A small JSON reader for Intel's TDX collateral (TCB info, QE identity).
// Besides the parsed tree it keeps each value's raw text, because Intel signs
// the exact bytes of the "tcbInfo" / "enclaveIdentity" object as it appears.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cvfs::ratls {

struct JsonMember;

struct JsonValue {
    enum class Kind { object, array, string, number, boolean, null } kind = Kind::null;
    std::string text;      // string: decoded; number: as written; boolean: "true"/"false"
    std::string_view raw;  // the value's bytes in the parsed text
    std::vector<JsonMember> members;  // a vector of an incomplete type, as C++17 allows
    std::vector<JsonValue> items;

    const JsonValue* get(std::string_view key) const;
    // The member `key`, of kind `kind`; throws EvidenceError(malformed) naming `where`.
    const JsonValue& need(std::string_view key, Kind kind, const std::string& where) const;
    int64_t integer(const std::string& where) const;
};

struct JsonMember {
    std::string key;
    JsonValue value;
};

// Parses `text` (which must outlive the result: raw views point into it).
// Throws EvidenceError(malformed) naming `where`.
JsonValue parse_json(std::string_view text, const std::string& where);

}  // namespace cvfs::ratls
