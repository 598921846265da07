#include "driver.h"

gboolean
vb_driver_supports(gboolean supported, const char *api, GError **error)
{
    if (!supported)
        vb_set_error_not_supported(error, api);
    return supported;
}

/* ---- object keys ---- */

static const char *domain_key(gconstpointer obj) { return ((const VbDomainObj *)obj)->def->uuid; }
static const char *domain_name(gconstpointer obj) { return ((const VbDomainObj *)obj)->def->name; }
static const char *network_key(gconstpointer obj) { return ((const VbNetworkObj *)obj)->def->uuid; }
static const char *network_name(gconstpointer obj) { return ((const VbNetworkObj *)obj)->def->name; }
static const char *nodedev_name(gconstpointer obj) { return ((const VbNodeDeviceObj *)obj)->def->name; }
static const char *pool_key(gconstpointer obj) { return ((const VbStoragePoolObj *)obj)->def->uuid; }
static const char *pool_name(gconstpointer obj) { return ((const VbStoragePoolObj *)obj)->def->name; }
static const char *iface_name(gconstpointer obj) { return ((const VbInterfaceObj *)obj)->def->name; }
static const char *secret_key(gconstpointer obj) { return ((const VbSecretObj *)obj)->def->uuid; }
static const char *nwfilter_key(gconstpointer obj) { return ((const VbNWFilterObj *)obj)->def->uuid; }
static const char *nwfilter_name(gconstpointer obj) { return ((const VbNWFilterObj *)obj)->def->name; }

VbConn *
vb_conn_open(const VbDriver *driver, const char *uri, GError **error)
{
    g_autoptr(VbConn) conn = g_new0(VbConn, 1);

    conn->driver = driver;
    conn->uri = g_strdup(uri);
    conn->domains = vb_obj_list_new(domain_key, domain_name, (GDestroyNotify)vb_domain_obj_free);
    conn->networks = vb_obj_list_new(network_key, network_name, (GDestroyNotify)vb_network_obj_free);
    conn->node_devices = vb_obj_list_new(nodedev_name, NULL, (GDestroyNotify)vb_node_device_obj_free);
    conn->pools = vb_obj_list_new(pool_key, pool_name, (GDestroyNotify)vb_pool_obj_free);
    conn->interfaces = vb_obj_list_new(iface_name, NULL, (GDestroyNotify)vb_interface_obj_free);
    conn->secrets = vb_obj_list_new(secret_key, NULL, (GDestroyNotify)vb_secret_obj_free);
    conn->nwfilters = vb_obj_list_new(nwfilter_key, nwfilter_name, (GDestroyNotify)vb_nwfilter_obj_free);
    conn->domains_by_id = g_hash_table_new(g_direct_hash, g_direct_equal);
    if (driver->open && !driver->open(conn, error))
        return NULL;
    return g_steal_pointer(&conn);
}

void
vb_conn_free(VbConn *conn)
{
    if (!conn)
        return;
    if (conn->driver->close)
        conn->driver->close(conn);
    g_hash_table_destroy(conn->domains_by_id);
    vb_obj_list_free(conn->domains);
    vb_obj_list_free(conn->networks);
    vb_obj_list_free(conn->node_devices);
    vb_obj_list_free(conn->pools);
    vb_obj_list_free(conn->interfaces);
    vb_obj_list_free(conn->secrets);
    vb_obj_list_free(conn->nwfilters);
    g_free(conn->uri);
    g_free(conn);
}

void
vb_conn_set_sink(VbConn *conn, VbEventSink sink, gpointer user_data)
{
    conn->sink = sink;
    conn->sink_data = user_data;
}

void
vb_conn_emit_full(VbConn *conn, VbEventKind kind, const char *key, int event, int detail, VbPresence presence,
                  const char *text)
{
    VbEvent ev = { .kind = kind, .key = key, .event = event, .detail = detail, .presence = presence, .text = text };

    if (conn->sink)
        conn->sink(conn, &ev, conn->sink_data);
}

void
vb_conn_emit_value(VbConn *conn, VbEventKind kind, const char *key, gint64 value)
{
    VbEvent ev = { .kind = kind, .key = key, .presence = VB_PRESENCE_SAME, .value = value };

    if (conn->sink)
        conn->sink(conn, &ev, conn->sink_data);
}

void
vb_conn_emit(VbConn *conn, VbEventKind kind, const char *key, int event, int detail, VbPresence presence)
{
    vb_conn_emit_full(conn, kind, key, event, detail, presence, NULL);
}

