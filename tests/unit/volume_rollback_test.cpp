// The rollback guard: a record advanced at open checks with the same volume
// key, a forged or raised one is refused, and generations compare as the
// open sequence needs (header written before the counter).
#include "base/error.h"
#include "volume/rollback_guard.h"

#include <catch2/catch.hpp>

using namespace cvfs;

namespace {

SecureBuffer key_of(uint8_t fill) {
    SecureBuffer key(64);
    key.resize(64);
    for (size_t i = 0; i < 64; ++i) key.data()[i] = fill;
    return key;
}

CvfsToken old_token() {
    return CvfsToken::from_json(
        R"({"type":"cvfs","keyslots":["0"],"state":"ready","volume":"data1","provider":"keyfile"})");
}

VolumeConfig volume_named(const std::string& name) {
    VolumeConfig volume;
    volume.name = name;
    return volume;
}

const std::string kUuid = "0b6a2f3e-8d71-4c55-9a1e-2f4b6c8d0e12";

}  // namespace

TEST_CASE("an old token is upgraded to generation 1 and then advances by one") {
    const SecureBuffer key = key_of(0x5a);
    CvfsToken token = old_token();
    check_rollback_record(volume_named("data1"), "/dev/x", kUuid, token, key);  // no record: passes
    CvfsToken first = advanced(token, kUuid, "none", key);
    CHECK(first.generation == 1u);
    CHECK(first.counter == "none");
    CHECK(first.generation_mac.size() == 64);
    CvfsToken back = CvfsToken::from_json(first.to_json(0));
    check_rollback_record(volume_named("data1"), "/dev/x", kUuid, back, key);
    CvfsToken second = advanced(back, kUuid, "none", key);
    CHECK(second.generation == 2u);
    CHECK(second.generation_mac != first.generation_mac);
    check_rollback_record(volume_named("data1"), "/dev/x", kUuid, second, key);
}

TEST_CASE("a raised or moved rollback record is refused by its HMAC") {
    const SecureBuffer key = key_of(0x5a);
    CvfsToken token = advanced(advanced(old_token(), kUuid, "none", key), kUuid, "none", key);
    auto refusal = [&](const CvfsToken& forged, const std::string& uuid, const SecureBuffer& with) {
        try {
            check_rollback_record(volume_named("data1"), "/dev/vdb", uuid, forged, with);
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::Header);
            return std::string(e.what());
        }
        FAIL("a forged record was accepted");
        return std::string();
    };
    CvfsToken raised = token;
    raised.generation = 100;
    CHECK_THAT(refusal(raised, kUuid, key), Catch::Contains("volume 'data1'") && Catch::Contains("/dev/vdb") &&
                                                 Catch::Contains("generation 100") &&
                                                 Catch::Contains("does not match its HMAC"));
    CvfsToken no_counter = token;
    no_counter.counter = "tpm";
    CHECK_THAT(refusal(no_counter, kUuid, key), Catch::Contains("does not match its HMAC"));
    CHECK_THAT(refusal(token, "1b6a2f3e-8d71-4c55-9a1e-2f4b6c8d0e12", key), Catch::Contains("HMAC"));
    CHECK_THAT(refusal(token, kUuid, key_of(0x5b)), Catch::Contains("HMAC"));
}

TEST_CASE("generations compare as the open sequence needs") {
    CHECK(compare_generation(5, 5) == GenerationStanding::Equal);
    CHECK(compare_generation(6, 5) == GenerationStanding::OneAhead);
    CHECK(compare_generation(4, 5) == GenerationStanding::Behind);
    CHECK(compare_generation(9, 5) == GenerationStanding::FarAhead);
    CHECK(compare_generation(0, 18446744073709551615ull) == GenerationStanding::Behind);
    std::string text = rollback_refusal(volume_named("data1"), 3, 5).what();
    CHECK(text == "volume 'data1': this volume is older than its last use (generation 3, last seen 5): "
                  "the disk may have been rolled back");
    CHECK(rollback_refusal(volume_named("data1"), 3, 5).kind() == ErrorKind::RolledBack);
}

TEST_CASE("open's plan against the counter: equal and one ahead advance, behind and far ahead are refused") {
    const SecureBuffer key = key_of(0x5a);
    const VolumeConfig volume = volume_named("data1");
    CvfsToken token = recorded(old_token(), kUuid, "tpm", "0x01000010", 7, key);
    check_rollback_record(volume, "/dev/vdb", kUuid, token, key);

    CounterAdvance equal = plan_counter_advance(volume, token, 7, false, kUuid, key);
    CHECK_FALSE(equal.repair_first);
    CHECK(equal.counter_after == 8u);
    CHECK(equal.header.generation == 8u);
    CHECK(equal.header.counter_index == "0x01000010");
    check_rollback_record(volume, "/dev/vdb", kUuid, equal.header, key);

    // The last open wrote the header (7) but was stopped before the counter (6).
    CounterAdvance ahead = plan_counter_advance(volume, token, 6, false, kUuid, key);
    CHECK(ahead.repair_first);
    CHECK(ahead.counter_after == 8u);
    CHECK(ahead.header.generation == 8u);

    auto refused = [&](uint64_t counter) {
        try {
            plan_counter_advance(volume, token, counter, false, kUuid, key);
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::RolledBack);
            return std::string(e.what());
        }
        FAIL("counter " << counter << " was not refused");
        return std::string();
    };
    CHECK(refused(9).find("older than its last use (generation 7, last seen 9)") != std::string::npos);
    CHECK(refused(5).find("generation 7 is more than one ahead of its counter (5)") != std::string::npos);

    // --accept-rollback brings the header to the counter (never the counter back) and advances.
    CounterAdvance accepted = plan_counter_advance(volume, token, 9, true, kUuid, key);
    CHECK_FALSE(accepted.repair_first);
    CHECK(accepted.counter_after == 10u);
    CHECK(accepted.header.generation == 10u);
    CHECK_FALSE(accepted.accepted.empty());
    check_rollback_record(volume, "/dev/vdb", kUuid, accepted.header, key);
    CHECK(plan_counter_advance(volume, token, 2, true, kUuid, key).header.generation == 3u);
}
