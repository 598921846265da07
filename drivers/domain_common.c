/* domain_common.c: domain bookkeeping every driver shares */
#include "drivers/domain_common.h"

#include <string.h>

gboolean
vb_conn_domain_check_duplicate(VbConn *conn, const VbDomainDef *def, gboolean live, VbDomainObj **found,
                               GError **error)
{
    VbDomainObj *dom = vb_obj_list_by_key(conn->domains, def->uuid);

    *found = NULL;
    if (!dom) {
        if ((dom = vb_obj_list_by_name(conn->domains, def->name))) {
            vb_set_error(error, VB_ERR_OPERATION_FAILED, "domain '%s' already exists with uuid %s",
                         def->name, dom->def->uuid);
            return FALSE;
        }
        return TRUE;
    }
    if (!g_str_equal(dom->def->name, def->name)) {
        vb_set_error(error, VB_ERR_OPERATION_FAILED, "domain '%s' is already defined with uuid %s",
                     dom->def->name, dom->def->uuid);
        return FALSE;
    }
    if (live && vb_domain_obj_is_active(dom)) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "domain '%s' is already active", dom->def->name);
        return FALSE;
    }
    *found = dom;
    return TRUE;
}

/* The list indexes point into the definition, so the contents move rather than the pointer. */
void
vb_conn_domain_replace_def(VbConn *conn, VbDomainObj *dom, VbDomainDef *def)
{
    VbDomainDef old;

    vb_obj_list_remove_name(conn->domains, dom);
    old = *dom->def;
    *dom->def = *def;
    *def = old;
    vb_domain_def_free(def);
    vb_obj_list_add_name(conn->domains, dom);
}

VbDomainObj *
vb_conn_domain_define(VbConn *conn, VbDomainObj *dom, VbDomainDef *def)
{
    if (!dom) {
        dom = vb_domain_obj_new(def);
        dom->persistent = TRUE;
        vb_conn_domain_add(conn, dom);
        return dom;
    }
    if (vb_domain_obj_is_active(dom)) {
        vb_domain_def_free(dom->new_def);
        dom->new_def = def;
    } else {
        vb_conn_domain_replace_def(conn, dom, def);
    }
    dom->persistent = TRUE;
    return dom;
}

char *
vb_domain_obj_format(VbDomainObj *dom, guint flags, guint allowed, GError **error)
{
    const VbDomainDef *def = (flags & VB_DOMAIN_XML_INACTIVE) && dom->new_def ? dom->new_def : dom->def;

    if (!vb_check_flags(flags, allowed, "virDomainGetXMLDesc", error))
        return NULL;
    return vb_domain_def_format_full(def, dom->id, flags);
}

gboolean
vb_domain_obj_check_undefine(const VbDomainObj *dom, guint flags, GError **error)
{
    if (!dom->persistent) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "cannot undefine transient domain");
        return FALSE;
    }
    if ((flags & VB_UNDEFINE_NVRAM) && (flags & VB_UNDEFINE_KEEP_NVRAM)) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "cannot both keep and delete nvram");
        return FALSE;
    }
    if (dom->has_managed_save && !(flags & VB_UNDEFINE_MANAGED_SAVE)) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "Refusing to undefine while domain managed save image exists");
        return FALSE;
    }
    if (!vb_domain_obj_is_active(dom) && dom->snapshots->len > 0 && !(flags & VB_UNDEFINE_SNAPSHOTS_METADATA)) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "cannot delete inactive domain with %u snapshots",
                     dom->snapshots->len);
        return FALSE;
    }
    return TRUE;
}

gboolean
vb_domain_obj_undefine(VbDomainObj *dom)
{
    dom->has_managed_save = FALSE;
    dom->autostart = FALSE;
    if (!vb_domain_obj_is_active(dom))
        return TRUE;
    dom->persistent = FALSE;
    g_clear_pointer(&dom->new_def, vb_domain_def_free);
    return FALSE;
}