/* ---- lookups ---- */

VbDomainObj *
vb_conn_domain_by_uuid(VbConn *conn, const char *uuid, GError **error)
{
    char canonical[VB_UUID_STRING_LEN] = "";
    VbDomainObj *dom = vb_uuid_parse(uuid, canonical) ? vb_obj_list_by_key(conn->domains, canonical) : NULL;

    if (!dom)
        vb_set_error(error, VB_ERR_NO_DOMAIN, "no domain with matching uuid '%s'", uuid);
    return dom;
}

VbDomainObj *
vb_conn_domain_by_name(VbConn *conn, const char *name, GError **error)
{
    VbDomainObj *dom = vb_obj_list_by_name(conn->domains, name);

    if (!dom)
        vb_set_error(error, VB_ERR_NO_DOMAIN, "no domain with matching name '%s'", name);
    return dom;
}

VbDomainObj *
vb_conn_domain_by_id(VbConn *conn, int id, GError **error)
{
    VbDomainObj *dom = id > 0 ? g_hash_table_lookup(conn->domains_by_id, GINT_TO_POINTER(id)) : NULL;

    if (!dom)
        vb_set_error(error, VB_ERR_NO_DOMAIN, "no domain with matching id %d", id);
    return dom;
}

VbNetworkObj *
vb_conn_network_by_uuid(VbConn *conn, const char *uuid, GError **error)
{
    char canonical[VB_UUID_STRING_LEN] = "";
    VbNetworkObj *net = vb_uuid_parse(uuid, canonical) ? vb_obj_list_by_key(conn->networks, canonical) : NULL;

    if (!net)
        vb_set_error(error, VB_ERR_NO_NETWORK, "no network with matching uuid '%s'", uuid);
    return net;
}

VbNetworkObj *
vb_conn_network_by_name(VbConn *conn, const char *name, GError **error)
{
    VbNetworkObj *net = vb_obj_list_by_name(conn->networks, name);

    if (!net)
        vb_set_error(error, VB_ERR_NO_NETWORK, "no network with matching name '%s'", name);
    return net;
}

VbNodeDeviceObj *
vb_conn_node_device_by_name(VbConn *conn, const char *name, GError **error)
{
    VbNodeDeviceObj *dev = vb_obj_list_by_key(conn->node_devices, name);

    if (!dev)
        vb_set_error(error, VB_ERR_NO_NODE_DEVICE, "no node device with matching name '%s'", name);
    return dev;
}

VbNodeDeviceObj *
vb_conn_node_device_by_wwn(VbConn *conn, const char *wwnn, const char *wwpn, GError **error)
{
    g_autoptr(GPtrArray) all = vb_obj_list_values(conn->node_devices);

    for (guint i = 0; i < all->len; i++) {
        VbNodeDeviceObj *dev = g_ptr_array_index(all, i);
        VbNodeDeviceCap *cap = vb_node_device_def_find_cap(dev->def, VB_NODE_DEVICE_CAP_SCSI_HOST);
        if (cap && cap->scsi_host.has_fc_host && g_strcmp0(cap->scsi_host.wwnn, wwnn) == 0 &&
            g_strcmp0(cap->scsi_host.wwpn, wwpn) == 0)
            return dev;
    }
    vb_set_error(error, VB_ERR_NO_NODE_DEVICE, "no node device for SCSI host with wwnn '%s' and wwpn '%s'", wwnn, wwpn);
    return NULL;
}

VbStoragePoolObj *
vb_conn_pool_by_uuid(VbConn *conn, const char *uuid, GError **error)
{
    char canonical[VB_UUID_STRING_LEN] = "";
    VbStoragePoolObj *pool = vb_uuid_parse(uuid, canonical) ? vb_obj_list_by_key(conn->pools, canonical) : NULL;

    if (!pool)
        vb_set_error(error, VB_ERR_NO_STORAGE_POOL, "no storage pool with matching uuid '%s'", uuid);
    return pool;
}

VbStoragePoolObj *
vb_conn_pool_by_name(VbConn *conn, const char *name, GError **error)
{
    VbStoragePoolObj *pool = vb_obj_list_by_name(conn->pools, name);

    if (!pool)
        vb_set_error(error, VB_ERR_NO_STORAGE_POOL, "no storage pool with matching name '%s'", name);
    return pool;
}

typedef gboolean (*VolMatch)(const VbStorageVolObj *vol, const char *value);

