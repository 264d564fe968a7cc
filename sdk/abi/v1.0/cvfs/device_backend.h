/* cvfs plugin ABI v1: device backends.
 *
 * A device backend turns the `dev` of a volume file into a block device node
 * the host can format and map: a block file attached to a loop device, an
 * NVMe partition found by a stable name, and so on. It also tells whether the
 * device is there at all, for `cvfs show`.
 *
 * Ownership: all strings the host passes are valid during the call; output
 * strings go into host buffers (NUL-terminated, CVFS_E_BUFFER_TOO_SMALL when
 * they do not fit). Threading: calls for different volumes may run at once.
 */
#ifndef CVFS_DEVICE_BACKEND_H
#define CVFS_DEVICE_BACKEND_H

#include "cvfs/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What probe learns about a device without changing anything. The host sets
 * struct_size and the buffers; the plugin fills the rest. */
typedef struct cvfs_device_info {
    uint32_t struct_size;
    uint32_t present;       /* non-zero when the device (or block file) exists */
    uint64_t size_bytes;    /* 0 when unknown */
    char *node;             /* out: the block device node when one exists now, else "" */
    size_t node_capacity;
    char *header_path;      /* out: a path the LUKS2 header can be read from, else "" */
    size_t header_path_capacity;
    char *detail;           /* out: one line for `cvfs show` (model, serial, backing file) */
    size_t detail_capacity;
} cvfs_device_info;

typedef struct cvfs_device_backend_ops {
    uint32_t struct_size;

    /* Checks the backend's configuration (the volume's [device] table) without
     * changing anything. May be NULL when it takes none. */
    cvfs_status (*check_config)(void *context, cvfs_call *call, const char *dev,
                                cvfs_error *error);

    /* Looks at `dev` and fills `info`. A missing device is not an error:
     * it returns CVFS_OK with present = 0. */
    cvfs_status (*probe)(void *context, cvfs_call *call, const char *dev, cvfs_device_info *info,
                         cvfs_error *error);

    /* Makes `dev` usable as a block device (create a sparse file, attach a
     * loop device, wait for a late device) and writes its node into `node`.
     * Idempotent: a device already attached for `dev` is returned as is.
     * `create` is non-zero when the host is initialising a new volume and
     * the backend may create what is missing. */
    cvfs_status (*attach)(void *context, cvfs_call *call, const char *dev, uint32_t create,
                          char *node, size_t node_capacity, cvfs_error *error);

    /* Undoes attach for `node` once the host no longer uses it. Idempotent.
     * May be NULL when there is nothing to undo (a real disk). */
    cvfs_status (*detach)(void *context, cvfs_call *call, const char *dev, const char *node,
                          cvfs_error *error);
} cvfs_device_backend_ops;

#ifdef __cplusplus
}
#endif

#endif /* CVFS_DEVICE_BACKEND_H */
