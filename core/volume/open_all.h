// Opening many volumes at once, as boot does.
//
// Each volume's open runs on its own worker (Boost.Asio thread pool), so a
// slow key provider (a KMS behind a slow network, a TPM) does not hold up the
// others, and one volume's failure neither stops nor cancels the rest: every
// volume ends with its own outcome. Each open is still bounded by the
// volume's own timeout (the engine's deadline), and still takes the volume's
// lock, so a concurrent `cvfs open` of the same volume waits its turn.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "volume/engine.h"

namespace cvfs {

struct OpenOutcome {
    const VolumeConfig* volume = nullptr;
    std::optional<Error> error;  // empty: the volume is open (and mounted, if configured)
    std::chrono::milliseconds elapsed{0};
};

// Opens `volumes` concurrently, at most `max_parallel` at a time (0: all at
// once). `on_done` (may be empty) is called once per volume as soon as it
// finishes, from a worker thread, one call at a time; it must not throw. Returns the outcomes in
// the order of `volumes`. Never throws for a volume's failure.
std::vector<OpenOutcome> open_concurrently(Engine& engine, const std::vector<const VolumeConfig*>& volumes,
                                           size_t max_parallel,
                                           const std::function<void(const OpenOutcome&)>& on_done);

}  // namespace cvfs