static gboolean vol_key_is(const VbStorageVolObj *vol, const char *key) { return g_strcmp0(vol->def->key, key) == 0; }
static gboolean vol_path_is(const VbStorageVolObj *vol, const char *path) { return g_strcmp0(vol->def->target.path, path) == 0; }

static VbStorageVolObj *
find_volume(VbConn *conn, VolMatch match, const char *value)
{
    g_autoptr(GPtrArray) pools = vb_obj_list_values(conn->pools);

    for (guint i = 0; i < pools->len; i++) {
        VbStoragePoolObj *pool = g_ptr_array_index(pools, i);
        for (guint j = 0; pool->active && j < pool->volumes->len; j++) {
            VbStorageVolObj *vol = g_ptr_array_index(pool->volumes, j);
            if (match(vol, value))
                return vol;
        }
    }
    return NULL;
}

VbStorageVolObj *
vb_conn_vol_by_key(VbConn *conn, const char *key, GError **error)
{
    VbStorageVolObj *vol = find_volume(conn, vol_key_is, key);

    if (!vol)
        vb_set_error(error, VB_ERR_NO_STORAGE_VOL, "no storage vol with matching key '%s'", key);
    return vol;
}

VbStorageVolObj *
vb_conn_vol_by_path(VbConn *conn, const char *path, GError **error)
{
    VbStorageVolObj *vol = find_volume(conn, vol_path_is, path);

    if (!vol)
        vb_set_error(error, VB_ERR_NO_STORAGE_VOL, "no storage vol with matching path '%s'", path);
    return vol;
}

VbStorageVolObj *
vb_pool_vol_by_name(VbStoragePoolObj *pool, const char *name, GError **error)
{
    for (guint i = 0; i < pool->volumes->len; i++) {
        VbStorageVolObj *vol = g_ptr_array_index(pool->volumes, i);
        if (g_strcmp0(vol->def->name, name) == 0)
            return vol;
    }
    vb_set_error(error, VB_ERR_NO_STORAGE_VOL, "no storage vol with matching name '%s'", name);
    return NULL;
}

VbInterfaceObj *
vb_conn_interface_by_name(VbConn *conn, const char *name, GError **error)
{
    VbInterfaceObj *iface = vb_obj_list_by_key(conn->interfaces, name);

    if (!iface)
        vb_set_error(error, VB_ERR_NO_INTERFACE, "couldn't find interface named '%s'", name);
    return iface;
}

VbInterfaceObj *
vb_conn_interface_by_mac(VbConn *conn, const char *mac, GError **error)
{
    g_autoptr(GPtrArray) all = vb_obj_list_values(conn->interfaces);
    char canonical[VB_MAC_STRING_LEN] = "";

    vb_mac_parse(mac, canonical);
    for (guint i = 0; i < all->len; i++) {
        VbInterfaceObj *iface = g_ptr_array_index(all, i);
        char other[VB_MAC_STRING_LEN] = "";
        if (vb_mac_parse(iface->def->mac, other) && g_str_equal(other, canonical))
            return iface;
    }
    vb_set_error(error, VB_ERR_NO_INTERFACE, "couldn't find interface with MAC address '%s'", mac);
    return NULL;
}

VbSecretObj *
vb_conn_secret_by_uuid(VbConn *conn, const char *uuid, GError **error)
{
    char canonical[VB_UUID_STRING_LEN] = "";
    VbSecretObj *secret = vb_uuid_parse(uuid, canonical) ? vb_obj_list_by_key(conn->secrets, canonical) : NULL;

    if (!secret)
        vb_set_error(error, VB_ERR_NO_SECRET, "no secret with matching uuid '%s'", uuid);
    return secret;
}

VbSecretObj *
vb_conn_secret_by_usage(VbConn *conn, int usage_type, const char *usage_id, GError **error)
{
    g_autoptr(GPtrArray) all = vb_obj_list_values(conn->secrets);

    for (guint i = 0; i < all->len; i++) {
        VbSecretObj *secret = g_ptr_array_index(all, i);
        if ((int)secret->def->usage_type == usage_type &&
            g_strcmp0(vb_secret_def_usage_id(secret->def), usage_id) == 0)
            return secret;
    }
    vb_set_error(error, VB_ERR_NO_SECRET, "no secret with matching usage '%s'", usage_id);
    return NULL;
}

VbNWFilterObj *
vb_conn_nwfilter_by_uuid(VbConn *conn, const char *uuid, GError **error)
{
    char canonical[VB_UUID_STRING_LEN] = "";
    VbNWFilterObj *filter = vb_uuid_parse(uuid, canonical) ? vb_obj_list_by_key(conn->nwfilters, canonical) : NULL;

    if (!filter)
        vb_set_error(error, VB_ERR_NO_NWFILTER, "no nwfilter with matching uuid '%s'", uuid);
    return filter;
}

