// The mark a cvfs init leaves in a LUKS2 header: label and subsystem.
//
// init writes the label (the volume's name) and the subsystem "cvfs" in the
// same step as keyslot 0 and the cvfs token (FormattedVolume::format). A
// header that carries the mark but no keyslot or no cvfs token was therefore
// changed after cvfs wrote it (or is damaged), never an init in progress; the
// mark only lets cvfs say so instead of calling the volume foreign. Like the
// token, it is unauthenticated and authorises nothing.
#pragma once

#include <optional>
#include <string>

namespace cvfs {

inline constexpr const char* kCvfsSubsystem = "cvfs";

struct FormatMarker {
    std::string label;       // the LUKS2 label: the volume name at init
    std::string subsystem;   // "cvfs" for every header cvfs writes
    int keyslots = 0;        // keyslots in use
    bool has_cvfs_token = false;

    // Does this header carry the mark of an init of `volume`?
    bool made_for(const std::string& volume) const { return subsystem == kCvfsSubsystem && label == volume; }
};

// Reads the mark of the LUKS2 header on `device` without the allow-list
// (nothing here is used to open anything). Nothing when libcryptsetup cannot
// load the header at all.
std::optional<FormatMarker> read_format_marker(const std::string& device);

}  // namespace cvfs
