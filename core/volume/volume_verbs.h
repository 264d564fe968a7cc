// What the operator's verbs return: `cvfs status` (VolumeDetails) and the
// recovery-key list. The engine methods that make them are declared in
// engine.h and live in volume_status.cpp, volume_header.cpp and
// volume_keyslots.cpp.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "luks/header_inspect.h"

namespace cvfs {


// Everything `cvfs status VOL` shows about one volume.
struct VolumeDetails {
    std::string header_path;               // where the header was read, "" when absent
    std::optional<HeaderSummary> header;   // absent: no readable LUKS2 header
    std::string header_error;              // why it could not be read, or ""
    std::string allow_list;                // "" when the header passes it, else the reason
    std::string token_provider;            // the cvfs token's provider, or ""
    std::string token_volume;              // the cvfs token's volume, or ""
    std::string token_state;               // "ready", "initializing", or ""
    std::string mapper;                    // /dev/mapper/NAME when mapped, else ""
};

}  // namespace cvfs
