// Logging for the core and for plugins (through the host services).
//
// The core never prints. It hands log lines to one sink that the CLI installs
// (stderr, the journal); without a sink they are dropped. Lines must never
// carry secret material.
//
// When stderr is the journal's stream (systemd sets JOURNAL_STREAM to the
// "device:inode" of that stream), each line starts with its syslog priority
// as "<N>" (sd-daemon(3)), which journald takes as the line's priority and
// strips, so `journalctl -p err` shows the errors alone.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

namespace cvfs {

enum class LogLevel { Error = 0, Warning = 1, Info = 2, Debug = 3 };

using LogSink = std::function<void(LogLevel, const std::string&)>;

// Installs the sink (thread-safe); an empty function drops lines.
void set_log_sink(LogSink sink);
void log(LogLevel level, const std::string& message);

// syslog(3) priority of a level: err 3, warning 4, info 6, debug 7.
int syslog_priority(LogLevel level);
// "error", "warning", "info", "debug".
const char* level_name(LogLevel level);

// Does JOURNAL_STREAM's value `journal_stream` ("DEV:INO", decimal; may be
// null) name the stream with this device and inode number?
bool journal_stream_matches(const char* journal_stream, dev_t dev, ino_t ino);
// Is file descriptor 2 the journal's stream (JOURNAL_STREAM matches its fstat)?
bool stderr_is_journal();

// One line for stderr, without the newline: "<program>: <level>: <message>",
// with "<N>" in front when `journal`. In a message of several lines each
// further line gets "<N>" alone (journald reads a stream line by line).
std::string format_log_line(const std::string& program, LogLevel level, const std::string& message,
                            bool journal);

}  // namespace cvfs
