/* connect.c: org.libvirt.Connect — the connection object, e.g. /org/libvirt/Test */
#include "config.h"
#include "domain.h"

#define CONN(call) ((call)->conn)

static GVariant *
path_reply(const VbCall *call, const VbObjectClass *klass, const char *key)
{
    g_autofree char *path = vb_object_path(call, klass, key);

    return g_variant_new("(o)", path);
}

static char *
interface_key(const VbInterfaceObj *iface)
{
    return g_strdup(iface->def->mac ? iface->def->mac : iface->def->name);
}

static GVariant *
interface_reply(const VbCall *call, const VbInterfaceObj *iface)
{
    g_autofree char *key = interface_key(iface);

    return path_reply(call, &vb_interface_class, key);
}

/* ---- properties ---- */

static GVariant *
get_encrypted(VbCall *call, GError **error)
{
    return g_variant_new_boolean(FALSE);
}

static GVariant *
get_secure(VbCall *call, GError **error)
{
    return g_variant_new_boolean(TRUE);   /* a local bus never leaves the host */
}

static GVariant *
get_lib_version(VbCall *call, GError **error)
{
    return g_variant_new_uint64(VB_LIBVIRT_VERSION);
}

static GVariant *
get_version(VbCall *call, GError **error)
{
    guint64 version = 0;

    if (!VB_DRIVER_CALL(CONN(call), get_version, "virConnectGetVersion", error, &version))
        return NULL;
    return g_variant_new_uint64(version);
}

static GVariant *
get_hostname(VbCall *call, GError **error)
{
    g_autofree char *name = VB_DRIVER_CALL(CONN(call), get_hostname, "virConnectGetHostname", error);

    return name ? g_variant_new_string(name) : NULL;
}

/* ---- domains ---- */

static GVariant *
domain_reply(const VbCall *call, const VbDomainObj *dom)
{
    g_autofree char *path = vb_domain_path(call, dom);

    return g_variant_new("(o)", path);
}

static GVariant *
list_domains(VbCall *call, GVariant *args, GError **error)
{
    guint flags;
    g_autoptr(GPtrArray) keys = NULL;
    GHashTableIter iter;
    gpointer value;

    g_variant_get(args, "(u)", &flags);
    if (!vb_check_flags(flags, VB_LIST_DOMAINS_ALL_FLAGS, "virConnectListAllDomains", error))
        return NULL;
    keys = g_ptr_array_sized_new(g_hash_table_size(CONN(call)->domains->by_key));
    g_hash_table_iter_init(&iter, CONN(call)->domains->by_key);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        if (vb_domain_obj_matches(value, flags))
            g_ptr_array_add(keys, ((VbDomainObj *)value)->def->uuid);
    }
    return g_variant_new("(@ao)", vb_object_paths_variant(call, &vb_domain_class, keys));
}

static GVariant *
domain_define_xml(VbCall *call, GVariant *args, GError **error)
{
    const char *xml;
    VbDomainObj *dom;

    g_variant_get(args, "(&s)", &xml);
    dom = VB_DRIVER_CALL(CONN(call), domain_define_xml, "virDomainDefineXML", error, xml, 0);
    return dom ? domain_reply(call, dom) : NULL;
}

static void
domain_created(GObject *source, GAsyncResult *result, gpointer user_data)
{
    VbDeferred *deferred = user_data;
    g_autoptr(GError) error = NULL;
    g_autofree char *uuid = g_task_propagate_pointer(G_TASK(result), &error);
    g_autofree char *path = uuid ? vb_object_path(&deferred->call, &vb_domain_class, uuid) : NULL;

    deferred->complete(deferred, path ? g_variant_new("(o)", path) : NULL, error);
}

/* DomainCreateXML(WithFiles): a driver that starts a process answers with the UUID later. */
static GVariant *
create_xml(VbCall *call, const char *xml, guint flags, const char *api, GError **error)
{
    VbDomainObj *dom;

    if (CONN(call)->driver->domain_create_xml_async) {
        CONN(call)->driver->domain_create_xml_async(CONN(call), xml, flags,
                                                     g_task_new(NULL, NULL, domain_created, call->defer(call)));
        return NULL;
    }
    dom = VB_DRIVER_CALL(CONN(call), domain_create_xml, api, error, xml, flags);
    return dom ? domain_reply(call, dom) : NULL;
}

static GVariant *
domain_create_xml(VbCall *call, GVariant *args, GError **error)
{
    const char *xml;
    guint flags;

    g_variant_get(args, "(&su)", &xml, &flags);
    return create_xml(call, xml, flags, "virDomainCreateXML", error);
}

static GVariant *
domain_create_xml_with_files(VbCall *call, GVariant *args, GError **error)
{
    const char *xml;
    g_autoptr(GVariant) files = NULL;
    guint flags;

    g_variant_get(args, "(&s@ahu)", &xml, &files, &flags);
    if (!vb_call_check_fd_handles(call, files, error))
        return NULL;
    return create_xml(call, xml, flags, "virDomainCreateXMLWithFiles", error);
}

