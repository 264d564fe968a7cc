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
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "cvfs/plugin.hpp"
#include "cvfs/secret_file.hpp"
#include "cvfs/unique_fd.hpp"

namespace {

using cvfs::sdk::Call;
using cvfs::sdk::Config;
using cvfs::sdk::Error;
using cvfs::sdk::UniqueFd;
using cvfs::sdk::SecretOut;

constexpr size_t kMaxPassphrase = 8192;

std::string errno_text() { return std::strerror(errno); }

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

// The controlling terminal with echo turned off while the object lives.
class SilentTerminal {
public:
    explicit SilentTerminal(const Call& call) : fd_(open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) {
        if (fd_.get() < 0)
            throw Error(CVFS_E_NOT_SUPPORTED,
                        "no terminal to ask for the passphrase of volume '" + std::string(call.volume()) +
                            "' (/dev/tty: " + errno_text() +
                            "); run cvfs from a terminal, or use key_file in [encrypt.passphrase]");
        if (tcgetattr(fd_.get(), &saved_) != 0)
            throw Error(CVFS_E_NOT_SUPPORTED, "/dev/tty is not a terminal: " + errno_text());
        termios silent = saved_;
        silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        silent.c_lflag |= ECHONL;  // the Enter key still moves to the next line
        if (tcsetattr(fd_.get(), TCSAFLUSH, &silent) != 0)
            throw Error(CVFS_E_UNAVAILABLE, "cannot turn off echo on /dev/tty: " + errno_text());
    }
    SilentTerminal(const SilentTerminal&) = delete;
    SilentTerminal& operator=(const SilentTerminal&) = delete;
    ~SilentTerminal() { tcsetattr(fd_.get(), TCSAFLUSH, &saved_); }

    void say(const std::string& text) const {
        if (write(fd_.get(), text.data(), text.size()) < 0)
            throw Error(CVFS_E_UNAVAILABLE, "cannot write to /dev/tty: " + errno_text());
    }

    // Reads one line into `data` (without its newline) and returns its length.
    size_t read_line(uint8_t* data, size_t capacity) const {
        size_t length = 0;
        for (;;) {
            uint8_t byte = 0;
            ssize_t n = read(fd_.get(), &byte, 1);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw Error(CVFS_E_UNAVAILABLE, "cannot read /dev/tty: " + errno_text());
            if (n == 0 || byte == '\n') break;
            if (length == capacity) {
                explicit_bzero(&byte, sizeof byte);
                throw Error(CVFS_E_INVALID_ARGUMENT,
                            "passphrase longer than " + std::to_string(capacity) + " bytes");
            }
            data[length++] = byte;
            explicit_bzero(&byte, sizeof byte);
        }
        if (length == 0) throw Error(CVFS_E_INVALID_ARGUMENT, "empty passphrase");
        return length;
    }

private:
    UniqueFd fd_;
    termios saved_{};
};

// A locked buffer of the host, released (and wiped) when the object goes.
class ScratchSecret {
public:
    ScratchSecret(const Call& call, size_t size) : services_(call.services()) {
        if (services_->secret_alloc(size, &secret_) != CVFS_OK)
            throw Error(CVFS_E_UNAVAILABLE, "cannot get locked memory for the passphrase");
    }
    ScratchSecret(const ScratchSecret&) = delete;
    ScratchSecret& operator=(const ScratchSecret&) = delete;
    ~ScratchSecret() { services_->secret_free(&secret_); }
    cvfs_secret& get() { return secret_; }

private:
    const cvfs_host_services* services_;
    cvfs_secret secret_{};
};

// Compares without an early exit, so timing says nothing about the content.
bool same_bytes(const uint8_t* a, const uint8_t* b, size_t size) {
    uint8_t difference = 0;
    for (size_t i = 0; i < size; ++i) difference |= static_cast<uint8_t>(a[i] ^ b[i]);
    return difference == 0;
}

void prompt_passphrase(const Call& call, uint32_t purpose, SecretOut& out) {
    if (out.capacity() < kMaxPassphrase) out.set_length(kMaxPassphrase);  // throws: too small
    std::string volume(call.volume());
    SilentTerminal tty(call);
    tty.say("Passphrase for volume " + volume + ": ");
    size_t length = tty.read_line(out.data(), kMaxPassphrase);
    if (purpose == CVFS_KEY_PURPOSE_ENROL) {
        ScratchSecret again(call, kMaxPassphrase);
        tty.say("Repeat the passphrase for volume " + volume + ": ");
        size_t again_length = tty.read_line(again.get().data, kMaxPassphrase);
        if (again_length != length || !same_bytes(out.data(), again.get().data, length))
            throw Error(CVFS_E_PERMISSION_DENIED,
                        "the two passphrases for volume " + volume + " differ; nothing was changed");
    }
    out.set_length(length);
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
