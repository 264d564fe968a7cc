// TpmContext and TSS return codes (see tpm_context.h).
#include "tpm_context.h"

#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include <algorithm>

#include "cvfs/plugin.hpp"

namespace cvfs_tpm {

uint32_t tpm_response_code(TSS2_RC rc) {
    const TSS2_RC layer = rc & TSS2_RC_LAYER_MASK;
    if (layer != TSS2_TPM_RC_LAYER && layer != TSS2_RESMGR_TPM_RC_LAYER) return 0;
    const uint32_t code = rc & 0xFFFF;
    if (code & TPM2_RC_FMT1) return TPM2_RC_FMT1 | (code & 0x3F);
    return code;
}

std::string describe(const std::string& what, TSS2_RC rc) {
    return what + ": " + Tss2_RC_Decode(rc);
}

TpmContext::TpmContext(const std::string& tcti) : tcti_(tcti) {
    TSS2_RC rc = Tss2_TctiLdr_Initialize(tcti.c_str(), &tcti_context_);
    if (rc != TSS2_RC_SUCCESS)
        throw cvfs::sdk::Error(CVFS_E_UNAVAILABLE,
                               "no TPM answers at '" + tcti + "' (" + Tss2_RC_Decode(rc) +
                                   "); check that the TPM is there (ls /dev/tpmrm0) or fix 'tcti'");
    rc = Esys_Initialize(&esys_, tcti_context_, nullptr);
    if (rc != TSS2_RC_SUCCESS) {
        Tss2_TctiLdr_Finalize(&tcti_context_);
        throw cvfs::sdk::Error(CVFS_E_UNAVAILABLE, describe("cannot talk to the TPM at '" + tcti + "'", rc));
    }
}

TpmContext::~TpmContext() {
    for (auto it = transient_.rbegin(); it != transient_.rend(); ++it) Esys_FlushContext(esys_, *it);
    Esys_Finalize(&esys_);
    Tss2_TctiLdr_Finalize(&tcti_context_);
}

void TpmContext::forget(ESYS_TR handle) {
    transient_.erase(std::remove(transient_.begin(), transient_.end(), handle), transient_.end());
}

}  // namespace cvfs_tpm
