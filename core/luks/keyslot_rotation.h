// Swapping a volume's machine keyslot for a new one, in place: what
// `cvfs reseal` does after the key provider sealed a new secret (a TPM after
// an intended PCR change, a new KMS key), without reformatting the volume.
//
// The steps are ordered so that an interruption never locks the volume out
// and never leaves a key nobody accounts for: in a checked copy of the header
// the new keyslot is added (proven by a secret that opens any current
// keyslot) and the cvfs token is rewritten to name it first, the old
// keyslots after it, with the provider's new values; the new keyslot's area
// (unused on the device) and then the whole header go to the device in one
// write (TakeoverHeader::enrol). Only then are the old keyslots destroyed,
// which takes them out of the token's list. Killed before the header write,
// the device is as it was; after it, the token still names the old keyslots,
// so they are never taken for recovery keys and the next reseal removes
// them. Other keyslots (recovery passphrases) are never touched.
#pragma once

#include <string>

#include "base/secure_buffer.h"
#include "luks/cvfs_token.h"
#include "luks/luks_volume.h"
#include "luks/takeover_header.h"

namespace cvfs {

struct KeyslotRotation {
    int old_keyslot = -1;     // the keyslot the token named first, now destroyed
    int new_keyslot = -1;     // the keyslot of the new secret, named by the token
    int unlocked_keyslot = -1;  // the keyslot `unlock_secret` opened
};

// On `device` (whose header must pass the allow-list for `expected` and
// still have UUID `expected_uuid`, i.e. be the header the caller checked):
// adds a keyslot for `new_secret` protected as `kdf` says, writes `token`
// naming it, and destroys the keyslots the old cvfs token named.
// With `keep_old` (cvfs enroll), the old keyslots stay and the token names
// only the new one. `unlock_secret` must open some current keyslot. Throws Key when it opens
// none, Header when the header changed or has no cvfs token, Device when the
// header cannot be written.
KeyslotRotation rotate_keyslot(const std::string& device, const LuksParams& expected,
                               const std::string& expected_uuid, const SecureBuffer& unlock_secret,
                               const SecureBuffer& new_secret, KdfChoice kdf, const CvfsToken& token,
                               bool keep_old = false);

// The same on a checked header copy the caller already unlocked (its volume
// key, from `unlocked_keyslot`), so the KDF runs once: the caller proves the
// old key before the provider makes a new one. Writes through to the
// copy's device.
KeyslotRotation rotate_keyslot(TakeoverHeader& copy, const SecureBuffer& volume_key, int unlocked_keyslot,
                               const SecureBuffer& new_secret, KdfChoice kdf, const CvfsToken& token,
                               bool keep_old = false);

// Adds a keyslot for `new_secret` (a recovery passphrase), proven by
// `unlock_secret`, which must open a current keyslot; the cvfs token and the
// other keyslots stay as they are. Returns the new keyslot. Throws as
// rotate_keyslot does.
int add_keyslot(const std::string& device, const std::string& expected_uuid, const SecureBuffer& unlock_secret,
                const SecureBuffer& new_secret, KdfChoice kdf);

}  // namespace cvfs
