/* test_domain_devtune.c: tunables of test driver domain devices: interface <bandwidth>,
 * disk <iotune> and the balloon's statistics period */
#include <string.h>

#include "drivers/domain_common.h"
#include "drivers/test/test_private.h"

#define TEST_AFFECT (VB_AFFECT_LIVE | VB_AFFECT_CONFIG)
#define TEST_GET_FLAGS (TEST_AFFECT | VB_TYPED_PARAM_STRING_OKAY)
#define TEST_BLOCK_IOTUNE_MAX G_GUINT64_CONSTANT(1000000000000000)

/* The <@element> of @domain's devices that is the @index-th of its kind. */
static xmlNodePtr
device_node(xmlNodePtr domain, const char *element, guint index)
{
    guint n = 0;

    VB_XML_FOREACH_CHILD(vb_xml_child(domain, "devices"), element, node) {
        if (n++ == index)
            return node;
    }
    return NULL;
}

/* ---- interface <bandwidth> ---- */

enum { RATE_AVERAGE, RATE_PEAK, RATE_FLOOR, RATE_BURST, RATE_N };
static const char *const rate_attrs[] = { "average", "peak", "floor", "burst" };

typedef struct {
    gboolean set;
    guint64 values[RATE_N];
} Rate;

static void
rate_read(xmlNodePtr bandwidth, const char *direction, Rate *rate)
{
    xmlNodePtr node = bandwidth ? vb_xml_child(bandwidth, direction) : NULL;

    memset(rate, 0, sizeof(*rate));
    rate->set = node != NULL;
    for (int i = 0; node && i < RATE_N; i++)
        vb_xml_prop_ull(node, rate_attrs[i], VB_XML_OPTIONAL, &rate->values[i], NULL);
}

static void
rate_write(xmlNodePtr bandwidth, const char *direction, const Rate *rate)
{
    xmlNodePtr node;

    test_xml_remove(vb_xml_child(bandwidth, direction));
    if (!rate->set || (!rate->values[RATE_AVERAGE] && !rate->values[RATE_FLOOR]))
        return;
    node = xmlNewChild(bandwidth, NULL, BAD_CAST direction, NULL);
    for (int i = 0; i < RATE_N; i++) {
        g_autofree char *value = g_strdup_printf("%" G_GUINT64_FORMAT, rate->values[i]);
        if (rate->values[i])
            xmlNewProp(node, BAD_CAST rate_attrs[i], BAD_CAST value);
    }
}

typedef struct {
    guint index;
    GArray *params;
} NetEdit;

/* What a parameter sets: direction 0 in, 1 out, and the rate field. */
static gboolean
bandwidth_param(const char *name, int *direction, int *field)
{
    const char *dot = strchr(name, '.');

    if (!dot)
        return FALSE;
    *direction = g_str_has_prefix(name, "inbound.") ? 0 : 1;
    for (*field = 0; *field < RATE_N; (*field)++) {
        if (g_str_equal(dot + 1, rate_attrs[*field]))
            return TRUE;
    }
    return FALSE;
}

/* libvirt's testDomainSetInterfaceParameters: a direction given an average (or inbound
 * floor) is replaced, and dropped when those are 0; the others stay as they were. */
static gboolean
bandwidth_edit(xmlNodePtr domain, gpointer data, GError **error)
{
    NetEdit *edit = data;
    xmlNodePtr iface = device_node(domain, "interface", edit->index);
    xmlNodePtr bandwidth = vb_xml_child(iface, "bandwidth");
    Rate rates[2] = { { TRUE, { 0 } }, { TRUE, { 0 } } };
    gboolean specified[2] = { FALSE, FALSE };

    for (guint i = 0; i < edit->params->len; i++) {
        const VbTypedParam *param = &g_array_index(edit->params, VbTypedParam, i);
        int dir, field;
        if (!bandwidth_param(param->field, &dir, &field))
            continue;
        rates[dir].values[field] = param->value.ui;
        specified[dir] |= field == RATE_AVERAGE || (dir == 0 && field == RATE_FLOOR);
    }
    if (!bandwidth)
        bandwidth = xmlNewChild(iface, NULL, BAD_CAST "bandwidth", NULL);
    if (specified[0])
        rate_write(bandwidth, "inbound", &rates[0]);
    if (specified[1])
        rate_write(bandwidth, "outbound", &rates[1]);
    if (!vb_xml_child(bandwidth, NULL))
        test_xml_remove(bandwidth);
    return TRUE;
}

