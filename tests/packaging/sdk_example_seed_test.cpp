// The SDK's example vendor plugin (sdk/examples/seed-key) under the host's
// plugin test harness (tests/unit/plugins_test_host.h), as docs/plugin-guide.md
// tells plugin authors to test theirs: one key per volume derived from the
// seed, the salt kept in the token, every refusal with a clear message, and
// the seed never in a message or log line.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "plugins_test_host.h"

using namespace plugins_test;

namespace {

const Plugin& seed_plugin() {
    static Plugin plugin("key-example-seed.so");
    return plugin;
}
const cvfs_key_provider_ops& ops() { return seed_plugin().ops<cvfs_key_provider_ops>(); }

// A seed file of `bytes` bytes with `mode`.
std::string write_seed(const TempDir& dir, const std::string& name, const std::string& bytes, mode_t mode) {
    std::string path = (dir.path() / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    ::chmod(path.c_str(), mode);
    return path;
}

struct Result {
    cvfs_status status;
    std::string key;
    std::string error;
};

Result get_key(TestCall& call, uint32_t purpose, size_t capacity = 64) {
    Secret secret(capacity);
    ErrorText error;
    cvfs_status s = ops().get_key(seed_plugin().context(), call.raw(), purpose, secret.get(), error.get());
    return {s, s == CVFS_OK ? secret.bytes() : std::string(), error.str()};
}

const std::string kSeed(48, 'S');

}  // namespace

TEST_CASE("example-seed is a thread-safe key provider named example-seed") {
    const auto& d = seed_plugin().descriptor();
    CHECK(d.kind == CVFS_KIND_KEY_PROVIDER);
    CHECK(std::string(d.name) == "example-seed");
    CHECK(d.capabilities == CVFS_CAP_THREAD_SAFE);
}

TEST_CASE("example-seed enrols a 32-byte key and unlocks the same key from the salt in the token") {
    TempDir dir;
    std::string seed = write_seed(dir, "seed", kSeed, 0400);
    TestCall enrol("encrypt.example-seed");
    enrol.string("seed_file", seed);
    Result made = get_key(enrol, CVFS_KEY_PURPOSE_ENROL);
    REQUIRE(made.status == CVFS_OK);
    CHECK(made.key.size() == 32);
    REQUIRE(enrol.raw()->token.count("salt") == 1);
    CHECK(enrol.raw()->token["salt"].size() == 64);

    TestCall unlock("encrypt.example-seed");
    unlock.string("seed_file", seed);
    unlock.raw()->token = enrol.raw()->token;
    Result opened = get_key(unlock, CVFS_KEY_PURPOSE_UNLOCK);
    REQUIRE(opened.status == CVFS_OK);
    CHECK(opened.key == made.key);

    SECTION("a second enrolment draws a new salt and so a new key") {
        TestCall again("encrypt.example-seed");
        again.string("seed_file", seed);
        Result other = get_key(again, CVFS_KEY_PURPOSE_ENROL);
        REQUIRE(other.status == CVFS_OK);
        CHECK(other.key != made.key);
    }
    SECTION("another volume, context or seed gives another key") {
        TestCall other_volume("encrypt.example-seed");
        other_volume.string("seed_file", seed);
        other_volume.raw()->volume = "data1";
        other_volume.raw()->token = enrol.raw()->token;
        CHECK(get_key(other_volume, CVFS_KEY_PURPOSE_UNLOCK).key != made.key);

        TestCall with_context("encrypt.example-seed");
        with_context.string("seed_file", seed).string("context", "tenant-b", 2);
        with_context.raw()->token = enrol.raw()->token;
        CHECK(get_key(with_context, CVFS_KEY_PURPOSE_UNLOCK).key != made.key);

        TestCall other_seed("encrypt.example-seed");
        other_seed.string("seed_file", write_seed(dir, "seed2", std::string(48, 'T'), 0400));
        other_seed.raw()->token = enrol.raw()->token;
        CHECK(get_key(other_seed, CVFS_KEY_PURPOSE_UNLOCK).key != made.key);
    }
}

TEST_CASE("example-seed asks for 32 bytes when the host's buffer is smaller") {
    TempDir dir;
    TestCall call("encrypt.example-seed");
    call.string("seed_file", write_seed(dir, "seed", kSeed, 0400));
    Secret secret(16);
    ErrorText error;
    CHECK(ops().get_key(seed_plugin().context(), call.raw(), CVFS_KEY_PURPOSE_ENROL, secret.get(),
                        error.get()) == CVFS_E_BUFFER_TOO_SMALL);
    CHECK(secret.get()->length == 32);
}

TEST_CASE("example-seed refuses what it cannot trust, saying what to do") {
    TempDir dir;
    TestCall call("encrypt.example-seed");
    SECTION("a seed others may read") {
        call.string("seed_file", write_seed(dir, "seed", kSeed, 0644), 3);
        Result r = get_key(call, CVFS_KEY_PURPOSE_ENROL);
        CHECK(r.status == CVFS_E_PERMISSION_DENIED);
        CHECK_THAT(r.error, Catch::Contains("data0.toml:3:") && Catch::Contains("chmod 400"));
    }
    SECTION("a seed too short to be one") {
        call.string("seed_file", write_seed(dir, "seed", "short", 0400));
        Result r = get_key(call, CVFS_KEY_PURPOSE_ENROL);
        CHECK(r.status == CVFS_E_INVALID_CONFIG);
        CHECK_THAT(r.error, Catch::Contains("holds 5 bytes"));
    }
    SECTION("a missing seed") {
        call.string("seed_file", (dir.path() / "absent").string());
        CHECK(get_key(call, CVFS_KEY_PURPOSE_ENROL).status == CVFS_E_NOT_FOUND);
    }
    SECTION("an unlock without the salt of an enrolment") {
        call.string("seed_file", write_seed(dir, "seed", kSeed, 0400));
        Result r = get_key(call, CVFS_KEY_PURPOSE_UNLOCK);
        CHECK(r.status == CVFS_E_NOT_FOUND);
        CHECK_THAT(r.error, Catch::Contains("no example-seed salt"));
    }
    SECTION("an unknown key, a relative path, no seed_file") {
        call.string("seed_file", "/run/seed").string("flavour", "vanilla", 7);
        ErrorText error;
        CHECK(ops().check_config(seed_plugin().context(), call.raw(), error.get()) == CVFS_E_INVALID_CONFIG);
        CHECK_THAT(error.str(), Catch::Contains(":7: unknown key 'flavour'"));

        TestCall relative("encrypt.example-seed");
        relative.string("seed_file", "seed");
        CHECK(ops().check_config(seed_plugin().context(), relative.raw(), error.get()) == CVFS_E_INVALID_CONFIG);
        CHECK_THAT(error.str(), Catch::Contains("absolute path"));

        TestCall empty("encrypt.example-seed");
        CHECK(ops().check_config(seed_plugin().context(), empty.raw(), error.get()) == CVFS_E_INVALID_CONFIG);
        CHECK_THAT(error.str(), Catch::Contains("missing key 'seed_file'"));
    }
    std::lock_guard lock(log_mutex);
    for (const auto& line : log_lines) CHECK(line.find(kSeed) == std::string::npos);
}
