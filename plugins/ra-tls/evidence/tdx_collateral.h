// Intel's TDX collateral, read from files when the verifier is given them:
// the QE identity (is the quoting enclave Intel's, and how current is it) and
// the TDX TCB info (how current are the platform's CPU microcode, PCE and TDX
// module, judged by the SVNs in the PCK certificate and the quote). Both are
// JSON signed by Intel's TCB signing key, whose certificate must chain to the
// same root as the PCK certificates.
//
// The result is a TCB status ("UpToDate", "SWHardeningNeeded", "OutOfDate",
// ...); the caller accepts only the statuses it is configured to.
#pragma once

#include <openssl/x509.h>

#include <ctime>
#include <memory>
#include <span>
#include <string>

#include "bytes.h"
#include "tdx_quote.h"

namespace cvfs::ratls {

// The platform's TCB as its PCK certificate states it (SGX extensions,
// OID 1.2.840.113741.1.13.1).
struct PckTcb {
    std::array<uint32_t, 16> sgx_components{};
    uint32_t pcesvn = 0;
    std::string fmspc;  // lower-case hex
};
PckTcb read_pck_tcb(X509* pck);

// Each returns the TCB status the collateral gives, or throws
// EvidenceError(refused) when the collateral's signature, identity or dates
// do not hold. `qe_report` is the 384-byte QE report, `quote` the quote.
std::string qe_identity_status(const TdxTrust& trust, std::span<const uint8_t> qe_report,
                               std::time_t now);
std::string tcb_info_status(const TdxTrust& trust, const PckTcb& pck,
                            std::span<const uint8_t> quote, std::time_t now);

// Shared with tdx_quote.cpp: raw r||s ECDSA-P256-SHA256 verification, and
// chain verification of PEM certificates up to trust.root_pem (with CRLs).
bool ecdsa_raw_verify(EVP_PKEY* key, std::span<const uint8_t> rs, std::span<const uint8_t> message);
struct X509Deleter {
    void operator()(X509* x) const { X509_free(x); }
};
std::unique_ptr<X509, X509Deleter> verify_chain(std::span<const uint8_t> chain_pem,
                                                const TdxTrust& trust, const char* what);

}  // namespace cvfs::ratls
