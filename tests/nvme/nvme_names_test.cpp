// How the nvme backend finds the device a volume's `dev` names, on fixture
// trees: nodes, PARTUUID= and PARTLABEL= (read from the disk's GPT with
// libblkid), /dev/disk/by-* links that exist and, as in a guest without
// udev, ones that do not and are decoded against sysfs.
#include <catch2/catch.hpp>

#include "cvfs/plugin.hpp"
#include "device_name.h"
#include "fake_system.h"

using namespace nvme_test;
using cvfs_nvme::resolve_device;

namespace {

const std::string kOtpGuid = "6A2C3B1E-0D3F-4E51-9C1B-2E5F6A7B8C01";
const std::string kDataGuid = "6A2C3B1E-0D3F-4E51-9C1B-2E5F6A7B8C02";

// The cloud guide's data disk: one OTP partition, one persistent.
void add_data_disk(FakeSystem& fake, unsigned controller = 1) {
    fake.add_nvme(controller, 1, "QEMU NVMe Ctrl", "cvfs-nvme0",
                  {{1, "otp", kOtpGuid}, {2, "my data", kDataGuid}});
}

std::string resolved(const FakeSystem& fake, const std::string& dev) {
    return resolve_device(fake.system(), dev).value_or("<nothing>");
}

// The message of the cvfs::sdk::Error `body` throws.
template <class Body>
std::string error_of(Body&& body) {
    try {
        body();
    } catch (const cvfs::sdk::Error& e) {
        return e.what();
    }
    return "<no error>";
}

}  // namespace

TEST_CASE("nvme finds a partition by PARTUUID in the disk's GPT, in any letter case") {
    FakeSystem fake;
    add_data_disk(fake);
    CHECK(resolved(fake, "PARTUUID=" + kOtpGuid) == "nvme1n1p1");
    std::string lower = kDataGuid;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    CHECK(resolved(fake, "PARTUUID=" + lower) == "nvme1n1p2");
    CHECK(resolved(fake, "PARTUUID=00000000-0000-0000-0000-000000000000") == "<nothing>");
}

TEST_CASE("nvme finds a partition by PARTLABEL, exactly") {
    FakeSystem fake;
    add_data_disk(fake);
    CHECK(resolved(fake, "PARTLABEL=otp") == "nvme1n1p1");
    CHECK(resolved(fake, "PARTLABEL=my data") == "nvme1n1p2");
    CHECK(resolved(fake, "PARTLABEL=OTP") == "<nothing>");
}

TEST_CASE("nvme takes a node that exists, and a /dev name sysfs knows when the node is missing") {
    FakeSystem fake;
    add_data_disk(fake);
    CHECK(resolved(fake, "/dev/nvme1n1p2") == "nvme1n1p2");
    CHECK(resolved(fake, "/dev/nvme7n1p1") == "<nothing>");
}

TEST_CASE("nvme follows /dev/disk/by-* links when udev made them") {
    FakeSystem fake;
    add_data_disk(fake);
    fake.link("dev/disk/by-partuuid/" + kDataGuid, "../../nvme1n1p2");
    fake.link("dev/disk/by-id/nvme-any-name-udev-chose", "../../nvme1n1p1");
    fake.link("dev/disk/by-path/pci-0000:00:04.0-nvme-1-part2", "../../nvme1n1p2");
    CHECK(resolved(fake, "/dev/disk/by-partuuid/" + kDataGuid) == "nvme1n1p2");
    CHECK(resolved(fake, "/dev/disk/by-id/nvme-any-name-udev-chose") == "nvme1n1p1");
    CHECK(resolved(fake, "/dev/disk/by-path/pci-0000:00:04.0-nvme-1-part2") == "nvme1n1p2");
}

TEST_CASE("nvme decodes by-partuuid and by-partlabel names when udev made no link") {
    FakeSystem fake;
    add_data_disk(fake);
    CHECK(resolved(fake, "/dev/disk/by-partuuid/" + kOtpGuid) == "nvme1n1p1");
    CHECK(resolved(fake, "/dev/disk/by-partlabel/otp") == "nvme1n1p1");
    CHECK(resolved(fake, "/dev/disk/by-partlabel/my\\x20data") == "nvme1n1p2");
    // Other folders have no rule to decode: the device is "not there yet".
    CHECK(resolved(fake, "/dev/disk/by-path/pci-0000:00:04.0-nvme-1-part1") == "<nothing>");
}

