// Locked, wipe-on-free memory for secrets (see secure_buffer.h).
#include "base/secure_buffer.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "base/error.h"

namespace cvfs {

void wipe(void* data, size_t size) {
    if (data && size) ::explicit_bzero(data, size);
}

SecureBuffer::SecureBuffer(size_t capacity) {
    if (capacity == 0) return;
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    const size_t mapped = (capacity + page - 1) / page * page;
    void* p = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        throw Error(ErrorKind::System, "cannot allocate memory for a secret: " + errno_text(errno));
    if (::mlock(p, mapped) != 0) {
        int err = errno;
        ::munmap(p, mapped);
        throw Error(ErrorKind::System, "cannot lock memory for a secret: " + errno_text(err),
                    "raise RLIMIT_MEMLOCK (ulimit -l) or run as root");
    }
    ::madvise(p, mapped, MADV_DONTDUMP);
    data_ = static_cast<uint8_t*>(p);
    capacity_ = capacity;
    mapped_ = mapped;
}

SecureBuffer::~SecureBuffer() { reset(); }

SecureBuffer::SecureBuffer(SecureBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)),
      mapped_(std::exchange(other.mapped_, 0)) {}

SecureBuffer& SecureBuffer::operator=(SecureBuffer&& other) noexcept {
    if (this != &other) {
        reset();
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
        capacity_ = std::exchange(other.capacity_, 0);
        mapped_ = std::exchange(other.mapped_, 0);
    }
    return *this;
}

void SecureBuffer::resize(size_t size) {
    if (size > capacity_) throw Error(ErrorKind::System, "secret buffer overflow");
    if (size < size_) wipe(data_ + size, size_ - size);
    size_ = size;
}

void SecureBuffer::assign(std::span<const uint8_t> bytes) {
    if (bytes.size() > capacity_) *this = SecureBuffer(bytes.size());
    if (!bytes.empty()) std::memcpy(data_, bytes.data(), bytes.size());
    resize(bytes.size());
}

void SecureBuffer::reset() {
    if (!data_) return;
    wipe(data_, mapped_);
    ::munlock(data_, mapped_);
    ::munmap(data_, mapped_);
    data_ = nullptr;
    size_ = capacity_ = mapped_ = 0;
}

}  // namespace cvfs
