// Mounting and unmounting an opened volume, and finding where it is in use.
//
// Mount options are the usual comma list ("noatime,nodev,data=ordered"):
// the generic ones become mount(2) flags, the rest is passed to the
// filesystem as data. Devices are matched by device number, not by name, so
// /dev/mapper/x and /dev/dm-3 are the same.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "config/volume_config.h"

namespace cvfs {

struct MountOptions {
    unsigned long flags = 0;
    std::string data;
};

// Splits an option string into mount(2) flags and filesystem data.
MountOptions parse_mount_options(const std::string& options);

// Mount points of block device `device` (by st_rdev) in this namespace.
std::vector<std::string> mount_points_of(dev_t device);

// Mounts `device` at params.point (created if missing) with type `fs_type`.
// A device already mounted there is left as it is.
void mount_volume(const std::string& device, const std::string& fs_type, const MountParams& params);

// Unmounts every mount of `device` and turns off swap on it.
void release_device(const std::string& device);

// The device number of a block device node; throws cvfs::Error if it is not one.
dev_t block_device_number(const std::string& node);

}  // namespace cvfs
