// Matching verified claims against a secret's release policy (see release_policy.h).
#include "release_policy.h"

#include <algorithm>

namespace cvfs::secretd {
namespace {

using ratls::Bytes;

// Empty when `value` is one of `allowed` (or nothing is required).
std::string mismatch(const char* field, const std::vector<Bytes>& allowed, const Bytes& value,
                     bool required) {
    if (allowed.empty())
        return required ? std::string("the policy lists no ") + field + " for TDX" : std::string();
    if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return {};
    return std::string(field) + " " + ratls::to_hex(value) + " is not allowed";
}

// Empty when the TCB was not rated or its status is one the policy accepts.
std::string tcb_refusal(const ReleasePolicy& policy, const ratls::TdxClaims& claims) {
    if (claims.tcb_status == "not evaluated") return {};
    const auto& accepted = policy.accept_tcb_status;
    if (std::find(accepted.begin(), accepted.end(), claims.tcb_status) != accepted.end()) return {};
    std::string list;
    for (const auto& s : accepted) list += (list.empty() ? "" : ", ") + s;
    return "TCB status " + claims.tcb_status + " is not accepted (accept_tcb_status: " + list + ")";
}

}  // namespace

std::string refusal(const ReleasePolicy& policy, const ratls::TdxClaims& claims) {
    if (auto why = mismatch("tdx_mrtd", policy.tdx_mrtd, claims.mr_td, true); !why.empty())
        return why;
    static const char* names[] = {"tdx_rtmr0", "tdx_rtmr1", "tdx_rtmr2", "tdx_rtmr3"};
    for (size_t i = 0; i < 4; ++i)
        if (auto why = mismatch(names[i], policy.tdx_rtmr[i], claims.rtmr[i], false); !why.empty())
            return why;
    if (policy.tdx_td_attributes.empty()) {
        if (claims.td_attributes[0] & 1) return "the TD is a debug TD (td_attributes bit 0)";
    } else if (auto why = mismatch("tdx_td_attributes", policy.tdx_td_attributes,
                                   claims.td_attributes, true);
               !why.empty()) {
        return why;
    }
    if (auto why = mismatch("tdx_xfam", policy.tdx_xfam, claims.xfam, false); !why.empty())
        return why;
    if (!policy.tdx_mr_servicetd.empty() && claims.mr_servicetd.empty())
        return "the policy names tdx_mr_servicetd, and this quote (v" +
               std::to_string(claims.quote_version) + ", no TDX 1.5 body) has none";
    if (auto why =
            mismatch("tdx_mr_servicetd", policy.tdx_mr_servicetd, claims.mr_servicetd, false);
        !why.empty())
        return why;
    return tcb_refusal(policy, claims);
}

std::string refusal(const ReleasePolicy& policy, const ratls::TpmClaims& claims) {
    if (policy.tpm_ak.empty()) return "the policy lists no tpm_ak for TPM evidence";
    if (std::find(policy.tpm_ak.begin(), policy.tpm_ak.end(), claims.ak_id) == policy.tpm_ak.end())
        return "attestation key " + claims.ak_id + " is not in tpm_ak";
    for (const auto& [pcr, value] : policy.tpm_pcrs) {
        auto found = claims.pcrs.find(pcr);
        if (found == claims.pcrs.end())
            return "PCR " + std::to_string(pcr) + " is not in the quote";
        if (found->second != value)
            return "PCR " + std::to_string(pcr) + " is " + found->second +
                   ", not the allowed value";
    }
    return {};
}

}  // namespace cvfs::secretd