/* ---- CPU maps: one gboolean per host CPU ---- */

GArray *
vb_cpumap_new(guint ncpus, gboolean value)
{
    GArray *map = g_array_sized_new(FALSE, TRUE, sizeof(gboolean), ncpus);

    g_array_set_size(map, ncpus);
    for (guint i = 0; i < ncpus; i++)
        g_array_index(map, gboolean, i) = value;
    return map;
}

static gboolean
parse_range(const char *text, guint64 *first, guint64 *last)
{
    g_auto(GStrv) range = g_strsplit(text, "-", 2);

    if (!vb_parse_ull(g_strstrip(range[0]), first))
        return FALSE;
    *last = *first;
    return !range[1] || (vb_parse_ull(g_strstrip(range[1]), last) && *last >= *first);
}

/* libvirt's bitmap syntax "0-3,^2,5" into @map; FALSE on a syntax error or, when @strict,
 * a CPU at or past the end of @map (else those are ignored). */
gboolean
vb_cpumap_parse(const char *str, GArray *map, gboolean strict)
{
    g_auto(GStrv) parts = g_strsplit(str, ",", -1);

    for (gchar **part = parts; *part; part++) {
        const char *p = g_strstrip(*part);
        gboolean negate = *p == '^';
        guint64 first, last;

        if (!parse_range(p + negate, &first, &last) || (strict && last >= map->len))
            return FALSE;
        for (guint64 cpu = first; cpu <= last && cpu < map->len; cpu++)
            g_array_index(map, gboolean, cpu) = !negate;
    }
    return TRUE;
}

/* "0-2,5"; NULL when no CPU is set. */
char *
vb_cpumap_format(GArray *map)
{
    g_autoptr(GString) str = g_string_new(NULL);
    gboolean empty;

    for (guint i = 0; map && i < map->len; i++) {
        guint end = i;

        if (!g_array_index(map, gboolean, i))
            continue;
        while (end + 1 < map->len && g_array_index(map, gboolean, end + 1))
            end++;
        g_string_append_printf(str, "%s%u", str->len ? "," : "", i);
        if (end > i)
            g_string_append_printf(str, "-%u", end);
        i = end;
    }
    empty = str->len == 0;
    return g_string_free(g_steal_pointer(&str), empty);
}

/* A caller's map cut or padded to the host's @ncpus. */
GArray *
vb_cpumap_fit(GArray *cpumap, guint ncpus)
{
    GArray *map = vb_cpumap_new(ncpus, FALSE);

    for (guint i = 0; cpumap && i < MIN(cpumap->len, ncpus); i++)
        g_array_index(map, gboolean, i) = g_array_index(cpumap, gboolean, i);
    return map;
}

/* ---- which definition a call with VIR_DOMAIN_AFFECT_* flags works on ---- */

#define AFFECT_BOTH (VB_AFFECT_LIVE | VB_AFFECT_CONFIG)

VbDomainDef *
vb_domain_obj_one_def(VbDomainObj *dom, guint flags, gboolean *live, GError **error)
{
    gboolean active = vb_domain_obj_is_active(dom);
    gboolean want_live = (flags & AFFECT_BOTH) ? (flags & VB_AFFECT_LIVE) != 0 : active;

    if ((flags & AFFECT_BOTH) == AFFECT_BOTH) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "flags 'affect live' and 'affect config' are mutually exclusive");
        return NULL;
    }
    if (want_live && !active) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "domain is not running");
        return NULL;
    }
    if (!want_live && !dom->persistent) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "transient domains do not have any persistent config");
        return NULL;
    }
    if (live)
        *live = want_live;
    return want_live ? dom->def : vb_domain_obj_persistent_def(dom);
}

