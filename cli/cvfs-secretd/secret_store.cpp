// Reading the JSON secret store (see secret_store.h). The parser takes only
// what the format needs: one object whose members are strings.
#include "secret_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace cvfs::secretd {
namespace {

constexpr size_t kMaxStore = 16 * 1024 * 1024;

class JsonReader {
public:
    JsonReader(std::span<const uint8_t> text, const std::string& where)
        : text_(text), where_(where) {}

    [[noreturn]] void fail(const std::string& what) const {
        size_t line = 1;
        for (size_t i = 0; i < at_ && i < text_.size(); ++i) line += text_[i] == '\n';
        throw std::runtime_error(where_ + ":" + std::to_string(line) + ": " + what +
                                 " (expected a JSON object of strings: {\"app-id\": \"secret\"})");
    }
    void skip_space() {
        while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t' ||
                                      text_[at_] == '\n' || text_[at_] == '\r'))
            ++at_;
    }
    bool next_is(char c) {
        skip_space();
        return at_ < text_.size() && text_[at_] == c;
    }
    void expect(char c) {
        if (!next_is(c)) fail(std::string("expected '") + c + "'");
        ++at_;
    }
    bool at_end() {
        skip_space();
        return at_ == text_.size();
    }

    // Decodes a JSON string into `out` (at most its raw length); returns its length.
    size_t string(uint8_t* out) {
        expect('"');
        size_t n = 0;
        for (;;) {
            if (at_ >= text_.size()) fail("unterminated string");
            uint8_t c = text_[at_++];
            if (c == '"') return n;
            if (c < 0x20) fail("control character in a string");
            if (c != '\\') {
                out[n++] = c;
                continue;
            }
            if (at_ >= text_.size()) fail("unterminated escape");
            c = text_[at_++];
            switch (c) {
                case '"':
                case '\\':
                case '/':
                    out[n++] = c;
                    break;
                case 'b':
                    out[n++] = '\b';
                    break;
                case 'f':
                    out[n++] = '\f';
                    break;
                case 'n':
                    out[n++] = '\n';
                    break;
                case 'r':
                    out[n++] = '\r';
                    break;
                case 't':
                    out[n++] = '\t';
                    break;
                case 'u':
                    n += utf8(unicode_escape(), out + n);
                    break;
                default:
                    fail("unknown escape");
            }
        }
    }
    // The raw length of the string that starts here (an upper bound of its decoded length).
    size_t raw_length() {
        skip_space();
        size_t end = at_ + 1;
        while (end < text_.size() && text_[end] != '"') end += text_[end] == '\\' ? 2 : 1;
        return end - at_;
    }

private:
    uint32_t hex4() {
        if (text_.size() - at_ < 4) fail("short \\u escape");
        uint32_t v = 0;
        for (int i = 0; i < 4; ++i) {
            uint8_t c = text_[at_++];
            int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (d < 0) fail("bad \\u escape");
            v = v << 4 | static_cast<uint32_t>(d);
        }
        return v;
    }
    uint32_t unicode_escape() {
        uint32_t cp = hex4();
        if (cp >= 0xd800 && cp < 0xdc00) {
            if (text_.size() - at_ < 2 || text_[at_] != '\\' || text_[at_ + 1] != 'u')
                fail("lone surrogate");
            at_ += 2;
            uint32_t low = hex4();
            if (low < 0xdc00 || low >= 0xe000) fail("bad surrogate pair");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        } else if (cp >= 0xdc00 && cp < 0xe000) {
            fail("lone surrogate");
        }
        return cp;
    }
    // At most 4 bytes; a \u escape takes 6 raw bytes, so it always fits.
    static size_t utf8(uint32_t cp, uint8_t* out) {
        if (cp < 0x80) {
            out[0] = static_cast<uint8_t>(cp);
            return 1;
        }
        if (cp < 0x800) {
            out[0] = static_cast<uint8_t>(0xc0 | cp >> 6);
            out[1] = static_cast<uint8_t>(0x80 | (cp & 0x3f));
            return 2;
        }
        if (cp < 0x10000) {
            out[0] = static_cast<uint8_t>(0xe0 | cp >> 12);
            out[1] = static_cast<uint8_t>(0x80 | (cp >> 6 & 0x3f));
            out[2] = static_cast<uint8_t>(0x80 | (cp & 0x3f));
            return 3;
        }
        out[0] = static_cast<uint8_t>(0xf0 | cp >> 18);
        out[1] = static_cast<uint8_t>(0x80 | (cp >> 12 & 0x3f));
        out[2] = static_cast<uint8_t>(0x80 | (cp >> 6 & 0x3f));
        out[3] = static_cast<uint8_t>(0x80 | (cp & 0x3f));
        return 4;
    }

    std::span<const uint8_t> text_;
    const std::string& where_;
    size_t at_ = 0;
};

std::string errno_text() { return std::strerror(errno); }

}  // namespace

SecretStore SecretStore::parse(std::span<const uint8_t> text, const std::string& where) {
    SecretStore store;
    JsonReader json(text, where);
    json.expect('{');
    bool first = true;
    while (!json.next_is('}')) {
        if (!first) json.expect(',');
        first = false;
        LockedBytes key_bytes(json.raw_length() + 1);
        size_t key_length = json.string(key_bytes.data());
        std::string id(reinterpret_cast<const char*>(key_bytes.data()), key_length);
        json.expect(':');
        if (!json.next_is('"')) json.fail("the value of '" + id + "' is not a string");
        LockedBytes value(json.raw_length() + 1);
        value.set_length(json.string(value.data()));
        if (id.empty()) json.fail("an empty app id");
        if (!store.secrets_.emplace(id, std::move(value)).second)
            json.fail("app id '" + id + "' appears twice");
    }
    json.expect('}');
    if (!json.at_end()) json.fail("text after the object");
    return store;
}

SecretStore SecretStore::load(const std::string& path) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) throw std::runtime_error("secret store " + path + ": cannot open: " + errno_text());
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        throw std::runtime_error("secret store " + path + ": not a regular file");
    }
    mode_t mode = st.st_mode & 07777;
    if ((st.st_uid != 0 && st.st_uid != geteuid()) || (mode != 0600 && mode != 0400)) {
        close(fd);
        char octal[8];
        std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode));
        throw std::runtime_error(
            "secret store " + path + ": owner uid " + std::to_string(st.st_uid) + ", mode " +
            octal +
            "; it must be owned by root (or the service user) with mode 0600: run `chmod 600 " +
            path + "`");
    }
    if (st.st_size <= 0 || static_cast<size_t>(st.st_size) > kMaxStore) {
        close(fd);
        throw std::runtime_error("secret store " + path + ": size " + std::to_string(st.st_size) +
                                 " is not between 1 byte and 16 MiB");
    }
    LockedBytes text(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (done < text.capacity()) {
        ssize_t n = read(fd, text.data() + done, text.capacity() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += static_cast<size_t>(n);
    }
    close(fd);
    if (done != text.capacity())
        throw std::runtime_error("secret store " + path + ": changed while it was read");
    return parse(text.bytes(), path);
}

const LockedBytes* SecretStore::find(const std::string& id) const {
    auto found = secrets_.find(id);
    return found == secrets_.end() ? nullptr : &found->second;
}

std::vector<std::string> SecretStore::ids() const {
    std::vector<std::string> out;
    for (const auto& [id, value] : secrets_) out.push_back(id);
    return out;
}

}  // namespace cvfs::secretd
