// Tests of the "exec" key provider: the key is the command's standard output
// byte for byte, the command runs without a shell, with nothing inherited and
// once per key; a failure, silence, too much output or the timeout give no
// key, and what the command printed on standard output never reaches a
// message or the log.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>

#include "plugins_test_host.h"

using namespace plugins_test;

namespace {

constexpr size_t kFull = 64 * 1024;

const Plugin& exec_plugin() {
    static Plugin plugin("key-exec.so");
    return plugin;
}

cvfs_status get_key(TestCall& call, Secret& secret, ErrorText& error) {
    return exec_plugin().ops<cvfs_key_provider_ops>().get_key(exec_plugin().context(), call.raw(),
                                                              CVFS_KEY_PURPOSE_UNLOCK, secret.get(), error.get());
}

// Makes `call` run `/bin/sh -c script`.
void shell(TestCall& call, const std::string& script) {
    call.string("command", "/bin/sh", 3).string("args", "-c", 4).string("args", script, 4);
}

bool logged(const std::string& text) {
    std::lock_guard lock(log_mutex);
    for (const auto& line : log_lines)
        if (line.find(text) != std::string::npos) return true;
    return false;
}

}  // namespace

TEST_CASE("exec may give a person's passphrase: argon2id, and it is thread-safe") {
    CHECK(exec_plugin().descriptor().capabilities == (CVFS_CAP_HUMAN_SECRET | CVFS_CAP_THREAD_SAFE));
}

TEST_CASE("exec: the key is the standard output byte for byte, newline and binary bytes included") {
    TestCall call("encrypt.exec");
    shell(call, "printf 'pass\\000\\377word\\n'");
    Secret secret(kFull);
    ErrorText error;
    REQUIRE(get_key(call, secret, error) == CVFS_OK);
    CHECK(secret.bytes() == std::string("pass\0\377word\n", 11));
}

TEST_CASE("exec: a name is found in the fixed search path, and arguments pass without a shell") {
    TestCall call("encrypt.exec");
    call.string("command", "echo").string("args", "-n").string("args", "a b;$HOME `id` *");
    Secret secret(kFull);
    ErrorText error;
    REQUIRE(get_key(call, secret, error) == CVFS_OK);
    CHECK(secret.bytes() == "a b;$HOME `id` *");
}

TEST_CASE("exec: a small buffer asks for the largest key first, so the command runs once") {
    TempDir dir;
    const std::string runs = dir / "runs";
    TestCall call("encrypt.exec");
    shell(call, "echo run >> " + runs + "; printf key");
    Secret small(64);
    ErrorText error;
    CHECK(get_key(call, small, error) == CVFS_E_BUFFER_TOO_SMALL);
    CHECK(small.get()->length == kFull);
    CHECK(access(runs.c_str(), F_OK) != 0);  // not run for the small buffer
    Secret full(kFull);
    REQUIRE(get_key(call, full, error) == CVFS_OK);
    CHECK(full.bytes() == "key");
    std::ifstream in(runs);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(all == "run\n");
}

TEST_CASE("exec: the environment holds only PATH, LC_ALL=C and CVFS_VOLUME") {
    REQUIRE(setenv("CVFS_TEST_LEAK", "leaked", 1) == 0);
    TestCall call("encrypt.exec");
    call.string("command", "/usr/bin/env");
    Secret secret(kFull);
    ErrorText error;
    REQUIRE(get_key(call, secret, error) == CVFS_OK);
    CHECK(secret.bytes() ==
          "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nLC_ALL=C\nCVFS_VOLUME=data0\n");
    unsetenv("CVFS_TEST_LEAK");
}

TEST_CASE("exec: standard input is /dev/null and no other descriptor is inherited") {
    int leaked = open("/dev/null", O_RDONLY);  // no O_CLOEXEC on purpose
    REQUIRE(leaked >= 3);
    TestCall call("encrypt.exec");
    shell(call, "ls /proc/self/fd | tr '\\n' ' '; if read line; then echo READ; fi");
    Secret secret(kFull);
    ErrorText error;
    REQUIRE(get_key(call, secret, error) == CVFS_OK);
    close(leaked);
    // ls's own descriptor on the folder it lists is 3; nothing else past 2.
    CHECK(secret.bytes() == "0 1 2 3 ");
}

TEST_CASE("exec: a failing command gives no key, and its message and log carry stderr, never stdout") {
    TestCall call("encrypt.exec");
    shell(call, "printf TOPSECRETKEY; echo 'vault sealed' >&2; exit 3");
    Secret secret(kFull);
    ErrorText error;
    CHECK(get_key(call, secret, error) == CVFS_E_UNAVAILABLE);
    CHECK_THAT(error.str(), Catch::Contains("exit status 3") && Catch::Contains("vault sealed"));
    CHECK_THAT(error.str(), !Catch::Contains("TOPSECRETKEY"));
    CHECK(logged("vault sealed"));
    CHECK_FALSE(logged("TOPSECRETKEY"));
    CHECK(std::string(reinterpret_cast<const char*>(secret.get()->data), 12) != "TOPSECRETKEY");
}

TEST_CASE("exec: printing nothing is no key") {
    TestCall call("encrypt.exec");
    shell(call, "exit 0");
    Secret secret(kFull);
    ErrorText error;
    CHECK(get_key(call, secret, error) == CVFS_E_NOT_FOUND);
    CHECK_THAT(error.str(), Catch::Contains("printed no key"));
}

TEST_CASE("exec: more than 64 KiB is not a key") {
    TestCall call("encrypt.exec");
    shell(call, "head -c 70000 /dev/zero");
    Secret secret(kFull);
    ErrorText error;
    CHECK(get_key(call, secret, error) == CVFS_E_PERMISSION_DENIED);
    CHECK_THAT(error.str(), Catch::Contains("more than 65536 bytes"));
}

TEST_CASE("exec: a command that outlives the volume's timeout is killed") {
    TestCall call("encrypt.exec");
    shell(call, "echo waiting >&2; exec sleep 30");
    call.deadline_in(std::chrono::milliseconds(300));
    Secret secret(kFull);
    ErrorText error;
    auto start = std::chrono::steady_clock::now();
    CHECK(get_key(call, secret, error) == CVFS_E_DEADLINE_EXCEEDED);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
    CHECK_THAT(error.str(), Catch::Contains("timeout") && Catch::Contains("waiting"));
}

TEST_CASE("exec: configuration errors name the file and line") {
    ErrorText error;
    Secret secret(kFull);
    TestCall missing("encrypt.exec");
    CHECK(get_key(missing, secret, error) == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(error.str(), Catch::Contains("needs command"));

    TestCall absent("encrypt.exec");
    absent.string("command", "no-such-key-tool", 7);
    CHECK(get_key(absent, secret, error) == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(error.str(), Catch::Contains(":7:") && Catch::Contains("no-such-key-tool") &&
                                Catch::Contains("absolute path"));

    TestCall unknown("encrypt.exec");
    unknown.string("command", "/bin/true").string("shell", "yes", 9);
    CHECK(get_key(unknown, secret, error) == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(error.str(), Catch::Contains(":9:") && Catch::Contains("shell"));
}
