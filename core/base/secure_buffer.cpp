// Locked, wipe-on-free memory for secrets (see secure_buffer.h).
#include "base/secure_buffer.h"

#include <cstring>
#include <stdexcept>
#include <utility>

#include "base/error.h"

namespace cvfs {

SecureBuffer::SecureBuffer(size_t capacity) {
    if (capacity == 0) return;
    try {
        pages_ = sdk::LockedBytes(capacity);
    } catch (const std::runtime_error& e) {
        throw Error(ErrorKind::System, e.what(), "raise RLIMIT_MEMLOCK (ulimit -l, LimitMEMLOCK=) or run as root");
    }
}

SecureBuffer::SecureBuffer(SecureBuffer&& other) noexcept
    : pages_(std::move(other.pages_)), size_(std::exchange(other.size_, 0)) {}

SecureBuffer& SecureBuffer::operator=(SecureBuffer&& other) noexcept {
    if (this != &other) {
        pages_ = std::move(other.pages_);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

void SecureBuffer::resize(size_t size) {
    if (size > capacity()) throw Error(ErrorKind::System, "secret buffer overflow");
    if (size < size_) wipe(data() + size, size_ - size);
    size_ = size;
}

void SecureBuffer::assign(std::span<const uint8_t> bytes) {
    if (bytes.size() > capacity()) *this = SecureBuffer(bytes.size());
    if (!bytes.empty()) std::memcpy(data(), bytes.data(), bytes.size());
    resize(bytes.size());
}

void SecureBuffer::reset() {
    pages_ = sdk::LockedBytes();
    size_ = 0;
}

}  // namespace cvfs
