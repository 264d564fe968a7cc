// A strict reader for flat JSON objects of strings, see flat_json.h.
#include "flat_json.h"

namespace cvfs::kms {
namespace {

class Reader {
public:
    explicit Reader(std::string_view text) : text_(text) {}

    void skip_space() {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                       text_[pos_] == '\n' || text_[pos_] == '\r'))
            ++pos_;
    }
    bool at_end() const { return pos_ >= text_.size(); }
    char peek() const { return at_end() ? '\0' : text_[pos_]; }

    void expect(char c, const char* what) {
        skip_space();
        if (peek() != c) fail(std::string("expected ") + what);
        ++pos_;
    }

    // A JSON string; `out` receives its unescaped bytes.
    template <class Out>
    void string(Out& out) {
        expect('"', "a string");
        for (;;) {
            if (at_end()) fail("unterminated string");
            char c = text_[pos_++];
            if (c == '"') return;
            if (static_cast<unsigned char>(c) < 0x20) fail("control character in a string");
            if (c != '\\') {
                out.push_back(c);
                continue;
            }
            if (at_end()) fail("unterminated escape");
            char e = text_[pos_++];
            switch (e) {
                case '"':
                case '\\':
                case '/':
                    out.push_back(e);
                    break;
                case 'b':
                    out.push_back('\b');
                    break;
                case 'f':
                    out.push_back('\f');
                    break;
                case 'n':
                    out.push_back('\n');
                    break;
                case 'r':
                    out.push_back('\r');
                    break;
                case 't':
                    out.push_back('\t');
                    break;
                case 'u':
                    out.push_back(ascii_escape());
                    break;
                default:
                    fail("unknown escape");
            }
        }
    }

    [[noreturn]] void fail(const std::string& what) const {
        throw JsonError(what + " at byte " + std::to_string(pos_));
    }

private:
    // \uXXXX for ASCII only: the console's files are ASCII.
    char ascii_escape() {
        if (pos_ + 4 > text_.size()) fail("short \\u escape");
        unsigned value = 0;
        for (int i = 0; i < 4; ++i) {
            char h = text_[pos_++];
            value <<= 4;
            if (h >= '0' && h <= '9')
                value |= unsigned(h - '0');
            else if (h >= 'a' && h <= 'f')
                value |= unsigned(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F')
                value |= unsigned(h - 'A' + 10);
            else
                fail("bad \\u escape");
        }
        if (value == 0 || value > 0x7f) fail("\\u escape outside ASCII");
        return static_cast<char>(value);
    }

    std::string_view text_;
    size_t pos_ = 0;
};

}  // namespace

std::vector<JsonField> parse_flat_json_object(std::string_view text) {
    Reader reader(text);
    std::vector<JsonField> fields;
    reader.expect('{', "'{'");
    reader.skip_space();
    if (reader.peek() == '}') {
        reader.expect('}', "'}'");
    } else {
        for (;;) {
            JsonField field;
            reader.string(field.name);
            reader.expect(':', "':'");
            reader.skip_space();
            if (reader.peek() != '"')
                reader.fail("expected a string value for \"" + field.name + "\"");
            reader.string(field.value);
            fields.push_back(std::move(field));
            reader.skip_space();
            if (reader.peek() == ',') {
                reader.expect(',', "','");
                continue;
            }
            reader.expect('}', "',' or '}'");
            break;
        }
    }
    reader.skip_space();
    if (!reader.at_end()) reader.fail("text after the object");
    return fields;
}

const SecretText* find_field(const std::vector<JsonField>& fields, std::string_view name) {
    for (const auto& field : fields)
        if (field.name == name) return &field.value;
    return nullptr;
}

}  // namespace cvfs::kms
