// Asking a person for a secret at the terminal (a passphrase, a TPM PIN): a
// C++ helper for key providers, header-only, part of the SDK.
//
// ask_secret() opens the controlling terminal (/dev/tty, never stdin, so a
// pipe cannot answer), turns echo off while it asks, reads one line straight
// into `out` and, when a secret is being enrolled, asks again and compares
// the two answers in constant time. The repeat lives in a locked host buffer
// that is wiped when ask_secret returns. The terminal's settings are restored
// whatever happens. Errors are cvfs::sdk::Error with a message that names the
// volume and, when there is no terminal, what to configure instead.
//
// ScratchSecret, a locked host buffer for a moment, is here as well.
//
// Thread safety: one prompt at a time per process (it owns the terminal while
// it runs); it keeps no state between calls.
#pragma once

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "cvfs/key_provider.h"
#include "cvfs/plugin.hpp"
#include "cvfs/unique_fd.hpp"

namespace cvfs::sdk {

// What is asked for, in the words of the messages.
struct SecretQuestion {
    std::string what;     // "passphrase", "TPM PIN": "Passphrase for volume data: "
    std::string instead;  // the way without a terminal: "use key_file in [encrypt.passphrase]"
};

// A scratch secret: a locked host buffer of `size` bytes, wiped and released
// when the object goes (a PIN being read, a repeated answer). `what` names it
// in the error when the host has no memory to lock.
class ScratchSecret {
public:
    ScratchSecret(const Call& call, size_t size, const std::string& what) : services_(call.services()) {
        if (services_->secret_alloc(size, &secret_) != CVFS_OK)
            throw Error(CVFS_E_UNAVAILABLE, "cannot get locked memory for the " + what);
    }
    ScratchSecret(const ScratchSecret&) = delete;
    ScratchSecret& operator=(const ScratchSecret&) = delete;
    ~ScratchSecret() { services_->secret_free(&secret_); }
    uint8_t* data() { return secret_.data; }

private:
    const cvfs_host_services* services_;
    cvfs_secret secret_{};
};

namespace secret_prompt_detail {

inline std::string errno_text() { return std::strerror(errno); }

// The controlling terminal with echo off while the object lives.
class SilentTerminal {
public:
    SilentTerminal(const Call& call, const SecretQuestion& question)
        : fd_(::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) {
        if (fd_.get() < 0 || ::tcgetattr(fd_.get(), &saved_) != 0)
            throw Error(CVFS_E_NOT_SUPPORTED, "no terminal to ask for the " + question.what + " of volume '" +
                                                  std::string(call.volume()) + "' (/dev/tty: " + errno_text() +
                                                  "); run cvfs from a terminal, or " + question.instead);
        termios silent = saved_;
        silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        silent.c_lflag |= ECHONL;  // the Enter key still moves to the next line
        if (::tcsetattr(fd_.get(), TCSAFLUSH, &silent) != 0)
            throw Error(CVFS_E_UNAVAILABLE, "cannot turn off echo on /dev/tty: " + errno_text());
    }
    SilentTerminal(const SilentTerminal&) = delete;
    SilentTerminal& operator=(const SilentTerminal&) = delete;
    ~SilentTerminal() { ::tcsetattr(fd_.get(), TCSAFLUSH, &saved_); }

    // Writes `text`, then reads one line into `data` (without its newline)
    // and returns its length.
    size_t ask(const std::string& text, uint8_t* data, size_t capacity, const std::string& what) const {
        if (::write(fd_.get(), text.data(), text.size()) < 0)
            throw Error(CVFS_E_UNAVAILABLE, "cannot write to /dev/tty: " + errno_text());
        size_t length = 0;
        for (;;) {
            uint8_t byte = 0;
            ssize_t n = ::read(fd_.get(), &byte, 1);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw Error(CVFS_E_UNAVAILABLE, "cannot read /dev/tty: " + errno_text());
            if (n == 0 || byte == '\n') break;
            if (length == capacity) {
                ::explicit_bzero(&byte, sizeof byte);
                throw Error(CVFS_E_INVALID_ARGUMENT, what + " longer than " + std::to_string(capacity) + " bytes");
            }
            data[length++] = byte;
            ::explicit_bzero(&byte, sizeof byte);
        }
        if (length == 0) throw Error(CVFS_E_INVALID_ARGUMENT, "empty " + what);
        return length;
    }

private:
    UniqueFd fd_;
    termios saved_{};
};

// Compares without an early exit, so timing says nothing about the content.
inline bool same_bytes(const uint8_t* a, const uint8_t* b, size_t size) {
    uint8_t difference = 0;
    for (size_t i = 0; i < size; ++i) difference |= static_cast<uint8_t>(a[i] ^ b[i]);
    return difference == 0;
}

}  // namespace secret_prompt_detail

// Asks for `question.what` of the call's volume into `out` (at most `capacity`
// bytes, owned by the caller) and returns its length; asks twice when
// `purpose` is CVFS_KEY_PURPOSE_ENROL.
inline size_t ask_secret(const Call& call, const SecretQuestion& question, uint32_t purpose, uint8_t* out,
                         size_t capacity) {
    using namespace secret_prompt_detail;
    const std::string volume(call.volume());
    std::string title = question.what;
    if (!title.empty() && title[0] >= 'a' && title[0] <= 'z') title[0] = static_cast<char>(title[0] - 'a' + 'A');
    SilentTerminal tty(call, question);
    const size_t length = tty.ask(title + " for volume " + volume + ": ", out, capacity, question.what);
    if (purpose == CVFS_KEY_PURPOSE_ENROL) {
        ScratchSecret again(call, capacity, question.what);
        const size_t again_length =
            tty.ask("Repeat the " + question.what + " for volume " + volume + ": ", again.data(), capacity,
                    question.what);
        if (again_length != length || !same_bytes(out, again.data(), length))
            throw Error(CVFS_E_PERMISSION_DENIED,
                        "the two " + question.what + "s for volume " + volume + " differ; nothing was changed");
    }
    return length;
}

}  // namespace cvfs::sdk
