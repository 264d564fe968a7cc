// Terminal output of `cvfs` (see output.h). JSON is written with toml++'s
// JSON formatter, so values keep their types and strings are escaped.
#include "output.h"

#include "plugin/plugin_files.h"

#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <toml++/toml.h>

namespace cvfs::cli {

namespace {
const char* level_name(LogLevel level) {
    switch (level) {
        case LogLevel::Error: return "error";
        case LogLevel::Warning: return "warning";
        case LogLevel::Info: return "info";
        case LogLevel::Debug: return "debug";
    }
    return "info";
}

void print_json(const toml::array& array) {
    toml::table root;
    root.insert("items", array);
    // toml++ formats tables; unwrap the one array we want on stdout.
    std::cout << toml::json_formatter{*root.get_as<toml::array>("items")} << "\n";
}
}  // namespace

std::string kind_name(uint32_t kind) {
    return kind_config_name(static_cast<PluginKind>(kind));
}

void install_log_sink(LogLevel max_level) {
    set_log_sink([max_level](LogLevel level, const std::string& message) {
        if (level > max_level) return;
        std::cerr << "cvfs: " << level_name(level) << ": " << message << "\n";
    });
}

void print_error(const Error& error) {
    std::cerr << "cvfs: error: " << error.what() << "\n";
    if (!error.hint().empty()) std::cerr << "  hint: " << error.hint() << "\n";
}

void print_warning(const std::string& message) { std::cerr << "cvfs: warning: " << message << "\n"; }

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

void print_status_json(const std::vector<VolumeStatus>& statuses) {
    toml::array array;
    for (const auto& s : statuses) {
        toml::array mounts;
        for (const auto& point : s.mount_points) mounts.push_back(point);
        array.push_back(toml::table{
            {"volume", s.volume},       {"dev", s.dev},
            {"node", s.node},           {"backend", s.backend},
            {"provider", s.provider},   {"fs", s.fs},
            {"integrity", s.integrity}, {"temporary", s.temporary},
            {"state", to_string(s.state)}, {"detail", s.detail},
            {"mount_points", mounts},
        });
    }
    print_json(array);
}

void print_plugins_json(const std::vector<PluginRegistry::Listing>& plugins) {
    toml::array array;
    for (const auto& p : plugins) {
        array.push_back(toml::table{
            {"name", p.info.name},
            {"kind", kind_name(p.info.kind)},
            {"version", p.info.version},
            {"vendor", p.info.vendor},
            {"abi", std::to_string(p.info.abi_major) + "." + std::to_string(p.info.abi_minor)},
            {"path", p.info.path},
            {"error", p.error},
        });
    }
    print_json(array);
}

bool draw_progress(uint64_t done, uint64_t total) {
    static const bool tty = ::isatty(STDERR_FILENO);
    if (!tty || total == 0) return true;
    const int percent = static_cast<int>(done * 100 / total);
    const int filled = percent * 30 / 100;
    std::cerr << "\r[" << std::string(filled, '#') << std::string(30 - filled, ' ') << "] " << percent
              << "%" << (done >= total ? "\n" : "") << std::flush;
    return true;
}

}  // namespace cvfs::cli
