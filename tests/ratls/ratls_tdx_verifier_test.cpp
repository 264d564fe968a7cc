// The TDX quote verifier and cvfs-secretd's decision on TDX evidence, run on
// quotes from the test PKI: a good quote is accepted; each broken signature
// level, a chain to another root, a truncated or oversized quote, a quote not
// bound to the presented TLS key, and each measurement outside the policy
// is refused with a reason that names it.
#include <catch2/catch.hpp>

#include "attestation.h"
#include "certificate.h"
#include "evidence_error.h"
#include "tdx_quote.h"
#include "test_pki.h"

using namespace cvfs::ratls;
using namespace ratls_test;
using cvfs::secretd::DaemonConfig;
using cvfs::secretd::ReleasePolicy;

namespace {

const TdxTestPki& pki() {
    static TdxTestPki p = TdxTestPki::create("cvfs test");
    return p;
}

TdxTrust trust_of(const std::string& root, std::vector<std::string> crls = {}) {
    TdxTrust t;
    t.root_pem = root;
    t.crl_pems = std::move(crls);
    return t;
}

TdxTrust trust() { return trust_of(pki().root_pem()); }

std::string refusal_of(const Bytes& quote, const TdxTrust& t = trust()) {
    try {
        verify_tdx_quote(quote, t);
        return "accepted";
    } catch (const EvidenceError& e) {
        return e.what();
    }
}

Bytes bytes_of(const std::array<uint8_t, 48>& a) { return Bytes(a.begin(), a.end()); }

// A policy that allows exactly QuoteFields::sample().
ReleasePolicy sample_policy() {
    QuoteFields f = QuoteFields::sample();
    ReleasePolicy p;
    p.tdx_mrtd = {bytes_of(f.mr_td)};
    for (size_t i = 0; i < 4; ++i) p.tdx_rtmr[i] = {bytes_of(f.rtmr[i])};
    p.tdx_xfam = {Bytes(f.xfam.begin(), f.xfam.end())};
    return p;
}

DaemonConfig config_with(const ReleasePolicy& policy) {
    DaemonConfig c;
    c.path = "test.toml";
    c.tdx = trust();
    c.tdx_root_ca = "root.pem";
    c.policies["luksKey"] = policy;
    return c;
}

// A client certificate for a fresh key, with a quote bound to it (or not).
struct Client {
    ConnectionKey key;
    std::string cert;
};

Client client_with(QuoteFields fields, bool bind = true, bool append_hash = true,
                   const QuoteFaults& faults = {}) {
    Client c;
    if (bind) std::copy(c.key.binding().begin(), c.key.binding().end(), fields.report_data.begin());
    Bytes ext = make_tdx_quote(pki(), fields, faults);
    if (append_hash) ext.insert(ext.end(), c.key.binding().begin(), c.key.binding().end());
    c.cert = make_evidence_certificate(c.key, kIntelRaTlsOid, ext);
    return c;
}

cvfs::secretd::Verdict decide_for(const Client& c, const ReleasePolicy& policy = sample_policy()) {
    return cvfs::secretd::decide(c.cert, "luksKey", true, config_with(policy));
}

}  // namespace

TEST_CASE(
    "a structurally exact, correctly signed TDX quote is accepted and its measurements read") {
    QuoteFields f = QuoteFields::sample();
    TdxClaims claims = verify_tdx_quote(make_tdx_quote(pki(), f), trust());
    CHECK(claims.mr_td == bytes_of(f.mr_td));
    CHECK(claims.rtmr[2] == bytes_of(f.rtmr[2]));
    CHECK(claims.td_attributes == Bytes(f.td_attributes.begin(), f.td_attributes.end()));
    CHECK(claims.xfam == Bytes(f.xfam.begin(), f.xfam.end()));
}

