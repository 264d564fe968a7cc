// Token values of the TPM provider (see tpm_token.h).
#include "tpm_token.h"

#include <cvfs/hex.hpp>

#include <cstdio>
#include <stdexcept>

namespace cvfs_tpm {

namespace {

using cvfs::sdk::Error;

constexpr const char* kTransientPrimary = "srk-ecc-p256";

std::vector<uint8_t> from_hex(const std::string& hex) {
    auto bytes = cvfs::sdk::from_hex(hex);
    if (!bytes) throw std::invalid_argument("not an even number of hex digits");
    return *bytes;
}

[[noreturn]] void damaged(const char* key, const std::string& why) {
    throw Error(CVFS_E_INVALID_ARGUMENT, std::string("the volume's token is damaged: TPM value '") + key + "' " +
                                             why + "; unlock with a recovery keyslot and run `cvfs reseal`");
}

std::string required(const cvfs::sdk::Call& call, const char* key) {
    auto value = call.token_get(key);
    if (!value) damaged(key, "is missing");
    return *value;
}

std::vector<uint8_t> hex_value(const cvfs::sdk::Call& call, const char* key, bool allow_empty = false) {
    try {
        auto bytes = from_hex(required(call, key));
        if (bytes.empty() && !allow_empty) damaged(key, "is empty");
        return bytes;
    } catch (const std::invalid_argument& e) {
        damaged(key, std::string("is not hex (") + e.what() + ")");
    }
}

}  // namespace

void store_blob(const cvfs::sdk::Call& call, const SealedBlob& blob) {
    std::string values;
    for (const auto& value : blob.pcr_values) values += (values.empty() ? "" : ",") + to_hex(value);
    char primary[16];
    std::snprintf(primary, sizeof primary, "0x%08x", blob.primary_handle);
    call.token_set("tpm.format", "1");
    call.token_set("tpm.pcrs", blob.pcrs.text());
    call.token_set("tpm.pcr_values", values);
    call.token_set("tpm.pin", blob.pin ? "true" : "false");
    call.token_set("tpm.primary", blob.primary_handle ? primary : kTransientPrimary);
    call.token_set("tpm.policy", to_hex(blob.policy));
    call.token_set("tpm.public", to_hex(blob.public_area));
    call.token_set("tpm.private", to_hex(blob.private_area));
}

SealedBlob load_blob(const cvfs::sdk::Call& call) {
    auto format = call.token_get("tpm.format");
    if (!format)
        throw Error(CVFS_E_NOT_FOUND, "the volume's token holds no TPM-sealed key (was it made with another "
                                      "key provider?)");
    if (*format != "1") damaged("tpm.format", "is '" + *format + "', this plugin reads format 1");
    SealedBlob blob;
    try {
        blob.pcrs = parse_pcr_selection(required(call, "tpm.pcrs"));
    } catch (const std::invalid_argument& e) {
        damaged("tpm.pcrs", e.what());
    }
    std::string values = required(call, "tpm.pcr_values");
    size_t start = 0;
    while (!values.empty() && start <= values.size()) {
        size_t comma = values.find(',', start);
        if (comma == std::string::npos) comma = values.size();
        try {
            blob.pcr_values.push_back(from_hex(values.substr(start, comma - start)));
        } catch (const std::invalid_argument& e) {
            damaged("tpm.pcr_values", e.what());
        }
        start = comma + 1;
    }
    if (blob.pcr_values.size() != blob.pcrs.indexes.size())
        damaged("tpm.pcr_values", "does not hold one value per PCR of tpm.pcrs");
    std::string pin = required(call, "tpm.pin");
    if (pin != "true" && pin != "false") damaged("tpm.pin", "is neither true nor false");
    blob.pin = pin == "true";
    std::string primary = required(call, "tpm.primary");
    if (primary != kTransientPrimary) {
        unsigned long handle = 0;
        size_t used = 0;
        try {
            handle = std::stoul(primary, &used, 16);
        } catch (const std::exception&) {
            used = 0;
        }
        if (!primary.starts_with("0x") || used != primary.size() || handle < 0x81000000 || handle > 0x81FFFFFF)
            damaged("tpm.primary", "is not " + std::string(kTransientPrimary) + " or a persistent handle");
        blob.primary_handle = static_cast<uint32_t>(handle);
    }
    blob.policy = hex_value(call, "tpm.policy");
    blob.public_area = hex_value(call, "tpm.public");
    blob.private_area = hex_value(call, "tpm.private");
    return blob;
}

}  // namespace cvfs_tpm
