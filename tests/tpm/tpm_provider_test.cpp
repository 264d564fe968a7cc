// Tests of the "tpm" key provider against a real TPM 2.0 emulator (swtpm):
// sealing and unsealing, a PCR extended after sealing refused with the PCR
// named, the PIN (right, wrong, lockout), no TPM, a damaged token, and that
// nothing is left in the TPM unless a persistent handle is configured.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <tss2/tss2_esys.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "swtpm_fixture.h"
#include "tpm_context.h"

using namespace plugins_test;

namespace {

const Plugin& tpm_plugin() {
    static Plugin plugin("key-tpm.so");
    return plugin;
}

const cvfs_key_provider_ops& ops() { return tpm_plugin().ops<cvfs_key_provider_ops>(); }

struct Result {
    cvfs_status status = CVFS_E_INTERNAL;
    std::string key;
    std::string message;
};

// One get_key call; `token` is the volume's token values before and after.
Result get_key(TestCall& call, uint32_t purpose) {
    Secret secret(128);
    ErrorText error;
    Result result;
    result.status = ops().get_key(tpm_plugin().context(), call.raw(), purpose, secret.get(), error.get());
    result.key = secret.bytes();
    result.message = error.str();
    return result;
}

// Points `call` at the test's TPM, bound to `pcrs`.
TestCall& with_tpm(TestCall& call, const tpm_test::Swtpm& tpm, const std::string& pcrs) {
    return call.string("tcti", tpm.tcti(), 2).string("pcrs", pcrs, 3);
}

// Seals in a first call and returns the token it left.
std::map<std::string, std::string> seal(TestCall& call, std::string& key) {
    Result sealed = get_key(call, CVFS_KEY_PURPOSE_ENROL);
    INFO(sealed.message);
    REQUIRE(sealed.status == CVFS_OK);
    REQUIRE(sealed.key.size() == 32);
    key = sealed.key;
    return call.raw()->token;
}

// Extends a PCR of the sha256 bank, as a boot component would.
void extend_pcr(const tpm_test::Swtpm& tpm, uint32_t index) {
    cvfs_tpm::TpmContext context(tpm.tcti());
    TPML_DIGEST_VALUES digests{};
    digests.count = 1;
    digests.digests[0].hashAlg = TPM2_ALG_SHA256;
    std::memset(digests.digests[0].digest.sha256, 0x5a, 32);
    ESYS_TR pcr = ESYS_TR_PCR0 + index;
    REQUIRE(Esys_PCR_Extend(context.esys(), pcr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &digests) ==
            TSS2_RC_SUCCESS);
}

// Handles of one kind (TPM2_HT_PERSISTENT, TPM2_HT_TRANSIENT) in the TPM now.
uint32_t handles_in_tpm(const tpm_test::Swtpm& tpm, TPM2_HT type) {
    cvfs_tpm::TpmContext context(tpm.tcti());
    TPMI_YES_NO more = TPM2_NO;
    TPMS_CAPABILITY_DATA* data = nullptr;
    REQUIRE(Esys_GetCapability(context.esys(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_HANDLES,
                               static_cast<uint32_t>(type) << TPM2_HR_SHIFT, 64, &more, &data) == TSS2_RC_SUCCESS);
    uint32_t count = data->data.handles.count;
    Esys_Free(data);
    return count;
}

void write_file(const std::string& path, const std::string& content, mode_t mode) {
    std::ofstream(path, std::ios::binary) << content;
    REQUIRE(chmod(path.c_str(), mode) == 0);
}


// What a get_key run on a pseudo-terminal gave back.
struct PtyResult {
    cvfs_status status = CVFS_E_INTERNAL;
    std::string key;
    std::map<std::string, std::string> token;
    std::string terminal;
};

bool wait_for(int master, const std::string& text, std::string& seen) {
    while (seen.find(text) == std::string::npos) {
        pollfd watch{master, POLLIN, 0};
        if (poll(&watch, 1, 10000) <= 0) return false;
        char chunk[256];
        ssize_t n = read(master, chunk, sizeof chunk);
        if (n <= 0) return false;
        seen.append(chunk, static_cast<size_t>(n));
    }
    return true;
}

// Runs get_key(pin = true) in a child whose controlling terminal is a new
// pseudo-terminal, typing `answers` at the prompts. The child sends back the
// status, the key and the token as "key\tvalue" lines.
PtyResult pin_on_pty(const tpm_test::Swtpm& tpm, uint32_t purpose, const std::map<std::string, std::string>& token,
                     const std::vector<std::string>& answers) {
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    REQUIRE(master >= 0);
    REQUIRE(grantpt(master) == 0);
    REQUIRE(unlockpt(master) == 0);
    std::string slave = ptsname(master);
    int out[2];
    REQUIRE(pipe(out) == 0);
    tpm_plugin();  // loaded before the fork
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        setsid();
        int tty = open(slave.c_str(), O_RDWR);
        TestCall call("encrypt.tpm");
        with_tpm(call, tpm, "sha256:7").boolean("pin", true);
        call.raw()->token = token;
        Result r = get_key(call, purpose);
        std::string reply(reinterpret_cast<const char*>(&r.status), sizeof r.status);
        reply += std::to_string(r.key.size()) + "\n" + r.key;
        for (const auto& [k, v] : call.raw()->token) reply += k + "\t" + v + "\n";
        (void)!write(out[1], reply.data(), reply.size());
        close(tty);
        _exit(0);
    }
    close(out[1]);
    PtyResult result;
    for (size_t i = 0; i < answers.size(); ++i) {
        bool prompted = wait_for(master, i == 0 ? "TPM PIN for volume data0: " : "Repeat", result.terminal);
        CHECK(prompted);
        if (!prompted) break;
        REQUIRE(write(master, answers[i].data(), answers[i].size()) == ssize_t(answers[i].size()));
    }
    std::string reply;
    char buffer[4096];
    for (ssize_t n; (n = read(out[0], buffer, sizeof buffer)) > 0;) reply.append(buffer, static_cast<size_t>(n));
    int wait_status = 0;
    waitpid(child, &wait_status, 0);
    close(out[0]);
    close(master);
    REQUIRE(reply.size() >= sizeof result.status);
    std::memcpy(&result.status, reply.data(), sizeof result.status);
    size_t at = sizeof result.status, newline = reply.find('\n', at);
    size_t key_size = std::stoul(reply.substr(at, newline - at));
    result.key = reply.substr(newline + 1, key_size);
    std::string rest = reply.substr(newline + 1 + key_size);
    for (size_t start = 0, end; (end = rest.find('\n', start)) != std::string::npos; start = end + 1) {
        std::string line = rest.substr(start, end - start);
        size_t tab = line.find('\t');
        result.token[line.substr(0, tab)] = line.substr(tab + 1);
    }
    return result;
}

}  // namespace

