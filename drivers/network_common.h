/* network_common.h: network bookkeeping every driver shares (copies, duplicate checks, replacing
 * a definition in place, GetXMLDesc), as libvirt's virNetworkObj helpers. */
#pragma once

#include "drivers/driver.h"

VbNetworkDef *vb_network_def_copy(const VbNetworkDef *def);
/* Puts @def (same UUID, owned) in place of the network's definition. */
void vb_conn_network_replace_def(VbConn *conn, VbNetworkObj *net, VbNetworkDef *def);
/* libvirt's virNetworkObjAssignDef checks; @found: the network with @def's UUID, or NULL. */
gboolean vb_conn_network_check_duplicate(VbConn *conn, const VbNetworkDef *def, gboolean live, VbNetworkObj **found,
                                         GError **error);
/* virNetworkGetXMLDesc: the live definition, or with INACTIVE the one the next start uses. */
char *vb_network_obj_format(VbNetworkObj *net, guint flags, GError **error);