VbNWFilterObj *
vb_conn_nwfilter_by_name(VbConn *conn, const char *name, GError **error)
{
    VbNWFilterObj *filter = vb_obj_list_by_name(conn->nwfilters, name);

    if (!filter)
        vb_set_error(error, VB_ERR_NO_NWFILTER, "no nwfilter with matching name '%s'", name);
    return filter;
}

VbSnapshotObj *
vb_domain_snapshot_by_name(VbDomainObj *dom, const char *name, GError **error)
{
    for (guint i = 0; i < dom->snapshots->len; i++) {
        VbSnapshotObj *snap = g_ptr_array_index(dom->snapshots, i);
        if (g_strcmp0(snap->def->name, name) == 0)
            return snap;
    }
    vb_set_error(error, VB_ERR_NO_DOMAIN_SNAPSHOT, "no domain snapshot with matching name '%s'", name);
    return NULL;
}

/* ---- domain objects ---- */

VbDomainObj *
vb_domain_obj_new(VbDomainDef *def)
{
    VbDomainObj *dom = g_new0(VbDomainObj, 1);

    dom->def = def;
    dom->id = -1;
    dom->state = VB_DOMAIN_SHUTOFF;
    dom->reason = VB_SHUTOFF_UNKNOWN;
    dom->snapshots = g_ptr_array_new_with_free_func((GDestroyNotify)vb_snapshot_obj_free);
    return dom;
}

void
vb_domain_obj_free(VbDomainObj *dom)
{
    vb_domain_def_free(dom->def);
    vb_domain_def_free(dom->new_def);
    g_ptr_array_unref(dom->snapshots);
    g_free(dom->current_snapshot);
    g_free(dom);
}

VbDomainDef *
vb_domain_obj_persistent_def(VbDomainObj *dom)
{
    return dom->new_def ? dom->new_def : dom->def;
}

gboolean
vb_domain_obj_is_active(const VbDomainObj *dom)
{
    return dom->id >= 0;
}

void
vb_domain_obj_set_state(VbDomainObj *dom, int state, int reason)
{
    dom->state = state;
    dom->reason = reason;
}

void
vb_conn_domain_add(VbConn *conn, VbDomainObj *dom)
{
    vb_obj_list_add(conn->domains, dom);
    if (dom->id > 0)
        g_hash_table_insert(conn->domains_by_id, GINT_TO_POINTER(dom->id), dom);
}

void
vb_conn_domain_remove(VbConn *conn, VbDomainObj *dom)
{
    if (dom->id > 0)
        g_hash_table_remove(conn->domains_by_id, GINT_TO_POINTER(dom->id));
    vb_obj_list_remove(conn->domains, dom);
}

void
vb_conn_domain_set_id(VbConn *conn, VbDomainObj *dom, int id)
{
    if (dom->id > 0)
        g_hash_table_remove(conn->domains_by_id, GINT_TO_POINTER(dom->id));
    dom->id = id;
    if (id > 0)
        g_hash_table_insert(conn->domains_by_id, GINT_TO_POINTER(id), dom);
}

static gboolean
match_pair(guint flags, guint yes, guint no, gboolean value)
{
    if (!(flags & (yes | no)) || (flags & (yes | no)) == (yes | no))
        return TRUE;
    return (flags & yes) ? value : !value;
}

static gboolean
match_state(const VbDomainObj *dom, guint flags)
{
    guint mask = VB_LIST_DOMAINS_RUNNING | VB_LIST_DOMAINS_PAUSED | VB_LIST_DOMAINS_SHUTOFF | VB_LIST_DOMAINS_OTHER;

    if (!(flags & mask))
        return TRUE;
    switch (dom->state) {
    case VB_DOMAIN_RUNNING:
        return (flags & VB_LIST_DOMAINS_RUNNING) != 0;
    case VB_DOMAIN_PAUSED:
        return (flags & VB_LIST_DOMAINS_PAUSED) != 0;
    case VB_DOMAIN_SHUTOFF:
        return (flags & VB_LIST_DOMAINS_SHUTOFF) != 0;
    default:
        return (flags & VB_LIST_DOMAINS_OTHER) != 0;
    }
}

