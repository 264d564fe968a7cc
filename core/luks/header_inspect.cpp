// read_header_summary and the keyless header operations (see header_inspect.h).
#include "luks/header_inspect.h"

#include <fcntl.h>
#include <libcryptsetup.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/error.h"
#include "luks/crypt_handle.h"
#include "luks/cvfs_token.h"
#include "luks/header_facts.h"
#include "luks/keyslot_parts.h"

namespace cvfs {

namespace {

CryptHandle loaded(const std::string& device) {
    CryptHandle handle = CryptHandle::open(device);
    handle.load_luks2(device);
    return handle;
}

std::vector<TokenInfo> tokens_of(const CryptHandle& handle) {
    std::vector<TokenInfo> tokens;
    for (int id = 0; id < 32; ++id) {
        const char* type = nullptr;
        crypt_token_info info = crypt_token_status(handle.get(), id, &type);
        if (info == CRYPT_TOKEN_INVALID || info == CRYPT_TOKEN_INACTIVE) continue;
        TokenInfo token;
        token.id = id;
        token.type = type ? type : "";
        const char* json = nullptr;
        if (crypt_token_json_get(handle.get(), id, &json) >= 0 && json) {
            try {
                token.keyslots = token_keyslots(json);
            } catch (const Error&) {
                // A token whose keyslot list is not numbers names none.
            }
        }
        tokens.push_back(std::move(token));
    }
    handle.take_errors();
    return tokens;
}

}  // namespace

const char* to_string(KeyslotPurpose purpose) {
    switch (purpose) {
        case KeyslotPurpose::ProviderKey:
            return "provider key";
        case KeyslotPurpose::RecoveryKey:
            return "recovery key";
        case KeyslotPurpose::Foreign:
            return "foreign";
    }
    return "unknown";
}

std::vector<int> HeaderSummary::keyslots_for(KeyslotPurpose purpose) const {
    std::vector<int> ids;
    for (const auto& slot : keyslots)
        if (slot.purpose == purpose) ids.push_back(slot.id);
    return ids;
}

HeaderSummary read_header_summary(const std::string& device) {
    CryptLock lock;
    CryptHandle handle = loaded(device);
    HeaderFacts facts = read_header_facts(handle.get(), device);
    HeaderSummary summary;
    const char* uuid = crypt_get_uuid(handle.get());
    summary.uuid = uuid ? uuid : "";
    const char* label = crypt_get_label(handle.get());
    summary.label = label ? label : "";
    summary.cipher = facts.cipher;
    summary.key_bits = facts.volume_key_bits;
    summary.sector_size = facts.sector_size;
    summary.integrity = facts.integrity;
    summary.data_offset = facts.data_offset;
    summary.tokens = tokens_of(handle);
    for (const auto& slot : facts.keyslots) {
        KeyslotInfo info;
        info.id = std::stoi(slot.id);
        info.kdf = slot.kdf;
        for (const auto& token : summary.tokens) {
            if (std::find(token.keyslots.begin(), token.keyslots.end(), info.id) == token.keyslots.end()) continue;
            info.token_id = token.id;
            info.token_type = token.type;
            info.purpose = token.type == kCvfsTokenType ? KeyslotPurpose::ProviderKey : KeyslotPurpose::Foreign;
            break;
        }
        summary.keyslots.push_back(std::move(info));
    }
    std::sort(summary.keyslots.begin(), summary.keyslots.end(),
              [](const KeyslotInfo& a, const KeyslotInfo& b) { return a.id < b.id; });
    return summary;
}

void backup_header(const std::string& device, const std::string& file) {
    // libcryptsetup refuses an existing file; make the new one root-only first.
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        throw Error(ErrorKind::System, "cannot create the header backup " + file + ": " + errno_text(errno),
                    errno == EEXIST ? "choose a file that does not exist yet" : "");
    ::close(fd);
    ::unlink(file.c_str());
    const mode_t old_mask = ::umask(077);
    CryptLock lock;
    CryptHandle handle = loaded(device);
    int rc = crypt_header_backup(handle.get(), CRYPT_LUKS2, file.c_str());
    ::umask(old_mask);
    handle.check(rc, ErrorKind::Device, "cannot back up the LUKS2 header of " + device + " to " + file);
}

void restore_header(const std::string& device, const std::string& file, const std::string& expected_uuid) {
    CryptLock lock;
    CryptHandle handle = expected_uuid.empty() ? CryptHandle::open(device) : open_same_header(device, expected_uuid);
    handle.check(crypt_header_restore(handle.get(), CRYPT_LUKS2, file.c_str()), ErrorKind::Device,
                 "cannot restore the LUKS2 header of " + device + " from " + file);
}

void destroy_keyslot(const std::string& device, const std::string& expected_uuid, int keyslot) {
    CryptLock lock;
    CryptHandle handle = open_same_header(device, expected_uuid);
    handle.check(crypt_keyslot_destroy(handle.get(), keyslot), ErrorKind::Device,
                 "cannot remove keyslot " + std::to_string(keyslot) + " of " + device);
}

int destroy_all_keyslots(const std::string& device, const std::string& expected_uuid) {
    CryptLock lock;
    CryptHandle handle = open_same_header(device, expected_uuid);
    crypt_device* cd = handle.get();
    for (const auto& token : tokens_of(handle))
        handle.check(crypt_token_json_set(cd, token.id, nullptr), ErrorKind::Device,
                     "cannot remove token " + std::to_string(token.id) + " of " + device);
    int destroyed = 0;
    const int slots = crypt_keyslot_max(CRYPT_LUKS2);
    for (int slot = 0; slot < slots; ++slot) {
        crypt_keyslot_info info = crypt_keyslot_status(cd, slot);
        if (info == CRYPT_SLOT_INACTIVE || info == CRYPT_SLOT_INVALID) continue;
        handle.check(crypt_keyslot_destroy(cd, slot), ErrorKind::Device,
                     "cannot destroy keyslot " + std::to_string(slot) + " of " + device);
        ++destroyed;
    }
    return destroyed;
}

}  // namespace cvfs
