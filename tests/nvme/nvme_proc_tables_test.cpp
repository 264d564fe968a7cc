// The nvme backend's reading of mountinfo and swaps on fixture files: the
// kernel's octal escapes undone, an empty source kept empty, a missing
// mountinfo refused rather than taken for "nothing is mounted", and a
// missing swaps file (a kernel without swap) read as no swap areas.
#include <catch2/catch.hpp>

#include <filesystem>

#include "cvfs/plugin.hpp"
#include "fake_system.h"
#include "proc_tables.h"
#include "usage_checks.h"

using namespace nvme_test;
using cvfs_nvme::MountEntry;

TEST_CASE("nvme reads mountinfo with its escapes undone and an empty source kept empty") {
    FakeSystem fake;
    fake.write("proc/self/mountinfo",
               "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
               "30 22 259:3 / /mnt/tab\\011and\\134backslash rw shared:5 - ext4 "
               "/dev/disk/by-label/my\\040disk rw\n"
               "31 22 0:44 / /mnt/no\\040source rw shared:7 - tmpfs  rw,size=1024k\n");
    std::vector<MountEntry> mounts = cvfs_nvme::read_mounts(fake.system());
    REQUIRE(mounts.size() == 3);
    CHECK(mounts[0].major_minor == "254:1");
    CHECK(mounts[0].point == "/");
    CHECK(mounts[0].source == "/dev/vda1");
    CHECK(mounts[1].major_minor == "259:3");
    CHECK(mounts[1].point == "/mnt/tab\tand\\backslash");
    CHECK(mounts[1].source == "/dev/disk/by-label/my disk");
    CHECK(mounts[2].major_minor == "0:44");
    CHECK(mounts[2].point == "/mnt/no source");
    CHECK(mounts[2].source == "");
}

TEST_CASE("nvme reads swaps with its escapes undone") {
    FakeSystem fake;
    fake.write("proc/swaps",
               "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
               "/dev/nvme0n1p4                          partition\t1048572\t\t0\t\t-2\n"
               "/var/swap\\040file                       file\t\t524284\t\t0\t\t-3\n");
    CHECK(cvfs_nvme::read_swaps(fake.system()) ==
          std::vector<std::string>{"/dev/nvme0n1p4", "/var/swap file"});
}

TEST_CASE("nvme refuses to judge a partition when mountinfo cannot be read") {
    FakeSystem fake;
    fake.add_nvme(0, 1, "Cloud NVMe", "SN0001",
                  {{1, "free", "11111111-1111-4111-8111-111111111101"}}, false);
    std::filesystem::remove(fake.path("proc/self/mountinfo"));
    cvfs_nvme::UsagePolicy policy{cvfs_nvme::Accept::NvmePartition, "data0", "DEV"};
    CHECK_THROWS_WITH(cvfs_nvme::check_refusals(fake.system(), "nvme0n1p1", policy),
                      Catch::Contains("cannot read") && Catch::Contains("proc/self/mountinfo") &&
                          Catch::Contains("in use is unknown"));
}

TEST_CASE("nvme reads a missing swaps file as no swap areas") {
    FakeSystem fake;
    std::filesystem::remove(fake.path("proc/swaps"));
    CHECK(cvfs_nvme::read_swaps(fake.system()).empty());
}
