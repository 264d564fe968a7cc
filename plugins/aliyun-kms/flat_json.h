// A reader for the one JSON shape the KMS console hands out: the client key
// file, an object whose values are strings ({"KeyId": "...",
// "PrivateKeyData": "..."}), and the optional password file of the same
// shape ({"ClientKeyPassword": "..."}).
//
// Values go into locked memory, since they are secrets. Anything else
// (nested objects, numbers, trailing text) is refused with the line and
// column, never with the text around it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "locked_memory.h"

namespace cvfs::kms {

struct JsonField {
    std::string name;
    SecretText value;
};

// Parses a flat object of string values; throws cvfs::JsonError
// (core/base/json.h).
std::vector<JsonField> parse_flat_json_object(std::string_view text);

// The value of `name`, if the object has it.
const SecretText* find_field(const std::vector<JsonField>& fields, std::string_view name);

}  // namespace cvfs::kms
