// Per-volume exclusive lock (see volume_lock.h).
#include "volume/volume_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <thread>

#include "base/error.h"
#include "base/log.h"

namespace cvfs {

namespace {

// "process 1234 (cvfs open data1)": this process, as the lock file records it.
// The command line holds no secret: cvfs takes keys from files and providers.
std::string own_description() {
    std::ifstream in("/proc/self/cmdline", std::ios::binary);
    std::string args, arg;
    while (std::getline(in, arg, '\0')) {
        if (args.empty()) arg = std::filesystem::path(arg).filename().string();
        args += (args.empty() ? "" : " ") + arg;
        if (args.size() > 200) {
            args.resize(200);
            args += "...";
            break;
        }
    }
    return "process " + std::to_string(::getpid()) + (args.empty() ? "" : " (" + args + ")");
}

// What the holder wrote into the lock file; "another cvfs process" when it
// wrote nothing (yet), or wrote something that is not one line of text.
std::string holder_of(int fd) {
    char buffer[256] = {};
    ssize_t n = ::pread(fd, buffer, sizeof buffer - 1, 0);
    std::string text = n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "";
    if (auto end = text.find('\n'); end != std::string::npos) text.resize(end);
    for (char c : text)
        if (c < 0x20 || c == 0x7f) return "another cvfs process";
    return text.rfind("process ", 0) == 0 ? text : "another cvfs process";
}

std::string seconds_left(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::ceil<std::chrono::seconds>(deadline - std::chrono::steady_clock::now());
    return std::to_string(std::max<long long>(0, left.count())) + " s";
}

}  // namespace

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
            const std::string holder = holder_of(fd_);
            ::close(fd_);
            throw Error(ErrorKind::Locked,
                        "volume '" + volume + "' is in use by " + holder + ", which holds its lock " + path,
                        "wait for the other cvfs command to finish, then try again");
        }
        if (!told) {
            log(LogLevel::Warning, "volume '" + volume + "': waiting up to " + seconds_left(deadline) + " for " +
                                       holder_of(fd_) + ", which holds its lock");
            told = true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    // Say who holds it, for the next one to wait. A process killed while
    // holding it leaves this line behind, but also an unlocked file.
    const std::string line = own_description() + "\n";
    if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, line.data(), line.size(), 0) < 0)
        log(LogLevel::Debug, "cannot record the holder in " + path + ": " + errno_text(errno));
}

VolumeLock::~VolumeLock() {
    if (fd_ >= 0) ::close(fd_);
}

}  // namespace cvfs
