// Engine: the volume lifecycle, the one entry point the CLI uses.
//
//   init   make a persistent volume: format LUKS2, enrol the provider's key,
//          make the filesystem, mark it ready (the cvfs token)
//   open   unlock (or, for a temporary volume, make afresh with its
//          filesystem), mount; never formats a persistent volume
//   close  unmount, remove the mapping, detach the device
//   status what state a volume is in, without changing anything
//   reseal a new key from the provider in place of the old one, no reformat
//   adopt  take over another tool's LUKS2 volume without touching its data
//
// Each call works on one volume under its lock and either finishes or throws
// cvfs::Error; callers loop over volumes so one failure does not stop the
// others. Every step is idempotent: running a command again after an
// interruption finishes the work or says why it cannot.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/secure_buffer.h"
#include "config/config_loader.h"
#include "plugin/plugin_registry.h"
#include "volume/volume_verbs.h"

namespace cvfs {

enum class VolumeState {
    MissingDevice,  // the device or block file is not there
    NeedsInit,      // no cvfs LUKS2 header yet
    Interrupted,    // a cvfs init did not finish; run init again
    Foreign,        // a LUKS2 volume cvfs did not make
    Invalid,        // the header fails the allow-list or is damaged (possible tampering)
    ConfigError,    // the volume's file names a plugin that is not there, or a
                    // plugin refuses its table (a misspelt provider, a bad `size`)
    Unreadable,     // the device or device-mapper cannot be read (EACCES, EIO);
                    // the detail says "cvfs must run as root" when that is why
    Ready,          // can be opened
    Open,           // the mapping exists
    Mounted,        // the mapping exists and is mounted
};

const char* to_string(VolumeState state);

struct VolumeStatus {
    std::string volume;
    std::string dev;          // as configured
    std::string node;         // block device node, when attached
    std::string backend;
    std::string provider;
    std::string fs;           // fs maker name, or empty
    std::string integrity;    // none | hmac-sha256 | aead
    bool temporary = false;   // the provider makes a fresh key at each open
    VolumeState state = VolumeState::MissingDevice;
    std::string detail;       // why, for Invalid/Foreign/MissingDevice; backend detail otherwise
    std::vector<std::string> mount_points;
    bool adoptable = false;   // Foreign, and `cvfs adopt` can take it over
    std::string file;         // the volume file
    bool auto_open = false;   // opened at boot and by --all
    std::string mapper;       // /dev/mapper/NAME while the mapping exists, else empty
    std::string uuid;         // the LUKS UUID, when a header or the mapping names it
    std::string hint;         // what to do, for ConfigError and Unreadable; may be empty
    std::string counter = "none";     // [rollback] counter: "none", "tpm", "secretd"
    std::optional<uint64_t> generation;  // the header's rollback generation, when read (not checked)
    std::string header_counter;       // the counter the header's record names, when read
};

// What `adopt` is told (volume_adopt.cpp): where the volume's current secret
// comes from (a key file; else the terminal, or for a cryptpilot volume its
// provider), and whether the keyslots that secret opens go afterwards.
struct AdoptOptions {
    std::string key_file;
    bool remove_old_keyslot = false;
};

// What `adopt` did.
struct AdoptResult {
    bool already = false;              // the volume had this volume's cvfs token already
    std::string maker;                 // "cryptpilot", "another tool"
    int new_keyslot = -1;              // the keyslot the cvfs token names
    std::vector<int> kept_keyslots;    // the old secret's keyslot, kept
    std::vector<int> removed_keyslots; // removed with --remove-old-keyslot
};

// What `reseal` did: the keyslot removed and the one that replaced it.
struct ResealResult {
    int old_keyslot = -1;
    int new_keyslot = -1;
    bool old_kept = false;  // enroll without --remove-old-keyslot: the old keyslot stays, unnamed
};

struct EngineOptions {
    std::string confdir;
    // Called during long work (integrity wipe); may be empty.
    std::function<bool(uint64_t done, uint64_t total)> progress;
    // Set by a signal handler to make plugins and waits stop early.
    const std::atomic<bool>* cancel = nullptr;
    // open maps the volume (a temporary one with its new filesystem) and
    // mounts nothing; a ready volume that shows no filesystem stays mapped,
    // with a warning, so it can be checked (e2fsck with a backup superblock).
    bool no_mount = false;
    // open accepts a volume older than its rollback counter (or whose record
    // names another counter) and brings its header to the counter; the
    // caller has asked the operator (docs/rollback.md).
    bool accept_rollback = false;
};

class Engine {
public:
    explicit Engine(EngineOptions options);
    ~Engine();

