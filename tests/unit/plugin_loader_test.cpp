// The plugin loader: finding files, the permission rules, and every refusal
// of a plugin that breaks the ABI, each with a message that says which.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>

#include "base/error.h"
#include "cvfs/unique_fd.hpp"
#include "plugin/elf_symbol_version.h"
#include "plugin/plugin_loader.h"
#include "plugin/plugin_registry.h"
#include "plugin_test_support.h"

using namespace cvfs;
using namespace cvfs::test;
using Catch::Matchers::Contains;

namespace {

// The message of loading key provider `name` from the fixture folder; the
// load must fail with `kind` (Plugin: a plugin file that is wrong; Config: a
// name no plugin answers to, the configuration's mistake).
std::string key_provider_error(const std::string& name, ErrorKind kind = ErrorKind::Plugin) {
    PluginRegistry registry(fixture_global());
    try {
        registry.key_provider(plugin_ref(name));
    } catch (const Error& e) {
        CHECK(e.kind() == kind);
        return e.what();
    }
    FAIL("key provider " << name << " loaded, but should have been refused");
    return {};
}

// Every refusal names the configuration place, the plugin and its file.
void check_names_everything(const std::string& message, const std::string& name) {
    CHECK_THAT(message, Contains("/etc/cvfs/volumes/data0.toml:3:1: "));
    CHECK_THAT(message, Contains("key provider '" + name + "'"));
    CHECK_THAT(message, Contains(fixture_path("key-" + name + ".so")));
}

struct TempDir {
    std::string path;
    TempDir() {
        std::string pattern = std::filesystem::temp_directory_path().string() + "/cvfs-plugins-XXXXXX";
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    // A copy of a fixture plugin in this folder, mode 0755.
    std::string copy(const std::string& file) {
        std::string target = path + "/" + file;
        std::filesystem::copy_file(fixture_path(file), target);
        ::chmod(target.c_str(), 0755);
        return target;
    }
    GlobalConfig global() const {
        GlobalConfig g;
        g.plugin_dirs = {path};
        return g;
    }
};

}  // namespace

TEST_CASE("a good key provider loads and describes itself") {
    PluginRegistry registry(fixture_global());
    KeyProvider provider = registry.key_provider(plugin_ref("fixture-good"));
    const PluginInfo& info = provider.info();
    CHECK(info.name == "fixture-good");
    CHECK(info.path == fixture_path("key-fixture-good.so"));
    CHECK(info.version == "1.2.3");
    CHECK(info.vendor == "cvfs tests");
    CHECK(info.kind == CVFS_KIND_KEY_PROVIDER);
    CHECK(info.abi_major == 1);
    CHECK(info.abi_minor == CVFS_PLUGIN_ABI_MINOR);  // the fixtures are built with the current headers
    CHECK(provider.ephemeral());
    CHECK_FALSE(provider.human_secret());
}

TEST_CASE("asking for the same plugin twice gives the same instance") {
    PluginRegistry registry(fixture_global());
    KeyProvider first = registry.key_provider(plugin_ref("fixture-good"));
    KeyProvider second = registry.key_provider(plugin_ref("fixture-good"));
    CHECK(&first.info() == &second.info());
}

TEST_CASE("a plugin registered in plugins.d is found by name and kind") {
    GlobalConfig global;
    global.registered.push_back(
        {"fixture-good", "key-provider", fixture_path("key-fixture-good.so"), {"/etc/cvfs/plugins.d/f.toml", 1, 1}});
    PluginRegistry registry(global);
    CHECK(registry.key_provider(plugin_ref("fixture-good")).info().path ==
          fixture_path("key-fixture-good.so"));
    CHECK_THROWS_WITH(registry.fs_maker(plugin_ref("fixture-good", "fs")),
                      Contains("no fs maker plugin 'fixture-good'"));
}

TEST_CASE("a plugin that is not there is named with the places searched") {
    std::string message = key_provider_error("no-such-plugin", ErrorKind::Config);
    CHECK_THAT(message, Contains("/etc/cvfs/volumes/data0.toml:3:1: no key provider plugin 'no-such-plugin'"));
    CHECK_THAT(message, Contains("key-no-such-plugin.so is in none of " + fixture_dir));
}

TEST_CASE("a plugin name is checked before it becomes part of a path") {
    CHECK_THAT(key_provider_error("../../tmp/evil"), Contains("invalid key provider name '../../tmp/evil'"));
    CHECK_THAT(key_provider_error("Upper"), Contains("invalid key provider name"));
    CHECK_THAT(key_provider_error(std::string(65, 'a')), Contains("at most 64 characters"));
    CHECK(valid_plugin_name(std::string(64, 'a')));
    CHECK(valid_plugin_name("aliyun-kms_2"));
    CHECK_FALSE(valid_plugin_name(""));
}

TEST_CASE("an unresolved symbol fails at load time with dlerror's text") {
    PluginRegistry registry(fixture_global());
    try {
        registry.key_provider(plugin_ref("fixture-unresolved"));
        FAIL("loaded a plugin with an unresolved symbol");
    } catch (const Error& e) {
        std::string message = e.what();
        check_names_everything(message, "fixture-unresolved");
        CHECK_THAT(message, Contains("cannot load it: "));
        CHECK_THAT(message, Contains("undefined symbol: cvfs_fixture_function_nobody_defines"));
        CHECK_THAT(e.hint(), Contains("check its dependencies with ldd"));
    }
}

TEST_CASE("each broken plugin is refused with its own message") {
    struct Case {
        const char* name;
        std::string fragment;
    };
    const Case cases[] = {
        {"fixture-noentry", "no entry function cvfs_plugin_entry_v1@CVFS_PLUGIN_1"},
        {"fixture-unversioned", "is exported without the version node CVFS_PLUGIN_1"},
        {"fixture-node2", "is bound to version node CVFS_PLUGIN_2, not CVFS_PLUGIN_1"},
        {"fixture-refuses", "its entry function returned no descriptor: the plugin refuses this cvfs (plugin ABI 1." +
                                std::to_string(CVFS_PLUGIN_ABI_MINOR) + ")"},
        {"fixture-badmagic", "its descriptor has magic 0x12345678, expected 0x53465643"},
        {"fixture-major2", "built for plugin ABI 2." + std::to_string(CVFS_PLUGIN_ABI_MINOR) + ", this cvfs supports 1.x"},
        {"fixture-small", "its descriptor is 16 bytes, smaller than the"},
        {"fixture-wrongkind", "it is a fs maker, not a key provider"},
        {"fixture-misnamed", "it calls itself 'fixture-other', but was found as 'fixture-misnamed'"},
        {"fixture-noops", "it has no operations table"},
        {"fixture-smallops", "its operations table is 4 bytes, smaller than the 24 bytes"},
        {"fixture-nogetkey", "its mandatory operation get_key is missing"},
        {"fixture-initfail", "its init failed: unavailable: no fixture hardware in this machine"},
    };
    for (const auto& c : cases) {
        INFO("fixture " << c.name);
        std::string message = key_provider_error(c.name);
        check_names_everything(message, c.name);
        CHECK_THAT(message, Contains(c.fragment));
    }
}

TEST_CASE("a plugin built for a newer minor ABI loads and works") {
    PluginRegistry registry(fixture_global());
    KeyProvider provider = registry.key_provider(plugin_ref("fixture-minor7"));
    CHECK(provider.info().abi_major == 1);
    CHECK(provider.info().abi_minor == 7);
    PluginCall call(volume_named("data0"), plugin_ref("fixture-minor7"), in_seconds(5));
    SecureBuffer key = provider.get_key(call, CVFS_KEY_PURPOSE_UNLOCK);
    REQUIRE(key.size() == 32);
    CHECK(key.data()[0] == 0x5a);
    CHECK(key.data()[31] == 0x5a);
}

TEST_CASE("the C fixture without a defect loads: the broken ones differ only by theirs") {
    PluginRegistry registry(fixture_global());
    CHECK(registry.key_provider(plugin_ref("fixture-plain")).info().name == "fixture-plain");
}

TEST_CASE("a plugin folder writable by others is refused") {
    TempDir dir;
    dir.copy("key-fixture-good.so");
    ::chmod(dir.path.c_str(), 0775);
    PluginRegistry registry(dir.global());
    CHECK_THROWS_WITH(registry.key_provider(plugin_ref("fixture-good")),
                      Contains("the plugin folder " + dir.path + " is writable by group or others"));
    ::chmod(dir.path.c_str(), 0755);
    CHECK(registry.key_provider(plugin_ref("fixture-good")).info().name == "fixture-good");
}

TEST_CASE("a plugin file writable by others is refused") {
    TempDir dir;
    std::string file = dir.copy("key-fixture-good.so");
    ::chmod(dir.path.c_str(), 0755);
    ::chmod(file.c_str(), 0757);
    PluginRegistry registry(dir.global());
    try {
        registry.key_provider(plugin_ref("fixture-good"));
        FAIL("loaded a world-writable plugin");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::Plugin);
        CHECK_THAT(e.what(), Contains("the plugin file " + file + " is writable by group or others"));
        CHECK_THAT(e.hint(), Contains("chmod go-w"));
    }
}

