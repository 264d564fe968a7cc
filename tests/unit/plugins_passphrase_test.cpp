// Tests of the "passphrase" key provider: the key file's exact bytes and the
// checks on its mode and size, the choice between key_file and prompt, and the
// prompt on a real pseudo-terminal (echo off, asked twice for a new volume).
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "plugins_test_host.h"

using namespace plugins_test;

namespace {

const Plugin& passphrase() {
    static Plugin plugin("key-passphrase.so");
    return plugin;
}

const cvfs_key_provider_ops& ops() { return passphrase().ops<cvfs_key_provider_ops>(); }

void write_file(const std::string& path, const std::string& content, mode_t mode) {
    std::ofstream(path, std::ios::binary) << content;
    REQUIRE(chmod(path.c_str(), mode) == 0);
}

cvfs_status get_key(TestCall& call, Secret& secret, ErrorText& error,
                    uint32_t purpose = CVFS_KEY_PURPOSE_UNLOCK) {
    return ops().get_key(passphrase().context(), call.raw(), purpose, secret.get(), error.get());
}

// Reads the terminal's output until `text` shows up; false after 5 s.
bool wait_for(int master, const std::string& text, std::string& seen) {
    while (seen.find(text) == std::string::npos) {
        pollfd watch{master, POLLIN, 0};
        if (poll(&watch, 1, 5000) <= 0) return false;
        char chunk[256];
        ssize_t n = read(master, chunk, sizeof chunk);
        if (n <= 0) return false;
        seen.append(chunk, static_cast<size_t>(n));
    }
    return true;
}

struct PromptResult {
    cvfs_status status = CVFS_E_INTERNAL;
    std::string secret;
    std::string terminal;  // everything the terminal showed
};

// Runs get_key(prompt = true) in a child whose controlling terminal is a new
// pseudo-terminal, and types `answers` when the prompts appear.
PromptResult prompt_on_pty(uint32_t purpose, const std::vector<std::string>& answers) {
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    REQUIRE(master >= 0);
    REQUIRE(grantpt(master) == 0);
    REQUIRE(unlockpt(master) == 0);
    std::string slave = ptsname(master);
    int result_pipe[2];
    REQUIRE(pipe(result_pipe) == 0);
    passphrase();  // loaded before the fork

    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        setsid();
        int tty = open(slave.c_str(), O_RDWR);  // the session's controlling terminal now
        TestCall call("encrypt.passphrase");
        call.boolean("prompt", true);
        Secret secret(8192);
        ErrorText error;
        cvfs_status status = get_key(call, secret, error, purpose);
        (void)!write(result_pipe[1], &status, sizeof status);
        (void)!write(result_pipe[1], secret.get()->data, secret.get()->length);
        close(tty);
        _exit(0);
    }
    close(result_pipe[1]);
    PromptResult result;
    for (size_t i = 0; i < answers.size(); ++i) {
        bool prompted = wait_for(master, i == 0 ? "Passphrase for volume data0: " : "Repeat", result.terminal);
        CHECK(prompted);
        if (!prompted) break;
        REQUIRE(write(master, answers[i].data(), answers[i].size()) == ssize_t(answers[i].size()));
    }
    int wait_status = 0;
    waitpid(child, &wait_status, 0);
    REQUIRE(read(result_pipe[0], &result.status, sizeof result.status) == sizeof result.status);
    char buffer[8192];
    ssize_t n = read(result_pipe[0], buffer, sizeof buffer);
    if (n > 0) result.secret.assign(buffer, static_cast<size_t>(n));
    close(result_pipe[0]);
    close(master);
    return result;
}

}  // namespace

TEST_CASE("passphrase declares a human, interactive secret") {
    CHECK(passphrase().descriptor().capabilities == (CVFS_CAP_HUMAN_SECRET | CVFS_CAP_INTERACTIVE));
}

TEST_CASE("passphrase gives the key file's bytes exactly, without trimming") {
    TempDir dir;
    std::string path = dir / "key";
    const std::string content("  pass phrase\0with NUL \n", 24);
    write_file(path, content, 0600);
    TestCall call("encrypt.passphrase");
    call.string("key_file", path);
    Secret secret(8192);
    ErrorText error;
    REQUIRE(get_key(call, secret, error) == CVFS_OK);
    CHECK(secret.bytes() == content);
}

TEST_CASE("passphrase accepts a key file of mode 0400") {
    TempDir dir;
    std::string path = dir / "key";
    write_file(path, "secret", 0400);
    TestCall call("encrypt.passphrase");
    call.string("key_file", path);
    Secret secret(64);
    ErrorText error;
    REQUIRE(get_key(call, secret, error) == CVFS_OK);
    CHECK(secret.bytes() == "secret");
}

