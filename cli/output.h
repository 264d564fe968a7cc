// How `cvfs` shows things: log lines and errors on stderr, tables and JSON on
// stdout, a progress bar on a terminal.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/log.h"
#include "volume/engine.h"

namespace cvfs::cli {

// "key-provider", "device-backend", "fs-maker".
std::string kind_name(uint32_t kind);

// Sends core and plugin log lines to stderr, those up to `level`.
void install_log_sink(LogLevel level);

// "cvfs: error: <message>" and, on the next line, "  hint: <hint>".
void print_error(const Error& error);
void print_warning(const std::string& message);

// A text table with a header row; columns are padded to the widest cell.
void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

void print_status_json(const std::vector<VolumeStatus>& statuses);
void print_plugins_json(const std::vector<PluginRegistry::Listing>& plugins);

// A progress callback that draws a bar on stderr when it is a terminal.
bool draw_progress(uint64_t done, uint64_t total);

}  // namespace cvfs::cli
