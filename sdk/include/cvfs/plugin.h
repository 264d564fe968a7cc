/* cvfs plugin ABI v1: the part every plugin kind shares.
 *
 * A cvfs plugin is a shared object that exports exactly one function,
 * cvfs_plugin_entry_v1, bound to the ELF version node CVFS_PLUGIN_1 (the SDK's
 * version script and cvfs_add_plugin() do this). The host calls it once and
 * receives a static descriptor: who the plugin is, which ABI it speaks, and a
 * kind-specific table of operations (key_provider.h, device_backend.h,
 * fs_maker.h, rollback_counter.h).
 *
 * Conventions of this boundary (they hold in every SDK header):
 *  - Pure C. No C++ types, no exceptions, no longjmp cross it.
 *  - Every struct that may grow starts with `uint32_t struct_size`; fields are
 *    only ever appended. A reader uses the fields that both sides know.
 *  - Strings are UTF-8 and NUL-terminated. A `const char *` the host passes is
 *    owned by the host and valid until the call that received it returns,
 *    unless the field says otherwise.
 *  - Every operation returns a cvfs_status. On failure it may write a short
 *    human-readable message into the caller's cvfs_error buffer; the host adds
 *    which volume, plugin and file it was about.
 *  - Secrets cross only into host-owned cvfs_secret buffers (locked memory,
 *    wiped on release). A secret never goes into a log line or a message.
 *  - The host never unloads a plugin: pointers in the descriptor stay valid for
 *    the life of the process.
 */
#ifndef CVFS_PLUGIN_H
#define CVFS_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ABI version of these headers. Major changes break plugins and come with a
 * new entry symbol and version node; minor changes only append. */
#define CVFS_PLUGIN_ABI_MAJOR 1
#define CVFS_PLUGIN_ABI_MINOR 1 /* 1.1: the rollback counter kind */
#define CVFS_PLUGIN_ABI_VERSION ((uint32_t)((CVFS_PLUGIN_ABI_MAJOR << 16) | CVFS_PLUGIN_ABI_MINOR))

/* "CVFS" read as a little-endian 32-bit word; catches a pointer to garbage. */
#define CVFS_PLUGIN_MAGIC 0x53465643u

/* The one exported symbol and its ELF version node. */
#define CVFS_PLUGIN_ENTRY_SYMBOL "cvfs_plugin_entry_v1"
#define CVFS_PLUGIN_VERSION_NODE "CVFS_PLUGIN_1"

/* Marks the entry function for export (the SDK builds with hidden visibility). */
#if defined(__GNUC__)
#define CVFS_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define CVFS_PLUGIN_EXPORT
#endif

/* ---- Status codes. Values are fixed forever. ---------------------------- */
typedef int32_t cvfs_status;
#define CVFS_OK 0
#define CVFS_E_INVALID_ARGUMENT -1  /* the host passed something malformed */
#define CVFS_E_INVALID_CONFIG -2    /* the plugin's configuration is wrong */
#define CVFS_E_NOT_SUPPORTED -3     /* this plugin cannot do that */
#define CVFS_E_UNAVAILABLE -4       /* transient: network, device not there yet; retry may help */
#define CVFS_E_PERMISSION_DENIED -5 /* refused: wrong key, attestation refused, bad file mode */
#define CVFS_E_NOT_FOUND -6         /* the secret, device or file does not exist */
#define CVFS_E_BUFFER_TOO_SMALL -7  /* the out buffer is too small; the required size is set */
#define CVFS_E_CANCELLED -8         /* the host asked to stop (see is_cancelled) */
#define CVFS_E_DEADLINE_EXCEEDED -9 /* the call's deadline passed */
#define CVFS_E_INTERNAL -10         /* a bug or an unexpected failure */
#define CVFS_E_BUSY -11             /* the device or resource is in use */

/* ---- Plugin kinds. ------------------------------------------------------ */
#define CVFS_KIND_KEY_PROVIDER 1u
#define CVFS_KIND_DEVICE_BACKEND 2u
#define CVFS_KIND_FS_MAKER 3u
#define CVFS_KIND_ROLLBACK_COUNTER 4u /* since ABI 1.1 */

/* ---- Log levels for cvfs_host_services.log. ----------------------------- */
#define CVFS_LOG_ERROR 0
#define CVFS_LOG_WARNING 1
#define CVFS_LOG_INFO 2
#define CVFS_LOG_DEBUG 3

/* A caller-owned buffer for an error message. The plugin writes at most
 * `capacity` bytes including the terminating NUL, truncating if needed.
 * `message` may be NULL (capacity 0): then nothing is written. Messages must
 * never contain secret material. */
typedef struct cvfs_error {
    char *message;
    size_t capacity;
} cvfs_error;

/* A host-owned buffer for secret bytes, in locked memory that the host wipes
 * when it releases it. A plugin that produces a secret writes up to
 * `capacity` bytes into `data` and sets `length`. If the secret does not fit,
 * it sets `length` to the size it needs and returns CVFS_E_BUFFER_TOO_SMALL;
 * the host then calls again with a larger buffer. Plugins may also obtain
 * scratch buffers of their own through cvfs_host_services.secret_alloc. */
typedef struct cvfs_secret {
    uint8_t *data;
    size_t capacity;
    size_t length;
} cvfs_secret;

/* ---- Configuration handed to a plugin. ---------------------------------- */
#define CVFS_VALUE_STRING 1u
#define CVFS_VALUE_INTEGER 2u
#define CVFS_VALUE_BOOLEAN 3u

