// The ra-tls key provider against cvfs-secretd on loopback, everything real:
// the plugin .so loaded as the host loads it, TPM evidence from swtpm, TDX
// evidence from the test quote generator (no TDX here), gRPC over TLS with a
// pinned server CA. Proves release, each refusal the client can see, the
// Intel protocol, retries, reload on SIGHUP, and that the audit log records
// every decision without the secret.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <memory>

#include "plugins_test_host.h"
#include "ratls_processes.h"
#include "test_pki.h"
#include "tpm_evidence.h"

using namespace plugins_test;
using namespace ratls_test;

namespace {

// The secret, with a NUL and a newline: bytes must arrive exactly.
const std::string kTpmSecret = std::string("tpm-s3cret\0\n-end", 16);

void write_file(const std::string& path, const std::string& text, mode_t mode = 0600) {
    std::ofstream(path, std::ios::binary) << text;
    chmod(path.c_str(), mode);
}

// swtpm, a server PKI, a TDX test PKI, and cvfs-secretd configured for them.
struct Rig {
    TempDir dir;
    std::unique_ptr<SwtpmProcess> tpm;
    std::unique_ptr<SecretdProcess> secretd;
    std::string ak_id, pcr0;
    std::string ca, other_ca;

    Rig() {
        std::filesystem::create_directory(dir / "tpm");
        tpm = std::make_unique<SwtpmProcess>(dir / "tpm");
        // The values an operator reads from the audit log to write a policy.
        cvfs::ratls::Sha256 any{};
        auto claims = cvfs::ratls::verify_tpm_evidence(
            cvfs::ratls::make_tpm_evidence(tpm->tcti(), {0, 7}, any), any);
        ak_id = claims.ak_id;
        pcr0 = claims.pcrs.at(0);

        Pkey ca_key = new_p256_key(), server_key = new_p256_key(), other_key = new_p256_key();
        X509Ptr ca_cert = make_cert("cvfs test secret CA", ca_key.get(), nullptr, nullptr, true);
        X509Ptr other = make_cert("someone else's CA", other_key.get(), nullptr, nullptr, true);
        X509Ptr server = make_cert("localhost", server_key.get(), ca_cert.get(), ca_key.get(),
                                   false, "DNS:localhost,IP:127.0.0.1");
        ca = dir / "ca.pem";
        other_ca = dir / "other-ca.pem";
        write_file(ca, pem_of(ca_cert.get()), 0644);
        write_file(other_ca, pem_of(other.get()), 0644);
        write_file(dir / "server.crt", pem_of(server.get()), 0644);
        write_file(dir / "server.key", pem_of_key(server_key.get()));

        std::filesystem::create_directory(dir / "tdx");
        TdxTestPki::create("cvfs test").save(dir / "tdx");
        write_file(dir / "quote.sh",
                   "#!/bin/sh\nexec '" RATLS_TEST_QUOTE "' '" + (dir / "tdx") + "'\n", 0755);
        write_file(dir / "quote-rtmr3.sh",
                   "#!/bin/sh\nexec '" RATLS_TEST_QUOTE "' '" + (dir / "tdx") + "' rtmr3\n", 0755);
        write_file(dir / "quote-padded.sh",
                   "#!/bin/sh\nexec '" RATLS_TEST_QUOTE "' '" + (dir / "tdx") + "' pad\n", 0755);

        write_file(dir / "secrets.json",
                   "{\"luksKey\": \"tpm-s3cret\\u0000\\n-end\", \"pcrBound\": \"p\", "
                   "\"otherAk\": \"o\", \"noPolicy\": \"n\", \"tdxKey\": \"tdx-secret\"}");
        write_file(dir / "secretd.toml", config());
        secretd = std::make_unique<SecretdProcess>(RATLS_SECRETD, dir / "secretd.toml",
                                                   dir / "secretd.log");
    }

