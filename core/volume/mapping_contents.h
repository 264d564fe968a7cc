// What an unlocked mapping holds, looked at before cvfs formats over it.
//
// An init that was interrupted is finished only over a mapping that holds
// nothing: a header's token state is unauthenticated, so "initializing" alone
// never authorises a reformat. libblkid decides for a readable mapping. A
// dm-integrity mapping whose start reads as an I/O error was either never
// written with this key (an init stopped before its wipe) or damaged; it
// counts as empty only when none of a spread of sectors (every place where
// ext4 keeps a backup superblock and 64 points across the device) reads back.
// One whose start reads but where libblkid meets unreadable sectors was
// wiped in part (an interrupted wipe writes zeros): it counts as empty only
// when every one of those sectors that reads back holds zeros.
#pragma once

#include <optional>
#include <string>

namespace cvfs {

// A description of the data on `mapped` ("libblkid finds ext4 filesystem"),
// or nothing when it holds none. Throws Device when it cannot be opened.
std::optional<std::string> data_on_mapping(const std::string& mapped);

// Is there an ext4 filesystem on `mapped` that has never been mounted (what
// mkfs.ext4 leaves: no mount time, mount count 0)?
bool holds_unmounted_ext4(const std::string& mapped);

}  // namespace cvfs
