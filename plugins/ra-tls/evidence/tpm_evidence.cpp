// TPM2 evidence: the wire form and its verification (see tpm_evidence.h).
// Verification needs only the marshalling library and OpenSSL, no TPM.
#include "tpm_evidence.h"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>
#include <tss2/tss2_mu.h>

#include <cstring>
#include <memory>

#include "certificate.h"
#include "evidence_error.h"

namespace cvfs::ratls {
namespace {

constexpr char kMagic[8] = {'C', 'V', 'F', 'S', 'T', 'P', 'M', '1'};
constexpr size_t kMaxField = 4096;

void put_field(Bytes& out, const Bytes& field) {
    uint32_t n = static_cast<uint32_t>(field.size());
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(n >> shift));
    out.insert(out.end(), field.begin(), field.end());
}

Bytes take_field(std::span<const uint8_t>& in, const char* name) {
    if (in.size() < 4) malformed(std::string("TPM evidence ends before its ") + name);
    uint32_t n = uint32_t(in[0]) << 24 | uint32_t(in[1]) << 16 | uint32_t(in[2]) << 8 | in[3];
    in = in.subspan(4);
    if (n > kMaxField || n > in.size())
        malformed(std::string("TPM evidence: the ") + name + " field claims " + std::to_string(n) +
                  " bytes, " + std::to_string(in.size()) + " are left");
    Bytes field(in.begin(), in.begin() + n);
    in = in.subspan(n);
    return field;
}

struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// The AK's public key as an OpenSSL key (ECC P-256 only).
Pkey ak_key(const TPM2B_PUBLIC& ak) {
    const TPMT_PUBLIC& area = ak.publicArea;
    if (area.type != TPM2_ALG_ECC || area.parameters.eccDetail.curveID != TPM2_ECC_NIST_P256)
        refused("the TPM attestation key is not an ECC P-256 key");
    const TPMA_OBJECT needed = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT |
                               TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_SENSITIVEDATAORIGIN;
    if ((area.objectAttributes & needed) != needed)
        refused("the TPM attestation key is not a restricted, TPM-bound signing key");
    const auto& x = area.unique.ecc.x;
    const auto& y = area.unique.ecc.y;
    if (x.size != 32 || y.size != 32) refused("the TPM attestation key's point is not 32+32 bytes");
    uint8_t xy[64];
    std::memcpy(xy, x.buffer, 32);
    std::memcpy(xy + 32, y.buffer, 32);
    Pkey key = p256_public_key(xy);
    if (!key) refused("the TPM attestation key is not a valid P-256 point");
    return key;
}

// ECDSA (r, s) as DER, for EVP_DigestVerify.
Bytes ecdsa_der(const TPMS_SIGNATURE_ECC& sig) {
    ECDSA_SIG* s = ECDSA_SIG_new();
    BIGNUM* r = BN_bin2bn(sig.signatureR.buffer, sig.signatureR.size, nullptr);
    BIGNUM* ss = BN_bin2bn(sig.signatureS.buffer, sig.signatureS.size, nullptr);
    if (!s || !r || !ss || !ECDSA_SIG_set0(s, r, ss)) {
        BN_free(r);
        BN_free(ss);
        ECDSA_SIG_free(s);
        refused("the TPM quote signature cannot be decoded");
    }
    unsigned char* der = nullptr;
    int n = i2d_ECDSA_SIG(s, &der);
    ECDSA_SIG_free(s);
    if (n <= 0) refused("the TPM quote signature cannot be encoded");
    Bytes out(der, der + n);
    OPENSSL_free(der);
    return out;
}

void verify_signature(EVP_PKEY* key, const Bytes& message, const TPMT_SIGNATURE& sig) {
    if (sig.sigAlg != TPM2_ALG_ECDSA || sig.signature.ecdsa.hash != TPM2_ALG_SHA256)
        refused("the TPM quote is not signed with ECDSA-SHA256");
    Bytes der = ecdsa_der(sig.signature.ecdsa);
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
        EVP_DigestVerify(ctx.get(), der.data(), der.size(), message.data(), message.size()) != 1)
        refused("the TPM quote signature does not verify with the attestation key");
}

