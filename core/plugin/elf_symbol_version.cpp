// Reads a symbol's version node from an ELF file's dynamic symbol table.
#include "plugin/elf_symbol_version.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <vector>

#include "cvfs/unique_fd.hpp"

namespace cvfs {
namespace {

constexpr size_t max_file_size = 256u << 20;

// The bytes of a file, with bounds-checked typed access: a hostile or
// truncated file yields nullptr, never a read past the end.
class ElfImage {
public:
    explicit ElfImage(std::vector<char> bytes) : bytes_(std::move(bytes)) {}

    template <class T>
    const T* at(uint64_t offset) const {
        if (offset > bytes_.size() || bytes_.size() - offset < sizeof(T)) return nullptr;
        return reinterpret_cast<const T*>(bytes_.data() + offset);
    }

    // A NUL-terminated string at `offset`, or nullopt when it runs off the end.
    std::optional<std::string> string_at(uint64_t offset) const {
        if (offset >= bytes_.size()) return std::nullopt;
        const char* start = bytes_.data() + offset;
        size_t length = ::strnlen(start, bytes_.size() - offset);
        if (length == bytes_.size() - offset) return std::nullopt;
        return std::string(start, length);
    }

private:
    std::vector<char> bytes_;
};

// Reads with pread from offset 0, so the descriptor's position does not matter.
std::optional<ElfImage> read_image(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
        static_cast<uint64_t>(st.st_size) > max_file_size)
        return std::nullopt;
    std::vector<char> bytes(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (done < bytes.size()) {
        ssize_t got = ::pread(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return std::nullopt;
        done += static_cast<size_t>(got);
    }
    return ElfImage(std::move(bytes));
}

bool is_native_elf64(const Elf64_Ehdr& header) {
    const bool little = std::endian::native == std::endian::little;
    return std::memcmp(header.e_ident, ELFMAG, SELFMAG) == 0 &&
           header.e_ident[EI_CLASS] == ELFCLASS64 &&
           header.e_ident[EI_DATA] == (little ? ELFDATA2LSB : ELFDATA2MSB) &&
           header.e_shentsize == sizeof(Elf64_Shdr);
}

const Elf64_Shdr* find_section(const ElfImage& image, const Elf64_Ehdr& header, uint32_t type) {
    for (uint16_t i = 0; i < header.e_shnum; ++i) {
        const auto* section = image.at<Elf64_Shdr>(header.e_shoff + uint64_t{i} * sizeof(Elf64_Shdr));
        if (section && section->sh_type == type) return section;
    }
    return nullptr;
}

const Elf64_Shdr* section_at(const ElfImage& image, const Elf64_Ehdr& header, uint32_t index) {
    if (index >= header.e_shnum) return nullptr;
    return image.at<Elf64_Shdr>(header.e_shoff + uint64_t{index} * sizeof(Elf64_Shdr));
}

// The index of the defined dynamic symbol `symbol`, if any.
std::optional<uint64_t> find_symbol(const ElfImage& image, const Elf64_Shdr& dynsym,
                                    const Elf64_Shdr& strtab, const std::string& symbol) {
    const uint64_t count = dynsym.sh_size / sizeof(Elf64_Sym);
    for (uint64_t i = 1; i < count; ++i) {
        const auto* sym = image.at<Elf64_Sym>(dynsym.sh_offset + i * sizeof(Elf64_Sym));
        if (!sym) return std::nullopt;
        if (sym->st_shndx == SHN_UNDEF) continue;
        if (image.string_at(strtab.sh_offset + sym->st_name) == symbol) return i;
    }
    return std::nullopt;
}

// The name of version definition `index` in .gnu.version_d, or "".
std::string version_name(const ElfImage& image, const Elf64_Shdr& verdef, const Elf64_Shdr& strtab,
                         uint16_t index) {
    uint64_t offset = verdef.sh_offset;
    for (uint64_t n = 0; n < verdef.sh_info; ++n) {
        const auto* def = image.at<Elf64_Verdef>(offset);
        if (!def) return {};
        if (def->vd_ndx == index) {
            const auto* aux = image.at<Elf64_Verdaux>(offset + def->vd_aux);
            if (!aux) return {};
            return image.string_at(strtab.sh_offset + aux->vda_name).value_or("");
        }
        if (def->vd_next == 0) break;
        offset += def->vd_next;
    }
    return {};
}

}  // namespace

std::optional<std::string> elf_symbol_version(const std::string& path, const std::string& symbol) {
    cvfs::sdk::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    if (!fd.valid()) return std::nullopt;
    return elf_symbol_version(fd.get(), symbol);
}

std::optional<std::string> elf_symbol_version(int fd, const std::string& symbol) {
    auto image = read_image(fd);
    if (!image) return std::nullopt;
    const auto* header = image->at<Elf64_Ehdr>(0);
    if (!header || !is_native_elf64(*header)) return std::nullopt;
    const auto* dynsym = find_section(*image, *header, SHT_DYNSYM);
    const auto* strtab = dynsym ? section_at(*image, *header, dynsym->sh_link) : nullptr;
    if (!strtab) return std::nullopt;
    auto index = find_symbol(*image, *dynsym, *strtab, symbol);
    if (!index) return std::nullopt;

    const auto* versym = find_section(*image, *header, SHT_GNU_versym);
    if (!versym) return std::string();
    const auto* version = image->at<Elf64_Half>(versym->sh_offset + *index * sizeof(Elf64_Half));
    if (!version) return std::nullopt;
    const uint16_t ndx = *version & 0x7fff;
    if (ndx == VER_NDX_LOCAL || ndx == VER_NDX_GLOBAL) return std::string();
    const auto* verdef = find_section(*image, *header, SHT_GNU_verdef);
    return verdef ? version_name(*image, *verdef, *strtab, ndx) : std::string();
}

}  // namespace cvfs
