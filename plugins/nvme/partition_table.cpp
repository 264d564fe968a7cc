// Partition tables through libblkid (see partition_table.h).
#include "partition_table.h"

#include <blkid/blkid.h>

#include <memory>

namespace cvfs_nvme {

namespace {
struct ProbeDeleter {
    void operator()(blkid_probe probe) const { blkid_free_probe(probe); }
};
}  // namespace

std::vector<PartitionEntry> read_partition_table(const std::string& disk) {
    std::vector<PartitionEntry> entries;
    std::unique_ptr<blkid_struct_probe, ProbeDeleter> probe(
        blkid_new_probe_from_filename(disk.c_str()));
    if (!probe) return entries;
    blkid_probe_enable_superblocks(probe.get(), 0);
    blkid_probe_enable_partitions(probe.get(), 1);
    blkid_partlist list = blkid_probe_get_partitions(probe.get());
    if (!list) return entries;
    int count = blkid_partlist_numof_partitions(list);
    for (int i = 0; i < count; ++i) {
        blkid_partition partition = blkid_partlist_get_partition(list, i);
        if (!partition) continue;
        PartitionEntry entry;
        int number = blkid_partition_get_partno(partition);
        if (number <= 0) continue;
        entry.number = static_cast<unsigned>(number);
        if (const char* uuid = blkid_partition_get_uuid(partition)) entry.uuid = uuid;
        if (const char* name = blkid_partition_get_name(partition)) entry.label = name;
        entries.push_back(std::move(entry));
    }
    return entries;
}

}  // namespace cvfs_nvme
