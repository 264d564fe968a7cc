// Private to the engine: the plugins one volume uses, resolved together, and
// the small helpers its lifecycle files share.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "plugin/plugin_registry.h"

namespace cvfs {

struct Engine::Parts {
    KeyProvider key;
    DeviceBackend device;
    std::optional<FsMaker> fs;
    std::chrono::steady_clock::time_point deadline;
};

inline std::string mapper_path(const VolumeConfig& volume) { return "/dev/mapper/" + volume.name; }

}  // namespace cvfs
