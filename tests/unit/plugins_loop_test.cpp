// Tests of the "loop" device backend on real loop devices: creating the
// sparse block file, refusing what cannot hold a volume, attaching, finding
// the attached device again, and detaching; the room check for a sparse file
// and allocate = "full" on a small tmpfs. Needs root and /dev/loop-control.
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "plugins_test_host.h"

using namespace plugins_test;

namespace {

const Plugin& loop() {
    static Plugin plugin("device-loop.so");
    return plugin;
}

const cvfs_device_backend_ops& ops() { return loop().ops<cvfs_device_backend_ops>(); }

struct Attached {
    cvfs_status status;
    std::string node;
};

Attached attach(TestCall& call, const std::string& dev, bool create, ErrorText& error) {
    char node[256] = "";
    cvfs_status status = ops().attach(loop().context(), call.raw(), dev.c_str(), create ? 1 : 0, node,
                                      sizeof node, error.get());
    return {status, node};
}

cvfs_status detach(const std::string& dev, const std::string& node) {
    TestCall call("device");
    ErrorText error;
    return ops().detach(loop().context(), call.raw(), dev.c_str(), node.c_str(), error.get());
}

struct Probed {
    cvfs_status status;
    bool present;
    uint64_t size;
    std::string node, header_path, detail;
};

Probed probe(const std::string& dev) {
    TestCall call("device");
    ErrorText error;
    char node[256] = "", header[256] = "", detail[256] = "";
    cvfs_device_info info{sizeof info, 0, 0, node, sizeof node, header, sizeof header, detail, sizeof detail};
    cvfs_status status = ops().probe(loop().context(), call.raw(), dev.c_str(), &info, error.get());
    return {status, info.present != 0, info.size_bytes, node, header, detail};
}

// Detaches whatever a test attached, even when a check failed.
struct DetachAtEnd {
    std::string dev, node;
    ~DetachAtEnd() {
        if (!node.empty()) detach(dev, node);
    }
};

// What the kernel itself says the loop device is attached to.
std::string sysfs_backing_file(const std::string& node) {
    std::ifstream in("/sys/block/" + node.substr(5) + "/loop/backing_file");
    std::string path;
    std::getline(in, path);
    return path;
}

void make_file(const std::string& path, off_t size) {
    std::ofstream(path).close();
    REQUIRE(truncate(path.c_str(), size) == 0);
}

}  // namespace

TEST_CASE("loop creates a sparse 0600 block file of the configured size") {
    TempDir dir;
    std::string dev = dir / "data0.img";
    TestCall call("device");
    call.string("size", "64M");
    ErrorText error;
    Attached attached = attach(call, dev, true, error);
    DetachAtEnd cleanup{dev, attached.node};
    REQUIRE(attached.status == CVFS_OK);
    struct stat st {};
    REQUIRE(stat(dev.c_str(), &st) == 0);
    CHECK(st.st_size == 64 << 20);
    CHECK(st.st_blocks * 512 < (1 << 20));
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(sysfs_backing_file(attached.node) == dev);
}

TEST_CASE("loop takes a size as bytes or with a binary suffix") {
    ErrorText error;
    for (auto [text, ok] : {std::pair{"1G", true}, {"16777216", true}, {"2T", true}, {"1.5G", false},
                            {"1GB", false}, {"-1M", false}, {"", false}, {"1K", false}}) {
        TestCall call("device");
        call.string("size", text, 5);
        cvfs_status status = ops().check_config(loop().context(), call.raw(), "/var/lib/x.img", error.get());
        INFO(text << ": " << error.str());
        CHECK((status == CVFS_OK) == ok);
        if (!ok) CHECK_THAT(error.str(), Catch::Contains(":5:"));
    }
    TestCall integer("device");
    integer.integer("size", 32 << 20);
    CHECK(ops().check_config(loop().context(), integer.raw(), "/var/lib/x.img", error.get()) == CVFS_OK);
}

