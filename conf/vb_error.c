#include "vb_error.h"

G_DEFINE_QUARK(vb-error-quark, vb_error)

typedef struct {
    VbErrorCode code;
    const char *prefix;   /* a printf format with exactly one %s */
} VbErrorFormat;

/* libvirt's wording for each code, so clients that match on message text keep working. */
static const VbErrorFormat error_formats[] = {
    { VB_ERR_INTERNAL_ERROR, "internal error: %s" },
    { VB_ERR_NO_SUPPORT, "this function is not supported by the connection driver: %s" },
    { VB_ERR_INVALID_ARG, "invalid argument: %s" },
    { VB_ERR_OPERATION_FAILED, "operation failed: %s" },
    { VB_ERR_OS_TYPE, "unknown OS type %s" },
    { VB_ERR_NO_NAME, "missing name information in %s" },
    { VB_ERR_XML_ERROR, "XML error: %s" },
    { VB_ERR_DOM_EXIST, "domain %s exists already" },
    { VB_ERR_OPERATION_DENIED, "operation forbidden: %s" },
    { VB_ERR_XML_DETAIL, "%s" },
    { VB_ERR_NETWORK_EXIST, "network %s exists already" },
    { VB_ERR_SYSTEM_ERROR, "%s" },
    { VB_ERR_NO_DOMAIN, "Domain not found: %s" },
    { VB_ERR_NO_NETWORK, "Network not found: %s" },
    { VB_ERR_INVALID_MAC, "invalid MAC address: %s" },
    { VB_ERR_NO_STORAGE_POOL, "Storage pool not found: %s" },
    { VB_ERR_NO_STORAGE_VOL, "Storage volume not found: %s" },
    { VB_ERR_NO_NODE_DEVICE, "Node device not found: %s" },
    { VB_ERR_OPERATION_INVALID, "Requested operation is not valid: %s" },
    { VB_ERR_NO_INTERFACE, "Interface not found: %s" },
    { VB_ERR_NO_NWFILTER, "Network filter not found: %s" },
    { VB_ERR_INVALID_SECRET, "Invalid secret: %s" },
    { VB_ERR_NO_SECRET, "Secret not found: %s" },
    { VB_ERR_CONFIG_UNSUPPORTED, "unsupported configuration: %s" },
    { VB_ERR_OPERATION_TIMEOUT, "Timed out during operation: %s" },
    { VB_ERR_NO_DOMAIN_SNAPSHOT, "Domain snapshot not found: %s" },
    { VB_ERR_ARGUMENT_UNSUPPORTED, "argument unsupported: %s" },
    { VB_ERR_STORAGE_POOL_BUILT, "Storage pool already built: %s" },
    { VB_ERR_SNAPSHOT_REVERT_RISKY, "revert requires force: %s" },
    { VB_ERR_NO_DOMAIN_METADATA, "metadata not found: %s" },
    { VB_ERR_OVERFLOW, "numerical overflow: %s" },
    { VB_ERR_BLOCK_COPY_ACTIVE, "block copy still active: %s" },
    { VB_ERR_OPERATION_UNSUPPORTED, "Operation not supported: %s" },
    { VB_ERR_AGENT_UNRESPONSIVE, "Guest agent is not responding: %s" },
    { VB_ERR_ACCESS_DENIED, "access denied: %s" },
    { VB_ERR_STORAGE_VOL_EXIST, "storage volume %s exists already" },
    { VB_ERR_CPU_INCOMPATIBLE, "the CPU is incompatible with host CPU: %s" },
    { VB_ERR_XML_INVALID_SCHEMA, "XML document failed to validate against schema: %s" },
    { VB_ERR_DEVICE_MISSING, "device not found: %s" },
    { VB_ERR_MULTIPLE_DOMAINS, "multiple matching domains found: %s" },
    { VB_ERR_INTERACTIVE_AUTH_REQUIRED, "interactive authentication required: %s" },
};

static const char *
error_prefix(VbErrorCode code)
{
    for (gsize i = 0; i < G_N_ELEMENTS(error_formats); i++) {
        if (error_formats[i].code == code)
            return error_formats[i].prefix;
    }
    return "%s";
}

void
vb_set_error(GError **error, VbErrorCode code, const char *fmt, ...)
{
    va_list args;
    g_autofree char *detail = NULL;

    va_start(args, fmt);
    detail = g_strdup_vprintf(fmt, args);
    va_end(args);

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    g_set_error(error, VB_ERROR, code, error_prefix(code), detail);
#pragma GCC diagnostic pop
}

gboolean
vb_check_flags(guint flags, guint allowed, const char *func, GError **error)
{
    if ((flags & ~allowed) == 0)
        return TRUE;
    vb_set_error(error, VB_ERR_INVALID_ARG, "unsupported flags (0x%x) in function %s",
                 flags & ~allowed, func);
    return FALSE;
}

void
vb_set_error_not_supported(GError **error, const char *api)
{
    vb_set_error(error, VB_ERR_NO_SUPPORT, "%s", api);
}
