// Header-only C++ helper for writing cvfs plugins as classes.
//
// The plugin ABI is C (plugin.h and the kind headers). This helper lets a
// plugin author write an ordinary C++ class and declare it with one macro:
//
//   class Otp {
//   public:
//     explicit Otp(const cvfs::sdk::Host& host);          // once, at init
//     void check_config(cvfs::sdk::Call& call);            // optional
//     void get_key(cvfs::sdk::Call& call, uint32_t purpose, cvfs::sdk::SecretOut& out);
//   };
//   CVFS_KEY_PROVIDER_PLUGIN(Otp, "otp", "1.0.0", "cvfs", "One-time random key",
//                            CVFS_CAP_EPHEMERAL | CVFS_CAP_THREAD_SAFE)
//
// Device backends implement probe/attach/detach (see DeviceInfoOut), fs makers
// make(call, device) and name their mount type in CVFS_FS_MAKER_PLUGIN;
// rollback counters create(call) -> NewCounter, read(call, id) and
// increment(call, id) -> the value (CVFS_ROLLBACK_COUNTER_PLUGIN).
//
// Every call into the class is wrapped: a cvfs::sdk::Error becomes its status
// and message, any other exception becomes CVFS_E_INTERNAL with what(). No
// exception crosses the C boundary. The class instance lives from init until
// shutdown; whether its methods may run concurrently is what the plugin
// declares with CVFS_CAP_THREAD_SAFE (key providers) or documents.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cvfs/device_backend.h"
#include "cvfs/fs_maker.h"
#include "cvfs/key_provider.h"
#include "cvfs/plugin.h"
#include "cvfs/rollback_counter.h"

namespace cvfs::sdk {

// Throw this from a plugin method to return a specific status. The message
// must not contain secret material.
class Error : public std::exception {
public:
    Error(cvfs_status status, std::string message)
        : status_(status), message_(std::move(message)) {}
    cvfs_status status() const noexcept { return status_; }
    const char* what() const noexcept override { return message_.c_str(); }

private:
    cvfs_status status_;
    std::string message_;
};

// Copies `text` into a C buffer, truncating and always NUL-terminating.
inline void copy_out(char* buffer, size_t capacity, std::string_view text) {
    if (!buffer || capacity == 0) return;
    size_t n = std::min(text.size(), capacity - 1);
    std::memcpy(buffer, text.data(), n);
    buffer[n] = '\0';
}

// Like copy_out, but refuses to truncate: paths must arrive whole.
inline void copy_path_out(char* buffer, size_t capacity, std::string_view text) {
    if (text.size() + 1 > capacity)
        throw Error(CVFS_E_BUFFER_TOO_SMALL, "path longer than the host's buffer: " + std::string(text));
    copy_out(buffer, capacity, text);
}

// The host's services, as given to init. Valid until shutdown.
class Host {
public:
    explicit Host(const cvfs_host_services* services) : services_(services) {}
    const cvfs_host_services* services() const { return services_; }
    std::string_view version() const { return services_->host_version; }
    void log(int level, const std::string& message) const {
        services_->log(nullptr, level, message.c_str());
    }

private:
    const cvfs_host_services* services_;
};

// A read-only view of the plugin's configuration table for one call.
class Config {
public:
    explicit Config(const cvfs_config* config) : config_(config) {}

    std::span<const cvfs_config_item> items() const { return {config_->items, config_->count}; }
    const char* source() const { return config_->source; }
    const char* table() const { return config_->table; }

    const cvfs_config_item* find(std::string_view key) const {
        for (const auto& item : items())
            if (key == item.key) return &item;
        return nullptr;
    }

    // "file:line: " for an item, to start a message about it.
    std::string where(const cvfs_config_item& item) const {
        return std::string(config_->source) + ":" + std::to_string(item.line) + ": ";
    }

    // Refuses any key not in `known`, naming it, its table and line.
    void allow_only(std::initializer_list<std::string_view> known) const {
        for (const auto& item : items()) {
            if (std::find(known.begin(), known.end(), std::string_view(item.key)) == known.end())
                throw Error(CVFS_E_INVALID_CONFIG, where(item) + "unknown key '" + item.key +
                                                       "' in [" + config_->table + "]");
        }
    }

    std::optional<std::string> string(std::string_view key) const {
        const auto* item = find(key);
        if (!item) return std::nullopt;
        expect(*item, CVFS_VALUE_STRING, "a string");
        return std::string(item->string);
    }

    std::optional<int64_t> integer(std::string_view key) const {
        const auto* item = find(key);
        if (!item) return std::nullopt;
        expect(*item, CVFS_VALUE_INTEGER, "an integer");
        return item->integer;
    }

