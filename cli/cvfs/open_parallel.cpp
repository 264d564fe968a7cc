// `cvfs open` of several volumes: all at once (open_all.h), each reported as
// it finishes, and a summary that makes a failure impossible to miss.
#include <iostream>

#include "base/log.h"
#include "boot.h"
#include "exit_codes.h"
#include "output.h"
#include "volume/open_all.h"

namespace cvfs::cli {

namespace {

void report(const OpenOutcome& outcome) {
    const VolumeConfig& volume = *outcome.volume;
    if (outcome.error) {
        print_error(*outcome.error, volume.name);
        return;
    }
    std::cout << "opened " << volume.name << " at /dev/mapper/" << volume.name;
    if (volume.mount) std::cout << ", mounted on " << volume.mount->point;
    std::cout << "\n" << std::flush;
}

// One volume's object in `open --json` (docs/json.md).
nlohmann::json outcome_json(const OpenOutcome& outcome, bool no_mount) {
    const VolumeConfig& volume = *outcome.volume;
    nlohmann::json result = {{"volume", volume.name},
                             {"file", volume.file},
                             {"outcome", outcome.error ? "failed" : "opened"},
                             {"mapper", nullptr},
                             {"mount_point", nullptr},
                             {"error", nullptr}};
    if (outcome.error) {
        result["error"] = error_json(*outcome.error);
        return result;
    }
    result["mapper"] = "/dev/mapper/" + volume.name;
    if (volume.mount && !no_mount) result["mount_point"] = volume.mount->point;
    return result;
}

}  // namespace

int open_in_parallel(Engine& engine, const std::vector<const VolumeConfig*>& volumes, int exit_code,
                     nlohmann::json* results, bool no_mount) {
    std::vector<OpenOutcome> outcomes =
        open_concurrently(engine, volumes, 0, results ? std::function<void(const OpenOutcome&)>() : report);
    std::string failed;
    size_t failures = 0;
    for (const OpenOutcome& outcome : outcomes) {
        if (results) results->push_back(outcome_json(outcome, no_mount));
        if (!outcome.error) continue;
        ++failures;
        failed += (failed.empty() ? "" : ", ") + outcome.volume->name;
        if (exit_code == kSuccess) exit_code = exit_code_for(outcome.error->kind());
    }
    if (failures > 0 && volumes.size() > 1 && !results)
        std::cerr << (stderr_is_journal() ? "<3>" : "") << "cvfs: " << failures << " of " << volumes.size()
                  << " volumes failed to open: " << failed << "\n";
    return exit_code;
}

}  // namespace cvfs::cli
