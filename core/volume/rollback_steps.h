// The rollback counter's part of `cvfs open` and `cvfs init` of a persistent volume.
//
// The record in the header (volume/rollback_guard.h) is compared with the
// counter the volume's file names ([rollback] counter = "..."), and open
// writes the header before it increments the counter: an open stopped
// between the two leaves the header one ahead, which the next open repairs.
// A header whose record does not name the configured counter (a volume made
// before it was configured, or a record stripped or pointed elsewhere) is
// refused; --accept-rollback makes the header agree with the configuration
// (creating a counter where one is configured).
#pragma once

#include <optional>
#include <string>

#include "base/secure_buffer.h"
#include "config/volume_config.h"
#include "luks/cvfs_token.h"
#include "plugin/plugin_roles.h"

namespace cvfs {

// "none", or the counter plugin's name.
std::string counter_kind(const VolumeConfig& volume);

// What open does about the counter once the record's HMAC was checked.
struct RollbackWork {
    std::optional<CvfsToken> header;  // the token to write first; nullopt: the record stays as it is
    bool repair_first = false;        // increment the counter once before the header write
    bool increment_after = false;     // increment it once after the header write...
    uint64_t counter_after = 0;       // ...to this value
};

// Reads the counter (when one is configured) and decides; throws the
// refusals of rollback_guard.h, and State for a record that does not name
// the configured counter, unless `accept`.
RollbackWork plan_rollback_at_open(const VolumeConfig& volume, const std::optional<RollbackCounter>& counter,
                                   PluginCall* counter_call, const CvfsToken& token, const std::string& uuid,
                                   const SecureBuffer& volume_key, bool accept);

// Writes `header` to the header on `node`, with the counter's increments
// around it as `work` says. Throws Device when the counter does not end
// where it should (someone else incremented it).
void write_header_and_advance(const VolumeConfig& volume, const std::optional<RollbackCounter>& counter,
                              PluginCall* counter_call, const RollbackWork& work, const std::string& node,
                              const CvfsToken& header);

// init: a new counter for the volume and the record at its value, in `token`.
void record_new_counter(const VolumeConfig& volume, const RollbackCounter& counter, PluginCall& counter_call,
                        CvfsToken& token, const std::string& uuid, const SecureBuffer& volume_key);

}  // namespace cvfs
