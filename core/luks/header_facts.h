// HeaderFacts: what a LUKS2 header says, in the terms the allow-list checks.
//
// Facts are read from a loaded header through libcryptsetup's getters where it
// has one (cipher, key size, sector size, integrity, keyslot KDF, encryption
// and area, data offset) and from the header's JSON (crypt_dump_json) for the
// rest: the list of segments, keyslot types, digests and tokens. They can also
// be read from JSON text alone, so the policy can be checked on headers that
// libcryptsetup itself would not load.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

struct crypt_device;

namespace cvfs {

struct SegmentFacts {
    std::string id;
    std::string type;        // "crypt"
    uint64_t offset = 0;     // bytes
    std::string size;        // "dynamic" or a byte count
    std::string encryption;  // "aes-xts-plain64"
    uint32_t sector_size = 0;
    std::string integrity;   // "" (none), "hmac(sha256)", "aead"
};

struct KeyslotFacts {
    std::string id;
    std::string type;        // "luks2"
    uint32_t key_bits = 0;   // size of the key the keyslot stores
    uint64_t area_offset = 0;
    uint64_t area_size = 0;
    std::string area_type;   // "raw"
    std::string area_encryption;
    uint32_t area_key_bits = 0;
    std::string af_type;     // anti-forensic splitter: "luks1"
    uint32_t af_stripes = 0;
    std::string af_hash;
    std::string kdf;         // "pbkdf2", "argon2i", "argon2id"
    std::string kdf_hash;    // pbkdf2 only
    uint32_t iterations = 0; // pbkdf2 iterations, or argon2 time cost
    uint32_t memory_kb = 0;  // argon2 only
    uint32_t parallel = 0;   // argon2 only
};

struct DigestFacts {
    std::string id;
    std::string type;        // "pbkdf2"
    std::string hash;
    uint32_t iterations = 0;
};

struct TokenFacts {
    std::string id;
    std::string type;
};

struct HeaderFacts {
    std::string format = "LUKS2";  // crypt_get_type
    std::string subsystem;         // of the binary header (crypt_get_subsystem); "" from JSON alone
    uint64_t metadata_size = 0;    // one binary header + JSON area, bytes
    uint64_t keyslots_size = 0;    // the keyslots area after both metadata copies
    std::string cipher;            // of the default segment, "aes-xts-plain64"
    uint32_t volume_key_bits = 0;  // including the integrity key
    uint32_t sector_size = 0;
    std::string integrity;         // "" (none), "hmac(sha256)", "aead"
    uint64_t data_offset = 0;      // bytes
    std::vector<std::string> mandatory_requirements;
    std::vector<SegmentFacts> segments;
    std::vector<KeyslotFacts> keyslots;
    std::vector<DigestFacts> digests;
    std::vector<TokenFacts> tokens;
};

// Facts from LUKS2 JSON metadata text alone. Throws Header when it is not
// LUKS2 JSON metadata.
HeaderFacts header_facts_from_json(const std::string& json);

// Facts from a header loaded in `cd`: the JSON, overridden by the getters.
HeaderFacts read_header_facts(crypt_device* cd, const std::string& device);

}  // namespace cvfs
