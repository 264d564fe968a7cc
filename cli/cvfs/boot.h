// What `cvfs` does for boot: open many volumes at once, and the systemd
// generator that makes one unit per auto_open volume (docs/boot.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "volume/engine.h"

namespace cvfs::cli {

// Opens `volumes` concurrently and reports each as it finishes ("opened ..."
// on stdout, the error on stderr), then a summary line naming the volumes
// that failed. Returns `exit_code` if it is already a failure, else the exit
// code of the first failed volume (in configuration order), else success.
// With `results`, nothing is printed: each volume's JSON object (docs/json.md)
// is appended there, in the order of `volumes`; `no_mount` says open mounted nothing.
int open_in_parallel(Engine& engine, const std::vector<const VolumeConfig*>& volumes, int exit_code,
                     nlohmann::json* results = nullptr, bool no_mount = false);

// `cvfs generate-units DIR`: writes the units for the auto_open volumes of
// the engine's configuration into DIR (see generator.cpp). Their ExecStart=
// names this very cvfs binary and configuration folder.
int generate_units_command(Engine& engine, const std::string& dir);

// True when this process was started as the systemd generator (through a
// link named cvfs-generator); then generator_main handles the command line:
// cvfs-generator NORMAL_DIR [EARLY_DIR LATE_DIR].
bool started_as_generator(const char* argv0);
int generator_main(int argc, char** argv);

}  // namespace cvfs::cli
