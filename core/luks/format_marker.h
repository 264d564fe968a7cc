// The mark a cvfs init leaves in a LUKS2 header from its very first write.
//
// crypt_format itself writes the label (the volume's name) and the subsystem
// "cvfs"; the keyslot and the cvfs token follow in later writes. A header
// that carries the mark but no cvfs token is therefore an init of this volume
// that was stopped during its first steps, never a foreign volume. Like the
// token, the mark is unauthenticated: it only tells cvfs which of its own
// recovery paths applies, and the data checks before any reformat still run.
#pragma once

#include <optional>
#include <string>

namespace cvfs {

inline constexpr const char* kCvfsSubsystem = "cvfs";

struct FormatMarker {
    std::string label;       // the LUKS2 label: the volume name at init
    std::string subsystem;   // "cvfs" for every header cvfs writes
    int keyslots = 0;        // keyslots in use (0 when killed before the first)
    bool has_cvfs_token = false;

    // Was this header begun by an init of `volume`?
    bool made_for(const std::string& volume) const { return subsystem == kCvfsSubsystem && label == volume; }
};

// Reads the mark of the LUKS2 header on `device` without the allow-list
// (nothing here is used to open anything). Nothing when libcryptsetup cannot
// load the header at all.
std::optional<FormatMarker> read_format_marker(const std::string& device);

}  // namespace cvfs
