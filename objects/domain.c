/* domain.c: org.libvirt.Domain — one object per domain, at <conn>/domain/_<uuid> */
#include "domain.h"

#include <string.h>

static GVariant *params_reply(GArray *params);

/* ---- class plumbing ---- */

static gpointer
domain_lookup(VbConn *conn, const char *node, GError **error)
{
    char uuid[VB_UUID_STRING_LEN];

    if (!vb_uuid_from_node(node, uuid)) {
        g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT, "no domain object at '%s'", node);
        return NULL;
    }
    return vb_conn_domain_by_uuid(conn, uuid, error);
}

static void
domain_enumerate(VbConn *conn, GPtrArray *nodes)
{
    GHashTableIter iter;
    gpointer key;

    g_hash_table_iter_init(&iter, conn->domains->by_key);
    while (g_hash_table_iter_next(&iter, &key, NULL))
        g_ptr_array_add(nodes, vb_uuid_node(key));
}

static void
domain_details(gconstpointer obj, GPtrArray *details)
{
    const VbDomainObj *dom = obj;

    g_ptr_array_add(details, (gpointer)"domain_name");
    g_ptr_array_add(details, dom->def->name);
    g_ptr_array_add(details, (gpointer)"domain_uuid");
    g_ptr_array_add(details, (gpointer)dom->def->uuid);
}

char *
vb_domain_path(const VbCall *call, const VbDomainObj *dom)
{
    return vb_object_path(call, &vb_domain_class, dom->def->uuid);
}

/* ---- properties ---- */

static GVariant *get_active(VbCall *call, GError **error) { return g_variant_new_boolean(vb_domain_obj_is_active(DOM(call))); }
static GVariant *get_autostart(VbCall *call, GError **error) { return g_variant_new_boolean(DOM(call)->autostart); }
static GVariant *get_id(VbCall *call, GError **error) { return g_variant_new_uint32((guint32)DOM(call)->id); }
static GVariant *get_name(VbCall *call, GError **error) { return g_variant_new_string(DOM(call)->def->name); }
static GVariant *get_persistent(VbCall *call, GError **error) { return g_variant_new_boolean(DOM(call)->persistent); }
static GVariant *get_updated(VbCall *call, GError **error) { return g_variant_new_boolean(DOM(call)->updated); }
static GVariant *get_uuid(VbCall *call, GError **error) { return g_variant_new_string(DOM(call)->def->uuid); }

static GVariant *
get_scheduler_type(VbCall *call, GError **error)
{
    int nparams = 0;
    g_autofree char *type = CALL(call, domain_get_scheduler_type, "virDomainGetSchedulerType", error, &nparams);

    return type ? g_variant_new("(si)", type, nparams) : NULL;
}

static GVariant *
get_os_type(VbCall *call, GError **error)
{
    g_autofree char *type = VB_DRIVER_CALL(call->conn, domain_get_os_type, "virDomainGetOSType", error, DOM(call));

    return type ? g_variant_new_string(type) : NULL;
}

static gboolean
set_autostart(VbCall *call, GVariant *value, GError **error)
{
    gboolean old = DOM(call)->autostart;

    if (!CALL(call, domain_set_autostart, "virDomainSetAutostart", error, g_variant_get_boolean(value)))
        return FALSE;
    if (old != g_variant_get_boolean(value))
        call->notify(call, "Autostart");
    return TRUE;
}

/* ---- lifecycle ---- */

static GVariant *
domain_create(VbCall *call, GVariant *args, GError **error)
{
    guint flags;

    g_variant_get(args, "(u)", &flags);
    if (ASYNC(call, domain_create, flags))
        return NULL;
    return CALL(call, domain_create, "virDomainCreateWithFlags", error, flags) ? g_variant_new("()") : NULL;
}

/* The descriptors are the guest's to inherit; a driver without processes (test) only checks them. */
static GVariant *
domain_create_with_files(VbCall *call, GVariant *args, GError **error)
{
    g_autoptr(GVariant) files = NULL;
    guint flags;

    g_variant_get(args, "(@ahu)", &files, &flags);
    if (!vb_call_check_fd_handles(call, files, error) || ASYNC(call, domain_create, flags))
        return NULL;
    return CALL(call, domain_create, "virDomainCreateWithFiles", error, flags) ? g_variant_new("()") : NULL;
}

static GVariant *
domain_destroy(VbCall *call, GVariant *args, GError **error)
{
    guint flags;

    g_variant_get(args, "(u)", &flags);
    if (ASYNC(call, domain_destroy, flags))
        return NULL;
    return CALL(call, domain_destroy, "virDomainDestroyFlags", error, flags) ? g_variant_new("()") : NULL;
}

static GVariant *
domain_shutdown(VbCall *call, GVariant *args, GError **error)
{
    guint flags;

    g_variant_get(args, "(u)", &flags);
    if (ASYNC(call, domain_shutdown, flags))
        return NULL;
    return CALL(call, domain_shutdown, "virDomainShutdownFlags", error, flags) ? g_variant_new("()") : NULL;
}

static GVariant *
domain_reboot(VbCall *call, GVariant *args, GError **error)
{
    guint flags;

    g_variant_get(args, "(u)", &flags);
    if (ASYNC(call, domain_reboot, flags))
        return NULL;
    return CALL(call, domain_reboot, "virDomainReboot", error, flags) ? g_variant_new("()") : NULL;
}

static GVariant *
domain_reset(VbCall *call, GVariant *args, GError **error)
{
    guint flags;

    g_variant_get(args, "(u)", &flags);
    if (ASYNC(call, domain_reset, flags))
        return NULL;
    return CALL(call, domain_reset, "virDomainReset", error, flags) ? g_variant_new("()") : NULL;
}

static GVariant *
domain_suspend(VbCall *call, GVariant *args, GError **error)
{
    if (ASYNC(call, domain_suspend))
        return NULL;
    return VB_DRIVER_CALL(call->conn, domain_suspend, "virDomainSuspend", error, DOM(call)) ? g_variant_new("()") : NULL;
}

static GVariant *
domain_resume(VbCall *call, GVariant *args, GError **error)
{
    if (ASYNC(call, domain_resume))
        return NULL;
    return VB_DRIVER_CALL(call->conn, domain_resume, "virDomainResume", error, DOM(call)) ? g_variant_new("()") : NULL;
}

static GVariant *
domain_undefine(VbCall *call, GVariant *args, GError **error)
{
    guint flags;

    g_variant_get(args, "(u)", &flags);
    return CALL(call, domain_undefine, "virDomainUndefineFlags", error, flags) ? g_variant_new("()") : NULL;
}

static GVariant *
domain_managed_save(VbCall *call, GVariant *args, GError **error)
{
    guint flags;

    g_variant_get(args, "(u)", &flags);
    if (ASYNC(call, domain_managed_save, flags))
        return NULL;
    return CALL(call, domain_managed_save, "virDomainManagedSave", error, flags) ? g_variant_new("()") : NULL;
}

static GVariant *
domain_managed_save_remove(VbCall *call, GVariant *args, GError **error)
{
    guint flags;

    g_variant_get(args, "(u)", &flags);
    return CALL(call, domain_managed_save_remove, "virDomainManagedSaveRemove", error, flags) ? g_variant_new("()") : NULL;
}

static GVariant *
domain_has_managed_save(VbCall *call, GVariant *args, GError **error)
{
    guint flags;

    g_variant_get(args, "(u)", &flags);
    if (!vb_check_flags(flags, 0, "virDomainHasManagedSaveImage", error))
        return NULL;
    return g_variant_new("(b)", DOM(call)->has_managed_save);
}

static GVariant *
domain_save(VbCall *call, GVariant *args, GError **error)
{
    const char *to, *xml;
    guint flags;

    g_variant_get(args, "(&s&su)", &to, &xml, &flags);
    if (ASYNC(call, domain_save, to, *xml ? xml : NULL, flags))
        return NULL;
    return CALL(call, domain_save, "virDomainSaveFlags", error, to, *xml ? xml : NULL, flags) ? g_variant_new("()") : NULL;
}

