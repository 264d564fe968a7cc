/* cvfs plugin ABI v1: key providers.
 *
 * A key provider produces the secret that unlocks a volume's LUKS2 keyslot:
 * it generates one (one-time random), fetches one (a KMS, a secret service
 * after attestation), unseals one (a TPM) or asks a person for one. The host
 * decides what to do with it: format and enrol at init, unlock at open.
 *
 * Ownership: the host owns the output buffer (locked memory, wiped after use).
 * Threading: operations of one plugin may run on several threads at once, for
 * different volumes, unless the plugin leaves out CVFS_CAP_THREAD_SAFE; then
 * the host serialises its calls.
 */
#ifndef CVFS_KEY_PROVIDER_H
#define CVFS_KEY_PROVIDER_H

#include "cvfs/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Capabilities of a key provider (cvfs_plugin_descriptor.capabilities). */
#define CVFS_CAP_EPHEMERAL (1ull << 0)     /* a fresh key each open: the volume is temporary */
#define CVFS_CAP_HUMAN_SECRET (1ull << 1)  /* a person's passphrase: the host uses argon2id */
#define CVFS_CAP_NEEDS_NETWORK (1ull << 2) /* boot ordering: after the network is online */
#define CVFS_CAP_INTERACTIVE (1ull << 3)   /* may prompt on the terminal */
#define CVFS_CAP_THREAD_SAFE (1ull << 4)   /* get_key may run concurrently */

/* Why the host asks for a key. */
#define CVFS_KEY_PURPOSE_ENROL 1u  /* a new volume: make (or fetch) the secret to enrol */
#define CVFS_KEY_PURPOSE_UNLOCK 2u /* an existing volume: the secret enrolled before */

typedef struct cvfs_key_provider_ops {
    uint32_t struct_size;

    /* Checks the provider's configuration without touching the network or
     * hardware (used by `cvfs config check` and before every operation).
     * Returns CVFS_E_INVALID_CONFIG with a message naming the key and line.
     * May be NULL when the provider takes no configuration. */
    cvfs_status (*check_config)(void *context, cvfs_call *call, cvfs_error *error);

    /* Writes the volume's secret into `secret` (see cvfs_secret for the
     * too-small protocol). `purpose` is a CVFS_KEY_PURPOSE_*. The provider may
     * read and write its values in the volume's token (host services). */
    cvfs_status (*get_key)(void *context, cvfs_call *call, uint32_t purpose, cvfs_secret *secret,
                           cvfs_error *error);
} cvfs_key_provider_ops;

#ifdef __cplusplus
}
#endif

#endif /* CVFS_KEY_PROVIDER_H */
