/* test_xmledit.c: editing the parts of a domain definition that conf/ keeps as verbatim XML
 * (<cputune>, <memtune>, <blkiotune>, <numatune>, <perf>, device elements) */
#include <string.h>

#include "drivers/domain_common.h"
#include "drivers/test/test_private.h"

/* ---- verbatim elements ---- */

/* The element @xml holds, or a new empty <@root>. */
xmlDocPtr
test_xml_open(const char *xml, const char *root, GError **error)
{
    xmlDocPtr doc;

    if (xml)
        return vb_xml_parse(xml, root, error);
    doc = xmlNewDoc(BAD_CAST "1.0");
    xmlDocSetRootElement(doc, xmlNewDocNode(doc, NULL, BAD_CAST root, NULL));
    return doc;
}

/* The root written back in libvirt's layout; NULL when it has neither attributes nor
 * children, as libvirt leaves empty elements out. */
char *
test_xml_close(xmlDocPtr doc)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);

    if (!root->properties && !vb_xml_child(root, NULL))
        return NULL;
    return vb_xml_node_dump(root);
}

/* Replaces *@field with @xml (owned). */
void
test_xml_store(char **field, char *xml)
{
    g_free(*field);
    *field = xml;
}

static int
order_index(const char *const *order, const xmlChar *name)
{
    for (int i = 0; order[i]; i++) {
        if (xmlStrEqual(name, BAD_CAST order[i]))
            return i;
    }
    return G_MAXINT;
}

/* The child <@name> whose @attr is @value (any, when @attr is NULL). */
xmlNodePtr
test_xml_find(xmlNodePtr parent, const char *name, const char *attr, const char *value)
{
    VB_XML_FOREACH_CHILD(parent, name, cur) {
        g_autofree char *prop = attr ? vb_xml_prop(cur, attr) : NULL;
        if (!attr || g_strcmp0(prop, value) == 0)
            return cur;
    }
    return NULL;
}

/* A new child <@name> placed by @order (libvirt's element order); among children of the
 * same name, before the first whose @attr is numerically greater than @id. */
xmlNodePtr
test_xml_insert(xmlNodePtr parent, const char *name, const char *const *order, const char *attr, guint id)
{
    xmlNodePtr node = xmlNewDocNode(parent->doc, NULL, BAD_CAST name, NULL);
    int rank = order_index(order, BAD_CAST name);

    for (xmlNodePtr cur = vb_xml_child(parent, NULL); cur; cur = vb_xml_next(cur, NULL)) {
        int other = order_index(order, cur->name);
        guint cur_id = 0;

        if (other == rank && attr)
            vb_xml_prop_uint(cur, attr, VB_XML_OPTIONAL, &cur_id, NULL);
        if (other > rank || (other == rank && attr && cur_id > id))
            return xmlAddPrevSibling(cur, node);
    }
    return xmlAddChild(parent, node);
}

void
test_xml_remove(xmlNodePtr node)
{
    if (!node)
        return;
    xmlUnlinkNode(node);
    xmlFreeNode(node);
}

/* Sets the text of child <@name> to @value, creating it in @order; NULL removes it. */
void
test_xml_set_child_text(xmlNodePtr parent, const char *name, const char *const *order, const char *value)
{
    xmlNodePtr node = vb_xml_child(parent, name);

    if (!value) {
        test_xml_remove(node);
        return;
    }
    if (!node)
        node = test_xml_insert(parent, name, order, NULL, 0);
    xmlNodeSetContent(node, NULL);
    xmlNodeAddContent(node, BAD_CAST value);
}

/* ---- pins in <cputune> ---- */

static const char *const cputune_order[] = {
    "shares", "global_period", "global_quota", "period", "quota", "emulator_period", "emulator_quota",
    "iothread_period", "iothread_quota", "vcpupin", "emulatorpin", "iothreadpin", "vcpusched",
    "iothreadsched", "emulatorsched", "cachetune", "memorytune", NULL,
};

/* The cpuset of <@element @attr='@id'> (<@element> when @attr is NULL), or NULL. */
char *
test_cputune_pin(const char *cputune_xml, const char *element, const char *attr, guint id)
{
    g_autoptr(xmlDoc) doc = cputune_xml ? vb_xml_parse(cputune_xml, "cputune", NULL) : NULL;
    g_autofree char *value = g_strdup_printf("%u", id);
    xmlNodePtr pin = doc ? test_xml_find(xmlDocGetRootElement(doc), element, attr, value) : NULL;

    return pin ? vb_xml_prop(pin, "cpuset") : NULL;
}

/* Pins (or with a NULL @cpuset unpins) <@element @attr='@id'> in *@cputune_xml. */
gboolean
test_cputune_set_pin(char **cputune_xml, const char *element, const char *attr, guint id, const char *cpuset,
                     GError **error)
{
    g_autoptr(xmlDoc) doc = test_xml_open(*cputune_xml, "cputune", error);
    g_autofree char *value = g_strdup_printf("%u", id);
    xmlNodePtr root, pin;

    if (!doc)
        return FALSE;
    root = xmlDocGetRootElement(doc);
    pin = test_xml_find(root, element, attr, value);
    if (!cpuset) {
        test_xml_remove(pin);
    } else {
        if (!pin) {
            pin = test_xml_insert(root, element, cputune_order, attr, id);
            if (attr)
                xmlNewProp(pin, BAD_CAST attr, BAD_CAST value);
        }
        xmlSetProp(pin, BAD_CAST "cpuset", BAD_CAST cpuset);
    }
    test_xml_store(cputune_xml, test_xml_close(doc));
    return TRUE;
}

/* ---- whole definitions ---- */

xmlDocPtr
test_def_doc(const VbDomainDef *def)
{
    g_autofree char *xml = vb_domain_def_format(def, VB_DOMAIN_XML_SECURE);

    return vb_xml_parse(xml, "domain", NULL);
}

gboolean
test_def_edit(VbConn *conn, VbDomainObj *dom, VbDomainDef *def, TestDefEdit edit, gpointer data, GError **error)
{
    g_autoptr(xmlDoc) doc = test_def_doc(def);
    g_autofree char *xml = NULL;
    VbDomainDef *parsed;

    if (!doc) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "cannot read back the definition of domain '%s'", def->name);
        return FALSE;
    }
    if (!edit(xmlDocGetRootElement(doc), data, error))
        return FALSE;
    xml = vb_xml_node_dump(xmlDocGetRootElement(doc));
    if (!(parsed = vb_domain_def_parse(xml, 0, error)))
        return FALSE;
    if (def == dom->def) {
        vb_conn_domain_replace_def(conn, dom, parsed);
    } else {
        vb_domain_def_free(dom->new_def);
        dom->new_def = parsed;
    }
    return TRUE;
}
