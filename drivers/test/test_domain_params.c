/* test_domain_params.c: the typed-parameter tunables of test driver domains: <blkiotune>,
 * <memtune>, <numatune>, <perf> and the scheduler, with libvirt's test driver semantics */
#include <errno.h>
#include <string.h>

#include "drivers/domain_common.h"
#include "drivers/test/test_private.h"

#define TEST_AFFECT (VB_AFFECT_LIVE | VB_AFFECT_CONFIG)
#define TEST_GET_FLAGS (TEST_AFFECT | VB_TYPED_PARAM_STRING_OKAY)
#define TEST_MEMORY_UNLIMITED 9007199254740991ull   /* VIR_DOMAIN_MEMORY_PARAM_UNLIMITED */
#define TEST_NODESET_MAX 1024                       /* VIR_DOMAIN_CPUMASK_LEN */

/* ---- <blkiotune> ---- */

/* Per-device fields: the XML element, the typed parameter, and whether it is a 32-bit value. */
enum { BLKIO_WEIGHT, BLKIO_RIOPS, BLKIO_WIOPS, BLKIO_RBPS, BLKIO_WBPS, BLKIO_N };
static const char *const blkio_elements[] = {
    "weight", "read_iops_sec", "write_iops_sec", "read_bytes_sec", "write_bytes_sec",
};
static const char *const blkio_params[] = {
    "device_weight", "device_read_iops_sec", "device_write_iops_sec", "device_read_bytes_sec",
    "device_write_bytes_sec",
};

typedef struct {
    char *path;
    guint64 values[BLKIO_N];
} BlkioDevice;

typedef struct {
    guint weight;
    GPtrArray *devices;      /* BlkioDevice */
} Blkio;

static void
blkio_device_free(BlkioDevice *dev)
{
    g_free(dev->path);
    g_free(dev);
}

static void
blkio_clear(Blkio *blkio)
{
    g_ptr_array_unref(blkio->devices);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Blkio, blkio_clear)

static void
blkio_read_device(Blkio *blkio, xmlNodePtr node)
{
    BlkioDevice *dev = g_new0(BlkioDevice, 1);

    dev->path = vb_xml_child_content(node, "path");
    for (int i = 0; i < BLKIO_N; i++) {
        xmlNodePtr child = vb_xml_child(node, blkio_elements[i]);
        if (child)
            vb_xml_content_ull(child, &dev->values[i], NULL);
    }
    g_ptr_array_add(blkio->devices, dev);
}

static void
blkio_read(const VbDomainDef *def, Blkio *blkio)
{
    g_autoptr(xmlDoc) doc = def->blkiotune_xml ? vb_xml_parse(def->blkiotune_xml, "blkiotune", NULL) : NULL;
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    guint64 weight = 0;

    blkio->devices = g_ptr_array_new_with_free_func((GDestroyNotify)blkio_device_free);
    if (!root)
        return;
    if (vb_xml_child(root, "weight") && vb_xml_content_ull(vb_xml_child(root, "weight"), &weight, NULL))
        blkio->weight = (guint)weight;
    VB_XML_FOREACH_CHILD(root, "device", node)
        blkio_read_device(blkio, node);
}

static gboolean
blkio_device_empty(const BlkioDevice *dev)
{
    for (int i = 0; i < BLKIO_N; i++) {
        if (dev->values[i])
            return FALSE;
    }
    return TRUE;
}

/* libvirt's layout; devices with nothing set are left out, as is an empty <blkiotune>. */
static char *
blkio_format(const Blkio *blkio)
{
    VbBuf buf;

    vb_buf_init(&buf, 0);
    buf.indent = 2;
    if (blkio->weight)
        vb_buf_add(&buf, "<weight>%u</weight>\n", blkio->weight);
    for (guint i = 0; i < blkio->devices->len; i++) {
        const BlkioDevice *dev = g_ptr_array_index(blkio->devices, i);
        if (blkio_device_empty(dev))
            continue;
        vb_buf_add(&buf, "<device>\n");
        buf.indent += 2;
        vb_buf_escape(&buf, "<path>%s</path>\n", dev->path);
        for (int f = 0; f < BLKIO_N; f++) {
            if (dev->values[f])
                vb_buf_add(&buf, "<%s>%" G_GUINT64_FORMAT "</%s>\n", blkio_elements[f], dev->values[f],
                           blkio_elements[f]);
        }
        buf.indent -= 2;
        vb_buf_add(&buf, "</device>\n");
    }
    if (vb_buf_empty(&buf)) {
        vb_buf_clear(&buf);
        return NULL;
    }
    g_string_prepend(buf.str, "<blkiotune>\n");
    g_string_append(buf.str, "</blkiotune>\n");
    return vb_buf_steal(&buf);
}

