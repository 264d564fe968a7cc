// Loading one plugin file and checking that it keeps the ABI v1 contract.
//
// load_plugin() opens the file once and checks the opened file and its folders
// (open_checked_plugin), then loads that same file through /proc/PID/fd/N
// with RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE (a missing symbol fails here, not
// in the middle of an open): a file swapped after the check is never the one
// whose constructors run as root. It then resolves
// cvfs_plugin_entry_v1 under the version node CVFS_PLUGIN_1, checks the
// descriptor (magic, size, ABI major, kind, name, mandatory operations),
// copies descriptor and operations into host-sized structs, and calls init.
// Every refusal is a cvfs::Error(Plugin) that names the configuration place,
// the plugin, its file and, for versions, both sides. Libraries are never
// unloaded: the handles live in a process-wide table.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "cvfs/device_backend.h"
#include "cvfs/fs_maker.h"
#include "cvfs/key_provider.h"
#include "cvfs/rollback_counter.h"
#include "plugin/plugin_files.h"

namespace cvfs {

// What a plugin says about itself, copied out of its descriptor.
struct PluginInfo {
    std::string name;
    std::string path;
    std::string version;
    std::string vendor;
    std::string description;
    uint32_t kind = 0;  // CVFS_KIND_*
    uint16_t abi_major = 0;
    uint16_t abi_minor = 0;
    uint64_t capabilities = 0;
};

// A plugin that passed every check and whose init succeeded. The destructor
// calls its shutdown; the library itself stays mapped.
class LoadedPlugin {
public:
    LoadedPlugin(PluginInfo info, const cvfs_plugin_descriptor& descriptor, const void* ops);
    ~LoadedPlugin();
    LoadedPlugin(const LoadedPlugin&) = delete;
    LoadedPlugin& operator=(const LoadedPlugin&) = delete;

    const PluginInfo& info() const { return info_; }
    PluginKind kind() const { return static_cast<PluginKind>(info_.kind); }
    void* context() const { return context_; }
    // The operations, zero-filled beyond what the plugin declared. Only the
    // table of the plugin's kind is meaningful.
    const cvfs_key_provider_ops& key_ops() const { return key_ops_; }
    const cvfs_device_backend_ops& device_ops() const { return device_ops_; }
    const cvfs_fs_maker_ops& fs_ops() const { return fs_ops_; }
    const cvfs_rollback_counter_ops& counter_ops() const { return counter_ops_; }
    // Held around calls into a key provider that is not CVFS_CAP_THREAD_SAFE.
    std::mutex& serial() const { return serial_; }

    // Runs init; throws cvfs::Error(Plugin) with the plugin's message.
    void init(const std::string& where);

private:
    PluginInfo info_;
    cvfs_plugin_descriptor descriptor_{};
    cvfs_key_provider_ops key_ops_{};
    cvfs_device_backend_ops device_ops_{};
    cvfs_fs_maker_ops fs_ops_{};
    cvfs_rollback_counter_ops counter_ops_{};
    void* context_ = nullptr;
    bool initialised_ = false;
    mutable std::mutex serial_;
};

// Checks permissions, loads, checks and initialises the plugin at `location`.
std::unique_ptr<LoadedPlugin> load_plugin(const PluginLocation& location);

// The name a checked descriptor is loaded by: "/proc/<pid>/fd/<fd>".
std::string plugin_proc_path(int fd);

// Tests only: `hook` runs after the plugin file was opened and checked and
// before it is loaded, where an attacker would swap the file. Empty: none.
void set_plugin_after_check_hook_for_tests(std::function<void(const PluginLocation&)> hook);

}  // namespace cvfs
