// One connection to a TPM through tpm2-tss: the TCTI chosen by the loader
// (Tss2_TctiLdr) and an ESAPI context on it, with the handles made during a
// call flushed when the connection closes. Also turns TSS return codes into
// what a person can act on.
#pragma once

#include <tss2/tss2_esys.h>

#include <string>
#include <vector>

namespace cvfs_tpm {

// The TPM's own response code without the layer, handle, session and
// parameter numbers (TPM2_RC_AUTH_FAIL, TPM2_RC_LOCKOUT, ...), or 0 when `rc`
// comes from the software stack rather than the TPM.
uint32_t tpm_response_code(TSS2_RC rc);

// "<what>: <decoded rc>" for messages.
std::string describe(const std::string& what, TSS2_RC rc);

class TpmContext {
public:
    // Connects through `tcti` (e.g. "device:/dev/tpmrm0"). Throws
    // cvfs::sdk::Error(CVFS_E_UNAVAILABLE) saying no TPM answered there.
    explicit TpmContext(const std::string& tcti);
    ~TpmContext();
    TpmContext(const TpmContext&) = delete;
    TpmContext& operator=(const TpmContext&) = delete;

    ESYS_CONTEXT* esys() const { return esys_; }
    const std::string& tcti() const { return tcti_; }

    // Flushes `handle` (a transient object or session) when the context
    // closes, unless it was flushed before (forget()).
    void flush_later(ESYS_TR handle) { transient_.push_back(handle); }
    void forget(ESYS_TR handle);

private:
    std::string tcti_;
    TSS2_TCTI_CONTEXT* tcti_context_ = nullptr;
    ESYS_CONTEXT* esys_ = nullptr;
    std::vector<ESYS_TR> transient_;
};

}  // namespace cvfs_tpm