TEST_CASE("loop refuses unknown keys and a relative dev") {
    ErrorText error;
    TestCall unknown("device");
    unknown.string("sise", "1G", 6);
    CHECK(ops().check_config(loop().context(), unknown.raw(), "/x.img", error.get()) == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(error.str(), Catch::Contains(":6:") && Catch::Contains("'sise'"));
    TestCall relative("device");
    CHECK(ops().check_config(loop().context(), relative.raw(), "x.img", error.get()) == CVFS_E_INVALID_CONFIG);
}

TEST_CASE("loop needs a size to create the block file") {
    TempDir dir;
    std::string dev = dir / "data0.img";
    TestCall call("device");
    ErrorText error;
    CHECK(attach(call, dev, true, error).status == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(error.str(), Catch::Contains("size"));
    CHECK(access(dev.c_str(), F_OK) != 0);
}

TEST_CASE("loop does not create the block file outside init") {
    TempDir dir;
    std::string dev = dir / "data0.img";
    TestCall call("device");
    call.string("size", "64M");
    ErrorText error;
    CHECK(attach(call, dev, false, error).status == CVFS_E_NOT_FOUND);
    CHECK_THAT(error.str(), Catch::Contains(dev) && Catch::Contains("cvfs init"));
    CHECK(access(dev.c_str(), F_OK) != 0);
}

TEST_CASE("loop needs the block file's folder to exist") {
    TempDir dir;
    std::string dev = dir / "missing/data0.img";
    TestCall call("device");
    call.string("size", "64M");
    ErrorText error;
    CHECK(attach(call, dev, true, error).status == CVFS_E_NOT_FOUND);
    CHECK_THAT(error.str(), Catch::Contains(dir / "missing"));
}

TEST_CASE("loop refuses a block file smaller than 16 MiB") {
    TempDir dir;
    std::string dev = dir / "small.img";
    make_file(dev, 1 << 20);
    TestCall call("device");
    ErrorText error;
    CHECK(attach(call, dev, false, error).status == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(error.str(), Catch::Contains("16 MiB"));
}

TEST_CASE("loop refuses what is not a regular file") {
    TempDir dir;
    TestCall call("device");
    ErrorText error;
    CHECK(attach(call, dir.path().string(), false, error).status == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(error.str(), Catch::Contains("not a regular file"));
}

TEST_CASE("loop probes a missing block file as absent") {
    TempDir dir;
    Probed probed = probe(dir / "none.img");
    CHECK(probed.status == CVFS_OK);
    CHECK_FALSE(probed.present);
    CHECK(probed.node.empty());
}

TEST_CASE("loop attaches once, finds the device again and detaches it") {
    TempDir dir;
    std::string dev = dir / "data0.img";
    make_file(dev, 32 << 20);

    Probed before = probe(dev);
    CHECK(before.present);
    CHECK(before.size == 32u << 20);
    CHECK(before.node.empty());
    CHECK(before.header_path == dev);

    TestCall call("device");
    ErrorText error;
    Attached first = attach(call, dev, false, error);
    DetachAtEnd cleanup{dev, first.node};
    REQUIRE(first.status == CVFS_OK);
    CHECK(first.node.starts_with("/dev/loop"));
    CHECK(sysfs_backing_file(first.node) == dev);

    Probed attached = probe(dev);
    CHECK(attached.node == first.node);
    CHECK_THAT(attached.detail, Catch::Contains("32 MiB") && Catch::Contains("on " + first.node));

    Attached again = attach(call, dev, false, error);
    CHECK(again.status == CVFS_OK);
    CHECK(again.node == first.node);

    REQUIRE(detach(dev, first.node) == CVFS_OK);
    cleanup.node.clear();
    CHECK(probe(dev).node.empty());
    CHECK(sysfs_backing_file(first.node).empty());
    CHECK(detach(dev, first.node) == CVFS_OK);  // idempotent
}

TEST_CASE("loop leaves a loop device alone that serves another file") {
    TempDir dir;
    std::string ours = dir / "ours.img", other = dir / "other.img";
    make_file(ours, 16 << 20);
    make_file(other, 16 << 20);
    TestCall call("device");
    ErrorText error;
    Attached attached = attach(call, other, false, error);
    DetachAtEnd cleanup{other, attached.node};
    REQUIRE(attached.status == CVFS_OK);
    CHECK(detach(ours, attached.node) == CVFS_OK);
    CHECK(sysfs_backing_file(attached.node) == other);
}

// ---- room for a sparse block file ---------------------------------------------

namespace {

// A 40 MiB tmpfs mounted for one test (loop devices work on tmpfs files).
struct SmallFilesystem {
    TempDir dir;
    SmallFilesystem() {
        REQUIRE(mount("cvfs-test", dir.path().c_str(), "tmpfs", 0, "size=40m,mode=0700") == 0);
    }
    ~SmallFilesystem() { umount2(dir.path().c_str(), MNT_DETACH); }
    std::string operator/(const std::string& name) const { return dir / name; }
};

bool logged(const std::string& text) {
    std::lock_guard lock(log_mutex);
    for (const auto& line : log_lines)
        if (line.find(text) != std::string::npos) return true;
    return false;
}

}  // namespace

TEST_CASE("loop refuses to create a sparse block file bigger than the free space") {
    SmallFilesystem fs;
    std::string dev = fs / "big.img";
    TestCall call("device");
    call.string("size", "64M");
    ErrorText error;
    Attached attached = attach(call, dev, true, error);
    DetachAtEnd cleanup{dev, attached.node};
    CHECK(attached.status == CVFS_E_UNAVAILABLE);
    CHECK_THAT(error.str(), Catch::Contains(dev) && Catch::Contains("64 MiB") && Catch::Contains("40 MiB free") &&
                                Catch::Contains("allocate = \"full\""));
    CHECK(access(dev.c_str(), F_OK) != 0);  // the empty file it made is gone again
}

TEST_CASE("loop refuses init over an existing sparse file without room, and only warns at open") {
    SmallFilesystem fs;
    std::string dev = fs / "existing.img";
    make_file(dev, 64 << 20);
    ErrorText error;
    {
        TestCall init("device");
        Attached attached = attach(init, dev, true, error);
        DetachAtEnd cleanup{dev, attached.node};
        CHECK(attached.status == CVFS_E_UNAVAILABLE);
        CHECK_THAT(error.str(), Catch::Contains("not allocated yet"));
    }
    CHECK(access(dev.c_str(), F_OK) == 0);  // not ours to remove
    TestCall open("device");
    Attached attached = attach(open, dev, false, error);
    DetachAtEnd cleanup{dev, attached.node};
    REQUIRE(attached.status == CVFS_OK);
    CHECK(logged(dev + " is 64 MiB but sparse"));
}

TEST_CASE("loop with allocate = \"full\" reserves the whole file, or says why it cannot") {
    SmallFilesystem fs;
    std::string dev = fs / "full.img";
    ErrorText error;
    TestCall fits("device");
    fits.string("size", "32M").string("allocate", "full");
    Attached attached = attach(fits, dev, true, error);
    DetachAtEnd cleanup{dev, attached.node};
    REQUIRE(attached.status == CVFS_OK);
    struct stat st {};
    REQUIRE(stat(dev.c_str(), &st) == 0);
    CHECK(st.st_blocks * 512 >= 32 << 20);

    std::string big = fs / "too-big.img";
    TestCall too_big("device");
    too_big.string("size", "64M").string("allocate", "full");
    CHECK(attach(too_big, big, true, error).status == CVFS_E_UNAVAILABLE);
    CHECK_THAT(error.str(), Catch::Contains("cannot reserve the 64 MiB of block file " + big));
}

TEST_CASE("loop takes allocate = \"sparse\" or \"full\" only") {
    ErrorText error;
    for (auto [text, ok] : {std::pair{"sparse", true}, {"full", true}, {"Full", false}, {"yes", false}}) {
        TestCall call("device");
        call.string("allocate", text, 7);
        cvfs_status status = ops().check_config(loop().context(), call.raw(), "/var/lib/x.img", error.get());
        INFO(text << ": " << error.str());
        CHECK((status == CVFS_OK) == ok);
        if (!ok) CHECK_THAT(error.str(), Catch::Contains(":7:") && Catch::Contains("\"sparse\" or \"full\""));
    }
    TestCall integer("device");
    integer.integer("allocate", 1);
    CHECK(ops().check_config(loop().context(), integer.raw(), "/var/lib/x.img", error.get()) ==
          CVFS_E_INVALID_CONFIG);
}
