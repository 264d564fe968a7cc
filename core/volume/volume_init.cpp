// `cvfs init`: make a persistent volume.
//
// Order matters for recovery. The header is written in one step with the
// label (the volume's name), the subsystem "cvfs", keyslot 0 and a cvfs token
// in state "initializing" (FormattedVolume::format); only after the
// filesystem is made does the token become "ready". An init stopped in
// between is one that status calls "init interrupted" and that init finishes
// without --force, but only after looking at what the volume holds: the token and
// the label are unauthenticated (the host can write them), so its keyslot is
// unlocked and the mapping looked at first (mapping_contents.h). Data there
// means refuse without --force, except the empty, never mounted filesystem
// the interrupted init itself made, which is then only marked ready. A ready
// volume, another volume's header, a foreign LUKS volume, a header with
// cvfs's mark that lacks its keyslot or token, or anything libblkid
// recognises is never overwritten without --force.
//
// The volume's timeout bounds waiting for the key provider and the device,
// not the device's own format work: the integrity wipe and mkfs run to their
// end (Ctrl-C still stops them). A volume with a rollback counter gets it
// at the end, with the record at the counter's first value, in the same
// header write that marks the volume ready.
#include <cvfs/key_provider.h>
#include <libcryptsetup.h>

#include "base/error.h"
#include "base/log.h"
#include "luks/format_marker.h"
#include "luks/luks_volume.h"
#include "volume/engine.h"
#include "volume/engine_parts.h"
#include "volume/mapping_contents.h"
#include "volume/mounts.h"
#include "volume/rollback_steps.h"
#include "volume/signature_probe.h"
#include "volume/volume_identity.h"
#include "volume/volume_lock.h"

