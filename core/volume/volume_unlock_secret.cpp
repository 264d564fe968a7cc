// Engine::unlock_secret: the provider's key of a persistent volume handed to a
// caller that activates the volume itself (libcryptsetup through the cvfs
// token plugin, for crypttab and systemd-cryptsetup).
//
// The same order as `cvfs open`: the header is copied and checked against the
// allow-list, its cvfs token must name this volume and provider and be ready,
// and only then is the key provider asked. The caller then unlocks the keyslot
// with the secret; nothing is mapped or written here, so provider values that
// change at unlock are not stored (`cvfs open` stores them).
#include <cvfs/key_provider.h>

#include "base/error.h"
#include "base/log.h"
#include "luks/luks_volume.h"
#include "volume/engine.h"
#include "volume/engine_parts.h"
#include "volume/volume_identity.h"
#include "volume/volume_lock.h"

namespace cvfs {

SecureBuffer Engine::unlock_secret(const VolumeConfig& volume, const std::string& header_device) {
    Parts parts = resolve(volume);
    if (parts.key.ephemeral())
        throw Error(ErrorKind::Refused,
                    "volume '" + volume.name + "' is temporary (key provider " + volume.key_provider.name +
                        " makes a new key at each open), so no stored keyslot can be unlocked",
                    "open it with `cvfs open " + volume.name + "`, which makes it afresh");
    VolumeLock lock(config_.global.run_dir, volume.name, parts.deadline);
    CheckedHeader header = CheckedHeader::load(header_device, volume.luks);
    std::optional<CvfsToken> token = header.token();
    if (!token)
        throw Error(ErrorKind::Header,
                    "volume '" + volume.name + "': " + header_device + " holds a LUKS2 volume not made by cvfs",
                    "check `dev` in " + volume.file);
    require_token_of(volume, *token, header_device);
    if (token->state != TokenState::Ready)
        throw Error(ErrorKind::State, "volume '" + volume.name + "': its init was interrupted",
                    "run `cvfs init " + volume.name + "` to finish it");
    TokenValues values = token->provider_data;
    PluginCall key_call(volume, volume.key_provider, parts.deadline, &values, options_.cancel);
    SecureBuffer secret = parts.key.get_key(key_call, CVFS_KEY_PURPOSE_UNLOCK);
    if (key_call.token_changed())
        log(LogLevel::Info, "volume '" + volume.name + "': key provider " + volume.key_provider.name +
                                " updated its token values; `cvfs open` stores them, this unlock does not");
    return secret;
}

}  // namespace cvfs
