// Filesystem makers "ext4", "xfs", "vfat" and "swap": the standard mkfs tools.
//
// One source, four plugins: the build compiles it once per filesystem with
// CVFS_MKFS_FS naming the row of kFilesystems below. `make` runs the tool with
// posix_spawn (no shell), stdin and stdout on /dev/null, LC_ALL=C, and keeps
// the first 4 KiB of its stderr for the error message. The tool is looked up
// in /usr/sbin, /sbin, /usr/bin and /bin only, not in the caller's PATH. When
// the call's deadline passes or the host cancels, the tool is killed.
//
// Configuration, table [fs]:
//
//   label = "data"          Filesystem label. At most 16 bytes for ext4 and
//                           swap, 12 for xfs, 11 for vfat.
//   options = ["-m", "0"]
//                           Extra arguments for the tool, put before the
//                           device (an ext4 "-E" replaces the lazy-init one).
//
// The tools run with their force flag (mkfs.ext4 -F, mkfs.xfs -f, mkswap -f):
// the host calls make only on a volume that libblkid found empty.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cvfs/plugin.hpp"
#include "cvfs/unique_fd.hpp"
#include "ext4_layout.h"

namespace {

using cvfs::sdk::Call;
using cvfs::sdk::Config;
using cvfs::sdk::Error;
using cvfs::sdk::UniqueFd;

// ext4's inode tables and journal are not written in full by mkfs but on
// first use (the kernel zeroes unused inode tables in the background): mkfs
// takes the same short time on any size, and reads nothing it did not write,
// which a fresh integrity volume needs (see fs_maker.h). No discard either:
// a new volume has nothing to discard.
constexpr const char* kExt4Lazy = "lazy_itable_init=1,lazy_journal_init=1,nodiscard";

// How to make one kind of filesystem.
struct Filesystem {
    std::string_view name;              // the plugin's name
    const char* tool;                   // the program
    const char* package;                // where a Debian/RPM system finds it
    std::array<const char*, 4> flags;   // always passed (nullptr: none)
    const char* label_flag;
    size_t label_max;                   // bytes
    const char* mount_type;             // nullptr: not mounted
    const char* description;
};

constexpr Filesystem kFilesystems[] = {
    {"ext4", "mkfs.ext4", "e2fsprogs", {"-q", "-F", "-E", kExt4Lazy}, "-L", 16, "ext4", "ext4 filesystem (mkfs.ext4)"},
    {"xfs", "mkfs.xfs", "xfsprogs", {"-q", "-f", "-K"}, "-L", 12, "xfs", "XFS filesystem (mkfs.xfs)"},
    {"vfat", "mkfs.vfat", "dosfstools", {"-I"}, "-n", 11, "vfat", "FAT filesystem (mkfs.vfat)"},
    {"swap", "mkswap", "util-linux", {"-f"}, "-L", 16, nullptr, "Swap area (mkswap)"},
};

consteval const Filesystem& filesystem_named(std::string_view name) {
    for (const Filesystem& fs : kFilesystems)
        if (fs.name == name) return fs;
    throw "CVFS_MKFS_FS names no filesystem of kFilesystems";
}

constexpr const Filesystem& kFs = filesystem_named(CVFS_MKFS_FS);

constexpr size_t kStderrCap = 4096;
constexpr const char* kToolDirs[] = {"/usr/sbin", "/sbin", "/usr/bin", "/bin"};

std::string errno_text(int error = errno) { return std::strerror(error); }

std::string find_tool() {
    for (const char* dir : kToolDirs) {
        std::string path = std::string(dir) + "/" + kFs.tool;
        if (access(path.c_str(), X_OK) == 0) return path;
    }
    throw Error(CVFS_E_NOT_FOUND,
                std::string(kFs.tool) + " not found: install " + kFs.package);
}

// The tool's arguments after its name, from the fixed flags and [fs].
std::vector<std::string> tool_arguments(const Config& config, const std::string& device) {
    config.allow_only({"label", "options"});
    std::vector<std::string> args;
    for (const char* flag : kFs.flags)
        if (flag) args.emplace_back(flag);
    if (auto label = config.string("label"); label && !label->empty()) {
        if (label->size() > kFs.label_max)
            throw Error(CVFS_E_INVALID_CONFIG,
                        config.where(*config.find("label")) + "label '" + *label + "' has " +
                            std::to_string(label->size()) + " bytes; " + std::string(kFs.name) +
                            " labels hold at most " + std::to_string(kFs.label_max));
        args.emplace_back(kFs.label_flag);
        args.push_back(*label);
    }
    for (std::string& option : config.strings("options")) args.push_back(std::move(option));
    args.push_back(device);
    return args;
}

// A child process, killed and reaped if it is still running when we leave.
class Child {
public:
    explicit Child(pid_t pid) : pid_(pid) {}
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child() {
        if (pid_ <= 0) return;
        kill(pid_, SIGKILL);
        int status = 0;
        while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
    }

