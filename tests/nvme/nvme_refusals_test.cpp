// The nvme backend's refusal rules on fixture trees: the wrong kind of
// device, too small, the system disk (also under device-mapper), mounted,
// swap, held by another mapping, open in another process; and the volume's
// own mapping, which an idempotent open finds holding the partition.
#include <catch2/catch.hpp>

#include "cvfs/plugin.hpp"
#include "fake_system.h"
#include "usage_checks.h"

using namespace nvme_test;
using cvfs_nvme::Accept;
using cvfs_nvme::check_refusals;
using cvfs_nvme::UsagePolicy;

namespace {

// A data disk nvme0n1 with one partition per rule, and a virtio system disk.
struct Machine {
    FakeSystem fake;
    Machine() {
        fake.add_nvme(0, 1, "Cloud NVMe", "SN0001",
                      {{1, "free", "11111111-1111-4111-8111-111111111101"},
                       {2, "held", "11111111-1111-4111-8111-111111111102"},
                       {3, "mounted", "11111111-1111-4111-8111-111111111103"},
                       {4, "swap", "11111111-1111-4111-8111-111111111104"},
                       {5, "open", "11111111-1111-4111-8111-111111111105"},
                       {6, "tiny", "11111111-1111-4111-8111-111111111106", 16}},
                      false);
        fake.add_disk_named("vda", 254, {{1, "root", "", 512}, {2, "boot", "", 256}});
        fake.add_dm("dm-0", "other", {"nvme0n1p2"});
        fake.mount("vda1", "/");
        fake.mount("vda2", "/boot");
        fake.mount("nvme0n1p3", "/mnt/my data");
        fake.swap_on("nvme0n1p4");
        fake.open_in_process(4242, "dd", "nvme0n1p5");
    }
};

UsagePolicy policy(Accept accept = Accept::NvmePartition, std::string volume = "data0") {
    return {accept, std::move(volume), "DEV"};
}

struct Refusal {
    std::string message;
    cvfs_status status = CVFS_OK;
};

Refusal refusal(const FakeSystem& fake, const std::string& name, const UsagePolicy& policy) {
    try {
        check_refusals(fake.system(), name, policy);
    } catch (const cvfs::sdk::Error& e) {
        return {e.what(), e.status()};
    }
    return {};
}

}  // namespace

TEST_CASE("nvme accepts a free partition of an NVMe namespace") {
    Machine machine;
    CHECK(refusal(machine.fake, "nvme0n1p1", policy()).message == "");
    CHECK_FALSE(check_refusals(machine.fake.system(), "nvme0n1p1", policy()));
}

TEST_CASE("nvme refuses a whole namespace unless accept says namespace") {
    Machine machine;
    Refusal whole = refusal(machine.fake, "nvme0n1", policy());
    CHECK(whole.status == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(whole.message, Catch::Contains("whole NVMe namespace") &&
                                  Catch::Contains("accept = \"namespace\""));
    // Allowed as a kind, it is still refused while its partitions are in use.
    Refusal in_use = refusal(machine.fake, "nvme0n1", policy(Accept::NvmeNamespace));
    CHECK(in_use.status == CVFS_E_BUSY);
    CHECK_THAT(in_use.message, Catch::Contains("its partition nvme0n1p"));
}

TEST_CASE("nvme refuses a device not on NVMe unless accept says any") {
    Machine machine;
    machine.fake.add_disk_named("sdb", 8, {{1, "", "", 64}});
    Refusal other = refusal(machine.fake, "sdb1", policy());
    CHECK(other.status == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(other.message,
               Catch::Contains("not on an NVMe namespace") && Catch::Contains("accept = \"any\""));
    CHECK(refusal(machine.fake, "sdb1", policy(Accept::NvmeNamespace)).status ==
          CVFS_E_INVALID_CONFIG);
    CHECK(refusal(machine.fake, "sdb1", policy(Accept::AnyBlockDevice)).message == "");
}

TEST_CASE("nvme refuses any partition of the disk holding / or /boot") {
    Machine machine;
    for (const char* name : {"vda1", "vda2", "vda"}) {
        Refusal system = refusal(machine.fake, name, policy(Accept::AnyBlockDevice));
        INFO(name);
        CHECK(system.status == CVFS_E_PERMISSION_DENIED);
        CHECK_THAT(system.message, Catch::Contains("system disk") && Catch::Contains("holds /"));
    }
}

TEST_CASE("nvme finds the system disk under a device-mapper root") {
    FakeSystem fake;
    fake.add_nvme(0, 1, "Cloud NVMe", "ROOT", {{1, "efi", "", 64}, {2, "crypt-root", "", 1024}},
                  false);
    fake.add_dm("dm-0", "root", {"nvme0n1p2"});
    fake.mount("dm-0", "/");
    fake.mount("nvme0n1p1", "/boot/efi");
    Refusal system = refusal(fake, "nvme0n1p1", policy());
    CHECK(system.status == CVFS_E_PERMISSION_DENIED);
    CHECK_THAT(system.message, Catch::Contains("nvme0n1, the system disk (it holds /)"));
}

TEST_CASE("nvme refuses a mounted partition and names the mount point") {
    Machine machine;
    Refusal mounted = refusal(machine.fake, "nvme0n1p3", policy());
    CHECK(mounted.status == CVFS_E_BUSY);
    CHECK_THAT(mounted.message,
               Catch::Contains("DEV is mounted at /mnt/my data") && Catch::Contains("unmount"));
}

TEST_CASE("nvme refuses a partition in use as swap") {
    Machine machine;
    Refusal swap = refusal(machine.fake, "nvme0n1p4", policy());
    CHECK(swap.status == CVFS_E_BUSY);
    CHECK_THAT(swap.message, Catch::Contains("swap") && Catch::Contains("swapoff"));
}

TEST_CASE("nvme refuses a partition another mapping holds, and accepts the volume's own") {
    Machine machine;
    Refusal held = refusal(machine.fake, "nvme0n1p2", policy());
    CHECK(held.status == CVFS_E_BUSY);
    CHECK_THAT(held.message, Catch::Contains("device-mapper device dm-0 (\"other\")"));
    CHECK(
        check_refusals(machine.fake.system(), "nvme0n1p2", policy(Accept::NvmePartition, "other")));
    machine.fake.add_dm("dm-1", "data0_dif", {"nvme0n1p1"});  // an integrity volume's lower mapping
    CHECK(check_refusals(machine.fake.system(), "nvme0n1p1", policy()));
}

TEST_CASE("nvme refuses a partition another process has open") {
    Machine machine;
    Refusal open = refusal(machine.fake, "nvme0n1p5", policy());
    CHECK(open.status == CVFS_E_BUSY);
    CHECK_THAT(open.message, Catch::Contains("open in process 4242 (dd)"));
}

TEST_CASE("nvme refuses a partition below the LUKS2 minimum") {
    Machine machine;
    Refusal tiny = refusal(machine.fake, "nvme0n1p6", policy());
    CHECK(tiny.status == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(tiny.message, Catch::Contains("16 MiB") && Catch::Contains("at least 17 MiB"));
}

TEST_CASE("nvme reads accept values and nothing else") {
    CHECK(cvfs_nvme::accept_from_string("partition") == Accept::NvmePartition);
    CHECK(cvfs_nvme::accept_from_string("namespace") == Accept::NvmeNamespace);
    CHECK(cvfs_nvme::accept_from_string("any") == Accept::AnyBlockDevice);
    CHECK_FALSE(cvfs_nvme::accept_from_string("disk"));
}
