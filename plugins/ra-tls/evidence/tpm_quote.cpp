// Producing TPM2 evidence through ESAPI (see tpm_evidence.h): make the AK
// from its fixed template, read the PCRs, quote them with the binding as
// qualifyingData, and flush the AK again.
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include <cstring>

#include "evidence_error.h"
#include "tpm_evidence.h"

namespace cvfs::ratls {
namespace {

[[noreturn]] void tpm_failed(const char* what, TSS2_RC rc) {
    throw EvidenceError(EvidenceFailure::unavailable,
                        std::string("TPM: ") + what + " failed: " + Tss2_RC_Decode(rc));
}

// A TCTI and an ESAPI context on it, finalised in reverse order.
class TpmSession {
public:
    explicit TpmSession(const std::string& tcti) {
        TSS2_RC rc = Tss2_TctiLdr_Initialize(tcti.c_str(), &tcti_);
        if (rc != TSS2_RC_SUCCESS)
            throw EvidenceError(EvidenceFailure::unavailable,
                                "TPM: cannot open TCTI '" + tcti + "': " + Tss2_RC_Decode(rc));
        rc = Esys_Initialize(&esys_, tcti_, nullptr);
        if (rc != TSS2_RC_SUCCESS) {
            Tss2_TctiLdr_Finalize(&tcti_);
            tpm_failed("Esys_Initialize", rc);
        }
    }
    TpmSession(const TpmSession&) = delete;
    TpmSession& operator=(const TpmSession&) = delete;
    ~TpmSession() {
        if (ak_ != ESYS_TR_NONE) Esys_FlushContext(esys_, ak_);
        Esys_Finalize(&esys_);
        Tss2_TctiLdr_Finalize(&tcti_);
    }
    ESYS_CONTEXT* esys() const { return esys_; }
    ESYS_TR ak_ = ESYS_TR_NONE;

private:
    TSS2_TCTI_CONTEXT* tcti_ = nullptr;
    ESYS_CONTEXT* esys_ = nullptr;
};

TPM2B_PUBLIC ak_template() {
    TPM2B_PUBLIC pub{};
    TPMT_PUBLIC& area = pub.publicArea;
    area.type = TPM2_ALG_ECC;
    area.nameAlg = TPM2_ALG_SHA256;
    area.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                            TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                            TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
    area.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
    area.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
    area.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    area.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    area.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
    return pub;
}

TPML_PCR_SELECTION selection_of(const std::vector<uint32_t>& pcrs) {
    TPML_PCR_SELECTION sel{};
    sel.count = 1;
    sel.pcrSelections[0].hash = TPM2_ALG_SHA256;
    sel.pcrSelections[0].sizeofSelect = 3;
    for (uint32_t pcr : pcrs) {
        if (pcr > 23)
            throw EvidenceError(EvidenceFailure::malformed,
                                "PCR index above 23: " + std::to_string(pcr));
        sel.pcrSelections[0].pcrSelect[pcr / 8] |= static_cast<uint8_t>(1u << (pcr % 8));
    }
    return sel;
}

template <class T>
Bytes marshal(const T& value, TSS2_RC (*fn)(const T*, uint8_t*, size_t, size_t*)) {
    Bytes out(sizeof(T) + 16);
    size_t offset = 0;
    TSS2_RC rc = fn(&value, out.data(), out.size(), &offset);
    if (rc != TSS2_RC_SUCCESS) tpm_failed("marshalling", rc);
    out.resize(offset);
    return out;
}

void create_ak(TpmSession& tpm, Bytes& ak_public) {
    TPM2B_SENSITIVE_CREATE sensitive{};
    TPM2B_PUBLIC in_public = ak_template();
    TPM2B_DATA outside{};
    TPML_PCR_SELECTION creation_pcrs{};
    TPM2B_PUBLIC* out_public = nullptr;
    TPM2B_CREATION_DATA* creation_data = nullptr;
    TPM2B_DIGEST* creation_hash = nullptr;
    TPMT_TK_CREATION* ticket = nullptr;
    TSS2_RC rc =
        Esys_CreatePrimary(tpm.esys(), ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                           ESYS_TR_NONE, &sensitive, &in_public, &outside, &creation_pcrs, &tpm.ak_,
                           &out_public, &creation_data, &creation_hash, &ticket);
    if (rc != TSS2_RC_SUCCESS) tpm_failed("creating the attestation key", rc);
    ak_public = marshal(*out_public, Tss2_MU_TPM2B_PUBLIC_Marshal);
    Esys_Free(out_public);
    Esys_Free(creation_data);
    Esys_Free(creation_hash);
    Esys_Free(ticket);
}

// The values of the selected PCRs, in selection order (8 per TPM2_PCR_Read).
Bytes read_pcrs(TpmSession& tpm, const std::vector<uint32_t>& pcrs) {
    Bytes values;
    TPML_PCR_SELECTION rest = selection_of(pcrs);
    while (rest.pcrSelections[0].pcrSelect[0] | rest.pcrSelections[0].pcrSelect[1] |
           rest.pcrSelections[0].pcrSelect[2]) {
        UINT32 counter = 0;
        TPML_PCR_SELECTION* out_sel = nullptr;
        TPML_DIGEST* digests = nullptr;
        TSS2_RC rc = Esys_PCR_Read(tpm.esys(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &rest,
                                   &counter, &out_sel, &digests);
        if (rc != TSS2_RC_SUCCESS) tpm_failed("reading PCRs", rc);
        bool progress = digests->count > 0;
        for (uint32_t i = 0; i < digests->count; ++i)
            values.insert(values.end(), digests->digests[i].buffer,
                          digests->digests[i].buffer + digests->digests[i].size);
        for (int b = 0; b < 3; ++b)
            rest.pcrSelections[0].pcrSelect[b] &= ~out_sel->pcrSelections[0].pcrSelect[b];
        Esys_Free(out_sel);
        Esys_Free(digests);
        if (!progress)
            throw EvidenceError(EvidenceFailure::unavailable,
                                "TPM: the SHA-256 PCR bank is not allocated");
    }
    return values;
}

}  // namespace

TpmEvidence make_tpm_evidence(const std::string& tcti, const std::vector<uint32_t>& pcrs,
                              const Sha256& binding) {
    TpmSession tpm(tcti);
    TpmEvidence evidence;
    create_ak(tpm, evidence.ak_public);
    TPML_PCR_SELECTION selection = selection_of(pcrs);
    TPM2B_DATA qualifying{};
    qualifying.size = static_cast<UINT16>(binding.size());
    std::memcpy(qualifying.buffer, binding.data(), binding.size());
    TPMT_SIG_SCHEME scheme{};
    scheme.scheme = TPM2_ALG_NULL;  // the AK's own: ECDSA-SHA256
    TPM2B_ATTEST* quoted = nullptr;
    TPMT_SIGNATURE* signature = nullptr;
    TSS2_RC rc = Esys_Quote(tpm.esys(), tpm.ak_, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                            &qualifying, &scheme, &selection, &quoted, &signature);
    if (rc != TSS2_RC_SUCCESS) tpm_failed("quoting the PCRs", rc);
    evidence.attest.assign(quoted->attestationData, quoted->attestationData + quoted->size);
    evidence.signature = marshal(*signature, Tss2_MU_TPMT_SIGNATURE_Marshal);
    Esys_Free(quoted);
    Esys_Free(signature);
    evidence.pcr_values = read_pcrs(tpm, pcrs);
    return evidence;
}

}  // namespace cvfs::ratls
