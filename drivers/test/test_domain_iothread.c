/* test_domain_iothread.c: IOThreads and emulator pinning of test driver domains.
 *
 * A definition's IOThreads are <iothreads>N</iothreads> and <iothreadids>: the ids listed
 * there come first, then libvirt fills in the lowest free ids up to N. Pins live in
 * <cputune> as <iothreadpin> and <emulatorpin>. */
#include "drivers/domain_common.h"
#include "drivers/test/test_private.h"

#define TEST_AFFECT (VB_AFFECT_LIVE | VB_AFFECT_CONFIG)

typedef struct {
    guint id;
    char *xml;               /* the <iothread> element when it is listed, else NULL */
} IOThread;

static void
iothread_clear(gpointer data)
{
    g_free(((IOThread *)data)->xml);
}

static gboolean
iothread_listed(GArray *threads, guint id)
{
    for (guint i = 0; i < threads->len; i++) {
        if (g_array_index(threads, IOThread, i).id == id)
            return TRUE;
    }
    return FALSE;
}

/* A pinned IOThread is no longer one libvirt filled in: it is listed from now on. */
static void
iothread_list(GArray *threads, guint id)
{
    for (guint i = 0; i < threads->len; i++) {
        IOThread *thread = &g_array_index(threads, IOThread, i);
        if (thread->id == id && !thread->xml)
            thread->xml = g_strdup_printf("<iothread id='%u'/>", id);
    }
}

/* The listed ids, then libvirt's virDomainIOThreadIDDefArrayInit fill. */
static GArray *
iothreads_read(const VbDomainDef *def)
{
    GArray *threads = g_array_new(FALSE, TRUE, sizeof(IOThread));
    g_autoptr(xmlDoc) doc = def->iothreadids_xml ? vb_xml_parse(def->iothreadids_xml, "iothreadids", NULL) : NULL;

    g_array_set_clear_func(threads, iothread_clear);
    VB_XML_FOREACH_CHILD(doc ? xmlDocGetRootElement(doc) : NULL, "iothread", node) {
        IOThread thread = { 0 };
        if (!vb_xml_prop_uint(node, "id", VB_XML_REQUIRED, &thread.id, NULL) || iothread_listed(threads, thread.id))
            continue;
        thread.xml = vb_xml_node_dump(node);
        g_array_append_val(threads, thread);
    }
    for (guint id = 1; threads->len < def->iothreads && id <= def->iothreads; id++) {
        IOThread thread = { .id = id };
        if (!iothread_listed(threads, id))
            g_array_append_val(threads, thread);
    }
    return threads;
}

/* Writes the count, and the ids whenever a re-read would not give the same list. */
static void
iothreads_write(VbDomainDef *def, GArray *threads)
{
    gboolean listed = FALSE;
    VbBuf buf;

    for (guint i = 0; i < threads->len; i++) {
        const IOThread *thread = &g_array_index(threads, IOThread, i);
        listed |= thread->xml != NULL || thread->id != i + 1;
    }
    def->iothreads = threads->len;
    g_clear_pointer(&def->iothreadids_xml, g_free);
    if (!listed)
        return;
    vb_buf_init(&buf, 0);
    vb_buf_add(&buf, "<iothreadids>\n");
    buf.indent = 2;
    for (guint i = 0; i < threads->len; i++) {
        const IOThread *thread = &g_array_index(threads, IOThread, i);
        if (thread->xml)
            vb_buf_add_raw_xml(&buf, thread->xml);
        else
            vb_buf_add(&buf, "<iothread id='%u'/>\n", thread->id);
    }
    buf.indent = 0;
    vb_buf_add(&buf, "</iothreadids>\n");
    def->iothreadids_xml = vb_buf_steal(&buf);
}

static gboolean
check_iothread_id(guint id, GError **error)
{
    if (id != 0)
        return TRUE;
    vb_set_error(error, VB_ERR_INVALID_ARG, "invalid value of 0 for iothread_id");
    return FALSE;
}

gboolean
test_domain_add_iothread(VbConn *conn, VbDomainObj *dom, guint id, guint flags, GError **error)
{
    g_autoptr(GArray) threads = NULL;
    IOThread thread = { .id = id };
    VbDomainDef *def;

    if (!vb_check_flags(flags, TEST_AFFECT, "virDomainAddIOThread", error) || !check_iothread_id(id, error) ||
        !(def = vb_domain_obj_one_def(dom, flags, NULL, error)))
        return FALSE;
    threads = iothreads_read(def);
    if (iothread_listed(threads, id)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "an IOThread is already using iothread_id '%u'", id);
        return FALSE;
    }
    thread.xml = g_strdup_printf("<iothread id='%u'/>", id);
    g_array_append_val(threads, thread);
    iothreads_write(def, threads);
    return TRUE;
}

/* The disk (by target) or "" for a controller whose <driver iothread> is @id; NULL if none. */
static char *
iothread_user(const VbDomainDef *def, guint id)
{
    g_autoptr(xmlDoc) doc = test_def_doc(def);
    xmlNodePtr devices = doc ? vb_xml_child(xmlDocGetRootElement(doc), "devices") : NULL;

    for (xmlNodePtr dev = vb_xml_child(devices, NULL); dev; dev = vb_xml_next(dev, NULL)) {
        xmlNodePtr driver = vb_xml_child(dev, "driver");
        gboolean disk = xmlStrEqual(dev->name, BAD_CAST "disk");
        guint used = 0;

        if ((!disk && !xmlStrEqual(dev->name, BAD_CAST "controller")) || !driver ||
            !vb_xml_prop_uint(driver, "iothread", VB_XML_OPTIONAL, &used, NULL) || used != id)
            continue;
        return disk ? vb_xml_prop(vb_xml_child(dev, "target"), "dev") : g_strdup("");
    }
    return NULL;
}

