// Resolving a volume's `dev` to a block device (see device_name.h).
#include "device_name.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "cvfs/plugin.hpp"
#include "partition_table.h"

namespace cvfs_nvme {

namespace {

using cvfs::sdk::Error;

constexpr std::string_view kPartUuid = "PARTUUID=";
constexpr std::string_view kPartLabel = "PARTLABEL=";
constexpr int kMaxLinks = 16;

enum class PartitionKey { Uuid, Label };

bool same_uuid(const std::string& a, const std::string& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string key_text(PartitionKey key, const std::string& value) {
    return std::string(key == PartitionKey::Uuid ? kPartUuid : kPartLabel) + value;
}

// The partition whose table entry carries `value`, searched on every whole
// disk that has partitions. Two matches (a cloned disk) are refused.
std::optional<std::string> find_partition(const SystemRoot& system, PartitionKey key,
                                          const std::string& value) {
    std::vector<std::string> found;
    for (const std::string& name : all_block_devices(system)) {
        BlockDevice disk(system, name);
        if (disk.is_partition()) continue;
        std::vector<std::string> partitions = disk.partitions();
        if (partitions.empty()) continue;
        for (const PartitionEntry& entry : read_partition_table(system.node_of(name))) {
            bool match =
                key == PartitionKey::Uuid ? same_uuid(entry.uuid, value) : entry.label == value;
            if (!match) continue;
            for (const std::string& partition : partitions)
                if (BlockDevice(system, partition).partition_number() == entry.number)
                    found.push_back(partition);
        }
    }
    if (found.size() > 1) {
        std::string list;
        for (const std::string& name : found) list += (list.empty() ? "" : ", ") + name;
        throw Error(CVFS_E_INVALID_CONFIG,
                    key_text(key, value) + " is ambiguous: it is on " + list +
                        " (a cloned disk?); detach the copy or name the device otherwise");
    }
    if (found.empty()) return std::nullopt;
    return found.front();
}

// The by-id names udev gives an NVMe namespace.
std::vector<std::string> nvme_id_names(const BlockDevice& disk) {
    std::vector<std::string> names;
    std::string model = udev_id_text(disk.nvme_attribute("model"));
    std::string serial = udev_id_text(disk.nvme_attribute("serial"));
    if (!model.empty() && !serial.empty()) {
        names.push_back("nvme-" + model + "_" + serial);
        std::string nsid = disk.nvme_attribute("nsid");
        if (!nsid.empty()) names.push_back("nvme-" + model + "_" + serial + "_" + nsid);
    }
    std::string wwid = disk.nvme_attribute("wwid");
    if (!wwid.empty()) names.push_back("nvme-" + udev_id_text(wwid));
    return names;
}

// Splits "name-part3" into "name" and 3; number 0 when there is no suffix.
std::pair<std::string, unsigned> split_part_suffix(const std::string& name) {
    size_t at = name.rfind("-part");
    if (at == std::string::npos || at + 5 >= name.size()) return {name, 0};
    std::string digits = name.substr(at + 5);
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return {name, 0};
    return {name.substr(0, at), static_cast<unsigned>(std::stoul(digits))};
}

// An NVMe by-id name decoded against sysfs.
std::optional<std::string> find_by_id(const SystemRoot& system, const std::string& id) {
    auto [base, number] = split_part_suffix(id);
    std::vector<std::string> disks;
    for (const std::string& name : all_block_devices(system)) {
        BlockDevice disk(system, name);
        if (!disk.is_nvme_namespace()) continue;
        std::vector<std::string> names = nvme_id_names(disk);
        if (std::find(names.begin(), names.end(), base) != names.end()) disks.push_back(name);
    }
    if (disks.size() > 1)
        throw Error(CVFS_E_INVALID_CONFIG, "/dev/disk/by-id/" + id + " fits several namespaces (" +
                                               disks[0] + ", " + disks[1] +
                                               "); add the namespace id (..._1) to the name");
    if (disks.empty()) return std::nullopt;
    if (number == 0) return disks.front();
    for (const std::string& partition : BlockDevice(system, disks.front()).partitions())
        if (BlockDevice(system, partition).partition_number() == number) return partition;
    return std::nullopt;
}

// A /dev/disk/by-* link that does not exist: decoded where udev's rule is known.
std::optional<std::string> decode_link(const SystemRoot& system, const std::string& path) {
    std::string folder = path.substr(0, path.rfind('/'));
    std::string name = decode_udev_name(path.substr(path.rfind('/') + 1));
    if (folder == "/dev/disk/by-partuuid") return find_partition(system, PartitionKey::Uuid, name);
    if (folder == "/dev/disk/by-partlabel")
        return find_partition(system, PartitionKey::Label, name);
    if (folder == "/dev/disk/by-id" && name.starts_with("nvme-")) return find_by_id(system, name);
    return std::nullopt;  // udev may still make it: not there yet
}

std::string file_kind(mode_t mode) {
    if (S_ISREG(mode)) return "a regular file (a block file needs backend = \"loop\")";
    if (S_ISDIR(mode)) return "a folder";
    if (S_ISCHR(mode)) return "a character device";
    return "not a device";
}

std::optional<std::string> resolve_path(const SystemRoot& system, const std::string& path,
                                        int links) {
    if (links > kMaxLinks) throw Error(CVFS_E_INVALID_CONFIG, path + ": too many levels of links");
    std::string mapped = system.map(path);
    struct stat st {};
    if (lstat(mapped.c_str(), &st) != 0) {
        if (errno != ENOENT && errno != ENOTDIR)
            throw Error(CVFS_E_UNAVAILABLE, "cannot look at " + path + ": " + std::strerror(errno));
        if (path.starts_with("/dev/disk/by-")) return decode_link(system, path);
        // Without devtmpfs a node may lack while sysfs has the device.
        std::string name = path.substr(5);
        if (path.starts_with("/dev/") && BlockDevice(system, name).exists()) return name;
        return std::nullopt;
    }
    if (S_ISLNK(st.st_mode)) {
        std::vector<char> target(4096);
        ssize_t n = readlink(mapped.c_str(), target.data(), target.size() - 1);
        if (n < 0)
            throw Error(CVFS_E_UNAVAILABLE,
                        "cannot read link " + path + ": " + std::strerror(errno));
        std::filesystem::path next(std::string(target.data(), static_cast<size_t>(n)));
        if (next.is_relative()) next = std::filesystem::path(path).parent_path() / next;
        return resolve_path(system, next.lexically_normal().string(), links + 1);
    }
    if (!S_ISBLK(st.st_mode))
        throw Error(CVFS_E_INVALID_CONFIG,
                    path + " is not a block device: it is " + file_kind(st.st_mode));
    std::string number =
        std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev));
    std::string name = block_device_by_number(system, number);
    if (name.empty())
        throw Error(CVFS_E_NOT_FOUND,
                    path + " is a block device node (" + number +
                        ") that the kernel does not list in sysfs; a stale node?");
    return name;
}

}  // namespace

