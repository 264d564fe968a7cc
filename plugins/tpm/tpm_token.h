// The TPM provider's values in the volume's cvfs LUKS2 token: the sealed
// object's public and private parts, the PCR selection with the values at
// seal time, the policy digest, whether a PIN is needed and which storage
// key was the parent. All public data; hex for binary.
//
//   tpm.format      "1"
//   tpm.pcrs        "sha256:0,7"
//   tpm.pcr_values  "<hex>,<hex>"  one per PCR, in the order of tpm.pcrs
//   tpm.pin         "true" | "false"
//   tpm.primary     "srk-ecc-p256" (made anew each time) | "0x81000001"
//   tpm.policy      "<hex>"
//   tpm.public      "<hex>"  marshalled TPM2B_PUBLIC
//   tpm.private     "<hex>"  marshalled TPM2B_PRIVATE
#pragma once

#include "cvfs/plugin.hpp"
#include "tpm_sealing.h"

namespace cvfs_tpm {

void store_blob(const cvfs::sdk::Call& call, const SealedBlob& blob);

// Throws Error(CVFS_E_NOT_FOUND) when the token has no sealed key and
// Error(CVFS_E_INVALID_ARGUMENT) naming the damaged value.
SealedBlob load_blob(const cvfs::sdk::Call& call);

}  // namespace cvfs_tpm
