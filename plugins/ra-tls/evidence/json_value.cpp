// The collateral JSON reader (see json_value.h).
#include "json_value.h"

#include "evidence_error.h"

namespace cvfs::ratls {
namespace {

constexpr int kMaxDepth = 32;

class Parser {
public:
    Parser(std::string_view text, const std::string& where) : t_(text), where_(where) {}

    JsonValue document() {
        JsonValue v = value(0);
        space();
        if (at_ != t_.size()) fail("text after the JSON value");
        return v;
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        malformed(where_ + ": JSON at byte " + std::to_string(at_) + ": " + what);
    }
    void space() {
        while (at_ < t_.size() &&
               (t_[at_] == ' ' || t_[at_] == '\n' || t_[at_] == '\r' || t_[at_] == '\t'))
            ++at_;
    }
    char peek() {
        space();
        if (at_ >= t_.size()) fail("unexpected end");
        return t_[at_];
    }
    void expect(char c) {
        if (peek() != c) fail(std::string("expected '") + c + "'");
        ++at_;
    }

    JsonValue value(int depth) {
        if (depth > kMaxDepth) fail("nested too deeply");
        char c = peek();
        size_t start = at_;
        JsonValue v;
        if (c == '{') {
            v.kind = JsonValue::Kind::object;
            ++at_;
            if (peek() != '}') {
                for (;;) {
                    std::string key = string();
                    expect(':');
                    v.members.push_back(JsonMember{std::move(key), value(depth + 1)});
                    if (peek() == ',') {
                        ++at_;
                        continue;
                    }
                    break;
                }
            }
            expect('}');
        } else if (c == '[') {
            v.kind = JsonValue::Kind::array;
            ++at_;
            if (peek() != ']') {
                for (;;) {
                    v.items.push_back(value(depth + 1));
                    if (peek() == ',') {
                        ++at_;
                        continue;
                    }
                    break;
                }
            }
            expect(']');
        } else if (c == '"') {
            v.kind = JsonValue::Kind::string;
            v.text = string();
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            v.kind = JsonValue::Kind::number;
            while (at_ < t_.size() &&
                   std::string_view("+-0123456789.eE").find(t_[at_]) != std::string_view::npos)
                ++at_;
            v.text = std::string(t_.substr(start, at_ - start));
        } else if (t_.substr(at_, 4) == "true" || t_.substr(at_, 5) == "false") {
            v.kind = JsonValue::Kind::boolean;
            v.text = c == 't' ? "true" : "false";
            at_ += v.text.size();
        } else if (t_.substr(at_, 4) == "null") {
            at_ += 4;
        } else {
            fail("unexpected character");
        }
        v.raw = t_.substr(start, at_ - start);
        return v;
    }

    // Collateral strings are ASCII (hex, dates, ids): escapes are kept as-is
    // except \" and \\, which is all a signed value could hold.
    std::string string() {
        expect('"');
        std::string s;
        while (at_ < t_.size() && t_[at_] != '"') {
            if (t_[at_] == '\\' && at_ + 1 < t_.size()) ++at_;
            s.push_back(t_[at_++]);
        }
        if (at_ >= t_.size()) fail("unterminated string");
        ++at_;
        return s;
    }

    std::string_view t_;
    const std::string& where_;
    size_t at_ = 0;
};

}  // namespace

const JsonValue* JsonValue::get(std::string_view key) const {
    for (const auto& [k, v] : members)
        if (k == key) return &v;
    return nullptr;
}

const JsonValue& JsonValue::need(std::string_view key, Kind want, const std::string& where) const {
    const JsonValue* v = get(key);
    if (!v || v->kind != want)
        malformed(where + ": missing or mistyped \"" + std::string(key) + "\"");
    return *v;
}

int64_t JsonValue::integer(const std::string& where) const {
    if (kind != Kind::number || text.empty() ||
        text.find_first_not_of("0123456789") != std::string::npos || text.size() > 12)
        malformed(where + ": expected a small non-negative integer, got " + std::string(raw));
    return std::stoll(text);
}

JsonValue parse_json(std::string_view text, const std::string& where) {
    return Parser(text, where).document();
}

}  // namespace cvfs::ratls
