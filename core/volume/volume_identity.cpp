// Matching a header's cvfs token against the volume's configuration.
#include "volume/volume_identity.h"

#include "base/error.h"

namespace cvfs {

std::optional<std::string> token_mismatch(const VolumeConfig& volume, const CvfsToken& token) {
    if (token.volume == volume.name && token.provider == volume.key_provider.name) return std::nullopt;
    return "its cvfs token names volume '" + token.volume + "' with key provider " + token.provider +
           ", not volume '" + volume.name + "' with key provider " + volume.key_provider.name;
}

void require_token_of(const VolumeConfig& volume, const CvfsToken& token, const std::string& device) {
    auto mismatch = token_mismatch(volume, token);
    if (!mismatch) return;
    throw Error(ErrorKind::Header,
                "volume '" + volume.name + "': " + device + " holds another cvfs volume: " + *mismatch,
                "the header (and data) on the device may have been swapped for another volume's; check `dev` "
                "and [encrypt] in " + volume.file + ", and what was written to " + device);
}

}  // namespace cvfs