static GVariant *
domain_rename(VbCall *call, GVariant *args, GError **error)
{
    const char *name;
    guint flags;

    g_variant_get(args, "(&su)", &name, &flags);
    if (!CALL(call, domain_rename, "virDomainRename", error, name, flags))
        return NULL;
    return g_variant_new("()");
}

/* ---- state and description ---- */

static GVariant *
domain_get_xml_desc(VbCall *call, GVariant *args, GError **error)
{
    guint flags;
    g_autofree char *xml = NULL;

    g_variant_get(args, "(u)", &flags);
    xml = CALL(call, domain_get_xml_desc, "virDomainGetXMLDesc", error, flags);
    return xml ? g_variant_new("(s)", xml) : NULL;
}

static GVariant *
domain_get_state(VbCall *call, GVariant *args, GError **error)
{
    guint flags;

    g_variant_get(args, "(u)", &flags);
    if (!vb_check_flags(flags, 0, "virDomainGetState", error))
        return NULL;
    return g_variant_new("((ii))", DOM(call)->state, DOM(call)->reason);
}

static GVariant *
domain_get_metadata(VbCall *call, GVariant *args, GError **error)
{
    int type;
    const char *uri;
    guint flags;
    g_autofree char *text = NULL;

    g_variant_get(args, "(i&su)", &type, &uri, &flags);
    text = CALL(call, domain_get_metadata, "virDomainGetMetadata", error, type, *uri ? uri : NULL, flags);
    return text ? g_variant_new("(s)", text) : NULL;
}

static GVariant *
domain_set_metadata(VbCall *call, GVariant *args, GError **error)
{
    int type;
    const char *metadata, *key, *uri;
    guint flags;

    g_variant_get(args, "(i&s&s&su)", &type, &metadata, &key, &uri, &flags);
    if (!CALL(call, domain_set_metadata, "virDomainSetMetadata", error, type, *metadata ? metadata : NULL,
              *key ? key : NULL, *uri ? uri : NULL, flags))
        return NULL;
    return g_variant_new("()");
}

static void
hostname_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    VbDeferred *deferred = user_data;
    g_autoptr(GError) error = NULL;
    g_autofree char *hostname = g_task_propagate_pointer(G_TASK(result), &error);

    deferred->complete(deferred, hostname ? g_variant_new("(s)", hostname) : NULL, error);
}

static GVariant *
domain_get_hostname(VbCall *call, GVariant *args, GError **error)
{
    guint flags;
    g_autofree char *hostname = NULL;

    g_variant_get(args, "(u)", &flags);
    if (ASYNC_POINTER(call, domain_get_hostname, hostname_done, flags))
        return NULL;
    hostname = CALL(call, domain_get_hostname, "virDomainGetHostname", error, flags);
    return hostname ? g_variant_new("(s)", hostname) : NULL;
}

static void
time_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    VbDeferred *deferred = user_data;
    g_autoptr(GError) error = NULL;
    g_autofree gint64 *ns = g_task_propagate_pointer(G_TASK(result), &error);

    deferred->complete(deferred, ns ? g_variant_new("((tu))", (guint64)(*ns / 1000000000), (guint)(*ns % 1000000000))
                                    : NULL, error);
}

static GVariant *
domain_get_time(VbCall *call, GVariant *args, GError **error)
{
    guint flags;
    gint64 seconds = 0;
    guint nseconds = 0;

    g_variant_get(args, "(u)", &flags);
    if (vb_check_flags(flags, 0, "virDomainGetTime", error) && ASYNC_POINTER(call, domain_get_time, time_done))
        return NULL;
    if (*error ||
        !VB_DRIVER_CALL(call->conn, domain_get_time, "virDomainGetTime", error, DOM(call), &seconds, &nseconds))
        return NULL;
    return g_variant_new("((tu))", (guint64)seconds, nseconds);
}

/* ---- vCPUs and memory ---- */

static GVariant *
domain_get_vcpus(VbCall *call, GVariant *args, GError **error)
{
    guint flags, count = 0;

    g_variant_get(args, "(u)", &flags);
    if (!CALL(call, domain_get_vcpus_flags, "virDomainGetVcpusFlags", error, flags, &count))
        return NULL;
    return g_variant_new("(u)", count);
}

static GVariant *
domain_set_vcpus(VbCall *call, GVariant *args, GError **error)
{
    guint count, flags;

    g_variant_get(args, "(uu)", &count, &flags);
    if (ASYNC(call, domain_set_vcpus_flags, count, flags))
        return NULL;
    return CALL(call, domain_set_vcpus_flags, "virDomainSetVcpusFlags", error, count, flags) ? g_variant_new("()") : NULL;
}

static GVariant *
domain_pin_vcpu(VbCall *call, GVariant *args, GError **error)
{
    guint vcpu, flags;
    g_autoptr(GVariant) map = NULL;
    g_autoptr(GArray) cpumap = NULL;

    g_variant_get(args, "(u@abu)", &vcpu, &map, &flags);
    cpumap = vb_variant_to_cpumap(map);
    if (ASYNC(call, domain_pin_vcpu, vcpu, cpumap, flags))
        return NULL;
    return CALL(call, domain_pin_vcpu, "virDomainPinVcpuFlags", error, vcpu, cpumap, flags) ? g_variant_new("()") : NULL;
}

static GVariant *
domain_get_vcpu_pin_info(VbCall *call, GVariant *args, GError **error)
{
    guint flags;
    g_autoptr(GPtrArray) maps = NULL;
    GVariantBuilder builder;

    g_variant_get(args, "(u)", &flags);
    if (!(maps = CALL(call, domain_get_vcpu_pin_info, "virDomainGetVcpuPinInfo", error, flags)))
        return NULL;
    g_variant_builder_init(&builder, G_VARIANT_TYPE("aab"));
    for (guint i = 0; i < maps->len; i++)
        g_variant_builder_add_value(&builder, vb_cpumap_to_variant(g_ptr_array_index(maps, i)));
    return g_variant_new("(@aab)", g_variant_builder_end(&builder));
}

static GVariant *
domain_set_memory(VbCall *call, GVariant *args, GError **error)
{
    guint64 memory;
    guint flags;

    g_variant_get(args, "(tu)", &memory, &flags);
    if (ASYNC(call, domain_set_memory_flags, memory, flags))
        return NULL;
    return CALL(call, domain_set_memory_flags, "virDomainSetMemoryFlags", error, memory, flags) ? g_variant_new("()") : NULL;
}

static GVariant *
domain_get_memory_parameters(VbCall *call, GVariant *args, GError **error)
{
    guint flags;

    g_variant_get(args, "(u)", &flags);
    return params_reply(CALL(call, domain_get_memory_parameters, "virDomainGetMemoryParameters", error, flags));
}

static GVariant *
domain_get_scheduler_parameters(VbCall *call, GVariant *args, GError **error)
{
    guint flags;

    g_variant_get(args, "(u)", &flags);
    return params_reply(CALL(call, domain_get_scheduler_parameters, "virDomainGetSchedulerParametersFlags", error,
                             flags));
}

/* virDomainMemoryStatTags, indexed by tag */
static const char *const memory_stat_tags[] = {
    "swap_in", "swap_out", "major_fault", "minor_fault", "unused", "available", "actual_balloon",
    "rss", "usable", "last_update", "disk_caches", "hugetlb_pgalloc", "hugetlb_pgfail", NULL,
};

static int
strv_index(const char *const *strv, const char *str)
{
    for (int i = 0; strv[i]; i++) {
        if (g_str_equal(strv[i], str))
            return i;
    }
    return -1;
}

