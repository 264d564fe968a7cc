// The global file cvfs.toml and plugins.d registrations: defaults, overrides,
// exact errors, and broken files reported without stopping the rest.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "config/config_loader.h"

namespace fs = std::filesystem;

namespace {

std::string confdir(const std::string& name) {
    return std::string(CVFS_TEST_DATA) + "/config/confdirs/" + name;
}

// A temporary confdir holding one cvfs.toml with the given text.
class GlobalFile {
public:
    explicit GlobalFile(const std::string& text) {
        std::string pattern = (fs::temp_directory_path() / "cvfs-global-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        dir_ = pattern;
        std::ofstream(dir_ / "cvfs.toml") << text;
    }
    ~GlobalFile() {
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
    }
    GlobalFile(const GlobalFile&) = delete;
    GlobalFile& operator=(const GlobalFile&) = delete;

    std::string dir() const { return dir_.string(); }
    std::string file() const { return (dir_ / "cvfs.toml").string(); }

    // The error message after "<file>:".
    std::string error() const {
        try {
            cvfs::parse_global_config(dir());
        } catch (const cvfs::Error& error) {
            std::string message = error.what();
            REQUIRE(message.rfind(file() + ":", 0) == 0);
            return message.substr(file().size() + 1);
        }
        FAIL("cvfs.toml parsed without an error");
        return {};
    }

private:
    fs::path dir_;
};

}  // namespace

TEST_CASE("without cvfs.toml every global setting has its default", "[global]") {
    cvfs::GlobalConfig global = cvfs::parse_global_config(confdir("duplicate"));
    CHECK(global.confdir == confdir("duplicate"));
    CHECK(global.plugin_dirs == std::vector<std::string>{CVFS_DEFAULT_PLUGINDIR});
    CHECK(global.run_dir == "/run/cvfs");
    CHECK(global.default_timeout == std::chrono::seconds(60));
    CHECK(global.registered.empty());
}

TEST_CASE("cvfs.toml overrides every default and volumes inherit its timeout", "[global]") {
    cvfs::ConfigSet set = cvfs::load_config(confdir("global"));
    CHECK(set.problems.empty());
    CHECK(set.global.plugin_dirs ==
          std::vector<std::string>{"/opt/acme/cvfs-plugins", "/usr/lib64/cvfs/plugins"});
    CHECK(set.global.run_dir == "/run/cvfs-test");
    CHECK(set.global.default_timeout == std::chrono::seconds(90));
    REQUIRE(set.volumes.size() == 2);
    CHECK(set.find("inherit")->timeout == std::chrono::seconds(90));
    CHECK(set.find("own")->timeout == std::chrono::seconds(5));
}

TEST_CASE("a broken cvfs.toml throws from parse_global_config", "[global]") {
    try {
        cvfs::parse_global_config(confdir("global-broken"));
        FAIL("a broken cvfs.toml parsed");
    } catch (const cvfs::Error& error) {
        CHECK(error.kind() == cvfs::ErrorKind::Config);
        CHECK(std::string(error.what()) ==
              confdir("global-broken") +
                  "/cvfs.toml:2:2: unknown key 'plugin'; expected one of plugins, paths, defaults");
        CHECK(error.hint() == "did you mean 'plugins'?");
    }
}

TEST_CASE("a broken cvfs.toml is a problem for load_config; defaults apply", "[global]") {
    cvfs::ConfigSet set = cvfs::load_config(confdir("global-broken"));
    REQUIRE(set.problems.size() == 1);
    CHECK(set.problems[0].file == confdir("global-broken") + "/cvfs.toml");
    CHECK(set.global.default_timeout == std::chrono::seconds(60));
    CHECK(set.global.plugin_dirs == std::vector<std::string>{CVFS_DEFAULT_PLUGINDIR});
    REQUIRE(set.volumes.size() == 1);
    CHECK(set.volumes[0].timeout == std::chrono::seconds(60));
}

TEST_CASE("global settings are checked", "[global]") {
    CHECK(GlobalFile("[plugins]\ndirs = [\"/opt/a\", \"lib/cvfs\"]\n").error() ==
          "2:19: invalid element \"lib/cvfs\" of 'dirs' in [plugins]; expected an array of "
          "absolute directory paths");
    CHECK(GlobalFile("[plugins]\ndirs = \"/opt/a\"\n").error() ==
          "2:8: 'dirs' in [plugins] is a string; expected an array of absolute directory paths");
    CHECK(GlobalFile("[plugins]\ndirs = []\n").error() ==
          "2:8: 'dirs' in [plugins] is empty; expected at least one directory");
    CHECK(GlobalFile("[paths]\nrun_dir = \"run\"\n").error() ==
          "2:11: invalid value \"run\" for 'run_dir' in [paths]; expected an absolute directory "
          "path");
    CHECK(GlobalFile("[defaults]\ntimeout = \"5x\"\n").error() ==
          "2:11: invalid value \"5x\" for 'timeout' in [defaults]; expected a number of seconds "
          "or a string like \"30s\", \"2m\", \"1h\"");
    CHECK(GlobalFile("[defaults]\ntimeout = 30\nretries = 2\n").error() ==
          "3:1: unknown key 'retries' in [defaults]; expected one of timeout");
}

TEST_CASE("timeout strings accept s, m and h", "[global]") {
    CHECK(cvfs::parse_global_config(GlobalFile("[defaults]\ntimeout = \"2h\"\n").dir())
              .default_timeout == std::chrono::seconds(7200));
    CHECK(cvfs::parse_global_config(GlobalFile("[defaults]\ntimeout = \"45\"\n").dir())
              .default_timeout == std::chrono::seconds(45));
    CHECK(GlobalFile("[defaults]\ntimeout = \"25h\"\n").error() ==
          "2:11: invalid value \"25h\" for 'timeout' in [defaults]; expected 1 second to 24 "
          "hours");
}

TEST_CASE("plugins.d registers vendor plugins; bad files are problems", "[plugins.d]") {
    std::vector<cvfs::ConfigProblem> problems;
    cvfs::GlobalConfig global = cvfs::parse_global_config(confdir("plugins"), &problems);
    REQUIRE(global.registered.size() == 2);
    CHECK(global.registered[0].name == "acme-hsm");
    CHECK(global.registered[0].kind == "key-provider");
    CHECK(global.registered[0].path == "/opt/acme/lib/cvfs-acme-hsm.so");
    CHECK(global.registered[0].where.str() == confdir("plugins") + "/plugins.d/acme.toml:2:8");
    CHECK(global.registered[1].name == "acme-fs");
    CHECK(global.registered[1].kind == "fs-maker");

    REQUIRE(problems.size() == 2);
    std::string kind = confdir("plugins") + "/plugins.d/broken-kind.toml";
    CHECK(problems[0].file == kind);
    CHECK(problems[0].message ==
          kind +
              ":3:8: invalid value \"disk\" for 'kind'; expected one of key-provider, "
              "device-backend, fs-maker, rollback-counter");
    std::string dup = confdir("plugins") + "/plugins.d/dup.toml";
    CHECK(problems[1].file == dup);
    CHECK(problems[1].message == dup + ":2:8: plugin 'acme-hsm' is already registered by " +
                                     confdir("plugins") +
                                     "/plugins.d/acme.toml:2:8; expected one registration per "
                                     "plugin name");
}

TEST_CASE("load_config reports plugins.d problems beside the volumes", "[plugins.d]") {
    cvfs::ConfigSet set = cvfs::load_config(confdir("plugins"));
    CHECK(set.volumes.empty());
    CHECK(set.global.registered.size() == 2);
    CHECK(set.problems.size() == 2);
}

TEST_CASE("without a problems list a broken plugins.d file throws", "[plugins.d]") {
    CHECK_THROWS_AS(cvfs::parse_global_config(confdir("plugins")), cvfs::Error);
}

TEST_CASE("a registration needs name, kind and an absolute .so path", "[plugins.d]") {
    GlobalFile dir("");
    fs::create_directory(fs::path(dir.dir()) / "plugins.d");
    std::string file = dir.dir() + "/plugins.d/x.toml";
    auto error_for = [&](const std::string& text) -> std::string {
        std::ofstream(file) << text;
        try {
            cvfs::parse_plugin_registration(file);
        } catch (const cvfs::Error& error) {
            return std::string(error.what()).substr(file.size() + 1);
        }
        return "(no error)";
    };
    CHECK(error_for("kind = \"fs-maker\"\npath = \"/x.so\"\n") ==
          "1:1: missing key 'name'; expected the plugin's name, e.g. name = \"acme-hsm\"");
    CHECK(error_for("name = \"a\"\nkind = \"fs-maker\"\npath = \"x.so\"\n") ==
          "3:8: invalid value \"x.so\" for 'path'; expected an absolute path to the plugin's "
          ".so file");
    CHECK(error_for("name = \"a\"\nkind = \"fs-maker\"\npath = \"/x.so\"\nversion = 2\n") ==
          "4:1: unknown key 'version'; expected one of name, kind, path");
    CHECK(error_for("name = \"A B\"\nkind = \"fs-maker\"\npath = \"/x.so\"\n") ==
          "1:8: invalid value \"A B\" for 'name'; expected lowercase letters, digits, '_' or '-'");
}
