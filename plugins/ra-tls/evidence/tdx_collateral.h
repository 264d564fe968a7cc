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
#include <string_view>

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

// Each returns the TCB status the collateral gives, by Intel's names
// (UpToDate, SWHardeningNeeded, ConfigurationNeeded,
// ConfigurationAndSWHardeningNeeded, OutOfDate, OutOfDateConfigurationNeeded,
// Revoked), or throws EvidenceError(refused) when the collateral's
// signature, identity or dates do not hold, or when Intel's rules say the
// TCB is "not supported". `qe_report` is the 384-byte QE report.
std::string qe_identity_status(const TdxTrust& trust, std::span<const uint8_t> qe_report,
                               std::time_t now);
std::string tcb_info_status(const TdxTrust& trust, const PckTcb& pck, const TdxClaims& quote,
                            std::time_t now);

// Intel's rating of a platform and its TDX module against the "tcbInfo"
// object of a TDX TCB info document (Quote Verification Library,
// TcbLevelCheck and TdxModuleCheck), without checking its signature or
// dates: the first TCB level whose SGX components and PCESVN the PCK
// certificate reaches and whose TDX components tee_tcb_svn reaches (the
// first two skipped when tee_tcb_svn[1], the module's major version, is
// above 0); for a major version above 0, the module's own status from
// tdxModuleIdentities "TDX_%02X", converged with the level's. Throws
// EvidenceError(refused) when nothing matches ("not supported").
std::string rate_tdx_tcb(std::string_view tcb_info_document, const PckTcb& pck,
                         const TdxClaims& quote);

// Intel's convergence of the platform's status with the QE's.
std::string converge_with_qe(const std::string& platform, const std::string& qe);

// Shared with tdx_quote.cpp: raw r||s ECDSA-P256-SHA256 verification, and
// chain verification of PEM certificates up to trust.root_pem (with CRLs),
// at trust.verify_time. A root certificate inside the chain must be the
// configured root itself; `root_required` also refuses a chain without one
// (Intel's PCK chains always carry it).
bool ecdsa_raw_verify(EVP_PKEY* key, std::span<const uint8_t> rs, std::span<const uint8_t> message);
struct X509Deleter {
    void operator()(X509* x) const { X509_free(x); }
};
std::unique_ptr<X509, X509Deleter> verify_chain(std::span<const uint8_t> chain_pem,
                                                const TdxTrust& trust, const char* what,
                                                bool root_required = false);

// How many CRLs a file's bytes hold (DER or PEM); throws
// EvidenceError(malformed) naming `name` when it holds none.
size_t count_crls(std::string_view bytes, const std::string& name);

}  // namespace cvfs::ratls
