// Small pieces shared by the libFuzzer harnesses: a private scratch folder
// per fuzzing process, and writing the input where a file-reading parser
// expects it. Nothing here decodes anything: each harness hands the bytes to
// the product's own parser.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace cvfs::fuzz {

// A folder made once per process and removed when it exits normally (at the
// end of its time budget; after a crash it stays, holding the last input).
// In $CVFS_FUZZ_TMPDIR, else /dev/shm (memory: a disk-backed /tmp makes the file writes cost ten
// times more than the parsing), else /tmp.
inline const std::string& scratch_dir() {
    // Never destroyed, so the exit handler can still read it.
    static const std::string* dir = [] {
        const char* base = std::getenv("CVFS_FUZZ_TMPDIR");
        if (!base || !*base) base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        std::string pattern = std::string(base) + "/cvfs-fuzz-XXXXXX";
        if (!::mkdtemp(pattern.data())) throw std::runtime_error("cannot make a scratch folder");
        return new std::string(pattern);
    }();
    static const bool cleanup = std::atexit([] {
        std::error_code ignored;
        std::filesystem::remove_all(*dir, ignored);
    }) == 0;
    (void)cleanup;
    return *dir;
}

// Replaces the file `path` with `size` bytes of `data`.
inline void write_file(const std::string& path, const uint8_t* data, size_t size) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("cannot write " + path);
    for (size_t done = 0; done < size;) {
        ssize_t n = ::write(fd, data + done, size - done);
        if (n <= 0) {
            ::close(fd);
            throw std::runtime_error("cannot write " + path);
        }
        done += static_cast<size_t>(n);
    }
    ::close(fd);
}

}  // namespace cvfs::fuzz

#include <fstream>
#include <sstream>

namespace cvfs::fuzz {

// A file of tests/fuzz/trust (trust anchors and fixed collateral), whole.
inline std::string trust_file(const std::string& name) {
    std::ifstream in(std::string(CVFS_FUZZ_TRUST_DIR) + "/" + name, std::ios::binary);
    if (!in) throw std::runtime_error("missing fuzz trust file " + name);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace cvfs::fuzz