    const ConfigSet& config() const { return config_; }

    VolumeStatus status(const VolumeConfig& volume);
    // `force` allows destroying what the device holds. The caller confirms first.
    void init(const VolumeConfig& volume, bool force);
    void open(const VolumeConfig& volume);
    void close(const VolumeConfig& volume);
    // Loads the volume's plugins and lets each check its configuration.
    void check(const VolumeConfig& volume);
    // Seals a new key with the volume's provider and swaps its keyslot in for
    // the old one, without reformatting (volume_reseal.cpp). The old key comes
    // from the provider, or from `recovery_key_file` (another keyslot's
    // passphrase) when that is not empty.
    ResealResult reseal(const VolumeConfig& volume, const std::string& recovery_key_file);
    // Moves the volume to the provider its file names now (the token may name
    // another): unlocks with the recovery key in `recovery_key_file` (or the
    // provider, when it is the token's), adds a keyslot for the configured
    // provider's new key and the token naming it. The old keyslot stays, no
    // longer named by the token, unless `remove_old_keyslot` (volume_reseal.cpp).
    ResealResult enroll(const VolumeConfig& volume, const std::string& recovery_key_file, bool remove_old_keyslot);
    // Adds a keyslot for the passphrase in `key_file` (a recovery key that
    // `reseal` accepts later), the provider unlocking; returns the keyslot.
    int add_recovery_key(const VolumeConfig& volume, const std::string& key_file);
    // Takes over a LUKS2 volume another tool made, its data untouched: a new
    // keyslot for the provider's key and the cvfs token (volume_adopt.cpp).
    // The caller confirms remove_old_keyslot first.
    AdoptResult adopt(const VolumeConfig& volume, const AdoptOptions& options);

    // The keyslot secret of a ready persistent volume, for a caller that
    // unlocks the volume itself (the cryptsetup token plugin): the header on
    // `header_device` is checked against the allow-list and must carry this
    // volume's cvfs token in the ready state before the key provider is asked
    // (volume_unlock_secret.cpp). Maps and writes nothing. Throws Error.
    SecureBuffer unlock_secret(const VolumeConfig& volume, const std::string& header_device);

    std::vector<PluginRegistry::Listing> plugins();

    // The operator's verbs (volume_status.cpp, volume_header.cpp, volume_keyslots.cpp).
    // What status() says plus the header's parameters, keyslots and tokens.
    VolumeDetails details(const VolumeConfig& volume);
    // Copies the volume's LUKS2 header into the new file `file` (root-only).
    void backup_header(const VolumeConfig& volume, const std::string& file);
    // Writes the header in `file` back, after checking it against the
    // allow-list and that it is this volume's (same LUKS UUID, a cvfs token
    // naming this volume and provider). Refused while the volume is open;
    // `force` allows it when the device holds no readable header to compare.
    void restore_header(const VolumeConfig& volume, const std::string& file, bool force);
    // The keyslots no token names: the passphrases added as recovery keys.
    std::vector<KeyslotInfo> recovery_keys(const VolumeConfig& volume);
    // Destroys recovery-key keyslot `keyslot`, once the provider's key is shown
    // to open its own keyslot (so the volume still opens afterwards).
    void remove_recovery_key(const VolumeConfig& volume, int keyslot);
    // Destroys every keyslot and token: the data can no longer be read.
    // Refused while the volume is open. Returns the keyslots destroyed.
    int erase(const VolumeConfig& volume);

    // The plugins of one volume, resolved together (engine_parts.h; for the
    // engine's own files only).
    struct Parts;

private:
    Parts resolve(const VolumeConfig& volume);
    // reseal and enroll: a new key from the configured provider in place of the old one.
    ResealResult replace_key(const VolumeConfig& volume, const std::string& recovery_key_file, bool keep_old);

    EngineOptions options_;
    ConfigSet config_;
    std::unique_ptr<PluginRegistry> registry_;
};

}  // namespace cvfs