gboolean
vb_domain_obj_matches(const VbDomainObj *dom, guint flags)
{
    return match_pair(flags, VB_LIST_DOMAINS_ACTIVE, VB_LIST_DOMAINS_INACTIVE, vb_domain_obj_is_active(dom)) &&
           match_pair(flags, VB_LIST_DOMAINS_PERSISTENT, VB_LIST_DOMAINS_TRANSIENT, dom->persistent) &&
           match_state(dom, flags) &&
           match_pair(flags, VB_LIST_DOMAINS_MANAGEDSAVE, VB_LIST_DOMAINS_NO_MANAGEDSAVE, dom->has_managed_save) &&
           match_pair(flags, VB_LIST_DOMAINS_AUTOSTART, VB_LIST_DOMAINS_NO_AUTOSTART, dom->autostart) &&
           match_pair(flags, VB_LIST_DOMAINS_HAS_SNAPSHOT, VB_LIST_DOMAINS_NO_SNAPSHOT, dom->snapshots->len > 0) &&
           match_pair(flags, VB_LIST_DOMAINS_HAS_CHECKPOINT, VB_LIST_DOMAINS_NO_CHECKPOINT, FALSE);
}

/* ---- other objects ---- */

VbNetworkObj *
vb_network_obj_new(VbNetworkDef *def)
{
    VbNetworkObj *net = g_new0(VbNetworkObj, 1);

    net->def = def;
    return net;
}

void
vb_network_obj_free(VbNetworkObj *net)
{
    vb_network_def_free(net->def);
    vb_network_def_free(net->new_def);
    g_free(net);
}

VbStoragePoolObj *
vb_pool_obj_new(VbStoragePoolDef *def)
{
    VbStoragePoolObj *pool = g_new0(VbStoragePoolObj, 1);

    pool->def = def;
    pool->volumes = g_ptr_array_new_with_free_func((GDestroyNotify)vb_vol_obj_free);
    return pool;
}

/* The lists index the pool by strings inside its definition, so the contents move, not the
 * pointer; the sizes are the running pool's and stay. */
void
vb_conn_pool_replace_def(VbConn *conn, VbStoragePoolObj *pool, VbStoragePoolDef *def)
{
    VbStoragePoolDef old;

    def->capacity = pool->def->capacity;
    def->allocation = pool->def->allocation;
    def->available = pool->def->available;
    vb_obj_list_remove_name(conn->pools, pool);
    old = *pool->def;
    *pool->def = *def;
    *def = old;
    vb_storage_pool_def_free(def);
    vb_obj_list_add_name(conn->pools, pool);
}

void
vb_pool_obj_free(VbStoragePoolObj *pool)
{
    g_ptr_array_unref(pool->volumes);
    vb_storage_pool_def_free(pool->def);
    g_free(pool);
}

VbStorageVolObj *
vb_vol_obj_new(VbStoragePoolObj *pool, VbStorageVolDef *def)
{
    VbStorageVolObj *vol = g_new0(VbStorageVolObj, 1);

    vol->pool = pool;
    vol->def = def;
    return vol;
}

void
vb_vol_obj_free(VbStorageVolObj *vol)
{
    vb_storage_vol_def_free(vol->def);
    g_free(vol);
}

void
vb_node_device_obj_free(VbNodeDeviceObj *dev)
{
    vb_node_device_def_free(dev->def);
    g_free(dev);
}

void
vb_interface_obj_free(VbInterfaceObj *iface)
{
    vb_interface_def_free(iface->def);
    g_free(iface);
}

void
vb_secret_obj_free(VbSecretObj *secret)
{
    vb_secret_def_free(secret->def);
    if (secret->value)
        g_bytes_unref(secret->value);
    g_free(secret);
}

void
vb_nwfilter_obj_free(VbNWFilterObj *filter)
{
    vb_nwfilter_def_free(filter->def);
    g_free(filter);
}

void
vb_snapshot_obj_free(VbSnapshotObj *snap)
{
    vb_snapshot_def_free(snap->def);
    g_free(snap);
}

/* ---- driver result types ---- */

void
vb_typed_param_clear(gpointer data)
{
    VbTypedParam *param = data;

    g_free(param->field);
    if (param->type == VB_TYPED_PARAM_STRING)
        g_free(param->value.s);
}

GArray *
vb_typed_params_new(void)
{
    GArray *params = g_array_new(FALSE, TRUE, sizeof(VbTypedParam));

    g_array_set_clear_func(params, vb_typed_param_clear);
    return params;
}

void
vb_iothread_info_free(VbIOThreadInfo *info)
{
    g_array_unref(info->cpumap);
    g_free(info);
}

