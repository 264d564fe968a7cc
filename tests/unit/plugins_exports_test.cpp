// Every plugin built in this tree exports exactly one dynamic symbol: the
// entry function under its version node (as cryptsetup checks its own
// exports). Read with readelf, without loading the plugin.
#include <catch2/catch.hpp>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace {

// The symbols a shared object exports: defined, not local, without the
// absolute symbols the linker adds for each version node it defines.
std::vector<std::string> exported_symbols(const std::string& path) {
    std::string command = "readelf --dyn-syms -W '" + path + "' 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::vector<std::string> symbols;
    char line[1024];
    while (std::fgets(line, sizeof line, pipe)) {
        std::istringstream fields(line);
        std::string num, value, size, type, bind, vis, ndx, name;
        if (!(fields >> num >> value >> size >> type >> bind >> vis >> ndx >> name)) continue;
        if (!std::isdigit(static_cast<unsigned char>(num[0])) || num.back() != ':') continue;  // headers
        if (ndx == "UND" || bind == "LOCAL") continue;
        if (ndx == "ABS" && name.find('@') == std::string::npos) continue;  // a version node
        symbols.push_back(name);
    }
    REQUIRE(::pclose(pipe) == 0);
    return symbols;
}

std::vector<std::string> plugin_files(const std::string& dir) {
    std::vector<std::string> files;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
        if (entry.path().extension() == ".so") files.push_back(entry.path().string());
    return files;
}

const std::vector<std::string> only_the_entry = {"cvfs_plugin_entry_v1@@CVFS_PLUGIN_1"};

}  // namespace

TEST_CASE("every in-tree plugin exports only cvfs_plugin_entry_v1@@CVFS_PLUGIN_1") {
    auto files = plugin_files(CVFS_BUILD_PLUGINDIR);
    INFO("plugin folder " << CVFS_BUILD_PLUGINDIR);
    REQUIRE_FALSE(files.empty());
    for (const auto& file : files) {
        INFO("plugin " << file);
        CHECK(exported_symbols(file) == only_the_entry);
    }
}

TEST_CASE("the export check tells a good plugin from a badly linked one") {
    const std::string dir = CVFS_FIXTURE_PLUGINDIR;
    CHECK(exported_symbols(dir + "/key-fixture-good.so") == only_the_entry);
    CHECK(exported_symbols(dir + "/key-fixture-unversioned.so") ==
          std::vector<std::string>{"cvfs_plugin_entry_v1"});
    CHECK(exported_symbols(dir + "/key-fixture-node2.so") ==
          std::vector<std::string>{"cvfs_plugin_entry_v1@@CVFS_PLUGIN_2"});
}
