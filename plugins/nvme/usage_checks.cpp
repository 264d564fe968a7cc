// The refusal rules of the nvme backend (see usage_checks.h).
#include "usage_checks.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>
#include <thread>

#include "cvfs/plugin.hpp"
#include "proc_tables.h"

namespace cvfs_nvme {

namespace {

using cvfs::sdk::Error;

const std::vector<std::string> kSystemMountPoints = {"/", "/boot", "/boot/efi", "/efi"};

// The device and, for a whole disk, its partitions: what "in use" looks at.
std::vector<std::string> covered_devices(const SystemRoot& system, const std::string& name) {
    std::vector<std::string> names{name};
    BlockDevice device(system, name);
    if (!device.is_partition())
        for (const std::string& partition : device.partitions()) names.push_back(partition);
    return names;
}

void check_kind(const SystemRoot& system, const std::string& name, const UsagePolicy& policy) {
    BlockDevice device(system, name);
    BlockDevice disk(system, device.whole_disk());
    const bool partition = device.is_partition();
    const bool on_nvme = disk.is_nvme_namespace();
    if (policy.accept == Accept::AnyBlockDevice) return;
    if (partition && on_nvme) return;
    if (!partition && on_nvme) {
        if (policy.accept == Accept::NvmeNamespace) return;
        throw Error(
            CVFS_E_INVALID_CONFIG,
            policy.shown +
                " is a whole NVMe namespace, not a partition; partition it (e.g. sgdisk) "
                "and name a partition, or set accept = \"namespace\" in [device] to use it whole");
    }
    throw Error(CVFS_E_INVALID_CONFIG,
                policy.shown + " is not on an NVMe namespace (" + name +
                    "); set accept = \"any\" in [device] to use another kind of block device");
}

void check_size(const SystemRoot& system, const std::string& name, const UsagePolicy& policy) {
    uint64_t size = BlockDevice(system, name).size_bytes();
    if (size >= kMinimumBytes) return;
    throw Error(CVFS_E_INVALID_CONFIG,
                policy.shown + " is " + human_size(size) +
                    "; a LUKS2 volume needs at least 17 MiB (its header alone takes 16 MiB)");
}

// Adds the whole disks under `name`, following dm and md down to their disks.
void add_disks_under(const SystemRoot& system, const std::string& name,
                     std::set<std::string>& disks, int depth) {
    BlockDevice device(system, name);
    if (name.empty() || depth > 16 || !device.exists()) return;
    std::vector<std::string> slaves = device.slaves();
    if (slaves.empty()) {
        disks.insert(device.whole_disk());
        return;
    }
    for (const std::string& slave : slaves) add_disks_under(system, slave, disks, depth + 1);
}

void check_not_system_disk(const SystemRoot& system, const std::string& name,
                           const UsagePolicy& policy) {
    const std::string disk = BlockDevice(system, name).whole_disk();
    for (const MountEntry& mount : read_mounts(system)) {
        if (std::find(kSystemMountPoints.begin(), kSystemMountPoints.end(), mount.point) ==
            kSystemMountPoints.end())
            continue;
        std::set<std::string> disks;
        add_disks_under(system, block_device_by_number(system, mount.major_minor), disks, 0);
        if (mount.source.starts_with("/dev/"))
            add_disks_under(system, mount.source.substr(5), disks, 0);
        if (disks.contains(disk))
            throw Error(
                CVFS_E_PERMISSION_DENIED,
                policy.shown + " is on " + disk + ", the system disk (it holds " + mount.point +
                    "); cvfs never formats the system disk: name a partition of a data disk");
    }
}

void check_not_mounted(const SystemRoot& system, const std::vector<std::string>& names,
                       const UsagePolicy& policy) {
    for (const MountEntry& mount : read_mounts(system)) {
        for (const std::string& name : names) {
            if (mount.major_minor != BlockDevice(system, name).major_minor() &&
                mount.source != "/dev/" + name)
                continue;
            throw Error(
                CVFS_E_BUSY,
                policy.shown + (name == names.front() ? "" : ": its partition " + name + ",") +
                    " is mounted at " + mount.point +
                    "; unmount it first if its data is not needed, or name another partition");
        }
    }
}

void check_not_swap(const SystemRoot& system, const std::vector<std::string>& names,
                    const UsagePolicy& policy) {
    for (const std::string& swap : read_swaps(system)) {
        std::string swap_name;
        struct stat st {};
        if (stat(system.map(swap).c_str(), &st) == 0 && S_ISBLK(st.st_mode))
            swap_name = block_device_by_number(system, std::to_string(major(st.st_rdev)) + ":" +
                                                           std::to_string(minor(st.st_rdev)));
        for (const std::string& name : names) {
            if (swap != "/dev/" + name && swap_name != name) continue;
            throw Error(CVFS_E_BUSY,
                        policy.shown + " is in use as swap (" + swap +
                            "); run swapoff first if it is not needed, or name another partition");
        }
    }
}

// Returns true when the only holders are the volume's own mapping.
bool check_holders(const SystemRoot& system, const std::vector<std::string>& names,
                   const UsagePolicy& policy) {
    bool own = false;
    for (const std::string& name : names) {
        for (const std::string& holder : BlockDevice(system, name).holders()) {
            std::string mapping = BlockDevice(system, holder).dm_name();
            if (!policy.volume.empty() &&
                (mapping == policy.volume || mapping == policy.volume + "_dif")) {
                own = true;
                continue;
            }
            std::string what =
                !mapping.empty() ? "device-mapper device " + holder + " (\"" + mapping +
                                       "\"); close that mapping first if it is not needed"
                : holder.starts_with("md")
                    ? "RAID array " + holder + "; stop the array first if it is not needed"
                    : holder + "; release it first if it is not needed";
            throw Error(CVFS_E_BUSY,
                        policy.shown +
                            (name == names.front() ? "" : ": its partition " + name + ",") +
                            " is in use by " + what);
        }
    }
    return own;
}

// Another process may have the device open briefly (a udev probe): look a
// few times before refusing.
void check_no_process(const SystemRoot& system, const std::vector<std::string>& names,
                      const UsagePolicy& policy) {
    for (int attempt = 0;; ++attempt) {
        std::vector<OpenBy> users;
        for (const std::string& name : names)
            for (const OpenBy& user : processes_with_open(system, "/dev/" + name))
                users.push_back(user);
        if (users.empty()) return;
        if (attempt < 4) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            continue;
        }
        const OpenBy& user = users.front();
        throw Error(CVFS_E_BUSY, policy.shown + " is open in process " + std::to_string(user.pid) +
                                     " (" + user.command +
                                     "); stop that program first if it is not needed");
    }
}

}  // namespace

