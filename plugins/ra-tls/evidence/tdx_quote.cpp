// Verifying TDX quotes v4 and v5 with OpenSSL only (see tdx_quote.h).
#include "tdx_quote.h"

#include <openssl/bio.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <memory>

#include "certificate.h"
#include "evidence_error.h"
#include "tdx_collateral.h"

namespace cvfs::ratls {
namespace {

constexpr size_t kHeaderSize = 48;
constexpr size_t kQeReportSize = 384;
constexpr size_t kTdx10BodySize = 584;
constexpr size_t kTdx15BodySize = 648;
constexpr uint8_t kIntelQeVendor[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                        0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

uint32_t le(std::span<const uint8_t> b, size_t at, size_t n) {
    uint32_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint32_t(b[at + i]) << (8 * i);
    return v;
}

// A cursor over the signature data that refuses to read past its end.
class Reader {
public:
    explicit Reader(std::span<const uint8_t> data) : data_(data) {}
    std::span<const uint8_t> take(size_t n, const char* what) {
        if (n > data_.size() - at_)
            malformed(std::string("TDX quote truncated: ") + what + " needs " + std::to_string(n) +
                      " bytes, " + std::to_string(data_.size() - at_) + " are left");
        auto part = data_.subspan(at_, n);
        at_ += n;
        return part;
    }
    uint32_t u16(const char* what) { return le(take(2, what), 0, 2); }
    uint32_t u32(const char* what) { return le(take(4, what), 0, 4); }
    size_t left() const { return data_.size() - at_; }

private:
    std::span<const uint8_t> data_;
    size_t at_ = 0;
};

struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// Where the parts of a quote are, from its version and declared lengths.
struct QuoteLayout {
    uint32_t version = 0, body_type = 2;
    size_t body_at = 0, body_size = 0;
    size_t signed_size = 0;  // header (+ body descriptor) + body
    size_t end = 0;          // the signature data's end: the quote's length
};

QuoteLayout layout_of(std::span<const uint8_t> q) {
    if (q.size() < 2) malformed("TDX quote truncated: " + std::to_string(q.size()) + " bytes");
    QuoteLayout l;
    l.version = le(q, 0, 2);
    if (l.version != 4 && l.version != 5)
        malformed("TDX quote version " + std::to_string(l.version) +
                  ", expected 4 or 5 (Intel's TDX quote formats)");
    auto need = [&](size_t n, const std::string& what) {
        if (q.size() < n)
            malformed("TDX quote truncated: " + std::to_string(q.size()) + " bytes, " + what +
                      " alone take " + std::to_string(n));
    };
    if (l.version == 4) {
        l.body_at = kHeaderSize;
        l.body_size = kTdx10BodySize;
    } else {
        need(kHeaderSize + 6, "the header and body descriptor");
        l.body_type = le(q, kHeaderSize, 2);
        l.body_size = le(q, kHeaderSize + 2, 4);
        l.body_at = kHeaderSize + 6;
        size_t expected = l.body_type == 2 ? kTdx10BodySize : kTdx15BodySize;
        if (l.body_type != 2 && l.body_type != 3)
            malformed("TDX quote v5 body type " + std::to_string(l.body_type) +
                      ", expected 2 (TDX 1.0) or 3 (TDX 1.5)");
        if (l.body_size != expected)
            malformed("TDX quote v5 body of type " + std::to_string(l.body_type) + " says " +
                      std::to_string(l.body_size) + " bytes, expected " + std::to_string(expected));
    }
    l.signed_size = l.body_at + l.body_size;
    need(l.signed_size + 4, "the header and TD report");
    l.end = l.signed_size + 4 + le(q, l.signed_size, 4);
    if (l.end > q.size())
        malformed("TDX quote of " + std::to_string(q.size()) +
                  " bytes, its signature data length says " + std::to_string(l.end) +
                  " (truncated quote)");
    return l;
}

Bytes copy(std::span<const uint8_t> q, size_t at, size_t n) {
    return Bytes(q.begin() + static_cast<long>(at), q.begin() + static_cast<long>(at + n));
}

TdxClaims claims_of(std::span<const uint8_t> q, const QuoteLayout& l) {
    auto body = [&](size_t at, size_t n) { return copy(q, l.body_at + at, n); };
    TdxClaims c;
    c.quote_version = l.version;
    c.body_type = l.body_type;
    c.tee_tcb_svn = body(0, 16);
    c.mr_seam = body(16, 48);
    c.mr_signer_seam = body(64, 48);
    c.seam_attributes = body(112, 8);
    c.td_attributes = body(120, 8);
    c.xfam = body(128, 8);
    c.mr_td = body(136, 48);
    c.mr_config_id = body(184, 48);
    c.mr_owner = body(232, 48);
    c.mr_owner_config = body(280, 48);
    for (size_t i = 0; i < 4; ++i) c.rtmr[i] = body(328 + 48 * i, 48);
    c.report_data = body(520, 64);
    if (l.body_type == 3) {
        c.tee_tcb_svn2 = body(584, 16);
        c.mr_servicetd = body(600, 48);
    }
    return c;
}

// The attestation key (x||y) as a P-256 public key.
Pkey p256_key(std::span<const uint8_t> xy) {
    Pkey key = xy.size() == 64 ? p256_public_key(xy.first<64>()) : nullptr;
    if (!key) refused("the TDX attestation key is not a valid P-256 point");
    return key;
}

// Rates the TCB from the collateral that is configured; refuses statuses
// not accepted.
void check_tcb(const TdxTrust& trust, X509* pck, std::span<const uint8_t> qe_report,
               TdxClaims& claims) {
    if (trust.qe_identity_json.empty() && trust.tcb_info_json.empty()) return;
    std::time_t now = trust.verify_time.value_or(std::time(nullptr));
    std::string status = trust.tcb_info_json.empty()
                             ? std::string("UpToDate")
                             : tcb_info_status(trust, read_pck_tcb(pck), claims, now);
    if (!trust.qe_identity_json.empty())
        status = converge_with_qe(status, qe_identity_status(trust, qe_report, now));
    const auto& accepted = trust.accepted_tcb_status;
    if (!accepted.empty() &&
        std::find(accepted.begin(), accepted.end(), status) == accepted.end()) {
        std::string list;
        for (const auto& s : accepted) list += (list.empty() ? "" : ", ") + s;
        refused("TCB status " + status + " is not accepted (accepted: " + list + ")");
    }
    claims.tcb_status = status;
}

}  // namespace

bool ecdsa_raw_verify(EVP_PKEY* key, std::span<const uint8_t> rs,
                      std::span<const uint8_t> message) {
    ECDSA_SIG* sig = ECDSA_SIG_new();
    BIGNUM* r = BN_bin2bn(rs.data(), 32, nullptr);
    BIGNUM* s = BN_bin2bn(rs.data() + 32, 32, nullptr);
    if (!sig || !r || !s || !ECDSA_SIG_set0(sig, r, s)) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(sig);
        return false;
    }
    unsigned char* der = nullptr;
    int n = i2d_ECDSA_SIG(sig, &der);
    ECDSA_SIG_free(sig);
    if (n <= 0) return false;
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
              EVP_DigestVerify(ctx.get(), der, static_cast<size_t>(n), message.data(),
                               message.size()) == 1;
    OPENSSL_free(der);
    return ok;
}

size_t tdx_quote_length(std::span<const uint8_t> bytes) { return layout_of(bytes).end; }

TdxClaims verify_tdx_quote(std::span<const uint8_t> whole, const TdxTrust& trust) {
    QuoteLayout layout = layout_of(whole);
    std::span<const uint8_t> q = whole.first(layout.end);  // what follows is not the quote's
    if (le(q, 2, 2) != 2) malformed("TDX quote attestation key type is not ECDSA-256-with-P-256");
    if (le(q, 4, 4) != 0x81)
        malformed("the quote is not a TDX quote (tee_type " + std::to_string(le(q, 4, 4)) + ")");
    if (std::memcmp(q.data() + 12, kIntelQeVendor, 16) != 0)
        refused("the quote's QE vendor is not Intel");

    Reader sig(q.subspan(layout.signed_size + 4));
    auto quote_signature = sig.take(64, "quote signature");
    auto attestation_key = sig.take(64, "attestation key");
    if (sig.u16("certification data type") != 6)
        malformed("TDX quote certification data is not type 6 (QE report)");
    if (sig.u32("certification data size") != sig.left())
        malformed("TDX quote certification data size does not match the bytes that follow");
    auto qe_report = sig.take(kQeReportSize, "QE report");
    auto qe_signature = sig.take(64, "QE report signature");
    auto qe_auth = sig.take(sig.u16("QE auth data size"), "QE auth data");
    if (sig.u16("PCK certification data type") != 5)
        malformed("TDX quote inner certification data is not type 5 (PCK chain)");
    size_t chain_size = sig.u32("PCK chain size");
    auto chain = sig.take(chain_size, "PCK chain");
    if (sig.left() != 0)
        malformed("TDX quote has " + std::to_string(sig.left()) +
                  " bytes after the PCK chain, inside its signature data");

    auto pck = verify_chain(chain, trust, "the PCK certificate chain", true);
    if (!ecdsa_raw_verify(X509_get0_pubkey(pck.get()), qe_signature, qe_report))
        refused("the QE report signature does not verify with the PCK certificate's key");
    Sha256 expected{};
    Bytes vouched(attestation_key.begin(), attestation_key.end());
    vouched.insert(vouched.end(), qe_auth.begin(), qe_auth.end());
    SHA256(vouched.data(), vouched.size(), expected.data());
    if (std::memcmp(qe_report.data() + 320, expected.data(), expected.size()) != 0)
        refused("the QE report does not vouch for the quote's attestation key");
    Pkey att = p256_key(attestation_key);
    if (!ecdsa_raw_verify(att.get(), quote_signature, q.first(layout.signed_size)))
        refused("the quote signature does not verify with the attestation key");

    TdxClaims c = claims_of(q, layout);
    check_tcb(trust, pck.get(), qe_report, c);
    return c;
}

}  // namespace cvfs::ratls