TEST_CASE("a plugin file owned by another user is refused (needs root to chown)") {
    REQUIRE(::geteuid() == 0);
    TempDir dir;
    std::string file = dir.copy("key-fixture-good.so");
    ::chmod(dir.path.c_str(), 0755);
    REQUIRE(::chown(file.c_str(), 4242, 4242) == 0);
    PluginRegistry registry(dir.global());
    CHECK_THROWS_WITH(registry.key_provider(plugin_ref("fixture-good")),
                      Contains("the plugin file " + file + " is owned by uid 4242, not by root"));
}

TEST_CASE("a symlink in the plugin folder to a file in a writable folder is refused") {
    TempDir plugins, writable;
    ::chmod(plugins.path.c_str(), 0755);
    std::string target = writable.copy("key-fixture-good.so");
    ::chmod(writable.path.c_str(), 0777);
    std::filesystem::create_symlink(target, plugins.path + "/key-fixture-good.so");
    PluginRegistry registry(plugins.global());
    try {
        registry.key_provider(plugin_ref("fixture-good"));
        FAIL("loaded a plugin whose real folder anyone can write");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::Plugin);
        CHECK_THAT(e.what(), Contains("the plugin folder " + writable.path +
                                      " is writable by group or others (mode 0777): run `chmod go-w " +
                                      writable.path + "`"));
        CHECK(e.hint() == "run `chmod go-w " + writable.path + "`");
    }
}

