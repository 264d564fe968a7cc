// HKDF and HMAC-SHA256 for the rollback record, with OpenSSL 3.
#include "luks/rollback_mac.h"

#include "base/error.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <cvfs/hex.hpp>

#include <array>
#include <memory>
#include <vector>

namespace cvfs {

namespace {

constexpr size_t kKeyBytes = 32;

[[noreturn]] void crypto_failed(const std::string& what) {
    throw Error(ErrorKind::System, "cannot " + what + " for the rollback record (OpenSSL failed)");
}

// The bytes the MAC covers: each text field is preceded by its length, so
// no two records share an encoding.
std::vector<uint8_t> message_of(const RollbackRecord& record) {
    std::vector<uint8_t> out;
    auto put_u64 = [&out](uint64_t value) {
        for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(value >> shift));
    };
    auto put_text = [&](const std::string& text) {
        put_u64(text.size());
        out.insert(out.end(), text.begin(), text.end());
    };
    put_text("cvfs-rollback-record-v1");
    put_text(record.uuid);
    put_u64(record.generation);
    put_text(record.counter);
    put_text(record.counter_index);
    return out;
}

std::array<uint8_t, 32> raw_mac(const SecureBuffer& key, const RollbackRecord& record) {
    std::array<uint8_t, 32> mac{};
    unsigned int length = 0;
    std::vector<uint8_t> message = message_of(record);
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), message.data(), message.size(), mac.data(),
              &length) ||
        length != mac.size())
        crypto_failed("compute the HMAC");
    return mac;
}

}  // namespace

SecureBuffer rollback_mac_key(const SecureBuffer& volume_key) {
    if (volume_key.empty()) throw Error(ErrorKind::Key, "the volume key is empty; no rollback key can be derived");
    std::unique_ptr<EVP_KDF, decltype(&EVP_KDF_free)> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr), EVP_KDF_free);
    if (!kdf) crypto_failed("load HKDF");
    std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> ctx(EVP_KDF_CTX_new(kdf.get()), EVP_KDF_CTX_free);
    if (!ctx) crypto_failed("start HKDF");
    char digest[] = "SHA256";
    std::string label = kRollbackKeyLabel;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(volume_key.data()),
                                          volume_key.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, label.data(), label.size()),
        OSSL_PARAM_construct_end(),
    };
    SecureBuffer key(kKeyBytes);
    key.resize(kKeyBytes);
    if (EVP_KDF_derive(ctx.get(), key.data(), key.size(), params) != 1) crypto_failed("derive the key");
    return key;
}

std::string rollback_mac(const SecureBuffer& key, const RollbackRecord& record) {
    const auto mac = raw_mac(key, record);
    return sdk::to_hex(mac);
}

bool rollback_mac_matches(const SecureBuffer& key, const RollbackRecord& record, const std::string& mac) {
    const std::string expected = rollback_mac(key, record);
    if (mac.size() != expected.size()) return false;
    return CRYPTO_memcmp(expected.data(), mac.data(), expected.size()) == 0;
}

}  // namespace cvfs
