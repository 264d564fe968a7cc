// Small helpers the operator's verbs (status, header, recovery-key, enroll,
// erase) share: finding the one volume a verb names and running it with the
// exit code of its error.
#pragma once

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
