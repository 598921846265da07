/* network_common.h: network bookkeeping every driver shares (copies, duplicate checks, replacing
 * a definition in place, GetXMLDesc), as libvirt's virNetworkObj helpers. */
#pragma once

#include "drivers/driver.h"

VbNetworkDef *vb_network_def_copy(const VbNetworkDef *def);
/* virNetworkDefineXML's bookkeeping: @def (owned) becomes a new persistent network when @net is
 * NULL, else @net's definition (its pending one while active); returns the network. */
VbNetworkObj *vb_conn_network_define(VbConn *conn, VbNetworkObj *net, VbNetworkDef *def);
/* Puts @def (same UUID, owned) in place of the network's definition. */
void vb_conn_network_replace_def(VbConn *conn, VbNetworkObj *net, VbNetworkDef *def);
/* libvirt's virNetworkObjAssignDef checks; @found: the network with @def's UUID, or NULL. */
gboolean vb_conn_network_check_duplicate(VbConn *conn, const VbNetworkDef *def, gboolean live, VbNetworkObj **found,
                                         GError **error);
/* virNetworkGetXMLDesc: the live definition, or with INACTIVE the one the next start uses. */
char *vb_network_obj_format(VbNetworkObj *net, guint flags, GError **error);
/* virNetworkUpdate on the definitions the flags select (neither: live when active, else the
 * config); @live_changed / @config_changed (may be NULL) tell the driver what to apply. */
gboolean vb_conn_network_update(VbConn *conn, VbNetworkObj *net, guint command, guint section, int parent_index,
                                const char *xml, guint flags, gboolean *live_changed, gboolean *config_changed,
                                GError **error);
