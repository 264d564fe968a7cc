// Header copies in memfds, and LUKS magic detection.
//
// libcryptsetup's crypt_header_backup() refuses to write into a file that
// already exists (it opens with O_EXCL), so it cannot fill a memfd; the copy
// is made here with the same extent it would write: 2 * metadata size +
// keyslots size from byte 0.
#include "luks/header_copy.h"

#include "base/error.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>
#include <vector>

namespace cvfs {

namespace {

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

private:
    int fd_;
};

Fd open_read(const std::string& device) {
    Fd fd(::open(device.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0)
        throw Error(ErrorKind::Device, "cannot open " + device + ": " + errno_text(errno),
                    "check that the device exists and is readable");
    return fd;
}

void copy_bytes(int from, int to, uint64_t length, const std::string& device) {
    std::vector<char> block(1 << 20);
    for (uint64_t done = 0; done < length;) {
        size_t want = static_cast<size_t>(std::min<uint64_t>(block.size(), length - done));
        ssize_t got = ::pread(from, block.data(), want, static_cast<off_t>(done));
        if (got <= 0)
            throw Error(ErrorKind::Device, "cannot read the LUKS2 header of " + device + ": " +
                                               (got == 0 ? std::string("device too short") : errno_text(errno)));
        for (ssize_t put = 0; put < got;) {
            ssize_t n = ::write(to, block.data() + put, static_cast<size_t>(got - put));
            if (n < 0) throw Error(ErrorKind::System, "cannot copy the LUKS2 header: " + errno_text(errno));
            put += n;
        }
        done += static_cast<uint64_t>(got);
    }
}

bool magic_at(int fd, off_t offset) {
    static constexpr std::array<char, 6> primary{'L', 'U', 'K', 'S', '\xba', '\xbe'};
    static constexpr std::array<char, 6> secondary{'S', 'K', 'U', 'L', '\xba', '\xbe'};
    std::array<char, 6> magic{};
    if (::pread(fd, magic.data(), magic.size(), offset) != static_cast<ssize_t>(magic.size())) return false;
    return offset == 0 ? magic == primary : magic == secondary;
}

}  // namespace

int copy_header_to_memfd(const std::string& device, uint64_t length) {
    Fd source = open_read(device);
    Fd copy(::memfd_create("cvfs-luks2-header", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (copy.get() < 0) throw Error(ErrorKind::System, "memfd_create failed: " + errno_text(errno));
    copy_bytes(source.get(), copy.get(), length, device);
    int seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;
    if (::fcntl(copy.get(), F_ADD_SEALS, seals) < 0)
        throw Error(ErrorKind::System, "cannot seal the LUKS2 header copy: " + errno_text(errno));
    return copy.release();
}

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

bool has_luks_magic(const std::string& device) {
    Fd fd = open_read(device);
    if (magic_at(fd.get(), 0)) return true;
    // The LUKS2 metadata sizes allowed by the specification, 16 KiB to 4 MiB.
    for (off_t offset = 16 * 1024; offset <= 4 * 1024 * 1024; offset *= 2)
        if (magic_at(fd.get(), offset)) return true;
    return false;
}

}  // namespace cvfs
