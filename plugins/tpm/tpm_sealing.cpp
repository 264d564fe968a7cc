// Seal and unseal through ESAPI (see tpm_sealing.h).
#include "tpm_sealing.h"

#include <openssl/evp.h>
#include <tss2/tss2_mu.h>

#include <cstring>
#include <memory>

#include "cvfs/hex.hpp"
#include "cvfs/plugin.hpp"

namespace cvfs_tpm {

namespace {

using cvfs::sdk::Error;

template <class T>
struct EsysFree {
    void operator()(T* p) const { Esys_Free(p); }
};
template <class T>
using EsysPtr = std::unique_ptr<T, EsysFree<T>>;

void check(TSS2_RC rc, const std::string& what) {
    if (rc == TSS2_RC_SUCCESS) return;
    uint32_t code = tpm_response_code(rc);
    if (code == 0 && (rc & TSS2_RC_LAYER_MASK) == TSS2_TCTI_RC_LAYER)
        throw Error(CVFS_E_UNAVAILABLE, describe(what + " (the TPM stopped answering)", rc));
    if (code == TPM2_RC_LOCKOUT)
        throw Error(CVFS_E_UNAVAILABLE, describe(what, rc) + "; the TPM is in dictionary-attack lockout");
    throw Error(CVFS_E_INTERNAL, describe(what, rc));
}

TPMI_ALG_HASH bank_algorithm(const std::string& bank) {
    if (bank == "sha1") return TPM2_ALG_SHA1;
    if (bank == "sha384") return TPM2_ALG_SHA384;
    if (bank == "sha512") return TPM2_ALG_SHA512;
    return TPM2_ALG_SHA256;
}

TPML_PCR_SELECTION selection_of(const PcrSelection& pcrs) {
    TPML_PCR_SELECTION selection{};
    if (pcrs.indexes.empty()) return selection;
    selection.count = 1;
    selection.pcrSelections[0].hash = bank_algorithm(pcrs.bank);
    selection.pcrSelections[0].sizeofSelect = 3;
    for (uint32_t index : pcrs.indexes) selection.pcrSelections[0].pcrSelect[index / 8] |= 1u << (index % 8);
    return selection;
}

bool selected(const TPMS_PCR_SELECTION& s, uint32_t index) {
    return index / 8 < s.sizeofSelect && (s.pcrSelect[index / 8] & (1u << (index % 8)));
}

// TPM2B_DIGEST of SHA-256 over `bytes` (the policy hash is SHA-256).
TPM2B_DIGEST sha256(std::span<const uint8_t> bytes) {
    TPM2B_DIGEST digest{};
    unsigned int length = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), digest.buffer, &length, EVP_sha256(), nullptr) != 1)
        throw Error(CVFS_E_INTERNAL, "SHA-256 failed");
    digest.size = static_cast<uint16_t>(length);
    return digest;
}

TPMT_SYM_DEF aes_cfb() {
    TPMT_SYM_DEF sym{};
    sym.algorithm = TPM2_ALG_AES;
    sym.keyBits.aes = 128;
    sym.mode.aes = TPM2_ALG_CFB;
    return sym;
}

// The TCG "SRK template": ECC NIST P-256, AES-128-CFB, restricted decryption key.
TPM2B_PUBLIC srk_template() {
    TPM2B_PUBLIC pub{};
    TPMT_PUBLIC& area = pub.publicArea;
    area.type = TPM2_ALG_ECC;
    area.nameAlg = TPM2_ALG_SHA256;
    area.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                            TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA | TPMA_OBJECT_RESTRICTED |
                            TPMA_OBJECT_DECRYPT;
    area.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
    area.parameters.eccDetail.symmetric.keyBits.aes = 128;
    area.parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
    area.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
    area.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    area.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
    area.unique.ecc.x.size = 32;
    area.unique.ecc.y.size = 32;
    return pub;
}

ESYS_TR create_srk(TpmContext& tpm) {
    TPM2B_SENSITIVE_CREATE sensitive{};
    TPM2B_PUBLIC pub = srk_template();
    TPM2B_DATA outside{};
    TPML_PCR_SELECTION creation_pcrs{};
    ESYS_TR handle = ESYS_TR_NONE;
    check(Esys_CreatePrimary(tpm.esys(), ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                             &sensitive, &pub, &outside, &creation_pcrs, &handle, nullptr, nullptr, nullptr,
                             nullptr),
          "cannot create the storage key under the owner hierarchy (is an owner password set?)");
    return handle;
}