    // The wait status once it exited, or -1 while it runs.
    int poll_exit() {
        int status = 0;
        pid_t done = waitpid(pid_, &status, WNOHANG);
        if (done == 0) return -1;
        if (done < 0) throw Error(CVFS_E_INTERNAL, std::string("waitpid failed: ") + errno_text());
        pid_ = 0;
        return status;
    }

private:
    pid_t pid_;
};

// posix_spawn's attribute objects, destroyed on every path.
struct SpawnSetup {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;

    // The tool's stderr (and its stdout when `with_stdout`) go to `output_fd`.
    SpawnSetup(int output_fd, bool with_stdout) {
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        if (with_stdout)
            posix_spawn_file_actions_adddup2(&actions, output_fd, 1);
        else
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_adddup2(&actions, output_fd, 2);
        posix_spawnattr_init(&attributes);
        sigset_t none, defaults;
        sigemptyset(&none);
        sigfillset(&defaults);
        posix_spawnattr_setsigmask(&attributes, &none);
        posix_spawnattr_setsigdefault(&attributes, &defaults);
        posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attributes);
    }
};

pid_t spawn_tool(const std::string& path, const std::vector<std::string>& args, int output_fd, bool with_stdout) {
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(kFs.tool));
    for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    char locale[] = "LC_ALL=C";
    char search_path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
    char* envp[] = {locale, search_path, nullptr};

    SpawnSetup setup(output_fd, with_stdout);
    pid_t pid = 0;
    int error = posix_spawn(&pid, path.c_str(), &setup.actions, &setup.attributes, argv.data(), envp);
    if (error != 0) throw Error(CVFS_E_INTERNAL, "cannot run " + path + ": " + errno_text(error));
    return pid;
}

// Stops the wait when the host cancels or the deadline passes.
void check_continue(const Call& call) {
    if (call.cancelled())
        throw Error(CVFS_E_CANCELLED, std::string(kFs.tool) + " was stopped: the call was cancelled");
    if (call.remaining_ms() < 0)
        throw Error(CVFS_E_DEADLINE_EXCEEDED,
                    std::string(kFs.tool) + " was stopped: it did not finish before the deadline");
}

int poll_slice_ms(const Call& call) {
    return static_cast<int>(std::clamp<int64_t>(call.remaining_ms(), 0, 100));
}

// Reads the child's output until it closes, keeping the first kStderrCap bytes.
std::string collect_output(const Call& call, int fd) {
    std::string text;
    char chunk[1024];
    for (;;) {
        check_continue(call);
        pollfd watch{fd, POLLIN, 0};
        int ready = poll(&watch, 1, poll_slice_ms(call));
        if (ready < 0 && errno != EINTR)
            throw Error(CVFS_E_INTERNAL, std::string("poll failed: ") + errno_text());
        if (ready <= 0) continue;
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return text;
        size_t keep = std::min(static_cast<size_t>(n), kStderrCap - text.size());
        text.append(chunk, keep);
    }
}

