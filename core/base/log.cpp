// The process-wide log sink (see log.h).
#include "base/log.h"

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

}  // namespace cvfs