/* "(a{it})" from the driver's name -> guint64* table */
static GVariant *
memory_stats_reply(GHashTable *stats)
{
    GVariantBuilder builder;
    GHashTableIter iter;
    gpointer key, value;

    g_variant_builder_init(&builder, G_VARIANT_TYPE("a{it}"));
    g_hash_table_iter_init(&iter, stats);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        int tag = strv_index(memory_stat_tags, key);
        if (tag >= 0)
            g_variant_builder_add(&builder, "{it}", tag, *(guint64 *)value);
    }
    return g_variant_new("(@a{it})", g_variant_builder_end(&builder));
}

static void
memory_stats_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    VbDeferred *deferred = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) stats = g_task_propagate_pointer(G_TASK(result), &error);

    deferred->complete(deferred, stats ? memory_stats_reply(stats) : NULL, error);
}

static GVariant *
domain_memory_stats(VbCall *call, GVariant *args, GError **error)
{
    guint flags;
    g_autoptr(GHashTable) stats = NULL;

    g_variant_get(args, "(u)", &flags);
    if (ASYNC_POINTER(call, domain_memory_stats, memory_stats_done, flags))
        return NULL;
    if (!(stats = CALL(call, domain_memory_stats, "virDomainMemoryStats", error, flags)))
        return NULL;
    return memory_stats_reply(stats);
}

/* ---- devices and input ---- */

static GVariant *
domain_send_key(VbCall *call, GVariant *args, GError **error)
{
    guint codeset, holdtime, flags, key;
    g_autoptr(GVariantIter) iter = NULL;
    g_autoptr(GArray) keys = g_array_new(FALSE, FALSE, sizeof(guint));

    g_variant_get(args, "(uuauu)", &codeset, &holdtime, &iter, &flags);
    while (g_variant_iter_next(iter, "u", &key))
        g_array_append_val(keys, key);
    if (ASYNC(call, domain_send_key, codeset, holdtime, keys, flags))
        return NULL;
    return CALL(call, domain_send_key, "virDomainSendKey", error, codeset, holdtime, keys, flags) ? g_variant_new("()") : NULL;
}

static GVariant *
domain_inject_nmi(VbCall *call, GVariant *args, GError **error)
{
    guint flags;

    g_variant_get(args, "(u)", &flags);
    if (ASYNC(call, domain_inject_nmi, flags))
        return NULL;
    return CALL(call, domain_inject_nmi, "virDomainInjectNMI", error, flags) ? g_variant_new("()") : NULL;
}

static GVariant *
domain_attach_device(VbCall *call, GVariant *args, GError **error)
{
    const char *xml;
    guint flags;

    g_variant_get(args, "(&su)", &xml, &flags);
    if (ASYNC(call, domain_attach_device, xml, flags))
        return NULL;
    return CALL(call, domain_attach_device, "virDomainAttachDeviceFlags", error, xml, flags) ? g_variant_new("()") : NULL;
}

static GVariant *
domain_detach_device(VbCall *call, GVariant *args, GError **error)
{
    const char *xml;
    guint flags;

    g_variant_get(args, "(&su)", &xml, &flags);
    if (ASYNC(call, domain_detach_device, xml, flags))
        return NULL;
    return CALL(call, domain_detach_device, "virDomainDetachDeviceFlags", error, xml, flags) ? g_variant_new("()") : NULL;
}

/* Only drivers with the asynchronous entry update devices (the test driver does not). */
static GVariant *
domain_update_device(VbCall *call, GVariant *args, GError **error)
{
    const char *xml;
    guint flags;

    g_variant_get(args, "(&su)", &xml, &flags);
    if (ASYNC(call, domain_update_device, xml, flags))
        return NULL;
    vb_set_error_not_supported(error, "virDomainUpdateDeviceFlags");
    return NULL;
}

/* ---- typed parameters (a{sv}) ---- */

#define PEEK_MAX 65536   /* libvirt's remote protocol limit, which libvirt-dbus callers meet */

/* One a{sv} entry as a VbTypedParam; a value wrapped in a second variant is unwrapped. */
static gboolean
param_from_variant(const char *name, GVariant *value, VbTypedParam *param, GError **error)
{
    g_autoptr(GVariant) inner = g_variant_is_of_type(value, G_VARIANT_TYPE_VARIANT) ? g_variant_get_variant(value)
                                                                                     : g_variant_ref(value);
    const char *type = g_variant_get_type_string(inner);

    switch (type[0]) {
    case 'i': param->type = VB_TYPED_PARAM_INT; param->value.i = g_variant_get_int32(inner); break;
    case 'u': param->type = VB_TYPED_PARAM_UINT; param->value.ui = g_variant_get_uint32(inner); break;
    case 'x': param->type = VB_TYPED_PARAM_LLONG; param->value.l = g_variant_get_int64(inner); break;
    case 't': param->type = VB_TYPED_PARAM_ULLONG; param->value.ul = g_variant_get_uint64(inner); break;
    case 'd': param->type = VB_TYPED_PARAM_DOUBLE; param->value.d = g_variant_get_double(inner); break;
    case 'b': param->type = VB_TYPED_PARAM_BOOLEAN; param->value.b = g_variant_get_boolean(inner); break;
    case 's': param->type = VB_TYPED_PARAM_STRING; param->value.s = g_variant_dup_string(inner, NULL); break;
    default:
        /* libvirt-dbus's words; it reaches the bus as org.libvirt.Error */
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Invalid typed parameter '%s'.", type);
        return FALSE;
    }
    param->field = g_strdup(name);
    return TRUE;
}

/* The caller's a{sv} as typed parameters; libvirt refuses an empty list (@api's NULL check,
 * or its nparams check when @nparams_first). */
static GArray *
params_from_variant(GVariant *dict, const char *api, gboolean nparams_first, GError **error)
{
    g_autoptr(GArray) params = vb_typed_params_new();
    GVariantIter iter;
    const char *name;
    GVariant *value;

    g_variant_iter_init(&iter, dict);
    while (g_variant_iter_next(&iter, "{&sv}", &name, &value)) {
        g_autoptr(GVariant) owned G_GNUC_UNUSED = value;
        VbTypedParam param = { 0 };
        if (strlen(name) >= VB_TYPED_PARAM_FIELD_LENGTH) {
            vb_set_error(error, VB_ERR_INVALID_ARG, "Field name '%s' too long", name);
            return NULL;
        }
        if (!param_from_variant(name, value, &param, error))
            return NULL;
        g_array_append_val(params, param);
    }
    if (params->len == 0) {
        vb_set_error(error, VB_ERR_INVALID_ARG, nparams_first ? "nparams in %s must be greater than zero"
                                                              : "params in %s must not be NULL", api);
        return NULL;
    }
    return g_steal_pointer(&params);
}

static GVariant *
param_to_variant(const VbTypedParam *param)
{
    switch (param->type) {
    case VB_TYPED_PARAM_INT: return g_variant_new_int32(param->value.i);
    case VB_TYPED_PARAM_UINT: return g_variant_new_uint32(param->value.ui);
    case VB_TYPED_PARAM_LLONG: return g_variant_new_int64(param->value.l);
    case VB_TYPED_PARAM_ULLONG: return g_variant_new_uint64(param->value.ul);
    case VB_TYPED_PARAM_DOUBLE: return g_variant_new_double(param->value.d);
    case VB_TYPED_PARAM_BOOLEAN: return g_variant_new_boolean(param->value.b);
    default: return g_variant_new_string(param->value.s ? param->value.s : "");
    }
}

/* "(a{sv})" from @params (taken), or NULL when the driver failed. */
static GVariant *
params_reply(GArray *params)
{
    g_autoptr(GArray) owned G_GNUC_UNUSED = params;
    GVariantBuilder builder;

    if (!params)
        return NULL;
    g_variant_builder_init(&builder, G_VARIANT_TYPE("a{sv}"));
    for (guint i = 0; i < params->len; i++) {
        const VbTypedParam *param = &g_array_index(params, VbTypedParam, i);
        vb_params_add(&builder, param->field, param_to_variant(param));
    }
    return g_variant_new("(a{sv})", &builder);
}

