/* storagepool.c: org.libvirt.StoragePool at <conn>/storagepool/_<uuid> */
#include "object.h"

#define POOL(call) ((VbStoragePoolObj *)(call)->obj)

static gpointer
pool_lookup(VbConn *conn, const char *node, GError **error)
{
    char uuid[VB_UUID_STRING_LEN];

    if (!vb_uuid_from_node(node, uuid)) {
        g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT, "no storage pool object at '%s'", node);
        return NULL;
    }
    return vb_conn_pool_by_uuid(conn, uuid, error);
}

static void
pool_enumerate(VbConn *conn, GPtrArray *nodes)
{
    g_autoptr(GPtrArray) all = vb_obj_list_values(conn->pools);

    for (guint i = 0; i < all->len; i++)
        g_ptr_array_add(nodes, vb_uuid_node(((VbStoragePoolObj *)g_ptr_array_index(all, i))->def->uuid));
}

static void
pool_details(gconstpointer obj, GPtrArray *details)
{
    const VbStoragePoolObj *pool = obj;

    g_ptr_array_add(details, (gpointer)"pool_name");
    g_ptr_array_add(details, pool->def->name);
    g_ptr_array_add(details, (gpointer)"pool_uuid");
    g_ptr_array_add(details, (gpointer)pool->def->uuid);
}

static GVariant *get_active(VbCall *call, GError **error) { return g_variant_new_boolean(POOL(call)->active); }
static GVariant *get_autostart(VbCall *call, GError **error) { return g_variant_new_boolean(POOL(call)->autostart); }
static GVariant *get_name(VbCall *call, GError **error) { return g_variant_new_string(POOL(call)->def->name); }
static GVariant *get_persistent(VbCall *call, GError **error) { return g_variant_new_boolean(POOL(call)->persistent); }
static GVariant *get_uuid(VbCall *call, GError **error) { return g_variant_new_string(POOL(call)->def->uuid); }

static gboolean
set_autostart(VbCall *call, GVariant *value, GError **error)
{
    gboolean old = POOL(call)->autostart;

    if (!VB_DRIVER_CALL(call->conn, pool_set_autostart, "virStoragePoolSetAutostart", error, POOL(call),
                        g_variant_get_boolean(value)))
        return FALSE;
    if (old != g_variant_get_boolean(value))
        call->notify(call, "Autostart");
    return TRUE;
}

#define POOL_FLAGS_METHOD(fn, op, api) \
    static GVariant *fn(VbCall *call, GVariant *args, GError **error) \
    { \
        guint flags; \
        g_variant_get(args, "(u)", &flags); \
        return VB_DRIVER_CALL(call->conn, op, api, error, POOL(call), flags) ? g_variant_new("()") : NULL; \
    }

/* A driver whose storage work runs on a worker thread has an _async entry: the reply follows
 * when it finishes. */
#define POOL_ASYNC_FLAGS_METHOD(fn, op, api) \
    static GVariant *fn(VbCall *call, GVariant *args, GError **error) \
    { \
        guint flags; \
        g_variant_get(args, "(u)", &flags); \
        if (call->conn->driver->op##_async) { \
            call->conn->driver->op##_async(call->conn, POOL(call), flags, vb_call_empty_reply_task(call)); \
            return NULL; \
        } \
        return VB_DRIVER_CALL(call->conn, op, api, error, POOL(call), flags) ? g_variant_new("()") : NULL; \
    }

POOL_FLAGS_METHOD(pool_build, pool_build, "virStoragePoolBuild")
POOL_ASYNC_FLAGS_METHOD(pool_create, pool_create, "virStoragePoolCreate")
POOL_FLAGS_METHOD(pool_delete, pool_delete, "virStoragePoolDelete")
POOL_ASYNC_FLAGS_METHOD(pool_refresh, pool_refresh, "virStoragePoolRefresh")

static GVariant *
pool_destroy(VbCall *call, GVariant *args, GError **error)
{
    return VB_DRIVER_CALL(call->conn, pool_destroy, "virStoragePoolDestroy", error, POOL(call)) ? g_variant_new("()") : NULL;
}

static GVariant *
pool_undefine(VbCall *call, GVariant *args, GError **error)
{
    return VB_DRIVER_CALL(call->conn, pool_undefine, "virStoragePoolUndefine", error, POOL(call)) ? g_variant_new("()") : NULL;
}

static GVariant *
pool_get_info(VbCall *call, GVariant *args, GError **error)
{
    const VbStoragePoolObj *pool = POOL(call);

    return g_variant_new("((ittt))", pool->active ? VB_POOL_RUNNING : VB_POOL_INACTIVE,
                         pool->def->capacity, pool->def->allocation, pool->def->available);
}

static GVariant *
pool_get_xml_desc(VbCall *call, GVariant *args, GError **error)
{
    guint flags;
    g_autofree char *xml = NULL;

    g_variant_get(args, "(u)", &flags);
    xml = VB_DRIVER_CALL(call->conn, pool_get_xml_desc, "virStoragePoolGetXMLDesc", error, POOL(call), flags);
    return xml ? g_variant_new("(s)", xml) : NULL;
}

