// The cvfs LUKS2 token: JSON written with and read by Boost.PropertyTree.
//
// PropertyTree writes every value as a JSON string, which is what the token
// holds (keyslot ids are strings in LUKS2 too), so the written text is exactly
// what LUKS2 expects.
#include "luks/cvfs_token.h"

#include "base/error.h"

#include "luks/json_depth.h"

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>

#include <charconv>
#include <sstream>

namespace cvfs {
namespace pt = boost::property_tree;

namespace {

[[noreturn]] void refuse(const std::string& what) {
    throw Error(ErrorKind::Header, "the cvfs token in the LUKS2 header is invalid: " + what,
                "the header may have been damaged or tampered with");
}

pt::ptree parse(const std::string& json) {
    if (!json_depth_within(json))
        refuse("nested deeper than " + std::to_string(kMaxHeaderJsonDepth) + " levels");
    pt::ptree tree;
    std::istringstream in(json);
    try {
        pt::read_json(in, tree);
    } catch (const pt::json_parser_error& e) {
        refuse("not JSON (" + e.message() + " at line " + std::to_string(e.line()) + ")");
    }
    return tree;
}

// A value that must be a string, not an object or list.
std::string text_of(const pt::ptree& tree, const std::string& key, bool required) {
    auto child = tree.get_child_optional(key);
    if (!child) {
        if (required) refuse("\"" + key + "\" is missing");
        return {};
    }
    if (!child->empty()) refuse("\"" + key + "\" must be a string");
    return child->data();
}

TokenState state_of(const std::string& text) {
    if (text == "initializing") return TokenState::Initializing;
    if (text == "ready") return TokenState::Ready;
    refuse("\"state\" is \"" + text + "\"; expected \"initializing\" or \"ready\"");
}

std::map<std::string, std::string> provider_data_of(const pt::ptree& tree) {
    std::map<std::string, std::string> data;
    auto child = tree.get_child_optional("provider_data");
    if (!child) return data;
    if (child->empty() && !child->data().empty()) refuse("\"provider_data\" must be an object");
    for (const auto& [key, value] : *child) {
        if (key.empty()) refuse("\"provider_data\" must be an object, not a list");
        if (!value.empty()) refuse("provider_data \"" + key + "\" must be a string");
        data[key] = value.data();
    }
    return data;
}

// The rollback record: all of it or none of it, each part well formed.
void rollback_record_of(const pt::ptree& tree, CvfsToken& token) {
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

}  // namespace

const char* to_string(TokenState state) {
    return state == TokenState::Ready ? "ready" : "initializing";
}

std::string CvfsToken::to_json(const std::vector<int>& keyslots) const {
    pt::ptree tree;
    tree.put("type", kCvfsTokenType);
    pt::ptree list;
    for (int keyslot : keyslots) list.push_back({"", pt::ptree(std::to_string(keyslot))});
    tree.add_child("keyslots", list);
    tree.put("state", to_string(state));
    tree.put("volume", volume);
    tree.put("provider", provider);
    tree.put("fs", fs);
    tree.put("created_by", created_by);
    pt::ptree data;
    for (const auto& [key, value] : provider_data) data.push_back({key, pt::ptree(value)});
    tree.add_child("provider_data", data);
    if (generation) {
        tree.put("generation", std::to_string(*generation));
        tree.put("generation_mac", generation_mac);
        tree.put("counter", counter);
        tree.put("counter_index", counter_index);
    }
    std::ostringstream out;
    pt::write_json(out, tree, false);
    std::string json = out.str();
    // An empty object is written as "" by PropertyTree; LUKS2 wants an object.
    const std::string empty_data = "\"provider_data\":\"\"";
    if (auto at = json.find(empty_data); at != std::string::npos)
        json.replace(at, empty_data.size(), "\"provider_data\":{}");
    while (!json.empty() && json.back() == '\n') json.pop_back();
    return json;
}

CvfsToken CvfsToken::from_json(const std::string& json) {
    pt::ptree tree = parse(json);
    std::string type = text_of(tree, "type", true);
    if (type != kCvfsTokenType) refuse("\"type\" is \"" + type + "\"; expected \"cvfs\"");
    token_keyslots(json);
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
    pt::ptree tree = parse(json);
    auto list = tree.get_child_optional("keyslots");
    if (!list) refuse("\"keyslots\" is missing");
    if (list->empty() && !list->data().empty()) refuse("\"keyslots\" must be a list");
    std::vector<int> keyslots;
    for (const auto& [key, value] : *list) {
        const std::string& id = value.data();
        int number = -1;
        auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), number);
        if (!key.empty() || !value.empty() || ec != std::errc() || end != id.data() + id.size() ||
            number < 0)
            refuse("\"keyslots\" must be a list of keyslot numbers as strings");
        keyslots.push_back(number);
    }
    return keyslots;
}

}  // namespace cvfs