/* One "path,value" item of a device string; FALSE with libvirt's error when it is bad. */
static gboolean
blkio_parse_value(const char *param, const char *str, const char *path, int field, const char **rest,
                  guint64 *value, GError **error)
{
    const char *p = *rest;
    char *end = NULL;
    guint64 max = field <= BLKIO_WIOPS ? G_MAXUINT : G_MAXUINT64;

    while (g_ascii_isspace(*p))
        p++;
    errno = 0;
    *value = *p == '-' ? 0 : g_ascii_strtoull(p, &end, 10);
    if (*p == '-' || !end || end == p || errno || *value > max) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "invalid value '%s' for parameter '%s' of device '%s'", *rest,
                     param, path);
        return FALSE;
    }
    if (*end != '\0' && *end != ',') {
        vb_set_error(error, VB_ERR_INVALID_ARG, "unable to parse blkio device '%s' '%s'", param, str);
        return FALSE;
    }
    *rest = *end ? end + 1 : NULL;
    return TRUE;
}

/* libvirt's virDomainDriverParseBlkioDeviceStr: "/dev/sda,500,/dev/sdb,300". */
static GPtrArray *
blkio_parse_devices(const char *param, int field, const char *str, GError **error)
{
    g_autoptr(GPtrArray) devices = g_ptr_array_new_with_free_func((GDestroyNotify)blkio_device_free);
    const char *rest = *str ? str : NULL;
    guint commas = 0;

    for (const char *p = str; *p; p++)
        commas += *p == ',';
    if (*str && !(commas & 1)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "unable to parse blkio device '%s' '%s'", param, str);
        return NULL;
    }
    while (rest) {
        const char *comma = strchr(rest, ',');
        BlkioDevice *dev;

        if (!comma) {
            vb_set_error(error, VB_ERR_INVALID_ARG, "unable to parse blkio device '%s' '%s'", param, str);
            return NULL;
        }
        dev = g_new0(BlkioDevice, 1);
        dev->path = g_strndup(rest, (gsize)(comma - rest));
        g_ptr_array_add(devices, dev);
        rest = comma + 1;
        if (!blkio_parse_value(param, str, dev->path, field, &rest, &dev->values[field], error))
            return NULL;
    }
    return g_steal_pointer(&devices);
}

static BlkioDevice *
blkio_find(Blkio *blkio, const char *path)
{
    for (guint i = 0; i < blkio->devices->len; i++) {
        BlkioDevice *dev = g_ptr_array_index(blkio->devices, i);
        if (g_strcmp0(dev->path, path) == 0)
            return dev;
    }
    return NULL;
}

/* libvirt's virDomainDriverMergeBlkioDevice: known paths take the value, even 0; new
 * paths are added unless they set nothing. */
static void
blkio_merge(Blkio *blkio, GPtrArray *devices, int field)
{
    for (guint i = 0; i < devices->len; i++) {
        BlkioDevice *src = g_ptr_array_index(devices, i);
        BlkioDevice *dest = blkio_find(blkio, src->path);

        if (dest) {
            dest->values[field] = src->values[field];
        } else if (!blkio_device_empty(src)) {
            g_ptr_array_add(blkio->devices, g_ptr_array_steal_index(devices, i));
            i--;
        }
    }
}

static int
blkio_field(const char *param)
{
    for (int i = 0; i < BLKIO_N; i++) {
        if (g_str_equal(blkio_params[i], param))
            return i;
    }
    return -1;
}

/* libvirt's virDomainDriverSetupPersistentDefBlkioParams: a bad parameter fails the call
 * (the last error is reported) but the others are still applied. */
