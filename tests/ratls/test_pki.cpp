// The RA-TLS test PKI and TDX quote builder (see test_pki.h).
#include "test_pki.h"

#include <openssl/bio.h>
#include <openssl/ecdsa.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ratls_test {
namespace {

void need(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("test PKI: ") + what);
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer : cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    need(ext && X509_add_ext(cert, ext, -1), "extension");
    X509_EXTENSION_free(ext);
}

// ECDSA-SHA256 over `message` as raw r||s (32 + 32 bytes).
std::array<uint8_t, 64> sign_raw(EVP_PKEY* key, const uint8_t* message, size_t size) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t der_size = 0;
    need(EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
             EVP_DigestSign(ctx, nullptr, &der_size, message, size) == 1,
         "sign init");
    Bytes der(der_size);
    need(EVP_DigestSign(ctx, der.data(), &der_size, message, size) == 1, "sign");
    EVP_MD_CTX_free(ctx);
    const unsigned char* p = der.data();
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_size));
    need(sig, "decode signature");
    std::array<uint8_t, 64> raw{};
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw.data(), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw.data() + 32, 32);
    ECDSA_SIG_free(sig);
    return raw;
}

std::array<uint8_t, 64> public_xy(EVP_PKEY* key) {
    uint8_t point[65];
    size_t size = 0;
    need(EVP_PKEY_get_octet_string_param(key, "pub", point, sizeof point, &size) == 1 && size == 65,
         "public point");
    std::array<uint8_t, 64> xy{};
    std::memcpy(xy.data(), point + 1, 64);
    return xy;
}

