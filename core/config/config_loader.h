// Loading the configuration folder: the global file, the volume files and the
// plugin registrations.
//
//   <confdir>/cvfs.toml        optional global settings (GlobalConfig)
//   <confdir>/volumes/*.toml   one volume per file (VolumeConfig); files written
//                              for cryptpilot work unchanged
//   <confdir>/plugins.d/*.toml one vendor plugin registration per file
//
// Only names ending in ".toml" are read, non-recursively, so "x.toml.example"
// sits beside real files harmlessly. Every error message has the form
// "<file>:<line>:<col>: <what is wrong>; expected <what>" (docs/configuration.md
// lists them), with an optional hint in cvfs::Error::hint().
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/volume_config.h"

namespace cvfs {

// One thing wrong in a file that could not be used (a file may have
// several); the other files still load.
struct ConfigProblem {
    std::string file;
    std::string message;  // starts with "<file>:<line>:<col>: "
    std::string hint;     // what to do; may be empty
};

struct ConfigSet {
    GlobalConfig global;
    std::vector<VolumeConfig> volumes;    // the good ones, sorted by name
    std::vector<ConfigProblem> problems;  // every error of the broken files, in the order read

    // The volume called `name`, or nullptr.
    const VolumeConfig* find(std::string_view name) const;
};

// Reads everything under `confdir`. A broken cvfs.toml is a problem and the
// defaults apply; a broken volume or plugins.d file is a problem and is left
// out; a second file using an existing volume name, or the device of an
// existing volume, is a problem naming the first. Every file and folder is used only when root alone can change it
// (config/file_trust.h): a refused file or folder is a problem like a broken
// one. Throws cvfs::Error(Config) when `confdir` is not a directory or others
// than root can write it.
ConfigSet load_config(const std::string& confdir);

// Parses one volume file; `global` supplies defaults (timeout). Throws
// cvfs::Error(ErrorKind::Config) when anything is wrong: a
// config_detail::FileErrors (toml_reader.h) holding every error found.
VolumeConfig parse_volume_file(const std::string& path, const GlobalConfig& global);

// Reads <confdir>/cvfs.toml (defaults when absent) and plugins.d. Without
// `problems`, throws cvfs::Error(Config) on the first broken file. With it,
// each broken file is appended there instead: a broken cvfs.toml leaves the
// defaults, a broken plugins.d file is left out.
GlobalConfig parse_global_config(const std::string& confdir,
                                 std::vector<ConfigProblem>* problems = nullptr);

// Parses one plugins.d file. Throws cvfs::Error(Config).
PluginRegistration parse_plugin_registration(const std::string& path);

// The ".toml" files directly in `dir`, sorted by name; none when `dir` is
// missing.
std::vector<std::string> list_toml_files(const std::string& dir);

}  // namespace cvfs
