// Test helpers for the luks_* tests: sparse image files in a temp dir, and
// tampering with the JSON metadata of a LUKS2 header the way a hostile host
// could: both header copies are rewritten with a valid SHA-256 checksum, so
// libcryptsetup loads the result and only cvfs's allow-list can object.
#pragma once

#include "base/secure_buffer.h"
#include "luks/cvfs_token.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace luks_test {

// A sparse file of `mib` MiB in the temp directory, removed at the end of the test.
class ImageFile {
public:
    explicit ImageFile(uint64_t mib = 32) {
        std::string pattern = (std::filesystem::temp_directory_path() / "cvfs-luks-XXXXXX").string();
        std::vector<char> name(pattern.begin(), pattern.end());
        name.push_back('\0');
        int fd = ::mkstemp(name.data());
        if (fd < 0) throw std::runtime_error("mkstemp failed");
        path_ = name.data();
        int rc = ::ftruncate(fd, static_cast<off_t>(mib << 20));
        ::close(fd);
        if (rc != 0) throw std::runtime_error("ftruncate failed");
    }
    ~ImageFile() { std::filesystem::remove(path_); }
    ImageFile(const ImageFile&) = delete;
    ImageFile& operator=(const ImageFile&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

inline cvfs::SecureBuffer secret_of(const std::string& text) {
    cvfs::SecureBuffer buffer(text.size());
    buffer.assign({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
    return buffer;
}

// The machine secret the tests format with.
inline const std::string kSecret = "0123456789abcdef0123456789abcdef";

// The token a test volume named `volume` is formatted with.
inline cvfs::CvfsToken token_for(const std::string& volume) {
    cvfs::CvfsToken token;
    token.volume = volume;
    token.provider = "otp";
    token.created_by = "cvfs 0.1.0";
    return token;
}

// Byte offsets in the LUKS2 binary header (LUKS2 on-disk format specification).
inline constexpr size_t kBinaryHeaderSize = 4096;
inline constexpr size_t kHdrSizeOffset = 8;
inline constexpr size_t kChecksumOffset = 448;
inline constexpr size_t kChecksumSize = 64;

inline std::vector<uint8_t> read_bytes(const std::string& path, uint64_t offset, size_t size) {
    std::vector<uint8_t> bytes(size);
    int fd = ::open(path.c_str(), O_RDONLY);
    ssize_t got = ::pread(fd, bytes.data(), size, static_cast<off_t>(offset));
    ::close(fd);
    if (got != static_cast<ssize_t>(size)) throw std::runtime_error("short read of " + path);
    return bytes;
}

inline void write_bytes(const std::string& path, uint64_t offset, const std::vector<uint8_t>& bytes) {
    int fd = ::open(path.c_str(), O_WRONLY);
    ssize_t put = ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    ::fsync(fd);
    ::close(fd);
    if (put != static_cast<ssize_t>(bytes.size())) throw std::runtime_error("short write to " + path);
}

// The size of one metadata copy (binary header + JSON area), big-endian at byte 8.
inline uint64_t metadata_size(const std::string& path) {
    auto bytes = read_bytes(path, kHdrSizeOffset, 8);
    uint64_t size = 0;
    for (uint8_t b : bytes) size = size << 8 | b;
    return size;
}

// The JSON text of the primary copy, without its zero padding.
inline std::string read_metadata_json(const std::string& path) {
    uint64_t size = metadata_size(path);
    auto area = read_bytes(path, kBinaryHeaderSize, size - kBinaryHeaderSize);
    return std::string(reinterpret_cast<const char*>(area.data()), strnlen(reinterpret_cast<const char*>(area.data()), area.size()));
}

inline void sha256_into(std::vector<uint8_t>& copy) {
    std::memset(copy.data() + kChecksumOffset, 0, kChecksumSize);
    std::array<uint8_t, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(copy.data(), copy.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("EVP_Digest failed");
    std::memcpy(copy.data() + kChecksumOffset, digest.data(), length);
}

// Puts `json` into both metadata copies and fixes their checksums.
inline void write_metadata_json(const std::string& path, const std::string& json) {
    uint64_t size = metadata_size(path);
    if (json.size() >= size - kBinaryHeaderSize) throw std::runtime_error("JSON too large for the area");
    for (uint64_t offset : {uint64_t{0}, size}) {
        auto copy = read_bytes(path, offset, size);
        std::fill(copy.begin() + kBinaryHeaderSize, copy.end(), 0);
        std::memcpy(copy.data() + kBinaryHeaderSize, json.data(), json.size());
        sha256_into(copy);
        write_bytes(path, offset, copy);
    }
}

// Replaces the first `from` in `text`; throws when it is not there, so a test
// never passes because its edit silently did nothing.
inline void replace_once(std::string& text, const std::string& from, const std::string& to) {
    auto at = text.find(from);
    if (at == std::string::npos) throw std::runtime_error("tamper: \"" + from + "\" not in the header JSON");
    text.replace(at, from.size(), to);
}

// Reads the JSON, lets `edit` change it, writes it back into both copies.
inline void tamper(const std::string& path, const std::function<void(std::string&)>& edit) {
    std::string json = read_metadata_json(path);
    edit(json);
    write_metadata_json(path, json);
}

}  // namespace luks_test
