// Reading the JSON secret store (see secret_store.h) with the shared JSON
// library (nlohmann-json): one object whose members are strings, nothing else.
#include "secret_store.h"

#include "base/json.h"
#include "cvfs/text.hpp"

#include <algorithm>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iterator>
#include <stdexcept>

namespace cvfs::secretd {
namespace {

constexpr size_t kMaxStore = 16 * 1024 * 1024;

// The store is parsed by nlohmann's SAX interface straight into LockedBytes,
// so no tree of the secrets is built. The store's text is already in locked
// memory (load reads it into LockedBytes), and the lexer's token buffer is a
// string on LockedAllocator, so the decoded secret, while it is read, lives in
// locked memory that is wiped when it grows or goes; only the value itself is
// then copied out into its own LockedBytes. (The lexer's short plain buffer of
// the last characters read, kept for its error messages, is not locked; error
// messages never show it, see base/json.h.)
using LockedString = std::basic_string<char, std::char_traits<char>, LockedAllocator<char>>;
using StoreJson = nlohmann::basic_json<std::map, std::vector, LockedString, bool, std::int64_t,
                                       std::uint64_t, double, LockedAllocator>;

class StoreReader : public nlohmann::json_sax<StoreJson> {
public:
    StoreReader(std::span<const uint8_t> text, const std::string& where,
                std::map<std::string, LockedBytes>& out)
        : begin_(reinterpret_cast<const char*>(text.data())), end_(begin_ + text.size()), read_(begin_),
          where_(where), out_(out) {}

    const char** read_position() { return &read_; }

    [[noreturn]] void fail(const std::string& what, const char* at = nullptr) const {
        size_t line = 1;
        const char* stop = std::min(at ? at : read_, end_);  // the parser may report a place past the end
        for (const char* p = begin_; p < stop; ++p) line += *p == '\n';
        throw std::runtime_error(where_ + ":" + std::to_string(line) + ": " + what +
                                 " (expected a JSON object of strings: {\"app-id\": \"secret\"})");
    }

    bool start_object(std::size_t) override {
        if (depth_++ != 0) fail("the value of '" + id_ + "' is not a string");
        return true;
    }
    bool end_object() override {
        closed_ = --depth_ == 0;
        return true;
    }
    bool key(string_t& k) override {
        id_.assign(k.begin(), k.end());
        if (id_.empty()) fail("an empty app id");
        if (out_.count(id_)) fail("app id '" + id_ + "' appears twice");
        return true;
    }
    bool string(string_t& value) override {
        if (depth_ == 0) not_object();
        LockedBytes bytes(value.size() + 1);
        std::memcpy(bytes.data(), value.data(), value.size());
        bytes.set_length(value.size());
        out_.emplace(id_, std::move(bytes));
        return true;
    }
    bool null() override { return scalar(); }
    bool boolean(bool) override { return scalar(); }
    bool number_integer(number_integer_t) override { return scalar(); }
    bool number_unsigned(number_unsigned_t) override { return scalar(); }
    bool number_float(number_float_t, const string_t&) override { return scalar(); }
    bool binary(binary_t&) override { return scalar(); }
    bool start_array(std::size_t) override { return scalar(); }
    bool end_array() override { return true; }
    bool parse_error(std::size_t position, const std::string&,
                     const nlohmann::detail::exception& e) override {
        if (closed_) fail("text after the object", begin_ + position);
        fail(cvfs::short_reason(e), begin_ + position);
    }

private:
    [[noreturn]] void not_object() const { fail("expected '{'"); }
    bool scalar() {
        if (depth_ == 0) not_object();
        fail("the value of '" + id_ + "' is not a string");
    }

    const char* begin_;
    const char* end_;
    const char* read_;
    const std::string& where_;
    std::map<std::string, LockedBytes>& out_;
    std::string id_;
    int depth_ = 0;
    bool closed_ = false;  // the object has ended: what follows is trailing text
};

std::string errno_text() { return std::strerror(errno); }

}  // namespace

SecretStore SecretStore::parse(std::span<const uint8_t> text, const std::string& where) {
    SecretStore store;
    StoreReader reader(text, where, store.secrets_);
    const char* begin = reinterpret_cast<const char*>(text.data());
    JsonTextIterator first{begin, reader.read_position()};
    JsonTextIterator last{begin + text.size(), reader.read_position()};
    // Depth needs no bound here: the reader refuses any value but a string
    // inside the one object, so nothing nests deeper than 1.
    // The text parser alone: basic_json::sax_parse would also instantiate the
    // binary formats' readers, which do not build with a custom string type.
    auto input = nlohmann::detail::input_adapter(first, last);
    nlohmann::detail::parser<StoreJson, decltype(input)>(std::move(input), nullptr, true, false)
        .sax_parse(&reader, true);
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
        throw std::runtime_error(
            "secret store " + path + ": owner uid " + std::to_string(st.st_uid) + ", mode " +
            sdk::octal_mode(mode) +
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
