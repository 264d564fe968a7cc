// Parsing of [encrypt.tpm] (see tpm_settings.h).
#include "tpm_settings.h"

#include <algorithm>
#include <stdexcept>

namespace cvfs_tpm {

namespace {

using cvfs::sdk::Error;

constexpr uint32_t kMaxPcr = 23;
constexpr uint32_t kFirstPersistent = 0x81000000;
constexpr uint32_t kLastPersistent = 0x81FFFFFF;

bool known_bank(const std::string& bank) {
    return bank == "sha1" || bank == "sha256" || bank == "sha384" || bank == "sha512";
}

uint32_t parse_index(const std::string& item) {
    if (item.empty() || item.size() > 2 || !std::all_of(item.begin(), item.end(), ::isdigit))
        throw std::invalid_argument("'" + item + "' is not a PCR index (0 to 23)");
    uint32_t index = static_cast<uint32_t>(std::stoul(item));
    if (index > kMaxPcr) throw std::invalid_argument("PCR " + item + " does not exist (0 to 23)");
    return index;
}

uint32_t parse_handle(const std::string& text) {
    size_t used = 0;
    unsigned long value = 0;
    try {
        value = std::stoul(text, &used, 16);
    } catch (const std::exception&) {
        used = 0;
    }
    if (!text.starts_with("0x") || used != text.size() || value < kFirstPersistent || value > kLastPersistent)
        throw std::invalid_argument("'" + text + "' is not a persistent handle (0x81000000 to 0x81FFFFFF)");
    return static_cast<uint32_t>(value);
}

}  // namespace

std::string PcrSelection::index_list() const {
    std::string out;
    for (uint32_t index : indexes) out += (out.empty() ? "" : ",") + std::to_string(index);
    return out;
}

std::string PcrSelection::text() const { return bank + ":" + index_list(); }

PcrSelection parse_pcr_selection(const std::string& text) {
    auto colon = text.find(':');
    if (colon == std::string::npos)
        throw std::invalid_argument("'" + text + "' is not of the form bank:indexes, e.g. sha256:0,7");
    PcrSelection selection;
    selection.bank = text.substr(0, colon);
    if (!known_bank(selection.bank))
        throw std::invalid_argument("unknown PCR bank '" + selection.bank + "' (sha1, sha256, sha384 or sha512)");
    std::string rest = text.substr(colon + 1);
    size_t start = 0;
    while (start < rest.size()) {
        size_t comma = rest.find(',', start);
        if (comma == std::string::npos) comma = rest.size();
        selection.indexes.push_back(parse_index(rest.substr(start, comma - start)));
        start = comma + 1;
        if (comma + 1 == rest.size()) throw std::invalid_argument("'" + text + "' ends with a comma");
    }
    std::sort(selection.indexes.begin(), selection.indexes.end());
    selection.indexes.erase(std::unique(selection.indexes.begin(), selection.indexes.end()),
                            selection.indexes.end());
    return selection;
}

Settings read_settings(const cvfs::sdk::Config& config) {
    config.allow_only({"tcti", "pcrs", "pin", "pin_file", "primary_handle"});
    Settings settings;
    auto fail = [&](const char* key, const std::string& what) {
        throw Error(CVFS_E_INVALID_CONFIG,
                    config.where(*config.find(key)) + "'" + key + "' in [" + config.table() + "]: " + what);
    };
    if (auto tcti = config.string("tcti")) {
        if (tcti->empty()) fail("tcti", "must not be empty; e.g. \"device:/dev/tpmrm0\"");
        settings.tcti = *tcti;
    }
    try {
        settings.pcrs = parse_pcr_selection(config.string("pcrs").value_or(kDefaultPcrs));
    } catch (const std::invalid_argument& e) {
        fail("pcrs", e.what());
    }
    settings.pin_prompt = config.boolean("pin").value_or(false);
    if (auto path = config.string("pin_file")) {
        if (path->empty() || path->front() != '/') fail("pin_file", "must be an absolute path");
        settings.pin_file = *path;
        settings.pin_file_where = config.where(*config.find("pin_file"));
        if (settings.pin_prompt) fail("pin_file", "give either pin = true or pin_file, not both");
    }
    if (auto handle = config.string("primary_handle")) {
        try {
            settings.primary_handle = parse_handle(*handle);
        } catch (const std::invalid_argument& e) {
            fail("primary_handle", e.what());
        }
    }
    return settings;
}

}  // namespace cvfs_tpm
