// Header copies in memfds, and LUKS magic detection.
//
// libcryptsetup's crypt_header_backup() refuses to write into a file that
// already exists (it opens with O_EXCL), so it cannot fill a memfd; the copy
// is made here with the same extent it would write: 2 * metadata size +
// keyslots size from byte 0. Of the keyslots area (16 MiB by default, almost
// all unused) only the areas the keyslots of either metadata copy name are
// read; the rest of the copy stays zero, so reading it costs little.
#include "luks/header_copy.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <cstring>
#include <sstream>
#include <utility>
#include <vector>

#include "base/error.h"

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

// The keyslot areas named by the JSON of the metadata copy at `copy_offset`
// in `metadata` (an empty list when it cannot be read: the whole keyslots
// area is copied then, and the header checks say what is wrong).
std::vector<Range> keyslot_areas(const std::vector<char>& metadata, uint64_t copy_offset,
                                 uint64_t metadata_size) {
    constexpr uint64_t kBinaryHeader = 4096;
    const char* json = metadata.data() + copy_offset + kBinaryHeader;
    const size_t json_max = static_cast<size_t>(metadata_size - kBinaryHeader);
    std::istringstream in(std::string(json, strnlen(json, json_max)));
    std::vector<Range> areas;
    try {
        boost::property_tree::ptree root;
        boost::property_tree::read_json(in, root);
        for (const auto& [id, keyslot] : root.get_child("keyslots"))
            areas.push_back({std::stoull(keyslot.get<std::string>("area.offset")),
                             std::stoull(keyslot.get<std::string>("area.size"))});
    } catch (const std::exception&) {
        return {};
    }
    return areas;
}

// Both metadata copies, then the keyslot areas either copy names (clipped to
// `length`), or the whole keyslots area when that is not known.
void copy_header(int from, int to, uint64_t length, const std::string& device) {
    std::array<unsigned char, 16> start{};
    if (::pread(from, start.data(), start.size(), 0) != static_cast<ssize_t>(start.size()))
        throw Error(ErrorKind::Device, "cannot read the LUKS2 header of " + device);
    uint64_t metadata_size = 0;
    for (size_t i = 8; i < 16; ++i)
        metadata_size = metadata_size << 8 | start[i];  // big-endian hdr_size
    const bool known =
        metadata_size >= 16384 && metadata_size <= (4u << 20) && 2 * metadata_size <= length;
    if (!known) return copy_range(from, to, 0, length, device);

    copy_range(from, to, 0, 2 * metadata_size, device);
    std::vector<char> metadata(2 * metadata_size);
    if (::pread(to, metadata.data(), metadata.size(), 0) != static_cast<ssize_t>(metadata.size()))
        throw Error(ErrorKind::System,
                    "cannot read back the LUKS2 header copy: " + errno_text(errno));
    std::vector<Range> areas = keyslot_areas(metadata, 0, metadata_size);
    std::vector<Range> second = keyslot_areas(metadata, metadata_size, metadata_size);
    if (areas.empty() && second.empty())
        return copy_range(from, to, 2 * metadata_size, length - 2 * metadata_size, device);
    areas.insert(areas.end(), second.begin(), second.end());
    for (const Range& area : areas) {
        const uint64_t begin = std::max(area.offset, 2 * metadata_size);
        const uint64_t end = std::min(area.offset + area.length, length);
        if (area.offset + area.length >= area.offset && begin < end)
            copy_range(from, to, begin, end - begin, device);
    }
}

bool magic_at(int fd, off_t offset) {
    static constexpr std::array<char, 6> primary{'L', 'U', 'K', 'S', '\xba', '\xbe'};
    static constexpr std::array<char, 6> secondary{'S', 'K', 'U', 'L', '\xba', '\xbe'};
    std::array<char, 6> magic{};
    if (::pread(fd, magic.data(), magic.size(), offset) != static_cast<ssize_t>(magic.size()))
        return false;
    return offset == 0 ? magic == primary : magic == secondary;
}

}  // namespace

int copy_header_to_memfd(const std::string& device, uint64_t length) {
    Fd source = open_read(device);
    Fd copy(::memfd_create("cvfs-luks2-header", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (copy.get() < 0) throw Error(ErrorKind::System, "memfd_create failed: " + errno_text(errno));
    if (::ftruncate(copy.get(), static_cast<off_t>(length)) != 0)
        throw Error(ErrorKind::System, "cannot size the LUKS2 header copy: " + errno_text(errno));
    copy_header(source.get(), copy.get(), length, device);
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