gboolean
vb_domain_obj_defs(VbDomainObj *dom, guint flags, VbDomainDef **live, VbDomainDef **config, GError **error)
{
    if (!(flags & AFFECT_BOTH))
        flags |= vb_domain_obj_is_active(dom) ? VB_AFFECT_LIVE : VB_AFFECT_CONFIG;
    if ((flags & VB_AFFECT_LIVE) && !vb_domain_obj_is_active(dom)) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "domain is not running");
        return FALSE;
    }
    if ((flags & VB_AFFECT_CONFIG) && !dom->persistent) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "transient domains do not have any persistent config");
        return FALSE;
    }
    *live = (flags & VB_AFFECT_LIVE) ? dom->def : NULL;
    *config = (flags & VB_AFFECT_CONFIG) ? vb_domain_obj_persistent_def(dom) : NULL;
    return TRUE;
}

/* ---- metadata ---- */

char *
vb_domain_obj_get_metadata(VbDomainObj *dom, int type, const char *uri, guint flags, GError **error)
{
    const char *value = NULL;
    VbDomainDef *def;

    if (!vb_check_flags(flags, AFFECT_BOTH, "virDomainGetMetadata", error) ||
        !(def = vb_domain_obj_one_def(dom, flags, NULL, error)))
        return NULL;
    if (type == VB_METADATA_DESCRIPTION)
        value = def->description;
    else if (type == VB_METADATA_TITLE)
        value = def->title;
    else if (type == VB_METADATA_ELEMENT && uri && *uri)
        value = vb_domain_def_get_metadata(def, uri);
    else if (type != VB_METADATA_ELEMENT) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "unknown metadata type '%d'", type);
        return NULL;
    }
    if (!value) {
        vb_set_error(error, VB_ERR_NO_DOMAIN_METADATA, "Requested metadata element is not present");
        return NULL;
    }
    return g_strdup(value);
}

static gboolean
set_metadata_def(VbDomainDef *def, int type, const char *metadata, const char *key, const char *uri,
                 GError **error)
{
    char **field = type == VB_METADATA_TITLE ? &def->title : &def->description;

    if (type == VB_METADATA_ELEMENT)
        return vb_domain_def_set_metadata(def, metadata, key, uri, error);
    g_free(*field);
    *field = metadata && *metadata ? g_strdup(metadata) : NULL;
    return TRUE;
}

static gboolean
check_metadata(int type, const char *metadata, GError **error)
{
    if (type < VB_METADATA_DESCRIPTION || type > VB_METADATA_ELEMENT) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "unknown metadata type '%d'", type);
        return FALSE;
    }
    if (type == VB_METADATA_TITLE && metadata && strchr(metadata, '\n')) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "title can't contain newlines");
        return FALSE;
    }
    return TRUE;
}

gboolean
vb_domain_obj_set_metadata(VbDomainObj *dom, int type, const char *metadata, const char *key, const char *uri,
                           guint flags, VbDomainDef **changed_config, GError **error)
{
    VbDomainDef *live, *config;

    if (!vb_check_flags(flags, AFFECT_BOTH, "virDomainSetMetadata", error) ||
        !check_metadata(type, metadata, error) ||
        !vb_domain_obj_defs(dom, flags, &live, &config, error))
        return FALSE;
    if ((live && !set_metadata_def(live, type, metadata, key, uri, error)) ||
        (config && !set_metadata_def(config, type, metadata, key, uri, error)))
        return FALSE;
    if (changed_config)
        *changed_config = config;
    return TRUE;
}

/* ---- rename ---- */

gboolean
vb_domain_obj_check_rename(VbConn *conn, VbDomainObj *dom, const char *name, GError **error)
{
    if (vb_domain_obj_is_active(dom)) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "cannot rename active domain");
        return FALSE;
    }
    if (!dom->persistent) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "cannot rename a transient domain");
        return FALSE;
    }
    if (!vb_name_validate(name, "domain", error))
        return FALSE;
    if (g_str_equal(dom->def->name, name)) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "Can't rename domain to itself");
        return FALSE;
    }
    if (vb_obj_list_by_name(conn->domains, name)) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "domain with name '%s' already exists", name);
        return FALSE;
    }
    return TRUE;
}

