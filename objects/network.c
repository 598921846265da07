/* network.c: org.libvirt.Network at <conn>/network/_<uuid> */
#include "object.h"

#define NET(call) ((VbNetworkObj *)(call)->obj)

static gpointer
network_lookup(VbConn *conn, const char *node, GError **error)
{
    char uuid[VB_UUID_STRING_LEN];

    if (!vb_uuid_from_node(node, uuid)) {
        g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT, "no network object at '%s'", node);
        return NULL;
    }
    return vb_conn_network_by_uuid(conn, uuid, error);
}

static void
network_enumerate(VbConn *conn, GPtrArray *nodes)
{
    g_autoptr(GPtrArray) all = vb_obj_list_values(conn->networks);

    for (guint i = 0; i < all->len; i++)
        g_ptr_array_add(nodes, vb_uuid_node(((VbNetworkObj *)g_ptr_array_index(all, i))->def->uuid));
}

static void
network_details(gconstpointer obj, GPtrArray *details)
{
    const VbNetworkObj *net = obj;

    g_ptr_array_add(details, (gpointer)"network_name");
    g_ptr_array_add(details, net->def->name);
    g_ptr_array_add(details, (gpointer)"network_uuid");
    g_ptr_array_add(details, (gpointer)net->def->uuid);
}

static GVariant *get_active(VbCall *call, GError **error) { return g_variant_new_boolean(NET(call)->active); }
static GVariant *get_autostart(VbCall *call, GError **error) { return g_variant_new_boolean(NET(call)->autostart); }
static GVariant *get_name(VbCall *call, GError **error) { return g_variant_new_string(NET(call)->def->name); }
static GVariant *get_persistent(VbCall *call, GError **error) { return g_variant_new_boolean(NET(call)->persistent); }
static GVariant *get_uuid(VbCall *call, GError **error) { return g_variant_new_string(NET(call)->def->uuid); }

static gboolean
set_autostart(VbCall *call, GVariant *value, GError **error)
{
    gboolean old = NET(call)->autostart;

    if (!VB_DRIVER_CALL(call->conn, network_set_autostart, "virNetworkSetAutostart", error, NET(call),
                        g_variant_get_boolean(value)))
        return FALSE;
    if (old != g_variant_get_boolean(value))
        call->notify(call, "Autostart");
    return TRUE;
}

static GVariant *
network_create(VbCall *call, GVariant *args, GError **error)
{
    return VB_DRIVER_CALL(call->conn, network_create, "virNetworkCreate", error, NET(call)) ? g_variant_new("()") : NULL;
}

static GVariant *
network_destroy(VbCall *call, GVariant *args, GError **error)
{
    return VB_DRIVER_CALL(call->conn, network_destroy, "virNetworkDestroy", error, NET(call)) ? g_variant_new("()") : NULL;
}

static GVariant *
network_undefine(VbCall *call, GVariant *args, GError **error)
{
    return VB_DRIVER_CALL(call->conn, network_undefine, "virNetworkUndefine", error, NET(call)) ? g_variant_new("()") : NULL;
}

static GVariant *
network_get_xml_desc(VbCall *call, GVariant *args, GError **error)
{
    guint flags;
    g_autofree char *xml = NULL;

    g_variant_get(args, "(u)", &flags);
    xml = VB_DRIVER_CALL(call->conn, network_get_xml_desc, "virNetworkGetXMLDesc", error, NET(call), flags);
    return xml ? g_variant_new("(s)", xml) : NULL;
}

static GVariant *
network_update(VbCall *call, GVariant *args, GError **error)
{
    guint command, section, flags;
    int parent_index;
    const char *xml;

    g_variant_get(args, "(uui&su)", &command, &section, &parent_index, &xml, &flags);
    if (!VB_DRIVER_CALL(call->conn, network_update, "virNetworkUpdate", error, NET(call), command, section,
                        parent_index, xml, flags))
        return NULL;
    return g_variant_new("()");
}

/* Leases come from the driver as (sxisssuss) tuples, as virNetworkDHCPLease has them. */
static GVariant *
network_get_dhcp_leases(VbCall *call, GVariant *args, GError **error)
{
    const char *mac;
    guint flags;
    g_autoptr(GPtrArray) leases = NULL;
    GVariantBuilder builder;

    g_variant_get(args, "(&su)", &mac, &flags);
    leases = VB_DRIVER_CALL(call->conn, network_get_dhcp_leases, "virNetworkGetDHCPLeases", error, NET(call),
                            *mac ? mac : NULL, flags);
    if (!leases)
        return NULL;
    g_variant_builder_init(&builder, G_VARIANT_TYPE("a(sxisssuss)"));
    for (guint i = 0; i < leases->len; i++)
        g_variant_builder_add_value(&builder, g_ptr_array_index(leases, i));
    return g_variant_new("(@a(sxisssuss))", g_variant_builder_end(&builder));
}

static const VbMethod network_methods[] = {
    { "Create", network_create, "virNetworkCreate" },
    { "Destroy", network_destroy, "virNetworkDestroy" },
    { "GetDHCPLeases", network_get_dhcp_leases, "virNetworkGetDHCPLeases" },
    { "GetXMLDesc", network_get_xml_desc, "virNetworkGetXMLDesc" },
    { "Undefine", network_undefine, "virNetworkUndefine" },
    { "Update", network_update, "virNetworkUpdate" },
    { NULL },
};

static const VbProperty network_properties[] = {
    { "Active", get_active, NULL },
    { "Autostart", get_autostart, set_autostart },
    { "Name", get_name, NULL },
    { "Persistent", get_persistent, NULL },
    { "UUID", get_uuid, NULL },
    { NULL },
};

const VbObjectClass vb_network_class = {
    .interface = "org.libvirt.Network",
    .subtree = "network",
    .methods = network_methods,
    .properties = network_properties,
    .lookup = network_lookup,
    .enumerate = network_enumerate,
    .node_for_key = vb_uuid_node,
    .details = network_details,
};
