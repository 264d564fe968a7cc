// TPM 2.0 NV counter indexes (TPMA_NV_COUNTER) for the rollback counter "tpm".
//
// A counter index only ever goes up: TPM2_NV_Increment adds one and nothing
// sets it back short of undefining the index (which needs the owner's
// authorisation, and a new index starts at the highest value any counter of
// the TPM ever had, never lower). The index is defined under the owner
// hierarchy (empty owner authorisation), written with the owner's
// authorisation and read with its own (empty) one, in the owner range
// starting at kFirstCounterIndex, at the first index not yet defined.
#pragma once

#include <cstdint>
#include <string>

#include "tpm_context.h"

namespace cvfs_tpm {

// Where the search for a free index starts, and where the owner range ends.
inline constexpr uint32_t kFirstCounterIndex = 0x01300000;
inline constexpr uint32_t kLastOwnerIndex = 0x013FFFFF;

// "0x01300000"
std::string index_text(uint32_t index);
// Parses an index id as index_text writes it, in the owner range.
// Throws cvfs::sdk::Error(CVFS_E_INVALID_ARGUMENT) naming the id.
uint32_t parse_index(const std::string& id);

// Defines a new counter index at the first free index from `first`,
// increments it once so that it can be read, and returns it with its value.
struct DefinedCounter {
    uint32_t index = 0;
    uint64_t value = 0;
};
DefinedCounter define_counter(TpmContext& tpm, uint32_t first = kFirstCounterIndex);

// The value of counter `index`; CVFS_E_NOT_FOUND when it is not defined.
uint64_t read_counter(TpmContext& tpm, uint32_t index);
// Increments counter `index` and returns its new value.
uint64_t increment_counter(TpmContext& tpm, uint32_t index);

}  // namespace cvfs_tpm
