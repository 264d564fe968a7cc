// `cvfs enroll VOLUME --recovery-key-file FILE [--remove-old-keyslot [--yes]]`:
// move a volume to the key provider its volume file names now
// (Engine::enroll), e.g. from a key file to the TPM or from one KMS key to
// another. The old provider's keyslot stays unless asked otherwise, so the
// move can be tried before the old way in is given up.
#include <iostream>

#include "command_table.h"
#include "verb_helpers.h"

namespace cvfs::cli {

namespace {

// Removing the old keyslot means the old provider no longer opens the volume: asked first.
bool confirm_old_keyslot_removal(const VolumeConfig& volume, bool yes) {
    return confirmed(volume.name,
                     "After enrolling volume '" + volume.name + "' with provider '" + volume.key_provider.name +
                         "', remove the old provider's keyslot?",
                     "--remove-old-keyslot makes the old provider's key useless for " + volume.dev, yes);
}

int enroll_command(Engine& engine, const std::string& name, const std::string& recovery_key_file, bool remove_old,
                   bool yes) {
    print_config_problems(engine.config());
    return run_verb([&] {
        const VolumeConfig& volume = named_volume(engine, name);
        if (remove_old && !confirm_old_keyslot_removal(volume, yes))
            throw Error(ErrorKind::Refused, "volume '" + volume.name + "': enroll cancelled");
        ResealResult result = engine.enroll(volume, recovery_key_file, remove_old);
        std::cout << "enrolled " << name << " with provider '" << volume.key_provider.name << "' in keyslot "
                  << result.new_keyslot << "\n";
        if (result.old_kept)
            std::cout << "  keyslot " << result.old_keyslot << " (the old provider's) stays; once the new one opens "
                      << name << ", `cvfs recovery-key remove " << name << " " << result.old_keyslot
                      << "` removes it\n";
        else
            std::cout << "  keyslot " << result.old_keyslot << " removed\n";
        return int{kSuccess};
    });
}

}  // namespace

CVFS_COMMAND(CommandSpec{
    .name = "enroll",
    .usage = "VOLUME --recovery-key-file FILE [--remove-old-keyslot [--yes]]",
    .summary = "move a volume to the key provider its volume file now names",
    .description =
        "Change [encrypt.<provider>] in the volume file first. Unlocks with the recovery key in\n"
        "FILE (root-only, mode 0600; added with `cvfs recovery-key add` while the old provider\n"
        "still worked), then adds a keyslot for the new provider's key and the cvfs token naming\n"
        "it, in one header write. The old provider's keyslot stays unless --remove-old-keyslot\n"
        "(asked; --yes without a terminal). See docs/recovery.md.\n"
        "\n"
        "Examples:\n"
        "  cvfs enroll data1 --recovery-key-file /root/data1.recovery\n"
        "  cvfs enroll data1 --recovery-key-file /root/data1.recovery --remove-old-keyslot\n",
    .flags = [](boost::program_options::options_description& f) {
        f.add_options()("recovery-key-file", boost::program_options::value<std::string>()->value_name("FILE"),
                        "unlock with this recovery passphrase (mode 0600)")(
            "remove-old-keyslot", "destroy the old provider's keyslot")("yes", "do not ask (needed without a terminal)");
    },
    .min_operands = 1,
    .max_operands = 1,
    .run = [](CommandContext& c) {
        if (!c.has("recovery-key-file")) return usage_error("enroll");
        Engine engine(c.options);
        return enroll_command(engine, c.operands.front(), c.value("recovery-key-file"), c.has("remove-old-keyslot"),
                              c.has("yes"));
    },
    .order = 52,
});

}  // namespace cvfs::cli
