// Who may have written a file that decides what cvfs formats or runs.
//
// Configuration files (cvfs.toml, volumes/*.toml, plugins.d/*.toml), their
// folders and plugin files are trusted only when root (or the effective user,
// for tests run without root) owns them and neither group nor others can
// write them: anyone else who can change them could make cvfs format a disk
// or run code as root. The rule and the hint that fixes a refusal live here
// once; the config loader and the plugin loader both use them.
#pragma once

#include <sys/stat.h>

#include <string>

namespace cvfs {

// Why a file or folder with status `st` may not be trusted ("is owned by uid
// 1000, not by root", "is writable by group or others (mode 0666)"), or ""
// when it may. The phrase follows the path in a sentence.
std::string untrusted_reason(const struct stat& st);

// The exact commands that make `path` trusted, e.g. "run `chmod go-w /x`".
std::string trust_fix(const std::string& path, const struct stat& st);

// The final path of an open descriptor (where a symlink led), via /proc.
std::string opened_path(int fd);

// Reads the whole of a configuration file through one descriptor, after
// checking what was opened: a regular file whose status passes
// untrusted_reason(), in a folder that passes it too. `what` names the file
// in messages ("volume file"). Throws cvfs::Error(Config) naming the file and
// ending with the fix (trust_fix), since lists of problems show messages only.
std::string read_trusted_config_file(const std::string& path, const std::string& what);

// Throws cvfs::Error(Config) unless the folder `dir` passes untrusted_reason().
// A missing folder passes (callers treat it as empty). Messages as above.
void check_trusted_config_folder(const std::string& dir, const std::string& what);

}  // namespace cvfs
