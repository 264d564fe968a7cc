// Verifying the certificate chains of TDX evidence and collateral (the PCK
// chain in a quote, the TCB signing chain of Intel's collateral) up to the
// configured root, with CRLs in Intel's DER form or in PEM, at a given time.
// The root certificate a chain carries is compared with the configured one,
// as Intel's verifier does: OpenSSL alone would build the path from the
// trusted store and never look at a substituted root in the chain.
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <memory>
#include <vector>

#include "evidence_error.h"
#include "tdx_collateral.h"

namespace cvfs::ratls {
namespace {

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
struct CrlFree {
    void operator()(X509_CRL* c) const { X509_CRL_free(c); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using CrlPtr = std::unique_ptr<X509_CRL, CrlFree>;

std::unique_ptr<BIO, BioFree> memory_bio(std::span<const uint8_t> bytes) {
    return std::unique_ptr<BIO, BioFree>(
        BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

std::span<const uint8_t> bytes_of(std::string_view text) {
    return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

std::vector<X509Ptr> read_pem_certs(std::span<const uint8_t> pem, const char* what) {
    auto bio = memory_bio(pem);
    std::vector<X509Ptr> certs;
    while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
        certs.emplace_back(cert);
    if (certs.empty()) malformed(std::string(what) + " holds no PEM certificate");
    return certs;
}

// The CRLs of one file: PEM blocks, or else one DER CRL.
std::vector<CrlPtr> read_crls(std::span<const uint8_t> bytes) {
    std::vector<CrlPtr> crls;
    auto bio = memory_bio(bytes);
    while (X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr))
        crls.emplace_back(crl);
    if (crls.empty()) {
        const unsigned char* p = bytes.data();
        if (X509_CRL* crl = d2i_X509_CRL(nullptr, &p, static_cast<long>(bytes.size())))
            crls.emplace_back(crl);
    }
    return crls;
}

std::string describe(X509* cert) {
    char subject[256];
    X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof subject);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    X509_digest(cert, EVP_sha256(), digest, &n);
    return std::string(subject) + ", SHA-256 " + to_hex({digest, n});
}

// The chain's own root, when it carries one, must be a configured root.
void check_chain_root(const std::vector<X509Ptr>& chain, const std::vector<X509Ptr>& roots,
                      const char* what, bool root_required) {
    X509* last = chain.back().get();
    bool self_issued = chain.size() > 1 && X509_check_issued(last, last) == X509_V_OK;
    if (!self_issued) {
        if (root_required)
            refused(std::string(what) + " carries no root certificate (Intel's end with the " +
                    "Intel SGX Root CA)");
        return;
    }
    for (const auto& root : roots)
        if (X509_cmp(last, root.get()) == 0) return;
    refused("the root certificate in " + std::string(what) + " (" + describe(last) +
            ") differs from the configured root (" + describe(roots.front().get()) + ")");
}

}  // namespace

size_t count_crls(std::string_view bytes, const std::string& name) {
    size_t n = read_crls(bytes_of(bytes)).size();
    if (n == 0) malformed(name + " holds no CRL (neither PEM \"X509 CRL\" blocks nor a DER CRL)");
    return n;
}

std::unique_ptr<X509, X509Deleter> verify_chain(std::span<const uint8_t> chain_pem,
                                                const TdxTrust& trust, const char* what,
                                                bool root_required) {
    std::vector<X509Ptr> chain = read_pem_certs(chain_pem, what);
    auto roots = read_pem_certs(bytes_of(trust.root_pem), "the configured TDX root CA");
    check_chain_root(chain, roots, what, root_required);
    std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
    for (auto& root : roots) X509_STORE_add_cert(store.get(), root.get());
    for (size_t i = 0; i < trust.crl_pems.size(); ++i) {
        auto crls = read_crls(bytes_of(trust.crl_pems[i]));
        if (crls.empty())
            malformed("CRL file " + std::to_string(i + 1) + " of the TDX trust holds no CRL");
        for (auto& crl : crls) X509_STORE_add_crl(store.get(), crl.get());
    }
    if (!trust.crl_pems.empty())
        X509_STORE_set_flags(store.get(), X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    std::unique_ptr<STACK_OF(X509), StackFree> untrusted(sk_X509_new_null());
    for (size_t i = 1; i < chain.size(); ++i)
        sk_X509_push(untrusted.get(), X509_dup(chain[i].get()));
    std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
    if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), chain[0].get(), untrusted.get()) != 1)
        refused("cannot set up certificate chain verification");
    if (trust.verify_time)
        X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()), *trust.verify_time);
    if (X509_verify_cert(ctx.get()) != 1)
        refused(std::string(what) + " does not verify up to the configured root: " +
                X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())));
    return std::unique_ptr<X509, X509Deleter>(chain[0].release());
}

}  // namespace cvfs::ratls
