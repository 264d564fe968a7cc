// A faithful stand-in for an Alibaba Cloud KMS instance's gateway, for tests.
//
// It serves HTTPS on 127.0.0.1 with the test PKI's certificate for
// kst-test123.cryptoservice.kms.aliyuncs.com and checks a GetSecretValue
// request the way the real gateway documents it: method and path, every
// x-kms-* header, the Date (RFC 1123, within 15 minutes of its clock), the
// content-sha256 (uppercase hex of the body), the key id, then the signature:
// it rebuilds the string to sign from the headers it received and verifies
// "Bearer <base64>" with RSA-SHA256 against the certificate of the client's
// PKCS#12. It answers in protobuf: a GetSecretValueResponse, or an Error with
// the gateway's codes and a request id. Its protobuf code is generated from
// the test's own kms_wire_test.proto, never the plugin's codec, so a field
// number the plugin got wrong fails here. Knobs inject the failures the client
// must survive: a skewed server clock, throttling, a gateway's non-protobuf
// 502, a body changed in transit.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>

namespace kms_test {

struct DoubleOptions {
    std::string pki_dir;                         // what make_test_pki.sh made
    std::map<std::string, std::string> secrets;  // secret name -> SecretData as stored
    int64_t clock_offset_s = 0;                  // the server's clock minus the real one
    int throttle_first = 0;     // answer the first N requests with Rejected.Throttling
    int bad_gateway_first = 0;  // answer the first N requests with an HTML 502
    bool tamper_body = false;   // change one byte of each body before checking it
    uint16_t port = 0;          // 0: any free port
};

class KmsDouble {
public:
    explicit KmsDouble(DoubleOptions options);  // listens at once, serves on a thread
    ~KmsDouble();
    KmsDouble(const KmsDouble&) = delete;
    KmsDouble& operator=(const KmsDouble&) = delete;

    uint16_t port() const;
    int requests() const { return requests_; }  // HTTP requests answered so far
    std::string address() const { return "127.0.0.1:" + std::to_string(port()); }

private:
    struct State;
    void serve();
    std::unique_ptr<State> state_;
    std::atomic<int> requests_{0};
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace kms_test
