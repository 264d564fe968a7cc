/* cvfs plugin ABI v1.1: rollback counters.
 *
 * A rollback counter keeps, for one persistent volume, a number that only
 * ever goes up and that the host (whoever can rewrite the disk) cannot set
 * back: a TPM 2.0 NV counter index, or a count kept by a remote service after
 * attestation. The host keeps the volume's generation in its LUKS2 header,
 * authenticated with a key derived from the volume key, and compares the two
 * at each open: a header behind its counter is an old copy of the disk
 * (docs/rollback.md). A volume chooses its counter with
 * `[rollback] counter = "<name>"`; the other keys of that table are the
 * plugin's configuration (host services: config).
 *
 * The host decides when to call what:
 *  - create, once, at init (or when an operator enrols a counter with
 *    `cvfs open --accept-rollback`): a new counter for the volume, whose id
 *    the host keeps in the header and passes back to every later call;
 *  - read at each open, right after the volume key was checked;
 *  - increment at each open, after the header's new generation was written.
 * A counter is never set back: recovering from an accepted rollback brings
 * the header to the counter, not the counter to the header.
 *
 * Ownership: every string the host passes is owned by the host and valid
 * until the call returns; `id` buffers for output are the host's too.
 * Counter values are not secret; ids are public (they are stored in the
 * header in the clear) and must be printable ASCII without blanks.
 * Lifetime: a counter outlives the process; the plugin keeps nothing about
 * it between calls except what it can find again from its id.
 * Threading: the host calls one volume's counter from one thread at a time
 * (under the volume's lock), but calls for different volumes may run at once:
 * a plugin whose device cannot take that serialises its own calls.
 * Errors: CVFS_E_NOT_FOUND when the counter with this id does not exist (it
 * was deleted), CVFS_E_UNAVAILABLE when its keeper cannot be reached,
 * CVFS_E_PERMISSION_DENIED when the keeper refuses; always with a message for
 * the operator in `error` (the host adds the volume and the id).
 */
#ifndef CVFS_ROLLBACK_COUNTER_H
#define CVFS_ROLLBACK_COUNTER_H

#include "cvfs/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The longest id, NUL included, that the host accepts from create. */
#define CVFS_COUNTER_ID_MAX 128u

typedef struct cvfs_rollback_counter_ops {
    uint32_t struct_size;

    /* Checks the plugin's configuration (the [rollback] table, `counter`
     * left out) without touching the keeper. May be NULL. */
    cvfs_status (*check_config)(void *context, cvfs_call *call, cvfs_error *error);

    /* Makes a new counter for the call's volume and gives it a value the
     * next read returns (a TPM NV counter has none until its first
     * increment). Writes its id (NUL-terminated, at most `id_capacity`
     * bytes, CVFS_E_BUFFER_TOO_SMALL otherwise) and its value. */
    cvfs_status (*create)(void *context, cvfs_call *call, char *id, size_t id_capacity, uint64_t *value,
                          cvfs_error *error);

    /* The current value of counter `id`. */
    cvfs_status (*read)(void *context, cvfs_call *call, const char *id, uint64_t *value, cvfs_error *error);

    /* Adds one to counter `id` and writes the value it now has. */
    cvfs_status (*increment)(void *context, cvfs_call *call, const char *id, uint64_t *value,
                             cvfs_error *error);
} cvfs_rollback_counter_ops;

#ifdef __cplusplus
}
#endif

#endif /* CVFS_ROLLBACK_COUNTER_H */