void put_le(Bytes& out, uint64_t value, size_t n) {
    for (size_t i = 0; i < n; ++i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

X509Ptr read_cert(const std::string& path) {
    std::string text = read_text(path);
    BIO* bio = BIO_new_mem_buf(text.data(), static_cast<int>(text.size()));
    X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    need(cert, "read certificate");
    return X509Ptr(cert);
}

Pkey read_key(const std::string& path) {
    std::string text = read_text(path);
    BIO* bio = BIO_new_mem_buf(text.data(), static_cast<int>(text.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    need(key, "read key");
    return Pkey(key);
}

}  // namespace

namespace {

// DER TLV with a definite length.
Bytes der(uint8_t tag, const Bytes& content) {
    Bytes out{tag};
    size_t n = content.size();
    if (n < 128) {
        out.push_back(static_cast<uint8_t>(n));
    } else if (n < 256) {
        out.insert(out.end(), {0x81, static_cast<uint8_t>(n)});
    } else {
        out.insert(out.end(), {0x82, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)});
    }
    out.insert(out.end(), content.begin(), content.end());
    return out;
}

Bytes der_oid(const std::string& text) {
    ASN1_OBJECT* obj = OBJ_txt2obj(text.c_str(), 1);
    unsigned char* buf = nullptr;
    int n = i2d_ASN1_OBJECT(obj, &buf);
    Bytes out(buf, buf + n);
    OPENSSL_free(buf);
    ASN1_OBJECT_free(obj);
    return out;
}

Bytes der_entry(const std::string& oid, const Bytes& value) {
    Bytes content = der_oid(oid);
    content.insert(content.end(), value.begin(), value.end());
    return der(0x30, content);
}

Bytes der_int(uint32_t v) {
    Bytes content;
    if (v >= 0x80) content.push_back(static_cast<uint8_t>(v >> 8));
    content.push_back(static_cast<uint8_t>(v));
    if (content[0] & 0x80) content.insert(content.begin(), 0);
    return der(0x02, content);
}

std::string iso_time(long from_now) {
    std::time_t t = std::time(nullptr) + from_now;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

// {"<key>":<body>,"signature":"<hex r||s over body>"}
std::string signed_document(EVP_PKEY* key, const std::string& name, const std::string& body,
                            bool tamper) {
    auto sig = sign_raw(key, reinterpret_cast<const uint8_t*>(body.data()), body.size());
    std::string shown = body;
    if (tamper) shown.replace(shown.find("\"version\":"), 11, "\"version\":9");
    return "{\"" + name + "\":" + shown + ",\"signature\":\"" + cvfs::ratls::to_hex(sig) + "\"}";
}

}  // namespace

Bytes sgx_extension(uint32_t sgx_svn, uint32_t pcesvn) {
    const std::string base = "1.2.840.113741.1.13.1";
    Bytes tcb;
    for (int i = 1; i <= 16; ++i) {
        Bytes e = der_entry(base + ".2." + std::to_string(i), der_int(sgx_svn));
        tcb.insert(tcb.end(), e.begin(), e.end());
    }
    Bytes pce = der_entry(base + ".2.17", der_int(pcesvn));
    tcb.insert(tcb.end(), pce.begin(), pce.end());
    Bytes cpusvn = der_entry(base + ".2.18", der(0x04, Bytes(16, static_cast<uint8_t>(sgx_svn))));
    tcb.insert(tcb.end(), cpusvn.begin(), cpusvn.end());
    Bytes all = der_entry(base + ".1", der(0x04, Bytes(16, 0x42)));
    Bytes tcb_entry = der_entry(base + ".2", der(0x30, tcb));
    Bytes fmspc = der_entry(base + ".4", der(0x04, *cvfs::ratls::from_hex(kTestFmspc)));
    all.insert(all.end(), tcb_entry.begin(), tcb_entry.end());
    all.insert(all.end(), fmspc.begin(), fmspc.end());
    return der(0x30, all);
}

std::string make_tcb_info(const TdxTestPki& pki, const CollateralOptions& o) {
    auto level = [](uint32_t sgx, uint32_t pce, uint32_t tdx, const std::string& status) {
        std::string l = "{\"tcb\":{\"sgxtcbcomponents\":[";
        for (int i = 0; i < 16; ++i)
            l += std::string(i ? "," : "") + "{\"svn\":" + std::to_string(sgx) + "}";
        l += "],\"pcesvn\":" + std::to_string(pce) + ",\"tdxtcbcomponents\":[";
        for (int i = 0; i < 16; ++i)
            l += std::string(i ? "," : "") + "{\"svn\":" + std::to_string(tdx) + "}";
        return l + "]},\"tcbDate\":\"2026-01-01T00:00:00Z\",\"tcbStatus\":\"" + status + "\"}";
    };
    std::string body =
        "{\"id\":\"TDX\",\"version\":3,\"issueDate\":\"" + iso_time(-3600) +
        "\",\"nextUpdate\":\"" + iso_time(o.next_update_from_now) + "\",\"fmspc\":\"" + o.fmspc +
        "\",\"pceId\":\"0000\",\"tcbType\":0,\"tcbEvaluationDataNumber\":17,\"tdxModule\":{"
        "\"mrsigner\":\"" +
        std::string(96, '0') +
        "\",\"attributes\":\"0000000000000000\",\"attributesMask\":\"FFFFFFFFFFFFFFFF\"}," +
        // tee_tcb_svn[1] = 3: Intel rates the module through its identity TDX_03
        "\"tdxModuleIdentities\":[{\"id\":\"TDX_03\",\"mrsigner\":\"" + std::string(96, '0') +
        "\",\"attributes\":\"0000000000000000\",\"attributesMask\":\"FFFFFFFFFFFFFFFF\","
        "\"tcbLevels\":[{\"tcb\":{\"isvsvn\":3},\"tcbDate\":\"2026-01-01T00:00:00Z\","
        "\"tcbStatus\":\"" +
        o.module_status + "\"}]}]," + "\"tcbLevels\":[" +
        level(o.level1_sgx_svn, 11, 3, o.level1_status) + "," + level(0, 0, 0, o.level2_status) +
        "]}";
    return signed_document(pki.tcb_signing_key.get(), "tcbInfo", body, o.tamper);
}

std::string make_qe_identity(const TdxTestPki& pki, const CollateralOptions& o) {
    // The test QE report is 0x11 bytes apart from its report_data.
    std::string body = "{\"id\":\"TD_QE\",\"version\":2,\"issueDate\":\"" + iso_time(-3600) +
                       "\",\"nextUpdate\":\"" + iso_time(o.next_update_from_now) +
                       "\",\"tcbEvaluationDataNumber\":17,\"miscselect\":\"11111111\","
                       "\"miscselectMask\":\"FFFFFFFF\","
                       "\"attributes\":\"" +
                       std::string(32, '1') + "\",\"attributesMask\":\"" + std::string(32, 'F') +
                       "\",\"mrsigner\":\"" + o.qe_mrsigner_hex +
                       "\",\"isvprodid\":4369,\"tcbLevels\":[" +
                       "{\"tcb\":{\"isvsvn\":4369},\"tcbDate\":\"2026-01-01T00:00:00Z\","
                       "\"tcbStatus\":\"UpToDate\"}," +
                       "{\"tcb\":{\"isvsvn\":0},\"tcbDate\":\"2020-01-01T00:00:00Z\",\"tcbStatus\":"
                       "\"OutOfDate\"}]}";
    return signed_document(pki.tcb_signing_key.get(), "enclaveIdentity", body, o.tamper);
}

Pkey new_p256_key() {
    Pkey key(EVP_EC_gen("P-256"));
    need(key != nullptr, "key");
    return key;
}

std::string pem_of(X509* cert) {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, cert);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string text(data, static_cast<size_t>(n));
    BIO_free(bio);
    return text;
}

std::string pem_of_key(EVP_PKEY* key) {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string text(data, static_cast<size_t>(n));
    BIO_free(bio);
    return text;
}

X509Ptr make_cert(const std::string& cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, bool ca,
                  const std::string& san, const Bytes* sgx_ext) {
    X509Ptr cert(X509_new());
    uint8_t serial[8];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7f;
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
    BN_free(bn);
    X509_set_version(cert.get(), X509_VERSION_3);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509_set_issuer_name(
        cert.get(), issuer ? X509_get_subject_name(issuer) : X509_get_subject_name(cert.get()));
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400 * 30);
    X509_set_pubkey(cert.get(), key);
    add_ext(cert.get(), issuer, NID_basic_constraints,
            ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    add_ext(cert.get(), issuer, NID_key_usage,
            ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
    if (!san.empty()) add_ext(cert.get(), issuer, NID_subject_alt_name, san);
    if (sgx_ext) {
        ASN1_OBJECT* oid = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
        ASN1_OCTET_STRING* data = ASN1_OCTET_STRING_new();
        ASN1_OCTET_STRING_set(data, sgx_ext->data(), static_cast<int>(sgx_ext->size()));
        X509_EXTENSION* ext = X509_EXTENSION_create_by_OBJ(nullptr, oid, 0, data);
        need(ext && X509_add_ext(cert.get(), ext, -1), "SGX extension");
        X509_EXTENSION_free(ext);
        ASN1_OCTET_STRING_free(data);
        ASN1_OBJECT_free(oid);
    }
    need(X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) > 0,
         "sign certificate");
    return cert;
}

std::string make_crl(X509* issuer, EVP_PKEY* issuer_key, X509* revoked) {
    X509_CRL* crl = X509_CRL_new();
    X509_CRL_set_version(crl, X509_CRL_VERSION_2);
    X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer));
    ASN1_TIME* now = X509_gmtime_adj(nullptr, -60);
    ASN1_TIME* next = X509_gmtime_adj(nullptr, 86400);
    X509_CRL_set1_lastUpdate(crl, now);
    X509_CRL_set1_nextUpdate(crl, next);
    if (revoked) {
        X509_REVOKED* entry = X509_REVOKED_new();
        X509_REVOKED_set_serialNumber(entry, X509_get_serialNumber(revoked));
        X509_REVOKED_set_revocationDate(entry, now);
        X509_CRL_add0_revoked(crl, entry);
    }
    ASN1_TIME_free(now);
    ASN1_TIME_free(next);
    X509_CRL_sort(crl);
    need(X509_CRL_sign(crl, issuer_key, EVP_sha256()) > 0, "sign CRL");
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509_CRL(bio, crl);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string text(data, static_cast<size_t>(n));
    BIO_free(bio);
    X509_CRL_free(crl);
    return text;
}