static gboolean
blkio_apply(VbDomainDef *def, GArray *params, GError **error)
{
    g_auto(Blkio) blkio = { 0 };
    g_autoptr(GError) failure = NULL;

    blkio_read(def, &blkio);
    for (guint i = 0; i < params->len; i++) {
        const VbTypedParam *param = &g_array_index(params, VbTypedParam, i);
        int field = blkio_field(param->field);
        g_autoptr(GPtrArray) devices = NULL;
        g_autoptr(GError) local = NULL;

        if (field < 0) {
            blkio.weight = param->value.ui;
            continue;
        }
        if ((devices = blkio_parse_devices(param->field, field, param->value.s, &local))) {
            blkio_merge(&blkio, devices, field);
        } else {
            g_clear_error(&failure);
            failure = g_steal_pointer(&local);
        }
    }
    test_xml_store(&def->blkiotune_xml, blkio_format(&blkio));
    if (!failure)
        return TRUE;
    g_propagate_error(error, g_steal_pointer(&failure));
    return FALSE;
}

static const VbParamSpec blkio_specs[] = {
    { "weight", VB_TYPED_PARAM_UINT },
    { "device_weight", VB_TYPED_PARAM_STRING },
    { "device_read_iops_sec", VB_TYPED_PARAM_STRING },
    { "device_write_iops_sec", VB_TYPED_PARAM_STRING },
    { "device_read_bytes_sec", VB_TYPED_PARAM_STRING },
    { "device_write_bytes_sec", VB_TYPED_PARAM_STRING },
    { NULL },
};

gboolean
test_domain_set_blkio_parameters(VbConn *conn, VbDomainObj *dom, GArray *params, guint flags, GError **error)
{
    VbDomainDef *def;

    if (!vb_check_flags(flags, TEST_AFFECT, "virDomainSetBlkioParameters", error) ||
        !vb_typed_params_validate(params, blkio_specs, error) ||
        !(def = vb_domain_obj_one_def(dom, flags, NULL, error)))
        return FALSE;
    return blkio_apply(def, params, error);
}

/* "path,value,path,value" of the devices that set @field. */
static char *
blkio_device_string(const Blkio *blkio, int field)
{
    g_autoptr(GString) str = g_string_new(NULL);

    for (guint i = 0; i < blkio->devices->len; i++) {
        const BlkioDevice *dev = g_ptr_array_index(blkio->devices, i);
        if (dev->values[field])
            g_string_append_printf(str, "%s%s,%" G_GUINT64_FORMAT, str->len ? "," : "", dev->path,
                                   dev->values[field]);
    }
    return g_string_free(g_steal_pointer(&str), FALSE);
}

GArray *
test_domain_get_blkio_parameters(VbConn *conn, VbDomainObj *dom, guint flags, GError **error)
{
    g_auto(Blkio) blkio = { 0 };
    VbDomainDef *def;
    GArray *params;

    if (!vb_check_flags(flags, TEST_GET_FLAGS, "virDomainGetBlkioParameters", error) ||
        !(def = vb_domain_obj_one_def(dom, flags & TEST_AFFECT, NULL, error)))
        return NULL;
    blkio_read(def, &blkio);
    params = vb_typed_params_new();
    vb_typed_params_add_uint(params, "weight", blkio.weight);
    for (int i = 0; i < BLKIO_N; i++) {
        g_autofree char *devices = blkio_device_string(&blkio, i);
        vb_typed_params_add_string(params, blkio_params[i], devices);
    }
    return params;
}

/* ---- <memtune> ---- */

static const char *const memtune_order[] = { "hard_limit", "soft_limit", "min_guarantee", "swap_hard_limit", NULL };

static guint64
memtune_limit(xmlNodePtr memtune, const char *name)
{
    xmlNodePtr node = memtune ? vb_xml_child(memtune, name) : NULL;
    guint64 kib = TEST_MEMORY_UNLIMITED;

    if (node && !vb_xml_scaled_kib(node, &kib, NULL))
        kib = TEST_MEMORY_UNLIMITED;
    return kib;
}

/* Sets a limit in KiB; "unlimited" ones are left out of the XML as libvirt does. */
static void
memtune_set(xmlNodePtr memtune, const char *name, guint64 kib)
{
    g_autofree char *text = g_strdup_printf("%" G_GUINT64_FORMAT, kib);
    xmlNodePtr node;

    test_xml_set_child_text(memtune, name, memtune_order, kib < TEST_MEMORY_UNLIMITED ? text : NULL);
    if ((node = vb_xml_child(memtune, name)))
        xmlSetProp(node, BAD_CAST "unit", BAD_CAST "KiB");
}

static const VbParamSpec memory_specs[] = {
    { "hard_limit", VB_TYPED_PARAM_ULLONG },
    { "soft_limit", VB_TYPED_PARAM_ULLONG },
    { "swap_hard_limit", VB_TYPED_PARAM_ULLONG },
    { NULL },
};

