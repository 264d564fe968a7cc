// What libblkid finds on a block device: a filesystem, a LUKS header, a
// partition table, RAID or LVM metadata. cvfs uses it to decide that a volume
// is empty (make the filesystem) and to refuse to init over existing data.
#pragma once

#include <optional>
#include <string>

namespace cvfs {

// A description such as "ext4 filesystem" or "gpt partition table", or
// nothing when libblkid finds no signature. Throws cvfs::Error(ErrorKind::Device)
// when the device cannot be probed.
std::optional<std::string> find_signature(const std::string& device);

}  // namespace cvfs

namespace cvfs {

// The filesystem type libblkid finds ("ext4"), or nothing.
std::optional<std::string> filesystem_type(const std::string& device);

// Does libblkid, asked for filesystems of `type` alone, find one on
// `device`? A quick check (a few reads instead of every known signature)
// for the filesystem a volume was made with; false when it finds none or
// cannot read the device: only a true answer is an answer, find_signature
// tells what is there otherwise.
bool has_filesystem_of_type(const std::string& device, const std::string& type);

// Erases every signature libblkid finds (the magic bytes only, as wipefs does).
void erase_signatures(const std::string& device);

}  // namespace cvfs
