// Helpers for building error messages from system call failures.
#include "base/error.h"

#include <cstring>

namespace cvfs {

std::string errno_text(int err) {
    char buf[256];
    // GNU strerror_r returns the message, possibly not in buf.
    return ::strerror_r(err, buf, sizeof buf);
}

}  // namespace cvfs
