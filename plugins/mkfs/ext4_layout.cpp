// Reading mkfs.ext4's dry run, and writing its backup superblock blocks whole.
#include "ext4_layout.h"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <vector>

namespace cvfs::mkfs {

namespace {

// The number that starts at `pos`; `end` is set past it (to `pos` when there is none).
uint64_t number_at(std::string_view text, size_t pos, size_t* end) {
    uint64_t value = 0;
    auto [ptr, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), value);
    *end = ec == std::errc() ? static_cast<size_t>(ptr - text.data()) : pos;
    return ec == std::errc() ? value : 0;
}

uint64_t parse_block_size(std::string_view report) {
    // "Creating filesystem with 262144 4k blocks and 65536 inodes"
    constexpr std::string_view kLead = "Creating filesystem with ";
    size_t at = report.find(kLead);
    if (at == std::string_view::npos) return 0;
    size_t pos = at + kLead.size(), end = 0;
    number_at(report, pos, &end);  // the block count
    if (end == pos || end >= report.size() || report[end] != ' ') return 0;
    pos = end + 1;
    uint64_t kib = number_at(report, pos, &end);
    if (end == pos || report.substr(end, 2) != "k ") return 0;
    return kib * 1024;
}

std::vector<uint64_t> parse_backups(std::string_view report) {
    constexpr std::string_view kLead = "Superblock backups stored on blocks:";
    std::vector<uint64_t> blocks;
    size_t at = report.find(kLead);
    if (at == std::string_view::npos) return blocks;
    // The numbers follow on the next lines, up to an empty line.
    size_t pos = report.find('\n', at);
    while (pos != std::string_view::npos && pos + 1 < report.size()) {
        size_t line_end = report.find('\n', pos + 1);
        std::string_view line = report.substr(pos + 1, line_end == std::string_view::npos
                                                           ? std::string_view::npos
                                                           : line_end - pos - 1);
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) break;
        for (size_t i = 0; i < line.size();) {
            if (!std::isdigit(static_cast<unsigned char>(line[i]))) {
                ++i;
                continue;
            }
            size_t end = i;
            uint64_t block = number_at(line, i, &end);
            blocks.push_back(block);
            i = end;
        }
        pos = line_end;
    }
    return blocks;
}

}  // namespace

Ext4Layout parse_dry_run(std::string_view report) {
    Ext4Layout layout;
    layout.block_size = parse_block_size(report);
    if (layout.block_size != 0) layout.backup_blocks = parse_backups(report);
    return layout;
}

int zero_backup_blocks(const char* device, const Ext4Layout& layout) {
    if (layout.block_size == 0 || layout.backup_blocks.empty()) return 0;
    int fd = open(device, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    const std::vector<char> zeros(layout.block_size, 0);
    int error = 0;
    for (uint64_t block : layout.backup_blocks) {
        const auto offset = static_cast<off_t>(block * layout.block_size);
        for (size_t done = 0; done < zeros.size() && error == 0;) {
            ssize_t n = pwrite(fd, zeros.data() + done, zeros.size() - done, offset + static_cast<off_t>(done));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) error = n < 0 ? errno : EIO;
            else done += static_cast<size_t>(n);
        }
        if (error != 0) break;
    }
    if (error == 0 && fsync(fd) != 0) error = errno;
    close(fd);
    return error;
}

}  // namespace cvfs::mkfs
