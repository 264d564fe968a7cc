// Rollback counter "tpm": a TPM 2.0 NV counter index per volume
// (tpm_nv_counter.h), whose index is the counter's id in the volume's header.
//
// Configuration: the [rollback] table beside counter = "tpm":
//   tcti = "device:/dev/tpmrm0"   how to reach the TPM (as the tpm key provider)
// Each call opens its own TPM connection, so calls for several volumes may
// run at once (the resource manager behind /dev/tpmrm0 serialises them).
#include <cstdlib>

#include "cvfs/plugin.hpp"
#include "tpm_context.h"
#include "tpm_nv_counter.h"
#include "tpm_settings.h"

namespace {

using cvfs::sdk::Call;
using cvfs::sdk::Error;
using namespace cvfs_tpm;

std::string tcti_of(Call& call) {
    auto config = call.config();
    config.allow_only({"tcti"});
    return config.string("tcti").value_or(kDefaultTcti);
}

// Adds the volume to a message (the host adds the plugin and the id too).
[[noreturn]] void rethrow_for(Call& call, const Error& e) {
    throw Error(e.status(), std::string(e.what()) + " (volume '" + std::string(call.volume()) + "')");
}

class TpmCounter {
public:
    explicit TpmCounter(const cvfs::sdk::Host&) { setenv("TSS2_LOG", "all+none", 0); }

    void check_config(Call& call) { tcti_of(call); }

    cvfs::sdk::NewCounter create(Call& call) {
        TpmContext tpm(tcti_of(call));
        DefinedCounter made = define_counter(tpm);
        call.log(CVFS_LOG_INFO, "NV counter index " + index_text(made.index) + " defined in the TPM at " +
                                    tpm.tcti() + ", at " + std::to_string(made.value));
        return {index_text(made.index), made.value};
    }

    uint64_t read(Call& call, const char* id) {
        const uint32_t index = parse_index(id);
        TpmContext tpm(tcti_of(call));
        try {
            return read_counter(tpm, index);
        } catch (const Error& e) {
            rethrow_for(call, e);
        }
    }

    uint64_t increment(Call& call, const char* id) {
        const uint32_t index = parse_index(id);
        TpmContext tpm(tcti_of(call));
        try {
            return increment_counter(tpm, index);
        } catch (const Error& e) {
            rethrow_for(call, e);
        }
    }
};

}  // namespace

CVFS_ROLLBACK_COUNTER_PLUGIN(TpmCounter, "tpm", "0.1.0", "cvfs",
                             "Rollback counter in a TPM 2.0 NV counter index (TPMA_NV_COUNTER)")