void check_device_spec(const std::string& dev) {
    for (std::string_view prefix : {kPartUuid, kPartLabel}) {
        if (!dev.starts_with(prefix)) continue;
        if (dev.size() == prefix.size())
            throw Error(CVFS_E_INVALID_CONFIG, "dev = \"" + dev + "\" names no partition; e.g. " +
                                                   std::string(prefix) +
                                                   (prefix == kPartUuid ? "0fc63daf-..." : "data"));
        return;
    }
    if (!dev.starts_with("/dev/") || dev.size() == 5)
        throw Error(CVFS_E_INVALID_CONFIG,
                    "dev = \"" + dev +
                        "\" is not a device under /dev, PARTUUID=... or PARTLABEL=...; "
                        "a block file needs backend = \"loop\"");
}

std::optional<std::string> resolve_device(const SystemRoot& system, const std::string& dev) {
    check_device_spec(dev);
    if (dev.starts_with(kPartUuid))
        return find_partition(system, PartitionKey::Uuid, dev.substr(kPartUuid.size()));
    if (dev.starts_with(kPartLabel))
        return find_partition(system, PartitionKey::Label, dev.substr(kPartLabel.size()));
    return resolve_path(system, dev, 0);
}

std::string decode_udev_name(const std::string& name) {
    std::string out;
    for (size_t i = 0; i < name.size(); ++i) {
        if (name[i] == '\\' && i + 3 < name.size() && name[i + 1] == 'x' &&
            std::isxdigit(static_cast<unsigned char>(name[i + 2])) &&
            std::isxdigit(static_cast<unsigned char>(name[i + 3]))) {
            out += static_cast<char>(std::stoi(name.substr(i + 2, 2), nullptr, 16));
            i += 3;
        } else {
            out += name[i];
        }
    }
    return out;
}

std::string udev_id_text(const std::string& text) {
    static const std::string allowed = "#+-.:=@_";
    std::string out;
    bool blank = false;
    for (char c : text) {
        if (std::isspace(static_cast<unsigned char>(c))) {
            blank = !out.empty();
            continue;
        }
        if (blank) out += '_';
        blank = false;
        bool ok = std::isalnum(static_cast<unsigned char>(c)) ||
                  allowed.find(c) != std::string::npos || static_cast<unsigned char>(c) >= 0x80;
        out += ok ? c : '_';
    }
    return out;
}

}  // namespace cvfs_nvme
