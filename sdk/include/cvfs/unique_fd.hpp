// UniqueFd: a file descriptor closed when it goes out of scope.
//
// Part of the header-only C++ helper for plugin authors: plugins that open
// devices, key files or pipes hold them in a UniqueFd so every error path
// closes them. Move-only; not thread-safe (like the descriptor itself).
#pragma once

#include <unistd.h>

#include <utility>

namespace cvfs::sdk {

class UniqueFd {
public:
    explicit UniqueFd(int fd = -1) : fd_(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other) reset(std::exchange(other.fd_, -1));
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    int get() const { return fd_; }
    bool valid() const { return fd_ >= 0; }

    // Closes the current descriptor (if any) and holds `fd` instead.
    void reset(int fd = -1) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }

private:
    int fd_;
};

}  // namespace cvfs::sdk
