// `cvfs reseal`: give a persistent volume a new machine key without
// reformatting it, e.g. after an intended change of the PCRs a TPM-sealed key
// is bound to (firmware, boot loader, kernel), or to move a volume to another
// key provider.
//
// The old key proves the right to change the header: the provider unlocks as
// at open (the PCRs still match), or the operator gives the passphrase of
// another keyslot in a root-only file (a recovery key) when the provider can
// no longer unlock. The provider then enrols a new key (a TPM seals a fresh
// secret to today's PCRs), and rotate_keyslot swaps the keyslots and rewrites
// the cvfs token with the provider's new values. Works for every provider
// that is not temporary; the header is checked against the allow-list before
// and after. Nothing is mapped, so it works with the volume open or closed.
#include <cvfs/key_provider.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "base/error.h"
#include "base/log.h"
#include "luks/keyslot_rotation.h"
#include "luks/luks_volume.h"
#include "luks/takeover_header.h"
#include "volume/engine.h"
#include "volume/engine_parts.h"
#include "volume/volume_lock.h"

namespace cvfs {

namespace {

constexpr size_t kMaxRecoveryKey = 8192;

// The passphrase of another keyslot, read whole from a root-only file (every
// byte counts, as with cryptsetup --key-file).
SecureBuffer read_recovery_key(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        throw Error(ErrorKind::Key, "cannot open the recovery key file " + path + ": " + errno_text(errno));
    struct stat st {};
    SecureBuffer key;
    try {
        if (::fstat(fd, &st) != 0) throw Error(ErrorKind::System, "cannot stat " + path + ": " + errno_text(errno));
        mode_t mode = st.st_mode & 07777;
        if (!S_ISREG(st.st_mode) || (st.st_uid != 0 && st.st_uid != ::geteuid()) || (mode != 0600 && mode != 0400))
            throw Error(ErrorKind::Key, "the recovery key file " + path + " may be read or replaced by others",
                        "it must be a regular file owned by root with mode 0600 or 0400: chmod 600 " + path);
        if (st.st_size < 1 || static_cast<size_t>(st.st_size) > kMaxRecoveryKey)
            throw Error(ErrorKind::Key, "the recovery key file " + path + " holds " + std::to_string(st.st_size) +
                                            " bytes; expected 1 to " + std::to_string(kMaxRecoveryKey));
        key = SecureBuffer(static_cast<size_t>(st.st_size));
        size_t done = 0;
        while (done < key.capacity()) {
            ssize_t n = ::read(fd, key.data() + done, key.capacity() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) throw Error(ErrorKind::Key, "cannot read the recovery key file " + path);
            done += static_cast<size_t>(n);
        }
        key.resize(done);
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);
    return key;
}

// The header's cvfs token, which must say the volume is ready.
CvfsToken ready_token(const VolumeConfig& volume, const std::optional<CvfsToken>& token) {
    if (!token)
        throw Error(ErrorKind::Header, "volume '" + volume.name + "': " + volume.dev + " holds a LUKS2 volume not made by cvfs",
                    "check `dev` in " + volume.file);
    if (token->volume != volume.name)  // another volume's header and data swapped in
        throw Error(ErrorKind::Header,
                    "volume '" + volume.name + "': " + volume.dev + " holds another cvfs volume: its token names '" +
                        token->volume + "'",
                    "check `dev` in " + volume.file + " and what was written to " + volume.dev);
    if (token->state != TokenState::Ready)
        throw Error(ErrorKind::State, "volume '" + volume.name + "': its init was interrupted",
                    "run `cvfs init " + volume.name + "` to finish it");
    return *token;
}

// The provider's current key, as open would get it.
SecureBuffer provider_unlock(const VolumeConfig& volume, const KeyProvider& provider,
                             std::chrono::steady_clock::time_point deadline, const CvfsToken& token,
                             const std::atomic<bool>* cancel) {
    if (token.provider != volume.key_provider.name)
        throw Error(ErrorKind::Key,
                    "volume '" + volume.name + "' was made with key provider '" + token.provider +
                        "', the configuration now names '" + volume.key_provider.name + "'",
                    "to move it to the new provider, run `cvfs enroll " + volume.name +
                        " --recovery-key-file FILE` with the passphrase of a recovery keyslot");
    TokenValues values = token.provider_data;
    PluginCall key_call(volume, volume.key_provider, deadline, &values, cancel);
    try {
        return provider.get_key(key_call, CVFS_KEY_PURPOSE_UNLOCK);
    } catch (const Error& e) {
        throw Error(e.kind(), e.what(),
                    "when the provider cannot unlock the volume any more, give the passphrase of another "
                    "keyslot (a recovery key, mode 0600) with --recovery-key-file FILE");
    }
}

}  // namespace

ResealResult Engine::reseal(const VolumeConfig& volume, const std::string& recovery_key_file) {
    return replace_key(volume, recovery_key_file, false);
}

ResealResult Engine::enroll(const VolumeConfig& volume, const std::string& recovery_key_file,
                            bool remove_old_keyslot) {
    return replace_key(volume, recovery_key_file, !remove_old_keyslot);
}

ResealResult Engine::replace_key(const VolumeConfig& volume, const std::string& recovery_key_file, bool keep_old) {
    Parts parts = resolve(volume);
    if (parts.key.ephemeral())
        throw Error(ErrorKind::State, "volume '" + volume.name + "' is temporary: it gets a new key at each open",
                    "there is nothing to reseal or enrol");
    VolumeLock lock(config_.global.run_dir, volume.name, parts.deadline);
    PluginCall device_call(volume, volume.device, parts.deadline, nullptr, options_.cancel);
    AttachedDevice attached(parts.device, device_call, volume.dev, false);
    if (find_mapping(volume.name)) attached.keep();  // the open volume keeps using it
    const std::string& node = attached.node();

    // One checked copy of the header: its token, the old key's proof (the
    // one KDF run, before the provider makes anything new) and the rotation.
    TakeoverHeader header = TakeoverHeader::load(node, volume.luks);
    CvfsToken token = ready_token(volume, header.token());

    const bool recovery = !recovery_key_file.empty();
    SecureBuffer old_key = recovery ? read_recovery_key(recovery_key_file)
                                    : provider_unlock(volume, parts.key, parts.deadline, token, options_.cancel);
    SecureBuffer volume_key;
    int unlocked = -1;
    try {
        volume_key = header.unlock(old_key, unlocked);
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::Key) throw;
        if (recovery)
            throw Error(ErrorKind::Key, "volume '" + volume.name + "': the key given for " + volume.dev +
                                            " opens none of its keyslots",
                        "give the passphrase of a keyslot of this volume (--recovery-key-file)");
        throw Error(ErrorKind::Key,
                    "volume '" + volume.name + "': the key from provider '" + token.provider +
                        "' does not open keyslot " + std::to_string(header.token_keyslot()) + " of " + volume.dev,
                    "give the passphrase of another keyslot (a recovery key, mode 0600) with "
                    "--recovery-key-file FILE");
    }
    old_key.reset();