    std::string config() const {
        QuoteFields f = QuoteFields::sample();
        std::string mrtd = cvfs::ratls::to_hex(f.mr_td);
        std::string text =
            "listen = \"127.0.0.1:0\"\nserver_cert = \"server.crt\"\nserver_key = \"server.key\"\n"
            "secrets = \"secrets.json\"\naudit_log = \"audit.log\"\n[tdx]\nroot_ca = "
            "\"tdx/root.pem\"\n";
        text += "[policy.luksKey]\ntpm_ak = [\"" + ak_id + "\"]\ntpm_pcrs = { \"0\" = \"" + pcr0 +
                "\" }\n";
        text += "[policy.pcrBound]\ntpm_ak = [\"" + ak_id + "\"]\ntpm_pcrs = { \"7\" = \"" +
                std::string(64, 'e') + "\" }\n";
        text += "[policy.otherAk]\ntpm_ak = [\"" + std::string(64, 'a') + "\"]\n";
        text += "[policy.tdxKey]\ntdx_mrtd = [\"" + mrtd + "\"]\ntdx_rtmr3 = [\"" +
                cvfs::ratls::to_hex(f.rtmr[3]) + "\"]\n";
        return text;
    }

    std::string server() const { return "127.0.0.1:" + std::to_string(secretd->port()); }
    std::string audit() const {
        std::ifstream in(dir / "audit.log");
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }

    // [encrypt.ra-tls] for TPM evidence from this rig's swtpm.
    void tpm_call(TestCall& call, const std::string& id, std::string address = "",
                  std::string server_ca = "", int attempts = 5) const {
        call.string("server", address.empty() ? server() : address, 3).string("secret_id", id, 4);
        call.string("server_ca", server_ca.empty() ? ca : server_ca, 5);
        call.string("evidence", "tpm", 6)
            .string("tpm_tcti", tpm->tcti(), 7)
            .string("tpm_pcrs", "0,7", 8);
        call.integer("timeout_seconds", 10, 9).integer("attempts", attempts, 10);
    }
};

Rig& rig() {
    static Rig r;
    return r;
}

const Plugin& plugin() {
    static Plugin p("key-ra-tls.so");
    return p;
}

struct Result {
    cvfs_status status;
    std::string secret;
    std::string error;
};

Result get_key(TestCall& call) {
    Secret secret(4096);
    ErrorText error;
    auto& ops = plugin().ops<cvfs_key_provider_ops>();
    cvfs_status status = ops.get_key(plugin().context(), call.raw(), CVFS_KEY_PURPOSE_UNLOCK,
                                     secret.get(), error.get());
    return {status, status == CVFS_OK ? secret.bytes() : std::string(), error.str()};
}

}  // namespace

TEST_CASE("a TPM-attested client receives its secret from secretd, byte for byte") {
    TestCall call("encrypt.ra-tls");
    rig().tpm_call(call, "luksKey");
    Result r = get_key(call);
    INFO(r.error);
    REQUIRE(r.status == CVFS_OK);
    CHECK(r.secret == kTpmSecret);
    std::string audit = rig().audit();
    CHECK_THAT(audit, Catch::Contains("secret=\"luksKey\" evidence=tpm ak=" + rig().ak_id));
    CHECK_THAT(audit, Catch::Contains("pcr0=" + rig().pcr0));
    CHECK_THAT(audit, Catch::Contains("decision=released"));
    CHECK(audit.find("tpm-s3cret") == std::string::npos);
    CHECK(rig().secretd->log_text().find("tpm-s3cret") == std::string::npos);
}

TEST_CASE("secretd refuses a TPM client whose PCR value is not the policy's, and says which") {
    TestCall call("encrypt.ra-tls");
    rig().tpm_call(call, "pcrBound");
    Result r = get_key(call);
    CHECK(r.status == CVFS_E_PERMISSION_DENIED);
    CHECK_THAT(r.error, Catch::Contains("attestation refused") && Catch::Contains("PCR 7"));
    CHECK_THAT(rig().audit(), Catch::Contains("secret=\"pcrBound\"") &&
                                  Catch::Contains("decision=refused reason=\"policy: PCR 7"));
}

TEST_CASE("secretd refuses a TPM whose attestation key is not pinned in the policy") {
    TestCall call("encrypt.ra-tls");
    rig().tpm_call(call, "otherAk");
    Result r = get_key(call);
    CHECK(r.status == CVFS_E_PERMISSION_DENIED);
    CHECK_THAT(r.error, Catch::Contains("is not in tpm_ak"));
}

TEST_CASE("a secret without a release policy is never released, and an unknown id is not found") {
    TestCall no_policy("encrypt.ra-tls");
    rig().tpm_call(no_policy, "noPolicy");
    Result r = get_key(no_policy);
    CHECK(r.status == CVFS_E_PERMISSION_DENIED);
    CHECK_THAT(r.error, Catch::Contains("no release policy"));
    TestCall unknown("encrypt.ra-tls");
    rig().tpm_call(unknown, "noSuchApp");
    Result u = get_key(unknown);
    CHECK(u.status == CVFS_E_NOT_FOUND);
    CHECK_THAT(u.error, Catch::Contains("no such secret"));
}

