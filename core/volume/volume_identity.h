// Does a LUKS2 header belong to the configured volume?
//
// The cvfs token names the volume and the key provider it was made for. A
// persistent volume whose token names another volume (its header and data
// swapped in for this one's) or another provider is refused before the
// provider is asked for a key, whatever state the token is in.
#pragma once

#include <optional>
#include <string>

#include "config/volume_config.h"
#include "luks/cvfs_token.h"

namespace cvfs {

// What differs ("its cvfs token names volume 'x' (key provider y)"), or
// nothing when the token is this volume's.
std::optional<std::string> token_mismatch(const VolumeConfig& volume, const CvfsToken& token);

// Throws Header naming the volume, the device, the file and both sides when
// the token is another volume's; State, pointing to `cvfs enroll`, when it is
// this volume's made with another provider than the file now names.
void require_token_of(const VolumeConfig& volume, const CvfsToken& token, const std::string& device);

}  // namespace cvfs
