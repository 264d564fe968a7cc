// Running the key command of the "exec" provider: no shell, a bounded time,
// its standard output read straight into the host's locked key buffer and
// its standard error kept as text for the log.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace exec_provider {

struct CommandResult {
    enum class End { Exited, Signalled, TimedOut, Cancelled, TooMuchOutput };
    End end = End::Exited;
    int code = 0;              // exit status, or the signal's number
    size_t output_length = 0;  // bytes of standard output written into the buffer
    std::string errors;        // standard error, at most kMaxErrorText bytes
};

inline constexpr size_t kMaxErrorText = 4096;

// Runs `argv` (argv[0] an absolute path) with standard input /dev/null,
// no other inherited descriptors, and an environment of just PATH, LC_ALL=C
// and `extra_env`. Its standard output goes into `output` (at most `capacity`
// bytes: more ends it as TooMuchOutput). `time_left` is asked between reads
// (milliseconds; negative: the time is up) and `cancelled` likewise; either
// ends the command with SIGKILL. Throws std::system_error when it cannot be
// started.
CommandResult run_command(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
                          uint8_t* output, size_t capacity, const std::function<int64_t()>& time_left,
                          const std::function<bool()>& cancelled);

// The absolute path of `command`: itself when it contains a slash, otherwise
// the first executable regular file of that name in the fixed search path.
// Empty when there is none.
std::string resolve_command(const std::string& command);

inline constexpr const char* kSearchPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

}  // namespace exec_provider
