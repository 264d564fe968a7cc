// Key provider "tpm": a random 256-bit key sealed to the machine's TPM 2.0
// under a policy over chosen PCRs (and optionally a PIN).
//
// init (purpose ENROL) makes the key, seals it (tpm_sealing.h) and keeps the
// sealed parts, the PCR selection and the PCR values at seal time in the
// volume's cvfs token (tpm_token.h); nothing is written beside the disk, and
// no persistent TPM handle is left unless primary_handle is configured.
// open (purpose UNLOCK) unseals it; when the boot state changed, it says
// which PCRs differ from seal time. After an intended change, `cvfs reseal`
// seals a new key (ENROL again) and swaps the keyslots.
//
// Configuration: table [encrypt.tpm] (or the seed's [encrypt.tpm2]); see
// tpm_settings.h for the keys.

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "cvfs/plugin.hpp"
#include "cvfs/random.hpp"
#include "tpm_context.h"
#include "tpm_pin.h"
#include "tpm_sealing.h"
#include "tpm_settings.h"
#include "tpm_token.h"

namespace {

using cvfs::sdk::Call;
using cvfs::sdk::Error;
using cvfs::sdk::SecretOut;
using namespace cvfs_tpm;

constexpr size_t kKeySize = 32;  // 256 bits of entropy
constexpr size_t kMaxUnsealed = 64;  // the host's first offer; we seal 32 bytes

// The PIN's auth value, wiped when the object goes.
struct PinAuth {
    TPM2B_AUTH auth{};
    bool present = false;
    ~PinAuth() { explicit_bzero(&auth, sizeof auth); }
    const TPM2B_AUTH* get() const { return present ? &auth : nullptr; }
};

void enrol(Call& call, const Settings& settings, SecretOut& out) {
    PinAuth pin;
    if (settings.pin()) {
        pin_auth(call, settings, CVFS_KEY_PURPOSE_ENROL, pin.auth);
        pin.present = true;
    }
    out.set_length(kKeySize);
    cvfs::sdk::fill_random(out.data(), kKeySize);
    TpmContext tpm(settings.tcti);
    SealedBlob blob = seal(tpm, settings.pcrs, pin.get(), settings.primary_handle, {out.data(), kKeySize});
    store_blob(call, blob);
    call.log(CVFS_LOG_INFO, "key sealed to the TPM at " + settings.tcti + ", bound to PCRs " + settings.pcrs.text() +
                                (blob.pin ? " and a PIN" : ""));
}

void unlock(Call& call, const Settings& settings, SecretOut& out) {
    SealedBlob blob = load_blob(call);
    if (!(blob.pcrs == settings.pcrs))
        call.log(CVFS_LOG_WARNING, "the key was sealed to PCRs " + blob.pcrs.text() + " but the configuration asks "
                                       "for " + settings.pcrs.text() + "; run `cvfs reseal` to apply it");
    if (blob.pin && !settings.pin())
        throw Error(CVFS_E_INVALID_CONFIG, std::string(call.config().source()) + ": the key was sealed with a PIN, "
                                               "but [" + call.config().table() + "] sets neither pin nor pin_file");
    PinAuth pin;
    if (blob.pin) {
        pin_auth(call, settings, CVFS_KEY_PURPOSE_UNLOCK, pin.auth);
        pin.present = true;
    }
    TpmContext tpm(settings.tcti);
    out.set_length(unseal(tpm, blob, pin.get(), out.data(), out.capacity()));
}

class Tpm {
public:
    // tpm2-tss prints its own errors to stderr; the plugin reports them in
    // its messages instead. An operator's TSS2_LOG setting is kept.
    explicit Tpm(const cvfs::sdk::Host&) { setenv("TSS2_LOG", "all+none", 0); }

    void check_config(Call& call) { read_settings(call.config()); }

    void get_key(Call& call, uint32_t purpose, SecretOut& out) {
        Settings settings = read_settings(call.config());
        if (out.capacity() < kMaxUnsealed) out.set_length(kMaxUnsealed);  // throws: ask for a bigger buffer
        try {
            if (purpose == CVFS_KEY_PURPOSE_ENROL)
                enrol(call, settings, out);
            else if (purpose == CVFS_KEY_PURPOSE_UNLOCK)
                unlock(call, settings, out);
            else
                throw Error(CVFS_E_NOT_SUPPORTED, "unknown key purpose " + std::to_string(purpose));
        } catch (...) {
            explicit_bzero(out.data(), out.capacity());
            out.set_length(0);
            throw;
        }
    }
};

}  // namespace

CVFS_KEY_PROVIDER_PLUGIN(Tpm, "tpm", "0.1.0", "cvfs", "Key sealed to the TPM 2.0 under a PCR policy (optional PIN)",
                         CVFS_CAP_INTERACTIVE)
