// CryptHandle: one libcryptsetup device context, owned, with its messages.
//
// libcryptsetup prints its errors to stderr unless told otherwise; the core
// never prints. Each handle collects the library's error lines so a failure
// can be reported in the cvfs::Error that explains it, and every other line
// goes to cvfs::log at debug level.
//
// libcryptsetup and the libdevmapper under it keep process-wide state without
// any locking (log callbacks, the device-mapper context and its lists, udev
// cookies), so two threads inside them at once corrupt it. Every call into
// either library, from any file of the process, is made while holding a
// CryptLock. It is recursive: a function holding it may call another that
// takes it. Work that needs neither library (key providers, mkfs, blkid,
// waiting for devices) runs without it, so volumes still open in parallel.
#pragma once

#include "base/error.h"

#include <memory>
#include <mutex>
#include <string>

struct crypt_device;

namespace cvfs {

// Holds the process-wide libcryptsetup/libdevmapper lock for its lifetime.
class CryptLock {
public:
    CryptLock();
    CryptLock(const CryptLock&) = delete;
    CryptLock& operator=(const CryptLock&) = delete;

private:
    std::unique_lock<std::recursive_mutex> lock_;
};

// A libcryptsetup context. Each of its own functions takes the CryptLock;
// whoever calls crypt_* on get() must hold a CryptLock around that call.
class CryptHandle {
public:
    // crypt_init on a device (or plain file). Throws Device when it cannot be used.
    static CryptHandle open(const std::string& device);
    // crypt_init_data_device: the header is read from `header`, data lives on `data`.
    static CryptHandle open_detached(const std::string& header, const std::string& data);
    // crypt_init_by_name on an active mapping. Throws Device when it is not active.
    static CryptHandle by_name(const std::string& name);

    CryptHandle(CryptHandle&&) noexcept;
    CryptHandle& operator=(CryptHandle&&) noexcept;
    ~CryptHandle();

    crypt_device* get() const;

    // Loads the LUKS2 header. Throws Header naming `device` and the library's reason.
    void load_luks2(const std::string& device) const;

    // Returns rc when rc >= 0, else throws `kind` with "<what>: <reason>", the
    // reason being the library's error lines or strerror(-rc).
    int check(int rc, ErrorKind kind, const std::string& what, const std::string& hint = {}) const;

    // The library's error lines since the last call, joined; then forgets them.
    std::string take_errors() const;

private:
    struct State;
    explicit CryptHandle(std::unique_ptr<State> state);
    static CryptHandle adopt(crypt_device* cd);
    std::unique_ptr<State> state_;
};

}  // namespace cvfs
