// From the `dev` of a volume file to a kernel block device name.
//
// `dev` may be a node (/dev/nvme1n1p1), a udev link (/dev/disk/by-id/...,
// /dev/disk/by-partuuid/..., /dev/disk/by-partlabel/...) or PARTUUID=... /
// PARTLABEL=.... Links are followed when they exist. Without udev they do
// not, so by-partuuid, by-partlabel and NVMe by-id names are decoded and
// matched against sysfs and the disks' partition tables (libblkid), which is
// also how PARTUUID= and PARTLABEL= are found. Everything reads under a
// SystemRoot so that tests can run it on a fixture tree.
#pragma once

#include <optional>
#include <string>

#include "block_sysfs.h"

namespace cvfs_nvme {

// Throws cvfs::sdk::Error(CVFS_E_INVALID_CONFIG) unless `dev` has a form this
// backend takes. Looks at nothing on the system.
void check_device_spec(const std::string& dev);

// The kernel name ("nvme0n1p1") of the block device `dev` names, or nothing
// when it is not there (yet): a missing node or link, an unknown PARTUUID.
// Throws cvfs::sdk::Error when `dev` can never be a block device (a regular
// file, a folder) or when it is ambiguous (two disks carry the PARTUUID).
std::optional<std::string> resolve_device(const SystemRoot& system, const std::string& dev);

// udev's name escapes undone: "\x20" -> " ".
std::string decode_udev_name(const std::string& name);

// udev's by-id form of a model or serial: blanks trimmed, runs of blanks to
// one '_', characters udev does not allow in links to '_'.
std::string udev_id_text(const std::string& text);

}  // namespace cvfs_nvme
