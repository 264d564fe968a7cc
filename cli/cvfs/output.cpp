// Terminal output of `cvfs` (see output.h). JSON is written with
// nlohmann-json, so values keep their types and strings are escaped.
#include "output.h"

#include "plugin/plugin_files.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <regex>

namespace cvfs::cli {

namespace {
// Lines on stderr carry their syslog priority when stderr is the journal (log.h).
bool to_journal() {
    static const bool journal = stderr_is_journal();
    return journal;
}
}  // namespace

std::string kind_name(uint32_t kind) {
    return kind_config_name(static_cast<PluginKind>(kind));
}

void install_log_sink(LogLevel max_level) {
    set_log_sink([max_level](LogLevel level, const std::string& message) {
        if (level > max_level) return;
        std::cerr << format_log_line("cvfs", level, message, to_journal()) << "\n";
    });
}

void print_error(const Error& error, const std::string& volume) {
    std::string text = error.what();
    if (!volume.empty() && text.find("'" + volume + "'") == std::string::npos)
        text = "volume '" + volume + "': " + text;
    if (!error.hint().empty()) text += "\n  hint: " + error.hint();
    std::cerr << format_log_line("cvfs", LogLevel::Error, text, to_journal()) << "\n";
}

void print_warning(const std::string& message) {
    std::cerr << format_log_line("cvfs", LogLevel::Warning, message, to_journal()) << "\n";
}

void print_config_problems(const ConfigSet& config) {
    for (const auto& problem : config.problems) print_error(Error(ErrorKind::Config, problem.message, problem.hint));
}

void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
    std::vector<size_t> width(header.size());
    for (size_t c = 0; c < header.size(); ++c) {
        width[c] = header[c].size();
        for (const auto& row : rows) width[c] = std::max(width[c], row[c].size());
    }
    auto print_row = [&](const std::vector<std::string>& row) {
        std::string line;
        for (size_t c = 0; c < row.size(); ++c) {
            line += row[c];
            if (c + 1 < row.size()) line += std::string(width[c] - row[c].size() + 2, ' ');
        }
        std::cout << line << "\n";
    };
    print_row(header);
    for (const auto& row : rows) print_row(row);
}

using nlohmann::json;

const char* error_kind_name(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::Config: return "config";
        case ErrorKind::Plugin: return "plugin";
        case ErrorKind::Device: return "device";
        case ErrorKind::Header: return "header";
        case ErrorKind::Key: return "key";
        case ErrorKind::State: return "state";
        case ErrorKind::Busy: return "busy";
        case ErrorKind::Locked: return "locked";
        case ErrorKind::Refused: return "refused";
        case ErrorKind::RolledBack: return "rolled back";
        case ErrorKind::System: return "system";
    }
    return "system";
}

json text_or_null(const std::string& text) { return text.empty() ? json(nullptr) : json(text); }

json error_json(const Error& error) {
    return {{"kind", error_kind_name(error.kind())},
            {"message", error.what()},
            {"hint", text_or_null(error.hint())}};
}

json status_json(const VolumeStatus& s) {
    return {
        {"volume", s.volume},
        {"file", text_or_null(s.file)},
        {"auto_open", s.auto_open},
        {"dev", s.dev},
        {"node", text_or_null(s.node)},
        {"backend", s.backend},
        {"provider", s.provider},
        {"temporary", s.temporary},
        {"fs", text_or_null(s.fs)},
        {"integrity", s.integrity},
        {"state", to_string(s.state)},
        {"detail", text_or_null(s.detail)},
        {"hint", text_or_null(s.hint)},
        {"adoptable", s.adoptable},
        {"mapper", text_or_null(s.mapper)},
        {"uuid", text_or_null(s.uuid)},
        {"mount_points", s.mount_points},
        {"rollback_counter", s.counter},
        {"generation", s.generation ? json(*s.generation) : json(nullptr)},
    };
}

json broken_files_json(const std::vector<ConfigProblem>& problems) {
    // Messages start with "<file>:<line>:<col>: " (config_loader.h); the
    // place goes into its own fields, the rest is the message.
    static const std::regex place("^(.*?):([0-9]{1,9})(?::([0-9]{1,9}))?: ");
    json files = json::array();
    for (const auto& problem : problems) {
        json error = {{"line", nullptr}, {"column", nullptr}, {"message", problem.message},
                      {"hint", text_or_null(problem.hint)}};
        std::smatch match;
        if (std::regex_search(problem.message, match, place) && match[1].str() == problem.file) {
            error["line"] = std::stoi(match[2].str());
            if (match[3].matched) error["column"] = std::stoi(match[3].str());
            error["message"] = match.suffix().str();
        }
        auto same = std::find_if(files.begin(), files.end(),
                                 [&](const json& f) { return f["file"] == problem.file; });
        if (same == files.end()) files.push_back({{"file", problem.file}, {"errors", json::array({error})}});
        else (*same)["errors"].push_back(error);
    }
    return files;
}

