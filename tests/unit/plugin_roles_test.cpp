// The typed wrappers: calls through the ABI into the fixture plugins, and the
// errors a failing plugin turns into.
#include <catch2/catch.hpp>
#include <string>

#include "base/error.h"
#include "plugin/plugin_registry.h"
#include "plugin_test_support.h"

using namespace cvfs;
using namespace cvfs::test;
using Catch::Matchers::Contains;

namespace {

// What the good fixture hands out: "fixture-secret/" repeated to `length`.
std::string fixture_secret(size_t length) {
    const std::string pattern = "fixture-secret/";
    std::string secret;
    for (size_t i = 0; i < length; ++i) secret += pattern[i % pattern.size()];
    return secret;
}

// The error of `body`, which must throw a cvfs::Error.
template <class Body>
Error error_of(Body&& body) {
    try {
        body();
    } catch (const Error& e) {
        return e;
    }
    FAIL("no error was thrown");
    return Error(ErrorKind::System, "");
}

}  // namespace

TEST_CASE("get_key returns the provider's secret and keeps its token values") {
    PluginRegistry registry(fixture_global());
    PluginRef ref = plugin_ref("fixture-good");
    KeyProvider provider = registry.key_provider(ref);
    TokenValues token;
    PluginCall enrol(volume_named("data0"), ref, in_seconds(5), &token);
    SecureBuffer key = provider.get_key(enrol, CVFS_KEY_PURPOSE_ENROL);
    CHECK(std::string(key.view()) == fixture_secret(32));
    CHECK(enrol.token_changed());
    CHECK(token.at("fixture.calls") == "1");
    CHECK(token.at("fixture.purpose") == "enrol");

    PluginCall unlock(volume_named("data0"), ref, in_seconds(5), &token);
    provider.get_key(unlock, CVFS_KEY_PURPOSE_UNLOCK);
    CHECK(token.at("fixture.calls") == "2");
    CHECK(token.at("fixture.purpose") == "unlock");
}

TEST_CASE("a key longer than the first buffer is fetched again with room for it") {
    PluginRegistry registry(fixture_global());
    PluginRef ref = plugin_ref("fixture-good");
    ref.items.push_back(integer_item("length", 100, 4));
    TokenValues token;
    PluginCall call(volume_named("data0"), ref, in_seconds(5), &token);
    SecureBuffer key = registry.key_provider(ref).get_key(call, CVFS_KEY_PURPOSE_UNLOCK);
    CHECK(key.size() == 100);
    CHECK(std::string(key.view()) == fixture_secret(100));
    CHECK(token.at("fixture.calls") == "2");  // called twice: too small, then fitting
}

TEST_CASE("a key provider asking for a huge buffer is a plugin error") {
    PluginRegistry registry(fixture_global());
    PluginRef ref = plugin_ref("fixture-good");
    ref.items.push_back(integer_item("length", 100000, 4));
    TokenValues token;
    PluginCall call(volume_named("data0"), ref, in_seconds(5), &token);
    Error e = error_of([&] { registry.key_provider(ref).get_key(call, CVFS_KEY_PURPOSE_UNLOCK); });
    CHECK(e.kind() == ErrorKind::Plugin);
    CHECK_THAT(e.what(), Contains("asked for a 100000-byte key buffer"));
}

TEST_CASE("a refused key names volume, provider, file, status and the plugin's words") {
    PluginRegistry registry(fixture_global());
    PluginRef ref = plugin_ref("fixture-good");
    ref.items.push_back(string_item("answer", "denied", 4));
    TokenValues token;
    PluginCall call(volume_named("data0"), ref, in_seconds(5), &token);
    Error e = error_of([&] { registry.key_provider(ref).get_key(call, CVFS_KEY_PURPOSE_UNLOCK); });
    CHECK(e.kind() == ErrorKind::Key);
    CHECK(std::string(e.what()) ==
          "volume 'data0': key provider 'fixture-good' (" + fixture_path("key-fixture-good.so") +
              ") failed to get the key: permission denied: the fixture service refused the key");
}

TEST_CASE("a key provider without token access reports it") {
    PluginRegistry registry(fixture_global());
    PluginRef ref = plugin_ref("fixture-good");
    PluginCall call(volume_named("data0"), ref, in_seconds(5));
    Error e = error_of([&] { registry.key_provider(ref).get_key(call, CVFS_KEY_PURPOSE_UNLOCK); });
    CHECK(e.kind() == ErrorKind::Plugin);
    CHECK_THAT(e.what(), Contains("not supported: cannot read token value fixture.calls"));
}

TEST_CASE("check_config refusing a key is a configuration error") {
    PluginRegistry registry(fixture_global());
    PluginRef ref = plugin_ref("fixture-good");
    ref.items.push_back(string_item("colour", "blue", 7));
    PluginCall call(volume_named("data0"), ref, in_seconds(5));
    Error e = error_of([&] { registry.key_provider(ref).check_config(call); });
    CHECK(e.kind() == ErrorKind::Config);
    CHECK_THAT(e.what(), Contains("failed to check its configuration: invalid configuration: "
                                  "/etc/cvfs/volumes/data0.toml:7: unknown key 'colour' in [encrypt.fixture]"));
}

TEST_CASE("a C++ exception inside a plugin arrives as an internal error") {
    PluginRegistry registry(fixture_global());
    PluginRef ref = plugin_ref("fixture-throws");
    PluginCall call(volume_named("data0"), ref, in_seconds(5));
    Error e = error_of([&] { registry.key_provider(ref).get_key(call, CVFS_KEY_PURPOSE_UNLOCK); });
    CHECK(e.kind() == ErrorKind::Plugin);
    CHECK_THAT(e.what(), Contains("key provider 'fixture-throws'"));
    CHECK_THAT(e.what(), Contains("internal error: fixture exploded inside get_key"));
    CHECK_THAT(e.hint(), Contains("bug in the plugin"));
}

