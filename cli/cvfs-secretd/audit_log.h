// The audit trail of cvfs-secretd: one line per request, saying who asked
// (peer address), with which evidence and measurements, for which secret id,
// and whether it was released or why not. Never a secret. Lines go to a file
// (opened for append, mode 0600, reopened on SIGHUP for log rotation) or to
// standard error (the journal under systemd). Thread-safe.
#pragma once

#include <cstdio>
#include <mutex>
#include <string>

namespace cvfs::secretd {

struct AuditEntry {
    std::string peer;          // gRPC peer, e.g. ipv4:10.0.0.5:41234
    std::string protocol;      // "cvfs" or "intel"
    std::string secret_id;     // as the client sent it (escaped when written)
    std::string evidence;      // "tdx", "tpm" or "none"
    std::string measurements;  // "mrtd=... rtmr0=..." or "ak=... pcr7=..."
    bool allowed = false;
    std::string reason;  // why not, when refused
};

class AuditLog {
public:
    explicit AuditLog(std::string path);  // empty: standard error
    ~AuditLog();
    AuditLog(const AuditLog&) = delete;
    AuditLog& operator=(const AuditLog&) = delete;

    void record(const AuditEntry& entry);
    void reopen();  // after log rotation

private:
    void open_file();
    std::string path_;
    std::mutex mutex_;
    FILE* file_ = nullptr;
};

}  // namespace cvfs::secretd
