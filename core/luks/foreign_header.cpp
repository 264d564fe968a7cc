// The allow-list for other tools' LUKS2 volumes (see foreign_header.h).
#include "luks/foreign_header.h"

#include "luks/crypt_handle.h"
#include "luks/header_policy.h"
#include "luks/keyslot_parts.h"

#include <libcryptsetup.h>

namespace cvfs {

namespace {

LuksParams xts512(uint32_t sector_size, IntegrityMode integrity) {
    LuksParams params;
    params.cipher = "aes-xts-plain64";
    params.key_bits = 512;
    params.sector_size = sector_size;
    params.integrity = integrity;
    return params;
}

// The parameters the header declares, when they are a known tool's.
std::optional<ForeignProfile> profile_of(const HeaderFacts& f) {
    if (f.cipher != "aes-xts-plain64") return std::nullopt;
    const bool cryptpilot = f.subsystem == kCryptpilotSubsystem || f.subsystem == kCryptpilotInitializing;
    if (cryptpilot) {
        if (f.sector_size != 4096) return std::nullopt;
        if (f.integrity.empty() && f.volume_key_bits == 512)
            return ForeignProfile{"cryptpilot", xts512(4096, IntegrityMode::None)};
        if (f.integrity == "hmac(sha256)" && f.volume_key_bits == 768)
            return ForeignProfile{"cryptpilot", xts512(4096, IntegrityMode::HmacSha256)};
        return std::nullopt;
    }
    if (f.subsystem == "cvfs" || !f.integrity.empty() || f.volume_key_bits != 512) return std::nullopt;
    if (f.sector_size != 512 && f.sector_size != 4096) return std::nullopt;
    return ForeignProfile{"Intel's create_encrypted_vfs.sh or cryptsetup luksFormat",
                          xts512(f.sector_size, IntegrityMode::None)};
}

}  // namespace

std::optional<ForeignProfile> match_foreign_profile(const HeaderFacts& facts) {
    auto profile = profile_of(facts);
    if (!profile) return std::nullopt;
    // Sound by every other rule (KDF bounds, areas, digests, one segment after the keyslots).
    if (!check_header_policy(facts, profile->params).problems.empty()) return std::nullopt;
    return profile;
}

std::string luks_lines_for(const LuksParams& needed, const LuksParams& configured) {
    std::string luks;
    auto add = [&](const std::string& line) { luks += (luks.empty() ? "" : ", ") + line; };
    if (needed.cipher != configured.cipher) add("cipher = \"" + needed.cipher + "\"");
    if (needed.key_bits != configured.key_bits) add("key_size = " + std::to_string(needed.key_bits));
    if (needed.sector_size != configured.sector_size) add("sector_size = " + std::to_string(needed.sector_size));
    std::string lines = luks.empty() ? "" : "`" + luks + "` in [luks]";
    if (needed.integrity != configured.integrity)
        lines += std::string(lines.empty() ? "" : " and ") + "`integrity = " +
                 (needed.integrity == IntegrityMode::None ? "false" : "true") + "` (before any table)";
    return lines;
}

std::string describe(const LuksParams& params) {
    return params.cipher + ", " + std::to_string(params.key_bits) + "-bit key, " +
           std::to_string(params.sector_size) + "-byte sectors, " +
           (params.integrity == IntegrityMode::None ? std::string("no integrity")
                                                    : std::string("integrity ") + to_string(params.integrity));
}

std::optional<ForeignHeader> inspect_foreign_header(const std::string& device) {
    CryptLock lock;
    try {
        CryptHandle handle = CryptHandle::open(device);
        handle.load_luks2(device);
        HeaderFacts facts = read_header_facts(handle.get(), device);
        ForeignHeader header;
        header.subsystem = facts.subsystem;
        header.has_cvfs_token = find_cvfs_token(handle.get()) != CRYPT_ANY_TOKEN;
        header.profile = match_foreign_profile(facts);
        return header;
    } catch (const Error&) {
        return std::nullopt;
    }
}

}  // namespace cvfs
