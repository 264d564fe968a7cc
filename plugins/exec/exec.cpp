// Key provider "exec": the key is what a configured command prints.
//
// cryptpilot's exec provider, for keys a site fetches or unseals with a tool
// of its own. The command runs without a shell (no word splitting, no
// globbing), with standard input /dev/null, no inherited descriptors and an
// environment of just PATH, LC_ALL=C and CVFS_VOLUME (the volume's name).
// Its standard output, byte for byte and untrimmed as cryptpilot takes it, is
// the key: it goes straight into the host's locked key buffer and is never
// logged. Its standard error is logged line by line. A command that fails,
// prints nothing, prints more than 64 KiB or outlives the volume's timeout
// gives no key (it is killed when the time is up or cvfs is interrupted).
//
// Configuration, table [encrypt.exec]:
//
//   command = "/usr/local/sbin/fetch-volume-key"
//       An absolute path, or a name looked up in
//       /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin.
//   args = ["--volume", "data0"]
//       Its arguments, each passed as it is (optional, default none).
//
// The output may be a person's passphrase (cryptpilot's template prints one),
// so the host protects the keyslot with argon2id. The command runs at every
// open and init; it must print the same key every time.
#include <cstring>
#include <string>
#include <system_error>
#include <vector>

#include "command_run.h"
#include "cvfs/key_provider.h"
#include "cvfs/plugin.hpp"

namespace {

using cvfs::sdk::Call;
using cvfs::sdk::Config;
using cvfs::sdk::Error;
using cvfs::sdk::SecretOut;
using exec_provider::CommandResult;

// The host's upper bound for a key: asked for at once, so the command runs
// only once per key even when its output is long.
constexpr size_t kMaxKeyBytes = 64 * 1024;

struct Settings {
    std::vector<std::string> argv;  // argv[0]: the resolved path
    std::string where;              // "file:line: " of command
};

Settings read_settings(const Config& config) {
    config.allow_only({"command", "args"});
    auto command = config.string("command");
    if (!command)
        throw Error(CVFS_E_INVALID_CONFIG, std::string(config.source()) + ": [" + config.table() +
                                               "] needs command = \"/path/of/the/key/command\"");
    Settings settings;
    settings.where = config.where(*config.find("command"));
    if (command->empty()) throw Error(CVFS_E_INVALID_CONFIG, settings.where + "command is empty");
    std::string path = exec_provider::resolve_command(*command);
    if (path.empty())
        throw Error(CVFS_E_INVALID_CONFIG,
                    settings.where + "command '" + *command + "' is not an executable file" +
                        (command->find('/') == std::string::npos
                             ? std::string(" in ") + exec_provider::kSearchPath + " (give its absolute path)"
                             : std::string()));
    settings.argv.push_back(path);
    for (auto& arg : config.strings("args")) settings.argv.push_back(arg);
    return settings;
}

// Logs the command's standard error, one line per log line.
void log_errors(Call& call, const std::string& command, const std::string& errors, int level) {
    size_t start = 0;
    while (start < errors.size()) {
        size_t end = errors.find('\n', start);
        if (end == std::string::npos) end = errors.size();
        if (end > start) call.log(level, command + ": " + errors.substr(start, end - start));
        start = end + 1;
    }
}

std::string last_line(const std::string& errors) {
    size_t end = errors.find_last_not_of('\n');
    if (end == std::string::npos) return {};
    size_t start = errors.rfind('\n', end);
    return errors.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
}

class Exec {
public:
    explicit Exec(const cvfs::sdk::Host&) {}

    void check_config(Call& call) { read_settings(call.config()); }

    void get_key(Call& call, uint32_t, SecretOut& out) {
        Settings s = read_settings(call.config());
        if (out.capacity() < kMaxKeyBytes) out.set_length(kMaxKeyBytes);  // the host retries with that much
        const std::string& command = s.argv.front();
        CommandResult result;
        try {
            result = exec_provider::run_command(
                s.argv, {"CVFS_VOLUME=" + std::string(call.volume())}, out.data(), kMaxKeyBytes,
                [&] { return call.remaining_ms(); }, [&] { return call.cancelled(); });
        } catch (const std::system_error& e) {
            throw Error(CVFS_E_UNAVAILABLE, s.where + "cannot run " + command + ": " + e.what());
        }
        const bool ok = result.end == CommandResult::End::Exited && result.code == 0 && result.output_length > 0;
        log_errors(call, command, result.errors, ok ? CVFS_LOG_INFO : CVFS_LOG_WARNING);
        if (!ok) std::memset(out.data(), 0, result.output_length);
        const std::string said = last_line(result.errors).empty() ? "" : " (it said: " + last_line(result.errors) + ")";
        switch (result.end) {
        case CommandResult::End::Cancelled:
            throw Error(CVFS_E_CANCELLED, command + " was stopped: cvfs was interrupted");
        case CommandResult::End::TimedOut:
            throw Error(CVFS_E_DEADLINE_EXCEEDED,
                        command + " did not finish within the volume's timeout and was killed" + said);
        case CommandResult::End::TooMuchOutput:
            throw Error(CVFS_E_PERMISSION_DENIED, command + " printed more than " + std::to_string(kMaxKeyBytes) +
                                                      " bytes, more than a key; it was killed");
        case CommandResult::End::Signalled:
            throw Error(CVFS_E_UNAVAILABLE,
                        command + " was killed by signal " + std::to_string(result.code) + said);
        case CommandResult::End::Exited:
            break;
        }
        if (result.code != 0)
            throw Error(CVFS_E_UNAVAILABLE, command + " failed with exit status " + std::to_string(result.code) + said);
        if (result.output_length == 0)
            throw Error(CVFS_E_NOT_FOUND, command + " printed no key on its standard output" + said);
        out.set_length(result.output_length);
    }
};

}  // namespace

CVFS_KEY_PROVIDER_PLUGIN(Exec, "exec", "0.1.0", "cvfs", "Key printed by a configured command",
                         CVFS_CAP_HUMAN_SECRET | CVFS_CAP_THREAD_SAFE)
