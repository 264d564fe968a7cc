// The ownership and mode rule for trusted files (see file_trust.h), and
// reading configuration files through the descriptor that was checked, so a
// file swapped after the check is never the one parsed.
#include "config/file_trust.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "base/error.h"
#include "cvfs/unique_fd.hpp"

namespace cvfs {
namespace {

// Configuration files are small; a huge one is a mistake or an attack.
constexpr off_t kMaxConfigFileBytes = 1 << 20;

const char* const kWhyTrusted =
    "whoever can change this could make cvfs format a disk or run their code as root";

bool owner_trusted(const struct stat& st) { return st.st_uid == 0 || st.st_uid == ::geteuid(); }

std::string mode_text(const struct stat& st) {
    char text[8];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return text;
}

[[noreturn]] void refuse(const std::string& path, const std::string& what, const std::string& problem,
                         const std::string& hint) {
    throw Error(ErrorKind::Config, path + ": the " + what + " is refused: " + problem, hint);
}

// `subject` is what `st` describes: "it", or the folder a symlink led to.
void check_status(const std::string& path, const std::string& what, const std::string& subject,
                  const std::string& subject_path, const struct stat& st) {
    std::string reason = untrusted_reason(st);
    if (!reason.empty())
        refuse(path, what, subject + " " + reason + "; only root may be able to change it: " +
                               trust_fix(subject_path, st),
               kWhyTrusted);
}

std::string read_all(int fd, const std::string& path, const std::string& what, off_t size) {
    std::string text(static_cast<size_t>(size), '\0');
    size_t done = 0;
    while (done < text.size()) {
        ssize_t got = ::read(fd, text.data() + done, text.size() - done);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0)
            refuse(path, what, "cannot read it: " + errno_text(errno), "check that root can read it");
        if (got == 0) break;
        done += static_cast<size_t>(got);
    }
    text.resize(done);
    return text;
}

}  // namespace

std::string untrusted_reason(const struct stat& st) {
    if (!owner_trusted(st)) return "is owned by uid " + std::to_string(st.st_uid) + ", not by root";
    if (st.st_mode & (S_IWGRP | S_IWOTH)) return "is writable by group or others (mode " + mode_text(st) + ")";
    return {};
}

std::string trust_fix(const std::string& path, const struct stat& st) {
    const bool owner = !owner_trusted(st);
    const bool mode = (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
    std::string fix;
    if (owner) fix += "chown root:root " + path;
    if (owner && mode) fix += " && ";
    if (mode) fix += "chmod go-w " + path;
    if (fix.empty()) fix = "chown root:root " + path + " && chmod go-w " + path;
    return "run `" + fix + "`";
}

std::string opened_path(int fd) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(fd), ec);
    return ec ? std::string() : target.string();
}

std::string read_trusted_config_file(const std::string& path, const std::string& what) {
    sdk::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (!fd.valid())
        throw Error(ErrorKind::Config, path + ": cannot read the file: " + errno_text(errno),
                    "check that the file exists and root can read it");
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        refuse(path, what, "cannot inspect it: " + errno_text(errno), "check that root can read it");
    if (!S_ISREG(st.st_mode)) refuse(path, what, "it is not a regular file", "make it a regular file");
    check_status(path, what, "it", path, st);
    // Where a symlink led: that file's folder must be trusted as well.
    std::string real = opened_path(fd.get());
    if (real.empty()) refuse(path, what, "cannot tell where it lives (/proc not mounted?)", "mount /proc");
    if (real != path) {
        std::string folder = std::filesystem::path(real).parent_path().string();
        struct stat dir {};
        if (::stat(folder.c_str(), &dir) != 0)
            refuse(path, what, "cannot inspect its folder " + folder + ": " + errno_text(errno),
                   "check that root can read it");
        check_status(path, what, "its real folder " + folder, folder, dir);
    }
    if (st.st_size > kMaxConfigFileBytes)
        refuse(path, what, "it is " + std::to_string(st.st_size) + " bytes; at most " +
                               std::to_string(kMaxConfigFileBytes) + " expected",
               "a configuration file this large is not one cvfs wrote");
    return read_all(fd.get(), path, what, st.st_size);
}

void check_trusted_config_folder(const std::string& dir, const std::string& what) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
        if (errno == ENOENT) return;
        refuse(dir, what, "cannot inspect it: " + errno_text(errno), "check that root can read it");
    }
    check_status(dir, what, "it", dir, st);
}

}  // namespace cvfs
