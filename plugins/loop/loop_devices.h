// The kernel side of the "loop" backend: find, attach and clear loop devices
// with the loop ioctls (never the losetup command).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "cvfs/plugin.hpp"

namespace cvfs_loop {

// Identifies a backing file the way the kernel reports it.
struct BackingFile {
    uint64_t device = 0;  // st_dev of the file
    uint64_t inode = 0;   // st_ino of the file
};

// The node (/dev/loopN) of a loop device attached to the file, or "".
std::string find_attached(const BackingFile& file);

// The file `node` is attached to, or nothing when it is free.
std::optional<BackingFile> backing_of(const std::string& node);

// Attaches the open file `file_fd` (at `path`) to a free loop device and
// returns its node. Retries when another process takes the same free device.
std::string attach_free_loop(const cvfs::sdk::Call& call, int file_fd, const std::string& path);

// Detaches the loop device `node`; a free device is left as it is.
void clear(const std::string& node);

}  // namespace cvfs_loop
