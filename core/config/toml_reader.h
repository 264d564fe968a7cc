// Reading typed values out of a parsed TOML table, with exact error messages.
//
// Internal to the config loader. Every failure throws cvfs::Error(Config) whose
// message is "<file>:<line>:<col>: <what is wrong>; expected <what>", so the
// operator lands on the right spot. A TableReader knows its file and the
// table's name ("" for the top level, "mount" for [mount]) so messages can say
// "'point' in [mount]".
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "config/volume_config.h"

namespace cvfs::config_detail {

// Reads and parses a whole file; a syntax error becomes the parser's own
// description at its position. The file is read only when root alone can
// change it (read_trusted_config_file); `what` names it in that refusal.
toml::table parse_toml_file(const std::string& path, const std::string& what = "configuration file");

// The place `region` starts in `file`.
SourceLocation location_in(const std::string& file, const toml::source_region& region);

// Every error of one file, for a reader that goes on after the first: its
// what() and hint() are the first's, all() holds them all in file order.
class FileErrors : public Error {
public:
    explicit FileErrors(std::vector<Error> errors)
        : Error(errors.front().kind(), errors.front().what(), errors.front().hint()), all_(std::move(errors)) {}
    const std::vector<Error>& all() const { return all_; }

private:
    std::vector<Error> all_;
};

// Collects the errors of independent parts of a file: run(part) runs one
// part and keeps its cvfs::Error (each of a FileErrors); finish() throws
// them together (FileErrors) when there were any.
class ErrorList {
public:
    template <class Part>
    void run(Part&& part) {
        try {
            part();
        } catch (const FileErrors& errors) {
            errors_.insert(errors_.end(), errors.all().begin(), errors.all().end());
        } catch (const Error& error) {
            errors_.push_back(error);
        }
    }
    void finish() const {
        if (!errors_.empty()) throw FileErrors(errors_);
    }

private:
    std::vector<Error> errors_;
};

// Throws the standard configuration error at `where`.
[[noreturn]] void fail_at(const SourceLocation& where, const std::string& what,
                          const std::string& expected, std::string hint = {});

// "a string", "an integer", "a floating-point number", ...
std::string type_phrase(toml::node_type type);

class TableReader {
public:
    TableReader(const toml::table& table, std::string file, std::string name);

    const std::string& file() const { return file_; }
    const std::string& name() const { return name_; }
    const toml::table& table() const { return table_; }

    // The table itself; for the top level, line 1 column 1.
    SourceLocation where() const;
    // Where `key` is written (the key, not its value), or where() when absent.
    SourceLocation where_key(std::string_view key) const;
    // Where the value of `key` starts, or where() when absent.
    SourceLocation where_value(std::string_view key) const;

    // Any key outside `known` is an error listing `known` in the given order,
    // with the known key it is probably a misspelling of; several such keys
    // are thrown together (FileErrors).
    void reject_unknown(std::initializer_list<std::string_view> known) const;

    // Typed getters: absent -> nullopt; a different type -> error that says
    // `expected`.
    std::optional<std::string> string(std::string_view key, std::string_view expected) const;
    std::optional<bool> boolean(std::string_view key, std::string_view expected) const;
    std::optional<int64_t> integer(std::string_view key, std::string_view expected) const;
    const toml::table* subtable(std::string_view key, std::string_view expected) const;
    const toml::array* array(std::string_view key, std::string_view expected) const;
    const toml::node* node(std::string_view key) const { return table_.get(key); }

    // "'point' in [mount]" or "'volume'" at the top level.
    std::string describe(std::string_view key) const;

    [[noreturn]] void fail_missing(std::string_view key, std::string_view expected) const;
    [[noreturn]] void fail_value(std::string_view key, const std::string& what,
                                 std::string_view expected, std::string hint = {}) const;
    // "invalid value <shown> for 'key' [in [table]]; expected ..." at the value.
    [[noreturn]] void fail_invalid(std::string_view key, std::string_view expected,
                                   std::string hint = {}) const;

private:
    [[noreturn]] void fail_type(std::string_view key, std::string_view expected) const;

    const toml::table& table_;
    std::string file_;
    std::string name_;
};

// Flattens a plugin's table into items: nested tables become dotted keys,
// arrays of strings one item per element; strings, integers and booleans pass;
// anything else is an error naming the key. Keys in `skip` (top level of the
// table only) are left out.
std::vector<ConfigItem> flatten_plugin_table(const TableReader& reader,
                                             std::initializer_list<std::string_view> skip = {});

// The value of `key` as written: "\"text\"" for strings, digits for integers.
std::string render_value(const toml::node& value);

// "30", "30s", "2m", "1h" or an integer node -> seconds (1 s to 24 h).
std::chrono::seconds read_timeout(const TableReader& reader, std::string_view key);

// Plugin names: [a-z0-9_-]+, at most 64 characters.
bool is_plugin_name(std::string_view name);

// An absolute, normalised-enough path: starts with '/', no NUL.
bool is_absolute_path(std::string_view path);

}  // namespace cvfs::config_detail
