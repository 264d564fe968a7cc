// The RA-TLS certificate: a fresh key for one connection and a self-signed
// X.509 certificate that carries the evidence in a non-critical extension.
// The evidence binds SHA-256 of the certificate's DER SubjectPublicKeyInfo,
// so only the holder of this key can use it in a TLS handshake.
//
// Extensions:
//   1.2.840.113741.1      the Intel RA-TLS extension: a TDX quote (v4) whose
//                         report_data starts with the key hash, followed by
//                         the 32-byte key hash (the layout the Intel
//                         secretmanager server reads)
//   kTpmEvidenceOid       cvfs' TPM2 evidence (tpm_evidence.h)
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "bytes.h"

namespace cvfs::ratls {

inline constexpr const char* kIntelRaTlsOid = "1.2.840.113741.1";
// A UUID-based OID (ITU-T X.667 arc 2.25), minted for cvfs TPM evidence.
inline constexpr const char* kTpmEvidenceOid = "2.25.128998020511106692686296298585885964995";

struct PkeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// An EC P-256 key made for one connection.
class ConnectionKey {
public:
    ConnectionKey();
    EVP_PKEY* get() const { return key_.get(); }
    // SHA-256 over the DER SubjectPublicKeyInfo: what evidence binds.
    const Sha256& binding() const { return binding_; }
    // The private key as PKCS#8 PEM, for the TLS stack. The caller wipes it.
    std::string private_pem() const;

private:
    Pkey key_;
    Sha256 binding_{};
};

// A self-signed certificate (v3, SHA-256, valid from 5 minutes ago for a
// day) for `key`, with `evidence` as the content of extension `oid`. PEM.
std::string make_evidence_certificate(const ConnectionKey& key, const char* oid,
                                      const Bytes& evidence);

// What a verifier reads from the peer's certificate.
struct PeerCertificate {
    Sha256 key_binding{};            // SHA-256 of its SubjectPublicKeyInfo
    std::optional<Bytes> intel_ext;  // content of 1.2.840.113741.1
    std::optional<Bytes> tpm_ext;    // content of kTpmEvidenceOid
};

// Parses a PEM certificate (the peer's, as the TLS stack reports it). Throws
// EvidenceError(malformed) when it is not one certificate.
PeerCertificate read_peer_certificate(std::string_view pem);

// SHA-256 of the DER SubjectPublicKeyInfo of `key`.
Sha256 spki_sha256(EVP_PKEY* key);

// A P-256 public key from its point's coordinates (x || y, 32 bytes each, as
// TDX quotes and TPM2 public areas carry them); null when that is no point
// on the curve.
Pkey p256_public_key(std::span<const uint8_t, 64> xy);

}  // namespace cvfs::ratls
