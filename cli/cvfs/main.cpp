// `cvfs`: open, close and manage encrypted volumes from configuration.
//
//   cvfs [-c DIR] [-v] COMMAND [ARGS]
//
// The global options come first, then the command and its own options. The
// commands themselves are entries of the command table (command_table.h), each
// registered by the file that implements it; this file parses the global
// options, finds the command, parses its flags, prints help, installs logging
// and signal handling, and maps errors to exit codes.
#include <signal.h>

#include <atomic>
#include <boost/program_options.hpp>
#include <iostream>

#include "base/core_dump_guard.h"
#include "boot.h"
#include "command_table.h"
#include "exit_codes.h"
#include "output.h"

namespace po = boost::program_options;
using namespace cvfs;
using namespace cvfs::cli;

namespace {

std::atomic<bool> cancel_requested{false};

void on_signal(int) { cancel_requested = true; }

const char* global_usage = "Usage: cvfs [-c DIR] [-v] COMMAND [ARGS]\n";

const char* global_options_text =
    "Global options (before the command):\n"
    "  -c, --confdir DIR   configuration folder (default " CVFS_DEFAULT_CONFDIR ")\n"
    "  -v, --verbose       more output (info lines)\n"
    "  -h, --help          this help; `cvfs help COMMAND` or `cvfs COMMAND --help` for a command\n"
    "  --version           print the version and plugin ABI\n";

void print_global_help(std::ostream& out) {
    out << global_usage << "\nCommands:\n";
    size_t width = 0;
    for (const auto& c : command_table()) width = std::max(width, c.name.size());
    for (const auto& c : command_table())
        out << "  " << c.name << std::string(width - c.name.size() + 2, ' ') << c.summary << "\n";
    out << "\n" << global_options_text << "\n" << exit_codes_text;
}

struct GlobalOptions {
    std::string confdir = CVFS_DEFAULT_CONFDIR;
    bool verbose = false;
    bool help = false;
    bool version = false;
    std::vector<std::string> rest;  // the command and its arguments
};

struct UsageError {
    std::string message;
    std::string hint;
};

// The global options, up to the first word that is not one: that word is the
// command. Anything else that looks like an option is reported by name.
GlobalOptions parse_globals(int argc, char** argv) {
    GlobalOptions globals;
    int i = 1;
    for (; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--") {
            ++i;
            break;
        }
        if (arg.empty() || arg[0] != '-' || arg == "-") break;
        if (arg == "-h" || arg == "--help") {
            globals.help = true;
        } else if (arg == "--version") {
            globals.version = true;
        } else if (arg == "-v" || arg == "--verbose") {
            globals.verbose = true;
        } else if (arg == "-c" || arg == "--confdir") {
            if (i + 1 >= argc) throw UsageError{"option '" + arg + "' needs a folder", "cvfs -c DIR COMMAND"};
            globals.confdir = argv[++i];
        } else if (arg.rfind("--confdir=", 0) == 0) {
            globals.confdir = arg.substr(10);
        } else if (arg.rfind("-c", 0) == 0 && arg.size() > 2 && arg[2] != '-') {
            globals.confdir = arg.substr(2);
        } else {
            throw UsageError{"unknown option '" + arg + "'",
                             "global options are -c DIR, -v, --help and --version; a command's own options "
                             "come after it (`cvfs help COMMAND`)"};
        }
    }
    for (; i < argc; ++i) globals.rest.emplace_back(argv[i]);
    return globals;
}

// The table entry `words` name (two words first: "config check"), and how
// many words its name took; nullptr if none.
const CommandSpec* find_command(const std::vector<std::string>& words, size_t& taken) {
    if (words.size() >= 2)
        for (const auto& c : command_table())
            if (c.name == words[0] + " " + words[1]) {
                taken = 2;
                return &c;
            }
    for (const auto& c : command_table())
        if (c.name == words[0]) {
            taken = 1;
            return &c;
        }
    return nullptr;
}

// The commands whose name starts with the word `group` ("config" -> "config check").
std::vector<const CommandSpec*> group_members(const std::string& group) {
    std::vector<const CommandSpec*> members;
    for (const auto& c : command_table())
        if (c.name.rfind(group + " ", 0) == 0) members.push_back(&c);
    return members;
}

void add_common_flags(po::options_description& flags) { flags.add_options()("help,h", "show this command's help"); }

void print_command_help(const CommandSpec& c, std::ostream& out) {
    out << "Usage: cvfs [-c DIR] [-v] " << c.name << (c.usage.empty() ? "" : " " + c.usage) << "\n\n"
        << c.summary << "\n";
    if (!c.description.empty()) out << "\n" << c.description << (c.description.back() == '\n' ? "" : "\n");
    po::options_description flags("Options");
    if (c.flags) c.flags(flags);
    add_common_flags(flags);
    out << "\n" << flags;
}

void print_group_help(const std::string& group, std::ostream& out) {
    out << "Usage: cvfs [-c DIR] [-v] " << group << " SUBCOMMAND [ARGS]\n\nSubcommands:\n";
    for (const CommandSpec* c : group_members(group))
        out << "  " << c->name << (c->usage.empty() ? "" : " " + c->usage) << "\n      " << c->summary << "\n";
}

