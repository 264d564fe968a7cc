// dlopen, entry lookup, descriptor checks and init of one plugin.
#include "plugin/plugin_loader.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <boost/dll/shared_library.hpp>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <functional>
#include <vector>

#include "base/error.h"
#include "plugin/elf_symbol_version.h"
#include "plugin/plugin_host.h"

namespace cvfs {
namespace {

namespace dll = boost::dll;

// A version node no plugin defines: an entry found under it has no version.
constexpr const char* unversioned_probe_node = "CVFS_PLUGIN_NO_SUCH_NODE";

std::string subject(const PluginLocation& location) {
    return location.where + ": " + kind_label(location.kind) + " '" + location.name + "' (" +
           location.path + ")";
}

[[noreturn]] void refuse(const PluginLocation& location, const std::string& problem,
                         const std::string& hint = {}) {
    throw Error(ErrorKind::Plugin, subject(location) + ": " + problem, hint);
}

std::string host_abi() {
    return std::to_string(CVFS_PLUGIN_ABI_MAJOR) + "." + std::to_string(CVFS_PLUGIN_ABI_MINOR);
}

// Boost.DLL's message wraps dlerror(): keep only dlerror's text, naming the
// plugin's own path where dlerror names the descriptor's /proc path.
std::string dlerror_part(const std::string& what, const std::string& proc_path, const std::string& path) {
    const std::string marker = "(dlerror system message: ";
    auto start = what.find(marker);
    auto end = what.rfind(')');
    std::string text = what;
    if (start != std::string::npos && end != std::string::npos && end >= start) {
        start += marker.size();
        text = what.substr(start, end - start);
    }
    for (auto at = text.find(proc_path); at != std::string::npos; at = text.find(proc_path, at + path.size()))
        text.replace(at, proc_path.size(), path);
    return text;
}

std::function<void(const PluginLocation&)>& after_check_hook() {
    static std::function<void(const PluginLocation&)> hook;
    return hook;
}

// A loaded library and the descriptor it was loaded through.
struct LoadedLibrary {
    sdk::UniqueFd fd;
    std::unique_ptr<dll::shared_library> library;
};

// Loads the checked file through its descriptor (/proc/PID/fd/N), never by
// its path again. The name carries the pid, not "self": a debugger reads the
// loaded libraries by their names in its own process, where /proc/self/fd/N
// would be one of its own descriptors (a pipe or a terminal it then blocks on). Libraries stay loaded for the life of the process
// (RTLD_NODELETE as well): plugins hand out pointers to static data that must
// never dangle. Their descriptors stay open too: the dynamic loader knows a
// library by the name it was opened with, and a reused /proc/PID/fd/N would
// be taken for the library already loaded under that name.
void* open_library(const PluginLocation& location, sdk::UniqueFd fd) {
    static auto* libraries = new std::vector<LoadedLibrary>;
    static std::mutex mutex;
    const auto mode = dll::load_mode::rtld_now | dll::load_mode::rtld_local |
                      static_cast<dll::load_mode::type>(RTLD_NODELETE);
    const std::string proc_path = plugin_proc_path(fd.get());
    std::unique_ptr<dll::shared_library> library;
    try {
        library = std::make_unique<dll::shared_library>(proc_path, mode);
    } catch (const std::exception& e) {
        refuse(location, "cannot load it: " + dlerror_part(e.what(), proc_path, location.path),
               "check its dependencies with ldd " + location.path);
    }
    void* handle = library->native();
    std::lock_guard lock(mutex);
    libraries->push_back({std::move(fd), std::move(library)});
    return handle;
}

[[noreturn]] void refuse_unversioned(const PluginLocation& location) {
    refuse(location,
           "its entry function " CVFS_PLUGIN_ENTRY_SYMBOL
           " is exported without the version node " CVFS_PLUGIN_VERSION_NODE,
           "link it with the SDK's version script cvfs-plugin.map (cvfs_add_plugin() does)");
}

// The entry is there, but not under CVFS_PLUGIN_1: say what it is bound to.
[[noreturn]] void refuse_entry_version(const PluginLocation& location, int fd) {
    auto node = elf_symbol_version(fd, CVFS_PLUGIN_ENTRY_SYMBOL);
    if (node && node->empty()) refuse_unversioned(location);
    refuse(location,
           "its entry function " CVFS_PLUGIN_ENTRY_SYMBOL " is bound to " +
               (node ? "version node " + *node : std::string("another version node")) +
               ", not " CVFS_PLUGIN_VERSION_NODE " (built for another plugin ABI; this cvfs supports " +
               std::to_string(CVFS_PLUGIN_ABI_MAJOR) + ".x)",
           "install a version of the plugin built for this cvfs");
}

cvfs_plugin_entry_fn find_entry(const PluginLocation& location, void* handle, int fd) {
    void* entry = ::dlvsym(handle, CVFS_PLUGIN_ENTRY_SYMBOL, CVFS_PLUGIN_VERSION_NODE);
    if (!entry) {
        if (::dlsym(handle, CVFS_PLUGIN_ENTRY_SYMBOL)) refuse_entry_version(location, fd);
        refuse(location,
               "it has no entry function " CVFS_PLUGIN_ENTRY_SYMBOL "@" CVFS_PLUGIN_VERSION_NODE
               ": it is not a cvfs plugin, or was built without the cvfs SDK",
               "build it with cvfs_add_plugin() from the cvfs SDK");
    }
    // glibc matches an export without any version information to every node
    // asked for; one that is there under a node nobody defines has none.
    if (::dlvsym(handle, CVFS_PLUGIN_ENTRY_SYMBOL, unversioned_probe_node) == entry)
        refuse_unversioned(location);
    cvfs_plugin_entry_fn function;
    std::memcpy(&function, &entry, sizeof function);
    return function;
}

// The descriptor's header fields, checked before anything else is read.
void check_descriptor_header(const PluginLocation& location, const cvfs_plugin_descriptor* d) {
    if (!d)
        refuse(location, "its entry function returned no descriptor: the plugin refuses this cvfs "
                         "(plugin ABI " + host_abi() + ")");
    uint32_t header[2];
    std::memcpy(header, d, sizeof header);
    if (header[1] != CVFS_PLUGIN_MAGIC) {
        char text[96];
        std::snprintf(text, sizeof text, "its descriptor has magic 0x%08x, expected 0x%08x",
                      header[1], CVFS_PLUGIN_MAGIC);
        refuse(location, text);
    }
    if (header[0] < sizeof(cvfs_plugin_descriptor))
        refuse(location, "its descriptor is " + std::to_string(header[0]) +
                             " bytes, smaller than the " +
                             std::to_string(sizeof(cvfs_plugin_descriptor)) +
                             " bytes of plugin ABI 1.0");
    if (d->abi_major != CVFS_PLUGIN_ABI_MAJOR)
        refuse(location,
               "built for plugin ABI " + std::to_string(d->abi_major) + "." +
                   std::to_string(d->abi_minor) + ", this cvfs supports " +
                   std::to_string(CVFS_PLUGIN_ABI_MAJOR) + ".x (" + host_abi() + ")",
               "install a version of the plugin built for this cvfs");
}

std::string kind_name(uint32_t kind) {
    if (kind >= CVFS_KIND_KEY_PROVIDER && kind <= CVFS_KIND_ROLLBACK_COUNTER)
        return kind_label(static_cast<PluginKind>(kind));
    return "plugin of unknown kind " + std::to_string(kind);
}

void check_identity(const PluginLocation& location, const cvfs_plugin_descriptor& d) {
    if (d.kind != static_cast<uint32_t>(location.kind))
        refuse(location, "it is a " + kind_name(d.kind) + ", not a " + kind_label(location.kind));
    if (!d.name || location.name != d.name)
        refuse(location, std::string("it calls itself '") + (d.name ? d.name : "") +
                             "', but was found as '" + location.name + "'",
               "rename the file to match the plugin's name");
}

// The smallest ops table that holds every mandatory operation of the kind
// (as ABI 1.0 has it; the rollback counter kind came with 1.1).
size_t minimum_ops_size(PluginKind kind) {
    switch (kind) {
    case PluginKind::KeyProvider: return offsetof(cvfs_key_provider_ops, get_key) + sizeof(void*);
    case PluginKind::DeviceBackend: return offsetof(cvfs_device_backend_ops, attach) + sizeof(void*);
    case PluginKind::FsMaker: return offsetof(cvfs_fs_maker_ops, make) + sizeof(void*);
    case PluginKind::RollbackCounter: return offsetof(cvfs_rollback_counter_ops, increment) + sizeof(void*);
    }
    return 0;
}

const char* ops_abi(PluginKind kind) { return kind == PluginKind::RollbackCounter ? "1.1" : "1.0"; }

void check_ops_table(const PluginLocation& location, const void* ops) {
    if (!ops) refuse(location, "it has no operations table");
    uint32_t size;
    std::memcpy(&size, ops, sizeof size);
    if (size < minimum_ops_size(location.kind))
        refuse(location, "its operations table is " + std::to_string(size) +
                             " bytes, smaller than the " +
                             std::to_string(minimum_ops_size(location.kind)) +
                             " bytes of plugin ABI " + ops_abi(location.kind));
}

void require_op(const PluginLocation& location, const void* op, const char* name) {
    if (!op) refuse(location, std::string("its mandatory operation ") + name + " is missing (NULL)");
}

template <class Ops>
Ops copy_ops(const void* ops) {
    Ops copy{};
    uint32_t size;
    std::memcpy(&size, ops, sizeof size);
    std::memcpy(&copy, ops, std::min<size_t>(size, sizeof copy));
    return copy;
}

}  // namespace

std::string plugin_proc_path(int fd) {
    return "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(fd);
}

void set_plugin_after_check_hook_for_tests(std::function<void(const PluginLocation&)> hook) {
    after_check_hook() = std::move(hook);
}

LoadedPlugin::LoadedPlugin(PluginInfo info, const cvfs_plugin_descriptor& descriptor,
                           const void* ops)
    : info_(std::move(info)), descriptor_(descriptor) {
    switch (kind()) {
    case PluginKind::KeyProvider: key_ops_ = copy_ops<cvfs_key_provider_ops>(ops); break;
    case PluginKind::DeviceBackend: device_ops_ = copy_ops<cvfs_device_backend_ops>(ops); break;
    case PluginKind::FsMaker: fs_ops_ = copy_ops<cvfs_fs_maker_ops>(ops); break;
    case PluginKind::RollbackCounter: counter_ops_ = copy_ops<cvfs_rollback_counter_ops>(ops); break;
    }
}

LoadedPlugin::~LoadedPlugin() {
    if (!initialised_ || !descriptor_.shutdown) return;
    CurrentPluginScope scope(info_.name);
    descriptor_.shutdown(context_);
}

void LoadedPlugin::init(const std::string& where) {
    if (!descriptor_.init) {
        initialised_ = true;
        return;
    }
    char message[1024] = {};
    cvfs_error error{message, sizeof message};
    CurrentPluginScope scope(info_.name);
    cvfs_status status = descriptor_.init(host_services(), &context_, &error);
    if (status != CVFS_OK)
        throw Error(ErrorKind::Plugin,
                    where + ": " + kind_label(kind()) + " '" + info_.name + "' (" + info_.path +
                        "): its init failed: " + status_text(status) + ": " +
                        plugin_message(message, sizeof message));
    initialised_ = true;
}

std::unique_ptr<LoadedPlugin> load_plugin(const PluginLocation& location) {
    sdk::UniqueFd fd = open_checked_plugin(location);
    if (after_check_hook()) after_check_hook()(location);
    const int checked = fd.get();  // stays open with the library
    void* handle = open_library(location, std::move(fd));
    cvfs_plugin_entry_fn entry = find_entry(location, handle, checked);
    const cvfs_plugin_descriptor* raw;
    {
        CurrentPluginScope scope(location.name);
        raw = entry(CVFS_PLUGIN_ABI_VERSION);
    }
    check_descriptor_header(location, raw);
    cvfs_plugin_descriptor descriptor{};
    std::memcpy(&descriptor, raw, sizeof descriptor);  // header check: at least this size
    check_identity(location, descriptor);
    check_ops_table(location, descriptor.ops);

    auto plugin = std::make_unique<LoadedPlugin>(
        PluginInfo{location.name, location.path, descriptor.version ? descriptor.version : "",
                   descriptor.vendor ? descriptor.vendor : "",
                   descriptor.description ? descriptor.description : "", descriptor.kind,
                   descriptor.abi_major, descriptor.abi_minor, descriptor.capabilities},
        descriptor, descriptor.ops);
    switch (location.kind) {
    case PluginKind::KeyProvider:
        require_op(location, reinterpret_cast<void*>(plugin->key_ops().get_key), "get_key");
        break;
    case PluginKind::DeviceBackend:
        require_op(location, reinterpret_cast<void*>(plugin->device_ops().probe), "probe");
        require_op(location, reinterpret_cast<void*>(plugin->device_ops().attach), "attach");
        break;
    case PluginKind::FsMaker:
        require_op(location, reinterpret_cast<void*>(plugin->fs_ops().make), "make");
        break;
    case PluginKind::RollbackCounter:
        require_op(location, reinterpret_cast<void*>(plugin->counter_ops().create), "create");
        require_op(location, reinterpret_cast<void*>(plugin->counter_ops().read), "read");
        require_op(location, reinterpret_cast<void*>(plugin->counter_ops().increment), "increment");
        break;
    }
    plugin->init(location.where);
    return plugin;
}

}  // namespace cvfs
