// libcryptsetup's external token handler for the LUKS2 token type "cvfs".
//
// libcryptsetup (cryptsetup open, systemd-cryptsetup, crypttab) calls
// cryptsetup_token_open when it meets a "cvfs" token. The handler finds the
// volume's cvfs configuration by the header's label (cvfs labels every header
// with the volume name) among the volume files of /etc/cvfs (or of the folder
// in CVFS_TOKEN_CONFDIR), checks the header libcryptsetup loaded and a fresh
// copy of it from the device against the allow-list, and only then asks the
// volume's key provider for the keyslot secret, which it hands back in a
// locked buffer that cryptsetup_token_buffer_free wipes.
//
// Inside this handler libcryptsetup is the caller and stays in its own call
// while ours run; every libcryptsetup call made here still holds the core's
// CryptLock, as everywhere in the engine (a provider may run threads of its
// own). Nothing is thrown across the C boundary.
#include <libcryptsetup.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <string>

#include "base/error.h"
#include "base/log.h"
#include "luks/crypt_handle.h"
#include "luks/cvfs_token.h"
#include "luks/header_facts.h"
#include "luks/header_policy.h"
#include "volume/engine.h"

namespace {

using namespace cvfs;

void install_log_sink() {
    static std::once_flag once;
    std::call_once(once, [] {
        // Under systemd-cryptsetup@.service stderr is the journal: each line
        // then carries its priority (log.h).
        const bool journal = stderr_is_journal();
        set_log_sink([journal](LogLevel level, const std::string& message) {
            if (level == LogLevel::Debug) return;
            std::cerr << format_log_line("cvfs token", level, message, journal) << "\n";
        });
    });
}

std::string confdir() {
    const char* dir = std::getenv("CVFS_TOKEN_CONFDIR");
    return dir && *dir ? dir : CVFS_DEFAULT_CONFDIR;
}

std::string text_or_empty(const char* s) { return s ? s : ""; }

// The negative errno libcryptsetup expects for each kind of failure.
int errno_of(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::Busy:
        case ErrorKind::Locked: return -EBUSY;
        case ErrorKind::Device: return -EAGAIN;  // "needs hardware not present"
        case ErrorKind::Config: return -ENOENT;
        default: return -EPERM;
    }
}

// The configured volume this header belongs to. The label and the token are
// unauthenticated: they only pick the configuration, whose allow-list and
// token checks then decide.
const VolumeConfig& find_volume(const Engine& engine, const std::string& label, const CvfsToken& token,
                                const std::string& uuid, const std::string& device) {
    const std::string name = label.empty() ? token.volume : label;
    if (!label.empty() && label != token.volume)
        throw Error(ErrorKind::Header,
                    device + " (UUID " + uuid + "): its LUKS2 label '" + label + "' and its cvfs token's volume '" +
                        token.volume + "' differ",
                    "the header was changed after cvfs made it; check it with `cvfs show`");
    if (const VolumeConfig* volume = engine.config().find(name)) return *volume;
    std::string why;
    for (const auto& problem : engine.config().problems) why += "; " + problem.message;
    throw Error(ErrorKind::Config,
                device + " (UUID " + uuid + ", label '" + name + "'): no volume '" + name +
                    "' is configured in " + confdir() + "/volumes" + why,
                "add its volume file (cvfs-volume(5)), or set CVFS_TOKEN_CONFDIR to the configuration folder");
}