static GVariant *
domain_lookup_by_id(VbCall *call, GVariant *args, GError **error)
{
    int id;
    VbDomainObj *dom;

    g_variant_get(args, "(i)", &id);
    dom = vb_conn_domain_by_id(CONN(call), id, error);
    return dom ? domain_reply(call, dom) : NULL;
}

static GVariant *
domain_lookup_by_name(VbCall *call, GVariant *args, GError **error)
{
    const char *name;
    VbDomainObj *dom;

    g_variant_get(args, "(&s)", &name);
    dom = vb_conn_domain_by_name(CONN(call), name, error);
    return dom ? domain_reply(call, dom) : NULL;
}

static GVariant *
domain_lookup_by_uuid(VbCall *call, GVariant *args, GError **error)
{
    const char *uuid;
    VbDomainObj *dom;

    g_variant_get(args, "(&s)", &uuid);
    dom = vb_conn_domain_by_uuid(CONN(call), uuid, error);
    return dom ? domain_reply(call, dom) : NULL;
}

static GVariant *
domain_restore(VbCall *call, GVariant *args, GError **error)
{
    const char *from, *xml;
    guint flags;

    g_variant_get(args, "(&s&su)", &from, &xml, &flags);
    if (CONN(call)->driver->domain_restore_async) {
        CONN(call)->driver->domain_restore_async(CONN(call), from, *xml ? xml : NULL, flags,
                                                 vb_call_empty_reply_task(call));
        return NULL;
    }
    if (!VB_DRIVER_CALL(CONN(call), domain_restore, "virDomainRestoreFlags", error, from, *xml ? xml : NULL, flags))
        return NULL;
    return g_variant_new("()");
}

static GVariant *
domain_save_image_get_xml_desc(VbCall *call, GVariant *args, GError **error)
{
    const char *file;
    guint flags;
    g_autofree char *xml = NULL;

    g_variant_get(args, "(&su)", &file, &flags);
    xml = VB_DRIVER_CALL(CONN(call), domain_save_image_get_xml_desc, "virDomainSaveImageGetXMLDesc", error, file, flags);
    return xml ? g_variant_new("(s)", xml) : NULL;
}

static GVariant *
domain_save_image_define_xml(VbCall *call, GVariant *args, GError **error)
{
    const char *file, *xml;
    guint flags;

    g_variant_get(args, "(&s&su)", &file, &xml, &flags);
    if (!VB_DRIVER_CALL(CONN(call), domain_save_image_define_xml, "virDomainSaveImageDefineXML", error, file, xml, flags))
        return NULL;
    return g_variant_new("()");
}

static GVariant *
get_all_domain_stats(VbCall *call, GVariant *args, GError **error)
{
    guint stats, flags;
    guint filters = VB_LIST_DOMAINS_ACTIVE | VB_LIST_DOMAINS_INACTIVE | VB_LIST_DOMAINS_PERSISTENT |
                    VB_LIST_DOMAINS_TRANSIENT | VB_LIST_DOMAINS_RUNNING | VB_LIST_DOMAINS_PAUSED |
                    VB_LIST_DOMAINS_SHUTOFF | VB_LIST_DOMAINS_OTHER;
    g_autoptr(GPtrArray) domains = vb_obj_list_values(CONN(call)->domains);
    GVariantBuilder builder;

    g_variant_get(args, "(uu)", &stats, &flags);
    if (!vb_check_flags(flags, filters | (1u << 29) | (1u << 30) | (1u << 31), "virConnectGetAllDomainStats", error))
        return NULL;
    g_variant_builder_init(&builder, G_VARIANT_TYPE("a(sa{sv})"));
    for (guint i = 0; i < domains->len; i++) {
        VbDomainObj *dom = g_ptr_array_index(domains, i);
        if (vb_domain_obj_matches(dom, flags & filters))
            g_variant_builder_add(&builder, "(s@a{sv})", dom->def->name, vb_domain_stats(call, dom, stats));
    }
    return g_variant_new("(@a(sa{sv}))", g_variant_builder_end(&builder));
}

/* ---- host ---- */

static GVariant *
string_reply(char *text)
{
    g_autofree char *owned = text;

    return owned ? g_variant_new("(s)", owned) : NULL;
}

static GVariant *
get_capabilities(VbCall *call, GVariant *args, GError **error)
{
    return string_reply(VB_DRIVER_CALL(CONN(call), get_capabilities, "virConnectGetCapabilities", error));
}

static GVariant *
get_sysinfo(VbCall *call, GVariant *args, GError **error)
{
    guint flags;

    g_variant_get(args, "(u)", &flags);
    return string_reply(VB_DRIVER_CALL(CONN(call), get_sysinfo, "virConnectGetSysinfo", error, flags));
}

