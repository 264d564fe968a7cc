// End-to-end tests of the "aliyun-kms" key provider against the KMS test
// double: the plugin is loaded like cvfs loads it, reaches the double over
// real TLS (the instance's host name checked, only the TCP address
// redirected) and signs real requests that the double verifies. Each case
// proves one behaviour a person relies on: the secret arrives; a wrong key,
// a wrong CA, a tampered body, a skewed clock, an unknown secret, a gateway's
// 502 and non-base64 data fail with an error that says so; throttling is
// retried; secrets in readable volume files are refused.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <toml++/toml.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "cvfs/unique_fd.hpp"
#include "kms_double.h"
#include "plugins_test_host.h"

using namespace plugins_test;

namespace {

const std::string kPki = CVFS_KMS_PKI_DIR;
const std::string kSecret = "volume passphrase 0123456789";
const std::string kSecretBase64 = "dm9sdW1lIHBhc3NwaHJhc2UgMDEyMzQ1Njc4OQ==";

const Plugin& kms() {
    static Plugin plugin("key-aliyun-kms.so");
    return plugin;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

kms_test::DoubleOptions options() {
    kms_test::DoubleOptions o;
    o.pki_dir = kPki;
    o.secrets = {{"data0-key", kSecretBase64}, {"not-base64", "this is !! not base64"}};
    return o;
}

// A volume file that exists with `mode`, as the host names it to the plugin.
struct VolumeFile {
    TempDir dir;
    std::string path = dir / "data0.toml";
    explicit VolumeFile(mode_t mode) {
        std::ofstream(path) << "# test volume\n";
        chmod(path.c_str(), mode);
    }
};

// The [encrypt.kms] table of a volume using the double at `address`.
void fill_call(TestCall& call, const std::string& address, const VolumeFile& volume,
               const std::string& secret = "data0-key") {
    call.string("kms_instance_id", "kst-test123", 2)
        .string("secret_name", secret, 3)
        .string("client_key_file", kPki + "/client_key.json", 4)
        .string("client_key_password_file", kPki + "/client_key_password.txt", 5)
        .string("kms_cert_pem", read_text(kPki + "/kms_ca.pem"), 6)
        .string("endpoint_address", address, 7);
    call.raw()->source = volume.path;
}

struct Outcome {
    cvfs_status status;
    std::string secret;
    std::string error;
};

Outcome get_key(TestCall& call) {
    Secret secret(64);
    ErrorText error;
    cvfs_status status = kms().ops<cvfs_key_provider_ops>().get_key(
        kms().context(), call.raw(), CVFS_KEY_PURPOSE_UNLOCK, secret.get(), error.get());
    return {status, secret.bytes(), error.str()};
}

// What every failure message must carry, and must not.
void check_error_names_everything(const Outcome& outcome) {
    CHECK_THAT(outcome.error, Catch::Contains("volume data0"));
    CHECK_THAT(outcome.error, Catch::Contains("kst-test123.cryptoservice.kms.aliyuncs.com"));
    CHECK_THAT(outcome.error, !Catch::Contains(kSecretBase64));
    CHECK_THAT(outcome.error,
               !Catch::Contains(read_text(kPki + "/client_key_password.txt").substr(0, 16)));
}

}  // namespace

TEST_CASE("kms: the secret arrives base64-decoded, over TLS checked against the instance's name") {
    kms_test::KmsDouble server(options());
    VolumeFile volume(0600);
    TestCall call("encrypt.kms");
    fill_call(call, server.address(), volume);
    Outcome outcome = get_key(call);
    INFO(outcome.error);
    REQUIRE(outcome.status == CVFS_OK);
    CHECK(outcome.secret == kSecret);
    CHECK(server.requests() == 1);
}

TEST_CASE("kms: the seed's inline client_key and password work from a root-only volume file") {
    kms_test::KmsDouble server(options());
    VolumeFile volume(0600);
    TestCall call("encrypt.kms");
    call.string("kms_instance_id", "kst-test123")
        .string("secret_name", "data0-key")
        .string("client_key", read_text(kPki + "/client_key.json"))
        .string("client_key_password", read_text(kPki + "/client_key_password.txt"))
        .string("kms_cert_pem", read_text(kPki + "/kms_ca.pem"))
        .string("endpoint_address", server.address());
    call.raw()->source = volume.path;
    Outcome outcome = get_key(call);
    INFO(outcome.error);
    REQUIRE(outcome.status == CVFS_OK);
    CHECK(outcome.secret == kSecret);
}

TEST_CASE("kms: inline secrets in a volume file others can read are refused before any request") {
    kms_test::KmsDouble server(options());
    VolumeFile volume(0644);
    TestCall call("encrypt.kms");
    call.string("kms_instance_id", "kst-test123")
        .string("secret_name", "data0-key")
        .string("client_key", read_text(kPki + "/client_key.json"), 9)
        .string("client_key_password_file", kPki + "/client_key_password.txt")
        .string("kms_cert_pem", read_text(kPki + "/kms_ca.pem"))
        .string("endpoint_address", server.address());
    call.raw()->source = volume.path;
    Outcome outcome = get_key(call);
    CHECK(outcome.status == CVFS_E_PERMISSION_DENIED);
    CHECK_THAT(outcome.error, Catch::Contains(volume.path + ":9: client_key is a secret"));
    CHECK_THAT(outcome.error, Catch::Contains("mode 0644"));
    CHECK(server.requests() == 0);
}

TEST_CASE("kms: a client key file readable by others is refused") {
    VolumeFile volume(0600);
    TempDir dir;
    std::string key = dir / "client_key.json";
    std::ofstream(key) << read_text(kPki + "/client_key.json");
    chmod(key.c_str(), 0644);
    TestCall call("encrypt.kms");
    fill_call(call, "127.0.0.1:1", volume);
    call.raw()->items.erase(call.raw()->items.begin() + 2);  // the good key file
    call.string("client_key_file", key);
    Outcome outcome = get_key(call);
    CHECK(outcome.status == CVFS_E_PERMISSION_DENIED);
    CHECK_THAT(outcome.error, Catch::Contains("mode 0644"));
    CHECK_THAT(outcome.error, Catch::Contains("chmod 600 " + key));
}

TEST_CASE("kms: a client key the instance does not know signs requests it rejects") {
    kms_test::KmsDouble server(options());
    VolumeFile volume(0600);
    TestCall call("encrypt.kms");
    fill_call(call, server.address(), volume);
    call.raw()->items.erase(call.raw()->items.begin() + 2);
    call.string("client_key_file", kPki + "/other_key.json");
    Outcome outcome = get_key(call);
    CHECK(outcome.status == CVFS_E_PERMISSION_DENIED);
    CHECK_THAT(outcome.error,
               Catch::Contains("HTTP 400 InvalidParam: The Param Authorization is invalid."));
    CHECK_THAT(outcome.error, Catch::Contains("request id test-request-1"));
    CHECK_THAT(outcome.error, Catch::Contains("refused the request's signature"));
    check_error_names_everything(outcome);
    CHECK(server.requests() == 1);  // a 4xx is final
}

TEST_CASE("kms: a server whose certificate does not chain to kms_cert_pem is refused") {
    kms_test::KmsDouble server(options());
    VolumeFile volume(0600);
    TestCall call("encrypt.kms");
    fill_call(call, server.address(), volume);
    call.raw()->items.erase(call.raw()->items.begin() + 4);
    call.string("kms_cert_pem", read_text(kPki + "/other_ca.pem"));
    Outcome outcome = get_key(call);
    CHECK(outcome.status == CVFS_E_PERMISSION_DENIED);
    CHECK_THAT(outcome.error, Catch::Contains("TLS certificate is refused"));
    check_error_names_everything(outcome);
    CHECK(server.requests() == 0);
}

TEST_CASE("kms: kms_cert_pem with only the instance's intermediate CA is a trust anchor") {
    kms_test::KmsDouble server(options());
    for (const char* anchor : {"/second.pem", "/root.pem"}) {
        VolumeFile volume(0600);
        TestCall call("encrypt.kms");
        fill_call(call, server.address(), volume);
        call.raw()->items.erase(call.raw()->items.begin() + 4);
        call.string("kms_cert_pem", read_text(kPki + anchor));
        Outcome outcome = get_key(call);
        INFO(anchor << ": " << outcome.error);
        CHECK(outcome.status == CVFS_OK);
        CHECK(outcome.secret == kSecret);
    }
}

TEST_CASE("kms: a body changed in transit fails the gateway's content check") {
    auto o = options();
    o.tamper_body = true;
    kms_test::KmsDouble server(o);
    VolumeFile volume(0600);
    TestCall call("encrypt.kms");
    fill_call(call, server.address(), volume);
    Outcome outcome = get_key(call);
    CHECK(outcome.status == CVFS_E_PERMISSION_DENIED);
    CHECK_THAT(outcome.error,
               Catch::Contains("InvalidParam: The Param content-sha256 is invalid."));
    check_error_names_everything(outcome);
}

TEST_CASE("kms: a clock 20 minutes off is reported as clock skew with the difference") {
    auto o = options();
    o.clock_offset_s = -1200;
    kms_test::KmsDouble server(o);
    VolumeFile volume(0600);
    TestCall call("encrypt.kms");
    fill_call(call, server.address(), volume);
    Outcome outcome = get_key(call);
    CHECK(outcome.status == CVFS_E_PERMISSION_DENIED);
    CHECK_THAT(outcome.error, Catch::Contains("RequestTimeTooSkewed"));
    CHECK_THAT(outcome.error, Catch::Contains("clock skew"));
    bool seconds = outcome.error.find("1200 s ahead of") != std::string::npos ||
                   outcome.error.find("1199 s ahead of") != std::string::npos ||
                   outcome.error.find("1201 s ahead of") != std::string::npos;
    CHECK(seconds);
    check_error_names_everything(outcome);
    CHECK(server.requests() == 1);
}

TEST_CASE("kms: an unknown secret is NOT_FOUND with the KMS code and request id") {
    kms_test::KmsDouble server(options());
    VolumeFile volume(0600);
    TestCall call("encrypt.kms");
    fill_call(call, server.address(), volume, "no-such-secret");
    Outcome outcome = get_key(call);
    CHECK(outcome.status == CVFS_E_NOT_FOUND);
    CHECK_THAT(outcome.error, Catch::Contains("secret 'no-such-secret'"));
    CHECK_THAT(outcome.error, Catch::Contains("HTTP 404 Forbidden.ResourceNotFound"));
    CHECK_THAT(outcome.error, Catch::Contains("request id test-request-1"));
    check_error_names_everything(outcome);
}

TEST_CASE("kms: throttling is retried with backoff until the secret comes") {
    auto o = options();
    o.throttle_first = 2;
    kms_test::KmsDouble server(o);
    VolumeFile volume(0600);
    TestCall call("encrypt.kms");
    fill_call(call, server.address(), volume);
    Outcome outcome = get_key(call);
    INFO(outcome.error);
    REQUIRE(outcome.status == CVFS_OK);
    CHECK(outcome.secret == kSecret);
    CHECK(server.requests() == 3);
}

TEST_CASE("kms: a gateway's non-protobuf 502 is retried, then reported as such") {
    auto o = options();
    o.bad_gateway_first = 100;
    kms_test::KmsDouble server(o);
    VolumeFile volume(0600);
    TestCall call("encrypt.kms");
    fill_call(call, server.address(), volume);
    call.integer("max_attempts", 2);
    Outcome outcome = get_key(call);
    CHECK(outcome.status == CVFS_E_UNAVAILABLE);
    CHECK_THAT(outcome.error,
               Catch::Contains("HTTP 502 with a body that is not a KMS error message"));
    check_error_names_everything(outcome);
    CHECK(server.requests() == 2);
}

TEST_CASE(
    "kms: secret data that is not base64 is refused, and secret_encoding = raw takes it as is") {
    kms_test::KmsDouble server(options());
    VolumeFile volume(0600);
    TestCall call("encrypt.kms");
    fill_call(call, server.address(), volume, "not-base64");
    Outcome outcome = get_key(call);
    CHECK(outcome.status == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(outcome.error, Catch::Contains("not base64"));
    CHECK_THAT(outcome.error, Catch::Contains("secret_encoding = \"raw\""));
    CHECK_THAT(outcome.error, !Catch::Contains("this is !!"));

    TestCall raw("encrypt.kms");
    fill_call(raw, server.address(), volume, "not-base64");
    raw.string("secret_encoding", "raw");
    Outcome taken = get_key(raw);
    INFO(taken.error);
    REQUIRE(taken.status == CVFS_OK);
    CHECK(taken.secret == "this is !! not base64");
}

TEST_CASE("kms: a server that never answers ends at the volume's deadline") {
    // A listening socket that never accepts: TCP connects, TLS never starts.
    int silent = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(silent >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    REQUIRE(bind(silent, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(listen(silent, 4) == 0);
    REQUIRE(getsockname(silent, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    cvfs::sdk::UniqueFd owner(silent);
    VolumeFile volume(0600);
    TestCall call("encrypt.kms");
    fill_call(call, "127.0.0.1:" + std::to_string(ntohs(address.sin_port)), volume);
    call.deadline_in(std::chrono::milliseconds(700));
    auto start = std::chrono::steady_clock::now();
    Outcome outcome = get_key(call);
    auto took = std::chrono::steady_clock::now() - start;
    CHECK(outcome.status == CVFS_E_DEADLINE_EXCEEDED);
    CHECK_THAT(outcome.error, Catch::Contains("volume data0"));
    CHECK(took < std::chrono::seconds(5));
}

TEST_CASE("kms: check_config names unknown keys and malformed values with their line") {
    VolumeFile volume(0600);
    auto check = [&](TestCall& call) {
        ErrorText error;
        cvfs_status status = kms().ops<cvfs_key_provider_ops>().check_config(
            kms().context(), call.raw(), error.get());
        return std::make_pair(status, error.str());
    };
    TestCall unknown("encrypt.kms");
    fill_call(unknown, "127.0.0.1:1", volume);
    unknown.string("region", "cn-hangzhou", 12);
    auto [s1, e1] = check(unknown);
    CHECK(s1 == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(e1, Catch::Contains(":12: unknown key 'region' in [encrypt.kms]"));

    TestCall bad_id("encrypt.kms");
    fill_call(bad_id, "127.0.0.1:1", volume);
    bad_id.raw()->items.erase(bad_id.raw()->items.begin());
    bad_id.string("kms_instance_id", "kst-x.evil.example", 2);
    auto [s2, e2] = check(bad_id);
    CHECK(s2 == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(e2, Catch::Contains(":2: kms_instance_id must look like kst-"));

    TestCall both("encrypt.kms");
    fill_call(both, "127.0.0.1:1", volume);
    both.string("client_key", "{}");
    auto [s3, e3] = check(both);
    CHECK(s3 == CVFS_E_INVALID_CONFIG);
    CHECK_THAT(e3, Catch::Contains("exactly one of client_key or client_key_file, not both"));

    TestCall good("encrypt.kms");
    fill_call(good, "127.0.0.1:1", volume);
    CHECK(check(good).first == CVFS_OK);
}

TEST_CASE("kms: the seed's volume file and the shipped example pass the plugin's config check") {
    for (const char* file : {"tests/data/config/seed/kms.toml", "conf/examples/kms.toml.example"}) {
        INFO(file);
        VolumeFile volume(0600);  // a root-only copy, as an installed volume file is
        std::ifstream source(std::string(CVFS_SOURCE_DIR) + "/" + file);
        std::ofstream(volume.path) << source.rdbuf();
        toml::table document = toml::parse_file(volume.path);
        const toml::table* table = document["encrypt"]["kms"].as_table();
        REQUIRE(table);
        TestCall call("encrypt.kms");
        for (const auto& [key, value] : *table) {
            REQUIRE(value.is_string());
            call.string(std::string(key.str()), *value.value<std::string>(),
                        static_cast<uint32_t>(value.source().begin.line));
        }
        call.raw()->source = volume.path;
        ErrorText error;
        cvfs_status status = kms().ops<cvfs_key_provider_ops>().check_config(
            kms().context(), call.raw(), error.get());
        INFO(error.str());
        CHECK(status == CVFS_OK);
    }
}
