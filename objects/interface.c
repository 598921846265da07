/* interface.c: org.libvirt.Interface at <conn>/interface/<escaped MAC> (the name when it has none) */
#include "object.h"

#define IFACE(call) ((VbInterfaceObj *)(call)->obj)

static gpointer
iface_lookup(VbConn *conn, const char *node, GError **error)
{
    g_autofree char *key = vb_path_unescape(node);
    VbInterfaceObj *iface;

    if (!key) {
        g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT, "no interface object at '%s'", node);
        return NULL;
    }
    if ((iface = vb_conn_interface_by_mac(conn, key, NULL)))
        return iface;
    return vb_conn_interface_by_name(conn, key, error);
}

static void
iface_enumerate(VbConn *conn, GPtrArray *nodes)
{
    g_autoptr(GPtrArray) all = vb_obj_list_values(conn->interfaces);

    for (guint i = 0; i < all->len; i++) {
        VbInterfaceObj *iface = g_ptr_array_index(all, i);
        g_ptr_array_add(nodes, vb_path_escape(iface->def->mac ? iface->def->mac : iface->def->name));
    }
}

static void
iface_details(gconstpointer obj, GPtrArray *details)
{
    const VbInterfaceObj *iface = obj;

    g_ptr_array_add(details, (gpointer)"interface_name");
    g_ptr_array_add(details, iface->def->name);
    g_ptr_array_add(details, (gpointer)"interface_macaddr");
    g_ptr_array_add(details, iface->def->mac ? iface->def->mac : (char *)"");
}

static GVariant *get_active(VbCall *call, GError **error) { return g_variant_new_boolean(IFACE(call)->active); }
static GVariant *get_name(VbCall *call, GError **error) { return g_variant_new_string(IFACE(call)->def->name); }

static GVariant *
get_mac(VbCall *call, GError **error)
{
    return g_variant_new_string(IFACE(call)->def->mac ? IFACE(call)->def->mac : "");
}

static GVariant *
iface_create(VbCall *call, GVariant *args, GError **error)
{
    guint flags;

    g_variant_get(args, "(u)", &flags);
    if (!VB_DRIVER_CALL(call->conn, interface_create, "virInterfaceCreate", error, IFACE(call), flags))
        return NULL;
    call->notify(call, "Active");
    return g_variant_new("()");
}

static GVariant *
iface_destroy(VbCall *call, GVariant *args, GError **error)
{
    guint flags;

    g_variant_get(args, "(u)", &flags);
    if (!VB_DRIVER_CALL(call->conn, interface_destroy, "virInterfaceDestroy", error, IFACE(call), flags))
        return NULL;
    call->notify(call, "Active");
    return g_variant_new("()");
}

static GVariant *
iface_undefine(VbCall *call, GVariant *args, GError **error)
{
    return VB_DRIVER_CALL(call->conn, interface_undefine, "virInterfaceUndefine", error, IFACE(call))
               ? g_variant_new("()") : NULL;
}

static GVariant *
iface_get_xml_desc(VbCall *call, GVariant *args, GError **error)
{
    guint flags;
    g_autofree char *xml = NULL;

    g_variant_get(args, "(u)", &flags);
    if (!vb_check_flags(flags, 1, "virInterfaceGetXMLDesc", error))
        return NULL;
    xml = vb_interface_def_format(IFACE(call)->def, 0);
    return g_variant_new("(s)", xml);
}

static const VbMethod iface_methods[] = {
    { "Create", iface_create, "virInterfaceCreate" },
    { "Destroy", iface_destroy, "virInterfaceDestroy" },
    { "GetXMLDesc", iface_get_xml_desc, "virInterfaceGetXMLDesc" },
    { "Undefine", iface_undefine, "virInterfaceUndefine" },
    { NULL },
};

static const VbProperty iface_properties[] = {
    { "Active", get_active, NULL },
    { "MAC", get_mac, NULL },
    { "Name", get_name, NULL },
    { NULL },
};

const VbObjectClass vb_interface_class = {
    .interface = "org.libvirt.Interface",
    .subtree = "interface",
    .methods = iface_methods,
    .properties = iface_properties,
    .lookup = iface_lookup,
    .enumerate = iface_enumerate,
    .node_for_key = vb_path_escape,
    .details = iface_details,
};
