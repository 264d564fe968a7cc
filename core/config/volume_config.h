// The configuration model: what a volume file and the global file say.
//
// These are plain values, filled by the config loader (config_loader.h) from
// TOML and read by the engine. Every value keeps where it came from, so a
// later error ("plugin otp refused key 'x'") can name the file and line.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cvfs {

// A place in a configuration file.
struct SourceLocation {
    std::string file;
    uint32_t line = 0;
    uint32_t column = 0;

    // "file:line:column" (or just "file" when the line is unknown).
    std::string str() const;
};

// One value of a plugin's table, flattened as the plugin ABI passes it
// (see cvfs_config_item in sdk/include/cvfs/plugin.h).
struct ConfigItem {
    enum class Type { String, Integer, Boolean };
    std::string key;
    Type type = Type::String;
    std::string string;   // Type::String
    int64_t integer = 0;  // Type::Integer, and Boolean as 0/1
    SourceLocation where;
};

// The plugin a volume names for one role, with the table it hands the plugin.
struct PluginRef {
    std::string name;               // "otp", "loop", "ext4"
    std::string table;              // "encrypt.otp", "device", "fs"
    std::vector<ConfigItem> items;  // the table's keys (without the ones cvfs itself reads)
    SourceLocation where;           // where the plugin was named
};

enum class IntegrityMode { None, HmacSha256, Aead };

// "none", "hmac-sha256", "aead".
const char* to_string(IntegrityMode mode);

// LUKS2 parameters. Defaults are the decided ones (DESIGN.md).
struct LuksParams {
    std::string cipher = "aes-xts-plain64";  // cipher-mode, as cryptsetup spells it
    uint32_t key_bits = 512;                  // without the integrity key
    uint32_t sector_size = 4096;
    IntegrityMode integrity = IntegrityMode::None;
};

struct MountParams {
    std::string point;    // absolute directory
    std::string options;  // "noatime,nodev", passed through
};

// One volume file in <confdir>/volumes/.
struct VolumeConfig {
    std::string file;                 // the file it was read from
    std::string name;                 // `volume`: the mapping is /dev/mapper/<name>
    std::string dev;                  // `dev`: what the device backend resolves
    bool auto_open = false;           // `auto_open`
    PluginRef key_provider;           // [encrypt.<name>]
    PluginRef device;                 // [device] backend = "..." (default from dev)
    std::optional<PluginRef> fs;      // `makefs` with the [fs] table
    std::optional<MountParams> mount; // [mount]
    LuksParams luks;                  // `integrity` and [luks]
    // [rollback] counter = "<plugin>": the counter the volume's generation is
    // compared with (docs/rollback.md); nothing for counter = "none", the default.
    // The table's other keys are the counter plugin's.
    std::optional<PluginRef> rollback_counter;
    std::chrono::seconds timeout{60}; // `timeout`: key fetch and open
};

// A plugin registered by a file in <confdir>/plugins.d/.
struct PluginRegistration {
    std::string name;
    std::string kind;  // "key-provider", "device-backend", "fs-maker", "rollback-counter"
    std::string path;  // absolute path of the .so
    SourceLocation where;
};

// <confdir>/cvfs.toml, plus plugins.d.
struct GlobalConfig {
    std::string confdir;
    std::vector<std::string> plugin_dirs;  // searched in order; default: the built-in dir
    std::vector<PluginRegistration> registered;
    std::string run_dir = "/run/cvfs";     // lock files live here
    std::chrono::seconds default_timeout{60};
};

}  // namespace cvfs
