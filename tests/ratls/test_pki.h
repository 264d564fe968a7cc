// A test PKI for RA-TLS: certificate authorities and keys made with OpenSSL,
// and TDX quotes v4 that are structurally exact (the layout of Intel's
// sgx_quote_4.h) and signed at every level by test keys, so the real
// verifier runs on them:
//   root CA -> intermediate CA -> PCK certificate (the QE's key)
//   PCK key signs the QE report; the QE report's report_data vouches for the
//   attestation key; the attestation key signs header + TD report body.
// QuoteFaults breaks exactly one thing, for the refusal tests.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <array>
#include <memory>
#include <string>

#include "bytes.h"
#include "certificate.h"

namespace ratls_test {

using cvfs::ratls::Bytes;
using cvfs::ratls::Pkey;

struct X509Free {
    void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

Pkey new_p256_key();
std::string pem_of(X509* cert);
std::string pem_of_key(EVP_PKEY* key);

// A CA (self-signed when issuer is null) or leaf certificate.
X509Ptr make_cert(const std::string& cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, bool ca,
                  const std::string& san = "", const Bytes* sgx_ext = nullptr);

// The PCK certificate's SGX extension (1.2.840.113741.1.13.1, DER): TCB
// components all `sgx_svn`, PCESVN `pcesvn`, FMSPC kTestFmspc.
inline constexpr const char* kTestFmspc = "00906ed50000";
Bytes sgx_extension(uint32_t sgx_svn, uint32_t pcesvn);

// A CRL (PEM) by `issuer`, revoking `revoked` when it is not null.
std::string make_crl(X509* issuer, EVP_PKEY* issuer_key, X509* revoked);

struct TdxTestPki {
    Pkey root_key, intermediate_key, pck_key, attestation_key, tcb_signing_key;
    X509Ptr root, intermediate, pck, tcb_signing;

    static TdxTestPki create(const std::string& name);
    std::string root_pem() const { return pem_of(root.get()); }
    // Writes/reads the keys and certificates as PEM files in `dir`.
    void save(const std::string& dir) const;
    static TdxTestPki load(const std::string& dir);
};

struct QuoteFields {
    std::array<uint8_t, 48> mr_td{};
    std::array<std::array<uint8_t, 48>, 4> rtmr{};
    std::array<uint8_t, 8> td_attributes{};
    std::array<uint8_t, 8> xfam{};
    std::array<uint8_t, 64> report_data{};
    static QuoteFields sample();  // fixed, recognisable values
};

struct QuoteFaults {
    bool quote_signature = false;     // flips a bit of the signed body after signing
    bool qe_signature = false;        // corrupts the QE report signature
    bool qe_binding = false;          // QE report vouches for another attestation key
    bool pck_not_from_chain = false;  // PCK signed by a key that is not the intermediate's
};

Bytes make_tdx_quote(const TdxTestPki& pki, const QuoteFields& fields,
                     const QuoteFaults& faults = {});

// Collateral signed by the PKI's TCB signing key, matching the quotes above
// (PCK: SGX SVNs 5, PCESVN 11; quote: tee_tcb_svn 3s, mrsigner_seam 0).
struct CollateralOptions {
    uint32_t level1_sgx_svn = 5;  // the first (best) level needs this
    std::string level1_status = "UpToDate";
    std::string level2_status = "OutOfDate";  // reached by any platform
    std::string module_status = "UpToDate";   // of the module identity TDX_03
    std::string fmspc = kTestFmspc;
    std::string qe_mrsigner_hex = std::string(64, '1');
    long next_update_from_now = 30 * 86400;
    bool tamper = false;  // changes the body after signing
};
std::string make_tcb_info(const TdxTestPki& pki, const CollateralOptions& options = {});
std::string make_qe_identity(const TdxTestPki& pki, const CollateralOptions& options = {});

}  // namespace ratls_test
