// TPM2 evidence for vTPM-based confidential VMs: a TPM2_Quote by an
// attestation key (AK) over a set of SHA-256 PCRs, whose qualifyingData is
// the connection key's binding (SHA-256 of the certificate's public key).
//
// Wire form, the content of the kTpmEvidenceOid extension:
//   "CVFSTPM1" then four fields, each a big-endian u32 length and bytes:
//   AK public (TPM2B_PUBLIC, marshalled), attest (the TPMS_ATTEST bytes the
//   TPM signed), signature (TPMT_SIGNATURE, marshalled), PCR values (the
//   32-byte digests of the quoted PCRs, in the quote's selection order).
//
// The AK is a primary key of the endorsement hierarchy made from a fixed
// template (restricted ECDSA P-256 signing key), so the same TPM always
// yields the same AK: a verifier pins it by `ak_id` (SHA-256 of the AK's DER
// SubjectPublicKeyInfo, in hex).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "bytes.h"

namespace cvfs::ratls {

struct TpmEvidence {
    Bytes ak_public;
    Bytes attest;
    Bytes signature;
    Bytes pcr_values;
};

Bytes encode_tpm_evidence(const TpmEvidence& evidence);
// Throws EvidenceError(malformed) on anything but the exact layout above.
TpmEvidence decode_tpm_evidence(std::span<const uint8_t> bytes);

// Asks the TPM behind `tcti` (a TCTI configuration string such as
// "device:/dev/tpmrm0" or "swtpm:host=127.0.0.1,port=2321") for a quote over
// the SHA-256 PCRs `pcrs`, bound to `binding`. Throws EvidenceError.
TpmEvidence make_tpm_evidence(const std::string& tcti, const std::vector<uint32_t>& pcrs,
                              const Sha256& binding);

// What verified TPM evidence says.
struct TpmClaims {
    std::string ak_id;                     // hex SHA-256 of the AK's SubjectPublicKeyInfo
    std::map<uint32_t, std::string> pcrs;  // SHA-256 PCR index -> hex value
};

// Checks the AK's attributes, the signature over the attest bytes, that the
// attest is a quote whose qualifyingData equals `binding`, and that the PCR
// values hash to the quoted digest. Throws EvidenceError(refused/malformed).
// Whether the AK and the PCR values are acceptable is the policy's question.
TpmClaims verify_tpm_evidence(const TpmEvidence& evidence, const Sha256& binding);

}  // namespace cvfs::ratls
