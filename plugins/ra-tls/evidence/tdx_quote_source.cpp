// TDX quotes from configfs-tsm or a command (see tdx_quote_source.h).
#include "tdx_quote_source.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "evidence_error.h"

namespace cvfs::ratls {
namespace {

constexpr size_t kMaxQuote = 64 * 1024;

[[noreturn]] void unavailable(const std::string& message) {
    throw EvidenceError(EvidenceFailure::unavailable, message);
}

std::string errno_text() { return std::strerror(errno); }

// Reads a whole small file (configfs attributes are read in one go).
Bytes read_all(const std::string& path) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) unavailable("cannot open " + path + ": " + errno_text());
    Bytes data;
    uint8_t chunk[8192];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            std::string why = errno_text();
            close(fd);
            unavailable("cannot read " + path + ": " + why);
        }
        if (n == 0) break;
        data.insert(data.end(), chunk, chunk + n);
        if (data.size() > kMaxQuote) break;
    }
    close(fd);
    return data;
}

unsigned long generation(const std::string& dir) {
    Bytes text = read_all(dir + "/generation");
    return std::strtoul(std::string(text.begin(), text.end()).c_str(), nullptr, 10);
}

// A report entry of our own, removed when done.
class ReportEntry {
public:
    explicit ReportEntry(const std::string& report_dir) {
        std::random_device random;
        path_ = report_dir + "/cvfs-" + std::to_string(getpid()) + "-" + std::to_string(random());
        if (mkdir(path_.c_str(), 0700) != 0)
            unavailable("cannot create " + path_ + ": " + errno_text() +
                        " (is this a TDX guest with Linux 6.7 or later, and configfs mounted on "
                        "/sys/kernel/config?)");
    }
    ~ReportEntry() { rmdir(path_.c_str()); }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// Writes to a pipe whose reader may be gone, without dying of SIGPIPE.
ssize_t write_without_sigpipe(int fd, const ReportData& data) {
    sigset_t pipe_only, old;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
    ssize_t written = write(fd, data.data(), data.size());
    if (written < 0 && errno == EPIPE) {
        timespec none{0, 0};
        sigtimedwait(&pipe_only, nullptr, &none);
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return written;
}

}  // namespace

Bytes tdx_quote_from_configfs(const std::string& report_dir, const ReportData& report_data) {
    ReportEntry entry(report_dir);
    Bytes provider = read_all(entry.path() + "/provider");
    std::string name(provider.begin(), provider.end());
    if (name.rfind("tdx_guest", 0) != 0)
        unavailable("configfs-tsm provider is '" + name.substr(0, name.find('\n')) +
                    "', not tdx_guest: this machine cannot make TDX quotes");
    unsigned long before = generation(entry.path());
    std::string inblob = entry.path() + "/inblob";
    int fd = open(inblob.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) unavailable("cannot open " + inblob + ": " + errno_text());
    ssize_t written = write(fd, report_data.data(), report_data.size());
    std::string why = errno_text();
    close(fd);
    if (written != static_cast<ssize_t>(report_data.size()))
        unavailable("cannot write " + inblob + ": " + why);
    Bytes quote = read_all(entry.path() + "/outblob");
    if (generation(entry.path()) != before + 1)
        unavailable("another writer changed " + entry.path() +
                    " while the quote was made; try again");
    if (quote.empty() || quote.size() > kMaxQuote)
        unavailable("the kernel returned an empty or oversized quote");
    return quote;
}

Bytes tdx_quote_from_command(const std::string& command, const ReportData& report_data) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0) unavailable("pipe: " + errno_text());
    if (pipe2(out, O_CLOEXEC) != 0) {
        close(in[0]);
        close(in[1]);
        unavailable("pipe: " + errno_text());
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        execl(command.c_str(), command.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    if (pid < 0) {
        close(in[1]);
        close(out[0]);
        unavailable("fork: " + errno_text());
    }
    ssize_t written = write_without_sigpipe(in[1], report_data);
    close(in[1]);
    Bytes quote;
    uint8_t chunk[8192];
    for (;;) {
        ssize_t n = read(out[0], chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (quote.size() + static_cast<size_t>(n) <= kMaxQuote)
            quote.insert(quote.end(), chunk, chunk + n);
    }
    close(out[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (written != static_cast<ssize_t>(report_data.size()) || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        unavailable("the quote command " + command + " failed (exit status " +
                    std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
    if (quote.empty()) unavailable("the quote command " + command + " wrote no quote");
    return quote;
}

}  // namespace cvfs::ratls