// The storage key: made anew (and flushed later), or the persistent one at
// `handle`, which `create` makes when it is missing.
ESYS_TR storage_key(TpmContext& tpm, uint32_t handle, bool create) {
    if (handle == 0) {
        ESYS_TR srk = create_srk(tpm);
        tpm.flush_later(srk);
        return srk;
    }
    ESYS_TR srk = ESYS_TR_NONE;
    TSS2_RC rc = Esys_TR_FromTPMPublic(tpm.esys(), handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &srk);
    if (rc == TSS2_RC_SUCCESS) return srk;
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08x", handle);
    if (!create)
        throw Error(CVFS_E_NOT_FOUND, std::string("the TPM has no storage key at persistent handle ") + hex +
                                          ", where the volume's key was sealed; the TPM was cleared or the "
                                          "handle evicted: unlock with a recovery keyslot and run cvfs reseal");
    ESYS_TR fresh = create_srk(tpm);
    tpm.flush_later(fresh);
    check(Esys_EvictControl(tpm.esys(), ESYS_TR_RH_OWNER, fresh, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                            handle, &srk),
          std::string("cannot make the storage key persistent at ") + hex);
    return srk;
}

ESYS_TR start_session(TpmContext& tpm, ESYS_TR salt_key, TPM2_SE type) {
    TPMT_SYM_DEF sym = type == TPM2_SE_TRIAL ? TPMT_SYM_DEF{TPM2_ALG_NULL, {}, {}} : aes_cfb();
    ESYS_TR session = ESYS_TR_NONE;
    check(Esys_StartAuthSession(tpm.esys(), salt_key, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                nullptr, type, &sym, TPM2_ALG_SHA256, &session),
          "cannot start a TPM session");
    tpm.flush_later(session);
    return session;
}

// Runs the policy's commands in `session`. `pcr_digest` empty: the TPM uses
// the PCR values it has now (a real session); otherwise the recorded values.
void apply_policy(TpmContext& tpm, ESYS_TR session, const SealedBlob& blob, const TPM2B_DIGEST& pcr_digest) {
    if (!blob.pcrs.indexes.empty()) {
        TPML_PCR_SELECTION selection = selection_of(blob.pcrs);
        check(Esys_PolicyPCR(tpm.esys(), session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pcr_digest,
                             &selection),
              "TPM2_PolicyPCR failed");
    }
    if (blob.auth_value())
        check(Esys_PolicyAuthValue(tpm.esys(), session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE),
              "TPM2_PolicyAuthValue failed");
}

std::vector<uint8_t> trial_policy(TpmContext& tpm, const SealedBlob& blob) {
    std::vector<uint8_t> joined;
    for (const auto& value : blob.pcr_values) joined.insert(joined.end(), value.begin(), value.end());
    TPM2B_DIGEST pcr_digest = sha256(joined);
    ESYS_TR trial = start_session(tpm, ESYS_TR_NONE, TPM2_SE_TRIAL);
    apply_policy(tpm, trial, blob, pcr_digest);
    TPM2B_DIGEST* raw = nullptr;
    check(Esys_PolicyGetDigest(tpm.esys(), trial, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &raw),
          "TPM2_PolicyGetDigest failed");
    EsysPtr<TPM2B_DIGEST> digest(raw);
    return {digest->buffer, digest->buffer + digest->size};
}

TPM2B_PUBLIC sealed_object_template(const SealedBlob& blob) {
    TPM2B_PUBLIC pub{};
    TPMT_PUBLIC& area = pub.publicArea;
    area.type = TPM2_ALG_KEYEDHASH;
    area.nameAlg = TPM2_ALG_SHA256;
    area.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT;
    if (!blob.pin) area.objectAttributes |= TPMA_OBJECT_NODA;  // no guessable secret: no lockout either
    area.authPolicy.size = static_cast<uint16_t>(blob.policy.size());
    std::memcpy(area.authPolicy.buffer, blob.policy.data(), blob.policy.size());
    area.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;
    return pub;
}

template <class T, class Marshal>
std::vector<uint8_t> marshal(const T& value, Marshal fn) {
    std::vector<uint8_t> bytes(sizeof(T));
    size_t offset = 0;
    check(fn(&value, bytes.data(), bytes.size(), &offset), "cannot marshal a TPM structure");
    bytes.resize(offset);
    return bytes;
}

template <class T, class Unmarshal>
T unmarshal(const std::vector<uint8_t>& bytes, Unmarshal fn, const char* what) {
    T value{};
    size_t offset = 0;
    if (fn(bytes.data(), bytes.size(), &offset, &value) != TSS2_RC_SUCCESS || offset != bytes.size())
        throw Error(CVFS_E_INVALID_ARGUMENT,
                    std::string("the TPM ") + what + " kept in the volume's token is damaged; "
                    "unlock with a recovery keyslot and run cvfs reseal");
    return value;
}

