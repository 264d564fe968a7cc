// `cvfs`: open, close and manage encrypted volumes from configuration.
//
//   cvfs [-c DIR] [-v] COMMAND [ARGS]
//
// The global options come first, then the command and its own options.
// Everything real happens in the core engine; this file parses the command
// line, installs logging and signal handling, and maps errors to exit codes.
#include <signal.h>

#include <atomic>
#include <boost/program_options.hpp>
#include <iostream>

#include "boot.h"
#include "commands.h"
#include "base/core_dump_guard.h"
#include "exit_codes.h"
#include "output.h"

namespace po = boost::program_options;
using namespace cvfs;
using namespace cvfs::cli;

namespace {

std::atomic<bool> cancel_requested{false};

void on_signal(int) { cancel_requested = true; }

const char* usage_text =
    "Usage: cvfs [-c DIR] [-v] COMMAND [ARGS]\n"
    "\n"
    "Commands:\n"
    "  show [VOLUME...] [--json]        state of the configured volumes\n"
    "  init VOLUME... [--force] [--yes] make persistent volumes (destroys what the device holds)\n"
    "  open VOLUME...|--all [--no-mount] unlock (a temporary volume: make it afresh), mount\n"
    "  close VOLUME...|--all            unmount and lock\n"
    "  config check [VOLUME...]         check configuration files and plugins\n"
    "  plugins [--json]                 list the plugins cvfs finds\n"
    "  reseal VOLUME... [--recovery-key-file FILE]\n"
    "                                   new key from the provider in place of the old one\n"
    "  add-recovery-key VOLUME --key-file FILE\n"
    "                                   add a keyslot for the passphrase in FILE (for reseal)\n"
    "  generate-units DIR               write systemd units for auto_open volumes into DIR\n"
    "\n"
    "Exit codes: 0 success, 1 an operation failed, 2 usage error, 3 configuration error,\n"
    "4 refused (needs --force or --yes), 5 another cvfs process holds the volume.\n";

struct CommandLine {
    std::string command;
    std::vector<std::string> rest;
    po::variables_map globals;
};

int parse_globals(int argc, char** argv, CommandLine& line) {
    po::options_description global("Global options");
    global.add_options()("help,h", "show this help")("version", "print the version")(
        "confdir,c", po::value<std::string>()->default_value(CVFS_DEFAULT_CONFDIR),
        "configuration folder")("verbose,v", po::value<int>()->implicit_value(1)->zero_tokens(),
                                "more output (info lines)")(
        "command", po::value<std::string>(), "")("args", po::value<std::vector<std::string>>(), "");
    po::positional_options_description positional;
    positional.add("command", 1).add("args", -1);
    po::parsed_options parsed = po::command_line_parser(argc, argv)
                                    .options(global)
                                    .positional(positional)
                                    .allow_unregistered()
                                    .run();
    po::store(parsed, line.globals);
    if (line.globals.count("help")) {
        std::cout << usage_text << "\n" << global;
        return kSuccess;
    }
    if (line.globals.count("version")) {
        std::cout << "cvfs " << CVFS_VERSION << " (plugin ABI " << CVFS_PLUGIN_ABI_MAJOR << "."
                  << CVFS_PLUGIN_ABI_MINOR << ")\n";
        return kSuccess;
    }
    if (!line.globals.count("command")) {
        std::cerr << usage_text;
        return kUsage;
    }
    line.command = line.globals["command"].as<std::string>();
    line.rest = po::collect_unrecognized(parsed.options, po::include_positional);
    line.rest.erase(line.rest.begin());  // the command itself
    return -1;
}

// Parses a command's own options: VOLUME... plus the flags it accepts.
po::variables_map parse_command(const std::vector<std::string>& args, po::options_description& options) {
    options.add_options()("volumes", po::value<std::vector<std::string>>()->composing(), "");
    po::positional_options_description positional;
    positional.add("volumes", -1);
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
    return vm;
}

Selection selection_of(const po::variables_map& vm) {
    Selection selection;
    if (vm.count("volumes")) selection.names = vm["volumes"].as<std::vector<std::string>>();
    selection.all = vm.count("all") > 0;
    return selection;
}

int run(const CommandLine& line) {
    EngineOptions options;
    options.confdir = line.globals["confdir"].as<std::string>();
    // A long step (the integrity wipe) stops within a block's write of Ctrl-C or SIGTERM.
    options.progress = [](uint64_t done, uint64_t total) {
        draw_progress(done, total);
        return !cancel_requested.load();
    };
    options.cancel = &cancel_requested;

    std::vector<std::string> args = line.rest;
    po::options_description flags;
    if (line.command == "config") {
        if (args.empty() || args.front() != "check") {
            std::cerr << "cvfs: usage: cvfs config check [VOLUME...]\n";
            return kUsage;
        }
        args.erase(args.begin());
        po::variables_map vm = parse_command(args, flags);
        Engine engine(options);
        return config_check_command(engine, selection_of(vm));
    }
    if (line.command == "show" || line.command == "plugins") flags.add_options()("json", "JSON output");
    if (line.command == "init") flags.add_options()("force", "destroy existing data")("yes,y", "do not ask");
    if (line.command == "open" || line.command == "close") flags.add_options()("all", "every volume");
    if (line.command == "open") flags.add_options()("no-mount", "map the volume, mount nothing");
    if (line.command == "reseal")
        flags.add_options()("recovery-key-file", po::value<std::string>(), "another keyslot's passphrase");
    if (line.command == "add-recovery-key")
        flags.add_options()("key-file", po::value<std::string>(), "the recovery passphrase, mode 0600");
    po::variables_map vm = parse_command(args, flags);
    const Selection selection = selection_of(vm);

    if (line.command == "show") {
        Engine engine(options);
        return show_command(engine, selection, vm.count("json") > 0);
    }
    if (line.command == "generate-units") {
        if (selection.names.size() != 1) {
            std::cerr << "cvfs: usage: cvfs generate-units DIR\n";
            return kUsage;
        }
        Engine engine(options);
        return generate_units_command(engine, selection.names.front());
    }
    if (line.command == "reseal") {
        if (selection.names.empty()) {
            std::cerr << "cvfs: usage: cvfs reseal VOLUME... [--recovery-key-file FILE]\n";
            return kUsage;
        }
        Engine engine(options);
        return reseal_command(engine, selection,
                              vm.count("recovery-key-file") ? vm["recovery-key-file"].as<std::string>() : "");
    }
    if (line.command == "add-recovery-key") {
        if (selection.names.size() != 1 || !vm.count("key-file")) {
            std::cerr << "cvfs: usage: cvfs add-recovery-key VOLUME --key-file FILE\n";
            return kUsage;
        }
        Engine engine(options);
        return add_recovery_key_command(engine, selection.names.front(), vm["key-file"].as<std::string>());
    }
    if (line.command == "plugins") {
        Engine engine(options);
        return plugins_command(engine, vm.count("json") > 0);
    }
    if (line.command == "init" || line.command == "open" || line.command == "close") {
        if (selection.names.empty() && !selection.all) {
            std::cerr << "cvfs: usage: cvfs " << line.command << " VOLUME..."
                      << (line.command == "init" ? "" : "|--all") << "\n";
            return kUsage;
        }
        options.no_mount = vm.count("no-mount") > 0;
        Engine engine(options);
        if (line.command == "init") return init_command(engine, selection, vm.count("force") > 0, vm.count("yes") > 0);
        if (line.command == "open") return open_command(engine, selection);
        return close_command(engine, selection);
    }
    std::cerr << "cvfs: unknown command '" << line.command << "'\n" << usage_text;
    return kUsage;
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
        CommandLine line;
        if (int code = parse_globals(argc, argv, line); code >= 0) return code;
        install_log_sink(line.globals.count("verbose") ? LogLevel::Info : LogLevel::Warning);
        return run(line);
    } catch (const po::error& e) {
        std::cerr << "cvfs: " << e.what() << "\n" << usage_text;
        return kUsage;
    } catch (const Error& e) {
        print_error(e);
        return exit_code_for(e.kind());
    } catch (const std::exception& e) {
        std::cerr << "cvfs: error: " << e.what() << "\n";
        return kFailed;
    }
}
