// `cvfs open` and `cvfs close`.
//
// Open is idempotent: a mapping that already exists is accepted only when it
// sits on the configured device, and then only the mount is completed (a
// temporary volume's mapping that an interrupted open left without its
// filesystem is removed and made afresh). A
// persistent volume's header is checked against the allow-list before the
// key provider is even asked, and the KDF runs once (in activation). A
// temporary volume gets a fresh key, header and filesystem at each open, but
// only over its own previous header or an empty device. A persistent
// volume's filesystem is made by init alone: open refuses a ready volume
// that shows none (and a header whose token names another volume) and never
// formats it. Anything that fails after activation removes the mapping
// again: no half-open volume is left. --no-mount (EngineOptions::no_mount)
// maps the volume and mounts nothing, also one that shows no filesystem, so
// it can be checked. A persistent volume's rollback record is checked right
// after unlock, compared with its counter, and advanced once it is open
// (volume/rollback_guard.h, volume/rollback_steps.h).
#include <cvfs/key_provider.h>
#include <libcryptsetup.h>

#include "base/error.h"
#include "base/log.h"
#include "luks/format_marker.h"
#include "luks/luks_volume.h"
#include "volume/engine.h"
#include "volume/engine_parts.h"
#include "volume/foreign_open.h"
#include "volume/mounts.h"
#include "volume/rollback_guard.h"
#include "volume/rollback_steps.h"
#include "volume/signature_probe.h"
#include "volume/volume_identity.h"
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

// A ready persistent volume that shows no filesystem is never formatted: its
// filesystem was made by init, so a blank look means damage (a bad first
// sector, a host that wrote over it), and a backup superblock may still
// save it.
Error no_filesystem(const VolumeConfig& volume, const std::string& mapped, const std::string& found,
                    bool removed) {
    const std::string fs = volume.fs ? volume.fs->name : "a filesystem";
    std::string check = "`cvfs open --no-mount " + volume.name + "` keeps the mapping without mounting it; then ";
    if (fs == "ext4")
        check += "`e2fsck -n -b 32768 " + mapped + "` checks it with a backup superblock (`mke2fs -n " + mapped +
                 "` lists where they are; -b 8193 for a small volume)";
    else if (fs == "xfs")
        check += "`xfs_repair -n " + mapped + "` looks for its secondary superblocks";
    else
        check += "look at " + mapped + " with the tools of its filesystem";
    return Error(ErrorKind::State,
                 "volume '" + volume.name + "' is ready, but " + mapped + " shows no filesystem (" + found +
                     "; expected " + fs + ", made at init); cvfs does not format a volume that holds data" +
                     (removed ? ", so it removed the mapping again" : ", nor mount it"),
                 check + ", and `cvfs close " + volume.name + "`; only `cvfs init --force " + volume.name +
                     "` makes a new, empty filesystem");
}

// What libblkid says about the mapping of a ready volume, or nothing when it
// holds a signature. The filesystem the volume was made with (`type`, when
// known) is looked for first, alone: that is the answer of almost every open,
// at a fraction of the reads of the probe for every signature libblkid knows,
// which only runs to explain a mapping that does not show it.
std::optional<std::string> missing_filesystem(const std::string& mapped, const std::optional<std::string>& type) {
    if (type && has_filesystem_of_type(mapped, *type)) return std::nullopt;
    try {
        if (find_signature(mapped)) return std::nullopt;
        return "libblkid finds no signature";
    } catch (const Error& e) {
        return e.what();
    }
}

// The header of a persistent volume, before the provider is asked for a key:
// it is this volume's (not another's swapped in) and its init finished.
CvfsToken require_ready_token(const VolumeConfig& volume, const CheckedHeader& header, const std::string& node) {
    auto token = header.token();
    if (!token) {
        auto marker = read_format_marker(node);
        if (marker && marker->made_for(volume.name))
            throw Error(ErrorKind::State, "volume '" + volume.name + "': its init was interrupted",
                        "run `cvfs init " + volume.name + "` to finish it");
        throw Error(ErrorKind::Header,
                    "volume '" + volume.name + "': " + volume.dev + " holds a LUKS2 volume not made by cvfs",
                    "check `dev` in " + volume.file + ", or take the volume over with `cvfs adopt " +
                        volume.name + "`");
    }
    require_token_of(volume, *token, volume.dev);
    if (token->state != TokenState::Ready)
        throw Error(ErrorKind::State, "volume '" + volume.name + "': its init was interrupted",
                    "run `cvfs init " + volume.name + "` to finish it");
    return *token;
}

}  // namespace