/* One key of the plugin's TOML table. Nested tables are flattened to dotted
 * keys ("kms.region"); arrays of strings become one item per element with the
 * same key, in order. `line` and `column` locate the value in `source` so a
 * plugin can point the operator at it. */
typedef struct cvfs_config_item {
    const char *key;
    uint32_t type;        /* CVFS_VALUE_* */
    const char *string;   /* CVFS_VALUE_STRING: the text; otherwise NULL */
    int64_t integer;      /* CVFS_VALUE_INTEGER, and BOOLEAN as 0 or 1 */
    uint32_t line;
    uint32_t column;
} cvfs_config_item;

/* The plugin's configuration: the items of its table in the volume file.
 * Owned by the host, valid during the call that received it. A plugin must
 * refuse keys it does not know with CVFS_E_INVALID_CONFIG, naming the key and
 * its line. */
typedef struct cvfs_config {
    uint32_t struct_size;
    const char *source;   /* the file the items come from */
    const char *table;    /* the table's name there, e.g. "encrypt.otp" */
    size_t count;
    const cvfs_config_item *items;
} cvfs_config;

/* ---- Per-call context and host services. -------------------------------- */

/* Opaque handle for one operation in progress (one volume, one call). It is
 * valid only until the operation that received it returns; do not keep it. */
typedef struct cvfs_call cvfs_call;

/* Services the host offers a plugin. The table is owned by the host and valid
 * from init until shutdown returns. All functions are thread-safe. Functions
 * that take a cvfs_call may only be given the call the plugin is serving. */
typedef struct cvfs_host_services {
    uint32_t struct_size;
    uint16_t abi_major;
    uint16_t abi_minor;
    const char *host_version; /* e.g. "0.1.0" */

    /* Writes one line to the host's log, attributed to the plugin and, when
     * `call` is not NULL, to the call's volume. Never pass secrets. */
    void (*log)(cvfs_call *call, int level, const char *message);

    /* Allocates `size` bytes of locked, zeroed memory into `out` (capacity is
     * set to `size`, length to 0). Returns CVFS_E_UNAVAILABLE when memory
     * cannot be locked. Release with secret_free, which wipes it. */
    cvfs_status (*secret_alloc)(size_t size, cvfs_secret *out);
    void (*secret_free)(cvfs_secret *secret);

    /* The configuration table of the plugin for this call. Never NULL. */
    const cvfs_config *(*config)(cvfs_call *call);

    /* Name of the volume the call is for ("data0"). */
    const char *(*volume_name)(cvfs_call *call);

    /* Non-zero when the host wants the call to stop (a signal, another
     * volume's failure in a batch); the plugin should then return
     * CVFS_E_CANCELLED soon. */
    int (*is_cancelled)(cvfs_call *call);

    /* Milliseconds left before the call's deadline; negative once it passed,
     * INT64_MAX when there is none. Blocking work should not outlive it. */
    int64_t (*remaining_ms)(cvfs_call *call);

    /* The volume's cvfs LUKS2 token keeps string values for the key provider
     * (sealed blobs, ids); values must be printable text (base64 for binary)
     * and are public: never store a secret in the clear. token_get copies the
     * value of `key` into `value` (NUL-terminated) and sets `*length` to its
     * length; CVFS_E_BUFFER_TOO_SMALL with `*length` set when it does not
     * fit, CVFS_E_NOT_FOUND when there is no such key or no token yet.
     * token_set stores a value; the host writes it to the header when the
     * operation succeeds. Both return CVFS_E_NOT_SUPPORTED outside key
     * provider calls. */
    cvfs_status (*token_get)(cvfs_call *call, const char *key, char *value, size_t capacity,
                             size_t *length);
    cvfs_status (*token_set)(cvfs_call *call, const char *key, const char *value);
} cvfs_host_services;

/* ---- The descriptor. ----------------------------------------------------- */

/* Static data returned by the entry function; owned by the plugin and valid
 * for the life of the process. */
typedef struct cvfs_plugin_descriptor {
    uint32_t struct_size;  /* sizeof(cvfs_plugin_descriptor) as the plugin knows it */
    uint32_t magic;        /* CVFS_PLUGIN_MAGIC */
    uint16_t abi_major;    /* CVFS_PLUGIN_ABI_MAJOR the plugin was built with */
    uint16_t abi_minor;    /* CVFS_PLUGIN_ABI_MINOR the plugin was built with */
    uint32_t kind;         /* CVFS_KIND_* */
    const char *name;      /* the name used in configuration: [a-z0-9_-]+ */
    const char *version;   /* the plugin's own version, free text */
    const char *vendor;
    const char *description;
    uint64_t capabilities; /* kind-specific CVFS_CAP_* bits */

    /* Called once, before any operation, from one thread. `host` stays valid
     * until shutdown returns. The plugin may store a context in `*context`;
     * the host passes it back to every operation and to shutdown. */
    cvfs_status (*init)(const cvfs_host_services *host, void **context, cvfs_error *error);

    /* Called once at exit if init succeeded; no call follows it. May be NULL. */
    void (*shutdown)(void *context);

    /* The kind's operations table (cvfs_key_provider_ops, ...), which begins
     * with its own struct_size. */
    const void *ops;
} cvfs_plugin_descriptor;

/* The entry function every plugin exports. `host_abi_version` is the host's
 * CVFS_PLUGIN_ABI_VERSION. It has no side effects and returns the plugin's
 * descriptor, or NULL if the plugin refuses to run with that host. */
typedef const cvfs_plugin_descriptor *(*cvfs_plugin_entry_fn)(uint32_t host_abi_version);

#ifdef __cplusplus
}
#endif

#endif /* CVFS_PLUGIN_H */
