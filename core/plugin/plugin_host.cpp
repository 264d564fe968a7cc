// The services table handed to plugins and the cvfs_call behind PluginCall.
#include "plugin/plugin_host.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "base/log.h"
#include "base/secure_buffer.h"

// The opaque handle of plugin.h. Plugins only ever see a pointer to it.
struct cvfs_call {
    std::string volume;
    std::string plugin;
    std::string source;
    std::string table;
    std::vector<cvfs::ConfigItem> items;
    std::vector<cvfs_config_item> c_items;
    cvfs_config config{};
    std::chrono::steady_clock::time_point deadline;
    const std::atomic<bool>* cancel = nullptr;
    std::mutex token_mutex;
    cvfs::TokenValues* token = nullptr;
    bool token_changed = false;
};

namespace cvfs {
namespace {

constexpr size_t max_token_key = 128;
constexpr size_t max_token_value = 64 * 1024;
constexpr size_t max_secret_alloc = 1024 * 1024;

thread_local const std::string* current_plugin = nullptr;

// Log lines from plugins are one line of plain text: control bytes become '?'.
std::string printable_line(const char* text) {
    if (!text) return "(no message)";
    std::string line(text);
    for (char& c : line)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return line;
}

LogLevel log_level(int level) {
    switch (level) {
    case CVFS_LOG_ERROR: return LogLevel::Error;
    case CVFS_LOG_WARNING: return LogLevel::Warning;
    case CVFS_LOG_DEBUG: return LogLevel::Debug;
    default: return LogLevel::Info;
    }
}

void host_log(cvfs_call* call, int level, const char* message) {
    std::string prefix = "plugin ";
    if (call)
        prefix += call->plugin + ": volume " + call->volume + ": ";
    else
        prefix += (current_plugin ? *current_plugin : std::string("(unknown)")) + ": ";
    log(log_level(level), prefix + printable_line(message));
}

// Every buffer handed out, by address, so secret_free wipes what was really
// mapped whatever the plugin did to the capacity field.
struct SecretTable {
    std::mutex mutex;
    std::unordered_map<uint8_t*, SecureBuffer> buffers;
};

SecretTable& secret_table() {
    static auto* table = new SecretTable;  // outlives plugins' shutdown at exit
    return *table;
}

cvfs_status host_secret_alloc(size_t size, cvfs_secret* out) {
    if (!out || size == 0 || size > max_secret_alloc) return CVFS_E_INVALID_ARGUMENT;
    try {
        SecureBuffer buffer(size);
        uint8_t* data = buffer.data();
        auto& table = secret_table();
        std::lock_guard lock(table.mutex);
        table.buffers.emplace(data, std::move(buffer));
        *out = cvfs_secret{data, size, 0};
        return CVFS_OK;
    } catch (const std::exception&) {
        return CVFS_E_UNAVAILABLE;
    }
}

void host_secret_free(cvfs_secret* secret) {
    if (!secret || !secret->data) return;
    auto& table = secret_table();
    std::unique_lock lock(table.mutex);
    auto found = table.buffers.find(secret->data);
    if (found == table.buffers.end()) {
        lock.unlock();
        host_log(nullptr, CVFS_LOG_ERROR, "secret_free called with a buffer the host did not allocate");
        return;
    }
    table.buffers.erase(found);  // SecureBuffer wipes and unlocks
    *secret = cvfs_secret{nullptr, 0, 0};
}

const cvfs_config* host_config(cvfs_call* call) {
    static const cvfs_config empty{sizeof(cvfs_config), "", "", 0, nullptr};
    return call ? &call->config : &empty;
}

const char* host_volume_name(cvfs_call* call) { return call ? call->volume.c_str() : ""; }

int host_is_cancelled(cvfs_call* call) {
    return call && call->cancel && call->cancel->load() ? 1 : 0;
}

int64_t host_remaining_ms(cvfs_call* call) {
    using clock = std::chrono::steady_clock;
    if (!call || call->deadline == clock::time_point::max()) return INT64_MAX;
    return std::chrono::duration_cast<std::chrono::milliseconds>(call->deadline - clock::now()).count();
}

cvfs_status host_token_get(cvfs_call* call, const char* key, char* value, size_t capacity,
                           size_t* length) {
    if (!call || !key || !length || !valid_token_key(key)) return CVFS_E_INVALID_ARGUMENT;
    if (!call->token) return CVFS_E_NOT_SUPPORTED;
    std::lock_guard lock(call->token_mutex);
    auto found = call->token->find(key);
    if (found == call->token->end()) return CVFS_E_NOT_FOUND;
    const std::string& text = found->second;
    *length = text.size();
    if (!value || capacity < text.size() + 1) return CVFS_E_BUFFER_TOO_SMALL;
    std::memcpy(value, text.c_str(), text.size() + 1);
    return CVFS_OK;
}

cvfs_status host_token_set(cvfs_call* call, const char* key, const char* value) {
    if (!call || !key || !value || !valid_token_key(key) || !valid_token_value(value))
        return CVFS_E_INVALID_ARGUMENT;
    if (!call->token) return CVFS_E_NOT_SUPPORTED;
    std::lock_guard lock(call->token_mutex);
    std::string& slot = (*call->token)[key];
    if (slot != value) {
        slot = value;
        call->token_changed = true;
    }
    return CVFS_OK;
}

cvfs_config_item c_item(const ConfigItem& item) {
    cvfs_config_item out{};
    out.key = item.key.c_str();
    out.line = item.where.line;
    out.column = item.where.column;
    switch (item.type) {
    case ConfigItem::Type::String:
        out.type = CVFS_VALUE_STRING;
        out.string = item.string.c_str();
        break;
    case ConfigItem::Type::Integer: out.type = CVFS_VALUE_INTEGER; out.integer = item.integer; break;
    case ConfigItem::Type::Boolean: out.type = CVFS_VALUE_BOOLEAN; out.integer = item.integer; break;
    }
    return out;
}

}  // namespace

const cvfs_host_services* host_services() {
    static const cvfs_host_services services{
        sizeof(cvfs_host_services), CVFS_PLUGIN_ABI_MAJOR, CVFS_PLUGIN_ABI_MINOR, CVFS_VERSION,
        &host_log,          &host_secret_alloc,    &host_secret_free, &host_config,
        &host_volume_name,  &host_is_cancelled,    &host_remaining_ms, &host_token_get,
        &host_token_set};
    return &services;
}

std::string status_text(cvfs_status status) {
    switch (status) {
    case CVFS_OK: return "ok";
    case CVFS_E_INVALID_ARGUMENT: return "invalid argument";
    case CVFS_E_INVALID_CONFIG: return "invalid configuration";
    case CVFS_E_NOT_SUPPORTED: return "not supported";
    case CVFS_E_UNAVAILABLE: return "unavailable";
    case CVFS_E_PERMISSION_DENIED: return "permission denied";
    case CVFS_E_NOT_FOUND: return "not found";
    case CVFS_E_BUFFER_TOO_SMALL: return "buffer too small";
    case CVFS_E_CANCELLED: return "cancelled";
    case CVFS_E_DEADLINE_EXCEEDED: return "deadline exceeded";
    case CVFS_E_INTERNAL: return "internal error";
    case CVFS_E_BUSY: return "busy";
    default: return "unknown status " + std::to_string(status);
    }
}

std::string plugin_message(const char* buffer, size_t capacity) {
    if (!buffer || capacity == 0) return "(no message)";
    std::string text(buffer, ::strnlen(buffer, capacity));
    if (text.empty()) return "(no message)";
    return printable_line(text.c_str());
}

bool valid_token_key(std::string_view key) {
    if (key.empty() || key.size() > max_token_key) return false;
    return std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    });
}