#define EMPTY_REPLY(ok) ((ok) ? g_variant_new("()") : NULL)

/* A driver's task that returns parameters (a GArray of VbTypedParam). */
static void
params_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    VbDeferred *deferred = user_data;
    g_autoptr(GError) error = NULL;
    GArray *params = g_task_propagate_pointer(G_TASK(result), &error);

    deferred->complete(deferred, params_reply(params), error);
}

static GVariant *
domain_get_blkio_parameters(VbCall *call, GVariant *args, GError **error)
{
    guint flags;

    g_variant_get(args, "(u)", &flags);
    return params_reply(CALL(call, domain_get_blkio_parameters, "virDomainGetBlkioParameters", error, flags));
}

static GVariant *
domain_set_blkio_parameters(VbCall *call, GVariant *args, GError **error)
{
    g_autoptr(GVariant) dict = NULL;
    g_autoptr(GArray) params = NULL;
    guint flags;

    g_variant_get(args, "(@a{sv}u)", &dict, &flags);
    if (!(params = params_from_variant(dict, "virDomainSetBlkioParameters", FALSE, error)))
        return NULL;
    return EMPTY_REPLY(CALL(call, domain_set_blkio_parameters, "virDomainSetBlkioParameters", error, params, flags));
}

static GVariant *
domain_set_memory_parameters(VbCall *call, GVariant *args, GError **error)
{
    g_autoptr(GVariant) dict = NULL;
    g_autoptr(GArray) params = NULL;
    guint flags;

    g_variant_get(args, "(@a{sv}u)", &dict, &flags);
    if (!(params = params_from_variant(dict, "virDomainSetMemoryParameters", FALSE, error)))
        return NULL;
    return EMPTY_REPLY(CALL(call, domain_set_memory_parameters, "virDomainSetMemoryParameters", error, params, flags));
}

static GVariant *
domain_get_numa_parameters(VbCall *call, GVariant *args, GError **error)
{
    guint flags;

    g_variant_get(args, "(u)", &flags);
    return params_reply(CALL(call, domain_get_numa_parameters, "virDomainGetNumaParameters", error, flags));
}

static GVariant *
domain_set_numa_parameters(VbCall *call, GVariant *args, GError **error)
{
    g_autoptr(GVariant) dict = NULL;
    g_autoptr(GArray) params = NULL;
    guint flags;

    g_variant_get(args, "(@a{sv}u)", &dict, &flags);
    if (!(params = params_from_variant(dict, "virDomainSetNumaParameters", FALSE, error)))
        return NULL;
    return EMPTY_REPLY(CALL(call, domain_set_numa_parameters, "virDomainSetNumaParameters", error, params, flags));
}

static GVariant *
domain_get_perf_events(VbCall *call, GVariant *args, GError **error)
{
    guint flags;

    g_variant_get(args, "(u)", &flags);
    return params_reply(CALL(call, domain_get_perf_events, "virDomainGetPerfEvents", error, flags));
}

static GVariant *
domain_set_perf_events(VbCall *call, GVariant *args, GError **error)
{
    g_autoptr(GVariant) dict = NULL;
    g_autoptr(GArray) params = NULL;
    guint flags;

    g_variant_get(args, "(@a{sv}u)", &dict, &flags);
    if (!(params = params_from_variant(dict, "virDomainSetPerfEvents", FALSE, error)))
        return NULL;
    return EMPTY_REPLY(CALL(call, domain_set_perf_events, "virDomainSetPerfEvents", error, params, flags));
}

static GVariant *
domain_set_scheduler_parameters(VbCall *call, GVariant *args, GError **error)
{
    g_autoptr(GVariant) dict = NULL;
    g_autoptr(GArray) params = NULL;
    guint flags;

    g_variant_get(args, "(@a{sv}u)", &dict, &flags);
    if (!(params = params_from_variant(dict, "virDomainSetSchedulerParametersFlags", FALSE, error)))
        return NULL;
    return EMPTY_REPLY(CALL(call, domain_set_scheduler_parameters, "virDomainSetSchedulerParametersFlags", error,
                            params, flags));
}

static GVariant *
domain_get_interface_parameters(VbCall *call, GVariant *args, GError **error)
{
    const char *device;
    guint flags;

    g_variant_get(args, "(&su)", &device, &flags);
    return params_reply(CALL(call, domain_get_interface_parameters, "virDomainGetInterfaceParameters", error,
                             device, flags));
}

static GVariant *
domain_set_interface_parameters(VbCall *call, GVariant *args, GError **error)
{
    g_autoptr(GVariant) dict = NULL;
    g_autoptr(GArray) params = NULL;
    const char *device;
    guint flags;

    g_variant_get(args, "(&s@a{sv}u)", &device, &dict, &flags);
    if (!(params = params_from_variant(dict, "virDomainSetInterfaceParameters", FALSE, error)))
        return NULL;
    return EMPTY_REPLY(CALL(call, domain_set_interface_parameters, "virDomainSetInterfaceParameters", error, device,
                            params, flags));
}

static GVariant *
domain_get_block_io_tune(VbCall *call, GVariant *args, GError **error)
{
    const char *disk;
    guint flags;

    g_variant_get(args, "(&su)", &disk, &flags);
    if (ASYNC_POINTER(call, domain_get_block_io_tune, params_done, disk, flags))
        return NULL;
    return params_reply(CALL(call, domain_get_block_io_tune, "virDomainGetBlockIoTune", error, disk, flags));
}

static GVariant *
domain_set_block_io_tune(VbCall *call, GVariant *args, GError **error)
{
    g_autoptr(GVariant) dict = NULL;
    g_autoptr(GArray) params = NULL;
    const char *disk;
    guint flags;

    g_variant_get(args, "(&s@a{sv}u)", &disk, &dict, &flags);
    if (!(params = params_from_variant(dict, "virDomainSetBlockIoTune", TRUE, error)))
        return NULL;
    if (ASYNC(call, domain_set_block_io_tune, disk, params, flags))
        return NULL;
    return EMPTY_REPLY(CALL(call, domain_set_block_io_tune, "virDomainSetBlockIoTune", error, disk, params, flags));
}

static GVariant *
domain_set_memory_stats_period(VbCall *call, GVariant *args, GError **error)
{
    int period;
    guint flags;

    g_variant_get(args, "(iu)", &period, &flags);
    if (ASYNC(call, domain_set_memory_stats_period, period, flags))
        return NULL;
    return EMPTY_REPLY(CALL(call, domain_set_memory_stats_period, "virDomainSetMemoryStatsPeriod", error, period,
                            flags));
}

/* ---- IOThreads and emulator pinning ---- */

static GVariant *
domain_add_iothread(VbCall *call, GVariant *args, GError **error)
{
    guint id, flags;

    g_variant_get(args, "(uu)", &id, &flags);
    return EMPTY_REPLY(CALL(call, domain_add_iothread, "virDomainAddIOThread", error, id, flags));
}

static GVariant *
domain_del_iothread(VbCall *call, GVariant *args, GError **error)
{
    guint id, flags;

    g_variant_get(args, "(uu)", &id, &flags);
    return EMPTY_REPLY(CALL(call, domain_del_iothread, "virDomainDelIOThread", error, id, flags));
}

