// Engine: the volume lifecycle, the one entry point the CLI uses.
//
//   init   make a persistent volume: format LUKS2, enrol the provider's key,
//          make the filesystem, mark it ready (the cvfs token)
//   open   unlock (or, for a temporary volume, make afresh with its
//          filesystem), mount; never formats a persistent volume
//   close  unmount, remove the mapping, detach the device
//   status what state a volume is in, without changing anything
//   reseal a new key from the provider in place of the old one, no reformat
//
// Each call works on one volume under its lock and either finishes or throws
// cvfs::Error; callers loop over volumes so one failure does not stop the
// others. Every step is idempotent: running a command again after an
// interruption finishes the work or says why it cannot.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config_loader.h"
#include "plugin/plugin_registry.h"

namespace cvfs {

enum class VolumeState {
    MissingDevice,  // the device or block file is not there
    NeedsInit,      // no cvfs LUKS2 header yet
    Interrupted,    // a cvfs init did not finish; run init again
    Foreign,        // a LUKS2 volume cvfs did not make
    Invalid,        // the header fails the allow-list or cannot be read
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
};

// What `reseal` did: the keyslot removed and the one that replaced it.
struct ResealResult {
    int old_keyslot = -1;
    int new_keyslot = -1;
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
    // Adds a keyslot for the passphrase in `key_file` (a recovery key that
    // `reseal` accepts later), the provider unlocking; returns the keyslot.
    int add_recovery_key(const VolumeConfig& volume, const std::string& key_file);

    std::vector<PluginRegistry::Listing> plugins();

    // The plugins of one volume, resolved together (engine_parts.h; for the
    // engine's own files only).
    struct Parts;

private:
    Parts resolve(const VolumeConfig& volume);

    EngineOptions options_;
    ConfigSet config_;
    std::unique_ptr<PluginRegistry> registry_;
};

}  // namespace cvfs
