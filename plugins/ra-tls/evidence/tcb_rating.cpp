// Rating a TDX platform's TCB the way Intel's Quote Verification Library
// does (TcbLevelCheck, TdxModuleCheck and the convergence of their statuses).
//
// 1. The platform's level: the first entry of tcbLevels whose 16 SGX
//    components and PCESVN the PCK certificate reaches and whose 16 TDX
//    components tee_tcb_svn reaches. When tee_tcb_svn[1] (the TDX module's
//    major version) is above 0, the first two TDX components (the module's
//    SVN and major version) are not compared: the module is rated on its own.
//    No such level: "not supported", a refusal.
// 2. The module: major version 0 must match "tdxModule" (mrsigner, masked
//    attributes) and adds no status; a higher major version must match the
//    entry "TDX_%02X" of tdxModuleIdentities, and its status is that of the
//    first of its tcbLevels whose isvsvn tee_tcb_svn[0] reaches (none: "not
//    supported").
// 3. Convergence: a module OutOfDate turns UpToDate and SWHardeningNeeded into
//    OutOfDate, ConfigurationNeeded and ConfigurationAndSWHardeningNeeded into
//    OutOfDateConfigurationNeeded; a module Revoked makes the result Revoked;
//    otherwise the platform's level stands.
#include "tcb_rating.h"

#include <cstdio>

#include "evidence_error.h"

namespace cvfs::ratls {
namespace {

const std::string kWhere = "TCB info";

Bytes hex_of(const Json& object, const char* key, size_t size) {
    auto bytes = from_hex(need_string(object, key, kWhere));
    if (!bytes || bytes->size() != size)
        malformed(kWhere + ": \"" + key + "\" is not " + std::to_string(size) + " bytes of hex");
    return *bytes;
}

// Does the quote's TDX module have the signer and attributes `module` names?
void check_module_identity(const Json& module, const TdxClaims& quote,
                           const std::string& name) {
    Bytes attributes = hex_of(module, "attributes", 8), mask = hex_of(module, "attributesMask", 8);
    bool same = hex_of(module, "mrsigner", 48) == quote.mr_signer_seam;
    for (size_t i = 0; i < 8 && same; ++i)
        same = (quote.seam_attributes[i] & mask[i]) == (attributes[i] & mask[i]);
    if (!same)
        refused(kWhere + ": the TDX module is not the one " + name +
                " describes (mrsigner_seam or seam_attributes differ)");
}

bool level_reached(const Json& level, const PckTcb& pck, const Bytes& tee_tcb_svn) {
    const Json& tcb = need_object(level, "tcb", kWhere);
    const auto& sgx = need_array(tcb, "sgxtcbcomponents", kWhere);
    const auto& tdx = need_array(tcb, "tdxtcbcomponents", kWhere);
    if (sgx.size() != 16 || tdx.size() != 16)
        malformed(kWhere + ": a TCB level without 16 SGX and 16 TDX components");
    if (pck.pcesvn < need_integer(tcb, "pcesvn", kWhere)) return false;
    for (size_t i = 0; i < 16; ++i)
        if (pck.sgx_components[i] < need_integer(sgx[i], "svn", kWhere))
            return false;
    size_t first_tdx = tee_tcb_svn[1] > 0 ? 2 : 0;
    for (size_t i = first_tdx; i < 16; ++i)
        if (tee_tcb_svn[i] < need_integer(tdx[i], "svn", kWhere)) return false;
    return true;
}

std::string platform_status(const Json& info, const PckTcb& pck, const Bytes& tee_tcb_svn) {
    for (const Json& level : need_array(info, "tcbLevels", kWhere))
        if (level_reached(level, pck, tee_tcb_svn)) return need_string(level, "tcbStatus", kWhere);
    refused(kWhere + ": no TCB level matches this platform (PCK SVNs and tee_tcb_svn " +
            to_hex(tee_tcb_svn) + "): Intel's status \"TCB not supported\"");
}

// The module's own status; empty for major version 0 (it adds none).
std::string module_status(const Json& info, const TdxClaims& quote) {
    uint32_t major = quote.tee_tcb_svn[1], isvsvn = quote.tee_tcb_svn[0];
    if (major == 0) {
        check_module_identity(need_object(info, "tdxModule", kWhere), quote, "tdxModule");
        return {};
    }
    char id[8];
    std::snprintf(id, sizeof id, "TDX_%02X", major);
    auto identities = info.find("tdxModuleIdentities");
    if (identities != info.end() && identities->is_array())
        for (const Json& identity : *identities) {
            if (need_string(identity, "id", kWhere) != id) continue;
            check_module_identity(identity, quote, std::string("tdxModuleIdentities ") + id);
            for (const Json& level : need_array(identity, "tcbLevels", kWhere))
                if (isvsvn >= need_integer(need_object(level, "tcb", kWhere), "isvsvn", kWhere))
                    return need_string(level, "tcbStatus", kWhere);
            refused(kWhere + ": TDX module " + id + " with SVN " + std::to_string(isvsvn) +
                    " is below every level of its identity: Intel's status \"TCB not "
                    "supported\"");
        }
    refused(kWhere + ": the TDX module's major version " + std::to_string(major) +
            " has no identity " + id + " in tdxModuleIdentities (Intel: TDX module mismatch)");
}

}  // namespace

std::string rate_tcb_info(const Json& info, const PckTcb& pck, const TdxClaims& quote) {
    if (quote.tee_tcb_svn.size() != 16 || quote.mr_signer_seam.size() != 48 ||
        quote.seam_attributes.size() != 8)
        malformed(kWhere + ": the quote's TDX module fields are missing");
    std::string platform = platform_status(info, pck, quote.tee_tcb_svn);
    std::string module = module_status(info, quote);
    return module.empty() ? platform : converge_with_qe(platform, module);
}

std::string rate_tdx_tcb(std::string_view document, const PckTcb& pck, const TdxClaims& quote) {
    Json parsed = parse_collateral(document, kWhere);
    return rate_tcb_info(need_object(parsed, "tcbInfo", kWhere), pck, quote);
}

// Intel converges a module's status and a QE's with the platform's alike.
std::string converge_with_qe(const std::string& platform, const std::string& qe) {
    if (qe == "Revoked") return "Revoked";
    if (qe != "OutOfDate") return platform;
    if (platform == "UpToDate" || platform == "SWHardeningNeeded") return "OutOfDate";
    if (platform == "ConfigurationNeeded" || platform == "ConfigurationAndSWHardeningNeeded")
        return "OutOfDateConfigurationNeeded";
    return platform;
}

}  // namespace cvfs::ratls
