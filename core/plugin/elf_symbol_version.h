// Which ELF version node a shared object binds one of its symbols to.
//
// dlvsym() can tell "found under CVFS_PLUGIN_1" from "not", but not why not:
// an entry exported without any version and one bound to another node
// (CVFS_PLUGIN_2) both just fail. The loader reads the answer from the file
// itself (.dynsym, .gnu.version, .gnu.version_d) to say which it is.
#pragma once

#include <optional>
#include <string>

namespace cvfs {

// The version node of the defined dynamic symbol `symbol` in the ELF file at
// `path`: "" when it has none (no version info, or the base/global index),
// nullopt when the file cannot be read as a 64-bit ELF of this machine's byte
// order or does not define the symbol.
std::optional<std::string> elf_symbol_version(const std::string& path, const std::string& symbol);

// The same, read through an open descriptor (with pread, from offset 0): the
// loader asks about the very file it checked and loads.
std::optional<std::string> elf_symbol_version(int fd, const std::string& symbol);

}  // namespace cvfs
