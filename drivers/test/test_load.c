/* test_load.c: reading a libvirt test node file (<node> with host facts and inline objects) */
#include <string.h>

#include "drivers/domain_common.h"
#include "drivers/test/test_private.h"

/* libvirt's defaultNodeInfo, used for whatever the node file leaves out */
static const VbNodeInfo default_node_info = {
    .model = "i686", .memory_kib = 3145728, .cpus = 16, .mhz = 1400,
    .nodes = 2, .sockets = 2, .cores = 2, .threads = 2,
};

typedef gboolean (*TestLoadFn)(VbConn *conn, xmlNodePtr node, const char *dir, GError **error);

static gboolean
parse_node_number(xmlNodePtr parent, const char *name, const char *what, guint64 max, guint64 *out,
                  GError **error)
{
    xmlNodePtr node = vb_xml_child(parent, name);
    g_autofree char *text = NULL;
    guint64 value;

    if (!node)
        return TRUE;
    text = vb_xml_content(node);
    if (!text || !vb_parse_ull(g_strstrip(text), &value) || value > max) {
        vb_set_error(error, VB_ERR_XML_ERROR, "invalid node %s value", what);
        return FALSE;
    }
    *out = value;
    return TRUE;
}

static gboolean
parse_cpu_number(xmlNodePtr cpu, const char *name, guint *out, GError **error)
{
    g_autofree char *what = g_strdup_printf("cpu %s", name);
    guint64 value = *out;

    if (!parse_node_number(cpu, name, what, G_MAXUINT, &value, error))
        return FALSE;
    if (value == 0 && !g_str_equal(name, "mhz")) {
        vb_set_error(error, VB_ERR_XML_ERROR, "invalid node %s value", what);
        return FALSE;
    }
    *out = (guint)value;
    return TRUE;
}

static gboolean
parse_cpu_model(xmlNodePtr cpu, VbNodeInfo *info, GError **error)
{
    g_autofree char *model = vb_xml_child_content(cpu, "model");

    if (!model)
        return TRUE;
    if (g_strlcpy(info->model, model, sizeof(info->model)) >= sizeof(info->model)) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "Model %s too big for destination", model);
        return FALSE;
    }
    return TRUE;
}

/* libvirt's testParseNodeInfo: the CPU count follows the topology, capped by <active>. */
static gboolean
parse_node_info(xmlNodePtr root, VbNodeInfo *info, GError **error)
{
    xmlNodePtr cpu = vb_xml_child(root, "cpu");
    guint active = 0;

    *info = default_node_info;
    if (cpu && (!parse_cpu_number(cpu, "nodes", &info->nodes, error) ||
                !parse_cpu_number(cpu, "sockets", &info->sockets, error) ||
                !parse_cpu_number(cpu, "cores", &info->cores, error) ||
                !parse_cpu_number(cpu, "threads", &info->threads, error) ||
                !parse_cpu_number(cpu, "mhz", &info->mhz, error) ||
                !parse_cpu_model(cpu, info, error)))
        return FALSE;
    info->cpus = info->nodes * info->sockets * info->cores * info->threads;
    if (cpu && vb_xml_child(cpu, "active")) {
        if (!parse_cpu_number(cpu, "active", &active, error))
            return FALSE;
        info->cpus = MIN(info->cpus, active);
    }
    return parse_node_number(root, "memory", "memory", G_MAXUINT64, &info->memory_kib, error);
}

/* One NUMA cell per node, the CPUs and memory shared out evenly, half the memory free. */
static void
build_cells(TestPriv *priv)
{
    guint nodes = priv->node.nodes;
    guint per_cell = priv->node.cpus / nodes;

    for (guint i = 0; i < nodes; i++) {
        TestCell cell = { 0 };

        cell.first_cpu = i * per_cell;
        cell.ncpus = i + 1 == nodes ? priv->node.cpus - cell.first_cpu : per_cell;
        cell.mem_kib = priv->node.memory_kib / nodes;
        cell.free_kib = cell.mem_kib / 2;
        g_array_append_val(priv->cells, cell);
    }
}

