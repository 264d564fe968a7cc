// cvfs-secretd's secret store (the Intel secret.json format: exact values,
// escapes, the file's mode and owner) and its configuration file (policies,
// errors that name file and line), and the policy for TPM claims.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "daemon_config.h"
#include "release_policy.h"
#include "secret_store.h"

using namespace cvfs::secretd;
namespace fs = std::filesystem;

namespace {

std::string text_of(const LockedBytes* bytes) {
    REQUIRE(bytes != nullptr);
    return std::string(reinterpret_cast<const char*>(bytes->bytes().data()), bytes->bytes().size());
}

SecretStore parse(const std::string& json) {
    return SecretStore::parse({reinterpret_cast<const uint8_t*>(json.data()), json.size()},
                              "secret.json");
}

std::string parse_error(const std::string& json) {
    try {
        parse(json);
        return "parsed";
    } catch (const std::exception& e) {
        return e.what();
    }
}

struct TempDir {
    fs::path path;
    TempDir() {
        char tmpl[] = "/tmp/ratls-store-XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~TempDir() { fs::remove_all(path); }
    std::string write(const std::string& name, const std::string& text, mode_t mode) const {
        std::string file = (path / name).string();
        std::ofstream(file) << text;
        chmod(file.c_str(), mode);
        return file;
    }
};

const char* kConfig = R"(listen = "127.0.0.1:0"
server_cert = "server.crt"
server_key = "server.key"
secrets = "secrets.json"
[policy."luksKey"]
tpm_ak = ["%AK%"]
tpm_pcrs = { "7" = "%PCR%" }
)";

}  // namespace

TEST_CASE("the Intel secret.json format is read with exact values") {
    SecretStore store = parse(R"({"key1":"value1", "luksKey" : "Intel@intel123",
        "esc": "a\"b\\c\/d\n\u00e9\ud83d\ude00 " })");
    CHECK(store.size() == 3);
    CHECK(text_of(store.find("key1")) == "value1");
    CHECK(text_of(store.find("luksKey")) == "Intel@intel123");
    CHECK(text_of(store.find("esc")) == "a\"b\\c/d\n\xc3\xa9\xf0\x9f\x98\x80 ");
    CHECK(store.find("missing") == nullptr);
    CHECK(store.find("LUKSKEY") == nullptr);
}

TEST_CASE("a malformed secret store is refused with file and line") {
    CHECK_THAT(parse_error("{\"a\": 1}"),
               Catch::Contains("secret.json:1:") && Catch::Contains("is not a string"));
    CHECK_THAT(parse_error("{\"a\": \"x\",\n\"a\": \"y\"}"),
               Catch::Contains("secret.json:2:") && Catch::Contains("twice"));
    CHECK_THAT(parse_error("{\"a\": \"x\"} trailing"), Catch::Contains("text after the object"));
    CHECK_THAT(parse_error("{\"a\": \"x"), Catch::Contains("missing closing quote"));
    CHECK_THAT(parse_error("[]"), Catch::Contains("expected '{'"));
    CHECK_THAT(parse_error("{\"a\": \"\\ud800\"}"), Catch::Contains("surrogate"));
}

TEST_CASE("a secret store others can read is refused, a 0600 one is loaded") {
    TempDir dir;
    std::string open_file = dir.write("open.json", R"({"a":"b"})", 0644);
    CHECK_THROWS_WITH(SecretStore::load(open_file),
                      Catch::Contains("mode 0644") && Catch::Contains("chmod 600"));
    std::string good = dir.write("good.json", R"({"a":"b"})", 0600);
    CHECK(text_of(SecretStore::load(good).find("a")) == "b");
    CHECK_THROWS_WITH(SecretStore::load((dir.path / "none.json").string()),
                      Catch::Contains("cannot open"));
}

TEST_CASE("the configuration resolves relative paths and reads policies") {
    TempDir dir;
    std::string text = kConfig;
    text.replace(text.find("%AK%"), 4, std::string(64, 'A'));
    text.replace(text.find("%PCR%"), 5, std::string(64, '0'));
    DaemonConfig c = load_daemon_config(dir.write("secretd.toml", text, 0600));
    CHECK(c.secrets == (dir.path / "secrets.json").string());
    REQUIRE(c.policies.count("luksKey") == 1);
    CHECK(c.policies["luksKey"].tpm_ak == std::vector<std::string>{std::string(64, 'a')});
    CHECK(c.policies["luksKey"].tpm_pcrs.at(7) == std::string(64, '0'));
}