TEST_CASE(
    "the Intel secretmanger protocol serves the same store, and warns without a pinned server") {
    TestCall call("encrypt.ra-tls");
    call.string("server", rig().server())
        .string("secret_id", "luksKey")
        .string("protocol", "intel");
    call.string("evidence", "tpm").string("tpm_tcti", rig().tpm->tcti()).string("tpm_pcrs", "0");
    {
        std::lock_guard lock(log_mutex);
        log_lines.clear();
    }
    Result r = get_key(call);
    // The secret holds a NUL byte: still valid UTF-8, so the string protocol carries it.
    INFO(r.error);
    REQUIRE(r.status == CVFS_OK);
    CHECK(r.secret == kTpmSecret);
    std::lock_guard lock(log_mutex);
    REQUIRE_FALSE(log_lines.empty());
    CHECK_THAT(log_lines.front(), Catch::Contains("NOT authenticated"));
    CHECK_THAT(rig().audit(), Catch::Contains("protocol=intel secret=\"luksKey\""));
}

TEST_CASE("a server that the pinned CA did not sign is refused during the handshake") {
    TestCall call("encrypt.ra-tls");
    rig().tpm_call(call, "luksKey", "", rig().other_ca, 1);
    Result r = get_key(call);
    CHECK(r.status == CVFS_E_UNAVAILABLE);
    CHECK_THAT(r.error, Catch::Contains("127.0.0.1"));
}

TEST_CASE("an unreachable server is retried, then reported as unreachable") {
    int port = 1;
    while (port_open(port) || port < 40000) port = 40000 + (rand() % 20000);
    TestCall call("encrypt.ra-tls");
    rig().tpm_call(call, "luksKey", "127.0.0.1:" + std::to_string(port), "", 2);
    Result r = get_key(call);
    CHECK(r.status == CVFS_E_UNAVAILABLE);
    CHECK_THAT(r.error,
               Catch::Contains("unreachable") && Catch::Contains("gave up after 2 attempts"));
}

TEST_CASE(
    "TDX evidence from a quote source is verified by secretd: released, and refused for another "
    "RTMR3") {
    TestCall call("encrypt.ra-tls");
    call.string("server", rig().server())
        .string("secret_id", "tdxKey")
        .string("server_ca", rig().ca);
    call.string("server_name", "localhost").string("tdx_quote_command", rig().dir / "quote.sh");
    Result r = get_key(call);
    INFO(r.error);
    REQUIRE(r.status == CVFS_OK);
    CHECK(r.secret == "tdx-secret");
    CHECK_THAT(rig().audit(), Catch::Contains("evidence=tdx mrtd=" +
                                              cvfs::ratls::to_hex(QuoteFields::sample().mr_td)));

    TestCall other("encrypt.ra-tls");
    other.string("server", rig().server())
        .string("secret_id", "tdxKey")
        .string("server_ca", rig().ca);
    other.string("tdx_quote_command", rig().dir / "quote-rtmr3.sh");
    Result refused = get_key(other);
    CHECK(refused.status == CVFS_E_PERMISSION_DENIED);
    CHECK_THAT(refused.error, Catch::Contains("tdx_rtmr3"));
}

TEST_CASE("SIGHUP reloads the secret store, and a broken store keeps the previous one") {
    Rig& r = rig();
    write_file(r.dir / "secrets.json", "{\"luksKey\": \"rotated\"}");
    CHECK_THAT(r.secretd->reload(), Catch::Contains("reloaded"));
    TestCall call("encrypt.ra-tls");
    r.tpm_call(call, "luksKey");
    Result after = get_key(call);
    REQUIRE(after.status == CVFS_OK);
    CHECK(after.secret == "rotated");

    write_file(r.dir / "secrets.json", "{\"luksKey\": ", 0600);
    CHECK_THAT(r.secretd->reload(), Catch::Contains("reload refused"));
    TestCall again("encrypt.ra-tls");
    r.tpm_call(again, "luksKey");
    Result kept = get_key(again);
    CHECK(kept.status == CVFS_OK);
    CHECK(kept.secret == "rotated");
}

