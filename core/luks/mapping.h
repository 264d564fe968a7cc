// Active dm-crypt mappings of LUKS2 volumes: finding, closing, wiping.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace cvfs {

// Progress of a long operation; return false to stop it.
using ProgressFn = std::function<bool(uint64_t done, uint64_t total)>;

// An active mapping /dev/mapper/<name>.
struct Mapping {
    std::string uuid;     // the LUKS UUID, from the dm UUID CRYPT-LUKS2-<uuid>-<name>
    dev_t underlying = 0; // the block device under it (under the _dif device with integrity)
    std::string type;     // "LUKS2", or what libcryptsetup reports
};

// The mapping called `name`, or nullopt when there is none. Throws System
// when device-mapper cannot be asked, State (naming the mapping and how to
// remove it) when it is half made (see remove_half_made_mapping).
std::optional<Mapping> find_mapping(const std::string& name);

// Removes what an activation that died half way left of the mapping `name`:
// a device-mapper device without an active table (an inactive one only), or
// without its /dev/mapper node, and an integrity device <name>_dif without
// the mapping above it; each only when its dm UUID names the LUKS2 header on
// `node` (the volume's own device). Returns whether it removed anything;
// false also when `name` is a whole mapping (the caller checks whose it is).
// Throws State when such a device was made for another header, Busy when it
// is in use.
bool remove_half_made_mapping(const std::string& name, const std::string& node);

// Removes the mapping (and its integrity device). Throws Busy when it is in use.
void deactivate(const std::string& name);

// Writes zeros over the whole mapped device `name` (an activated integrity
// volume), so every sector gets a valid tag; `progress` hears after each MiB.
// Throws Refused when `progress` returns false (within a MiB's write).
void wipe_integrity(const std::string& name, const ProgressFn& progress);

// Writes zeros over [offset, offset + length) of the device `path` with
// O_DIRECT writes of 1 MiB, calling `progress` (may be empty) with
// (total_done + written, total) after each; returns false as soon as it says
// stop. Holds no CryptLock. Throws Device on a write error. Not inlined, so a
// debugger can stop at it (the VM fault tests do).
[[gnu::noinline]] bool zero_fill(const std::string& path, uint64_t offset, uint64_t length, uint64_t total_done,
                                 uint64_t total, const ProgressFn& progress);

// How much of each end zero_integrity_ends writes: what libblkid, udev and
// the mkfs tools read on a device they have not written (signatures sit in
// the first 1 MiB and the last 1 MiB; 8 MiB leaves a wide margin).
inline constexpr uint64_t kIntegrityEndBytes = 8ull << 20;

// Writes zeros over the first and last kIntegrityEndBytes of the mapped
// device `name` (all of it when smaller): enough for a fresh temporary
// volume, whose filesystem then only reads sectors it wrote. Its cost does
// not depend on the device's size.
void zero_integrity_ends(const std::string& name);

}  // namespace cvfs
