// The LUKS2 token of type "cvfs" that cvfs writes into every volume it makes.
//
// It records how the volume was made (name, key provider, fs maker), whether
// initialisation finished (a volume whose fs was never made stays
// Initializing), and the provider's own values (sealed blobs, key ids) that
// plugins read and write through the host services. The token is plain,
// unauthenticated header metadata: nothing in it may be trusted for security
// decisions, only for bookkeeping. The one exception is the rollback record
// (generation, counter): it carries an HMAC keyed from the volume key, checked
// after unlock (luks/rollback_mac.h), and is trusted only once that holds.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cvfs {

enum class TokenState { Initializing, Ready };

// "initializing", "ready".
const char* to_string(TokenState state);

inline constexpr const char* kCvfsTokenType = "cvfs";

struct CvfsToken {
    TokenState state = TokenState::Initializing;
    std::string volume;      // volume name at init
    std::string provider;    // key provider plugin name
    std::string fs;          // fs maker name, may be empty
    std::string created_by;  // "cvfs 0.1.0"
    std::map<std::string, std::string> provider_data;  // the provider's own values

    // Rollback record of a persistent volume; absent in tokens written before it existed.
    // The generation goes up by one at each open; `generation_mac` (64 hex digits) is
    // the HMAC-SHA256 over the LUKS UUID, the generation and the counter's kind and index.
    std::optional<uint64_t> generation;
    std::string generation_mac;
    std::string counter;        // "none", "tpm", "secretd"; empty when there is no record
    std::string counter_index;  // the counter's id at its keeper (TPM: "0x01c8xxxx"), may be empty

    // {"type":"cvfs","keyslots":["<keyslot>"],"state":...}: what crypt_token_json_set takes.
    std::string to_json(int keyslot) const { return to_json(std::vector<int>{keyslot}); }
    // The same naming several keyslots: the first is the provider's current one,
    // the others are old keyslots a reseal is removing (see keyslot_rotation.h).
    std::string to_json(const std::vector<int>& keyslots) const;
    // Parses a token's JSON. Throws cvfs::Error(ErrorKind::Header) naming what is wrong.
    static CvfsToken from_json(const std::string& json);
};

// The keyslots a token's JSON names ("keyslots":["0"]), as numbers. Throws
// Header when they are not a list of keyslot numbers.
std::vector<int> token_keyslots(const std::string& json);

}  // namespace cvfs
