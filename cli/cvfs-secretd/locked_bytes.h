// A secret's bytes in memory of their own: locked (never swapped), wiped and
// unlocked when the object goes. Movable, not copyable.
#pragma once

#include <openssl/crypto.h>
#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <utility>

namespace cvfs::secretd {

class LockedBytes {
public:
    LockedBytes() = default;
    explicit LockedBytes(size_t size) : size_(size) {
        if (size == 0) return;
        void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw std::runtime_error("cannot allocate memory for a secret");
        if (mlock(p, size) != 0) {
            munmap(p, size);
            throw std::runtime_error("cannot lock memory for a secret (raise LimitMEMLOCK)");
        }
        madvise(p, size, MADV_DONTDUMP);
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
    void release() {
        if (!data_) return;
        OPENSSL_cleanse(data_, size_);
        munlock(data_, size_);
        munmap(data_, size_);
        data_ = nullptr;
    }
    uint8_t* data_ = nullptr;
    size_t size_ = 0;
    size_t length_ = kAll;
};

}  // namespace cvfs::secretd
