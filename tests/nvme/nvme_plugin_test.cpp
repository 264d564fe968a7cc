// The nvme plugin through its C ABI on this machine's real devices: its
// [device] table, a device that never comes (the wait, the deadline,
// cancellation), a path that is no block device, the disk holding /, and a
// loop device (a real block device, but not NVMe) free, too small, mounted
// and open in another process. Needs root and /dev/loop-control.
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>

#include "plugins_test_host.h"

using namespace plugins_test;
using Clock = std::chrono::steady_clock;

namespace {

const Plugin& nvme() {
    static Plugin plugin("device-nvme.so");
    return plugin;
}

const cvfs_device_backend_ops& ops() { return nvme().ops<cvfs_device_backend_ops>(); }

struct Result {
    cvfs_status status;
    std::string node;
    std::string error;
};

Result attach(TestCall& call, const std::string& dev) {
    ErrorText error;
    char node[256] = "";
    cvfs_status status =
        ops().attach(nvme().context(), call.raw(), dev.c_str(), 0, node, sizeof node, error.get());
    return {status, node, error.str()};
}

Result attach_any(const std::string& dev) {
    TestCall call("device");
    call.string("accept", "any");
    return attach(call, dev);
}

cvfs_status check_config(TestCall& call, const std::string& dev, ErrorText& error) {
    return ops().check_config(nvme().context(), call.raw(), dev.c_str(), error.get());
}

std::string run(const std::string& command) {
    std::string output;
    FILE* pipe = popen(command.c_str(), "r");
    REQUIRE(pipe);
    char buffer[256];
    while (fgets(buffer, sizeof buffer, pipe)) output += buffer;
    REQUIRE(pclose(pipe) == 0);
    while (!output.empty() && output.back() == '\n') output.pop_back();
    return output;
}

// A block file of `mib` MiB attached to a loop device, detached at the end.
class LoopDevice {
public:
    explicit LoopDevice(int mib) {
        std::ofstream(dir_ / "disk.img").close();
        REQUIRE(truncate((dir_ / "disk.img").c_str(), static_cast<off_t>(mib) << 20) == 0);
        node_ = run("losetup --find --show " + (dir_ / "disk.img"));
    }
    ~LoopDevice() { std::system(("losetup -d " + node_).c_str()); }
    const std::string& node() const { return node_; }
    std::string scratch(const std::string& name) const { return dir_ / name; }

private:
    TempDir dir_;
    std::string node_;
};

// The block device that holds / here, e.g. "/dev/vda1".
std::string root_device() {
    struct stat st {};
    REQUIRE(stat("/", &st) == 0);
    std::string link = "/sys/dev/block/" + std::to_string(major(st.st_dev)) + ":" +
                       std::to_string(minor(st.st_dev));
    std::error_code ec;
    auto target = std::filesystem::read_symlink(link, ec);
    INFO("/ must be on a block device for this test; " << link << " does not name one");
    REQUIRE_FALSE(ec);
    return "/dev/" + target.filename().string();
}

}  // namespace

