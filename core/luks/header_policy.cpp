// The header allow-list rules (see header_policy.h). Each check_* function adds
// one sentence per problem: what the header says, then what cvfs expects.
#include "luks/header_policy.h"

#include "base/error.h"
#include "base/log.h"
#include "luks/foreign_header.h"

#include <unistd.h>

#include <algorithm>
#include <array>

namespace cvfs {

namespace {

using Problems = std::vector<std::string>;

std::string with_key(const std::string& cipher, uint32_t bits) {
    return cipher + " (" + std::to_string(bits) + "-bit key)";
}

std::string integrity_name(const std::string& integrity) {
    return integrity.empty() ? "no integrity" : "integrity " + integrity;
}

// Hashes accepted wherever the header names one (pbkdf2, AF splitter, digest).
constexpr std::array<const char*, 3> kHashes = {"sha256", "sha384", "sha512"};
constexpr const char* kHashesText = "sha256, sha384 or sha512";

bool strong_hash(const std::string& hash) {
    return std::find(kHashes.begin(), kHashes.end(), hash) != kHashes.end();
}

bool is_aead_cipher(const std::string& cipher) {
    return cipher.find("gcm") != std::string::npos || cipher.find("aegis") != std::string::npos;
}

void check_segment(const SegmentFacts& s, const HeaderFacts& f, const SegmentSpec& spec,
                   const LuksParams& expected, Problems& out) {
    const std::string where = "segment " + s.id;
    if (s.type != "crypt") {
        out.push_back(where + " has type \"" + s.type + "\"; expected \"crypt\"");
        return;
    }
    if (s.encryption != spec.cipher)
        out.push_back(where + " uses cipher " + s.encryption + "; expected " + with_key(spec.cipher, spec.key_bits));
    if (s.sector_size != expected.sector_size)
        out.push_back(where + " has sector size " + std::to_string(s.sector_size) + "; expected " +
                      std::to_string(expected.sector_size));
    if (s.integrity != spec.integrity)
        out.push_back(where + " has " + integrity_name(s.integrity) + "; expected " + integrity_name(spec.integrity));
    uint64_t areas_end = 2 * f.metadata_size + f.keyslots_size;
    if (s.offset < areas_end)
        out.push_back(where + " starts at byte " + std::to_string(s.offset) +
                      ", inside the header and keyslots area; expected at least " + std::to_string(areas_end));
    if (s.size != "dynamic") out.push_back(where + " has size " + s.size + "; expected \"dynamic\"");
}

void check_segments(const HeaderFacts& f, const LuksParams& expected, Problems& out) {
    SegmentSpec spec = segment_spec(expected);
    if (f.segments.size() != 1)
        out.push_back("the header has " + std::to_string(f.segments.size()) + " data segments; expected exactly 1");
    for (const auto& s : f.segments) check_segment(s, f, spec, expected, out);
    // libcryptsetup's own reading of the default segment, which activation uses.
    if (f.volume_key_bits != spec.key_bits)
        out.push_back("the volume key has " + std::to_string(f.volume_key_bits) + " bits; expected " +
                      std::to_string(spec.key_bits) + " for " + spec.cipher);
    if (f.cipher != spec.cipher && (f.segments.empty() || f.segments[0].encryption == spec.cipher))
        out.push_back("the volume uses cipher " + f.cipher + "; expected " + spec.cipher);
}

void check_pbkdf2(const std::string& where, const std::string& hash, uint32_t iterations, Problems& out) {
    if (!strong_hash(hash))
        out.push_back(where + "pbkdf2 with hash " + (hash.empty() ? "(none)" : hash) + "; expected " + kHashesText);
    if (iterations < kMinPbkdf2Iterations)
        out.push_back(where + "pbkdf2 with " + std::to_string(iterations) + " iterations; at least " +
                      std::to_string(kMinPbkdf2Iterations) + " required");
    if (iterations > kMaxPbkdf2Iterations)
        out.push_back(where + "pbkdf2 with " + std::to_string(iterations) + " iterations; at most " +
                      std::to_string(kMaxPbkdf2Iterations) + " allowed");
}

void check_kdf(const KeyslotFacts& k, Problems& out) {
    const std::string where = "keyslot " + k.id + ": ";
    if (k.kdf == "pbkdf2") return check_pbkdf2(where, k.kdf_hash, k.iterations, out);
    if (k.kdf != "argon2i" && k.kdf != "argon2id") {
        out.push_back(where + "KDF " + k.kdf + "; expected pbkdf2, argon2i or argon2id");
        return;
    }
    if (k.iterations < kMinArgon2Time || k.iterations > kMaxArgon2Time)
        out.push_back(where + k.kdf + " with time cost " + std::to_string(k.iterations) + "; expected " +
                      std::to_string(kMinArgon2Time) + " to " + std::to_string(kMaxArgon2Time));
    const uint32_t ceiling = argon2_memory_ceiling_kb();
    if (k.memory_kb < kMinArgon2MemoryKb || k.memory_kb > ceiling)
        out.push_back(where + k.kdf + " with memory " + std::to_string(k.memory_kb) + " KiB; expected " +
                      std::to_string(kMinArgon2MemoryKb) + " to " + std::to_string(ceiling) +
                      " KiB (at most 1 GiB or half of this machine's memory)");
    if (k.parallel < 1 || k.parallel > kMaxArgon2Parallel)
        out.push_back(where + k.kdf + " with " + std::to_string(k.parallel) + " threads; expected 1 to " +
                      std::to_string(kMaxArgon2Parallel));
}

// libcryptsetup encrypts a keyslot area with the segment's cipher and key
// size when the segment has no integrity, otherwise with aes-xts-plain64 and
// a 512-bit key; cvfs accepts those two and nothing else.
bool area_allowed(const std::string& cipher, uint32_t bits, const SegmentSpec& spec) {
    if (cipher == kKeyslotAreaCipher && bits == kKeyslotAreaKeyBits) return true;
    return spec.integrity.empty() && cipher == spec.cipher && bits == spec.key_bits;
}

std::string with_area_key(const std::string& cipher, uint32_t bits) {
    return cipher + " with a " + std::to_string(bits) + "-bit area key";
}

std::string allowed_areas(const SegmentSpec& spec) {
    std::string text = with_area_key(kKeyslotAreaCipher, kKeyslotAreaKeyBits);
    if (spec.integrity.empty() && !area_allowed(spec.cipher, spec.key_bits, {}))
        text += " or " + with_area_key(spec.cipher, spec.key_bits);
    return text;
}

void check_area_cipher(const KeyslotFacts& k, const SegmentSpec& spec, Problems& out) {
    const std::string where = "keyslot " + k.id + ": ";
    if (k.area_type != "raw")
        out.push_back(where + "area type \"" + k.area_type + "\"; expected \"raw\"");
    if (!area_allowed(k.area_encryption, k.area_key_bits, spec))
        out.push_back(where + "area encryption " +
                      with_area_key(k.area_encryption.empty() ? "(none)" : k.area_encryption, k.area_key_bits) +
                      "; expected " + allowed_areas(spec));
}

void check_af(const KeyslotFacts& k, Problems& out) {
    const std::string where = "keyslot " + k.id + ": ";
    if (k.af_type != "luks1") out.push_back(where + "af type \"" + k.af_type + "\"; expected \"luks1\"");
    if (k.af_stripes != kAfStripes)
        out.push_back(where + "af stripes " + std::to_string(k.af_stripes) + "; expected " + std::to_string(kAfStripes));
    if (!strong_hash(k.af_hash))
        out.push_back(where + "af hash " + (k.af_hash.empty() ? "(none)" : k.af_hash) + "; expected " + kHashesText);
}

void check_keyslot(const KeyslotFacts& k, const HeaderFacts& f, const SegmentSpec& spec, Problems& out) {
    const std::string where = "keyslot " + k.id + ": ";
    if (k.type != "luks2") out.push_back(where + "type \"" + k.type + "\"; expected \"luks2\"");
    uint64_t begin = 2 * f.metadata_size, end = begin + f.keyslots_size;
    if (k.area_offset < begin || k.area_size > end || k.area_offset > end - k.area_size || k.area_size == 0)
        out.push_back(where + "area at byte " + std::to_string(k.area_offset) + " of size " +
                      std::to_string(k.area_size) + "; expected inside the keyslots area [" + std::to_string(begin) +
                      ", " + std::to_string(end) + ")");
    check_area_cipher(k, spec, out);
    check_af(k, out);
    check_kdf(k, out);
}

bool overlaps(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size) {
    return a < b + b_size && b < a + a_size;
}

void check_keyslots(const HeaderFacts& f, const LuksParams& expected, Problems& out) {
    const SegmentSpec spec = segment_spec(expected);
    for (const auto& k : f.keyslots) check_keyslot(k, f, spec, out);
    for (size_t i = 0; i < f.keyslots.size(); ++i) {
        const KeyslotFacts& a = f.keyslots[i];
        for (size_t j = i + 1; j < f.keyslots.size(); ++j) {
            const KeyslotFacts& b = f.keyslots[j];
            if (overlaps(a.area_offset, a.area_size, b.area_offset, b.area_size))
                out.push_back("keyslots " + a.id + " and " + b.id + " share bytes of their areas; expected apart");
        }
        for (const auto& s : f.segments)
            if (a.area_offset + a.area_size > s.offset)
                out.push_back("keyslot " + a.id + ": area reaches byte " + std::to_string(a.area_offset + a.area_size) +
                              ", past the start of segment " + s.id + " at " + std::to_string(s.offset));
    }
}

void check_digests(const HeaderFacts& f, Problems& out) {
    for (const auto& d : f.digests) {
        if (d.type != "pbkdf2") out.push_back("digest " + d.id + ": type " + d.type + "; expected pbkdf2");
        else check_pbkdf2("digest " + d.id + ": ", d.hash, d.iterations, out);
    }
}

void check_tokens(const HeaderFacts& f, PolicyFindings& findings) {
    int cvfs_tokens = 0;
    for (const auto& t : f.tokens) {
        if (t.type == "cvfs") ++cvfs_tokens;
        else findings.warnings.push_back("token " + t.id + " has type \"" + t.type + "\", which cvfs does not use");
    }
    if (cvfs_tokens > 1)
        findings.problems.push_back("the header has " + std::to_string(cvfs_tokens) + " cvfs tokens; expected at most 1");
}

}  // namespace

uint32_t argon2_memory_ceiling_kb() {
    const long pages = ::sysconf(_SC_PHYS_PAGES), page_size = ::sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page_size <= 0) return kMaxArgon2MemoryKb;
    const uint64_t half_kb = static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size) / 1024 / 2;
    return static_cast<uint32_t>(std::min<uint64_t>(kMaxArgon2MemoryKb, half_kb));
}

