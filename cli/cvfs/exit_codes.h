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
    kBusy = 5,       // another cvfs process works on the volume
};

inline ExitCode exit_code_for(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::Config: return kConfig;
        case ErrorKind::Refused: return kRefused;
        case ErrorKind::Busy: return kBusy;
        default: return kFailed;
    }
}

}  // namespace cvfs::cli
