// A small host for the plugin tests: loads a built plugin the way cvfs does
// (dlopen, the versioned entry symbol) and serves it a real services table
// (locked secret buffers, a config table, a deadline, token values, a log).
//
// The plugin tests link the SDK only, so this host stands in for the core's
// loader. One TestCall is one operation: set its config items, then pass
// call.raw() to the plugin's ops.
#pragma once

#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cvfs/device_backend.h"
#include "cvfs/fs_maker.h"
#include "cvfs/key_provider.h"
#include "cvfs/plugin.h"

// The host's side of the SDK's opaque call handle.
struct cvfs_call {
    std::string volume = "data0";
    std::string source = "/etc/cvfs/volumes/data0.toml";
    std::string table;
    std::deque<std::string> text;  // stable storage behind the items' pointers
    std::vector<cvfs_config_item> items;
    cvfs_config config{};
    std::atomic<bool> cancelled{false};  // may be set from another thread
    std::optional<std::chrono::steady_clock::time_point> deadline;
    std::map<std::string, std::string> token;
};

namespace plugins_test {

inline std::mutex log_mutex;
inline std::vector<std::string> log_lines;

// One operation of the host, with the plugin's config table.
class TestCall {
public:
    explicit TestCall(std::string table) { call_.table = std::move(table); }

    TestCall& string(const std::string& key, const std::string& value, uint32_t line = 1) {
        return add(key, CVFS_VALUE_STRING, &call_.text.emplace_back(value), 0, line);
    }
    TestCall& integer(const std::string& key, int64_t value, uint32_t line = 1) {
        return add(key, CVFS_VALUE_INTEGER, nullptr, value, line);
    }
    TestCall& boolean(const std::string& key, bool value, uint32_t line = 1) {
        return add(key, CVFS_VALUE_BOOLEAN, nullptr, value ? 1 : 0, line);
    }
    TestCall& deadline_in(std::chrono::milliseconds ms) {
        call_.deadline = std::chrono::steady_clock::now() + ms;
        return *this;
    }
    cvfs_call* raw() { return &call_; }

private:
    TestCall& add(const std::string& key, uint32_t type, const std::string* value, int64_t integer,
                  uint32_t line) {
        const char* key_text = call_.text.emplace_back(key).c_str();
        call_.items.push_back({key_text, type, value ? value->c_str() : nullptr, integer, line, 1});
        return *this;
    }

    cvfs_call call_;
};

// ---- the services table -------------------------------------------------------

inline void host_log(cvfs_call*, int, const char* message) {
    std::lock_guard lock(log_mutex);
    log_lines.emplace_back(message);
}

inline cvfs_status host_secret_alloc(size_t size, cvfs_secret* out) {
    void* data = std::calloc(1, size ? size : 1);
    if (!data) return CVFS_E_UNAVAILABLE;
    if (mlock(data, size) != 0) {
        std::free(data);
        return CVFS_E_UNAVAILABLE;
    }
    *out = {static_cast<uint8_t*>(data), size, 0};
    return CVFS_OK;
}

inline void host_secret_free(cvfs_secret* secret) {
    if (!secret->data) return;
    explicit_bzero(secret->data, secret->capacity);
    munlock(secret->data, secret->capacity);
    std::free(secret->data);
    *secret = {nullptr, 0, 0};
}

inline const cvfs_config* host_config(cvfs_call* call) {
    call->config = {sizeof(cvfs_config), call->source.c_str(), call->table.c_str(), call->items.size(),
                    call->items.data()};
    return &call->config;
}

inline const char* host_volume_name(cvfs_call* call) { return call->volume.c_str(); }
inline int host_is_cancelled(cvfs_call* call) { return call->cancelled ? 1 : 0; }

inline int64_t host_remaining_ms(cvfs_call* call) {
    if (!call->deadline) return INT64_MAX;
    auto left = *call->deadline - std::chrono::steady_clock::now();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(left).count();
    return ms > 0 ? ms : (left.count() > 0 ? 0 : -1);
}

inline cvfs_status host_token_get(cvfs_call* call, const char* key, char* value, size_t capacity,
                                  size_t* length) {
    auto found = call->token.find(key);
    if (found == call->token.end()) return CVFS_E_NOT_FOUND;
    *length = found->second.size();
    if (found->second.size() + 1 > capacity) return CVFS_E_BUFFER_TOO_SMALL;
    std::memcpy(value, found->second.c_str(), found->second.size() + 1);
    return CVFS_OK;
}

inline cvfs_status host_token_set(cvfs_call* call, const char* key, const char* value) {
    call->token[key] = value;
    return CVFS_OK;
}

inline const cvfs_host_services services = {
    sizeof(cvfs_host_services), CVFS_PLUGIN_ABI_MAJOR, CVFS_PLUGIN_ABI_MINOR, "test",
    host_log, host_secret_alloc, host_secret_free, host_config, host_volume_name,
    host_is_cancelled, host_remaining_ms, host_token_get, host_token_set};

// ---- loading ----------------------------------------------------------------

// A plugin .so from the build's plugin folder, initialised with `services`.
// Like the real host, it is never unloaded.
class Plugin {
public:
    explicit Plugin(const std::string& file) {
        std::string path = std::string(CVFS_BUILD_PLUGINDIR) + "/" + file;
        void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle) throw std::runtime_error(dlerror());
        auto entry = reinterpret_cast<cvfs_plugin_entry_fn>(
            dlvsym(handle, CVFS_PLUGIN_ENTRY_SYMBOL, CVFS_PLUGIN_VERSION_NODE));
        if (!entry) throw std::runtime_error(path + ": no versioned entry symbol");
        descriptor_ = entry(CVFS_PLUGIN_ABI_VERSION);
        if (!descriptor_) throw std::runtime_error(path + ": refused this host");
        char message[256] = "";
        cvfs_error error{message, sizeof message};
        if (descriptor_->init(&services, &context_, &error) != CVFS_OK)
            throw std::runtime_error(path + ": init failed: " + message);
    }
    Plugin(const Plugin&) = delete;
    Plugin& operator=(const Plugin&) = delete;
    ~Plugin() {
        if (descriptor_->shutdown) descriptor_->shutdown(context_);
    }

    const cvfs_plugin_descriptor& descriptor() const { return *descriptor_; }
    void* context() const { return context_; }
    template <class Ops>
    const Ops& ops() const {
        return *static_cast<const Ops*>(descriptor_->ops);
    }

private:
    const cvfs_plugin_descriptor* descriptor_ = nullptr;
    void* context_ = nullptr;
};

// An error buffer for one operation.
struct ErrorText {
    char text[1024] = "";
    cvfs_error error{text, sizeof text};
    std::string str() const { return text; }
    cvfs_error* get() { return &error; }
};

// A host-owned secret buffer, released when the test ends.
class Secret {
public:
    explicit Secret(size_t capacity) {
        if (host_secret_alloc(capacity, &secret_) != CVFS_OK) throw std::runtime_error("secret_alloc");
    }
    Secret(const Secret&) = delete;
    Secret& operator=(const Secret&) = delete;
    ~Secret() { host_secret_free(&secret_); }
    cvfs_secret* get() { return &secret_; }
    std::string bytes() const {
        return std::string(reinterpret_cast<const char*>(secret_.data), secret_.length);
    }

private:
    cvfs_secret secret_{};
};

// A fresh folder under the system's temporary directory, removed at the end.
class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "cvfs-plugins-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    std::string operator/(const std::string& name) const { return (path_ / name).string(); }
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

}  // namespace plugins_test
