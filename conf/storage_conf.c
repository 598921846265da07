/* storage_conf.c: storage pool and volume XML (libvirt's formatstorage) */
#include "storage_conf.h"

#include <string.h>

VB_ENUM_IMPL(vb_storage_pool_type, VB_STORAGE_POOL_LAST,
             "dir", "fs", "netfs", "logical", "disk", "iscsi", "iscsi-direct", "scsi", "mpath",
             "rbd", "sheepdog", "gluster", "zfs", "vstorage");
VB_ENUM_IMPL(vb_storage_adapter_type, VB_STORAGE_ADAPTER_LAST, "none", "scsi_host", "fc_host");
VB_ENUM_IMPL(vb_storage_auth_type, VB_STORAGE_AUTH_LAST, "none", "chap", "ceph");
VB_ENUM_IMPL(vb_storage_vol_type, VB_STORAGE_VOL_LAST,
             "file", "block", "dir", "network", "netdir", "ploop");
VB_ENUM_IMPL(vb_storage_file_format, VB_STORAGE_FILE_LAST,
             "none", "raw", "dir", "bochs", "cloop", "dmg", "iso", "vpc", "vdi", "fat", "vhd",
             "ploop", "cow", "qcow", "qcow2", "qed", "vmdk");
VB_ENUM_IMPL(vb_storage_part_format, VB_STORAGE_PART_LAST,
             "none", "linux", "fat16", "fat32", "linux-swap", "linux-lvm", "linux-raid", "extended");

/* What each pool type takes in <source> (libvirt's per-backend poolOptions). */
enum {
    SRC_HOST = 1 << 0,
    SRC_DEVICE = 1 << 1,
    SRC_DIR = 1 << 2,
    SRC_ADAPTER = 1 << 3,
    SRC_NAME = 1 << 4,
    SRC_NETWORK = 1 << 5,       /* no local target path */
};

static const char *const fs_formats[] = {
    "auto", "ext2", "ext3", "ext4", "ufs", "iso9660", "udf", "gfs", "gfs2", "vfat", "hfs+",
    "xfs", "ocfs2", "vmfs", NULL
};
static const char *const netfs_formats[] = { "auto", "nfs", "glusterfs", "cifs", NULL };
static const char *const disk_formats[] = {
    "unknown", "dos", "dvh", "gpt", "mac", "bsd", "pc98", "sun", "lvm2", NULL
};
static const char *const logical_formats[] = { "unknown", "lvm2", NULL };

typedef struct {
    guint flags;
    const char *const *formats;   /* NULL when the type has no source format */
    const char *default_format;
} PoolTypeInfo;

static const PoolTypeInfo pool_types[VB_STORAGE_POOL_LAST] = {
    [VB_STORAGE_POOL_DIR] = { 0, NULL, NULL },
    [VB_STORAGE_POOL_FS] = { SRC_DEVICE, fs_formats, "auto" },
    [VB_STORAGE_POOL_NETFS] = { SRC_HOST | SRC_DIR, netfs_formats, "auto" },
    [VB_STORAGE_POOL_LOGICAL] = { SRC_NAME | SRC_DEVICE, logical_formats, "lvm2" },
    [VB_STORAGE_POOL_DISK] = { SRC_DEVICE, disk_formats, "unknown" },
    [VB_STORAGE_POOL_ISCSI] = { SRC_HOST | SRC_DEVICE, NULL, NULL },
    [VB_STORAGE_POOL_ISCSI_DIRECT] = { SRC_HOST | SRC_DEVICE | SRC_NETWORK, NULL, NULL },
    [VB_STORAGE_POOL_SCSI] = { SRC_ADAPTER, NULL, NULL },
    [VB_STORAGE_POOL_MPATH] = { 0, NULL, NULL },
    [VB_STORAGE_POOL_RBD] = { SRC_HOST | SRC_NAME | SRC_NETWORK, NULL, NULL },
    [VB_STORAGE_POOL_SHEEPDOG] = { SRC_HOST | SRC_NAME | SRC_NETWORK, NULL, NULL },
    [VB_STORAGE_POOL_GLUSTER] = { SRC_HOST | SRC_NAME | SRC_NETWORK, NULL, NULL },
    [VB_STORAGE_POOL_ZFS] = { SRC_NAME | SRC_DEVICE, NULL, NULL },
    [VB_STORAGE_POOL_VSTORAGE] = { SRC_NAME, NULL, NULL },
};

/* ---- shared pieces: sizes, permissions, paths ---- */

/* <capacity unit='GiB'>2</capacity> in bytes; a missing unit means bytes. */
static gboolean
storage_parse_size(xmlNodePtr node, guint64 *out, GError **error)
{
    g_autofree char *unit = vb_xml_prop(node, "unit");
    guint64 value, dummy;

    if (!vb_xml_content_ull(node, &value, error))
        return FALSE;
    if (!unit)
        unit = g_strdup("bytes");
    if (!vb_scale_to_bytes(unit, 0, &dummy)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "unknown suffix '%s'", unit);
        return FALSE;
    }
    if (!vb_scale_to_bytes(unit, value, out)) {
        vb_set_error(error, VB_ERR_OVERFLOW, "value too large: %" G_GUINT64_FORMAT "%s", value, unit);
        return FALSE;
    }
    return TRUE;
}

