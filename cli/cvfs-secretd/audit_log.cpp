// Writing audit lines (see audit_log.h).
#include "audit_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace cvfs::secretd {
namespace {

// A value as one token: quoted, with anything unprintable escaped, so a
// client-chosen secret id cannot forge or split lines.
std::string quoted(const std::string& text, size_t max = 256) {
    std::string out = "\"";
    for (size_t i = 0; i < text.size() && i < max; ++i) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c >= 0x7f) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        } else {
            out += static_cast<char>(c);
        }
    }
    if (text.size() > max) out += "...";
    return out + "\"";
}

std::string now_utc() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

}  // namespace

AuditLog::AuditLog(std::string path) : path_(std::move(path)) { open_file(); }

AuditLog::~AuditLog() {
    if (file_) std::fclose(file_);
}

void AuditLog::open_file() {
    if (path_.empty()) return;
    int fd = open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        throw std::runtime_error("audit log " + path_ + ": cannot open: " + std::strerror(errno));
    file_ = fdopen(fd, "a");
    if (!file_) {
        close(fd);
        throw std::runtime_error("audit log " + path_ + ": fdopen failed");
    }
}

void AuditLog::reopen() {
    std::lock_guard lock(mutex_);
    if (path_.empty()) return;
    if (file_) std::fclose(file_);
    file_ = nullptr;
    open_file();
}

void AuditLog::record(const AuditEntry& e) {
    std::string line = now_utc() + " audit peer=" + quoted(e.peer) + " protocol=" + e.protocol +
                       " secret=" + quoted(e.secret_id) + " evidence=" + e.evidence;
    if (!e.measurements.empty()) line += " " + e.measurements;
    line += e.allowed ? " decision=released" : " decision=refused reason=" + quoted(e.reason, 1024);
    line += "\n";
    std::lock_guard lock(mutex_);
    FILE* out = file_ ? file_ : stderr;
    std::fputs(line.c_str(), out);
    std::fflush(out);
}

}  // namespace cvfs::secretd