    TokenValues fresh;
    PluginCall enrol_call(volume, volume.key_provider, parts.deadline, &fresh, options_.cancel);
    SecureBuffer new_key = parts.key.get_key(enrol_call, CVFS_KEY_PURPOSE_ENROL);
    token.provider = volume.key_provider.name;
    token.provider_data = fresh;
    const KdfChoice kdf = parts.key.human_secret() ? KdfChoice::HumanPassphrase : KdfChoice::MachineSecret;
    KeyslotRotation rotation = rotate_keyslot(header, volume_key, unlocked, new_key, kdf, token, keep_old);
    volume_key.reset();
    new_key.reset();
    CheckedHeader::load(node, volume.luks);  // what was written still passes the allow-list
    log(LogLevel::Info, "volume '" + volume.name + "' resealed: keyslot " + std::to_string(rotation.new_keyslot) +
                            " replaces keyslot " + std::to_string(rotation.old_keyslot));
    return ResealResult{rotation.old_keyslot, rotation.new_keyslot, keep_old};
}

int Engine::add_recovery_key(const VolumeConfig& volume, const std::string& key_file) {
    Parts parts = resolve(volume);
    if (parts.key.ephemeral())
        throw Error(ErrorKind::State, "volume '" + volume.name + "' is temporary: a recovery key would not outlive "
                                      "its next open");
    SecureBuffer recovery = read_recovery_key(key_file);
    VolumeLock lock(config_.global.run_dir, volume.name, parts.deadline);
    PluginCall device_call(volume, volume.device, parts.deadline, nullptr, options_.cancel);
    AttachedDevice attached(parts.device, device_call, volume.dev, false);
    if (find_mapping(volume.name)) attached.keep();
    const std::string& node = attached.node();
    CheckedHeader header = CheckedHeader::load(node, volume.luks);
    SecureBuffer key = provider_unlock(volume, parts.key, parts.deadline, ready_token(volume, header.token()), options_.cancel);
    int keyslot = add_keyslot(node, header.uuid(), key, recovery, KdfChoice::HumanPassphrase);
    CheckedHeader::load(node, volume.luks);
    log(LogLevel::Info, "volume '" + volume.name + "': recovery key added in keyslot " + std::to_string(keyslot));
    return keyslot;
}

}  // namespace cvfs