TdxTestPki TdxTestPki::create(const std::string& name) {
    TdxTestPki pki;
    pki.root_key = new_p256_key();
    pki.intermediate_key = new_p256_key();
    pki.pck_key = new_p256_key();
    pki.attestation_key = new_p256_key();
    pki.tcb_signing_key = new_p256_key();
    pki.root = make_cert(name + " Root CA", pki.root_key.get(), nullptr, nullptr, true);
    pki.intermediate = make_cert(name + " PCK Platform CA", pki.intermediate_key.get(),
                                 pki.root.get(), pki.root_key.get(), true);
    Bytes sgx = sgx_extension(5, 11);
    pki.pck = make_cert(name + " PCK Certificate", pki.pck_key.get(), pki.intermediate.get(),
                        pki.intermediate_key.get(), false, "", &sgx);
    pki.tcb_signing = make_cert(name + " TCB Signing", pki.tcb_signing_key.get(), pki.root.get(),
                                pki.root_key.get(), false);
    return pki;
}

void TdxTestPki::save(const std::string& dir) const {
    std::ofstream(dir + "/root.pem") << pem_of(root.get());
    std::ofstream(dir + "/intermediate.pem") << pem_of(intermediate.get());
    std::ofstream(dir + "/pck.pem") << pem_of(pck.get());
    std::ofstream(dir + "/root.key") << pem_of_key(root_key.get());
    std::ofstream(dir + "/intermediate.key") << pem_of_key(intermediate_key.get());
    std::ofstream(dir + "/pck.key") << pem_of_key(pck_key.get());
    std::ofstream(dir + "/attestation.key") << pem_of_key(attestation_key.get());
    std::ofstream(dir + "/tcb-signing.pem") << pem_of(tcb_signing.get());
    std::ofstream(dir + "/tcb-signing.key") << pem_of_key(tcb_signing_key.get());
}

