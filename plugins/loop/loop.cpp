// Device backend "loop": a volume kept in a block file, used through a loop device.
//
// The volume's `dev` is the absolute path of the block file. `cvfs init`
// creates it (sparse, mode 0600, like `truncate -s` in the Intel scripts) and
// every open attaches it to a loop device; probe and attach find a loop device
// already attached to the same file (same st_dev and st_ino), so opening twice
// reuses it. Detach frees the loop device, but only while it still serves
// this file.
//
// Configuration, table [device]:
//
//   size = "1G"     Size of the block file to create: an integer of bytes, or
//                   an integer with K, M, G or T (powers of 1024), as an
//                   integer or a string. Needed only to create the file; at
//                   least 16 MiB (the LUKS2 header alone takes 16 MiB).
//   allocate = "sparse" | "full"
//                   "sparse" (the default): the file takes space as the
//                   volume is written. "full": init (and each open of a
//                   temporary volume) reserves all of it with fallocate, so
//                   the volume can never run out of room under the file.
//
// A sparse file on a filesystem without room for the rest of it would accept
// writes that then fail in the kernel (I/O errors, an aborted ext4 journal),
// so creating or initialising a volume refuses when the free space of the
// filesystem holding the file is smaller than what the file does not hold
// yet, naming the file, its size and the free space; open only warns.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "cvfs/plugin.hpp"
#include "cvfs/text.hpp"
#include "cvfs/unique_fd.hpp"
#include "loop_devices.h"

namespace {

using cvfs::sdk::Call;
using cvfs::sdk::Config;
using cvfs::sdk::Error;
using cvfs::sdk::UniqueFd;

constexpr uint64_t kMinimumSize = 16ull << 20;

std::string errno_text() { return std::strerror(errno); }

using cvfs::sdk::human_size;

// "256M" -> 268435456. Nothing when the text is not a size.
std::optional<uint64_t> parse_size(const std::string& text) {
    size_t digits = 0;
    uint64_t value = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
        uint64_t digit = static_cast<uint64_t>(text[digits] - '0');
        if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
        value = value * 10 + digit;
        ++digits;
    }
    if (digits == 0 || text.size() > digits + 1) return std::nullopt;
    if (text.size() == digits) return value;
    static const std::string suffixes = "KMGT";
    size_t power = suffixes.find(text.back());
    if (power == std::string::npos) return std::nullopt;
    unsigned shift = 10 * static_cast<unsigned>(power + 1);
    if (value > (UINT64_MAX >> shift)) return std::nullopt;
    return value << shift;
}

// The `size` of [device], checked; nothing when it is not set.
std::optional<uint64_t> configured_size(const Config& config) {
    const cvfs_config_item* item = config.find("size");
    if (!item) return std::nullopt;
    std::optional<uint64_t> size;
    if (item->type == CVFS_VALUE_INTEGER && item->integer > 0)
        size = static_cast<uint64_t>(item->integer);
    else if (item->type == CVFS_VALUE_STRING)
        size = parse_size(item->string);
    if (!size)
        throw Error(CVFS_E_INVALID_CONFIG,
                    config.where(*item) + "size in [" + config.table() +
                        "] must be a number of bytes or a number with K, M, G or T, e.g. \"1G\"");
    if (*size < kMinimumSize)
        throw Error(CVFS_E_INVALID_CONFIG, config.where(*item) + "size " + human_size(*size) +
                                               " is too small; a volume needs at least 16 MiB");
    return size;
}

// The `allocate` of [device]: is the whole file to be reserved?
bool allocate_full(const Config& config) {
    const cvfs_config_item* item = config.find("allocate");
    if (!item) return false;
    if (item->type == CVFS_VALUE_STRING && std::string(item->string) == "full") return true;
    if (item->type == CVFS_VALUE_STRING && std::string(item->string) == "sparse") return false;
    throw Error(CVFS_E_INVALID_CONFIG, config.where(*item) + "allocate in [" + config.table() +
                                           "] must be \"sparse\" or \"full\"");
}

std::string parent_of(const std::string& path) {
    size_t slash = path.rfind('/');
    return slash == 0 ? "/" : path.substr(0, slash);
}