static GVariant *
domain_get_iothread_info(VbCall *call, GVariant *args, GError **error)
{
    g_autoptr(GPtrArray) infos = NULL;
    GVariantBuilder builder;
    guint flags;

    g_variant_get(args, "(u)", &flags);
    if (!(infos = CALL(call, domain_get_iothread_info, "virDomainGetIOThreadInfo", error, flags)))
        return NULL;
    g_variant_builder_init(&builder, G_VARIANT_TYPE("a(uab)"));
    for (guint i = 0; i < infos->len; i++) {
        VbIOThreadInfo *info = g_ptr_array_index(infos, i);
        g_variant_builder_add(&builder, "(u@ab)", info->id, vb_cpumap_to_variant(info->cpumap));
    }
    return g_variant_new("(a(uab))", &builder);
}

static GVariant *
domain_pin_iothread(VbCall *call, GVariant *args, GError **error)
{
    g_autoptr(GVariant) map = NULL;
    g_autoptr(GArray) cpumap = NULL;
    guint id, flags;

    g_variant_get(args, "(u@abu)", &id, &map, &flags);
    cpumap = vb_variant_to_cpumap(map);
    return EMPTY_REPLY(CALL(call, domain_pin_iothread, "virDomainPinIOThread", error, id, cpumap, flags));
}

static GVariant *
domain_get_emulator_pin_info(VbCall *call, GVariant *args, GError **error)
{
    g_autoptr(GArray) cpumap = NULL;
    guint flags;

    g_variant_get(args, "(u)", &flags);
    if (!(cpumap = CALL(call, domain_get_emulator_pin_info, "virDomainGetEmulatorPinInfo", error, flags)))
        return NULL;
    return g_variant_new("(@ab)", vb_cpumap_to_variant(cpumap));
}

static GVariant *
domain_pin_emulator(VbCall *call, GVariant *args, GError **error)
{
    g_autoptr(GVariant) map = NULL;
    g_autoptr(GArray) cpumap = NULL;
    guint flags;

    g_variant_get(args, "(@abu)", &map, &flags);
    cpumap = vb_variant_to_cpumap(map);
    return EMPTY_REPLY(CALL(call, domain_pin_emulator, "virDomainPinEmulator", error, cpumap, flags));
}

/* ---- guest requests ---- */

static GVariant *
domain_get_control_info(VbCall *call, GVariant *args, GError **error)
{
    VbDomainControlInfo info = { 0 };
    guint flags;

    g_variant_get(args, "(u)", &flags);
    if (!CALL(call, domain_get_control_info, "virDomainGetControlInfo", error, flags, &info))
        return NULL;
    return g_variant_new("((uut))", info.state, info.details, info.state_time);
}

static GVariant *
domain_core_dump(VbCall *call, GVariant *args, GError **error)
{
    const char *to;
    guint format, flags;

    g_variant_get(args, "(&suu)", &to, &format, &flags);
    if (ASYNC(call, domain_core_dump, to, format, flags))
        return NULL;
    return EMPTY_REPLY(CALL(call, domain_core_dump, "virDomainCoreDumpWithFormat", error, to, format, flags));
}

static void
fs_count_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    VbDeferred *deferred = user_data;
    g_autoptr(GError) error = NULL;
    g_autofree guint *count = g_task_propagate_pointer(G_TASK(result), &error);

    deferred->complete(deferred, count ? g_variant_new("(u)", *count) : NULL, error);
}

/* FSFreeze and FSThaw: "(asu)" in, the number of filesystems changed out. */
static GVariant *
domain_fs_freeze_thaw(VbCall *call, GVariant *args, gboolean freeze, GError **error)
{
    g_autofree const char **mountpoints = NULL;
    guint flags, count = 0;
    gboolean ok;

    g_variant_get(args, "(^a&su)", &mountpoints, &flags);
    if (freeze ? ASYNC_POINTER(call, domain_fs_freeze, fs_count_done, (const char *const *)mountpoints, flags)
               : ASYNC_POINTER(call, domain_fs_thaw, fs_count_done, (const char *const *)mountpoints, flags))
        return NULL;
    if (freeze)
        ok = CALL(call, domain_fs_freeze, "virDomainFSFreeze", error, mountpoints, flags, &count);
    else
        ok = CALL(call, domain_fs_thaw, "virDomainFSThaw", error, mountpoints, flags, &count);
    return ok ? g_variant_new("(u)", count) : NULL;
}

static GVariant *
domain_fs_freeze(VbCall *call, GVariant *args, GError **error)
{
    return domain_fs_freeze_thaw(call, args, TRUE, error);
}

static GVariant *
domain_fs_thaw(VbCall *call, GVariant *args, GError **error)
{
    return domain_fs_freeze_thaw(call, args, FALSE, error);
}

static GVariant *
domain_fs_trim(VbCall *call, GVariant *args, GError **error)
{
    const char *mountpoint;
    guint64 minimum;
    guint flags;

    g_variant_get(args, "(&stu)", &mountpoint, &minimum, &flags);
    if (ASYNC(call, domain_fs_trim, *mountpoint ? mountpoint : NULL, minimum, flags))
        return NULL;
    return EMPTY_REPLY(CALL(call, domain_fs_trim, "virDomainFSTrim", error, *mountpoint ? mountpoint : NULL, minimum,
                            flags));
}

static GVariant *
fs_info_reply(GPtrArray *infos)
{
    GVariantBuilder builder;

    g_variant_builder_init(&builder, G_VARIANT_TYPE("a(sssas)"));
    for (guint i = 0; i < infos->len; i++) {
        VbFSInfo *info = g_ptr_array_index(infos, i);
        g_variant_builder_add(&builder, "(sss^as)", info->mountpoint, info->name, info->fstype, info->dev_aliases);
    }
    return g_variant_new("(a(sssas))", &builder);
}

static void
fs_info_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    VbDeferred *deferred = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) infos = g_task_propagate_pointer(G_TASK(result), &error);

    deferred->complete(deferred, infos ? fs_info_reply(infos) : NULL, error);
}

static GVariant *
domain_get_fs_info(VbCall *call, GVariant *args, GError **error)
{
    g_autoptr(GPtrArray) infos = NULL;
    guint flags;

    g_variant_get(args, "(u)", &flags);
    if (ASYNC_POINTER(call, domain_get_fs_info, fs_info_done, flags))
        return NULL;
    if (!(infos = CALL(call, domain_get_fs_info, "virDomainGetFSInfo", error, flags)))
        return NULL;
    return fs_info_reply(infos);
}

static GVariant *
interface_variant(const VbDomainInterface *iface)
{
    GVariantBuilder addrs;

    g_variant_builder_init(&addrs, G_VARIANT_TYPE("a(isu)"));
    for (guint i = 0; i < iface->addrs->len; i++) {
        const VbDomainIPAddress *addr = g_ptr_array_index(iface->addrs, i);
        g_variant_builder_add(&addrs, "(isu)", addr->type, addr->addr, addr->prefix);
    }
    return g_variant_new("(ssa(isu))", iface->name ? iface->name : "", iface->hwaddr ? iface->hwaddr : "", &addrs);
}

static GVariant *
interfaces_reply(GPtrArray *ifaces)
{
    GVariantBuilder builder;

    g_variant_builder_init(&builder, G_VARIANT_TYPE("a(ssa(isu))"));
    for (guint i = 0; i < ifaces->len; i++)
        g_variant_builder_add_value(&builder, interface_variant(g_ptr_array_index(ifaces, i)));
    return g_variant_new("(a(ssa(isu)))", &builder);
}

static void
interfaces_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    VbDeferred *deferred = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) ifaces = g_task_propagate_pointer(G_TASK(result), &error);

    deferred->complete(deferred, ifaces ? interfaces_reply(ifaces) : NULL, error);
}

static GVariant *
domain_interface_addresses(VbCall *call, GVariant *args, GError **error)
{
    g_autoptr(GPtrArray) ifaces = NULL;
    guint source, flags;

    g_variant_get(args, "(uu)", &source, &flags);
    if (ASYNC_POINTER(call, domain_interface_addresses, interfaces_done, source, flags))
        return NULL;
    if (!(ifaces = CALL(call, domain_interface_addresses, "virDomainInterfaceAddresses", error, source, flags)))
        return NULL;
    return interfaces_reply(ifaces);
}

