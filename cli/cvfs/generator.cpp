// The systemd generator: one unit per auto_open volume.
//
// systemd runs generators early at boot (and at every daemon-reload), before
// any unit starts; cvfs is installed as one under the name cvfs-generator.
// For each volume with `auto_open = true` it writes cvfs-open@<volume>.service,
// a oneshot unit whose start is `cvfs open <volume>` and whose stop (after
// the filesystems above it are unmounted, at shutdown) is `cvfs close`.
// Units of different volumes are independent, so systemd opens them in
// parallel and one failed volume delays nothing else. Ordering:
//   - a key provider with CVFS_CAP_NEEDS_NETWORK: after network-online.target,
//     before remote-fs.target (which pulls it in);
//   - any other: before local-fs.target (which pulls it in);
//   - after the mounts holding the block file and the mount point's parent;
//   - TimeoutStartSec: the volume's own timeout plus a margin for mkfs and mount.
// Mount units and services that need a volume order themselves after its
// unit (docs/boot.md). A kernel command line with cvfs.auto=0 makes no units.
#include <unistd.h>

#include <cvfs/hex.hpp>
#include <cvfs/key_provider.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "boot.h"
#include "command_table.h"
#include "exit_codes.h"
#include "output.h"
#include "plugin/plugin_registry.h"

namespace cvfs::cli {

namespace fs = std::filesystem;

namespace {

// Time a unit gets beyond the volume's own timeout: mkfs of a new volume and
// the mount are not covered by it.
constexpr std::chrono::seconds kStartMargin{30};

// systemd's escaping of a string used as a unit's instance name
// (systemd-escape): '/' becomes '-', bytes outside [A-Za-z0-9:_.] and a
// leading '.' become \xNN.
std::string unit_escape(const std::string& text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if (c == '/') {
            out += '-';
        } else if (std::isalnum(c) || c == ':' || c == '_' || (c == '.' && i > 0)) {
            out += static_cast<char>(c);
        } else {
            const uint8_t byte = c;
            out += "\\x" + sdk::to_hex({&byte, 1});
        }
    }
    return out;
}

bool needs_network(PluginRegistry& registry, const VolumeConfig& volume) {
    try {
        return (registry.key_provider(volume.key_provider).info().capabilities & CVFS_CAP_NEEDS_NETWORK) != 0;
    } catch (const Error& e) {
        // The unit will fail and say why; ordering it late costs nothing.
        print_warning(e.what());
        return true;
    }
}

std::string unit_text(const VolumeConfig& volume, bool network, const std::string& cvfs_path,
                      const std::string& confdir) {
    std::ostringstream u;
    const std::string cvfs = cvfs_path + " -c " + confdir;
    u << "# Made by cvfs-generator from " << volume.file << " (auto_open = true).\n"
      << "# Edit that file, not this one: this unit is made again at every boot.\n"
      << "[Unit]\n"
      << "Description=cvfs encrypted volume " << volume.name << "\n"
      << "SourcePath=" << fs::absolute(volume.file).string() << "\n"
      << "DefaultDependencies=no\n"
      << "Conflicts=umount.target\n"
      << "Before=umount.target\n"
      << "After=systemd-udevd-kernel.socket systemd-tmpfiles-setup-dev.service\n";
    if (network) {
        u << "Wants=network-online.target\n"
          << "After=network-online.target\n"
          << "Before=remote-fs.target\n";
    } else {
        u << "After=local-fs-pre.target\n"
          << "Before=local-fs.target\n";
    }
    if (!volume.dev.starts_with("/dev/") && volume.dev.starts_with("/"))
        u << "RequiresMountsFor=" << fs::path(volume.dev).parent_path().string() << "\n";
    if (volume.mount)
        u << "RequiresMountsFor=" << fs::path(volume.mount->point).parent_path().string() << "\n";
    u << "\n[Service]\n"
      << "Type=oneshot\n"
      << "RemainAfterExit=yes\n"
      << "TimeoutStartSec=" << (volume.timeout + kStartMargin).count() << "s\n"
      << "TimeoutStopSec=90s\n"
      << "LimitCORE=0\n"  // no core dump may hold a volume key
      << "ExecStart=" << cvfs << " open " << volume.name << "\n"
      << "ExecStop=" << cvfs << " close " << volume.name << "\n";
    return u.str();
}

void write_file(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw Error(ErrorKind::System, "cannot write " + path.string(), "check that the folder is writable");
}

// Links <dir>/<target>.wants/<unit> to the unit, as `systemctl enable` would.
void want(const fs::path& dir, const std::string& target, const std::string& unit) {
    const fs::path wants = dir / (target + ".wants");
    std::error_code ec;
    fs::create_directories(wants, ec);
    fs::remove(wants / unit, ec);
    fs::create_symlink(fs::path("..") / unit, wants / unit, ec);
    if (ec) throw Error(ErrorKind::System, "cannot link " + (wants / unit).string() + ": " + ec.message());
}

bool disabled_on_kernel_command_line() {
    std::ifstream in("/proc/cmdline");
    std::string word;
    while (in >> word)
        if (word == "cvfs.auto=0" || word == "cvfs.auto=no") return true;
    return false;
}

std::string own_path() {
    std::error_code ec;
    fs::path self = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string(CVFS_INSTALLED_BINARY) : self.string();
}

}  // namespace

