// The subcommands of `cvfs` (see commands.h). They pick the volumes, run the
// engine on each, and report every failure without stopping at the first.
#include "commands.h"

#include <unistd.h>

#include <iostream>

#include "boot.h"
#include "command_table.h"
#include "exit_codes.h"
#include "output.h"
#include "verb_helpers.h"
#include "base/log.h"

namespace cvfs::cli {

namespace {

// The volumes a command works on, and the exit code for names that do not
// resolve. Broken files are reported as errors; a named volume whose file
// is broken is an error. With `json`, nothing is printed: the command's JSON
// holds the broken files and `errors`.
struct Picked {
    std::vector<const VolumeConfig*> volumes;
    std::vector<Error> errors;  // names that do not resolve
    int exit_code = kSuccess;
};

Picked pick(const Engine& engine, const Selection& selection, bool default_all, bool json = false) {
    const ConfigSet& config = engine.config();
    if (!json)
        print_config_problems(config);
    Picked picked;
    // --all: the volumes opened at boot (auto_open = true), as the README and
    // docs/boot.md promise; no names and a default of all: every volume.
    if (selection.all) {
        for (const auto& volume : config.volumes)
            if (volume.auto_open) picked.volumes.push_back(&volume);
        return picked;
    }
    if (default_all && selection.names.empty()) {
        for (const auto& volume : config.volumes) picked.volumes.push_back(&volume);
        return picked;
    }
    for (const auto& name : selection.names) {
        if (const VolumeConfig* volume = config.find(name)) {
            picked.volumes.push_back(volume);
            continue;
        }
        picked.errors.emplace_back(ErrorKind::Config,
                                   "unknown volume '" + name + "' in " + config.global.confdir + "/volumes",
                                   config.problems.empty() ? "`cvfs show` lists the configured volumes"
                                   : json ? "one of the broken files may be meant to define it"
                                          : "one of the files above may be meant to define it");
        if (!json) print_error(picked.errors.back());
        picked.exit_code = kConfig;
    }
    return picked;
}

// The document of a command's --json output (docs/json.md): its volumes,
// the files that could not be used and the names that did not resolve.
nlohmann::json command_json(const Engine& engine, const Picked& picked, nlohmann::json volumes) {
    nlohmann::json errors = nlohmann::json::array();
    for (const Error& e : picked.errors) errors.push_back(error_json(e));
    return {{"volumes", std::move(volumes)},
            {"broken_files", broken_files_json(engine.config().problems)},
            {"errors", std::move(errors)}};
}

// Runs `action` on each volume; returns the exit code of the first failure.
// `action` sets the volume's "outcome" in the object it is given; with
// `results`, each volume's object (a failure with its error) is appended
// there instead of errors being printed.
template <class Action>
int for_each_volume(const Picked& picked, Action&& action, nlohmann::json* results = nullptr) {
    int exit_code = picked.exit_code;
    for (const VolumeConfig* volume : picked.volumes) {
        nlohmann::json result = {{"volume", volume->name}, {"file", volume->file}, {"outcome", nullptr}, {"error", nullptr}};
        try {
            action(*volume, result);
        } catch (const Error& e) {
            result["outcome"] = "failed";
            result["error"] = error_json(e);
            if (!results) print_error(e);
            if (exit_code == kSuccess) exit_code = exit_code_for(e.kind());
        }
        if (results) results->push_back(std::move(result));
    }
    return exit_code;
}

bool confirm_init(const VolumeConfig& volume, bool yes) {
    if (yes) return true;
    if (!::isatty(STDIN_FILENO))
        throw Error(ErrorKind::Refused,
                    "volume '" + volume.name + "': init destroys what " + volume.dev +
                        " holds and there is no terminal to ask",
                    "add --yes to confirm");
    std::cerr << "Initialise volume '" << volume.name << "' on " << volume.dev
              << "? Anything stored there is lost. Type 'yes' to go on: " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    return answer == "yes";
}

}  // namespace

int show_command(Engine& engine, const Selection& selection, bool json) {
    Picked picked = pick(engine, selection, true, json);
    std::vector<VolumeStatus> statuses;
    for (const VolumeConfig* volume : picked.volumes) statuses.push_back(engine.status(*volume));
    // Broken volume files are configuration errors even where the good
    // volumes are shown (exit code 3); `show NAME` of a good volume is not.
    if (picked.exit_code == kSuccess && selection.names.empty() && !engine.config().problems.empty())
        picked.exit_code = kConfig;
    if (json) {
        nlohmann::json volumes = nlohmann::json::array();
        for (const auto& s : statuses) volumes.push_back(status_json(s));
        print_json(command_json(engine, picked, std::move(volumes)));
        return picked.exit_code;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& s : statuses) {
        std::string state = to_string(s.state);
        if (!s.mount_points.empty()) state += " on " + s.mount_points.front();
        if (s.adoptable) state += " (cvfs adopt " + s.volume + " takes it over)";
        rows.push_back({s.volume, s.dev, s.backend,
                        s.provider + (s.temporary ? " (temporary)" : ""), s.fs.empty() ? "-" : s.fs,
                        s.integrity,
                        s.counter == "none" && !s.generation
                            ? "-"
                            : s.counter + (s.generation ? " " + std::to_string(*s.generation) : ""),
                        state});
    }
    print_table({"VOLUME", "DEVICE", "BACKEND", "PROVIDER", "FS", "INTEGRITY", "ROLLBACK", "STATE"}, rows);
    // The device's own line (model, serial, partition, size, backing file);
    // for a volume in trouble it says what is wrong, so it goes to stderr.
    for (const auto& s : statuses) {
        if (s.detail.empty()) continue;
        const bool healthy = s.state == VolumeState::Ready || s.state == VolumeState::Open ||
                             s.state == VolumeState::Mounted;
        (healthy ? std::cout : std::cerr) << s.volume << ": " << s.detail << "\n";
        if (!s.hint.empty()) (healthy ? std::cout : std::cerr) << "  hint: " << s.hint << "\n";
    }
    return picked.exit_code;
}

int init_command(Engine& engine, const Selection& selection, bool force, bool yes, bool json) {
    Picked picked = pick(engine, selection, false, json);
    nlohmann::json results = nlohmann::json::array();
    int exit_code = for_each_volume(picked, [&](const VolumeConfig& volume, nlohmann::json& result) {
        if (!confirm_init(volume, yes))
            throw Error(ErrorKind::Refused, "volume '" + volume.name + "': init cancelled");
        set_progress_subject("volume '" + volume.name + "': writing integrity tags");
        engine.init(volume, force);
        result["outcome"] = "initialised";
        if (!json) std::cout << "initialised " << volume.name << "\n";
    }, json ? &results : nullptr);
    if (json) print_json(command_json(engine, picked, std::move(results)));
    return exit_code;
}

int open_command(Engine& engine, const Selection& selection, bool json, bool no_mount) {
    Picked picked = pick(engine, selection, false, json);
    if (!json) return open_in_parallel(engine, picked.volumes, picked.exit_code);  // boot.h
    nlohmann::json results = nlohmann::json::array();
    int exit_code = open_in_parallel(engine, picked.volumes, picked.exit_code, &results, no_mount);
    print_json(command_json(engine, picked, std::move(results)));
    return exit_code;
}

int close_command(Engine& engine, const Selection& selection, bool json) {
    Picked picked = pick(engine, selection, false, json);
    nlohmann::json results = nlohmann::json::array();
    int exit_code = for_each_volume(picked, [&](const VolumeConfig& volume, nlohmann::json& result) {
        engine.close(volume);
        result["outcome"] = "closed";
        if (!json) std::cout << "closed " << volume.name << "\n";
    }, json ? &results : nullptr);
    if (json) print_json(command_json(engine, picked, std::move(results)));
    return exit_code;
}

int config_check_command(Engine& engine, const Selection& selection, bool json) {
    const bool problems = !engine.config().problems.empty();
    Picked picked = pick(engine, selection, true, json);
    nlohmann::json results = nlohmann::json::array();
    int exit_code = for_each_volume(picked, [&](const VolumeConfig& volume, nlohmann::json& result) {
        engine.check(volume);
        result["outcome"] = "ok";
        if (!json) std::cout << volume.file << ": ok (volume " << volume.name << ")\n";
    }, json ? &results : nullptr);
    if (problems && exit_code == kSuccess) exit_code = kConfig;
    if (json) print_json(command_json(engine, picked, std::move(results)));
    return exit_code;
}

int plugins_command(Engine& engine, bool json) {
    auto plugins = engine.plugins();
    if (json) {
        print_plugins_json(plugins);
    } else {
        std::vector<std::vector<std::string>> rows;
        for (const auto& p : plugins) {
            if (!p.error.empty()) continue;
            rows.push_back(
                {p.info.name, kind_name(p.info.kind), p.info.version,
                 std::to_string(p.info.abi_major) + "." + std::to_string(p.info.abi_minor),
                 p.info.vendor, p.info.path});
        }
        print_table({"NAME", "KIND", "VERSION", "ABI", "VENDOR", "PATH"}, rows);
    }
    int exit_code = kSuccess;
    for (const auto& p : plugins) {
        if (p.error.empty()) continue;
        if (!json) print_warning(p.error);
        exit_code = kFailed;
    }
    return exit_code;
}

}  // namespace cvfs::cli

