/* vb_error.h: the one error domain every layer raises; codes are libvirt's virErrorNumber */
#pragma once

#include <glib.h>

#define VB_ERROR (vb_error_quark())
GQuark vb_error_quark(void);

/* Values match libvirt's public virErrorNumber so logs and clients can compare. */
typedef enum {
    VB_ERR_INTERNAL_ERROR = 1,
    VB_ERR_NO_SUPPORT = 3,
    VB_ERR_INVALID_ARG = 8,
    VB_ERR_OPERATION_FAILED = 9,
    VB_ERR_OS_TYPE = 16,
    VB_ERR_NO_NAME = 21,
    VB_ERR_XML_ERROR = 27,
    VB_ERR_DOM_EXIST = 28,
    VB_ERR_OPERATION_DENIED = 29,
    VB_ERR_XML_DETAIL = 35,
    VB_ERR_NETWORK_EXIST = 37,
    VB_ERR_SYSTEM_ERROR = 38,
    VB_ERR_NO_DOMAIN = 42,
    VB_ERR_NO_NETWORK = 43,
    VB_ERR_INVALID_MAC = 44,
    VB_ERR_NO_STORAGE_POOL = 49,
    VB_ERR_NO_STORAGE_VOL = 50,
    VB_ERR_NO_NODE_DEVICE = 53,
    VB_ERR_OPERATION_INVALID = 55,
    VB_ERR_NO_INTERFACE = 57,
    VB_ERR_NO_NWFILTER = 62,
    VB_ERR_INVALID_SECRET = 65,
    VB_ERR_NO_SECRET = 66,
    VB_ERR_CONFIG_UNSUPPORTED = 67,
    VB_ERR_OPERATION_TIMEOUT = 68,
    VB_ERR_NO_DOMAIN_SNAPSHOT = 72,
    VB_ERR_ARGUMENT_UNSUPPORTED = 74,
    VB_ERR_STORAGE_POOL_BUILT = 76,
    VB_ERR_SNAPSHOT_REVERT_RISKY = 77,
    VB_ERR_NO_DOMAIN_METADATA = 80,
    VB_ERR_OVERFLOW = 82,
    VB_ERR_BLOCK_COPY_ACTIVE = 83,
    VB_ERR_OPERATION_UNSUPPORTED = 84,
    VB_ERR_AGENT_UNRESPONSIVE = 86,
    VB_ERR_ACCESS_DENIED = 88,
    VB_ERR_STORAGE_VOL_EXIST = 90,
    VB_ERR_CPU_INCOMPATIBLE = 91,
    VB_ERR_XML_INVALID_SCHEMA = 92,
    VB_ERR_DEVICE_MISSING = 99,
    VB_ERR_MULTIPLE_DOMAINS = 112,
    /* virtbus's own, outside libvirt's range */
    VB_ERR_INTERACTIVE_AUTH_REQUIRED = 1000,
} VbErrorCode;

/* Raise @code with libvirt's message prefix for that code ("Domain not found: ..."). */
void vb_set_error(GError **error, VbErrorCode code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* libvirt's "unsupported flags (0x%x) in function %s" check; TRUE when @flags ⊆ @allowed. */
gboolean vb_check_flags(guint flags, guint allowed, const char *func, GError **error);

/* "this function is not supported by the connection driver: @api" */
void vb_set_error_not_supported(GError **error, const char *api);
