// The subcommands of `cvfs`. Each takes the engine and its own arguments
// (already parsed) and returns an exit code (exit_codes.h).
#pragma once

#include <string>
#include <vector>

#include "volume/engine.h"

namespace cvfs::cli {

struct Selection {
    std::vector<std::string> names;  // volumes named on the command line
    bool all = false;                // --all
};

int show_command(Engine& engine, const Selection& selection, bool json);
// With `json`, stdout gets one JSON document (docs/json.md) holding each
// volume's outcome and error, and no error goes to stderr; the exit code is
// the same as without.
int init_command(Engine& engine, const Selection& selection, bool force, bool yes, bool json);
int open_command(Engine& engine, const Selection& selection, bool json, bool no_mount);
int close_command(Engine& engine, const Selection& selection, bool json);
int config_check_command(Engine& engine, const Selection& selection, bool json);
int plugins_command(Engine& engine, bool json);
// reseal_command.cpp
int reseal_command(Engine& engine, const Selection& selection, const std::string& recovery_key_file);
int add_recovery_key_command(Engine& engine, const std::string& volume, const std::string& key_file);

}  // namespace cvfs::cli