static GVariant *
get_domain_capabilities(VbCall *call, GVariant *args, GError **error)
{
    const char *emulator, *arch, *machine, *virttype;
    guint flags;

    g_variant_get(args, "(&s&s&s&su)", &emulator, &arch, &machine, &virttype, &flags);
    return string_reply(VB_DRIVER_CALL(CONN(call), get_domain_capabilities, "virConnectGetDomainCapabilities",
                                       error, *emulator ? emulator : NULL, *arch ? arch : NULL,
                                       *machine ? machine : NULL, *virttype ? virttype : NULL, flags));
}

static GVariant *
get_cpu_model_names(VbCall *call, GVariant *args, GError **error)
{
    const char *arch;
    guint flags;
    g_auto(GStrv) models = NULL;

    g_variant_get(args, "(&su)", &arch, &flags);
    models = VB_DRIVER_CALL(CONN(call), get_cpu_model_names, "virConnectGetCPUModelNames", error, arch, flags);
    return models ? g_variant_new("(^as)", models) : NULL;
}

static GVariant *
compare_cpu(VbCall *call, GVariant *args, GError **error)
{
    const char *xml;
    guint flags;
    int result = 0;

    g_variant_get(args, "(&su)", &xml, &flags);
    if (!VB_DRIVER_CALL(CONN(call), compare_cpu, "virConnectCompareCPU", error, xml, flags, &result))
        return NULL;
    return g_variant_new("(i)", result);
}

static GVariant *
baseline_cpu(VbCall *call, GVariant *args, GError **error)
{
    g_autofree const char **xml_cpus = NULL;
    guint flags;

    g_variant_get(args, "(^a&su)", &xml_cpus, &flags);
    return string_reply(VB_DRIVER_CALL(CONN(call), baseline_cpu, "virConnectBaselineCPU", error, xml_cpus, flags));
}

static GVariant *
node_get_cpu_map(VbCall *call, GVariant *args, GError **error)
{
    guint flags;
    g_autoptr(GArray) map = NULL;

    g_variant_get(args, "(u)", &flags);
    map = VB_DRIVER_CALL(CONN(call), node_get_cpu_map, "virNodeGetCPUMap", error, flags);
    return map ? g_variant_new("(@ab)", vb_cpumap_to_variant(map)) : NULL;
}

static GVariant *
node_get_cpu_stats(VbCall *call, GVariant *args, GError **error)
{
    int cpu;
    guint flags;
    g_autoptr(GHashTable) stats = NULL;

    g_variant_get(args, "(iu)", &cpu, &flags);
    stats = VB_DRIVER_CALL(CONN(call), node_get_cpu_stats, "virNodeGetCPUStats", error, cpu, flags);
    return stats ? g_variant_new("(@a{st})", vb_ull_table_to_variant(stats, "a{st}")) : NULL;
}

static GVariant *
node_get_memory_stats(VbCall *call, GVariant *args, GError **error)
{
    int cell;
    guint flags;
    g_autoptr(GHashTable) stats = NULL;

    g_variant_get(args, "(iu)", &cell, &flags);
    stats = VB_DRIVER_CALL(CONN(call), node_get_memory_stats, "virNodeGetMemoryStats", error, cell, flags);
    return stats ? g_variant_new("(@a{st})", vb_ull_table_to_variant(stats, "a{st}")) : NULL;
}

static GVariant *
node_get_free_memory(VbCall *call, GVariant *args, GError **error)
{
    guint64 bytes = 0;

    if (!VB_DRIVER_CALL(CONN(call), node_get_free_memory, "virNodeGetFreeMemory", error, &bytes))
        return NULL;
    return g_variant_new("(t)", bytes);
}

static GVariant *
node_get_security_model(VbCall *call, GVariant *args, GError **error)
{
    g_autofree char *model = NULL;
    g_autofree char *doi = NULL;

    if (!VB_DRIVER_CALL(CONN(call), node_get_security_model, "virNodeGetSecurityModel", error, &model, &doi))
        return NULL;
    return g_variant_new("((ss))", model ? model : "", doi ? doi : "");
}

/* ---- networks ---- */

static gboolean
flags_match(guint flags, guint yes, guint no, gboolean value)
{
    if (!(flags & (yes | no)) || (flags & (yes | no)) == (yes | no))
        return TRUE;
    return (flags & yes) ? value : !value;
}

static gboolean
lifecycle_matches(guint flags, gboolean active, gboolean persistent, gboolean autostart)
{
    return flags_match(flags, VB_LIST_ACTIVE, VB_LIST_INACTIVE, active) &&
           flags_match(flags, VB_LIST_PERSISTENT, VB_LIST_TRANSIENT, persistent) &&
           flags_match(flags, VB_LIST_AUTOSTART, VB_LIST_NO_AUTOSTART, autostart);
}