static void
storage_format_size(VbBuf *buf, const char *name, guint64 value)
{
    vb_buf_add(buf, "<%s unit='bytes'>%" G_GUINT64_FORMAT "</%s>\n", name, value, name);
}

static void
storage_perms_init(VbStoragePerms *perms)
{
    perms->mode = -1;
    perms->owner = -1;
    perms->group = -1;
}

static gboolean
storage_parse_perm_id(xmlNodePtr perms, const char *name, gint64 *out, GError **error)
{
    g_autofree char *text = vb_xml_child_content(perms, name);
    char *end = NULL;
    gint64 value;

    if (!text)
        return TRUE;
    g_strstrip(text);
    value = g_ascii_strtoll(text, &end, 10);
    if (!*text || *end || value < -1 || value > G_MAXUINT32) {
        vb_set_error(error, VB_ERR_XML_ERROR, "malformed %s element '%s'", name, text);
        return FALSE;
    }
    *out = value;
    return TRUE;
}

static gboolean
storage_parse_perm_mode(xmlNodePtr perms, int *out, GError **error)
{
    g_autofree char *text = vb_xml_child_content(perms, "mode");
    char *end = NULL;
    guint64 value;

    if (!text)
        return TRUE;
    g_strstrip(text);
    value = g_ascii_strtoull(text, &end, 8);
    if (!g_ascii_isdigit(*text) || *end || value > 0777) {
        vb_set_error(error, VB_ERR_XML_ERROR, "malformed octal mode '%s'", text);
        return FALSE;
    }
    *out = (int)value;
    return TRUE;
}

/* The <permissions> child of @parent (a <target> or <backingStore>). */
static gboolean
storage_parse_perms(xmlNodePtr parent, VbStoragePerms *perms, GError **error)
{
    xmlNodePtr node = vb_xml_child(parent, "permissions");

    if (!node)
        return TRUE;
    if (!storage_parse_perm_mode(node, &perms->mode, error) ||
        !storage_parse_perm_id(node, "owner", &perms->owner, error) ||
        !storage_parse_perm_id(node, "group", &perms->group, error))
        return FALSE;
    perms->label = vb_xml_child_content(node, "label");
    return TRUE;
}

static void
storage_format_perms(VbBuf *buf, const VbStoragePerms *perms)
{
    g_auto(VbBuf) children = { 0 };

    vb_buf_init(&children, 0);
    if (perms->mode >= 0)
        vb_buf_add(&children, "<mode>%04o</mode>\n", (guint)perms->mode);
    if (perms->owner >= 0)
        vb_buf_add(&children, "<owner>%" G_GINT64_FORMAT "</owner>\n", perms->owner);
    if (perms->group >= 0)
        vb_buf_add(&children, "<group>%" G_GINT64_FORMAT "</group>\n", perms->group);
    vb_buf_escape(&children, "<label>%s</label>\n", perms->label);
    vb_buf_element(buf, "permissions", NULL, &children);
}

/* libvirt's virFileSanitizePath: no repeated '/' and no trailing '/'. */
static char *
storage_sanitize_path(const char *path)
{
    GString *out = g_string_sized_new(strlen(path));

    for (const char *p = path; *p; p++) {
        if (*p == '/' && out->len > 0 && out->str[out->len - 1] == '/')
            continue;
        g_string_append_c(out, *p);
    }
    /* a trailing slash may have hidden blanks before it ("a \n/"): drop both, to a fixed point */
    while (out->len > 1 && (out->str[out->len - 1] == '/' || g_ascii_isspace(out->str[out->len - 1])))
        g_string_truncate(out, out->len - 1);
    return g_string_free(out, FALSE);
}

static gboolean
storage_parse_uuid(xmlNodePtr root, char uuid[VB_UUID_STRING_LEN], GError **error)
{
    g_autofree char *text = vb_xml_child_content(root, "uuid");

    if (!text) {
        vb_uuid_generate(uuid);
        return TRUE;
    }
    if (!vb_uuid_parse(g_strstrip(text), uuid)) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "malformed uuid element");
        return FALSE;
    }
    return TRUE;
}

/* ---- pool <source> ---- */

static void
pool_host_free(VbStoragePoolHost *host)
{
    g_free(host->name);
    g_free(host);
}

static gboolean
pool_parse_hosts(xmlNodePtr source, VbStoragePoolSource *src, GError **error)
{
    VB_XML_FOREACH_CHILD(source, "host", node) {
        g_autofree char *name = NULL;
        VbStoragePoolHost *host;
        guint port = 0;

        if (!vb_xml_prop_required(node, "name", &name, error) ||
            !vb_xml_prop_uint(node, "port", VB_XML_OPTIONAL, &port, error))
            return FALSE;
        if (port > 65535) {
            vb_set_error(error, VB_ERR_XML_ERROR, "Invalid port number: %u", port);
            return FALSE;
        }
        host = g_new0(VbStoragePoolHost, 1);
        host->name = g_steal_pointer(&name);
        host->port = port;
        g_ptr_array_add(src->hosts, host);
    }
    return TRUE;
}