TEST_CASE("a sealed key unseals to the same 256 bits and leaves no handle in the TPM", "[tpm]") {
    tpm_test::Swtpm tpm;
    TestCall enrol("encrypt.tpm");
    with_tpm(enrol, tpm, "sha256:0,7");
    std::string key;
    auto token = seal(enrol, key);
    CHECK(token.at("tpm.pcrs") == "sha256:0,7");
    CHECK(token.at("tpm.pin") == "false");
    CHECK(token.at("tpm.primary") == "srk-ecc-p256");
    CHECK(token.at("tpm.pcr_values").size() == 2 * 64 + 1);
    for (const auto& [name, value] : token) CHECK(value.find(key) == std::string::npos);

    TestCall unlock("encrypt.tpm");
    with_tpm(unlock, tpm, "sha256:0,7");
    unlock.raw()->token = token;
    Result opened = get_key(unlock, CVFS_KEY_PURPOSE_UNLOCK);
    INFO(opened.message);
    REQUIRE(opened.status == CVFS_OK);
    CHECK(opened.key == key);
    CHECK(handles_in_tpm(tpm, TPM2_HT_PERSISTENT) == 0);
    CHECK(handles_in_tpm(tpm, TPM2_HT_TRANSIENT) == 0);

    TestCall second("encrypt.tpm");
    with_tpm(second, tpm, "sha256:0,7");
    std::string other;
    seal(second, other);
    CHECK(other != key);  // each enrolment makes a new key
}

