// Opening cryptpilot's volumes as they are (see foreign_open.h).
#include "volume/foreign_open.h"

#include <cvfs/key_provider.h>

#include "base/error.h"
#include "base/log.h"
#include "luks/foreign_header.h"
#include "luks/format_marker.h"
#include "luks/header_copy.h"
#include "luks/takeover_header.h"
#include "plugin/plugin_host.h"

namespace cvfs {

bool is_cryptpilot_volume(const std::string& node) {
    // Both subsystems start with "cryptpilot"; a header none of whose copies
    // names it needs no full load (every open of a cvfs volume asks).
    if (!may_name_subsystem(node, kCryptpilotSubsystem)) return false;
    auto marker = read_format_marker(node);
    return marker && !marker->has_cvfs_token &&
           (marker->subsystem == kCryptpilotSubsystem || marker->subsystem == kCryptpilotInitializing);
}

void open_cryptpilot_volume(const VolumeConfig& volume, const KeyProvider& provider,
                            std::chrono::steady_clock::time_point deadline, const std::atomic<bool>* cancel,
                            const std::string& node, uint32_t flags) {
    TakeoverHeader header = TakeoverHeader::load(node, volume.luks);
    if (header.subsystem() == kCryptpilotInitializing && !header.token())
        throw Error(ErrorKind::State,
                    "volume '" + volume.name + "': cryptpilot's init of " + volume.dev +
                        " did not finish (subsystem \"cryptpilot-initializing\"), so it holds no data",
                    "`cvfs init --force " + volume.name + "` makes it afresh");
    if (header.subsystem() != kCryptpilotSubsystem || header.token())
        throw Error(ErrorKind::Header, "volume '" + volume.name + "': the header of " + volume.dev +
                                           " changed while cvfs read it",
                    "run the command again");
    TokenValues none;
    PluginCall call(volume, volume.key_provider, deadline, &none, cancel);
    SecureBuffer secret = provider.get_key(call, CVFS_KEY_PURPOSE_UNLOCK);
    int keyslot = -1;
    SecureBuffer volume_key;
    try {
        volume_key = header.unlock(secret, keyslot);
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::Key) throw;
        throw Error(ErrorKind::Key,
                    "volume '" + volume.name + "': the key from provider '" + volume.key_provider.name +
                        "' opens none of the keyslots of cryptpilot's volume on " + volume.dev,
                    "check [encrypt." + volume.key_provider.name + "] in " + volume.file +
                        ": it must give the key cryptpilot was given");
    }
    secret.reset();
    header.activate(volume.name, volume_key, flags);
    log(LogLevel::Info, "volume '" + volume.name + "': cryptpilot's volume opened with keyslot " +
                            std::to_string(keyslot) + "; `cvfs adopt " + volume.name + "` gives it a cvfs token");
}

}  // namespace cvfs
