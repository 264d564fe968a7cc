// The table of `cvfs` commands. Each command is one entry, registered from
// the file that implements it with CVFS_COMMAND: its name (one or two words,
// e.g. "open" or "header backup"), usage, one-line summary, help text with
// examples, its own flags and how many operands it takes, and the function
// that runs it. main.cpp parses the global options, finds the entry, parses
// the command's flags against it and prints its help (`cvfs X --help`,
// `cvfs help X`). Registration happens during static initialisation, before
// main; the table is read-only afterwards.
#pragma once

#include <boost/program_options.hpp>
#include <functional>
#include <string>
#include <vector>

#include "commands.h"
#include "volume/engine.h"

namespace cvfs::cli {

// What a command's run function gets: the engine options (not yet an engine:
// a command makes its own, so usage errors need no configuration), its parsed
// flags and its operands (the words that are not flags: volume names, a
// folder, a file).
struct CommandContext {
    EngineOptions& options;
    const boost::program_options::variables_map& flags;
    std::vector<std::string> operands;

    bool has(const char* flag) const { return flags.count(flag) > 0; }
    std::string value(const char* flag) const {
        return flags.count(flag) ? flags[flag].as<std::string>() : std::string();
    }
    // The operands as volume names, with --all if the command has that flag.
    Selection selection() const;
};

struct CommandSpec {
    std::string name{};         // "open", or two words: "config check"
    std::string usage{};        // what follows the name: "VOLUME...|--all [--no-mount]"
    std::string summary{};      // one line for the command list
    std::string description{};  // paragraphs for `cvfs help NAME`; may end with "Examples:" lines
    // Adds the command's flags (--help is added for every command).
    std::function<void(boost::program_options::options_description&)> flags{};
    int min_operands = 0;
    int max_operands = -1;  // -1: no limit
    std::function<int(CommandContext&)> run{};
    int order = 100;  // place in the command list (smaller first)
};

// Adds a command to the table; returns true (for static registration).
bool register_command(CommandSpec spec);
const std::vector<CommandSpec>& command_table();

// Prints "cvfs: usage: cvfs NAME USAGE" and a hint to stderr; returns the
// usage exit code. For checks of operands and flags beyond their count.
int usage_error(const std::string& command_name);

}  // namespace cvfs::cli

#define CVFS_COMMAND_CONCAT2(a, b) a##b
#define CVFS_COMMAND_CONCAT(a, b) CVFS_COMMAND_CONCAT2(a, b)
// CVFS_COMMAND(CommandSpec{...}); at namespace scope in the command's file.
#define CVFS_COMMAND(...) \
    [[maybe_unused]] static const bool CVFS_COMMAND_CONCAT(cvfs_command_registered_, __LINE__) = \
        ::cvfs::cli::register_command(__VA_ARGS__)