/* libvirt checks the new limits against the live definition, whichever one is changed. */
static gboolean
memtune_check(const VbDomainDef *live, GArray *params, GError **error)
{
    const VbTypedParam *hard = vb_typed_params_get(params, "hard_limit");
    const VbTypedParam *swap = vb_typed_params_get(params, "swap_hard_limit");
    g_autoptr(xmlDoc) doc = NULL;
    guint64 mem_limit, swap_limit;

    if (!hard && !swap)
        return TRUE;
    if (live->memtune_xml)
        doc = vb_xml_parse(live->memtune_xml, "memtune", NULL);
    mem_limit = hard ? hard->value.ul : memtune_limit(doc ? xmlDocGetRootElement(doc) : NULL, "hard_limit");
    swap_limit = swap ? swap->value.ul : memtune_limit(doc ? xmlDocGetRootElement(doc) : NULL, "swap_hard_limit");
    if (mem_limit > swap_limit) {
        vb_set_error(error, VB_ERR_INVALID_ARG,
                     "memory hard_limit tunable value must be lower than or equal to swap_hard_limit");
        return FALSE;
    }
    return TRUE;
}

gboolean
test_domain_set_memory_parameters(VbConn *conn, VbDomainObj *dom, GArray *params, guint flags, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    VbDomainDef *def;

    if (!vb_check_flags(flags, TEST_AFFECT, "virDomainSetMemoryParameters", error) ||
        !vb_typed_params_validate(params, memory_specs, error) ||
        !(def = vb_domain_obj_one_def(dom, flags, NULL, error)) ||
        !memtune_check(dom->def, params, error) ||
        !(doc = test_xml_open(def->memtune_xml, "memtune", error)))
        return FALSE;
    for (const VbParamSpec *spec = memory_specs; spec->name; spec++) {
        const VbTypedParam *param = vb_typed_params_get(params, spec->name);
        if (param)
            memtune_set(xmlDocGetRootElement(doc), spec->name, param->value.ul);
    }
    test_xml_store(&def->memtune_xml, test_xml_close(doc));
    return TRUE;
}

/* ---- <numatune> ---- */

static const char *const numa_modes[] = { "strict", "preferred", "interleave", "restrictive", NULL };

typedef struct {
    gboolean specified;
    int mode;
    char *placement;         /* static | auto */
    char *nodeset;
} Numatune;

static void
numatune_clear(Numatune *numa)
{
    g_free(numa->placement);
    g_free(numa->nodeset);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Numatune, numatune_clear)

static void
numatune_read(xmlNodePtr root, Numatune *numa)
{
    xmlNodePtr memory = root ? vb_xml_child(root, "memory") : NULL;
    g_autofree char *mode = NULL;

    if (!memory)
        return;
    numa->specified = TRUE;
    mode = vb_xml_prop(memory, "mode");
    numa->mode = mode ? MAX(vb_enum_from_string(numa_modes, mode), 0) : VB_NUMATUNE_MEM_STRICT;
    numa->nodeset = vb_xml_prop(memory, "nodeset");
    numa->placement = vb_xml_prop(memory, "placement");
    if (!numa->placement)
        numa->placement = g_strdup(numa->nodeset ? "static" : "auto");
}

/* libvirt's virDomainNumatuneSet with placement left to the default. */
static gboolean
numatune_update(Numatune *numa, gboolean placement_static, int mode, const char *nodeset, GError **error)
{
    const char *placement = NULL;

    if (mode == -1 && !nodeset)
        return TRUE;
    if (!numa->specified && mode == -1)
        mode = VB_NUMATUNE_MEM_STRICT;
    if (mode != -1)
        numa->mode = mode;
    if (nodeset) {
        g_free(numa->nodeset);
        numa->nodeset = g_strdup(nodeset);
        placement = "static";
    } else if (!numa->specified) {
        placement = numa->nodeset || placement_static ? "static" : "auto";
    }
    if (g_strcmp0(placement, "static") == 0 && !numa->nodeset) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED,
                     "nodeset for NUMA memory tuning must be set if 'placement' is 'static'");
        return FALSE;
    }
    if (placement) {
        g_free(numa->placement);
        numa->placement = g_strdup(placement);
    }
    if (g_str_equal(numa->placement, "auto"))
        g_clear_pointer(&numa->nodeset, g_free);
    numa->specified = TRUE;
    return TRUE;
}