static gboolean
check_iothread_unused(const VbDomainDef *def, guint id, GError **error)
{
    g_autofree char *user = iothread_user(def, id);

    if (!user)
        return TRUE;
    if (*user)
        vb_set_error(error, VB_ERR_INVALID_ARG, "cannot remove IOThread %u since it is being used by disk '%s'", id,
                     user);
    else
        vb_set_error(error, VB_ERR_INVALID_ARG, "cannot remove IOThread '%u' since it is being used by controller", id);
    return FALSE;
}

gboolean
test_domain_del_iothread(VbConn *conn, VbDomainObj *dom, guint id, guint flags, GError **error)
{
    g_autoptr(GArray) threads = NULL;
    VbDomainDef *def;

    if (!vb_check_flags(flags, TEST_AFFECT, "virDomainDelIOThread", error) || !check_iothread_id(id, error) ||
        !(def = vb_domain_obj_one_def(dom, flags, NULL, error)))
        return FALSE;
    threads = iothreads_read(def);
    if (!iothread_listed(threads, id)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "cannot find IOThread '%u' in iothreadids list", id);
        return FALSE;
    }
    if (!check_iothread_unused(def, id, error))
        return FALSE;
    for (guint i = 0; i < threads->len; i++) {
        if (g_array_index(threads, IOThread, i).id == id)
            g_array_remove_index(threads, i--);
    }
    iothreads_write(def, threads);
    return test_cputune_set_pin(&def->cputune_xml, "iothreadpin", "iothread", id, NULL, error);
}

gboolean
test_domain_pin_iothread(VbConn *conn, VbDomainObj *dom, guint id, GArray *cpumap, guint flags, GError **error)
{
    g_autoptr(GArray) map = vb_cpumap_fit(cpumap, test_priv(conn)->node.cpus);
    g_autofree char *cpuset = vb_cpumap_format(map);
    g_autoptr(GArray) threads = NULL;
    VbDomainDef *def;

    if (!vb_check_flags(flags, TEST_AFFECT, "virDomainPinIOThread", error) ||
        !(def = vb_domain_obj_one_def(dom, flags, NULL, error)))
        return FALSE;
    if (!cpuset) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "Empty iothread cpumap list for pinning");
        return FALSE;
    }
    threads = iothreads_read(def);
    if (!iothread_listed(threads, id)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "iothreadid %u not found", id);
        return FALSE;
    }
    iothread_list(threads, id);
    iothreads_write(def, threads);
    return test_cputune_set_pin(&def->cputune_xml, "iothreadpin", "iothread", id, cpuset, error);
}

/* libvirt's test driver sizes an unpinned IOThread's map by the domain's vCPU count. */
static GArray *
iothread_cpumap(const VbDomainDef *def, guint id, guint ncpus)
{
    g_autofree char *cpuset = test_cputune_pin(def->cputune_xml, "iothreadpin", "iothread", id);
    GArray *map;

    if (cpuset || def->vcpu_cpuset)
        return test_cpumap_for(cpuset, def->vcpu_cpuset, ncpus);
    map = vb_cpumap_new(ncpus, FALSE);
    for (guint i = 0; i < MIN(vb_domain_def_vcpus_current(def), ncpus); i++)
        g_array_index(map, gboolean, i) = TRUE;
    return map;
}

GPtrArray *
test_domain_get_iothread_info(VbConn *conn, VbDomainObj *dom, guint flags, GError **error)
{
    g_autoptr(GArray) threads = NULL;
    VbDomainDef *def;
    GPtrArray *infos;

    if (!vb_check_flags(flags, TEST_AFFECT, "virDomainGetIOThreadInfo", error) ||
        !(def = vb_domain_obj_one_def(dom, flags, NULL, error)))
        return NULL;
    threads = iothreads_read(def);
    infos = g_ptr_array_new_with_free_func((GDestroyNotify)vb_iothread_info_free);
    for (guint i = 0; i < threads->len; i++) {
        VbIOThreadInfo *info = g_new0(VbIOThreadInfo, 1);
        info->id = g_array_index(threads, IOThread, i).id;
        info->cpumap = iothread_cpumap(def, info->id, test_priv(conn)->node.cpus);
        g_ptr_array_add(infos, info);
    }
    return infos;
}

/* ---- emulator ---- */

gboolean
test_domain_pin_emulator(VbConn *conn, VbDomainObj *dom, GArray *cpumap, guint flags, GError **error)
{
    g_autoptr(GArray) map = vb_cpumap_fit(cpumap, test_priv(conn)->node.cpus);
    g_autofree char *cpuset = vb_cpumap_format(map);
    VbDomainDef *def;

    if (!vb_check_flags(flags, TEST_AFFECT, "virDomainPinEmulator", error) ||
        !(def = vb_domain_obj_one_def(dom, flags, NULL, error)))
        return FALSE;
    if (!cpuset) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "Empty cpu list for pinning");
        return FALSE;
    }
    return test_cputune_set_pin(&def->cputune_xml, "emulatorpin", NULL, 0, cpuset, error);
}

GArray *
test_domain_get_emulator_pin_info(VbConn *conn, VbDomainObj *dom, guint flags, GError **error)
{
    g_autofree char *cpuset = NULL;
    VbDomainDef *def;

    if (!vb_check_flags(flags, TEST_AFFECT, "virDomainGetEmulatorPinInfo", error) ||
        !(def = vb_domain_obj_one_def(dom, flags, NULL, error)))
        return NULL;
    cpuset = test_cputune_pin(def->cputune_xml, "emulatorpin", NULL, 0);
    return test_cpumap_for(cpuset, def->vcpu_cpuset, test_priv(conn)->node.cpus);
}
