// The TDX verifier on real evidence and real Intel collateral (tests/data/tdx,
// see its README): a v4 quote from a Sapphire Rapids machine with the bytes
// that followed it, a v5 (TDX 1.5) quote, Intel's TCB info, QE identity, CRLs
// in DER and root. Each vector gets the verdict Intel's Quote Verification
// Library gives, at a time pinned inside the collateral's validity; each
// tampered field is refused with its own reason. Offsets in this file are
// the test's own reading of Intel's layout, not the verifier's.
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <ctime>
#include <fstream>
#include <iterator>
#include <string>

#include "evidence_error.h"
#include "release_policy.h"
#include "tdx_collateral.h"
#include "tdx_quote.h"
#include "test_pki.h"

using namespace cvfs::ratls;

namespace {

std::string read_file(const std::string& name) {
    std::ifstream in(std::string(CVFS_TDX_TESTDATA) + "/" + name, std::ios::binary);
    REQUIRE(in);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

Bytes read_bytes(const std::string& name) {
    std::string text = read_file(name);
    return Bytes(text.begin(), text.end());
}

std::time_t utc(int year, int month, int day) {
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    return timegm(&tm);
}

// Inside every window of the v4 set: PCK CRL 2023-06-08..07-08, TCB info
// 06-18..07-18, QE identity 06-08..07-08, root CRL 2023-04..2024-04.
const std::time_t kV4Time = utc(2023, 7, 1);
// The v5 quote's PCK certificate is from 2026-01-27; its TCB info 02-01..03-03.
const std::time_t kV5Time = utc(2026, 2, 15);

TdxTrust intel_root(std::time_t at) {
    TdxTrust t;
    t.root_pem = read_file("intel_sgx_root_ca.pem");
    t.verify_time = at;
    return t;
}

TdxTrust v4_collateral() {
    TdxTrust t = intel_root(kV4Time);
    t.crl_pems = {read_file("pckcrl"), read_file("rootcrl.der")};
    t.tcb_info_json = read_file("sample_tcbInfo_response");
    t.qe_identity_json = read_file("sample_qeIdentity_response");
    t.tcb_signing_pem = read_file("tcb_info_issuer_chain.pem");
    return t;
}

std::string verdict(std::span<const uint8_t> quote, const TdxTrust& trust) {
    try {
        return "accepted, TCB " + verify_tdx_quote(quote, trust).tcb_status;
    } catch (const EvidenceError& e) {
        return e.what();
    }
}

uint32_t u32_at(const Bytes& b, size_t at) {
    return b[at] | b[at + 1] << 8 | b[at + 2] << 16 | uint32_t(b[at + 3]) << 24;
}
void put_u32(Bytes& b, size_t at, size_t v) {
    for (size_t i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

// Where the parts of a v4 quote are (Intel's sgx_quote_4.h).
constexpr size_t kV4SigLength = 632, kV4Signature = 636, kV4CertDataSize = 766, kV4QeReport = 770,
                 kV4QeAuth = 770 + 384 + 64 + 2, kV4ChainSize = kV4QeAuth + 32 + 2,
                 kV4Chain = kV4ChainSize + 4;

// The v4 quote with its PCK chain replaced by `chain` (all sizes fixed up).
Bytes with_chain(const Bytes& quote, const std::string& chain) {
    Bytes q(kV4Chain + chain.size());
    std::copy(quote.begin(), quote.begin() + kV4Chain, q.begin());
    std::copy(chain.begin(), chain.end(), q.begin() + kV4Chain);
    put_u32(q, kV4ChainSize, chain.size());
    put_u32(q, kV4CertDataSize, q.size() - kV4CertDataSize - 4);
    put_u32(q, kV4SigLength, q.size() - kV4SigLength - 4);
    return q;
}

std::string chain_of_v4(const Bytes& quote) {
    return std::string(quote.begin() + kV4Chain,
                       quote.begin() + kV4Chain + u32_at(quote, kV4ChainSize));
}

Bytes flipped(Bytes quote, size_t at) {
    quote[at] ^= 0x01;
    return quote;
}

}  // namespace

TEST_CASE("the real v4 quote is accepted up to Intel's root, the 39 bytes after it ignored") {
    Bytes spr = read_bytes("tdx_prod_quote_SPR_E4.dat");
    REQUIRE(spr.size() == 4974);
    CHECK(tdx_quote_length(spr) == 4935);  // 632 + 4 + its signature data length 4299
    TdxClaims c = verify_tdx_quote(spr, intel_root(kV4Time));
    CHECK(c.quote_version == 4);
    CHECK(c.body_type == 2);
    CHECK(to_hex(c.tee_tcb_svn) == "03000400000000000000000000000000");
    CHECK(to_hex(c.td_attributes) == "0000004000000000");
    CHECK(c.mr_servicetd.empty());
    CHECK(c.tcb_status == "not evaluated");
    // What a quote service hands out: the quote and 70 zeros. Also accepted.
    Bytes padded(spr.begin(), spr.begin() + 4935);
    padded.resize(4935 + 70, 0);
    CHECK(verdict(padded, intel_root(kV4Time)) == "accepted, TCB not evaluated");
    // Shorter than it says: refused.
    Bytes cut(spr.begin(), spr.begin() + 4934);
    CHECK_THAT(verdict(cut, intel_root(kV4Time)), Catch::Contains("truncated quote"));
}

TEST_CASE("Intel's DER CRLs are read and checked; PEM too; a CRL file without a CRL is an error") {
    Bytes spr = read_bytes("tdx_prod_quote_SPR_E4.dat");
    TdxTrust der = intel_root(kV4Time);
    der.crl_pems = {read_file("pckcrl"), read_file("rootcrl.der")};
    CHECK(verdict(spr, der) == "accepted, TCB not evaluated");
    TdxTrust pem = der;
    for (std::string& crl : pem.crl_pems) {
        const unsigned char* p = reinterpret_cast<const unsigned char*>(crl.data());
        X509_CRL* parsed = d2i_X509_CRL(nullptr, &p, static_cast<long>(crl.size()));
        REQUIRE(parsed);
        BIO* bio = BIO_new(BIO_s_mem());
        PEM_write_bio_X509_CRL(bio, parsed);
        char* data = nullptr;
        long n = BIO_get_mem_data(bio, &data);
        crl.assign(data, static_cast<size_t>(n));
        BIO_free(bio);
        X509_CRL_free(parsed);
    }
    CHECK(verdict(spr, pem) == "accepted, TCB not evaluated");
    CHECK(count_crls(read_file("pckcrl"), "pckcrl") == 1);
    TdxTrust empty = der;
    empty.crl_pems = {read_file("intel_sgx_root_ca.pem")};
    CHECK_THAT(verdict(spr, empty), Catch::Contains("CRL file 1 of the TDX trust holds no CRL"));
    CHECK_THROWS_WITH(count_crls(read_file("intel_sgx_root_ca.pem"), "the CRL file root.pem"),
                      Catch::Contains("the CRL file root.pem holds no CRL"));
    // After the CRLs' nextUpdate, they no longer vouch for anything.
    TdxTrust late = der;
    late.verify_time = utc(2024, 6, 1);
    CHECK_THAT(verdict(spr, late), Catch::Contains("CRL has expired"));
}

TEST_CASE(
    "the real v4 platform with Intel's TCB info: no TCB level matches, Intel's 'not supported'") {
    Bytes spr = read_bytes("tdx_prod_quote_SPR_E4.dat");
    // The PCK's SGX components (3,3,2,2,2,1,0,2,...) are below both levels'
    // (5,5,2,2,3,1,0,3,...): Intel's QVL says TCB_NOT_SUPPORTED and refuses.
    TdxTrust all = v4_collateral();
    all.accepted_tcb_status = {};  // even a verifier that accepts every status
    CHECK_THAT(verdict(spr, all), Catch::Contains("no TCB level matches this platform") &&
                                      Catch::Contains("TCB not supported"));
    // The QE identity alone: the QE's ISVSVN 4 reaches the UpToDate level.
    TdxTrust qe = v4_collateral();
    qe.tcb_info_json.clear();
    qe.tcb_signing_pem = read_file("qe_identity_issuer_chain.pem");  // its own issuer chain
    CHECK(verdict(spr, qe) == "accepted, TCB UpToDate");
    // After the TCB info's nextUpdate it is refused as expired.
    TdxTrust late = v4_collateral();
    late.crl_pems.clear();
    late.verify_time = utc(2023, 7, 20);
    CHECK_THAT(verdict(spr, late), Catch::Contains("TCB info: expired"));
}

TEST_CASE("the real v5 quote (TDX 1.5 body) is parsed and verified up to Intel's root") {
    Bytes v5 = read_bytes("quote_v5_sample.dat");
    CHECK(tdx_quote_length(v5) == v5.size());
    TdxClaims c = verify_tdx_quote(v5, intel_root(kV5Time));
    CHECK(c.quote_version == 5);
    CHECK(c.body_type == 3);
    CHECK(to_hex(c.tee_tcb_svn) == "0b010400000000000000000000000000");
    CHECK(to_hex(c.tee_tcb_svn2) == "0d010400000000000000000000000000");
    CHECK(c.mr_servicetd == Bytes(48, 0));
    CHECK(to_hex(c.td_attributes) == "0000001000000000");
    // Trailing bytes after a v5 quote are ignored as well.
    Bytes padded = v5;
    padded.resize(v5.size() + 16, 0);
    CHECK(verdict(padded, intel_root(kV5Time)) == "accepted, TCB not evaluated");
    // The TCB signing certificate of the data set expired 2025-05-21, before
    // this TCB info was issued: Intel's verifier refuses the collateral too.
    TdxTrust collateral = intel_root(kV5Time);
    collateral.tcb_info_json = read_file("sample_tcbinfo_response_v5");
    collateral.tcb_signing_pem = read_file("tcb_info_issuer_chain.pem");
    CHECK_THAT(
        verdict(v5, collateral),
        Catch::Contains("TCB signing certificate does not verify") && Catch::Contains("expired"));
}

TEST_CASE("Intel's TCB rating of the real v5 platform: the module rated through its identity") {
    Bytes v5 = read_bytes("quote_v5_sample.dat");
    TdxClaims c = verify_tdx_quote(v5, intel_root(kV5Time));
    // The PCK certificate: the first of the chain at the end of the quote.
    size_t chain_at = 54 + 648 + 4 + 128 + 6 + 384 + 64 + 2 + 32 + 6;
    BIO* bio = BIO_new_mem_buf(v5.data() + chain_at, static_cast<int>(v5.size() - chain_at));
    X509* pck = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    REQUIRE(pck);
    PckTcb tcb = read_pck_tcb(pck);
    X509_free(pck);
    CHECK(tcb.fmspc == "90c06f000000");
    CHECK(tcb.pcesvn == 13);
    std::string info = read_file("sample_tcbinfo_response_v5");
    auto rate = [&](uint8_t isvsvn, uint8_t major, uint8_t third) {
        TdxClaims q = c;
        q.tee_tcb_svn[0] = isvsvn;
        q.tee_tcb_svn[1] = major;
        q.tee_tcb_svn[2] = third;
        try {
            return rate_tdx_tcb(info, tcb, q);
        } catch (const EvidenceError& e) {
            return std::string(e.what());
        }
    };
    // The quote as it is (0b 01 04): level 1 reached (components 0 and 1
    // skipped), module TDX_01 at SVN 11 >= 6: UpToDate.
    CHECK(rate(0x0b, 1, 4) == "UpToDate");
    // Module SVN 5: TDX_01's level isvsvn 4 is OutOfDate; converged
    // OutOfDate (a plain comparison of all 16 components said UpToDate).
    CHECK(rate(5, 1, 4) == "OutOfDate");
    // Major version 3, SVN 3: TDX_03 is UpToDate (a plain comparison,
    // 3 < 5 on component 0, found no level and said OutOfDate).
    CHECK(rate(3, 3, 4) == "UpToDate");
    // Component 2 at 2: only the second level (OutOfDate) is reached.
    CHECK(rate(0x0b, 1, 2) == "OutOfDate");
    // Below every level of TDX_01, and a major version without identity.
    CHECK_THAT(rate(1, 1, 4), Catch::Contains("TDX_01 with SVN 1 is below every level") &&
                                  Catch::Contains("TCB not supported"));
    CHECK_THAT(rate(0x0b, 2, 4), Catch::Contains("no identity TDX_02"));
    // Component 2 below every level: not supported.
    CHECK_THAT(rate(0x0b, 1, 1), Catch::Contains("TCB not supported"));
    // Major version 0: all 16 components compared, tdxModule checked.
    CHECK(rate(5, 0, 3) == "UpToDate");
    CHECK_THAT(rate(4, 0, 3), Catch::Contains("no TCB level matches"));

    // The document read as JSON: escapes decoded; a field missing or of the
    // wrong type refused by its name and what was expected; limits hold.
    const std::string real = info;
    // `from` replaced by `to`, first after the top-level tcbLevels begin.
    auto edited = [&](const std::string& from, const std::string& to) {
        info = real;
        size_t at = info.find(from, info.find("sgxtcbcomponents"));
        REQUIRE(at != std::string::npos);
        info.replace(at, from.size(), to);
        return rate(0x0b, 1, 4);
    };
    CHECK(edited("\"tcbStatus\":\"UpToDate\"", "\"tcbStatus\":\"Up\\u0054oDate\"") == "UpToDate");
    CHECK_THAT(edited("\"svn\":3", "\"svn\":\"3\""),
               Catch::Contains("TCB info: \"svn\" is a string, expected a number"));
    CHECK_THAT(edited("\"svn\":3", "\"svn\":3.0"),
               Catch::Contains("TCB info: \"svn\" is 3.0, expected a small non-negative integer"));
    CHECK_THAT(edited("\"svn\":3", "\"svn\":-3"),
               Catch::Contains("TCB info: \"svn\" is -3, expected a small non-negative integer"));
    CHECK_THAT(edited("\"tcbStatus\":", "\"status\":"),
               Catch::Contains("TCB info: \"tcbStatus\" is missing"));
    CHECK_THAT(edited("{\"svn\":3,\"category\":\"BIOS\",\"type\":\"Early Microcode Update\"}", "[3]"),
               Catch::Contains("TCB info: expected an object holding \"svn\", found an array"));
    info = real + "}";
    CHECK_THAT(rate(0x0b, 1, 4), Catch::Contains("TCB info is not valid JSON"));
    // 16 levels of nesting are plenty for Intel's (7 at most), not more.
    info = real;
    info.insert(info.size() - 1, ",\"x\":" + std::string(14, '[') + std::string(14, ']'));
    CHECK(rate(0x0b, 1, 4) == "UpToDate");
    info = real;
    info.insert(info.size() - 1, ",\"x\":" + std::string(16, '[') + std::string(16, ']'));
    CHECK_THAT(rate(0x0b, 1, 4), Catch::Contains("TCB info nests objects or arrays more than 16"));
}

TEST_CASE("Intel's signature is checked over the signed member's bytes as served, once present") {
    Bytes spr = read_bytes("tdx_prod_quote_SPR_E4.dat");
    TdxTrust qe = v4_collateral();
    qe.tcb_info_json.clear();
    qe.tcb_signing_pem = read_file("qe_identity_issuer_chain.pem");
    const std::string real = qe.qe_identity_json;
    const std::string head = "{\"enclaveIdentity\":", tail = ",\"signature\":";
    REQUIRE(real.rfind(head, 0) == 0);
    size_t body_end = real.find(tail);
    REQUIRE(body_end != std::string::npos);
    const std::string body = real.substr(head.size(), body_end - head.size());
    const std::string signature = real.substr(body_end + tail.size(), real.rfind('}') - body_end - tail.size());
    auto judged = [&](const std::string& document) {
        TdxTrust t = qe;
        t.qe_identity_json = document;
        return verdict(spr, t);
    };
    CHECK(judged(real) == "accepted, TCB UpToDate");
    // Laid out anyhow around the signed bytes, members in another order, a
    // member of the same name deeper down: the same bytes, still accepted.
    CHECK(judged("{\n  \"signature\" : " + signature + ",\n  \"x\": {\"enclaveIdentity\": {}},\n"
                 "  \"enclaveIdentity\"\t:\n" + body + "\n}\n") == "accepted, TCB UpToDate");
    // The same JSON value in other bytes (a space after a colon) is not what Intel signed.
    std::string respaced = body;
    respaced.replace(respaced.find("\"id\":"), 5, "\"id\": ");
    CHECK_THAT(judged(head + respaced + tail + signature + "}"),
               Catch::Contains("QE identity: the signature does not verify"));
    // A second body beside the signed one: which one is meant? Refused.
    std::string forged = body;
    forged.replace(forged.find("\"isvsvn\":4"), 10, "\"isvsvn\":0");
    CHECK_THAT(judged(head + body + ",\"enclaveIdentity\":" + forged + tail + signature + "}"),
               Catch::Contains("QE identity: \"enclaveIdentity\" is there more than once"));
    CHECK_THAT(judged(head + "[" + body + "]" + tail + signature + "}"),
               Catch::Contains("QE identity: \"enclaveIdentity\" is an array, expected an object"));
    // Intel's documents are a few KiB; half a MiB of padding is refused unread.
    CHECK_THAT(judged(real + std::string(512 << 10, ' ')),
               Catch::Contains("QE identity is 524912 bytes, more than the 524288 accepted"));
}

TEST_CASE("each tampered field of the real quotes is refused with its reason") {
    Bytes spr = read_bytes("tdx_prod_quote_SPR_E4.dat");
    TdxTrust trust = intel_root(kV4Time);
    CHECK_THAT(verdict(flipped(spr, 48 + 136), trust),  // MRTD in the body
               Catch::Contains("the quote signature does not verify"));
    CHECK_THAT(verdict(flipped(spr, 1), trust), Catch::Contains("version 260"));
    CHECK_THAT(verdict(flipped(spr, kV4Signature + 5), trust),
               Catch::Contains("the quote signature does not verify"));
    CHECK_THAT(verdict(flipped(spr, kV4QeReport + 200), trust),
               Catch::Contains("the QE report signature does not verify"));
    CHECK_THAT(verdict(flipped(spr, kV4QeAuth + 3), trust),
               Catch::Contains("does not vouch for the quote's attestation key"));
    // A base64 digit inside the PCK certificate's signature value.
    std::string chain = chain_of_v4(spr);
    size_t end = chain.find("-----END CERTIFICATE-----");
    size_t at = end - 20;
    chain[at] = chain[at] == 'A' ? 'B' : 'A';
    CHECK_THAT(verdict(with_chain(spr, chain), trust),
               Catch::Contains("the PCK certificate chain does not verify"));
    Bytes v5 = read_bytes("quote_v5_sample.dat");
    TdxTrust v5_trust = intel_root(kV5Time);
    CHECK_THAT(verdict(flipped(v5, 54 + 600), v5_trust),  // MR_SERVICETD
               Catch::Contains("the quote signature does not verify"));
    CHECK_THAT(verdict(flipped(v5, 48), v5_trust),  // body type 3 -> 2
               Catch::Contains("v5 body of type 2 says 648 bytes, expected 584"));
}

TEST_CASE("a substituted root certificate in the quote's PCK chain is refused, naming both") {
    Bytes spr = read_bytes("tdx_prod_quote_SPR_E4.dat");
    std::string chain = chain_of_v4(spr);
    size_t root_at =
        chain.find("-----BEGIN CERTIFICATE-----", chain.find("-----BEGIN CERTIFICATE-----", 1) + 1);
    auto key = ratls_test::new_p256_key();
    auto fake = ratls_test::make_cert("Intel SGX Root CA", key.get(), nullptr, key.get(), true);
    Bytes forged = with_chain(spr, chain.substr(0, root_at) + ratls_test::pem_of(fake.get()));
    CHECK_THAT(verdict(forged, intel_root(kV4Time)),
               Catch::Contains("the root certificate in the PCK certificate chain (/CN=Intel SGX "
                               "Root CA, SHA-256") &&
                   Catch::Contains("differs from the configured root (/CN=Intel SGX Root CA/O="
                                   "Intel Corporation"));
    // A chain that carries no root at all is not Intel's either.
    Bytes rootless = with_chain(spr, chain.substr(0, root_at));
    CHECK_THAT(verdict(rootless, intel_root(kV4Time)), Catch::Contains("carries no root"));
}

TEST_CASE("policies name the v5 fields and the TCB statuses they accept") {
    TdxClaims v5 = verify_tdx_quote(read_bytes("quote_v5_sample.dat"), intel_root(kV5Time));
    TdxClaims v4 = verify_tdx_quote(read_bytes("tdx_prod_quote_SPR_E4.dat"), intel_root(kV4Time));
    cvfs::secretd::ReleasePolicy p;
    p.tdx_mrtd = {v5.mr_td, v4.mr_td};
    p.tdx_td_attributes = {v5.td_attributes, v4.td_attributes};
    CHECK(cvfs::secretd::refusal(p, v5).empty());
    p.tdx_mr_servicetd = {Bytes(48, 0)};
    CHECK(cvfs::secretd::refusal(p, v5).empty());
    CHECK_THAT(cvfs::secretd::refusal(p, v4), Catch::Contains("(v4, no TDX 1.5 body) has none"));
    p.tdx_mr_servicetd = {Bytes(48, 7)};
    CHECK_THAT(cvfs::secretd::refusal(p, v5), Catch::Contains("tdx_mr_servicetd 0000"));
    p.tdx_mr_servicetd.clear();
    v5.tcb_status = "OutOfDate";
    CHECK_THAT(
        cvfs::secretd::refusal(p, v5),
        Catch::Contains("TCB status OutOfDate is not accepted (accept_tcb_status: UpToDate)"));
    p.accept_tcb_status = {"UpToDate", "OutOfDate"};
    CHECK(cvfs::secretd::refusal(p, v5).empty());
}
