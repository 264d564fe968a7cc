// Making and reading RA-TLS certificates with OpenSSL 3 (see certificate.h).
#include "certificate.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/core_names.h>

#include <cstring>

#include "evidence_error.h"

namespace cvfs::ratls {
namespace {

struct X509Free {
    void operator()(X509* x) const { X509_free(x); }
};
struct BioFree {
    void operator()(BIO* b) const { BIO_free(b); }
};
struct ObjFree {
    void operator()(ASN1_OBJECT* o) const { ASN1_OBJECT_free(o); }
};
struct OctetFree {
    void operator()(ASN1_OCTET_STRING* o) const { ASN1_OCTET_STRING_free(o); }
};
struct ExtFree {
    void operator()(X509_EXTENSION* e) const { X509_EXTENSION_free(e); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

[[noreturn]] void openssl_failed(const char* what) {
    throw EvidenceError(EvidenceFailure::unavailable, std::string("OpenSSL: ") + what + " failed");
}

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<size_t>(size));
}

void add_extension(X509* cert, const char* oid, const Bytes& content) {
    std::unique_ptr<ASN1_OBJECT, ObjFree> object(OBJ_txt2obj(oid, 1));
    std::unique_ptr<ASN1_OCTET_STRING, OctetFree> octets(ASN1_OCTET_STRING_new());
    if (!object || !octets ||
        !ASN1_OCTET_STRING_set(octets.get(), content.data(), static_cast<int>(content.size())))
        openssl_failed("building the evidence extension");
    std::unique_ptr<X509_EXTENSION, ExtFree> ext(
        X509_EXTENSION_create_by_OBJ(nullptr, object.get(), 0, octets.get()));
    if (!ext || !X509_add_ext(cert, ext.get(), -1)) openssl_failed("adding the evidence extension");
}

std::optional<Bytes> extension_content(X509* cert, const char* oid) {
    std::unique_ptr<ASN1_OBJECT, ObjFree> object(OBJ_txt2obj(oid, 1));
    if (!object) openssl_failed("parsing an OID");
    int index = X509_get_ext_by_OBJ(cert, object.get(), -1);
    if (index < 0) return std::nullopt;
    if (X509_get_ext_by_OBJ(cert, object.get(), index) >= 0)
        malformed(std::string("the certificate carries extension ") + oid + " twice");
    ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(X509_get_ext(cert, index));
    const uint8_t* bytes = ASN1_STRING_get0_data(data);
    return Bytes(bytes, bytes + ASN1_STRING_length(data));
}

}  // namespace

Pkey p256_public_key(std::span<const uint8_t, 64> xy) {
    uint8_t point[65];
    point[0] = 0x04;  // uncompressed
    std::memcpy(point + 1, xy.data(), xy.size());
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>("P-256"), 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point),
        OSSL_PARAM_construct_end()};
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
        EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr), EVP_PKEY_CTX_free);
    EVP_PKEY* key = nullptr;
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
        EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        return nullptr;
    return Pkey(key);
}

Sha256 spki_sha256(EVP_PKEY* key) {
    unsigned char* der = nullptr;
    int length = i2d_PUBKEY(key, &der);
    if (length <= 0) openssl_failed("encoding the public key");
    Sha256 digest{};
    SHA256(der, static_cast<size_t>(length), digest.data());
    OPENSSL_free(der);
    return digest;
}

ConnectionKey::ConnectionKey() : key_(EVP_EC_gen("P-256")) {
    if (!key_) openssl_failed("generating the connection key");
    binding_ = spki_sha256(key_.get());
}

std::string ConnectionKey::private_pem() const {
    BioPtr bio(BIO_new(BIO_s_secmem()));
    if (!bio ||
        !PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr))
        openssl_failed("writing the connection key");
    return bio_text(bio.get());
}

std::string make_evidence_certificate(const ConnectionKey& key, const char* oid,
                                      const Bytes& evidence) {
    X509Ptr cert(X509_new());
    if (!cert) openssl_failed("X509_new");
    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof serial) != 1) openssl_failed("RAND_bytes");
    serial[0] &= 0x7f;
    BIGNUM* number = BN_bin2bn(serial, sizeof serial, nullptr);
    bool ok = number && BN_to_ASN1_INTEGER(number, X509_get_serialNumber(cert.get()));
    BN_free(number);
    X509_NAME* name = X509_get_subject_name(cert.get());
    ok = ok && X509_set_version(cert.get(), X509_VERSION_3) &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                    reinterpret_cast<const unsigned char*>("cvfs ra-tls"), -1, -1,
                                    0) &&
         X509_set_issuer_name(cert.get(), name) &&
         X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300) &&
         X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400) &&
         X509_set_pubkey(cert.get(), key.get());
    if (!ok) openssl_failed("filling the certificate");
    add_extension(cert.get(), oid, evidence);
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0)
        openssl_failed("signing the certificate");
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || !PEM_write_bio_X509(bio.get(), cert.get()))
        openssl_failed("writing the certificate");
    return bio_text(bio.get());
}

PeerCertificate read_peer_certificate(std::string_view pem) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!cert) malformed("the client's certificate is not a PEM X.509 certificate");
    EVP_PKEY* key = X509_get0_pubkey(cert.get());
    if (!key) malformed("the client's certificate has no usable public key");
    PeerCertificate peer;
    peer.key_binding = spki_sha256(key);
    peer.intel_ext = extension_content(cert.get(), kIntelRaTlsOid);
    peer.tpm_ext = extension_content(cert.get(), kTpmEvidenceOid);
    return peer;
}

}  // namespace cvfs::ratls
