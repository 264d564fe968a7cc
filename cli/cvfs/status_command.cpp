// `cvfs status VOLUME [--json]`: one volume in detail, as an operator needs it
// on a bad day: its state, the header's cipher, key size, sector size and
// integrity, each keyslot and token with what it is for (the provider's key,
// a recovery key, another tool's), whether the header passes the allow-list,
// the device, the mapping and the mount.
#include <iostream>
#include <nlohmann/json.hpp>

#include "command_table.h"
#include "verb_commands.h"
#include "luks/cvfs_token.h"
#include "verb_helpers.h"

namespace cvfs::cli {

namespace {

using nlohmann::json;

json or_null(const std::string& text) { return text.empty() ? json(nullptr) : json(text); }

std::string keyslot_text(const KeyslotInfo& slot, const VolumeDetails& details) {
    std::string text = to_string(slot.purpose);
    if (slot.purpose == KeyslotPurpose::ProviderKey && !details.token_provider.empty())
        text = "cvfs provider key (" + details.token_provider + ")";
    if (slot.purpose == KeyslotPurpose::Foreign) text = "foreign (token " + std::to_string(slot.token_id) + ", " + slot.token_type + ")";
    return text + ", " + slot.kdf;
}

std::string token_text(const TokenInfo& token, const VolumeDetails& details) {
    std::string text = token.type;
    if (token.type == kCvfsTokenType)
        text += " (volume " + details.token_volume + ", provider " + details.token_provider + ", " + details.token_state + ")";
    else
        text += " (foreign)";
    text += ", keyslots";
    if (token.keyslots.empty()) text += " none";
    for (int slot : token.keyslots) text += " " + std::to_string(slot);
    return text;
}

// "counter tpm, generation 12" (the header's generation, as read: checked only at open).
std::string rollback_text(const VolumeStatus& status) {
    std::string text = "counter " + status.counter;
    if (status.generation) text += ", generation " + std::to_string(*status.generation);
    if (!status.header_counter.empty() && status.header_counter != status.counter)
        text += " (the header names the counter " + status.header_counter + ")";
    return text;
}

void print_text(const VolumeStatus& status, const VolumeDetails& details) {
    auto line = [](const std::string& key, const std::string& value) {
        std::cout << key << std::string(key.size() < 14 ? 14 - key.size() : 1, ' ') << value << "\n";
    };
    std::string state = to_string(status.state);
    line("volume", status.volume);
    line("state", state + (status.detail.empty() ? "" : " (" + status.detail + ")"));
    if (!status.hint.empty()) line("hint", status.hint);
    line("provider", status.provider + (status.temporary ? " (temporary)" : ""));
    line("device", status.dev + (status.node.empty() || status.node == status.dev ? "" : " (" + status.node + ")"));
    line("mapping", details.mapper.empty() ? "-" : details.mapper);
    line("mounted on", status.mount_points.empty() ? "-" : status.mount_points.front());
    line("rollback", rollback_text(status));
    if (!details.header) {
        line("header", details.header_error.empty() ? "none" : details.header_error);
        return;
    }
    const HeaderSummary& h = *details.header;
    line("LUKS UUID", h.uuid);
    line("cipher", h.cipher);
    line("key size", std::to_string(h.key_bits) + " bits");
    line("sector size", std::to_string(h.sector_size) + " bytes");
    line("integrity", h.integrity.empty() ? "none" : h.integrity);
    line("allow-list", details.allow_list.empty() ? "passes" : "FAILS: " + details.allow_list);
    if (h.keyslots.empty()) line("keyslots", "none");
    for (const auto& slot : h.keyslots) line("keyslot " + std::to_string(slot.id), keyslot_text(slot, details));
    if (h.tokens.empty()) line("tokens", "none");
    for (const auto& token : h.tokens) line("token " + std::to_string(token.id), token_text(token, details));
}

void print_json(const VolumeStatus& status, const VolumeDetails& details) {
    json out;
    out["version"] = 1;
    out["volume"] = status.volume;
    out["state"] = to_string(status.state);
    out["detail"] = or_null(status.detail);
    out["hint"] = or_null(status.hint);
    out["file"] = or_null(status.file);
    out["auto_open"] = status.auto_open;
    out["provider"] = status.provider;
    out["temporary"] = status.temporary;
    out["dev"] = status.dev;
    out["node"] = or_null(status.node);
    out["mapper"] = or_null(details.mapper);
    out["mount_points"] = status.mount_points;
    out["rollback_counter"] = status.counter;
    out["generation"] = status.generation ? json(*status.generation) : json(nullptr);
    json header = nullptr;
    if (details.header) {
        const HeaderSummary& h = *details.header;
        header = json::object();
        header["uuid"] = h.uuid;
        header["cipher"] = h.cipher;
        header["key_bits"] = h.key_bits;
        header["sector_size"] = h.sector_size;
        header["integrity"] = or_null(h.integrity);
        header["allow_list_error"] = or_null(details.allow_list);
        json slots = json::array();
        for (const auto& slot : h.keyslots)
            slots.push_back({{"id", slot.id}, {"purpose", to_string(slot.purpose)}, {"kdf", slot.kdf},
                             {"token", slot.token_id < 0 ? json(nullptr) : json(slot.token_id)}});
        header["keyslots"] = slots;
        json tokens = json::array();
        for (const auto& token : h.tokens) {
            json t = {{"id", token.id}, {"type", token.type}, {"keyslots", token.keyslots}};
            if (token.type == kCvfsTokenType) {
                t["volume"] = details.token_volume;
                t["provider"] = details.token_provider;
                t["state"] = details.token_state;
            }
            tokens.push_back(t);
        }
        header["tokens"] = tokens;
    }
    out["header"] = header;
    out["header_error"] = or_null(details.header_error);
    std::cout << out.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
}

}  // namespace

int status_command(Engine& engine, const std::string& name, bool json) {
    return run_verb([&] {
        const VolumeConfig& volume = named_volume(engine, name);
        VolumeStatus status = engine.status(volume);
        VolumeDetails details = engine.details(volume);
        if (json)
            print_json(status, details);
        else
            print_text(status, details);
        return kSuccess;
    });
}

CVFS_COMMAND(CommandSpec{
    "status", "VOLUME [--json]", "one volume in detail: header, keyslots, tokens, mapping, mount",
    "Shows the volume's state, the LUKS2 header's cipher, key size, sector size and integrity,\n"
    "whether the header passes cvfs's allow-list, each keyslot and token with what it is for\n"
    "(the cvfs provider key, a recovery key, a foreign tool's), the device, the mapping and the\n"
    "mount. Reads only.\n"
    "\nExamples:\n  cvfs status data1\n  cvfs status data1 --json\n",
    [](boost::program_options::options_description& o) { o.add_options()("json", "JSON output"); }, 1, 1,
    [](CommandContext& c) {
        Engine engine(c.options);
        return status_command(engine, c.operands.front(), c.has("json"));
    },
    45});

}  // namespace cvfs::cli
