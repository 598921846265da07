/* secret_conf.h: libvirt's secret XML, parsed and formatted in pairs */
#pragma once

#include <glib.h>

#include "vb_uuid.h"
#include "vb_xml.h"

/* Values are libvirt's virSecretUsageType. */
typedef enum {
    VB_SECRET_USAGE_TYPE_NONE = 0,
    VB_SECRET_USAGE_TYPE_VOLUME = 1,
    VB_SECRET_USAGE_TYPE_CEPH = 2,
    VB_SECRET_USAGE_TYPE_ISCSI = 3,
    VB_SECRET_USAGE_TYPE_TLS = 4,
    VB_SECRET_USAGE_TYPE_VTPM = 5,
    VB_SECRET_USAGE_TYPE_LAST
} VbSecretUsageType;
VB_ENUM_DECL(vb_secret_usage_type);

typedef struct {
    gboolean ephemeral;
    gboolean private_;             /* "private" attribute */
    char uuid[VB_UUID_STRING_LEN];
    char *description;
    VbSecretUsageType usage_type;
    char *usage_id;                /* volume path, ceph/tls/vtpm name or iscsi target; NULL for none */
} VbSecretDef;

VbSecretDef *vb_secret_def_parse(const char *xml, guint flags, GError **error);
char *vb_secret_def_format(const VbSecretDef *def, guint flags);
void vb_secret_def_free(VbSecretDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbSecretDef, vb_secret_def_free)

/* What virSecretGetUsageID returns: the usage child's text, NULL for usage type none. */
const char *vb_secret_def_usage_id(const VbSecretDef *def);
