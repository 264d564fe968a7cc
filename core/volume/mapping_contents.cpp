// Looking at an unlocked mapping before a reformat (see mapping_contents.h).
#include "volume/mapping_contents.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "base/error.h"
#include "volume/signature_probe.h"

namespace cvfs {

namespace {

constexpr size_t kSector = 4096;

struct FreeDeleter {
    void operator()(void* p) const { std::free(p); }
};

// The mapping opened for direct reads (no page cache, no read-ahead: each
// read is exactly the sector asked for).
class DirectReader {
public:
    explicit DirectReader(const std::string& path)
        : path_(path), fd_(::open(path.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC)),
          buffer_(static_cast<unsigned char*>(std::aligned_alloc(kSector, kSector))) {
        if (fd_ < 0) throw Error(ErrorKind::Device, "cannot open " + path + " to look at it: " + errno_text(errno));
        if (!buffer_) throw Error(ErrorKind::System, "out of memory reading " + path);
    }
    ~DirectReader() { ::close(fd_); }
    DirectReader(const DirectReader&) = delete;
    DirectReader& operator=(const DirectReader&) = delete;

    uint64_t size() const {
        uint64_t bytes = 0;
        if (ioctl(fd_, BLKGETSIZE64, &bytes) != 0)
            throw Error(ErrorKind::Device, "cannot read the size of " + path_ + ": " + errno_text(errno));
        return bytes;
    }
    // Reads the sector at `offset` (a multiple of 4096); false on an I/O error.
    bool read(uint64_t offset) {
        ssize_t n = pread(fd_, buffer_.get(), kSector, static_cast<off_t>(offset));
        return n == static_cast<ssize_t>(kSector);
    }
    const unsigned char* data() const { return buffer_.get(); }

private:
    std::string path_;
    int fd_;
    std::unique_ptr<unsigned char, FreeDeleter> buffer_;
};

// Where to look when the start cannot be read: ext4's backup superblocks for
// 1, 2 and 4 KiB blocks (groups of 8, 32 and 128 MiB), 64 points across the
// device, and its last sector.
std::vector<uint64_t> sample_offsets(uint64_t size) {
    static const uint64_t groups[] = {1, 3, 5, 7, 9, 25, 27, 49, 81, 125, 243, 343, 625, 729, 2187, 2401};
    std::vector<uint64_t> offsets;
    for (uint64_t group_bytes : {8ull << 20, 32ull << 20, 128ull << 20})
        for (uint64_t group : groups) offsets.push_back(group * group_bytes);
    for (uint64_t i = 1; i < 64; ++i) offsets.push_back(size / 64 * i / kSector * kSector);
    if (size >= kSector) offsets.push_back(size / kSector * kSector - kSector);
    std::vector<uint64_t> inside;
    for (uint64_t offset : offsets)
        if (offset > 0 && offset + kSector <= size) inside.push_back(offset);
    return inside;
}

bool all_zero(const unsigned char* sector) {
    for (size_t i = 0; i < kSector; ++i)
        if (sector[i] != 0) return false;
    return true;
}

uint32_t le32(const unsigned char* p) { return p[0] | p[1] << 8 | p[2] << 16 | static_cast<uint32_t>(p[3]) << 24; }
uint16_t le16(const unsigned char* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }

}  // namespace

std::optional<std::string> data_on_mapping(const std::string& mapped) {
    DirectReader reader(mapped);
    if (reader.read(0)) {
        try {
            if (auto signature = find_signature(mapped)) return "libblkid finds " + *signature;
            return std::nullopt;
        } catch (const Error&) {
            // libblkid ran into sectors that cannot be read: an integrity
            // mapping written only in part, as an interrupted wipe leaves it
            // (zeros up to where it stopped). Anything else readable is data.
            std::vector<uint64_t> offsets = sample_offsets(reader.size());
            offsets.insert(offsets.begin(), 0);
            for (uint64_t offset : offsets)
                if (reader.read(offset) && !all_zero(reader.data()))
                    return "the sector at byte " + std::to_string(offset) +
                           " holds data written with this volume's key (libblkid cannot read the whole device)";
            return std::nullopt;
        }
    }
    for (uint64_t offset : sample_offsets(reader.size()))
        if (reader.read(offset))
            return "its first sector cannot be read, but the sector at byte " + std::to_string(offset) +
                   " can: it was written with this volume's key";
    return std::nullopt;
}

bool holds_unmounted_ext4(const std::string& mapped) {
    // The superblock is at byte 1024: s_mtime at +44, s_mnt_count at +52, s_magic at +56.
    DirectReader reader(mapped);
    if (!reader.read(0)) return false;
    const unsigned char* sb = reader.data() + 1024;
    return le16(sb + 56) == 0xEF53 && le32(sb + 44) == 0 && le16(sb + 52) == 0;
}

}  // namespace cvfs