static gboolean
pool_parse_devices(xmlNodePtr source, VbStoragePoolSource *src, GError **error)
{
    VB_XML_FOREACH_CHILD(source, "device", node) {
        g_autofree char *path = NULL;

        if (!vb_xml_prop_required(node, "path", &path, error))
            return FALSE;
        g_ptr_array_add(src->devices, g_steal_pointer(&path));
    }
    return TRUE;
}

/* 16 hex digits, with an optional 0x; stored without the prefix. */
static gboolean
pool_parse_wwn(xmlNodePtr node, const char *attr, char **out, GError **error)
{
    g_autofree char *value = vb_xml_prop(node, attr);
    const char *digits = value;

    if (!value)
        return TRUE;
    if (g_str_has_prefix(digits, "0x") || g_str_has_prefix(digits, "0X"))
        digits += 2;
    if (strlen(digits) != 16 || strspn(digits, "0123456789abcdefABCDEF") != 16) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "Malformed wwn: %s", value);
        return FALSE;
    }
    *out = g_ascii_strdown(digits, -1);
    return TRUE;
}

static gboolean
pool_validate_adapter(const VbStorageAdapter *adapter, GError **error)
{
    if (adapter->type == VB_STORAGE_ADAPTER_FC_HOST && (!adapter->wwnn || !adapter->wwpn)) {
        vb_set_error(error, VB_ERR_XML_ERROR,
                     "'wwnn' and 'wwpn' must be specified for adapter type 'fchost'");
        return FALSE;
    }
    if (adapter->type == VB_STORAGE_ADAPTER_SCSI_HOST && !adapter->name) {
        vb_set_error(error, VB_ERR_XML_ERROR,
                     "'name' must be specified for the 'scsi_host' adapter");
        return FALSE;
    }
    return TRUE;
}

static gboolean
pool_parse_adapter(xmlNodePtr source, VbStorageAdapter *adapter, GError **error)
{
    xmlNodePtr node = vb_xml_child(source, "adapter");
    int type = VB_STORAGE_ADAPTER_SCSI_HOST;   /* libvirt's legacy default */

    if (!node)
        return TRUE;
    if (!vb_xml_prop_enum(node, "type", vb_storage_adapter_type_from_string, VB_XML_NONZERO,
                          &type, error) ||
        !vb_xml_prop_tristate(node, "managed", "yes", "no", &adapter->managed, error) ||
        !pool_parse_wwn(node, "wwnn", &adapter->wwnn, error) ||
        !pool_parse_wwn(node, "wwpn", &adapter->wwpn, error) ||
        !pool_parse_wwn(node, "parent_wwnn", &adapter->parent_wwnn, error) ||
        !pool_parse_wwn(node, "parent_wwpn", &adapter->parent_wwpn, error) ||
        !pool_parse_wwn(node, "parent_fabric_wwn", &adapter->parent_fabric_wwn, error))
        return FALSE;
    adapter->type = type;
    adapter->name = vb_xml_prop(node, "name");
    adapter->parent = vb_xml_prop(node, "parent");
    return pool_validate_adapter(adapter, error);
}

static gboolean
pool_parse_auth_secret(xmlNodePtr auth, VbStorageAuth *def, GError **error)
{
    xmlNodePtr node = vb_xml_child(auth, "secret");
    g_autofree char *uuid = NULL;

    if (!node) {
        vb_set_error(error, VB_ERR_XML_ERROR, "Missing <secret> element in auth");
        return FALSE;
    }
    uuid = vb_xml_prop(node, "uuid");
    def->secret_usage = vb_xml_prop(node, "usage");
    if (!uuid == !def->secret_usage) {
        vb_set_error(error, VB_ERR_XML_ERROR,
                     "either secret 'uuid' or 'usage' must be given in auth, not both");
        return FALSE;
    }
    if (uuid && !vb_uuid_parse(uuid, def->secret_uuid)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "invalid auth secret uuid '%s'", uuid);
        return FALSE;
    }
    return TRUE;
}

static gboolean
pool_parse_auth(xmlNodePtr source, VbStorageAuth *auth, GError **error)
{
    xmlNodePtr node = vb_xml_child(source, "auth");
    int type = VB_STORAGE_AUTH_NONE;

    if (!node)
        return TRUE;
    if (!vb_xml_prop_enum(node, "type", vb_storage_auth_type_from_string,
                          VB_XML_REQUIRED | VB_XML_NONZERO, &type, error) ||
        !vb_xml_prop_required(node, "username", &auth->username, error))
        return FALSE;
    auth->type = type;
    return pool_parse_auth_secret(node, auth, error);
}

static gboolean
pool_parse_format(xmlNodePtr source, VbStoragePoolType type, VbStoragePoolSource *src,
                  GError **error)
{
    const PoolTypeInfo *info = &pool_types[type];
    g_autofree char *format = vb_xml_prop(vb_xml_child(source, "format"), "type");

    if (!info->formats)
        return TRUE;      /* libvirt ignores <format> where the backend has none */
    if (!format) {
        src->format = g_strdup(info->default_format);
        return TRUE;
    }
    if (vb_enum_from_string(info->formats, format) < 0) {
        vb_set_error(error, VB_ERR_XML_ERROR, "unknown pool format type %s", format);
        return FALSE;
    }
    src->format = g_steal_pointer(&format);
    return TRUE;
}

