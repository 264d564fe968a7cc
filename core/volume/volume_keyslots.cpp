// Engine::recovery_keys, Engine::remove_recovery_key and Engine::erase: the
// keyslot verbs that need no new key.
//
// A recovery key is a keyslot no token names (cvfs add-recovery-key makes
// them). Removing one first proves that the provider's key still opens the
// provider's keyslot, so the volume is never left without a key that works;
// the provider's keyslot itself is never removed this way (`cvfs enroll` and
// `cvfs erase` change it). Erase destroys every keyslot and token: the volume
// key is gone, and the data with it.
#include <cvfs/key_provider.h>

#include <algorithm>

#include "base/error.h"
#include "base/log.h"
#include "luks/luks_volume.h"
#include "volume/engine.h"
#include "volume/engine_parts.h"
#include "volume/volume_identity.h"
#include "volume/volume_lock.h"

namespace cvfs {

namespace {

std::string header_path(const VolumeConfig& volume, const DeviceBackend& device, PluginCall& call) {
    std::string path = probed_header_path(volume, device, call);
    if (!has_luks_header(path))
        throw Error(ErrorKind::State, "volume '" + volume.name + "': " + volume.dev + " holds no LUKS2 header",
                    "run `cvfs init " + volume.name + "` first");
    return path;
}

void refuse_temporary(const VolumeConfig& volume, const KeyProvider& key, const std::string& what) {
    if (key.ephemeral())
        throw Error(ErrorKind::State, "volume '" + volume.name + "' is temporary: it gets a new key at each open",
                    what);
}

}  // namespace

std::vector<KeyslotInfo> Engine::recovery_keys(const VolumeConfig& volume) {
    Parts parts = resolve(volume);
    refuse_temporary(volume, parts.key, "it has no recovery keys");
    PluginCall call(volume, volume.device, parts.deadline, nullptr, options_.cancel);
    const std::string path = header_path(volume, parts.device, call);
    CheckedHeader checked = CheckedHeader::load(path, volume.luks);
    if (auto token = checked.token()) require_token_of(volume, *token, volume.dev);
    std::vector<KeyslotInfo> keys;
    for (const auto& slot : read_header_summary(path).keyslots)
        if (slot.purpose == KeyslotPurpose::RecoveryKey) keys.push_back(slot);
    return keys;
}

void Engine::remove_recovery_key(const VolumeConfig& volume, int keyslot) {
    Parts parts = resolve(volume);
    refuse_temporary(volume, parts.key, "it has no recovery keys");
    VolumeLock lock(config_.global.run_dir, volume.name, parts.deadline);
    PluginCall device_call(volume, volume.device, parts.deadline, nullptr, options_.cancel);
    const std::string path = header_path(volume, parts.device, device_call);
    CheckedHeader header = CheckedHeader::load(path, volume.luks);
    auto token = header.token();
    if (!token)
        throw Error(ErrorKind::Header, "volume '" + volume.name + "': " + volume.dev + " holds a LUKS2 volume not made by cvfs",
                    "check `dev` in " + volume.file);
    require_token_of(volume, *token, volume.dev);
    HeaderSummary summary = read_header_summary(path);
    auto slot = std::find_if(summary.keyslots.begin(), summary.keyslots.end(),
                             [&](const KeyslotInfo& k) { return k.id == keyslot; });
    if (slot == summary.keyslots.end())
        throw Error(ErrorKind::Config, "volume '" + volume.name + "' has no keyslot " + std::to_string(keyslot),
                    "`cvfs recovery-key list " + volume.name + "` lists its recovery keys");
    if (slot->purpose != KeyslotPurpose::RecoveryKey)
        throw Error(ErrorKind::Refused,
                    "volume '" + volume.name + "': keyslot " + std::to_string(keyslot) + " is not a recovery key but the " +
                        (slot->purpose == KeyslotPurpose::ProviderKey ? "provider's key"
                                                                      : "key of token " + std::to_string(slot->token_id) +
                                                                            " (" + slot->token_type + ")"),
                    slot->purpose == KeyslotPurpose::ProviderKey ? "`cvfs erase " + volume.name + "` destroys every key"
                                                                 : "remove it with the tool that made it");
    if (token->provider != volume.key_provider.name)
        throw Error(ErrorKind::Key,
                    "volume '" + volume.name + "' was made with key provider '" + token->provider +
                        "', the configuration names '" + volume.key_provider.name + "'",
                    "run `cvfs enroll " + volume.name + "` first, so a recovery key is not the only key left");
    // The provider's key must still open the provider's keyslot.
    TokenValues values = token->provider_data;
    PluginCall key_call(volume, volume.key_provider, parts.deadline, &values, options_.cancel);
    SecureBuffer key = parts.key.get_key(key_call, CVFS_KEY_PURPOSE_UNLOCK);
    if (!header.verify_key(key))
        throw Error(ErrorKind::Key,
                    "volume '" + volume.name + "': the key from provider '" + token->provider + "' does not open keyslot " +
                        std::to_string(header.keyslot()) + "; the recovery key may be the only key left",
                    "keep it; `cvfs reseal " + volume.name + " --recovery-key-file FILE` gives the provider a new key");
    key.reset();
    destroy_keyslot(path, header.uuid(), keyslot);
    log(LogLevel::Info, "volume '" + volume.name + "': recovery key in keyslot " + std::to_string(keyslot) + " removed");
}

int Engine::erase(const VolumeConfig& volume) {
    Parts parts = resolve(volume);
    refuse_temporary(volume, parts.key, "its key is gone at each close; there is nothing to erase");
    VolumeLock lock(config_.global.run_dir, volume.name, parts.deadline);
    if (find_mapping(volume.name))
        throw Error(ErrorKind::State, "volume '" + volume.name + "' is open",
                    "run `cvfs close " + volume.name + "` first");
    PluginCall call(volume, volume.device, parts.deadline, nullptr, options_.cancel);
    const std::string path = header_path(volume, parts.device, call);
    // Only this volume's header: a wrong `dev` must not erase another volume.
    CheckedHeader header = CheckedHeader::load(path, volume.luks);
    auto token = header.token();
    if (!token)
        throw Error(ErrorKind::Header, "volume '" + volume.name + "': " + volume.dev + " holds a LUKS2 volume not made by cvfs",
                    "check `dev` in " + volume.file + "; cvfs erases only its own volumes");
    require_token_of(volume, *token, volume.dev);
    HeaderSummary summary = read_header_summary(path);
    int destroyed = destroy_all_keyslots(path, summary.uuid);
    log(LogLevel::Info, "volume '" + volume.name + "': " + std::to_string(destroyed) + " keyslots destroyed");
    return destroyed;
}

}  // namespace cvfs
