// Reading mountinfo, swaps and fd links (see proc_tables.h).
#include "proc_tables.h"

#include <libmount.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>

#include "cvfs/plugin.hpp"

namespace cvfs_nvme {

namespace {

struct TableUnref {
    void operator()(libmnt_table* table) const { mnt_unref_table(table); }
};
struct IterFree {
    void operator()(libmnt_iter* iter) const { mnt_free_iter(iter); }
};

bool all_digits(const std::string& text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Reads `path` with libmount's mountinfo or swaps parser (which undo the
// kernel's octal escapes) and calls `each` for every entry. A missing
// swaps file is a kernel without swap: no entries.
void for_each_entry(const std::string& path, bool swaps,
                    const std::function<void(libmnt_fs*)>& each) {
    std::unique_ptr<libmnt_table, TableUnref> table(mnt_new_table());
    std::unique_ptr<libmnt_iter, IterFree> iter(mnt_new_iter(MNT_ITER_FORWARD));
    if (!table || !iter) throw cvfs::sdk::Error(CVFS_E_INTERNAL, "libmount: out of memory");
    int rc = swaps ? mnt_table_parse_swaps(table.get(), path.c_str())
                   : mnt_table_parse_file(table.get(), path.c_str());
    if (swaps && rc == -ENOENT) return;
    if (rc != 0)
        throw cvfs::sdk::Error(CVFS_E_INTERNAL, "cannot read " + path + " (" +
                                                    std::strerror(-rc) +
                                                    "), so whether the device is in use is unknown");
    libmnt_fs* fs = nullptr;
    while (mnt_table_next_fs(table.get(), iter.get(), &fs) == 0) each(fs);
}

std::string text_or_empty(const char* text) { return text ? text : ""; }

}  // namespace

std::vector<MountEntry> read_mounts(const SystemRoot& system) {
    std::vector<MountEntry> mounts;
    for_each_entry(system.proc("self/mountinfo"), false, [&](libmnt_fs* fs) {
        const dev_t number = mnt_fs_get_devno(fs);
        mounts.push_back({std::to_string(major(number)) + ":" + std::to_string(minor(number)),
                          text_or_empty(mnt_fs_get_target(fs)),
                          text_or_empty(mnt_fs_get_source(fs))});
    });
    return mounts;
}

std::vector<std::string> read_swaps(const SystemRoot& system) {
    std::vector<std::string> swaps;
    for_each_entry(system.proc("swaps"), true, [&](libmnt_fs* fs) {
        if (const char* source = mnt_fs_get_source(fs)) swaps.push_back(source);
    });
    return swaps;
}

std::vector<OpenBy> processes_with_open(const SystemRoot& system, const std::string& path) {
    namespace fs = std::filesystem;
    std::vector<OpenBy> found;
    const std::string self = std::to_string(getpid());
    std::error_code ec;
    for (const auto& process : fs::directory_iterator(system.proc(""), ec)) {
        std::string pid = process.path().filename();
        if (!all_digits(pid) || pid == self) continue;
        std::error_code fd_ec;
        for (const auto& fd : fs::directory_iterator(process.path() / "fd", fd_ec)) {
            std::error_code link_ec;
            if (fs::read_symlink(fd.path(), link_ec).string() != path) continue;
            found.push_back({std::stoi(pid), read_line((process.path() / "comm").string())});
            break;
        }
    }
    return found;
}

}  // namespace cvfs_nvme
