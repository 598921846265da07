/* network_common.c: network bookkeeping every driver shares */
#include "drivers/network_common.h"

VbNetworkDef *
vb_network_def_copy(const VbNetworkDef *def)
{
    g_autofree char *xml = vb_network_def_format(def, 0);
    g_autoptr(GError) error = NULL;
    VbNetworkDef *copy = vb_network_def_parse(xml, 0, &error);

    if (!copy)
        g_error("formatted network XML does not parse back: %s", error->message);
    return copy;
}

/* Puts @def (same UUID, owned) in place of the network's definition, keeping the list
 * indexes valid (they point into the definition). */
void
vb_conn_network_replace_def(VbConn *conn, VbNetworkObj *net, VbNetworkDef *def)
{
    VbNetworkDef old;

    vb_obj_list_remove_name(conn->networks, net);
    old = *net->def;
    *net->def = *def;
    *def = old;
    vb_network_def_free(def);
    vb_obj_list_add_name(conn->networks, net);
}

/* libvirt's virNetworkObjAssignDef checks. */
gboolean
vb_conn_network_check_duplicate(VbConn *conn, const VbNetworkDef *def, gboolean live, VbNetworkObj **found,
                                GError **error)
{
    VbNetworkObj *net = vb_obj_list_by_key(conn->networks, def->uuid);

    *found = NULL;
    if (!net) {
        if ((net = vb_obj_list_by_name(conn->networks, def->name))) {
            vb_set_error(error, VB_ERR_OPERATION_FAILED, "network '%s' already exists with uuid %s", def->name,
                         net->def->uuid);
            return FALSE;
        }
        return TRUE;
    }
    if (!g_str_equal(net->def->name, def->name)) {
        vb_set_error(error, VB_ERR_OPERATION_FAILED, "network '%s' is already defined with uuid %s",
                     net->def->name, net->def->uuid);
        return FALSE;
    }
    if (live && net->active) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "network is already active as '%s'", net->def->name);
        return FALSE;
    }
    *found = net;
    return TRUE;
}

char *
vb_network_obj_format(VbNetworkObj *net, guint flags, GError **error)
{
    const VbNetworkDef *def = (flags & VB_NETWORK_XML_INACTIVE) && net->new_def ? net->new_def : net->def;

    if (!vb_check_flags(flags, VB_NETWORK_XML_INACTIVE, "virNetworkGetXMLDesc", error))
        return NULL;
    return vb_network_def_format(def, flags);
}

static gboolean
check_update_target(VbNetworkObj *net, guint flags, GError **error)
{
    if ((flags & VB_NETWORK_UPDATE_AFFECT_CONFIG) && !net->persistent) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "cannot change persistent config of a transient network");
        return FALSE;
    }
    if ((flags & VB_NETWORK_UPDATE_AFFECT_LIVE) && !net->active) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "network is not running");
        return FALSE;
    }
    return TRUE;
}

gboolean
vb_conn_network_update(VbConn *conn, VbNetworkObj *net, guint command, guint section, int parent_index,
                       const char *xml, guint flags, gboolean *live_changed, gboolean *config_changed,
                       GError **error)
{
    guint affect = VB_NETWORK_UPDATE_AFFECT_LIVE | VB_NETWORK_UPDATE_AFFECT_CONFIG;
    g_autoptr(VbNetworkDef) live = NULL;
    g_autoptr(VbNetworkDef) config = NULL;

    if (!vb_check_flags(flags, affect, "virNetworkUpdate", error))
        return FALSE;
    if (!(flags & affect))
        flags |= net->active ? VB_NETWORK_UPDATE_AFFECT_LIVE : VB_NETWORK_UPDATE_AFFECT_CONFIG;
    if (!check_update_target(net, flags, error))
        return FALSE;
    if (flags & VB_NETWORK_UPDATE_AFFECT_LIVE)
        live = vb_network_def_copy(net->def);
    if (flags & VB_NETWORK_UPDATE_AFFECT_CONFIG)
        config = vb_network_def_copy(net->active && net->new_def ? net->new_def : net->def);
    if ((live && !vb_network_def_update(live, command, section, parent_index, xml, flags, error)) ||
        (config && !vb_network_def_update(config, command, section, parent_index, xml, flags, error)))
        return FALSE;
    if (live_changed)
        *live_changed = live != NULL;
    if (config_changed)
        *config_changed = config != NULL;
    if (live)
        vb_conn_network_replace_def(conn, net, g_steal_pointer(&live));
    if (config && net->active) {
        vb_network_def_free(net->new_def);
        net->new_def = g_steal_pointer(&config);
    } else if (config) {
        vb_conn_network_replace_def(conn, net, g_steal_pointer(&config));
    }
    return TRUE;
}

VbNetworkObj *
vb_conn_network_define(VbConn *conn, VbNetworkObj *net, VbNetworkDef *def)
{
    if (!net) {
        net = vb_network_obj_new(def);
        vb_obj_list_add(conn->networks, net);
    } else if (net->active) {
        vb_network_def_free(net->new_def);
        net->new_def = def;
    } else {
        vb_conn_network_replace_def(conn, net, def);
    }
    net->persistent = TRUE;
    return net;
}
