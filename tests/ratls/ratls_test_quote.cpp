// Test quote generator: stands in for a TDX guest's quote source in tests
// (the plugin's tdx_quote_command). Reads 64 bytes of report_data on stdin
// and writes a TDX quote v4 signed by the test PKI kept in the folder given
// as the first argument. Measurements are QuoteFields::sample(); a second
// argument "rtmr3" changes RTMR3, so a test can play a TD that booted
// something else. `ratls_test_quote --make-pki DIR` makes such a folder.
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "test_pki.h"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(
            stderr, "usage: ratls_test_quote PKI_DIR [rtmr3|pad] < report_data | --make-pki DIR\n");
        return 2;
    }
    if (std::strcmp(argv[1], "--make-pki") == 0 && argc == 3) {
        ratls_test::TdxTestPki::create("cvfs test").save(argv[2]);
        return 0;
    }
    ratls_test::QuoteFields fields = ratls_test::QuoteFields::sample();
    size_t have = 0;
    while (have < fields.report_data.size()) {
        ssize_t n = read(0, fields.report_data.data() + have, fields.report_data.size() - have);
        if (n <= 0) break;
        have += static_cast<size_t>(n);
    }
    if (have != 64) {
        std::fprintf(stderr, "ratls_test_quote: expected 64 bytes of report_data, got %zu\n", have);
        return 1;
    }
    if (argc > 2 && std::strcmp(argv[2], "rtmr3") == 0) fields.rtmr[3][0] ^= 0xff;
    auto quote = ratls_test::make_tdx_quote(ratls_test::TdxTestPki::load(argv[1]), fields);
    // "pad": a buffer as Intel's quote service returns it, with 70 zero bytes after the quote.
    if (argc > 2 && std::strcmp(argv[2], "pad") == 0) quote.resize(quote.size() + 70, 0);
    return std::fwrite(quote.data(), 1, quote.size(), stdout) == quote.size() ? 0 : 1;
}
