// `cvfs erase VOLUME [--yes]`: destroy every keyslot and token of a
// persistent volume, after the operator types the volume's name on a
// terminal (--yes where there is none). The volume key is then gone and the
// data cannot be read by anyone, cvfs included. A temporary volume needs
// nothing: its key is gone at each close.
#include <unistd.h>

#include <iostream>

#include "command_table.h"
#include "verb_commands.h"
#include "verb_helpers.h"

namespace cvfs::cli {

namespace {

bool confirmed(const VolumeConfig& volume, bool yes) {
    if (yes) return true;
    if (!::isatty(STDIN_FILENO))
        throw Error(ErrorKind::Refused,
                    "volume '" + volume.name + "': erase destroys every key of " + volume.dev +
                        " and there is no terminal to ask",
                    "add --yes to confirm");
    std::cerr << "Erase volume '" << volume.name << "' on " << volume.dev
              << "? Every key is destroyed and the data can never be read again.\n"
              << "Type the volume's name to go on: " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    return answer == volume.name;
}

}  // namespace

int erase_command(Engine& engine, const std::string& name, bool yes) {
    return run_verb([&] {
        const VolumeConfig& volume = named_volume(engine, name);
        if (engine.status(volume).temporary) {
            std::cout << name << " is temporary: its key is gone at each close, there is nothing to erase\n";
            return kSuccess;
        }
        if (!confirmed(volume, yes))
            throw Error(ErrorKind::Refused, "volume '" + name + "': erase cancelled, nothing was changed");
        int destroyed = engine.erase(volume);
        std::cout << "erased " << name << ": " << destroyed << " keyslots destroyed, the data is unrecoverable\n";
        return kSuccess;
    });
}

CVFS_COMMAND(CommandSpec{
    "erase", "VOLUME [--yes]", "destroy every key of a volume: its data becomes unrecoverable",
    "Destroys every keyslot and token of the volume's LUKS2 header after you type the\n"
    "volume's name (--yes where there is no terminal). Nobody, cvfs included, can read the\n"
    "data afterwards; `cvfs init --force` makes a new volume on the device. The volume must be\n"
    "closed. A temporary volume needs no erase: its key is gone at each close.\n"
    "\nExamples:\n  cvfs erase data1\n  cvfs erase data1 --yes\n",
    [](boost::program_options::options_description& o) { o.add_options()("yes,y", "do not ask"); }, 1, 1,
    [](CommandContext& c) {
        Engine engine(c.options);
        return erase_command(engine, c.operands.front(), c.has("yes"));
    },
    90});

}  // namespace cvfs::cli
