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

// Could a LUKS2 header on `device` name a subsystem starting with `prefix`?
// Looks at the subsystem field of the primary binary header and of a
// secondary one at each of its possible offsets, unchecked: false only when
// none of them starts with `prefix` (then no copy libcryptsetup could load
// names it), true also when the device cannot be read. A cheap "no" before
// a full load (read_format_marker).
bool may_name_subsystem(const std::string& device, const std::string& prefix);

}  // namespace cvfs
