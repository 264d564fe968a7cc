// The loop ioctls behind the "loop" backend.
//
// Attaching takes a free device from /dev/loop-control (LOOP_CTL_GET_FREE) and
// binds the file with LOOP_CONFIGURE, or LOOP_SET_FD + LOOP_SET_STATUS64 on
// kernels before 5.8. Between the two steps another process may take the same
// device; the kernel then answers EBUSY and we ask for the next free one.
// Flags stay 0: no direct I/O (it needs aligned files and gains nothing under
// dm-crypt here) and no autoclear, so the device outlives this process.
#include "loop_devices.h"

#include "cvfs/unique_fd.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <utility>
#include <vector>

namespace cvfs_loop {
namespace {

using cvfs::sdk::Error;
using cvfs::sdk::UniqueFd;

constexpr int kAttachAttempts = 16;
constexpr auto kNodeWait = std::chrono::seconds(2);

std::string errno_text() { return std::strerror(errno); }

// loop0, loop1, ... as listed in /sys/block (the kernel's own list).
std::vector<std::string> loop_names() {
    std::vector<std::string> names;
    DIR* dir = opendir("/sys/block");
    if (!dir) return names;
    while (const dirent* entry = readdir(dir)) {
        std::string name = entry->d_name;
        if (name.size() > 4 && name.starts_with("loop") &&
            std::all_of(name.begin() + 4, name.end(), [](char c) { return c >= '0' && c <= '9'; }))
            names.push_back(name);
    }
    closedir(dir);
    std::sort(names.begin(), names.end());
    return names;
}

// Opens a loop node that LOOP_CTL_GET_FREE may just have created; udev makes
// the node shortly after the device.
UniqueFd open_new_node(const cvfs::sdk::Call& call, const std::string& node) {
    auto give_up = std::chrono::steady_clock::now() + kNodeWait;
    for (;;) {
        UniqueFd fd(open(node.c_str(), O_RDWR | O_CLOEXEC));
        if (fd.get() >= 0) return fd;
        if (errno != ENOENT || std::chrono::steady_clock::now() > give_up)
            throw Error(CVFS_E_UNAVAILABLE, "cannot open " + node + ": " + errno_text());
        call.check_continue();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void set_file_name(loop_info64& info, const std::string& path) {
    size_t n = std::min(path.size(), sizeof info.lo_file_name - 1);
    std::memcpy(info.lo_file_name, path.data(), n);
}

// Binds the file to the device. False when the device was taken meanwhile.
bool bind_file(int loop_fd, int file_fd, const std::string& node, const std::string& path) {
    loop_config config{};
    config.fd = static_cast<uint32_t>(file_fd);
    set_file_name(config.info, path);
    if (ioctl(loop_fd, LOOP_CONFIGURE, &config) == 0) return true;
    if (errno == EBUSY) return false;
    if (errno != EINVAL && errno != ENOTTY)
        throw Error(CVFS_E_UNAVAILABLE, "cannot attach " + path + " to " + node + ": " + errno_text());

    // Kernels before 5.8 have no LOOP_CONFIGURE.
    if (ioctl(loop_fd, LOOP_SET_FD, file_fd) != 0) {
        if (errno == EBUSY) return false;
        throw Error(CVFS_E_UNAVAILABLE, "cannot attach " + path + " to " + node + ": " + errno_text());
    }
    loop_info64 info{};
    set_file_name(info, path);
    if (ioctl(loop_fd, LOOP_SET_STATUS64, &info) != 0) {
        int saved = errno;
        ioctl(loop_fd, LOOP_CLR_FD, 0);
        throw Error(CVFS_E_UNAVAILABLE,
                    "cannot set up " + node + " for " + path + ": " + std::strerror(saved));
    }
    return true;
}

}  // namespace

std::optional<BackingFile> backing_of(const std::string& node) {
    UniqueFd fd(open(node.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        if (errno == ENOENT || errno == ENXIO) return std::nullopt;
        throw Error(CVFS_E_UNAVAILABLE, "cannot open " + node + ": " + errno_text());
    }
    loop_info64 info{};
    if (ioctl(fd.get(), LOOP_GET_STATUS64, &info) != 0) {
        if (errno == ENXIO) return std::nullopt;
        throw Error(CVFS_E_UNAVAILABLE, "cannot query " + node + ": " + errno_text());
    }
    return BackingFile{info.lo_device, info.lo_inode};
}

std::string find_attached(const BackingFile& file) {
    for (const std::string& name : loop_names()) {
        std::string node = "/dev/" + name;
        auto backing = backing_of(node);
        if (backing && backing->device == file.device && backing->inode == file.inode) return node;
    }
    return "";
}

std::string attach_free_loop(const cvfs::sdk::Call& call, int file_fd, const std::string& path) {
    UniqueFd control(open("/dev/loop-control", O_RDWR | O_CLOEXEC));
    if (control.get() < 0)
        throw Error(CVFS_E_UNAVAILABLE, "cannot open /dev/loop-control: " + errno_text() +
                                            " (is the loop module loaded?)");
    for (int attempt = 0; attempt < kAttachAttempts; ++attempt) {
        call.check_continue();
        int number = ioctl(control.get(), LOOP_CTL_GET_FREE);
        if (number < 0)
            throw Error(CVFS_E_UNAVAILABLE, "no free loop device: " + errno_text());
        std::string node = "/dev/loop" + std::to_string(number);
        UniqueFd loop = open_new_node(call, node);
        if (bind_file(loop.get(), file_fd, node, path)) return node;
    }
    throw Error(CVFS_E_BUSY, "every free loop device was taken by another process; try again");
}

void clear(const std::string& node) {
    UniqueFd fd(open(node.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        if (errno == ENOENT) return;
        throw Error(CVFS_E_UNAVAILABLE, "cannot open " + node + ": " + errno_text());
    }
    if (ioctl(fd.get(), LOOP_CLR_FD, 0) != 0 && errno != ENXIO)
        throw Error(errno == EBUSY ? CVFS_E_BUSY : CVFS_E_UNAVAILABLE,
                    "cannot detach " + node + ": " + errno_text());
}

}  // namespace cvfs_loop