TEST_CASE("a device backend probes, attaches and detaches") {
    PluginRegistry registry(fixture_global());
    PluginRef ref = plugin_ref("fixture-dev", "device");
    DeviceBackend backend = registry.device_backend(ref);
    PluginCall call(volume_named("data0"), ref, in_seconds(5));
    DeviceProbe found = backend.probe(call, "disk1");
    CHECK(found.present);
    CHECK(found.size_bytes == 1 << 20);
    CHECK(found.node == "/dev/fixture-disk1");
    CHECK(found.header_path == "/dev/fixture-disk1");
    CHECK(found.detail == "fixture disk disk1");
    DeviceProbe missing = backend.probe(call, "missing");
    CHECK_FALSE(missing.present);
    CHECK(missing.node.empty());
    CHECK(backend.attach(call, "disk1", false) == "/dev/fixture-disk1");
    backend.detach(call, "disk1", "/dev/fixture-disk1");
    backend.check_config(call, "disk1");
}

TEST_CASE("device backend failures are device errors naming the device") {
    PluginRegistry registry(fixture_global());
    PluginRef ref = plugin_ref("fixture-dev", "device");
    DeviceBackend backend = registry.device_backend(ref);
    PluginCall call(volume_named("data0"), ref, in_seconds(5));
    Error absent = error_of([&] { backend.attach(call, "missing", false); });
    CHECK(absent.kind() == ErrorKind::Device);
    CHECK_THAT(absent.what(), Contains("device backend 'fixture-dev'"));
    CHECK_THAT(absent.what(), Contains("failed to attach missing: not found: no fixture device missing"));
    Error busy = error_of([&] { backend.detach(call, "busy", "/dev/fixture-busy"); });
    CHECK(busy.kind() == ErrorKind::Device);
    CHECK_THAT(busy.what(), Contains("busy: fixture device is in use"));
}

TEST_CASE("an fs maker declares its mount type and makes filesystems") {
    PluginRegistry registry(fixture_global());
    PluginRef ref = plugin_ref("fixture-fs", "fs");
    FsMaker maker = registry.fs_maker(ref);
    CHECK(maker.mount_type() == "fixturefs");
    PluginCall call(volume_named("data0"), ref, in_seconds(5));
    maker.check_config(call);
    maker.make(call, "/dev/mapper/data0");
    Error e = error_of([&] { maker.make(call, "/dev/busy"); });
    CHECK(e.kind() == ErrorKind::Device);
    CHECK_THAT(e.what(), Contains("fs maker 'fixture-fs'"));
    CHECK_THAT(e.what(), Contains("failed to make a filesystem on /dev/busy: busy: device is mounted"));
}

TEST_CASE("a plugin asked for in the wrong role is not found there") {
    PluginRegistry registry(fixture_global());
    Error e = error_of([&] { registry.device_backend(plugin_ref("fixture-fs", "device")); });
    CHECK(e.kind() == ErrorKind::Config);  // the configuration names a device backend that is not there
    CHECK_THAT(e.what(), Contains("no device backend plugin 'fixture-fs'"));
}

TEST_CASE("a rollback counter creates, reads and increments; a gone counter names the volume and id") {
    PluginRegistry registry(fixture_global());
    PluginRef ref = plugin_ref("fixture-counter", "rollback");
    RollbackCounter counter = registry.rollback_counter(ref);
    CHECK(counter.info().kind == CVFS_KIND_ROLLBACK_COUNTER);
    PluginCall call(volume_named("data0"), ref, in_seconds(5));
    counter.check_config(call);
    RollbackCounter::Created made = counter.create(call);
    CHECK(made.id == "c1");
    CHECK(made.value == 5u);
    CHECK(counter.read(call, "c1") == 5u);
    CHECK(counter.increment(call, "c1") == 6u);
    CHECK(counter.read(call, "c1") == 6u);

    Error gone = error_of([&] { counter.read(call, "c9"); });
    CHECK(gone.kind() == ErrorKind::Device);
    CHECK_THAT(gone.what(), Contains("volume 'data0': rollback counter 'fixture-counter'"));
    CHECK_THAT(gone.what(), Contains("its counter c9 is gone (no counter c9 here)"));
    CHECK_THAT(gone.hint(), Contains("cvfs open --accept-rollback data0"));
    std::string why;
    CHECK_FALSE(counter.read_if_there(call, "c9", why));
    CHECK(why == "no counter c9 here");
    CHECK(counter.read_if_there(call, "c1", why) == 6u);

    PluginCall bad(volume_named("badid"), ref, in_seconds(5));
    Error unprintable = error_of([&] { counter.create(bad); });
    CHECK(unprintable.kind() == ErrorKind::Plugin);
    CHECK_THAT(unprintable.what(), Contains("empty or unprintable id"));
}

TEST_CASE("a rollback counter is not found as a key provider, nor a key provider as a counter") {
    PluginRegistry registry(fixture_global());
    Error e = error_of([&] { registry.key_provider(plugin_ref("fixture-counter")); });
    CHECK(e.kind() == ErrorKind::Config);
    e = error_of([&] { registry.rollback_counter(plugin_ref("fixture-good", "rollback")); });
    CHECK(e.kind() == ErrorKind::Config);
    CHECK_THAT(e.what(), Contains("no rollback counter plugin 'fixture-good'"));
}
