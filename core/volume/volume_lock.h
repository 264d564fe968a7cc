// VolumeLock: one cvfs process at a time per volume.
//
// An exclusive flock() on <run_dir>/locks/<volume>.lock, taken before any
// work on a volume and held until the object is destroyed. The kernel drops
// it when the process dies, so a killed cvfs never leaves a stale lock. The
// holder writes "process PID (its command line)" into the file, so a second
// cvfs that has to wait says at once (a warning) whom it waits for and how long.
#pragma once

#include <chrono>
#include <string>

namespace cvfs {

class VolumeLock {
public:
    // Waits until `deadline` for the lock; throws cvfs::Error(ErrorKind::Locked)
    // naming the holder and the lock file when another process keeps it.
    VolumeLock(const std::string& run_dir, const std::string& volume,
               std::chrono::steady_clock::time_point deadline);
    ~VolumeLock();
    VolumeLock(const VolumeLock&) = delete;
    VolumeLock& operator=(const VolumeLock&) = delete;

private:
    int fd_ = -1;
};

}  // namespace cvfs
