// Signature detection with libblkid (see signature_probe.h).
#include "volume/signature_probe.h"

#include <blkid/blkid.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "base/error.h"

namespace cvfs {

namespace {
struct ProbeDeleter {
    void operator()(blkid_probe probe) const { blkid_free_probe(probe); }
};
using Probe = std::unique_ptr<blkid_struct_probe, ProbeDeleter>;

std::optional<std::string> lookup(blkid_probe probe, const char* name) {
    const char* value = nullptr;
    if (blkid_probe_lookup_value(probe, name, &value, nullptr) == 0 && value) return value;
    return std::nullopt;
}
}  // namespace

std::optional<std::string> find_signature(const std::string& device) {
    Probe probe(blkid_new_probe_from_filename(device.c_str()));
    if (!probe) throw Error(ErrorKind::Device, "cannot probe " + device + " for existing data");
    blkid_probe_enable_superblocks(probe.get(), 1);
    blkid_probe_set_superblocks_flags(probe.get(), BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE);
    blkid_probe_enable_partitions(probe.get(), 1);
    blkid_probe_set_partitions_flags(probe.get(), BLKID_PARTS_MAGIC);

    int rc = blkid_do_safeprobe(probe.get());
    if (rc == 1) return std::nullopt;
    if (rc == -2) return std::string("several conflicting signatures");
    if (rc < 0) throw Error(ErrorKind::Device, "libblkid cannot read " + device);

    if (auto type = lookup(probe.get(), "TYPE")) {
        auto usage = lookup(probe.get(), "USAGE").value_or("filesystem");
        if (*type == "crypto_LUKS") return std::string("LUKS volume");
        return *type + " " + (usage == "filesystem" ? "filesystem" : usage + " signature");
    }
    if (auto pttype = lookup(probe.get(), "PTTYPE")) return *pttype + " partition table";
    return std::string("an unknown signature");
}

}  // namespace cvfs

namespace cvfs {

std::optional<std::string> filesystem_type(const std::string& device) {
    Probe probe(blkid_new_probe_from_filename(device.c_str()));
    if (!probe) throw Error(ErrorKind::Device, "cannot probe " + device + " for a filesystem");
    blkid_probe_enable_superblocks(probe.get(), 1);
    blkid_probe_set_superblocks_flags(probe.get(), BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE);
    if (blkid_do_safeprobe(probe.get()) != 0) return std::nullopt;
    return lookup(probe.get(), "TYPE");
}

bool has_filesystem_of_type(const std::string& device, const std::string& type) {
    Probe probe(blkid_new_probe_from_filename(device.c_str()));
    if (!probe) return false;
    blkid_probe_enable_superblocks(probe.get(), 1);
    blkid_probe_set_superblocks_flags(probe.get(), BLKID_SUBLKS_TYPE);
    char* names[] = {const_cast<char*>(type.c_str()), nullptr};
    if (blkid_probe_filter_superblocks_type(probe.get(), BLKID_FLTR_ONLYIN, names) != 0) return false;
    if (blkid_do_safeprobe(probe.get()) != 0) return false;
    return lookup(probe.get(), "TYPE") == type;
}

void erase_signatures(const std::string& device) {
    Probe probe(blkid_new_probe_from_filename(device.c_str()));
    if (!probe) throw Error(ErrorKind::Device, "cannot open " + device + " to erase its signatures");
    blkid_probe_enable_superblocks(probe.get(), 1);
    blkid_probe_set_superblocks_flags(probe.get(), BLKID_SUBLKS_MAGIC);
    blkid_probe_enable_partitions(probe.get(), 1);
    blkid_probe_set_partitions_flags(probe.get(), BLKID_PARTS_MAGIC);
    // blkid_new_probe_from_filename opens read-only; wiping needs a writable fd.
    int fd = ::open(device.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) throw Error(ErrorKind::Device, "cannot open " + device + " for writing: " + errno_text(errno));
    blkid_probe_set_device(probe.get(), fd, 0, 0);
    while (blkid_do_probe(probe.get()) == 0) {
        if (blkid_do_wipe(probe.get(), 0) != 0) {
            ::close(fd);
            throw Error(ErrorKind::Device, "cannot erase a signature on " + device);
        }
    }
    ::fsync(fd);
    ::close(fd);
}

}  // namespace cvfs
