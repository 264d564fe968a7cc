// Per-volume exclusive lock (see volume_lock.h).
#include "volume/volume_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <thread>

#include "base/error.h"
#include "base/log.h"

namespace cvfs {

VolumeLock::VolumeLock(const std::string& run_dir, const std::string& volume,
                       std::chrono::steady_clock::time_point deadline) {
    const std::string dir = run_dir + "/locks";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
        throw Error(ErrorKind::System, "cannot create the lock folder " + dir + ": " + ec.message());
    const std::string path = dir + "/" + volume + ".lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd_ < 0)
        throw Error(ErrorKind::System, "cannot open lock file " + path + ": " + errno_text(errno));

    bool told = false;
    while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK) {
            int err = errno;
            ::close(fd_);
            throw Error(ErrorKind::System, "cannot lock " + path + ": " + errno_text(err));
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            ::close(fd_);
            throw Error(ErrorKind::Busy,
                        "volume '" + volume + "' is in use by another cvfs process (lock " + path + ")",
                        "wait for the other cvfs command to finish, then try again");
        }
        if (!told) {
            log(LogLevel::Info, "volume '" + volume + "': waiting for another cvfs process");
            told = true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

VolumeLock::~VolumeLock() {
    if (fd_ >= 0) ::close(fd_);
}

}  // namespace cvfs