TEST_CASE("nvme decodes NVMe by-id names (model_serial, _nsid, wwid, -partN) against sysfs") {
    FakeSystem fake;
    add_data_disk(fake);
    CHECK(resolved(fake, "/dev/disk/by-id/nvme-QEMU_NVMe_Ctrl_cvfs-nvme0-part2") == "nvme1n1p2");
    CHECK(resolved(fake, "/dev/disk/by-id/nvme-QEMU_NVMe_Ctrl_cvfs-nvme0_1-part1") == "nvme1n1p1");
    CHECK(resolved(fake, "/dev/disk/by-id/nvme-QEMU_NVMe_Ctrl_cvfs-nvme0") == "nvme1n1");
    std::string wwid = cvfs_nvme::BlockDevice(fake.system(), "nvme1n1").nvme_attribute("wwid");
    REQUIRE(wwid.starts_with("eui."));
    CHECK(resolved(fake, "/dev/disk/by-id/nvme-" + wwid + "-part2") == "nvme1n1p2");
    CHECK(resolved(fake, "/dev/disk/by-id/nvme-QEMU_NVMe_Ctrl_cvfs-nvme0-part9") == "<nothing>");
    CHECK(resolved(fake, "/dev/disk/by-id/nvme-Other_Model_123-part1") == "<nothing>");
}

TEST_CASE("nvme refuses a PARTUUID that two disks carry (a cloned disk)") {
    FakeSystem fake;
    add_data_disk(fake, 1);
    add_data_disk(fake, 2);
    std::string message = error_of([&] { resolve_device(fake.system(), "PARTUUID=" + kOtpGuid); });
    CHECK_THAT(message, Catch::Contains("ambiguous") && Catch::Contains("nvme1n1p1") &&
                            Catch::Contains("nvme2n1p1"));
}

TEST_CASE("nvme says a path that is a file or a folder is not a block device") {
    FakeSystem fake;
    fake.write("dev/data.img", "not a disk");
    CHECK_THAT(error_of([&] { resolve_device(fake.system(), "/dev/data.img"); }),
               Catch::Contains("not a block device") && Catch::Contains("regular file") &&
                   Catch::Contains("loop"));
    CHECK_THAT(error_of([&] { resolve_device(fake.system(), "/dev/disk"); }),
               Catch::Contains("a folder"));
    fake.link("dev/loop-a", "loop-b");
    fake.link("dev/loop-b", "loop-a");
    CHECK_THAT(error_of([&] { resolve_device(fake.system(), "/dev/loop-a"); }),
               Catch::Contains("levels of links"));
}

TEST_CASE("nvme takes only /dev paths, PARTUUID= and PARTLABEL=") {
    using cvfs_nvme::check_device_spec;
    CHECK_NOTHROW(check_device_spec("/dev/nvme1n1p1"));
    CHECK_NOTHROW(check_device_spec("PARTUUID=" + kOtpGuid));
    CHECK_NOTHROW(check_device_spec("PARTLABEL=otp"));
    CHECK_THAT(error_of([] { check_device_spec("/var/lib/cvfs/data0.img"); }),
               Catch::Contains("backend = \"loop\""));
    CHECK_THAT(error_of([] { check_device_spec("PARTUUID="); }),
               Catch::Contains("names no partition"));
    CHECK_THAT(error_of([] { check_device_spec("/dev/"); }),
               Catch::Contains("not a device under /dev"));
}

TEST_CASE("nvme undoes udev's escapes and spells ids as udev does") {
    CHECK(cvfs_nvme::decode_udev_name("my\\x20data\\x2fx") == "my data/x");
    CHECK(cvfs_nvme::decode_udev_name("plain\\x2") == "plain\\x2");
    CHECK(cvfs_nvme::udev_id_text("  Samsung SSD 980   PRO 1TB  ") == "Samsung_SSD_980_PRO_1TB");
    CHECK(cvfs_nvme::udev_id_text("a/b(c)") == "a_b_c_");
}
