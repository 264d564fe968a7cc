// The engine's setup, status and checks (see engine.h). The commands that
// change a volume live in volume_init.cpp and volume_open.cpp.
#include "volume/engine.h"

#include "base/error.h"
#include "base/log.h"
#include "luks/foreign_header.h"
#include "luks/format_marker.h"
#include "luks/luks_volume.h"
#include "volume/engine_parts.h"
#include "volume/mounts.h"
#include "volume/volume_identity.h"

namespace cvfs {

const char* to_string(VolumeState state) {
    switch (state) {
        case VolumeState::MissingDevice:
            return "missing device";
        case VolumeState::NeedsInit:
            return "needs init";
        case VolumeState::Interrupted:
            return "init interrupted";
        case VolumeState::Foreign:
            return "foreign LUKS";
        case VolumeState::Invalid:
            return "invalid header";
        case VolumeState::Ready:
            return "ready";
        case VolumeState::Open:
            return "open";
        case VolumeState::Mounted:
            return "mounted";
    }
    return "unknown";
}

std::string probed_header_path(const VolumeConfig& volume, const DeviceBackend& device, PluginCall& call) {
    DeviceProbe probe = device.probe(call, volume.dev);
    std::string path = probe.header_path.empty() ? probe.node : probe.header_path;
    if (!probe.present || path.empty())
        throw Error(ErrorKind::Device, "volume '" + volume.name + "': " + volume.dev + " is not there",
                    "check `dev` in " + volume.file);
    return path;
}

AttachedDevice::~AttachedDevice() {
    if (kept_) return;
    try {
        backend_.detach(call_, dev_, node_);
    } catch (const Error& e) {
        log(LogLevel::Warning, e.what());
    }
}

Engine::Engine(EngineOptions options)
    : options_(std::move(options)),
      config_(load_config(options_.confdir)),
      registry_(std::make_unique<PluginRegistry>(config_.global)) {}

Engine::~Engine() = default;

Engine::Parts Engine::resolve(const VolumeConfig& volume) {
    std::optional<FsMaker> fs;
    if (volume.fs) fs = registry_->fs_maker(*volume.fs);
    return Parts{registry_->key_provider(volume.key_provider),
                 registry_->device_backend(volume.device), std::move(fs),
                 std::chrono::steady_clock::now() + volume.timeout};
}

void Engine::check(const VolumeConfig& volume) {
    Parts parts = resolve(volume);
    PluginCall key_call(volume, volume.key_provider, parts.deadline, nullptr, options_.cancel);
    parts.key.check_config(key_call);
    PluginCall device_call(volume, volume.device, parts.deadline, nullptr, options_.cancel);
    parts.device.check_config(device_call, volume.dev);
    if (parts.fs) {
        PluginCall fs_call(volume, *volume.fs, parts.deadline, nullptr, options_.cancel);
        parts.fs->check_config(fs_call);
    }
}

std::vector<PluginRegistry::Listing> Engine::plugins() { return registry_->discover(); }

namespace {

// Decides the state of a volume that has no mapping, from its header.
void read_header_state(const VolumeConfig& volume, const std::string& header_path,
                       VolumeStatus& status) {
    if (header_path.empty() || !has_luks_header(header_path)) {
        status.state = VolumeState::NeedsInit;
        return;
    }
    // init writes the label and subsystem together with the first keyslot
    // and the token: a header with the mark but without them was changed.
    auto marker = read_format_marker(header_path);
    const bool marked = marker && marker->made_for(volume.name) && !marker->has_cvfs_token;
    try {
        CheckedHeader header = CheckedHeader::load(header_path, volume.luks);
        auto token = header.token();
        if (!token && marked) {
            status.state = VolumeState::Invalid;
            status.detail = "cvfs's mark without the cvfs token written with it: the header was changed";
        } else if (!token && marker && marker->subsystem == kCryptpilotSubsystem) {
            status.state = VolumeState::Ready;  // opened as it is (foreign_open.h)
            status.detail = "cryptpilot's volume, opened with the key of provider '" + volume.key_provider.name +
                            "'; `cvfs adopt " + volume.name + "` gives it a cvfs keyslot and token";
        } else if (!token && marker && marker->subsystem == kCryptpilotInitializing) {
            status.state = VolumeState::Foreign;
            status.detail = "cryptpilot's init of it did not finish, so it holds no data; `cvfs init --force " +
                            volume.name + "` makes it afresh";
        } else if (!token) {
            status.state = VolumeState::Foreign;
            status.adoptable = true;
            status.detail = "LUKS2 volume without a cvfs token";
        } else if (auto mismatch = token_mismatch(volume, *token)) {
            status.state = VolumeState::Foreign;
            status.detail = *mismatch;
        } else {
            status.state =
                token->state == TokenState::Ready ? VolumeState::Ready : VolumeState::Interrupted;
        }
    } catch (const Error& e) {
        if (marked && marker->keyslots == 0) {
            status.state = VolumeState::Invalid;
            status.detail = "cvfs's mark without the keyslot written with it: the header was changed";
            return;
        }
        // Parameters a known tool writes, in a sound header: foreign, not damaged.
        auto foreign = inspect_foreign_header(header_path);
        if (foreign && foreign->profile && !foreign->has_cvfs_token) {
            status.state = VolumeState::Foreign;
            status.adoptable = foreign->subsystem != kCryptpilotInitializing;
            status.detail = "a volume as " + foreign->profile->maker + " makes it (" +
                            describe(foreign->profile->params) + "); put " +
                            luks_lines_for(foreign->profile->params, volume.luks) + " in " + volume.file +
                            ", then `cvfs adopt " + volume.name + "`";
            return;
        }
        status.state = VolumeState::Invalid;
        status.detail = e.what();
        if (!e.hint().empty()) status.detail += " (" + e.hint() + ")";
    }
}

}  // namespace

VolumeStatus Engine::status(const VolumeConfig& volume) {
    VolumeStatus status;
    status.volume = volume.name;
    status.dev = volume.dev;
    status.backend = volume.device.name;
    status.provider = volume.key_provider.name;
    status.fs = volume.fs ? volume.fs->name : "";
    status.integrity = to_string(volume.luks.integrity);
    try {
        Parts parts = resolve(volume);
        status.temporary = parts.key.ephemeral();
        PluginCall call(volume, volume.device, parts.deadline, nullptr, options_.cancel);
        DeviceProbe probe = parts.device.probe(call, volume.dev);
        status.node = probe.node;
        status.detail = probe.detail;
        if (!probe.present) {
            status.state = VolumeState::MissingDevice;
            return status;
        }
        const std::string header_path = probe.header_path.empty() ? probe.node : probe.header_path;
        if (find_mapping(volume.name)) {
            status.mount_points = mount_points_of(block_device_number(mapper_path(volume)));
            status.state = status.mount_points.empty() ? VolumeState::Open : VolumeState::Mounted;
            // A mapping that a killed init left behind is not an open volume.
            VolumeStatus header = status;
            if (!status.temporary) read_header_state(volume, header_path, header);
            if (header.state == VolumeState::Interrupted) status.state = VolumeState::Interrupted;
        } else if (status.temporary) {
            status.state = VolumeState::Ready;  // open makes it afresh
        } else {
            read_header_state(volume, header_path, status);
        }
    } catch (const Error& e) {
        status.state = VolumeState::Invalid;
        status.detail = e.what();
    }
    return status;
}

}  // namespace cvfs