bool check_refusals(const SystemRoot& system, const std::string& name, const UsagePolicy& policy) {
    check_kind(system, name, policy);
    check_size(system, name, policy);
    check_not_system_disk(system, name, policy);
    std::vector<std::string> names = covered_devices(system, name);
    check_not_mounted(system, names, policy);
    check_not_swap(system, names, policy);
    bool own = check_holders(system, names, policy);
    if (!own) check_no_process(system, names, policy);
    return own;
}

void check_node_free(const SystemRoot& system, const std::string& name, const UsagePolicy& policy,
                     bool own_mapping) {
    const std::string node = system.node_of(name);
    struct stat st {};
    if (stat(node.c_str(), &st) != 0)
        throw Error(CVFS_E_NOT_FOUND, policy.shown + ": the kernel lists " + name + " but " + node +
                                          " is missing (" + std::strerror(errno) +
                                          "); is devtmpfs mounted on /dev?");
    std::string number =
        std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev));
    if (!S_ISBLK(st.st_mode) || number != BlockDevice(system, name).major_minor())
        throw Error(CVFS_E_INVALID_CONFIG,
                    node + " is not the block device " + name + " of the kernel (" +
                        BlockDevice(system, name).major_minor() + "); check /dev");
    if (own_mapping) return;
    int fd = open(node.c_str(), O_RDONLY | O_EXCL | O_CLOEXEC);
    if (fd >= 0) {
        close(fd);
        return;
    }
    if (errno == EBUSY)
        throw Error(CVFS_E_BUSY,
                    policy.shown +
                        " is in exclusive use (a mount, a mapping, a RAID array or swap "
                        "elsewhere); release it first if it is not needed");
    throw Error(CVFS_E_UNAVAILABLE, "cannot open " + node + ": " + std::strerror(errno));
}

const char* to_string(Accept accept) {
    switch (accept) {
        case Accept::NvmePartition:
            return "partition";
        case Accept::NvmeNamespace:
            return "namespace";
        case Accept::AnyBlockDevice:
            return "any";
    }
    return "partition";
}

std::optional<Accept> accept_from_string(const std::string& text) {
    for (Accept accept : {Accept::NvmePartition, Accept::NvmeNamespace, Accept::AnyBlockDevice})
        if (text == to_string(accept)) return accept;
    return std::nullopt;
}

}  // namespace cvfs_nvme
