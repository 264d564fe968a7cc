// may_name_subsystem: the cheap look at the subsystem fields of both LUKS2
// binary headers that spares a full header load when no copy names
// cryptpilot. Only "no copy names it" may be false.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "luks/header_copy.h"

using namespace cvfs;

namespace {
struct TempImage {
    std::string path;
    explicit TempImage(uintmax_t size) {
        char name[] = "/tmp/cvfs-subsystem-test.XXXXXX";
        int fd = ::mkstemp(name);
        REQUIRE(fd >= 0);
        REQUIRE(::ftruncate(fd, static_cast<off_t>(size)) == 0);
        ::close(fd);
        path = name;
    }
    ~TempImage() { std::filesystem::remove(path); }
    // A LUKS2 header with `subsystem`, made by cryptsetup (cheap PBKDF2).
    void format(const std::string& subsystem) const {
        const std::string key = path + ".key";
        { std::ofstream(key) << "a test passphrase"; }
        const std::string command = "cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 "
                                    "--subsystem '" + subsystem + "' --key-file " + key + " " + path + " >/dev/null 2>&1";
        REQUIRE(std::system(command.c_str()) == 0);
        std::filesystem::remove(key);
    }
    // Overwrites `length` bytes at `offset` with zeros.
    void zero(off_t offset, size_t length) const {
        std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(offset);
        file << std::string(length, '\0');
        REQUIRE(file.good());
    }
};
}  // namespace

TEST_CASE("a header naming cryptpilot may, one naming cvfs does not") {
    TempImage image(32 << 20);
    CHECK_FALSE(may_name_subsystem(image.path, "cryptpilot"));  // zeros
    image.format("cryptpilot");
    CHECK(may_name_subsystem(image.path, "cryptpilot"));
    image.format("cryptpilot-initializing");
    CHECK(may_name_subsystem(image.path, "cryptpilot"));
    image.format("cvfs");
    CHECK_FALSE(may_name_subsystem(image.path, "cryptpilot"));
    CHECK(may_name_subsystem(image.path, "cvfs"));
}

TEST_CASE("the secondary header's subsystem counts when the primary's is gone") {
    TempImage image(32 << 20);
    image.format("cryptpilot");
    image.zero(0, 4096);  // the primary binary header: libcryptsetup loads the secondary
    CHECK(may_name_subsystem(image.path, "cryptpilot"));
}

TEST_CASE("a device that cannot be read may name anything") {
    CHECK(may_name_subsystem("/nonexistent/disk.img", "cryptpilot"));
}