/* A stable host UUID per node file, so capabilities do not change between runs. */
static void
build_host_uuid(TestPriv *priv, const char *path)
{
    g_autofree char *digest = g_compute_checksum_for_string(G_CHECKSUM_MD5, path, -1);

    vb_uuid_parse(digest, priv->host_uuid);
}

/* ---- inline objects ---- */

/* A child element in libvirt's test namespace: presence, and its number if it holds one. */
static gboolean
test_ns_element(xmlNodePtr node, const char *name, gboolean *present, guint *value, GError **error)
{
    for (xmlNodePtr cur = vb_xml_child(node, NULL); cur; cur = vb_xml_next(cur, NULL)) {
        g_autofree char *text = NULL;
        guint64 number = 0;

        if (!cur->ns || !xmlStrEqual(cur->ns->href, BAD_CAST TEST_DOMAIN_NS) ||
            !xmlStrEqual(cur->name, BAD_CAST name))
            continue;
        *present = TRUE;
        text = vb_xml_content(cur);
        if (value && (!text || !vb_parse_ull(g_strstrip(text), &number) || number > G_MAXINT)) {
            vb_set_error(error, VB_ERR_XML_ERROR, "invalid %s", name);
            return FALSE;
        }
        if (value)
            *value = (guint)number;
        return TRUE;
    }
    return TRUE;
}

typedef struct {
    int runstate;
    gboolean transient;
    gboolean managed_save;
} TestDomainNs;

/* libvirt's test namespace: <test:runstate>, <test:transient/>, <test:hasmanagedsave/>. */
static gboolean
parse_domain_ns(xmlNodePtr node, TestDomainNs *ns, GError **error)
{
    gboolean has_runstate = FALSE;
    guint runstate = VB_DOMAIN_RUNNING;

    if (!test_ns_element(node, "runstate", &has_runstate, &runstate, error))
        return FALSE;
    test_ns_element(node, "transient", &ns->transient, NULL, NULL);
    test_ns_element(node, "hasmanagedsave", &ns->managed_save, NULL, NULL);
    ns->runstate = (int)runstate;
    if (ns->runstate > VB_DOMAIN_PMSUSPENDED) {
        vb_set_error(error, VB_ERR_XML_ERROR, "runstate '%d' out of range'", ns->runstate);
        return FALSE;
    }
    if (ns->transient && ns->runstate == VB_DOMAIN_SHUTOFF) {
        vb_set_error(error, VB_ERR_XML_ERROR, "transient domain cannot have runstate 'shutoff'");
        return FALSE;
    }
    if (ns->managed_save && ns->runstate != VB_DOMAIN_SHUTOFF) {
        vb_set_error(error, VB_ERR_XML_ERROR, "domain with managedsave data can only have runstate 'shutoff'");
        return FALSE;
    }
    return TRUE;
}

static gboolean
load_domain(VbConn *conn, xmlNodePtr node, const char *dir, GError **error)
{
    g_autoptr(VbDomainDef) def = vb_domain_def_parse_node(node, 0, error);
    TestDomainNs ns = { 0 };
    VbDomainObj *dom;

    if (!def || !parse_domain_ns(node, &ns, error) ||
        !vb_conn_domain_check_duplicate(conn, def, FALSE, &dom, error))
        return FALSE;
    if (dom) {
        vb_set_error(error, VB_ERR_OPERATION_FAILED, "domain '%s' already exists with uuid %s",
                     def->name, def->uuid);
        return FALSE;
    }
    test_domain_post_parse(def);
    dom = vb_domain_obj_new(g_steal_pointer(&def));
    dom->persistent = !ns.transient;
    dom->has_managed_save = ns.managed_save;
    vb_conn_domain_add(conn, dom);
    if (ns.runstate == VB_DOMAIN_SHUTOFF)
        return TRUE;
    test_domain_start_state(conn, dom, VB_RUNNING_BOOTED);
    if (ns.runstate != VB_DOMAIN_RUNNING)
        vb_domain_obj_set_state(dom, ns.runstate, 0);
    return TRUE;
}

