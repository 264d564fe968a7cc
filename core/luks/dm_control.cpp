// DM_DEV_STATUS and DM_DEV_REMOVE on /dev/mapper/control (see dm_control.h).
#include "luks/dm_control.h"

#include "base/error.h"

#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace cvfs {

namespace {

const char* const kControl = "/dev/mapper/control";

// One ioctl on the control node for the device `name`; returns errno or 0.
int dm_ioctl_named(unsigned long request, const std::string& name, dm_ioctl& result) {
    if (name.empty() || name.size() >= DM_NAME_LEN)
        throw Error(ErrorKind::Config, "\"" + name + "\" cannot be a device-mapper name");
    int fd = ::open(kControl, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        throw Error(ErrorKind::System, "cannot open " + std::string(kControl) + ": " + errno_text(errno),
                    "check that the dm_mod kernel module is loaded");
    std::vector<char> buffer(16 * 1024);
    auto* io = reinterpret_cast<dm_ioctl*>(buffer.data());
    io->version[0] = DM_VERSION_MAJOR;
    io->version[1] = 0;
    io->version[2] = 0;
    io->data_size = static_cast<uint32_t>(buffer.size());
    io->data_start = sizeof(dm_ioctl);
    std::memcpy(io->name, name.c_str(), name.size() + 1);
    int rc = ::ioctl(fd, request, io) == 0 ? 0 : errno;
    ::close(fd);
    std::memcpy(&result, io, sizeof(dm_ioctl));
    return rc;
}

}  // namespace

DmDeviceInfo dm_device_info(const std::string& name) {
    dm_ioctl io{};
    int rc = dm_ioctl_named(DM_DEV_STATUS, name, io);
    DmDeviceInfo info;
    if (rc == ENXIO || rc == ENODEV) return info;
    if (rc != 0)
        throw Error(ErrorKind::System, "device-mapper cannot report on " + name + ": " + errno_text(rc));
    info.exists = true;
    info.live_table = (io.flags & DM_ACTIVE_PRESENT_FLAG) != 0;
    info.inactive_table = (io.flags & DM_INACTIVE_PRESENT_FLAG) != 0;
    info.open_count = io.open_count;
    info.dev = static_cast<dev_t>(io.dev);
    info.uuid.assign(io.uuid, strnlen(io.uuid, sizeof(io.uuid)));
    return info;
}

void dm_remove_device(const std::string& name) {
    dm_ioctl io{};
    int rc = dm_ioctl_named(DM_DEV_REMOVE, name, io);
    if (rc == EBUSY)
        throw Error(ErrorKind::Busy, "the device-mapper device " + name + " is in use and cannot be removed",
                    "stop whatever holds it open (a mount, a process), then run the command again");
    if (rc != 0 && rc != ENXIO)
        throw Error(ErrorKind::Device, "device-mapper cannot remove " + name + ": " + errno_text(rc));
    // Without udev, nobody else removes the node libdevmapper made.
    const std::string node = "/dev/mapper/" + name;
    struct stat st {};
    if (::lstat(node.c_str(), &st) == 0 && S_ISBLK(st.st_mode)) ::unlink(node.c_str());
}

}  // namespace cvfs
