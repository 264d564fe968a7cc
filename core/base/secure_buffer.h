// SecureBuffer: the only place secret bytes live in the core.
//
// Memory is allocated page-aligned, locked with mlock() so it never reaches
// swap, excluded from core dumps (MADV_DONTDUMP), and wiped with
// explicit_bzero() before it is returned to the system. The buffer is move-only;
// copies of a secret must be explicit (assign()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace cvfs {

class SecureBuffer {
public:
    SecureBuffer() = default;
    // Allocates `capacity` zeroed, locked bytes; size() starts at 0.
    // Throws cvfs::Error when the memory cannot be locked.
    explicit SecureBuffer(size_t capacity);
    ~SecureBuffer();

    SecureBuffer(SecureBuffer&& other) noexcept;
    SecureBuffer& operator=(SecureBuffer&& other) noexcept;
    SecureBuffer(const SecureBuffer&) = delete;
    SecureBuffer& operator=(const SecureBuffer&) = delete;

    uint8_t* data() { return data_; }
    const uint8_t* data() const { return data_; }
    size_t size() const { return size_; }
    size_t capacity() const { return capacity_; }
    bool empty() const { return size_ == 0; }

    // Sets the length of the valid bytes; must not exceed capacity().
    void resize(size_t size);
    // Copies `bytes` in, growing the buffer if needed.
    void assign(std::span<const uint8_t> bytes);

    std::span<const uint8_t> bytes() const { return {data_, size_}; }
    // The bytes viewed as text (passphrases); no copy is made.
    std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }

    // Wipes and frees now.
    void reset();

private:
    uint8_t* data_ = nullptr;
    size_t size_ = 0;
    size_t capacity_ = 0;
    size_t mapped_ = 0;
};

// Wipes memory in a way the compiler may not optimise away.
void wipe(void* data, size_t size);

}  // namespace cvfs