static gboolean
load_network(VbConn *conn, xmlNodePtr node, const char *dir, GError **error)
{
    g_autofree char *xml = vb_xml_node_dump(node);
    VbNetworkObj *net = test_network_define_xml(conn, xml, error);

    return net && test_network_create(conn, net, error);
}

static gboolean
load_interface(VbConn *conn, xmlNodePtr node, const char *dir, GError **error)
{
    g_autofree char *xml = vb_xml_node_dump(node);
    VbInterfaceObj *iface = test_interface_define_xml(conn, xml, 0, error);

    return iface && test_interface_create(conn, iface, 0, error);
}

static gboolean
load_node_device(VbConn *conn, xmlNodePtr node, const char *dir, GError **error)
{
    g_autofree char *xml = vb_xml_node_dump(node);

    return test_node_device_load(conn, xml, error);
}

static gboolean
load_secret(VbConn *conn, xmlNodePtr node, const char *dir, GError **error)
{
    g_autofree char *xml = vb_xml_node_dump(node);

    return test_secret_define_xml(conn, xml, 0, error) != NULL;
}

static gboolean
load_nwfilter(VbConn *conn, xmlNodePtr node, const char *dir, GError **error)
{
    g_autofree char *xml = vb_xml_node_dump(node);

    return test_nwfilter_define_xml(conn, xml, error) != NULL;
}

/* <domain file='x.xml'/> reads the object from that file, relative to the node file. */
xmlDocPtr
test_load_external(xmlNodePtr node, const char *dir, const char *root, GError **error)
{
    g_autofree char *file = vb_xml_prop(node, "file");
    g_autofree char *path = NULL;
    g_autofree char *text = NULL;
    g_autoptr(GError) local = NULL;

    path = g_path_is_absolute(file) ? g_strdup(file) : g_build_filename(dir, file, NULL);
    if (!g_file_get_contents(path, &text, NULL, &local)) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "cannot read '%s': %s", path, local->message);
        return NULL;
    }
    return vb_xml_parse(text, root, error);
}

static gboolean
load_children(VbConn *conn, xmlNodePtr root, const char *name, const char *dir, TestLoadFn fn, GError **error)
{
    VB_XML_FOREACH_CHILD(root, name, child) {
        g_autoptr(xmlDoc) doc = NULL;
        g_autofree char *file = vb_xml_prop(child, "file");
        xmlNodePtr node = child;

        if (file) {
            if (!(doc = test_load_external(child, dir, name, error)))
                return FALSE;
            node = xmlDocGetRootElement(doc);
        }
        if (!fn(conn, node, dir, error))
            return FALSE;
    }
    return TRUE;
}

/* libvirt's testOpenParse order: domains, networks, interfaces, pools, node devices. */
static gboolean
load_objects(VbConn *conn, xmlNodePtr root, const char *dir, GError **error)
{
    return load_children(conn, root, "domain", dir, load_domain, error) &&
           load_children(conn, root, "network", dir, load_network, error) &&
           load_children(conn, root, "interface", dir, load_interface, error) &&
           load_children(conn, root, "pool", dir, test_pool_load, error) &&
           load_children(conn, root, "device", dir, load_node_device, error) &&
           load_children(conn, root, "secret", dir, load_secret, error) &&
           load_children(conn, root, "filter", dir, load_nwfilter, error);
}

gboolean
test_load_node_file(VbConn *conn, const char *path, GError **error)
{
    TestPriv *priv = test_priv(conn);
    g_autofree char *text = NULL;
    g_autofree char *dir = g_path_get_dirname(path);
    g_autoptr(GError) local = NULL;
    g_autoptr(xmlDoc) doc = NULL;
    xmlNodePtr root;

    if (!g_file_get_contents(path, &text, NULL, &local)) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "cannot read test driver node file '%s': %s", path, local->message);
        return FALSE;
    }
    if (!(doc = vb_xml_parse(text, "node", error)))
        return FALSE;
    root = xmlDocGetRootElement(doc);
    if (!parse_node_info(root, &priv->node, error))
        return FALSE;
    build_cells(priv);
    build_host_uuid(priv, path);
    return load_objects(conn, root, dir, error);
}
