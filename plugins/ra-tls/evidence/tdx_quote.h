// TDX quotes v4 and v5 (ECDSA-256 attestation key, certification data type
// 6): their layout, and a verifier that needs no Intel library.
//
// Layout (little-endian; Intel DCAP sgx_quote_4.h and sgx_quote_5.h):
//   0    header (48): version 4 or 5, att_key_type 2, tee_type 0x81,
//        QE vendor id @12
//   v4:  48  TD report body (584, "TDX 1.0")
//   v5:  48  u16 body type (2 = TDX 1.0 body, 3 = TDX 1.5 body), u32 body
//            size (584 or 648), 54 the body
//   TD report body: tee_tcb_svn @0, mr_seam @16, mr_signer_seam @64,
//        seam_attributes @112, td_attributes @120, xfam @128, mr_td @136,
//        mr_config_id @184, mr_owner @232, mr_owner_config @280,
//        rtmr0..3 @328, report_data @520; TDX 1.5 adds tee_tcb_svn2 @584 and
//        mr_servicetd @600
//   after the body: u32 signature data length, then: quote signature (64,
//        r||s over everything before the length), attestation key (64,
//        x||y), u16 type 6, u32 size, QE report (384), QE report signature
//        (64), u16 n + QE auth data (n), u16 type 5, u32 size + PCK
//        certificate chain (PEM: leaf, intermediate, root)
//
// The quote ends where its signature data length says; bytes after it are
// ignored, as Intel's verifier does (Intel's quote service hands out buffers
// sized for a v5 quote, so a v4 quote arrives with trailing zeros). A buffer
// shorter than its declared lengths is refused.
//
// verify_tdx_quote checks, in order: the version (before any length), the
// layout, the PCK chain up to the configured root (the chain's own root must
// be that root; CRLs if given), the QE report signature by the PCK key, the
// QE report's binding of the attestation key (SHA-256(key || auth data)),
// the quote signature by the attestation key, then the TCB rating when
// collateral is configured (tdx_collateral.h). The measurements are then the
// policy's business.
#pragma once

#include <array>
#include <cstdint>
#include <ctime>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bytes.h"

namespace cvfs::ratls {

// A v4 quote's signed part: the header and the TD report body.
inline constexpr size_t kTdxQuoteSignedSize = 632;

// What a TDX verifier trusts: the root of the PCK chain (the Intel SGX Root
// CA in production) and optional CRLs, each a whole file's bytes.
struct TdxTrust {
    std::string root_pem;
    // CRL files, DER (the form Intel publishes) or PEM, each a file's bytes.
    std::vector<std::string> crl_pems;
    // Optional collateral (tdx_collateral.h), each a file's text. Without
    // it the TCB status is "not evaluated".
    std::string tcb_info_json, qe_identity_json;
    std::string tcb_signing_pem;  // Intel's TCB signing certificate (chain)
    // The TCB statuses accepted, by Intel's names. Empty: the verifier
    // refuses none (but never "not supported"); the caller judges
    // TdxClaims::tcb_status itself.
    std::vector<std::string> accepted_tcb_status{"UpToDate"};
    // The time certificates, CRLs and collateral are checked at; unset: now.
    std::optional<std::time_t> verify_time;
};

struct TdxClaims {
    uint32_t quote_version = 4;
    uint32_t body_type = 2;  // 2: TDX 1.0 body, 3: TDX 1.5 body
    Bytes mr_seam, mr_signer_seam, seam_attributes;
    Bytes mr_td, mr_config_id, mr_owner, mr_owner_config;
    std::array<Bytes, 4> rtmr;
    Bytes td_attributes, xfam, tee_tcb_svn, report_data;
    Bytes tee_tcb_svn2, mr_servicetd;          // TDX 1.5 body only; else empty
    std::string tcb_status = "not evaluated";  // from the collateral, when given
};

// The length the quote at the start of `bytes` declares (header, body and
// signature data); throws EvidenceError(malformed) for an unknown version
// or when the lengths cannot be read. The buffer may be longer.
size_t tdx_quote_length(std::span<const uint8_t> bytes);

// Throws EvidenceError(malformed or refused) with the first problem found.
// Bytes after the declared length are ignored.
TdxClaims verify_tdx_quote(std::span<const uint8_t> quote, const TdxTrust& trust);

}  // namespace cvfs::ratls
