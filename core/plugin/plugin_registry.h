// The plugins of one process: found by name, loaded once, never unloaded.
//
// The engine asks for a plugin by the PluginRef a volume file names; the
// registry finds its file (plugin_files.h), loads and checks it
// (plugin_loader.h) the first time, and hands out typed handles
// (plugin_roles.h) to the same instance afterwards. Each plugin's shutdown
// runs when the registry is destroyed; the handles must not outlive it.
// Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/volume_config.h"
#include "plugin/plugin_roles.h"

namespace cvfs {

class PluginRegistry {
public:
    explicit PluginRegistry(const GlobalConfig& global);
    ~PluginRegistry();  // shuts the plugins down, in reverse load order
    PluginRegistry(const PluginRegistry&) = delete;
    PluginRegistry& operator=(const PluginRegistry&) = delete;

    // Each throws cvfs::Error(ErrorKind::Plugin) naming ref.where, the plugin
    // and its file when it cannot be found, loaded or initialised.
    KeyProvider key_provider(const PluginRef& ref);
    DeviceBackend device_backend(const PluginRef& ref);
    FsMaker fs_maker(const PluginRef& ref);
    RollbackCounter rollback_counter(const PluginRef& ref);

    struct Listing {
        PluginInfo info;    // name, path and kind at least, also when loading failed
        std::string error;  // non-empty when it failed to load
    };
    // Every plugin file in the plugin folders and every plugins.d
    // registration, each loaded (so it is checked) into this registry.
    std::vector<Listing> discover();

private:
    const LoadedPlugin& load(PluginKind kind, const PluginRef& ref);
    const LoadedPlugin& load_location(const PluginLocation& location);

    GlobalConfig global_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<LoadedPlugin>> plugins_;
};

}  // namespace cvfs