void Engine::open(const VolumeConfig& volume) {
    Parts parts = resolve(volume);
    VolumeLock lock(config_.global.run_dir, volume.name, parts.deadline);
    const bool temporary = parts.key.ephemeral();
    PluginCall device_call(volume, volume.device, parts.deadline, nullptr, options_.cancel);
    AttachedDevice attached(parts.device, device_call, volume.dev, temporary);
    const std::string& node = attached.node();
    remove_half_made_mapping_of(volume, node);

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
    std::optional<CvfsToken> token_update;  // provider values and the rollback record to keep in the header
    std::optional<PluginCall> counter_call;
    RollbackWork rollback;
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
    } else if (is_cryptpilot_volume(node)) {  // no cvfs token: cryptpilot's, opened as it is
        open_cryptpilot_volume(volume, parts.key, parts.deadline, options_.cancel, node,
                               activation_flags(volume, false));
        activated_here = true;
    } else {
        CheckedHeader header = CheckedHeader::load(node, volume.luks);
        std::optional<CvfsToken> token = require_ready_token(volume, header, node);
        TokenValues values = token->provider_data;
        PluginCall key_call(volume, volume.key_provider, parts.deadline, &values, options_.cancel);
        SecureBuffer secret = parts.key.get_key(key_call, CVFS_KEY_PURPOSE_UNLOCK);
        // The volume key itself (the KDF runs here, once): the rollback record's
        // HMAC is checked with it before anything is mapped.
        SecureBuffer volume_key = header.volume_key(secret);
        secret.reset();
        const std::string uuid = header.uuid();
        check_rollback_record(volume, volume.dev, uuid, *token, volume_key);
        // The record advances only beside a counter the host cannot roll back
        // (docs/rollback.md, volume/rollback_steps.h); with none it would
        // prove nothing, and cost a header write at every open.
        if (parts.counter)
            counter_call.emplace(volume, *volume.rollback_counter, parts.deadline, nullptr, options_.cancel);
        rollback = plan_rollback_at_open(volume, parts.counter, counter_call ? &*counter_call : nullptr, *token,
                                         uuid, volume_key, options_.accept_rollback);
        if (rollback.header) token_update = rollback.header;
        if (key_call.token_changed()) {
            if (!token_update) token_update = token;
            token_update->provider_data = values;
        }
        header.activate_by_volume_key(volume.name, volume_key, activation_flags(volume, false));
        volume_key.reset();
        activated_here = true;
    }

    const bool made_here = activated_here && temporary;
    try {
        // The header first, then the counter (rollback_steps.h).
        if (token_update)
            write_header_and_advance(volume, parts.counter, counter_call ? &*counter_call : nullptr, rollback, node,
                                     *token_update);
        // A fresh integrity volume's unwritten sectors have no valid tags and
        // read as I/O errors. Wiping it all would cost time in proportion to
        // its size at every open; instead only its ends are written (what
        // probes and mkfs read before writing), and the filesystem reads
        // nothing it has not written (see fs_maker.h).
        if (made_here && volume.luks.integrity != IntegrityMode::None)
            zero_integrity_ends(volume.name);
        if (parts.fs && made_here) {
            // Format work is not bounded by the volume's timeout (Ctrl-C stops it).
            PluginCall fs_call(volume, *volume.fs, std::chrono::steady_clock::time_point::max(), nullptr,
                               options_.cancel);
            parts.fs->make(fs_call, mapped);
        } else if (!temporary && (parts.fs || volume.mount)) {
            if (auto found = missing_filesystem(mapped, parts.fs ? parts.fs->mount_type() : std::nullopt)) {
                if (!options_.no_mount) throw no_filesystem(volume, mapped, *found, activated_here);
                log(LogLevel::Warning, "volume '" + volume.name + "': " + mapped + " shows no filesystem (" +
                                           *found + "); kept mapped, unmounted, as --no-mount asks");
            }
        }
        if (volume.mount && !options_.no_mount) {
            std::optional<std::string> type =
                parts.fs ? parts.fs->mount_type() : filesystem_type(mapped);
            if (!type)
                throw Error(ErrorKind::State,
                            "volume '" + volume.name + "': nothing to mount on " + mapped,
                            "set `makefs` so cvfs makes a filesystem, or remove [mount]");
            mount_volume(mapped, *type, volume);
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
    remove_half_made_mapping_of(volume, probe.header_path.empty() ? probe.node : probe.header_path);
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
