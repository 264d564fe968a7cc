// rotate_keyslot (see keyslot_rotation.h) on libcryptsetup.
#include "luks/keyslot_rotation.h"

#include <libcryptsetup.h>

#include <cerrno>

#include "luks/crypt_handle.h"
#include "luks/header_policy.h"
#include "luks/keyslot_parts.h"
#include "luks/takeover_header.h"

namespace cvfs {

namespace {

const char* text(const SecureBuffer& secret) { return reinterpret_cast<const char*>(secret.data()); }

// The keyslot `secret` opens (its KDF runs; nothing is mapped). Throws Key when none.
int unlocked_keyslot(const CryptHandle& handle, const std::string& device, const SecureBuffer& secret) {
    int rc = crypt_activate_by_passphrase(handle.get(), nullptr, CRYPT_ANY_SLOT, text(secret), secret.size(), 0);
    if (rc == -EPERM) {
        handle.take_errors();
        throw Error(ErrorKind::Key, "the key given for " + device + " opens none of its keyslots",
                    "give the passphrase of a keyslot of this volume (--recovery-key-file), or check the provider");
    }
    return handle.check(rc, ErrorKind::Key, "cannot check the key against " + device);
}

int add_slot(const CryptHandle& handle, const std::string& device, const SecureBuffer& unlock_secret,
             const SecureBuffer& new_secret, KdfChoice kdf) {
    crypt_pbkdf_type pbkdf = pbkdf_for(kdf);
    handle.check(crypt_set_pbkdf_type(handle.get(), &pbkdf), ErrorKind::System, "cannot set the KDF for " + device);
    return handle.check(crypt_keyslot_add_by_passphrase(handle.get(), CRYPT_ANY_SLOT, text(unlock_secret),
                                                        unlock_secret.size(), text(new_secret), new_secret.size()),
                        ErrorKind::Device, "cannot add a keyslot for the new key to " + device);
}

}  // namespace

int add_keyslot(const std::string& device, const std::string& expected_uuid, const SecureBuffer& unlock_secret,
                const SecureBuffer& new_secret, KdfChoice kdf) {
    if (unlock_secret.empty() || new_secret.empty())
        throw Error(ErrorKind::Key, "an empty key cannot be added to " + device);
    CryptLock lock;
    CryptHandle handle = open_same_header(device, expected_uuid);
    unlocked_keyslot(handle, device, unlock_secret);
    return add_slot(handle, device, unlock_secret, new_secret, kdf);
}

KeyslotRotation rotate_keyslot(const std::string& device, const LuksParams& expected,
                               const std::string& expected_uuid, const SecureBuffer& unlock_secret,
                               const SecureBuffer& new_secret, KdfChoice kdf, const CvfsToken& token,
                               bool keep_old) {
    if (unlock_secret.empty())
        throw Error(ErrorKind::Key, "an empty key cannot be used to reseal " + device);
    TakeoverHeader copy = TakeoverHeader::load(device, expected);
    if (copy.uuid() != expected_uuid)
        throw Error(ErrorKind::Header, "the LUKS2 header of " + device + " changed while cvfs worked on it",
                    "check who else writes to " + device + ", then run the command again");
    int unlocked = -1;
    SecureBuffer volume_key;
    try {
        volume_key = copy.unlock(unlock_secret, unlocked);
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::Key) throw;
        throw Error(ErrorKind::Key, "the key given for " + device + " opens none of its keyslots",
                    "give the passphrase of a keyslot of this volume (--recovery-key-file), or check the provider");
    }
    return rotate_keyslot(copy, volume_key, unlocked, new_secret, kdf, token, keep_old);
}

KeyslotRotation rotate_keyslot(TakeoverHeader& copy, const SecureBuffer& volume_key, int unlocked_keyslot,
                               const SecureBuffer& new_secret, KdfChoice kdf, const CvfsToken& token, bool keep_old) {
    const std::string& device = copy.device();
    if (new_secret.empty()) throw Error(ErrorKind::Key, "an empty key cannot be used to reseal " + device);
    if (!copy.token()) throw Error(ErrorKind::Header, device + " has no cvfs token");
    // Every keyslot the token names is the provider's: the current one first,
    // then any an interrupted reseal left to remove. All of them go.
    std::vector<int> old_keyslots = copy.token_keyslots();
    if (old_keyslots.empty()) old_keyslots = {0};
    KeyslotRotation rotation;
    rotation.old_keyslot = old_keyslots.front();
    rotation.unlocked_keyslot = unlocked_keyslot;
    // The new keyslot and the token that names it are made in the checked
    // copy and reach the device in one header write.
    rotation.new_keyslot = copy.enrol(volume_key, new_secret, kdf, token, keep_old ? std::vector<int>{} : old_keyslots);
    if (keep_old) return rotation;

    CryptLock lock;
    CryptHandle handle = open_same_header(device, copy.uuid());
    crypt_device* cd = handle.get();
    for (int old : old_keyslots) {
        if (old == rotation.new_keyslot || crypt_keyslot_status(cd, old) == CRYPT_SLOT_INACTIVE) continue;
        handle.check(crypt_keyslot_destroy(cd, old), ErrorKind::Device,
                     "cannot remove the old keyslot " + std::to_string(old) + " of " + device,
                     "the new key is in place; run reseal again to remove the old keyslot");
    }
    // Destroying a keyslot takes it out of the token's list too; a list that
    // still names more than the new keyslot is written once more.
    const int token_id = find_cvfs_token(cd);
    const char* json = nullptr;
    handle.check(crypt_token_json_get(cd, token_id, &json), ErrorKind::Header, "cannot read the cvfs token of " + device);
    if (token_keyslots(json ? json : "") != std::vector<int>{rotation.new_keyslot})
        handle.check(crypt_token_json_set(cd, token_id, token.to_json(rotation.new_keyslot).c_str()),
                     ErrorKind::Device, "cannot write the cvfs token of " + device,
                     "the new key is in place; run reseal again to tidy the token");
    return rotation;
}

}  // namespace cvfs
