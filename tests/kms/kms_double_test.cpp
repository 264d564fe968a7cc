// Tests that the KMS test double is as strict as the gateway it stands for:
// a correctly signed request gets the secret, and each single deviation the
// real gateway rejects (lowercase content-sha256, "TOKEN" instead of
// "Bearer", a newline after the resource, a missing or wrong x-kms-* header,
// a bad Date, a signature over other headers) gets its documented error. A
// lax double would let client bugs through.
#include "kms_double.h"

#include <catch2/catch.hpp>
#include <ctime>
#include <fstream>
#include <sstream>

#include "cvfs/plugin.hpp"
#include "kms_fetch.h"
#include "kms_https.h"
#include "kms_protobuf.h"
#include "kms_signing.h"

using namespace cvfs::kms;

namespace {

const std::string kPki = CVFS_KMS_PKI_DIR;

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string& value(HeaderList& headers, const std::string& name) {
    for (auto& [key, v] : headers)
        if (key == name) return v;
    throw std::runtime_error("no header " + name);
}

struct Exchange {
    unsigned status;
    std::string code;
};

Exchange send(const kms_test::KmsDouble& server, const std::string& body,
              const HeaderList& headers) {
    HttpsRequest request;
    request.host = "kst-test123.cryptoservice.kms.aliyuncs.com";
    request.connect_host = "127.0.0.1";
    request.port = std::to_string(server.port());
    request.ca_pem = read_text(kPki + "/kms_ca.pem");
    request.headers = headers;
    request.body = body;
    HttpsResponse response = https_post(request);
    if (response.status == 200) return {200, ""};
    auto error = decode_error(view(response.body));
    return {response.status, error ? std::string(error->error_code) : "<not protobuf>"};
}

}  // namespace

TEST_CASE("the double accepts only requests signed and formed as the gateway demands") {
    kms_test::DoubleOptions options;
    options.pki_dir = kPki;
    options.secrets = {{"s", "c2VjcmV0"}};
    kms_test::KmsDouble server(options);
    CryptoContext crypto;
    std::string password = read_text(kPki + "/client_key_password.txt");
    password.erase(password.find_last_not_of("\n") + 1);
    ClientKey key(crypto, read_text(kPki + "/client_key.json"), password);
    std::string body = encode(GetSecretValueRequest{"s", {}, {}, false});
    std::time_t now = std::time(nullptr);
    const HeaderList good = signed_headers(key, body, now);

    // Re-signs `headers` after a change, as a client with that bug would.
    auto resign = [&](HeaderList headers, const std::string& suffix = "") {
        headers.pop_back();  // authorization
        headers.emplace_back("authorization",
                             "Bearer " + key.sign(string_to_sign(headers) + suffix));
        return headers;
    };

    CHECK(send(server, body, good).status == 200);

    HeaderList lower_hash = good;
    auto& hash = value(lower_hash, "content-sha256");
    for (auto& c : hash) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    CHECK(send(server, body, resign(lower_hash)).code == "InvalidParam");

    HeaderList token = good;
    value(token, "authorization").replace(0, 6, "TOKEN");
    CHECK(send(server, body, token).code == "InvalidParam");

    CHECK(send(server, body, resign(good, "\n")).code == "InvalidParam");

    HeaderList version = good;
    value(version, "x-kms-apiversion") = "dkms-gcs-0.1";
    CHECK(send(server, body, resign(version)).code == "InvalidApiVersion");

    HeaderList method = good;
    value(method, "x-kms-signaturemethod") = "RSA_PSS_SHA_256";
    CHECK(send(server, body, resign(method)).code == "InvalidParam");

    HeaderList no_key = good;
    value(no_key, "x-kms-acccesskeyid") = "";
    CHECK(send(server, body, resign(no_key)).code == "MissingParameter");

    HeaderList unknown_key = good;
    value(unknown_key, "x-kms-acccesskeyid") = "KAAP.someone-else";
    CHECK(send(server, body, resign(unknown_key)).code == "Unauthorized");

    HeaderList iso_date = good;
    value(iso_date, "date") = "2024-01-01T00:00:00Z";
    CHECK(send(server, body, resign(iso_date)).code == "InvalidParam");

    HeaderList api = good;
    value(api, "x-kms-apiname") = "Decrypt";
    CHECK(send(server, body, resign(api)).code == "InvalidApiName");

    HeaderList unsigned_change = good;  // changed after signing
    value(unsigned_change, "x-kms-apiname") = "GetSecretValueX";
    CHECK(send(server, body, unsigned_change).code == "InvalidParam");

    CHECK(server.requests() == 11);
}