TEST_CASE("a symlink to a plugin in a folder writable by others below the plugin folder is refused") {
    TempDir dir;
    ::chmod(dir.path.c_str(), 0755);
    std::filesystem::create_directory(dir.path + "/real");
    std::string target = dir.path + "/real/key-fixture-good.so";
    std::filesystem::copy_file(fixture_path("key-fixture-good.so"), target);
    std::filesystem::create_symlink(target, dir.path + "/key-fixture-good.so");
    ::chmod((dir.path + "/real").c_str(), 0775);
    PluginRegistry refused(dir.global());
    CHECK_THROWS_WITH(refused.key_provider(plugin_ref("fixture-good")),
                      Contains("the plugin folder " + dir.path + "/real is writable by group or others"));
    ::chmod((dir.path + "/real").c_str(), 0755);
    PluginRegistry accepted(dir.global());
    CHECK(accepted.key_provider(plugin_ref("fixture-good")).info().name == "fixture-good");
}

TEST_CASE("a plugin file swapped after its check is not what gets loaded") {
    TempDir dir;
    ::chmod(dir.path.c_str(), 0755);
    std::string checked = dir.copy("key-fixture-good.so");
    std::string other = dir.copy("key-fixture-minor7.so");
    bool swapped = false;
    set_plugin_after_check_hook_for_tests([&](const PluginLocation& location) {
        CHECK(location.path == checked);
        std::filesystem::rename(other, checked);  // what an attacker would do between check and load
        swapped = true;
    });
    PluginRegistry registry(dir.global());
    std::string loaded_name, loaded_version, error;
    try {
        KeyProvider provider = registry.key_provider(plugin_ref("fixture-good"));
        loaded_name = provider.info().name;
        loaded_version = provider.info().version;
    } catch (const Error& e) {
        error = e.what();
    }
    set_plugin_after_check_hook_for_tests({});
    REQUIRE(swapped);
    INFO(error);
    // By path, the loader would now load fixture-minor7 and refuse its name.
    CHECK(loaded_name == "fixture-good");
    CHECK(loaded_version == "1.2.3");
}

