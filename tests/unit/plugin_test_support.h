// Shared setup of the plugin_* tests: a registry over the fixture plugins and
// the configuration places the tests name.
#pragma once

#include <chrono>
#include <string>

#include "config/volume_config.h"

namespace cvfs::test {

inline const std::string fixture_dir = CVFS_FIXTURE_PLUGINDIR;

inline std::string fixture_path(const std::string& file) { return fixture_dir + "/" + file; }

inline GlobalConfig fixture_global() {
    GlobalConfig global;
    global.plugin_dirs = {fixture_dir};
    return global;
}

inline PluginRef plugin_ref(const std::string& name, const std::string& table = "encrypt.fixture") {
    PluginRef ref;
    ref.name = name;
    ref.table = table;
    ref.where = SourceLocation{"/etc/cvfs/volumes/data0.toml", 3, 1};
    return ref;
}

inline ConfigItem string_item(const std::string& key, const std::string& value, uint32_t line) {
    ConfigItem item;
    item.key = key;
    item.type = ConfigItem::Type::String;
    item.string = value;
    item.where = SourceLocation{"/etc/cvfs/volumes/data0.toml", line, 1};
    return item;
}

inline ConfigItem integer_item(const std::string& key, int64_t value, uint32_t line) {
    ConfigItem item;
    item.key = key;
    item.type = ConfigItem::Type::Integer;
    item.integer = value;
    item.where = SourceLocation{"/etc/cvfs/volumes/data0.toml", line, 1};
    return item;
}

inline VolumeConfig volume_named(const std::string& name) {
    VolumeConfig volume;
    volume.file = "/etc/cvfs/volumes/" + name + ".toml";
    volume.name = name;
    volume.dev = "/var/lib/cvfs/" + name + ".img";
    return volume;
}

inline std::chrono::steady_clock::time_point in_seconds(int seconds) {
    return std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
}

}  // namespace cvfs::test
