// Header copies in memfds, and LUKS magic detection.
//
// libcryptsetup's crypt_header_backup() refuses to write into a file that
// already exists (it opens with O_EXCL), so it cannot fill a memfd; the copy
// is made here with the same extent it would write: 2 * metadata size +
// keyslots size from byte 0. Of the keyslots area (16 MiB by default, almost
// all unused) only the keyslot areas are read; the rest of the copy stays
// zero, so reading it costs little. Where those areas are comes from the
// header libcryptsetup itself loaded (crypt_keyslot_area), never from the raw
// JSON of either copy: that text is unchecked, and the host can write
// anything there (a JSON area nested 100000 deep overflowed the stack of a
// recursive parser). The copy is checked in full when it is loaded again.
#include "luks/header_copy.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "base/error.h"
#include "luks/crypt_handle.h"

#include <libcryptsetup.h>

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

// Copies bytes [offset, offset + length) of `from` to the same place in `to`.
void copy_range(int from, int to, uint64_t offset, uint64_t length, const std::string& device) {
    std::vector<char> block(1 << 20);
    for (uint64_t done = 0; done < length;) {
        size_t want = static_cast<size_t>(std::min<uint64_t>(block.size(), length - done));
        const auto at = static_cast<off_t>(offset + done);
        ssize_t got = ::pread(from, block.data(), want, at);
        if (got <= 0)
            throw Error(ErrorKind::Device,
                        "cannot read the LUKS2 header of " + device + ": " +
                            (got == 0 ? std::string("device too short") : errno_text(errno)));
        for (ssize_t put = 0; put < got;) {
            ssize_t n = ::pwrite(to, block.data() + put, static_cast<size_t>(got - put), at + put);
            if (n < 0)
                throw Error(ErrorKind::System,
                            "cannot copy the LUKS2 header: " + errno_text(errno));
            put += n;
        }
        done += static_cast<uint64_t>(got);
    }
}

struct Range {
    uint64_t offset;
    uint64_t length;
};

// What the copy needs to know of the header on `device`, as libcryptsetup
// loaded and validated it.
struct HeaderExtent {
    uint64_t metadata_size = 0;  // one metadata copy: binary header and JSON area
    uint64_t keyslots_size = 0;
    std::vector<Range> keyslot_areas;
};

HeaderExtent validated_extent(const std::string& device) {
    CryptLock lock;
    CryptHandle disk = CryptHandle::open(device);
    disk.load_luks2(device);
    HeaderExtent extent;
    crypt_get_metadata_size(disk.get(), &extent.metadata_size, &extent.keyslots_size);
    const int slots = crypt_keyslot_max(CRYPT_LUKS2);
    for (int slot = 0; slot < slots; ++slot) {
        crypt_keyslot_info info = crypt_keyslot_status(disk.get(), slot);
        if (info == CRYPT_SLOT_INACTIVE || info == CRYPT_SLOT_INVALID) continue;
        Range area{};
        if (crypt_keyslot_area(disk.get(), slot, &area.offset, &area.length) == 0)
            extent.keyslot_areas.push_back(area);
    }
    return extent;
}

// Both metadata copies, then the keyslot areas (clipped to the keyslots area).
void copy_header(int from, int to, const HeaderExtent& extent, const std::string& device) {
    const uint64_t areas_begin = 2 * extent.metadata_size;
    const uint64_t length = areas_begin + extent.keyslots_size;
    copy_range(from, to, 0, areas_begin, device);
    for (const Range& area : extent.keyslot_areas) {
        if (area.offset + area.length < area.offset) continue;
        const uint64_t begin = std::max(area.offset, areas_begin);
        const uint64_t end = std::min(area.offset + area.length, length);
        if (begin < end) copy_range(from, to, begin, end - begin, device);
    }
}

// A read error is thrown, never taken for "no header": a device that cannot
// be read must not look empty to init.
bool magic_at(int fd, off_t offset, const std::string& device) {
    static constexpr std::array<char, 6> primary{'L', 'U', 'K', 'S', '\xba', '\xbe'};
    static constexpr std::array<char, 6> secondary{'S', 'K', 'U', 'L', '\xba', '\xbe'};
    std::array<char, 6> magic{};
    const ssize_t got = ::pread(fd, magic.data(), magic.size(), offset);
    if (got < 0)
        throw Error(ErrorKind::Device, "cannot read " + device + ": " + errno_text(errno),
                    errno == EIO ? "the device reports I/O errors: check it (dmesg, smartctl)"
                                 : "check that the device exists and is readable");
    if (got != static_cast<ssize_t>(magic.size())) return false;  // the device ends before it
    return offset == 0 ? magic == primary : magic == secondary;
}

// The 48-byte subsystem field of a LUKS2 binary header (after magic,
// version, hdr_size, seqid, label, checksum_alg, salt and uuid).
constexpr off_t kSubsystemOffset = 208;
constexpr size_t kSubsystemLength = 48;

}  // namespace

int copy_header_to_memfd(const std::string& device) {
    const HeaderExtent extent = validated_extent(device);
    const uint64_t length = 2 * extent.metadata_size + extent.keyslots_size;
    Fd source = open_read(device);
    Fd copy(::memfd_create("cvfs-luks2-header", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (copy.get() < 0) throw Error(ErrorKind::System, "memfd_create failed: " + errno_text(errno));
    if (::ftruncate(copy.get(), static_cast<off_t>(length)) != 0)
        throw Error(ErrorKind::System, "cannot size the LUKS2 header copy: " + errno_text(errno));
    copy_header(source.get(), copy.get(), extent, device);
    int seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;
    if (::fcntl(copy.get(), F_ADD_SEALS, seals) < 0)
        throw Error(ErrorKind::System, "cannot seal the LUKS2 header copy: " + errno_text(errno));
    return copy.release();
}

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

bool has_luks_magic(const std::string& device) {
    Fd fd = open_read(device);
    if (magic_at(fd.get(), 0, device)) return true;
    // The LUKS2 metadata sizes allowed by the specification, 16 KiB to 4 MiB.
    for (off_t offset = 16 * 1024; offset <= 4 * 1024 * 1024; offset *= 2)
        if (magic_at(fd.get(), offset, device)) return true;
    return false;
}

bool may_name_subsystem(const std::string& device, const std::string& prefix) {
    if (prefix.size() > kSubsystemLength) return false;
    const int fd = ::open(device.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return true;
    Fd owned(fd);
    std::vector<off_t> headers{0};
    for (off_t offset = 16 * 1024; offset <= 4 * 1024 * 1024; offset *= 2) headers.push_back(offset);
    std::array<char, kSubsystemLength> field{};
    for (off_t header : headers) {
        const ssize_t got = ::pread(owned.get(), field.data(), field.size(), header + kSubsystemOffset);
        if (got < 0) return true;
        if (got == static_cast<ssize_t>(field.size()) && std::memcmp(field.data(), prefix.data(), prefix.size()) == 0)
            return true;
    }
    return false;
}

}  // namespace cvfs
