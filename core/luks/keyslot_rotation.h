// Swapping a volume's machine keyslot for a new one, in place: what
// `cvfs reseal` does after the key provider sealed a new secret (a TPM after
// an intended PCR change, a new KMS key), without reformatting the volume.
//
// The steps are ordered so that an interruption never locks the volume out:
// the new keyslot is added first (proven by a secret that opens any current
// keyslot), then the cvfs token is rewritten to name it first, followed by
// the old keyslots, and carry the provider's new values, and only then are
// the old keyslots destroyed (which takes them out of the token's list). A
// crash after the first step leaves an extra keyslot no token names; after
// the second, the token still names the old keyslot, so it is never taken
// for a recovery key, and the next reseal destroys it. Other keyslots
// (recovery passphrases) are never touched.
#pragma once

#include <string>

#include "base/secure_buffer.h"
#include "luks/cvfs_token.h"
#include "luks/luks_volume.h"

namespace cvfs {

struct KeyslotRotation {
    int old_keyslot = -1;     // the keyslot the token named first, now destroyed
    int new_keyslot = -1;     // the keyslot of the new secret, named by the token
    int unlocked_keyslot = -1;  // the keyslot `unlock_secret` opened
};

// On `device` (whose header must still have UUID `expected_uuid`, i.e. be the
// header the caller checked): adds a keyslot for `new_secret` protected as
// `kdf` says, writes `token` naming it, and destroys the keyslot the old
// cvfs token named. `unlock_secret` must open some current keyslot.
// Throws Key when it opens none, Header when the header changed or has no
// cvfs token, Device when the header cannot be written.
KeyslotRotation rotate_keyslot(const std::string& device, const std::string& expected_uuid,
                               const SecureBuffer& unlock_secret, const SecureBuffer& new_secret, KdfChoice kdf,
                               const CvfsToken& token);

// Adds a keyslot for `new_secret` (a recovery passphrase), proven by
// `unlock_secret`, which must open a current keyslot; the cvfs token and the
// other keyslots stay as they are. Returns the new keyslot. Throws as
// rotate_keyslot does.
int add_keyslot(const std::string& device, const std::string& expected_uuid, const SecureBuffer& unlock_secret,
                const SecureBuffer& new_secret, KdfChoice kdf);

}  // namespace cvfs