static GVariant *
domain_set_time(VbCall *call, GVariant *args, GError **error)
{
    guint64 seconds;
    guint nseconds, flags;

    g_variant_get(args, "(tuu)", &seconds, &nseconds, &flags);
    if (ASYNC(call, domain_set_time, (gint64)seconds, nseconds, flags))
        return NULL;
    return EMPTY_REPLY(CALL(call, domain_set_time, "virDomainSetTime", error, (gint64)seconds, nseconds, flags));
}

static GVariant *
domain_set_user_password(VbCall *call, GVariant *args, GError **error)
{
    const char *user, *password;
    guint flags;

    g_variant_get(args, "(&s&su)", &user, &password, &flags);
    if (ASYNC(call, domain_set_user_password, user, password, flags))
        return NULL;
    return EMPTY_REPLY(CALL(call, domain_set_user_password, "virDomainSetUserPassword", error, user, password, flags));
}

static GVariant *
domain_get_disk_errors(VbCall *call, GVariant *args, GError **error)
{
    g_autoptr(GPtrArray) errors = NULL;
    GVariantBuilder builder;
    guint flags;

    g_variant_get(args, "(u)", &flags);
    if (!(errors = CALL(call, domain_get_disk_errors, "virDomainGetDiskErrors", error, flags)))
        return NULL;
    g_variant_builder_init(&builder, G_VARIANT_TYPE("a(si)"));
    for (guint i = 0; i < errors->len; i++) {
        VbDiskError *err = g_ptr_array_index(errors, i);
        g_variant_builder_add(&builder, "(si)", err->disk ? err->disk : "", err->error);
    }
    return g_variant_new("(a(si))", &builder);
}

static void
bytes_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    VbDeferred *deferred = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) bytes = g_task_propagate_pointer(G_TASK(result), &error);

    deferred->complete(deferred,
                       bytes ? g_variant_new("(@ay)", g_variant_new_from_bytes(G_VARIANT_TYPE_BYTESTRING, bytes, TRUE))
                             : NULL,
                       error);
}

static GVariant *
domain_memory_peek(VbCall *call, GVariant *args, GError **error)
{
    g_autoptr(GBytes) bytes = NULL;
    guint64 offset, size;
    guint flags;

    g_variant_get(args, "(ttu)", &offset, &size, &flags);
    if (size > PEEK_MAX) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "memory peek request too large for remote protocol, %" G_GUINT64_FORMAT
                     " > %d", size, PEEK_MAX);
        return NULL;
    }
    if (ASYNC_POINTER(call, domain_memory_peek, bytes_done, offset, (gsize)size, flags))
        return NULL;
    if (!(bytes = CALL(call, domain_memory_peek, "virDomainMemoryPeek", error, offset, (gsize)size, flags)))
        return NULL;
    return g_variant_new("(@ay)", g_variant_new_from_bytes(G_VARIANT_TYPE_BYTESTRING, bytes, TRUE));
}

static GVariant *
domain_send_process_signal(VbCall *call, GVariant *args, GError **error)
{
    gint64 pid;
    guint signum, flags;

    g_variant_get(args, "(xuu)", &pid, &signum, &flags);
    return EMPTY_REPLY(CALL(call, domain_send_process_signal, "virDomainSendProcessSignal", error, pid, signum, flags));
}

/* ---- statistics (virDomainListGetStats) ---- */

static void
stats_state(GVariantBuilder *b, VbDomainObj *dom)
{
    vb_params_add(b, "state.state", g_variant_new_int32(dom->state));
    vb_params_add(b, "state.reason", g_variant_new_int32(dom->reason));
}

static void
stats_cpu_and_balloon(VbCall *call, GVariantBuilder *b, VbDomainObj *dom, guint stats)
{
    VbDomainInfo info = { 0 };

    if (!call->conn->driver->domain_get_info || !call->conn->driver->domain_get_info(call->conn, dom, &info, NULL))
        return;
    if (stats & VB_STATS_CPU_TOTAL)
        vb_params_add(b, "cpu.time", g_variant_new_uint64(info.cpu_time_ns));
    if (stats & VB_STATS_BALLOON) {
        vb_params_add(b, "balloon.current", g_variant_new_uint64(info.memory_kib));
        vb_params_add(b, "balloon.maximum", g_variant_new_uint64(info.max_mem_kib));
        if (vb_domain_obj_is_active(dom))
            vb_params_add(b, "balloon.rss", g_variant_new_uint64(info.memory_kib));
    }
}

static void
stats_vcpu(GVariantBuilder *b, VbDomainObj *dom)
{
    guint current = vb_domain_def_vcpus_current(dom->def);
    gint64 running_ns = vb_domain_obj_is_active(dom) ? (g_get_monotonic_time() - dom->started_at) * 1000 : 0;

    vb_params_add(b, "vcpu.current", g_variant_new_uint32(current));
    vb_params_add(b, "vcpu.maximum", g_variant_new_uint32(dom->def->vcpus));
    for (guint i = 0; vb_domain_obj_is_active(dom) && i < current; i++) {
        g_autofree char *state = g_strdup_printf("vcpu.%u.state", i);
        g_autofree char *time = g_strdup_printf("vcpu.%u.time", i);
        vb_params_add(b, state, g_variant_new_int32(1));
        vb_params_add(b, time, g_variant_new_uint64((guint64)running_ns / current));
    }
}

static void
stats_block(VbCall *call, GVariantBuilder *b, VbDomainObj *dom)
{
    guint count = vb_domain_def_count_devices(dom->def, VB_DEVICE_DISK);

    vb_params_add(b, "block.count", g_variant_new_uint32(count));
    for (guint i = 0; i < count; i++) {
        VbDiskDef *disk = vb_domain_def_nth_disk(dom->def, i);
        VbBlockInfo info = { 0 };
        g_autofree char *prefix = g_strdup_printf("block.%u.", i);
        g_autofree char *name = g_strconcat(prefix, "name", NULL);

        vb_params_add(b, name, g_variant_new_string(disk->target_dev));
        if (disk->source_file) {
            g_autofree char *path = g_strconcat(prefix, "path", NULL);
            vb_params_add(b, path, g_variant_new_string(disk->source_file));
        }
        if (call->conn->driver->domain_get_block_info &&
            call->conn->driver->domain_get_block_info(call->conn, dom, disk->target_dev, &info, NULL)) {
            g_autofree char *alloc = g_strconcat(prefix, "allocation", NULL);
            g_autofree char *cap = g_strconcat(prefix, "capacity", NULL);
            g_autofree char *phys = g_strconcat(prefix, "physical", NULL);
            vb_params_add(b, alloc, g_variant_new_uint64(info.allocation));
            vb_params_add(b, cap, g_variant_new_uint64(info.capacity));
            vb_params_add(b, phys, g_variant_new_uint64(info.physical));
        }
    }
}

static void
stats_net(GVariantBuilder *b, VbDomainObj *dom)
{
    guint count = vb_domain_def_count_devices(dom->def, VB_DEVICE_INTERFACE);
    guint n = 0;

    vb_params_add(b, "net.count", g_variant_new_uint32(count));
    for (guint i = 0; i < dom->def->devices->len; i++) {
        VbDeviceDef *dev = g_ptr_array_index(dom->def->devices, i);
        if (!dev->net)
            continue;
        g_autofree char *key = g_strdup_printf("net.%u.name", n++);
        vb_params_add(b, key, g_variant_new_string(dev->net->target_dev ? dev->net->target_dev : dev->net->mac));
    }
}

