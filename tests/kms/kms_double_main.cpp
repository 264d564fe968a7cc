// The KMS test double as a program, for the VM scenario (the guest runs it on
// its loopback). Serves until SIGTERM or SIGINT; writes its port to PORT_FILE
// once it listens. SECRETS_FILE holds one NAME=SECRET_DATA a line (secrets
// stay out of the command line).
//
// Usage: kms_double PKI_DIR PORT_FILE SECRETS_FILE
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "kms_double.h"

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: kms_double PKI_DIR PORT_FILE SECRETS_FILE\n";
        return 2;
    }
    kms_test::DoubleOptions options;
    options.pki_dir = argv[1];
    std::ifstream secrets(argv[3]);
    if (!secrets) {
        std::cerr << "kms_double: cannot read " << argv[3] << "\n";
        return 2;
    }
    for (std::string line; std::getline(secrets, line);) {
        auto eq = line.find('=');
        if (line.empty()) continue;
        if (eq == std::string::npos) {
            std::cerr << "kms_double: " << argv[3] << ": expected NAME=SECRET_DATA lines\n";
            return 2;
        }
        options.secrets[line.substr(0, eq)] = line.substr(eq + 1);
    }
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // the server thread inherits the mask
    try {
        kms_test::KmsDouble server(options);
        std::ofstream(argv[2]) << server.port() << "\n";
        std::cout << "kms_double: listening on " << server.address() << std::endl;
        int signal = 0;
        sigwait(&signals, &signal);
        std::cout << "kms_double: " << server.requests() << " requests served" << std::endl;
    } catch (const std::exception& e) {
        std::cerr << "kms_double: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
