// Typed handles on loaded plugins: what the engine calls.
//
// Each wrapper calls one kind's operations through the ABI and turns a
// non-OK status into a cvfs::Error naming the volume, the plugin, its file,
// the status in words and the plugin's own message. The handles are cheap
// copies of a pointer into the PluginRegistry that made them, which must
// outlive them. Calls into a key provider without CVFS_CAP_THREAD_SAFE are
// serialised.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/secure_buffer.h"
#include "plugin/plugin_host.h"
#include "plugin/plugin_loader.h"

namespace cvfs {

class KeyProvider {
public:
    explicit KeyProvider(const LoadedPlugin& plugin) : plugin_(&plugin) {}
    const PluginInfo& info() const { return plugin_->info(); }
    bool ephemeral() const;     // CVFS_CAP_EPHEMERAL: a new key (and volume) each open
    bool human_secret() const;  // CVFS_CAP_HUMAN_SECRET: a passphrase, use argon2id

    void check_config(PluginCall& call) const;
    // The secret for `purpose` (CVFS_KEY_PURPOSE_*), at most 64 KiB, never empty.
    SecureBuffer get_key(PluginCall& call, uint32_t purpose) const;

private:
    const LoadedPlugin* plugin_;
};

// What a device backend's probe found.
struct DeviceProbe {
    bool present = false;
    uint64_t size_bytes = 0;  // 0 when unknown
    std::string node;         // block device node if one exists now, else ""
    std::string header_path;  // where the LUKS2 header can be read, else ""
    std::string detail;       // one line for `cvfs show`
};

class DeviceBackend {
public:
    explicit DeviceBackend(const LoadedPlugin& plugin) : plugin_(&plugin) {}
    const PluginInfo& info() const { return plugin_->info(); }

    void check_config(PluginCall& call, const std::string& dev) const;
    DeviceProbe probe(PluginCall& call, const std::string& dev) const;
    // The block device node for `dev`; `create`: a new volume, may create it.
    std::string attach(PluginCall& call, const std::string& dev, bool create) const;
    void detach(PluginCall& call, const std::string& dev, const std::string& node) const;

private:
    const LoadedPlugin* plugin_;
};

class FsMaker {
public:
    explicit FsMaker(const LoadedPlugin& plugin) : plugin_(&plugin) {}
    const PluginInfo& info() const { return plugin_->info(); }
    // The mount(2) type of what make() creates; nullopt when it is not mounted (swap).
    std::optional<std::string> mount_type() const;

    void check_config(PluginCall& call) const;
    void make(PluginCall& call, const std::string& device) const;

private:
    const LoadedPlugin* plugin_;
};

// A counter the host cannot roll back (cvfs/rollback_counter.h). Failures
// are ErrorKind::Device, naming the volume, the plugin and the counter's id;
// a deleted counter (CVFS_E_NOT_FOUND) says so.
class RollbackCounter {
public:
    explicit RollbackCounter(const LoadedPlugin& plugin) : plugin_(&plugin) {}
    const PluginInfo& info() const { return plugin_->info(); }

    struct Created {
        std::string id;
        uint64_t value = 0;
    };

    void check_config(PluginCall& call) const;
    Created create(PluginCall& call) const;
    uint64_t read(PluginCall& call, const std::string& id) const;
    // The same, but nothing when the counter does not exist (deleted), with
    // the plugin's message in `why`.
    std::optional<uint64_t> read_if_there(PluginCall& call, const std::string& id, std::string& why) const;
    uint64_t increment(PluginCall& call, const std::string& id) const;

private:
    const LoadedPlugin* plugin_;
};

}  // namespace cvfs
