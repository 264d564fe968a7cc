// Where mkfs.ext4 will put the backup copies of its superblock, read from its
// dry run (mkfs.ext4 -n), so the ext4 maker can write those blocks whole
// before mkfs.ext4 runs. mkfs.ext4 writes each backup superblock as 1 KiB
// into a larger block, which the kernel completes by reading the rest of the
// block first; on a fresh integrity volume that read fails (see fs_maker.h).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace cvfs::mkfs {

struct Ext4Layout {
    uint64_t block_size = 0;             // bytes; 0 when the dry run did not say
    std::vector<uint64_t> backup_blocks; // block numbers of the superblock backups
};

// Parses the dry run's report ("Creating filesystem with N 4k blocks ...",
// "Superblock backups stored on blocks:" and the numbers on the next lines).
Ext4Layout parse_dry_run(std::string_view report);

// Writes zeros over each backup block of `layout` on `device`, whole blocks
// only, and flushes them. Returns 0 or an errno value.
int zero_backup_blocks(const char* device, const Ext4Layout& layout);

}  // namespace cvfs::mkfs
