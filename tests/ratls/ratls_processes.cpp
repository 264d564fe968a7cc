// Starting and stopping swtpm and cvfs-secretd for the loopback tests.
#include "ratls_processes.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace ratls_test {
namespace {

pid_t spawn(const std::vector<std::string>& argv, const std::string& log) {
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 2);
            dup2(fd, 1);
        }
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execvp(args[0], args.data());
        _exit(127);
    }
    if (pid < 0) throw std::runtime_error("fork failed");
    return pid;
}

void stop(pid_t pid) {
    if (pid <= 0) return;
    kill(pid, SIGTERM);
    for (int i = 0; i < 100; ++i) {
        if (waitpid(pid, nullptr, WNOHANG) == pid) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
}

bool exited(pid_t pid) { return waitpid(pid, nullptr, WNOHANG) == pid; }

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

bool port_open(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    return ok;
}

SwtpmProcess::SwtpmProcess(const std::string& state_dir) {
    std::mt19937 random(std::random_device{}());
    for (int attempt = 0; attempt < 10; ++attempt) {
        port_ = 20000 + static_cast<int>(random() % 20000) * 2;
        if (port_open(port_) || port_open(port_ + 1)) continue;
        pid_ = spawn({"swtpm", "socket", "--tpm2", "--tpmstate", "dir=" + state_dir, "--server",
                      "type=tcp,port=" + std::to_string(port_) + ",bindaddr=127.0.0.1", "--ctrl",
                      "type=tcp,port=" + std::to_string(port_ + 1) + ",bindaddr=127.0.0.1",
                      "--flags", "not-need-init,startup-clear"},
                     state_dir + "/swtpm.log");
        for (int i = 0; i < 100 && !exited(pid_); ++i) {
            if (port_open(port_)) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        stop(pid_);
        pid_ = -1;
    }
    throw std::runtime_error("swtpm did not start: " + read_text(state_dir + "/swtpm.log"));
}

SwtpmProcess::~SwtpmProcess() { stop(pid_); }

std::string SwtpmProcess::tcti() const {
    return "swtpm:host=127.0.0.1,port=" + std::to_string(port_);
}

SecretdProcess::SecretdProcess(const std::string& binary, const std::string& config,
                               const std::string& log)
    : SecretdProcess(std::vector<std::string>{binary, "--config", config}, log) {}

SecretdProcess::SecretdProcess(const std::vector<std::string>& argv, const std::string& log)
    : log_(log) {
    pid_ = spawn(argv, log);
    for (int i = 0; i < 200; ++i) {
        std::string text = read_text(log);
        auto at = text.find("(port ");
        if (at != std::string::npos) {
            port_ = std::stoi(text.substr(at + 6));
            return;
        }
        if (exited(pid_)) {
            pid_ = -1;
            throw std::runtime_error(argv[0] + " exited: " + text);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("cvfs-secretd did not start listening: " + read_text(log));
}

SecretdProcess::~SecretdProcess() { stop(pid_); }

std::string SecretdProcess::reload() {
    size_t before = read_text(log_).size();
    kill(pid_, SIGHUP);
    for (int i = 0; i < 200; ++i) {
        std::string fresh = read_text(log_).substr(before);
        for (const char* outcome : {"reloaded ", "reload refused"}) {
            auto at = fresh.find(outcome);
            if (at != std::string::npos) return fresh.substr(at, fresh.find('\n', at) - at);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return "no reload line";
}

std::string SecretdProcess::log_text() const { return read_text(log_); }

}  // namespace ratls_test
