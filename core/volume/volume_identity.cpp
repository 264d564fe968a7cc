// Matching a header's cvfs token against the volume's configuration.
#include "volume/volume_identity.h"

#include "base/error.h"

namespace cvfs {

std::optional<std::string> token_mismatch(const VolumeConfig& volume, const CvfsToken& token) {
    if (token.volume == volume.name && token.provider == volume.key_provider.name) return std::nullopt;
    if (token.volume == volume.name)
        return "it was made with key provider '" + token.provider + "' and its volume file now names '" +
               volume.key_provider.name + "'; `cvfs enroll " + volume.name +
               " --recovery-key-file FILE` moves it to the new provider";
    return "its cvfs token names volume '" + token.volume + "' with key provider " + token.provider +
           ", not volume '" + volume.name + "' with key provider " + volume.key_provider.name;
}

void require_token_of(const VolumeConfig& volume, const CvfsToken& token, const std::string& device) {
    auto mismatch = token_mismatch(volume, token);
    if (!mismatch) return;
    // This volume, its provider changed in the file: not a swapped header.
    if (token.volume == volume.name)
        throw Error(ErrorKind::State,
                    "volume '" + volume.name + "' was made with key provider '" + token.provider +
                        "', but " + volume.file + " now names '" + volume.key_provider.name + "'",
                    "to move it to '" + volume.key_provider.name + "', run `cvfs enroll " + volume.name +
                        " --recovery-key-file FILE` with a recovery key added while '" + token.provider +
                        "' still worked; or put [encrypt." + token.provider + "] back");
    throw Error(ErrorKind::Header,
                "volume '" + volume.name + "': " + device + " holds another cvfs volume: " + *mismatch,
                "the header (and data) on the device may have been swapped for another volume's; check `dev` "
                "and [encrypt] in " + volume.file + ", and what was written to " + device);
}

}  // namespace cvfs
