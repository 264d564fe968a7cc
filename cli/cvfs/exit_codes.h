// The exit codes of `cvfs`, documented in the README and in `cvfs --help`.
#pragma once

#include "base/error.h"

namespace cvfs::cli {

enum ExitCode : int {
    kSuccess = 0,
    kFailed = 1,     // an operation failed on at least one volume
    kUsage = 2,      // the command line is wrong
    kConfig = 3,     // a configuration file is wrong, or a volume is unknown
    kRefused = 4,    // cvfs refused to destroy data: --force or --yes is needed, or the answer was no
    kLocked = 5,     // another cvfs process works on the volume
    kInUse = 6,      // the volume's mount or mapping is in use (a process holds a file on it)
    kRolledBack = 7, // the volume is older than its rollback counter: the disk may have been rolled back
};

// The table above as `cvfs --help` prints it (the README has the same table).
inline const char* const exit_codes_text =
    "Exit codes: 0 success, 1 an operation failed, 2 usage error, 3 configuration error,\n"
    "4 refused (needs --force or --yes), 5 another cvfs process holds the volume,\n"
    "6 the volume is in use (a process holds its mount or mapping),\n"
    "7 the volume is older than its rollback counter (the disk may have been rolled back).\n";

inline ExitCode exit_code_for(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::Config: return kConfig;
        case ErrorKind::Refused: return kRefused;
        case ErrorKind::Locked: return kLocked;
        case ErrorKind::Busy: return kInUse;
        case ErrorKind::RolledBack: return kRolledBack;
        default: return kFailed;
    }
}

}  // namespace cvfs::cli
