// Reading block device facts from sysfs (see block_sysfs.h).
#include "block_sysfs.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>

namespace fs = std::filesystem;

namespace cvfs_nvme {

namespace {

std::vector<std::string> entries_of(const std::string& folder) {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(folder, ec))
        names.push_back(entry.path().filename());
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace

std::string read_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    if (!in || !std::getline(in, line)) return "";
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
        line.pop_back();
    return line;
}


BlockDevice::BlockDevice(const SystemRoot& system, std::string name)
    : system_(system), name_(std::move(name)) {}

std::string BlockDevice::attribute(const std::string& relative) const {
    return read_line(system_.sys("class/block/" + name_ + "/" + relative));
}

bool BlockDevice::exists() const {
    std::error_code ec;
    return !name_.empty() && name_.find('/') == std::string::npos &&
           fs::exists(system_.sys("class/block/" + name_ + "/dev"), ec);
}

bool BlockDevice::is_partition() const {
    std::error_code ec;
    return fs::exists(system_.sys("class/block/" + name_ + "/partition"), ec);
}

std::string BlockDevice::whole_disk() const {
    if (!is_partition()) return name_;
    std::error_code ec;
    fs::path real = fs::canonical(system_.sys("class/block/" + name_), ec);
    if (!ec && fs::exists(real.parent_path() / "dev", ec)) return real.parent_path().filename();
    return "";
}

unsigned BlockDevice::partition_number() const {
    std::string text = attribute("partition");
    return text.empty() ? 0u : static_cast<unsigned>(std::strtoul(text.c_str(), nullptr, 10));
}

std::string BlockDevice::major_minor() const { return attribute("dev"); }

uint64_t BlockDevice::size_bytes() const {
    std::string sectors = attribute("size");  // always in 512-byte units
    return sectors.empty() ? 0 : std::strtoull(sectors.c_str(), nullptr, 10) * 512;
}

std::string BlockDevice::partition_label() const {
    std::ifstream in(system_.sys("class/block/" + name_ + "/uevent"));
    std::string line;
    while (std::getline(in, line))
        if (line.starts_with("PARTNAME=")) return line.substr(9);
    return "";
}

std::vector<std::string> BlockDevice::holders() const {
    return entries_of(system_.sys("class/block/" + name_ + "/holders"));
}

std::vector<std::string> BlockDevice::slaves() const {
    return entries_of(system_.sys("class/block/" + name_ + "/slaves"));
}

std::vector<std::string> BlockDevice::partitions() const {
    std::vector<std::string> found;
    for (const std::string& name : all_block_devices(system_)) {
        BlockDevice device(system_, name);
        if (name != name_ && device.is_partition() && device.whole_disk() == name_)
            found.push_back(name);
    }
    return found;
}

std::string BlockDevice::dm_name() const { return attribute("dm/name"); }

bool BlockDevice::is_nvme_namespace() const {
    static const std::regex pattern("nvme[0-9]+n[0-9]+");
    return !is_partition() && std::regex_match(name_, pattern);
}

std::string BlockDevice::nvme_attribute(const std::string& name) const {
    std::string value = attribute(name);
    return value.empty() ? attribute("device/" + name) : value;
}

std::vector<std::string> all_block_devices(const SystemRoot& system) {
    return entries_of(system.sys("class/block"));
}

std::string block_device_by_number(const SystemRoot& system, const std::string& major_minor) {
    for (const std::string& name : all_block_devices(system))
        if (BlockDevice(system, name).major_minor() == major_minor) return name;
    return "";
}

}  // namespace cvfs_nvme
