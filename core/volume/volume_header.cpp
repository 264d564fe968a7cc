// Engine::backup_header and Engine::restore_header: a copy of the LUKS2
// header kept elsewhere, and putting it back after the header was damaged.
//
// The header holds everything that unlocks the volume: the keyslots, and in
// the cvfs token the provider's values (a TPM-sealed key, a KMS key id). A
// damaged header makes the data unreadable even with the right provider, so
// a backup is the only way back. A restore writes what the file holds over
// the header the volume trusts, so the file is checked first as an open
// would check the header: against the allow-list, and for being this
// volume's (the same LUKS UUID as the device's header, a cvfs token naming
// this volume and provider). It is refused while the volume is mapped.
#include <sys/stat.h>

#include <cerrno>

#include "base/error.h"
#include "base/log.h"
#include "luks/luks_volume.h"
#include "volume/engine.h"
#include "volume/engine_parts.h"
#include "volume/volume_identity.h"
#include "volume/volume_lock.h"

namespace cvfs {

void Engine::backup_header(const VolumeConfig& volume, const std::string& file) {
    Parts parts = resolve(volume);
    if (parts.key.ephemeral())
        throw Error(ErrorKind::State, "volume '" + volume.name + "' is temporary: its header is made afresh at each open",
                    "there is nothing to back up");
    VolumeLock lock(config_.global.run_dir, volume.name, parts.deadline);
    PluginCall call(volume, volume.device, parts.deadline, nullptr, options_.cancel);
    const std::string path = probed_header_path(volume, parts.device, call);
    if (!has_luks_header(path))
        throw Error(ErrorKind::State, "volume '" + volume.name + "': " + volume.dev + " holds no LUKS2 header",
                    "run `cvfs init " + volume.name + "` first");
    cvfs::backup_header(path, file);
    log(LogLevel::Info, "volume '" + volume.name + "': header of " + volume.dev + " copied to " + file);
}

void Engine::restore_header(const VolumeConfig& volume, const std::string& file, bool force) {
    Parts parts = resolve(volume);
    if (parts.key.ephemeral())
        throw Error(ErrorKind::State, "volume '" + volume.name + "' is temporary: its header is made afresh at each open",
                    "there is nothing to restore");
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
        throw Error(ErrorKind::Config, "cannot read the header backup " + file + ": " +
                                           (errno ? errno_text(errno) : std::string("not a regular file")));
    VolumeLock lock(config_.global.run_dir, volume.name, parts.deadline);
    if (find_mapping(volume.name))
        throw Error(ErrorKind::State, "volume '" + volume.name + "' is open: its header cannot be replaced under it",
                    "run `cvfs close " + volume.name + "` first");
    PluginCall call(volume, volume.device, parts.deadline, nullptr, options_.cancel);
    const std::string path = probed_header_path(volume, parts.device, call);

    // The file, checked as open checks a header.
    CheckedHeader backup = [&] {
        try {
            return CheckedHeader::load(file, volume.luks);
        } catch (const Error& e) {
            throw Error(ErrorKind::Header, "the header backup " + file + " is refused: " + e.what(),
                        "give a backup made by `cvfs header backup " + volume.name + "`");
        }
    }();
    auto token = backup.token();
    if (!token)
        throw Error(ErrorKind::Header, "the header backup " + file + " has no cvfs token: it is not a cvfs volume's",
                    "give a backup made by `cvfs header backup " + volume.name + "`");
    if (auto mismatch = token_mismatch(volume, *token))
        throw Error(ErrorKind::Header, "the header backup " + file + " is not volume '" + volume.name + "''s: " + *mismatch,
                    "give the backup of this volume, or check `dev` in " + volume.file);

    // The device's header, if it can still be read, must be the same volume's.
    std::string device_uuid;
    try {
        device_uuid = read_header_summary(path).uuid;
    } catch (const Error& e) {
        if (!force)
            throw Error(ErrorKind::Refused,
                        "volume '" + volume.name + "': the header on " + volume.dev +
                            " cannot be read, so the backup cannot be compared with it: " + e.what(),
                        "if this device really holds volume '" + volume.name + "', add --force");
    }
    if (!device_uuid.empty() && device_uuid != backup.uuid())
        throw Error(ErrorKind::Header,
                    "the header backup " + file + " has LUKS UUID " + backup.uuid() + ", the header on " + volume.dev +
                        " has " + device_uuid + ": it is another volume's backup",
                    "give the backup of this volume; a backup of another volume would not open this data");
    cvfs::restore_header(path, file, device_uuid);
    CheckedHeader::load(path, volume.luks);  // what was written passes the allow-list
    log(LogLevel::Info, "volume '" + volume.name + "': header of " + volume.dev + " restored from " + file);
}

}  // namespace cvfs
