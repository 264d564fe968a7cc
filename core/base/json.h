// Parsing JSON from a disk or the network, the one way cvfs does it: with
// nlohmann-json, under a size limit and a nesting limit, and with errors that
// say where the text went wrong.
//
// nlohmann's parser itself does not recurse, but the values it builds are
// walked recursively by whoever reads them, so text nested deeper than
// `max_depth` is refused (the parser callback discards it before the deep
// value exists, and the parse then fails). Text longer than `max_bytes` is refused before parsing.
//
// Header-only and free of the rest of the core (it throws JsonError, a
// std::runtime_error, not cvfs::Error), so in-tree plugins and cvfs-secretd
// use it as well: link the interface target cvfs_json. Callers wrap
// JsonError into their own error with the name of the file or the peer.
//
// The value type is a template parameter so that text holding a secret can be
// parsed into a basic_json whose strings live in locked memory.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>

namespace cvfs {

struct JsonLimits {
    size_t max_bytes = 1 << 20;  // the whole text
    size_t max_depth = 32;       // objects and arrays inside each other
};

// Why a JSON text was refused: not JSON, too big or too deep. what() names
// `what` (the caller's word for the text, e.g. "LUKS2 header JSON") and,
// for syntax errors, the byte offset.
class JsonError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The part of nlohmann's message that says what is wrong and where, without
// its "[json.exception...]" prefix (it names the library, not the problem)
// and without the "last read" excerpt, which would copy input text -- perhaps
// a secret -- into an error message.
inline std::string short_reason(const nlohmann::json::exception& e) {
    std::string m = e.what();
    if (auto p = m.find("] "); m.rfind("[json.exception", 0) == 0 && p != std::string::npos)
        m.erase(0, p + 2);
    if (auto p = m.find("; last read"); p != std::string::npos) m.erase(p);
    return m;
}

// A byte iterator over JSON text that records how far the parser has read
// (`*furthest` points just past the last byte taken), for callers that need
// to know where in the text a SAX event happens: a line number for an error,
// or the exact bytes of a member. Give nlohmann's sax_parse a pair of these.
// Its lexer takes one byte per step and reads one byte ahead only to end a
// number, so at start_object/end_object the last byte taken is that brace.
struct JsonTextIterator {
    using iterator_category = std::input_iterator_tag;
    using value_type = char;
    using difference_type = std::ptrdiff_t;
    using pointer = const char*;
    using reference = const char&;
    const char* at;
    const char** furthest;
    reference operator*() const { return *at; }
    JsonTextIterator& operator++() {
        *furthest = ++at;
        return *this;
    }
    JsonTextIterator operator++(int) {
        JsonTextIterator old = *this;
        ++*this;
        return old;
    }
    bool operator==(const JsonTextIterator& o) const { return at == o.at; }
};

// A value's JSON type as a sentence names it ("a string", "an object",
// "null"), for errors that say what was found instead of what was expected.
template <class Json>
std::string json_type_phrase(const Json& value) {
    std::string name = value.type_name();
    if (value.is_null()) return name;
    return (value.is_object() || value.is_array() ? "an " : "a ") + name;
}

// Parse `text` into a Json (nlohmann::json or another basic_json), within
// `limits`. Duplicate object keys keep the last value, as nlohmann does.
template <class Json = nlohmann::json>
Json parse_json(std::string_view text, std::string_view what, const JsonLimits& limits = {}) {
    if (text.size() > limits.max_bytes)
        throw JsonError(std::string(what) + " is " + std::to_string(text.size()) +
                        " bytes, more than the " + std::to_string(limits.max_bytes) +
                        " accepted");
    const size_t max_depth = limits.max_depth;
    // `depth` counts the enclosing containers; a container's own start event
    // comes with the depth outside it, so the new container is at depth + 1.
    // A too-deep container is discarded and noted, never thrown from here:
    // nlohmann calls the callback where an exception ends the process.
    bool too_deep = false;
    auto bound = [max_depth, &too_deep](int depth, typename Json::parse_event_t event, Json&) {
        if ((event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start) &&
            static_cast<size_t>(depth) + 1 > max_depth) {
            too_deep = true;
            return false;
        }
        return true;
    };
    Json value;
    try {
        value = Json::parse(text.begin(), text.end(), bound);
    } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for a number too big
        throw JsonError(std::string(what) + " is not valid JSON: " + short_reason(e));
    }
    if (too_deep)
        throw JsonError(std::string(what) + " nests objects or arrays more than " + std::to_string(max_depth) +
                        " levels deep");
    return value;
}

}  // namespace cvfs
