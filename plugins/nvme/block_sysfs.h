// The kernel's view of block devices, read from sysfs (and /proc) under a
// root folder: "" on a real system, a fixture tree in tests. Nothing here
// changes the system; everything returns facts for device_name.cpp and
// usage_checks.cpp to decide on.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cvfs/text.hpp"

namespace cvfs_nvme {

// Where the system's folders are. `root` is "" for the real system, or a
// folder holding sys/, dev/ and proc/ (tests).
struct SystemRoot {
    std::string root;

    std::string sys(const std::string& rest) const { return root + "/sys/" + rest; }
    std::string proc(const std::string& rest) const { return root + "/proc/" + rest; }
    // The node of block device `name` ("nvme0n1p1" -> "/dev/nvme0n1p1").
    std::string node_of(const std::string& name) const { return root + "/dev/" + name; }
    // A path as the system knows it ("/dev/...") mapped under the root.
    std::string map(const std::string& path) const { return root + path; }
};

// One block device as sysfs describes it, by its kernel name ("nvme0n1p1").
class BlockDevice {
public:
    BlockDevice(const SystemRoot& system, std::string name);

    const std::string& name() const { return name_; }
    bool exists() const;
    bool is_partition() const;
    // The whole disk a partition belongs to ("nvme0n1"), or the name itself.
    std::string whole_disk() const;
    // Partition number, 0 for a whole disk.
    unsigned partition_number() const;
    // "259:1", as in the `dev` attribute; "" when unreadable.
    std::string major_minor() const;
    uint64_t size_bytes() const;
    // The kernel's name of a GPT partition (PARTNAME in uevent), or "".
    std::string partition_label() const;
    // Names of the devices stacked on this one (holders/), e.g. "dm-0".
    std::vector<std::string> holders() const;
    // Names of the devices this one is stacked on (slaves/ of dm, md).
    std::vector<std::string> slaves() const;
    // Names of this whole disk's partitions.
    std::vector<std::string> partitions() const;
    // The device-mapper name of a dm device ("data0"), or "".
    std::string dm_name() const;
    // A namespace of an NVMe controller: named nvme<C>n<N> (not a partition).
    bool is_nvme_namespace() const;
    // Attributes of the NVMe namespace (or of its controller/subsystem).
    std::string nvme_attribute(const std::string& attribute) const;

private:
    std::string attribute(const std::string& relative) const;
    const SystemRoot& system_;
    std::string name_;
};

// Every block device name sysfs lists (sys/class/block).
std::vector<std::string> all_block_devices(const SystemRoot& system);

// The name of the block device with this "major:minor", or "".
std::string block_device_by_number(const SystemRoot& system, const std::string& major_minor);

// The first line of a file with trailing blanks removed; "" when unreadable.
std::string read_line(const std::string& path);

// Sizes for a person: the SDK's ("1.5 GiB", "12 MiB").
using cvfs::sdk::human_size;

}  // namespace cvfs_nvme
