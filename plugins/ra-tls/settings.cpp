// Reading [encrypt.ra-tls] (see settings.h).
#include "settings.h"

#include <fstream>
#include <sstream>

namespace cvfs::ratls {
namespace {

using cvfs::sdk::Config;
using cvfs::sdk::Error;

[[noreturn]] void bad(const Config& config, const char* key, const std::string& what) {
    const cvfs_config_item* item = config.find(key);
    std::string where = item ? config.where(*item) : std::string(config.source()) + ": ";
    throw Error(CVFS_E_INVALID_CONFIG, where + "'" + key + "' in [" + config.table() + "] " + what);
}

std::string absolute_path(const Config& config, const char* key) {
    auto path = config.string(key);
    if (!path) return {};
    if (path->empty() || path->front() != '/')
        bad(config, key, "must be an absolute path, got '" + *path + "'");
    return *path;
}

std::string read_pem(const Config& config, const char* key, const std::string& path) {
    std::ifstream file(path);
    if (!file) bad(config, key, "names " + path + ", which cannot be read");
    std::stringstream text;
    text << file.rdbuf();
    if (text.str().find("-----BEGIN CERTIFICATE-----") == std::string::npos)
        bad(config, key, "names " + path + ", which holds no PEM certificate");
    return text.str();
}

std::vector<uint32_t> parse_pcrs(const Config& config, const std::string& text) {
    std::vector<uint32_t> pcrs;
    std::stringstream list(text);
    std::string item;
    while (std::getline(list, item, ',')) {
        size_t used = 0;
        unsigned long pcr = 24;
        try {
            pcr = std::stoul(item, &used);
        } catch (const std::exception&) {
        }
        while (used < item.size() && item[used] == ' ') ++used;
        if (used != item.size() || pcr > 23)
            bad(config, "tpm_pcrs",
                "must list PCR numbers 0 to 23 separated by commas, got '" + text + "'");
        pcrs.push_back(static_cast<uint32_t>(pcr));
    }
    if (pcrs.empty()) bad(config, "tpm_pcrs", "must name at least one PCR");
    return pcrs;
}

}  // namespace

Settings read_settings(const Config& config) {
    config.allow_only({"server", "secret_id", "protocol", "server_ca", "server_name", "evidence",
                       "tdx_layout", "tdx_report_dir", "tdx_quote_command", "tpm_tcti", "tpm_pcrs",
                       "timeout_seconds", "attempts"});
    Settings s;
    s.server.address = config.require_string("server");
    if (s.server.address.find(':') == std::string::npos)
        bad(config, "server", "must be host:port, e.g. \"secrets.example:50051\"");
    s.secret_id = config.require_string("secret_id");
    if (s.secret_id.empty()) bad(config, "secret_id", "must not be empty");
    std::string protocol = config.string("protocol").value_or("cvfs");
    if (protocol == "intel")
        s.server.protocol = Protocol::intel;
    else if (protocol != "cvfs")
        bad(config, "protocol", "must be \"cvfs\" or \"intel\", got '" + protocol + "'");
    std::string ca = absolute_path(config, "server_ca");
    if (!ca.empty()) s.server.ca_pem = read_pem(config, "server_ca", ca);
    if (ca.empty() && s.server.protocol == Protocol::cvfs)
        throw Error(CVFS_E_INVALID_CONFIG,
                    std::string(config.source()) + ": [" + config.table() +
                        "] needs server_ca = \"/path/ca.pem\" to authenticate cvfs-secretd");
    s.server.server_name = config.string("server_name").value_or("");
    std::string evidence = config.string("evidence").value_or("tdx");
    if (evidence == "tpm")
        s.evidence = EvidenceKind::tpm;
    else if (evidence != "tdx")
        bad(config, "evidence", "must be \"tdx\" or \"tpm\", got '" + evidence + "'");
    std::string layout = config.string("tdx_layout").value_or("cczoo");
    if (layout == "cczoo-b01")
        s.tdx_layout_b01 = true;
    else if (layout != "cczoo")
        bad(config, "tdx_layout", "must be \"cczoo\" or \"cczoo-b01\", got '" + layout + "'");
    if (auto dir = absolute_path(config, "tdx_report_dir"); !dir.empty()) s.tdx_report_dir = dir;
    s.tdx_quote_command = absolute_path(config, "tdx_quote_command");
    s.tpm_tcti = config.string("tpm_tcti").value_or(s.tpm_tcti);
    if (auto pcrs = config.string("tpm_pcrs")) s.tpm_pcrs = parse_pcrs(config, *pcrs);
    int64_t timeout = config.integer("timeout_seconds").value_or(30);
    if (timeout < 1 || timeout > 600) bad(config, "timeout_seconds", "must be 1 to 600");
    s.timeout_ms = timeout * 1000;
    int64_t attempts = config.integer("attempts").value_or(5);
    if (attempts < 1 || attempts > 20) bad(config, "attempts", "must be 1 to 20");
    s.attempts = static_cast<int>(attempts);
    return s;
}

}  // namespace cvfs::ratls
