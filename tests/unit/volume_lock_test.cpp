// VolumeLock: a second holder of the same volume's lock says whom it waits
// for, then fails with ErrorKind::Locked naming the holder; another volume's
// lock is independent.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <optional>

#include <fstream>
#include <mutex>
#include <vector>

#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "volume/volume_lock.h"

using namespace cvfs;
using namespace std::chrono_literals;

namespace {
std::string temp_dir() {
    char path[] = "/tmp/cvfs-lock-test.XXXXXX";
    REQUIRE(::mkdtemp(path) != nullptr);
    return path;
}
}  // namespace

TEST_CASE("a second lock on the same volume warns whom it waits for, then times out naming the holder") {
    const std::string dir = temp_dir();
    std::mutex mutex;
    std::vector<std::pair<LogLevel, std::string>> lines;
    set_log_sink([&](LogLevel level, const std::string& line) {
        std::lock_guard guard(mutex);
        lines.emplace_back(level, line);
    });
    const std::string holder = "process " + std::to_string(::getpid()) + " (";
    VolumeLock first(dir, "data0", std::chrono::steady_clock::now() + 1s);
    try {
        VolumeLock second(dir, "data0", std::chrono::steady_clock::now() + 500ms);
        FAIL("the second lock was granted");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::Locked);
        CHECK_THAT(e.what(), Catch::Contains("volume 'data0' is in use by " + holder));
        CHECK_THAT(e.what(), Catch::Contains(dir + "/locks/data0.lock"));
    }
    set_log_sink({});
    REQUIRE(lines.size() == 1);  // said once, not at every retry
    CHECK(lines[0].first == LogLevel::Warning);
    CHECK_THAT(lines[0].second, Catch::Contains("volume 'data0': waiting up to "));
    CHECK_THAT(lines[0].second, Catch::Contains(" s for " + holder));
    std::filesystem::remove_all(dir);
}

TEST_CASE("a lock file with hostile text names no holder") {
    const std::string dir = temp_dir();
    std::filesystem::create_directories(dir + "/locks");
    VolumeLock first(dir, "data0", std::chrono::steady_clock::now() + 1s);
    std::ofstream(dir + "/locks/data0.lock") << "process 1\x1b[31m (fake)\n";
    try {
        VolumeLock second(dir, "data0", std::chrono::steady_clock::now() + 100ms);
        FAIL("the second lock was granted");
    } catch (const Error& e) {
        CHECK_THAT(e.what(), Catch::Contains("is in use by another cvfs process"));
        CHECK_THAT(e.what(), !Catch::Contains("fake"));
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("locks of different volumes do not conflict, and a released lock can be taken") {
    const std::string dir = temp_dir();
    {
        VolumeLock a(dir, "a", std::chrono::steady_clock::now() + 1s);
        VolumeLock b(dir, "b", std::chrono::steady_clock::now() + 1s);
        CHECK(std::filesystem::exists(dir + "/locks/a.lock"));
    }
    std::optional<VolumeLock> again;
    REQUIRE_NOTHROW(again.emplace(dir, "a", std::chrono::steady_clock::now() + 200ms));
    again.reset();
    std::filesystem::remove_all(dir);
}