static GVariant *
list_networks(VbCall *call, GVariant *args, GError **error)
{
    guint flags;
    g_autoptr(GPtrArray) all = vb_obj_list_values(CONN(call)->networks);
    g_autoptr(GPtrArray) keys = g_ptr_array_new();

    g_variant_get(args, "(u)", &flags);
    if (!vb_check_flags(flags, 0x3f, "virConnectListAllNetworks", error))
        return NULL;
    for (guint i = 0; i < all->len; i++) {
        VbNetworkObj *net = g_ptr_array_index(all, i);
        if (lifecycle_matches(flags, net->active, net->persistent, net->autostart))
            g_ptr_array_add(keys, net->def->uuid);
    }
    return g_variant_new("(@ao)", vb_paths_variant(call, &vb_network_class, keys));
}

static GVariant *
network_reply(const VbCall *call, VbNetworkObj *net)
{
    return net ? path_reply(call, &vb_network_class, net->def->uuid) : NULL;
}

static GVariant *
network_define_xml(VbCall *call, GVariant *args, GError **error)
{
    const char *xml;

    g_variant_get(args, "(&s)", &xml);
    return network_reply(call, VB_DRIVER_CALL(CONN(call), network_define_xml, "virNetworkDefineXML", error, xml));
}

static GVariant *
network_create_xml(VbCall *call, GVariant *args, GError **error)
{
    const char *xml;

    g_variant_get(args, "(&s)", &xml);
    return network_reply(call, VB_DRIVER_CALL(CONN(call), network_create_xml, "virNetworkCreateXML", error, xml));
}

static GVariant *
network_lookup_by_name(VbCall *call, GVariant *args, GError **error)
{
    const char *name;

    g_variant_get(args, "(&s)", &name);
    return network_reply(call, vb_conn_network_by_name(CONN(call), name, error));
}

static GVariant *
network_lookup_by_uuid(VbCall *call, GVariant *args, GError **error)
{
    const char *uuid;

    g_variant_get(args, "(&s)", &uuid);
    return network_reply(call, vb_conn_network_by_uuid(CONN(call), uuid, error));
}

/* ---- node devices ---- */

static const char *const nodedev_cap_flags[] = {
    "system", "pci", "usb_device", "usb", "net", "scsi_host", "scsi_target", "scsi", "storage",
    "fc_host", "vports", "scsi_generic", "drm", "mdev_types", "mdev", "ccw", "css", "vdpa",
    "ap_card", "ap_queue", "ap_matrix", "vpd", NULL,
};

static gboolean
nodedev_matches(const VbNodeDeviceObj *dev, guint flags)
{
    guint caps = flags & ((1u << 22) - 1);

    if (!caps)
        return TRUE;
    for (guint bit = 0; nodedev_cap_flags[bit]; bit++) {
        if ((caps & (1u << bit)) && vb_node_device_def_has_cap(dev->def, nodedev_cap_flags[bit]))
            return TRUE;
    }
    return FALSE;
}

static GVariant *
list_node_devices(VbCall *call, GVariant *args, GError **error)
{
    guint flags;
    g_autoptr(GPtrArray) all = vb_obj_list_values(CONN(call)->node_devices);
    g_autoptr(GPtrArray) keys = g_ptr_array_new();

    g_variant_get(args, "(u)", &flags);
    if (!vb_check_flags(flags, ((1u << 22) - 1) | VB_LIST_NODE_DEVICES_ACTIVE | VB_LIST_NODE_DEVICES_INACTIVE,
                        "virConnectListAllNodeDevices", error))
        return NULL;
    /* every device here is active: INACTIVE alone lists nothing */
    if ((flags & VB_LIST_NODE_DEVICES_INACTIVE) && !(flags & VB_LIST_NODE_DEVICES_ACTIVE))
        return g_variant_new("(@ao)", vb_paths_variant(call, &vb_nodedev_class, keys));
    for (guint i = 0; i < all->len; i++) {
        VbNodeDeviceObj *dev = g_ptr_array_index(all, i);
        if (nodedev_matches(dev, flags))
            g_ptr_array_add(keys, dev->def->name);
    }
    return g_variant_new("(@ao)", vb_paths_variant(call, &vb_nodedev_class, keys));
}

static GVariant *
nodedev_reply(const VbCall *call, VbNodeDeviceObj *dev)
{
    return dev ? path_reply(call, &vb_nodedev_class, dev->def->name) : NULL;
}

static GVariant *
node_device_lookup_by_name(VbCall *call, GVariant *args, GError **error)
{
    const char *name;

    g_variant_get(args, "(&s)", &name);
    return nodedev_reply(call, vb_conn_node_device_by_name(CONN(call), name, error));
}

