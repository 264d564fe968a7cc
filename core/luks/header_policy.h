// The header allow-list: what a LUKS2 header must look like for cvfs to use it.
//
// A LUKS2 header is checksummed but not authenticated, so in a confidential VM
// the host can rewrite it: a null cipher, a weak or absurd KDF, a data segment
// moved over the keyslots. cvfs only opens headers that match what it would
// have written for the volume's configuration; every refusal says what was
// found and what was expected.
#pragma once

#include "config/volume_config.h"
#include "luks/header_facts.h"

#include <string>
#include <vector>

namespace cvfs {

// The data segment a configuration asks for.
struct SegmentSpec {
    std::string cipher;     // "aes-xts-plain64"
    uint32_t key_bits = 0;  // volume key, including the integrity key
    std::string integrity;  // "" (none), "hmac(sha256)", "aead"
};

// none: the configured cipher and key. hmac-sha256: the same plus a 256-bit
// HMAC key. aead: the configured cipher when it is an AEAD mode (gcm, aegis),
// otherwise aes-gcm-random with a 256-bit key.
SegmentSpec segment_spec(const LuksParams& params);

// Bounds on keyslot KDF cost: below them a key is cheap to guess, above them
// opening the volume would exhaust the VM.
inline constexpr uint32_t kMinPbkdf2Iterations = 1000;
inline constexpr uint32_t kMaxPbkdf2Iterations = 10'000'000;
inline constexpr uint32_t kMinArgon2Time = 4;
inline constexpr uint32_t kMaxArgon2Time = 100;
inline constexpr uint32_t kMinArgon2MemoryKb = 32 * 1024;
// cryptsetup's default memory cost; it never writes more than half of RAM.
inline constexpr uint32_t kMaxArgon2MemoryKb = 1024 * 1024;
inline constexpr uint32_t kMaxArgon2Parallel = 64;

// What libcryptsetup writes for a keyslot (cvfs's and cryptsetup's defaults
// alike): the area encrypted with aes-xts-plain64 under a 512-bit key, or
// with the segment's own cipher and key size when the segment has no
// integrity; the luks1 anti-forensic splitter with 4000 stripes.
inline constexpr const char* kKeyslotAreaCipher = "aes-xts-plain64";
inline constexpr uint32_t kKeyslotAreaKeyBits = 512;
inline constexpr uint32_t kAfStripes = 4000;

// The argon2 memory ceiling on this machine: kMaxArgon2MemoryKb, or half of
// the physical memory when that is less (opening must not exhaust the VM).
uint32_t argon2_memory_ceiling_kb();

struct PolicyFindings {
    std::vector<std::string> problems;  // each refuses the header
    std::vector<std::string> warnings;  // allowed, but worth a log line
};

PolicyFindings check_header_policy(const HeaderFacts& facts, const LuksParams& expected);

// Logs the warnings and throws Error(Header) listing every problem, naming `device`.
void enforce_header_policy(const HeaderFacts& facts, const LuksParams& expected, const std::string& device);

}  // namespace cvfs
