// Where plugin files live and whether they may be loaded.
//
// A plugin named in configuration is the file "<prefix>-<name>.so" (prefix
// key, device, fs or counter by kind) in the first of GlobalConfig.plugin_dirs that has
// it, else the path a plugins.d file registered for that name and kind. Names
// are checked before they become part of a path, and a file is only used when
// it and its folders belong to root (or to us) and nobody else can write them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/volume_config.h"
#include "cvfs/plugin.h"
#include "cvfs/unique_fd.hpp"

namespace cvfs {

enum class PluginKind : uint32_t {
    KeyProvider = CVFS_KIND_KEY_PROVIDER,
    DeviceBackend = CVFS_KIND_DEVICE_BACKEND,
    FsMaker = CVFS_KIND_FS_MAKER,
    RollbackCounter = CVFS_KIND_ROLLBACK_COUNTER,
};

// Every kind, in the order listings show them.
inline constexpr PluginKind kAllPluginKinds[] = {PluginKind::KeyProvider, PluginKind::DeviceBackend,
                                                 PluginKind::FsMaker, PluginKind::RollbackCounter};

// "key provider": for messages.
const char* kind_label(PluginKind kind);
// "key": the file name prefix.
const char* kind_file_prefix(PluginKind kind);
// "key-provider": as plugins.d files spell the kind.
const char* kind_config_name(PluginKind kind);
// The kind a file prefix or a plugins.d kind names, if any.
std::optional<PluginKind> kind_from_prefix(std::string_view prefix);
std::optional<PluginKind> kind_from_config_name(std::string_view name);

// [a-z0-9_-]+, at most 64 characters.
bool valid_plugin_name(std::string_view name);

// A plugin file found for a name and kind. `where` is the configuration place
// that asked for it ("file:line:col"), used to start every message about it.
struct PluginLocation {
    std::string name;
    PluginKind kind = PluginKind::KeyProvider;
    std::string path;
    std::string where;
};

// Finds the file of plugin `name` of `kind`; throws cvfs::Error(Plugin) naming
// `where` and the places searched when there is none or the name is invalid.
PluginLocation locate_plugin(const GlobalConfig& global, PluginKind kind, const std::string& name,
                             const std::string& where);

// Every plugin file in the plugin folders ("<prefix>-<name>.so") and every
// plugins.d registration, in search order, without loading anything.
std::vector<PluginLocation> list_plugin_files(const GlobalConfig& global);

// Opens the file of `location` once and checks what was opened, so nothing
// can swap it between the check and the load: the descriptor's file must be
// a regular file owned by root (or the effective user) and not writable by
// group or others, and so must every folder from the file's real one up to
// the plugin folder (up to / when a symlink leads outside it). Throws
// cvfs::Error(Plugin) naming the file or folder, with the chown/chmod that
// fixes it. Load the returned descriptor, never the path again.
sdk::UniqueFd open_checked_plugin(const PluginLocation& location);

}  // namespace cvfs
