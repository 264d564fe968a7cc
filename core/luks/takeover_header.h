// A writable, checked copy of another tool's LUKS2 header: what `cvfs adopt`
// unlocks with the volume's old secret and adds the cvfs keyslot and token
// to, and what opens a cryptpilot volume as it is.
//
// The copy is made in a memfd and checked against the allow-list for the
// configuration before anything in it is used; the device's header is never
// used directly. The new keyslot and the cvfs token that names it go to the
// device together: first the new keyslot's area (unused on the device until
// then), then the whole header in one write (crypt_header_restore). An
// interruption leaves the old header, or the new one with a keyslot area that
// was already in place, so the volume opens with the old secret or the new key.
#pragma once

#include "base/secure_buffer.h"
#include "config/volume_config.h"
#include "luks/crypt_handle.h"
#include "luks/cvfs_token.h"
#include "luks/luks_volume.h"

#include <optional>
#include <string>
#include <vector>

namespace cvfs {

class TakeoverHeader {
public:
    // Copies and checks the header of `device` for `expected` (throws as CheckedHeader::load does).
    static TakeoverHeader load(const std::string& device, const LuksParams& expected);

    TakeoverHeader(TakeoverHeader&&) noexcept;
    TakeoverHeader& operator=(TakeoverHeader&&) = delete;
    ~TakeoverHeader();

    const std::string& device() const { return device_; }
    std::string uuid() const;
    std::string subsystem() const;
    std::optional<CvfsToken> token() const;
    int token_keyslot() const;  // the keyslot the cvfs token names first, or -1
    std::vector<int> token_keyslots() const;  // every keyslot it names, the first first

    // The volume key `secret` opens from any keyslot (the KDF runs); sets
    // `keyslot` to the one it opened. Throws Key when it opens none.
    SecureBuffer unlock(const SecureBuffer& secret, int& keyslot) const;
    // Maps the data device as /dev/mapper/<name> with `volume_key`.
    void activate(const std::string& name, const SecureBuffer& volume_key, uint32_t flags) const;

    // Adds a keyslot for `new_secret` (protected as `kdf` says) and `token`
    // naming it, then the keyslots in `retiring` (old ones the caller removes
    // next), in place of the header's cvfs token if it has one, and writes
    // both to the device (see above). Returns the keyslot.
    int enrol(const SecureBuffer& volume_key, const SecureBuffer& new_secret, KdfChoice kdf, CvfsToken token,
              const std::vector<int>& retiring = {});

private:
    TakeoverHeader(int fd, CryptHandle handle, std::string device);
    int fd_ = -1;
    CryptHandle handle_;
    std::string device_;
};

// Does `secret` open keyslot `keyslot` of the header on `device`? Runs its KDF.
bool keyslot_opens(const std::string& device, int keyslot, const SecureBuffer& secret);

// Destroys every keyslot of `device` (whose header must still have
// `expected_uuid`) that `secret` opens, except `keep`. Returns those destroyed.
std::vector<int> destroy_keyslots_of(const std::string& device, const std::string& expected_uuid,
                                     const SecureBuffer& secret, int keep);

}  // namespace cvfs