static gboolean
pool_parse_source(xmlNodePtr root, VbStoragePoolDef *def, GError **error)
{
    xmlNodePtr source = vb_xml_child(root, "source");
    VbStoragePoolSource *src = &def->source;

    if (!pool_parse_hosts(source, src, error) ||
        !pool_parse_devices(source, src, error) ||
        !pool_parse_adapter(source, &src->adapter, error) ||
        !pool_parse_auth(source, &src->auth, error) ||
        !pool_parse_format(source, def->type, src, error))
        return FALSE;
    src->dir = vb_xml_prop(vb_xml_child(source, "dir"), "path");
    src->name = vb_xml_child_content(source, "name");
    src->vendor = vb_xml_prop(vb_xml_child(source, "vendor"), "name");
    src->product = vb_xml_prop(vb_xml_child(source, "product"), "name");
    src->initiator_iqn = vb_xml_prop(vb_xml_child(vb_xml_child(source, "initiator"), "iqn"), "name");
    if (def->type == VB_STORAGE_POOL_RBD && !src->name) {
        vb_set_error(error, VB_ERR_XML_ERROR, "element 'name' is mandatory for RBD pool");
        return FALSE;
    }
    return TRUE;
}

/* libvirt's per-type rules for what <source> must hold. */
static gboolean
pool_validate_source(VbStoragePoolDef *def, GError **error)
{
    guint flags = pool_types[def->type].flags;
    VbStoragePoolSource *src = &def->source;

    if ((flags & SRC_HOST) && src->hosts->len == 0) {
        vb_set_error(error, VB_ERR_XML_ERROR, "missing storage pool source host name");
        return FALSE;
    }
    if ((flags & SRC_DIR) && !src->dir) {
        vb_set_error(error, VB_ERR_XML_ERROR, "missing storage pool source path");
        return FALSE;
    }
    if ((flags & SRC_ADAPTER) && src->adapter.type == VB_STORAGE_ADAPTER_NONE) {
        vb_set_error(error, VB_ERR_XML_ERROR, "missing storage pool source adapter");
        return FALSE;
    }
    if (flags == SRC_DEVICE && src->devices->len == 0) {
        vb_set_error(error, VB_ERR_XML_ERROR, "missing storage pool source device name");
        return FALSE;
    }
    if ((flags & SRC_NAME) && !src->name)
        src->name = g_strdup(def->name);
    return TRUE;
}

/* ---- pool identity, sizes, target ---- */

static gboolean
pool_parse_type(xmlNodePtr root, VbStoragePoolDef *def, GError **error)
{
    g_autofree char *type = vb_xml_prop(root, "type");
    int value;

    if (!type) {
        vb_set_error(error, VB_ERR_XML_ERROR, "storage pool missing type attribute");
        return FALSE;
    }
    value = vb_storage_pool_type_from_string(type);
    if (value < 0) {
        vb_set_error(error, VB_ERR_XML_ERROR, "unknown storage pool type %s", type);
        return FALSE;
    }
    def->type = value;
    return TRUE;
}

/* The pool name; pools that name their source may leave it out and use that name. */
static gboolean
pool_parse_name(xmlNodePtr root, VbStoragePoolDef *def, GError **error)
{
    def->name = vb_xml_child_content(root, "name");
    if ((!def->name || !*def->name) && (pool_types[def->type].flags & SRC_NAME)) {
        g_free(def->name);
        def->name = g_strdup(def->source.name);
    }
    if (!def->name || !*def->name) {
        vb_set_error(error, VB_ERR_XML_ERROR, "missing pool source name element");
        return FALSE;
    }
    return vb_name_validate(def->name, "storage pool", error);
}

static gboolean
pool_parse_sizes(xmlNodePtr root, VbStoragePoolDef *def, GError **error)
{
    xmlNodePtr node;

    if ((node = vb_xml_child(root, "capacity")) && !storage_parse_size(node, &def->capacity, error))
        return FALSE;
    if ((node = vb_xml_child(root, "allocation")) && !storage_parse_size(node, &def->allocation, error))
        return FALSE;
    if ((node = vb_xml_child(root, "available")) && !storage_parse_size(node, &def->available, error))
        return FALSE;
    return TRUE;
}

/* Network pools have no local path; logical and zfs pools derive theirs from the source name. */
static gboolean
pool_parse_target(xmlNodePtr root, VbStoragePoolDef *def, GError **error)
{
    xmlNodePtr target = vb_xml_child(root, "target");
    g_autofree char *path = vb_xml_child_content(target, "path");

    if (pool_types[def->type].flags & SRC_NETWORK)
        return TRUE;
    if (!storage_parse_perms(target, &def->target_perms, error))
        return FALSE;
    if (def->type == VB_STORAGE_POOL_LOGICAL) {
        def->target_path = g_strdup_printf("/dev/%s", def->source.name);
    } else if (def->type == VB_STORAGE_POOL_ZFS) {
        def->target_path = g_strdup_printf("/dev/zvol/%s", def->source.name);
    } else if (path && *g_strstrip(path)) {
        def->target_path = storage_sanitize_path(path);
    } else {
        vb_set_error(error, VB_ERR_XML_ERROR, "missing storage pool target path");
        return FALSE;
    }
    return TRUE;
}

