// The rollback counter at open and init (see rollback_steps.h).
#include "volume/rollback_steps.h"

#include "base/error.h"
#include "base/log.h"
#include "luks/luks_volume.h"
#include "volume/rollback_guard.h"

namespace cvfs {

namespace {

std::string kind_in(const CvfsToken& token) {
    return token.counter.empty() ? "none" : token.counter;
}

// What the header's record names, for messages.
std::string record_phrase(const CvfsToken& token) {
    if (!token.generation) return "no rollback record (made by an older cvfs)";
    if (kind_in(token) == "none") return "no counter";
    return "the counter '" + token.counter + "'" +
           (token.counter_index.empty() ? std::string() : " (" + token.counter_index + ")");
}

const RollbackCounter& configured(const std::optional<RollbackCounter>& counter, PluginCall* call) {
    if (!counter || !call) throw Error(ErrorKind::System, "the rollback counter was not resolved");
    return *counter;
}

}  // namespace

std::string counter_kind(const VolumeConfig& volume) {
    return volume.rollback_counter ? volume.rollback_counter->name : "none";
}

RollbackWork plan_rollback_at_open(const VolumeConfig& volume, const std::optional<RollbackCounter>& counter,
                                   PluginCall* counter_call, const CvfsToken& token, const std::string& uuid,
                                   const SecureBuffer& volume_key, bool accept) {
    const std::string kind = counter_kind(volume);
    const std::string in_header = kind_in(token);
    RollbackWork work;
    if (kind == "none") {
        if (in_header == "none") return work;  // nothing to compare with, nothing to advance
        if (!accept)
            throw Error(ErrorKind::State,
                        "volume '" + volume.name + "': its header keeps " + record_phrase(token) + ", but " +
                            volume.file + " names no rollback counter",
                        "set [rollback] counter = \"" + token.counter + "\" again, or run `cvfs open --accept-rollback " +
                            volume.name + "` to stop using the counter");
        log(LogLevel::Warning, "volume '" + volume.name + "': --accept-rollback: the header no longer names " +
                                   record_phrase(token) + ", as " + volume.file + " asks");
        work.header = recorded(token, uuid, "none", "", token.generation.value_or(0), volume_key);
        return work;
    }
    const RollbackCounter& plugin = configured(counter, counter_call);
    std::optional<uint64_t> value;
    std::string gone;
    const bool named = in_header == kind && !token.counter_index.empty() && token.generation;
    if (named) {
        if (accept)
            value = plugin.read_if_there(*counter_call, token.counter_index, gone);
        else
            value = plugin.read(*counter_call, token.counter_index);
        if (!value)
            log(LogLevel::Warning, "volume '" + volume.name + "': --accept-rollback: its counter " +
                                       token.counter_index + " is gone (" + gone + "); a new one is made");
    }
    if (!value) {
        const std::string& where = volume.rollback_counter->where.str();
        if (!accept)
            throw Error(ErrorKind::State,
                        "volume '" + volume.name + "': " + where + " names the rollback counter '" + kind +
                            "', but the header of " + volume.dev + " holds " + record_phrase(token) +
                            ": a volume made before the counter was configured, or a header whose record was "
                            "removed or replaced",
                        "if this copy of the disk is the current one, `cvfs open --accept-rollback " + volume.name +
                            "` makes a " + kind + " counter for it (see docs/rollback.md)");
        RollbackCounter::Created created = plugin.create(*counter_call);
        log(LogLevel::Warning, "volume '" + volume.name + "': --accept-rollback: a new " + kind + " counter " +
                                   created.id + " at " + std::to_string(created.value) + " in place of " +
                                   record_phrase(token));
        work.header = recorded(token, uuid, kind, created.id, created.value, volume_key);
        return work;
    }
    CounterAdvance plan = plan_counter_advance(volume, token, *value, accept, uuid, volume_key);
    if (!plan.accepted.empty()) log(LogLevel::Warning, plan.accepted);
    work.header = std::move(plan.header);
    work.repair_first = plan.repair_first;
    work.increment_after = true;
    work.counter_after = plan.counter_after;
    return work;
}

void write_header_and_advance(const VolumeConfig& volume, const std::optional<RollbackCounter>& counter,
                              PluginCall* counter_call, const RollbackWork& work, const std::string& node,
                              const CvfsToken& header) {
    auto expect = [&](uint64_t got, uint64_t want) {
        if (got == want) return;
        throw Error(ErrorKind::Device,
                    "volume '" + volume.name + "': its counter " + header.counter_index + " went to " +
                        std::to_string(got) + " where " + std::to_string(want) +
                        " was expected: something else incremented it meanwhile",
                    "make sure no other machine or process uses this volume; the next open compares again");
    };
    if (work.repair_first)
        expect(configured(counter, counter_call).increment(*counter_call, header.counter_index),
               work.counter_after - 1);
    write_token(node, header);
    if (work.increment_after)
        expect(configured(counter, counter_call).increment(*counter_call, header.counter_index), work.counter_after);
}

void record_new_counter(const VolumeConfig& volume, const RollbackCounter& counter, PluginCall& counter_call,
                        CvfsToken& token, const std::string& uuid, const SecureBuffer& volume_key) {
    RollbackCounter::Created created = counter.create(counter_call);
    token = recorded(token, uuid, counter_kind(volume), created.id, created.value, volume_key);
    log(LogLevel::Info, "volume '" + volume.name + "': rollback counter " + counter_kind(volume) + " " + created.id +
                            " at generation " + std::to_string(created.value));
}

}  // namespace cvfs
