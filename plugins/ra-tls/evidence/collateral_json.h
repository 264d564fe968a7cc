// Reading Intel's TDX collateral JSON (TCB info, QE identity) through
// core/base/json.h: the parse under limits fitting these documents, the exact
// bytes of the signed member, and field reads whose errors name the field.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/json.h"

namespace cvfs::ratls {

using Json = nlohmann::json;

// Parses a collateral document. Throws EvidenceError(malformed) naming
// `where` when it is not JSON, too big or too deep.
Json parse_collateral(std::string_view text, const std::string& where);

// The exact bytes of the object that the top-level member `key` holds in
// `text`, as written: Intel signs these bytes, not a re-serialisation.
// `text` must already have passed parse_collateral; the result views into it.
// Throws EvidenceError(malformed) when `key` is not there exactly once or
// does not hold an object.
std::string_view signed_member(std::string_view text, std::string_view key, const std::string& where);

// The member `key` of `object`, of the named JSON type. Each throws
// EvidenceError(malformed) naming `where` and `key`: missing, of another
// type, or (need_integer) not a small non-negative integer.
const Json& need_object(const Json& object, std::string_view key, const std::string& where);
const Json::array_t& need_array(const Json& object, std::string_view key, const std::string& where);
const std::string& need_string(const Json& object, std::string_view key, const std::string& where);
int64_t need_integer(const Json& object, std::string_view key, const std::string& where);

}  // namespace cvfs::ratls