static GVariant *
node_device_lookup_scsi_host_by_wwn(VbCall *call, GVariant *args, GError **error)
{
    const char *wwnn, *wwpn;
    guint flags;

    g_variant_get(args, "(&s&su)", &wwnn, &wwpn, &flags);
    if (!vb_check_flags(flags, 0, "virNodeDeviceLookupSCSIHostByWWN", error))
        return NULL;
    return nodedev_reply(call, vb_conn_node_device_by_wwn(CONN(call), wwnn, wwpn, error));
}

static void
node_device_created(GObject *source, GAsyncResult *result, gpointer user_data)
{
    VbDeferred *deferred = user_data;
    g_autoptr(GError) error = NULL;
    g_autofree char *name = g_task_propagate_pointer(G_TASK(result), &error);
    g_autofree char *path = name ? vb_object_path(&deferred->call, &vb_nodedev_class, name) : NULL;

    deferred->complete(deferred, path ? g_variant_new("(o)", path) : NULL, error);
}

/* A driver that waits for the device to appear (udev) answers with its name later. */
static GVariant *
node_device_create_xml(VbCall *call, GVariant *args, GError **error)
{
    const char *xml;
    guint flags;

    g_variant_get(args, "(&su)", &xml, &flags);
    if (CONN(call)->driver->node_device_create_xml_async) {
        CONN(call)->driver->node_device_create_xml_async(CONN(call), xml, flags,
                                                          g_task_new(NULL, NULL, node_device_created,
                                                                     call->defer(call)));
        return NULL;
    }
    return nodedev_reply(call, VB_DRIVER_CALL(CONN(call), node_device_create_xml, "virNodeDeviceCreateXML",
                                              error, xml, flags));
}

/* ---- storage ---- */

static const char *const pool_type_flags[] = {
    "dir", "fs", "netfs", "logical", "disk", "iscsi", "scsi", "mpath", "rbd", "sheepdog",
    "gluster", "zfs", "vstorage", "iscsi-direct", NULL,
};

static gboolean
pool_type_matches(const VbStoragePoolObj *pool, guint flags)
{
    guint types = flags & VB_LIST_POOLS_TYPE_MASK;
    const char *type = vb_storage_pool_type_to_string(pool->def->type);

    if (!types)
        return TRUE;
    for (guint i = 0; pool_type_flags[i]; i++) {
        if ((types & (1u << (i + 6))) && g_strcmp0(type, pool_type_flags[i]) == 0)
            return TRUE;
    }
    return FALSE;
}

static GVariant *
list_storage_pools(VbCall *call, GVariant *args, GError **error)
{
    guint flags;
    g_autoptr(GPtrArray) all = vb_obj_list_values(CONN(call)->pools);
    g_autoptr(GPtrArray) keys = g_ptr_array_new();

    g_variant_get(args, "(u)", &flags);
    if (!vb_check_flags(flags, (1u << 20) - 1, "virConnectListAllStoragePools", error))
        return NULL;
    for (guint i = 0; i < all->len; i++) {
        VbStoragePoolObj *pool = g_ptr_array_index(all, i);
        if (lifecycle_matches(flags, pool->active, pool->persistent, pool->autostart) && pool_type_matches(pool, flags))
            g_ptr_array_add(keys, pool->def->uuid);
    }
    return g_variant_new("(@ao)", vb_paths_variant(call, &vb_storagepool_class, keys));
}

static GVariant *
pool_reply(const VbCall *call, VbStoragePoolObj *pool)
{
    return pool ? path_reply(call, &vb_storagepool_class, pool->def->uuid) : NULL;
}

static GVariant *
storage_pool_define_xml(VbCall *call, GVariant *args, GError **error)
{
    const char *xml;
    guint flags;

    g_variant_get(args, "(&su)", &xml, &flags);
    return pool_reply(call, VB_DRIVER_CALL(CONN(call), pool_define_xml, "virStoragePoolDefineXML", error, xml, flags));
}

static GVariant *
storage_pool_create_xml(VbCall *call, GVariant *args, GError **error)
{
    const char *xml;
    guint flags;

    g_variant_get(args, "(&su)", &xml, &flags);
    return pool_reply(call, VB_DRIVER_CALL(CONN(call), pool_create_xml, "virStoragePoolCreateXML", error, xml, flags));
}

static GVariant *
storage_pool_lookup_by_name(VbCall *call, GVariant *args, GError **error)
{
    const char *name;

    g_variant_get(args, "(&s)", &name);
    return pool_reply(call, vb_conn_pool_by_name(CONN(call), name, error));
}

static GVariant *
storage_pool_lookup_by_uuid(VbCall *call, GVariant *args, GError **error)
{
    const char *uuid;

    g_variant_get(args, "(&s)", &uuid);
    return pool_reply(call, vb_conn_pool_by_uuid(CONN(call), uuid, error));
}

