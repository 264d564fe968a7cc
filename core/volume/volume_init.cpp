// `cvfs init`: make a persistent volume.
//
// Order matters for recovery. The header is written first with a cvfs token
// in state "initializing"; only after the filesystem is made does the token
// become "ready". A crash in between leaves a volume that status calls
// "init interrupted" and that init finishes without --force (removing the
// mapping the interrupted run may have left), while a ready
// volume, a foreign LUKS volume or anything libblkid recognises is never
// overwritten without --force.
#include <cvfs/key_provider.h>

#include "base/error.h"
#include "base/log.h"
#include "luks/luks_volume.h"
#include "volume/engine.h"
#include "volume/engine_parts.h"
#include "volume/mounts.h"
#include "volume/signature_probe.h"
#include "volume/volume_lock.h"

namespace cvfs {

namespace {

const std::string force_hint = "add --force to destroy it (after making sure nothing on it is needed)";

// Throws unless the device may be formatted: it is empty, holds an
// interrupted cvfs init (which is then finished), or `force` is given.
void check_overwrite_allowed(const VolumeConfig& volume, const std::string& node, bool force) {
    std::string what;
    if (has_luks_header(node)) {
        try {
            auto token = CheckedHeader::load(node, volume.luks).token();
            if (token && token->state == TokenState::Initializing) {
                log(LogLevel::Info, "volume '" + volume.name + "': finishing an interrupted init");
                return;
            }
            what = token ? "an initialised cvfs volume" : "a LUKS2 volume not made by cvfs";
        } catch (const Error& e) {
            what = std::string("a LUKS volume whose header cvfs refuses (") + e.what() + ")";
        }
    } else if (auto signature = find_signature(node)) {
        what = "data: libblkid finds " + *signature;
    } else {
        return;
    }
    if (force) {
        log(LogLevel::Warning, "volume '" + volume.name + "': destroying " + what + " on " + node);
        return;
    }
    // Name the node too when `dev` is another name for it (PARTUUID=..., a link).
    const std::string device = node == volume.dev ? volume.dev : volume.dev + " (" + node + ")";
    throw Error(ErrorKind::Refused, "volume '" + volume.name + "': " + device + " holds " + what, force_hint);
}

// A mapping on this very device whose header says "initializing" is what a
// killed init left behind (while wiping or making the filesystem).
bool left_by_interrupted_init(const VolumeConfig& volume, const Mapping& mapping, const std::string& node) {
    if (mapping.underlying != block_device_number(node) || !has_luks_header(node)) return false;
    try {
        auto token = CheckedHeader::load(node, volume.luks).token();
        return token && token->state == TokenState::Initializing;
    } catch (const Error&) {
        return false;
    }
}

}  // namespace

void Engine::init(const VolumeConfig& volume, bool force) {
    Parts parts = resolve(volume);
    VolumeLock lock(config_.global.run_dir, volume.name, parts.deadline);
    PluginCall device_call(volume, volume.device, parts.deadline, nullptr, options_.cancel);
    AttachedDevice attached(parts.device, device_call, volume.dev, true);
    const std::string& node = attached.node();
    if (remove_half_made_mapping(volume.name, node))
        log(LogLevel::Warning, "volume '" + volume.name + "': removed the half-made mapping an interrupted run left");
    if (auto mapping = find_mapping(volume.name)) {
        if (!left_by_interrupted_init(volume, *mapping, node))
            throw Error(ErrorKind::State, "volume '" + volume.name + "' is open", "close it before init");
        log(LogLevel::Warning, "volume '" + volume.name + "': removing the mapping of an interrupted init");
        deactivate(volume.name);
    }

    if (parts.key.ephemeral()) {
        // A temporary volume is made afresh by every open; init only prepares
        // the device and, when forced, clears what would block that.
        if (force) erase_signatures(node);
        log(LogLevel::Info, "volume '" + volume.name + "' is temporary: open makes it afresh");
        return;
    }
    check_overwrite_allowed(volume, node, force);

    TokenValues values;
    PluginCall key_call(volume, volume.key_provider, parts.deadline, &values, options_.cancel);
    SecureBuffer secret = parts.key.get_key(key_call, CVFS_KEY_PURPOSE_ENROL);

    CvfsToken token = new_token(volume, TokenState::Initializing, values);
    const KdfChoice kdf = parts.key.human_secret() ? KdfChoice::HumanPassphrase : KdfChoice::MachineSecret;
    FormattedVolume formatted = FormattedVolume::format(node, volume.luks, kdf, secret, token);
    secret.reset();

    if (volume.luks.integrity != IntegrityMode::None || parts.fs) {
        formatted.activate(volume.name, 0);
        try {
            if (volume.luks.integrity != IntegrityMode::None)
                wipe_integrity(volume.name, options_.progress);
            if (parts.fs) {
                PluginCall fs_call(volume, *volume.fs, parts.deadline, nullptr, options_.cancel);
                parts.fs->make(fs_call, mapper_path(volume));
            }
        } catch (...) {
            deactivate(volume.name);
            throw;
        }
        deactivate(volume.name);
    }
    token.state = TokenState::Ready;
    write_token(node, token);
    log(LogLevel::Info, "volume '" + volume.name + "' initialised on " + volume.dev);
}

}  // namespace cvfs