    std::optional<bool> boolean(std::string_view key) const {
        const auto* item = find(key);
        if (!item) return std::nullopt;
        expect(*item, CVFS_VALUE_BOOLEAN, "true or false");
        return item->integer != 0;
    }

    // All values of a key that holds an array of strings (or one string).
    std::vector<std::string> strings(std::string_view key) const {
        std::vector<std::string> values;
        for (const auto& item : items()) {
            if (key != item.key) continue;
            expect(item, CVFS_VALUE_STRING, "a string or an array of strings");
            values.emplace_back(item.string);
        }
        return values;
    }

    std::string require_string(std::string_view key) const {
        auto value = string(key);
        if (!value)
            throw Error(CVFS_E_INVALID_CONFIG, std::string(config_->source) + ": missing key '" +
                                                   std::string(key) + "' in [" + config_->table + "]");
        return *value;
    }

private:
    void expect(const cvfs_config_item& item, uint32_t type, const char* what) const {
        if (item.type != type)
            throw Error(CVFS_E_INVALID_CONFIG,
                        where(item) + "'" + item.key + "' in [" + config_->table + "] must be " + what);
    }

    const cvfs_config* config_;
};

// One operation in progress. Valid only during the method it is passed to.
class Call {
public:
    Call(const cvfs_host_services* services, cvfs_call* call) : services_(services), call_(call) {}

    Config config() const { return Config(services_->config(call_)); }
    std::string_view volume() const { return services_->volume_name(call_); }
    bool cancelled() const { return services_->is_cancelled(call_) != 0; }
    int64_t remaining_ms() const { return services_->remaining_ms(call_); }
    // Throws CVFS_E_CANCELLED or CVFS_E_DEADLINE_EXCEEDED when the call should stop.
    void check_continue() const {
        if (cancelled()) throw Error(CVFS_E_CANCELLED, "cancelled");
        if (remaining_ms() < 0) throw Error(CVFS_E_DEADLINE_EXCEEDED, "deadline exceeded");
    }

    void log(int level, const std::string& message) const {
        services_->log(call_, level, message.c_str());
    }

    // The provider's value for `key` in the volume's token, if any.
    std::optional<std::string> token_get(const char* key) const {
        std::string value(256, '\0');
        for (;;) {
            size_t length = 0;
            cvfs_status s = services_->token_get(call_, key, value.data(), value.size(), &length);
            if (s == CVFS_E_NOT_FOUND) return std::nullopt;
            if (s == CVFS_E_BUFFER_TOO_SMALL) {
                value.resize(length + 1);
                continue;
            }
            if (s != CVFS_OK) throw Error(s, std::string("cannot read token value ") + key);
            value.resize(length);
            return value;
        }
    }

    void token_set(const char* key, const std::string& value) const {
        cvfs_status s = services_->token_set(call_, key, value.c_str());
        if (s != CVFS_OK) throw Error(s, std::string("cannot store token value ") + key);
    }

    const cvfs_host_services* services() const { return services_; }
    cvfs_call* raw() const { return call_; }

private:
    const cvfs_host_services* services_;
    cvfs_call* call_;
};

// Where a key provider writes its secret: the host's locked buffer.
class SecretOut {
public:
    explicit SecretOut(cvfs_secret* secret) : secret_(secret) {}

    size_t capacity() const { return secret_->capacity; }
    // Direct access for writing in place (no copies of the secret elsewhere).
    uint8_t* data() { return secret_->data; }

    // Declares that `length` bytes were written in place, or throws
    // CVFS_E_BUFFER_TOO_SMALL (with the required length) when they would not fit.
    void set_length(size_t length) {
        secret_->length = length;
        if (length > secret_->capacity) throw Error(CVFS_E_BUFFER_TOO_SMALL, "secret buffer too small");
    }

