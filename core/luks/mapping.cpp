// Mapping lookups through libcryptsetup and sysfs.
//
// libcryptsetup reports a mapping's type and state, but not the dm UUID nor the
// device under an integrity stack; sysfs (/sys/dev/block/M:m/dm/uuid, slaves/)
// has both, as the kernel sees them, without reading the on-disk header.
#include "luks/mapping.h"

#include "base/error.h"
#include "luks/crypt_handle.h"

#include <libcryptsetup.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>

namespace cvfs {

namespace {

namespace fs = std::filesystem;

std::string mapper_path(const std::string& name) { return std::string(crypt_get_dir()) + "/" + name; }

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

int wipe_progress(uint64_t size, uint64_t offset, void* usrptr) {
    const auto& progress = *static_cast<const ProgressFn*>(usrptr);
    return progress && !progress(offset, size) ? 1 : 0;
}

}  // namespace

std::optional<Mapping> find_mapping(const std::string& name) {
    // A kernel without device-mapper has no mappings (and libcryptsetup
    // would only complain that it cannot reach it).
    if (!fs::exists("/sys/class/misc/device-mapper")) return std::nullopt;
    crypt_status_info status = crypt_status(nullptr, name.c_str());
    if (status == CRYPT_INACTIVE) return std::nullopt;
    if (status == CRYPT_INVALID)
        throw Error(ErrorKind::System, "cannot ask device-mapper about " + name,
                    "check that the dm_mod and dm_crypt kernel modules are loaded");
    CryptHandle handle = CryptHandle::by_name(name);
    Mapping mapping;
    const char* type = crypt_get_type(handle.get());
    mapping.type = type ? type : "";
    struct stat st {};
    if (::stat(mapper_path(name).c_str(), &st) != 0)
        throw Error(ErrorKind::Device, "cannot stat " + mapper_path(name) + ": " + errno_text(errno));
    fs::path dir = sysfs_of(st.st_rdev);
    mapping.uuid = luks_uuid_of(read_line(dir / "dm" / "uuid"));
    mapping.underlying = underlying_of(dir);
    return mapping;
}

void deactivate(const std::string& name) {
    CryptHandle handle = CryptHandle::by_name(name);
    int rc = crypt_deactivate(handle.get(), name.c_str());
    if (rc == -EBUSY)
        throw Error(ErrorKind::Busy, mapper_path(name) + " is in use and cannot be closed",
                    "unmount it (and stop whatever holds it open) first");
    handle.check(rc, ErrorKind::Device, "cannot close " + mapper_path(name));
}

uint64_t mapped_bytes(CryptHandle& handle, const std::string& name) {
    crypt_active_device active{};
    handle.check(crypt_get_active_device(handle.get(), name.c_str(), &active), ErrorKind::Device,
                 "cannot read the size of " + mapper_path(name));
    return active.size * 512;
}

void wipe_integrity(const std::string& name, const ProgressFn& progress) {
    CryptHandle handle = CryptHandle::by_name(name);
    const uint64_t size = mapped_bytes(handle, name);
    int rc = crypt_wipe(handle.get(), mapper_path(name).c_str(), CRYPT_WIPE_ZERO, 0, size, 1 << 20, 0,
                        wipe_progress, const_cast<ProgressFn*>(&progress));
    if (rc == -EINTR)
        throw Error(ErrorKind::Refused, "the wipe of " + mapper_path(name) + " was stopped",
                    "sectors not yet written have no valid integrity tags; wipe again before use");
    handle.check(rc, ErrorKind::Device, "cannot wipe " + mapper_path(name));
}

void zero_integrity_ends(const std::string& name) {
    CryptHandle handle = CryptHandle::by_name(name);
    const uint64_t size = mapped_bytes(handle, name);
    const uint64_t head = std::min(size, kIntegrityEndBytes);
    const uint64_t tail_start = std::max(head, size - std::min(size, kIntegrityEndBytes));
    const std::string path = mapper_path(name);
    handle.check(crypt_wipe(handle.get(), path.c_str(), CRYPT_WIPE_ZERO, 0, head, 1 << 20, 0, nullptr, nullptr),
                 ErrorKind::Device, "cannot write the start of " + path);
    if (tail_start < size)
        handle.check(crypt_wipe(handle.get(), path.c_str(), CRYPT_WIPE_ZERO, tail_start, size - tail_start, 1 << 20,
                                0, nullptr, nullptr),
                     ErrorKind::Device, "cannot write the end of " + path);
}

}  // namespace cvfs