static void
numatune_write(xmlNodePtr root, const Numatune *numa)
{
    xmlNodePtr memory = xmlNewDocNode(root->doc, NULL, BAD_CAST "memory", NULL);
    xmlNodePtr first;

    test_xml_remove(vb_xml_child(root, "memory"));
    first = vb_xml_child(root, NULL);
    xmlNewProp(memory, BAD_CAST "mode", BAD_CAST numa_modes[numa->mode]);
    if (g_str_equal(numa->placement, "static"))
        xmlNewProp(memory, BAD_CAST "nodeset", BAD_CAST numa->nodeset);
    else
        xmlNewProp(memory, BAD_CAST "placement", BAD_CAST numa->placement);
    if (first)
        xmlAddPrevSibling(first, memory);
    else
        xmlAddChild(root, memory);
}

/* The nodeset in libvirt's canonical form, or FALSE with its error. */
static char *
numa_parse_nodeset(const char *text, GError **error)
{
    g_autoptr(GArray) map = vb_cpumap_new(TEST_NODESET_MAX, FALSE);
    char *canonical;

    if (!vb_cpumap_parse(text, map, TRUE)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "Failed to parse bitmap '%s'", text);
        return NULL;
    }
    if (!(canonical = vb_cpumap_format(map)))
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "Invalid nodeset of 'numatune': %s", text);
    return canonical;
}

static gboolean
numa_read_params(GArray *params, int *mode, char **nodeset, GError **error)
{
    const VbTypedParam *mode_param = vb_typed_params_get(params, "numa_mode");
    const VbTypedParam *nodeset_param = vb_typed_params_get(params, "numa_nodeset");

    *mode = mode_param ? mode_param->value.i : -1;
    if (mode_param && (*mode < 0 || *mode >= VB_NUMATUNE_MEM_LAST)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "unsupported numatune mode: '%d'", *mode);
        return FALSE;
    }
    return !nodeset_param || (*nodeset = numa_parse_nodeset(nodeset_param->value.s, error));
}

static const VbParamSpec numa_specs[] = {
    { "numa_mode", VB_TYPED_PARAM_INT },
    { "numa_nodeset", VB_TYPED_PARAM_STRING },
    { NULL },
};

gboolean
test_domain_set_numa_parameters(VbConn *conn, VbDomainObj *dom, GArray *params, guint flags, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_auto(Numatune) numa = { 0 };
    g_autofree char *nodeset = NULL;
    gboolean live = FALSE;
    VbDomainDef *def;
    int mode;

    if (!vb_check_flags(flags, TEST_AFFECT, "virDomainSetNumaParameters", error) ||
        !vb_typed_params_validate(params, numa_specs, error) ||
        !(def = vb_domain_obj_one_def(dom, flags, &live, error)) ||
        !numa_read_params(params, &mode, &nodeset, error) ||
        !(doc = test_xml_open(def->numatune_xml, "numatune", error)))
        return FALSE;
    numatune_read(xmlDocGetRootElement(doc), &numa);
    if (live && mode != -1 && numa.specified && numa.mode != mode) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "can't change numatune mode for running domain");
        return FALSE;
    }
    if (!numatune_update(&numa, g_strcmp0(def->vcpu_placement, "auto") != 0, mode, nodeset, error))
        return FALSE;
    if (numa.specified)
        numatune_write(xmlDocGetRootElement(doc), &numa);
    test_xml_store(&def->numatune_xml, test_xml_close(doc));
    return TRUE;
}

GArray *
test_domain_get_numa_parameters(VbConn *conn, VbDomainObj *dom, guint flags, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_auto(Numatune) numa = { 0 };
    VbDomainDef *def;
    GArray *params;

    if (!vb_check_flags(flags, TEST_GET_FLAGS, "virDomainGetNumaParameters", error) ||
        !(def = vb_domain_obj_one_def(dom, flags & TEST_AFFECT, NULL, error)))
        return NULL;
    if (def->numatune_xml && (doc = vb_xml_parse(def->numatune_xml, "numatune", NULL)))
        numatune_read(xmlDocGetRootElement(doc), &numa);
    params = vb_typed_params_new();
    vb_typed_params_add_int(params, "numa_mode", numa.specified ? numa.mode : VB_NUMATUNE_MEM_STRICT);
    vb_typed_params_add_string(params, "numa_nodeset", numa.specified ? numa.nodeset : NULL);
    return params;
}

/* ---- <perf> ---- */

