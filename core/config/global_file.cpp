// The global file <confdir>/cvfs.toml and the vendor plugin registrations in
// <confdir>/plugins.d/. Both are optional; every key has a default.
#include <filesystem>
#include <map>

#include "base/error.h"
#include "config/config_loader.h"
#include "config/file_trust.h"
#include "config/toml_reader.h"

namespace cvfs {

namespace {

using config_detail::TableReader;

constexpr std::string_view kDirsExpected = "an array of absolute directory paths";

std::vector<std::string> read_plugin_dirs(const TableReader& top) {
    const toml::table* table = top.subtable("plugins", "a table [plugins]");
    if (!table) return {CVFS_DEFAULT_PLUGINDIR};
    TableReader plugins(*table, top.file(), "plugins");
    plugins.reject_unknown({"dirs"});
    const toml::array* dirs = plugins.array("dirs", kDirsExpected);
    if (!dirs) return {CVFS_DEFAULT_PLUGINDIR};
    if (dirs->empty())
        plugins.fail_value("dirs", "'dirs' in [plugins] is empty", "at least one directory");
    std::vector<std::string> out;
    for (const toml::node& element : *dirs) {
        auto dir = element.value_exact<std::string>();
        if (!dir || !config_detail::is_absolute_path(*dir)) {
            config_detail::fail_at(config_detail::location_in(top.file(), element.source()),
                                   "invalid element " + config_detail::render_value(element) +
                                       " of 'dirs' in [plugins]",
                                   std::string(kDirsExpected));
        }
        out.push_back(*dir);
    }
    return out;
}

void read_global_file(const std::string& path, GlobalConfig& global) {
    toml::table root = config_detail::parse_toml_file(path, "global configuration file");
    TableReader top(root, path, "");
    top.reject_unknown({"plugins", "paths", "defaults"});
    global.plugin_dirs = read_plugin_dirs(top);
    if (const toml::table* table = top.subtable("paths", "a table [paths]")) {
        TableReader paths(*table, path, "paths");
        paths.reject_unknown({"run_dir"});
        if (auto run_dir = paths.string("run_dir", "an absolute directory path")) {
            if (!config_detail::is_absolute_path(*run_dir))
                paths.fail_invalid("run_dir", "an absolute directory path");
            global.run_dir = *run_dir;
        }
    }
    if (const toml::table* table = top.subtable("defaults", "a table [defaults]")) {
        TableReader defaults(*table, path, "defaults");
        defaults.reject_unknown({"timeout"});
        if (defaults.node("timeout"))
            global.default_timeout = config_detail::read_timeout(defaults, "timeout");
    }
}

void report_or_throw(const Error& error, const std::string& file,
                     std::vector<ConfigProblem>* problems) {
    if (!problems) throw error;
    if (auto* several = dynamic_cast<const config_detail::FileErrors*>(&error)) {
        for (const Error& each : several->all()) problems->push_back(ConfigProblem{file, each.what(), each.hint()});
        return;
    }
    problems->push_back(ConfigProblem{file, error.what(), error.hint()});
}

// The plugin file of `kind` called `name` in one of the plugin folders, or "".
std::string shipped_plugin(const GlobalConfig& global, const std::string& kind, const std::string& name) {
    const std::string prefix = kind == "key-provider" ? "key-" : kind == "device-backend" ? "device-" : "fs-";
    for (const auto& dir : global.plugin_dirs) {
        std::error_code ignored;
        const auto path = std::filesystem::path(dir) / (prefix + name + ".so");
        if (std::filesystem::exists(path, ignored)) return path.string();
    }
    return {};
}

void read_registrations(const std::string& confdir, GlobalConfig& global,
                        std::vector<ConfigProblem>* problems) {
    std::map<std::string, SourceLocation> seen;
    std::string dir = (std::filesystem::path(confdir) / "plugins.d").string();
    std::vector<std::string> files;
    try {
        check_trusted_config_folder(dir, "plugin registration folder");
        files = list_toml_files(dir);
    } catch (const Error& error) {
        report_or_throw(error, dir, problems);
    }
    for (const std::string& file : files) {
        try {
            PluginRegistration plugin = parse_plugin_registration(file);
            auto [first, inserted] = seen.emplace(plugin.name, plugin.where);
            if (!inserted) {
                config_detail::fail_at(
                    plugin.where,
                    "plugin '" + plugin.name + "' is already registered by " + first->second.str(),
                    "one registration per plugin name", "remove or rename one of the two files");
            }
            // A registration would never be used beside a plugin file of the
            // same name in a plugin folder (those are found first).
            if (std::string shipped = shipped_plugin(global, plugin.kind, plugin.name); !shipped.empty()) {
                config_detail::fail_at(plugin.where,
                                       "plugin '" + plugin.name + "' is registered here and also installed as " +
                                           shipped,
                                       "a name no plugin folder holds",
                                       "give the vendor plugin its own name, or remove this file");
            }
            global.registered.push_back(std::move(plugin));
        } catch (const Error& error) {
            report_or_throw(error, file, problems);
        }
    }
}

}  // namespace

PluginRegistration parse_plugin_registration(const std::string& path) {
    toml::table root = config_detail::parse_toml_file(path, "plugin registration");
    TableReader top(root, path, "");
    top.reject_unknown({"name", "kind", "path"});
    PluginRegistration plugin;
    auto name = top.string("name", "a plugin name like \"acme-hsm\"");
    if (!name) top.fail_missing("name", "the plugin's name, e.g. name = \"acme-hsm\"");
    if (!config_detail::is_plugin_name(*name))
        top.fail_invalid("name", "lowercase letters, digits, '_' or '-'");
    constexpr std::string_view kinds = "one of key-provider, device-backend, fs-maker, rollback-counter";
    auto kind = top.string("kind", kinds);
    if (!kind) top.fail_missing("kind", kinds);
    if (*kind != "key-provider" && *kind != "device-backend" && *kind != "fs-maker" && *kind != "rollback-counter")
        top.fail_invalid("kind", kinds);
    constexpr std::string_view so_path = "an absolute path to the plugin's .so file";
    auto so = top.string("path", so_path);
    if (!so) top.fail_missing("path", so_path);
    if (!config_detail::is_absolute_path(*so) || !so->ends_with(".so"))
        top.fail_invalid("path", so_path);
    plugin.name = *name;
    plugin.kind = *kind;
    plugin.path = *so;
    plugin.where = top.where_value("name");
    return plugin;
}

GlobalConfig parse_global_config(const std::string& confdir, std::vector<ConfigProblem>* problems) {
    GlobalConfig global;
    global.confdir = confdir;
    global.plugin_dirs = {CVFS_DEFAULT_PLUGINDIR};
    std::string path = (std::filesystem::path(confdir) / "cvfs.toml").string();
    std::error_code ignored;
    if (std::filesystem::exists(path, ignored)) {
        try {
            read_global_file(path, global);
        } catch (const Error& error) {
            report_or_throw(error, path, problems);
            global.plugin_dirs = {CVFS_DEFAULT_PLUGINDIR};  // a half-read file must not count
            global.run_dir = GlobalConfig{}.run_dir;
            global.default_timeout = GlobalConfig{}.default_timeout;
        }
    }
    read_registrations(confdir, global, problems);
    return global;
}

}  // namespace cvfs