TEST_CASE("configuration mistakes name the file, the line and the key") {
    TempDir dir;
    auto error_of = [&](const std::string& text) {
        try {
            load_daemon_config(dir.write("bad.toml", text, 0600));
            return std::string("loaded");
        } catch (const std::exception& e) {
            return std::string(e.what());
        }
    };
    std::string base = "server_cert = \"a\"\nserver_key = \"b\"\nsecrets = \"c\"\n";
    CHECK_THAT(error_of(base + "colour = \"red\"\n"),
               Catch::Contains("bad.toml:4:") && Catch::Contains("unknown key 'colour'"));
    CHECK_THAT(error_of(base + "[policy.x]\ntdx_mrtd = [\"abcd\"]\n"),
               Catch::Contains("bad.toml:5:") && Catch::Contains("96 hex digits"));
    CHECK_THAT(error_of(base + "[policy.x]\n"), Catch::Contains("allows nobody"));
    CHECK_THAT(error_of(base + "[policy.x]\ntpm_ak = [\"" + std::string(64, 'a') +
                        "\"]\ntpm_pcrs = { \"24\" = \"00\" }\n"),
               Catch::Contains("PCR numbers 0-23"));
    CHECK_THAT(error_of("server_key = \"b\"\nsecrets = \"c\"\n"),
               Catch::Contains("missing 'server_cert'"));
}

TEST_CASE("the TPM policy needs a pinned attestation key and the listed PCR values") {
    ReleasePolicy p;
    cvfs::ratls::TpmClaims claims{std::string(64, 'a'),
                                  {{0, std::string(64, '1')}, {7, std::string(64, '7')}}};
    CHECK_THAT(refusal(p, claims), Catch::Contains("lists no tpm_ak"));
    p.tpm_ak = {std::string(64, 'b')};
    CHECK_THAT(refusal(p, claims), Catch::Contains("is not in tpm_ak"));
    p.tpm_ak.push_back(std::string(64, 'a'));
    CHECK(refusal(p, claims).empty());
    p.tpm_pcrs[7] = std::string(64, '8');
    CHECK_THAT(refusal(p, claims), Catch::Contains("PCR 7 is"));
    p.tpm_pcrs[7] = std::string(64, '7');
    p.tpm_pcrs[9] = std::string(64, '9');
    CHECK_THAT(refusal(p, claims), Catch::Contains("PCR 9 is not in the quote"));
}

TEST_CASE("[tdx] crls are read as DER or PEM; a file without a CRL names itself") {
    TempDir dir;
    std::ifstream der_in(std::string(CVFS_TDX_TESTDATA) + "/pckcrl", std::ios::binary);
    std::string der((std::istreambuf_iterator<char>(der_in)), {});
    REQUIRE(der.size() > 100);
    dir.write("pck.crl", der, 0644);
    dir.write("empty.crl", "-----BEGIN X509 CRL-----\n-----END X509 CRL-----\n", 0644);
    std::string base = "server_cert = \"a\"\nserver_key = \"b\"\nsecrets = \"c\"\n[tdx]\n";
    DaemonConfig c =
        load_daemon_config(dir.write("ok.toml", base + "crls = [\"pck.crl\"]\n", 0600));
    REQUIRE(c.tdx.crl_pems.size() == 1);
    CHECK(c.tdx.crl_pems[0] == der);
    try {
        load_daemon_config(dir.write("bad.toml", base + "crls = [\"empty.crl\"]\n", 0600));
        FAIL("a CRL file without a CRL was accepted");
    } catch (const std::runtime_error& e) {
        CHECK_THAT(e.what(),
                   Catch::Contains("bad.toml:5:") &&
                       Catch::Contains((dir.path / "empty.crl").string() + " holds no CRL"));
    }
}

TEST_CASE("each policy accepts the TCB statuses it names, by default those of [tdx]") {
    TempDir dir;
    std::string mrtd = "tdx_mrtd = [\"" + std::string(96, 'a') + "\"]\n";
    std::string text =
        "server_cert = \"a\"\nserver_key = \"b\"\nsecrets = \"c\"\n[tdx]\n"
        "accept_tcb_status = [\"UpToDate\", \"SWHardeningNeeded\"]\n"
        "[policy.plain]\n" +
        mrtd + "[policy.lenient]\n" + mrtd +
        "accept_tcb_status = [\"UpToDate\", \"OutOfDate\", \"Revoked\"]\n"
        "tdx_mr_servicetd = [\"" +
        std::string(96, '0') + "\"]\n";
    DaemonConfig c = load_daemon_config(dir.write("secretd.toml", text, 0600));
    CHECK(c.tdx.accepted_tcb_status.empty());  // the policies judge
    CHECK(c.policies["plain"].accept_tcb_status ==
          std::vector<std::string>{"UpToDate", "SWHardeningNeeded"});
    CHECK(c.policies["lenient"].accept_tcb_status ==
          std::vector<std::string>{"UpToDate", "OutOfDate", "Revoked"});
    CHECK(c.policies["lenient"].tdx_mr_servicetd.size() == 1);
    std::string bad = text + "[policy.odd]\n" + mrtd + "accept_tcb_status = [\"Fine\"]\n";
    CHECK_THROWS_WITH(load_daemon_config(dir.write("bad.toml", bad, 0600)),
                      Catch::Contains("Intel's TCB statuses"));
}
