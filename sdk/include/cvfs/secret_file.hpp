// Reading a secret from a root-only file straight into the host's locked
// buffer: a C++ helper for key providers (header-only, part of the SDK).
//
// read_secret_file() refuses what others could read or replace: anything but
// a regular file, a file owned by another user than root or the caller, a
// mode other than 0600 or 0400, a size outside [min_size, max_size]. Each
// message names the file, `where` (the config line, from Config::where) and
// the command that fixes it. The bytes go into `out` only; no other copy is
// made. Thread safety: none needed, it touches only its arguments.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "cvfs/plugin.hpp"
#include "cvfs/text.hpp"
#include "cvfs/unique_fd.hpp"

namespace cvfs::sdk {

namespace secret_file_detail {

using sdk::octal_mode;

inline void check(const std::string& path, const std::string& where, const struct stat& st, size_t min_size,
                  size_t max_size) {
    if (!S_ISREG(st.st_mode))
        throw Error(CVFS_E_PERMISSION_DENIED, where + "key file " + path + " is not a regular file");
    if (st.st_uid != 0 && st.st_uid != geteuid())
        throw Error(CVFS_E_PERMISSION_DENIED, where + "key file " + path + " is owned by uid " +
                                                  std::to_string(st.st_uid) +
                                                  "; it must be owned by root: run `chown root " + path + "`");
    mode_t mode = st.st_mode & 07777;
    if (mode != 0600 && mode != 0400)
        throw Error(CVFS_E_PERMISSION_DENIED, where + "key file " + path + " has mode " + octal_mode(mode) +
                                                  "; only its owner may read it (0600 or 0400): run `chmod 600 " +
                                                  path + "`");
    if (st.st_size < 0 || static_cast<size_t>(st.st_size) < min_size || static_cast<size_t>(st.st_size) > max_size)
        throw Error(CVFS_E_INVALID_CONFIG, where + "key file " + path + " holds " + std::to_string(st.st_size) +
                                               " bytes; it must hold " + std::to_string(min_size) + " to " +
                                               std::to_string(max_size));
}

// Reads exactly `size` bytes, and checks that the file ends there.
inline void read_exactly(int fd, const std::string& path, uint8_t* data, size_t size) {
    size_t done = 0;
    while (done < size) {
        ssize_t n = read(fd, data + done, size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw Error(CVFS_E_UNAVAILABLE, "cannot read key file " + path + ": " + std::strerror(errno));
        if (n == 0) break;
        done += static_cast<size_t>(n);
    }
    uint8_t extra = 0;
    ssize_t more = read(fd, &extra, 1);
    explicit_bzero(&extra, sizeof extra);
    if (done != size || more != 0) throw Error(CVFS_E_UNAVAILABLE, "key file " + path + " changed while it was read");
}

}  // namespace secret_file_detail

// Reads all of `path` into `out` (see above). Throws Error: NOT_FOUND when
// the file does not exist, PERMISSION_DENIED or INVALID_CONFIG when it fails
// a rule, BUFFER_TOO_SMALL (with the size) when `out` is too small.
inline void read_secret_file(const std::string& path, const std::string& where, SecretOut& out, size_t min_size,
                             size_t max_size) {
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (fd.get() < 0 && errno == ENOENT)
        throw Error(CVFS_E_NOT_FOUND, where + "key file " + path + " does not exist");
    if (fd.get() < 0)
        throw Error(CVFS_E_PERMISSION_DENIED, where + "cannot open key file " + path + ": " + std::strerror(errno));
    struct stat st {};
    if (fstat(fd.get(), &st) != 0)
        throw Error(CVFS_E_INTERNAL, "cannot stat key file " + path + ": " + std::strerror(errno));
    secret_file_detail::check(path, where, st, min_size, max_size);
    const auto size = static_cast<size_t>(st.st_size);
    out.set_length(size);  // asks for a bigger buffer before reading anything
    secret_file_detail::read_exactly(fd.get(), path, out.data(), size);
}

}  // namespace cvfs::sdk
