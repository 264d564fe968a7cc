// How `cvfs` shows things: log lines and errors on stderr, tables and JSON on
// stdout, a progress bar on a terminal.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
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
// Every error of the broken configuration files, as errors with their hints
// (a broken file is as much an error as a plugin refusing its table).
void print_config_problems(const ConfigSet& config);

// A text table with a header row; columns are padded to the widest cell.
void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

// JSON output (docs/json.md). Every document is an object whose "version"
// is kJsonVersion; absent values are null, never "" or left out. Nothing in
// these objects is secret: they are built from states, names and messages.
inline constexpr int kJsonVersion = 1;

// "config", "plugin", "device", ... (the ErrorKind in lower case).
const char* error_kind_name(ErrorKind kind);
// {"kind", "message", "hint"}.
nlohmann::json error_json(const Error& error);
// The text, or null when it is empty.
nlohmann::json text_or_null(const std::string& text);
// One object per volume of `show`.
nlohmann::json status_json(const VolumeStatus& status);
// The files that could not be used, each with its errors: {"file", "errors":
// [{"line", "column", "message", "hint"}]}, in the order read.
nlohmann::json broken_files_json(const std::vector<ConfigProblem>& problems);
// Writes `document` (an object, given "version" here) on stdout.
void print_json(nlohmann::json document);

void print_plugins_json(const std::vector<PluginRegistry::Listing>& plugins);

// Progress of long work (the integrity wipe) on stderr: what it is about
// (set_progress_subject, e.g. "volume 'data1': writing integrity tags"), how
// far, how fast and how long is left. On a terminal one line, redrawn at most
// five times a second; otherwise a log line every 10 s or every 10%, and at
// the end. Returns true (stopping is the caller's decision).
void set_progress_subject(const std::string& subject);
bool draw_progress(uint64_t done, uint64_t total);

}  // namespace cvfs::cli
