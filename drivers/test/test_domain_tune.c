/* test_domain_tune.c: vCPUs, pinning, memory and metadata of test driver domains */
#include <string.h>

#include "drivers/domain_common.h"
#include "drivers/test/test_private.h"

#define TEST_AFFECT (VB_AFFECT_LIVE | VB_AFFECT_CONFIG)
#define TEST_MEMORY_UNLIMITED 9007199254740991ull   /* VIR_DOMAIN_MEMORY_PARAM_UNLIMITED */

gboolean
test_domain_get_info(VbConn *conn, VbDomainObj *dom, VbDomainInfo *info, GError **error)
{
    guint vcpus = vb_domain_def_vcpus_current(dom->def);
    gint64 running_us = vb_domain_obj_is_active(dom) ? g_get_monotonic_time() - dom->started_at : 0;

    info->state = dom->state;
    info->max_mem_kib = dom->def->memory_kib;
    info->memory_kib = dom->def->current_memory_kib;
    info->vcpus = vcpus;
    info->cpu_time_ns = (guint64)MAX(running_us, 0) * 1000 * vcpus;
    return TRUE;
}

/* ---- vCPUs ---- */

gboolean
test_domain_get_vcpus_flags(VbConn *conn, VbDomainObj *dom, guint flags, guint *count, GError **error)
{
    VbDomainDef *def;

    if (!vb_check_flags(flags, TEST_AFFECT | VB_VCPU_MAXIMUM | VB_VCPU_GUEST, "virDomainGetVcpusFlags", error))
        return FALSE;
    if ((flags & VB_VCPU_GUEST) && (flags & VB_AFFECT_CONFIG)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "invalid flag combination: 'guest' needs the live definition");
        return FALSE;
    }
    if (!(def = vb_domain_obj_one_def(dom, flags, NULL, error)))
        return FALSE;
    *count = (flags & VB_VCPU_MAXIMUM) ? def->vcpus : vb_domain_def_vcpus_current(def);
    return TRUE;
}

static void
set_current_vcpus(VbDomainDef *def, guint count)
{
    def->vcpus_current = count == def->vcpus ? 0 : count;
}

static gboolean
check_vcpu_count(VbDomainDef *live, VbDomainDef *config, guint count, guint flags, GError **error)
{
    if (count == 0) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "nvcpus in virDomainSetVcpusFlags must not be zero");
        return FALSE;
    }
    if (count > TEST_MAX_VCPUS) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "requested cpu amount exceeds maximum supported amount (%u > %d)",
                     count, TEST_MAX_VCPUS);
        return FALSE;
    }
    if (live && (flags & VB_VCPU_MAXIMUM)) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "maximum vcpu count of a live domain can't be modified");
        return FALSE;
    }
    if ((live && live->vcpus < count) || (config && !(flags & VB_VCPU_MAXIMUM) && config->vcpus < count)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "requested cpu amount exceeds maximum (%u > %u)", count,
                     live && live->vcpus < count ? live->vcpus : config->vcpus);
        return FALSE;
    }
    return TRUE;
}

gboolean
test_domain_set_vcpus_flags(VbConn *conn, VbDomainObj *dom, guint count, guint flags, GError **error)
{
    VbDomainDef *live, *config;

    if (!vb_check_flags(flags, TEST_AFFECT | VB_VCPU_MAXIMUM, "virDomainSetVcpusFlags", error) ||
        !vb_domain_obj_defs(dom, flags, &live, &config, error) ||
        !check_vcpu_count(live, config, count, flags, error))
        return FALSE;
    if (live)
        set_current_vcpus(live, count);
    if (config && (flags & VB_VCPU_MAXIMUM)) {
        guint current = MIN(vb_domain_def_vcpus_current(config), count);
        config->vcpus = count;
        set_current_vcpus(config, current);
    } else if (config) {
        set_current_vcpus(config, count);
    }
    return TRUE;
}

/* ---- pinning, kept as <vcpupin> in <cputune> like libvirt ---- */

static gboolean
pin_def(VbDomainDef *def, guint vcpu, const char *cpuset, GError **error)
{
    if (vcpu >= vb_domain_def_vcpus_current(def)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "requested vcpu '%u' is not present in the domain", vcpu);
        return FALSE;
    }
    return test_cputune_set_pin(&def->cputune_xml, "vcpupin", "vcpu", vcpu, cpuset, error);
}

gboolean
test_domain_pin_vcpu(VbConn *conn, VbDomainObj *dom, guint vcpu, GArray *cpumap, guint flags, GError **error)
{
    g_autoptr(GArray) map = vb_cpumap_fit(cpumap, test_priv(conn)->node.cpus);
    g_autofree char *cpuset = NULL;
    VbDomainDef *live, *config;

    if (!vb_check_flags(flags, TEST_AFFECT, "virDomainPinVcpuFlags", error) ||
        !vb_domain_obj_defs(dom, flags, &live, &config, error))
        return FALSE;
    if (!(cpuset = vb_cpumap_format(map))) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "Empty cpu list for pinning");
        return FALSE;
    }
    if (live && config && vcpu >= vb_domain_def_vcpus_current(config)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "requested vcpu '%u' is not present in the domain", vcpu);
        return FALSE;
    }
    return (!live || pin_def(live, vcpu, cpuset, error)) && (!config || pin_def(config, vcpu, cpuset, error));
}

