/* storagevol.c: org.libvirt.StorageVol at <conn>/storagevol/<escaped key> */
#include "object.h"

#define VOL(call) ((VbStorageVolObj *)(call)->obj)

static gpointer
vol_lookup(VbConn *conn, const char *node, GError **error)
{
    g_autofree char *key = vb_path_unescape(node);

    if (!key) {
        g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT, "no storage volume object at '%s'", node);
        return NULL;
    }
    return vb_conn_vol_by_key(conn, key, error);
}

static void
vol_enumerate(VbConn *conn, GPtrArray *nodes)
{
    g_autoptr(GPtrArray) pools = vb_obj_list_values(conn->pools);

    for (guint i = 0; i < pools->len; i++) {
        VbStoragePoolObj *pool = g_ptr_array_index(pools, i);
        for (guint j = 0; pool->active && j < pool->volumes->len; j++)
            g_ptr_array_add(nodes, vb_path_escape(((VbStorageVolObj *)g_ptr_array_index(pool->volumes, j))->def->key));
    }
}

static void
vol_details(gconstpointer obj, GPtrArray *details)
{
    const VbStorageVolObj *vol = obj;

    g_ptr_array_add(details, (gpointer)"pool_name");
    g_ptr_array_add(details, vol->pool->def->name);
    g_ptr_array_add(details, (gpointer)"pool_uuid");
    g_ptr_array_add(details, (gpointer)vol->pool->def->uuid);
    g_ptr_array_add(details, (gpointer)"vol_name");
    g_ptr_array_add(details, vol->def->name);
    g_ptr_array_add(details, (gpointer)"vol_key");
    g_ptr_array_add(details, vol->def->key);
}

static GVariant *get_name(VbCall *call, GError **error) { return g_variant_new_string(VOL(call)->def->name); }
static GVariant *get_key(VbCall *call, GError **error) { return g_variant_new_string(VOL(call)->def->key); }

static GVariant *
get_path(VbCall *call, GError **error)
{
    return g_variant_new_string(VOL(call)->def->target.path ? VOL(call)->def->target.path : "");
}

static GVariant *
vol_delete(VbCall *call, GVariant *args, GError **error)
{
    guint flags;

    g_variant_get(args, "(u)", &flags);
    return VB_DRIVER_CALL(call->conn, vol_delete, "virStorageVolDelete", error, VOL(call), flags)
               ? g_variant_new("()") : NULL;
}

static GVariant *
vol_get_info(VbCall *call, GVariant *args, GError **error)
{
    guint flags;
    const VbStorageVolDef *def = VOL(call)->def;

    g_variant_get(args, "(u)", &flags);
    if (!vb_check_flags(flags, 1, "virStorageVolGetInfoFlags", error))
        return NULL;
    return g_variant_new("((itt))", (int)def->type, def->capacity,
                         (flags & 1) && def->physical ? def->physical : def->allocation);
}

static GVariant *
vol_get_xml_desc(VbCall *call, GVariant *args, GError **error)
{
    guint flags;
    g_autofree char *xml = NULL;

    g_variant_get(args, "(u)", &flags);
    xml = VB_DRIVER_CALL(call->conn, vol_get_xml_desc, "virStorageVolGetXMLDesc", error, VOL(call), flags);
    return xml ? g_variant_new("(s)", xml) : NULL;
}

static GVariant *
vol_resize(VbCall *call, GVariant *args, GError **error)
{
    guint64 capacity;
    guint flags;

    g_variant_get(args, "(tu)", &capacity, &flags);
    if (call->conn->driver->vol_resize_async) {
        call->conn->driver->vol_resize_async(call->conn, VOL(call), capacity, flags, vb_call_empty_reply_task(call));
        return NULL;
    }
    return VB_DRIVER_CALL(call->conn, vol_resize, "virStorageVolResize", error, VOL(call), capacity, flags)
               ? g_variant_new("()") : NULL;
}

static GVariant *
vol_wipe(VbCall *call, GVariant *args, GError **error)
{
    guint pattern, flags;

    g_variant_get(args, "(uu)", &pattern, &flags);
    if (call->conn->driver->vol_wipe_async) {
        call->conn->driver->vol_wipe_async(call->conn, VOL(call), pattern, flags, vb_call_empty_reply_task(call));
        return NULL;
    }
    return VB_DRIVER_CALL(call->conn, vol_wipe, "virStorageVolWipePattern", error, VOL(call), pattern, flags)
               ? g_variant_new("()") : NULL;
}

static const VbMethod vol_methods[] = {
    { "Delete", vol_delete, "virStorageVolDelete" },
    { "GetInfo", vol_get_info, "virStorageVolGetInfoFlags" },
    { "GetXMLDesc", vol_get_xml_desc, "virStorageVolGetXMLDesc" },
    { "Resize", vol_resize, "virStorageVolResize" },
    { "Wipe", vol_wipe, "virStorageVolWipePattern" },
    { NULL },
};

static const VbProperty vol_properties[] = {
    { "Name", get_name, NULL },
    { "Key", get_key, NULL },
    { "Path", get_path, NULL },
    { NULL },
};

const VbObjectClass vb_storagevol_class = {
    .interface = "org.libvirt.StorageVol",
    .subtree = "storagevol",
    .methods = vol_methods,
    .properties = vol_properties,
    .lookup = vol_lookup,
    .enumerate = vol_enumerate,
    .node_for_key = vb_path_escape,
    .details = vol_details,
};
