/* network_driver.h: real virtual networks (bridge, dnsmasq, nftables) for a hypervisor connection.
 *
 * A connection driver (QEMU) calls vb_network_open from its open and vb_network_close from its
 * close, and points its vtable's network entries at the functions below. Networks keep running
 * when the daemon stops; the next open re-attaches to them. */
#pragma once

#include "drivers/driver.h"

/* Loads the network configs, re-attaches to networks left running and starts the autostarted
 * ones. @privileged picks the system directories, else the XDG ones. */
gboolean vb_network_open(VbConn *conn, gboolean privileged, GError **error);
void vb_network_close(VbConn *conn);

VbNetworkObj *vb_network_define_xml(VbConn *conn, const char *xml, GError **error);
VbNetworkObj *vb_network_create_xml(VbConn *conn, const char *xml, GError **error);
gboolean vb_network_create(VbConn *conn, VbNetworkObj *net, GError **error);
gboolean vb_network_destroy(VbConn *conn, VbNetworkObj *net, GError **error);
gboolean vb_network_undefine(VbConn *conn, VbNetworkObj *net, GError **error);
gboolean vb_network_set_autostart(VbConn *conn, VbNetworkObj *net, gboolean autostart, GError **error);
char *vb_network_get_xml_desc(VbConn *conn, VbNetworkObj *net, guint flags, GError **error);
gboolean vb_network_update(VbConn *conn, VbNetworkObj *net, guint command, guint section, int parent_index,
                           const char *xml, guint flags, GError **error);
GPtrArray *vb_network_get_dhcp_leases(VbConn *conn, VbNetworkObj *net, const char *mac, guint flags,
                                      GError **error);

/* The bridge that guests of the active network @network_name attach to (borrowed), or NULL with
 * libvirt's "Network not found" / "network 'x' is not active" error. */
const char *vb_network_bridge_for(VbConn *conn, const char *network_name, GError **error);