// Creates the block file, sparse, readable by root only.
void create_block_file(const Call& call, const std::string& dev) {
    Config config = call.config();
    std::optional<uint64_t> size = configured_size(config);
    if (!size)
        throw Error(CVFS_E_INVALID_CONFIG,
                    std::string(config.source()) + ": block file " + dev +
                        " does not exist and [device] has no size to create it with; add e.g. size = \"1G\"");
    std::string parent = parent_of(dev);
    struct stat st {};
    if (stat(parent.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw Error(CVFS_E_NOT_FOUND, "folder " + parent + " of block file " + dev +
                                          " does not exist; create it first");
    int fd = open(dev.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) return;  // made meanwhile; used as found
    if (fd < 0) throw Error(CVFS_E_UNAVAILABLE, "cannot create block file " + dev + ": " + errno_text());
    if (ftruncate(fd, static_cast<off_t>(*size)) != 0) {
        std::string reason = errno_text();
        close(fd);
        unlink(dev.c_str());
        throw Error(CVFS_E_UNAVAILABLE, "cannot size block file " + dev + " to " + human_size(*size) +
                                            ": " + reason);
    }
    close(fd);
    call.log(CVFS_LOG_INFO, "created block file " + dev + " of " + human_size(*size));
}

[[noreturn]] void refuse_not_regular(const std::string& dev) {
    throw Error(CVFS_E_INVALID_CONFIG, dev + " is not a regular file; the loop backend takes a block "
                                             "file (a disk needs the backend of its kind)");
}

// Refuses what cannot hold a volume.
void check_usable(const std::string& dev, const struct stat& st) {
    if (!S_ISREG(st.st_mode)) refuse_not_regular(dev);
    if (static_cast<uint64_t>(st.st_size) < kMinimumSize)
        throw Error(CVFS_E_INVALID_CONFIG, "block file " + dev + " is " +
                                               human_size(static_cast<uint64_t>(st.st_size)) +
                                               "; a volume needs at least 16 MiB");
}

cvfs_loop::BackingFile backing_file(const struct stat& st) {
    return {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
}

// The file's size, the bytes of it not allocated yet, and the free space of
// the filesystem that holds it (f_bavail: without a reserve for root).
struct Room {
    uint64_t size = 0, missing = 0, free = 0;
};

Room room_of(const std::string& dev, int fd) {
    struct stat st {};
    struct statvfs fs {};
    if (fstat(fd, &st) != 0 || fstatvfs(fd, &fs) != 0)
        throw Error(CVFS_E_UNAVAILABLE, "cannot see how much room " + dev + " has: " + errno_text());
    Room room;
    room.size = static_cast<uint64_t>(st.st_size);
    const uint64_t allocated = static_cast<uint64_t>(st.st_blocks) * 512;
    room.missing = allocated < room.size ? room.size - allocated : 0;
    room.free = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
    return room;
}

std::string shortfall(const std::string& dev, const Room& room) {
    return "block file " + dev + " is " + human_size(room.size) + " but sparse, with " + human_size(room.missing) +
           " not allocated yet, and the filesystem holding it has only " + human_size(room.free) +
           " free: writes to the volume would fail with I/O errors once it is full";
}

// Makes sure the file can hold what the volume writes: reserves it all
// (`allocate = "full"`), or refuses when the filesystem lacks the room.
void reserve_room(const Call& call, const std::string& dev, int fd) {
    if (allocate_full(call.config())) {
        Room room = room_of(dev, fd);
        if (room.missing == 0) return;
        int error = posix_fallocate(fd, 0, static_cast<off_t>(room.size));
        if (error != 0)
            throw Error(CVFS_E_UNAVAILABLE, "cannot reserve the " + human_size(room.size) + " of block file " + dev +
                                                " (allocate = \"full\"; " + human_size(room.free) +
                                                " free): " + std::strerror(error));
        call.log(CVFS_LOG_INFO, "reserved all " + human_size(room.size) + " of block file " + dev);
        return;
    }
    Room room = room_of(dev, fd);
    if (room.missing > room.free)
        throw Error(CVFS_E_UNAVAILABLE, shortfall(dev, room) +
                                            "; free some space, make `size` smaller, put the file on a bigger "
                                            "filesystem, or set allocate = \"full\" in [device] once there is room");
}

void warn_if_short(const Call& call, const std::string& dev, int fd) {
    Room room = room_of(dev, fd);
    if (room.missing > room.free)
        call.log(CVFS_LOG_WARNING, shortfall(dev, room) + "; free some space before writing much to the volume");
}

class Loop {
public:
    explicit Loop(const cvfs::sdk::Host&) {}

    void check_config(Call& call, const char* dev) {
        Config config = call.config();
        config.allow_only({"size", "allocate"});
        configured_size(config);
        allocate_full(config);
        if (dev[0] != '/')
            throw Error(CVFS_E_INVALID_CONFIG,
                        std::string(config.source()) + ": dev = \"" + dev +
                            "\" must be the absolute path of a block file for the loop backend");
    }

    cvfs::sdk::DeviceInfo probe(Call& call, const char* dev) {
        check_config(call, dev);
        cvfs::sdk::DeviceInfo info;
        struct stat st {};
        if (stat(dev, &st) != 0) {
            if (errno != ENOENT)
                throw Error(CVFS_E_UNAVAILABLE, std::string("cannot stat ") + dev + ": " + errno_text());
            info.detail = "block file, not created yet";
            return info;
        }
        if (!S_ISREG(st.st_mode)) refuse_not_regular(dev);
        info.present = true;
        info.size_bytes = static_cast<uint64_t>(st.st_size);
        info.node = cvfs_loop::find_attached(backing_file(st));
        info.header_path = dev;
        info.detail = "block file, " + human_size(info.size_bytes) + " (" +
                      human_size(static_cast<uint64_t>(st.st_blocks) * 512) + " allocated), " +
                      (info.node.empty() ? "not attached" : "on " + info.node);
        return info;
    }

    std::string attach(Call& call, const char* dev, bool create) {
        check_config(call, dev);
        UniqueFd file(open(dev, O_RDWR | O_CLOEXEC));
        bool created = false;
        if (file.get() < 0 && errno == ENOENT) {
            if (!create)
                throw Error(CVFS_E_NOT_FOUND, std::string("block file ") + dev +
                                                  " does not exist; run `cvfs init` to create it");
            create_block_file(call, dev);
            created = true;
            file.reset(open(dev, O_RDWR | O_CLOEXEC));
        }
        if (file.get() < 0 && errno == EISDIR) refuse_not_regular(dev);
        if (file.get() < 0)
            throw Error(CVFS_E_UNAVAILABLE, std::string("cannot open ") + dev + ": " + errno_text());
        struct stat st {};
        if (fstat(file.get(), &st) != 0)
            throw Error(CVFS_E_UNAVAILABLE, std::string("cannot stat ") + dev + ": " + errno_text());
        check_usable(dev, st);
        if (create) {
            try {
                reserve_room(call, dev, file.get());
            } catch (...) {
                if (created) unlink(dev);  // nothing is in it yet
                throw;
            }
        } else {
            warn_if_short(call, dev, file.get());
        }
        std::string node = cvfs_loop::find_attached(backing_file(st));
        if (!node.empty()) return node;
        node = cvfs_loop::attach_free_loop(call, file.get(), dev);
        call.log(CVFS_LOG_INFO, std::string("attached ") + dev + " to " + node);
        return node;
    }

    void detach(Call& call, const char* dev, const char* node) {
        if (!node || !*node) return;
        std::string path = node;
        if (!path.starts_with("/dev/loop"))
            throw Error(CVFS_E_INVALID_ARGUMENT, path + " is not a loop device");
        auto backing = cvfs_loop::backing_of(path);
        if (!backing) return;  // already free
        struct stat st {};
        if (stat(dev, &st) != 0 || backing->device != static_cast<uint64_t>(st.st_dev) ||
            backing->inode != static_cast<uint64_t>(st.st_ino)) {
            call.log(CVFS_LOG_WARNING, "not detaching " + path + ": it no longer serves " + dev);
            return;
        }
        cvfs_loop::clear(path);
        call.log(CVFS_LOG_INFO, "detached " + path + " from " + dev);
    }
};

}  // namespace

CVFS_DEVICE_BACKEND_PLUGIN(Loop, "loop", "0.1.0", "cvfs", "Block file on a loop device")
