// Checking and advancing the rollback record of a persistent volume.
#include "volume/rollback_guard.h"

#include "base/error.h"
#include "base/log.h"
#include "luks/rollback_mac.h"

namespace cvfs {

namespace {

RollbackRecord record_of(const std::string& uuid, const CvfsToken& token) {
    return {uuid, token.generation.value_or(0), token.counter, token.counter_index};
}

}  // namespace

GenerationStanding compare_generation(uint64_t header, uint64_t counter) {
    if (header == counter) return GenerationStanding::Equal;
    if (header < counter) return GenerationStanding::Behind;
    return header - counter == 1 ? GenerationStanding::OneAhead : GenerationStanding::FarAhead;
}

Error rollback_refusal(const VolumeConfig& volume, uint64_t header, uint64_t counter) {
    return Error(ErrorKind::RolledBack,
                 "volume '" + volume.name + "': this volume is older than its last use (generation " +
                     std::to_string(header) + ", last seen " + std::to_string(counter) +
                     "): the disk may have been rolled back",
                 "if you restored an older copy on purpose, `cvfs open --accept-rollback " + volume.name +
                     "` opens it and resynchronises the counter (see docs/rollback.md)");
}

Error far_ahead_refusal(const VolumeConfig& volume, uint64_t header, uint64_t counter) {
    return Error(ErrorKind::RolledBack,
                 "volume '" + volume.name + "': its header's generation " + std::to_string(header) +
                     " is more than one ahead of its counter (" + std::to_string(counter) +
                     "): the counter was reset or replaced (another machine's TPM, a cleared TPM)",
                 "if the volume moved on purpose, `cvfs open --accept-rollback " + volume.name +
                     "` opens it and brings the header to the counter (see docs/rollback.md)");
}

void check_rollback_record(const VolumeConfig& volume, const std::string& device, const std::string& uuid,
                           const CvfsToken& token, const SecureBuffer& volume_key) {
    if (!token.generation) return;
    SecureBuffer key = rollback_mac_key(volume_key);
    if (rollback_mac_matches(key, record_of(uuid, token), token.generation_mac)) return;
    throw Error(ErrorKind::Header,
                "volume '" + volume.name + "': the rollback record in the header of " + device + " (generation " +
                    std::to_string(*token.generation) + ", counter " + token.counter +
                    ") does not match its HMAC: it was changed by someone without the volume key",
                "the header may have been tampered with; restore it from a backup "
                "(cryptsetup luksHeaderRestore) or see docs/rollback.md");
}

CvfsToken advanced(const CvfsToken& token, const std::string& uuid, const std::string& counter,
                   const SecureBuffer& volume_key) {
    CvfsToken next = token;
    if (!token.generation) {
        log(LogLevel::Info, "volume '" + token.volume +
                                "': its header has no rollback record (made by an older cvfs); it gets one now, "
                                "at generation 1");
        next.counter_index.clear();
    }
    next.generation = token.generation.value_or(0) + 1;
    next.counter = counter;
    SecureBuffer key = rollback_mac_key(volume_key);
    next.generation_mac = rollback_mac(key, record_of(uuid, next));
    return next;
}

CvfsToken recorded(const CvfsToken& token, const std::string& uuid, const std::string& counter,
                   const std::string& index, uint64_t generation, const SecureBuffer& volume_key) {
    CvfsToken next = token;
    next.generation = generation;
    next.counter = counter;
    next.counter_index = index;
    SecureBuffer key = rollback_mac_key(volume_key);
    next.generation_mac = rollback_mac(key, record_of(uuid, next));
    return next;
}

CounterAdvance plan_counter_advance(const VolumeConfig& volume, const CvfsToken& token, uint64_t counter,
                                    bool accept, const std::string& uuid, const SecureBuffer& volume_key) {
    const uint64_t header = token.generation.value_or(0);
    CounterAdvance plan;
    uint64_t from = header;
    switch (compare_generation(header, counter)) {
    case GenerationStanding::Equal: break;
    case GenerationStanding::OneAhead:
        log(LogLevel::Info, "volume '" + volume.name + "': the last open was stopped before its counter was "
                            "incremented (generation " + std::to_string(header) + ", counter " +
                                std::to_string(counter) + "); the counter is brought to the header");
        plan.repair_first = true;
        break;
    case GenerationStanding::Behind:
    case GenerationStanding::FarAhead:
        if (!accept)
            throw header < counter ? rollback_refusal(volume, header, counter)
                                   : far_ahead_refusal(volume, header, counter);
        plan.accepted = "volume '" + volume.name + "': --accept-rollback: opened at generation " +
                        std::to_string(header) + " against its counter at " + std::to_string(counter) +
                        "; the header is brought to the counter";
        from = counter;
        break;
    }
    plan.counter_after = from + 1;
    plan.header = recorded(token, uuid, token.counter, token.counter_index, plan.counter_after, volume_key);
    return plan;
}

}  // namespace cvfs
