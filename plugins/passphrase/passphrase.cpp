// Key provider "passphrase": a person's passphrase, from a file or the terminal.
//
// This is "mount via password" of the Intel scripts. The secret is a human
// passphrase (CVFS_CAP_HUMAN_SECRET), so the host protects its keyslot with
// argon2id instead of the minimal PBKDF2 it uses for machine keys.
//
// Configuration, table [encrypt.passphrase], exactly one of:
//
//   key_file = "/etc/cvfs/keys/data0.pass"
//       The passphrase is the raw content of the file, every byte of it: no
//       trimming, a trailing newline is part of the passphrase. Write it with
//       `printf '%s' ...` or `head -c`, not `echo`. The file must be a regular
//       file owned by root (or by the user cvfs runs as) with mode 0600 or
//       0400, and hold 1 to 8192 bytes.
//
//   prompt = true
//       Asks on the controlling terminal (/dev/tty) with echo off; a new
//       volume asks twice and both answers must match. Without a terminal
//       (boot, a service) the call is refused. The host must offer a buffer
//       of 8192 bytes, since the length is only known after the person typed.
//
// The passphrase is written straight into the host's locked buffer; the
// confirmation goes into a locked scratch buffer of the host. No copy of it
// is ever made in ordinary memory.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "cvfs/plugin.hpp"
#include "cvfs/secret_prompt.hpp"
#include "cvfs/secret_file.hpp"
#include "cvfs/unique_fd.hpp"

namespace {

using cvfs::sdk::Call;
using cvfs::sdk::Config;
using cvfs::sdk::Error;
using cvfs::sdk::UniqueFd;
using cvfs::sdk::SecretOut;

constexpr size_t kMaxPassphrase = 8192;

// What [encrypt.passphrase] asks for.
struct Settings {
    std::string key_file;  // empty when prompting
    std::string key_file_where;
    bool prompt = false;
};

Settings read_settings(const Config& config) {
    config.allow_only({"key_file", "prompt"});
    Settings settings;
    settings.prompt = config.boolean("prompt").value_or(false);
    if (auto path = config.string("key_file")) {
        settings.key_file = *path;
        settings.key_file_where = config.where(*config.find("key_file"));
        if (path->empty() || path->front() != '/')
            throw Error(CVFS_E_INVALID_CONFIG, settings.key_file_where +
                                                   "key_file must be an absolute path, got '" +
                                                   *path + "'");
    }
    bool has_file = !settings.key_file.empty();
    if (has_file == settings.prompt)
        throw Error(CVFS_E_INVALID_CONFIG,
                    std::string(config.source()) + ": [" + config.table() +
                        "] needs exactly one of key_file = \"/path\" or prompt = true" +
                        (has_file ? ", not both" : ""));
    return settings;
}

// ---- key_file ----------------------------------------------------------------

void read_key_file(const Settings& s, SecretOut& out) {
    cvfs::sdk::read_secret_file(s.key_file, s.key_file_where, out, 1, kMaxPassphrase);
}

// ---- prompt ------------------------------------------------------------------

void prompt_passphrase(const Call& call, uint32_t purpose, SecretOut& out) {
    if (out.capacity() < kMaxPassphrase) out.set_length(kMaxPassphrase);  // throws: too small
    const cvfs::sdk::SecretQuestion question{"passphrase", "use key_file in [encrypt.passphrase]"};
    out.set_length(cvfs::sdk::ask_secret(call, question, purpose, out.data(), kMaxPassphrase));
}

// ---- the plugin ----------------------------------------------------------------

class Passphrase {
public:
    explicit Passphrase(const cvfs::sdk::Host&) {}

    void check_config(Call& call) { read_settings(call.config()); }

    void get_key(Call& call, uint32_t purpose, SecretOut& out) {
        Settings settings = read_settings(call.config());
        try {
            if (settings.prompt)
                prompt_passphrase(call, purpose, out);
            else
                read_key_file(settings, out);
        } catch (const Error& e) {
            // Leave nothing of a half-read passphrase behind, but keep the
            // length the host must allocate when the buffer was too small.
            if (e.status() != CVFS_E_BUFFER_TOO_SMALL && out.data()) {
                explicit_bzero(out.data(), out.capacity());
                out.set_length(0);
            }
            throw;
        }
    }
};

}  // namespace

CVFS_KEY_PROVIDER_PLUGIN(Passphrase, "passphrase", "0.1.0", "cvfs",
                         "Passphrase from a root-only file or the terminal",
                         CVFS_CAP_HUMAN_SECRET | CVFS_CAP_INTERACTIVE)
