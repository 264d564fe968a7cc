// Tests of reading mkfs.ext4's dry run (where the superblock backups go) and
// of writing those blocks whole: the ext4 maker relies on both so that
// mkfs.ext4 reads nothing it did not write on a fresh integrity volume.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "ext4_layout.h"

using cvfs::mkfs::parse_dry_run;

TEST_CASE("the dry run of a 4k-block ext4 gives its block size and backups") {
    auto layout = parse_dry_run(
        "mke2fs 1.47.0 (5-Feb-2023)\n"
        "Creating filesystem with 262144 4k blocks and 65536 inodes\n"
        "Filesystem UUID: 8c300fd2-6235-4e32-bf46-27d9d56be967\n"
        "Superblock backups stored on blocks: \n"
        "\t32768, 98304, 163840, 229376\n\n");
    CHECK(layout.block_size == 4096);
    CHECK(layout.backup_blocks == std::vector<uint64_t>{32768, 98304, 163840, 229376});
}

TEST_CASE("backups listed over several lines are all read, up to the empty line") {
    auto layout = parse_dry_run(
        "Creating filesystem with 102400 1k blocks and 25584 inodes\n"
        "Superblock backups stored on blocks: \n"
        "\t8193, 24577,\n\t40961, 57345, 73729\n\n"
        "Allocating group tables: done\n1234\n");
    CHECK(layout.block_size == 1024);
    CHECK(layout.backup_blocks == std::vector<uint64_t>{8193, 24577, 40961, 57345, 73729});
}

TEST_CASE("a filesystem too small for backups has none") {
    auto layout = parse_dry_run("Creating filesystem with 4096 4k blocks and 4096 inodes\n\n");
    CHECK(layout.block_size == 4096);
    CHECK(layout.backup_blocks.empty());
}

TEST_CASE("a report without the block size gives none, and no backups") {
    auto layout = parse_dry_run("mke2fs: Device size reported to be zero.\n"
                                "Superblock backups stored on blocks: \n\t32768\n\n");
    CHECK(layout.block_size == 0);
    CHECK(layout.backup_blocks.empty());
}

TEST_CASE("the backup blocks are written whole with zeros, nothing else is touched") {
    char path[] = "/tmp/ext4-layout-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    const std::vector<char> ones(16 * 4096, '\x5a');
    REQUIRE(write(fd, ones.data(), ones.size()) == static_cast<ssize_t>(ones.size()));
    close(fd);

    cvfs::mkfs::Ext4Layout layout{4096, {3, 7}};
    REQUIRE(cvfs::mkfs::zero_backup_blocks(path, layout) == 0);

    std::ifstream in(path, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    unlink(path);
    REQUIRE(bytes.size() == ones.size());
    for (size_t block = 0; block < 16; ++block) {
        const char expected = block == 3 || block == 7 ? '\0' : '\x5a';
        for (size_t i = 0; i < 4096; ++i) REQUIRE(bytes[block * 4096 + i] == expected);
    }
}

TEST_CASE("writing backups to a missing device reports the errno") {
    cvfs::mkfs::Ext4Layout layout{4096, {1}};
    CHECK(cvfs::mkfs::zero_backup_blocks("/nonexistent/device", layout) == ENOENT);
}