int generate_units_command(Engine& engine, const std::string& dir) {
    const std::string cvfs_path = own_path();
    const ConfigSet& config = engine.config();
    print_config_problems(config);
    if (!fs::is_directory(dir))
        throw Error(ErrorKind::System, "cannot write units: " + dir + " is not a folder",
                    "give an existing folder (systemd gives the generator its own)");
    PluginRegistry registry(config.global);
    int exit_code = config.problems.empty() ? kSuccess : kConfig;
    for (const VolumeConfig& volume : config.volumes) {
        if (!volume.auto_open) continue;
        const std::string unit = "cvfs-open@" + unit_escape(volume.name) + ".service";
        const bool network = needs_network(registry, volume);
        write_file(fs::path(dir) / unit,
                   unit_text(volume, network, cvfs_path, fs::absolute(config.global.confdir).string()));
        want(dir, network ? "remote-fs.target" : "local-fs.target", unit);
        std::cout << unit << (network ? " (after the network)" : "") << "\n";
    }
    return exit_code;
}

bool started_as_generator(const char* argv0) {
    return argv0 && fs::path(argv0).filename() == "cvfs-generator";
}

int generator_main(int argc, char** argv) {
    if (argc != 2 && argc != 4) {
        std::cerr << "usage: cvfs-generator NORMAL_DIR [EARLY_DIR LATE_DIR]\n";
        return kUsage;
    }
    // Nothing configured, or turned off for this boot: no units.
    if (disabled_on_kernel_command_line() || !fs::is_directory(CVFS_DEFAULT_CONFDIR)) return kSuccess;
    try {
        install_log_sink(LogLevel::Warning);
        EngineOptions options;
        options.confdir = CVFS_DEFAULT_CONFDIR;
        Engine engine(options);
        std::ostringstream ignored;  // systemd does not read a generator's stdout
        std::streambuf* saved = std::cout.rdbuf(ignored.rdbuf());
        int code = generate_units_command(engine, argv[1]);
        std::cout.rdbuf(saved);
        // A broken volume file must not fail the generator: the good volumes'
        // units are written and the problems are in the journal.
        return code == kConfig ? kSuccess : code;
    } catch (const Error& e) {
        print_error(e);
        return kFailed;
    }
}

}  // namespace cvfs::cli

// The table entry of `cvfs generate-units` (command_table.h).
namespace cvfs::cli {

CVFS_COMMAND(CommandSpec{
    .name = "generate-units",
    .usage = "DIR",
    .summary = "write the systemd units of the auto_open volumes into DIR",
    .description = "What the systemd generator does at boot, into a folder of your choice (to read\n"
                   "or test the units).\n"
                   "\n"
                   "Examples:\n"
                   "  cvfs generate-units /tmp/units\n",
    .min_operands = 1,
    .max_operands = 1,
    .run = [](CommandContext& c) {
        Engine engine(c.options);
        return generate_units_command(engine, c.operands.front());
    },
    .order = 90,
});

}  // namespace cvfs::cli
