// VolumeLock: a second holder of the same volume's lock waits, then fails
// with ErrorKind::Busy; another volume's lock is independent.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <optional>

#include "base/error.h"
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

TEST_CASE("a second lock on the same volume times out as busy") {
    const std::string dir = temp_dir();
    VolumeLock first(dir, "data0", std::chrono::steady_clock::now() + 1s);
    try {
        VolumeLock second(dir, "data0", std::chrono::steady_clock::now() + 200ms);
        FAIL("the second lock was granted");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::Busy);
        CHECK(std::string(e.what()).find("volume 'data0' is in use by another cvfs process") != std::string::npos);
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
