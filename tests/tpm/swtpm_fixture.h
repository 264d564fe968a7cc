// A private swtpm for one test: a fresh TPM 2.0 state in a temporary folder,
// served on two free TCP ports of the loopback (commands on P, control on
// P+1), started and powered on (startup-clear), and killed at the end. The
// tests reach it through the swtpm TCTI, as the plugin does in production
// through the device TCTI.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>

#include "plugins_test_host.h"

namespace tpm_test {

// True when nothing listens on 127.0.0.1:port and it can be bound.
inline bool port_free(uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    return ok;
}

inline bool port_answers(uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    return ok;
}

// Two consecutive free ports in the dynamic range.
inline uint16_t free_port_pair() {
    std::random_device seed;
    std::mt19937 pick(seed());
    std::uniform_int_distribution<int> range(20000, 60000);
    for (int attempt = 0; attempt < 200; ++attempt) {
        auto port = static_cast<uint16_t>(range(pick));
        if (port_free(port) && port_free(static_cast<uint16_t>(port + 1))) return port;
    }
    throw std::runtime_error("no two free consecutive TCP ports on 127.0.0.1");
}

class Swtpm {
public:
    Swtpm() : port_(free_port_pair()) {
        std::string server = "type=tcp,port=" + std::to_string(port_) + ",bindaddr=127.0.0.1";
        std::string ctrl = "type=tcp,port=" + std::to_string(port_ + 1) + ",bindaddr=127.0.0.1";
        std::string state = "dir=" + state_.path().string();
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            execlp("swtpm", "swtpm", "socket", "--tpm2", "--server", server.c_str(), "--ctrl", ctrl.c_str(),
                   "--flags", "not-need-init,startup-clear", "--tpmstate", state.c_str(), nullptr);
            _exit(127);
        }
        auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!port_answers(port_)) {
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error("swtpm exited at start (is swtpm installed?)");
            }
            if (std::chrono::steady_clock::now() > give_up) throw std::runtime_error("swtpm did not start");
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    Swtpm(const Swtpm&) = delete;
    Swtpm& operator=(const Swtpm&) = delete;
    ~Swtpm() { stop(); }

    // The TCTI configuration that reaches this TPM.
    std::string tcti() const { return "swtpm:host=127.0.0.1,port=" + std::to_string(port_); }

    void stop() {
        if (pid_ <= 0) return;
        kill(pid_, SIGTERM);
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
    }

private:
    plugins_test::TempDir state_;
    uint16_t port_;
    pid_t pid_ = -1;
};

}  // namespace tpm_test