TEST_CASE("a broken signature at each level of the quote is refused") {
    QuoteFields f = QuoteFields::sample();
    QuoteFaults quote_sig, qe_sig, qe_binding, pck;
    quote_sig.quote_signature = true;
    qe_sig.qe_signature = true;
    qe_binding.qe_binding = true;
    pck.pck_not_from_chain = true;
    CHECK_THAT(refusal_of(make_tdx_quote(pki(), f, quote_sig)),
               Catch::Contains("quote signature does not verify"));
    CHECK_THAT(refusal_of(make_tdx_quote(pki(), f, qe_sig)),
               Catch::Contains("QE report signature does not verify"));
    CHECK_THAT(refusal_of(make_tdx_quote(pki(), f, qe_binding)),
               Catch::Contains("does not vouch for the quote's attestation key"));
    CHECK_THAT(refusal_of(make_tdx_quote(pki(), f, pck)),
               Catch::Contains("PCK certificate chain does not verify"));
}

TEST_CASE("a quote whose PCK chain leads to another root is refused") {
    TdxTestPki other = TdxTestPki::create("other vendor");
    Bytes quote = make_tdx_quote(other, QuoteFields::sample());
    CHECK_THAT(refusal_of(quote), Catch::Contains("the root certificate in the PCK certificate "
                                                  "chain (/CN=other vendor Root CA") &&
                                      Catch::Contains("differs from the configured root"));
    CHECK(refusal_of(quote, trust_of(other.root_pem())) == "accepted");
}

TEST_CASE("a quote whose PCK certificate the configured CRLs revoke is refused") {
    const TdxTestPki& p = pki();
    Bytes quote = make_tdx_quote(p, QuoteFields::sample());
    std::string root_crl = make_crl(p.root.get(), p.root_key.get(), nullptr);
    TdxTrust clean =
        trust_of(p.root_pem(),
                 {make_crl(p.intermediate.get(), p.intermediate_key.get(), nullptr), root_crl});
    CHECK(refusal_of(quote, clean) == "accepted");
    TdxTrust revoked =
        trust_of(p.root_pem(),
                 {make_crl(p.intermediate.get(), p.intermediate_key.get(), p.pck.get()), root_crl});
    CHECK_THAT(refusal_of(quote, revoked), Catch::Contains("certificate revoked"));
}

TEST_CASE("a truncated quote is refused before any signature is checked; bytes after it are not") {
    Bytes quote = make_tdx_quote(pki(), QuoteFields::sample());
    for (size_t cut : {size_t(10), size_t(600), size_t(700), quote.size() - 1}) {
        Bytes shorter(quote.begin(), quote.begin() + static_cast<long>(cut));
        CHECK_THAT(refusal_of(shorter),
                   Catch::Contains("truncated") || Catch::Contains("signature data length says"));
    }
    Bytes longer = quote;  // a quote buffer of Intel's quote service: trailing zeros
    longer.resize(quote.size() + 70, 0);
    CHECK(refusal_of(longer) == "accepted");
    longer.push_back(0xff);
    CHECK(refusal_of(longer) == "accepted");
    Bytes wrong_version = quote;
    wrong_version[0] = 3;
    CHECK_THAT(refusal_of(wrong_version), Catch::Contains("version 3, expected 4 or 5"));
    // The version is checked before any length: a 2-byte v6 buffer names its version.
    CHECK_THAT(refusal_of(Bytes{6, 0}), Catch::Contains("version 6"));
}

TEST_CASE("secretd releases to a TDX client whose quote binds its TLS key and matches the policy") {
    auto v = decide_for(client_with(QuoteFields::sample()));
    INFO(v.reason);
    CHECK(v.allowed);
    CHECK(v.evidence == "tdx");
    CHECK_THAT(v.measurements,
               Catch::Contains("mrtd=" + to_hex(bytes_of(QuoteFields::sample().mr_td))));
    // The bare quote (without the appended hash) is accepted as well.
    CHECK(decide_for(client_with(QuoteFields::sample(), true, false)).allowed);
}

TEST_CASE("secretd refuses a quote whose report_data does not bind the presented key") {
    auto v = decide_for(client_with(QuoteFields::sample(), false));
    CHECK_FALSE(v.allowed);
    CHECK_THAT(v.reason, Catch::Contains("does not bind this TLS key"));
    // A quote made for another key, replayed with the new key's hash appended.
    Client other = client_with(QuoteFields::sample());
    QuoteFields f = QuoteFields::sample();
    std::copy(other.key.binding().begin(), other.key.binding().end(), f.report_data.begin());
    Client replay;
    Bytes ext = make_tdx_quote(pki(), f);
    ext.insert(ext.end(), replay.key.binding().begin(), replay.key.binding().end());
    replay.cert = make_evidence_certificate(replay.key, kIntelRaTlsOid, ext);
    CHECK_THAT(decide_for(replay).reason, Catch::Contains("does not bind this TLS key"));
}