SegmentSpec segment_spec(const LuksParams& params) {
    switch (params.integrity) {
        case IntegrityMode::None: return {params.cipher, params.key_bits, ""};
        case IntegrityMode::HmacSha256: return {params.cipher, params.key_bits + 256, "hmac(sha256)"};
        case IntegrityMode::Aead:
            if (is_aead_cipher(params.cipher)) return {params.cipher, params.key_bits, "aead"};
            return {"aes-gcm-random", 256, "aead"};
    }
    return {params.cipher, params.key_bits, ""};
}

PolicyFindings check_header_policy(const HeaderFacts& f, const LuksParams& expected) {
    PolicyFindings findings;
    Problems& out = findings.problems;
    if (f.format != "LUKS2") out.push_back("the header is " + f.format + "; expected LUKS2");
    for (const auto& r : f.mandatory_requirements)
        out.push_back("the header requires \"" + r + "\"; expected no requirements");
    check_segments(f, expected, out);
    check_keyslots(f, expected, out);
    if (f.keyslots.empty()) out.push_back("the header has no keyslots; expected at least 1");
    check_digests(f, out);
    check_tokens(f, findings);
    return findings;
}

void enforce_header_policy(const HeaderFacts& facts, const LuksParams& expected, const std::string& device) {
    PolicyFindings findings = check_header_policy(facts, expected);
    for (const auto& w : findings.warnings) log(LogLevel::Warning, "LUKS2 header of " + device + ": " + w);
    if (findings.problems.empty()) return;
    std::string message = "the LUKS2 header of " + device + " is refused: ";
    for (size_t i = 0; i < findings.problems.size(); ++i) message += (i ? "; " : "") + findings.problems[i];
    // A sound header of a tool cvfs takes volumes over from differs only in
    // parameters cvfs does not write for this configuration: not damage.
    if (auto profile = match_foreign_profile(facts))
        throw Error(ErrorKind::Header, message,
                    "these are parameters cvfs does not write itself for this configuration, in a sound header as " +
                        profile->maker + " writes it (" + describe(profile->params) + "): to take the volume over, "
                        "put " + luks_lines_for(profile->params, expected) +
                        " in its volume file and run `cvfs adopt` on it (docs/migrating.md)");
    throw Error(ErrorKind::Header, message,
                "the header is damaged or was tampered with: neither cvfs nor a tool it takes volumes over from "
                "writes such a header. Do not use the volume "
                "until its header is restored from a trusted backup or the volume is re-created");
}

}  // namespace cvfs
