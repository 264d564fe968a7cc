// The allow-list for LUKS2 volumes other tools made, which `cvfs adopt` takes
// over and cvfs tells apart from damaged or tampered headers.
//
// A header cvfs did not write is accepted as another tool's only when it is
// sound by every rule of the cvfs allow-list (header_policy.h) for the
// parameters it declares, and those parameters are ones a known tool writes:
//
//   Intel's create_encrypted_vfs.sh and cryptsetup luksFormat's defaults:
//     aes-xts-plain64, 512-bit key, 512- or 4096-byte sectors, no integrity
//   cryptpilot (subsystem "cryptpilot", or "cryptpilot-initializing" while
//     its init runs): aes-xts-plain64, 4096-byte sectors, a 512-bit key, or
//     768 bits with hmac(sha256) integrity
//
// Keyslots must keep the KDF bounds of the allow-list (argon2id as those
// tools write it, within the memory this machine can give).
#pragma once

#include "config/volume_config.h"
#include "luks/header_facts.h"

#include <optional>
#include <string>

namespace cvfs {

inline constexpr const char* kCryptpilotSubsystem = "cryptpilot";
inline constexpr const char* kCryptpilotInitializing = "cryptpilot-initializing";

struct ForeignProfile {
    std::string maker;   // "cryptpilot", "Intel's create_encrypted_vfs.sh or cryptsetup luksFormat"
    LuksParams params;   // what the volume file's [luks] must say for it
};

// The known tool whose parameters `facts` (with the binary header's
// `subsystem`) has, when the header is also sound for them; else nothing.
std::optional<ForeignProfile> match_foreign_profile(const HeaderFacts& facts);

// The [luks] lines a volume file needs so that `configured` becomes `needed`,
// e.g. "sector_size = 512"; empty when they agree.
std::string luks_lines_for(const LuksParams& needed, const LuksParams& configured);

// "aes-xts-plain64, 512-bit key, 512-byte sectors, no integrity".
std::string describe(const LuksParams& params);

struct ForeignHeader {
    std::string subsystem;
    bool has_cvfs_token = false;
    std::optional<ForeignProfile> profile;  // nothing: not a sound header of a known tool
};

// Reads the header on `device` without trusting it for anything but this
// description. Nothing when libcryptsetup cannot load it.
std::optional<ForeignHeader> inspect_foreign_header(const std::string& device);

}  // namespace cvfs