static const char *const perf_events[] = {
    "cmt", "mbmt", "mbml", "cpu_cycles", "instructions", "cache_references", "cache_misses",
    "branch_instructions", "branch_misses", "bus_cycles", "stalled_cycles_frontend",
    "stalled_cycles_backend", "ref_cpu_cycles", "cpu_clock", "task_clock", "page_faults",
    "context_switches", "cpu_migrations", "page_faults_min", "page_faults_maj", "alignment_faults",
    "emulation_faults", NULL,
};
#define PERF_N (G_N_ELEMENTS(perf_events) - 1)

/* Each event's VbTristate as <perf> says. */
static void
perf_read(const VbDomainDef *def, VbTristate *events)
{
    g_autoptr(xmlDoc) doc = def->perf_xml ? vb_xml_parse(def->perf_xml, "perf", NULL) : NULL;

    memset(events, 0, sizeof(VbTristate) * PERF_N);
    VB_XML_FOREACH_CHILD(doc ? xmlDocGetRootElement(doc) : NULL, "event", node) {
        g_autofree char *name = vb_xml_prop(node, "name");
        g_autofree char *enabled = vb_xml_prop(node, "enabled");
        int i = name ? vb_enum_from_string(perf_events, name) : -1;
        if (i >= 0)
            events[i] = g_strcmp0(enabled, "yes") == 0 ? VB_TRISTATE_YES : VB_TRISTATE_NO;
    }
}

static char *
perf_format(const VbTristate *events)
{
    VbBuf buf;

    vb_buf_init(&buf, 2);
    for (guint i = 0; i < PERF_N; i++) {
        if (events[i] != VB_TRISTATE_ABSENT)
            vb_buf_add(&buf, "<event name='%s' enabled='%s'/>\n", perf_events[i],
                       events[i] == VB_TRISTATE_YES ? "yes" : "no");
    }
    if (vb_buf_empty(&buf)) {
        vb_buf_clear(&buf);
        return NULL;
    }
    g_string_prepend(buf.str, "<perf>\n");
    g_string_append(buf.str, "</perf>\n");
    return vb_buf_steal(&buf);
}

gboolean
test_domain_set_perf_events(VbConn *conn, VbDomainObj *dom, GArray *params, guint flags, GError **error)
{
    VbParamSpec specs[PERF_N + 1];
    VbTristate events[PERF_N];
    VbDomainDef *def;

    for (guint i = 0; i <= PERF_N; i++)
        specs[i] = (VbParamSpec){ perf_events[i], VB_TYPED_PARAM_BOOLEAN };
    if (!vb_check_flags(flags, TEST_AFFECT, "virDomainSetPerfEvents", error) ||
        !vb_typed_params_validate(params, specs, error) ||
        !(def = vb_domain_obj_one_def(dom, flags, NULL, error)))
        return FALSE;
    perf_read(def, events);
    for (guint i = 0; i < params->len; i++) {
        const VbTypedParam *param = &g_array_index(params, VbTypedParam, i);
        events[vb_enum_from_string(perf_events, param->field)] = param->value.b ? VB_TRISTATE_YES : VB_TRISTATE_NO;
    }
    test_xml_store(&def->perf_xml, perf_format(events));
    return TRUE;
}

GArray *
test_domain_get_perf_events(VbConn *conn, VbDomainObj *dom, guint flags, GError **error)
{
    VbTristate events[PERF_N];
    VbDomainDef *def;
    GArray *params;

    if (!vb_check_flags(flags, TEST_GET_FLAGS, "virDomainGetPerfEvents", error) ||
        !(def = vb_domain_obj_one_def(dom, flags & TEST_AFFECT, NULL, error)))
        return NULL;
    perf_read(def, events);
    params = vb_typed_params_new();
    for (guint i = 0; i < PERF_N; i++)
        vb_typed_params_add_boolean(params, perf_events[i], events[i] == VB_TRISTATE_YES);
    return params;
}

/* ---- scheduler: libvirt's test driver accepts the weight and keeps nothing ---- */

static const VbParamSpec scheduler_specs[] = {
    { "weight", VB_TYPED_PARAM_UINT },
    { NULL },
};

gboolean
test_domain_set_scheduler_parameters(VbConn *conn, VbDomainObj *dom, GArray *params, guint flags, GError **error)
{
    return vb_check_flags(flags, 0, "virDomainSetSchedulerParametersFlags", error) &&
           vb_typed_params_validate(params, scheduler_specs, error);
}