TEST_CASE("nvme checks its [device] table: accept, wait and nothing else") {
    ErrorText error;
    TestCall unknown("device");
    unknown.string("size", "1G", 7);
    CHECK(check_config(unknown, "/dev/nvme1n1p1", error) == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(error.str(), Catch::Contains(":7:") && Catch::Contains("'size'"));

    TestCall accept("device");
    accept.string("accept", "disk", 8);
    CHECK(check_config(accept, "/dev/nvme1n1p1", error) == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(error.str(), Catch::Contains(":8:") && Catch::Contains("\"namespace\""));

    for (auto [value, ok] : {std::pair{"30s", true},
                             {"2m", true},
                             {"0s", true},
                             {"61m", false},
                             {"1h", false},
                             {"s", false},
                             {"-1s", false},
                             {"1.5s", false}}) {
        TestCall call("device");
        call.string("wait", value, 9);
        INFO(value << ": " << error.str());
        CHECK((check_config(call, "PARTLABEL=data", error) == CVFS_OK) == ok);
    }
    TestCall seconds("device");
    seconds.integer("wait", 3601, 9);
    CHECK(check_config(seconds, "PARTLABEL=data", error) == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(error.str(), Catch::Contains(":9:") && Catch::Contains("0 to 3600"));
}

TEST_CASE("nvme refuses a dev outside /dev and names the volume file") {
    ErrorText error;
    TestCall call("device");
    CHECK(check_config(call, "/var/lib/cvfs/data0.img", error) == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(error.str(), Catch::Contains("data0.toml") && Catch::Contains("backend = \"loop\""));
}

TEST_CASE("nvme probes a device that is not there as absent, without waiting") {
    TestCall call("device");
    call.integer("wait", 60);
    ErrorText error;
    char node[256] = "x", header[256] = "x", detail[256] = "";
    cvfs_device_info info{sizeof info,  1, 1, node, sizeof node, header, sizeof header, detail,
                          sizeof detail};
    auto start = Clock::now();
    REQUIRE(ops().probe(nvme().context(), call.raw(), "PARTLABEL=cvfs-no-such-partition", &info,
                        error.get()) == CVFS_OK);
    CHECK(Clock::now() - start < std::chrono::seconds(5));
    CHECK(info.present == 0);
    CHECK(std::string(node).empty());
    CHECK_THAT(std::string(detail), Catch::Contains("not present"));
}

TEST_CASE("nvme waits the configured time for a device, then says it is missing") {
    TestCall call("device");
    call.integer("wait", 1);
    auto start = Clock::now();
    Result result = attach(call, "/dev/nvme97n1p1");
    auto waited = Clock::now() - start;
    CHECK(result.status == CVFS_E_NOT_FOUND);
    CHECK_THAT(result.error, Catch::Contains("after waiting 1 s") && Catch::Contains("lsblk"));
    CHECK(waited >= std::chrono::milliseconds(1000));
    CHECK(waited < std::chrono::seconds(4));
}

TEST_CASE("nvme stops waiting at the call's deadline and when cancelled") {
    TestCall late("device");
    late.string("wait", "2m").deadline_in(std::chrono::milliseconds(300));
    auto start = Clock::now();
    CHECK(attach(late, "PARTUUID=00000000-0000-4000-8000-00000000cafe").status ==
          CVFS_E_DEADLINE_EXCEEDED);
    CHECK(Clock::now() - start < std::chrono::seconds(3));

    TestCall cancelled("device");
    cancelled.string("wait", "2m");
    cancelled.raw()->cancelled = true;
    start = Clock::now();
    CHECK(attach(cancelled, "/dev/disk/by-partlabel/cvfs-never").status == CVFS_E_CANCELLED);
    CHECK(Clock::now() - start < std::chrono::seconds(3));
}

TEST_CASE("nvme refuses what is not a block device") {
    Result null = attach_any("/dev/null");
    CHECK(null.status == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(null.error,
               Catch::Contains("/dev/null is not a block device: it is a character device"));
}

TEST_CASE("nvme refuses the disk that holds / on this machine") {
    std::string root = root_device();
    Result result = attach_any(root);
    INFO(root << ": " << result.error);
    CHECK(result.status == CVFS_E_PERMISSION_DENIED);
    CHECK_THAT(result.error, Catch::Contains("the system disk (it holds /"));
}

TEST_CASE("nvme takes a free non-NVMe block device only with accept = \"any\"") {
    LoopDevice loop(32);
    TestCall strict("device");
    Result refused = attach(strict, loop.node());
    CHECK(refused.status == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(refused.error,
               Catch::Contains("not on an NVMe namespace") && Catch::Contains("accept = \"any\""));

    Result taken = attach_any(loop.node());
    CHECK(taken.status == CVFS_OK);
    CHECK(taken.node == loop.node());

    TestCall call("device");
    char node[256] = "", header[256] = "", detail[256] = "";
    cvfs_device_info info{sizeof info,  0, 0, node, sizeof node, header, sizeof header, detail,
                          sizeof detail};
    ErrorText error;
    REQUIRE(ops().probe(nvme().context(), call.raw(), loop.node().c_str(), &info, error.get()) ==
            CVFS_OK);
    CHECK(info.present == 1);
    CHECK(info.size_bytes == 32u << 20);
    CHECK(std::string(node) == loop.node());
    CHECK_THAT(std::string(detail),
               Catch::Contains("block device " + loop.node().substr(5) + ", 32 MiB"));
}

TEST_CASE("nvme refuses a block device below the LUKS2 minimum") {
    LoopDevice loop(8);
    Result result = attach_any(loop.node());
    CHECK(result.status == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(result.error, Catch::Contains("8 MiB") && Catch::Contains("at least 17 MiB"));
}

TEST_CASE("nvme refuses a mounted block device") {
    LoopDevice loop(32);
    run("mkfs.ext4 -q " + loop.node());
    std::string point = loop.scratch("mnt");
    std::filesystem::create_directory(point);
    REQUIRE(mount(loop.node().c_str(), point.c_str(), "ext4", 0, nullptr) == 0);
    Result result = attach_any(loop.node());
    umount(point.c_str());
    CHECK(result.status == CVFS_E_BUSY);
    CHECK_THAT(result.error, Catch::Contains("is mounted at " + point));
}

TEST_CASE("nvme refuses a block device another process has open") {
    LoopDevice loop(32);
    int ready[2];
    REQUIRE(pipe(ready) == 0);
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        int fd = open(loop.node().c_str(), O_RDONLY);
        (void)!write(ready[1], "x", 1);
        pause();
        _exit(fd >= 0 ? 0 : 1);
    }
    char byte;
    REQUIRE(read(ready[0], &byte, 1) == 1);
    Result result = attach_any(loop.node());
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    close(ready[0]);
    close(ready[1]);
    CHECK(result.status == CVFS_E_BUSY);
    CHECK_THAT(result.error, Catch::Contains("open in process " + std::to_string(child)));
}
