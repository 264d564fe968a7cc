// Finding, loading once and handing out plugins (see plugin_registry.h).
#include "plugin/plugin_registry.h"

#include <filesystem>

#include "base/error.h"

namespace cvfs {
namespace {

// One file may be reached through several paths (symlinks, "dir/../dir").
std::string canonical_path(const std::string& path) {
    std::error_code ec;
    auto canonical = std::filesystem::weakly_canonical(path, ec);
    return ec ? path : canonical.string();
}

std::string where_of(const PluginRef& ref) {
    return ref.where.file.empty() ? std::string("(configuration)") : ref.where.str();
}

}  // namespace

PluginRegistry::PluginRegistry(const GlobalConfig& global) : global_(global) {}

PluginRegistry::~PluginRegistry() {
    while (!plugins_.empty()) plugins_.pop_back();
}

KeyProvider PluginRegistry::key_provider(const PluginRef& ref) {
    return KeyProvider(load(PluginKind::KeyProvider, ref));
}

DeviceBackend PluginRegistry::device_backend(const PluginRef& ref) {
    return DeviceBackend(load(PluginKind::DeviceBackend, ref));
}

FsMaker PluginRegistry::fs_maker(const PluginRef& ref) {
    return FsMaker(load(PluginKind::FsMaker, ref));
}

RollbackCounter PluginRegistry::rollback_counter(const PluginRef& ref) {
    return RollbackCounter(load(PluginKind::RollbackCounter, ref));
}

const LoadedPlugin& PluginRegistry::load(PluginKind kind, const PluginRef& ref) {
    return load_location(locate_plugin(global_, kind, ref.name, where_of(ref)));
}

const LoadedPlugin& PluginRegistry::load_location(const PluginLocation& location) {
    const std::string path = canonical_path(location.path);
    std::lock_guard lock(mutex_);
    for (const auto& plugin : plugins_)
        if (plugin->kind() == location.kind && canonical_path(plugin->info().path) == path)
            return *plugin;
    plugins_.push_back(load_plugin(location));
    return *plugins_.back();
}

std::vector<PluginRegistry::Listing> PluginRegistry::discover() {
    std::vector<Listing> listings;
    for (const auto& location : list_plugin_files(global_)) {
        try {
            listings.push_back({load_location(location).info(), {}});
        } catch (const Error& e) {
            PluginInfo info;
            info.name = location.name;
            info.path = location.path;
            info.kind = static_cast<uint32_t>(location.kind);
            listings.push_back({std::move(info), e.what()});
        }
    }
    return listings;
}

}  // namespace cvfs
