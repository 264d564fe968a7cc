// Reading the PIN (see tpm_pin.h).
#include "tpm_pin.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cvfs/secret_prompt.hpp"
#include "cvfs/text.hpp"
#include "cvfs/unique_fd.hpp"

namespace cvfs_tpm {

namespace {

using cvfs::sdk::Error;
using cvfs::sdk::UniqueFd;

std::string errno_text() { return std::strerror(errno); }

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
        throw Error(CVFS_E_PERMISSION_DENIED, s.pin_file_where + "PIN file " + path + " must be a regular file owned "
                                                  "by root with mode 0600 or 0400 (it has mode " + cvfs::sdk::octal_mode(mode) +
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

void hash_into(const uint8_t* pin, size_t length, TPM2B_AUTH& auth) {
    unsigned int size = 0;
    if (EVP_Digest(pin, length, auth.buffer, &size, EVP_sha256(), nullptr) != 1)
        throw Error(CVFS_E_INTERNAL, "SHA-256 failed");
    auth.size = static_cast<uint16_t>(size);
}

}  // namespace

void pin_auth(const cvfs::sdk::Call& call, const Settings& settings, uint32_t purpose, TPM2B_AUTH& auth) {
    cvfs::sdk::ScratchSecret pin(call, kMaxPin, "PIN");
    size_t length = 0;
    if (!settings.pin_file.empty()) {
        length = read_pin_file(settings, pin.data());
    } else {
        const cvfs::sdk::SecretQuestion question{"TPM PIN", "set pin_file in [encrypt.tpm]"};
        length = cvfs::sdk::ask_secret(call, question, purpose, pin.data(), kMaxPin);
    }
    hash_into(pin.data(), length, auth);
}

}  // namespace cvfs_tpm
