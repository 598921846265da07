#include "snapshot_conf.h"

#include <string.h>

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
    if (def->memory && !g_strv_contains((const char *const[]){ "no", "internal", "external", NULL }, def->memory)) {
        vb_set_invalid_value(error, memory, "snapshot", def->memory);
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
    def->creation_time = (gint64)value;
    return TRUE;
}

VbSnapshotDef *
vb_snapshot_def_parse(const char *xml, guint flags, GError **error)
{
    g_autoptr(xmlDoc) doc = vb_xml_parse(xml, "domainsnapshot", error);
    g_autoptr(VbSnapshotDef) def = NULL;
    xmlNodePtr root, parent, domain, disks;

    if (!doc)
        return NULL;
    root = xmlDocGetRootElement(doc);
    def = g_new0(VbSnapshotDef, 1);
    if (!parse_snapshot_time(root, def, error) || !parse_snapshot_memory(root, def, error))
        return NULL;
    def->name = vb_xml_child_content(root, "name");
    if (!def->name)
        def->name = g_strdup_printf("%" G_GINT64_FORMAT, def->creation_time);
    if (!vb_name_validate(def->name, "snapshot", error))
        return NULL;
    def->description = vb_xml_child_content(root, "description");
    def->state = vb_xml_child_content(root, "state");
    if ((parent = vb_xml_child(root, "parent")))
        def->parent = vb_xml_child_content(parent, "name");
    if ((disks = vb_xml_child(root, "disks")))
        def->disks_xml = vb_xml_node_dump(disks);
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
    vb_buf_escape(&buf, "<name>%s</name>\n", def->name);
    vb_buf_escape(&buf, "<description>%s</description>\n", def->description);
    vb_buf_escape(&buf, "<state>%s</state>\n", def->state);
    if (def->parent) {
        vb_buf_add(&buf, "<parent>\n");
        vb_buf_escape(&buf, "  <name>%s</name>\n", def->parent);
        vb_buf_add(&buf, "</parent>\n");
    }
    vb_buf_add(&buf, "<creationTime>%" G_GINT64_FORMAT "</creationTime>\n", def->creation_time);
    if (def->memory) {
        vb_buf_escape(&buf, "<memory snapshot='%s'", def->memory);
        vb_buf_escape(&buf, " file='%s'", def->memory_file);
        vb_buf_add(&buf, "/>\n");
    }
    if (def->disks_xml)
        vb_buf_add_raw_xml(&buf, def->disks_xml);
    if (def->dom) {
        g_autofree char *dom = vb_domain_def_format(def->dom, flags | VB_DOMAIN_XML_INACTIVE);
        vb_buf_add_raw_xml(&buf, dom);
    }
    buf.indent = 0;
    vb_buf_add(&buf, "</domainsnapshot>\n");
    return vb_buf_steal(&buf);
}