    void write(std::span<const uint8_t> bytes) {
        set_length(bytes.size());
        if (!bytes.empty()) std::memcpy(secret_->data, bytes.data(), bytes.size());
    }

private:
    cvfs_secret* secret_;
};

// What a device backend's probe fills in.
struct DeviceInfo {
    bool present = false;
    uint64_t size_bytes = 0;
    std::string node;         // block device node if one exists now
    std::string header_path;  // where the LUKS2 header can be read without attaching
    std::string detail;       // one line for `cvfs show`
};

// What a rollback counter's create returns: the new counter's id and value.
struct NewCounter {
    std::string id;
    uint64_t value = 0;
};

namespace detail {

// Runs `body`, turning exceptions into a status and a message.
template <class Body>
cvfs_status guard(cvfs_error* error, Body&& body) noexcept {
    try {
        body();
        return CVFS_OK;
    } catch (const Error& e) {
        if (error) copy_out(error->message, error->capacity, e.what());
        return e.status();
    } catch (const std::bad_alloc&) {
        if (error) copy_out(error->message, error->capacity, "out of memory");
        return CVFS_E_INTERNAL;
    } catch (const std::exception& e) {
        if (error) copy_out(error->message, error->capacity, e.what());
        return CVFS_E_INTERNAL;
    } catch (...) {
        if (error) copy_out(error->message, error->capacity, "unknown exception");
        return CVFS_E_INTERNAL;
    }
}

template <class P>
struct Instance {
    const cvfs_host_services* services;
    P plugin;
};

template <class P>
P& self(void* context) {
    return static_cast<Instance<P>*>(context)->plugin;
}
template <class P>
Call call_of(void* context, cvfs_call* call) {
    return Call(static_cast<Instance<P>*>(context)->services, call);
}

template <class P>
cvfs_status init(const cvfs_host_services* host, void** context, cvfs_error* error) {
    return guard(error, [&] { *context = new Instance<P>{host, P(Host(host))}; });
}

template <class P>
void shutdown(void* context) {
    delete static_cast<Instance<P>*>(context);
}

template <class P>
cvfs_status check_config(void* context, cvfs_call* call, cvfs_error* error) {
    return guard(error, [&] {
        Call c = call_of<P>(context, call);
        if constexpr (requires(P& p) { p.check_config(c); }) self<P>(context).check_config(c);
    });
}

template <class P>
cvfs_status get_key(void* context, cvfs_call* call, uint32_t purpose, cvfs_secret* secret,
                    cvfs_error* error) {
    return guard(error, [&] {
        Call c = call_of<P>(context, call);
        SecretOut out(secret);
        self<P>(context).get_key(c, purpose, out);
    });
}

template <class P>
cvfs_status device_check_config(void* context, cvfs_call* call, const char* dev, cvfs_error* error) {
    return guard(error, [&] {
        Call c = call_of<P>(context, call);
        if constexpr (requires(P& p) { p.check_config(c, dev); }) self<P>(context).check_config(c, dev);
    });
}

template <class P>
cvfs_status probe(void* context, cvfs_call* call, const char* dev, cvfs_device_info* info,
                  cvfs_error* error) {
    return guard(error, [&] {
        Call c = call_of<P>(context, call);
        DeviceInfo result = self<P>(context).probe(c, dev);
        info->present = result.present ? 1 : 0;
        info->size_bytes = result.size_bytes;
        copy_path_out(info->node, info->node_capacity, result.node);
        copy_path_out(info->header_path, info->header_path_capacity, result.header_path);
        copy_out(info->detail, info->detail_capacity, result.detail);
    });
}

template <class P>
cvfs_status attach(void* context, cvfs_call* call, const char* dev, uint32_t create, char* node,
                   size_t capacity, cvfs_error* error) {
    return guard(error, [&] {
        Call c = call_of<P>(context, call);
        copy_path_out(node, capacity, self<P>(context).attach(c, dev, create != 0));
    });
}

template <class P>
cvfs_status detach(void* context, cvfs_call* call, const char* dev, const char* node,
                   cvfs_error* error) {
    return guard(error, [&] {
        Call c = call_of<P>(context, call);
        self<P>(context).detach(c, dev, node);
    });
}

template <class P>
cvfs_status make(void* context, cvfs_call* call, const char* device, cvfs_error* error) {
    return guard(error, [&] {
        Call c = call_of<P>(context, call);
        self<P>(context).make(c, device);
    });
}

template <class P>
cvfs_status counter_create(void* context, cvfs_call* call, char* id, size_t capacity, uint64_t* value,
                           cvfs_error* error) {
    return guard(error, [&] {
        Call c = call_of<P>(context, call);
        NewCounter made = self<P>(context).create(c);
        if (made.id.size() >= capacity) throw Error(CVFS_E_BUFFER_TOO_SMALL, "the counter's id does not fit");
        copy_out(id, capacity, made.id);
        *value = made.value;
    });
}

template <class P>
cvfs_status counter_read(void* context, cvfs_call* call, const char* id, uint64_t* value, cvfs_error* error) {
    return guard(error, [&] {
        Call c = call_of<P>(context, call);
        *value = self<P>(context).read(c, id);
    });
}

template <class P>
cvfs_status counter_increment(void* context, cvfs_call* call, const char* id, uint64_t* value,
                              cvfs_error* error) {
    return guard(error, [&] {
        Call c = call_of<P>(context, call);
        *value = self<P>(context).increment(c, id);
    });
}

template <class P>
constexpr cvfs_plugin_descriptor descriptor(uint32_t kind, const char* name, const char* version,
                                            const char* vendor, const char* description,
                                            uint64_t capabilities, const void* ops) {
    return cvfs_plugin_descriptor{sizeof(cvfs_plugin_descriptor),
                                  CVFS_PLUGIN_MAGIC,
                                  CVFS_PLUGIN_ABI_MAJOR,
                                  CVFS_PLUGIN_ABI_MINOR,
                                  kind,
                                  name,
                                  version,
                                  vendor,
                                  description,
                                  capabilities,
                                  &init<P>,
                                  &shutdown<P>,
                                  ops};
}

// The host's major must match ours; a newer host minor is fine.
inline bool host_compatible(uint32_t host_abi_version) {
    return (host_abi_version >> 16) == CVFS_PLUGIN_ABI_MAJOR;
}

}  // namespace detail
}  // namespace cvfs::sdk

