// libblkid decides whether a device is empty: zeros are, a filesystem or a
// partition table is not; erase_signatures makes it empty again.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "volume/signature_probe.h"

using namespace cvfs;

namespace {
struct TempImage {
    std::string path;
    explicit TempImage(uintmax_t size) {
        char name[] = "/tmp/cvfs-signature-test.XXXXXX";
        int fd = ::mkstemp(name);
        REQUIRE(fd >= 0);
        REQUIRE(::ftruncate(fd, static_cast<off_t>(size)) == 0);
        ::close(fd);
        path = name;
    }
    ~TempImage() { std::filesystem::remove(path); }
    int run(const std::string& command) const { return std::system((command + " " + path + " >/dev/null 2>&1").c_str()); }
};
}  // namespace

TEST_CASE("an all-zero image holds no signature") {
    TempImage image(8 << 20);
    CHECK_FALSE(find_signature(image.path));
    CHECK_FALSE(filesystem_type(image.path));
}

TEST_CASE("a filesystem is found and named, then erased") {
    TempImage image(32 << 20);
    REQUIRE(image.run("mkfs.ext4 -q -F") == 0);
    CHECK(find_signature(image.path) == std::optional<std::string>("ext4 filesystem"));
    CHECK(filesystem_type(image.path) == std::optional<std::string>("ext4"));
    erase_signatures(image.path);
    CHECK_FALSE(find_signature(image.path));
}

TEST_CASE("a partition table counts as data") {
    TempImage image(8 << 20);
    REQUIRE(std::system(("echo 'label: gpt' | sfdisk -q " + image.path + " >/dev/null 2>&1").c_str()) == 0);
    auto signature = find_signature(image.path);
    REQUIRE(signature);
    CHECK(*signature == "gpt partition table");
}

TEST_CASE("a missing device cannot be probed") {
    CHECK_THROWS_WITH(find_signature("/nonexistent/disk.img"), Catch::Contains("cannot probe"));
}

TEST_CASE("the quick check finds the filesystem asked for, and no other") {
    TempImage image(32 << 20);
    CHECK_FALSE(has_filesystem_of_type(image.path, "ext4"));  // zeros
    REQUIRE(image.run("mkfs.ext4 -q -F") == 0);
    CHECK(has_filesystem_of_type(image.path, "ext4"));
    CHECK_FALSE(has_filesystem_of_type(image.path, "xfs"));
    CHECK_FALSE(has_filesystem_of_type(image.path, "vfat"));
    erase_signatures(image.path);
    CHECK_FALSE(has_filesystem_of_type(image.path, "ext4"));
    CHECK_FALSE(has_filesystem_of_type("/nonexistent/disk.img", "ext4"));  // "no" is never an answer
}

TEST_CASE("the quick check knows xfs apart from ext4") {
    TempImage image(300 << 20);
    REQUIRE(image.run("mkfs.xfs -q -f") == 0);
    CHECK(has_filesystem_of_type(image.path, "xfs"));
    CHECK_FALSE(has_filesystem_of_type(image.path, "ext4"));
    CHECK(find_signature(image.path) == std::optional<std::string>("xfs filesystem"));
}