void
vb_fs_info_free(VbFSInfo *info)
{
    g_free(info->mountpoint);
    g_free(info->name);
    g_free(info->fstype);
    g_strfreev(info->dev_aliases);
    g_free(info);
}

void
vb_domain_ip_address_free(VbDomainIPAddress *addr)
{
    g_free(addr->addr);
    g_free(addr);
}

void
vb_domain_interface_free(VbDomainInterface *iface)
{
    g_free(iface->name);
    g_free(iface->hwaddr);
    g_ptr_array_unref(iface->addrs);
    g_free(iface);
}

void
vb_disk_error_free(VbDiskError *err)
{
    g_free(err->disk);
    g_free(err);
}

const VbTypedParam *
vb_typed_params_get(GArray *params, const char *name)
{
    for (guint i = 0; i < params->len; i++) {
        const VbTypedParam *param = &g_array_index(params, VbTypedParam, i);
        if (g_str_equal(param->field, name))
            return param;
    }
    return NULL;
}

static VbTypedParam *
typed_param_append(GArray *params, const char *name, int type)
{
    VbTypedParam param = { .field = g_strdup(name), .type = type };

    g_array_append_val(params, param);
    return &g_array_index(params, VbTypedParam, params->len - 1);
}

void
vb_typed_params_add_int(GArray *params, const char *name, int value)
{
    typed_param_append(params, name, VB_TYPED_PARAM_INT)->value.i = value;
}

void
vb_typed_params_add_uint(GArray *params, const char *name, guint value)
{
    typed_param_append(params, name, VB_TYPED_PARAM_UINT)->value.ui = value;
}

void
vb_typed_params_add_ullong(GArray *params, const char *name, guint64 value)
{
    typed_param_append(params, name, VB_TYPED_PARAM_ULLONG)->value.ul = value;
}

void
vb_typed_params_add_boolean(GArray *params, const char *name, gboolean value)
{
    typed_param_append(params, name, VB_TYPED_PARAM_BOOLEAN)->value.b = value != FALSE;
}

/* A NULL @value becomes "", as virTypedParameterAssign does. */
void
vb_typed_params_add_string(GArray *params, const char *name, const char *value)
{
    typed_param_append(params, name, VB_TYPED_PARAM_STRING)->value.s = g_strdup(value ? value : "");
}

/* ---- validating typed parameters (virTypedParamsValidate) ---- */

static const char *const type_names[] = {
    "unknown", "int", "uint", "llong", "ullong", "double", "boolean", "string",
};

static const char *
type_name(int type)
{
    return type > 0 && type < VB_TYPED_PARAM_LAST ? type_names[type] : type_names[0];
}

static gint
compare_fields(gconstpointer a, gconstpointer b)
{
    return strcmp((*(VbTypedParam *const *)a)->field, (*(VbTypedParam *const *)b)->field);
}

static const VbParamSpec *
find_spec(const VbParamSpec *specs, const char *name)
{
    for (const VbParamSpec *spec = specs; spec->name; spec++) {
        if (g_str_equal(spec->name, name))
            return spec;
    }
    return NULL;
}

/* libvirt walks the parameters sorted by name, so the first offence in that order is reported. */
gboolean
vb_typed_params_validate(GArray *params, const VbParamSpec *specs, GError **error)
{
    g_autoptr(GPtrArray) sorted = g_ptr_array_sized_new(params->len);
    const char *last = NULL;

    for (guint i = 0; i < params->len; i++)
        g_ptr_array_add(sorted, &g_array_index(params, VbTypedParam, i));
    g_ptr_array_sort(sorted, compare_fields);
    for (guint i = 0; i < sorted->len; i++) {
        const VbTypedParam *param = g_ptr_array_index(sorted, i);
        const VbParamSpec *spec = find_spec(specs, param->field);

        if (!spec) {
            vb_set_error(error, VB_ERR_ARGUMENT_UNSUPPORTED, "parameter '%s' not supported", param->field);
            return FALSE;
        }
        if (g_strcmp0(last, param->field) == 0) {
            vb_set_error(error, VB_ERR_INVALID_ARG, "parameter '%s' occurs multiple times", param->field);
            return FALSE;
        }
        if (param->type != spec->type) {
            vb_set_error(error, VB_ERR_INVALID_ARG, "invalid type '%s' for parameter '%s', expected '%s'",
                         type_name(param->type), param->field, type_name(spec->type));
            return FALSE;
        }
        last = param->field;
    }
    return TRUE;
}