static VbStoragePoolDef *
pool_def_new(void)
{
    VbStoragePoolDef *def = g_new0(VbStoragePoolDef, 1);

    def->source.hosts = g_ptr_array_new_with_free_func((GDestroyNotify)pool_host_free);
    def->source.devices = g_ptr_array_new_with_free_func(g_free);
    storage_perms_init(&def->target_perms);
    return def;
}

void
vb_storage_pool_def_free(VbStoragePoolDef *def)
{
    VbStoragePoolSource *src;

    if (!def)
        return;
    src = &def->source;
    g_ptr_array_unref(src->hosts);
    g_ptr_array_unref(src->devices);
    g_free(src->dir);
    g_free(src->adapter.name);
    g_free(src->adapter.parent);
    g_free(src->adapter.parent_wwnn);
    g_free(src->adapter.parent_wwpn);
    g_free(src->adapter.parent_fabric_wwn);
    g_free(src->adapter.wwnn);
    g_free(src->adapter.wwpn);
    g_free(src->name);
    g_free(src->format);
    g_free(src->vendor);
    g_free(src->product);
    g_free(src->auth.username);
    g_free(src->auth.secret_usage);
    g_free(src->initiator_iqn);
    g_free(def->name);
    g_free(def->target_path);
    g_free(def->target_perms.label);
    g_free(def);
}

VbStoragePoolDef *
vb_storage_pool_def_parse(const char *xml, guint flags, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(VbStoragePoolDef) def = NULL;
    xmlNodePtr root;

    if (!vb_check_flags(flags, 0, "vb_storage_pool_def_parse", error) ||
        !(doc = vb_xml_parse(xml, "pool", error)))
        return NULL;
    root = xmlDocGetRootElement(doc);
    def = pool_def_new();
    if (!pool_parse_type(root, def, error) ||
        !pool_parse_source(root, def, error) ||
        !pool_parse_name(root, def, error) ||
        !storage_parse_uuid(root, def->uuid, error) ||
        !pool_parse_sizes(root, def, error) ||
        !pool_validate_source(def, error) ||
        !pool_parse_target(root, def, error))
        return NULL;
    return g_steal_pointer(&def);
}

/* ---- pool formatting ---- */

static void
pool_format_adapter(VbBuf *buf, const VbStorageAdapter *adapter)
{
    g_auto(VbBuf) attrs = { 0 };

    if (adapter->type == VB_STORAGE_ADAPTER_NONE)
        return;
    vb_buf_init(&attrs, 0);
    vb_buf_add(&attrs, " type='%s'", vb_storage_adapter_type_to_string(adapter->type));
    vb_buf_escape(&attrs, " name='%s'", adapter->name);
    vb_buf_escape(&attrs, " parent='%s'", adapter->parent);
    vb_buf_escape(&attrs, " parent_wwnn='%s'", adapter->parent_wwnn);
    vb_buf_escape(&attrs, " parent_wwpn='%s'", adapter->parent_wwpn);
    vb_buf_escape(&attrs, " parent_fabric_wwn='%s'", adapter->parent_fabric_wwn);
    if (adapter->managed != VB_TRISTATE_ABSENT)
        vb_buf_add(&attrs, " managed='%s'", adapter->managed == VB_TRISTATE_YES ? "yes" : "no");
    vb_buf_escape(&attrs, " wwnn='%s'", adapter->wwnn);
    vb_buf_escape(&attrs, " wwpn='%s'", adapter->wwpn);
    vb_buf_element(buf, "adapter", &attrs, NULL);
}

static void
pool_format_auth(VbBuf *buf, const VbStorageAuth *auth)
{
    g_auto(VbBuf) attrs = { 0 };
    g_auto(VbBuf) children = { 0 };

    if (auth->type == VB_STORAGE_AUTH_NONE)
        return;
    vb_buf_init(&attrs, 0);
    vb_buf_init(&children, 0);
    vb_buf_add(&attrs, " type='%s'", vb_storage_auth_type_to_string(auth->type));
    vb_buf_escape(&attrs, " username='%s'", auth->username);
    if (auth->secret_usage)
        vb_buf_escape(&children, "<secret usage='%s'/>\n", auth->secret_usage);
    else
        vb_buf_add(&children, "<secret uuid='%s'/>\n", auth->secret_uuid);
    vb_buf_element(buf, "auth", &attrs, &children);
}

static void
pool_format_hosts(VbBuf *buf, const GPtrArray *hosts)
{
    for (guint i = 0; i < hosts->len; i++) {
        const VbStoragePoolHost *host = g_ptr_array_index(hosts, i);

        vb_buf_escape(buf, "<host name='%s'", host->name);
        if (host->port)
            vb_buf_add(buf, " port='%u'", host->port);
        vb_buf_add(buf, "/>\n");
    }
}

