// `cvfs open` and `cvfs close`.
//
// Open is idempotent: a mapping that already exists is accepted only when it
// sits on the configured device, and then only the mount is completed (a
// temporary volume's mapping that an interrupted open left without its
// filesystem is removed and made afresh). A
// persistent volume's header is checked against the allow-list before the
// key provider is even asked, and the KDF runs once (in activation). A
// temporary volume gets a fresh key, header and filesystem at each open, but
// only over its own previous header or an empty device. Anything that fails
// after activation removes the mapping again: no half-open volume is left.
#include <cvfs/key_provider.h>
#include <libcryptsetup.h>

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

// Libcryptsetup activation flags: a temporary volume's data does not outlive
// the mapping, so dm-integrity's journal buys nothing there.
uint32_t activation_flags(const VolumeConfig& volume, bool temporary) {
    return temporary && volume.luks.integrity != IntegrityMode::None ? CRYPT_ACTIVATE_NO_JOURNAL
                                                                     : 0;
}

void check_mapping_owner(const VolumeConfig& volume, const Mapping& mapping,
                         const std::string& node) {
    if (!node.empty() && mapping.underlying == block_device_number(node)) return;
    const std::string device =
        node.empty() ? volume.dev + ", which is not attached" : volume.dev + " (" + node + ")";
    throw Error(ErrorKind::State,
                "volume '" + volume.name + "': " + mapper_path(volume) +
                    " exists but is not on the configured device " + device,
                "another tool made that mapping; close it (cryptsetup close " + volume.name +
                    ") or rename the volume");
}

// A temporary volume may only replace its own previous incarnation.
void check_temporary_device(const VolumeConfig& volume, const std::string& node) {
    std::string what;
    if (has_luks_header(node)) {
        try {
            auto token = CheckedHeader::load(node, volume.luks).token();
            if (token && token->volume == volume.name &&
                token->provider == volume.key_provider.name)
                return;
            what = "a LUKS volume that is not this temporary volume";
        } catch (const Error& e) {
            what = std::string("a LUKS volume cvfs cannot verify (") + e.what() + ")";
        }
    } else if (auto signature = find_signature(node)) {
        what = *signature;
    } else {
        return;
    }
    throw Error(
        ErrorKind::Refused,
        "volume '" + volume.name + "' is temporary (a new key at each open), but " + volume.dev +
            " holds " + what,
        "if that data is not needed, run `cvfs init --force " + volume.name + "` to erase it");
}

// Was the existing mapping of a temporary volume finished (it has its
// filesystem), or did an interrupted open leave it half made? A half-made
// integrity mapping may not even be readable.
bool temporary_mapping_finished(const std::string& mapped, bool has_fs_maker) {
    if (!has_fs_maker) return true;
    try {
        return find_signature(mapped).has_value();
    } catch (const Error&) {
        return false;
    }
}

}  // namespace

