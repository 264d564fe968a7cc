// A small JSON tree for the hostile-header generator: it keeps member order,
// duplicate keys, and numbers and strings exactly as written, so an edit
// changes only what it names. Strings stay in their escaped form. It is the
// generator's own code: cvfs reads headers with nlohmann-json and
// libcryptsetup with json-c, and neither is used here.
#pragma once

#include <cctype>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace hostile {

struct JsonMember;

struct Json {
    enum class Type { Null, Bool, Number, String, Array, Object } type = Type::Null;
    std::string scalar;  // Bool: "true"/"false"; Number: as written; String: escaped, no quotes
    std::vector<Json> items;
    std::vector<JsonMember> members;  // a struct of its own: std::pair of an incomplete type breaks clang

    static Json string(std::string text);
    static Json number(std::string text);
    static Json object();
    // The member `key` (the first, when duplicated), or nullptr.
    Json* get(const std::string& key);
    const Json* get(const std::string& key) const;
    Json& at(const std::string& key);
};

struct JsonMember {
    std::string first;
    Json second;
};

inline Json Json::string(std::string text) {
    Json j;
    j.type = Type::String;
    j.scalar = std::move(text);
    return j;
}

inline Json Json::number(std::string text) {
    Json j;
    j.type = Type::Number;
    j.scalar = std::move(text);
    return j;
}

inline Json Json::object() {
    Json j;
    j.type = Type::Object;
    return j;
}

inline Json* Json::get(const std::string& key) {
    for (auto& [k, v] : members)
        if (k == key) return &v;
    return nullptr;
}

inline const Json* Json::get(const std::string& key) const { return const_cast<Json*>(this)->get(key); }

inline Json& Json::at(const std::string& key) {
    Json* v = get(key);
    if (!v) throw std::runtime_error("no member " + key);
    return *v;
}

class JsonParser {
public:
    explicit JsonParser(const std::string& text) : text_(text) {}
    Json parse() {
        Json value = parse_value();
        skip_space();
        if (at_ != text_.size()) fail("trailing text");
        return value;
    }

private:
    [[noreturn]] void fail(const char* what) const {
        throw std::runtime_error(std::string("generator JSON: ") + what + " at " + std::to_string(at_));
    }
    void skip_space() {
        while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_]))) ++at_;
    }
    char peek() {
        skip_space();
        if (at_ >= text_.size()) fail("unexpected end");
        return text_[at_];
    }
    void expect(char c) {
        if (peek() != c) fail("unexpected character");
        ++at_;
    }
    std::string parse_string_text() {
        expect('"');
        size_t start = at_;
        while (at_ < text_.size() && text_[at_] != '"') at_ += text_[at_] == '\\' ? 2 : 1;
        if (at_ >= text_.size()) fail("unterminated string");
        return text_.substr(start, at_++ - start);
    }
    Json parse_value() {
        char c = peek();
        Json j;
        if (c == '{') {
            j.type = Json::Type::Object;
            ++at_;
            if (peek() == '}') return ++at_, j;
            for (;;) {
                std::string key = parse_string_text();
                expect(':');
                j.members.push_back({key, parse_value()});
                if (peek() == ',') {
                    ++at_;
                    continue;
                }
                expect('}');
                return j;
            }
        }
        if (c == '[') {
            j.type = Json::Type::Array;
            ++at_;
            if (peek() == ']') return ++at_, j;
            for (;;) {
                j.items.push_back(parse_value());
                if (peek() == ',') {
                    ++at_;
                    continue;
                }
                expect(']');
                return j;
            }
        }
        if (c == '"') return Json::string(parse_string_text());
        size_t start = at_;
        while (at_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[at_])) ||
                                      text_[at_] == '-' || text_[at_] == '+' || text_[at_] == '.'))
            ++at_;
        j.scalar = text_.substr(start, at_ - start);
        if (j.scalar == "true" || j.scalar == "false") j.type = Json::Type::Bool;
        else if (j.scalar == "null") j.type = Json::Type::Null;
        else if (!j.scalar.empty()) j.type = Json::Type::Number;
        else fail("unexpected character");
        return j;
    }

    const std::string& text_;
    size_t at_ = 0;
};

inline Json parse_json(const std::string& text) { return JsonParser(text).parse(); }

inline std::string dump(const Json& j) {
    switch (j.type) {
    case Json::Type::Null: return "null";
    case Json::Type::Bool:
    case Json::Type::Number: return j.scalar;
    case Json::Type::String: return "\"" + j.scalar + "\"";
    case Json::Type::Array: {
        std::string out = "[";
        for (size_t i = 0; i < j.items.size(); ++i) out += (i ? "," : "") + dump(j.items[i]);
        return out + "]";
    }
    case Json::Type::Object: {
        std::string out = "{";
        for (size_t i = 0; i < j.members.size(); ++i)
            out += (i ? ",\"" : "\"") + j.members[i].first + "\":" + dump(j.members[i].second);
        return out + "}";
    }
    }
    return "null";
}

// A place in the tree: member names and array indexes ("segments", "0", "offset").
using Path = std::vector<std::string>;

inline std::string path_text(const Path& path) {
    std::string text;
    for (const auto& step : path) text += (text.empty() ? "" : ".") + step;
    return text;
}

// Every path below `j` (not `j` itself), parents before children.
inline void all_paths(const Json& j, Path& prefix, std::vector<Path>& out) {
    if (j.type == Json::Type::Object) {
        for (const auto& [key, value] : j.members) {
            prefix.push_back(key);
            out.push_back(prefix);
            all_paths(value, prefix, out);
            prefix.pop_back();
        }
    } else if (j.type == Json::Type::Array) {
        for (size_t i = 0; i < j.items.size(); ++i) {
            prefix.push_back(std::to_string(i));
            out.push_back(prefix);
            all_paths(j.items[i], prefix, out);
            prefix.pop_back();
        }
    }
}

inline Json& at_path(Json& root, const Path& path, size_t depth) {
    Json* node = &root;
    for (size_t i = 0; i < depth; ++i)
        node = node->type == Json::Type::Array ? &node->items.at(std::stoul(path[i])) : &node->at(path[i]);
    return *node;
}

inline Json& at_path(Json& root, const Path& path) { return at_path(root, path, path.size()); }

inline void remove_path(Json& root, const Path& path) {
    Json& parent = at_path(root, path, path.size() - 1);
    if (parent.type == Json::Type::Array) {
        parent.items.erase(parent.items.begin() + static_cast<long>(std::stoul(path.back())));
        return;
    }
    for (auto it = parent.members.begin(); it != parent.members.end(); ++it)
        if (it->first == path.back()) {
            parent.members.erase(it);
            return;
        }
}

// Adds a second member of the same name right after the first, holding `value`.
inline void duplicate_member(Json& root, const Path& path, Json value) {
    Json& parent = at_path(root, path, path.size() - 1);
    for (auto it = parent.members.begin(); it != parent.members.end(); ++it)
        if (it->first == path.back()) {
            parent.members.insert(it + 1, {path.back(), std::move(value)});
            return;
        }
}

}  // namespace hostile
