// Finding plugin files and checking who may have written them.
#include "plugin/plugin_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <regex>

#include "base/error.h"
#include "config/file_trust.h"

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

[[noreturn]] void refuse(const PluginLocation& location, const std::string& problem,
                         const std::string& hint = {}) {
    throw Error(ErrorKind::Plugin,
                location.where + ": " + kind_label(location.kind) + " '" + location.name + "' (" +
                    location.path + ") refused: " + problem,
                hint);
}

// `what` ("the plugin file /x") is the subject of the sentence.
void check_status(const PluginLocation& location, const struct stat& st, const std::string& what,
                  const std::string& path) {
    std::string reason = untrusted_reason(st);
    // The fix is in the message too: plugin listings show messages only.
    if (!reason.empty())
        refuse(location, what + " " + reason + ": " + trust_fix(path, st), trust_fix(path, st));
}

void check_folder(const PluginLocation& location, const std::string& dir) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0)
        throw Error(ErrorKind::Plugin, location.where + ": " + kind_label(location.kind) + " '" +
                                           location.name + "': cannot inspect " + dir + ": " +
                                           errno_text(errno));
    check_status(location, st, "the plugin folder " + dir, dir);
}

// Every folder from the one holding `real` (the file actually opened) up to
// `top` (the plugin folder, resolved), or up to / when a symlink led outside
// it: whoever can write any of them could swap the file.
void check_folders_up(const PluginLocation& location, const fs::path& real, const fs::path& top) {
    for (fs::path dir = real.parent_path();; dir = dir.parent_path()) {
        check_folder(location, dir.string());
        if (dir == top || dir == dir.root_path() || dir.empty()) return;
    }
}

}  // namespace

const char* kind_label(PluginKind kind) {
    switch (kind) {
    case PluginKind::KeyProvider: return "key provider";
    case PluginKind::DeviceBackend: return "device backend";
    case PluginKind::FsMaker: return "fs maker";
    case PluginKind::RollbackCounter: return "rollback counter";
    }
    return "plugin";
}

const char* kind_file_prefix(PluginKind kind) {
    switch (kind) {
    case PluginKind::KeyProvider: return "key";
    case PluginKind::DeviceBackend: return "device";
    case PluginKind::FsMaker: return "fs";
    case PluginKind::RollbackCounter: return "counter";
    }
    return "";
}

const char* kind_config_name(PluginKind kind) {
    switch (kind) {
    case PluginKind::KeyProvider: return "key-provider";
    case PluginKind::DeviceBackend: return "device-backend";
    case PluginKind::FsMaker: return "fs-maker";
    case PluginKind::RollbackCounter: return "rollback-counter";
    }
    return "";
}

std::optional<PluginKind> kind_from_prefix(std::string_view prefix) {
    for (auto kind : kAllPluginKinds)
        if (prefix == kind_file_prefix(kind)) return kind;
    return std::nullopt;
}

std::optional<PluginKind> kind_from_config_name(std::string_view name) {
    for (auto kind : kAllPluginKinds)
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
    // A name no plugin answers to is the configuration's mistake (exit code 3).
    throw Error(ErrorKind::Config,
                where + ": no " + kind_label(kind) + " plugin '" + name + "': " + wanted +
                    " is in none of " + quoted_list(global.plugin_dirs) +
                    " and no plugins.d file registers it",
                "check the name, or install the plugin's package (cvfs-plugin-" + name + ")");
}

std::vector<PluginLocation> list_plugin_files(const GlobalConfig& global) {
    static const std::regex pattern("^(key|device|fs|counter)-([a-z0-9_-]{1,64})\\.so$");
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

sdk::UniqueFd open_checked_plugin(const PluginLocation& location) {
    fs::path named(location.path);
    const std::string folder = named.parent_path().empty() ? "." : named.parent_path().string();
    check_folder(location, folder);
    sdk::UniqueFd fd(::open(location.path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (!fd.valid())
        throw Error(ErrorKind::Plugin, location.where + ": " + kind_label(location.kind) + " '" +
                                           location.name + "': cannot open " + location.path + ": " +
                                           errno_text(errno));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) refuse(location, "cannot inspect the opened file: " + errno_text(errno));
    const std::string real = opened_path(fd.get());
    if (real.empty()) refuse(location, "cannot tell which file was opened (is /proc mounted?)", "mount /proc");
    const std::string file = real == location.path ? location.path : real + " (where " + location.path + " leads)";
    if (!S_ISREG(st.st_mode)) refuse(location, "the plugin file " + file + " is not a regular file");
    check_status(location, st, "the plugin file " + file, real);
    std::error_code ec;
    fs::path top = fs::canonical(folder, ec);
    if (ec) refuse(location, "cannot resolve the plugin folder " + folder + ": " + ec.message());
    check_folders_up(location, fs::path(real), top);
    return fd;
}

}  // namespace cvfs
