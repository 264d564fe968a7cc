// Mounting, unmounting and swap handling for opened volumes, through
// libmount (see mounts.h).
#include "volume/mounts.h"

#include <libmount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/swap.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>

#include "base/error.h"
#include "base/log.h"

namespace cvfs {

namespace {

struct ContextFree {
    void operator()(libmnt_context* context) const { mnt_free_context(context); }
};
struct TableUnref {
    void operator()(libmnt_table* table) const { mnt_unref_table(table); }
};
struct IterFree {
    void operator()(libmnt_iter* iter) const { mnt_free_iter(iter); }
};
struct CharFree {
    void operator()(char* text) const { std::free(text); }
};
using Context = std::unique_ptr<libmnt_context, ContextFree>;
using Table = std::unique_ptr<libmnt_table, TableUnref>;
using Iter = std::unique_ptr<libmnt_iter, IterFree>;
using CString = std::unique_ptr<char, CharFree>;

std::mutex& libmount_mutex() {
    static std::mutex mutex;
    return mutex;
}

[[noreturn]] void out_of_memory(const std::string& what) {
    throw Error(ErrorKind::System, "libmount: out of memory (" + what + ")");
}

std::string text_or_empty(const char* text) { return text ? text : ""; }

// Where one option of a single-option list lands in libmount's split.
struct Split {
    std::string userspace, generic, filesystem;
};

Split split_one(const std::string& option) {
    char *user = nullptr, *vfs = nullptr, *fs = nullptr;
    if (mnt_split_optstr(option.c_str(), &user, &vfs, &fs, 0, 0) != 0) out_of_memory("options");
    CString u(user), v(vfs), f(fs);
    return {text_or_empty(user), text_or_empty(vfs), text_or_empty(fs)};
}

// What an option asks of mount(8) that is not the volume's own mount.
std::string refusal_of(const std::string& option) {
    unsigned long generic = 0, userspace = 0;
    mnt_optstr_get_flags(option.c_str(), &generic, mnt_get_builtin_optmap(MNT_LINUX_MAP));
    mnt_optstr_get_flags(option.c_str(), &userspace, mnt_get_builtin_optmap(MNT_USERSPACE_MAP));
    if (generic & MS_REMOUNT) return "changes a mounted filesystem instead of mounting the volume";
    if (generic & MS_BIND) return "makes a bind mount instead of mounting the volume";
    if (userspace & (MNT_MS_LOOP | MNT_MS_OFFSET | MNT_MS_SIZELIMIT | MNT_MS_ENCRYPTION))
        return "sets up a loop device; cvfs mounts the opened mapping itself";
    if (userspace & (MNT_MS_HASH_DEVICE | MNT_MS_ROOT_HASH | MNT_MS_HASH_OFFSET | MNT_MS_ROOT_HASH_FILE |
                     MNT_MS_FEC_DEVICE | MNT_MS_FEC_OFFSET | MNT_MS_FEC_ROOTS | MNT_MS_ROOT_HASH_SIG |
                     MNT_MS_VERITY_ON_CORRUPTION))
        return "sets up dm-verity; cvfs mounts the opened mapping itself";
    if (userspace & MNT_MS_HELPER) return "hands the mount to another program";
    return {};
}

// Checks each option of `options` on its own, as libmount reads it.
void check_each_option(const std::string& options, const std::string& origin) {
    const std::string hint = "write the options as `mount -o` takes them, e.g. options = \"noatime,nodev\"";
    if (options.find('\0') != std::string::npos)
        throw Error(ErrorKind::Config, origin + ": a NUL character in the option list", hint);
    std::string buffer = options;
    char* rest = buffer.data();
    char *name = nullptr, *value = nullptr;
    size_t name_size = 0, value_size = 0;
    int rc = 0;
    while ((rc = mnt_optstr_next_option(&rest, &name, &name_size, &value, &value_size)) == 0) {
        const std::string option(name, value ? value + value_size - name : name_size);
        const std::string bare(name, name_size);
        const std::string where = origin + ": option '" + option + "'";
        if (bare.empty() || bare.front() == '=')
            throw Error(ErrorKind::Config, where + " has no name", hint);
        if (value) {
            Split as_flag = split_one(bare);
            if (!split_one(option).filesystem.empty() &&
                (!as_flag.generic.empty() || !as_flag.userspace.empty()))
                throw Error(ErrorKind::Config, where + ": " + bare + " takes no value",
                            "write it as " + bare);
        }
        if (std::string why = refusal_of(option); !why.empty())
            throw Error(ErrorKind::Config, where + " " + why, "remove '" + option + "' from [mount] options");
    }
    // libmount stops without an error at a quote that is never closed.
    const std::string left(rest ? rest : "");
    if (rc < 0 || left.find_first_not_of(',') != std::string::npos)
        throw Error(ErrorKind::Config,
                    origin + ": cannot read '" + (rc < 0 ? options : left) +
                        "' (a quote (\") is not closed, or an option is empty)",
                    hint);
}

// A libmount context holding `options`, checked. Call with the mutex held.
Context context_with_options(const std::string& options, const std::string& origin) {
    check_each_option(options, origin);
    Context context(mnt_new_context());
    if (!context) out_of_memory("context");
    if (!options.empty() && mnt_context_set_options(context.get(), options.c_str()) != 0)
        out_of_memory("options");
    return context;
}

std::string origin_of(const VolumeConfig& volume) {
    return "volume '" + volume.name + "' (" + volume.file + "): [mount] options";
}

// Why libmount's mount or umount failed, as mount(8) would say it.
std::string failure_text(libmnt_context* context, int rc, int& err) {
    err = mnt_context_syscall_called(context) ? mnt_context_get_syscall_errno(context) : 0;
    char buffer[BUFSIZ] = {};
    mnt_context_get_excode(context, rc, buffer, sizeof buffer);
    std::string text = buffer;
    if (text.empty()) text = err ? errno_text(err) : rc < 0 ? errno_text(-rc) : "failed";
    return text;
}

// A kernel built without swap has no /proc/swaps: that table is then empty.
Table parsed_table(const std::string& path, bool swaps) {
    Table table(mnt_new_table());
    if (!table) out_of_memory("table");
    int rc = swaps ? mnt_table_parse_swaps(table.get(), path.c_str())
                   : mnt_table_parse_file(table.get(), path.c_str());
    if (rc != 0 && !(swaps && rc == -ENOENT))
        throw Error(ErrorKind::System, "cannot read " + path + ": " + errno_text(-rc));
    return table;
}

// Calls `each(fs)` for every entry of `table`, first to last or backwards.
template <typename F>
void for_each_fs(libmnt_table* table, bool backward, F each) {
    Iter iter(mnt_new_iter(backward ? MNT_ITER_BACKWARD : MNT_ITER_FORWARD));
    if (!iter) out_of_memory("iterator");
    libmnt_fs* fs = nullptr;
    while (mnt_table_next_fs(table, iter.get(), &fs) == 0) each(fs);
}

// The active swap area on `device`, if any.
std::string swap_on(dev_t device) {
    std::string found;
    Table table = parsed_table("/proc/swaps", true);
    for_each_fs(table.get(), false, [&](libmnt_fs* fs) {
        const char* path = mnt_fs_get_srcpath(fs);
        struct stat st {};
        if (found.empty() && path && ::stat(path, &st) == 0 && S_ISBLK(st.st_mode) && st.st_rdev == device)
            found = path;
    });
    return found;
}

void unmount(const std::string& point) {
    std::lock_guard guard(libmount_mutex());
    Context context(mnt_new_context());
    if (!context) out_of_memory("context");
    if (mnt_context_set_target(context.get(), point.c_str()) != 0) out_of_memory("target");
    const int rc = mnt_context_umount(context.get());
    if (rc == 0 && mnt_context_get_status(context.get()) == 1) return;
    int err = 0;
    const std::string why = failure_text(context.get(), rc, err);
    throw Error(err == EBUSY ? ErrorKind::Busy : ErrorKind::System, "cannot unmount " + point + ": " + why,
                err == EBUSY ? "stop the processes using it (see fuser -vm " + point + ")" : "");
}

}  // namespace

MountOptions parse_mount_options(const std::string& options, const std::string& origin) {
    std::lock_guard guard(libmount_mutex());
    Context context = context_with_options(options, origin);
    MountOptions result;
    if (mnt_context_get_mflags(context.get(), &result.flags) != 0)
        throw Error(ErrorKind::Config, origin + ": cannot read '" + options + "'");
    libmnt_fs* fs = mnt_context_get_fs(context.get());
    result.data = text_or_empty(mnt_fs_get_fs_options(fs));
    result.userspace = text_or_empty(mnt_fs_get_user_options(fs));
    return result;
}

dev_t block_device_number(const std::string& node) {
    struct stat st {};
    if (::stat(node.c_str(), &st) != 0)
        throw Error(ErrorKind::Device, "cannot stat " + node + ": " + errno_text(errno));
    if (!S_ISBLK(st.st_mode)) throw Error(ErrorKind::Device, node + " is not a block device");
    return st.st_rdev;
}

std::vector<std::string> mount_points_of(dev_t device, const std::string& mountinfo) {
    std::vector<std::string> points;
    Table table = parsed_table(mountinfo, false);
    for_each_fs(table.get(), false, [&](libmnt_fs* fs) {
        if (mnt_fs_get_devno(fs) == device) points.push_back(text_or_empty(mnt_fs_get_target(fs)));
    });
    return points;
}

void mount_volume(const std::string& device, const std::string& fs_type, const VolumeConfig& volume) {
    const MountParams& params = volume.mount.value();
    std::unique_lock guard(libmount_mutex());
    Context context = context_with_options(params.options, origin_of(volume));  // the file's fault first
    guard.unlock();
    const dev_t number = block_device_number(device);
    for (const auto& point : mount_points_of(number))
        if (point == params.point) return;  // already where it belongs

    guard.lock();
    std::error_code ec;
    std::filesystem::create_directories(params.point, ec);
    if (ec)
        throw Error(ErrorKind::System,
                    "cannot create mount point " + params.point + ": " + ec.message());
    // Source, target and type are all given: fstab is never consulted.
    if (mnt_context_set_optsmode(context.get(), MNT_OMODE_NOTAB) != 0 ||
        mnt_context_set_source(context.get(), device.c_str()) != 0 ||
        mnt_context_set_target(context.get(), params.point.c_str()) != 0 ||
        mnt_context_set_fstype(context.get(), fs_type.c_str()) != 0)
        out_of_memory("mount");
    const int rc = mnt_context_mount(context.get());
    if (rc == 0 && mnt_context_get_status(context.get()) == 1) return;
    int err = 0;
    const std::string why = failure_text(context.get(), rc, err);
    throw Error(ErrorKind::System,
                "volume '" + volume.name + "': cannot mount " + device + " (" + fs_type + ") on " +
                    params.point + " with options '" + params.options + "': " + why,
                "check [mount] options in " + volume.file + "; the kernel log (dmesg) says more");
}

void release_device(const std::string& device) {
    const dev_t number = block_device_number(device);
    std::vector<std::string> points = mount_points_of(number);
    // Innermost first: later lines in mountinfo may be mounted on earlier ones.
    for (auto point = points.rbegin(); point != points.rend(); ++point) {
        unmount(*point);
        log(LogLevel::Info, "unmounted " + *point);
    }
    if (std::string swap_path = swap_on(number); !swap_path.empty()) {
        if (::swapoff(swap_path.c_str()) != 0)
            throw Error(ErrorKind::System, "cannot turn off swap on " + swap_path + ": " + errno_text(errno));
        log(LogLevel::Info, "swap turned off on " + swap_path);
    }
}

}  // namespace cvfs
