// NV counter indexes through ESAPI (see tpm_nv_counter.h).
#include "tpm_nv_counter.h"

#include <tss2/tss2_rc.h>

#include <cstdio>
#include <set>

#include "cvfs/plugin.hpp"

namespace cvfs_tpm {

namespace {

using cvfs::sdk::Error;

// An ESYS_TR for an NV index that exists, closed (not undefined) on destruction.
class NvHandle {
public:
    NvHandle(TpmContext& tpm, uint32_t index) : tpm_(tpm) {
        TSS2_RC rc = Esys_TR_FromTPMPublic(tpm.esys(), index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &handle_);
        if (rc == TSS2_RC_SUCCESS) return;
        handle_ = ESYS_TR_NONE;
        const uint32_t code = tpm_response_code(rc);
        if (code == TPM2_RC_HANDLE)
            throw Error(CVFS_E_NOT_FOUND, "NV index " + index_text(index) + " is not defined in the TPM at " +
                                              tpm.tcti());
        throw Error(CVFS_E_UNAVAILABLE, describe("cannot look up NV index " + index_text(index), rc));
    }
    ~NvHandle() {
        if (handle_ != ESYS_TR_NONE) Esys_TR_Close(tpm_.esys(), &handle_);
    }
    NvHandle(const NvHandle&) = delete;
    NvHandle& operator=(const NvHandle&) = delete;
    ESYS_TR get() const { return handle_; }

private:
    TpmContext& tpm_;
    ESYS_TR handle_ = ESYS_TR_NONE;
};

// The NV indexes the TPM has defined, from `first` on.
std::set<uint32_t> defined_indexes(TpmContext& tpm, uint32_t first) {
    std::set<uint32_t> found;
    uint32_t from = first;
    for (;;) {
        TPMI_YES_NO more = TPM2_NO;
        TPMS_CAPABILITY_DATA* data = nullptr;
        TSS2_RC rc = Esys_GetCapability(tpm.esys(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_HANDLES, from,
                                        TPM2_MAX_CAP_HANDLES, &more, &data);
        if (rc != TSS2_RC_SUCCESS)
            throw Error(CVFS_E_UNAVAILABLE, describe("cannot list the TPM's NV indexes", rc));
        uint32_t last = from;
        for (uint32_t i = 0; i < data->data.handles.count; ++i) {
            const uint32_t handle = data->data.handles.handle[i];
            if ((handle >> 24) != TPM2_HT_NV_INDEX) continue;
            found.insert(handle);
            last = handle;
        }
        const bool again = more == TPM2_YES && data->data.handles.count > 0 && last >= from;
        Esys_Free(data);
        if (!again) return found;
        from = last + 1;
    }
}

uint64_t decode_value(const TPM2B_MAX_NV_BUFFER& data, uint32_t index) {
    if (data.size != 8)
        throw Error(CVFS_E_INTERNAL, "NV index " + index_text(index) + " holds " + std::to_string(data.size) +
                                         " bytes, not a counter's 8");
    uint64_t value = 0;
    for (int i = 0; i < 8; ++i) value = (value << 8) | data.buffer[i];
    return value;
}

// An index that exists but is no counter (another tool's) is not ours to use.
void require_counter(TpmContext& tpm, const NvHandle& nv, uint32_t index) {
    TPM2B_NV_PUBLIC* pub = nullptr;
    TPM2B_NAME* name = nullptr;
    TSS2_RC rc = Esys_NV_ReadPublic(tpm.esys(), nv.get(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, &name);
    if (rc != TSS2_RC_SUCCESS)
        throw Error(CVFS_E_UNAVAILABLE, describe("cannot read the public area of NV index " + index_text(index), rc));
    const TPMA_NV attributes = pub->nvPublic.attributes;
    Esys_Free(pub);
    Esys_Free(name);
    if (((attributes & TPMA_NV_TPM2_NT_MASK) >> TPMA_NV_TPM2_NT_SHIFT) != TPM2_NT_COUNTER)
        throw Error(CVFS_E_PERMISSION_DENIED, "NV index " + index_text(index) + " is not a counter index");
}

}  // namespace

std::string index_text(uint32_t index) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%08x", index);
    return text;
}

uint32_t parse_index(const std::string& id) {
    const bool shaped = id.size() == 10 && id.starts_with("0x") &&
                        id.find_first_not_of("0123456789abcdef", 2) == std::string::npos;
    const uint32_t index = shaped ? static_cast<uint32_t>(std::stoul(id.substr(2), nullptr, 16)) : 0;
    if (!shaped || index < 0x01000000 || index > kLastOwnerIndex)
        throw Error(CVFS_E_INVALID_ARGUMENT, "'" + id + "' is not an NV index of the owner range (0x01000000 to " +
                                                 index_text(kLastOwnerIndex) + ")");
    return index;
}

DefinedCounter define_counter(TpmContext& tpm, uint32_t first) {
    const std::set<uint32_t> taken = defined_indexes(tpm, first);
    uint32_t index = first;
    while (taken.count(index) && index < kLastOwnerIndex) ++index;
    if (taken.count(index))
        throw Error(CVFS_E_UNAVAILABLE, "no free NV index from " + index_text(first) + " to " +
                                            index_text(kLastOwnerIndex));
    TPM2B_AUTH no_auth{};
    TPM2B_NV_PUBLIC pub{};
    pub.nvPublic.nvIndex = index;
    pub.nvPublic.nameAlg = TPM2_ALG_SHA256;
    pub.nvPublic.attributes = (TPM2_NT_COUNTER << TPMA_NV_TPM2_NT_SHIFT) | TPMA_NV_OWNERWRITE | TPMA_NV_AUTHREAD |
                              TPMA_NV_OWNERREAD | TPMA_NV_NO_DA;
    pub.nvPublic.dataSize = 8;
    ESYS_TR nv = ESYS_TR_NONE;
    TSS2_RC rc = Esys_NV_DefineSpace(tpm.esys(), ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                                     &no_auth, &pub, &nv);
    if (rc != TSS2_RC_SUCCESS) {
        const bool refused = tpm_response_code(rc) == TPM2_RC_BAD_AUTH || tpm_response_code(rc) == TPM2_RC_AUTH_FAIL;
        throw Error(refused ? CVFS_E_PERMISSION_DENIED : CVFS_E_UNAVAILABLE,
                    describe("cannot define the NV counter index " + index_text(index) +
                                 (refused ? " (the owner hierarchy has an authorisation value; cvfs needs it empty)" : ""),
                             rc));
    }
    rc = Esys_NV_Increment(tpm.esys(), ESYS_TR_RH_OWNER, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE);
    Esys_TR_Close(tpm.esys(), &nv);
    if (rc != TSS2_RC_SUCCESS)
        throw Error(CVFS_E_UNAVAILABLE, describe("cannot increment the new NV counter " + index_text(index), rc));
    return {index, read_counter(tpm, index)};
}

namespace {

uint64_t read_open(TpmContext& tpm, const NvHandle& nv, uint32_t index) {
    TPM2B_MAX_NV_BUFFER* data = nullptr;
    TSS2_RC rc = Esys_NV_Read(tpm.esys(), nv.get(), nv.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, 8, 0, &data);
    if (rc != TSS2_RC_SUCCESS)
        throw Error(tpm_response_code(rc) == TPM2_RC_NV_UNINITIALIZED ? CVFS_E_NOT_FOUND : CVFS_E_UNAVAILABLE,
                    describe("cannot read the NV counter " + index_text(index), rc));
    uint64_t value = 0;
    try {
        value = decode_value(*data, index);
    } catch (...) {
        Esys_Free(data);
        throw;
    }
    Esys_Free(data);
    return value;
}

}  // namespace

uint64_t read_counter(TpmContext& tpm, uint32_t index) {
    NvHandle nv(tpm, index);
    require_counter(tpm, nv, index);
    return read_open(tpm, nv, index);
}

uint64_t increment_counter(TpmContext& tpm, uint32_t index) {
    NvHandle nv(tpm, index);
    require_counter(tpm, nv, index);
    TSS2_RC rc = Esys_NV_Increment(tpm.esys(), ESYS_TR_RH_OWNER, nv.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                   ESYS_TR_NONE);
    if (rc != TSS2_RC_SUCCESS)
        throw Error(CVFS_E_UNAVAILABLE, describe("cannot increment the NV counter " + index_text(index), rc));
    return read_open(tpm, nv, index);  // the same handle: its name changed with the write, ESAPI follows it
}

}  // namespace cvfs_tpm