TEST_CASE("an extended PCR makes unseal fail naming that PCR, and only that one", "[tpm]") {
    tpm_test::Swtpm tpm;
    TestCall enrol("encrypt.tpm");
    with_tpm(enrol, tpm, "sha256:0,7,16");
    std::string key;
    auto token = seal(enrol, key);
    extend_pcr(tpm, 16);
    TestCall unlock("encrypt.tpm");
    with_tpm(unlock, tpm, "sha256:0,7,16");
    unlock.raw()->token = token;
    Result refused = get_key(unlock, CVFS_KEY_PURPOSE_UNLOCK);
    CHECK(refused.status == CVFS_E_PERMISSION_DENIED);
    CHECK(refused.key.empty());
    CHECK_THAT(refused.message, Catch::Contains("PCR mismatch: sha256 PCR 16 differs"));
    CHECK_THAT(refused.message, !Catch::Contains("PCR 0 ") && !Catch::Contains("PCR 7 "));
    CHECK_THAT(refused.message, Catch::Contains("cvfs reseal"));
}

TEST_CASE("a PCR outside the selection may change without harm", "[tpm]") {
    tpm_test::Swtpm tpm;
    TestCall enrol("encrypt.tpm");
    with_tpm(enrol, tpm, "sha256:7");
    std::string key;
    auto token = seal(enrol, key);
    extend_pcr(tpm, 16);
    TestCall unlock("encrypt.tpm");
    with_tpm(unlock, tpm, "sha256:7");
    unlock.raw()->token = token;
    Result opened = get_key(unlock, CVFS_KEY_PURPOSE_UNLOCK);
    INFO(opened.message);
    CHECK(opened.status == CVFS_OK);
    CHECK(opened.key == key);
}

