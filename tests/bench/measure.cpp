// Runs a command and reports its wall time and peak resident memory, for the
// benchmarks: `measure CMD [ARGS...]` prints "wall_ms=<ms> peak_rss_kib=<KiB>"
// on stderr and exits with the command's status (its output passes through).
// The figures come from the kernel (wait4's rusage), so they cover the
// command itself and nothing of the shell that runs the benchmark.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s COMMAND [ARGS...]\n", argv[0]);
        return 2;
    }
    const auto start = std::chrono::steady_clock::now();
    pid_t child = fork();
    if (child < 0) {
        std::fprintf(stderr, "measure: fork failed: %s\n", std::strerror(errno));
        return 2;
    }
    if (child == 0) {
        execvp(argv[1], argv + 1);
        std::fprintf(stderr, "measure: cannot run %s: %s\n", argv[1], std::strerror(errno));
        _exit(127);
    }
    int status = 0;
    rusage usage{};
    while (wait4(child, &status, 0, &usage) < 0) {
        if (errno != EINTR) {
            std::fprintf(stderr, "measure: wait4 failed: %s\n", std::strerror(errno));
            return 2;
        }
    }
    const auto elapsed = std::chrono::steady_clock::now() - start;
    const double wall_ms = std::chrono::duration<double, std::milli>(elapsed).count();
    std::fprintf(stderr, "wall_ms=%.1f peak_rss_kib=%ld\n", wall_ms, usage.ru_maxrss);
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}
