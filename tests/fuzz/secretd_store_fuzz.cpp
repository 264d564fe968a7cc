// Fuzzes cvfs-secretd's secret store, the JSON object of app ids and secrets
// in the Intel secretmanager's format. Input: the file's text.
#include <cstdint>
#include <span>
#include <stdexcept>

#include "secret_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        cvfs::secretd::SecretStore store = cvfs::secretd::SecretStore::parse({data, size}, "fuzzed secrets.json");
        for (const std::string& id : store.ids())
            if (!store.find(id)) __builtin_trap();  // every listed id has its secret
    } catch (const std::runtime_error&) {
    }
    return 0;
}
