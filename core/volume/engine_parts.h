// Private to the engine: the plugins one volume uses, resolved together, and
// the small helpers its lifecycle files share.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "base/log.h"
#include "luks/luks_volume.h"
#include "luks/mapping.h"
#include "plugin/plugin_registry.h"

namespace cvfs {

// Where `volume`'s LUKS2 header can be read without attaching it (the
// backend's header path, else its node); throws Device when the device is not there.
std::string probed_header_path(const VolumeConfig& volume, const DeviceBackend& device, PluginCall& call);

struct Engine::Parts {
    KeyProvider key;
    DeviceBackend device;
    std::optional<FsMaker> fs;
    std::chrono::steady_clock::time_point deadline;
    std::optional<RollbackCounter> counter;  // [rollback] counter, when not "none"
};

// A device attached for the length of one command: detached again when the
// command fails (or, for init, always), kept when a mapping now uses it.
class AttachedDevice {
public:
    AttachedDevice(const DeviceBackend& backend, PluginCall& call, const std::string& dev, bool create)
        : backend_(backend), call_(call), dev_(dev), node_(backend.attach(call, dev, create)) {}
    ~AttachedDevice();
    AttachedDevice(const AttachedDevice&) = delete;
    AttachedDevice& operator=(const AttachedDevice&) = delete;

    const std::string& node() const { return node_; }
    void keep() { kept_ = true; }

private:
    const DeviceBackend& backend_;
    PluginCall& call_;
    std::string dev_;
    std::string node_;
    bool kept_ = false;
};

// The cvfs token a new header of `volume` carries.
inline CvfsToken new_token(const VolumeConfig& volume, TokenState state, const TokenValues& values) {
    CvfsToken token;
    token.state = state;
    token.volume = volume.name;
    token.provider = volume.key_provider.name;
    token.fs = volume.fs ? volume.fs->name : "";
    token.created_by = std::string("cvfs ") + CVFS_VERSION;
    token.provider_data = values;
    return token;
}

inline std::string mapper_path(const VolumeConfig& volume) { return "/dev/mapper/" + volume.name; }

// Removes the half-made mapping an interrupted run of this volume left on
// the header at `header_path` (see remove_half_made_mapping), and says so.
inline void remove_half_made_mapping_of(const VolumeConfig& volume, const std::string& header_path) {
    if (remove_half_made_mapping(volume.name, header_path))
        log(LogLevel::Warning, "volume '" + volume.name + "': removed the half-made mapping an interrupted run left");
}

}  // namespace cvfs
