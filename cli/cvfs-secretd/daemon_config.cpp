// Reading cvfs-secretd's configuration (see daemon_config.h).
#include "daemon_config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "evidence_error.h"
#include "tdx_collateral.h"

namespace cvfs::secretd {
namespace {

namespace fs = std::filesystem;

struct Reader {
    std::string file;
    fs::path folder;

    [[noreturn]] void fail(const toml::node* node, const std::string& what) const {
        std::string where =
            file + (node ? ":" + std::to_string(node->source().begin.line) : std::string()) + ": ";
        throw std::runtime_error(where + what);
    }
    void allow_only(const toml::table& table, std::initializer_list<std::string_view> known,
                    const std::string& name) const {
        for (const auto& [key, node] : table)
            if (std::find(known.begin(), known.end(), key.str()) == known.end())
                fail(&node, "unknown key '" + std::string(key.str()) + "' in " + name);
    }
    std::string string(const toml::table& table, const char* key,
                       const std::string& fallback = {}) const {
        const toml::node* node = table.get(key);
        if (!node) return fallback;
        if (!node->is_string()) fail(node, std::string("'") + key + "' must be a string");
        return std::string(**node->as_string());
    }
    std::string path(const toml::table& table, const char* key, bool required) const {
        std::string text = string(table, key);
        if (text.empty()) {
            if (required) fail(nullptr, std::string("missing '") + key + "'");
            return {};
        }
        fs::path p(text);
        return (p.is_absolute() ? p : folder / p).string();
    }
    std::string read_text(const std::string& file_name, const char* key) const {
        std::ifstream in(file_name);
        if (!in)
            fail(nullptr,
                 std::string("'") + key + "' names " + file_name + ", which cannot be read");
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }
    // A list of TCB statuses, by Intel's names.
    std::vector<std::string> tcb_statuses(const toml::node& node, const std::string& where) const {
        static const std::vector<std::string> known = {"UpToDate",
                                                       "SWHardeningNeeded",
                                                       "ConfigurationNeeded",
                                                       "ConfigurationAndSWHardeningNeeded",
                                                       "OutOfDate",
                                                       "OutOfDateConfigurationNeeded",
                                                       "Revoked"};
        if (!node.is_array())
            fail(&node, "'accept_tcb_status' in " + where + " must be an array of TCB statuses");
        std::vector<std::string> statuses;
        for (const toml::node& item : *node.as_array()) {
            auto status = item.value<std::string>();
            if (!status || std::find(known.begin(), known.end(), *status) == known.end())
                fail(&item,
                     "'accept_tcb_status' values are Intel's TCB statuses: UpToDate, "
                     "SWHardeningNeeded, ConfigurationNeeded, ConfigurationAndSWHardeningNeeded, "
                     "OutOfDate, OutOfDateConfigurationNeeded or Revoked");
            statuses.push_back(*status);
        }
        return statuses;
    }
    std::vector<ratls::Bytes> hex_list(const toml::table& table, const char* key,
                                       size_t size) const {
        std::vector<ratls::Bytes> values;
        const toml::node* node = table.get(key);
        if (!node) return values;
        const toml::array* array = node->as_array();
        if (!array) fail(node, std::string("'") + key + "' must be an array of hex strings");
        for (const toml::node& item : *array) {
            auto text = item.value<std::string>();
            auto bytes = text ? ratls::from_hex(*text) : std::nullopt;
            if (!bytes || bytes->size() != size)
                fail(&item, std::string("'") + key + "' values must be " +
                                std::to_string(size * 2) + " hex digits");
            values.push_back(*bytes);
        }
        return values;
    }
};

std::string lower_hex(const ratls::Bytes& bytes) { return ratls::to_hex(bytes); }

ReleasePolicy read_policy(const Reader& r, const toml::table& table, const std::string& id,
                          const std::vector<std::string>& default_tcb_status) {
    std::string name = "[policy.\"" + id + "\"]";
    r.allow_only(
        table,
        {"tdx_mrtd", "tdx_rtmr0", "tdx_rtmr1", "tdx_rtmr2", "tdx_rtmr3", "tdx_td_attributes",
         "tdx_xfam", "tdx_mr_servicetd", "accept_tcb_status", "tpm_ak", "tpm_pcrs"},
        name);
    ReleasePolicy p;
    p.tdx_mrtd = r.hex_list(table, "tdx_mrtd", 48);
    for (int i = 0; i < 4; ++i)
        p.tdx_rtmr[i] = r.hex_list(table, ("tdx_rtmr" + std::to_string(i)).c_str(), 48);
    p.tdx_td_attributes = r.hex_list(table, "tdx_td_attributes", 8);
    p.tdx_xfam = r.hex_list(table, "tdx_xfam", 8);
    p.tdx_mr_servicetd = r.hex_list(table, "tdx_mr_servicetd", 48);
    p.accept_tcb_status = default_tcb_status;
    if (const toml::node* node = table.get("accept_tcb_status"))
        p.accept_tcb_status = r.tcb_statuses(*node, name);
    for (const auto& ak : r.hex_list(table, "tpm_ak", 32)) p.tpm_ak.push_back(lower_hex(ak));
    if (const toml::node* node = table.get("tpm_pcrs")) {
        const toml::table* pcrs = node->as_table();
        if (!pcrs)
            r.fail(node, "'tpm_pcrs' in " + name + " must be a table: { \"7\" = \"<64 hex>\" }");
        for (const auto& [key, value] : *pcrs) {
            std::string index(key.str());
            auto text = value.value<std::string>();
            auto bytes = text ? ratls::from_hex(*text) : std::nullopt;
            bool number = !index.empty() && index.size() <= 2 &&
                          index.find_first_not_of("0123456789") == std::string::npos;
            if (!number || std::stoi(index) > 23 || !bytes || bytes->size() != 32)
                r.fail(&value,
                       "tpm_pcrs in " + name + ": keys are PCR numbers 0-23, values 64 hex digits");
            p.tpm_pcrs[static_cast<uint32_t>(std::stoi(index))] = lower_hex(*bytes);
        }
    }
    if (p.tdx_mrtd.empty() && p.tpm_ak.empty())
        r.fail(&table, name + " allows nobody: give tdx_mrtd (TDX) or tpm_ak (TPM)");
    return p;
}

// The optional TDX collateral files and the TCB statuses to accept.
void read_collateral(const Reader& r, const toml::table& tdx, DaemonConfig& c) {
    if (auto file = r.path(tdx, "tcb_info", false); !file.empty())
        c.tdx.tcb_info_json = r.read_text(file, "tcb_info");
    if (auto file = r.path(tdx, "qe_identity", false); !file.empty())
        c.tdx.qe_identity_json = r.read_text(file, "qe_identity");
    if (auto file = r.path(tdx, "tcb_signing_cert", false); !file.empty())
        c.tdx.tcb_signing_pem = r.read_text(file, "tcb_signing_cert");
    bool collateral = !c.tdx.tcb_info_json.empty() || !c.tdx.qe_identity_json.empty();
    if (collateral && c.tdx.tcb_signing_pem.empty())
        r.fail(&tdx,
               "[tdx] tcb_info and qe_identity need tcb_signing_cert (the certificate chain they "
               "are signed with)");
    if (const toml::node* node = tdx.get("accept_tcb_status"))
        c.tdx.accepted_tcb_status = r.tcb_statuses(*node, "[tdx]");
}

}  // namespace

DaemonConfig load_daemon_config(const std::string& path) {
    Reader r{path, fs::path(path).parent_path()};
    toml::table root;
    try {
        root = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        throw std::runtime_error(path + ":" + std::to_string(e.source().begin.line) + ": " +
                                 std::string(e.description()));
    }
    r.allow_only(root,
                 {"listen", "server_cert", "server_key", "secrets", "audit_log", "tdx", "policy"},
                 "the top level");
    DaemonConfig c;
    c.path = path;
    c.listen = r.string(root, "listen", c.listen);
    c.server_cert = r.path(root, "server_cert", true);
    c.server_key = r.path(root, "server_key", true);
    c.secrets = r.path(root, "secrets", true);
    c.audit_log = r.path(root, "audit_log", false);
    if (const toml::node* node = root.get("tdx")) {
        const toml::table* tdx = node->as_table();
        if (!tdx) r.fail(node, "'tdx' must be a table");
        r.allow_only(
            *tdx,
            {"root_ca", "crls", "tcb_info", "qe_identity", "tcb_signing_cert", "accept_tcb_status"},
            "[tdx]");
        c.tdx_root_ca = r.path(*tdx, "root_ca", false);
        if (!c.tdx_root_ca.empty()) c.tdx.root_pem = r.read_text(c.tdx_root_ca, "root_ca");
        if (const toml::node* crls = tdx->get("crls")) {
            if (!crls->is_array()) r.fail(crls, "'crls' in [tdx] must be an array of file names");
            for (const toml::node& item : *crls->as_array()) {
                auto name = item.value<std::string>();
                if (!name) r.fail(&item, "'crls' in [tdx] must be an array of file names");
                fs::path p(*name);
                std::string file = (p.is_absolute() ? p : r.folder / p).string();
                c.tdx.crl_pems.push_back(r.read_text(file, "crls"));
                try {
                    ratls::count_crls(c.tdx.crl_pems.back(), "the CRL file " + file);
                } catch (const ratls::EvidenceError& e) {
                    r.fail(&item,
                           std::string(e.what()) + "; give Intel's CRL as served (DER) or in PEM");
                }
            }
        }
    }
    if (const toml::node* node = root.get("tdx"); node && node->is_table())
        read_collateral(r, *node->as_table(), c);
    // The verifier refuses no status itself: each policy accepts its own,
    // by default those of [tdx].
    std::vector<std::string> default_tcb_status = std::move(c.tdx.accepted_tcb_status);
    c.tdx.accepted_tcb_status.clear();
    if (const toml::node* node = root.get("policy")) {
        const toml::table* policies = node->as_table();
        if (!policies) r.fail(node, "'policy' must hold tables: [policy.\"<app id>\"]");
        for (const auto& [id, table] : *policies) {
            if (!table.is_table())
                r.fail(&table, "policy." + std::string(id.str()) + " must be a table");
            c.policies[std::string(id.str())] =
                read_policy(r, *table.as_table(), std::string(id.str()), default_tcb_status);
        }
    }
    return c;
}

}  // namespace cvfs::secretd