template <class T>
T unmarshal(const Bytes& bytes, TSS2_RC (*fn)(const uint8_t*, size_t, size_t*, T*),
            const char* what) {
    T value{};
    size_t offset = 0;
    if (fn(bytes.data(), bytes.size(), &offset, &value) != TSS2_RC_SUCCESS ||
        offset != bytes.size())
        malformed(std::string("TPM evidence: the ") + what + " does not parse");
    return value;
}

// The SHA-256 PCR indexes of a selection, in the TPM's order.
std::vector<uint32_t> selected_pcrs(const TPML_PCR_SELECTION& selection) {
    std::vector<uint32_t> pcrs;
    for (uint32_t i = 0; i < selection.count; ++i) {
        const TPMS_PCR_SELECTION& bank = selection.pcrSelections[i];
        if (bank.hash != TPM2_ALG_SHA256)
            refused("the TPM quote covers a PCR bank other than SHA-256");
        for (uint32_t byte = 0; byte < bank.sizeofSelect && byte < sizeof bank.pcrSelect; ++byte)
            for (uint32_t bit = 0; bit < 8; ++bit)
                if (bank.pcrSelect[byte] & (1u << bit)) pcrs.push_back(byte * 8 + bit);
    }
    return pcrs;
}

}  // namespace

Bytes encode_tpm_evidence(const TpmEvidence& evidence) {
    Bytes out(kMagic, kMagic + sizeof kMagic);
    put_field(out, evidence.ak_public);
    put_field(out, evidence.attest);
    put_field(out, evidence.signature);
    put_field(out, evidence.pcr_values);
    return out;
}

TpmEvidence decode_tpm_evidence(std::span<const uint8_t> bytes) {
    if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
        malformed("TPM evidence does not start with CVFSTPM1");
    bytes = bytes.subspan(sizeof kMagic);
    TpmEvidence evidence;
    evidence.ak_public = take_field(bytes, "AK public");
    evidence.attest = take_field(bytes, "attest");
    evidence.signature = take_field(bytes, "signature");
    evidence.pcr_values = take_field(bytes, "PCR values");
    if (!bytes.empty())
        malformed("TPM evidence has " + std::to_string(bytes.size()) + " trailing bytes");
    return evidence;
}

TpmClaims verify_tpm_evidence(const TpmEvidence& evidence, const Sha256& binding) {
    auto ak =
        unmarshal<TPM2B_PUBLIC>(evidence.ak_public, Tss2_MU_TPM2B_PUBLIC_Unmarshal, "AK public");
    auto sig = unmarshal<TPMT_SIGNATURE>(evidence.signature, Tss2_MU_TPMT_SIGNATURE_Unmarshal,
                                         "signature");
    auto attest = unmarshal<TPMS_ATTEST>(evidence.attest, Tss2_MU_TPMS_ATTEST_Unmarshal, "attest");
    Pkey key = ak_key(ak);
    verify_signature(key.get(), evidence.attest, sig);
    if (attest.magic != TPM2_GENERATED_VALUE || attest.type != TPM2_ST_ATTEST_QUOTE)
        refused("the signed TPM structure is not a quote");
    if (attest.extraData.size != binding.size() ||
        std::memcmp(attest.extraData.buffer, binding.data(), binding.size()) != 0)
        refused("the TPM quote is not bound to the key of this TLS connection");
    std::vector<uint32_t> pcrs = selected_pcrs(attest.attested.quote.pcrSelect);
    if (evidence.pcr_values.size() != pcrs.size() * 32)
        malformed("TPM evidence carries " + std::to_string(evidence.pcr_values.size()) +
                  " bytes of PCR values for " + std::to_string(pcrs.size()) + " quoted PCRs");
    Sha256 digest{};
    SHA256(evidence.pcr_values.data(), evidence.pcr_values.size(), digest.data());
    const TPM2B_DIGEST& quoted = attest.attested.quote.pcrDigest;
    if (quoted.size != digest.size() ||
        std::memcmp(quoted.buffer, digest.data(), digest.size()) != 0)
        refused("the PCR values sent do not match the quoted PCR digest");
    TpmClaims claims;
    claims.ak_id = to_hex(spki_sha256(key.get()));
    for (size_t i = 0; i < pcrs.size(); ++i)
        claims.pcrs[pcrs[i]] = to_hex(std::span(evidence.pcr_values).subspan(i * 32, 32));
    return claims;
}

}  // namespace cvfs::ratls
