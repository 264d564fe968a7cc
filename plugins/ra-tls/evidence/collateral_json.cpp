// Intel's collateral JSON read with nlohmann-json (see collateral_json.h).
#include "collateral_json.h"

#include <cstddef>

#include "evidence_error.h"

namespace cvfs::ratls {
namespace {

// Intel serves TCB info and QE identity documents of a few to some tens of
// KiB (the TCB info grows by a level with each TCB recovery); 512 KiB leaves
// more than ten times that. Their deepest value (document, tcbInfo,
// tdxModuleIdentities, an identity, its tcbLevels, a level, its tcb) is 7
// levels down; 16 leaves room for new optional members without letting a
// hostile file nest without bound.
constexpr JsonLimits kCollateralLimits{.max_bytes = 512 << 10, .max_depth = 16};

// Finds where the objects held by the top-level member `key` begin and end.
class MemberFinder : public nlohmann::json_sax<Json> {
public:
    // `read` is where the parser's JsonTextIterator says it has read up to.
    MemberFinder(std::string_view text, std::string_view key, const char* const* read)
        : text_(text), key_(key), read_(read) {}

    size_t found = 0;         // how many times `key` holds an object at the top level
    bool other_type = false;  // `key` at the top level holds something else
    size_t begin = 0, end = 0;

    bool null() override { return scalar(); }
    bool boolean(bool) override { return scalar(); }
    bool number_integer(number_integer_t) override { return scalar(); }
    bool number_unsigned(number_unsigned_t) override { return scalar(); }
    bool number_float(number_float_t, const string_t&) override { return scalar(); }
    bool string(string_t&) override { return scalar(); }
    bool binary(binary_t&) override { return scalar(); }
    bool start_object(size_t) override {
        if (armed_ && depth_ == 1) {
            begin = taken() - 1;
            inside_ = true;
        }
        armed_ = false;
        ++depth_;
        return true;
    }
    bool key(string_t& name) override {
        armed_ = depth_ == 1 && name == key_;
        return true;
    }
    bool end_object() override {
        --depth_;
        if (inside_ && depth_ == 1) {
            end = taken();
            inside_ = false;
            ++found;
        }
        return true;
    }
    bool start_array(size_t) override {
        if (armed_ && depth_ == 1) other_type = true;
        armed_ = false;
        ++depth_;
        return true;
    }
    bool end_array() override {
        --depth_;
        return true;
    }
    bool parse_error(size_t, const std::string&, const nlohmann::detail::exception&) override {
        return false;
    }

private:
    size_t taken() const { return static_cast<size_t>(*read_ - text_.data()); }
    bool scalar() {
        if (armed_ && depth_ == 1) other_type = true;
        armed_ = false;
        return true;
    }

    std::string_view text_, key_;
    const char* const* read_;
    size_t depth_ = 0;
    bool armed_ = false, inside_ = false;
};

const Json& member(const Json& object, std::string_view key, const std::string& where) {
    if (!object.is_object())
        malformed(where + ": expected an object holding \"" + std::string(key) + "\", found " +
                  json_type_phrase(object));
    auto it = object.find(key);
    if (it == object.end()) malformed(where + ": \"" + std::string(key) + "\" is missing");
    return *it;
}

[[noreturn]] void mistyped(const Json& value, std::string_view key, const char* expected,
                           const std::string& where) {
    malformed(where + ": \"" + std::string(key) + "\" is " + json_type_phrase(value) + ", expected " +
              expected);
}

}  // namespace

Json parse_collateral(std::string_view text, const std::string& where) {
    try {
        return parse_json(text, where, kCollateralLimits);
    } catch (const JsonError& e) {
        malformed(e.what());
    }
}

std::string_view signed_member(std::string_view text, std::string_view key, const std::string& where) {
    const char* read = text.data();
    MemberFinder finder(text, key, &read);
    JsonTextIterator first{text.data(), &read}, last{text.data() + text.size(), &read};
    bool whole = Json::sax_parse(first, last, &finder);
    const std::string name(key);
    if (!whole) malformed(where + ": not valid JSON");  // parse_collateral said why
    if (finder.other_type) malformed(where + ": \"" + name + "\" is not an object");
    if (finder.found != 1)
        malformed(where + ": \"" + name + "\" is " + (finder.found ? "there more than once" : "missing"));
    std::string_view bytes = text.substr(finder.begin, finder.end - finder.begin);
    if (bytes.size() < 2 || bytes.front() != '{' || bytes.back() != '}')
        malformed(where + ": the bytes of \"" + name + "\" could not be found");
    return bytes;
}

const Json& need_object(const Json& object, std::string_view key, const std::string& where) {
    const Json& value = member(object, key, where);
    if (!value.is_object()) mistyped(value, key, "an object", where);
    return value;
}

const Json::array_t& need_array(const Json& object, std::string_view key, const std::string& where) {
    const Json& value = member(object, key, where);
    if (!value.is_array()) mistyped(value, key, "an array", where);
    return value.get_ref<const Json::array_t&>();
}

const std::string& need_string(const Json& object, std::string_view key, const std::string& where) {
    const Json& value = member(object, key, where);
    if (!value.is_string()) mistyped(value, key, "a string", where);
    return value.get_ref<const std::string&>();
}

int64_t need_integer(const Json& object, std::string_view key, const std::string& where) {
    const Json& value = member(object, key, where);
    if (!value.is_number()) mistyped(value, key, "a number", where);
    // SVNs and product ids are 16-bit; 12 decimal digits is a generous bound.
    constexpr uint64_t kMax = 999'999'999'999;
    if (!value.is_number_unsigned() || value.get<uint64_t>() > kMax)
        malformed(where + ": \"" + std::string(key) + "\" is " + value.dump() +
                  ", expected a small non-negative integer");
    return static_cast<int64_t>(value.get<uint64_t>());
}

}  // namespace cvfs::ratls
