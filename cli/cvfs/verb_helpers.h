// Small helpers the operator's verbs (status, header, recovery-key, enroll,
// erase) share: finding the one volume a verb names and running it with the
// exit code of its error.
#pragma once

#include <unistd.h>

#include <iostream>
#include <string>

#include "exit_codes.h"
#include "output.h"
#include "volume/engine.h"

namespace cvfs::cli {

// The volume called `name`; throws Config naming the folder when there is none.
inline const VolumeConfig& named_volume(const Engine& engine, const std::string& name) {
    const ConfigSet& config = engine.config();
    if (const VolumeConfig* volume = config.find(name)) return *volume;
    throw Error(ErrorKind::Config, "unknown volume '" + name + "' in " + config.global.confdir + "/volumes",
                "`cvfs show` lists the configured volumes");
}

// Asks `question` on the terminal ("Type 'yes' to go on" is added); true for
// "yes", and at once with `yes` (--yes). Without a terminal and without
// --yes, throws Refused: `refusal` for volume `volume`, with the --yes hint.
inline bool confirmed(const std::string& volume, const std::string& question, const std::string& refusal,
                      bool yes) {
    if (yes) return true;
    if (!::isatty(STDIN_FILENO))
        throw Error(ErrorKind::Refused, "volume '" + volume + "': " + refusal + " and there is no terminal to ask",
                    "add --yes to confirm");
    std::cerr << question << " Type 'yes' to go on: " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    return answer == "yes";
}

// Runs `action`; an Error is printed and becomes its exit code.
template <class Action>
int run_verb(Action&& action) {
    try {
        return action();
    } catch (const Error& e) {
        print_error(e);
        return exit_code_for(e.kind());
    }
}

}  // namespace cvfs::cli