TEST_CASE("the loader loads through /proc/PID/fd and reads the version node from the same descriptor") {
    CHECK(plugin_proc_path(7) == "/proc/" + std::to_string(::getpid()) + "/fd/7");
    TempDir dir;
    std::string copy = dir.copy("key-fixture-node2.so");
    cvfs::sdk::UniqueFd fd(::open(copy.c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE(fd.valid());
    std::filesystem::remove(copy);  // only the descriptor knows the file now
    CHECK(elf_symbol_version(fd.get(), "cvfs_plugin_entry_v1") == "CVFS_PLUGIN_2");
}

TEST_CASE("discover lists every plugin file, loaded or with its error") {
    PluginRegistry registry(fixture_global());
    auto listings = registry.discover();
    size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(fixture_dir))
        files += entry.path().extension() == ".so";
    CHECK(listings.size() == files);
    bool saw_good = false, saw_dev = false, saw_major2 = false;
    for (const auto& listing : listings) {
        if (listing.info.name == "fixture-good") {
            saw_good = true;
            CHECK(listing.error.empty());
            CHECK(listing.info.version == "1.2.3");
        }
        if (listing.info.name == "fixture-dev") {
            saw_dev = true;
            CHECK(listing.error.empty());
            CHECK(listing.info.kind == CVFS_KIND_DEVICE_BACKEND);
        }
        if (listing.info.name == "fixture-major2") {
            saw_major2 = true;
            CHECK_THAT(listing.error, Contains("built for plugin ABI 2." + std::to_string(CVFS_PLUGIN_ABI_MINOR)));
        }
    }
    CHECK(saw_good);
    CHECK(saw_dev);
    CHECK(saw_major2);
    // What discover loaded is the instance later asked for by name.
    auto& good = *std::find_if(listings.begin(), listings.end(),
                               [](const auto& l) { return l.info.name == "fixture-good"; });
    CHECK(registry.key_provider(plugin_ref("fixture-good")).info().version == good.info.version);
}

TEST_CASE("the entry's version node is read from the file") {
    CHECK(elf_symbol_version(fixture_path("key-fixture-good.so"), "cvfs_plugin_entry_v1") ==
          "CVFS_PLUGIN_1");
    CHECK(elf_symbol_version(fixture_path("key-fixture-node2.so"), "cvfs_plugin_entry_v1") ==
          "CVFS_PLUGIN_2");
    CHECK(elf_symbol_version(fixture_path("key-fixture-unversioned.so"), "cvfs_plugin_entry_v1") ==
          "");
    CHECK_FALSE(elf_symbol_version(fixture_path("key-fixture-noentry.so"), "cvfs_plugin_entry_v1"));
    CHECK_FALSE(elf_symbol_version(std::string(CVFS_SOURCE_DIR) + "/CMakeLists.txt", "x"));
    CHECK_FALSE(elf_symbol_version("/nonexistent/key-x.so", "cvfs_plugin_entry_v1"));
}