void
vb_conn_domain_rename(VbConn *conn, VbDomainObj *dom, const char *name)
{
    vb_obj_list_remove_name(conn->domains, dom);
    g_free(dom->def->name);
    dom->def->name = g_strdup(name);
    vb_obj_list_add_name(conn->domains, dom);
}

gboolean
vb_core_dump_check_args(guint format, guint flags, guint allowed, GError **error)
{
    static const struct { guint a, b; const char *text; } exclusive[] = {
        { VB_DUMP_CRASH, VB_DUMP_LIVE, "'VIR_DUMP_CRASH' and 'VIR_DUMP_LIVE'" },
        { VB_DUMP_CRASH, VB_DUMP_RESET, "'VIR_DUMP_CRASH' and 'VIR_DUMP_RESET'" },
        { VB_DUMP_LIVE, VB_DUMP_RESET, "'VIR_DUMP_LIVE' and 'VIR_DUMP_RESET'" },
    };

    if (format >= VB_CORE_DUMP_FORMAT_LAST) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "dumpformat '%u' is not supported", format);
        return FALSE;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(exclusive); i++) {
        if ((flags & exclusive[i].a) && (flags & exclusive[i].b)) {
            vb_set_error(error, VB_ERR_INVALID_ARG, "Flags %s are mutually exclusive", exclusive[i].text);
            return FALSE;
        }
    }
    return vb_check_flags(flags, allowed, "virDomainCoreDumpWithFormat", error);
}

/* ---- <iotune> ---- */

const char *const vb_iotune_names[VB_IOTUNE_N + 1] = {
    "total_bytes_sec", "read_bytes_sec", "write_bytes_sec", "total_iops_sec", "read_iops_sec",
    "write_iops_sec", "total_bytes_sec_max", "read_bytes_sec_max", "write_bytes_sec_max",
    "total_iops_sec_max", "read_iops_sec_max", "write_iops_sec_max", "size_iops_sec", "group_name",
    "total_bytes_sec_max_length", "read_bytes_sec_max_length", "write_bytes_sec_max_length",
    "total_iops_sec_max_length", "read_iops_sec_max_length", "write_iops_sec_max_length", NULL,
};

void
vb_iotune_clear(VbIoTune *tune)
{
    g_clear_pointer(&tune->group_name, g_free);
}

void
vb_iotune_read(xmlNodePtr iotune, VbIoTune *tune)
{
    for (int i = 0; iotune && i < VB_IOTUNE_N; i++) {
        xmlNodePtr node = vb_xml_child(iotune, vb_iotune_names[i]);
        if (node && i == VB_IOTUNE_GROUP)
            tune->group_name = vb_xml_content(node);
        else if (node)
            vb_xml_content_ull(node, &tune->values[i], NULL);
    }
}

void
vb_iotune_write(xmlNodePtr parent, const VbIoTune *tune)
{
    xmlNodePtr iotune = xmlNewChild(parent, NULL, BAD_CAST "iotune", NULL);

    for (int i = 0; i < VB_IOTUNE_N; i++) {
        g_autofree char *value = g_strdup_printf("%" G_GUINT64_FORMAT, tune->values[i]);
        if (i == VB_IOTUNE_GROUP && tune->group_name)
            xmlNewTextChild(iotune, NULL, BAD_CAST vb_iotune_names[i], BAD_CAST tune->group_name);
        else if (i != VB_IOTUNE_GROUP && tune->values[i])
            xmlNewTextChild(iotune, NULL, BAD_CAST vb_iotune_names[i], BAD_CAST value);
    }
    if (!vb_xml_child(iotune, NULL)) {
        xmlUnlinkNode(iotune);
        xmlFreeNode(iotune);
    }
}