TdxTestPki TdxTestPki::load(const std::string& dir) {
    TdxTestPki pki;
    pki.root = read_cert(dir + "/root.pem");
    pki.intermediate = read_cert(dir + "/intermediate.pem");
    pki.pck = read_cert(dir + "/pck.pem");
    pki.root_key = read_key(dir + "/root.key");
    pki.intermediate_key = read_key(dir + "/intermediate.key");
    pki.pck_key = read_key(dir + "/pck.key");
    pki.attestation_key = read_key(dir + "/attestation.key");
    pki.tcb_signing = read_cert(dir + "/tcb-signing.pem");
    pki.tcb_signing_key = read_key(dir + "/tcb-signing.key");
    return pki;
}

QuoteFields QuoteFields::sample() {
    QuoteFields f;
    f.mr_td.fill(0x7d);
    for (size_t i = 0; i < 4; ++i) f.rtmr[i].fill(static_cast<uint8_t>(0xa0 + i));
    f.td_attributes = {0, 0, 0, 0x10, 0, 0, 0, 0};  // SEPT_VE_DISABLE, not DEBUG
    f.xfam = {0xe7, 0x02, 0x06, 0, 0, 0, 0, 0};
    return f;
}

Bytes make_tdx_quote(const TdxTestPki& pki, const QuoteFields& f, const QuoteFaults& faults) {
    static const uint8_t intel_qe_vendor[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                                0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};
    Bytes q;
    put_le(q, 4, 2);     // version
    put_le(q, 2, 2);     // ECDSA-256-with-P-256
    put_le(q, 0x81, 4);  // TDX
    put_le(q, 0, 4);
    q.insert(q.end(), intel_qe_vendor, intel_qe_vendor + 16);
    q.resize(48, 0);          // user_data
    q.resize(48 + 16, 0x03);  // tee_tcb_svn
    q.resize(64 + 48, 0x5e);  // mr_seam
    q.resize(112 + 48, 0);    // mrsigner_seam
    q.resize(160 + 8, 0);     // seam_attributes
    q.insert(q.end(), f.td_attributes.begin(), f.td_attributes.end());
    q.insert(q.end(), f.xfam.begin(), f.xfam.end());
    q.insert(q.end(), f.mr_td.begin(), f.mr_td.end());
    q.resize(232 + 3 * 48, 0);  // mr_config_id, mr_owner, mr_owner_config
    for (const auto& r : f.rtmr) q.insert(q.end(), r.begin(), r.end());
    q.insert(q.end(), f.report_data.begin(), f.report_data.end());
    need(q.size() == 632, "body layout");

    auto quote_sig = sign_raw(pki.attestation_key.get(), q.data(), q.size());
    if (faults.quote_signature) q[200] ^= 1;  // changes MRTD after signing
    auto att_xy = public_xy(pki.attestation_key.get());

    Bytes qe_auth(32);
    for (size_t i = 0; i < qe_auth.size(); ++i) qe_auth[i] = static_cast<uint8_t>(i);
    Bytes qe_report(384, 0x11);
    Bytes vouched(att_xy.begin(), att_xy.end());
    if (faults.qe_binding) vouched[0] ^= 1;
    vouched.insert(vouched.end(), qe_auth.begin(), qe_auth.end());
    SHA256(vouched.data(), vouched.size(), qe_report.data() + 320);
    std::fill(qe_report.begin() + 352, qe_report.end(), 0);
    Pkey rogue = faults.pck_not_from_chain ? new_p256_key() : nullptr;
    X509Ptr rogue_pck;
    if (rogue)
        rogue_pck =
            make_cert("rogue PCK", pki.pck_key.get(), pki.intermediate.get(), rogue.get(), false);
    // (the rogue PCK has no SGX extension: the chain check refuses it first)
    auto qe_sig = sign_raw(pki.pck_key.get(), qe_report.data(), qe_report.size());
    if (faults.qe_signature) qe_sig[10] ^= 0x40;

    std::string chain = pem_of(rogue ? rogue_pck.get() : pki.pck.get()) +
                        pem_of(pki.intermediate.get()) + pem_of(pki.root.get());
    Bytes cert_data = qe_report;
    cert_data.insert(cert_data.end(), qe_sig.begin(), qe_sig.end());
    put_le(cert_data, qe_auth.size(), 2);
    cert_data.insert(cert_data.end(), qe_auth.begin(), qe_auth.end());
    put_le(cert_data, 5, 2);
    put_le(cert_data, chain.size(), 4);
    cert_data.insert(cert_data.end(), chain.begin(), chain.end());

    Bytes sig_data(quote_sig.begin(), quote_sig.end());
    sig_data.insert(sig_data.end(), att_xy.begin(), att_xy.end());
    put_le(sig_data, 6, 2);
    put_le(sig_data, cert_data.size(), 4);
    sig_data.insert(sig_data.end(), cert_data.begin(), cert_data.end());
    put_le(q, sig_data.size(), 4);
    q.insert(q.end(), sig_data.begin(), sig_data.end());
    return q;
}

}  // namespace ratls_test
