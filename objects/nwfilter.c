/* nwfilter.c: org.libvirt.NWFilter at <conn>/nwfilter/_<uuid> */
#include "object.h"

#define FILTER(call) ((VbNWFilterObj *)(call)->obj)

static gpointer
nwfilter_lookup(VbConn *conn, const char *node, GError **error)
{
    char uuid[VB_UUID_STRING_LEN];

    if (!vb_uuid_from_node(node, uuid)) {
        g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT, "no network filter object at '%s'", node);
        return NULL;
    }
    return vb_conn_nwfilter_by_uuid(conn, uuid, error);
}

static void
nwfilter_enumerate(VbConn *conn, GPtrArray *nodes)
{
    g_autoptr(GPtrArray) all = vb_obj_list_values(conn->nwfilters);

    for (guint i = 0; i < all->len; i++)
        g_ptr_array_add(nodes, vb_uuid_node(((VbNWFilterObj *)g_ptr_array_index(all, i))->def->uuid));
}

static void
nwfilter_details(gconstpointer obj, GPtrArray *details)
{
    const VbNWFilterObj *filter = obj;

    g_ptr_array_add(details, (gpointer)"nwfilter_name");
    g_ptr_array_add(details, filter->def->name);
    g_ptr_array_add(details, (gpointer)"nwfilter_uuid");
    g_ptr_array_add(details, (gpointer)filter->def->uuid);
}

static GVariant *get_name(VbCall *call, GError **error) { return g_variant_new_string(FILTER(call)->def->name); }
static GVariant *get_uuid(VbCall *call, GError **error) { return g_variant_new_string(FILTER(call)->def->uuid); }

static GVariant *
nwfilter_get_xml_desc(VbCall *call, GVariant *args, GError **error)
{
    guint flags;
    g_autofree char *xml = NULL;

    g_variant_get(args, "(u)", &flags);
    if (!vb_check_flags(flags, 0, "virNWFilterGetXMLDesc", error))
        return NULL;
    xml = vb_nwfilter_def_format(FILTER(call)->def, 0);
    return g_variant_new("(s)", xml);
}

static GVariant *
nwfilter_undefine(VbCall *call, GVariant *args, GError **error)
{
    return VB_DRIVER_CALL(call->conn, nwfilter_undefine, "virNWFilterUndefine", error, FILTER(call))
               ? g_variant_new("()") : NULL;
}

static const VbMethod nwfilter_methods[] = {
    { "GetXMLDesc", nwfilter_get_xml_desc, "virNWFilterGetXMLDesc" },
    { "Undefine", nwfilter_undefine, "virNWFilterUndefine" },
    { NULL },
};

static const VbProperty nwfilter_properties[] = {
    { "Name", get_name, NULL },
    { "UUID", get_uuid, NULL },
    { NULL },
};

const VbObjectClass vb_nwfilter_class = {
    .interface = "org.libvirt.NWFilter",
    .subtree = "nwfilter",
    .methods = nwfilter_methods,
    .properties = nwfilter_properties,
    .lookup = nwfilter_lookup,
    .enumerate = nwfilter_enumerate,
    .node_for_key = vb_uuid_node,
    .details = nwfilter_details,
};
