// Fuzzes Intel's TDX collateral as cvfs-secretd reads it from its files. The
// first input byte picks what the rest is:
//   0  TCB info JSON (judged against the real quote's PCK certificate)
//   1  QE identity JSON (judged against the real quote's QE report)
//   2  a CRL (PEM or DER), used while verifying the real quote
//   3  a PCK certificate chain (PEM), verified up to Intel's root
//   4  any JSON, through the collateral's JSON reading alone (the parse and
//      the search for the signed member's bytes)
// The real collateral's validity windows are in 2023, so "now" is 2023-07-01.
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdint>
#include <span>
#include <string>

#include "evidence_error.h"
#include "fuzz_support.h"
#include "collateral_json.h"
#include "tdx_collateral.h"
#include "tdx_quote.h"

namespace {

using namespace cvfs::ratls;

constexpr std::time_t kAsOf = 1688169600;  // 2023-07-01T00:00:00Z
constexpr size_t kQeReportAt = kTdxQuoteSignedSize + 4 + 64 + 64 + 2 + 4;
constexpr size_t kQeReportSize = 384;

struct Fixture {
    TdxTrust trust;
    std::string quote;
    PckTcb pck;
    TdxClaims claims;  // of the real quote, read at the offsets of tdx_quote.h
};

Bytes field(const std::string& quote, size_t at, size_t size) {
    return Bytes(quote.begin() + static_cast<long>(at), quote.begin() + static_cast<long>(at + size));
}

const Fixture& fixture() {
    static const Fixture f = [] {
        Fixture x;
        x.trust.root_pem = cvfs::fuzz::trust_file("intel_sgx_root_ca.pem");
        x.trust.tcb_signing_pem = cvfs::fuzz::trust_file("tcb_info_issuer_chain.pem");
        x.quote = cvfs::fuzz::trust_file("tdx_prod_quote_SPR_E4.dat");
        size_t pem = x.quote.find("-----BEGIN CERTIFICATE-----");
        BIO* bio = BIO_new_mem_buf(x.quote.data() + pem, static_cast<int>(x.quote.size() - pem));
        X509* leaf = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
        BIO_free(bio);
        x.pck = read_pck_tcb(leaf);
        x.claims.tee_tcb_svn = field(x.quote, 48, 16);
        x.claims.mr_seam = field(x.quote, 64, 48);
        x.claims.td_attributes = field(x.quote, 168, 8);
        x.claims.xfam = field(x.quote, 176, 8);
        x.claims.mr_td = field(x.quote, 184, 48);
        for (size_t i = 0; i < 4; ++i) x.claims.rtmr[i] = field(x.quote, 376 + 48 * i, 48);
        x.claims.report_data = field(x.quote, 568, 64);
        X509_free(leaf);
        return x;
    }();
    return f;
}

std::span<const uint8_t> as_bytes(const std::string& text) {
    return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

void run(uint8_t which, const std::string& text) {
    const Fixture& f = fixture();
    TdxTrust trust = f.trust;
    std::span<const uint8_t> quote = as_bytes(f.quote);
    switch (which % 5) {
    case 0:
        trust.tcb_info_json = text;
        (void)tcb_info_status(trust, f.pck, f.claims, kAsOf);
        break;
    case 1:
        trust.qe_identity_json = text;
        (void)qe_identity_status(trust, quote.subspan(kQeReportAt, kQeReportSize), kAsOf);
        break;
    case 2:
        trust.crl_pems = {text};
        (void)verify_tdx_quote(quote.first(tdx_quote_length(quote)), trust);
        break;
    case 3:
        (void)verify_chain(as_bytes(text), trust, "fuzzed PCK chain");
        break;
    default:
        (void)parse_collateral(text, "fuzzed JSON");
        (void)signed_member(text, "tcbInfo", "fuzzed JSON");
        break;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    try {
        run(data[0], std::string(reinterpret_cast<const char*>(data + 1), size - 1));
    } catch (const EvidenceError&) {
    }
    return 0;
}
