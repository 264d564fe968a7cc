// Client key loading and request signing, see kms_signing.h.
#include "kms_signing.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "base64.h"
#include "cvfs/hex.hpp"
#include "cvfs/plugin.hpp"
#include "flat_json.h"
#include "locked_memory.h"

namespace cvfs::kms {
namespace {

using sdk::Error;

// The last OpenSSL error as text (OpenSSL's messages never hold key bytes).
std::string openssl_error() {
    unsigned long code = ERR_peek_last_error();
    ERR_clear_error();
    if (code == 0) return "no detail";
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
}

struct BioFree {
    void operator()(BIO* b) const { BIO_free(b); }
};
struct P12Free {
    void operator()(PKCS12* p) const { PKCS12_free(p); }
};
struct X509Free {
    void operator()(X509* x) const { X509_free(x); }
};
struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

}  // namespace

CryptoContext::CryptoContext() : context_(OSSL_LIB_CTX_new()) {
    if (!context_) throw Error(CVFS_E_INTERNAL, "cannot create an OpenSSL library context");
    // Without legacy.so (a minimal image) modern PKCS#12 files still work;
    // ClientKey says why a legacy one does not.
    legacy_ = OSSL_PROVIDER_load(context_, "legacy");
    default_ = OSSL_PROVIDER_load(context_, "default");
    ERR_clear_error();
    if (!default_) {
        release();
        throw Error(CVFS_E_UNAVAILABLE, "cannot load OpenSSL's default provider");
    }
}

CryptoContext::~CryptoContext() { release(); }

void CryptoContext::release() {
    if (legacy_) OSSL_PROVIDER_unload(legacy_);
    if (default_) OSSL_PROVIDER_unload(default_);
    if (context_) OSSL_LIB_CTX_free(context_);
    legacy_ = default_ = nullptr;
    context_ = nullptr;
}

ClientKey::ClientKey(const CryptoContext& crypto, std::string_view client_key_json,
                     std::string_view password)
    : crypto_(crypto) {
    std::vector<JsonField> fields;
    try {
        fields = parse_flat_json_object(client_key_json);
    } catch (const JsonError& e) {
        throw Error(CVFS_E_INVALID_CONFIG,
                    std::string("the client key is not the console's JSON object: ") + e.what());
    }
    const SecretText* key_id = find_field(fields, "KeyId");
    const SecretText* data = find_field(fields, "PrivateKeyData");
    if (!key_id || key_id->empty() || !data || data->empty())
        throw Error(CVFS_E_INVALID_CONFIG,
                    "the client key JSON needs non-empty \"KeyId\" and \"PrivateKeyData\"");
    key_id_.assign(key_id->begin(), key_id->end());

    auto der_size = base64_decoded_size(view(*data));
    if (!der_size || *der_size == 0)
        throw Error(CVFS_E_INVALID_CONFIG,
                    "PrivateKeyData of client key " + key_id_ + " is not base64");
    SecretBytes der(*der_size);
    base64_decode(view(*data), der.data());

    std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(der.data(), static_cast<int>(der.size())));
    // An empty PKCS12 of our context first: d2i then decodes into it and keeps
    // the context, which PKCS12_parse uses for the legacy ciphers.
    PKCS12* raw = PKCS12_init_ex(NID_pkcs7_data, crypto.get(), nullptr);
    if (!raw || !d2i_PKCS12_bio(bio.get(), &raw)) {
        PKCS12_free(raw);
        raw = nullptr;
    }
    std::unique_ptr<PKCS12, P12Free> p12(raw);
    if (!p12)
        throw Error(CVFS_E_INVALID_CONFIG, "PrivateKeyData of client key " + key_id_ +
                                               " is not a PKCS#12 file: " + openssl_error());
    SecretText pass(password.begin(), password.end());
    pass.push_back('\0');
    if (!PKCS12_verify_mac(p12.get(), pass.data(), static_cast<int>(password.size()))) {
        ERR_clear_error();
        throw Error(CVFS_E_PERMISSION_DENIED,
                    "client_key_password does not open client key " + key_id_ +
                        " (the PKCS#12 integrity check fails): use the password file that came "
                        "with this client key");
    }
    X509* cert = nullptr;
    if (!PKCS12_parse(p12.get(), pass.data(), &key_, &cert, nullptr))
        throw Error(
            CVFS_E_INVALID_CONFIG,
            "cannot read client key " + key_id_ + " from its PKCS#12: " + openssl_error() +
                (crypto.has_legacy() ? ""
                                     : " (OpenSSL's legacy provider, ossl-modules/legacy.so, "
                                       "which reads the console's files, is not installed)"));
    std::unique_ptr<X509, X509Free> cert_owner(cert);
    if (!key_ || EVP_PKEY_get_base_id(key_) != EVP_PKEY_RSA)
        throw Error(CVFS_E_INVALID_CONFIG, "client key " + key_id_ + " holds no RSA private key");
}

