// The processes a loopback RA-TLS test runs: swtpm (a software TPM on a TCP
// port of loopback) and cvfs-secretd (from the build, with a configuration in
// a temporary folder). Each is stopped, by its pid, when the object goes.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace ratls_test {

class SwtpmProcess {
public:
    explicit SwtpmProcess(const std::string& state_dir);
    ~SwtpmProcess();
    SwtpmProcess(const SwtpmProcess&) = delete;
    SwtpmProcess& operator=(const SwtpmProcess&) = delete;
    std::string tcti() const;

private:
    pid_t pid_ = -1;
    int port_ = 0;
};

class SecretdProcess {
public:
    // Starts `binary --config <config>`, its standard error into `log`, and
    // waits until it listens; throws with the log's text if it does not.
    SecretdProcess(const std::string& binary, const std::string& config, const std::string& log);
    // Starts any server that prints "(port N)" on standard error when it listens.
    SecretdProcess(const std::vector<std::string>& argv, const std::string& log);
    ~SecretdProcess();
    SecretdProcess(const SecretdProcess&) = delete;
    SecretdProcess& operator=(const SecretdProcess&) = delete;
    int port() const { return port_; }
    // Sends SIGHUP and waits for the reload's outcome line; returns it.
    std::string reload();
    std::string log_text() const;

private:
    pid_t pid_ = -1;
    int port_ = 0;
    std::string log_;
};

// True when something accepts TCP connections on 127.0.0.1:port.
bool port_open(int port);

}  // namespace ratls_test
