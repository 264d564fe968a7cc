// The one error type of the core: what went wrong, where, and what to do.
//
// Core code throws cvfs::Error; the engine catches it per volume, so one bad
// volume never stops work on the others, and the CLI prints it. The message
// is for a person and never contains secret material.
#pragma once

#include <stdexcept>
#include <string>

namespace cvfs {

// Broad classes of failure; the CLI maps them to documented exit codes.
enum class ErrorKind {
    Config,      // a configuration file is wrong
    Plugin,      // a plugin could not be loaded or misbehaved
    Device,      // the device is missing, busy or unsuitable
    Header,      // the LUKS2 header is missing, foreign or fails the allow-list
    Key,         // the key provider failed or the key was refused
    State,       // the volume is in the wrong state for the command
    Busy,        // the device, mapping or mounted filesystem is in use
    Locked,      // another cvfs process works on the volume
    Refused,     // the operator declined, or --force/--yes is needed
    RolledBack,  // the volume is older than its rollback counter says (docs/rollback.md)
    System,      // an unexpected OS or library failure
};

class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, std::string message, std::string hint = {})
        : std::runtime_error(std::move(message)), kind_(kind), hint_(std::move(hint)) {}

    ErrorKind kind() const { return kind_; }
    // What the operator can do about it; may be empty.
    const std::string& hint() const { return hint_; }

private:
    ErrorKind kind_;
    std::string hint_;
};

// "strerror(errno)" as a std::string, for messages about system calls.
std::string errno_text(int err);

}  // namespace cvfs
