// Mounting, unmounting and swap handling for opened volumes (see mounts.h).
#include "volume/mounts.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "base/error.h"
#include "base/log.h"

namespace cvfs {

namespace {

// Generic options: the flag they set, and whether they clear it instead.
struct FlagOption {
    unsigned long flag;
    bool clear;
};

const std::map<std::string, FlagOption>& flag_options() {
    static const std::map<std::string, FlagOption> table = {
        {"ro", {MS_RDONLY, false}},        {"rw", {MS_RDONLY, true}},
        {"nosuid", {MS_NOSUID, false}},    {"suid", {MS_NOSUID, true}},
        {"nodev", {MS_NODEV, false}},      {"dev", {MS_NODEV, true}},
        {"noexec", {MS_NOEXEC, false}},    {"exec", {MS_NOEXEC, true}},
        {"sync", {MS_SYNCHRONOUS, false}}, {"async", {MS_SYNCHRONOUS, true}},
        {"noatime", {MS_NOATIME, false}},  {"atime", {MS_NOATIME, true}},
        {"nodiratime", {MS_NODIRATIME, false}}, {"diratime", {MS_NODIRATIME, true}},
        {"relatime", {MS_RELATIME, false}},     {"norelatime", {MS_RELATIME, true}},
        {"strictatime", {MS_STRICTATIME, false}}, {"lazytime", {MS_LAZYTIME, false}},
        {"dirsync", {MS_DIRSYNC, false}},       {"defaults", {0, false}},
    };
    return table;
}

// /proc/self/mountinfo escapes blanks in paths as octal (\040).
std::string unescape_octal(const std::string& text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 3 < text.size()) {
            out += static_cast<char>(std::stoi(text.substr(i + 1, 3), nullptr, 8));
            i += 3;
        } else {
            out += text[i];
        }
    }
    return out;
}

bool swap_is_on(dev_t device, std::string& swap_path) {
    std::ifstream swaps("/proc/swaps");
    std::string line;
    std::getline(swaps, line);  // header
    while (std::getline(swaps, line)) {
        std::string path = unescape_octal(line.substr(0, line.find_first_of(" \t")));
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0 && S_ISBLK(st.st_mode) && st.st_rdev == device) {
            swap_path = path;
            return true;
        }
    }
    return false;
}

}  // namespace

MountOptions parse_mount_options(const std::string& options) {
    MountOptions result;
    std::stringstream in(options);
    std::string option;
    while (std::getline(in, option, ',')) {
        if (option.empty()) continue;
        auto it = flag_options().find(option);
        if (it == flag_options().end()) {
            if (!result.data.empty()) result.data += ',';
            result.data += option;
        } else if (it->second.clear) {
            result.flags &= ~it->second.flag;
        } else {
            result.flags |= it->second.flag;
        }
    }
    return result;
}

dev_t block_device_number(const std::string& node) {
    struct stat st {};
    if (::stat(node.c_str(), &st) != 0)
        throw Error(ErrorKind::Device, "cannot stat " + node + ": " + errno_text(errno));
    if (!S_ISBLK(st.st_mode)) throw Error(ErrorKind::Device, node + " is not a block device");
    return st.st_rdev;
}

std::vector<std::string> mount_points_of(dev_t device) {
    std::vector<std::string> points;
    std::ifstream info("/proc/self/mountinfo");
    std::string line;
    const std::string wanted = std::to_string(major(device)) + ":" + std::to_string(minor(device));
    while (std::getline(info, line)) {
        std::istringstream fields(line);
        std::string id, parent, devno, root, point;
        fields >> id >> parent >> devno >> root >> point;
        if (devno == wanted) points.push_back(unescape_octal(point));
    }
    return points;
}

void mount_volume(const std::string& device, const std::string& fs_type, const MountParams& params) {
    const dev_t number = block_device_number(device);
    for (const auto& point : mount_points_of(number))
        if (point == params.point) return;  // already where it belongs

    std::error_code ec;
    std::filesystem::create_directories(params.point, ec);
    if (ec)
        throw Error(ErrorKind::System,
                    "cannot create mount point " + params.point + ": " + ec.message());
    const MountOptions options = parse_mount_options(params.options);
    if (::mount(device.c_str(), params.point.c_str(), fs_type.c_str(), options.flags,
                options.data.empty() ? nullptr : options.data.c_str()) != 0) {
        int err = errno;
        throw Error(ErrorKind::System,
                    "cannot mount " + device + " (" + fs_type + ") on " + params.point + " with options '" +
                        params.options + "': " + errno_text(err),
                    "check the [mount] options; the kernel log (dmesg) says more");
    }
}

void release_device(const std::string& device) {
    const dev_t number = block_device_number(device);
    auto points = mount_points_of(number);
    // Innermost first: later lines in mountinfo may be mounted on earlier ones.
    std::reverse(points.begin(), points.end());
    for (const auto& point : points) {
        if (::umount2(point.c_str(), 0) != 0) {
            int err = errno;
            throw Error(err == EBUSY ? ErrorKind::Busy : ErrorKind::System,
                        "cannot unmount " + point + ": " + errno_text(err),
                        err == EBUSY ? "stop the processes using it (see fuser -vm " + point + ")" : "");
        }
        log(LogLevel::Info, "unmounted " + point);
    }
    std::string swap_path;
    if (swap_is_on(number, swap_path)) {
        if (::swapoff(swap_path.c_str()) != 0)
            throw Error(ErrorKind::System, "cannot turn off swap on " + swap_path + ": " + errno_text(errno));
        log(LogLevel::Info, "swap turned off on " + swap_path);
    }
}

}  // namespace cvfs