namespace cvfs {

namespace {

const std::string force_hint = "add --force to destroy it (after making sure nothing on it is needed)";

// cvfs's mark (label and subsystem) on a header without the keyslot or the
// token cvfs writes with it: the header was changed after cvfs wrote it.
const std::string altered_mark =
    "a header with cvfs's mark for this volume but without the keyslot and token cvfs writes with it "
    "(changed since cvfs wrote it, or damaged)";

// What an init of this volume that did not finish left on the device: its
// header (keyslot and token included: they are written in one step) with the
// token still "initializing".
struct LeftByInit {
    CheckedHeader header;
    CvfsToken token;
};

// `dev`, and the node it resolved to when that is another name.
std::string device_of(const VolumeConfig& volume, const std::string& node) {
    return node == volume.dev ? volume.dev : volume.dev + " (" + node + ")";
}

// The interrupted init of this volume on `node`, if that is what it holds;
// otherwise `what` says what it holds instead.
std::optional<LeftByInit> interrupted_init(const VolumeConfig& volume, const std::string& node, std::string& what) {
    auto marker = read_format_marker(node);
    const bool marked = marker && marker->made_for(volume.name) && !marker->has_cvfs_token;
    try {
        CheckedHeader header = CheckedHeader::load(node, volume.luks);
        auto token = header.token();
        if (!token) {
            what = marked ? altered_mark : "a LUKS2 volume not made by cvfs";
        } else if (auto mismatch = token_mismatch(volume, *token)) {
            what = "another cvfs volume (" + *mismatch + ")";
        } else if (token->state == TokenState::Initializing) {
            return LeftByInit{std::move(header), std::move(*token)};
        } else {
            what = "an initialised cvfs volume";
        }
    } catch (const Error& e) {
        what = marked && marker->keyslots == 0
                   ? altered_mark
                   : std::string("a LUKS volume whose header cvfs refuses (") + e.what() + ")";
    }
    return std::nullopt;
}

// What the interrupted init's mapping holds, unlocked read-only.
struct Leftover {
    std::optional<std::string> data;  // nothing: empty
    bool own_filesystem = false;      // the init's own, never mounted filesystem
};

Leftover look_at_mapping(const VolumeConfig& volume, const Engine::Parts& parts, const LeftByInit& left,
                         const std::string& node, const std::atomic<bool>* cancel) {
    TokenValues values = left.token.provider_data;
    PluginCall key_call(volume, volume.key_provider, parts.deadline, &values, cancel);
    SecureBuffer secret;
    try {
        secret = parts.key.get_key(key_call, CVFS_KEY_PURPOSE_UNLOCK);
        left.header.activate(volume.name, secret, CRYPT_ACTIVATE_READONLY);
    } catch (const Error& e) {
        throw Error(ErrorKind::Refused,
                    "volume '" + volume.name + "': " + device_of(volume, node) +
                        " holds an interrupted init, but cvfs cannot unlock it to check that it holds no data (" +
                        e.what() + ")",
                    force_hint);
    }
    secret.reset();
    const std::string mapped = mapper_path(volume);
    Leftover leftover;
    try {
        leftover.data = data_on_mapping(mapped);
        leftover.own_filesystem = leftover.data && parts.fs && volume.fs && left.token.fs == volume.fs->name && parts.fs->mount_type() &&
                                  *parts.fs->mount_type() == "ext4" && filesystem_type(mapped) == "ext4" &&
                                  holds_unmounted_ext4(mapped);
    } catch (...) {
        deactivate(volume.name);
        throw;
    }
    deactivate(volume.name);
    return leftover;
}

enum class InitStart { Format, MarkReady };

// Decides how an interrupted init is finished; throws Refused when the
// volume holds data.
InitStart finish_interrupted(const VolumeConfig& volume, const Engine::Parts& parts, const LeftByInit& left,
                             const std::string& node, const std::atomic<bool>* cancel) {
    log(LogLevel::Info, "volume '" + volume.name + "': finishing an interrupted init");
    Leftover leftover = look_at_mapping(volume, parts, left, node, cancel);
    if (!leftover.data) return InitStart::Format;
    if (leftover.own_filesystem) return InitStart::MarkReady;
    throw Error(ErrorKind::Refused,
                "volume '" + volume.name + "': " + device_of(volume, node) + " says its init was interrupted, but the volume holds data (" +
                    *leftover.data + ")",
                "its header may have been changed or restored from an old copy; look at the data first "
                "(cryptsetup open --readonly " + volume.dev + " NAME with the volume's key), and " + force_hint);
}

// Decides whether the device may be formatted: it is empty, holds an
// interrupted init of this volume (which is then finished), or `force` is
// given. Throws Refused otherwise.
InitStart plan_init(const VolumeConfig& volume, const Engine::Parts& parts, const std::string& node, bool force,
                    const std::atomic<bool>* cancel) {
    std::string what;
    if (has_luks_header(node)) {
        if (auto left = interrupted_init(volume, node, what)) {
            if (!force) return finish_interrupted(volume, parts, *left, node, cancel);
            what = "an interrupted init";
        }
    } else if (auto signature = find_signature(node)) {
        what = "data: libblkid finds " + *signature;
    } else {
        return InitStart::Format;
    }
    if (force) {
        log(LogLevel::Warning, "volume '" + volume.name + "': destroying " + what + " on " + node);
        return InitStart::Format;
    }
    throw Error(ErrorKind::Refused, "volume '" + volume.name + "': " + device_of(volume, node) + " holds " + what,
                force_hint);
}

// A mapping on this very device whose header says "initializing" is what a
// killed init left behind (while wiping or making the filesystem).
bool left_by_interrupted_init(const VolumeConfig& volume, const Mapping& mapping, const std::string& node) {
    if (mapping.underlying != block_device_number(node) || !has_luks_header(node)) return false;
    try {
        auto token = CheckedHeader::load(node, volume.luks).token();
        return token && token->state == TokenState::Initializing && !token_mismatch(volume, *token);
    } catch (const Error&) {
        return false;
    }
}

// The filesystem an interrupted init already made: only the token changes.
void mark_ready(const VolumeConfig& volume, const std::string& node) {
    auto token = CheckedHeader::load(node, volume.luks).token();
    if (!token) throw Error(ErrorKind::State, "volume '" + volume.name + "': the cvfs token of " + node + " is gone");
    token->state = TokenState::Ready;
    write_token(node, *token);
    log(LogLevel::Info, "volume '" + volume.name + "': its filesystem was already made; marked ready");
}

}  // namespace

void Engine::init(const VolumeConfig& volume, bool force) {
    Parts parts = resolve(volume);
    VolumeLock lock(config_.global.run_dir, volume.name, parts.deadline);
    PluginCall device_call(volume, volume.device, parts.deadline, nullptr, options_.cancel);
    AttachedDevice attached(parts.device, device_call, volume.dev, true);
    const std::string& node = attached.node();
    remove_half_made_mapping_of(volume, node);
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
    if (plan_init(volume, parts, node, force, options_.cancel) == InitStart::MarkReady) {
        mark_ready(volume, node);
        return;
    }

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
                // Format work is not bounded by the volume's timeout.
                PluginCall fs_call(volume, *volume.fs, std::chrono::steady_clock::time_point::max(), nullptr,
                                   options_.cancel);
                parts.fs->make(fs_call, mapper_path(volume));
            }
        } catch (...) {
            deactivate(volume.name);
            throw;
        }
        deactivate(volume.name);
    }
    token.state = TokenState::Ready;
    if (parts.counter) {
        // The counter is made last, with the header's one write that follows.
        PluginCall counter_call(volume, *volume.rollback_counter, parts.deadline, nullptr, options_.cancel);
        record_new_counter(volume, *parts.counter, counter_call, token, formatted.uuid(), formatted.volume_key());
    }
    write_token(node, token);
    log(LogLevel::Info, "volume '" + volume.name + "' initialised on " + volume.dev);
}

}  // namespace cvfs