GVariant *
vb_domain_stats(VbCall *call, VbDomainObj *dom, guint stats)
{
    GVariantBuilder b;

    if (stats == 0)
        stats = VB_STATS_STATE | VB_STATS_CPU_TOTAL | VB_STATS_BALLOON | VB_STATS_VCPU |
                VB_STATS_INTERFACE | VB_STATS_BLOCK;
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
    if (stats & VB_STATS_STATE)
        stats_state(&b, dom);
    if (stats & (VB_STATS_CPU_TOTAL | VB_STATS_BALLOON))
        stats_cpu_and_balloon(call, &b, dom, stats);
    if (stats & VB_STATS_VCPU)
        stats_vcpu(&b, dom);
    if (stats & VB_STATS_INTERFACE)
        stats_net(&b, dom);
    if (stats & VB_STATS_BLOCK)
        stats_block(call, &b, dom);
    return g_variant_builder_end(&b);
}

/* "(a{sv})": the generic record with the driver's @measured values (may be NULL) in place of
 * those of the same name, and the others appended. */
static GVariant *
stats_reply(GVariant *generic, GArray *measured)
{
    g_autoptr(GHashTable) by_name = g_hash_table_new(g_str_hash, g_str_equal);
    GVariantBuilder builder;
    GVariantIter iter;
    const char *name;
    GVariant *value;

    for (guint i = 0; measured && i < measured->len; i++) {
        VbTypedParam *param = &g_array_index(measured, VbTypedParam, i);
        g_hash_table_insert(by_name, param->field, param);
    }
    g_variant_builder_init(&builder, G_VARIANT_TYPE("a{sv}"));
    g_variant_iter_init(&iter, generic);
    while (g_variant_iter_next(&iter, "{&sv}", &name, &value)) {
        g_autoptr(GVariant) owned G_GNUC_UNUSED = value;
        VbTypedParam *param = g_hash_table_lookup(by_name, name);
        if (!param) {
            g_variant_builder_add(&builder, "{sv}", name, value);
            continue;
        }
        vb_params_add(&builder, name, param_to_variant(param));
        g_hash_table_remove(by_name, name);
    }
    for (guint i = 0; measured && i < measured->len; i++) {
        VbTypedParam *param = &g_array_index(measured, VbTypedParam, i);
        if (g_hash_table_contains(by_name, param->field))
            vb_params_add(&builder, param->field, param_to_variant(param));
    }
    return g_variant_new("(@a{sv})", g_variant_builder_end(&builder));
}

typedef struct {
    VbDeferred *deferred;
    GVariant *generic;
} StatsReply;

static void
stats_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    StatsReply *reply = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) measured = g_task_propagate_pointer(G_TASK(result), &error);

    reply->deferred->complete(reply->deferred, measured ? stats_reply(reply->generic, measured) : NULL, error);
    g_variant_unref(reply->generic);
    g_free(reply);
}

static GVariant *
domain_get_stats(VbCall *call, GVariant *args, GError **error)
{
    g_autoptr(GVariant) generic = NULL;
    guint stats, flags;
    guint known = VB_STATS_STATE | VB_STATS_CPU_TOTAL | VB_STATS_BALLOON | VB_STATS_VCPU |
                  VB_STATS_INTERFACE | VB_STATS_BLOCK;

    g_variant_get(args, "(uu)", &stats, &flags);
    if (!vb_check_flags(flags, 0x7 | (1u << 31) | (1u << 30), "virDomainListGetStats", error))
        return NULL;
    if (stats & ~known) {
        vb_set_error(error, VB_ERR_ARGUMENT_UNSUPPORTED, "Stats types bits 0x%x are not supported by this daemon",
                     stats & ~known);
        return NULL;
    }
    generic = g_variant_ref_sink(vb_domain_stats(call, DOM(call), stats));
    if (call->conn->driver->domain_get_stats_async) {
        StatsReply *reply = g_new0(StatsReply, 1);
        reply->generic = g_steal_pointer(&generic);
        reply->deferred = call->defer(call);
        call->conn->driver->domain_get_stats_async(call->conn, DOM(call), stats ? stats : known,
                                                   g_task_new(NULL, NULL, stats_done, reply));
        return NULL;
    }
    return stats_reply(generic, NULL);
}

/* ---- snapshots ---- */

static GVariant *
domain_snapshot_create_xml(VbCall *call, GVariant *args, GError **error)
{
    const char *xml;
    guint flags;
    VbSnapshotObj *snap;
    g_autofree char *path = NULL;

    g_variant_get(args, "(&su)", &xml, &flags);
    if (!(snap = CALL(call, snapshot_create_xml, "virDomainSnapshotCreateXML", error, xml, flags)))
        return NULL;
    path = vb_snapshot_path(call, DOM(call), snap);
    return g_variant_new("(o)", path);
}

static GVariant *
domain_snapshot_lookup(VbCall *call, GVariant *args, GError **error)
{
    const char *name;
    guint flags;
    VbSnapshotObj *snap;
    g_autofree char *path = NULL;

    g_variant_get(args, "(&su)", &name, &flags);
    if (!vb_check_flags(flags, 0, "virDomainSnapshotLookupByName", error) ||
        !(snap = vb_domain_snapshot_by_name(DOM(call), name, error)))
        return NULL;
    path = vb_snapshot_path(call, DOM(call), snap);
    return g_variant_new("(o)", path);
}

static GVariant *
domain_snapshot_current(VbCall *call, GVariant *args, GError **error)
{
    guint flags;
    VbSnapshotObj *snap;
    g_autofree char *path = NULL;

    g_variant_get(args, "(u)", &flags);
    if (!vb_check_flags(flags, 0, "virDomainSnapshotCurrent", error))
        return NULL;
    if (!DOM(call)->current_snapshot) {
        vb_set_error(error, VB_ERR_NO_DOMAIN_SNAPSHOT, "%s", "the domain does not have a current snapshot");
        return NULL;
    }
    if (!(snap = vb_domain_snapshot_by_name(DOM(call), DOM(call)->current_snapshot, error)))
        return NULL;
    path = vb_snapshot_path(call, DOM(call), snap);
    return g_variant_new("(o)", path);
}

static GVariant *
domain_list_snapshots(VbCall *call, GVariant *args, GError **error)
{
    guint flags;
    g_autoptr(GPtrArray) snaps = NULL;

    g_variant_get(args, "(u)", &flags);
    if (!(snaps = vb_snapshot_list(DOM(call), NULL, flags, "virDomainListAllSnapshots", error)))
        return NULL;
    return g_variant_new("(@ao)", vb_snapshot_paths(call, DOM(call), snaps));
}

/* ---- the table ---- */