TEST_CASE("secretd refuses each measurement outside the policy, naming it") {
    struct Case {
        const char* name;
        void (*change)(QuoteFields&);
    };
    const Case cases[] = {
        {"tdx_mrtd", [](QuoteFields& f) { f.mr_td[47] ^= 1; }},
        {"tdx_rtmr0", [](QuoteFields& f) { f.rtmr[0][0] ^= 1; }},
        {"tdx_rtmr1", [](QuoteFields& f) { f.rtmr[1][5] ^= 1; }},
        {"tdx_rtmr2", [](QuoteFields& f) { f.rtmr[2][40] ^= 1; }},
        {"tdx_rtmr3", [](QuoteFields& f) { f.rtmr[3][47] ^= 1; }},
        {"tdx_xfam", [](QuoteFields& f) { f.xfam[0] ^= 1; }},
        {"debug TD", [](QuoteFields& f) { f.td_attributes[0] |= 1; }},
    };
    for (const Case& c : cases) {
        QuoteFields f = QuoteFields::sample();
        c.change(f);
        auto v = decide_for(client_with(f));
        INFO(c.name);
        CHECK_FALSE(v.allowed);
        CHECK(v.code == grpc::StatusCode::PERMISSION_DENIED);
        CHECK_THAT(v.reason, Catch::Contains(c.name));
    }
    // With td_attributes listed in the policy, only the listed values pass.
    ReleasePolicy strict = sample_policy();
    strict.tdx_td_attributes = {Bytes(8, 0)};
    CHECK_THAT(decide_for(client_with(QuoteFields::sample()), strict).reason,
               Catch::Contains("tdx_td_attributes"));
}

TEST_CASE("secretd refuses TDX evidence when no root is configured, and a secret without policy") {
    DaemonConfig no_root = config_with(sample_policy());
    no_root.tdx = {};
    auto v =
        cvfs::secretd::decide(client_with(QuoteFields::sample()).cert, "luksKey", true, no_root);
    CHECK_THAT(v.reason, Catch::Contains("no [tdx] root_ca"));
    auto unlisted = cvfs::secretd::decide(client_with(QuoteFields::sample()).cert, "other", true,
                                          config_with(sample_policy()));
    CHECK_THAT(unlisted.reason, Catch::Contains("no release policy"));
    auto missing = cvfs::secretd::decide(client_with(QuoteFields::sample()).cert, "gone", false,
                                         config_with(sample_policy()));
    CHECK(missing.code == grpc::StatusCode::NOT_FOUND);
}

namespace {

TdxTrust trust_with(const CollateralOptions& tcb, const CollateralOptions& qe = {}) {
    TdxTrust t = trust();
    t.tcb_info_json = make_tcb_info(pki(), tcb);
    t.qe_identity_json = make_qe_identity(pki(), qe);
    t.tcb_signing_pem = pem_of(pki().tcb_signing.get());
    return t;
}

}  // namespace

TEST_CASE(
    "with TCB info and QE identity, an up-to-date platform is accepted and its TCB status "
    "reported") {
    TdxClaims claims =
        verify_tdx_quote(make_tdx_quote(pki(), QuoteFields::sample()), trust_with({}));
    CHECK(claims.tcb_status == "UpToDate");
}

TEST_CASE("a platform below the best TCB level gets that level's status, refused unless accepted") {
    CollateralOptions newer;
    newer.level1_sgx_svn = 6;  // the platform's SGX SVNs are 5
    Bytes quote = make_tdx_quote(pki(), QuoteFields::sample());
    CHECK_THAT(refusal_of(quote, trust_with(newer)),
               Catch::Contains("TCB status OutOfDate is not accepted"));
    TdxTrust lenient = trust_with(newer);
    lenient.accepted_tcb_status = {"UpToDate", "OutOfDate"};
    CHECK(verify_tdx_quote(quote, lenient).tcb_status == "OutOfDate");
    CollateralOptions hardening;
    hardening.level1_status = "SWHardeningNeeded";
    CHECK_THAT(refusal_of(quote, trust_with(hardening)),
               Catch::Contains("SWHardeningNeeded is not accepted"));
}

