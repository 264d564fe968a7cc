// TakeoverHeader (see takeover_header.h) on libcryptsetup.
#include "luks/takeover_header.h"

#include "luks/header_copy.h"
#include "luks/header_facts.h"
#include "luks/header_policy.h"
#include "luks/keyslot_parts.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libcryptsetup.h>

#include <cerrno>
#include <utility>
#include <vector>

namespace cvfs {

namespace {

const char* text(const SecureBuffer& secret) { return reinterpret_cast<const char*>(secret.data()); }

// Copies all of `from` (a sealed header copy) into a new, writable memfd.
int writable_copy(int from) {
    struct stat st {};
    if (::fstat(from, &st) != 0) throw Error(ErrorKind::System, "cannot stat the header copy: " + errno_text(errno));
    const int to = ::memfd_create("cvfs-takeover-header", MFD_CLOEXEC);
    if (to < 0) throw Error(ErrorKind::System, "memfd_create failed: " + errno_text(errno));
    std::vector<char> block(1 << 20);
    for (off_t at = 0; at < st.st_size;) {
        ssize_t got = ::pread(from, block.data(), block.size(), at);
        if (got <= 0 || ::pwrite(to, block.data(), static_cast<size_t>(got), at) != got) {
            ::close(to);
            throw Error(ErrorKind::System, "cannot copy the LUKS2 header: " + errno_text(errno));
        }
        at += got;
    }
    return to;
}

// Writes bytes [offset, offset + length) of `from` to `device` at the same place, and syncs.
void write_through(int from, const std::string& device, uint64_t offset, uint64_t length) {
    const int fd = ::open(device.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw Error(ErrorKind::Device, "cannot open " + device + " for writing: " + errno_text(errno));
    std::vector<char> block(1 << 20);
    try {
        for (uint64_t done = 0; done < length;) {
            size_t want = static_cast<size_t>(std::min<uint64_t>(block.size(), length - done));
            const auto at = static_cast<off_t>(offset + done);
            ssize_t got = ::pread(from, block.data(), want, at);
            if (got <= 0) throw Error(ErrorKind::System, "cannot read the new keyslot of " + device);
            if (::pwrite(fd, block.data(), static_cast<size_t>(got), at) != got)
                throw Error(ErrorKind::Device, "cannot write the new keyslot to " + device + ": " + errno_text(errno));
            done += static_cast<uint64_t>(got);
        }
        if (::fdatasync(fd) != 0)
            throw Error(ErrorKind::Device, "cannot sync " + device + ": " + errno_text(errno));
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);
}

}  // namespace

TakeoverHeader::TakeoverHeader(int fd, CryptHandle handle, std::string device)
    : fd_(fd), handle_(std::move(handle)), device_(std::move(device)) {}

TakeoverHeader::TakeoverHeader(TakeoverHeader&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), handle_(std::move(other.handle_)), device_(std::move(other.device_)) {}

TakeoverHeader::~TakeoverHeader() {
    { CryptHandle drop = std::move(handle_); }
    if (fd_ >= 0) ::close(fd_);
}

TakeoverHeader TakeoverHeader::load(const std::string& device, const LuksParams& expected) {
    const int sealed = copy_header_to_memfd(device);
    int fd = -1;
    try {
        fd = writable_copy(sealed);
    } catch (...) {
        ::close(sealed);
        throw;
    }
    ::close(sealed);
    CryptLock lock;
    std::optional<CryptHandle> handle;
    try {
        handle.emplace(CryptHandle::open_detached(fd_path(fd), device));
    } catch (...) {
        ::close(fd);
        throw;
    }
    TakeoverHeader header(fd, std::move(*handle), device);
    header.handle_.load_luks2(device + " (in-memory copy)");
    enforce_header_policy(read_header_facts(header.handle_.get(), device), expected, device);
    return header;
}

std::string TakeoverHeader::uuid() const {
    CryptLock lock;
    const char* uuid = crypt_get_uuid(handle_.get());
    return uuid ? uuid : "";
}

std::string TakeoverHeader::subsystem() const {
    CryptLock lock;
    const char* subsystem = crypt_get_subsystem(handle_.get());
    return subsystem ? subsystem : "";
}

std::optional<CvfsToken> TakeoverHeader::token() const {
    CryptLock lock;
    const int id = find_cvfs_token(handle_.get());
    if (id == CRYPT_ANY_TOKEN) return std::nullopt;
    const char* json = nullptr;
    handle_.check(crypt_token_json_get(handle_.get(), id, &json), ErrorKind::Header,
                  "cannot read the cvfs token of " + device_);
    return CvfsToken::from_json(json ? json : "");
}

int TakeoverHeader::token_keyslot() const {
    auto keyslots = token_keyslots();
    return keyslots.empty() ? -1 : keyslots.front();
}

std::vector<int> TakeoverHeader::token_keyslots() const {
    CryptLock lock;
    const int id = find_cvfs_token(handle_.get());
    if (id == CRYPT_ANY_TOKEN) return {};
    const char* json = nullptr;
    if (crypt_token_json_get(handle_.get(), id, &json) < 0 || !json) return {};
    return cvfs::token_keyslots(json);
}

SecureBuffer TakeoverHeader::unlock(const SecureBuffer& secret, int& keyslot) const {
    CryptLock lock;
    const int size = crypt_get_volume_key_size(handle_.get());
    if (size <= 0) throw Error(ErrorKind::Header, device_ + ": the header names no volume key size");
    SecureBuffer key(static_cast<size_t>(size));
    size_t length = key.capacity();
    const int rc = crypt_volume_key_get(handle_.get(), CRYPT_ANY_SLOT, reinterpret_cast<char*>(key.data()), &length,
                                        text(secret), secret.size());
    if (rc == -EPERM) {
        handle_.take_errors();
        throw Error(ErrorKind::Key, "the secret given for " + device_ + " opens none of its keyslots",
                    "give the passphrase or key file the volume was made with");
    }
    keyslot = handle_.check(rc, ErrorKind::Key, "cannot unlock " + device_);
    key.resize(length);
    return key;
}

void TakeoverHeader::activate(const std::string& name, const SecureBuffer& volume_key, uint32_t flags) const {
    CryptLock lock;
    handle_.check(crypt_activate_by_volume_key(handle_.get(), name.c_str(), text(volume_key), volume_key.size(), flags),
                  ErrorKind::Device, "cannot map " + device_ + " as " + name);
}

int TakeoverHeader::enrol(const SecureBuffer& volume_key, const SecureBuffer& new_secret, KdfChoice kdf,
                          CvfsToken token, const std::vector<int>& retiring) {
    if (new_secret.empty()) throw Error(ErrorKind::Key, "an empty key cannot be added to " + device_);
    CryptLock lock;
    crypt_device* cd = handle_.get();
    crypt_pbkdf_type pbkdf = pbkdf_for(kdf);
    handle_.check(crypt_set_pbkdf_type(cd, &pbkdf), ErrorKind::System, "cannot set the KDF for " + device_);
    const int slot = handle_.check(crypt_keyslot_add_by_volume_key(cd, CRYPT_ANY_SLOT, text(volume_key),
                                                                   volume_key.size(), text(new_secret),
                                                                   new_secret.size()),
                                   ErrorKind::Device, "cannot add a keyslot to " + device_);
    std::vector<int> named{slot};
    named.insert(named.end(), retiring.begin(), retiring.end());
    handle_.check(crypt_token_json_set(cd, find_cvfs_token(cd), token.to_json(named).c_str()), ErrorKind::Device,
                  "cannot write the cvfs token for " + device_);
    // The new keyslot's area is unused on the device: writing it first changes nothing there.
    uint64_t offset = 0, length = 0;
    handle_.check(crypt_keyslot_area(cd, slot, &offset, &length), ErrorKind::System,
                  "cannot find keyslot " + std::to_string(slot) + " of " + device_);
    const std::string uuid = this->uuid();
    CryptHandle target = open_same_header(device_, uuid);
    write_through(fd_, device_, offset, length);
    target.check(crypt_header_restore(target.get(), CRYPT_LUKS2, fd_path(fd_).c_str()), ErrorKind::Device,
                 "cannot write the new LUKS2 header to " + device_,
                 "the volume still opens with its old secret; run the command again");
    return slot;
}

bool keyslot_opens(const std::string& device, int keyslot, const SecureBuffer& secret) {
    CryptLock lock;
    CryptHandle handle = CryptHandle::open(device);
    handle.load_luks2(device);
    const int rc = crypt_activate_by_passphrase(handle.get(), nullptr, keyslot, text(secret), secret.size(), 0);
    handle.take_errors();
    return rc == keyslot;
}

std::vector<int> destroy_keyslots_of(const std::string& device, const std::string& expected_uuid,
                                     const SecureBuffer& secret, int keep) {
    CryptLock lock;
    CryptHandle handle = open_same_header(device, expected_uuid);
    crypt_device* cd = handle.get();
    std::vector<int> destroyed;
    const int max = crypt_keyslot_max(CRYPT_LUKS2);
    for (int slot = 0; slot < max; ++slot) {
        if (slot == keep) continue;
        const crypt_keyslot_info info = crypt_keyslot_status(cd, slot);
        if (info != CRYPT_SLOT_ACTIVE && info != CRYPT_SLOT_ACTIVE_LAST) continue;
        const int rc = crypt_activate_by_passphrase(cd, nullptr, slot, text(secret), secret.size(), 0);
        handle.take_errors();
        if (rc != slot) continue;
        handle.check(crypt_keyslot_destroy(cd, slot), ErrorKind::Device,
                     "cannot remove keyslot " + std::to_string(slot) + " of " + device,
                     "the new key is in place; run the command again to remove the old keyslot");
        destroyed.push_back(slot);
    }
    return destroyed;
}

}  // namespace cvfs
