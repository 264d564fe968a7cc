// Keeping volume keys out of core dumps, for cvfs and cvfs-secretd.
//
// cvfs keeps its own secrets in locked, dump-excluded buffers, but
// libcryptsetup copies the volume key into memory of its own during
// activation, and a crash there would write it into a core file. Both
// programs therefore make themselves not dumpable (no core, no ptrace
// attach by other users, /proc/PID/mem closed to them) and set the core size
// limit to zero before they touch any key; the systemd units add LimitCORE=0.
#pragma once

#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace cvfs::cli {

// Returns an empty string on success, else what failed (the caller decides
// whether to stop: a program that cannot protect its keys should not start).
inline std::string forbid_core_dumps() {
    const rlimit none{0, 0};
    if (::setrlimit(RLIMIT_CORE, &none) != 0) return std::string("setrlimit(RLIMIT_CORE, 0): ") + std::strerror(errno);
    if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return std::string("prctl(PR_SET_DUMPABLE, 0): ") + std::strerror(errno);
    return {};
}

}  // namespace cvfs::cli