/* The CPUs a pin (or, when there is none, @fallback) allows; every CPU when neither says. */
GArray *
test_cpumap_for(const char *cpuset, const char *fallback, guint ncpus)
{
    const char *text = cpuset ? cpuset : fallback;
    GArray *map = vb_cpumap_new(ncpus, text == NULL);

    if (text && !vb_cpumap_parse(text, map, FALSE)) {
        g_array_unref(map);
        map = vb_cpumap_new(ncpus, TRUE);
    }
    return map;
}

GPtrArray *
test_domain_get_vcpu_pin_info(VbConn *conn, VbDomainObj *dom, guint flags, GError **error)
{
    guint ncpus = test_priv(conn)->node.cpus;
    VbDomainDef *def;
    GPtrArray *maps;

    if (!vb_check_flags(flags, TEST_AFFECT, "virDomainGetVcpuPinInfo", error) ||
        !(def = vb_domain_obj_one_def(dom, flags, NULL, error)))
        return NULL;
    maps = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
    for (guint i = 0; i < def->vcpus; i++) {
        g_autofree char *cpuset = test_cputune_pin(def->cputune_xml, "vcpupin", "vcpu", i);
        g_ptr_array_add(maps, test_cpumap_for(cpuset, def->vcpu_cpuset, ncpus));
    }
    return maps;
}

/* ---- memory ---- */

static gboolean
set_max_memory(VbDomainDef *def, gboolean live, guint64 kib, GError **error)
{
    if (live) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "cannot resize the maximum memory on an active domain");
        return FALSE;
    }
    if (def->max_memory_kib && def->max_memory_kib < kib) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID,
                     "cannot set initial memory size greater than the maximum memory size");
        return FALSE;
    }
    def->memory_kib = kib;
    def->current_memory_kib = MIN(def->current_memory_kib, kib);
    return TRUE;
}

gboolean
test_domain_set_memory_flags(VbConn *conn, VbDomainObj *dom, guint64 kib, guint flags, GError **error)
{
    gboolean live = FALSE;
    VbDomainDef *def;

    if (!vb_check_flags(flags, TEST_AFFECT | VB_MEM_MAXIMUM, "virDomainSetMemoryFlags", error))
        return FALSE;
    if (kib == 0) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "memory in virDomainSetMemoryFlags must not be zero");
        return FALSE;
    }
    if (!(def = vb_domain_obj_one_def(dom, flags, &live, error)))
        return FALSE;
    if (flags & VB_MEM_MAXIMUM)
        return set_max_memory(def, live, kib, error);
    if (kib > def->memory_kib) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "cannot set memory higher than max memory");
        return FALSE;
    }
    def->current_memory_kib = kib;
    return TRUE;
}

static void
memtune_value(GArray *params, xmlNodePtr memtune, const char *name)
{
    xmlNodePtr node = vb_xml_child(memtune, name);
    guint64 kib = TEST_MEMORY_UNLIMITED;

    if (node && !vb_xml_scaled_kib(node, &kib, NULL))
        kib = TEST_MEMORY_UNLIMITED;
    vb_typed_params_add_ullong(params, name, kib);
}

GArray *
test_domain_get_memory_parameters(VbConn *conn, VbDomainObj *dom, guint flags, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    xmlNodePtr memtune = NULL;
    GArray *params;
    VbDomainDef *def;

    if (!vb_check_flags(flags, TEST_AFFECT | VB_TYPED_PARAM_STRING_OKAY, "virDomainGetMemoryParameters", error) ||
        !(def = vb_domain_obj_one_def(dom, flags, NULL, error)))
        return NULL;
    if (def->memtune_xml && (doc = vb_xml_parse(def->memtune_xml, "memtune", NULL)))
        memtune = xmlDocGetRootElement(doc);
    params = vb_typed_params_new();
    memtune_value(params, memtune, "hard_limit");
    memtune_value(params, memtune, "soft_limit");
    memtune_value(params, memtune, "swap_hard_limit");
    return params;
}

/* ---- metadata ---- */

char *
test_domain_get_metadata(VbConn *conn, VbDomainObj *dom, int type, const char *uri, guint flags, GError **error)
{
    return vb_domain_obj_get_metadata(dom, type, uri, flags, error);
}

gboolean
test_domain_set_metadata(VbConn *conn, VbDomainObj *dom, int type, const char *metadata, const char *key,
                         const char *uri, guint flags, GError **error)
{
    if (!vb_domain_obj_set_metadata(dom, type, metadata, key, uri, flags, NULL, error))
        return FALSE;
    vb_conn_emit_full(conn, VB_EVENT_DOMAIN_METADATA, dom->def->uuid, 0, type, VB_PRESENCE_SAME,
                      type == VB_METADATA_ELEMENT ? uri : NULL);
    return TRUE;
}
