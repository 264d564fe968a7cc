// Sealing a secret to the TPM under a PCR (and optional PIN) policy, and
// unsealing it again.
//
// The secret becomes the data of a keyedHash object created under the
// owner hierarchy's storage key (the TCG standard ECC P-256 SRK template,
// made anew from the same seed each time unless a persistent handle is
// configured). The object has no userWithAuth: only a policy session that
// passed TPM2_PolicyPCR over the chosen PCRs (and TPM2_PolicyAuthValue with
// the PIN) can unseal it. Both the creation and the unseal use sessions
// salted with the storage key, so the secret never crosses the bus in clear.
//
// Unsealing first compares the PCRs now with the values recorded at seal
// time, so a refusal can name the PCRs that changed.
#pragma once

#include <tss2/tss2_esys.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tpm_context.h"
#include "tpm_settings.h"

namespace cvfs_tpm {

// What is kept in the volume's token about one sealed secret. Public data only.
struct SealedBlob {
    PcrSelection pcrs;
    std::vector<std::vector<uint8_t>> pcr_values;  // one per index of pcrs, at seal time
    bool pin = false;
    uint32_t primary_handle = 0;                   // 0: transient standard SRK
    std::vector<uint8_t> policy;                   // the object's authPolicy
    std::vector<uint8_t> public_area;              // marshalled TPM2B_PUBLIC
    std::vector<uint8_t> private_area;             // marshalled TPM2B_PRIVATE

    // A policy session needs TPM2_PolicyAuthValue: with a PIN, and as the
    // policy's only term when no PCR is bound.
    bool auth_value() const { return pin || pcrs.indexes.empty(); }
};

// The current values of the selected PCRs, in index order.
std::vector<std::vector<uint8_t>> read_pcrs(TpmContext& tpm, const PcrSelection& pcrs);

// Seals `secret` (at most 128 bytes). `pin_auth` is the PIN's auth value, or
// null for none. Throws cvfs::sdk::Error.
SealedBlob seal(TpmContext& tpm, const PcrSelection& pcrs, const TPM2B_AUTH* pin_auth,
                uint32_t primary_handle, std::span<const uint8_t> secret);

// Unseals into `out` and returns the length. Throws cvfs::sdk::Error whose
// message says why: PCRs that differ from seal time (each named), a wrong
// PIN, dictionary-attack lockout, a blob that does not load.
size_t unseal(TpmContext& tpm, const SealedBlob& blob, const TPM2B_AUTH* pin_auth, uint8_t* out,
              size_t capacity);

std::string to_hex(std::span<const uint8_t> bytes);

}  // namespace cvfs_tpm
