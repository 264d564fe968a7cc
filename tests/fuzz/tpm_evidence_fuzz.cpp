// Fuzzes cvfs' TPM2 evidence (the content of the RA-TLS TPM extension):
// the "CVFSTPM1" framing, then the TPM2B_PUBLIC, TPMS_ATTEST and
// TPMT_SIGNATURE unmarshalling and the quote checks of the verifier
// cvfs-secretd runs. Input: the extension's bytes. The binding is fixed; a
// seed's own binding is the SHA-256 the seed generator used.
#include <cstdint>
#include <span>

#include "evidence_error.h"
#include "tpm_evidence.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    cvfs::ratls::Sha256 binding{};
    try {
        cvfs::ratls::TpmEvidence evidence = cvfs::ratls::decode_tpm_evidence({data, size});
        (void)cvfs::ratls::encode_tpm_evidence(evidence);
        (void)cvfs::ratls::verify_tpm_evidence(evidence, binding);
    } catch (const cvfs::ratls::EvidenceError&) {
    }
    return 0;
}
