/* qemu_status.c: the live state of each running domain in <state_dir>/<name>.xml, written on
 * every change, so that a restarted daemon finds its guests again:
 *
 *   <domstatus state='1' reason='1' pid='4242' monitor='/run/virtbus/qemu/domain-1.monitor'>
 *     <domain type='kvm' id='1'>...the live definition...</domain>
 *     <relabel path='/var/lib/images/a.img' uid='0' gid='0'/>   (files to give back at stop)
 *     <hostdev-detached name='pci_0000_00_19_0'/>                 (PCI devices to give back)
 *     <blockjob disk='vda' type='4' ready='1' .../>                (block jobs QEMU runs)
 *   </domstatus>
 */
#include <glib/gstdio.h>

#include "drivers/qemu/qemu_private.h"

static char *
status_path(VbConn *conn, const char *name)
{
    g_autofree char *file = g_strconcat(name, ".xml", NULL);

    return g_build_filename(qemu_priv(conn)->state_dir, file, NULL);
}

gboolean
qemu_status_save(VbConn *conn, VbDomainObj *dom, QemuRun *run)
{
    g_autofree char *path = status_path(conn, dom->def->name);
    g_autoptr(GError) error = NULL;
    g_autofree char *monitor = vb_xml_escape(run->monitor_path);
    g_autofree char *xml = NULL;
    VbBuf buf;

    vb_buf_init(&buf, 0);
    vb_buf_add(&buf, "<domstatus state='%d' reason='%d' pid='%d' monitor='%s'>\n", dom->state, dom->reason,
               (int)vb_qemu_process_get_pid(run->proc), monitor);
    buf.indent += 2;
    vb_domain_def_format_buf(&buf, dom->def, dom->id, VB_DOMAIN_XML_SECURE);
    qemu_user_relabel_format(run->relabeled, &buf);
    for (guint i = 0; run->hostdevs && i < run->hostdevs->len; i++)
        vb_buf_add(&buf, "<hostdev-detached name='%s'/>\n", (const char *)g_ptr_array_index(run->hostdevs, i));
    qemu_blockjob_status_format(run, &buf);
    buf.indent -= 2;
    vb_buf_add(&buf, "</domstatus>\n");
    xml = vb_buf_steal(&buf);
    if (g_file_set_contents_full(path, xml, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
        return TRUE;
    g_warning("cannot save the status of domain '%s': %s", dom->def->name, error->message);
    return FALSE;
}

void
qemu_status_remove(VbConn *conn, VbDomainObj *dom)
{
    g_autofree char *path = status_path(conn, dom->def->name);

    g_unlink(path);
}

/* The live definition takes the domain's place; its config (if any) waits in new_def. */
static VbDomainObj *
adopt_live_def(VbConn *conn, VbDomainDef *live)
{
    VbDomainObj *dom = NULL;
    g_autoptr(GError) error = NULL;

    if (!vb_conn_domain_check_duplicate(conn, live, TRUE, &dom, &error)) {
        g_warning("ignoring the status of domain '%s': %s", live->name, error->message);
        vb_domain_def_free(live);
        return NULL;
    }
    if (!dom) {
        dom = vb_domain_obj_new(live);
        vb_conn_domain_add(conn, dom);
        return dom;
    }
    dom->new_def = vb_domain_def_copy(dom->def);
    vb_conn_domain_replace_def(conn, dom, live);
    return dom;
}

/* <hostdev-detached name='pci_...'/>: PCI devices to hand back to their host drivers. */
static GPtrArray *
detached_hostdevs(xmlNodePtr root)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);

    for (xmlNodePtr node = root->children; node; node = node->next) {
        g_autofree char *name = NULL;

        if (node->type == XML_ELEMENT_NODE && xmlStrEqual(node->name, (const xmlChar *)"hostdev-detached") &&
            (name = vb_xml_prop(node, "name")) && g_str_has_prefix(name, "pci_"))
            g_ptr_array_add(names, g_steal_pointer(&name));
    }
    return names;
}

static void
load_status(VbConn *conn, const char *path)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *monitor = NULL;
    g_autoptr(xmlDoc) doc = NULL;
    xmlNodePtr root, domain;
    VbDomainDef *live;
    VbDomainObj *dom;
    int state = 0, reason = 0, pid = 0, id = 0;

    if (!g_file_get_contents(path, &xml, NULL, &error) || !(doc = vb_xml_parse(xml, "domstatus", &error))) {
        g_warning("ignoring domain status %s: %s", path, error->message);
        return;
    }
    root = xmlDocGetRootElement(doc);
    domain = vb_xml_child(root, "domain");
    if (!vb_xml_prop_int(root, "state", 0, &state, &error) || !vb_xml_prop_int(root, "reason", 0, &reason, &error) ||
        !vb_xml_prop_int(root, "pid", 0, &pid, &error) || !(monitor = vb_xml_prop(root, "monitor")) || !domain ||
        !vb_xml_prop_int(domain, "id", 0, &id, &error) || !(live = vb_domain_def_parse_node(domain, 0, &error))) {
        g_warning("ignoring domain status %s: %s", path, error ? error->message : "incomplete");
        return;
    }
    if (!(dom = adopt_live_def(conn, live)))
        return;
    vb_conn_domain_set_id(conn, dom, id);
    vb_domain_obj_set_state(dom, state, reason);
    dom->started_at = g_get_monotonic_time();
    qemu_priv(conn)->next_dom_id = MAX(qemu_priv(conn)->next_dom_id, id + 1);
    qemu_run_reattach(conn, dom, pid, monitor, qemu_user_relabel_parse(root), detached_hostdevs(root),
                      qemu_blockjob_status_parse(root));
}

void
qemu_status_load_all(VbConn *conn)
{
    QemuPriv *priv = qemu_priv(conn);
    g_autoptr(GDir) dir = g_dir_open(priv->state_dir, 0, NULL);
    const char *entry;

    while (dir && (entry = g_dir_read_name(dir))) {
        g_autofree char *path = g_build_filename(priv->state_dir, entry, NULL);

        if (g_str_has_suffix(entry, ".xml"))
            load_status(conn, path);
    }
}