std::string short_hex(const std::vector<uint8_t>& bytes) {
    std::string hex = to_hex(bytes);
    return hex.size() > 16 ? hex.substr(0, 16) + "..." : hex;
}

// Throws, naming each PCR whose value differs from seal time.
void compare_pcrs(const SealedBlob& blob, const std::vector<std::vector<uint8_t>>& now) {
    std::string differ, detail;
    for (size_t i = 0; i < blob.pcrs.indexes.size(); ++i) {
        if (now[i] == blob.pcr_values[i]) continue;
        std::string index = std::to_string(blob.pcrs.indexes[i]);
        differ += (differ.empty() ? "" : ", ") + index;
        detail += std::string(detail.empty() ? " (" : "; ") + "PCR " + index + " sealed " +
                  short_hex(blob.pcr_values[i]) + ", now " + short_hex(now[i]);
    }
    if (differ.empty()) return;
    const bool one = differ.find(',') == std::string::npos;
    throw Error(CVFS_E_PERMISSION_DENIED,
                "PCR mismatch: " + blob.pcrs.bank + (one ? " PCR " : " PCRs ") + differ +
                    (one ? " differs" : " differ") + " from the values at seal time" + detail +
                    "), so the TPM will not unseal the key. If the change was intended (firmware, boot loader or kernel update), unlock with a "
                    "recovery keyslot and run `cvfs reseal`");
}

// Turns the TPM's refusal of Unseal into what the operator needs to know.
[[noreturn]] void unseal_refused(TSS2_RC rc, const SealedBlob& blob) {
    uint32_t code = tpm_response_code(rc);
    if (code == TPM2_RC_AUTH_FAIL || code == TPM2_RC_BAD_AUTH)
        throw Error(CVFS_E_PERMISSION_DENIED,
                    blob.pin ? "wrong PIN: the TPM refused it (each wrong PIN counts toward the TPM's "
                               "dictionary-attack lockout)"
                             : describe("the TPM refused the authorization", rc));
    if (code == TPM2_RC_LOCKOUT)
        throw Error(CVFS_E_UNAVAILABLE,
                    "the TPM is in dictionary-attack lockout after too many wrong PINs; wait for its "
                    "recovery time or reset it with the lockout authorization, then try again");
    if (code == TPM2_RC_POLICY_FAIL || code == TPM2_RC_PCR_CHANGED)
        throw Error(CVFS_E_PERMISSION_DENIED,
                    "the TPM refused the PCR policy although the " + blob.pcrs.text() +
                        " values match those recorded at seal time: a PCR changed during the call, or the "
                        "policy in the token is damaged");
    check(rc, "cannot unseal the key");
    throw Error(CVFS_E_INTERNAL, "unreachable");
}

}  // namespace

std::string to_hex(std::span<const uint8_t> bytes) { return cvfs::sdk::to_hex(bytes); }

