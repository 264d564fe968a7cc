// Fuzzes the global file (<confdir>/cvfs.toml) through the real loader, with
// a plugins.d folder beside it holding one registration. The first half of
// the input (up to a line "#--plugins.d--") is cvfs.toml, the rest the
// plugins.d file, so both parsers see mutated text in one run.
#include <cstdint>
#include <string>
#include <string_view>
#include <sys/stat.h>

#include "base/error.h"
#include "config/config_loader.h"
#include "fuzz_support.h"

namespace {
constexpr std::string_view kSplit = "#--plugins.d--\n";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::string confdir = [] {
        std::string dir = cvfs::fuzz::scratch_dir() + "/conf";
        ::mkdir(dir.c_str(), 0755);
        ::mkdir((dir + "/plugins.d").c_str(), 0755);
        return dir;
    }();
    std::string_view text(reinterpret_cast<const char*>(data), size);
    size_t split = text.find(kSplit);
    std::string_view global = text.substr(0, split);
    std::string_view plugin = split == std::string_view::npos ? "" : text.substr(split + kSplit.size());
    cvfs::fuzz::write_file(confdir + "/cvfs.toml", reinterpret_cast<const uint8_t*>(global.data()),
                           global.size());
    cvfs::fuzz::write_file(confdir + "/plugins.d/vendor.toml", reinterpret_cast<const uint8_t*>(plugin.data()),
                           plugin.size());
    std::vector<cvfs::ConfigProblem> problems;
    try {
        cvfs::GlobalConfig config = cvfs::parse_global_config(confdir, &problems);
        (void)config;
    } catch (const cvfs::Error&) {
    }
    try {
        cvfs::PluginRegistration registration = cvfs::parse_plugin_registration(confdir + "/plugins.d/vendor.toml");
        (void)registration;
    } catch (const cvfs::Error&) {
    }
    return 0;
}