void Engine::open(const VolumeConfig& volume) {
    Parts parts = resolve(volume);
    VolumeLock lock(config_.global.run_dir, volume.name, parts.deadline);
    const bool temporary = parts.key.ephemeral();
    PluginCall device_call(volume, volume.device, parts.deadline, nullptr, options_.cancel);
    AttachedDevice attached(parts.device, device_call, volume.dev, temporary);
    const std::string& node = attached.node();
    if (remove_half_made_mapping(volume.name, node))
        log(LogLevel::Warning, "volume '" + volume.name + "': removed the half-made mapping an interrupted run left");

    const std::string mapped = mapper_path(volume);
    bool mapped_before = false;
    if (auto mapping = find_mapping(volume.name)) {
        check_mapping_owner(volume, *mapping, node);
        if (temporary && !temporary_mapping_finished(mapped, parts.fs.has_value())) {
            log(LogLevel::Warning, "volume '" + volume.name +
                                       "': removing the half-made mapping of an interrupted open");
            release_device(mapped);
            deactivate(volume.name);
        } else {
            attached.keep();  // the existing mapping uses it, whatever happens next
            mapped_before = true;
        }
    }

    bool activated_here = false;
    std::optional<CvfsToken> token_update;  // provider values to keep in the header
    if (mapped_before) {
        // Only what is missing is done below (the filesystem, the mount).
    } else if (temporary) {
        check_temporary_device(volume, node);
        TokenValues values;
        PluginCall key_call(volume, volume.key_provider, parts.deadline, &values, options_.cancel);
        SecureBuffer secret = parts.key.get_key(key_call, CVFS_KEY_PURPOSE_ENROL);
        CvfsToken token = new_token(volume, TokenState::Ready, values);
        FormattedVolume formatted =
            FormattedVolume::format(node, volume.luks, KdfChoice::MachineSecret, secret, token);
        secret.reset();
        formatted.activate(volume.name, activation_flags(volume, true));
        activated_here = true;
    } else {
        CheckedHeader header = CheckedHeader::load(node, volume.luks);
        auto token = header.token();
        if (!token)
            throw Error(ErrorKind::Header,
                        "volume '" + volume.name + "': " + volume.dev +
                            " holds a LUKS2 volume not made by cvfs",
                        "check `dev` in " + volume.file);
        if (token->state != TokenState::Ready)
            throw Error(ErrorKind::State, "volume '" + volume.name + "': its init was interrupted",
                        "run `cvfs init " + volume.name + "` to finish it");
        TokenValues values = token->provider_data;
        PluginCall key_call(volume, volume.key_provider, parts.deadline, &values, options_.cancel);
        SecureBuffer secret = parts.key.get_key(key_call, CVFS_KEY_PURPOSE_UNLOCK);
        header.activate(volume.name, secret, activation_flags(volume, false));
        activated_here = true;
        if (key_call.token_changed()) {
            token->provider_data = values;
            token_update = token;
        }
    }

    const bool made_here = activated_here && temporary;
    try {
        if (token_update) write_token(node, *token_update);
        // A fresh integrity volume's unwritten sectors have no valid tags and
        // read as I/O errors. Wiping it all would cost time in proportion to
        // its size at every open; instead only its ends are written (what
        // probes and mkfs read before writing), and the filesystem reads
        // nothing it has not written (see fs_maker.h).
        if (made_here && volume.luks.integrity != IntegrityMode::None)
            zero_integrity_ends(volume.name);
        if (parts.fs && (made_here || !find_signature(mapped))) {
            PluginCall fs_call(volume, *volume.fs, parts.deadline, nullptr, options_.cancel);
            parts.fs->make(fs_call, mapped);
        }
        if (volume.mount) {
            std::optional<std::string> type =
                parts.fs ? parts.fs->mount_type() : filesystem_type(mapped);
            if (!type)
                throw Error(ErrorKind::State,
                            "volume '" + volume.name + "': nothing to mount on " + mapped,
                            "set `makefs` so cvfs makes a filesystem, or remove [mount]");
            mount_volume(mapped, *type, *volume.mount);
        }
    } catch (...) {
        if (activated_here) {
            release_device(mapped);
            deactivate(volume.name);
        }
        throw;
    }
    attached.keep();
    log(LogLevel::Info, "volume '" + volume.name + "' is open at " + mapped);
}

void Engine::close(const VolumeConfig& volume) {
    Parts parts = resolve(volume);
    VolumeLock lock(config_.global.run_dir, volume.name, parts.deadline);
    PluginCall device_call(volume, volume.device, parts.deadline, nullptr, options_.cancel);
    DeviceProbe probe = parts.device.probe(device_call, volume.dev);
    if (remove_half_made_mapping(volume.name, probe.node))
        log(LogLevel::Warning, "volume '" + volume.name + "': removed the half-made mapping an interrupted run left");
    if (auto mapping = find_mapping(volume.name)) {
        // Without a node the configured device is not there (or not attached),
        // so the mapping cannot be on it: it is another tool's.
        check_mapping_owner(volume, *mapping, probe.node);
        release_device(mapper_path(volume));
        deactivate(volume.name);
        log(LogLevel::Info, "volume '" + volume.name + "' closed");
    }
    if (!probe.node.empty()) parts.device.detach(device_call, volume.dev, probe.node);
}

}  // namespace cvfs
