// Reading the PIN (see tpm_pin.h).
#include "tpm_pin.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cvfs/unique_fd.hpp"

namespace cvfs_tpm {

namespace {

using cvfs::sdk::Error;
using cvfs::sdk::UniqueFd;

std::string errno_text() { return std::strerror(errno); }

// A locked host buffer, wiped and released when the object goes.
class Scratch {
public:
    explicit Scratch(const cvfs::sdk::Call& call) : services_(call.services()) {
        if (services_->secret_alloc(kMaxPin, &secret_) != CVFS_OK)
            throw Error(CVFS_E_UNAVAILABLE, "cannot get locked memory for the PIN");
    }
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    ~Scratch() { services_->secret_free(&secret_); }
    uint8_t* data() { return secret_.data; }

private:
    const cvfs_host_services* services_;
    cvfs_secret secret_{};
};

size_t read_pin_file(const Settings& s, uint8_t* data) {
    const std::string& path = s.pin_file;
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (fd.get() < 0)
        throw Error(errno == ENOENT ? CVFS_E_NOT_FOUND : CVFS_E_PERMISSION_DENIED,
                    s.pin_file_where + "cannot open PIN file " + path + ": " + errno_text());
    struct stat st {};
    if (fstat(fd.get(), &st) != 0) throw Error(CVFS_E_INTERNAL, "cannot stat " + path + ": " + errno_text());
    mode_t mode = st.st_mode & 07777;
    if (!S_ISREG(st.st_mode) || (st.st_uid != 0 && st.st_uid != geteuid()) || (mode != 0600 && mode != 0400)) {
        char octal[8];
        std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode));
        throw Error(CVFS_E_PERMISSION_DENIED, s.pin_file_where + "PIN file " + path + " must be a regular file owned "
                                                  "by root with mode 0600 or 0400 (it has mode " + octal +
                                                  "): run `chown root " + path + " && chmod 600 " + path + "`");
    }
    size_t length = 0;
    for (;;) {
        ssize_t n = read(fd.get(), data + length, kMaxPin - length);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw Error(CVFS_E_UNAVAILABLE, "cannot read PIN file " + path + ": " + errno_text());
        if (n == 0) break;
        length += static_cast<size_t>(n);
        if (length == kMaxPin) throw Error(CVFS_E_INVALID_CONFIG, "PIN file " + path + " is too long");
    }
    if (length > 0 && data[length - 1] == '\n') --length;  // `echo 1234 >file` works
    if (length == 0) throw Error(CVFS_E_INVALID_CONFIG, s.pin_file_where + "PIN file " + path + " is empty");
    return length;
}

// The terminal with echo off while the object lives.
class QuietTerminal {
public:
    explicit QuietTerminal(const cvfs::sdk::Call& call) : fd_(open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) {
        if (fd_.get() < 0 || tcgetattr(fd_.get(), &saved_) != 0)
            throw Error(CVFS_E_NOT_SUPPORTED, "no terminal to ask for the TPM PIN of volume '" +
                                                  std::string(call.volume()) +
                                                  "'; run cvfs from a terminal or set pin_file in [encrypt.tpm]");
        termios quiet = saved_;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        quiet.c_lflag |= ECHONL;
        tcsetattr(fd_.get(), TCSAFLUSH, &quiet);
    }
    QuietTerminal(const QuietTerminal&) = delete;
    QuietTerminal& operator=(const QuietTerminal&) = delete;
    ~QuietTerminal() { tcsetattr(fd_.get(), TCSAFLUSH, &saved_); }

    size_t ask(const std::string& question, uint8_t* data) const {
        if (write(fd_.get(), question.data(), question.size()) < 0)
            throw Error(CVFS_E_UNAVAILABLE, "cannot write to /dev/tty: " + errno_text());
        size_t length = 0;
        for (;;) {
            uint8_t byte = 0;
            ssize_t n = read(fd_.get(), &byte, 1);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw Error(CVFS_E_UNAVAILABLE, "cannot read /dev/tty: " + errno_text());
            if (n == 0 || byte == '\n') break;
            if (length == kMaxPin) throw Error(CVFS_E_INVALID_ARGUMENT, "PIN too long");
            data[length++] = byte;
            byte = 0;
        }
        if (length == 0) throw Error(CVFS_E_INVALID_ARGUMENT, "empty PIN");
        return length;
    }

private:
    UniqueFd fd_;
    termios saved_{};
};

void hash_into(const uint8_t* pin, size_t length, TPM2B_AUTH& auth) {
    unsigned int size = 0;
    if (EVP_Digest(pin, length, auth.buffer, &size, EVP_sha256(), nullptr) != 1)
        throw Error(CVFS_E_INTERNAL, "SHA-256 failed");
    auth.size = static_cast<uint16_t>(size);
}

}  // namespace

void pin_auth(const cvfs::sdk::Call& call, const Settings& settings, uint32_t purpose, TPM2B_AUTH& auth) {
    Scratch pin(call);
    size_t length = 0;
    if (!settings.pin_file.empty()) {
        length = read_pin_file(settings, pin.data());
    } else {
        QuietTerminal tty(call);
        std::string volume(call.volume());
        length = tty.ask("TPM PIN for volume " + volume + ": ", pin.data());
        if (purpose == CVFS_KEY_PURPOSE_ENROL) {
            Scratch again(call);
            size_t again_length = tty.ask("Repeat the TPM PIN for volume " + volume + ": ", again.data());
            if (again_length != length || CRYPTO_memcmp(pin.data(), again.data(), length) != 0)
                throw Error(CVFS_E_PERMISSION_DENIED, "the two PINs for volume " + volume + " differ");
        }
    }
    hash_into(pin.data(), length, auth);
}

}  // namespace cvfs_tpm
