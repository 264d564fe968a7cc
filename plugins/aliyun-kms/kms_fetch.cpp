// GetSecretValue with retries, see kms_fetch.h.
#include "kms_fetch.h"

#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <thread>

#include "base64.h"
#include "kms_https.h"
#include "kms_protobuf.h"

namespace cvfs::kms {
namespace {

using sdk::Error;

constexpr int64_t kAttemptTimeoutMs = 15000;
constexpr int64_t kFirstBackoffMs = 250;
constexpr int64_t kMaxSkewSeconds = 15 * 60;

// What went wrong with one attempt, and whether another may help.
struct Failure {
    cvfs_status status;
    std::string message;
    bool retry;
};

// Server text shown to a person: printable ASCII, short.
std::string printable(std::string_view text) {
    std::string out;
    for (char c : text.substr(0, 200)) out += (c >= 0x20 && c <= 0x7e) ? c : '?';
    return out;
}

bool retryable_code(std::string_view code) {
    return code == "Rejected.Throttling" || code == "ServiceUnavailableTemporary" ||
           code == "InternalFailure";
}

std::string hint_for(std::string_view code, std::string_view message, const std::string& key_id) {
    if (code == "InvalidParam" && message.find("Authorization") != std::string_view::npos)
        return "; the KMS refused the request's signature: client_key is not the key of " + key_id +
               " at this instance, or it was replaced";
    if (code == "Unauthorized")
        return "; the instance does not know client key " + key_id +
               ": check that its application access point is enabled and not expired";
    if (code.rfind("Forbidden", 0) == 0 && code.find("NotFound") == std::string_view::npos)
        return "; check the access point's policy (secret access) and its allowed network sources";
    return "";
}

cvfs_status status_for(unsigned http, std::string_view code) {
    if (http == 404 || code.find("NotFound") != std::string_view::npos) return CVFS_E_NOT_FOUND;
    if (http >= 500 || http == 429 || retryable_code(code)) return CVFS_E_UNAVAILABLE;
    return CVFS_E_PERMISSION_DENIED;
}

// Describes a refused request from the clock difference the server shows.
std::string skew_text(const HttpsResponse& response, std::time_t sent) {
    auto server = parse_http_date(response.date);
    if (!server)
        return "this machine's clock is more than 15 minutes away from the KMS's (sent Date: " +
               http_date(sent) + "); set the clock (NTP) and try again";
    long long diff = static_cast<long long>(sent) - static_cast<long long>(*server);
    return "this machine's clock is " + std::to_string(diff < 0 ? -diff : diff) + " s " +
           (diff < 0 ? "behind" : "ahead of") + " the KMS's (local " + http_date(sent) + ", KMS " +
           response.date + "); the KMS accepts " + std::to_string(kMaxSkewSeconds / 60) +
           " minutes: set the clock (NTP) and try again";
}

Failure error_failure(const HttpsResponse& response, std::time_t sent, const std::string& key_id) {
    std::string_view body = view(response.body);
    auto error = decode_error(body);
    std::string http = "HTTP " + std::to_string(response.status);
    if (!error || error->error_code.empty())
        return {response.status >= 500 ? CVFS_E_UNAVAILABLE : CVFS_E_PERMISSION_DENIED,
                http + " with a body that is not a KMS error message (" +
                    std::to_string(body.size()) + " bytes; a gateway or proxy answered?)",
                response.status >= 500 || response.status == 429};
    std::string code = printable(error->error_code), text = printable(error->error_message);
    std::string request_id = error->request_id.empty() ? "none" : printable(error->request_id);
    std::string message = http + " " + code + ": " + text + " (request id " + request_id + ")";
    if (code == "RequestTimeTooSkewed")
        return {CVFS_E_PERMISSION_DENIED, message + "; clock skew: " + skew_text(response, sent),
                false};
    bool retry = response.status >= 500 || response.status == 429 || retryable_code(code);
    return {status_for(response.status, code), message + hint_for(code, text, key_id), retry};
}

// Writes the secret of a 200 answer into `out`; throws what is wrong.
void take_secret(const HttpsResponse& response, const Settings& settings, sdk::SecretOut& out,
                 const std::string& prefix) {
    auto message = decode_get_secret_value_response(view(response.body));
    if (!message)
        throw Error(CVFS_E_UNAVAILABLE, prefix +
                                            "HTTP 200 with a body that is not a "
                                            "GetSecretValueResponse (" +
                                            std::to_string(response.body.size()) + " bytes)");
    std::string_view data = message->secret_data;
    if (data.empty())
        throw Error(CVFS_E_INVALID_CONFIG, prefix + "the secret is empty (request id " +
                                               printable(message->request_id) + ")");
    if (settings.raw_secret) {
        out.write({reinterpret_cast<const uint8_t*>(data.data()), data.size()});
        return;
    }
    auto size = base64_decoded_size(data);
    if (!size || *size == 0)
        throw Error(CVFS_E_INVALID_CONFIG,
                    prefix +
                        "the secret's value is not base64, which the seed tool's format "
                        "requires: store base64 of the key in the secret, or set "
                        "secret_encoding = \"raw\" in " +
                        settings.source + " (request id " + printable(message->request_id) + ")");
    out.set_length(*size);  // asks the host for a larger buffer when needed
    base64_decode(data, out.data());
}

void back_off(const sdk::Call& call, int attempt) {
    int64_t delay = kFirstBackoffMs << std::min(attempt - 1, 6);
    uint16_t jitter = 0;
    RAND_bytes(reinterpret_cast<unsigned char*>(&jitter), sizeof jitter);
    delay = delay / 2 + static_cast<int64_t>(jitter % static_cast<uint16_t>(delay / 2 + 1));
    int64_t left = call.remaining_ms();
    if (left != INT64_MAX) delay = std::min(delay, std::max<int64_t>(left - 1, 0));
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
}

}  // namespace

HeaderList signed_headers(const ClientKey& key, const std::string& body, std::time_t now) {
    HeaderList headers = {
        {"accept", "application/x-protobuf"},       {"content-type", "application/x-protobuf"},
        {"content-sha256", sha256_upper_hex(body)}, {"date", http_date(now)},
        {"user-agent", "cvfs-aliyun-kms/0.1.0"},    {"x-kms-apiversion", "dkms-gcs-0.2"},
        {"x-kms-apiname", "GetSecretValue"},        {"x-kms-signaturemethod", "RSA_PKCS1_SHA_256"},
        {"x-kms-acccesskeyid", key.key_id()},  // sic: the API spells it with three c's
    };
    headers.emplace_back("authorization", "Bearer " + key.sign(string_to_sign(headers)));
    return headers;
}

void fetch_secret(const CryptoContext& crypto, const sdk::Call& call, const Settings& settings,
                  sdk::SecretOut& out) {
    sdk::Config config = call.config();
    // Log lines are attributed to the volume by the host; errors name it too.
    std::string request_text = "KMS " + settings.host() +
                               (settings.connect_host.empty()
                                    ? ""
                                    : " (at " + settings.connect_host + ":" + settings.port + ")") +
                               ": GetSecretValue of secret '" + settings.secret_name + "': ";
    std::string prefix = "volume " + std::string(call.volume()) + ": " + request_text;
    std::unique_ptr<ClientKey> key;
    try {
        SecretText key_json = load_client_key(config, settings);
        SecretText password = load_client_key_password(config, settings);
        key = std::make_unique<ClientKey>(crypto, view(key_json), view(password));
    } catch (const Error& e) {
        throw Error(e.status(), prefix + e.what());
    }

    HttpsRequest request;
    request.host = settings.host();
    request.connect_host = settings.connect_host.empty() ? request.host : settings.connect_host;
    request.port = settings.port;
    request.ca_pem = settings.ca_pem;
    request.body = encode(GetSecretValueRequest{settings.secret_name, {}, {}, false});

    Failure last{CVFS_E_INTERNAL, "no attempt was made", false};
    for (int attempt = 1; attempt <= settings.max_attempts; ++attempt) {
        if (call.cancelled()) throw Error(CVFS_E_CANCELLED, prefix + "cancelled");
        int64_t left = call.remaining_ms();
        if (left <= 0)
            throw Error(CVFS_E_DEADLINE_EXCEEDED,
                        prefix + "the volume's timeout passed" +
                            (attempt > 1 ? " after " + std::to_string(attempt - 1) +
                                               " attempts; last: " + last.message
                                         : ""));
        request.timeout = std::chrono::milliseconds(std::min(left, kAttemptTimeoutMs));
        std::time_t now = std::time(nullptr);
        request.headers = signed_headers(*key, request.body, now);
        std::optional<HttpsResponse> response;
        try {
            response = https_post(request);
        } catch (const Error& e) {
            if (e.status() == CVFS_E_INVALID_CONFIG) throw Error(e.status(), prefix + e.what());
            bool transient =
                e.status() == CVFS_E_UNAVAILABLE || e.status() == CVFS_E_DEADLINE_EXCEEDED;
            last = {e.status(), e.what(), transient};
        }
        if (response && response->status == 200) {
            take_secret(*response, settings, out, prefix);
            return;
        }
        if (response) last = error_failure(*response, now, key->key_id());
        if (!last.retry) break;
        if (attempt < settings.max_attempts) {
            call.log(CVFS_LOG_WARNING, request_text + "attempt " + std::to_string(attempt) +
                                           " of " + std::to_string(settings.max_attempts) +
                                           " failed (" + last.message + "); retrying");
            back_off(call, attempt);
        }
    }
    throw Error(last.status, prefix + last.message);
}

}  // namespace cvfs::kms
