/* cvfs plugin ABI v1: filesystem makers.
 *
 * A filesystem maker puts a new, empty filesystem (or swap area) on an opened
 * volume. The host decides when: only when libblkid finds the volume empty,
 * never over existing data. The host also mounts it, with the type the maker
 * declares and the options of the volume file.
 *
 * A temporary volume with integrity (dm-integrity) is new at every open and
 * is not wiped as a whole, so that opening it costs the same on any size:
 * only its first and last 8 MiB are written before make is called, and any
 * other sector that has not been written since reads as an I/O error. A maker
 * must therefore not read what it has not written (mkfs.ext4 with lazy inode
 * table and journal init, mkfs.xfs, mkfs.vfat and mkswap qualify), and the
 * filesystem it makes must not either.
 *
 * Threading: make may run for several volumes at once.
 */
#ifndef CVFS_FS_MAKER_H
#define CVFS_FS_MAKER_H

#include "cvfs/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cvfs_fs_maker_ops {
    uint32_t struct_size;

    /* The filesystem type for mount(2) ("ext4"), or NULL when the result is
     * not mounted (swap). Static, owned by the plugin. */
    const char *mount_type;

    /* Checks the maker's configuration (the volume's [fs] table). May be NULL. */
    cvfs_status (*check_config)(void *context, cvfs_call *call, cvfs_error *error);

    /* Makes the filesystem on the block device `device` (a mapping under
     * /dev/mapper). Blocks until it is done. */
    cvfs_status (*make)(void *context, cvfs_call *call, const char *device, cvfs_error *error);
} cvfs_fs_maker_ops;

#ifdef __cplusplus
}
#endif

#endif /* CVFS_FS_MAKER_H */