static void
pool_format_source(VbBuf *buf, const VbStoragePoolSource *src)
{
    g_auto(VbBuf) children = { 0 };

    vb_buf_init(&children, 0);
    pool_format_hosts(&children, src->hosts);
    for (guint i = 0; i < src->devices->len; i++)
        vb_buf_escape(&children, "<device path='%s'/>\n", g_ptr_array_index(src->devices, i));
    vb_buf_escape(&children, "<dir path='%s'/>\n", src->dir);
    pool_format_adapter(&children, &src->adapter);
    vb_buf_escape(&children, "<name>%s</name>\n", src->name);
    if (src->initiator_iqn) {
        vb_buf_add(&children, "<initiator>\n");
        vb_buf_escape(&children, "  <iqn name='%s'/>\n", src->initiator_iqn);
        vb_buf_add(&children, "</initiator>\n");
    }
    pool_format_auth(&children, &src->auth);
    vb_buf_escape(&children, "<format type='%s'/>\n", src->format);
    vb_buf_escape(&children, "<vendor name='%s'/>\n", src->vendor);
    vb_buf_escape(&children, "<product name='%s'/>\n", src->product);
    vb_buf_element(buf, "source", NULL, &children);
}

static void
pool_format_target(VbBuf *buf, const VbStoragePoolDef *def)
{
    g_auto(VbBuf) children = { 0 };

    vb_buf_init(&children, 0);
    vb_buf_escape(&children, "<path>%s</path>\n", def->target_path);
    storage_format_perms(&children, &def->target_perms);
    vb_buf_element(buf, "target", NULL, &children);
}

char *
vb_storage_pool_def_format(const VbStoragePoolDef *def, guint flags)
{
    g_auto(VbBuf) buf = { 0 };
    g_auto(VbBuf) attrs = { 0 };
    g_auto(VbBuf) children = { 0 };

    vb_buf_init(&buf, 0);
    vb_buf_init(&attrs, 0);
    vb_buf_init(&children, 0);
    vb_buf_add(&attrs, " type='%s'", vb_storage_pool_type_to_string(def->type));
    vb_buf_escape(&children, "<name>%s</name>\n", def->name);
    vb_buf_add(&children, "<uuid>%s</uuid>\n", def->uuid);
    storage_format_size(&children, "capacity", def->capacity);
    storage_format_size(&children, "allocation", def->allocation);
    storage_format_size(&children, "available", def->available);
    pool_format_source(&children, &def->source);
    pool_format_target(&children, def);
    vb_buf_element(&buf, "pool", &attrs, &children);
    return vb_buf_steal(&buf);
}

/* ---- volume <target> ---- */

static gboolean
vol_parse_format(xmlNodePtr parent, gboolean block, int *out, GError **error)
{
    g_autofree char *format = vb_xml_prop(vb_xml_child(parent, "format"), "type");
    int value;

    if (!format)
        return TRUE;
    value = block ? vb_storage_part_format_from_string(format)
                  : vb_storage_file_format_from_string(format);
    if (value < 0) {
        vb_set_error(error, VB_ERR_XML_ERROR, "unknown volume format type %s", format);
        return FALSE;
    }
    *out = value;
    return TRUE;
}

/* "1341933637.273190990": seconds, optionally a dot and nanoseconds. */
static gboolean
vol_timestamp_valid(const char *text)
{
    static const char digits[] = "0123456789";
    gsize secs = strspn(text, digits);
    const char *rest = text + secs;

    if (secs == 0)
        return FALSE;
    if (*rest == '.' && strspn(rest + 1, digits) > 0)
        rest += 1 + strspn(rest + 1, digits);
    return *rest == '\0';
}

static gboolean
vol_parse_timestamp(xmlNodePtr stamps, const char *name, char **out, GError **error)
{
    g_autofree char *text = vb_xml_child_content(stamps, name);

    if (!text)
        return TRUE;
    if (!vol_timestamp_valid(g_strstrip(text))) {
        vb_set_error(error, VB_ERR_XML_ERROR, "invalid timestamp '%s' in element '%s'", text, name);
        return FALSE;
    }
    *out = g_steal_pointer(&text);
    return TRUE;
}

static gboolean
vol_parse_timestamps(xmlNodePtr target, VbStorageTimestamps *ts, GError **error)
{
    xmlNodePtr node = vb_xml_child(target, "timestamps");

    return vol_parse_timestamp(node, "atime", &ts->atime, error) &&
           vol_parse_timestamp(node, "btime", &ts->btime, error) &&
           vol_parse_timestamp(node, "ctime", &ts->ctime, error) &&
           vol_parse_timestamp(node, "mtime", &ts->mtime, error);
}

/* Drops whitespace-only text so the verbatim copy can be re-indented. */
static void
vol_strip_blanks(xmlNodePtr node)
{
    xmlNodePtr cur = node->children;

    while (cur) {
        xmlNodePtr next = cur->next;

        if (cur->type == XML_TEXT_NODE && xmlIsBlankNode(cur)) {
            xmlUnlinkNode(cur);
            xmlFreeNode(cur);
        } else if (cur->type == XML_ELEMENT_NODE) {
            vol_strip_blanks(cur);
        }
        cur = next;
    }
}

static char *
vol_dump_encryption(xmlNodePtr node)
{
    vol_strip_blanks(node);
    return vb_xml_node_dump(node);
}

