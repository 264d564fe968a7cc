// Tests of the "keyfile" key provider: a machine secret (no argon2 for it),
// the key made at init in a new 0400 file and never replaced, the same bytes
// at unlock, and the refusals (others can read it, too short, missing).
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "plugins_test_host.h"

using namespace plugins_test;

namespace {

const Plugin& keyfile() {
    static Plugin plugin("key-keyfile.so");
    return plugin;
}

cvfs_status get_key(TestCall& call, Secret& secret, ErrorText& error, uint32_t purpose) {
    return keyfile().ops<cvfs_key_provider_ops>().get_key(keyfile().context(), call.raw(), purpose, secret.get(),
                                                          error.get());
}

std::string file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("keyfile declares a machine secret: no human, no prompt") {
    CHECK(keyfile().descriptor().capabilities == CVFS_CAP_THREAD_SAFE);
}

TEST_CASE("keyfile makes a 32-byte key at init in a new 0400 file, and gives the same at unlock") {
    TempDir dir;
    const std::string path = dir / "data.key";
    TestCall enrol("encrypt.keyfile");
    enrol.string("key_file", path);
    Secret made(64);
    ErrorText error;
    REQUIRE(get_key(enrol, made, error, CVFS_KEY_PURPOSE_ENROL) == CVFS_OK);
    CHECK(made.get()->length == 32);
    CHECK(file_bytes(path) == made.bytes());
    struct stat st {};
    REQUIRE(stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0400);

    TestCall unlock("encrypt.keyfile");
    unlock.string("key_file", path);
    Secret again(64);
    REQUIRE(get_key(unlock, again, error, CVFS_KEY_PURPOSE_UNLOCK) == CVFS_OK);
    CHECK(again.bytes() == made.bytes());
}

TEST_CASE("keyfile never replaces an existing key at init") {
    TempDir dir;
    const std::string path = dir / "data.key";
    const std::string key(48, 'k');
    std::ofstream(path, std::ios::binary) << key;
    REQUIRE(chmod(path.c_str(), 0600) == 0);
    TestCall enrol("encrypt.keyfile");
    enrol.string("key_file", path);
    Secret secret(64);
    ErrorText error;
    REQUIRE(get_key(enrol, secret, error, CVFS_KEY_PURPOSE_ENROL) == CVFS_OK);
    CHECK(secret.bytes() == key);
    CHECK(file_bytes(path) == key);
}

TEST_CASE("keyfile does not make a key at unlock: a missing file is an error naming it") {
    TempDir dir;
    TestCall unlock("encrypt.keyfile");
    unlock.string("key_file", dir / "absent.key", 6);
    Secret secret(64);
    ErrorText error;
    CHECK(get_key(unlock, secret, error, CVFS_KEY_PURPOSE_UNLOCK) == CVFS_E_NOT_FOUND);
    CHECK_THAT(error.str(), Catch::Contains(dir / "absent.key") && Catch::Contains(":6:"));
}

TEST_CASE("keyfile refuses a key others can read, and one too short for a machine key") {
    TempDir dir;
    const std::string path = dir / "data.key";
    std::ofstream(path, std::ios::binary) << std::string(32, 'k');
    REQUIRE(chmod(path.c_str(), 0640) == 0);
    TestCall call("encrypt.keyfile");
    call.string("key_file", path);
    Secret secret(64);
    ErrorText error;
    CHECK(get_key(call, secret, error, CVFS_KEY_PURPOSE_UNLOCK) == CVFS_E_PERMISSION_DENIED);
    CHECK_THAT(error.str(), Catch::Contains("0640") && Catch::Contains("chmod 600"));

    std::ofstream(path, std::ios::binary | std::ios::trunc) << "short";
    REQUIRE(chmod(path.c_str(), 0600) == 0);
    CHECK(get_key(call, secret, error, CVFS_KEY_PURPOSE_UNLOCK) == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(error.str(), Catch::Contains("holds 5 bytes") && Catch::Contains("32 to 8192"));
}

TEST_CASE("keyfile needs an absolute key_file and nothing else") {
    ErrorText error;
    const auto& ops = keyfile().ops<cvfs_key_provider_ops>();
    TestCall none("encrypt.keyfile");
    CHECK(ops.check_config(keyfile().context(), none.raw(), error.get()) == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(error.str(), Catch::Contains("needs key_file"));
    TestCall relative("encrypt.keyfile");
    relative.string("key_file", "data.key", 2);
    CHECK(ops.check_config(keyfile().context(), relative.raw(), error.get()) == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(error.str(), Catch::Contains(":2:") && Catch::Contains("absolute"));
    TestCall unknown("encrypt.keyfile");
    unknown.string("key_file", "/k").string("size", "32", 3);
    CHECK(ops.check_config(keyfile().context(), unknown.raw(), error.get()) == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(error.str(), Catch::Contains(":3:") && Catch::Contains("'size'"));
}
