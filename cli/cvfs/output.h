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
// Prints the error and its hint; with `volume`, a message that does not name
// the volume gets "volume 'NAME': " in front, so each journal line says which.
void print_error(const Error& error, const std::string& volume = {});
void print_warning(const std::string& message);

// A text table with a header row; columns are padded to the widest cell.
void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

void print_status_json(const std::vector<VolumeStatus>& statuses);
void print_plugins_json(const std::vector<PluginRegistry::Listing>& plugins);

// Progress of long work (the integrity wipe) on stderr: what it is about
// (set_progress_subject, e.g. "volume 'data1': writing integrity tags"), how
// far, how fast and how long is left. On a terminal one line, redrawn at most
// five times a second; otherwise a log line every 10 s or every 10%, and at
// the end. Returns true (stopping is the caller's decision).
void set_progress_subject(const std::string& subject);
bool draw_progress(uint64_t done, uint64_t total);

}  // namespace cvfs::cli