int open_token(crypt_device* cd, int token_id, char** buffer, size_t* buffer_len) noexcept {
    install_log_sink();
    std::string device = "the device";
    try {
        std::string json, label, uuid;
        {
            CryptLock lock;
            const char* text = nullptr;
            if (crypt_token_json_get(cd, token_id, &text) < 0 || !text) return -EINVAL;
            json = text;
            label = text_or_empty(crypt_get_label(cd));
            uuid = text_or_empty(crypt_get_uuid(cd));
            const char* metadata = crypt_get_metadata_device_name(cd);
            device = text_or_empty(metadata ? metadata : crypt_get_device_name(cd));
        }
        const CvfsToken token = CvfsToken::from_json(json);
        EngineOptions options;
        options.confdir = confdir();
        Engine engine(options);
        const VolumeConfig& volume = find_volume(engine, label, token, uuid, device);
        {
            // The header libcryptsetup loaded, the one its keyslot is unlocked
            // from; unlock_secret checks a fresh copy from the device as well.
            CryptLock lock;
            enforce_header_policy(read_header_facts(cd, device), volume.luks, device);
        }
        SecureBuffer secret = engine.unlock_secret(volume, device);
        void* out = std::malloc(secret.size() ? secret.size() : 1);
        if (!out) return -ENOMEM;
        mlock(out, secret.size());
        std::memcpy(out, secret.data(), secret.size());
        *buffer = static_cast<char*>(out);
        *buffer_len = secret.size();
        log(LogLevel::Info, "volume '" + volume.name + "': key provider " + volume.key_provider.name +
                                " released the key for " + device);
        return 0;
    } catch (const Error& e) {
        log(LogLevel::Error, std::string(e.what()) + (e.hint().empty() ? "" : " (" + e.hint() + ")"));
        return errno_of(e.kind());
    } catch (const std::exception& e) {
        log(LogLevel::Error, device + ": " + e.what());
        return -EINVAL;
    } catch (...) {
        return -EINVAL;
    }
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) int cryptsetup_token_open(crypt_device* cd, int token, char** buffer,
                                                                 size_t* buffer_len, void* /*usrptr*/) {
    return open_token(cd, token, buffer, buffer_len);
}

// A PIN the caller typed is not used: the key provider asks for its own
// (e.g. the tpm provider's PIN from its configured source).
__attribute__((visibility("default"))) int cryptsetup_token_open_pin(crypt_device* cd, int token, const char* pin,
                                                                     size_t pin_size, char** buffer,
                                                                     size_t* buffer_len, void* /*usrptr*/) {
    if (pin && pin_size) {
        install_log_sink();
        log(LogLevel::Warning, "the cvfs token takes no PIN; the volume's key provider asks for its own");
    }
    return open_token(cd, token, buffer, buffer_len);
}

__attribute__((visibility("default"))) void cryptsetup_token_buffer_free(void* buffer, size_t buffer_len) {
    if (!buffer) return;
    explicit_bzero(buffer, buffer_len);
    munlock(buffer, buffer_len);
    std::free(buffer);
}

__attribute__((visibility("default"))) int cryptsetup_token_validate(crypt_device* /*cd*/, const char* json) {
    try {
        cvfs::CvfsToken::from_json(json ? json : "");
        return 0;
    } catch (...) {
        return -EINVAL;
    }
}

// Prints what the token records (never the provider's values, which may be
// sealed key material).
__attribute__((visibility("default"))) void cryptsetup_token_dump(crypt_device* cd, const char* json) {
    try {
        const cvfs::CvfsToken token = cvfs::CvfsToken::from_json(json ? json : "");
        std::string text = "\tcvfs volume: " + token.volume + "\n\tkey provider: " + token.provider +
                           "\n\tstate:       " + cvfs::to_string(token.state) + "\n\tmade by:     " +
                           token.created_by + "\n";
        std::string keys;
        for (const auto& [key, value] : token.provider_data) keys += (keys.empty() ? "" : ", ") + key;
        if (!keys.empty()) text += "\tprovider values: " + keys + "\n";
        cvfs::CryptLock lock;
        crypt_log(cd, CRYPT_LOG_NORMAL, text.c_str());
    } catch (...) {
        cvfs::CryptLock lock;
        crypt_log(cd, CRYPT_LOG_ERROR, "\tcvfs token: unreadable JSON\n");
    }
}

__attribute__((visibility("default"))) const char* cryptsetup_token_version(void) { return CVFS_VERSION; }

}  // extern "C"
