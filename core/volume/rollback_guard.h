// The rollback record of a persistent volume, checked and advanced at open.
//
// Right after the volume key is unlocked (before activation) the record's HMAC
// is checked (luks/rollback_mac.h): a record the host forged or raised is
// refused. The generation is then compared with the volume's counter, one the
// host cannot roll back; after the volume is open, the header gets generation
// + 1 first and the counter is incremented second, so an interruption leaves
// the header one ahead, which the next open accepts and repairs. A token made
// before the record existed gets one at its next open (and a log line says so).
#pragma once

#include "base/error.h"
#include "base/secure_buffer.h"
#include "config/volume_config.h"
#include "luks/cvfs_token.h"

#include <cstdint>
#include <string>

namespace cvfs {

// How the header's generation stands to the counter's value.
enum class GenerationStanding {
    Equal,      // as it should be
    OneAhead,   // the last open wrote the header but was stopped before the counter: repaired
    Behind,     // the header is older than the last use: a rolled-back or swapped disk
    FarAhead,   // more than one ahead: the counter was reset or replaced
};

GenerationStanding compare_generation(uint64_t header, uint64_t counter);

// The refusal of a header behind its counter ("this volume is older than its
// last use ..."), ErrorKind::RolledBack.
Error rollback_refusal(const VolumeConfig& volume, uint64_t header, uint64_t counter);

// The refusal of a header more than one ahead of its counter (the counter was
// reset or replaced, e.g. the volume moved to another machine), ErrorKind::RolledBack.
Error far_ahead_refusal(const VolumeConfig& volume, uint64_t header, uint64_t counter);

// Checks the token's rollback record with `volume_key` against the LUKS `uuid`
// of the header on `device`. Throws Header when the record's HMAC does not
// match. A token without a record passes (it is upgraded by advanced()).
void check_rollback_record(const VolumeConfig& volume, const std::string& device, const std::string& uuid,
                           const CvfsToken& token, const SecureBuffer& volume_key);

// The token with generation + 1 (1 for a token without a record), the counter
// kind `counter` and its index, and a new HMAC: what open writes to the header.
CvfsToken advanced(const CvfsToken& token, const std::string& uuid, const std::string& counter,
                   const SecureBuffer& volume_key);

// The token with the record set to `generation` at counter `counter`
// (kind) and `index`, and a new HMAC.
CvfsToken recorded(const CvfsToken& token, const std::string& uuid, const std::string& counter,
                   const std::string& index, uint64_t generation, const SecureBuffer& volume_key);

// What an open does with a volume whose token's record names the counter it
// is configured with, once the counter's value was read.
struct CounterAdvance {
    CvfsToken header;            // written to the header first
    bool repair_first = false;   // the counter is one behind the header: increment it before the write
    uint64_t counter_after = 0;  // the counter's value after the increment that follows the write
    std::string accepted;        // with --accept-rollback: what was accepted, for the log; else empty
};

// Equal: the header gets generation + 1, then the counter is incremented.
// OneAhead: the counter is first brought to the header, then as Equal.
// Behind and FarAhead throw their refusals unless `accept` (--accept-rollback):
// then the header is brought to the counter (a counter never goes back) and
// advanced from there.
CounterAdvance plan_counter_advance(const VolumeConfig& volume, const CvfsToken& token, uint64_t counter,
                                    bool accept, const std::string& uuid, const SecureBuffer& volume_key);

}  // namespace cvfs