static GVariant *
find_storage_pool_sources(VbCall *call, GVariant *args, GError **error)
{
    const char *type, *spec;
    guint flags;

    g_variant_get(args, "(&s&su)", &type, &spec, &flags);
    return string_reply(VB_DRIVER_CALL(CONN(call), find_pool_sources, "virConnectFindStoragePoolSources", error,
                                       type, *spec ? spec : NULL, flags));
}

static GVariant *
vol_reply(const VbCall *call, VbStorageVolObj *vol)
{
    return vol ? path_reply(call, &vb_storagevol_class, vol->def->key) : NULL;
}

static GVariant *
storage_vol_lookup_by_key(VbCall *call, GVariant *args, GError **error)
{
    const char *key;

    g_variant_get(args, "(&s)", &key);
    return vol_reply(call, vb_conn_vol_by_key(CONN(call), key, error));
}

static GVariant *
storage_vol_lookup_by_path(VbCall *call, GVariant *args, GError **error)
{
    const char *path;

    g_variant_get(args, "(&s)", &path);
    return vol_reply(call, vb_conn_vol_by_path(CONN(call), path, error));
}

/* ---- host interfaces ---- */

static GVariant *
list_interfaces(VbCall *call, GVariant *args, GError **error)
{
    guint flags;
    g_autoptr(GPtrArray) all = vb_obj_list_values(CONN(call)->interfaces);
    GVariantBuilder builder;

    g_variant_get(args, "(u)", &flags);
    if (!vb_check_flags(flags, VB_LIST_INACTIVE | VB_LIST_ACTIVE, "virConnectListAllInterfaces", error))
        return NULL;
    g_variant_builder_init(&builder, G_VARIANT_TYPE("ao"));
    for (guint i = 0; i < all->len; i++) {
        VbInterfaceObj *iface = g_ptr_array_index(all, i);
        g_autofree char *key = interface_key(iface);
        g_autofree char *path = NULL;
        if (!flags_match(flags, VB_LIST_ACTIVE, VB_LIST_INACTIVE, iface->active))
            continue;
        path = vb_object_path(call, &vb_interface_class, key);
        g_variant_builder_add(&builder, "o", path);
    }
    return g_variant_new("(ao)", &builder);
}

static GVariant *
interface_define_xml(VbCall *call, GVariant *args, GError **error)
{
    const char *xml;
    guint flags;
    VbInterfaceObj *iface;

    g_variant_get(args, "(&su)", &xml, &flags);
    iface = VB_DRIVER_CALL(CONN(call), interface_define_xml, "virInterfaceDefineXML", error, xml, flags);
    return iface ? interface_reply(call, iface) : NULL;
}

static GVariant *
interface_lookup_by_name(VbCall *call, GVariant *args, GError **error)
{
    const char *name;
    VbInterfaceObj *iface;

    g_variant_get(args, "(&s)", &name);
    iface = vb_conn_interface_by_name(CONN(call), name, error);
    return iface ? interface_reply(call, iface) : NULL;
}

static GVariant *
interface_lookup_by_mac(VbCall *call, GVariant *args, GError **error)
{
    const char *mac;
    VbInterfaceObj *iface;

    g_variant_get(args, "(&s)", &mac);
    iface = vb_conn_interface_by_mac(CONN(call), mac, error);
    return iface ? interface_reply(call, iface) : NULL;
}

static GVariant *
interface_change_begin(VbCall *call, GVariant *args, GError **error)
{
    guint flags;

    g_variant_get(args, "(u)", &flags);
    return VB_DRIVER_CALL(CONN(call), interface_change_begin, "virInterfaceChangeBegin", error, flags)
               ? g_variant_new("()") : NULL;
}

static GVariant *
interface_change_commit(VbCall *call, GVariant *args, GError **error)
{
    guint flags;

    g_variant_get(args, "(u)", &flags);
    return VB_DRIVER_CALL(CONN(call), interface_change_commit, "virInterfaceChangeCommit", error, flags)
               ? g_variant_new("()") : NULL;
}

static GVariant *
interface_change_rollback(VbCall *call, GVariant *args, GError **error)
{
    guint flags;

    g_variant_get(args, "(u)", &flags);
    return VB_DRIVER_CALL(CONN(call), interface_change_rollback, "virInterfaceChangeRollback", error, flags)
               ? g_variant_new("()") : NULL;
}

/* ---- secrets ---- */

static GVariant *
list_secrets(VbCall *call, GVariant *args, GError **error)
{
    guint flags;
    g_autoptr(GPtrArray) all = vb_obj_list_values(CONN(call)->secrets);
    g_autoptr(GPtrArray) keys = g_ptr_array_new();

    g_variant_get(args, "(u)", &flags);
    if (!vb_check_flags(flags, 0xf, "virConnectListAllSecrets", error))
        return NULL;
    for (guint i = 0; i < all->len; i++) {
        VbSecretObj *secret = g_ptr_array_index(all, i);
        if (flags_match(flags, 1 << 0, 1 << 1, secret->def->ephemeral) &&
            flags_match(flags, 1 << 2, 1 << 3, secret->def->private_))
            g_ptr_array_add(keys, secret->def->uuid);
    }
    return g_variant_new("(@ao)", vb_paths_variant(call, &vb_secret_class, keys));
}

