// Opening a volume cryptpilot made, as it is: a LUKS2 header with subsystem
// "cryptpilot" (its init finished) and no cvfs token, unlocked with the key
// of the provider its unchanged volume file names, cryptpilot's argon2id
// keyslot included. Private to the engine.
#pragma once

#include <atomic>
#include <chrono>
#include <string>

#include "config/volume_config.h"
#include "plugin/plugin_roles.h"

namespace cvfs {

// Is the header on `node` cryptpilot's (its init finished or not) and without
// a cvfs token? Nothing in it is trusted yet; open_cryptpilot_volume checks,
// and refuses an init cryptpilot did not finish.
bool is_cryptpilot_volume(const std::string& node);

// Checks the header against the allow-list for the configuration, asks the
// provider for the key and maps the volume as /dev/mapper/<name>.
void open_cryptpilot_volume(const VolumeConfig& volume, const KeyProvider& provider,
                            std::chrono::steady_clock::time_point deadline, const std::atomic<bool>* cancel,
                            const std::string& node, uint32_t flags);

}  // namespace cvfs