static const VbParamSpec bandwidth_specs[] = {
    { "inbound.average", VB_TYPED_PARAM_UINT },
    { "inbound.peak", VB_TYPED_PARAM_UINT },
    { "inbound.burst", VB_TYPED_PARAM_UINT },
    { "inbound.floor", VB_TYPED_PARAM_UINT },
    { "outbound.average", VB_TYPED_PARAM_UINT },
    { "outbound.peak", VB_TYPED_PARAM_UINT },
    { "outbound.burst", VB_TYPED_PARAM_UINT },
    { NULL },
};

/* The position of the interface @device names among @def's interfaces. */
static gboolean
find_net_index(const VbDomainDef *def, const char *device, guint *index, GError **error)
{
    VbNetDef *net = device ? vb_domain_def_find_net(def, device) : NULL;
    guint n = 0;

    for (guint i = 0; net && i < def->devices->len; i++) {
        VbDeviceDef *dev = g_ptr_array_index(def->devices, i);
        if (dev->net == net) {
            *index = n;
            return TRUE;
        }
        n += dev->net != NULL;
    }
    vb_set_error(error, VB_ERR_INVALID_ARG, "'%s' is not a known interface", device ? device : "");
    return FALSE;
}

gboolean
test_domain_set_interface_parameters(VbConn *conn, VbDomainObj *dom, const char *device, GArray *params,
                                     guint flags, GError **error)
{
    NetEdit edit = { .params = params };
    VbDomainDef *def;

    if (!vb_check_flags(flags, TEST_AFFECT, "virDomainSetInterfaceParameters", error) ||
        !vb_typed_params_validate(params, bandwidth_specs, error) ||
        !(def = vb_domain_obj_one_def(dom, flags, NULL, error)) ||
        !find_net_index(def, device, &edit.index, error))
        return FALSE;
    return test_def_edit(conn, dom, def, bandwidth_edit, &edit, error);
}

GArray *
test_domain_get_interface_parameters(VbConn *conn, VbDomainObj *dom, const char *device, guint flags,
                                     GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    xmlNodePtr bandwidth;
    VbDomainDef *def;
    guint index;
    Rate in, out;
    GArray *params;

    if (!vb_check_flags(flags, TEST_GET_FLAGS, "virDomainGetInterfaceParameters", error) ||
        !(def = vb_domain_obj_one_def(dom, flags & TEST_AFFECT, NULL, error)) ||
        !find_net_index(def, device, &index, error))
        return NULL;
    doc = test_def_doc(def);
    bandwidth = doc ? vb_xml_child(device_node(xmlDocGetRootElement(doc), "interface", index), "bandwidth") : NULL;
    rate_read(bandwidth, "inbound", &in);
    rate_read(bandwidth, "outbound", &out);
    params = vb_typed_params_new();
    vb_typed_params_add_uint(params, "inbound.average", (guint)in.values[RATE_AVERAGE]);
    vb_typed_params_add_uint(params, "inbound.peak", (guint)in.values[RATE_PEAK]);
    vb_typed_params_add_uint(params, "inbound.burst", (guint)in.values[RATE_BURST]);
    vb_typed_params_add_uint(params, "inbound.floor", (guint)in.values[RATE_FLOOR]);
    vb_typed_params_add_uint(params, "outbound.average", (guint)out.values[RATE_AVERAGE]);
    vb_typed_params_add_uint(params, "outbound.peak", (guint)out.values[RATE_PEAK]);
    vb_typed_params_add_uint(params, "outbound.burst", (guint)out.values[RATE_BURST]);
    return params;
}