void print_json(json document) {
    document["version"] = kJsonVersion;
    // Invalid UTF-8 (a file name) is replaced rather than thrown on.
    std::cout << document.dump(2, ' ', false, json::error_handler_t::replace) << "\n" << std::flush;
}

void print_plugins_json(const std::vector<PluginRegistry::Listing>& plugins) {
    json list = json::array();
    for (const auto& p : plugins) {
        list.push_back({
            {"name", p.info.name},
            {"kind", kind_name(p.info.kind)},
            {"version", text_or_null(p.info.version)},
            {"vendor", text_or_null(p.info.vendor)},
            {"abi", std::to_string(p.info.abi_major) + "." + std::to_string(p.info.abi_minor)},
            {"path", p.info.path},
            {"error", text_or_null(p.error)},
        });
    }
    print_json({{"plugins", list}});
}

namespace {

// What the progress line is about, and when that work started.
struct ProgressState {
    std::string subject = "working";
    std::chrono::steady_clock::time_point start{};
    std::chrono::steady_clock::time_point last_shown{};
    uint64_t last_done = 0;
    int last_tenth = -1;
    bool running = false;
};

ProgressState& progress_state() {
    static ProgressState state;
    return state;
}

std::string bytes_text(double bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int unit = 0;
    while (bytes >= 1024 && unit < 4) {
        bytes /= 1024;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
    return text;
}

std::string duration_text(double seconds) {
    const long s = static_cast<long>(seconds + 0.5);
    if (s >= 3600) return std::to_string(s / 3600) + "h" + std::to_string(s / 60 % 60) + "m";
    if (s >= 60) return std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
    return std::to_string(s) + "s";
}

// "volume 'data1': writing integrity tags: 1.2 GiB of 64.0 GiB (2%), 45.3 MiB/s, 23m10s left"
std::string progress_line(const ProgressState& state, uint64_t done, uint64_t total, double elapsed) {
    const int percent = static_cast<int>(done * 100 / total);
    std::string line = state.subject + ": " + bytes_text(static_cast<double>(done)) + " of " +
                       bytes_text(static_cast<double>(total)) + " (" + std::to_string(percent) + "%)";
    if (elapsed >= 0.5 && done > 0) {
        const double rate = static_cast<double>(done) / elapsed;
        line += ", " + bytes_text(rate) + "/s";
        if (done < total) line += ", " + duration_text(static_cast<double>(total - done) / rate) + " left";
        else line += ", took " + duration_text(elapsed);
    }
    return line;
}

}  // namespace

void set_progress_subject(const std::string& subject) {
    ProgressState& state = progress_state();
    state = ProgressState{};
    state.subject = subject;
}

bool draw_progress(uint64_t done, uint64_t total) {
    static const bool tty = ::isatty(STDERR_FILENO);
    if (total == 0) return true;
    ProgressState& state = progress_state();
    const auto now = std::chrono::steady_clock::now();
    if (!state.running || done < state.last_done) {
        state.start = now;
        state.last_shown = now;
        state.running = true;
    }
    state.last_done = done;
    const double elapsed = std::chrono::duration<double>(now - state.start).count();
    const bool finished = done >= total;
    const int tenth = static_cast<int>(done * 10 / total);
    if (tty) {
        // A redrawn line, at most five times a second.
        if (!finished && now - state.last_shown < std::chrono::milliseconds(200)) return true;
        std::cerr << "\r\033[K" << progress_line(state, done, total, elapsed) << (finished ? "\n" : "")
                  << std::flush;
    } else {
        // A log line every 10 seconds or every tenth of the work, and at the end.
        if (!finished && tenth == state.last_tenth && now - state.last_shown < std::chrono::seconds(10))
            return true;
        std::cerr << "cvfs: " << progress_line(state, done, total, elapsed) << "\n" << std::flush;
    }
    state.last_shown = now;
    state.last_tenth = tenth;
    if (finished) state.running = false;
    return true;
}

}  // namespace cvfs::cli
