// Verifying a TDX quote v4 with OpenSSL only (see tdx_quote.h).
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

struct X509Free {
    void operator()(X509* x) const { X509_free(x); }
};
struct StoreFree {
    void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};
struct StoreCtxFree {
    void operator()(X509_STORE_CTX* s) const { X509_STORE_CTX_free(s); }
};
struct StackFree {
    void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
struct BioFree {
    void operator()(BIO* b) const { BIO_free(b); }
};
struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct PkeyCtxFree {
    void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

std::vector<X509Ptr> read_pem_certs(std::span<const uint8_t> pem, const char* what) {
    std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    std::vector<X509Ptr> certs;
    while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
        certs.emplace_back(cert);
    if (certs.empty()) malformed(std::string(what) + " holds no PEM certificate");
    return certs;
}

// The attestation key (x||y) as a P-256 public key.
Pkey p256_key(std::span<const uint8_t> xy) {
    uint8_t point[65];
    point[0] = 0x04;
    std::memcpy(point + 1, xy.data(), 64);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("group", const_cast<char*>("P-256"), 0),
                           OSSL_PARAM_construct_octet_string("pub", point, sizeof point),
                           OSSL_PARAM_construct_end()};
    std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(
        EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* key = nullptr;
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
        EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        refused("the TDX attestation key is not a valid P-256 point");
    return Pkey(key);
}

// Evaluates the collateral that is configured; refuses statuses not accepted.
void check_tcb(const TdxTrust& trust, X509* pck, std::span<const uint8_t> qe_report,
               std::span<const uint8_t> quote, TdxClaims& claims) {
    std::time_t now = std::time(nullptr);
    std::vector<std::string> statuses;
    if (!trust.qe_identity_json.empty())
        statuses.push_back(qe_identity_status(trust, qe_report, now));
    if (!trust.tcb_info_json.empty())
        statuses.push_back(tcb_info_status(trust, read_pck_tcb(pck), quote, now));
    if (statuses.empty()) return;
    for (const std::string& status : statuses)
        if (std::find(trust.accepted_tcb_status.begin(), trust.accepted_tcb_status.end(), status) ==
            trust.accepted_tcb_status.end())
            refused("TCB status " + status + " is not accepted (accepted: " + [&] {
                std::string list;
                for (const auto& s : trust.accepted_tcb_status)
                    list += (list.empty() ? "" : ", ") + s;
                return list;
            }() + ")");
    claims.tcb_status = statuses.back();
}

Bytes copy(std::span<const uint8_t> q, size_t at, size_t n) {
    return Bytes(q.begin() + at, q.begin() + at + n);
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

std::unique_ptr<X509, X509Deleter> verify_chain(std::span<const uint8_t> chain_pem,
                                                const TdxTrust& trust, const char* what) {
    std::vector<X509Ptr> chain = read_pem_certs(chain_pem, what);
    auto roots = read_pem_certs(
        {reinterpret_cast<const uint8_t*>(trust.root_pem.data()), trust.root_pem.size()},
        "the configured TDX root CA");
    std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
    for (auto& root : roots) X509_STORE_add_cert(store.get(), root.get());
    for (const std::string& crl_pem : trust.crl_pems) {
        std::unique_ptr<BIO, BioFree> bio(
            BIO_new_mem_buf(crl_pem.data(), static_cast<int>(crl_pem.size())));
        while (X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)) {
            X509_STORE_add_crl(store.get(), crl);
            X509_CRL_free(crl);
        }
    }
    if (!trust.crl_pems.empty())
        X509_STORE_set_flags(store.get(), X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    std::unique_ptr<STACK_OF(X509), StackFree> untrusted(sk_X509_new_null());
    for (size_t i = 1; i < chain.size(); ++i)
        sk_X509_push(untrusted.get(), X509_dup(chain[i].get()));
    std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
    if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), chain[0].get(), untrusted.get()) != 1)
        refused("cannot set up PCK chain verification");
    if (X509_verify_cert(ctx.get()) != 1)
        refused(std::string(what) + " does not verify up to the configured root: " +
                X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())));
    return std::unique_ptr<X509, X509Deleter>(chain[0].release());
}

size_t tdx_quote_length(std::span<const uint8_t> bytes) {
    if (bytes.size() < kTdxQuoteSignedSize + 4)
        malformed("TDX quote truncated: " + std::to_string(bytes.size()) +
                  " bytes, the header and TD report alone take " +
                  std::to_string(kTdxQuoteSignedSize + 4));
    return kTdxQuoteSignedSize + 4 + le(bytes, kTdxQuoteSignedSize, 4);
}

TdxClaims verify_tdx_quote(std::span<const uint8_t> q, const TdxTrust& trust) {
    size_t length = tdx_quote_length(q);
    if (length != q.size())
        malformed("TDX quote of " + std::to_string(q.size()) +
                  " bytes, its signature data length says " + std::to_string(length));
    if (le(q, 0, 2) != 4)
        malformed("TDX quote version " + std::to_string(le(q, 0, 2)) + ", expected 4");
    if (le(q, 2, 2) != 2) malformed("TDX quote attestation key type is not ECDSA-256-with-P-256");
    if (le(q, 4, 4) != 0x81)
        malformed("the quote is not a TDX quote (tee_type " + std::to_string(le(q, 4, 4)) + ")");
    if (std::memcmp(q.data() + 12, kIntelQeVendor, 16) != 0)
        refused("the quote's QE vendor is not Intel");

    Reader sig(q.subspan(kTdxQuoteSignedSize + 4));
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
        malformed("TDX quote has " + std::to_string(sig.left()) + " bytes after the PCK chain");

    auto pck = verify_chain(chain, trust, "the PCK certificate chain");
    if (!ecdsa_raw_verify(X509_get0_pubkey(pck.get()), qe_signature, qe_report))
        refused("the QE report signature does not verify with the PCK certificate's key");
    Sha256 expected{};
    Bytes vouched(attestation_key.begin(), attestation_key.end());
    vouched.insert(vouched.end(), qe_auth.begin(), qe_auth.end());
    SHA256(vouched.data(), vouched.size(), expected.data());
    if (std::memcmp(qe_report.data() + 320, expected.data(), expected.size()) != 0)
        refused("the QE report does not vouch for the quote's attestation key");
    Pkey att = p256_key(attestation_key);
    if (!ecdsa_raw_verify(att.get(), quote_signature, q.first(kTdxQuoteSignedSize)))
        refused("the quote signature does not verify with the attestation key");

    TdxClaims c;
    c.tee_tcb_svn = copy(q, 48, 16);
    c.mr_seam = copy(q, 64, 48);
    c.td_attributes = copy(q, 168, 8);
    c.xfam = copy(q, 176, 8);
    c.mr_td = copy(q, 184, 48);
    c.mr_config_id = copy(q, 232, 48);
    c.mr_owner = copy(q, 280, 48);
    c.mr_owner_config = copy(q, 328, 48);
    for (size_t i = 0; i < 4; ++i) c.rtmr[i] = copy(q, 376 + 48 * i, 48);
    c.report_data = copy(q, 568, 64);
    check_tcb(trust, pck.get(), qe_report, q, c);
    return c;
}

}  // namespace cvfs::ratls
