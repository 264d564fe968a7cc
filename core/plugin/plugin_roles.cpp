// Calls into plugins through the ABI, with status-to-error translation.
#include "plugin/plugin_roles.h"

#include <cstring>
#include <mutex>

#include "base/error.h"

namespace cvfs {
namespace {

constexpr size_t message_capacity = 1024;
constexpr size_t first_key_capacity = 64;
constexpr size_t max_key_size = 64 * 1024;
constexpr size_t path_capacity = 4096;
constexpr size_t detail_capacity = 512;

struct Outcome {
    cvfs_status status;
    std::string message;
};

// Runs one operation with a message buffer, the thread's plugin name set, and
// the plugin's lock held when it does not allow concurrent calls.
template <class Op>
Outcome run(const LoadedPlugin& plugin, Op&& op) {
    char message[message_capacity] = {};
    cvfs_error error{message, sizeof message};
    CurrentPluginScope scope(plugin.info().name);
    std::unique_lock lock(plugin.serial(), std::defer_lock);
    if (plugin.kind() == PluginKind::KeyProvider &&
        !(plugin.info().capabilities & CVFS_CAP_THREAD_SAFE))
        lock.lock();
    cvfs_status status = op(&error);
    return {status, status == CVFS_OK ? std::string() : plugin_message(message, sizeof message)};
}

// Statuses that say the plugin (or its configuration) is at fault, not the
// key or the device.
ErrorKind error_kind(cvfs_status status, ErrorKind role) {
    switch (status) {
    case CVFS_E_INVALID_CONFIG: return ErrorKind::Config;
    case CVFS_E_INVALID_ARGUMENT:
    case CVFS_E_NOT_SUPPORTED:
    case CVFS_E_BUFFER_TOO_SMALL:
    case CVFS_E_INTERNAL: return ErrorKind::Plugin;
    case CVFS_E_PERMISSION_DENIED:
    case CVFS_E_NOT_FOUND:
    case CVFS_E_UNAVAILABLE:
    case CVFS_E_CANCELLED:
    case CVFS_E_DEADLINE_EXCEEDED:
    case CVFS_E_BUSY: return role;
    default: return ErrorKind::Plugin;
    }
}

std::string hint_for(cvfs_status status) {
    switch (status) {
    case CVFS_E_INVALID_CONFIG: return "fix the plugin's table in the volume file";
    case CVFS_E_UNAVAILABLE: return "this may be transient: check the network or device and retry";
    case CVFS_E_DEADLINE_EXCEEDED: return "raise the volume's timeout if the service is slow";
    case CVFS_E_INTERNAL: return "this is a bug in the plugin; report it to its vendor";
    default: return {};
    }
}

std::string subject(const LoadedPlugin& plugin, PluginCall& call) {
    const auto& info = plugin.info();
    return "volume '" + call.volume_name() + "': " + kind_label(plugin.kind()) + " '" + info.name +
           "' (" + info.path + ")";
}

void check(const LoadedPlugin& plugin, PluginCall& call, const char* doing, const Outcome& outcome,
           ErrorKind role) {
    if (outcome.status == CVFS_OK) return;
    throw Error(error_kind(outcome.status, role),
                subject(plugin, call) + " failed to " + doing + ": " + status_text(outcome.status) +
                    ": " + outcome.message,
                hint_for(outcome.status));
}

[[noreturn]] void misbehaved(const LoadedPlugin& plugin, PluginCall& call, const char* doing,
                             const std::string& problem) {
    throw Error(ErrorKind::Plugin, subject(plugin, call) + " failed to " + doing + ": " + problem,
                "this is a bug in the plugin; report it to its vendor");
}

// A NUL-terminated string a plugin wrote into a host buffer.
std::string text_in(const std::string& buffer) {
    return std::string(buffer.c_str(), ::strnlen(buffer.c_str(), buffer.size()));
}

}  // namespace

bool KeyProvider::ephemeral() const { return info().capabilities & CVFS_CAP_EPHEMERAL; }

bool KeyProvider::human_secret() const { return info().capabilities & CVFS_CAP_HUMAN_SECRET; }

void KeyProvider::check_config(PluginCall& call) const {
    const auto& p = *plugin_;
    if (!p.key_ops().check_config) return;
    Outcome outcome = run(p, [&](cvfs_error* error) {
        return p.key_ops().check_config(p.context(), call.get(), error);
    });
    check(p, call, "check its configuration", outcome, ErrorKind::Key);
}

SecureBuffer KeyProvider::get_key(PluginCall& call, uint32_t purpose) const {
    const auto& p = *plugin_;
    SecureBuffer key(first_key_capacity);
    for (bool retried = false;; retried = true) {
        cvfs_secret secret{key.data(), key.capacity(), 0};
        Outcome outcome = run(p, [&](cvfs_error* error) {
            return p.key_ops().get_key(p.context(), call.get(), purpose, &secret, error);
        });
        if (outcome.status == CVFS_E_BUFFER_TOO_SMALL && !retried) {
            if (secret.length <= key.capacity() || secret.length > max_key_size)
                misbehaved(p, call, "get the key",
                           "it asked for a " + std::to_string(secret.length) +
                               "-byte key buffer (had " + std::to_string(key.capacity()) +
                               ", keys are at most " + std::to_string(max_key_size) + " bytes)");
            key = SecureBuffer(secret.length);
            continue;
        }
        check(p, call, "get the key", outcome, ErrorKind::Key);
        if (secret.length == 0) misbehaved(p, call, "get the key", "it returned an empty key");
        if (secret.length > key.capacity())
            misbehaved(p, call, "get the key", "it reported a key longer than its buffer");
        key.resize(secret.length);
        return key;
    }
}

void DeviceBackend::check_config(PluginCall& call, const std::string& dev) const {
    const auto& p = *plugin_;
    if (!p.device_ops().check_config) return;
    Outcome outcome = run(p, [&](cvfs_error* error) {
        return p.device_ops().check_config(p.context(), call.get(), dev.c_str(), error);
    });
    check(p, call, "check its configuration", outcome, ErrorKind::Device);
}

DeviceProbe DeviceBackend::probe(PluginCall& call, const std::string& dev) const {
    const auto& p = *plugin_;
    std::string node(path_capacity, '\0'), header(path_capacity, '\0'), detail(detail_capacity, '\0');
    cvfs_device_info info{};
    info.struct_size = sizeof info;
    info.node = node.data();
    info.node_capacity = node.size();
    info.header_path = header.data();
    info.header_path_capacity = header.size();
    info.detail = detail.data();
    info.detail_capacity = detail.size();
    Outcome outcome = run(p, [&](cvfs_error* error) {
        return p.device_ops().probe(p.context(), call.get(), dev.c_str(), &info, error);
    });
    check(p, call, ("probe " + dev).c_str(), outcome, ErrorKind::Device);
    return DeviceProbe{info.present != 0, info.size_bytes, text_in(node), text_in(header),
                       plugin_message(detail.data(), detail.size())};
}

std::string DeviceBackend::attach(PluginCall& call, const std::string& dev, bool create) const {
    const auto& p = *plugin_;
    std::string node(path_capacity, '\0');
    Outcome outcome = run(p, [&](cvfs_error* error) {
        return p.device_ops().attach(p.context(), call.get(), dev.c_str(), create ? 1 : 0,
                                     node.data(), node.size(), error);
    });
    const std::string doing = "attach " + dev;
    check(p, call, doing.c_str(), outcome, ErrorKind::Device);
    std::string result = text_in(node);
    if (result.empty()) misbehaved(p, call, doing.c_str(), "it returned no device node");
    return result;
}

void DeviceBackend::detach(PluginCall& call, const std::string& dev, const std::string& node) const {
    const auto& p = *plugin_;
    if (!p.device_ops().detach) return;
    Outcome outcome = run(p, [&](cvfs_error* error) {
        return p.device_ops().detach(p.context(), call.get(), dev.c_str(), node.c_str(), error);
    });
    check(p, call, ("detach " + node).c_str(), outcome, ErrorKind::Device);
}

std::optional<std::string> FsMaker::mount_type() const {
    const char* type = plugin_->fs_ops().mount_type;
    if (!type) return std::nullopt;
    return std::string(type);
}

void FsMaker::check_config(PluginCall& call) const {
    const auto& p = *plugin_;
    if (!p.fs_ops().check_config) return;
    Outcome outcome = run(p, [&](cvfs_error* error) {
        return p.fs_ops().check_config(p.context(), call.get(), error);
    });
    check(p, call, "check its configuration", outcome, ErrorKind::Device);
}

void FsMaker::make(PluginCall& call, const std::string& device) const {
    const auto& p = *plugin_;
    Outcome outcome = run(p, [&](cvfs_error* error) {
        return p.fs_ops().make(p.context(), call.get(), device.c_str(), error);
    });
    check(p, call, ("make a filesystem on " + device).c_str(), outcome, ErrorKind::Device);
}

namespace {

// An id a counter plugin gave: printable ASCII without blanks (it goes into the header).
bool valid_counter_id(const std::string& id) {
    if (id.empty() || id.size() >= CVFS_COUNTER_ID_MAX) return false;
    for (char c : id)
        if (c <= ' ' || c > '~' || c == '"' || c == '\\') return false;
    return true;
}

void check_counter(const LoadedPlugin& plugin, PluginCall& call, const std::string& doing, const Outcome& outcome,
                   const std::string& id) {
    if (outcome.status != CVFS_E_NOT_FOUND) {
        check(plugin, call, doing.c_str(), outcome, ErrorKind::Device);
        return;
    }
    throw Error(ErrorKind::Device,
                subject(plugin, call) + ": its counter " + id + " is gone (" + outcome.message +
                    "); the volume's rollback record cannot be checked",
                "if the counter was deleted on purpose, `cvfs open --accept-rollback " + call.volume_name() +
                    "` makes a new one (see docs/rollback.md)");
}

}  // namespace

void RollbackCounter::check_config(PluginCall& call) const {
    const auto& p = *plugin_;
    if (!p.counter_ops().check_config) return;
    Outcome outcome = run(p, [&](cvfs_error* error) {
        return p.counter_ops().check_config(p.context(), call.get(), error);
    });
    check(p, call, "check its configuration", outcome, ErrorKind::Device);
}

RollbackCounter::Created RollbackCounter::create(PluginCall& call) const {
    const auto& p = *plugin_;
    std::string id(CVFS_COUNTER_ID_MAX, '\0');
    uint64_t value = 0;
    Outcome outcome = run(p, [&](cvfs_error* error) {
        return p.counter_ops().create(p.context(), call.get(), id.data(), id.size(), &value, error);
    });
    check(p, call, "create a counter", outcome, ErrorKind::Device);
    Created created{text_in(id), value};
    if (!valid_counter_id(created.id))
        misbehaved(p, call, "create a counter", "it gave an empty or unprintable id");
    return created;
}

uint64_t RollbackCounter::read(PluginCall& call, const std::string& id) const {
    const auto& p = *plugin_;
    uint64_t value = 0;
    Outcome outcome = run(p, [&](cvfs_error* error) {
        return p.counter_ops().read(p.context(), call.get(), id.c_str(), &value, error);
    });
    check_counter(p, call, "read its counter " + id, outcome, id);
    return value;
}

std::optional<uint64_t> RollbackCounter::read_if_there(PluginCall& call, const std::string& id,
                                                       std::string& why) const {
    const auto& p = *plugin_;
    uint64_t value = 0;
    Outcome outcome = run(p, [&](cvfs_error* error) {
        return p.counter_ops().read(p.context(), call.get(), id.c_str(), &value, error);
    });
    if (outcome.status == CVFS_E_NOT_FOUND) {
        why = outcome.message;
        return std::nullopt;
    }
    check_counter(p, call, "read its counter " + id, outcome, id);
    return value;
}

uint64_t RollbackCounter::increment(PluginCall& call, const std::string& id) const {
    const auto& p = *plugin_;
    uint64_t value = 0;
    Outcome outcome = run(p, [&](cvfs_error* error) {
        return p.counter_ops().increment(p.context(), call.get(), id.c_str(), &value, error);
    });
    check_counter(p, call, "increment its counter " + id, outcome, id);
    return value;
}

}  // namespace cvfs
