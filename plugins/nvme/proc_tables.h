// What /proc tells about block devices in use: mounts (mountinfo), swap
// areas (swaps) and files open in processes (fd links). Read under a
// SystemRoot so that fixtures can stand in for /proc; mountinfo and swaps
// with libmount's parsers, as findmnt and swapon read them.
#pragma once

#include <string>
#include <vector>

#include "block_sysfs.h"

namespace cvfs_nvme {

struct MountEntry {
    std::string major_minor;  // "259:1" of the mounted device
    std::string point;        // where it is mounted, escapes undone
    std::string source;       // "/dev/nvme0n1p1", as mount(8) shows it
};

// The mounts of this process's namespace (proc/self/mountinfo). Throws
// cvfs::sdk::Error when the file cannot be read: "not in use" is never guessed.
std::vector<MountEntry> read_mounts(const SystemRoot& system);

// The paths of active swap areas (proc/swaps); none when the file is missing
// (a kernel without swap).
std::vector<std::string> read_swaps(const SystemRoot& system);

struct OpenBy {
    int pid = 0;
    std::string command;  // proc/<pid>/comm
};

// Processes other than this one with `path` open (proc/<pid>/fd links).
std::vector<OpenBy> processes_with_open(const SystemRoot& system, const std::string& path);

}  // namespace cvfs_nvme
