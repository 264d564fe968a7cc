// Reading mountinfo, swaps and fd links (see proc_tables.h).
#include "proc_tables.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace cvfs_nvme {

namespace {

// mountinfo and swaps write blanks and backslashes as octal escapes (\040).
std::string unescape_octal(const std::string& text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 3 < text.size() &&
            std::isdigit(static_cast<unsigned char>(text[i + 1])) &&
            std::isdigit(static_cast<unsigned char>(text[i + 2])) &&
            std::isdigit(static_cast<unsigned char>(text[i + 3]))) {
            out += static_cast<char>(std::stoi(text.substr(i + 1, 3), nullptr, 8));
            i += 3;
        } else {
            out += text[i];
        }
    }
    return out;
}

bool all_digits(const std::string& text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::vector<MountEntry> read_mounts(const SystemRoot& system) {
    std::vector<MountEntry> mounts;
    std::ifstream in(system.proc("self/mountinfo"));
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::vector<std::string> words;
        for (std::string word; fields >> word;) words.push_back(word);
        auto dash = std::find(words.begin(), words.end(), "-");
        if (words.size() < 5 || dash == words.end() || dash + 2 >= words.end()) continue;
        mounts.push_back({words[2], unescape_octal(words[4]), unescape_octal(*(dash + 2))});
    }
    return mounts;
}

std::vector<std::string> read_swaps(const SystemRoot& system) {
    std::vector<std::string> swaps;
    std::ifstream in(system.proc("swaps"));
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string path;
        if (fields >> path) swaps.push_back(unescape_octal(path));
    }
    return swaps;
}

std::vector<OpenBy> processes_with_open(const SystemRoot& system, const std::string& path) {
    namespace fs = std::filesystem;
    std::vector<OpenBy> found;
    const std::string self = std::to_string(getpid());
    std::error_code ec;
    for (const auto& process : fs::directory_iterator(system.proc(""), ec)) {
        std::string pid = process.path().filename();
        if (!all_digits(pid) || pid == self) continue;
        std::error_code fd_ec;
        for (const auto& fd : fs::directory_iterator(process.path() / "fd", fd_ec)) {
            std::error_code link_ec;
            if (fs::read_symlink(fd.path(), link_ec).string() != path) continue;
            found.push_back({std::stoi(pid), read_line((process.path() / "comm").string())});
            break;
        }
    }
    return found;
}

}  // namespace cvfs_nvme
