/* The plugin ABI v1, frozen: sizes, alignments and field offsets of every v1
 * struct, and the values of every v1 constant, as released in v1.0 (x86-64
 * and other LP64 targets). Built twice, against the SDK's headers and against
 * the frozen copy of the v1.0 headers in sdk/abi/v1.0; both must match this
 * table. A failure means a header changed the ABI that built plugins rely on:
 * fields may only be appended (then add them here), never moved or resized.
 * What a later minor added is checked only against headers of that minor.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cvfs/device_backend.h"
#include "cvfs/fs_maker.h"
#include "cvfs/key_provider.h"
#include "cvfs/plugin.h"
#if CVFS_PLUGIN_ABI_MINOR >= 1
#include "cvfs/rollback_counter.h"
#endif

static int failures = 0;
static int checks = 0;

static void expect(const char *what, unsigned long long got, unsigned long long want) {
    ++checks;
    if (got == want) return;
    ++failures;
    fprintf(stderr, "ABI v1 broken: %s is %llu, v1.0 has %llu\n", what, got, want);
}

#define STRUCT(t, size, align)                                          \
    do {                                                                \
        expect("sizeof(" #t ")", sizeof(t), size);                      \
        expect("alignof(" #t ")", _Alignof(t), align);                  \
    } while (0)
#define FIELD(t, f, offset, size)                                       \
    do {                                                                \
        expect("offsetof(" #t ", " #f ")", offsetof(t, f), offset);     \
        expect("sizeof(" #t "." #f ")", sizeof(((t *)0)->f), size);     \
    } while (0)
#define CONST(name, value) expect(#name, (unsigned long long)(name), (unsigned long long)(value))

static void check_layouts(void) {
    STRUCT(cvfs_error, 16, 8);
    FIELD(cvfs_error, message, 0, 8);
    FIELD(cvfs_error, capacity, 8, 8);
    STRUCT(cvfs_secret, 24, 8);
    FIELD(cvfs_secret, data, 0, 8);
    FIELD(cvfs_secret, capacity, 8, 8);
    FIELD(cvfs_secret, length, 16, 8);
    STRUCT(cvfs_config_item, 40, 8);
    FIELD(cvfs_config_item, key, 0, 8);
    FIELD(cvfs_config_item, type, 8, 4);
    FIELD(cvfs_config_item, string, 16, 8);
    FIELD(cvfs_config_item, integer, 24, 8);
    FIELD(cvfs_config_item, line, 32, 4);
    FIELD(cvfs_config_item, column, 36, 4);
    STRUCT(cvfs_config, 40, 8);
    FIELD(cvfs_config, struct_size, 0, 4);
    FIELD(cvfs_config, source, 8, 8);
    FIELD(cvfs_config, table, 16, 8);
    FIELD(cvfs_config, count, 24, 8);
    FIELD(cvfs_config, items, 32, 8);
    STRUCT(cvfs_host_services, 88, 8);
    FIELD(cvfs_host_services, struct_size, 0, 4);
    FIELD(cvfs_host_services, abi_major, 4, 2);
    FIELD(cvfs_host_services, abi_minor, 6, 2);
    FIELD(cvfs_host_services, host_version, 8, 8);
    FIELD(cvfs_host_services, log, 16, 8);
    FIELD(cvfs_host_services, secret_alloc, 24, 8);
    FIELD(cvfs_host_services, secret_free, 32, 8);
    FIELD(cvfs_host_services, config, 40, 8);
    FIELD(cvfs_host_services, volume_name, 48, 8);
    FIELD(cvfs_host_services, is_cancelled, 56, 8);
    FIELD(cvfs_host_services, remaining_ms, 64, 8);
    FIELD(cvfs_host_services, token_get, 72, 8);
    FIELD(cvfs_host_services, token_set, 80, 8);
    STRUCT(cvfs_plugin_descriptor, 80, 8);
    FIELD(cvfs_plugin_descriptor, struct_size, 0, 4);
    FIELD(cvfs_plugin_descriptor, magic, 4, 4);
    FIELD(cvfs_plugin_descriptor, abi_major, 8, 2);
    FIELD(cvfs_plugin_descriptor, abi_minor, 10, 2);
    FIELD(cvfs_plugin_descriptor, kind, 12, 4);
    FIELD(cvfs_plugin_descriptor, name, 16, 8);
    FIELD(cvfs_plugin_descriptor, version, 24, 8);
    FIELD(cvfs_plugin_descriptor, vendor, 32, 8);
    FIELD(cvfs_plugin_descriptor, description, 40, 8);
    FIELD(cvfs_plugin_descriptor, capabilities, 48, 8);
    FIELD(cvfs_plugin_descriptor, init, 56, 8);
    FIELD(cvfs_plugin_descriptor, shutdown, 64, 8);
    FIELD(cvfs_plugin_descriptor, ops, 72, 8);
    STRUCT(cvfs_key_provider_ops, 24, 8);
    FIELD(cvfs_key_provider_ops, struct_size, 0, 4);
    FIELD(cvfs_key_provider_ops, check_config, 8, 8);
    FIELD(cvfs_key_provider_ops, get_key, 16, 8);
    STRUCT(cvfs_device_info, 64, 8);
    FIELD(cvfs_device_info, struct_size, 0, 4);
    FIELD(cvfs_device_info, present, 4, 4);
    FIELD(cvfs_device_info, size_bytes, 8, 8);
    FIELD(cvfs_device_info, node, 16, 8);
    FIELD(cvfs_device_info, node_capacity, 24, 8);
    FIELD(cvfs_device_info, header_path, 32, 8);
    FIELD(cvfs_device_info, header_path_capacity, 40, 8);
    FIELD(cvfs_device_info, detail, 48, 8);
    FIELD(cvfs_device_info, detail_capacity, 56, 8);
    STRUCT(cvfs_device_backend_ops, 40, 8);
    FIELD(cvfs_device_backend_ops, struct_size, 0, 4);
    FIELD(cvfs_device_backend_ops, check_config, 8, 8);
    FIELD(cvfs_device_backend_ops, probe, 16, 8);
    FIELD(cvfs_device_backend_ops, attach, 24, 8);
    FIELD(cvfs_device_backend_ops, detach, 32, 8);
    STRUCT(cvfs_fs_maker_ops, 32, 8);
    FIELD(cvfs_fs_maker_ops, struct_size, 0, 4);
    FIELD(cvfs_fs_maker_ops, mount_type, 8, 8);
    FIELD(cvfs_fs_maker_ops, check_config, 16, 8);
    FIELD(cvfs_fs_maker_ops, make, 24, 8);
#if CVFS_PLUGIN_ABI_MINOR >= 1
    /* 1.1: the rollback counter kind. */
    STRUCT(cvfs_rollback_counter_ops, 40, 8);
    FIELD(cvfs_rollback_counter_ops, struct_size, 0, 4);
    FIELD(cvfs_rollback_counter_ops, check_config, 8, 8);
    FIELD(cvfs_rollback_counter_ops, create, 16, 8);
    FIELD(cvfs_rollback_counter_ops, read, 24, 8);
    FIELD(cvfs_rollback_counter_ops, increment, 32, 8);
