// The operator's verbs of `cvfs`, one file each: status, header backup and
// restore, recovery-key list/add/remove, enroll and erase. Each takes the
// engine and its parsed arguments and returns an exit code (exit_codes.h).
#pragma once

#include <string>

#include "volume/engine.h"

namespace cvfs::cli {

int status_command(Engine& engine, const std::string& volume, bool json);                 // status_command.cpp
int header_backup_command(Engine& engine, const std::string& volume, const std::string& file);   // header_command.cpp
int header_restore_command(Engine& engine, const std::string& volume, const std::string& file, bool force);
int recovery_key_list_command(Engine& engine, const std::string& volume, bool json);      // recovery_key_command.cpp
int recovery_key_remove_command(Engine& engine, const std::string& volume, int keyslot);
int erase_command(Engine& engine, const std::string& volume, bool yes);                   // erase_command.cpp

}  // namespace cvfs::cli
