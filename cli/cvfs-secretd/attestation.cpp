// Evidence verification and the policy decision (see attestation.h).
#include "attestation.h"

#include <algorithm>
#include <cstring>

#include "certificate.h"
#include "evidence_error.h"

namespace cvfs::secretd {
namespace {

using namespace ratls;

Verdict refuse(Verdict v, grpc::StatusCode code, const std::string& reason) {
    v.allowed = false;
    v.code = code;
    v.reason = reason;
    return v;
}

std::string tdx_measurements(const TdxClaims& c) {
    std::string m = "mrtd=" + to_hex(c.mr_td);
    for (size_t i = 0; i < 4; ++i) m += " rtmr" + std::to_string(i) + "=" + to_hex(c.rtmr[i]);
    m += " td_attributes=" + to_hex(c.td_attributes) + " xfam=" + to_hex(c.xfam);
    if (!c.mr_servicetd.empty()) m += " mr_servicetd=" + to_hex(c.mr_servicetd);
    return m + " quote=v" + std::to_string(c.quote_version) + " tcb=\"" + c.tcb_status + "\"";
}

std::string tpm_measurements(const TpmClaims& c) {
    std::string m = "ak=" + c.ak_id;
    for (const auto& [pcr, value] : c.pcrs) m += " pcr" + std::to_string(pcr) + "=" + value;
    return m;
}

// The quote in the Intel extension: the quote alone, or the quote followed by
// the key hash (cczoo's layout), which must then be this key's hash. Other
// bytes after the quote (the zeros of a quote buffer) are ignored, as Intel's
// verifier does; a shorter extension than the quote declares is refused.
std::span<const uint8_t> tdx_quote_of(const Bytes& ext, const Sha256& binding) {
    size_t length = tdx_quote_length(ext);
    auto after = std::span(ext).subspan(length);
    bool zeros = std::all_of(after.begin(), after.end(), [](uint8_t b) { return b == 0; });
    if (after.size() == binding.size() && !zeros &&
        !std::equal(binding.begin(), binding.end(), after.begin()))
        refused("the key hash after the quote is not the hash of this TLS key");
    return std::span(ext).first(length);
}

// Fills `v` from TDX evidence; returns the claims.
TdxClaims verify_tdx(const Bytes& ext, const Sha256& binding, const DaemonConfig& config,
                     Verdict& v) {
    v.evidence = "tdx";
    auto quote = tdx_quote_of(ext, binding);
    if (config.tdx.root_pem.empty())
        refused("TDX evidence is not accepted: no [tdx] root_ca is configured");
    TdxClaims claims = verify_tdx_quote(quote, config.tdx);
    v.measurements = tdx_measurements(claims);
    bool bound = std::equal(binding.begin(), binding.end(), claims.report_data.begin()) &&
                 std::all_of(claims.report_data.begin() + 32, claims.report_data.end(),
                             [](uint8_t b) { return b == 0; });
    if (!bound)
        refused(
            "the quote's report_data does not bind this TLS key (expected SHA-256 of the key, then "
            "zeros)");
    return claims;
}

}  // namespace

Verdict decide(const std::string& peer_pem, const std::string& secret_id, bool has_secret,
               const DaemonConfig& config) {
    Verdict v;
    if (peer_pem.empty())
        return refuse(v, grpc::StatusCode::UNAUTHENTICATED, "no client certificate");
    auto policy = config.policies.find(secret_id);
    try {
        PeerCertificate peer = read_peer_certificate(peer_pem);
        std::string why;
        if (peer.tpm_ext) {
            v.evidence = "tpm";
            TpmClaims claims =
                verify_tpm_evidence(decode_tpm_evidence(*peer.tpm_ext), peer.key_binding);
            v.measurements = tpm_measurements(claims);
            if (policy != config.policies.end()) why = refusal(policy->second, claims);
        } else if (peer.intel_ext) {
            TdxClaims claims = verify_tdx(*peer.intel_ext, peer.key_binding, config, v);
            if (policy != config.policies.end()) why = refusal(policy->second, claims);
        } else {
            return refuse(v, grpc::StatusCode::UNAUTHENTICATED,
                          "the client certificate carries no evidence");
        }
        if (!has_secret) return refuse(v, grpc::StatusCode::NOT_FOUND, "no secret with this id");
        if (policy == config.policies.end())
            return refuse(v, grpc::StatusCode::PERMISSION_DENIED,
                          "no release policy for this secret id");
        if (!why.empty()) return refuse(v, grpc::StatusCode::PERMISSION_DENIED, "policy: " + why);
    } catch (const EvidenceError& e) {
        return refuse(v, grpc::StatusCode::PERMISSION_DENIED, std::string("evidence: ") + e.what());
    }
    v.allowed = true;
    v.code = grpc::StatusCode::OK;
    return v;
}

}  // namespace cvfs::secretd
