// The rules that keep the nvme backend off a disk someone else uses.
//
// A device is refused when it is not the kind the volume accepts (an NVMe
// partition unless [device] accept says otherwise), smaller than a LUKS2
// volume needs, on the system disk (the disk holding /, /boot or the EFI
// partition), mounted, used as swap, held by another mapping or RAID (sysfs
// holders), open in another process, or opened exclusively (O_EXCL). The
// volume's own mapping is not "another": an idempotent open finds it there.
//
// check_refusals reads only sysfs and /proc under a SystemRoot, so fixtures
// can test it; check_node_free looks at the real node.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "block_sysfs.h"

namespace cvfs_nvme {

// What [device] accept allows.
enum class Accept { NvmePartition, NvmeNamespace, AnyBlockDevice };

// A LUKS2 header takes 16 MiB; one more MiB leaves room for data.
constexpr uint64_t kMinimumBytes = 17ull << 20;

struct UsagePolicy {
    Accept accept = Accept::NvmePartition;
    std::string volume;  // the volume's mapping name: its own holder is allowed
    std::string shown;   // how messages name the device: "PARTUUID=... (/dev/nvme0n1p1)"
};

// Throws cvfs::sdk::Error naming the rule and what to do when `name` must not
// be used. Returns true when the volume's own mapping already holds it.
bool check_refusals(const SystemRoot& system, const std::string& name, const UsagePolicy& policy);

// Checks the node of `name`: a block device with the number sysfs gives, and,
// unless `own_mapping` holds it, not opened exclusively by anyone (O_EXCL).
void check_node_free(const SystemRoot& system, const std::string& name, const UsagePolicy& policy,
                     bool own_mapping);

// Text of a [device] accept value, and back; nothing for an unknown value.
const char* to_string(Accept accept);
std::optional<Accept> accept_from_string(const std::string& text);

}  // namespace cvfs_nvme
