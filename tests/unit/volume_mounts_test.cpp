// Mount options as mount(8) reads them (libmount): generic options become
// mount(2) flags, userspace-only options (nofail, _netdev, x-*, ...) never
// reach the kernel, the rest is the filesystem's data, in order; options
// cvfs cannot honour are refused naming the volume file. And mountinfo read
// with its escapes undone.
#include <catch2/catch.hpp>

#include <sys/mount.h>
#include <sys/sysmacros.h>

#include "base/error.h"
#include "volume/mounts.h"

using namespace cvfs;

namespace {

VolumeConfig volume_with_options(const std::string& options) {
    VolumeConfig volume;
    volume.name = "data";
    volume.file = "/etc/cvfs/volumes/data.toml";
    volume.mount = MountParams{"/mnt/data", options};
    return volume;
}

// The error mount_volume gives for `options` before it looks at any device.
Error mount_error(const std::string& options) {
    try {
        mount_volume("/nonexistent/device", "ext4", volume_with_options(options));
    } catch (const Error& e) {
        return e;
    }
    FAIL("mount_volume accepted options '" << options << "'");
    throw;  // not reached
}

}  // namespace

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

TEST_CASE("fstab and systemd options stay in userspace, as mount(8) keeps them") {
    MountOptions o = parse_mount_options("nofail,_netdev,x-systemd.device-timeout=5s,noatime,commit=30");
    CHECK(o.flags == MS_NOATIME);
    CHECK(o.data == "commit=30");
    CHECK(o.userspace == "nofail,_netdev,x-systemd.device-timeout=5s");

    MountOptions more =
        parse_mount_options("noauto,comment=cvfs,X-mount.mkdir,x-gvfs-show,owner,nodev,discard");
    CHECK(more.data == "discard");
    for (const char* option : {"noauto", "comment", "X-mount", "x-gvfs", "owner"}) {
        INFO(option);
        CHECK(more.data.find(option) == std::string::npos);
        CHECK(more.userspace.find(option) != std::string::npos);
    }
    // As in fstab, "owner" implies nosuid and nodev.
    CHECK(more.flags == (MS_NOSUID | MS_NODEV));
}

TEST_CASE("a mount option cvfs cannot honour names the volume file's [mount] options") {
    const std::string origin = "volume 'data' (/etc/cvfs/volumes/data.toml): [mount] options";
    struct Case {
        std::string options, named, why;
    };
    for (const Case& c : std::vector<Case>{
             {"noatime,noatime=1", "'noatime=1'", "noatime takes no value"},
             {"nofail=yes", "'nofail=yes'", "nofail takes no value"},
             {"bind", "'bind'", "bind mount"},
             {"remount,ro", "'remount'", "changes a mounted filesystem"},
             {"loop=/dev/loop7", "'loop=/dev/loop7'", "loop device"},
             {"verity.roothash=00ff", "'verity.roothash=00ff'", "dm-verity"},
             {"noatime,context=\"system_u:object_r:tmp_t", "context=\"system_u", "is not closed"},
             {"=5", "'=5'", "has no name"},
             {std::string("noatime\0,bind", 13), "[mount] options", "NUL character"},
         }) {
        INFO(c.options);
        Error e = mount_error(c.options);
        CHECK(e.kind() == ErrorKind::Config);
        CHECK_THAT(e.what(), Catch::Contains(origin) && Catch::Contains(c.named) &&
                                 Catch::Contains(c.why));
        CHECK_FALSE(e.hint().empty());
        CHECK_THROWS_AS(parse_mount_options(c.options), Error);
    }
}

TEST_CASE("mountinfo is read with its octal escapes undone") {
    const std::string fixture = std::string(CVFS_TEST_DATA) + "/mounts/mountinfo_escaped";
    CHECK(mount_points_of(makedev(253, 3), fixture) ==
          std::vector<std::string>{"/mnt/my data", "/mnt/my data/tab\tand\\backslash"});
    CHECK(mount_points_of(makedev(0, 44), fixture) == std::vector<std::string>{"/mnt/no source"});
    CHECK(mount_points_of(makedev(253, 30), fixture) == std::vector<std::string>{"/mnt/other"});
    CHECK(mount_points_of(makedev(253, 4), fixture).empty());
    CHECK_THROWS_WITH(mount_points_of(makedev(253, 3), fixture + ".missing"),
                      Catch::Contains("cannot read") && Catch::Contains(".missing"));
}

TEST_CASE("the device number of something that is not a block device is refused") {
    CHECK_THROWS_WITH(block_device_number("/etc/hostname"), Catch::Contains("is not a block device"));
}
