// Locked, wiped memory for the secrets the aliyun-kms plugin holds for a
// moment: the client key file, its password, the PKCS#12 bytes and the KMS
// response that carries the volume's secret.
//
// LockedAllocator pins each allocation in RAM (mlock, so it is never swapped)
// and overwrites it (OPENSSL_cleanse) before it is freed. Containers built on
// it (SecretBytes, SecretText) must not rely on a small-string buffer for
// secrets, which is why they are vectors, not strings.
#pragma once

#include <openssl/crypto.h>
#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <new>
#include <string_view>
#include <vector>

namespace cvfs::kms {

template <class T>
struct LockedAllocator {
    using value_type = T;
    LockedAllocator() = default;
    template <class U>
    LockedAllocator(const LockedAllocator<U>&) noexcept {}

    T* allocate(size_t count) {
        size_t bytes = count * sizeof(T);
        void* data = ::operator new(bytes);
        // A failed mlock (RLIMIT_MEMLOCK) still leaves the wipe on free.
        (void)mlock(data, bytes);
        return static_cast<T*>(data);
    }
    void deallocate(T* data, size_t count) noexcept {
        size_t bytes = count * sizeof(T);
        OPENSSL_cleanse(data, bytes);
        munlock(data, bytes);
        ::operator delete(data);
    }
    template <class U>
    bool operator==(const LockedAllocator<U>&) const noexcept {
        return true;
    }
};

using SecretBytes = std::vector<uint8_t, LockedAllocator<uint8_t>>;
using SecretText = std::vector<char, LockedAllocator<char>>;

inline std::string_view view(const SecretText& text) { return {text.data(), text.size()}; }

}  // namespace cvfs::kms