TEST_CASE(
    "collateral that is tampered with, expired, for another platform or another QE is refused") {
    Bytes quote = make_tdx_quote(pki(), QuoteFields::sample());
    CollateralOptions tampered, expired, other_fmspc, other_qe;
    tampered.tamper = true;
    expired.next_update_from_now = -60;
    other_fmspc.fmspc = "00a06f000000";
    other_qe.qe_mrsigner_hex = std::string(64, '2');
    CHECK_THAT(refusal_of(quote, trust_with(tampered)),
               Catch::Contains("TCB info: the signature does not verify"));
    CHECK_THAT(refusal_of(quote, trust_with({}, tampered)),
               Catch::Contains("QE identity: the signature does not verify"));
    CHECK_THAT(refusal_of(quote, trust_with(expired)), Catch::Contains("expired"));
    CHECK_THAT(refusal_of(quote, trust_with(other_fmspc)),
               Catch::Contains("for FMSPC 00a06f000000"));
    CHECK_THAT(refusal_of(quote, trust_with({}, other_qe)), Catch::Contains("MRSIGNER"));
    // Collateral signed by a key that does not chain to the root.
    TdxTestPki other = TdxTestPki::create("other vendor");
    TdxTrust foreign = trust_with({});
    foreign.tcb_signing_pem = pem_of(other.tcb_signing.get());
    CHECK_THAT(refusal_of(quote, foreign),
               Catch::Contains("TCB signing certificate does not verify"));
}

TEST_CASE("secretd: trailing zeros after the quote are ignored, a wrong key hash is not") {
    Client c;
    QuoteFields f = QuoteFields::sample();
    std::copy(c.key.binding().begin(), c.key.binding().end(), f.report_data.begin());
    Bytes padded = make_tdx_quote(pki(), f);
    padded.resize(padded.size() + 32, 0);  // a quote buffer's zeros, 32 of them
    c.cert = make_evidence_certificate(c.key, kIntelRaTlsOid, padded);
    CHECK(decide_for(c).allowed);
    Bytes other_hash = make_tdx_quote(pki(), f);
    other_hash.resize(other_hash.size() + 32, 0x5a);
    c.cert = make_evidence_certificate(c.key, kIntelRaTlsOid, other_hash);
    CHECK_THAT(decide_for(c).reason, Catch::Contains("key hash after the quote is not the hash"));
}

TEST_CASE("secretd: the TCB status Intel's rules give is judged by the secret's policy") {
    CollateralOptions old_module;
    old_module.module_status = "OutOfDate";  // TDX_03's only level, reached by the quote
    DaemonConfig config = config_with(sample_policy());
    config.tdx = trust_with(old_module);
    config.tdx.accepted_tcb_status.clear();  // as load_daemon_config leaves it
    Client client = client_with(QuoteFields::sample());
    auto refused_v = cvfs::secretd::decide(client.cert, "luksKey", true, config);
    CHECK_FALSE(refused_v.allowed);
    CHECK_THAT(refused_v.reason, Catch::Contains("policy: TCB status OutOfDate is not accepted"));
    CHECK_THAT(refused_v.measurements, Catch::Contains("tcb=\"OutOfDate\""));
    config.policies["luksKey"].accept_tcb_status = {"UpToDate", "OutOfDate"};
    CHECK(cvfs::secretd::decide(client.cert, "luksKey", true, config).allowed);
    // The platform level alone would say UpToDate: the module's status converges into it.
    config.tdx = trust_with({});
    config.tdx.accepted_tcb_status.clear();
    CHECK_THAT(cvfs::secretd::decide(client.cert, "luksKey", true, config).measurements,
               Catch::Contains("tcb=\"UpToDate\""));
}