std::vector<std::vector<uint8_t>> read_pcrs(TpmContext& tpm, const PcrSelection& pcrs) {
    std::vector<std::vector<uint8_t>> values(pcrs.indexes.size());
    TPML_PCR_SELECTION want = selection_of(pcrs);
    size_t done = 0;
    while (done < pcrs.indexes.size()) {
        TPML_PCR_SELECTION* got_raw = nullptr;
        TPML_DIGEST* digests_raw = nullptr;
        uint32_t counter = 0;
        check(Esys_PCR_Read(tpm.esys(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &want, &counter, &got_raw,
                            &digests_raw),
              "cannot read PCRs " + pcrs.text());
        EsysPtr<TPML_PCR_SELECTION> got(got_raw);
        EsysPtr<TPML_DIGEST> digests(digests_raw);
        if (got->count == 0 || digests->count == 0)
            throw Error(CVFS_E_NOT_SUPPORTED, "the TPM has no active " + pcrs.bank + " PCR bank (asked for " +
                                                  pcrs.text() + "); choose another bank in 'pcrs'");
        uint32_t next = 0;
        for (size_t i = 0; i < pcrs.indexes.size() && next < digests->count; ++i) {
            uint32_t index = pcrs.indexes[i];
            if (!selected(got->pcrSelections[0], index)) continue;
            const TPM2B_DIGEST& d = digests->digests[next++];
            values[i].assign(d.buffer, d.buffer + d.size);
            want.pcrSelections[0].pcrSelect[index / 8] &= static_cast<uint8_t>(~(1u << (index % 8)));
            ++done;
        }
    }
    return values;
}

SealedBlob seal(TpmContext& tpm, const PcrSelection& pcrs, const TPM2B_AUTH* pin_auth, uint32_t primary_handle,
                std::span<const uint8_t> secret) {
    if (secret.size() > sizeof(TPM2B_SENSITIVE_DATA::buffer))
        throw Error(CVFS_E_INTERNAL, "secret too large to seal");
    SealedBlob blob;
    blob.pcrs = pcrs;
    blob.pin = pin_auth != nullptr;
    blob.primary_handle = primary_handle;
    ESYS_TR srk = storage_key(tpm, primary_handle, true);
    blob.pcr_values = read_pcrs(tpm, pcrs);
    blob.policy = trial_policy(tpm, blob);

    ESYS_TR session = start_session(tpm, srk, TPM2_SE_HMAC);
    check(Esys_TRSess_SetAttributes(tpm.esys(), session, TPMA_SESSION_DECRYPT | TPMA_SESSION_CONTINUESESSION, 0xff),
          "cannot set session attributes");
    TPM2B_SENSITIVE_CREATE sensitive{};
    if (pin_auth) sensitive.sensitive.userAuth = *pin_auth;
    sensitive.sensitive.data.size = static_cast<uint16_t>(secret.size());
    std::memcpy(sensitive.sensitive.data.buffer, secret.data(), secret.size());
    TPM2B_PUBLIC pub = sealed_object_template(blob);
    TPM2B_DATA outside{};
    TPML_PCR_SELECTION creation_pcrs{};
    TPM2B_PRIVATE* private_raw = nullptr;
    TPM2B_PUBLIC* public_raw = nullptr;
    TSS2_RC rc = Esys_Create(tpm.esys(), srk, session, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &pub, &outside,
                             &creation_pcrs, &private_raw, &public_raw, nullptr, nullptr, nullptr);
    explicit_bzero(&sensitive, sizeof sensitive);
    EsysPtr<TPM2B_PRIVATE> sealed_private(private_raw);
    EsysPtr<TPM2B_PUBLIC> sealed_public(public_raw);
    check(rc, "cannot seal the key to the TPM");
    blob.private_area = marshal(*sealed_private, Tss2_MU_TPM2B_PRIVATE_Marshal);
    blob.public_area = marshal(*sealed_public, Tss2_MU_TPM2B_PUBLIC_Marshal);
    return blob;
}

size_t unseal(TpmContext& tpm, const SealedBlob& blob, const TPM2B_AUTH* pin_auth, uint8_t* out, size_t capacity) {
    TPM2B_PUBLIC pub = unmarshal<TPM2B_PUBLIC>(blob.public_area, Tss2_MU_TPM2B_PUBLIC_Unmarshal, "public area");
    TPM2B_PRIVATE priv =
        unmarshal<TPM2B_PRIVATE>(blob.private_area, Tss2_MU_TPM2B_PRIVATE_Unmarshal, "private area");
    ESYS_TR srk = storage_key(tpm, blob.primary_handle, false);
    ESYS_TR object = ESYS_TR_NONE;
    TSS2_RC rc = Esys_Load(tpm.esys(), srk, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &priv, &pub, &object);
    if (rc != TSS2_RC_SUCCESS && tpm_response_code(rc) != 0)
        throw Error(CVFS_E_PERMISSION_DENIED,
                    describe("the sealed key in the volume's token does not load under this TPM's storage key "
                             "(sealed on another TPM, the TPM was cleared, or the token is damaged)",
                             rc));
    check(rc, "cannot load the sealed key");
    tpm.flush_later(object);

    compare_pcrs(blob, read_pcrs(tpm, blob.pcrs));

    ESYS_TR session = start_session(tpm, srk, TPM2_SE_POLICY);
    check(Esys_TRSess_SetAttributes(tpm.esys(), session, TPMA_SESSION_ENCRYPT, 0xff),
          "cannot set session attributes");
    apply_policy(tpm, session, blob, TPM2B_DIGEST{});
    TPM2B_AUTH auth{};
    if (pin_auth) auth = *pin_auth;
    rc = Esys_TR_SetAuth(tpm.esys(), object, &auth);
    explicit_bzero(&auth, sizeof auth);
    check(rc, "cannot set the PIN");
    TPM2B_SENSITIVE_DATA* data_raw = nullptr;
    rc = Esys_Unseal(tpm.esys(), object, session, ESYS_TR_NONE, ESYS_TR_NONE, &data_raw);
    if (rc != TSS2_RC_SUCCESS) unseal_refused(rc, blob);
    tpm.forget(session);  // continueSession was clear: the TPM flushed it
    EsysPtr<TPM2B_SENSITIVE_DATA> data(data_raw);
    size_t length = data->size;
    if (length == 0 || length > capacity) {
        explicit_bzero(data->buffer, sizeof data->buffer);
        throw Error(CVFS_E_INTERNAL, "the unsealed key has an unexpected size");
    }
    std::memcpy(out, data->buffer, length);
    explicit_bzero(data->buffer, sizeof data->buffer);
    return length;
}

}  // namespace cvfs_tpm
