// Device-mapper devices by name, asked and removed through the kernel's own
// interface (/dev/mapper/control ioctls), for the states libcryptsetup does
// not report: a device with no live table (only an inactive one, or none),
// left by an activation that died half way, or a device whose /dev/mapper
// node is missing. libcryptsetup calls such a device CRYPT_INVALID and cannot
// remove it. Callers hold a CryptLock (crypt_handle.h), as for any
// device-mapper work.
#pragma once

#include <sys/types.h>

#include <string>

namespace cvfs {

struct DmDeviceInfo {
    bool exists = false;
    bool live_table = false;      // a table is loaded and active
    bool inactive_table = false;  // a table is loaded but was never resumed
    int open_count = 0;
    dev_t dev = 0;
    std::string uuid;  // the dm UUID, e.g. CRYPT-LUKS2-<hex>-<name>
};

// What the kernel knows of the device-mapper device `name`. Throws System
// when /dev/mapper/control cannot be used.
DmDeviceInfo dm_device_info(const std::string& name);

// Removes the device-mapper device `name` (with any inactive table) and its
// /dev/mapper node if one was left. Throws Busy when it is open, Device when
// the kernel refuses.
void dm_remove_device(const std::string& name);

}  // namespace cvfs