/* <compat>1.1</compat>: two dot-separated numbers. */
static gboolean
vol_parse_compat(xmlNodePtr target, VbStorageVolTarget *def, GError **error)
{
    g_autofree char *compat = vb_xml_child_content(target, "compat");
    g_auto(GStrv) parts = NULL;
    guint64 dummy;

    if (!compat)
        return TRUE;
    parts = g_strsplit(g_strstrip(compat), ".", 3);
    if (g_strv_length(parts) != 2 || !vb_parse_ull(parts[0], &dummy) ||
        !vb_parse_ull(parts[1], &dummy)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "forbidden characters in 'compat' attribute");
        return FALSE;
    }
    def->compat = g_steal_pointer(&compat);
    return TRUE;
}

static gboolean
vol_parse_features(xmlNodePtr target, VbStorageVolTarget *def, GError **error)
{
    xmlNodePtr features = vb_xml_child(target, "features");

    if (!features)
        return TRUE;
    VB_XML_FOREACH_CHILD(features, NULL, node) {
        if (!xmlStrEqual(node->name, BAD_CAST "lazy_refcounts")) {
            vb_set_error(error, VB_ERR_XML_ERROR, "unsupported feature %s", (const char *)node->name);
            return FALSE;
        }
        def->lazy_refcounts = TRUE;
    }
    if (!def->compat)
        def->compat = g_strdup("1.1");   /* features imply qcow2 v3, as in libvirt */
    return TRUE;
}

static gboolean
vol_parse_target(xmlNodePtr root, VbStorageVolDef *def, GError **error)
{
    xmlNodePtr target = vb_xml_child(root, "target");
    xmlNodePtr encryption = vb_xml_child(target, "encryption");
    VbStorageVolTarget *tgt = &def->target;

    if (!target)
        return TRUE;
    if (!vol_parse_format(target, def->type == VB_STORAGE_VOL_BLOCK, &tgt->format, error) ||
        !storage_parse_perms(target, &tgt->perms, error) ||
        !vol_parse_timestamps(target, &tgt->timestamps, error) ||
        !vol_parse_compat(target, tgt, error) ||
        !vol_parse_features(target, tgt, error))
        return FALSE;
    tgt->path = vb_xml_child_content(target, "path");
    if (encryption)
        tgt->encryption = vol_dump_encryption(encryption);
    return TRUE;
}

static gboolean
vol_parse_backing(xmlNodePtr root, VbStorageVolBacking *backing, GError **error)
{
    xmlNodePtr node = vb_xml_child(root, "backingStore");
    int format = VB_STORAGE_FILE_NONE;

    if (!node)
        return TRUE;
    backing->path = vb_xml_child_content(node, "path");
    if (!backing->path || !*backing->path) {
        vb_set_error(error, VB_ERR_XML_ERROR, "missing path in backing store");
        return FALSE;
    }
    if (!vol_parse_format(node, FALSE, &format, error) ||
        !storage_parse_perms(node, &backing->perms, error))
        return FALSE;
    backing->format = format;
    return TRUE;
}

/* ---- volume identity and sizes ---- */

static gboolean
vol_parse_name(xmlNodePtr root, VbStorageVolDef *def, GError **error)
{
    def->name = vb_xml_child_content(root, "name");
    if (!def->name || !*def->name) {
        vb_set_error(error, VB_ERR_XML_ERROR, "missing volume name element");
        return FALSE;
    }
    if (strchr(def->name, '/')) {
        vb_set_error(error, VB_ERR_XML_ERROR, "volume name '%s' cannot contain '/'", def->name);
        return FALSE;
    }
    if (g_str_equal(def->name, ".") || g_str_equal(def->name, "..")) {
        vb_set_error(error, VB_ERR_XML_ERROR, "volume name '%s' cannot be '.' or '..'", def->name);
        return FALSE;
    }
    return vb_name_validate(def->name, "storage volume", error);
}

static gboolean
vol_parse_type(xmlNodePtr root, VbStorageVolDef *def, GError **error)
{
    g_autofree char *type = vb_xml_prop(root, "type");
    int value;

    if (!type)
        return TRUE;     /* file */
    value = vb_storage_vol_type_from_string(type);
    if (value < 0) {
        vb_set_error(error, VB_ERR_XML_ERROR, "unknown volume type '%s'", type);
        return FALSE;
    }
    def->type = value;
    return TRUE;
}

static gboolean
vol_parse_sizes(xmlNodePtr root, VbStorageVolDef *def, guint flags, GError **error)
{
    xmlNodePtr capacity = vb_xml_child(root, "capacity");
    xmlNodePtr allocation = vb_xml_child(root, "allocation");
    xmlNodePtr physical = vb_xml_child(root, "physical");

    if (!capacity && !(flags & VB_STORAGE_VOL_PARSE_NO_CAPACITY)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "missing capacity element");
        return FALSE;
    }
    if (capacity && !storage_parse_size(capacity, &def->capacity, error))
        return FALSE;
    if (physical && !storage_parse_size(physical, &def->physical, error))
        return FALSE;
    if (!allocation) {
        def->allocation = def->capacity;   /* fully allocated unless told otherwise */
        return TRUE;
    }
    return storage_parse_size(allocation, &def->allocation, error);
}

