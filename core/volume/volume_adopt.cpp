// `cvfs adopt`: take over a LUKS2 volume another tool made (Intel's
// create_encrypted_vfs.sh, cryptpilot, plain cryptsetup) without touching its
// data, and open cryptpilot's volumes as they are.
//
// Adopt checks the header against the allow-list for the configuration (and
// says which [luks] lines a known tool's volume needs), unlocks it with the
// secret it has today (a key file or a passphrase typed on the terminal, both
// read by the passphrase provider; or, for a cryptpilot volume, the provider
// its volume file names), enrols the configured provider's key in a new
// keyslot and writes the cvfs token naming it in the same header write
// (takeover_header.h), and only then, when asked, removes the keyslots the
// old secret opens. Each interruption leaves a volume that opens with the old
// secret or the new key; a second run finishes or says there is nothing to do.
#include <cvfs/key_provider.h>

#include "base/error.h"
#include "base/log.h"
#include "luks/foreign_header.h"
#include "luks/format_marker.h"
#include "luks/takeover_header.h"
#include "volume/engine.h"
#include "volume/engine_parts.h"
#include "volume/foreign_open.h"
#include "volume/volume_identity.h"
#include "volume/volume_lock.h"

namespace cvfs {

namespace {

// The passphrase provider, told to read `key_file` or to ask on the terminal.
PluginRef old_secret_source(const std::string& key_file) {
    PluginRef ref;
    ref.name = "passphrase";
    ref.table = "encrypt.passphrase";
    ref.where.file = "the command line";
    ConfigItem item;
    item.where = ref.where;
    if (key_file.empty()) {
        item.key = "prompt";
        item.type = ConfigItem::Type::Boolean;
        item.integer = 1;
    } else {
        item.key = "key_file";
        item.type = ConfigItem::Type::String;
        item.string = key_file;
    }
    ref.items.push_back(item);
    return ref;
}

// Refuses a header of a known tool whose parameters the volume file does not state.
void require_described(const VolumeConfig& volume, const std::string& node) {
    auto foreign = inspect_foreign_header(node);
    if (!foreign || !foreign->profile) return;  // the allow-list below says why
    if (foreign->subsystem == kCryptpilotInitializing)
        throw Error(ErrorKind::State,
                    "volume '" + volume.name + "': cryptpilot's init of " + volume.dev +
                        " did not finish (subsystem \"cryptpilot-initializing\"), so it holds no data to take over",
                    "`cvfs init --force " + volume.name + "` makes it afresh");
    const LuksParams& needed = foreign->profile->params;
    const std::string lines = luks_lines_for(needed, volume.luks);
    if (lines.empty()) return;
    throw Error(ErrorKind::Config,
                "volume '" + volume.name + "': " + volume.dev + " holds a volume as " + foreign->profile->maker +
                    " makes it (" + describe(needed) + "), but " + volume.file + " describes " +
                    describe(volume.luks),
                "put " + lines + " in " + volume.file +
                    " (cvfs checks the header against it at every open), then run `cvfs adopt " + volume.name +
                    "` again");
}

}  // namespace

AdoptResult Engine::adopt(const VolumeConfig& volume, const AdoptOptions& adopt) {
    Parts parts = resolve(volume);
    if (parts.key.ephemeral())
        throw Error(ErrorKind::State,
                    "volume '" + volume.name + "' is temporary (a new key at each open): there is nothing to take over",
                    "name a persistent key provider in " + volume.file);
    VolumeLock lock(config_.global.run_dir, volume.name, parts.deadline);
    PluginCall device_call(volume, volume.device, parts.deadline, nullptr, options_.cancel);
    AttachedDevice attached(parts.device, device_call, volume.dev, false);
    if (find_mapping(volume.name)) attached.keep();  // an open volume keeps using it; nothing is mapped here
    const std::string& node = attached.node();
    if (!has_luks_header(node))
        throw Error(ErrorKind::State, "volume '" + volume.name + "': " + volume.dev + " holds no LUKS volume to take over",
                    "`cvfs init " + volume.name + "` makes a new one");
    remove_half_made_mapping_of(volume, node);
    require_described(volume, node);

    TakeoverHeader header = TakeoverHeader::load(node, volume.luks);
    AdoptResult result;
    std::optional<CvfsToken> token = header.token();
    const bool cryptpilot = header.subsystem() == kCryptpilotSubsystem;
    result.maker = cryptpilot ? "cryptpilot" : "another tool";
    if (token) {
        require_token_of(volume, *token, volume.dev);
        if (token->state != TokenState::Ready)
            throw Error(ErrorKind::State, "volume '" + volume.name + "': its init was interrupted",
                        "run `cvfs init " + volume.name + "` to finish it");
        result.already = true;
        result.new_keyslot = header.token_keyslot();
        if (!adopt.remove_old_keyslot) return result;
    }

    // The secret the volume has today.
    SecureBuffer old_secret;
    const auto no_deadline = std::chrono::steady_clock::time_point::max();
    if (cryptpilot && adopt.key_file.empty()) {
        TokenValues none;
        PluginCall call(volume, volume.key_provider, parts.deadline, &none, options_.cancel);
        old_secret = parts.key.get_key(call, CVFS_KEY_PURPOSE_UNLOCK);
    } else {
        const PluginRef source = old_secret_source(adopt.key_file);
        KeyProvider asker = registry_->key_provider(source);
        TokenValues none;
        PluginCall call(volume, source, no_deadline, &none, options_.cancel);
        try {
            old_secret = asker.get_key(call, CVFS_KEY_PURPOSE_UNLOCK);
        } catch (const Error& e) {
            throw Error(e.kind(), e.what(),
                        adopt.key_file.empty()
                            ? "run `cvfs adopt " + volume.name + "` on a terminal to type the volume's current "
                              "passphrase, or give it in a file with --key-file FILE (mode 0600)"
                            : "--key-file names a root-owned file of mode 0600 or 0400 holding the volume's "
                              "current passphrase, every byte of it");
        }
    }

    if (!token) {
        int old_keyslot = -1;
        SecureBuffer volume_key = header.unlock(old_secret, old_keyslot);
        log(LogLevel::Info, "volume '" + volume.name + "': the old secret opens keyslot " + std::to_string(old_keyslot));
        TokenValues values;
        PluginCall enrol_call(volume, volume.key_provider, parts.deadline, &values, options_.cancel);
        SecureBuffer new_key = parts.key.get_key(enrol_call, CVFS_KEY_PURPOSE_ENROL);
        const KdfChoice kdf = parts.key.human_secret() ? KdfChoice::HumanPassphrase : KdfChoice::MachineSecret;
        result.new_keyslot = header.enrol(volume_key, new_key, kdf, new_token(volume, TokenState::Ready, values));
        volume_key.reset();
        // What is on the device now: the allow-list holds and the new key opens the new keyslot.
        TakeoverHeader written = TakeoverHeader::load(node, volume.luks);
        if (!written.token() || written.token_keyslot() != result.new_keyslot ||
            !keyslot_opens(node, result.new_keyslot, new_key))
            throw Error(ErrorKind::Device,
                        "volume '" + volume.name + "': the header written to " + volume.dev +
                            " does not hold the new keyslot and token",
                        "the old secret still opens the volume; run `cvfs adopt " + volume.name + "` again");
        result.kept_keyslots.push_back(old_keyslot);
        log(LogLevel::Info, "volume '" + volume.name + "': keyslot " + std::to_string(result.new_keyslot) +
                                " holds the key of provider '" + volume.key_provider.name + "'");
    }
    if (adopt.remove_old_keyslot) {
        result.removed_keyslots = destroy_keyslots_of(node, header.uuid(), old_secret, result.new_keyslot);
        result.kept_keyslots.clear();
    }
    return result;
}

}  // namespace cvfs
