// The HMAC that authenticates a volume's rollback record (generation and counter).
//
// The header is the host's to rewrite, so the generation it holds is worth
// something only if the host cannot forge or raise it. The key of the MAC is
// derived from the volume key (HKDF-SHA256 with a cvfs-specific label), which
// only a party that unlocked the volume knows; the MAC covers the LUKS UUID
// (a record copied from another volume does not fit), the generation and the
// counter's kind and index (a record cannot be pointed at another counter or
// at none).
#pragma once

#include "base/secure_buffer.h"

#include <cstdint>
#include <string>

namespace cvfs {

// The label HKDF derives the MAC key with; changing it invalidates every record.
inline constexpr const char* kRollbackKeyLabel = "cvfs rollback generation mac v1";

// The 32-byte MAC key, in locked memory, from the volume key. Throws System
// when the derivation fails, Key when the volume key is empty.
SecureBuffer rollback_mac_key(const SecureBuffer& volume_key);

// What the MAC covers, as the record's fields.
struct RollbackRecord {
    std::string uuid;  // the LUKS2 UUID
    uint64_t generation = 0;
    std::string counter;        // "none", "tpm", "secretd"
    std::string counter_index;  // may be empty
};

// HMAC-SHA256 of the record under `key`, as 64 lower-case hex digits.
std::string rollback_mac(const SecureBuffer& key, const RollbackRecord& record);

// Does `mac` (hex) match the record? Compared in constant time.
bool rollback_mac_matches(const SecureBuffer& key, const RollbackRecord& record, const std::string& mac);

}  // namespace cvfs
