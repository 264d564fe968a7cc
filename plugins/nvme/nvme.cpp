// Device backend "nvme": a volume on a partition of an NVMe disk (or, when
// the volume file says so, a whole namespace or any block device).
//
// `dev` is a node (/dev/nvme1n1p1), a udev link (/dev/disk/by-id/...,
// by-partuuid, by-partlabel) or PARTUUID=... / PARTLABEL=...; device_name.cpp
// resolves it, also without udev. Before the host may format or map it,
// usage_checks.cpp refuses a device that is the wrong kind, too small, on the
// system disk, mounted, swap, held by another mapping or open elsewhere.
// A device that is not there yet (a late udev or driver) is waited for.
//
// Configuration, table [device] (all optional):
//
//   accept = "partition"  What `dev` may be: "partition" (of an NVMe
//                         namespace, the default), "namespace" (a whole NVMe
//                         namespace or a partition of one) or "any" (any
//                         block device).
//   wait = 10             How long attach waits for the device to appear:
//                         whole seconds, or a string with unit "s" or "m"
//                         ("30s", "2m"); 0 to 3600 s. Never beyond the
//                         volume's timeout.
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "block_sysfs.h"
#include "cvfs/plugin.hpp"
#include "device_name.h"
#include "partition_table.h"
#include "usage_checks.h"

namespace {

using cvfs::sdk::Call;
using cvfs::sdk::Config;
using cvfs::sdk::Error;
using namespace cvfs_nvme;

constexpr int64_t kDefaultWaitMs = 10'000;
constexpr int64_t kMaxWaitMs = 3'600'000;

[[noreturn]] void bad_wait(const Config& config, const cvfs_config_item& item) {
    throw Error(CVFS_E_INVALID_CONFIG,
                config.where(item) + "wait in [" + config.table() +
                    "] must be whole seconds from 0 to 3600, e.g. 30 or \"30s\" or \"2m\"");
}

int64_t wait_ms(const Config& config) {
    const cvfs_config_item* item = config.find("wait");
    if (!item) return kDefaultWaitMs;
    int64_t ms = -1;
    if (item->type == CVFS_VALUE_INTEGER) {
        if (item->integer >= 0 && item->integer <= kMaxWaitMs / 1000) ms = item->integer * 1000;
    } else if (item->type == CVFS_VALUE_STRING) {
        std::string text = item->string;
        size_t digits = text.find_first_not_of("0123456789");
        if (digits > 0 && digits != std::string::npos && digits <= 7 && digits + 1 == text.size()) {
            int64_t value = std::stoll(text.substr(0, digits));
            if (text.back() == 's') ms = value * 1000;
            if (text.back() == 'm') ms = value * 60'000;
        }
    }
    if (ms < 0 || ms > kMaxWaitMs) bad_wait(config, *item);
    return ms;
}

Accept accept_of(const Config& config) {
    auto text = config.string("accept");
    if (!text) return Accept::NvmePartition;
    if (auto accept = accept_from_string(*text)) return *accept;
    const cvfs_config_item& item = *config.find("accept");
    throw Error(CVFS_E_INVALID_CONFIG, config.where(item) + "accept = \"" + *text + "\" in [" +
                                           config.table() +
                                           "] must be \"partition\", \"namespace\" or \"any\"");
}

// "PARTUUID=... (/dev/nvme0n1p1)", or the node alone when `dev` is it.
std::string shown(const std::string& dev, const std::string& node) {
    return dev == node ? dev : dev + " (" + node + ")";
}

std::string partuuid_of(const SystemRoot& system, const BlockDevice& device) {
    if (!device.is_partition()) return "";
    for (const PartitionEntry& entry : read_partition_table(system.node_of(device.whole_disk())))
        if (entry.number == device.partition_number()) return entry.uuid;
    return "";
}

// The line `cvfs show` prints: what the device is, where, how big.
std::string describe(const SystemRoot& system, const std::string& name) {
    BlockDevice device(system, name);
    BlockDevice disk(system, device.whole_disk());
    std::string text;
    if (device.is_partition()) {
        text = "partition " + std::to_string(device.partition_number());
        std::string label = device.partition_label();
        if (!label.empty()) text += " \"" + label + "\"";
        std::string uuid = partuuid_of(system, device);
        if (!uuid.empty()) text += " (PARTUUID " + uuid + ")";
        text += " of ";
    }
    if (disk.is_nvme_namespace()) {
        text += "NVMe namespace " + disk.nvme_attribute("nsid") + " " + disk.name() + " (" +
                disk.nvme_attribute("model") + ", serial " + disk.nvme_attribute("serial") + ")";
    } else {
        text += "block device " + disk.name();
    }
    return text + ", " + human_size(device.size_bytes());
}

class Nvme {
public:
    explicit Nvme(const cvfs::sdk::Host&) {}

