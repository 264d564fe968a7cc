// The table of `cvfs` commands (see command_table.h).
#include "command_table.h"

#include "exit_codes.h"

#include <algorithm>
#include <iostream>
#include <stdexcept>

namespace cvfs::cli {

namespace {

std::vector<CommandSpec>& table() {
    static std::vector<CommandSpec> commands;
    return commands;
}

}  // namespace

Selection CommandContext::selection() const {
    Selection selection;
    selection.names = operands;
    selection.all = has("all");
    return selection;
}

bool register_command(CommandSpec spec) {
    auto& commands = table();
    for (const auto& existing : commands)
        if (existing.name == spec.name) throw std::logic_error("cvfs command '" + spec.name + "' registered twice");
    auto at = std::find_if(commands.begin(), commands.end(), [&](const CommandSpec& other) {
        return std::tie(spec.order, spec.name) < std::tie(other.order, other.name);
    });
    commands.insert(at, std::move(spec));
    return true;
}

const std::vector<CommandSpec>& command_table() { return table(); }

int usage_error(const std::string& command_name) {
    std::string usage;
    for (const auto& c : table())
        if (c.name == command_name) usage = c.usage;
    std::cerr << "cvfs: usage: cvfs " << command_name << (usage.empty() ? "" : " " + usage) << "\n"
              << "  hint: `cvfs " << command_name << " --help` explains it\n";
    return kUsage;
}

}  // namespace cvfs::cli
