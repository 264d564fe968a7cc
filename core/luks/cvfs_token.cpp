// The cvfs LUKS2 token: JSON written and read with nlohmann-json (base/json.h).
//
// Every value in the token is a JSON string, as cvfs has always written it:
// keyslot ids are strings in LUKS2 too, and the generation is a decimal
// string. The reader wants exactly that and names any value of another type.
// Members are written in the order cvfs always wrote them.
#include "luks/cvfs_token.h"

#include "base/error.h"
#include "base/json.h"

#include "luks/json_depth.h"

#include <charconv>

namespace cvfs {

namespace {

using Json = nlohmann::json;

[[noreturn]] void refuse(const std::string& what) {
    throw Error(ErrorKind::Header, "the cvfs token in the LUKS2 header is invalid: " + what,
                "the header may have been damaged or tampered with");
}

Json parse(const std::string& json) {
    JsonLimits limits;
    limits.max_bytes = 4 << 20;  // the largest LUKS2 metadata area holds the whole header
    limits.max_depth = kMaxHeaderJsonDepth;
    Json tree;
    try {
        tree = parse_json<Json>(json, "its JSON", limits);
    } catch (const JsonError& e) {
        refuse(e.what());
    }
    if (!tree.is_object()) refuse("its JSON is " + json_type_phrase(tree) + ", not an object");
    return tree;
}

// `value` must be a string: "<what> must be a string, not a number".
const std::string& string_of(const Json& value, const std::string& what) {
    if (!value.is_string())
        refuse(what + " must be a string, not " + json_type_phrase(value));
    return value.get_ref<const std::string&>();
}

// A member that must be a string.
std::string text_of(const Json& tree, const std::string& key, bool required) {
    auto child = tree.find(key);
    if (child == tree.end()) {
        if (required) refuse("\"" + key + "\" is missing");
        return {};
    }
    return string_of(*child, "\"" + key + "\"");
}

TokenState state_of(const std::string& text) {
    if (text == "initializing") return TokenState::Initializing;
    if (text == "ready") return TokenState::Ready;
    refuse("\"state\" is \"" + text + "\"; expected \"initializing\" or \"ready\"");
}

std::map<std::string, std::string> provider_data_of(const Json& tree) {
    std::map<std::string, std::string> data;
    auto child = tree.find("provider_data");
    if (child == tree.end()) return data;
    if (!child->is_object())
        refuse(std::string("\"provider_data\" must be an object, not ") +
               (child->is_array() ? "a list" : json_type_phrase(*child)));
    for (const auto& [key, value] : child->items())
        data[key] = string_of(value, "provider_data \"" + key + "\"");
    return data;
}

// The rollback record: all of it or none of it, each part well formed.
void rollback_record_of(const Json& tree, CvfsToken& token) {
    const std::string generation = text_of(tree, "generation", false);
    token.generation_mac = text_of(tree, "generation_mac", false);
    token.counter = text_of(tree, "counter", false);
    token.counter_index = text_of(tree, "counter_index", false);
    if (generation.empty()) {
        if (!token.generation_mac.empty() || !token.counter.empty() || !token.counter_index.empty())
            refuse("\"generation\" is missing beside \"generation_mac\", \"counter\" or \"counter_index\"");
        return;
    }
    uint64_t number = 0;
    auto [end, ec] = std::from_chars(generation.data(), generation.data() + generation.size(), number);
    if (ec != std::errc() || end != generation.data() + generation.size() || generation.size() > 20 ||
        (generation.size() > 1 && generation[0] == '0'))
        refuse("\"generation\" is \"" + generation.substr(0, 24) + "\"; expected a decimal number");
    token.generation = number;
    const auto& mac = token.generation_mac;
    if (mac.size() != 64 || mac.find_first_not_of("0123456789abcdef") != std::string::npos)
        refuse("\"generation_mac\" must be 64 lower-case hex digits");
    if (token.counter != "none" && token.counter != "tpm" && token.counter != "secretd")
        refuse("\"counter\" is \"" + token.counter.substr(0, 24) + "\"; expected \"none\", \"tpm\" or \"secretd\"");
    if (token.counter_index.size() > 64) refuse("\"counter_index\" is longer than 64 characters");
}

// "keyslots":["0","3"]: keyslot numbers as strings, as LUKS2 wants them.
std::vector<int> keyslots_of(const Json& tree) {
    auto list = tree.find("keyslots");
    if (list == tree.end()) refuse("\"keyslots\" is missing");
    if (!list->is_array()) refuse("\"keyslots\" must be a list");
    std::vector<int> keyslots;
    for (const Json& value : *list) {
        const std::string* id = value.is_string() ? &value.get_ref<const std::string&>() : nullptr;
        int number = -1;
        if (id) {
            auto [end, ec] = std::from_chars(id->data(), id->data() + id->size(), number);
            if (ec != std::errc() || end != id->data() + id->size()) number = -1;
        }
        if (number < 0)
            refuse("\"keyslots\" must be a list of keyslot numbers as strings, not " +
                   value.dump().substr(0, 24));
        keyslots.push_back(number);
    }
    return keyslots;
}

}  // namespace

const char* to_string(TokenState state) {
    return state == TokenState::Ready ? "ready" : "initializing";
}

std::string CvfsToken::to_json(const std::vector<int>& keyslots) const {
    nlohmann::ordered_json tree;
    tree["type"] = kCvfsTokenType;
    tree["keyslots"] = nlohmann::ordered_json::array();
    for (int keyslot : keyslots) tree["keyslots"].push_back(std::to_string(keyslot));
    tree["state"] = to_string(state);
    tree["volume"] = volume;
    tree["provider"] = provider;
    tree["fs"] = fs;
    tree["created_by"] = created_by;
    tree["provider_data"] = nlohmann::ordered_json::object();
    for (const auto& [key, value] : provider_data) tree["provider_data"][key] = value;
    if (generation) {
        tree["generation"] = std::to_string(*generation);
        tree["generation_mac"] = generation_mac;
        tree["counter"] = counter;
        tree["counter_index"] = counter_index;
    }
    try {
        return tree.dump();
    } catch (const nlohmann::json::type_error&) {  // a string that is not UTF-8
        throw Error(ErrorKind::Header,
                    "the cvfs token of volume \"" + volume + "\" cannot be written: a value is not UTF-8 text",
                    "the key provider's values and the volume's names must be UTF-8");
    }
}

CvfsToken CvfsToken::from_json(const std::string& json) {
    Json tree = parse(json);
    std::string type = text_of(tree, "type", true);
    if (type != kCvfsTokenType) refuse("\"type\" is \"" + type + "\"; expected \"cvfs\"");
    keyslots_of(tree);
    CvfsToken token;
    token.state = state_of(text_of(tree, "state", true));
    token.volume = text_of(tree, "volume", true);
    if (token.volume.empty()) refuse("\"volume\" is empty");
    token.provider = text_of(tree, "provider", true);
    if (token.provider.empty()) refuse("\"provider\" is empty");
    token.fs = text_of(tree, "fs", false);
    token.created_by = text_of(tree, "created_by", false);
    token.provider_data = provider_data_of(tree);
    rollback_record_of(tree, token);
    return token;
}

std::vector<int> token_keyslots(const std::string& json) {
    return keyslots_of(parse(json));
}

}  // namespace cvfs
