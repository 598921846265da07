/* snapshot_conf.c: parse and format libvirt's <domainsnapshot> XML. */
#include "snapshot_conf.h"

#include <string.h>

static const char *const snapshot_states[] = {
    "nostate", "running", "blocked", "paused", "shutdown", "shutoff", "crashed", "pmsuspended",
    "disk-snapshot", NULL
};
static const char *const snapshot_locations[] = { "no", "internal", "external", "manual", NULL };

void
vb_snapshot_def_free(VbSnapshotDef *def)
{
    if (!def)
        return;
    g_free(def->name);
    g_free(def->description);
    g_free(def->state);
    g_free(def->parent);
    g_free(def->memory);
    g_free(def->memory_file);
    g_free(def->disks_xml);
    vb_domain_def_free(def->dom);
    g_free(def);
}

static gboolean
parse_snapshot_memory(xmlNodePtr root, VbSnapshotDef *def, GError **error)
{
    xmlNodePtr memory = vb_xml_child(root, "memory");

    if (!memory)
        return TRUE;
    def->memory = vb_xml_prop(memory, "snapshot");
    def->memory_file = vb_xml_prop(memory, "file");
    if (def->memory && !g_strv_contains(snapshot_locations, def->memory)) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "unknown memory snapshot setting '%s'", def->memory);
        return FALSE;
    }
    if (!def->memory_file)
        return TRUE;
    if (!def->memory)
        def->memory = g_strdup("external");
    if (!g_str_equal(def->memory, "external")) {
        vb_set_error(error, VB_ERR_XML_ERROR, "memory snapshot file path (%s) requires external memory snapshot",
                     def->memory_file);
        return FALSE;
    }
    if (def->memory_file[0] != '/') {
        vb_set_error(error, VB_ERR_XML_ERROR, "memory snapshot file path (%s) must be absolute", def->memory_file);
        return FALSE;
    }
    return TRUE;
}

static gboolean
parse_snapshot_time(xmlNodePtr root, VbSnapshotDef *def, GError **error)
{
    xmlNodePtr node = vb_xml_child(root, "creationTime");
    guint64 value;

    if (!node) {
        def->creation_time = g_get_real_time() / G_USEC_PER_SEC;
        return TRUE;
    }
    if (!vb_xml_content_ull(node, &value, error))
        return FALSE;
    if (value > G_MAXINT64) {
        vb_set_error(error, VB_ERR_XML_ERROR, "invalid value '%" G_GUINT64_FORMAT "' in element 'creationTime'", value);
        return FALSE;
    }
    def->creation_time = (gint64)value;
    return TRUE;
}

static gboolean
parse_snapshot_state(xmlNodePtr root, VbSnapshotDef *def, GError **error)
{
    def->state = vb_xml_child_content(root, "state");
    if (def->state && !g_strv_contains(snapshot_states, g_strstrip(def->state))) {
        vb_set_error(error, VB_ERR_XML_ERROR, "Invalid state '%s' in domain snapshot XML", def->state);
        return FALSE;
    }
    return TRUE;
}

/* <disks>: each <disk> needs a name and a known snapshot location; kept verbatim. */
static gboolean
parse_snapshot_disks(xmlNodePtr root, VbSnapshotDef *def, GError **error)
{
    xmlNodePtr disks = vb_xml_child(root, "disks");
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    if (!disks)
        return TRUE;
    VB_XML_FOREACH_CHILD(disks, "disk", disk) {
        g_autofree char *name = vb_xml_prop(disk, "name");
        g_autofree char *snapshot = vb_xml_prop(disk, "snapshot");
        if (!name || !*name) {
            vb_set_error(error, VB_ERR_XML_ERROR, "%s", "missing name from disk snapshot element");
            return FALSE;
        }
        if (snapshot && !g_strv_contains(snapshot_locations, snapshot)) {
            vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "unknown disk snapshot setting '%s'", snapshot);
            return FALSE;
        }
        if (g_hash_table_contains(seen, name)) {
            vb_set_error(error, VB_ERR_XML_ERROR, "disk '%s' specified twice", name);
            return FALSE;
        }
        g_hash_table_add(seen, g_steal_pointer(&name));
    }
    def->disks_xml = vb_domain_xml_dump(disks);
    return TRUE;
}

static gboolean
parse_snapshot_identity(xmlNodePtr root, VbSnapshotDef *def, GError **error)
{
    xmlNodePtr parent = vb_xml_child(root, "parent");

    def->name = vb_xml_child_content(root, "name");
    if (def->name && !*def->name)
        g_clear_pointer(&def->name, g_free);
    if (!def->name)
        def->name = g_strdup_printf("%" G_GINT64_FORMAT, def->creation_time);
    if (!vb_name_validate(def->name, "snapshot", error))
        return FALSE;
    def->description = vb_xml_child_content(root, "description");
    def->parent = vb_xml_child_content(parent, "name");
    return TRUE;
}

VbSnapshotDef *
vb_snapshot_def_parse(const char *xml, guint flags, GError **error)
{
    g_autoptr(xmlDoc) doc = vb_xml_parse(xml, "domainsnapshot", error);
    g_autoptr(VbSnapshotDef) def = NULL;
    xmlNodePtr root, domain;

    if (!doc)
        return NULL;
    root = xmlDocGetRootElement(doc);
    def = g_new0(VbSnapshotDef, 1);
    if (!parse_snapshot_time(root, def, error) ||
        !parse_snapshot_identity(root, def, error) ||
        !parse_snapshot_state(root, def, error) ||
        !parse_snapshot_memory(root, def, error) ||
        !parse_snapshot_disks(root, def, error))
        return NULL;
    if ((domain = vb_xml_child(root, "domain")) &&
        !(def->dom = vb_domain_def_parse_node(domain, 0, error)))
        return NULL;
    return g_steal_pointer(&def);
}

char *
vb_snapshot_def_format(const VbSnapshotDef *def, guint flags)
{
    VbBuf buf;

    vb_buf_init(&buf, 0);
    vb_buf_add(&buf, "<domainsnapshot>\n");
    buf.indent = 2;
    vb_domain_buf_add_text(&buf, "name", def->name);
    vb_domain_buf_add_text(&buf, "description", def->description);
    vb_domain_buf_add_text(&buf, "state", def->state);
    if (def->parent) {
        vb_buf_add(&buf, "<parent>\n");
        buf.indent += 2;
        vb_domain_buf_add_text(&buf, "name", def->parent);
        buf.indent -= 2;
        vb_buf_add(&buf, "</parent>\n");
    }
    vb_buf_add(&buf, "<creationTime>%" G_GINT64_FORMAT "</creationTime>\n", def->creation_time);
    if (def->memory) {
        vb_buf_add(&buf, "<memory");
        vb_domain_buf_add_attr(&buf, "snapshot", def->memory);
        vb_domain_buf_add_attr(&buf, "file", def->memory_file);
        vb_buf_add(&buf, "/>\n");
    }
    vb_domain_buf_add_xml(&buf, def->disks_xml);
    if (def->dom)
        vb_domain_def_format_buf(&buf, def->dom, -1, flags | VB_DOMAIN_XML_INACTIVE);
    buf.indent = 0;
    vb_buf_add(&buf, "</domainsnapshot>\n");
    return vb_buf_steal(&buf);
}
