// run_command and resolve_command (see command_run.h).
#include "command_run.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <sstream>
#include <system_error>

namespace exec_provider {

namespace {

[[noreturn]] void fail(const std::string& what, int error = errno) {
    throw std::system_error(error, std::generic_category(), what);
}

class Pipe {
public:
    Pipe() {
        if (::pipe2(fds_, O_CLOEXEC) != 0) fail("pipe2");
    }
    ~Pipe() {
        close_read();
        close_write();
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    int read_end() const { return fds_[0]; }
    int write_end() const { return fds_[1]; }
    void close_read() { close_fd(fds_[0]); }
    void close_write() { close_fd(fds_[1]); }

private:
    static void close_fd(int& fd) {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }
    int fds_[2] = {-1, -1};
};

class SpawnActions {
public:
    SpawnActions() { ::posix_spawn_file_actions_init(&actions_); }
    ~SpawnActions() { ::posix_spawn_file_actions_destroy(&actions_); }
    SpawnActions(const SpawnActions&) = delete;
    SpawnActions& operator=(const SpawnActions&) = delete;
    posix_spawn_file_actions_t* get() { return &actions_; }

private:
    posix_spawn_file_actions_t actions_;
};

std::vector<char*> pointers(std::vector<std::string>& texts) {
    std::vector<char*> out;
    for (auto& text : texts) out.push_back(text.data());
    out.push_back(nullptr);
    return out;
}

bool executable_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

std::string resolve_command(const std::string& command) {
    if (command.find('/') != std::string::npos) return executable_file(command) ? command : std::string();
    std::istringstream dirs(kSearchPath);
    for (std::string dir; std::getline(dirs, dir, ':');)
        if (executable_file(dir + "/" + command)) return dir + "/" + command;
    return {};
}

CommandResult run_command(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
                          uint8_t* output, size_t capacity, const std::function<int64_t()>& time_left,
                          const std::function<bool()>& cancelled) {
    Pipe out;
    Pipe err;
    SpawnActions actions;
    ::posix_spawn_file_actions_addopen(actions.get(), 0, "/dev/null", O_RDONLY, 0);
    ::posix_spawn_file_actions_adddup2(actions.get(), out.write_end(), 1);
    ::posix_spawn_file_actions_adddup2(actions.get(), err.write_end(), 2);
    ::posix_spawn_file_actions_addclosefrom_np(actions.get(), 3);

    std::vector<std::string> args = argv;
    std::vector<std::string> env = {std::string("PATH=") + kSearchPath, "LC_ALL=C"};
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    auto arg_pointers = pointers(args);
    auto env_pointers = pointers(env);
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, args.front().c_str(), actions.get(), nullptr, arg_pointers.data(),
                           env_pointers.data());
    if (rc != 0) fail("cannot start " + args.front(), rc);
    out.close_write();
    err.close_write();

    CommandResult result;
    bool out_open = true, err_open = true;
    char error_chunk[512];
    while (out_open || err_open) {
        if (cancelled()) {
            result.end = CommandResult::End::Cancelled;
            break;
        }
        const int64_t left = time_left();
        if (left < 0) {
            result.end = CommandResult::End::TimedOut;
            break;
        }
        pollfd fds[2] = {{out_open ? out.read_end() : -1, POLLIN, 0}, {err_open ? err.read_end() : -1, POLLIN, 0}};
        int ready = ::poll(fds, 2, static_cast<int>(std::min<int64_t>(left, 100)));
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) {
            int error = errno;
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
            fail("poll", error);
        }
        if (out_open && fds[0].revents) {
            if (result.output_length == capacity) {
                char probe;
                ssize_t n = ::read(out.read_end(), &probe, 1);
                if (n > 0) {
                    result.end = CommandResult::End::TooMuchOutput;
                    break;
                }
                if (n == 0) out_open = false;
            } else {
                ssize_t n = ::read(out.read_end(), output + result.output_length, capacity - result.output_length);
                if (n > 0) result.output_length += static_cast<size_t>(n);
                if (n == 0) out_open = false;
            }
        }
        if (err_open && fds[1].revents) {
            ssize_t n = ::read(err.read_end(), error_chunk, sizeof error_chunk);
            if (n > 0 && result.errors.size() < kMaxErrorText)
                result.errors.append(error_chunk,
                                     std::min(static_cast<size_t>(n), kMaxErrorText - result.errors.size()));
            if (n == 0) err_open = false;
        }
    }
    if (out_open || err_open) ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (result.end != CommandResult::End::Exited) return result;
    if (WIFSIGNALED(status)) {
        result.end = CommandResult::End::Signalled;
        result.code = WTERMSIG(status);
    } else {
        result.code = WEXITSTATUS(status);
    }
    return result;
}

}  // namespace exec_provider
