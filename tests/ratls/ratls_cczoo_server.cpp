// Runs the Intel secretmanager test double (cczoo_secretmanager.h) as a
// process of its own, so its protobuf registrations do not meet the ra-tls
// plugin's in one process. Usage: ratls_cczoo_server ROOT_PEM ID=SECRET...
// Prints "(port N)" on standard error when it listens; stops on SIGTERM.
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "cczoo_secretmanager.h"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: ratls_cczoo_server ROOT_PEM ID=SECRET...\n");
        return 2;
    }
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);
    std::ifstream in(argv[1]);
    std::stringstream root;
    root << in.rdbuf();
    std::map<std::string, std::string> secrets;
    for (int i = 2; i < argc; ++i) {
        std::string pair = argv[i];
        auto eq = pair.find('=');
        if (eq != std::string::npos) secrets[pair.substr(0, eq)] = pair.substr(eq + 1);
    }
    ratls_test::CczooSecretManager server(secrets, root.str());
    std::fprintf(stderr, "ratls_cczoo_server: listening (port %d)\n", server.port());
    std::fflush(stderr);
    int sig = 0;
    sigwait(&stop, &sig);
    std::fprintf(stderr, "ratls_cczoo_server: %d requests\n", server.requests());
    return 0;
}
