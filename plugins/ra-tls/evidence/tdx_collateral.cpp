// Checking Intel's TDX collateral (see tdx_collateral.h): signatures by the
// TCB signing key, validity dates, the QE's identity, and the TCB level that
// the PCK certificate's and the quote's SVNs reach.
#include "tdx_collateral.h"

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <memory>

#include "certificate.h"
#include "evidence_error.h"
#include "collateral_json.h"
#include "tcb_rating.h"

namespace cvfs::ratls {
namespace {

struct SequenceFree {
    void operator()(ASN1_SEQUENCE_ANY* s) const { sk_ASN1_TYPE_pop_free(s, ASN1_TYPE_free); }
};
using Sequence = std::unique_ptr<ASN1_SEQUENCE_ANY, SequenceFree>;

Sequence parse_sequence(const unsigned char* der, long size) {
    const unsigned char* p = der;
    Sequence seq(d2i_ASN1_SEQUENCE_ANY(nullptr, &p, size));
    if (!seq) malformed("the PCK certificate's SGX extension is not a DER sequence");
    return seq;
}

// One (OID, value) entry of the SGX extension; `value` lives as long as `inner`.
struct Entry {
    Sequence inner;
    std::string oid;
    ASN1_TYPE* value = nullptr;
};

Entry entry_of(ASN1_TYPE* item) {
    if (item->type != V_ASN1_SEQUENCE)
        malformed("the PCK certificate's SGX extension has a non-sequence entry");
    Entry e;
    e.inner = parse_sequence(item->value.sequence->data, item->value.sequence->length);
    ASN1_SEQUENCE_ANY* inner = e.inner.get();
    if (sk_ASN1_TYPE_num(inner) != 2 || sk_ASN1_TYPE_value(inner, 0)->type != V_ASN1_OBJECT)
        malformed("the PCK certificate's SGX extension has a malformed entry");
    char oid[64];
    OBJ_obj2txt(oid, sizeof oid, sk_ASN1_TYPE_value(inner, 0)->value.object, 1);
    e.oid = oid;
    e.value = sk_ASN1_TYPE_value(inner, 1);
    return e;
}

uint32_t small_integer(ASN1_TYPE* value) {
    long v = value->type == V_ASN1_INTEGER ? ASN1_INTEGER_get(value->value.integer) : -1;
    if (v < 0 || v > 0xffff) malformed("the PCK certificate's TCB has a bad SVN");
    return static_cast<uint32_t>(v);
}

std::time_t parse_time(const std::string& date, const char* key, const std::string& where) {
    std::tm tm{};
    if (!strptime(date.c_str(), "%Y-%m-%dT%H:%M:%S", &tm))
        malformed(where + ": \"" + key + "\" is not a date: " + Json(date).dump());
    return timegm(&tm);
}

Bytes hex_field(const Json& body, const char* key, size_t size, const std::string& where) {
    auto bytes = from_hex(need_string(body, key, where));
    if (!bytes || bytes->size() != size)
        malformed(where + ": \"" + key + "\" is not " + std::to_string(size) + " bytes of hex");
    return *bytes;
}

// Parses a signed collateral document and checks its signature and dates;
// returns the body. The signature is checked over the body's bytes as they
// are in `text`, which Intel signed, never over a re-serialisation.
Json signed_body(const std::string& text, const char* body_key, const TdxTrust& trust,
                 std::time_t now, const std::string& where) {
    Json document = parse_collateral(text, where);
    need_object(document, body_key, where);
    Json body = std::move(document[body_key]);
    std::string_view body_bytes = signed_member(text, body_key, where);
    auto signature = from_hex(need_string(document, "signature", where));
    if (!signature || signature->size() != 64)
        malformed(where + ": the signature is not 64 bytes of hex");
    if (trust.tcb_signing_pem.empty())
        refused(where + ": no TCB signing certificate is configured to check it");
    auto signer = verify_chain({reinterpret_cast<const uint8_t*>(trust.tcb_signing_pem.data()),
                                trust.tcb_signing_pem.size()},
                               trust, "the TCB signing certificate");
    std::span<const uint8_t> signed_bytes(reinterpret_cast<const uint8_t*>(body_bytes.data()),
                                          body_bytes.size());
    if (!ecdsa_raw_verify(X509_get0_pubkey(signer.get()), *signature, signed_bytes))
        refused(where + ": the signature does not verify with the TCB signing certificate");
    const std::string& next_update = need_string(body, "nextUpdate", where);
    if (parse_time(next_update, "nextUpdate", where) < now)
        refused(where + ": expired (nextUpdate " + next_update + "); fetch fresh collateral");
    return body;
}

bool masked_equal(const Bytes& value, const Bytes& expected, const Bytes& mask) {
    for (size_t i = 0; i < value.size(); ++i)
        if ((value[i] & mask[i]) != (expected[i] & mask[i])) return false;
    return true;
}

}  // namespace

PckTcb read_pck_tcb(X509* pck) {
    std::unique_ptr<ASN1_OBJECT, decltype(&ASN1_OBJECT_free)> oid(
        OBJ_txt2obj("1.2.840.113741.1.13.1", 1), ASN1_OBJECT_free);
    int index = X509_get_ext_by_OBJ(pck, oid.get(), -1);
    if (index < 0) malformed("the PCK certificate has no SGX extension (1.2.840.113741.1.13.1)");
    ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(X509_get_ext(pck, index));
    Sequence top = parse_sequence(ASN1_STRING_get0_data(data), ASN1_STRING_length(data));
    PckTcb tcb;
    bool have_tcb = false, have_fmspc = false;
    for (int i = 0; i < sk_ASN1_TYPE_num(top.get()); ++i) {
        Entry entry = entry_of(sk_ASN1_TYPE_value(top.get(), i));
        const std::string& name = entry.oid;
        ASN1_TYPE* value = entry.value;
        if (name == "1.2.840.113741.1.13.1.4" && value->type == V_ASN1_OCTET_STRING) {
            tcb.fmspc =
                to_hex({ASN1_STRING_get0_data(value->value.octet_string),
                        static_cast<size_t>(ASN1_STRING_length(value->value.octet_string))});
            have_fmspc = true;
        } else if (name == "1.2.840.113741.1.13.1.2" && value->type == V_ASN1_SEQUENCE) {
            Sequence comps =
                parse_sequence(value->value.sequence->data, value->value.sequence->length);
            for (int k = 0; k < sk_ASN1_TYPE_num(comps.get()); ++k) {
                Entry component = entry_of(sk_ASN1_TYPE_value(comps.get(), k));
                const std::string& comp = component.oid;
                ASN1_TYPE* svn = component.value;
                std::string prefix = "1.2.840.113741.1.13.1.2.";
                if (comp.rfind(prefix, 0) != 0) continue;
                int n = std::atoi(comp.c_str() + prefix.size());
                if (n >= 1 && n <= 16)
                    tcb.sgx_components[static_cast<size_t>(n - 1)] = small_integer(svn);
                if (n == 17) tcb.pcesvn = small_integer(svn);
            }
            have_tcb = true;
        }
    }
    if (!have_tcb || !have_fmspc)
        malformed("the PCK certificate's SGX extension lacks its TCB or FMSPC");
    return tcb;
}

std::string qe_identity_status(const TdxTrust& trust, std::span<const uint8_t> qe_report,
                               std::time_t now) {
    const std::string where = "QE identity";
    const Json id = signed_body(trust.qe_identity_json, "enclaveIdentity", trust, now, where);
    if (need_string(id, "id", where) != "TD_QE")
        refused(where + ": not the identity of the TD quoting enclave");
    auto report = [&](size_t at, size_t n) {
        return Bytes(qe_report.begin() + static_cast<long>(at),
                     qe_report.begin() + static_cast<long>(at + n));
    };
    if (!masked_equal(report(16, 4), hex_field(id, "miscselect", 4, where),
                      hex_field(id, "miscselectMask", 4, where)) ||
        !masked_equal(report(48, 16), hex_field(id, "attributes", 16, where),
                      hex_field(id, "attributesMask", 16, where)))
        refused(where + ": the QE's miscselect or attributes are not Intel's QE's");
    if (report(128, 32) != hex_field(id, "mrsigner", 32, where))
        refused(where + ": the QE is not signed by Intel (MRSIGNER)");
    uint32_t prodid = qe_report[256] | uint32_t(qe_report[257]) << 8;
    uint32_t isvsvn = qe_report[258] | uint32_t(qe_report[259]) << 8;
    if (prodid != need_integer(id, "isvprodid", where))
        refused(where + ": wrong QE product id");
    for (const Json& level : need_array(id, "tcbLevels", where)) {
        int64_t svn = need_integer(need_object(level, "tcb", where), "isvsvn", where);
        if (isvsvn >= svn) return need_string(level, "tcbStatus", where);
    }
    return "Revoked";  // Intel's status for a QE below every level
}

std::string tcb_info_status(const TdxTrust& trust, const PckTcb& pck, const TdxClaims& quote,
                            std::time_t now) {
    const std::string where = "TCB info";
    const Json info = signed_body(trust.tcb_info_json, "tcbInfo", trust, now, where);
    if (need_string(info, "id", where) != "TDX") refused(where + ": not TDX TCB info");
    std::string fmspc = need_string(info, "fmspc", where);
    for (char& c : fmspc) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (fmspc != pck.fmspc)
        refused(where + ": for FMSPC " + fmspc + ", the platform's is " + pck.fmspc);
    return rate_tcb_info(info, pck, quote);
}

}  // namespace cvfs::ratls