static VbStorageVolDef *
vol_def_new(void)
{
    VbStorageVolDef *def = g_new0(VbStorageVolDef, 1);

    storage_perms_init(&def->target.perms);
    storage_perms_init(&def->backing.perms);
    return def;
}

void
vb_storage_vol_def_free(VbStorageVolDef *def)
{
    if (!def)
        return;
    g_free(def->name);
    g_free(def->key);
    g_free(def->target.path);
    g_free(def->target.perms.label);
    g_free(def->target.timestamps.atime);
    g_free(def->target.timestamps.btime);
    g_free(def->target.timestamps.ctime);
    g_free(def->target.timestamps.mtime);
    g_free(def->target.encryption);
    g_free(def->target.compat);
    g_free(def->backing.path);
    g_free(def->backing.perms.label);
    g_free(def);
}

VbStorageVolDef *
vb_storage_vol_def_parse(const char *xml, guint flags, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(VbStorageVolDef) def = NULL;
    xmlNodePtr root;

    if (!vb_check_flags(flags, VB_STORAGE_VOL_PARSE_NO_CAPACITY, "vb_storage_vol_def_parse", error) ||
        !(doc = vb_xml_parse(xml, "volume", error)))
        return NULL;
    root = xmlDocGetRootElement(doc);
    def = vol_def_new();
    if (!vol_parse_type(root, def, error) ||
        !vol_parse_name(root, def, error) ||
        !vol_parse_sizes(root, def, flags, error) ||
        !vol_parse_target(root, def, error) ||
        !vol_parse_backing(root, &def->backing, error))
        return NULL;
    def->key = vb_xml_child_content(root, "key");
    return g_steal_pointer(&def);
}

/* ---- volume formatting ---- */

const char *
vb_storage_vol_def_format_name(const VbStorageVolDef *def)
{
    if (def->type == VB_STORAGE_VOL_BLOCK)
        return vb_storage_part_format_to_string(def->target.format);
    if (def->target.format == VB_STORAGE_FILE_NONE)
        return NULL;
    return vb_storage_file_format_to_string(def->target.format);
}

static void
vol_format_timestamps(VbBuf *buf, const VbStorageTimestamps *ts)
{
    g_auto(VbBuf) children = { 0 };

    vb_buf_init(&children, 0);
    vb_buf_escape(&children, "<atime>%s</atime>\n", ts->atime);
    vb_buf_escape(&children, "<btime>%s</btime>\n", ts->btime);
    vb_buf_escape(&children, "<ctime>%s</ctime>\n", ts->ctime);
    vb_buf_escape(&children, "<mtime>%s</mtime>\n", ts->mtime);
    vb_buf_element(buf, "timestamps", NULL, &children);
}

static void
vol_format_target(VbBuf *buf, const VbStorageVolDef *def)
{
    const VbStorageVolTarget *tgt = &def->target;
    g_auto(VbBuf) children = { 0 };

    vb_buf_init(&children, 0);
    vb_buf_escape(&children, "<path>%s</path>\n", tgt->path);
    vb_buf_escape(&children, "<format type='%s'/>\n", vb_storage_vol_def_format_name(def));
    storage_format_perms(&children, &tgt->perms);
    vol_format_timestamps(&children, &tgt->timestamps);
    if (tgt->encryption)
        vb_buf_add_raw_xml(&children, tgt->encryption);
    vb_buf_escape(&children, "<compat>%s</compat>\n", tgt->compat);
    if (tgt->lazy_refcounts)
        vb_buf_add(&children, "<features>\n  <lazy_refcounts/>\n</features>\n");
    vb_buf_element(buf, "target", NULL, &children);
}

static void
vol_format_backing(VbBuf *buf, const VbStorageVolBacking *backing)
{
    g_auto(VbBuf) children = { 0 };

    if (!backing->path)
        return;
    vb_buf_init(&children, 0);
    vb_buf_escape(&children, "<path>%s</path>\n", backing->path);
    if (backing->format != VB_STORAGE_FILE_NONE)
        vb_buf_add(&children, "<format type='%s'/>\n", vb_storage_file_format_to_string(backing->format));
    storage_format_perms(&children, &backing->perms);
    vb_buf_element(buf, "backingStore", NULL, &children);
}

char *
vb_storage_vol_def_format(const VbStorageVolDef *def, guint flags)
{
    g_auto(VbBuf) buf = { 0 };
    g_auto(VbBuf) attrs = { 0 };
    g_auto(VbBuf) children = { 0 };

    vb_buf_init(&buf, 0);
    vb_buf_init(&attrs, 0);
    vb_buf_init(&children, 0);
    vb_buf_add(&attrs, " type='%s'", vb_storage_vol_type_to_string(def->type));
    vb_buf_escape(&children, "<name>%s</name>\n", def->name);
    vb_buf_escape(&children, "<key>%s</key>\n", def->key);
    storage_format_size(&children, "capacity", def->capacity);
    storage_format_size(&children, "allocation", def->allocation);
    if (def->physical)
        storage_format_size(&children, "physical", def->physical);
    vol_format_target(&children, def);
    vol_format_backing(&children, &def->backing);
    vb_buf_element(&buf, "volume", &attrs, &children);
    return vb_buf_steal(&buf);
}
