/* nodedev.c: org.libvirt.NodeDevice at <conn>/nodedev/<escaped name> */
#include "object.h"

#define DEV(call) ((VbNodeDeviceObj *)(call)->obj)

static gpointer
nodedev_lookup(VbConn *conn, const char *node, GError **error)
{
    g_autofree char *name = vb_path_unescape(node);

    if (!name) {
        g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT, "no node device object at '%s'", node);
        return NULL;
    }
    return vb_conn_node_device_by_name(conn, name, error);
}

static void
nodedev_enumerate(VbConn *conn, GPtrArray *nodes)
{
    g_autoptr(GPtrArray) all = vb_obj_list_values(conn->node_devices);

    for (guint i = 0; i < all->len; i++)
        g_ptr_array_add(nodes, vb_path_escape(((VbNodeDeviceObj *)g_ptr_array_index(all, i))->def->name));
}

static void
nodedev_details(gconstpointer obj, GPtrArray *details)
{
    g_ptr_array_add(details, (gpointer)"node_device_name");
    g_ptr_array_add(details, ((const VbNodeDeviceObj *)obj)->def->name);
}

static GVariant *get_name(VbCall *call, GError **error) { return g_variant_new_string(DEV(call)->def->name); }

static GVariant *
get_parent(VbCall *call, GError **error)
{
    return g_variant_new_string(DEV(call)->def->parent ? DEV(call)->def->parent : "");
}

static GVariant *
nodedev_destroy(VbCall *call, GVariant *args, GError **error)
{
    if (call->conn->driver->node_device_destroy_async) {
        call->conn->driver->node_device_destroy_async(call->conn, DEV(call), vb_call_empty_reply_task(call));
        return NULL;
    }
    return VB_DRIVER_CALL(call->conn, node_device_destroy, "virNodeDeviceDestroy", error, DEV(call))
               ? g_variant_new("()") : NULL;
}

static GVariant *
nodedev_detach(VbCall *call, GVariant *args, GError **error)
{
    const char *driver;
    guint flags;

    g_variant_get(args, "(&su)", &driver, &flags);
    return VB_DRIVER_CALL(call->conn, node_device_detach, "virNodeDeviceDetachFlags", error, DEV(call),
                          *driver ? driver : NULL, flags) ? g_variant_new("()") : NULL;
}

static GVariant *
nodedev_reattach(VbCall *call, GVariant *args, GError **error)
{
    return VB_DRIVER_CALL(call->conn, node_device_reattach, "virNodeDeviceReAttach", error, DEV(call))
               ? g_variant_new("()") : NULL;
}

static GVariant *
nodedev_reset(VbCall *call, GVariant *args, GError **error)
{
    return VB_DRIVER_CALL(call->conn, node_device_reset, "virNodeDeviceReset", error, DEV(call))
               ? g_variant_new("()") : NULL;
}

static GVariant *
nodedev_get_xml_desc(VbCall *call, GVariant *args, GError **error)
{
    guint flags;
    g_autofree char *xml = NULL;

    g_variant_get(args, "(u)", &flags);
    if (!vb_check_flags(flags, 0, "virNodeDeviceGetXMLDesc", error))
        return NULL;
    xml = vb_node_device_def_format(DEV(call)->def, 0);
    return g_variant_new("(s)", xml);
}

static GVariant *
nodedev_list_caps(VbCall *call, GVariant *args, GError **error)
{
    g_auto(GStrv) caps = vb_node_device_def_cap_names(DEV(call)->def);

    return g_variant_new("(^as)", caps);
}

static const VbMethod nodedev_methods[] = {
    { "Destroy", nodedev_destroy, "virNodeDeviceDestroy" },
    { "Detach", nodedev_detach, "virNodeDeviceDetachFlags" },
    { "GetXMLDesc", nodedev_get_xml_desc, "virNodeDeviceGetXMLDesc" },
    { "ListCaps", nodedev_list_caps, "virNodeDeviceListCaps" },
    { "ReAttach", nodedev_reattach, "virNodeDeviceReAttach" },
    { "Reset", nodedev_reset, "virNodeDeviceReset" },
    { NULL },
};

static const VbProperty nodedev_properties[] = {
    { "Name", get_name, NULL },
    { "Parent", get_parent, NULL },
    { NULL },
};

const VbObjectClass vb_nodedev_class = {
    .interface = "org.libvirt.NodeDevice",
    .subtree = "nodedev",
    .methods = nodedev_methods,
    .properties = nodedev_properties,
    .lookup = nodedev_lookup,
    .enumerate = nodedev_enumerate,
    .node_for_key = vb_path_escape,
    .details = nodedev_details,
};
