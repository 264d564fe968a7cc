// `cvfs reseal VOLUME... [--recovery-key-file FILE]`: a new key from each
// volume's provider in place of the old one (Engine::reseal), e.g. after an
// intended change of the PCRs a TPM-sealed key is bound to; and
// `cvfs add-recovery-key VOLUME --key-file FILE`, the keyslot that lets
// reseal work when the provider no longer can unlock.
#include <iostream>

#include "command_table.h"
#include "commands.h"
#include "exit_codes.h"
#include "output.h"

namespace cvfs::cli {

namespace {

const VolumeConfig& find_volume(const Engine& engine, const std::string& name) {
    const ConfigSet& config = engine.config();
    if (const VolumeConfig* volume = config.find(name)) return *volume;
    throw Error(ErrorKind::Config, "unknown volume '" + name + "' in " + config.global.confdir + "/volumes",
                "`cvfs show` lists the configured volumes");
}

}  // namespace

int reseal_command(Engine& engine, const Selection& selection, const std::string& recovery_key_file) {
    const ConfigSet& config = engine.config();
    print_config_problems(config);
    int exit_code = kSuccess;
    for (const auto& name : selection.names) {
        try {
            ResealResult result = engine.reseal(find_volume(engine, name), recovery_key_file);
            std::cout << "resealed " << name << ": keyslot " << result.new_keyslot << " replaces keyslot "
                      << result.old_keyslot << "\n";
        } catch (const Error& e) {
            print_error(e);
            if (exit_code == kSuccess) exit_code = exit_code_for(e.kind());
        }
    }
    return exit_code;
}

int add_recovery_key_command(Engine& engine, const std::string& volume, const std::string& key_file) {
    print_config_problems(engine.config());
    try {
        int keyslot = engine.add_recovery_key(find_volume(engine, volume), key_file);
        std::cout << "added a recovery key to " << volume << " in keyslot " << keyslot << "\n";
        return kSuccess;
    } catch (const Error& e) {
        print_error(e);
        return exit_code_for(e.kind());
    }
}

}  // namespace cvfs::cli

// The table entries of the commands above (command_table.h).
namespace cvfs::cli {

CVFS_COMMAND(CommandSpec{
    .name = "reseal",
    .usage = "VOLUME... [--recovery-key-file FILE]",
    .summary = "a new key from the provider in place of the old one",
    .description = "For a TPM-sealed key after an intended PCR change. Unlocks with the provider's\n"
                   "current key, or with the recovery key in FILE once the provider no longer can.\n"
                   "\n"
                   "Examples:\n"
                   "  cvfs reseal data1\n"
                   "  cvfs reseal data1 --recovery-key-file /root/recovery.key\n",
    .flags = [](boost::program_options::options_description& f) {
        f.add_options()("recovery-key-file", boost::program_options::value<std::string>()->value_name("FILE"),
                        "unlock with this recovery passphrase (mode 0600)");
    },
    .min_operands = 1,
    .run = [](CommandContext& c) {
        Engine engine(c.options);
        return reseal_command(engine, c.selection(), c.value("recovery-key-file"));
    },
    .order = 50,
});

CVFS_COMMAND(CommandSpec{
    .name = "add-recovery-key",
    .usage = "VOLUME --key-file FILE",
    .summary = "add a keyslot for the passphrase in FILE (for emergencies and reseal)",
    .description = "Examples:\n"
                   "  cvfs add-recovery-key data1 --key-file /root/recovery.key\n",
    .flags = [](boost::program_options::options_description& f) {
        f.add_options()("key-file", boost::program_options::value<std::string>()->value_name("FILE"),
                        "the recovery passphrase, mode 0600");
    },
    .min_operands = 1,
    .max_operands = 1,
    .run = [](CommandContext& c) {
        if (!c.has("key-file")) return usage_error("add-recovery-key");
        Engine engine(c.options);
        return add_recovery_key_command(engine, c.operands.front(), c.value("key-file"));
    },
    .order = 55,
});

}  // namespace cvfs::cli