static GVariant *
vol_reply(VbCall *call, VbStorageVolObj *vol)
{
    g_autofree char *path = vol ? vb_object_path(call, &vb_storagevol_class, vol->def->key) : NULL;

    return path ? g_variant_new("(o)", path) : NULL;
}

static void
vol_created(GObject *source, GAsyncResult *result, gpointer user_data)
{
    VbDeferred *deferred = user_data;
    g_autoptr(GError) error = NULL;
    g_autofree char *key = g_task_propagate_pointer(G_TASK(result), &error);
    g_autofree char *path = key ? vb_object_path(&deferred->call, &vb_storagevol_class, key) : NULL;

    deferred->complete(deferred, path ? g_variant_new("(o)", path) : NULL, error);
}

/* A task whose result is the new volume's key becomes the reply with its path. */
static GTask *
vol_created_task(VbCall *call)
{
    return g_task_new(NULL, NULL, vol_created, call->defer(call));
}

static gboolean
check_pool_active(VbStoragePoolObj *pool, GError **error)
{
    if (!pool->active)
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "storage pool '%s' is not active", pool->def->name);
    return pool->active;
}

static GVariant *
pool_list_volumes(VbCall *call, GVariant *args, GError **error)
{
    guint flags;
    GVariantBuilder builder;

    g_variant_get(args, "(u)", &flags);
    if (!vb_check_flags(flags, 0, "virStoragePoolListAllVolumes", error) || !check_pool_active(POOL(call), error))
        return NULL;
    g_variant_builder_init(&builder, G_VARIANT_TYPE("ao"));
    for (guint i = 0; i < POOL(call)->volumes->len; i++) {
        VbStorageVolObj *vol = g_ptr_array_index(POOL(call)->volumes, i);
        g_autofree char *path = vb_object_path(call, &vb_storagevol_class, vol->def->key);
        g_variant_builder_add(&builder, "o", path);
    }
    return g_variant_new("(ao)", &builder);
}

static GVariant *
pool_vol_create_xml(VbCall *call, GVariant *args, GError **error)
{
    const char *xml;
    guint flags;

    g_variant_get(args, "(&su)", &xml, &flags);
    if (call->conn->driver->vol_create_xml_async) {
        call->conn->driver->vol_create_xml_async(call->conn, POOL(call), xml, flags, vol_created_task(call));
        return NULL;
    }
    return vol_reply(call, VB_DRIVER_CALL(call->conn, vol_create_xml, "virStorageVolCreateXML", error, POOL(call),
                                          xml, flags));
}

static GVariant *
pool_vol_create_xml_from(VbCall *call, GVariant *args, GError **error)
{
    const char *xml, *key;
    guint flags;
    VbStorageVolObj *from;

    g_variant_get(args, "(&s&su)", &xml, &key, &flags);
    if (!(from = vb_conn_vol_by_key(call->conn, key, error)))
        return NULL;
    if (call->conn->driver->vol_create_xml_from_async) {
        call->conn->driver->vol_create_xml_from_async(call->conn, POOL(call), xml, from, flags,
                                                      vol_created_task(call));
        return NULL;
    }
    return vol_reply(call, VB_DRIVER_CALL(call->conn, vol_create_xml_from, "virStorageVolCreateXMLFrom", error,
                                          POOL(call), xml, from, flags));
}

static GVariant *
pool_vol_lookup_by_name(VbCall *call, GVariant *args, GError **error)
{
    const char *name;

    g_variant_get(args, "(&s)", &name);
    if (!check_pool_active(POOL(call), error))
        return NULL;
    return vol_reply(call, vb_pool_vol_by_name(POOL(call), name, error));
}

static const VbMethod pool_methods[] = {
    { "Build", pool_build, "virStoragePoolBuild" },
    { "Create", pool_create, "virStoragePoolCreate" },
    { "Delete", pool_delete, "virStoragePoolDelete" },
    { "Destroy", pool_destroy, "virStoragePoolDestroy" },
    { "GetInfo", pool_get_info, "virStoragePoolGetInfo" },
    { "GetXMLDesc", pool_get_xml_desc, "virStoragePoolGetXMLDesc" },
    { "ListStorageVolumes", pool_list_volumes, "virStoragePoolListAllVolumes", &vb_storagevol_class },
    { "Refresh", pool_refresh, "virStoragePoolRefresh" },
    { "StorageVolCreateXML", pool_vol_create_xml, "virStorageVolCreateXML" },
    { "StorageVolCreateXMLFrom", pool_vol_create_xml_from, "virStorageVolCreateXMLFrom" },
    { "StorageVolLookupByName", pool_vol_lookup_by_name, "virStorageVolLookupByName" },
    { "Undefine", pool_undefine, "virStoragePoolUndefine" },
    { NULL },
};

static const VbProperty pool_properties[] = {
    { "Active", get_active, NULL },
    { "Autostart", get_autostart, set_autostart },
    { "Name", get_name, NULL },
    { "Persistent", get_persistent, NULL },
    { "UUID", get_uuid, NULL },
    { NULL },
};

const VbObjectClass vb_storagepool_class = {
    .interface = "org.libvirt.StoragePool",
    .subtree = "storagepool",
    .methods = pool_methods,
    .properties = pool_properties,
    .lookup = pool_lookup,
    .enumerate = pool_enumerate,
    .node_for_key = vb_uuid_node,
    .details = pool_details,
};
