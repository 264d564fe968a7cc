// open_concurrently (see open_all.h): one Boost.Asio pool task per volume.
#include "volume/open_all.h"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <exception>
#include <mutex>

#include "base/log.h"

namespace cvfs {

namespace {

// Runs one volume's open and turns whatever it throws into the outcome.
OpenOutcome open_one(Engine& engine, const VolumeConfig& volume) {
    OpenOutcome outcome;
    outcome.volume = &volume;
    const auto start = std::chrono::steady_clock::now();
    try {
        engine.open(volume);
    } catch (const Error& e) {
        // Among many volumes' messages, each must say which volume it is about.
        const std::string name = "'" + volume.name + "'";
        outcome.error = std::string(e.what()).find(name) != std::string::npos
                            ? e
                            : Error(e.kind(), "volume " + name + ": " + e.what(), e.hint());
    } catch (const std::exception& e) {
        outcome.error = Error(ErrorKind::System, "volume '" + volume.name + "': " + e.what());
    } catch (...) {
        outcome.error = Error(ErrorKind::System, "volume '" + volume.name + "': unknown failure");
    }
    outcome.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    return outcome;
}

}  // namespace

std::vector<OpenOutcome> open_concurrently(Engine& engine, const std::vector<const VolumeConfig*>& volumes,
                                           size_t max_parallel,
                                           const std::function<void(const OpenOutcome&)>& on_done) {
    std::vector<OpenOutcome> outcomes(volumes.size());
    if (volumes.empty()) return outcomes;
    size_t threads = max_parallel == 0 ? volumes.size() : std::min(max_parallel, volumes.size());
    std::mutex report_mutex;
    boost::asio::thread_pool pool(threads);
    for (size_t i = 0; i < volumes.size(); ++i) {
        boost::asio::post(pool, [&, i] {
            OpenOutcome outcome = open_one(engine, *volumes[i]);
            std::lock_guard lock(report_mutex);
            outcomes[i] = std::move(outcome);
            if (on_done) on_done(outcomes[i]);
        });
    }
    pool.join();
    return outcomes;
}

}  // namespace cvfs
