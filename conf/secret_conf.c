/* secret_conf.c: secret XML (libvirt's formatsecret) */
#include "secret_conf.h"

VB_ENUM_IMPL(vb_secret_usage_type, VB_SECRET_USAGE_TYPE_LAST,
             "none", "volume", "ceph", "iscsi", "tls", "vtpm");

/* The child of <usage> that carries the usage id, and libvirt's message when it is missing. */
typedef struct {
    const char *element;
    const char *missing;
} SecretUsageInfo;

static const SecretUsageInfo usage_info[VB_SECRET_USAGE_TYPE_LAST] = {
    [VB_SECRET_USAGE_TYPE_NONE] = { NULL, NULL },
    [VB_SECRET_USAGE_TYPE_VOLUME] = { "volume", "volume usage specified, but volume path is missing" },
    [VB_SECRET_USAGE_TYPE_CEPH] = { "name", "Ceph usage specified, but name is missing" },
    [VB_SECRET_USAGE_TYPE_ISCSI] = { "target", "iSCSI usage specified, but target is missing" },
    [VB_SECRET_USAGE_TYPE_TLS] = { "name", "TLS usage specified, but name is missing" },
    [VB_SECRET_USAGE_TYPE_VTPM] = { "name", "vTPM usage specified, but name is missing" },
};

void
vb_secret_def_free(VbSecretDef *def)
{
    if (!def)
        return;
    g_free(def->description);
    g_free(def->usage_id);
    g_free(def);
}

const char *
vb_secret_def_usage_id(const VbSecretDef *def)
{
    return def->usage_type == VB_SECRET_USAGE_TYPE_NONE ? NULL : def->usage_id;
}

static gboolean
secret_parse_usage_type(xmlNodePtr usage, VbSecretDef *def, GError **error)
{
    g_autofree char *type = vb_xml_prop(usage, "type");
    int value;

    if (!type) {
        vb_set_error(error, VB_ERR_XML_ERROR, "unknown secret usage type");
        return FALSE;
    }
    value = vb_secret_usage_type_from_string(type);
    if (value < 0) {
        vb_set_error(error, VB_ERR_XML_ERROR, "unknown secret usage type %s", type);
        return FALSE;
    }
    def->usage_type = value;
    return TRUE;
}

static gboolean
secret_parse_usage(xmlNodePtr root, VbSecretDef *def, GError **error)
{
    xmlNodePtr usage = vb_xml_child(root, "usage");
    const SecretUsageInfo *info;

    if (!usage)
        return TRUE;
    if (!secret_parse_usage_type(usage, def, error))
        return FALSE;
    info = &usage_info[def->usage_type];
    if (!info->element)
        return TRUE;
    def->usage_id = vb_xml_child_content(usage, info->element);
    if (!def->usage_id || !*def->usage_id) {
        vb_set_error(error, VB_ERR_XML_ERROR, "%s", info->missing);
        return FALSE;
    }
    return TRUE;
}

static gboolean
secret_parse_flags(xmlNodePtr root, VbSecretDef *def, GError **error)
{
    VbTristate ephemeral = VB_TRISTATE_ABSENT;
    VbTristate private_ = VB_TRISTATE_ABSENT;

    if (!vb_xml_prop_tristate(root, "ephemeral", "yes", "no", &ephemeral, error) ||
        !vb_xml_prop_tristate(root, "private", "yes", "no", &private_, error))
        return FALSE;
    def->ephemeral = ephemeral == VB_TRISTATE_YES;
    def->private_ = private_ == VB_TRISTATE_YES;
    return TRUE;
}

static gboolean
secret_parse_uuid(xmlNodePtr root, VbSecretDef *def, GError **error)
{
    g_autofree char *uuid = vb_xml_child_content(root, "uuid");

    if (!uuid) {
        vb_uuid_generate(def->uuid);
        return TRUE;
    }
    if (!vb_uuid_parse(g_strstrip(uuid), def->uuid)) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "malformed uuid element");
        return FALSE;
    }
    return TRUE;
}

VbSecretDef *
vb_secret_def_parse(const char *xml, guint flags, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(VbSecretDef) def = NULL;
    xmlNodePtr root;

    if (!vb_check_flags(flags, 0, "vb_secret_def_parse", error) ||
        !(doc = vb_xml_parse(xml, "secret", error)))
        return NULL;
    root = xmlDocGetRootElement(doc);
    def = g_new0(VbSecretDef, 1);
    if (!secret_parse_flags(root, def, error) ||
        !secret_parse_uuid(root, def, error) ||
        !secret_parse_usage(root, def, error))
        return NULL;
    def->description = vb_xml_child_content(root, "description");
    return g_steal_pointer(&def);
}

static void
secret_format_usage(VbBuf *buf, const VbSecretDef *def)
{
    const SecretUsageInfo *info = &usage_info[def->usage_type];
    g_auto(VbBuf) attrs = { 0 };
    g_auto(VbBuf) children = { 0 };
    g_autofree char *fmt = NULL;

    if (!info->element)
        return;
    vb_buf_init(&attrs, 0);
    vb_buf_init(&children, 0);
    vb_buf_add(&attrs, " type='%s'", vb_secret_usage_type_to_string(def->usage_type));
    fmt = g_strdup_printf("<%s>%%s</%s>\n", info->element, info->element);
    vb_buf_escape(&children, fmt, def->usage_id);
    vb_buf_element(buf, "usage", &attrs, &children);
}

char *
vb_secret_def_format(const VbSecretDef *def, guint flags)
{
    g_auto(VbBuf) buf = { 0 };
    g_auto(VbBuf) attrs = { 0 };
    g_auto(VbBuf) children = { 0 };

    vb_buf_init(&buf, 0);
    vb_buf_init(&attrs, 0);
    vb_buf_init(&children, 0);
    vb_buf_add(&attrs, " ephemeral='%s' private='%s'", def->ephemeral ? "yes" : "no",
               def->private_ ? "yes" : "no");
    vb_buf_add(&children, "<uuid>%s</uuid>\n", def->uuid);
    vb_buf_escape(&children, "<description>%s</description>\n", def->description);
    secret_format_usage(&children, def);
    vb_buf_element(&buf, "secret", &attrs, &children);
    return vb_buf_steal(&buf);
}
