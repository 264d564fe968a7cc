// The process-wide log sink (see log.h).
#include "base/log.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <mutex>

namespace cvfs {
namespace {
std::mutex sink_mutex;
LogSink& sink() {
    static LogSink instance;
    return instance;
}
}  // namespace

void set_log_sink(LogSink new_sink) {
    std::lock_guard lock(sink_mutex);
    sink() = std::move(new_sink);
}

void log(LogLevel level, const std::string& message) {
    std::lock_guard lock(sink_mutex);
    if (sink()) sink()(level, message);
}

int syslog_priority(LogLevel level) {
    switch (level) {
        case LogLevel::Error: return 3;
        case LogLevel::Warning: return 4;
        case LogLevel::Info: return 6;
        case LogLevel::Debug: return 7;
    }
    return 6;
}

const char* level_name(LogLevel level) {
    switch (level) {
        case LogLevel::Error: return "error";
        case LogLevel::Warning: return "warning";
        case LogLevel::Info: return "info";
        case LogLevel::Debug: return "debug";
    }
    return "info";
}

bool journal_stream_matches(const char* journal_stream, dev_t dev, ino_t ino) {
    if (!journal_stream || !*journal_stream) return false;
    char* end = nullptr;
    errno = 0;
    const unsigned long long want_dev = std::strtoull(journal_stream, &end, 10);
    if (errno || end == journal_stream || *end != ':') return false;
    const char* ino_text = end + 1;
    const unsigned long long want_ino = std::strtoull(ino_text, &end, 10);
    if (errno || end == ino_text || *end != '\0') return false;
    return want_dev == static_cast<unsigned long long>(dev) && want_ino == static_cast<unsigned long long>(ino);
}

bool stderr_is_journal() {
    struct stat st {};
    if (fstat(2, &st) != 0) return false;
    return journal_stream_matches(std::getenv("JOURNAL_STREAM"), st.st_dev, st.st_ino);
}

std::string format_log_line(const std::string& program, LogLevel level, const std::string& message,
                            bool journal) {
    const std::string priority = journal ? "<" + std::to_string(syslog_priority(level)) + ">" : std::string();
    std::string line = priority + program + ": " + level_name(level) + ": ";
    for (char c : message) {
        line += c;
        if (c == '\n') line += priority;
    }
    return line;
}

}  // namespace cvfs
