// Reading a disk's partition table with libblkid: which partition carries a
// PARTUUID or PARTLABEL, without udev's /dev/disk/by-* links (the guest of a
// confidential VM often boots without udev).
#pragma once

#include <string>
#include <vector>

namespace cvfs_nvme {

// One entry of a partition table.
struct PartitionEntry {
    unsigned number = 0;  // as the kernel numbers it (nvme0n1p<number>)
    std::string uuid;     // PARTUUID: the GPT entry's GUID, or "xxxxxxxx-NN" on MBR
    std::string label;    // PARTLABEL: the GPT entry's name, "" on MBR
};

// The partitions libblkid finds on `disk` (a whole disk node, or an image
// file in tests). Empty when it has no partition table or cannot be read.
std::vector<PartitionEntry> read_partition_table(const std::string& disk);

}  // namespace cvfs_nvme