// The table entries of the commands above (command_table.h).
namespace cvfs::cli {

namespace po = boost::program_options;

CVFS_COMMAND(CommandSpec{
    .name = "show",
    .usage = "[VOLUME...] [--json]",
    .summary = "the configured volumes and their state",
    .description = "Without names, every volume of the configuration folder.\n"
                   "\n"
                   "Examples:\n"
                   "  cvfs show\n"
                   "  cvfs show data1 --json\n",
    .flags = [](po::options_description& f) { f.add_options()("json", "JSON output (docs/json.md)"); },
    .run = [](CommandContext& c) {
        Engine engine(c.options);
        return show_command(engine, c.selection(), c.has("json"));
    },
    .order = 10,
});

CVFS_COMMAND(CommandSpec{
    .name = "init",
    .usage = "VOLUME... [--force] [--yes] [--json]",
    .summary = "make persistent volumes (destroys what the device holds)",
    .description = "Asks for each volume before writing; without a terminal, --yes is needed.\n"
                   "A device that holds anything recognisable is refused without --force.\n"
                   "\n"
                   "Examples:\n"
                   "  cvfs init data1\n"
                   "  cvfs init --yes data1 data2\n",
    .flags = [](po::options_description& f) {
        f.add_options()("force", "format even a device that holds data")("yes,y", "do not ask")(
            "json", "JSON output: each volume's outcome and error (docs/json.md)");
    },
    .min_operands = 1,
    .run = [](CommandContext& c) {
        Engine engine(c.options);
        return init_command(engine, c.selection(), c.has("force"), c.has("yes"), c.has("json"));
    },
    .order = 20,
});

CVFS_COMMAND(CommandSpec{
    .name = "open",
    .usage = "VOLUME...|--all [--no-mount] [--accept-rollback [--yes]] [--json]",
    .summary = "unlock (a temporary volume: make it afresh) and mount",
    .description = "Volumes are opened concurrently; each failure is reported and the others go on.\n"
                   "--all opens the volumes with auto_open = true (those opened at boot).\n"
                   "--accept-rollback (named volumes only; asked, --yes without a terminal) opens a\n"
                   "volume older than its rollback counter, or whose header names another counter than\n"
                   "its file, and brings the header to the counter (docs/rollback.md).\n"
                   "\n"
                   "Examples:\n"
                   "  cvfs open data0 data1\n"
                   "  cvfs open --all\n"
                   "  cvfs open --no-mount data1\n"
                   "  cvfs open --accept-rollback data1\n",
    .flags = [](po::options_description& f) {
        f.add_options()("all", "every auto_open volume (not with names)")("no-mount", "map the volume, mount nothing")(
            "accept-rollback", "open a volume older than its rollback counter and resynchronise (asked)")(
            "yes", "do not ask about --accept-rollback (needed without a terminal)")(
            "json", "JSON output: each volume's outcome and error (docs/json.md)");
    },
    .run = [](CommandContext& c) {
        const Selection selection = c.selection();
        if (selection.names.empty() == !selection.all) return usage_error("open");
        if (c.has("accept-rollback") && selection.all) return usage_error("open");
        c.options.no_mount = c.has("no-mount");
        if (c.has("accept-rollback")) {
            for (const std::string& name : selection.names) {
                int refused = run_verb([&] {
                    if (!confirmed(name,
                                   "Open volume '" + name + "' even if it is older than its rollback counter (an "
                                   "old copy of the disk), and make that copy the current one?",
                                   "--accept-rollback accepts an old copy of the disk", c.has("yes")))
                        throw Error(ErrorKind::Refused, "volume '" + name + "': --accept-rollback not confirmed");
                    return 0;
                });
                if (refused != 0) return refused;
            }
            log(LogLevel::Warning, "--accept-rollback confirmed for " + std::to_string(selection.names.size()) +
                                       " volume(s)");
            c.options.accept_rollback = true;
        }
        Engine engine(c.options);
        return open_command(engine, selection, c.has("json"), c.options.no_mount);
    },
    .order = 30,
});

CVFS_COMMAND(CommandSpec{
    .name = "close",
    .usage = "VOLUME...|--all [--json]",
    .summary = "unmount and lock",
    .description = "--all closes the volumes with auto_open = true.\n"
                   "\n"
                   "Examples:\n"
                   "  cvfs close data1\n"
                   "  cvfs close --all\n",
    .flags = [](po::options_description& f) {
        f.add_options()("all", "every auto_open volume (not with names)")(
            "json", "JSON output: each volume's outcome and error (docs/json.md)");
    },
    .run = [](CommandContext& c) {
        const Selection selection = c.selection();
        if (selection.names.empty() == !selection.all) return usage_error("close");
        Engine engine(c.options);
        return close_command(engine, selection, c.has("json"));
    },
    .order = 40,
});

CVFS_COMMAND(CommandSpec{
    .name = "config check",
    .usage = "[VOLUME...] [--json]",
    .summary = "check that every file parses and every plugin loads and accepts its table",
    .description = "Examples:\n"
                   "  cvfs config check\n"
                   "  cvfs -c ./myconf config check data1\n"
                   "  cvfs config check --json\n",
    .flags = [](po::options_description& f) {
        f.add_options()("json", "JSON output: each volume's outcome, the broken files (docs/json.md)");
    },
    .run = [](CommandContext& c) {
        Engine engine(c.options);
        return config_check_command(engine, c.selection(), c.has("json"));
    },
    .order = 60,
});

CVFS_COMMAND(CommandSpec{
    .name = "plugins",
    .usage = "[--json]",
    .summary = "the plugins cvfs finds, their versions and ABI",
    .description = "Examples:\n"
                   "  cvfs plugins\n"
                   "  cvfs plugins --json\n",
    .flags = [](po::options_description& f) { f.add_options()("json", "JSON output"); },
    .max_operands = 0,
    .run = [](CommandContext& c) {
        Engine engine(c.options);
        return plugins_command(engine, c.has("json"));
    },
    .order = 70,
});

}  // namespace cvfs::cli
