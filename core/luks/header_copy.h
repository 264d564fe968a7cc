// Raw header bytes: copying a LUKS2 header into sealed memory, and spotting a
// LUKS magic without trusting anything else in the header.
#pragma once

#include <cstdint>
#include <string>

namespace cvfs {

// Copies the LUKS2 header of `device` into a new memfd, sealed against any
// later change: both metadata copies byte for byte, and of the keyslots area
// the keyslot areas named by the header libcryptsetup loaded and validated.
// No JSON read from the disk is parsed here. Returns the descriptor; the
// caller closes it. Throws Header when the device has no valid LUKS2 header,
// Device on I/O errors.
int copy_header_to_memfd(const std::string& device);

// "/proc/self/fd/<fd>": a path libcryptsetup can open.
std::string fd_path(int fd);

// LUKS magic at byte 0, or a LUKS2 secondary header at one of its possible
// offsets. Throws cvfs::Error (Device) when the device cannot be opened or read.
bool has_luks_magic(const std::string& device);

}  // namespace cvfs