static const VbMethod domain_methods[] = {
    { "AbortJob", NULL, "virDomainAbortJob" },
    { "AddIOThread", domain_add_iothread, "virDomainAddIOThread" },
    { "AttachDevice", domain_attach_device, "virDomainAttachDeviceFlags" },
    { "BlockCommit", vb_domain_block_commit, "virDomainBlockCommit" },
    { "BlockCopy", vb_domain_block_copy, "virDomainBlockCopy" },
    { "BlockJobAbort", vb_domain_block_job_abort, "virDomainBlockJobAbort" },
    { "BlockPeek", vb_domain_block_peek, "virDomainBlockPeek" },
    { "BlockPull", vb_domain_block_pull, "virDomainBlockPull" },
    { "BlockRebase", vb_domain_block_rebase, "virDomainBlockRebase" },
    { "BlockResize", vb_domain_block_resize, "virDomainBlockResize" },
    { "BlockJobSetSpeed", vb_domain_block_job_set_speed, "virDomainBlockJobSetSpeed" },
    { "CoreDump", domain_core_dump, "virDomainCoreDumpWithFormat" },
    { "Create", domain_create, "virDomainCreateWithFlags" },
    { "CreateWithFiles", domain_create_with_files, "virDomainCreateWithFiles" },
    { "DelIOThread", domain_del_iothread, "virDomainDelIOThread" },
    { "Destroy", domain_destroy, "virDomainDestroyFlags" },
    { "DetachDevice", domain_detach_device, "virDomainDetachDeviceFlags" },
    { "FSFreeze", domain_fs_freeze, "virDomainFSFreeze" },
    { "FSThaw", domain_fs_thaw, "virDomainFSThaw" },
    { "FSTrim", domain_fs_trim, "virDomainFSTrim" },
    { "GetBlockIOParameters", domain_get_blkio_parameters, "virDomainGetBlkioParameters" },
    { "GetBlockIOTune", domain_get_block_io_tune, "virDomainGetBlockIoTune" },
    { "GetBlockJobInfo", vb_domain_get_block_job_info, "virDomainGetBlockJobInfo" },
    { "GetControlInfo", domain_get_control_info, "virDomainGetControlInfo" },
    { "GetDiskErrors", domain_get_disk_errors, "virDomainGetDiskErrors" },
    { "GetEmulatorPinInfo", domain_get_emulator_pin_info, "virDomainGetEmulatorPinInfo" },
    { "GetFSInfo", domain_get_fs_info, "virDomainGetFSInfo" },
    { "GetGuestVcpus", NULL, "virDomainGetGuestVcpus" },
    { "GetHostname", domain_get_hostname, "virDomainGetHostname" },
    { "GetInterfaceParameters", domain_get_interface_parameters, "virDomainGetInterfaceParameters" },
    { "GetIOThreadInfo", domain_get_iothread_info, "virDomainGetIOThreadInfo" },
    { "GetJobInfo", NULL, "virDomainGetJobInfo" },
    { "GetJobStats", NULL, "virDomainGetJobStats" },
    { "GetMemoryParameters", domain_get_memory_parameters, "virDomainGetMemoryParameters" },
    { "GetMetadata", domain_get_metadata, "virDomainGetMetadata" },
    { "GetNumaParameters", domain_get_numa_parameters, "virDomainGetNumaParameters" },
    { "GetPerfEvents", domain_get_perf_events, "virDomainGetPerfEvents" },
    { "GetSchedulerParameters", domain_get_scheduler_parameters, "virDomainGetSchedulerParametersFlags" },
    { "GetSecurityLabelList", NULL, "virDomainGetSecurityLabelList" },
    { "GetState", domain_get_state, "virDomainGetState" },
    { "GetStats", domain_get_stats, "virDomainListGetStats" },
    { "GetTime", domain_get_time, "virDomainGetTime" },
    { "GetVcpuPinInfo", domain_get_vcpu_pin_info, "virDomainGetVcpuPinInfo" },
    { "GetVcpus", domain_get_vcpus, "virDomainGetVcpusFlags" },
    { "GetXMLDesc", domain_get_xml_desc, "virDomainGetXMLDesc" },
    { "HasManagedSaveImage", domain_has_managed_save, "virDomainHasManagedSaveImage" },
    { "InjectNMI", domain_inject_nmi, "virDomainInjectNMI" },
    { "InterfaceAddresses", domain_interface_addresses, "virDomainInterfaceAddresses" },
    { "ListDomainSnapshots", domain_list_snapshots, "virDomainListAllSnapshots" },
    { "ManagedSave", domain_managed_save, "virDomainManagedSave" },
    { "ManagedSaveRemove", domain_managed_save_remove, "virDomainManagedSaveRemove" },
    { "MemoryPeek", domain_memory_peek, "virDomainMemoryPeek" },
    { "MemoryStats", domain_memory_stats, "virDomainMemoryStats" },
    { "MigrateGetCompressionCache", NULL, "virDomainMigrateGetCompressionCache" },
    { "MigrateGetMaxSpeed", NULL, "virDomainMigrateGetMaxSpeed" },
    { "MigrateSetCompressionCache", NULL, "virDomainMigrateSetCompressionCache" },
    { "MigrateSetMaxDowntime", NULL, "virDomainMigrateSetMaxDowntime" },
    { "MigrateSetMaxSpeed", NULL, "virDomainMigrateSetMaxSpeed" },
    { "MigrateStartPostCopy", NULL, "virDomainMigrateStartPostCopy" },
    { "MigrateToURI3", NULL, "virDomainMigrateToURI3" },
    { "OpenGraphicsFD", NULL, "virDomainOpenGraphicsFD" },
    { "PinEmulator", domain_pin_emulator, "virDomainPinEmulator" },
    { "PinIOThread", domain_pin_iothread, "virDomainPinIOThread" },
    { "PinVcpu", domain_pin_vcpu, "virDomainPinVcpuFlags" },
    { "PMWakeup", NULL, "virDomainPMWakeup" },
    { "Reboot", domain_reboot, "virDomainReboot" },
    { "Rename", domain_rename, "virDomainRename" },
    { "Reset", domain_reset, "virDomainReset" },
    { "Resume", domain_resume, "virDomainResume" },
    { "Save", domain_save, "virDomainSaveFlags" },
    { "SendKey", domain_send_key, "virDomainSendKey" },
    { "SendProcessSignal", domain_send_process_signal, "virDomainSendProcessSignal" },
    { "SetBlockIOParameters", domain_set_blkio_parameters, "virDomainSetBlkioParameters" },
    { "SetBlockIOTune", domain_set_block_io_tune, "virDomainSetBlockIoTune" },
    { "SetBlockThreshold", NULL, "virDomainSetBlockThreshold" },
    { "SetGuestVcpus", NULL, "virDomainSetGuestVcpus" },
    { "SetInterfaceParameters", domain_set_interface_parameters, "virDomainSetInterfaceParameters" },
    { "SetMemory", domain_set_memory, "virDomainSetMemoryFlags" },
    { "SetMemoryParameters", domain_set_memory_parameters, "virDomainSetMemoryParameters" },
    { "SetMemoryStatsPeriod", domain_set_memory_stats_period, "virDomainSetMemoryStatsPeriod" },
    { "SetMetadata", domain_set_metadata, "virDomainSetMetadata" },
    { "SetNumaParameters", domain_set_numa_parameters, "virDomainSetNumaParameters" },
    { "SetPerfEvents", domain_set_perf_events, "virDomainSetPerfEvents" },
    { "SetSchedulerParameters", domain_set_scheduler_parameters, "virDomainSetSchedulerParametersFlags" },
    { "SetUserPassword", domain_set_user_password, "virDomainSetUserPassword" },
    { "SetTime", domain_set_time, "virDomainSetTime" },
    { "SetVcpus", domain_set_vcpus, "virDomainSetVcpusFlags" },
    { "Shutdown", domain_shutdown, "virDomainShutdownFlags" },
    { "SnapshotCurrent", domain_snapshot_current, "virDomainSnapshotCurrent" },
    { "SnapshotCreateXML", domain_snapshot_create_xml, "virDomainSnapshotCreateXML" },
    { "SnapshotLookupByName", domain_snapshot_lookup, "virDomainSnapshotLookupByName" },
    { "Suspend", domain_suspend, "virDomainSuspend" },
    { "Undefine", domain_undefine, "virDomainUndefineFlags" },
    { "UpdateDevice", domain_update_device, "virDomainUpdateDeviceFlags" },
    { NULL },
};

static const VbProperty domain_properties[] = {
    { "Active", get_active, NULL },
    { "Autostart", get_autostart, set_autostart },
    { "Id", get_id, NULL },
    { "Name", get_name, NULL },
    { "OSType", get_os_type, NULL },
    { "Persistent", get_persistent, NULL },
    { "SchedulerType", get_scheduler_type, NULL },
    { "Updated", get_updated, NULL },
    { "UUID", get_uuid, NULL },
    { NULL },
};

const VbObjectClass vb_domain_class = {
    .interface = "org.libvirt.Domain",
    .subtree = "domain",
    .methods = domain_methods,
    .properties = domain_properties,
    .lookup = domain_lookup,
    .enumerate = domain_enumerate,
    .node_for_key = vb_uuid_node,
    .details = domain_details,
};