int wait_exit(const Call& call, Child& child) {
    for (;;) {
        int status = child.poll_exit();
        if (status >= 0) return status;
        check_continue(call);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

// The first lines of the tool's stderr, joined: the reason comes first, the
// usage text that often follows it would only bury it.
std::string first_lines(const std::string& text, size_t count) {
    std::string joined;
    size_t start = 0;
    while (count > 0 && start < text.size()) {
        size_t end = std::min(text.find('\n', start), text.size());
        std::string line = text.substr(start, end - start);
        start = end + 1;
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        joined += (joined.empty() ? "" : "; ") + line;
        --count;
    }
    return joined;
}

// "exit status 1: <its message>" for the error of a failed run.
std::string failure(int status, const std::string& stderr_text) {
    std::string text = first_lines(stderr_text, 3);
    std::string how = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                        : "killed by signal " + std::to_string(WTERMSIG(status));
    return text.empty() ? how : how + ": " + text;
}

// Runs the tool to its end; its exit status and the start of its output.
struct ToolRun {
    int status = 0;
    std::string output;
    bool succeeded() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }
};

ToolRun run_tool(const Call& call, const std::string& path, const std::vector<std::string>& args,
                 bool with_stdout) {
    UniqueFd read_end, write_end;
    int pipe_ends[2];
    if (pipe2(pipe_ends, O_CLOEXEC) != 0) throw Error(CVFS_E_INTERNAL, std::string("pipe failed: ") + errno_text());
    read_end.reset(pipe_ends[0]);
    write_end.reset(pipe_ends[1]);

    Child child(spawn_tool(path, args, write_end.get(), with_stdout));
    write_end.reset();
    ToolRun run;
    run.output = collect_output(call, read_end.get());
    run.status = wait_exit(call, child);
    return run;
}

// ext4 only: writes the blocks of the superblock backups whole, as the dry
// run of the same command places them (see ext4_layout.h).
void prepare_ext4(const Call& call, const std::string& path, std::vector<std::string> args, const char* device) {
    args.insert(args.begin(), "-n");
    ToolRun dry = run_tool(call, path, args, true);
    if (!dry.succeeded())
        throw Error(CVFS_E_INTERNAL, std::string(kFs.tool) + " failed on " + device + " (" +
                                         failure(dry.status, dry.output) + ")");  // as the real run would
    cvfs::mkfs::Ext4Layout layout = cvfs::mkfs::parse_dry_run(dry.output);
    if (layout.block_size == 0)
        throw Error(CVFS_E_INTERNAL, std::string("cannot read the block size from ") + kFs.tool + " -n on " +
                                         device + " (" + first_lines(dry.output, 3) + ")");
    if (int error = cvfs::mkfs::zero_backup_blocks(device, layout))
        throw Error(CVFS_E_INTERNAL, std::string("cannot write the superblock backup blocks of ") + device +
                                         ": " + errno_text(error));
}

class Mkfs {
public:
    explicit Mkfs(const cvfs::sdk::Host&) {}

    void check_config(Call& call) { tool_arguments(call.config(), "device"); }

    void make(Call& call, const char* device) {
        std::vector<std::string> args = tool_arguments(call.config(), device);
        std::string path = find_tool();
        check_continue(call);
        if constexpr (kFs.name == "ext4") prepare_ext4(call, path, args, device);
        ToolRun run = run_tool(call, path, args, false);
        if (!run.succeeded())
            throw Error(CVFS_E_INTERNAL,
                        std::string(kFs.tool) + " failed on " + device + " (" + failure(run.status, run.output) + ")");
        call.log(CVFS_LOG_INFO, std::string("made ") + std::string(kFs.name) + " on " + device);
    }
};

}  // namespace

CVFS_FS_MAKER_PLUGIN(Mkfs, CVFS_MKFS_FS, "0.1.0", "cvfs", kFs.description, kFs.mount_type)
