// LUKS2 volumes through libcryptsetup: making the header, and checking one
// before it is trusted with a key.
//
// The engine formats a new volume with FormattedVolume (the volume key stays
// in memory, so the fresh volume opens without a second KDF run) and opens an
// existing one with CheckedHeader: the header is copied into process memory,
// the copy is checked against the allow-list (header_policy.h), and the copy,
// never the disk, is used from then on. A header the host rewrites after the
// check is therefore never used.
#pragma once

#include "base/secure_buffer.h"
#include "config/volume_config.h"
#include "luks/crypt_handle.h"
#include "luks/cvfs_token.h"
#include "luks/mapping.h"  // find_mapping, deactivate, wipe_integrity: part of this API

#include <cstdint>
#include <optional>
#include <string>

namespace cvfs {

// How keyslot 0 protects the volume key.
enum class KdfChoice {
    MachineSecret,    // a 256-bit random secret: PBKDF2-SHA256, 1000 iterations
    HumanPassphrase,  // typed by a person: argon2id, benchmarked
};

// A LUKS2 header just written, with the volume key still in memory.
class FormattedVolume {
public:
    // Writes a LUKS2 header to `device` (a block device, or a plain file) for
    // `params`: cipher, key size, sector size, integrity. The data area is not
    // wiped. The header carries keyslot 0 for `secret`, label = token.volume,
    // subsystem = "cvfs" and `token` naming keyslot 0 from its first write:
    // it is made whole in memory and then written to the device in one step,
    // so the device never holds a cvfs header without its keyslot and token.
    // Throws Device when the device cannot take the header, Config when the
    // parameters are not usable.
    static FormattedVolume format(const std::string& device, const LuksParams& params, KdfChoice kdf,
                                  const SecureBuffer& secret, const CvfsToken& token);

    // Maps the volume as /dev/mapper/<name> with the in-memory key (no KDF run).
    // `flags` are CRYPT_ACTIVATE_* flags.
    void activate(const std::string& name, uint32_t flags);
    std::string uuid() const;
    // The volume key the header was made for (made by format from the
    // kernel's random source, in locked memory): what the rollback record's
    // MAC key is derived from at init, without a second KDF run.
    const SecureBuffer& volume_key() const { return volume_key_; }

    FormattedVolume(FormattedVolume&& other) noexcept;
    FormattedVolume& operator=(FormattedVolume&&) = delete;
    ~FormattedVolume();

private:
    FormattedVolume(int header_fd, CryptHandle handle, std::string device);
    int header_fd_ = -1;  // the memfd the header was made in; the handle reads it
    CryptHandle handle_;
    std::string device_;
    SecureBuffer volume_key_;
};

// A device's LUKS2 header, copied into memory and checked against the allow-list.
class CheckedHeader {
public:
    // Throws Header with the exact reason (and a tampering hint) when the
    // device has no LUKS2 header or the header fails the allow-list for `expected`.
    static CheckedHeader load(const std::string& device, const LuksParams& expected);

    CheckedHeader(CheckedHeader&&) noexcept;
    CheckedHeader& operator=(CheckedHeader&&) noexcept;
    ~CheckedHeader();

    // The cvfs token, if the header has one.
    std::optional<CvfsToken> token() const;
    std::string uuid() const;
    // The keyslot the cvfs token names, or 0.
    int keyslot() const;

    // Does `secret` open keyslot() of the copy? Runs the KDF; maps nothing.
    bool verify_key(const SecureBuffer& secret) const;
    // Maps the data device as /dev/mapper/<name> using the copy; the KDF runs once.
    // Throws Key when the secret does not open keyslot().
    void activate(const std::string& name, const SecureBuffer& secret, uint32_t flags) const;

    // The volume key that `secret` opens from keyslot() (crypt_volume_key_get;
    // the KDF runs once), in locked memory. Throws Key when the secret does not
    // open it. With activate_by_volume_key the open still runs the KDF once.
    SecureBuffer volume_key(const SecureBuffer& secret) const;
    // Maps the data device as /dev/mapper/<name> with a key from volume_key() (no KDF run).
    void activate_by_volume_key(const std::string& name, const SecureBuffer& volume_key, uint32_t flags) const;

private:
    CheckedHeader(int copy_fd, CryptHandle handle, std::string device);
    int copy_fd_ = -1;  // the memfd holding the checked copy
    CryptHandle handle_;
    std::string device_;
    std::optional<CvfsToken> token_;
    int keyslot_ = 0;
};

// Writes `token` into the header on `device`, replacing the cvfs token (and
// keeping the keyslot it names), e.g. to move it to TokenState::Ready.
void write_token(const std::string& device, const CvfsToken& token);

// Does `device` start with a LUKS header, or hold a LUKS2 secondary header
// where one can be? Nothing is validated: a damaged header still counts, so
// it is never mistaken for an empty device, nor is one that cannot be read
// (that throws Device).
bool has_luks_header(const std::string& device);

}  // namespace cvfs
