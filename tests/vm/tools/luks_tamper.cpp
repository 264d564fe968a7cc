// `luks-tamper IMAGE FROM TO`: rewrites the JSON metadata of the LUKS2 header
// on IMAGE, replacing every FROM with TO in both copies and fixing their
// checksums, as a hostile host could. The VM scenarios use it to show that
// cvfs refuses such a header on a real kernel before any key is released.
#include <cstdio>
#include <exception>
#include <string>

#include "luks_tamper.h"

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s IMAGE FROM TO\n", argv[0]);
        return 2;
    }
    const std::string from = argv[2], to = argv[3];
    try {
        size_t replaced = 0;
        luks_test::tamper(argv[1], [&](std::string& json) {
            for (size_t at = json.find(from); at != std::string::npos; at = json.find(from, at + to.size())) {
                json.replace(at, from.size(), to);
                ++replaced;
            }
            if (replaced == 0) throw std::runtime_error("'" + from + "' is not in the header's JSON");
        });
        std::printf("luks-tamper: replaced %zu occurrence(s)\n", replaced);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "luks-tamper: %s\n", e.what());
        return 1;
    }
}