/* ---- disk <iotune> ---- */

static void
iotune_read(xmlNodePtr disk, VbIoTune *tune)
{
    vb_iotune_read(disk ? vb_xml_child(disk, "iotune") : NULL, tune);
}

static void
iotune_write(xmlNodePtr disk, const VbIoTune *tune)
{
    test_xml_remove(vb_xml_child(disk, "iotune"));
    vb_iotune_write(disk, tune);
}

/* libvirt's test driver compares each limit with its _max even when no _max is set. */
static gboolean
iotune_check_max(const VbIoTune *tune, GError **error)
{
    for (int i = 0; i < 6; i++) {
        if (tune->values[i] > tune->values[i + 6]) {
            vb_set_error(error, VB_ERR_INVALID_ARG, "%s cannot be set higher than %s", vb_iotune_names[i],
                         vb_iotune_names[i + 6]);
            return FALSE;
        }
    }
    return TRUE;
}

typedef struct {
    guint index;
    GArray *params;
} DiskEdit;

static gboolean
iotune_edit(xmlNodePtr domain, gpointer data, GError **error)
{
    DiskEdit *edit = data;
    xmlNodePtr disk = device_node(domain, "disk", edit->index);
    g_auto(VbIoTune) tune = { { 0 } };

    iotune_read(disk, &tune);
    if (!vb_iotune_apply(&tune, edit->params, TEST_BLOCK_IOTUNE_MAX, error) || !vb_iotune_check_totals(&tune, error) ||
        !iotune_check_max(&tune, error))
        return FALSE;
    iotune_write(disk, &tune);
    return TRUE;
}


gboolean
test_domain_set_block_io_tune(VbConn *conn, VbDomainObj *dom, const char *disk, GArray *params, guint flags,
                              GError **error)
{
    DiskEdit edit = { .params = params };
    VbParamSpec specs[VB_IOTUNE_N + 1];
    VbDomainDef *def;

    vb_iotune_param_specs(specs);
    if (!vb_check_flags(flags, TEST_AFFECT, "virDomainSetBlockIoTune", error) ||
        !vb_typed_params_validate(params, specs, error) ||
        !(def = vb_domain_obj_one_def(dom, flags, NULL, error)))
        return FALSE;
    if (!vb_domain_def_find_disk_index(def, disk, &edit.index)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "missing persistent configuration for disk '%s'", disk ? disk : "");
        return FALSE;
    }
    return test_def_edit(conn, dom, def, iotune_edit, &edit, error);
}

GArray *
test_domain_get_block_io_tune(VbConn *conn, VbDomainObj *dom, const char *disk, guint flags, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_auto(VbIoTune) tune = { { 0 } };
    VbDomainDef *def;
    guint index;

    if (!vb_check_flags(flags, TEST_GET_FLAGS, "virDomainGetBlockIoTune", error) ||
        !(def = vb_domain_obj_one_def(dom, flags & TEST_AFFECT, NULL, error)))
        return NULL;
    if (!vb_domain_def_find_disk_index(def, disk, &index)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "disk '%s' was not found in the domain config", disk ? disk : "");
        return NULL;
    }
    if ((doc = test_def_doc(def)))
        iotune_read(device_node(xmlDocGetRootElement(doc), "disk", index), &tune);
    return vb_iotune_to_params(&tune);
}

/* ---- balloon statistics period ---- */

gboolean
test_domain_set_memory_stats_period(VbConn *conn, VbDomainObj *dom, int period, guint flags, GError **error)
{
    VbDeviceDef *balloon;
    VbDomainDef *def;

    if (!vb_check_flags(flags, TEST_AFFECT, "virDomainSetMemoryStatsPeriod", error) ||
        !(def = vb_domain_obj_one_def(dom, flags, NULL, error)))
        return FALSE;
    if (!(balloon = vb_domain_def_find_memballoon(def))) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR,
                     "No memory balloon device configured, can not set the collection period");
        return FALSE;
    }
    return vb_memballoon_set_stats_period(balloon, period, error);
}