TEST_CASE(
    "the plugin refuses a configuration without server_ca for the cvfs protocol, naming the "
    "table") {
    TestCall call("encrypt.ra-tls");
    call.string("server", "127.0.0.1:1").string("secret_id", "x");
    ErrorText error;
    auto& ops = plugin().ops<cvfs_key_provider_ops>();
    CHECK(ops.check_config(plugin().context(), call.raw(), error.get()) == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(error.str(), Catch::Contains("[encrypt.ra-tls] needs server_ca"));
    TestCall typo("encrypt.ra-tls");
    typo.string("server", "127.0.0.1:1").string("secret_id", "x").string("evidance", "tpm", 7);
    CHECK(ops.check_config(plugin().context(), typo.raw(), error.get()) == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(error.str(), Catch::Contains(":7: unknown key 'evidance'"));
}

TEST_CASE(
    "cvfs-secretd --check accepts the rig's configuration and refuses a broken one with file and "
    "line") {
    Rig& r = rig();
    std::string ok = std::string(RATLS_SECRETD) + " --check --config " + (r.dir / "secretd.toml") +
                     " > " + (r.dir / "check.out") + " 2>&1";
    write_file(r.dir / "secrets.json", "{\"luksKey\": \"rotated\"}");
    CHECK(WEXITSTATUS(std::system(ok.c_str())) == 0);
    write_file(
        r.dir / "broken.toml",
        "server_cert = \"server.crt\"\nserver_key = \"server.key\"\nsecrets = \"secrets.json\"\n"
        "[policy.x]\ntpm_ak = [\"nothex\"]\n");
    std::string bad = std::string(RATLS_SECRETD) + " --check --config " + (r.dir / "broken.toml") +
                      " > " + (r.dir / "check.out") + " 2>&1";
    CHECK(WEXITSTATUS(std::system(bad.c_str())) == 78);
    std::ifstream in(r.dir / "check.out");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK_THAT(text, Catch::Contains("broken.toml:5:") && Catch::Contains("64 hex digits"));
    write_file(r.dir / "secrets.json", "{\"luksKey\": \"rotated\"}", 0644);
    CHECK(WEXITSTATUS(std::system(ok.c_str())) == 78);
    write_file(r.dir / "secrets.json", "{\"luksKey\": \"rotated\"}");
}

TEST_CASE(
    "the plugin talks to a faithful double of the Intel secretmanager as deployed, with a "
    "warning") {
    Rig& r = rig();
    SecretdProcess intel({RATLS_CCZOO_SERVER, r.dir / "tdx/root.pem", "luksKey=Intel@intel123"},
                         r.dir / "cczoo.log");
    auto call_for = [&](TestCall& call, const std::string& id) {
        call.string("server", "127.0.0.1:" + std::to_string(intel.port())).string("secret_id", id);
        call.string("protocol", "intel")
            .string("tdx_quote_command", r.dir / "quote.sh")
            .integer("attempts", 1);
    };
    {
        std::lock_guard lock(log_mutex);
        log_lines.clear();
    }
    TestCall call("encrypt.ra-tls");
    call_for(call, "luksKey");
    Result got = get_key(call);
    INFO(got.error);
    REQUIRE(got.status == CVFS_OK);
    CHECK(got.secret == "Intel@intel123");
    {
        std::lock_guard lock(log_mutex);
        REQUIRE_FALSE(log_lines.empty());
        CHECK_THAT(log_lines.front(),
                   Catch::Contains("NOT authenticated (Intel compatibility mode)"));
    }
    // A quote buffer with trailing zeros, as Intel's quote service gives it:
    // the plugin embeds the quote alone, which the Intel server's layout needs.
    TestCall padded("encrypt.ra-tls");
    padded.string("server", "127.0.0.1:" + std::to_string(intel.port()))
        .string("secret_id", "luksKey")
        .string("protocol", "intel")
        .string("tdx_quote_command", r.dir / "quote-padded.sh")
        .integer("attempts", 1);
    Result padded_got = get_key(padded);
    INFO(padded_got.error);
    CHECK(padded_got.status == CVFS_OK);
    TestCall unknown("encrypt.ra-tls");
    call_for(unknown, "tdx");
    Result missing = get_key(unknown);
    CHECK(missing.status == CVFS_E_NOT_FOUND);
    CHECK_THAT(missing.error, Catch::Contains("no such secret"));
}
