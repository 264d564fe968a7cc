// Tests of the "otp" key provider: fresh 32-byte keys, the too-small buffer
// protocol, and its empty configuration table.
#include <catch2/catch.hpp>

#include "plugins_test_host.h"

using namespace plugins_test;

namespace {

const Plugin& otp() {
    static Plugin plugin("key-otp.so");
    return plugin;
}

const cvfs_key_provider_ops& ops() { return otp().ops<cvfs_key_provider_ops>(); }

}  // namespace

TEST_CASE("otp describes itself as an ephemeral, thread-safe key provider") {
    const auto& d = otp().descriptor();
    CHECK(d.kind == CVFS_KIND_KEY_PROVIDER);
    CHECK(std::string(d.name) == "otp");
    CHECK(d.capabilities == (CVFS_CAP_EPHEMERAL | CVFS_CAP_THREAD_SAFE));
}

TEST_CASE("otp gives 32 random bytes, different at each call") {
    TestCall call("encrypt.otp");
    Secret first(64), second(64);
    ErrorText error;
    REQUIRE(ops().get_key(otp().context(), call.raw(), CVFS_KEY_PURPOSE_ENROL, first.get(),
                          error.get()) == CVFS_OK);
    REQUIRE(ops().get_key(otp().context(), call.raw(), CVFS_KEY_PURPOSE_UNLOCK, second.get(),
                          error.get()) == CVFS_OK);
    CHECK(first.get()->length == 32);
    CHECK(second.get()->length == 32);
    CHECK(first.bytes() != second.bytes());
    CHECK(first.bytes() != std::string(32, '\0'));
}

TEST_CASE("otp asks for 32 bytes when the buffer is too small") {
    TestCall call("encrypt.otp");
    Secret small(16);
    ErrorText error;
    CHECK(ops().get_key(otp().context(), call.raw(), CVFS_KEY_PURPOSE_ENROL, small.get(),
                        error.get()) == CVFS_E_BUFFER_TOO_SMALL);
    CHECK(small.get()->length == 32);
}

TEST_CASE("otp accepts its empty table") {
    TestCall call("encrypt.otp");
    ErrorText error;
    CHECK(ops().check_config(otp().context(), call.raw(), error.get()) == CVFS_OK);
}

TEST_CASE("otp refuses any key in its table, naming it and its line") {
    TestCall call("encrypt.otp");
    call.string("seed", "1234", 7);
    ErrorText error;
    CHECK(ops().check_config(otp().context(), call.raw(), error.get()) == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(error.str(), Catch::Contains("data0.toml:7:") && Catch::Contains("'seed'") &&
                                Catch::Contains("[encrypt.otp]"));

    Secret key(32);
    CHECK(ops().get_key(otp().context(), call.raw(), CVFS_KEY_PURPOSE_ENROL, key.get(),
                        error.get()) == CVFS_E_INVALID_CONFIG);
}
