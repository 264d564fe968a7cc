// Logging for the core and for plugins (through the host services).
//
// The core never prints. It hands log lines to one sink that the CLI installs
// (stderr, the journal); without a sink they are dropped. Lines must never
// carry secret material.
#pragma once

#include <functional>
#include <string>

namespace cvfs {

enum class LogLevel { Error = 0, Warning = 1, Info = 2, Debug = 3 };

using LogSink = std::function<void(LogLevel, const std::string&)>;

// Installs the sink (thread-safe); an empty function drops lines.
void set_log_sink(LogSink sink);
void log(LogLevel level, const std::string& message);

}  // namespace cvfs
