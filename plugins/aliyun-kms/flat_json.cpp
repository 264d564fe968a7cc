// The console's flat JSON objects of strings (see flat_json.h), read with the
// shared parser (core/base/json.h, nlohmann-json).
//
// The text is a secret (the client key, its password), so it is parsed into a
// basic_json whose strings, arrays and objects all come from LockedAllocator:
// every node and string nlohmann makes is locked and wiped on free, and the
// values are then copied into SecretText. This keeps the whole parse in locked
// memory rather than parsing into plain strings and copying only the secret
// out, which would leave the plain copies in freed heap. What stays outside:
// nlohmann's lexer keeps the token being read in a small plain buffer for its
// error messages, and a string short enough for the small-string buffer is
// built inside the lexer on the stack.
#include "flat_json.h"

#include <string>

namespace cvfs::kms {
namespace {

using LockedString = std::basic_string<char, std::char_traits<char>, LockedAllocator<char>>;
using LockedJson = nlohmann::basic_json<nlohmann::ordered_map, std::vector, LockedString, bool,
                                        std::int64_t, std::uint64_t, double, LockedAllocator>;

}  // namespace

std::vector<JsonField> parse_flat_json_object(std::string_view text) {
    JsonLimits limits;
    limits.max_bytes = 64 * 1024;  // a client key file is about 3 KiB
    limits.max_depth = 1;          // one object, nothing inside it
    LockedJson root = parse_json<LockedJson>(text, "the JSON text", limits);
    if (!root.is_object()) throw JsonError("the JSON text is not an object");
    std::vector<JsonField> fields;
    for (const auto& [name, value] : root.items()) {
        if (!value.is_string())
            throw JsonError("the value of \"" + std::string(name.begin(), name.end()) +
                            "\" is not a string");
        const LockedString& s = value.template get_ref<const LockedString&>();
        fields.push_back({std::string(name.begin(), name.end()), SecretText(s.begin(), s.end())});
    }
    return fields;
}

const SecretText* find_field(const std::vector<JsonField>& fields, std::string_view name) {
    for (const auto& field : fields)
        if (field.name == name) return &field.value;
    return nullptr;
}

}  // namespace cvfs::kms
