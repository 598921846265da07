/* secret.c: org.libvirt.Secret at <conn>/secret/_<uuid> */
#include "object.h"

#define SECRET(call) ((VbSecretObj *)(call)->obj)

static gpointer
secret_lookup(VbConn *conn, const char *node, GError **error)
{
    char uuid[VB_UUID_STRING_LEN];

    if (!vb_uuid_from_node(node, uuid)) {
        g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT, "no secret object at '%s'", node);
        return NULL;
    }
    return vb_conn_secret_by_uuid(conn, uuid, error);
}

static void
secret_enumerate(VbConn *conn, GPtrArray *nodes)
{
    g_autoptr(GPtrArray) all = vb_obj_list_values(conn->secrets);

    for (guint i = 0; i < all->len; i++)
        g_ptr_array_add(nodes, vb_uuid_node(((VbSecretObj *)g_ptr_array_index(all, i))->def->uuid));
}

static void
secret_details(gconstpointer obj, GPtrArray *details)
{
    const VbSecretObj *secret = obj;
    const char *usage = vb_secret_def_usage_id(secret->def);

    g_ptr_array_add(details, (gpointer)"secret_uuid");
    g_ptr_array_add(details, (gpointer)secret->def->uuid);
    g_ptr_array_add(details, (gpointer)"secret_usage_id");
    g_ptr_array_add(details, (gpointer)(usage ? usage : ""));
}

static GVariant *get_uuid(VbCall *call, GError **error) { return g_variant_new_string(SECRET(call)->def->uuid); }
static GVariant *get_usage_type(VbCall *call, GError **error) { return g_variant_new_int32((int)SECRET(call)->def->usage_type); }

static GVariant *
get_usage_id(VbCall *call, GError **error)
{
    const char *usage = vb_secret_def_usage_id(SECRET(call)->def);

    return g_variant_new_string(usage ? usage : "");
}

static GVariant *
secret_get_value(VbCall *call, GVariant *args, GError **error)
{
    guint flags;
    g_autoptr(GBytes) value = NULL;

    g_variant_get(args, "(u)", &flags);
    if (!(value = VB_DRIVER_CALL(call->conn, secret_get_value, "virSecretGetValue", error, SECRET(call), flags)))
        return NULL;
    return g_variant_new("(@ay)", g_variant_new_from_bytes(G_VARIANT_TYPE_BYTESTRING, value, TRUE));
}

static GVariant *
secret_set_value(VbCall *call, GVariant *args, GError **error)
{
    g_autoptr(GVariant) bytes = NULL;
    g_autoptr(GBytes) value = NULL;
    guint flags;

    g_variant_get(args, "(@ayu)", &bytes, &flags);
    value = g_variant_get_data_as_bytes(bytes);
    return VB_DRIVER_CALL(call->conn, secret_set_value, "virSecretSetValue", error, SECRET(call), value, flags)
               ? g_variant_new("()") : NULL;
}

static GVariant *
secret_get_xml_desc(VbCall *call, GVariant *args, GError **error)
{
    guint flags;
    g_autofree char *xml = NULL;

    g_variant_get(args, "(u)", &flags);
    if (!vb_check_flags(flags, 0, "virSecretGetXMLDesc", error))
        return NULL;
    xml = vb_secret_def_format(SECRET(call)->def, 0);
    return g_variant_new("(s)", xml);
}

static GVariant *
secret_undefine(VbCall *call, GVariant *args, GError **error)
{
    return VB_DRIVER_CALL(call->conn, secret_undefine, "virSecretUndefine", error, SECRET(call))
               ? g_variant_new("()") : NULL;
}

static const VbMethod secret_methods[] = {
    { "GetValue", secret_get_value, "virSecretGetValue" },
    { "GetXMLDesc", secret_get_xml_desc, "virSecretGetXMLDesc" },
    { "SetValue", secret_set_value, "virSecretSetValue" },
    { "Undefine", secret_undefine, "virSecretUndefine" },
    { NULL },
};

static const VbProperty secret_properties[] = {
    { "UUID", get_uuid, NULL },
    { "UsageID", get_usage_id, NULL },
    { "UsageType", get_usage_type, NULL },
    { NULL },
};

const VbObjectClass vb_secret_class = {
    .interface = "org.libvirt.Secret",
    .subtree = "secret",
    .methods = secret_methods,
    .properties = secret_properties,
    .lookup = secret_lookup,
    .enumerate = secret_enumerate,
    .node_for_key = vb_uuid_node,
    .details = secret_details,
};
