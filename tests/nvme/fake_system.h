// A fake system tree for the nvme backend's rules: sys/ (block devices,
// NVMe attributes, holders and slaves, laid out as the kernel does, with
// relative links), proc/ (mountinfo, swaps, fd links) and dev/ (partitioned
// disk images made with sgdisk, which libblkid reads as it reads a disk).
// Each test builds the devices it needs under a fresh temporary folder.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "block_sysfs.h"

namespace nvme_test {

namespace fs = std::filesystem;

// One partition of a fake disk: its number, GPT name and GUID, and size.
struct FakePartition {
    unsigned number;
    std::string label;
    std::string guid;
    uint64_t mib = 32;
};

class FakeSystem {
public:
    FakeSystem() {
        std::string pattern = (fs::temp_directory_path() / "cvfs-nvme-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        root_ = pattern;
        for (const char* folder :
             {"sys/class/block", "sys/devices/virtual/block", "proc/self", "dev/disk"})
            fs::create_directories(root_ / folder);
        write("proc/self/mountinfo", "");
        write("proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n");
    }
    FakeSystem(const FakeSystem&) = delete;
    FakeSystem& operator=(const FakeSystem&) = delete;
    ~FakeSystem() {
        std::error_code ignored;
        fs::remove_all(root_, ignored);
    }

    cvfs_nvme::SystemRoot system() const { return {root_.string()}; }
    std::string path(const std::string& relative) const { return (root_ / relative).string(); }

    // An NVMe namespace nvme<controller>n<nsid> with partitions, its GPT on
    // dev/<name> (an image file) when `with_image`.
    void add_nvme(unsigned controller, unsigned nsid, const std::string& model,
                  const std::string& serial, const std::vector<FakePartition>& partitions,
                  bool with_image = true) {
        std::string ctrl = "nvme" + std::to_string(controller);
        std::string name = ctrl + "n" + std::to_string(nsid);
        fs::path ctrl_dir = fs::path("sys/devices/pci0000:00/0000:00:04.0/nvme") / ctrl;
        fs::create_directories(root_ / ctrl_dir);
        write((ctrl_dir / "model").string(),
              model + "          \n");  // the kernel pads with blanks
        write((ctrl_dir / "serial").string(), serial + "      \n");
        std::string number = "259:" + std::to_string(next_minor_);
        add_disk(ctrl_dir / name, number, 256, partitions);
        write((ctrl_dir / name / "nsid").string(), std::to_string(nsid) + "\n");
        write(
            (ctrl_dir / name / "wwid").string(),
            "eui.00" + std::to_string(controller) + "0000000000000" + std::to_string(nsid) + "\n");
        fs::create_directory_symlink("../../" + ctrl, root_ / ctrl_dir / name / "device");
        if (with_image) make_image(name, partitions);
    }

    // A plain disk such as vda, with partitions, no image.
    void add_disk_named(const std::string& name, unsigned major,
                        const std::vector<FakePartition>& partitions) {
        add_disk(fs::path("sys/devices/pci0000:00/0000:00:05.0/virtio1/block") / name,
                 std::to_string(major) + ":" + std::to_string(next_minor_), 1024, partitions);
    }

    // A device-mapper device named `mapping` on top of `slaves`.
    void add_dm(const std::string& name, const std::string& mapping,
                const std::vector<std::string>& slaves) {
        fs::path dir = fs::path("sys/devices/virtual/block") / name;
        add_block(dir, "253:" + std::to_string(next_minor_++), 64);
        fs::create_directories(root_ / dir / "dm");
        write((dir / "dm/name").string(), mapping + "\n");
        fs::create_directories(root_ / dir / "slaves");
        for (const std::string& slave : slaves) {
            fs::path slave_dir = fs::canonical(root_ / "sys/class/block" / slave);
            fs::create_directory_symlink(fs::relative(slave_dir, root_ / dir / "slaves"),
                                         root_ / dir / "slaves" / slave);
            fs::create_directory_symlink(fs::relative(root_ / dir, slave_dir / "holders"),
                                         slave_dir / "holders" / name);
        }
    }

    void mount(const std::string& name, const std::string& point) {
        std::string number = cvfs_nvme::BlockDevice(system(), name).major_minor();
        std::string escaped;  // the kernel writes blanks as \040
        for (char c : point) escaped += c == ' ' ? std::string("\\040") : std::string(1, c);
        append("proc/self/mountinfo", std::to_string(++mount_id_) + " 1 " + number + " / " +
                                          escaped + " rw,relatime shared:1 - ext4 /dev/" + name +
                                          " rw\n");
    }
    void swap_on(const std::string& name) {
        append("proc/swaps",
               "/dev/" + name + "                               partition\t1024\t0\t-2\n");
    }
    void open_in_process(int pid, const std::string& command, const std::string& name) {
        fs::path fd_dir = root_ / "proc" / std::to_string(pid) / "fd";
        fs::create_directories(fd_dir);
        write("proc/" + std::to_string(pid) + "/comm", command + "\n");
        fs::create_symlink("/dev/" + name, fd_dir / "3");
    }
    void link(const std::string& link, const std::string& target) {
        fs::create_directories((root_ / link).parent_path());
        fs::create_symlink(target, root_ / link);
    }
    void write(const std::string& relative, const std::string& text) {
        fs::create_directories((root_ / relative).parent_path());
        std::ofstream(root_ / relative) << text;
    }

private:
    void append(const std::string& relative, const std::string& text) {
        std::ofstream(root_ / relative, std::ios::app) << text;
    }

    void add_block(const fs::path& dir, const std::string& number, uint64_t mib) {
        fs::create_directories(root_ / dir / "holders");
        write((dir / "dev").string(), number + "\n");
        write((dir / "size").string(), std::to_string(mib * 2048) + "\n");
        fs::create_directory_symlink(fs::relative(root_ / dir, root_ / "sys/class/block"),
                                     root_ / "sys/class/block" / dir.filename());
    }

    void add_disk(const fs::path& dir, const std::string& number, uint64_t mib,
                  const std::vector<FakePartition>& partitions) {
        std::string name = dir.filename();
        std::string major = number.substr(0, number.find(':'));
        add_block(dir, number, mib);
        ++next_minor_;
        bool digit = std::isdigit(static_cast<unsigned char>(name.back()));
        for (const FakePartition& part : partitions) {
            std::string part_name = name + (digit ? "p" : "") + std::to_string(part.number);
            fs::path part_dir = dir / part_name;
            add_block(part_dir, major + ":" + std::to_string(next_minor_++), part.mib);
            write((part_dir / "partition").string(), std::to_string(part.number) + "\n");
            write((part_dir / "uevent").string(),
                  "MAJOR=259\nDEVNAME=" + part_name + "\nDEVTYPE=partition\nPARTN=" +
                      std::to_string(part.number) + "\nPARTNAME=" + part.label + "\n");
        }
    }

    // A GPT image with the partitions' numbers, names and GUIDs.
    void make_image(const std::string& name, const std::vector<FakePartition>& partitions) {
        std::string image = path("dev/" + name);
        std::ofstream(image).close();
        if (truncate(image.c_str(), 64 << 20) != 0) throw std::runtime_error("truncate failed");
        std::string command = "sgdisk";
        unsigned start = 2048;
        for (const FakePartition& part : partitions) {
            std::string n = std::to_string(part.number);
            command += " -n " + n + ":" + std::to_string(start) + ":+1M -c '" + n + ":" +
                       part.label + "' -u " + n + ":" + part.guid;
            start += 4096;
        }
        command += " '" + image + "' >/dev/null";
        if (std::system(command.c_str()) != 0)
            throw std::runtime_error("sgdisk failed: " + command);
    }

    fs::path root_;
    unsigned next_minor_ = 0;
    int mount_id_ = 20;
};

}  // namespace nvme_test
