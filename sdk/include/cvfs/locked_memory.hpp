// Locked, wiped memory for secrets a plugin or a cvfs program keeps of its own
// (beyond the host's SecretOut buffers): a C++ helper, header-only, part of
// the SDK. Two forms:
//
//   LockedBytes         one secret in pages of its own: mmap'ed, mlock'ed (never
//                       swapped), excluded from core dumps, wiped and unmapped
//                       when the object goes. Move-only; the object owns the
//                       pages, views from bytes() live as long as it does.
//                       mlock failing (RLIMIT_MEMLOCK) is an error: the
//                       constructor throws std::runtime_error and no memory is kept.
//   LockedAllocator<T>  an allocator for standard containers (and nlohmann's
//                       basic_json) whose contents are secret: each allocation
//                       is mlock'ed when possible and wiped before it is freed.
//                       A failed mlock is ignored (the wipe still happens), since
//                       a container cannot report it. mlock works on whole pages
//                       and does not count: freeing one allocation unlocks the
//                       pages it shares with others, so keep long-lived secrets
//                       in LockedBytes. Containers must not keep secrets in a
//                       small-string buffer outside the allocator: use vectors.
//
// Thread safety: an object is not safe for concurrent use; distinct objects are.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

namespace cvfs::sdk {

// Overwrites `size` bytes at `data`; the compiler may not drop it.
inline void wipe(void* data, size_t size) noexcept {
    if (data && size) ::explicit_bzero(data, size);
}

template <class T>
struct LockedAllocator {
    using value_type = T;
    LockedAllocator() = default;
    template <class U>
    LockedAllocator(const LockedAllocator<U>&) noexcept {}
    T* allocate(size_t count) {
        size_t bytes = count * sizeof(T);
        void* data = ::operator new(bytes);
        (void)::mlock(data, bytes);  // best effort, see above
        return static_cast<T*>(data);
    }
    void deallocate(T* data, size_t count) noexcept {
        size_t bytes = count * sizeof(T);
        wipe(data, bytes);
        ::munlock(data, bytes);
        ::operator delete(data);
    }
    template <class U>
    bool operator==(const LockedAllocator<U>&) const noexcept {
        return true;
    }
};

// Secret bytes and text in containers on LockedAllocator.
using SecretBytes = std::vector<uint8_t, LockedAllocator<uint8_t>>;
using SecretText = std::vector<char, LockedAllocator<char>>;
inline std::string_view view(const SecretText& text) { return {text.data(), text.size()}; }

class LockedBytes {
public:
    LockedBytes() = default;
    // `size` zeroed, locked bytes; all of them in use until set_length.
    // Throws std::runtime_error when the memory cannot be mapped or locked.
    explicit LockedBytes(size_t size) : size_(size) {
        if (size == 0) return;
        void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw std::runtime_error("cannot allocate memory for a secret");
        if (::mlock(p, size) != 0) {
            ::munmap(p, size);
            throw std::runtime_error("cannot lock memory for a secret (raise LimitMEMLOCK)");
        }
        ::madvise(p, size, MADV_DONTDUMP);
        data_ = static_cast<uint8_t*>(p);
    }
    LockedBytes(LockedBytes&& other) noexcept
        : data_(std::exchange(other.data_, nullptr)),
          size_(std::exchange(other.size_, 0)),
          length_(std::exchange(other.length_, kAll)) {}
    LockedBytes& operator=(LockedBytes&& other) noexcept {
        if (this != &other) {
            release();
            data_ = std::exchange(other.data_, nullptr);
            size_ = std::exchange(other.size_, 0);
            length_ = std::exchange(other.length_, kAll);
        }
        return *this;
    }
    LockedBytes(const LockedBytes&) = delete;
    LockedBytes& operator=(const LockedBytes&) = delete;
    ~LockedBytes() { release(); }

    uint8_t* data() { return data_; }
    size_t capacity() const { return size_; }
    // The bytes in use: all of them unless set_length said fewer.
    std::span<const uint8_t> bytes() const { return {data_, length_ == kAll ? size_ : length_}; }
    void set_length(size_t length) { length_ = length < size_ ? length : size_; }

private:
    static constexpr size_t kAll = static_cast<size_t>(-1);
    void release() noexcept {
        if (!data_) return;
        wipe(data_, size_);
        ::munlock(data_, size_);
        ::munmap(data_, size_);
        data_ = nullptr;
    }
    uint8_t* data_ = nullptr;
    size_t size_ = 0;
    size_t length_ = kAll;
};

}  // namespace cvfs::sdk
