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

#include <unistd.h>

#include <cerrno>
#include <cstring>

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
        case VolumeState::ConfigError:
            return "config error";
        case VolumeState::Unreadable:
            return "unreadable device";
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
    Parts parts{registry_->key_provider(volume.key_provider),
                registry_->device_backend(volume.device), std::move(fs),
                std::chrono::steady_clock::now() + volume.timeout, std::nullopt};
    if (volume.rollback_counter) {
        // A temporary volume is new at every open: there is nothing to roll back.
        if (parts.key.ephemeral())
            throw Error(ErrorKind::Config,
                        volume.rollback_counter->where.str() + ": [rollback] counter = \"" +
                            volume.rollback_counter->name + "\" on the temporary volume '" + volume.name +
                            "' (its key provider '" + volume.key_provider.name + "' makes a new key at each open)",
                        "remove [rollback], or set counter = \"none\": a temporary volume is new at every open");
        parts.counter = registry_->rollback_counter(*volume.rollback_counter);
    }
    return parts;
}

void Engine::check(const VolumeConfig& volume) {
    // Mount options are read as open reads them, so a bad one shows here first.
    if (volume.mount)
        parse_mount_options(volume.mount->options, "volume '" + volume.name + "' (" + volume.file + "): [mount] options");
    Parts parts = resolve(volume);
    PluginCall key_call(volume, volume.key_provider, parts.deadline, nullptr, options_.cancel);
    parts.key.check_config(key_call);
    PluginCall device_call(volume, volume.device, parts.deadline, nullptr, options_.cancel);
    parts.device.check_config(device_call, volume.dev);
    if (parts.fs) {
        PluginCall fs_call(volume, *volume.fs, parts.deadline, nullptr, options_.cancel);
        parts.fs->check_config(fs_call);
    }
    if (parts.counter) {
        PluginCall counter_call(volume, *volume.rollback_counter, parts.deadline, nullptr, options_.cancel);
        parts.counter->check_config(counter_call);
    }
}

std::vector<PluginRegistry::Listing> Engine::plugins() { return registry_->discover(); }

namespace {

bool says_access_denied(const std::string& text) {
    for (int err : {EACCES, EPERM})
        if (text.find(std::strerror(err)) != std::string::npos) return true;
    return text.find("permission denied") != std::string::npos;  // the plugin status
}

// A failure to see the device or the mapping: when cvfs is not root and the
// system refused access, running as root is what to do.
void set_unreadable(VolumeStatus& status, const Error& e) {
    status.state = VolumeState::Unreadable;
    if (says_access_denied(e.what()) && ::geteuid() != 0) {
        status.detail = "cvfs must run as root: " + std::string(e.what());
        status.hint = "run it with sudo, or as root";
        return;
    }
    status.detail = e.what();
    status.hint = e.hint();
}

// Decides the state of a volume that has no mapping, from its header.
void read_header_state(const VolumeConfig& volume, const std::string& header_path,
                       VolumeStatus& status) {
    // A device that cannot be read is neither empty nor damaged.
    try {
        if (header_path.empty() || !has_luks_header(header_path)) {
            status.state = VolumeState::NeedsInit;
            return;
        }
    } catch (const Error& e) {
        set_unreadable(status, e);
        return;
    }
    // init writes the label and subsystem together with the first keyslot
    // and the token: a header with the mark but without them was changed.
    auto marker = read_format_marker(header_path);
    const bool marked = marker && marker->made_for(volume.name) && !marker->has_cvfs_token;
    try {
        CheckedHeader header = CheckedHeader::load(header_path, volume.luks);
        status.uuid = header.uuid();
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
            status.generation = token->generation;  // unauthenticated here: for display only
            status.header_counter = token->counter;
        }
    } catch (const Error& e) {
        // The header could not be read at all: nothing says it is damaged.
        if (e.kind() == ErrorKind::Device || e.kind() == ErrorKind::System) {
            set_unreadable(status, e);
            return;
        }
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
    status.file = volume.file;
    status.auto_open = volume.auto_open;
    status.counter = volume.rollback_counter ? volume.rollback_counter->name : "none";
    // The plugins the file names, and their own check of their tables: what
    // fails here is the configuration, whatever the device holds.
    std::optional<Parts> resolved;
    try {
        resolved.emplace(resolve(volume));
        Parts& parts = *resolved;
        status.temporary = parts.key.ephemeral();
        PluginCall key_call(volume, volume.key_provider, parts.deadline, nullptr, options_.cancel);
        parts.key.check_config(key_call);
        if (parts.fs) {
            PluginCall fs_call(volume, *volume.fs, parts.deadline, nullptr, options_.cancel);
            parts.fs->check_config(fs_call);
        }
    } catch (const Error& e) {
        status.state = VolumeState::ConfigError;
        status.detail = e.what();
        status.hint = e.hint();
        return status;
    }
    Parts& parts = *resolved;
    std::string header_path;
    try {
        PluginCall call(volume, volume.device, parts.deadline, nullptr, options_.cancel);
        DeviceProbe probe = parts.device.probe(call, volume.dev);
        status.node = probe.node;
        status.detail = probe.detail;
        if (!probe.present) {
            status.state = VolumeState::MissingDevice;
            return status;
        }
        header_path = probe.header_path.empty() ? probe.node : probe.header_path;
    } catch (const Error& e) {
        if (e.kind() == ErrorKind::Config) {
            status.state = VolumeState::ConfigError;
            status.detail = e.what();
            status.hint = e.hint();
        } else {
            set_unreadable(status, e);
        }
        return status;
    }
    std::optional<Mapping> mapping;
    try {
        mapping = find_mapping(volume.name);
    } catch (const Error& e) {
        if (e.kind() == ErrorKind::State) {
            // A half made mapping: an open or init was interrupted.
            status.state = VolumeState::Interrupted;
            status.detail = e.what();
            status.hint = e.hint();
        } else {
            set_unreadable(status, e);
        }
        return status;
    }
    try {
        if (mapping) {
            status.mapper = mapper_path(volume);
            status.uuid = mapping->uuid;
            status.mount_points = mount_points_of(block_device_number(mapper_path(volume)));
            status.state = status.mount_points.empty() ? VolumeState::Open : VolumeState::Mounted;
            // A mapping that a killed init left behind is not an open volume.
            VolumeStatus header = status;
            if (!status.temporary) read_header_state(volume, header_path, header);
            if (header.state == VolumeState::Interrupted) status.state = VolumeState::Interrupted;
            status.generation = header.generation;
            status.header_counter = header.header_counter;
        } else if (status.temporary) {
            status.state = VolumeState::Ready;  // open makes it afresh
        } else {
            read_header_state(volume, header_path, status);
        }
    } catch (const Error& e) {
        set_unreadable(status, e);
    }
    return status;
}

}  // namespace cvfs
