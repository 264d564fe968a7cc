// Mapping lookups through libcryptsetup and sysfs.
//
// libcryptsetup reports a mapping's type and state, but not the dm UUID nor the
// device under an integrity stack; sysfs (/sys/dev/block/M:m/dm/uuid, slaves/)
// has both, as the kernel sees them, without reading the on-disk header.
// Device-mapper's own view (dm_control.h) comes first, so a device that an
// activation left half made is named as such instead of being mistaken for a
// kernel without device-mapper. Zeros are written through the mapping with
// plain O_DIRECT writes, outside the CryptLock: a long wipe neither holds up
// other volumes' opens nor escapes cancellation.
#include "luks/mapping.h"

#include "base/error.h"
#include "luks/crypt_handle.h"
#include "luks/dm_control.h"

#include <libcryptsetup.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

namespace cvfs {

namespace {

namespace fs = std::filesystem;

std::string mapper_path(const std::string& name) {
    CryptLock lock;
    return std::string(crypt_get_dir()) + "/" + name;
}

fs::path sysfs_of(dev_t dev) {
    return fs::path("/sys/dev/block") / (std::to_string(major(dev)) + ":" + std::to_string(minor(dev)));
}

std::string read_line(const fs::path& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

dev_t dev_of(const fs::path& sysfs_dir) {
    std::string text = read_line(sysfs_dir / "dev");  // "253:0"
    auto colon = text.find(':');
    if (colon == std::string::npos) return 0;
    return makedev(std::stoul(text.substr(0, colon)), std::stoul(text.substr(colon + 1)));
}

// CRYPT-LUKS2-<32 hex digits>-<name> -> the UUID with its dashes back.
std::string luks_uuid_of(const std::string& dm_uuid) {
    const std::string prefix = "CRYPT-LUKS2-";
    if (dm_uuid.rfind(prefix, 0) != 0 || dm_uuid.size() < prefix.size() + 32) return {};
    std::string hex = dm_uuid.substr(prefix.size(), 32);
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
           hex.substr(20, 12);
}

// The one device under `sysfs_dir`, descending through a dm-integrity device.
dev_t underlying_of(const fs::path& sysfs_dir) {
    std::error_code ec;
    for (const auto& slave : fs::directory_iterator(sysfs_dir / "slaves", ec)) {
        fs::path dir = fs::canonical(slave.path(), ec);
        if (ec) return 0;
        if (read_line(dir / "dm" / "uuid").rfind("CRYPT-SUBDEV", 0) == 0 ||
            read_line(dir / "dm" / "name").ends_with("_dif"))
            return underlying_of(dir);
        return dev_of(dir);
    }
    return 0;
}

bool dm_available() { return fs::exists("/sys/class/misc/device-mapper"); }

// Is /dev/mapper/<name> the block device `dev`?
bool node_present(const std::string& name, dev_t dev) {
    struct stat st {};
    return ::stat(mapper_path(name).c_str(), &st) == 0 && S_ISBLK(st.st_mode) && st.st_rdev == dev;
}

bool half_made(const std::string& name, const DmDeviceInfo& info) {
    return info.exists && (!info.live_table || !node_present(name, info.dev));
}

std::string half_made_what(const std::string& name, const DmDeviceInfo& info) {
    if (!info.live_table)
        return std::string("has no active table") + (info.inactive_table ? " (only an inactive one)" : "");
    return "has no node " + mapper_path(name);
}

// The LUKS UUID of the header on `node` without its dashes, as in dm UUIDs;
// empty when there is no readable LUKS2 header.
std::string luks_hex_of(const std::string& node) {
    if (node.empty()) return {};
    try {
        CryptHandle handle = CryptHandle::open(node);
        handle.load_luks2(node);
        const char* uuid = crypt_get_uuid(handle.get());
        std::string hex;
        for (const char* c = uuid ? uuid : ""; *c; ++c)
            if (*c != '-') hex += *c;
        return hex;
    } catch (const Error&) {
        return {};
    }
}

// Did libcryptsetup make the dm device `dm_name` for the header with `hex`?
// (CRYPT-LUKS2-<hex>-<name>, CRYPT-SUBDEV-<hex>-<name>_dif and alike.)
bool made_for(const DmDeviceInfo& info, const std::string& dm_name, const std::string& hex) {
    return !hex.empty() && info.uuid.rfind("CRYPT-", 0) == 0 && info.uuid.find("-" + hex + "-") != std::string::npos &&
           info.uuid.ends_with("-" + dm_name);
}

void remove_if_ours(const std::string& dm_name, const DmDeviceInfo& info, const std::string& hex,
                    const std::string& node) {
    if (!made_for(info, dm_name, hex))
        throw Error(ErrorKind::State,
                    "the device-mapper device " + dm_name + " " + half_made_what(dm_name, info) +
                        " and was not made for the LUKS2 header on " + (node.empty() ? "the volume's device" : node) +
                        " (its dm UUID is \"" + info.uuid + "\")",
                    "another tool left it; check it with `dmsetup info " + dm_name + "` and remove it with "
                    "`dmsetup remove " + dm_name + "` if nothing needs it");
    dm_remove_device(dm_name);
}

}  // namespace

bool zero_fill(const std::string& path, uint64_t offset, uint64_t length, uint64_t total_done, uint64_t total,
                 const ProgressFn& progress) {
    constexpr size_t kBlock = 1 << 20;
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_DIRECT);
    if (fd < 0 && errno == EINVAL) fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw Error(ErrorKind::Device, "cannot open " + path + " for writing: " + errno_text(errno));
    std::unique_ptr<int, void (*)(int*)> closer(&fd, [](int* f) { ::close(*f); });
    void* memory = nullptr;
    if (::posix_memalign(&memory, 4096, kBlock) != 0) throw Error(ErrorKind::System, "out of memory");
    std::unique_ptr<void, void (*)(void*)> zeros(memory, std::free);
    std::memset(memory, 0, kBlock);
    for (uint64_t done = 0; done < length;) {
        const size_t want = static_cast<size_t>(std::min<uint64_t>(kBlock, length - done));
        ssize_t put = ::pwrite(fd, memory, want, static_cast<off_t>(offset + done));
        if (put < 0 && errno == EINTR) continue;
        if (put <= 0)
            throw Error(ErrorKind::Device, "cannot write to " + path + " at byte " + std::to_string(offset + done) +
                                               ": " + (put == 0 ? std::string("no progress") : errno_text(errno)));
        done += static_cast<uint64_t>(put);
        if (progress && !progress(total_done + done, total)) return false;
    }
    if (::fsync(fd) != 0) throw Error(ErrorKind::Device, "cannot flush " + path + ": " + errno_text(errno));
    return true;
}

std::optional<Mapping> find_mapping(const std::string& name) {
    // A kernel without device-mapper has no mappings (and libcryptsetup
    // would only complain that it cannot reach it).
    if (!dm_available()) return std::nullopt;
    CryptLock lock;
    DmDeviceInfo info = dm_device_info(name);
    if (!info.exists) return std::nullopt;
    if (half_made(name, info))
        throw Error(ErrorKind::State,
                    "the mapping " + mapper_path(name) + " is half made: it " + half_made_what(name, info) +
                        " (an open or init was interrupted, or is running now)",
                    "`cvfs open " + name + "` or `cvfs close " + name + "` removes it");
    CryptHandle handle = CryptHandle::by_name(name);
    Mapping mapping;
    const char* type = crypt_get_type(handle.get());
    mapping.type = type ? type : "";
    fs::path dir = sysfs_of(info.dev);
    mapping.uuid = luks_uuid_of(read_line(dir / "dm" / "uuid"));
    mapping.underlying = underlying_of(dir);
    return mapping;
}

bool remove_half_made_mapping(const std::string& name, const std::string& node) {
    if (!dm_available()) return false;
    CryptLock lock;
    const DmDeviceInfo top = dm_device_info(name);
    const std::string dif_name = name + "_dif";
    const bool top_half = half_made(name, top);
    if (!top_half && top.exists) return false;  // a whole mapping: the caller checks whose
    DmDeviceInfo dif = dm_device_info(dif_name);
    if (!top_half && !dif.exists) return false;
    const std::string hex = luks_hex_of(node);
    if (top_half) remove_if_ours(name, top, hex, node);
    dif = dm_device_info(dif_name);
    if (dif.exists) remove_if_ours(dif_name, dif, hex, node);
    return true;
}

void deactivate(const std::string& name) {
    CryptLock lock;
    CryptHandle handle = CryptHandle::by_name(name);
    int rc = crypt_deactivate(handle.get(), name.c_str());
    if (rc == -EBUSY)
        throw Error(ErrorKind::Busy, mapper_path(name) + " is in use and cannot be closed",
                    "unmount it (and stop whatever holds it open) first");
    handle.check(rc, ErrorKind::Device, "cannot close " + mapper_path(name));
}

uint64_t mapped_bytes(const std::string& name) {
    CryptLock lock;
    CryptHandle handle = CryptHandle::by_name(name);
    crypt_active_device active{};
    handle.check(crypt_get_active_device(handle.get(), name.c_str(), &active), ErrorKind::Device,
                 "cannot read the size of " + mapper_path(name));
    return active.size * 512;
}

void wipe_integrity(const std::string& name, const ProgressFn& progress) {
    const uint64_t size = mapped_bytes(name);
    if (!zero_fill(mapper_path(name), 0, size, 0, size, progress))
        throw Error(ErrorKind::Refused, "the wipe of " + mapper_path(name) + " was stopped",
                    "sectors not yet written have no valid integrity tags; wipe again before use");
}

void zero_integrity_ends(const std::string& name) {
    const uint64_t size = mapped_bytes(name);
    const uint64_t head = std::min(size, kIntegrityEndBytes);
    const uint64_t tail_start = std::max(head, size - std::min(size, kIntegrityEndBytes));
    const std::string path = mapper_path(name);
    zero_fill(path, 0, head, 0, size, {});
    if (tail_start < size) zero_fill(path, tail_start, size - tail_start, 0, size, {});
}

}  // namespace cvfs