    void check_config(Call& call, const char* dev) {
        Config config = call.config();
        config.allow_only({"accept", "wait"});
        accept_of(config);
        wait_ms(config);
        try {
            check_device_spec(dev);
        } catch (const Error& e) {
            throw Error(e.status(), std::string(config.source()) + ": " + e.what());
        }
    }

    cvfs::sdk::DeviceInfo probe(Call& call, const char* dev) {
        check_config(call, dev);
        cvfs::sdk::DeviceInfo info;
        std::optional<std::string> name = resolve_device(system_, dev);
        if (!name) {
            info.detail = std::string("not present: no device is ") + dev + " now";
            return info;
        }
        info.present = true;
        info.node = system_.node_of(*name);
        info.header_path = info.node;
        info.size_bytes = BlockDevice(system_, *name).size_bytes();
        info.detail = (info.node == dev ? "" : info.node + ": ") + describe(system_, *name);
        return info;
    }

    std::string attach(Call& call, const char* dev, bool /*create: a partition is never created*/) {
        check_config(call, dev);
        Config config = call.config();
        std::string name = wait_for(call, dev, wait_ms(config));
        std::string node = system_.node_of(name);
        UsagePolicy policy{accept_of(config), std::string(call.volume()), shown(dev, node)};
        bool own = check_refusals(system_, name, policy);
        check_node_free(system_, name, policy, own);
        if (node != dev) call.log(CVFS_LOG_INFO, std::string(dev) + " is " + node);
        return node;
    }

    void detach(Call&, const char*, const char*) {}  // a disk stays as it is

private:
    // Resolves `dev`, polling until it appears, the wait ends or the call's
    // deadline passes.
    std::string wait_for(Call& call, const std::string& dev, int64_t wait) {
        using Clock = std::chrono::steady_clock;
        const auto start = Clock::now();
        bool told = false;
        for (;;) {
            if (auto name = resolve_device(system_, dev)) return *name;
            auto waited =
                std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
            if (waited >= wait)
                throw Error(
                    CVFS_E_NOT_FOUND,
                    "no device is " + dev +
                        (wait > 0 ? " after waiting " + std::to_string(wait / 1000) + " s"
                                  : std::string()) +
                        "; check `dev` (lsblk -o NAME,PARTUUID,PARTLABEL,MODEL,SERIAL lists "
                        "the disks), or raise wait in [device] for a slow disk");
            call.check_continue();
            if (!told) {
                call.log(CVFS_LOG_INFO,
                         "waiting up to " + std::to_string(wait / 1000) + " s for " + dev);
                told = true;
            }
            int64_t pause =
                std::min<int64_t>({100, wait - waited, std::max<int64_t>(call.remaining_ms(), 1)});
            std::this_thread::sleep_for(std::chrono::milliseconds(pause));
        }
    }

    SystemRoot system_;
};

}  // namespace

CVFS_DEVICE_BACKEND_PLUGIN(Nvme, "nvme", "0.1.0", "cvfs",
                           "Partition of an NVMe disk, found by a stable name")
