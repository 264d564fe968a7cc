/* A key provider built only against the frozen v1.0 SDK headers
 * (sdk/abi/v1.0), in plain C, the way a vendor built it when v1.0 came out.
 * The current host must keep loading it: the ABI guard's second half (the
 * first is abi_v1_layout.c). It also declares CVFS_CAP_NEEDS_NETWORK, so the
 * generator test sees a provider that orders its volume after the network.
 *
 * Its key is the text of its `key` setting, so a test can enrol and open a
 * volume with it; it is a fixture, not a key provider anyone should use.
 */
#include <stdio.h>
#include <string.h>

#include "cvfs/key_provider.h"

static const cvfs_host_services *host;

static cvfs_status v1_init(const cvfs_host_services *services, void **context, cvfs_error *error) {
    (void)error;
    host = services;
    *context = NULL;
    return CVFS_OK;
}

/* The `key` item of the plugin's table, or NULL; refuses any other key. */
static const cvfs_config_item *key_item(cvfs_call *call, cvfs_error *error, cvfs_status *status) {
    const cvfs_config *config = host->config(call);
    const cvfs_config_item *found = NULL;
    *status = CVFS_OK;
    for (size_t i = 0; i < config->count; ++i) {
        const cvfs_config_item *item = &config->items[i];
        if (strcmp(item->key, "key") == 0 && item->type == CVFS_VALUE_STRING && item->string[0]) {
            found = item;
            continue;
        }
        snprintf(error->message, error->capacity, "%s:%u: '%s' in [%s] is not a key of this plugin%s",
                 config->source, item->line, item->key, config->table,
                 strcmp(item->key, "key") == 0 ? " (key must be a non-empty string)" : "");
        *status = CVFS_E_INVALID_CONFIG;
        return NULL;
    }
    if (!found) {
        snprintf(error->message, error->capacity, "%s: [%s] needs key = \"...\"", config->source,
                 config->table);
        *status = CVFS_E_INVALID_CONFIG;
    }
    return found;
}

static cvfs_status v1_check_config(void *context, cvfs_call *call, cvfs_error *error) {
    cvfs_status status;
    (void)context;
    key_item(call, error, &status);
    return status;
}

static cvfs_status v1_get_key(void *context, cvfs_call *call, uint32_t purpose, cvfs_secret *secret,
                              cvfs_error *error) {
    cvfs_status status;
    const cvfs_config_item *item = key_item(call, error, &status);
    (void)context, (void)purpose;
    if (!item) return status;
    secret->length = strlen(item->string);
    if (secret->capacity < secret->length) return CVFS_E_BUFFER_TOO_SMALL;
    memcpy(secret->data, item->string, secret->length);
    return CVFS_OK;
}

static const cvfs_key_provider_ops ops = {sizeof(cvfs_key_provider_ops), v1_check_config, v1_get_key};

static const cvfs_plugin_descriptor descriptor = {
    sizeof(cvfs_plugin_descriptor), CVFS_PLUGIN_MAGIC, CVFS_PLUGIN_ABI_MAJOR, CVFS_PLUGIN_ABI_MINOR,
    CVFS_KIND_KEY_PROVIDER, "abi-v1-0", "1.0.0", "cvfs tests",
    "key provider built with the frozen v1.0 headers", CVFS_CAP_NEEDS_NETWORK | CVFS_CAP_THREAD_SAFE,
    v1_init, NULL, &ops};

CVFS_PLUGIN_EXPORT const cvfs_plugin_descriptor *cvfs_plugin_entry_v1(uint32_t host_abi_version) {
    return (host_abi_version >> 16) == CVFS_PLUGIN_ABI_MAJOR ? &descriptor : NULL;
}
