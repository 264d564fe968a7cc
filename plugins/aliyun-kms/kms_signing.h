// Request signing of the KMS instance API, as the vendor SDKs do it.
//
// A client key (the console's clientKey_*.json: KeyId and a base64 PKCS#12)
// signs each request: RSASSA-PKCS1-v1_5 with SHA-256 over the string to sign
//
//   POST \n <content-sha256> \n <content-type> \n <date> \n
//   <each x-kms-* header, lowercase, sorted: "name:value\n"> /
//
// (no newline after the final "/"), sent as "authorization: Bearer <base64>".
//
// The console's PKCS#12 files use legacy algorithms (an RC2-40 certificate
// bag, a 3DES key bag, a SHA-1 MAC) that OpenSSL 3 keeps in its "legacy"
// provider. CryptoContext loads it into a library context of the plugin's
// own, so the process's default context (and anyone else in it) is unchanged.
#pragma once

#include <openssl/types.h>

#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cvfs::kms {

// An OpenSSL library context with the legacy and default providers. Created
// once per plugin instance; read-only (and so thread-safe) afterwards.
class CryptoContext {
public:
    CryptoContext();  // throws cvfs::sdk::Error when the default provider cannot load
    ~CryptoContext();
    CryptoContext(const CryptoContext&) = delete;
    CryptoContext& operator=(const CryptoContext&) = delete;
    OSSL_LIB_CTX* get() const { return context_; }
    bool has_legacy() const { return legacy_ != nullptr; }

private:
    void release();
    OSSL_LIB_CTX* context_ = nullptr;
    OSSL_PROVIDER* legacy_ = nullptr;
    OSSL_PROVIDER* default_ = nullptr;
};

// The private key of a client key, and its id.
class ClientKey {
public:
    // Reads the client key JSON and opens its PKCS#12 with `password`.
    // Throws cvfs::sdk::Error naming what is wrong, never the secret.
    ClientKey(const CryptoContext& crypto, std::string_view client_key_json,
              std::string_view password);
    ~ClientKey();
    ClientKey(const ClientKey&) = delete;
    ClientKey& operator=(const ClientKey&) = delete;

    const std::string& key_id() const { return key_id_; }
    // The base64 RSA-SHA256 PKCS#1 v1.5 signature of `text`.
    std::string sign(std::string_view text) const;

private:
    const CryptoContext& crypto_;
    std::string key_id_;
    EVP_PKEY* key_ = nullptr;
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// The string to sign for a POST to "/" with these headers (names are matched
// case-insensitively; x-kms-* headers are taken lowercase and sorted).
std::string string_to_sign(const HeaderList& headers);

// Uppercase hex SHA-256, the content-sha256 header.
std::string sha256_upper_hex(std::string_view data);

// "Mon, 02 Jan 2006 15:04:05 GMT", in English whatever the locale.
std::string http_date(std::time_t when);
std::optional<std::time_t> parse_http_date(std::string_view text);

}  // namespace cvfs::kms