static GVariant *
secret_reply(const VbCall *call, VbSecretObj *secret)
{
    return secret ? path_reply(call, &vb_secret_class, secret->def->uuid) : NULL;
}

static GVariant *
secret_define_xml(VbCall *call, GVariant *args, GError **error)
{
    const char *xml;
    guint flags;

    g_variant_get(args, "(&su)", &xml, &flags);
    return secret_reply(call, VB_DRIVER_CALL(CONN(call), secret_define_xml, "virSecretDefineXML", error, xml, flags));
}

static GVariant *
secret_lookup_by_uuid(VbCall *call, GVariant *args, GError **error)
{
    const char *uuid;

    g_variant_get(args, "(&s)", &uuid);
    return secret_reply(call, vb_conn_secret_by_uuid(CONN(call), uuid, error));
}

static GVariant *
secret_lookup_by_usage(VbCall *call, GVariant *args, GError **error)
{
    int type;
    const char *id;

    g_variant_get(args, "(i&s)", &type, &id);
    return secret_reply(call, vb_conn_secret_by_usage(CONN(call), type, id, error));
}

/* ---- network filters ---- */

static GVariant *
list_nwfilters(VbCall *call, GVariant *args, GError **error)
{
    guint flags;
    g_autoptr(GPtrArray) all = vb_obj_list_values(CONN(call)->nwfilters);
    g_autoptr(GPtrArray) keys = g_ptr_array_new();

    g_variant_get(args, "(u)", &flags);
    if (!vb_check_flags(flags, 0, "virConnectListAllNWFilters", error))
        return NULL;
    for (guint i = 0; i < all->len; i++)
        g_ptr_array_add(keys, ((VbNWFilterObj *)g_ptr_array_index(all, i))->def->uuid);
    return g_variant_new("(@ao)", vb_paths_variant(call, &vb_nwfilter_class, keys));
}

static GVariant *
nwfilter_reply(const VbCall *call, VbNWFilterObj *filter)
{
    return filter ? path_reply(call, &vb_nwfilter_class, filter->def->uuid) : NULL;
}

static GVariant *
nwfilter_define_xml(VbCall *call, GVariant *args, GError **error)
{
    const char *xml;

    g_variant_get(args, "(&s)", &xml);
    return nwfilter_reply(call, VB_DRIVER_CALL(CONN(call), nwfilter_define_xml, "virNWFilterDefineXML", error, xml));
}

static GVariant *
nwfilter_lookup_by_name(VbCall *call, GVariant *args, GError **error)
{
    const char *name;

    g_variant_get(args, "(&s)", &name);
    return nwfilter_reply(call, vb_conn_nwfilter_by_name(CONN(call), name, error));
}

static GVariant *
nwfilter_lookup_by_uuid(VbCall *call, GVariant *args, GError **error)
{
    const char *uuid;

    g_variant_get(args, "(&s)", &uuid);
    return nwfilter_reply(call, vb_conn_nwfilter_by_uuid(CONN(call), uuid, error));
}

/* ---- the table ---- */

