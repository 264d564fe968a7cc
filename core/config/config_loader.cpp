// Loading a whole configuration folder: one broken file is recorded as a
// problem and never stops the others (the seed's tool refused to do anything
// at all when any one file was wrong).
#include "config/config_loader.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "base/error.h"
#include "config/file_trust.h"
#include "config/toml_reader.h"

namespace cvfs {

namespace fs = std::filesystem;

namespace {

bool is_toml_file(const fs::directory_entry& entry) {
    std::error_code ignored;
    // is_regular_file follows symlinks, as an operator linking files in expects.
    return entry.path().extension() == ".toml" && entry.is_regular_file(ignored);
}

// Where the `volume` key is written, for the duplicate-name message.
SourceLocation name_location(const VolumeConfig& volume) {
    toml::table root = config_detail::parse_toml_file(volume.file, "volume file");
    return config_detail::TableReader(root, volume.file, "").where_value("volume");
}

// Where the `dev` key's value is written.
SourceLocation dev_location(const VolumeConfig& volume) {
    toml::table root = config_detail::parse_toml_file(volume.file, "volume file");
    return config_detail::TableReader(root, volume.file, "").where_value("dev");
}

// The device as the kernel sees it, for comparing two volumes' `dev`: a path
// with its links and dots resolved (as far as it exists), a PARTUUID= or
// PARTLABEL= as written (PARTUUIDs in lower case).
std::string device_identity(const std::string& dev) {
    if (dev.starts_with("PARTUUID=")) {
        std::string id = dev;
        std::transform(id.begin(), id.end(), id.begin(), [](unsigned char c) { return std::tolower(c); });
        return id;
    }
    if (!dev.starts_with("/")) return dev;
    // A link is followed even where it leads nowhere yet (a block file init makes).
    fs::path path = dev;
    std::error_code error;
    for (int hops = 0; hops < 40 && fs::is_symlink(path, error); ++hops) {
        fs::path target = fs::read_symlink(path, error);
        if (error) break;
        path = target.is_absolute() ? target : path.parent_path() / target;
    }
    return fs::weakly_canonical(path, error).string();
}

void add_volume(ConfigSet& set, VolumeConfig volume) {
    auto first = std::find_if(set.volumes.begin(), set.volumes.end(),
                              [&](const VolumeConfig& other) { return other.name == volume.name; });
    if (first != set.volumes.end()) {
        config_detail::fail_at(
            name_location(volume),
            "volume name '" + volume.name + "' is already used by " + name_location(*first).str(),
            "a name used by one volume file only", "rename the volume in one of the two files");
    }
    // Two volumes on one device: opening one and initialising the other
    // would destroy the first one's data.
    const std::string device = device_identity(volume.dev);
    auto same_dev = std::find_if(set.volumes.begin(), set.volumes.end(),
                                 [&](const VolumeConfig& other) { return device_identity(other.dev) == device; });
    if (same_dev != set.volumes.end()) {
        config_detail::fail_at(dev_location(volume),
                               "volume '" + volume.name + "' has the device of volume '" + same_dev->name + "' (" +
                                   dev_location(*same_dev).str() + ")",
                               "a device used by one volume only",
                               "give each volume its own device; one of the two files is left out");
    }
    set.volumes.push_back(std::move(volume));
}

void load_volumes(const std::string& confdir, ConfigSet& set) {
    std::string dir = (fs::path(confdir) / "volumes").string();
    std::vector<std::string> files;
    try {
        check_trusted_config_folder(dir, "volume folder");
        files = list_toml_files(dir);
    } catch (const Error& error) {
        set.problems.push_back(ConfigProblem{dir, error.what(), error.hint()});
    }
    for (const std::string& file : files) {
        try {
            add_volume(set, parse_volume_file(file, set.global));
        } catch (const config_detail::FileErrors& errors) {
            for (const Error& error : errors.all()) set.problems.push_back(ConfigProblem{file, error.what(), error.hint()});
        } catch (const Error& error) {
            set.problems.push_back(ConfigProblem{file, error.what(), error.hint()});
        }
    }
    std::sort(set.volumes.begin(), set.volumes.end(),
              [](const VolumeConfig& a, const VolumeConfig& b) { return a.name < b.name; });
}

}  // namespace

const VolumeConfig* ConfigSet::find(std::string_view name) const {
    for (const VolumeConfig& volume : volumes) {
        if (volume.name == name) return &volume;
    }
    return nullptr;
}

std::vector<std::string> list_toml_files(const std::string& dir) {
    std::error_code error;
    fs::directory_iterator entries(dir, error);
    if (error == std::errc::no_such_file_or_directory) return {};
    if (error) {
        throw Error(ErrorKind::Config, dir + ": cannot list the folder: " + error.message(),
                    "check that it is a directory root can read");
    }
    std::vector<std::string> files;
    for (const fs::directory_entry& entry : entries) {
        if (is_toml_file(entry)) files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    return files;
}

ConfigSet load_config(const std::string& confdir) {
    std::error_code error;
    if (!fs::is_directory(confdir, error)) {
        throw Error(ErrorKind::Config, confdir + ": configuration folder not found",
                    "create it, or name the right configuration folder");
    }
    // Who can write here can add a volume or a plugin: nothing in it is used.
    check_trusted_config_folder(confdir, "configuration folder");
    ConfigSet set;
    set.global = parse_global_config(confdir, &set.problems);
    load_volumes(confdir, set);
    return set;
}

}  // namespace cvfs
