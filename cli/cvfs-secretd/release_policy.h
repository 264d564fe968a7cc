// Which attested machines may receive a secret. One policy per app id, in the
// [policy."<app id>"] tables of cvfs-secretd's configuration; a secret
// without a policy is never released.
//
// TDX: MRTD must be one of `tdx_mrtd`; each RTMR, TD attributes and XFAM list
// that is given must contain the quote's value (48/8-byte hex). Without
// `tdx_td_attributes` a debug TD (attribute bit 0) is refused.
// `tdx_mr_servicetd` (TDX 1.5, quote v5 body type 3) must contain the
// quote's MR_SERVICETD; a quote without one is then refused. When collateral
// rated the TCB, its status (Intel's name) must be in `accept_tcb_status`
// (default: that of [tdx], else UpToDate); Intel's "not supported" is
// refused by the verifier already.
// TPM: the attestation key must be one of `tpm_ak` (hex SHA-256 of the AK's
// SubjectPublicKeyInfo, as the audit log prints it) and every PCR named in
// [policy."<app id>".tpm_pcrs] must hold the given SHA-256 value.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bytes.h"
#include "tdx_quote.h"
#include "tpm_evidence.h"

namespace cvfs::secretd {

struct ReleasePolicy {
    std::vector<ratls::Bytes> tdx_mrtd;
    std::array<std::vector<ratls::Bytes>, 4> tdx_rtmr;
    std::vector<ratls::Bytes> tdx_td_attributes;
    std::vector<ratls::Bytes> tdx_xfam;
    std::vector<ratls::Bytes> tdx_mr_servicetd;
    std::vector<std::string> accept_tcb_status{"UpToDate"};
    std::vector<std::string> tpm_ak;           // lower-case hex
    std::map<uint32_t, std::string> tpm_pcrs;  // index -> lower-case hex
};

// Empty when allowed, else why not (names the field, never a secret).
std::string refusal(const ReleasePolicy& policy, const ratls::TdxClaims& claims);
std::string refusal(const ReleasePolicy& policy, const ratls::TpmClaims& claims);

}  // namespace cvfs::secretd
