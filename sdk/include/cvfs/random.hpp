// Random bytes from the kernel for key providers: a C++ helper, header-only,
// part of the SDK. fill_random() writes straight into the buffer it is given
// (typically SecretOut::data(), the host's locked memory), so no copy of a
// new key is made elsewhere. Thread-safe: getrandom(2) is.
#pragma once

#include <sys/random.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "cvfs/plugin.hpp"

namespace cvfs::sdk {

// Fills `size` bytes at `data` from getrandom(2), blocking until the kernel's
// generator is seeded. Throws Error(CVFS_E_INTERNAL) when it fails.
inline void fill_random(uint8_t* data, size_t size) {
    for (size_t done = 0; done < size;) {
        ssize_t n = ::getrandom(data + done, size - done, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw Error(CVFS_E_INTERNAL, std::string("getrandom failed: ") + std::strerror(errno));
        done += static_cast<size_t>(n);
    }
}

}  // namespace cvfs::sdk