bool valid_token_value(std::string_view value) {
    if (value.size() > max_token_value) return false;
    return std::all_of(value.begin(), value.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

PluginCall::PluginCall(const VolumeConfig& volume, const PluginRef& ref,
                       std::chrono::steady_clock::time_point deadline, TokenValues* token,
                       const std::atomic<bool>* cancel)
    : call_(std::make_unique<cvfs_call>()) {
    call_->volume = volume.name;
    call_->plugin = ref.name;
    call_->source = ref.where.file.empty() ? volume.file : ref.where.file;
    call_->table = ref.table;
    call_->items = ref.items;
    call_->c_items.reserve(call_->items.size());
    for (const auto& item : call_->items) call_->c_items.push_back(c_item(item));
    call_->config = cvfs_config{sizeof(cvfs_config), call_->source.c_str(), call_->table.c_str(),
                                call_->c_items.size(), call_->c_items.data()};
    call_->deadline = deadline;
    call_->cancel = cancel;
    call_->token = token;
}

PluginCall::~PluginCall() = default;

cvfs_call* PluginCall::get() { return call_.get(); }

const std::string& PluginCall::volume_name() const { return call_->volume; }

bool PluginCall::token_changed() const {
    std::lock_guard lock(call_->token_mutex);
    return call_->token_changed;
}

CurrentPluginScope::CurrentPluginScope(const std::string& plugin_name) : previous_(current_plugin) {
    current_plugin = &plugin_name;
}

CurrentPluginScope::~CurrentPluginScope() { current_plugin = previous_; }

}  // namespace cvfs