// `cvfs help [COMMAND...]`.
int help_command(const std::vector<std::string>& words) {
    if (words.empty()) {
        print_global_help(std::cout);
        return kSuccess;
    }
    size_t taken = 0;
    if (const CommandSpec* c = find_command(words, taken); c && taken == words.size()) {
        print_command_help(*c, std::cout);
        return kSuccess;
    }
    if (words.size() == 1 && !group_members(words[0]).empty()) {
        print_group_help(words[0], std::cout);
        return kSuccess;
    }
    std::string name;
    for (const auto& w : words) name += (name.empty() ? "" : " ") + w;
    throw UsageError{"no command '" + name + "'", "`cvfs help` lists the commands"};
}

int run_command(const CommandSpec& c, std::vector<std::string> args, EngineOptions& options) {
    po::options_description visible;
    if (c.flags) c.flags(visible);
    add_common_flags(visible);
    po::options_description hidden;
    hidden.add_options()("operands", po::value<std::vector<std::string>>()->composing(), "");
    po::options_description all;
    all.add(visible).add(hidden);
    po::positional_options_description positional;
    positional.add("operands", -1);
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
        // --help before notify: a required option is not required to ask for help.
        if (vm.count("help")) {
            print_command_help(c, std::cout);
            return kSuccess;
        }
        po::notify(vm);
    } catch (const po::error& e) {
        throw UsageError{"cvfs " + c.name + ": " + e.what(), "`cvfs " + c.name + " --help` shows its usage"};
    }
    CommandContext context{options, vm, {}};
    if (vm.count("operands")) context.operands = vm["operands"].as<std::vector<std::string>>();
    const int n = static_cast<int>(context.operands.size());
    if (n < c.min_operands || (c.max_operands >= 0 && n > c.max_operands)) return usage_error(c.name);
    return c.run(context);
}

int dispatch(const GlobalOptions& globals) {
    if (globals.version) {
        std::cout << "cvfs " << CVFS_VERSION << " (plugin ABI " << CVFS_PLUGIN_ABI_MAJOR << "."
                  << CVFS_PLUGIN_ABI_MINOR << ")\n";
        return kSuccess;
    }
    if (globals.help && globals.rest.empty()) {
        print_global_help(std::cout);
        return kSuccess;
    }
    if (globals.rest.empty()) {
        print_global_help(std::cerr);
        return kUsage;
    }
    const std::vector<std::string>& words = globals.rest;
    if (words[0] == "help") return help_command({words.begin() + 1, words.end()});

    EngineOptions options;
    options.confdir = globals.confdir;
    // A long step (the integrity wipe) stops within a block's write of Ctrl-C or SIGTERM.
    options.progress = [](uint64_t done, uint64_t total) {
        draw_progress(done, total);
        return !cancel_requested.load();
    };
    options.cancel = &cancel_requested;

    size_t taken = 0;
    const CommandSpec* command = find_command(words, taken);
    if (!command) {
        auto members = group_members(words[0]);
        if (members.empty())
            throw UsageError{"unknown command '" + words[0] + "'", "`cvfs help` lists the commands"};
        if (globals.help || words.size() == 1 || words[1] == "--help" || words[1] == "-h") {
            print_group_help(words[0], globals.help || words.size() > 1 ? std::cout : std::cerr);
            return globals.help || words.size() > 1 ? kSuccess : kUsage;
        }
        throw UsageError{"unknown subcommand '" + words[1] + "' of '" + words[0] + "'",
                         "`cvfs help " + words[0] + "` lists them"};
    }
    if (globals.help) {
        print_command_help(*command, std::cout);
        return kSuccess;
    }
    return run_command(*command, {words.begin() + static_cast<long>(taken), words.end()}, options);
}

}  // namespace

int main(int argc, char** argv) {
    // Before anything can hold a key (see core_dump_guard.h).
    if (std::string failed = forbid_core_dumps(); !failed.empty()) {
        std::cerr << "cvfs: error: cannot keep keys out of core dumps: " << failed << "\n";
        return kFailed;
    }
    if (started_as_generator(argv[0])) return generator_main(argc, argv);
    struct sigaction action {};
    action.sa_handler = on_signal;
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);

    try {
        GlobalOptions globals = parse_globals(argc, argv);
        install_log_sink(globals.verbose ? LogLevel::Info : LogLevel::Warning);
        return dispatch(globals);
    } catch (const UsageError& e) {
        // At error priority when stderr is the journal, like every failure (log.h).
        const std::string priority = stderr_is_journal() ? "<3>" : "";
        std::cerr << priority << (e.message.rfind("cvfs", 0) == 0 ? "" : "cvfs: ") << e.message << "\n";
        if (!e.hint.empty()) std::cerr << priority << "  hint: " << e.hint << "\n";
        return kUsage;
    } catch (const Error& e) {
        print_error(e);
        return exit_code_for(e.kind());
    } catch (const std::exception& e) {
        std::cerr << format_log_line("cvfs", LogLevel::Error, e.what(), stderr_is_journal()) << "\n";
        return kFailed;
    }
}
