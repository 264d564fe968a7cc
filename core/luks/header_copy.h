// Raw header bytes: copying a LUKS2 header into sealed memory, and spotting a
// LUKS magic without trusting anything else in the header.
#pragma once

#include <cstdint>
#include <string>

namespace cvfs {

// Copies the first `length` bytes of `device` (both metadata copies and the
// keyslots area) into a new memfd, sealed against any later change. Returns
// the descriptor; the caller closes it. Throws Device on I/O errors.
int copy_header_to_memfd(const std::string& device, uint64_t length);

// "/proc/self/fd/<fd>": a path libcryptsetup can open.
std::string fd_path(int fd);

// LUKS magic at byte 0, or a LUKS2 secondary header at one of its possible offsets.
bool has_luks_magic(const std::string& device);

}  // namespace cvfs
