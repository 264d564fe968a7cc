// Fuzzes a LUKS2 header as cvfs reads it from a device: the input is the
// start of the device (binary header, JSON area, second copy, keyslots) and
// goes through CheckedHeader::load, the path `cvfs open` and `cvfs show`
// take: libcryptsetup loads it, the copy into sealed memory, the allow-list
// and the cvfs token.
//
// Built twice. luks_header_fuzz hands the bytes over as they are, so most
// mutations die on libcryptsetup's checksum; luks_header_resigned_fuzz first
// recomputes the SHA-256 checksum of both copies, as a host rewriting a
// header would, so mutated JSON reaches the allow-list.
#include <fcntl.h>
#include <libcryptsetup.h>
#include <openssl/evp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "base/error.h"
#include "luks/luks_volume.h"

namespace {

// Keyslot areas lie after both metadata copies; a seed is trimmed to the
// metadata, and the rest of the "device" reads as zeros, as on a new disk.
constexpr off_t kDeviceSize = 20 << 20;

#ifdef CVFS_FUZZ_RESIGN
constexpr size_t kBinaryHeader = 4096;
constexpr size_t kChecksumAt = 448;  // csum[64] in struct luks2_hdr_disk

uint64_t big_endian64(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = v << 8 | p[i];
    return v;
}

// Recomputes the checksum of the copy at `at` if its hdr_size fits the input.
void resign(std::vector<uint8_t>& bytes, size_t at) {
    if (bytes.size() < at + kBinaryHeader) return;
    uint64_t hdr_size = big_endian64(bytes.data() + at + 8);
    if (hdr_size < kBinaryHeader || hdr_size > bytes.size() - at) return;
    std::memset(bytes.data() + at + kChecksumAt, 0, 64);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(bytes.data() + at, hdr_size, digest, &length, EVP_sha256(), nullptr);
    std::memcpy(bytes.data() + at + kChecksumAt, digest, length);
}

void resign_both(std::vector<uint8_t>& bytes) {
    if (bytes.size() < kBinaryHeader) return;
    uint64_t hdr_size = big_endian64(bytes.data() + 8);
    resign(bytes, 0);
    if (hdr_size >= kBinaryHeader && hdr_size < bytes.size()) resign(bytes, static_cast<size_t>(hdr_size));
}
#endif

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    crypt_set_debug_level(CRYPT_DEBUG_NONE);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<uint8_t> bytes(data, data + size);
#ifdef CVFS_FUZZ_RESIGN
    resign_both(bytes);
#endif
    int fd = ::memfd_create("fuzzed-device", MFD_CLOEXEC);
    if (fd < 0) return 0;
    if (::pwrite(fd, bytes.data(), bytes.size(), 0) == static_cast<ssize_t>(bytes.size()) &&
        ::ftruncate(fd, std::max<off_t>(kDeviceSize, static_cast<off_t>(bytes.size()))) == 0) {
        const std::string device = "/proc/self/fd/" + std::to_string(fd);
        try {
            cvfs::CheckedHeader header = cvfs::CheckedHeader::load(device, cvfs::LuksParams{});
            (void)header.token();
            (void)header.keyslot();
            (void)header.uuid();
        } catch (const cvfs::Error&) {
        }
    }
    ::close(fd);
    return 0;
}
