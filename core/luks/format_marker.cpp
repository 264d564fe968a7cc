// Reading the mark of an init that was stopped early (see format_marker.h).
#include "luks/format_marker.h"

#include "luks/crypt_handle.h"
#include "luks/keyslot_parts.h"

#include <libcryptsetup.h>

namespace cvfs {

std::optional<FormatMarker> read_format_marker(const std::string& device) {
    CryptLock lock;
    try {
        CryptHandle handle = CryptHandle::open(device);
        handle.load_luks2(device);
        crypt_device* cd = handle.get();
        FormatMarker marker;
        const char* label = crypt_get_label(cd);
        const char* subsystem = crypt_get_subsystem(cd);
        marker.label = label ? label : "";
        marker.subsystem = subsystem ? subsystem : "";
        const int max = crypt_keyslot_max(CRYPT_LUKS2);
        for (int slot = 0; slot < max; ++slot) {
            crypt_keyslot_info info = crypt_keyslot_status(cd, slot);
            if (info == CRYPT_SLOT_ACTIVE || info == CRYPT_SLOT_ACTIVE_LAST) ++marker.keyslots;
        }
        marker.has_cvfs_token = find_cvfs_token(cd) != CRYPT_ANY_TOKEN;
        return marker;
    } catch (const Error&) {
        return std::nullopt;
    }
}

}  // namespace cvfs
