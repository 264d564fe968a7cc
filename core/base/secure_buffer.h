// SecureBuffer: the only place secret bytes live in the core.
//
// The pages are the SDK's LockedBytes (cvfs/locked_memory.hpp), the one
// implementation of locked memory in cvfs: mapped for this buffer alone,
// locked with mlock() so they never reach swap, excluded from core dumps and
// wiped before they are returned to the system. SecureBuffer adds the length
// of the bytes in use and cvfs errors. The buffer is move-only; copies of a
// secret must be explicit (assign()).
#pragma once

#include <cvfs/locked_memory.hpp>

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
    ~SecureBuffer() = default;

    SecureBuffer(SecureBuffer&& other) noexcept;
    SecureBuffer& operator=(SecureBuffer&& other) noexcept;
    SecureBuffer(const SecureBuffer&) = delete;
    SecureBuffer& operator=(const SecureBuffer&) = delete;

    uint8_t* data() { return pages_.data(); }
    const uint8_t* data() const { return pages_.bytes().data(); }
    size_t size() const { return size_; }
    size_t capacity() const { return pages_.capacity(); }
    bool empty() const { return size_ == 0; }

    // Sets the length of the valid bytes; must not exceed capacity().
    void resize(size_t size);
    // Copies `bytes` in, growing the buffer if needed.
    void assign(std::span<const uint8_t> bytes);

    std::span<const uint8_t> bytes() const { return {data(), size_}; }
    // The bytes viewed as text (passphrases); no copy is made.
    std::string_view view() const { return {reinterpret_cast<const char*>(data()), size_}; }

    // Wipes and frees now.
    void reset();

private:
    sdk::LockedBytes pages_;
    size_t size_ = 0;
};

// Wipes memory in a way the compiler may not optimise away.
using sdk::wipe;

}  // namespace cvfs