#endif
}

static void check_constants(void) {
    CONST(CVFS_PLUGIN_ABI_MAJOR, 1);
    CONST(CVFS_PLUGIN_MAGIC, 0x53465643u);
    CONST(CVFS_OK, 0);
    CONST(CVFS_E_INVALID_ARGUMENT, -1);
    CONST(CVFS_E_INVALID_CONFIG, -2);
    CONST(CVFS_E_NOT_SUPPORTED, -3);
    CONST(CVFS_E_UNAVAILABLE, -4);
    CONST(CVFS_E_PERMISSION_DENIED, -5);
    CONST(CVFS_E_NOT_FOUND, -6);
    CONST(CVFS_E_BUFFER_TOO_SMALL, -7);
    CONST(CVFS_E_CANCELLED, -8);
    CONST(CVFS_E_DEADLINE_EXCEEDED, -9);
    CONST(CVFS_E_INTERNAL, -10);
    CONST(CVFS_E_BUSY, -11);
    CONST(CVFS_KIND_KEY_PROVIDER, 1);
    CONST(CVFS_KIND_DEVICE_BACKEND, 2);
    CONST(CVFS_KIND_FS_MAKER, 3);
#if CVFS_PLUGIN_ABI_MINOR >= 1
    CONST(CVFS_KIND_ROLLBACK_COUNTER, 4);
    CONST(CVFS_COUNTER_ID_MAX, 128);
#endif
    CONST(CVFS_LOG_ERROR, 0);
    CONST(CVFS_LOG_WARNING, 1);
    CONST(CVFS_LOG_INFO, 2);
    CONST(CVFS_LOG_DEBUG, 3);
    CONST(CVFS_VALUE_STRING, 1);
    CONST(CVFS_VALUE_INTEGER, 2);
    CONST(CVFS_VALUE_BOOLEAN, 3);
    CONST(CVFS_CAP_EPHEMERAL, 1ull << 0);
    CONST(CVFS_CAP_HUMAN_SECRET, 1ull << 1);
    CONST(CVFS_CAP_NEEDS_NETWORK, 1ull << 2);
    CONST(CVFS_CAP_INTERACTIVE, 1ull << 3);
    CONST(CVFS_CAP_THREAD_SAFE, 1ull << 4);
    CONST(CVFS_KEY_PURPOSE_ENROL, 1);
    CONST(CVFS_KEY_PURPOSE_UNLOCK, 2);
    expect("CVFS_PLUGIN_ENTRY_SYMBOL is \"cvfs_plugin_entry_v1\"",
           strcmp(CVFS_PLUGIN_ENTRY_SYMBOL, "cvfs_plugin_entry_v1") == 0, 1);
    expect("CVFS_PLUGIN_VERSION_NODE is \"CVFS_PLUGIN_1\"",
           strcmp(CVFS_PLUGIN_VERSION_NODE, "CVFS_PLUGIN_1") == 0, 1);
}

int main(void) {
    check_layouts();
    check_constants();
    printf("%d ABI v1 checks, %d failed (minor version of these headers: %d)\n", checks, failures,
           CVFS_PLUGIN_ABI_MINOR);
    return failures == 0 ? 0 : 1;
}
