// FormattedVolume, CheckedHeader and token writing on top of libcryptsetup.
#include "luks/luks_volume.h"
#include "luks/keyslot_parts.h"

#include "base/log.h"
#include "luks/header_copy.h"
#include "luks/header_facts.h"
#include "luks/header_policy.h"

#include <libcryptsetup.h>

#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

namespace cvfs {

namespace {

// LUKS2 label field: 48 bytes including the terminating NUL.
constexpr size_t kMaxLabel = 47;

// Metadata and keyslot areas before the data: libcryptsetup's LUKS2 default
// for a header on the data device itself.
constexpr uint64_t kHeaderAreaBytes = 16ull << 20;

std::pair<std::string, std::string> split_cipher(const std::string& spec) {
    auto dash = spec.find('-');
    if (dash == std::string::npos || dash == 0 || dash + 1 == spec.size())
        throw Error(ErrorKind::Config, "cipher \"" + spec + "\" is not of the form cipher-mode",
                    "write it as cryptsetup does, e.g. aes-xts-plain64");
    return {spec.substr(0, dash), spec.substr(dash + 1)};
}

std::string token_json(const CryptHandle& handle, int id, const std::string& device) {
    CryptLock lock;
    const char* json = nullptr;
    handle.check(crypt_token_json_get(handle.get(), id, &json), ErrorKind::Header,
                 "cannot read token " + std::to_string(id) + " of " + device);
    return json ? json : "";
}

const char* passphrase_of(const SecureBuffer& secret) {
    return reinterpret_cast<const char*>(secret.data());
}

}  // namespace

crypt_pbkdf_type pbkdf_for(KdfChoice kdf) {
    CryptLock lock;
    if (kdf == KdfChoice::MachineSecret)
        return {CRYPT_KDF_PBKDF2, "sha256", 0, kMinPbkdf2Iterations, 0, 0, CRYPT_PBKDF_NO_BENCHMARK};
    crypt_pbkdf_type pbkdf = *crypt_get_pbkdf_default(CRYPT_LUKS2);
    pbkdf.type = CRYPT_KDF_ARGON2ID;
    return pbkdf;
}

int find_cvfs_token(crypt_device* cd) {
    CryptLock lock;
    int max = crypt_token_max(CRYPT_LUKS2);
    for (int id = 0; id < max; ++id) {
        const char* type = nullptr;
        crypt_token_info info = crypt_token_status(cd, id, &type);
        if (info != CRYPT_TOKEN_INACTIVE && info != CRYPT_TOKEN_INVALID && type &&
            std::string(type) == kCvfsTokenType)
            return id;
    }
    return CRYPT_ANY_TOKEN;
}


CryptHandle open_same_header(const std::string& device, const std::string& expected_uuid) {
    CryptHandle handle = CryptHandle::open(device);
    handle.load_luks2(device);
    const char* uuid = crypt_get_uuid(handle.get());
    if (!uuid || expected_uuid != uuid)
        throw Error(ErrorKind::Header, "the LUKS2 header of " + device + " changed while cvfs worked on it",
                    "someone else rewrote the header; check the device and run the command again");
    return handle;
}

namespace {

// A new volume key of `bytes` bytes from getrandom(2), in locked memory.
SecureBuffer random_volume_key(size_t bytes) {
    SecureBuffer key(bytes);
    key.resize(bytes);
    size_t done = 0;
    while (done < bytes) {
        ssize_t got = ::getrandom(key.data() + done, bytes - done, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) throw Error(ErrorKind::System, "getrandom failed: " + std::string(std::strerror(errno)));
        done += static_cast<size_t>(got);
    }
    return key;
}

}  // namespace

FormattedVolume::FormattedVolume(int header_fd, CryptHandle handle, std::string device)
    : header_fd_(header_fd), handle_(std::move(handle)), device_(std::move(device)) {}

FormattedVolume::FormattedVolume(FormattedVolume&& other) noexcept
    : header_fd_(std::exchange(other.header_fd_, -1)),
      handle_(std::move(other.handle_)),
      device_(std::move(other.device_)),
      volume_key_(std::move(other.volume_key_)) {}

FormattedVolume::~FormattedVolume() {
    // The handle goes first: it has the memfd open as its header.
    { CryptHandle drop = std::move(handle_); }
    if (header_fd_ >= 0) ::close(header_fd_);
}

FormattedVolume FormattedVolume::format(const std::string& device, const LuksParams& params, KdfChoice kdf,
                                        const SecureBuffer& secret, const CvfsToken& token) {
    if (secret.empty()) throw Error(ErrorKind::Key, "the key for " + device + " is empty");
    if (token.volume.size() > kMaxLabel)
        throw Error(ErrorKind::Config, "volume name \"" + token.volume + "\" is longer than " +
                                           std::to_string(kMaxLabel) + " characters, the LUKS2 label limit");
    SegmentSpec spec = segment_spec(params);
    auto [cipher, mode] = split_cipher(spec.cipher);
    crypt_pbkdf_type pbkdf = pbkdf_for(kdf);
    crypt_params_luks2 luks2{};
    luks2.pbkdf = &pbkdf;
    luks2.integrity = spec.integrity.empty() ? nullptr : spec.integrity.c_str();
    luks2.sector_size = params.sector_size;
    luks2.label = token.volume.c_str();
    luks2.subsystem = "cvfs";

    // The header is made in a memfd, libcryptsetup's detached header for the
    // device, at the data offset a header on the device itself gets (16 MiB).
    // Only once keyslot 0 and the token are in it is it written to the device,
    // by crypt_header_restore. A header with cvfs's mark but no keyslot or no
    // token is therefore never an init of cvfs's, and init refuses it without
    // --force like any other header (an unauthenticated mark must not be able
    // to authorise a format).
    const int fd = ::memfd_create("cvfs-new-header", MFD_CLOEXEC);
    if (fd < 0) throw Error(ErrorKind::System, "memfd_create failed: " + std::string(std::strerror(errno)));
    if (::ftruncate(fd, static_cast<off_t>(kHeaderAreaBytes)) != 0) {
        ::close(fd);
        throw Error(ErrorKind::System, "cannot size the new LUKS2 header: " + std::string(std::strerror(errno)));
    }
    CryptLock lock;
    std::optional<CryptHandle> made;
    try {
        made.emplace(CryptHandle::open_detached(fd_path(fd), device));
    } catch (...) {
        ::close(fd);
        throw;
    }
    FormattedVolume formatted(fd, std::move(*made), device);
    CryptHandle& handle = formatted.handle_;
    crypt_device* cd = handle.get();
    handle.check(crypt_set_data_offset(cd, kHeaderAreaBytes / 512), ErrorKind::System,
                 "cannot place the data of " + device);
    formatted.volume_key_ = random_volume_key(spec.key_bits / 8);
    handle.check(crypt_format(cd, CRYPT_LUKS2, cipher.c_str(), mode.c_str(), nullptr,
                              reinterpret_cast<const char*>(formatted.volume_key_.data()), spec.key_bits / 8,
                              &luks2),
                 ErrorKind::Device, "cannot write a LUKS2 header (" + spec.cipher + ") to " + device);
    handle.check(crypt_set_pbkdf_type(cd, &pbkdf), ErrorKind::System, "cannot set the KDF for " + device);
    int slot = handle.check(crypt_keyslot_add_by_volume_key(cd, 0, nullptr, 0, passphrase_of(secret), secret.size()),
                            ErrorKind::Device, "cannot add keyslot 0 to " + device);
    handle.check(crypt_token_json_set(cd, CRYPT_ANY_TOKEN, token.to_json(slot).c_str()), ErrorKind::Device,
                 "cannot write the cvfs token to " + device);
    CryptHandle target = CryptHandle::open(device);
    target.check(crypt_header_restore(target.get(), CRYPT_LUKS2, fd_path(fd).c_str()), ErrorKind::Device,
                 "cannot write the LUKS2 header to " + device);
    return formatted;
}

void FormattedVolume::activate(const std::string& name, uint32_t flags) {
    CryptLock lock;
    handle_.check(crypt_activate_by_volume_key(handle_.get(), name.c_str(), nullptr, 0, flags), ErrorKind::Device,
                  "cannot map " + device_ + " as " + name);
}

std::string FormattedVolume::uuid() const {
    CryptLock lock;
    const char* uuid = crypt_get_uuid(handle_.get());
    return uuid ? uuid : "";
}

CheckedHeader::CheckedHeader(int copy_fd, CryptHandle handle, std::string device)
    : copy_fd_(copy_fd), handle_(std::move(handle)), device_(std::move(device)) {}

CheckedHeader::CheckedHeader(CheckedHeader&& other) noexcept
    : copy_fd_(std::exchange(other.copy_fd_, -1)),
      handle_(std::move(other.handle_)),
      device_(std::move(other.device_)),
      token_(std::move(other.token_)),
      keyslot_(other.keyslot_) {}

CheckedHeader& CheckedHeader::operator=(CheckedHeader&& other) noexcept {
    if (this == &other) return *this;
    if (copy_fd_ >= 0) ::close(copy_fd_);
    copy_fd_ = std::exchange(other.copy_fd_, -1);
    handle_ = std::move(other.handle_);
    device_ = std::move(other.device_);
    token_ = std::move(other.token_);
    keyslot_ = other.keyslot_;
    return *this;
}

CheckedHeader::~CheckedHeader() {
    // The handle goes first: it may still have the copy open.
    { CryptHandle drop = std::move(handle_); }
    if (copy_fd_ >= 0) ::close(copy_fd_);
}

CheckedHeader CheckedHeader::load(const std::string& device, const LuksParams& expected) {
    int fd = copy_header_to_memfd(device);
    CryptLock lock;
    CheckedHeader header(fd, CryptHandle::open_detached(fd_path(fd), device), device);
    header.handle_.load_luks2(device + " (in-memory copy)");
    try {
        enforce_header_policy(read_header_facts(header.handle_.get(), device), expected, device);
        int id = find_cvfs_token(header.handle_.get());
        if (id != CRYPT_ANY_TOKEN) {
            std::string json = token_json(header.handle_, id, device);
            header.token_ = CvfsToken::from_json(json);
            auto keyslots = token_keyslots(json);
            if (!keyslots.empty()) header.keyslot_ = keyslots.front();
        }
    } catch (const Error& e) {
        // Every refusal names the device, also where the parsers do not know it.
        if (std::string(e.what()).find(device) != std::string::npos) throw;
        throw Error(e.kind(), device + ": " + e.what(), e.hint());
    }
    return header;
}

std::optional<CvfsToken> CheckedHeader::token() const { return token_; }

std::string CheckedHeader::uuid() const {
    CryptLock lock;
    const char* uuid = crypt_get_uuid(handle_.get());
    return uuid ? uuid : "";
}

int CheckedHeader::keyslot() const { return keyslot_; }

bool CheckedHeader::verify_key(const SecureBuffer& secret) const {
    CryptLock lock;
    int rc = crypt_activate_by_passphrase(handle_.get(), nullptr, keyslot_, passphrase_of(secret), secret.size(), 0);
    if (rc == -EPERM) {
        handle_.take_errors();
        return false;
    }
    handle_.check(rc, ErrorKind::Key, "cannot check the key against keyslot " + std::to_string(keyslot_) + " of " +
                                          device_);
    return true;
}

void CheckedHeader::activate(const std::string& name, const SecureBuffer& secret, uint32_t flags) const {
    CryptLock lock;
    int rc = crypt_activate_by_passphrase(handle_.get(), name.c_str(), keyslot_, passphrase_of(secret),
                                          secret.size(), flags);
    if (rc == -EPERM)
        throw Error(ErrorKind::Key,
                    "the key does not open keyslot " + std::to_string(keyslot_) + " of " + device_,
                    "the key provider returned a different key than the one the volume was made with");
    handle_.check(rc, ErrorKind::Device, "cannot map " + device_ + " as " + name);
}

SecureBuffer CheckedHeader::volume_key(const SecureBuffer& secret) const {
    CryptLock lock;
    int size = crypt_get_volume_key_size(handle_.get());
    if (size <= 0) throw Error(ErrorKind::Header, device_ + ": the header names no volume key size");
    SecureBuffer key(static_cast<size_t>(size));
    size_t length = key.capacity();
    int rc = crypt_volume_key_get(handle_.get(), keyslot_, reinterpret_cast<char*>(key.data()), &length,
                                  passphrase_of(secret), secret.size());
    if (rc == -EPERM)
        throw Error(ErrorKind::Key,
                    "the key does not open keyslot " + std::to_string(keyslot_) + " of " + device_,
                    "the key provider returned a different key than the one the volume was made with");
    handle_.check(rc, ErrorKind::Device, "cannot unlock keyslot " + std::to_string(keyslot_) + " of " + device_);
    key.resize(length);
    return key;
}

void CheckedHeader::activate_by_volume_key(const std::string& name, const SecureBuffer& volume_key,
                                           uint32_t flags) const {
    CryptLock lock;
    handle_.check(crypt_activate_by_volume_key(handle_.get(), name.c_str(), reinterpret_cast<const char*>(volume_key.data()),
                                               volume_key.size(), flags),
                  ErrorKind::Device, "cannot map " + device_ + " as " + name);
}

void write_token(const std::string& device, const CvfsToken& token) {
    CryptLock lock;
    CryptHandle handle = CryptHandle::open(device);
    handle.load_luks2(device);
    int id = find_cvfs_token(handle.get());
    // Every keyslot the token names stays named: an old one a reseal has yet to
    // remove must not turn into a keyslot nobody accounts for.
    std::vector<int> keyslots{0};
    if (id != CRYPT_ANY_TOKEN) {
        keyslots = token_keyslots(token_json(handle, id, device));
        if (keyslots.empty()) keyslots = {0};
    }
    handle.check(crypt_token_json_set(handle.get(), id, token.to_json(keyslots).c_str()), ErrorKind::Device,
                 "cannot write the cvfs token to " + device);
}

bool has_luks_header(const std::string& device) { return has_luks_magic(device); }

}  // namespace cvfs
