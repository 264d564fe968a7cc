// Tests of the fs makers "ext4", "xfs", "vfat" and "swap": each makes its
// filesystem on a plain sparse file (the tools accept files), and libblkid
// must then find that type and label. Also the label limits, unknown keys,
// extra options, a failing tool and the deadline.
#include <blkid/blkid.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <thread>

#include "plugins_test_host.h"

using namespace plugins_test;

namespace {

const Plugin& maker(const std::string& fs) {
    static std::map<std::string, std::unique_ptr<Plugin>> loaded;
    auto& plugin = loaded[fs];
    if (!plugin) plugin = std::make_unique<Plugin>("fs-" + fs + ".so");
    return *plugin;
}

const cvfs_fs_maker_ops& ops(const std::string& fs) { return maker(fs).ops<cvfs_fs_maker_ops>(); }

cvfs_status make(const std::string& fs, TestCall& call, const std::string& device, ErrorText& error) {
    return ops(fs).make(maker(fs).context(), call.raw(), device.c_str(), error.get());
}

std::string sparse_file(const TempDir& dir, off_t size) {
    std::string path = dir / "volume.img";
    std::ofstream(path).close();
    REQUIRE(truncate(path.c_str(), size) == 0);
    return path;
}

// What libblkid finds on `path`: TYPE, LABEL, UUID, ... ("" when absent).
std::map<std::string, std::string> blkid_values(const std::string& path) {
    std::map<std::string, std::string> values;
    blkid_probe probe = blkid_new_probe_from_filename(path.c_str());
    REQUIRE(probe);
    blkid_probe_enable_superblocks(probe, 1);
    blkid_probe_set_superblocks_flags(probe, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID);
    if (blkid_do_safeprobe(probe) == 0) {
        for (const char* name : {"TYPE", "LABEL", "UUID"}) {
            const char* value = nullptr;
            if (blkid_probe_lookup_value(probe, name, &value, nullptr) == 0) values[name] = value;
        }
    }
    blkid_free_probe(probe);
    return values;
}

struct Case {
    const char* fs;
    off_t size;
    const char* label;
};

}  // namespace

TEST_CASE("each fs maker makes its filesystem with the label, as libblkid sees it") {
    // mkfs.xfs refuses filesystems under 300 MB; the file is sparse anyway.
    for (Case c : {Case{"ext4", 64 << 20, "data"}, Case{"xfs", 320 << 20, "scratch"},
                   Case{"vfat", 64 << 20, "BOOT"}, Case{"swap", 64 << 20, "swap0"}}) {
        INFO(c.fs);
        TempDir dir;
        std::string file = sparse_file(dir, c.size);
        TestCall call("fs");
        call.string("label", c.label);
        ErrorText error;
        REQUIRE(make(c.fs, call, file, error) == CVFS_OK);
        auto found = blkid_values(file);
        CHECK(found["TYPE"] == c.fs);
        CHECK(found["LABEL"] == c.label);
    }
}

TEST_CASE("each fs maker names its mount type, none for swap") {
    CHECK(std::string(ops("ext4").mount_type) == "ext4");
    CHECK(std::string(ops("xfs").mount_type) == "xfs");
    CHECK(std::string(ops("vfat").mount_type) == "vfat");
    CHECK(ops("swap").mount_type == nullptr);
    CHECK(maker("xfs").descriptor().kind == CVFS_KIND_FS_MAKER);
    CHECK(std::string(maker("xfs").descriptor().name) == "xfs");
}

TEST_CASE("an fs maker works without a label") {
    TempDir dir;
    std::string file = sparse_file(dir, 64 << 20);
    TestCall call("fs");
    ErrorText error;
    REQUIRE(make("ext4", call, file, error) == CVFS_OK);
    auto found = blkid_values(file);
    CHECK(found["TYPE"] == "ext4");
    CHECK(found.count("LABEL") == 0);
}

