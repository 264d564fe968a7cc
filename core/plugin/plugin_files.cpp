// Finding plugin files and checking who may have written them.
#include "plugin/plugin_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <regex>

#include "base/error.h"

namespace cvfs {
namespace {

namespace fs = std::filesystem;

std::string file_name(PluginKind kind, const std::string& name) {
    return std::string(kind_file_prefix(kind)) + "-" + name + ".so";
}

std::string quoted_list(const std::vector<std::string>& items) {
    std::string text;
    for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
    return text.empty() ? "(no plugin folder configured)" : text;
}

// Why `st` (of `path`, a "file" or a "folder") may not be trusted, or "".
std::string ownership_problem(const struct stat& st, const std::string& path, const char* what) {
    if (st.st_uid != 0 && st.st_uid != ::geteuid())
        return std::string("the plugin ") + what + " " + path + " is owned by uid " +
               std::to_string(st.st_uid) + ", not by root";
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return std::string("the plugin ") + what + " " + path + " is writable by group or others";
    return {};
}

void check_one(const PluginLocation& location, const std::string& path, const char* what) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        throw Error(ErrorKind::Plugin,
                    location.where + ": " + kind_label(location.kind) + " '" + location.name +
                        "': cannot inspect " + path + ": " + errno_text(errno));
    std::string problem = ownership_problem(st, path, what);
    if (!problem.empty())
        throw Error(ErrorKind::Plugin,
                    location.where + ": " + kind_label(location.kind) + " '" + location.name +
                        "' (" + location.path + ") refused: " + problem,
                    "make it owned by root and writable only by root (chown root:root; chmod go-w)");
}

}  // namespace

const char* kind_label(PluginKind kind) {
    switch (kind) {
    case PluginKind::KeyProvider: return "key provider";
    case PluginKind::DeviceBackend: return "device backend";
    case PluginKind::FsMaker: return "fs maker";
    }
    return "plugin";
}

const char* kind_file_prefix(PluginKind kind) {
    switch (kind) {
    case PluginKind::KeyProvider: return "key";
    case PluginKind::DeviceBackend: return "device";
    case PluginKind::FsMaker: return "fs";
    }
    return "";
}

const char* kind_config_name(PluginKind kind) {
    switch (kind) {
    case PluginKind::KeyProvider: return "key-provider";
    case PluginKind::DeviceBackend: return "device-backend";
    case PluginKind::FsMaker: return "fs-maker";
    }
    return "";
}

std::optional<PluginKind> kind_from_prefix(std::string_view prefix) {
    for (auto kind : {PluginKind::KeyProvider, PluginKind::DeviceBackend, PluginKind::FsMaker})
        if (prefix == kind_file_prefix(kind)) return kind;
    return std::nullopt;
}

std::optional<PluginKind> kind_from_config_name(std::string_view name) {
    for (auto kind : {PluginKind::KeyProvider, PluginKind::DeviceBackend, PluginKind::FsMaker})
        if (name == kind_config_name(kind)) return kind;
    return std::nullopt;
}

bool valid_plugin_name(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

PluginLocation locate_plugin(const GlobalConfig& global, PluginKind kind, const std::string& name,
                             const std::string& where) {
    if (!valid_plugin_name(name))
        throw Error(ErrorKind::Plugin,
                    where + ": invalid " + kind_label(kind) + " name '" + name +
                        "': expected [a-z0-9_-]+, at most 64 characters");
    const std::string wanted = file_name(kind, name);
    for (const auto& dir : global.plugin_dirs) {
        fs::path candidate = fs::path(dir) / wanted;
        std::error_code ec;
        if (fs::exists(candidate, ec)) return {name, kind, candidate.string(), where};
    }
    for (const auto& reg : global.registered)
        if (reg.name == name && reg.kind == kind_config_name(kind))
            return {name, kind, reg.path, where};
    throw Error(ErrorKind::Plugin,
                where + ": no " + kind_label(kind) + " plugin '" + name + "': " + wanted +
                    " is in none of " + quoted_list(global.plugin_dirs) +
                    " and no plugins.d file registers it",
                "check the name, or install the plugin's package (cvfs-plugin-" + name + ")");
}

std::vector<PluginLocation> list_plugin_files(const GlobalConfig& global) {
    static const std::regex pattern("^(key|device|fs)-([a-z0-9_-]{1,64})\\.so$");
    std::vector<PluginLocation> found;
    for (const auto& dir : global.plugin_dirs) {
        std::error_code ec;
        std::vector<fs::path> files;
        for (const auto& entry : fs::directory_iterator(dir, ec)) files.push_back(entry.path());
        std::sort(files.begin(), files.end());
        for (const auto& path : files) {
            std::smatch match;
            const std::string base = path.filename().string();
            if (!std::regex_match(base, match, pattern)) continue;
            found.push_back({match[2].str(), *kind_from_prefix(match[1].str()), path.string(), dir});
        }
    }
    for (const auto& reg : global.registered) {
        auto kind = kind_from_config_name(reg.kind);
        if (kind) found.push_back({reg.name, *kind, reg.path, reg.where.str()});
    }
    return found;
}

void check_plugin_permissions(const PluginLocation& location) {
    fs::path path(location.path);
    check_one(location, path.parent_path().empty() ? "." : path.parent_path().string(), "folder");
    check_one(location, location.path, "file");
}

}  // namespace cvfs
