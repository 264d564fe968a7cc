// `cvfs header backup VOLUME FILE` and `cvfs header restore VOLUME FILE
// [--force]`: keep a copy of a volume's LUKS2 header, and put it back after
// the header was damaged (Engine::backup_header, Engine::restore_header).
#include <iostream>

#include "command_table.h"
#include "verb_commands.h"
#include "verb_helpers.h"

namespace cvfs::cli {

int header_backup_command(Engine& engine, const std::string& name, const std::string& file) {
    return run_verb([&] {
        engine.backup_header(named_volume(engine, name), file);
        std::cout << "header of " << name << " backed up to " << file << "\n";
        return kSuccess;
    });
}

int header_restore_command(Engine& engine, const std::string& name, const std::string& file, bool force) {
    return run_verb([&] {
        engine.restore_header(named_volume(engine, name), file, force);
        std::cout << "header of " << name << " restored from " << file << "\n";
        return kSuccess;
    });
}

CVFS_COMMAND(CommandSpec{
    "header backup", "VOLUME FILE", "copy a volume's LUKS2 header into a new file (root-only)",
    "The header holds every keyslot and the cvfs token (a TPM-sealed key, the provider's\n"
    "values): when it is damaged the data cannot be read even with the right provider.\n"
    "Keep the copy off the volume. See docs/recovery.md.\n"
    "\nExamples:\n  cvfs header backup data1 /root/data1.header\n",
    nullptr, 2, 2,
    [](CommandContext& c) {
        Engine engine(c.options);
        return header_backup_command(engine, c.operands[0], c.operands[1]);
    },
    70});
CVFS_COMMAND(CommandSpec{
    "header restore", "VOLUME FILE [--force]", "put a backed-up LUKS2 header back (volume closed)",
    "Checks FILE as open checks a header (the allow-list) and that it is this volume's (the\n"
    "same LUKS UUID as the header on the device, a cvfs token naming this volume and\n"
    "provider), then writes it over the device's header. Refused while the volume is open.\n"
    "--force: the device's header cannot be read at all, so its UUID cannot be compared.\n"
    "\nExamples:\n  cvfs header restore data1 /root/data1.header\n",
    [](boost::program_options::options_description& o) {
        o.add_options()("force", "restore although the device's header cannot be read to compare");
    },
    2, 2,
    [](CommandContext& c) {
        Engine engine(c.options);
        return header_restore_command(engine, c.operands[0], c.operands[1], c.has("force"));
    },
    71});

}  // namespace cvfs::cli
