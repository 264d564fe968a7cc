// TDX quote v4 (ECDSA-256 attestation key, certification data type 6):
// its layout, and a verifier that needs no Intel library.
//
// Layout (little-endian; Intel DCAP sgx_quote_4.h):
//   0    header (48): version 4, att_key_type 2, tee_type 0x81, QE vendor id @12
//   48   TD report body (584): tee_tcb_svn, mr_seam @64, td_attributes @168,
//        xfam @176, mr_td @184, rtmr0..3 @376/424/472/520, report_data @568
//   632  u32 signature data length, then: quote signature (64, r||s),
//        attestation key (64, x||y), u16 type 6, u32 size, QE report (384),
//        QE report signature (64), u16 n + QE auth data (n), u16 type 5,
//        u32 size + PCK certificate chain (PEM: leaf, intermediate, root)
//
// verify_tdx_quote checks, in order: the exact layout (no byte missing or
// left over), the PCK chain up to the configured root (with CRLs if given),
// the QE report signature by the PCK key, the QE report's binding of the
// attestation key (SHA-256(key || auth data)), and the quote signature by
// the attestation key. The measurements are then the policy's business.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "bytes.h"

namespace cvfs::ratls {

inline constexpr size_t kTdxQuoteSignedSize = 632;  // header + TD report body

// What a TDX verifier trusts: the root of the PCK chain (the Intel SGX Root
// CA in production) and optional CRLs (PEM), each a whole file's text.
struct TdxTrust {
    std::string root_pem;
    std::vector<std::string> crl_pems;
    // Optional collateral (tdx_collateral.h), each a file's text. Without
    // it the TCB status is "not evaluated".
    std::string tcb_info_json, qe_identity_json;
    std::string tcb_signing_pem;  // Intel's TCB signing certificate (chain)
    std::vector<std::string> accepted_tcb_status{"UpToDate"};
};

struct TdxClaims {
    Bytes mr_seam, mr_td, mr_config_id, mr_owner, mr_owner_config;
    std::array<Bytes, 4> rtmr;
    Bytes td_attributes, xfam, tee_tcb_svn, report_data;
    std::string tcb_status = "not evaluated";  // from the collateral, when given
};

// The length of the quote at the start of `bytes`, from its signature data
// length; throws EvidenceError(malformed) if even that cannot be read.
size_t tdx_quote_length(std::span<const uint8_t> bytes);

// Throws EvidenceError(malformed or refused) with the first problem found.
TdxClaims verify_tdx_quote(std::span<const uint8_t> quote, const TdxTrust& trust);

}  // namespace cvfs::ratls
