// Pieces of libcryptsetup work shared by the files of core/luks (formatting,
// activation, keyslot rotation); not part of the module's API.
#pragma once

#include <libcryptsetup.h>

#include "luks/luks_volume.h"

namespace cvfs {

// The KDF of a new keyslot: PBKDF2 at the minimal cost for machine secrets,
// argon2id with libcryptsetup's defaults for human passphrases.
crypt_pbkdf_type pbkdf_for(KdfChoice kdf);

// The id of the header's cvfs token, or CRYPT_ANY_TOKEN when it has none.
int find_cvfs_token(crypt_device* cd);

// The header on `device`, loaded, after checking it is still the one with
// `expected_uuid` (throws Header when someone rewrote it meanwhile).
CryptHandle open_same_header(const std::string& device, const std::string& expected_uuid);

}  // namespace cvfs
