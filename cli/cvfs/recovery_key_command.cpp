// `cvfs recovery-key list VOLUME [--json]` and `cvfs recovery-key remove
// VOLUME KEYSLOT`: the passphrase keyslots kept for emergencies (added by
// `cvfs recovery-key add`, also spelt `add-recovery-key`: reseal_command.cpp).
#include <charconv>
#include <iostream>
#include <nlohmann/json.hpp>

#include "command_table.h"
#include "verb_commands.h"
#include "verb_helpers.h"

namespace cvfs::cli {

int recovery_key_list_command(Engine& engine, const std::string& name, bool json) {
    return run_verb([&] {
        auto keys = engine.recovery_keys(named_volume(engine, name));
        if (json) {
            nlohmann::json out = {{"version", 1}, {"volume", name}, {"recovery_keys", nlohmann::json::array()}};
            for (const auto& key : keys) out["recovery_keys"].push_back({{"keyslot", key.id}, {"kdf", key.kdf}});
            std::cout << out.dump(2) << "\n";
            return kSuccess;
        }
        if (keys.empty()) {
            std::cout << name << " has no recovery keys (`cvfs recovery-key add " << name
                      << " --key-file FILE` adds one)\n";
            return kSuccess;
        }
        std::vector<std::vector<std::string>> rows;
        for (const auto& key : keys) rows.push_back({std::to_string(key.id), key.kdf});
        print_table({"KEYSLOT", "KDF"}, rows);
        return kSuccess;
    });
}

int recovery_key_remove_command(Engine& engine, const std::string& name, int keyslot) {
    return run_verb([&] {
        engine.remove_recovery_key(named_volume(engine, name), keyslot);
        std::cout << "removed the recovery key in keyslot " << keyslot << " of " << name << "\n";
        return kSuccess;
    });
}

CVFS_COMMAND(CommandSpec{
    "recovery-key list", "VOLUME [--json]", "the recovery-key keyslots of a volume",
    "Lists the keyslots no token names: the passphrases added with `cvfs recovery-key add`.\n"
    "\nExamples:\n  cvfs recovery-key list data1\n",
    [](boost::program_options::options_description& o) { o.add_options()("json", "JSON output"); }, 1, 1,
    [](CommandContext& c) {
        Engine engine(c.options);
        return recovery_key_list_command(engine, c.operands.front(), c.has("json"));
    },
    75});
CVFS_COMMAND(CommandSpec{
    "recovery-key remove", "VOLUME KEYSLOT", "destroy one recovery-key keyslot",
    "Destroys the recovery key in KEYSLOT once the provider's key is shown to open the\n"
    "provider's own keyslot, so the volume still opens. The provider's keyslot and other\n"
    "tools' keyslots are refused.\n"
    "\nExamples:\n  cvfs recovery-key remove data1 1\n",
    nullptr, 2, 2,
    [](CommandContext& c) {
        int keyslot = -1;
        const std::string& text = c.operands[1];
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), keyslot);
        if (ec != std::errc() || end != text.data() + text.size() || keyslot < 0) {
            std::cerr << "cvfs: recovery-key remove: KEYSLOT must be a keyslot number, not '" << text << "'\n";
            return static_cast<int>(kUsage);
        }
        Engine engine(c.options);
        return recovery_key_remove_command(engine, c.operands[0], keyslot);
    },
    76});

CVFS_COMMAND(CommandSpec{
    "recovery-key add", "VOLUME --key-file FILE", "add a keyslot for the passphrase in FILE",
    "Adds a keyslot for the passphrase in FILE (root-only, mode 0600), the provider\n"
    "unlocking. It opens the volume when the provider cannot, e.g. for\n"
    "`cvfs reseal --recovery-key-file` or `cvfs enroll`. Also spelt `cvfs add-recovery-key`.\n"
    "\nExamples:\n  cvfs recovery-key add data1 --key-file /root/data1.recovery\n",
    [](boost::program_options::options_description& o) {
        o.add_options()("key-file", boost::program_options::value<std::string>()->required(),
                        "the recovery passphrase, mode 0600");
    },
    1, 1,
    [](CommandContext& c) {
        Engine engine(c.options);
        return add_recovery_key_command(engine, c.operands.front(), c.value("key-file"));
    },
    74});
}  // namespace cvfs::cli