#define CVFS_SDK_ENTRY_(KIND, CLASS, OPS, NAME, VERSION, VENDOR, DESCRIPTION, CAPS)              \
    extern "C" CVFS_PLUGIN_EXPORT const cvfs_plugin_descriptor* cvfs_plugin_entry_v1(            \
        uint32_t host_abi_version) {                                                              \
        static const cvfs_plugin_descriptor descriptor = ::cvfs::sdk::detail::descriptor<CLASS>( \
            KIND, NAME, VERSION, VENDOR, DESCRIPTION, CAPS, &OPS);                                \
        return ::cvfs::sdk::detail::host_compatible(host_abi_version) ? &descriptor : nullptr;    \
    }

// Declares CLASS as a key provider plugin. CAPS are CVFS_CAP_* bits.
#define CVFS_KEY_PROVIDER_PLUGIN(CLASS, NAME, VERSION, VENDOR, DESCRIPTION, CAPS)                 \
    static const cvfs_key_provider_ops cvfs_sdk_key_provider_ops = {                              \
        sizeof(cvfs_key_provider_ops), &::cvfs::sdk::detail::check_config<CLASS>,                 \
        &::cvfs::sdk::detail::get_key<CLASS>};                                                    \
    CVFS_SDK_ENTRY_(CVFS_KIND_KEY_PROVIDER, CLASS, cvfs_sdk_key_provider_ops, NAME, VERSION,      \
                    VENDOR, DESCRIPTION, CAPS)

// Declares CLASS as a device backend plugin.
#define CVFS_DEVICE_BACKEND_PLUGIN(CLASS, NAME, VERSION, VENDOR, DESCRIPTION)                     \
    static const cvfs_device_backend_ops cvfs_sdk_device_backend_ops = {                          \
        sizeof(cvfs_device_backend_ops), &::cvfs::sdk::detail::device_check_config<CLASS>,        \
        &::cvfs::sdk::detail::probe<CLASS>, &::cvfs::sdk::detail::attach<CLASS>,                  \
        &::cvfs::sdk::detail::detach<CLASS>};                                                     \
    CVFS_SDK_ENTRY_(CVFS_KIND_DEVICE_BACKEND, CLASS, cvfs_sdk_device_backend_ops, NAME, VERSION,  \
                    VENDOR, DESCRIPTION, 0)

// Declares CLASS as a filesystem maker plugin; MOUNT_TYPE is the mount(2)
// type of what it makes, or NULL (swap).
#define CVFS_FS_MAKER_PLUGIN(CLASS, NAME, VERSION, VENDOR, DESCRIPTION, MOUNT_TYPE)               \
    static const cvfs_fs_maker_ops cvfs_sdk_fs_maker_ops = {                                      \
        sizeof(cvfs_fs_maker_ops), MOUNT_TYPE, &::cvfs::sdk::detail::check_config<CLASS>,         \
        &::cvfs::sdk::detail::make<CLASS>};                                                       \
    CVFS_SDK_ENTRY_(CVFS_KIND_FS_MAKER, CLASS, cvfs_sdk_fs_maker_ops, NAME, VERSION, VENDOR,      \
                    DESCRIPTION, 0)

// Declares CLASS as a rollback counter plugin (ABI 1.1).
#define CVFS_ROLLBACK_COUNTER_PLUGIN(CLASS, NAME, VERSION, VENDOR, DESCRIPTION)                   \
    static const cvfs_rollback_counter_ops cvfs_sdk_rollback_counter_ops = {                      \
        sizeof(cvfs_rollback_counter_ops), &::cvfs::sdk::detail::check_config<CLASS>,             \
        &::cvfs::sdk::detail::counter_create<CLASS>, &::cvfs::sdk::detail::counter_read<CLASS>,   \
        &::cvfs::sdk::detail::counter_increment<CLASS>};                                          \
    CVFS_SDK_ENTRY_(CVFS_KIND_ROLLBACK_COUNTER, CLASS, cvfs_sdk_rollback_counter_ops, NAME,       \
                    VERSION, VENDOR, DESCRIPTION, 0)
