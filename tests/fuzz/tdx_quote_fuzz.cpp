// Fuzzes a TDX quote (v4, ECDSA-256, certification data type 6) through the
// verifier cvfs-secretd runs: the length prefix, the exact layout, the PCK
// chain (PEM inside the quote) up to Intel's real root, the QE report and the
// quote signatures. Input: the quote bytes.
#include <cstdint>
#include <span>

#include "evidence_error.h"
#include "fuzz_support.h"
#include "tdx_quote.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const cvfs::ratls::TdxTrust trust = [] {
        cvfs::ratls::TdxTrust t;
        t.root_pem = cvfs::fuzz::trust_file("intel_sgx_root_ca.pem");
        return t;
    }();
    std::span<const uint8_t> bytes(data, size);
    try {
        size_t length = cvfs::ratls::tdx_quote_length(bytes);
        if (length <= size) (void)cvfs::ratls::verify_tdx_quote(bytes.first(length), trust);
    } catch (const cvfs::ratls::EvidenceError&) {
    }
    try {
        (void)cvfs::ratls::verify_tdx_quote(bytes, trust);
    } catch (const cvfs::ratls::EvidenceError&) {
    }
    return 0;
}
