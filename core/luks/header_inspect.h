// What a LUKS2 header holds, for `cvfs status` and the keyslot verbs: its
// parameters, each keyslot and token with what it is for, and the few
// header operations that need no key (backup, restore, destroying keyslots).
//
// Keyslot purposes: the keyslot the cvfs token names holds the provider's
// key; a keyslot that another token names belongs to that token's tool
// (systemd-cryptenroll, clevis: "foreign"); a keyslot no token names is a
// passphrase, which for a cvfs volume is a recovery key. Every call takes the
// CryptLock. Nothing here is trusted for security decisions: the header is
// unauthenticated, and the callers check it against the allow-list first.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cvfs {

enum class KeyslotPurpose { ProviderKey, RecoveryKey, Foreign };

// "provider key", "recovery key", "foreign".
const char* to_string(KeyslotPurpose purpose);

struct KeyslotInfo {
    int id = -1;
    KeyslotPurpose purpose = KeyslotPurpose::RecoveryKey;
    std::string kdf;         // "pbkdf2", "argon2id", ...
    std::string token_type;  // the type of the token naming it, or ""
    int token_id = -1;
};

struct TokenInfo {
    int id = -1;
    std::string type;           // "cvfs", "systemd-tpm2", "clevis", ...
    std::vector<int> keyslots;  // the keyslots it names
};

struct HeaderSummary {
    std::string uuid;
    std::string label;
    std::string cipher;         // "aes-xts-plain64"
    uint32_t key_bits = 0;      // volume key, including an integrity key
    uint32_t sector_size = 0;
    std::string integrity;      // "" (none), "hmac(sha256)", "aead"
    uint64_t data_offset = 0;   // bytes
    std::vector<KeyslotInfo> keyslots;
    std::vector<TokenInfo> tokens;

    // The keyslots with `purpose`.
    std::vector<int> keyslots_for(KeyslotPurpose purpose) const;
};

// Reads the LUKS2 header on `device` (a block device or a header file).
// Throws Header when there is none or it cannot be read.
HeaderSummary read_header_summary(const std::string& device);

// crypt_header_backup of the LUKS2 header on `device` into a new file
// `file` (mode 0600; an existing file is refused). Throws Device or System.
void backup_header(const std::string& device, const std::string& file);

// crypt_header_restore of `file` onto `device`, after checking the device's
// header still has `expected_uuid` (empty: the device has no readable header).
void restore_header(const std::string& device, const std::string& file, const std::string& expected_uuid);

// Destroys keyslot `keyslot` of the header on `device` (its key material is
// overwritten), after checking the header is still the one with `expected_uuid`.
void destroy_keyslot(const std::string& device, const std::string& expected_uuid, int keyslot);

// Destroys every keyslot and removes every token of the header on `device`:
// the volume key, and so the data, can no longer be recovered. Returns how
// many keyslots were destroyed.
int destroy_all_keyslots(const std::string& device, const std::string& expected_uuid);

}  // namespace cvfs
