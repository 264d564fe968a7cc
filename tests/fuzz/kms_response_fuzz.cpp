// Fuzzes what the aliyun-kms provider reads from the network and from the
// client key file: the protobuf decoders of the KMS instance API (the
// GetSecretValue response, the error message, and the request the test double
// reads), the server's Date header, base64 secrets, the flat JSON of the
// client key and its password file, and opening the client key (its base64
// PKCS#12) as the plugin does. Input: the bytes of one response body / file.
#include <cstdint>
#include <string_view>
#include <vector>

#include <cvfs/plugin.hpp>

#include "base64.h"
#include "flat_json.h"
#include "kms_protobuf.h"
#include "kms_signing.h"

namespace {

using namespace cvfs::kms;

void decode_all(std::string_view body) {
    (void)decode_get_secret_value_response(body);
    (void)decode_error(body);
    (void)decode_get_secret_value_request(body);
    (void)parse_http_date(body);
    if (auto size = base64_decoded_size(body)) {
        std::vector<uint8_t> out(*size);
        (void)base64_decode(body, out.data());
    }
}

void read_client_key(std::string_view text) {
    static const CryptoContext crypto;
    try {
        std::vector<JsonField> fields = parse_flat_json_object(text);
        (void)find_field(fields, "KeyId");
        (void)find_field(fields, "ClientKeyPassword");
    } catch (const cvfs::JsonError&) {
        return;
    }
    try {
        ClientKey key(crypto, text, "fuzz-password");
        (void)key.key_id();
    } catch (const cvfs::sdk::Error&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    decode_all(text);
    read_client_key(text);
    return 0;
}