TEST_CASE("passphrase asks for the key file's size when the buffer is too small") {
    TempDir dir;
    std::string path = dir / "key";
    write_file(path, "0123456789", 0600);
    TestCall call("encrypt.passphrase");
    call.string("key_file", path);
    Secret small(4);
    ErrorText error;
    CHECK(get_key(call, small, error) == CVFS_E_BUFFER_TOO_SMALL);
    CHECK(small.get()->length == 10);
}

TEST_CASE("passphrase refuses a key file that others can read") {
    TempDir dir;
    std::string path = dir / "key";
    write_file(path, "secret", 0644);
    TestCall call("encrypt.passphrase");
    call.string("key_file", path, 4);
    Secret secret(64);
    ErrorText error;
    CHECK(get_key(call, secret, error) == CVFS_E_PERMISSION_DENIED);
    CHECK_THAT(error.str(), Catch::Contains(path) && Catch::Contains("0644") &&
                                Catch::Contains("chmod 600 " + path) && Catch::Contains(":4:"));
    CHECK(secret.get()->length == 0);
}

TEST_CASE("passphrase refuses a missing key file, naming it") {
    TempDir dir;
    TestCall call("encrypt.passphrase");
    call.string("key_file", dir / "absent");
    Secret secret(64);
    ErrorText error;
    CHECK(get_key(call, secret, error) == CVFS_E_NOT_FOUND);
    CHECK_THAT(error.str(), Catch::Contains(dir / "absent"));
}

TEST_CASE("passphrase refuses an empty key file") {
    TempDir dir;
    std::string path = dir / "key";
    write_file(path, "", 0600);
    TestCall call("encrypt.passphrase");
    call.string("key_file", path);
    Secret secret(64);
    ErrorText error;
    CHECK(get_key(call, secret, error) == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(error.str(), Catch::Contains("holds 0 bytes"));
}

TEST_CASE("passphrase needs exactly one of key_file and prompt") {
    ErrorText error;
    TestCall neither("encrypt.passphrase");
    CHECK(ops().check_config(passphrase().context(), neither.raw(), error.get()) == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(error.str(), Catch::Contains("exactly one of"));

    TestCall both("encrypt.passphrase");
    both.string("key_file", "/etc/cvfs/key").boolean("prompt", true);
    CHECK(ops().check_config(passphrase().context(), both.raw(), error.get()) == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(error.str(), Catch::Contains("not both"));

    TestCall relative("encrypt.passphrase");
    relative.string("key_file", "key", 3);
    CHECK(ops().check_config(passphrase().context(), relative.raw(), error.get()) == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(error.str(), Catch::Contains(":3:") && Catch::Contains("absolute"));

    TestCall unknown("encrypt.passphrase");
    unknown.boolean("prompt", true).string("keyfile", "/k", 9);
    CHECK(ops().check_config(passphrase().context(), unknown.raw(), error.get()) == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(error.str(), Catch::Contains(":9:") && Catch::Contains("'keyfile'"));
}

TEST_CASE("passphrase refuses to prompt without a terminal") {
    passphrase();
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        setsid();  // a new session has no controlling terminal
        TestCall call("encrypt.passphrase");
        call.boolean("prompt", true);
        Secret secret(8192);
        ErrorText error;
        cvfs_status status = get_key(call, secret, error);
        bool clear = error.str().find("no terminal") != std::string::npos &&
                     error.str().find("data0") != std::string::npos;
        _exit(status == CVFS_E_NOT_SUPPORTED && clear ? 0 : 1);
    }
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("passphrase asks for an 8192-byte buffer before prompting") {
    TestCall call("encrypt.passphrase");
    call.boolean("prompt", true);
    Secret small(64);
    ErrorText error;
    CHECK(get_key(call, small, error) == CVFS_E_BUFFER_TOO_SMALL);
    CHECK(small.get()->length == 8192);
}

TEST_CASE("passphrase reads the terminal with echo off") {
    PromptResult result = prompt_on_pty(CVFS_KEY_PURPOSE_UNLOCK, {"correct horse\n"});
    CHECK(result.status == CVFS_OK);
    CHECK(result.secret == "correct horse");
    CHECK(result.terminal.find("correct horse") == std::string::npos);
}

TEST_CASE("passphrase asks twice for a new volume and keeps matching answers") {
    PromptResult result = prompt_on_pty(CVFS_KEY_PURPOSE_ENROL, {"battery staple\n", "battery staple\n"});
    CHECK(result.status == CVFS_OK);
    CHECK(result.secret == "battery staple");
}

TEST_CASE("passphrase refuses two different answers for a new volume") {
    PromptResult result = prompt_on_pty(CVFS_KEY_PURPOSE_ENROL, {"battery staple\n", "battery stable\n"});
    CHECK(result.status == CVFS_E_PERMISSION_DENIED);
    CHECK(result.secret.empty());
}
