// The host side of the plugin ABI: the services table and one call's context.
//
// A plugin reaches the engine only through cvfs_host_services (plugin.h).
// Every operation the engine starts hands the plugin a cvfs_call, built here by
// PluginCall: the volume's name, the plugin's configuration table converted to
// cvfs_config_item[], the deadline, a cancel flag, and the volume's token
// values. The services read everything they need from that call.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "config/volume_config.h"
#include "cvfs/plugin.h"

namespace cvfs {

// Provider values kept in the volume's LUKS2 token (key -> printable text).
using TokenValues = std::map<std::string, std::string>;

// The services table given to every plugin's init; valid for the process.
const cvfs_host_services* host_services();

// One operation in progress. Not copyable; the cvfs_call it hands out is valid
// while this object lives. The volume and ref are copied, not referenced.
class PluginCall {
public:
    // `token` null: token_get/token_set answer CVFS_E_NOT_SUPPORTED (calls
    // other than a key provider's). `cancel` null: never cancelled.
    // `deadline` time_point::max(): no deadline.
    PluginCall(const VolumeConfig& volume, const PluginRef& ref,
               std::chrono::steady_clock::time_point deadline, TokenValues* token = nullptr,
               const std::atomic<bool>* cancel = nullptr);
    ~PluginCall();
    PluginCall(const PluginCall&) = delete;
    PluginCall& operator=(const PluginCall&) = delete;

    cvfs_call* get();
    const std::string& volume_name() const;
    // True once the plugin stored a value that differs from what was there.
    bool token_changed() const;

private:
    std::unique_ptr<cvfs_call> call_;
};

// Names the plugin that the current thread is running (for log lines that
// come without a call, e.g. from init). Set while the host calls into it.
class CurrentPluginScope {
public:
    explicit CurrentPluginScope(const std::string& plugin_name);
    ~CurrentPluginScope();
    CurrentPluginScope(const CurrentPluginScope&) = delete;
    CurrentPluginScope& operator=(const CurrentPluginScope&) = delete;

private:
    const std::string* previous_;
};

// The status in words ("permission denied"), for messages.
std::string status_text(cvfs_status status);

// A message a plugin wrote into a cvfs_error buffer: cut at the buffer's end,
// control bytes replaced, "(no message)" when empty.
std::string plugin_message(const char* buffer, size_t capacity);

// Validation rules of token values, shared with the LUKS token code.
bool valid_token_key(std::string_view key);
bool valid_token_value(std::string_view value);

}  // namespace cvfs
