// `cvfs adopt VOLUME [--key-file FILE] [--remove-old-keyslot [--yes]]`: take
// over a LUKS2 volume another tool made (Intel's create_encrypted_vfs.sh,
// cryptpilot, cryptsetup), its data untouched (Engine::adopt).
#include <filesystem>
#include <iostream>

#include "command_table.h"
#include "commands.h"
#include "exit_codes.h"
#include "output.h"
#include "verb_helpers.h"

namespace cvfs::cli {

namespace {

std::string list(const std::vector<int>& keyslots) {
    std::string text;
    for (int slot : keyslots) text += (text.empty() ? "" : ", ") + std::to_string(slot);
    return text;
}

// Removing the old keyslot means the old secret no longer opens the volume: asked first.
bool confirm_removal(const VolumeConfig& volume, bool yes) {
    return confirmed(volume.name,
                     "After taking over volume '" + volume.name +
                         "', remove the keyslot its old secret opens? The old passphrase or key file will no "
                         "longer open it.",
                     "--remove-old-keyslot makes the old secret useless for " + volume.dev, yes);
}

int adopt_command(Engine& engine, const std::string& name, const AdoptOptions& options, bool yes) {
    const ConfigSet& config = engine.config();
    print_config_problems(config);
    try {
        const VolumeConfig* volume = config.find(name);
        if (!volume)
            throw Error(ErrorKind::Config, "unknown volume '" + name + "' in " + config.global.confdir + "/volumes",
                        "`cvfs show` lists the configured volumes");
        if (options.remove_old_keyslot && !confirm_removal(*volume, yes))
            throw Error(ErrorKind::Refused, "volume '" + name + "': adopt cancelled");
        AdoptResult result = engine.adopt(*volume, options);
        if (result.already && result.removed_keyslots.empty()) {
            std::cout << name << " is already taken over by cvfs (keyslot " << result.new_keyslot
                      << " and its cvfs token): nothing to do\n";
            return kSuccess;
        }
        if (!result.already)
            std::cout << "adopted " << name << ": keyslot " << result.new_keyslot << " holds the key of provider '"
                      << volume->key_provider.name << "'\n";
        if (!result.removed_keyslots.empty())
            std::cout << name << ": removed old keyslot " << list(result.removed_keyslots) << "\n";
        else if (!result.kept_keyslots.empty())
            std::cout << name << ": old keyslot " << list(result.kept_keyslots)
                      << " kept (`cvfs adopt --remove-old-keyslot " << name << "` removes it)\n";
        return kSuccess;
    } catch (const Error& e) {
        print_error(e);
        return exit_code_for(e.kind());
    }
}

}  // namespace

CVFS_COMMAND(CommandSpec{
    .name = "adopt",
    .usage = "VOLUME [--key-file FILE] [--remove-old-keyslot [--yes]]",
    .summary = "take over a LUKS2 volume another tool made, its data untouched",
    .description =
        "For volumes made by Intel's create_encrypted_vfs.sh, cryptpilot or cryptsetup. Unlocks\n"
        "the volume with the secret it has today: the passphrase in FILE (mode 0600), else one\n"
        "typed on the terminal, or for a cryptpilot volume the key of the provider its volume\n"
        "file names. Then adds a keyslot for the configured provider's key and the cvfs token.\n"
        "The old keyslot stays, unless --remove-old-keyslot (asked; --yes without a terminal).\n"
        "Running it again finishes an interrupted adopt, or says there is nothing to do.\n"
        "\n"
        "Examples:\n"
        "  cvfs adopt vfs\n"
        "  cvfs adopt vfs --key-file /root/vfs.pass\n"
        "  cvfs adopt data1 --remove-old-keyslot --yes\n",
    .flags = [](boost::program_options::options_description& f) {
        f.add_options()("key-file", boost::program_options::value<std::string>()->value_name("FILE"),
                        "the volume's current passphrase, mode 0600")(
            "remove-old-keyslot", "remove the keyslot the old secret opens, once the new one is in place")(
            "yes,y", "do not ask");
    },
    .min_operands = 1,
    .max_operands = 1,
    .run = [](CommandContext& c) {
        AdoptOptions options;
        options.key_file = c.value("key-file");
        if (!options.key_file.empty()) options.key_file = std::filesystem::absolute(options.key_file).string();
        options.remove_old_keyslot = c.has("remove-old-keyslot");
        Engine engine(c.options);
        return adopt_command(engine, c.operands.front(), options, c.has("yes"));
    },
    .order = 58,
});

}  // namespace cvfs::cli
