// Mounting and unmounting an opened volume, and finding where it is in use.
//
// Mount options are handled by libmount (util-linux) exactly as mount(8)
// handles `mount -o`: the generic ones ("noatime", "ro") become mount(2)
// flags, options for mount(8), systemd and fstab readers ("nofail",
// "_netdev", "x-*", "noauto", "comment=") stay in userspace and never reach
// the kernel, and the rest is the filesystem's own data ("commit=30").
// mountinfo and swaps are read with libmount's parsers. Devices are matched
// by device number, not by name, so /dev/mapper/x and /dev/dm-3 are the same.
//
// libmount keeps no process-wide state that these functions share, but they
// take one mutex of their own around each libmount context anyway, so that
// volumes opened in parallel never race inside the library.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "config/volume_config.h"

namespace cvfs {

// An option list split as mount(8) splits it.
struct MountOptions {
    unsigned long flags = 0;  // mount(2) flags (MS_*)
    std::string data;         // the filesystem's own options: mount(2)'s data
    std::string userspace;    // for mount(8), systemd and fstab readers only, never the kernel's
};

// Splits `options` ("noatime,nofail,commit=30") with libmount's option
// maps. Throws cvfs::Error (Config) naming `origin` (where the list was
// written, e.g. "volume 'data' (/etc/cvfs/volumes/data.toml): [mount]
// options") and the option when the list cannot be read, a flag is given a
// value ("noatime=1"), or an option asks for another kind of mount than
// the volume's own (bind, remount, loop, verity, a mount helper).
MountOptions parse_mount_options(const std::string& options,
                                 const std::string& origin = "[mount] options");

// Mount points of block device `device` (by st_rdev), in mountinfo order,
// read from `mountinfo` (this namespace's by default). Throws cvfs::Error
// (System) when the file cannot be read.
std::vector<std::string> mount_points_of(dev_t device,
                                         const std::string& mountinfo = "/proc/self/mountinfo");

// Mounts `device` at volume.mount->point (created if missing) with type
// `fs_type` and the volume's [mount] options, through libmount as mount(8)
// would. A device already mounted there is left as it is.
void mount_volume(const std::string& device, const std::string& fs_type, const VolumeConfig& volume);

// Unmounts every mount of `device` (innermost first, through libmount as
// umount(8) would) and turns off swap on it.
void release_device(const std::string& device);

// The device number of a block device node; throws cvfs::Error if it is not one.
dev_t block_device_number(const std::string& node);

}  // namespace cvfs