ClientKey::~ClientKey() { EVP_PKEY_free(key_); }

std::string ClientKey::sign(std::string_view text) const {
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> md(EVP_MD_CTX_new());
    size_t size = 0;
    if (!md ||
        EVP_DigestSignInit_ex(md.get(), nullptr, "SHA256", crypto_.get(), nullptr, key_, nullptr) !=
            1 ||
        EVP_DigestSign(md.get(), nullptr, &size,
                       reinterpret_cast<const unsigned char*>(text.data()), text.size()) != 1)
        throw Error(CVFS_E_INTERNAL, "cannot sign the KMS request: " + openssl_error());
    std::vector<uint8_t> signature(size);
    if (EVP_DigestSign(md.get(), signature.data(), &size,
                       reinterpret_cast<const unsigned char*>(text.data()), text.size()) != 1)
        throw Error(CVFS_E_INTERNAL, "cannot sign the KMS request: " + openssl_error());
    return base64_encode(signature.data(), size);
}

std::string string_to_sign(const HeaderList& headers) {
    auto value_of = [&](std::string_view name) -> std::string {
        for (const auto& [key, value] : headers)
            if (lower(key) == name) return value;
        return "";
    };
    HeaderList kms;
    for (const auto& [key, value] : headers) {
        std::string name = lower(key);
        if (name.rfind("x-kms-", 0) == 0) kms.emplace_back(name, std::string(trim(value)));
    }
    std::sort(kms.begin(), kms.end());
    std::string text = "POST\n" + value_of("content-sha256") + "\n" + value_of("content-type") +
                       "\n" + value_of("date") + "\n";
    for (const auto& [name, value] : kms) text += name + ":" + value + "\n";
    return text + "/";
}

std::string sha256_upper_hex(std::string_view data) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
    return sdk::to_hex(digest, sdk::HexCase::Upper);
}

std::string http_date(std::time_t when) {
    std::tm t{};
    gmtime_r(&when, &t);
    char text[40];
    std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[t.tm_wday],
                  t.tm_mday, kMonths[t.tm_mon], t.tm_year + 1900, t.tm_hour, t.tm_min, t.tm_sec);
    return text;
}

std::optional<std::time_t> parse_http_date(std::string_view text) {
    char day[4] = "", month[4] = "", zone[4] = "";
    std::tm t{};
    int consumed = 0;
    std::string copy(text);
    if (std::sscanf(copy.c_str(), "%3[A-Za-z], %d %3[A-Za-z] %d %d:%d:%d %3s%n", day, &t.tm_mday,
                    month, &t.tm_year, &t.tm_hour, &t.tm_min, &t.tm_sec, zone, &consumed) != 8 ||
        static_cast<size_t>(consumed) != copy.size() || std::string_view(zone) != "GMT")
        return std::nullopt;
    auto found = std::find_if(std::begin(kMonths), std::end(kMonths),
                              [&](const char* m) { return std::string_view(m) == month; });
    if (found == std::end(kMonths)) return std::nullopt;
    t.tm_mon = static_cast<int>(found - std::begin(kMonths));
    t.tm_year -= 1900;
    std::time_t when = timegm(&t);
    if (when == static_cast<std::time_t>(-1)) return std::nullopt;
    return when;
}

}  // namespace cvfs::kms