TEST_CASE("with a PIN the right PIN unseals, a wrong one is refused, then the TPM locks out", "[tpm]") {
    tpm_test::Swtpm tpm;
    TempDir dir;
    write_file(dir / "pin", "2468\n", 0600);
    write_file(dir / "wrong", "1357\n", 0600);
    TestCall enrol("encrypt.tpm");
    with_tpm(enrol, tpm, "sha256:7");
    enrol.string("pin_file", dir / "pin", 4);
    std::string key;
    auto token = seal(enrol, key);
    CHECK(token.at("tpm.pin") == "true");

    TestCall right("encrypt.tpm");
    with_tpm(right, tpm, "sha256:7");
    right.string("pin_file", dir / "pin", 4).raw()->token = token;
    Result opened = get_key(right, CVFS_KEY_PURPOSE_UNLOCK);
    INFO(opened.message);
    REQUIRE(opened.status == CVFS_OK);
    CHECK(opened.key == key);

    TestCall wrong("encrypt.tpm");
    with_tpm(wrong, tpm, "sha256:7");
    wrong.string("pin_file", dir / "wrong", 4).raw()->token = token;
    Result refused = get_key(wrong, CVFS_KEY_PURPOSE_UNLOCK);
    CHECK(refused.status == CVFS_E_PERMISSION_DENIED);
    CHECK_THAT(refused.message, Catch::Contains("wrong PIN"));

    TestCall missing("encrypt.tpm");
    with_tpm(missing, tpm, "sha256:7");
    missing.raw()->token = token;
    Result no_pin = get_key(missing, CVFS_KEY_PURPOSE_UNLOCK);
    CHECK(no_pin.status == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(no_pin.message, Catch::Contains("sealed with a PIN"));

    // Keep guessing until the TPM's dictionary-attack protection steps in.
    Result last;
    for (int attempt = 0; attempt < 40; ++attempt) {
        TestCall guess("encrypt.tpm");
    with_tpm(guess, tpm, "sha256:7");
        guess.string("pin_file", dir / "wrong", 4).raw()->token = token;
        last = get_key(guess, CVFS_KEY_PURPOSE_UNLOCK);
        if (last.status != CVFS_E_PERMISSION_DENIED) break;
    }
    CHECK(last.status == CVFS_E_UNAVAILABLE);
    CHECK_THAT(last.message, Catch::Contains("lockout"));
}

TEST_CASE("a PIN file others may read is refused", "[tpm]") {
    tpm_test::Swtpm tpm;
    TempDir dir;
    write_file(dir / "pin", "2468", 0644);
    TestCall enrol("encrypt.tpm");
    with_tpm(enrol, tpm, "sha256:7");
    enrol.string("pin_file", dir / "pin", 4);
    Result refused = get_key(enrol, CVFS_KEY_PURPOSE_ENROL);
    CHECK(refused.status == CVFS_E_PERMISSION_DENIED);
    CHECK_THAT(refused.message, Catch::Contains("mode 0644"));
    CHECK(enrol.raw()->token.empty());
}

TEST_CASE("without a TPM, seal and unseal say that no TPM answers", "[tpm]") {
    std::map<std::string, std::string> token;
    std::string key;
    std::string tcti;
    {
        tpm_test::Swtpm tpm;
        TestCall enrol("encrypt.tpm");
    with_tpm(enrol, tpm, "sha256:7");
        token = seal(enrol, key);
        tcti = tpm.tcti();
    }  // the TPM is gone
    TestCall unlock("encrypt.tpm");
    unlock.string("tcti", tcti).string("pcrs", "sha256:7").raw()->token = token;
    Result refused = get_key(unlock, CVFS_KEY_PURPOSE_UNLOCK);
    CHECK(refused.status == CVFS_E_UNAVAILABLE);
    CHECK_THAT(refused.message, Catch::Contains("no TPM answers at '" + tcti + "'"));

    TestCall device("encrypt.tpm");
    device.string("tcti", "device:/nonexistent/tpmrm0");
    Result no_device = get_key(device, CVFS_KEY_PURPOSE_ENROL);
    CHECK(no_device.status == CVFS_E_UNAVAILABLE);
    CHECK_THAT(no_device.message, Catch::Contains("no TPM answers at 'device:/nonexistent/tpmrm0'"));
    CHECK(device.raw()->token.empty());
}

TEST_CASE("a damaged or missing token is reported as such", "[tpm]") {
    tpm_test::Swtpm tpm;
    TestCall enrol("encrypt.tpm");
    with_tpm(enrol, tpm, "sha256:7");
    std::string key;
    auto token = seal(enrol, key);

    auto unlock_with = [&](std::map<std::string, std::string> values) {
        TestCall unlock("encrypt.tpm");
    with_tpm(unlock, tpm, "sha256:7");
        unlock.raw()->token = std::move(values);
        return get_key(unlock, CVFS_KEY_PURPOSE_UNLOCK);
    };

    auto garbled = token;
    garbled["tpm.public"] = "zz" + garbled["tpm.public"];
    Result not_hex = unlock_with(garbled);
    CHECK(not_hex.status == CVFS_E_INVALID_ARGUMENT);
    CHECK_THAT(not_hex.message, Catch::Contains("'tpm.public' is not hex"));

    auto truncated = token;
    truncated["tpm.private"].resize(truncated["tpm.private"].size() - 8);
    Result short_private = unlock_with(truncated);
    CHECK(short_private.status == CVFS_E_INVALID_ARGUMENT);
    CHECK_THAT(short_private.message, Catch::Contains("private area kept in the volume's token is damaged"));

    auto flipped = token;
    std::string& priv = flipped["tpm.private"];
    priv[priv.size() - 3] = priv[priv.size() - 3] == '0' ? '1' : '0';
    Result tampered = unlock_with(flipped);
    CHECK(tampered.status == CVFS_E_PERMISSION_DENIED);
    CHECK_THAT(tampered.message, Catch::Contains("does not load under this TPM's storage key"));

    auto fewer = token;
    fewer["tpm.pcrs"] = "sha256:0,7";
    Result mismatch = unlock_with(fewer);
    CHECK(mismatch.status == CVFS_E_INVALID_ARGUMENT);
    CHECK_THAT(mismatch.message, Catch::Contains("one value per PCR"));

    Result none = unlock_with({});
    CHECK(none.status == CVFS_E_NOT_FOUND);
    CHECK_THAT(none.message, Catch::Contains("no TPM-sealed key"));
    CHECK(none.key.empty());
}

TEST_CASE("a configured persistent storage key stays in the TPM and is used again", "[tpm]") {
    tpm_test::Swtpm tpm;
    TestCall enrol("encrypt.tpm");
    with_tpm(enrol, tpm, "sha256:7");
    enrol.string("primary_handle", "0x81000010", 4);
    std::string key;
    auto token = seal(enrol, key);
    CHECK(token.at("tpm.primary") == "0x81000010");
    CHECK(handles_in_tpm(tpm, TPM2_HT_PERSISTENT) == 1);

    TestCall unlock("encrypt.tpm");
    with_tpm(unlock, tpm, "sha256:7");
    unlock.string("primary_handle", "0x81000010", 4).raw()->token = token;
    Result opened = get_key(unlock, CVFS_KEY_PURPOSE_UNLOCK);
    INFO(opened.message);
    CHECK(opened.status == CVFS_OK);
    CHECK(opened.key == key);
    CHECK(handles_in_tpm(tpm, TPM2_HT_PERSISTENT) == 1);
}

TEST_CASE("the configuration is checked before the TPM is touched", "[tpm][config]") {
    auto check = [](TestCall& call) {
        ErrorText error;
        cvfs_status status = ops().check_config(tpm_plugin().context(), call.raw(), error.get());
        return std::make_pair(status, error.str());
    };
    TestCall good("encrypt.tpm2");
    good.string("pcrs", "sha384:0,2,4,7").boolean("pin", false);
    CHECK(check(good).first == CVFS_OK);

    TestCall defaults("encrypt.tpm");
    CHECK(check(defaults).first == CVFS_OK);

    TestCall unknown("encrypt.tpm");
    unknown.string("pcr", "sha256:7", 5);
    auto [s1, m1] = check(unknown);
    CHECK(s1 == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(m1, Catch::Contains(":5: unknown key 'pcr'"));

    TestCall bad_bank("encrypt.tpm");
    bad_bank.string("pcrs", "md5:7", 6);
    auto [s2, m2] = check(bad_bank);
    CHECK(s2 == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(m2, Catch::Contains(":6: 'pcrs'") && Catch::Contains("unknown PCR bank 'md5'"));

    TestCall bad_index("encrypt.tpm");
    bad_index.string("pcrs", "sha256:7,24", 7);
    CHECK_THAT(check(bad_index).second, Catch::Contains("PCR 24 does not exist"));

    TestCall both("encrypt.tpm");
    both.boolean("pin", true).string("pin_file", "/etc/cvfs/pin", 8);
    CHECK_THAT(check(both).second, Catch::Contains("not both"));

    TestCall handle("encrypt.tpm");
    handle.string("primary_handle", "0x80000001", 9);
    CHECK_THAT(check(handle).second, Catch::Contains("not a persistent handle"));
}

TEST_CASE("the plugin describes itself as the tpm key provider", "[tpm]") {
    const auto& d = tpm_plugin().descriptor();
    CHECK(std::string(d.name) == "tpm");
    CHECK(d.kind == CVFS_KIND_KEY_PROVIDER);
    CHECK((d.capabilities & CVFS_CAP_EPHEMERAL) == 0);
    CHECK((d.capabilities & CVFS_CAP_HUMAN_SECRET) == 0);
}

TEST_CASE("a PIN asked on the terminal: twice when sealing, once when unsealing", "[tpm]") {
    tpm_test::Swtpm tpm;
    PtyResult sealed = pin_on_pty(tpm, CVFS_KEY_PURPOSE_ENROL, {}, {"2468\n", "2468\n"});
    REQUIRE(sealed.status == CVFS_OK);
    REQUIRE(sealed.key.size() == 32);
    CHECK(sealed.token.at("tpm.pin") == "true");
    CHECK(sealed.terminal.find("2468") == std::string::npos);  // echo was off

    PtyResult opened = pin_on_pty(tpm, CVFS_KEY_PURPOSE_UNLOCK, sealed.token, {"2468\n"});
    CHECK(opened.status == CVFS_OK);
    CHECK(opened.key == sealed.key);

    PtyResult wrong = pin_on_pty(tpm, CVFS_KEY_PURPOSE_UNLOCK, sealed.token, {"1111\n"});
    CHECK(wrong.status == CVFS_E_PERMISSION_DENIED);
    CHECK(wrong.key.empty());

    PtyResult differ = pin_on_pty(tpm, CVFS_KEY_PURPOSE_ENROL, {}, {"2468\n", "2469\n"});
    CHECK(differ.status == CVFS_E_PERMISSION_DENIED);
    CHECK(differ.token.empty());
}

TEST_CASE("a key bound to no PCR unseals whatever the PCRs say", "[tpm]") {
    tpm_test::Swtpm tpm;
    TestCall enrol("encrypt.tpm");
    with_tpm(enrol, tpm, "sha256:");
    std::string key;
    auto token = seal(enrol, key);
    CHECK(token.at("tpm.pcrs") == "sha256:");
    CHECK(token.at("tpm.pcr_values").empty());
    extend_pcr(tpm, 7);
    TestCall unlock("encrypt.tpm");
    with_tpm(unlock, tpm, "sha256:");
    unlock.raw()->token = token;
    Result opened = get_key(unlock, CVFS_KEY_PURPOSE_UNLOCK);
    INFO(opened.message);
    CHECK(opened.status == CVFS_OK);
    CHECK(opened.key == key);
}