static const VbMethod connect_methods[] = {
    { "BaselineCPU", baseline_cpu, "virConnectBaselineCPU" },
    { "CompareCPU", compare_cpu, "virConnectCompareCPU" },
    { "DomainCreateXML", domain_create_xml, "virDomainCreateXML" },
    { "DomainCreateXMLWithFiles", domain_create_xml_with_files, "virDomainCreateXMLWithFiles" },
    { "DomainDefineXML", domain_define_xml, "virDomainDefineXML" },
    { "DomainLookupByID", domain_lookup_by_id, "virDomainLookupByID" },
    { "DomainLookupByName", domain_lookup_by_name, "virDomainLookupByName" },
    { "DomainLookupByUUID", domain_lookup_by_uuid, "virDomainLookupByUUIDString" },
    { "DomainRestore", domain_restore, "virDomainRestoreFlags" },
    { "DomainSaveImageDefineXML", domain_save_image_define_xml, "virDomainSaveImageDefineXML" },
    { "DomainSaveImageGetXMLDesc", domain_save_image_get_xml_desc, "virDomainSaveImageGetXMLDesc" },
    { "FindStoragePoolSources", find_storage_pool_sources, "virConnectFindStoragePoolSources" },
    { "GetAllDomainStats", get_all_domain_stats, "virConnectGetAllDomainStats" },
    { "GetCapabilities", get_capabilities, "virConnectGetCapabilities" },
    { "GetCPUModelNames", get_cpu_model_names, "virConnectGetCPUModelNames" },
    { "GetDomainCapabilities", get_domain_capabilities, "virConnectGetDomainCapabilities" },
    { "GetSysinfo", get_sysinfo, "virConnectGetSysinfo" },
    { "InterfaceChangeBegin", interface_change_begin, "virInterfaceChangeBegin" },
    { "InterfaceChangeCommit", interface_change_commit, "virInterfaceChangeCommit" },
    { "InterfaceChangeRollback", interface_change_rollback, "virInterfaceChangeRollback" },
    { "InterfaceDefineXML", interface_define_xml, "virInterfaceDefineXML" },
    { "InterfaceLookupByMAC", interface_lookup_by_mac, "virInterfaceLookupByMACString" },
    { "InterfaceLookupByName", interface_lookup_by_name, "virInterfaceLookupByName" },
    { "ListDomains", list_domains, "virConnectListAllDomains", &vb_domain_class },
    { "ListInterfaces", list_interfaces, "virConnectListAllInterfaces", &vb_interface_class },
    { "ListNetworks", list_networks, "virConnectListAllNetworks", &vb_network_class },
    { "ListNodeDevices", list_node_devices, "virConnectListAllNodeDevices", &vb_nodedev_class },
    { "ListNWFilters", list_nwfilters, "virConnectListAllNWFilters", &vb_nwfilter_class },
    { "ListSecrets", list_secrets, "virConnectListAllSecrets", &vb_secret_class },
    { "ListStoragePools", list_storage_pools, "virConnectListAllStoragePools", &vb_storagepool_class },
    { "NetworkCreateXML", network_create_xml, "virNetworkCreateXML" },
    { "NetworkDefineXML", network_define_xml, "virNetworkDefineXML" },
    { "NetworkLookupByName", network_lookup_by_name, "virNetworkLookupByName" },
    { "NetworkLookupByUUID", network_lookup_by_uuid, "virNetworkLookupByUUIDString" },
    { "NodeDeviceCreateXML", node_device_create_xml, "virNodeDeviceCreateXML" },
    { "NodeDeviceLookupByName", node_device_lookup_by_name, "virNodeDeviceLookupByName" },
    { "NodeDeviceLookupSCSIHostByWWN", node_device_lookup_scsi_host_by_wwn, "virNodeDeviceLookupSCSIHostByWWN" },
    { "NWFilterDefineXML", nwfilter_define_xml, "virNWFilterDefineXML" },
    { "NWFilterLookupByName", nwfilter_lookup_by_name, "virNWFilterLookupByName" },
    { "NWFilterLookupByUUID", nwfilter_lookup_by_uuid, "virNWFilterLookupByUUIDString" },
    { "NodeGetCPUMap", node_get_cpu_map, "virNodeGetCPUMap" },
    { "NodeGetCPUStats", node_get_cpu_stats, "virNodeGetCPUStats" },
    { "NodeGetFreeMemory", node_get_free_memory, "virNodeGetFreeMemory" },
    { "NodeGetMemoryParameters", NULL, "virNodeGetMemoryParameters" },
    { "NodeGetMemoryStats", node_get_memory_stats, "virNodeGetMemoryStats" },
    { "NodeGetSecurityModel", node_get_security_model, "virNodeGetSecurityModel" },
    { "NodeSetMemoryParameters", NULL, "virNodeSetMemoryParameters" },
    { "SecretDefineXML", secret_define_xml, "virSecretDefineXML" },
    { "SecretLookupByUUID", secret_lookup_by_uuid, "virSecretLookupByUUIDString" },
    { "SecretLookupByUsage", secret_lookup_by_usage, "virSecretLookupByUsage" },
    { "StoragePoolCreateXML", storage_pool_create_xml, "virStoragePoolCreateXML" },
    { "StoragePoolDefineXML", storage_pool_define_xml, "virStoragePoolDefineXML" },
    { "StoragePoolLookupByName", storage_pool_lookup_by_name, "virStoragePoolLookupByName" },
    { "StoragePoolLookupByUUID", storage_pool_lookup_by_uuid, "virStoragePoolLookupByUUIDString" },
    { "StorageVolLookupByKey", storage_vol_lookup_by_key, "virStorageVolLookupByKey" },
    { "StorageVolLookupByPath", storage_vol_lookup_by_path, "virStorageVolLookupByPath" },
    { NULL },
};

static const VbProperty connect_properties[] = {
    { "Encrypted", get_encrypted, NULL },
    { "Hostname", get_hostname, NULL },
    { "LibVersion", get_lib_version, NULL },
    { "Secure", get_secure, NULL },
    { "Version", get_version, NULL },
    { NULL },
};

const VbObjectClass vb_connect_class = {
    .interface = "org.libvirt.Connect",
    .subtree = NULL,
    .methods = connect_methods,
    .properties = connect_properties,
};