TEST_CASE("fs makers refuse a label longer than their filesystem holds") {
    for (auto [fs, longest] : {std::pair{"ext4", 16}, {"xfs", 12}, {"vfat", 11}, {"swap", 16}}) {
        INFO(fs);
        ErrorText error;
        TestCall fits("fs");
        fits.string("label", std::string(static_cast<size_t>(longest), 'A'));
        CHECK(ops(fs).check_config(maker(fs).context(), fits.raw(), error.get()) == CVFS_OK);
        TestCall too_long("fs");
        too_long.string("label", std::string(static_cast<size_t>(longest) + 1, 'A'), 8);
        CHECK(ops(fs).check_config(maker(fs).context(), too_long.raw(), error.get()) == CVFS_E_INVALID_CONFIG);
        CHECK_THAT(error.str(), Catch::Contains(":8:") && Catch::Contains("at most " + std::to_string(longest)));
    }
}

TEST_CASE("fs makers refuse an unknown key with its line") {
    TestCall call("fs");
    call.string("lable", "data", 12);
    ErrorText error;
    CHECK(ops("ext4").check_config(maker("ext4").context(), call.raw(), error.get()) == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(error.str(), Catch::Contains("data0.toml:12:") && Catch::Contains("'lable'") &&
                                Catch::Contains("[fs]"));
    TempDir dir;
    std::string file = sparse_file(dir, 64 << 20);
    CHECK(make("ext4", call, file, error) == CVFS_E_INVALID_CONFIG);
    CHECK(blkid_values(file).count("TYPE") == 0);
}

TEST_CASE("fs makers pass options to the tool") {
    const std::string uuid = "0b6f8a34-3c2e-4d36-9d6c-2f1a5e8b7c41";
    TempDir dir;
    std::string file = sparse_file(dir, 64 << 20);
    TestCall call("fs");
    call.string("options", "-U").string("options", uuid);
    ErrorText error;
    REQUIRE(make("ext4", call, file, error) == CVFS_OK);
    CHECK(blkid_values(file)["UUID"] == uuid);
}

TEST_CASE("a failing tool's exit status and message reach the error") {
    TempDir dir;
    std::string file = sparse_file(dir, 64 << 20);
    TestCall call("fs");
    call.string("options", "-E").string("options", "bogus_option");
    ErrorText error;
    CHECK(make("ext4", call, file, error) == CVFS_E_INTERNAL);
    CHECK_THAT(error.str(), Catch::Contains("mkfs.ext4 failed on " + file) &&
                                Catch::Contains("exit status 1") &&
                                Catch::Contains("Bad option(s) specified: bogus_option"));
}

// mkfs.ext4 waits forever for data from a FIFO: a tool that never finishes.
std::string never_ending_device(const TempDir& dir) {
    std::string path = dir / "device.fifo";
    REQUIRE(mkfifo(path.c_str(), 0600) == 0);
    return path;
}

TEST_CASE("an fs maker kills the tool when the deadline passes") {
    TempDir dir;
    TestCall call("fs");
    call.deadline_in(std::chrono::milliseconds(300));
    ErrorText error;
    auto start = std::chrono::steady_clock::now();
    CHECK(make("ext4", call, never_ending_device(dir), error) == CVFS_E_DEADLINE_EXCEEDED);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
    CHECK_THAT(error.str(), Catch::Contains("mkfs.ext4") && Catch::Contains("deadline"));
    CHECK(waitpid(-1, nullptr, WNOHANG) == -1);  // no child left behind
}

TEST_CASE("an fs maker kills the tool when the host cancels") {
    TempDir dir;
    TestCall call("fs");
    std::thread canceller([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        call.raw()->cancelled = true;
    });
    ErrorText error;
    cvfs_status status = make("ext4", call, never_ending_device(dir), error);
    canceller.join();
    CHECK(status == CVFS_E_CANCELLED);
    CHECK(waitpid(-1, nullptr, WNOHANG) == -1);
}

TEST_CASE("an fs maker does not start when the call is already cancelled") {
    TempDir dir;
    std::string file = sparse_file(dir, 64 << 20);
    TestCall call("fs");
    call.raw()->cancelled = true;
    ErrorText error;
    CHECK(make("ext4", call, file, error) == CVFS_E_CANCELLED);
    CHECK(blkid_values(file).count("TYPE") == 0);
}
