// Typed reading of TOML tables with "<file>:<line>:<col>: ...; expected ..."
// errors (see toml_reader.h).
#include "config/toml_reader.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "config/file_trust.h"

namespace cvfs::config_detail {

namespace {

constexpr int64_t kMaxTimeoutSeconds = 24 * 3600;
constexpr std::string_view kTimeoutExpected =
    "a number of seconds or a string like \"30s\", \"2m\", \"1h\"";

// Edit distance, to suggest the key the operator probably meant.
size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string suggestion(std::string_view key, std::initializer_list<std::string_view> known) {
    for (std::string_view candidate : known) {
        if (edit_distance(key, candidate) <= 2)
            return "did you mean '" + std::string(candidate) + "'?";
    }
    return {};
}

std::string join(std::initializer_list<std::string_view> words) {
    std::string out;
    for (std::string_view word : words) {
        if (!out.empty()) out += ", ";
        out += word;
    }
    return out;
}

void flatten_into(const TableReader& reader, const toml::table& table, const std::string& prefix,
                  std::initializer_list<std::string_view> skip, std::vector<ConfigItem>& items);

[[noreturn]] void fail_item(const TableReader& reader, const std::string& key,
                            const toml::node& value, const std::string& what) {
    fail_at(location_in(reader.file(), value.source()), reader.describe(key) + " " + what,
            "a string, an integer, a boolean, an array of strings or a table",
            "plugin tables take no floating-point numbers, dates or arrays of tables");
}

ConfigItem scalar_item(const TableReader& reader, const std::string& key, const toml::node& value) {
    ConfigItem item;
    item.key = key;
    item.where = location_in(reader.file(), value.source());
    if (auto text = value.value_exact<std::string>()) {
        item.type = ConfigItem::Type::String;
        item.string = *text;
    } else if (auto number = value.value_exact<int64_t>()) {
        item.type = ConfigItem::Type::Integer;
        item.integer = *number;
    } else if (auto flag = value.value_exact<bool>()) {
        item.type = ConfigItem::Type::Boolean;
        item.integer = *flag ? 1 : 0;
    } else {
        fail_item(reader, key, value, "is " + type_phrase(value.type()));
    }
    return item;
}

void flatten_value(const TableReader& reader, const std::string& key, const toml::node& value,
                   std::vector<ConfigItem>& items) {
    if (const toml::table* nested = value.as_table()) {
        flatten_into(reader, *nested, key + ".", {}, items);
    } else if (const toml::array* elements = value.as_array()) {
        for (const toml::node& element : *elements) {
            if (element.is_table()) fail_item(reader, key, element, "is an array of tables");
            if (!element.is_string())
                fail_item(reader, key, element, "holds " + type_phrase(element.type()));
            items.push_back(scalar_item(reader, key, element));
        }
    } else {
        items.push_back(scalar_item(reader, key, value));
    }
}

void flatten_into(const TableReader& reader, const toml::table& table, const std::string& prefix,
                  std::initializer_list<std::string_view> skip, std::vector<ConfigItem>& items) {
    for (auto&& [key, value] : table) {
        if (std::find(skip.begin(), skip.end(), key.str()) != skip.end()) continue;
        flatten_value(reader, prefix + std::string(key.str()), value, items);
    }
}

}  // namespace

toml::table parse_toml_file(const std::string& path, const std::string& what) {
    std::string text = read_trusted_config_file(path, what);
    try {
        return toml::parse(text, path);
    } catch (const toml::parse_error& error) {
        fail_at(location_in(path, error.source()), std::string(error.description()), "valid TOML",
                "fix the syntax at that position");
    }
}

SourceLocation location_in(const std::string& file, const toml::source_region& region) {
    return SourceLocation{file, region.begin.line, region.begin.column};
}

void fail_at(const SourceLocation& where, const std::string& what, const std::string& expected,
             std::string hint) {
    throw Error(ErrorKind::Config, where.str() + ": " + what + "; expected " + expected,
                std::move(hint));
}

std::string type_phrase(toml::node_type type) {
    switch (type) {
        case toml::node_type::string:
            return "a string";
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a floating-point number";
        case toml::node_type::boolean:
            return "a boolean";
        case toml::node_type::date:
            return "a date";
        case toml::node_type::time:
            return "a time";
        case toml::node_type::date_time:
            return "a date-time";
        case toml::node_type::array:
            return "an array";
        case toml::node_type::table:
            return "a table";
        case toml::node_type::none:
            break;
    }
    return "nothing";
}

TableReader::TableReader(const toml::table& table, std::string file, std::string name)
    : table_(table), file_(std::move(file)), name_(std::move(name)) {}

SourceLocation TableReader::where() const {
    if (name_.empty()) return SourceLocation{file_, 1, 1};
    return location_in(file_, table_.source());
}

SourceLocation TableReader::where_key(std::string_view key) const {
    auto found = table_.find(key);
    if (found == table_.end()) return where();
    return location_in(file_, found->first.source());
}

SourceLocation TableReader::where_value(std::string_view key) const {
    const toml::node* value = table_.get(key);
    if (!value) return where();
    return location_in(file_, value->source());
}

void TableReader::reject_unknown(std::initializer_list<std::string_view> known) const {
    ErrorList errors;
    for (const auto& entry : table_) {
        const toml::key& key = entry.first;  // named: a lambda cannot capture a structured binding in clang 14
        if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
        std::string in_table = name_.empty() ? "" : " in [" + name_ + "]";
        errors.run([&] {
            fail_at(location_in(file_, key.source()), "unknown key '" + std::string(key.str()) + "'" + in_table,
                    "one of " + join(known), suggestion(key.str(), known));
        });
    }
    errors.finish();
}

std::string TableReader::describe(std::string_view key) const {
    std::string text = "'" + std::string(key) + "'";
    if (!name_.empty()) text += " in [" + name_ + "]";
    return text;
}

void TableReader::fail_type(std::string_view key, std::string_view expected) const {
    const toml::node* value = table_.get(key);
    fail_at(where_value(key), describe(key) + " is " + type_phrase(value->type()),
            std::string(expected));
}

void TableReader::fail_missing(std::string_view key, std::string_view expected) const {
    std::string in_table = name_.empty() ? "" : " in [" + name_ + "]";
    fail_at(where(), "missing key '" + std::string(key) + "'" + in_table, std::string(expected));
}

void TableReader::fail_value(std::string_view key, const std::string& what,
                             std::string_view expected, std::string hint) const {
    fail_at(where_value(key), what, std::string(expected), std::move(hint));
}

void TableReader::fail_invalid(std::string_view key, std::string_view expected,
                               std::string hint) const {
    fail_value(key, "invalid value " + render_value(*table_.get(key)) + " for " + describe(key),
               expected, std::move(hint));
}

std::optional<std::string> TableReader::string(std::string_view key,
                                               std::string_view expected) const {
    const toml::node* value = table_.get(key);
    if (!value) return std::nullopt;
    if (auto text = value->value_exact<std::string>()) return text;
    fail_type(key, expected);
}

std::optional<bool> TableReader::boolean(std::string_view key, std::string_view expected) const {
    const toml::node* value = table_.get(key);
    if (!value) return std::nullopt;
    if (auto flag = value->value_exact<bool>()) return flag;
    fail_type(key, expected);
}

std::optional<int64_t> TableReader::integer(std::string_view key, std::string_view expected) const {
    const toml::node* value = table_.get(key);
    if (!value) return std::nullopt;
    if (auto number = value->value_exact<int64_t>()) return number;
    fail_type(key, expected);
}

const toml::table* TableReader::subtable(std::string_view key, std::string_view expected) const {
    const toml::node* value = table_.get(key);
    if (!value) return nullptr;
    if (const toml::table* table = value->as_table()) return table;
    fail_type(key, expected);
}

const toml::array* TableReader::array(std::string_view key, std::string_view expected) const {
    const toml::node* value = table_.get(key);
    if (!value) return nullptr;
    if (const toml::array* elements = value->as_array()) return elements;
    fail_type(key, expected);
}

std::vector<ConfigItem> flatten_plugin_table(const TableReader& reader,
                                             std::initializer_list<std::string_view> skip) {
    std::vector<ConfigItem> items;
    flatten_into(reader, reader.table(), "", skip, items);
    return items;
}

std::string render_value(const toml::node& value) {
    if (auto text = value.value_exact<std::string>()) return "\"" + *text + "\"";
    if (auto number = value.value_exact<int64_t>()) return std::to_string(*number);
    if (auto flag = value.value_exact<bool>()) return *flag ? "true" : "false";
    return type_phrase(value.type());
}

std::chrono::seconds read_timeout(const TableReader& reader, std::string_view key) {
    const toml::node* value = reader.node(key);
    int64_t seconds = 0;
    if (auto number = value->value_exact<int64_t>()) {
        seconds = *number;
    } else if (auto text = value->value_exact<std::string>()) {
        std::string_view digits = *text;
        int64_t unit = 1;
        if (!digits.empty() &&
            (digits.back() == 's' || digits.back() == 'm' || digits.back() == 'h')) {
            unit = digits.back() == 's' ? 1 : digits.back() == 'm' ? 60 : 3600;
            digits.remove_suffix(1);
        }
        auto [end, status] = std::from_chars(digits.data(), digits.data() + digits.size(), seconds);
        if (digits.empty() || status != std::errc() || end != digits.data() + digits.size())
            reader.fail_invalid(key, kTimeoutExpected);
        seconds = seconds > kMaxTimeoutSeconds ? kMaxTimeoutSeconds + 1 : seconds * unit;
    } else {
        reader.fail_value(key, reader.describe(key) + " is " + type_phrase(value->type()),
                          kTimeoutExpected);
    }
    if (seconds < 1 || seconds > kMaxTimeoutSeconds)
        reader.fail_invalid(key, "1 second to 24 hours");
    return std::chrono::seconds(seconds);
}

bool is_plugin_name(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

bool is_absolute_path(std::string_view path) {
    return !path.empty() && path.front() == '/' && path.find('\0') == std::string_view::npos;
}

}  // namespace cvfs::config_detail
