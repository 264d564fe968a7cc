// Mount option parsing: generic options become mount(2) flags, the rest is
// passed to the filesystem unchanged and in order.
#include <catch2/catch.hpp>

#include <sys/mount.h>

#include "volume/mounts.h"

using namespace cvfs;

TEST_CASE("generic mount options become flags") {
    MountOptions o = parse_mount_options("noatime,nodev,nosuid,ro");
    CHECK(o.flags == (MS_NOATIME | MS_NODEV | MS_NOSUID | MS_RDONLY));
    CHECK(o.data.empty());
}

TEST_CASE("filesystem options are passed through as data") {
    MountOptions o = parse_mount_options("noatime,data=ordered,,errors=remount-ro");
    CHECK(o.flags == MS_NOATIME);
    CHECK(o.data == "data=ordered,errors=remount-ro");
}

TEST_CASE("a later option undoes an earlier one") {
    CHECK(parse_mount_options("ro,rw").flags == 0);
    CHECK(parse_mount_options("defaults").flags == 0);
}

TEST_CASE("the device number of something that is not a block device is refused") {
    CHECK_THROWS_WITH(block_device_number("/etc/hostname"), Catch::Contains("is not a block device"));
}