gboolean
vb_iotune_apply(VbIoTune *tune, GArray *params, guint64 max, GError **error)
{
    for (guint i = 0; i < params->len; i++) {
        const VbTypedParam *param = &g_array_index(params, VbTypedParam, i);
        int field = vb_enum_from_string(vb_iotune_names, param->field);

        if (field == VB_IOTUNE_GROUP) {
            g_free(tune->group_name);
            tune->group_name = g_strdup(param->value.s);
            continue;
        }
        if (param->value.ul > max) {
            vb_set_error(error, VB_ERR_ARGUMENT_UNSUPPORTED,
                         "block I/O throttle limit value must be no more than %" G_GUINT64_FORMAT, max);
            return FALSE;
        }
        tune->values[field] = param->value.ul;
    }
    return TRUE;
}

gboolean
vb_iotune_check_totals(const VbIoTune *tune, GError **error)
{
    static const char *const what[] = { "bytes_sec", "iops_sec", "bytes_sec_max", "iops_sec_max" };
    static const int totals[] = { 0, 3, 6, 9 };

    for (int i = 0; i < 4; i++) {
        const guint64 *v = &tune->values[totals[i]];
        if (v[0] && (v[1] || v[2])) {
            vb_set_error(error, VB_ERR_INVALID_ARG, "total and read/write of %s cannot be set at the same time",
                         what[i]);
            return FALSE;
        }
    }
    return TRUE;
}

void
vb_iotune_param_specs(VbParamSpec *specs)
{
    for (int i = 0; i <= VB_IOTUNE_N; i++)
        specs[i] = (VbParamSpec){ vb_iotune_names[i],
                                  i == VB_IOTUNE_GROUP ? VB_TYPED_PARAM_STRING : VB_TYPED_PARAM_ULLONG };
}

GArray *
vb_iotune_to_params(const VbIoTune *tune)
{
    GArray *params = vb_typed_params_new();

    for (int i = 0; i < VB_IOTUNE_N; i++) {
        if (i == VB_IOTUNE_GROUP)
            vb_typed_params_add_string(params, vb_iotune_names[i], tune->group_name);
        else
            vb_typed_params_add_ullong(params, vb_iotune_names[i], tune->values[i]);
    }
    return params;
}

/* ---- <memballoon><stats period> ---- */

int
vb_memballoon_stats_period(const VbDeviceDef *balloon)
{
    g_autoptr(xmlDoc) doc = vb_xml_parse(balloon->xml, "memballoon", NULL);
    xmlNodePtr stats = doc ? vb_xml_child(xmlDocGetRootElement(doc), "stats") : NULL;
    int period = 0;

    if (stats)
        vb_xml_prop_int(stats, "period", VB_XML_OPTIONAL, &period, NULL);
    return MAX(period, 0);
}

gboolean
vb_memballoon_set_stats_period(VbDeviceDef *balloon, int period, GError **error)
{
    g_autoptr(xmlDoc) doc = vb_xml_parse(balloon->xml, "memballoon", error);
    g_autofree char *value = g_strdup_printf("%d", period);
    xmlNodePtr root, stats, first;

    if (!doc)
        return FALSE;
    root = xmlDocGetRootElement(doc);
    if ((stats = vb_xml_child(root, "stats"))) {
        xmlUnlinkNode(stats);
        xmlFreeNode(stats);
    }
    if (period != 0) {
        stats = xmlNewDocNode(doc, NULL, BAD_CAST "stats", NULL);
        xmlNewProp(stats, BAD_CAST "period", BAD_CAST value);
        if ((first = vb_xml_child(root, NULL)))
            xmlAddPrevSibling(first, stats);
        else
            xmlAddChild(root, stats);
    }
    g_free(balloon->xml);
    balloon->xml = vb_xml_node_dump(root);
    return TRUE;
}
