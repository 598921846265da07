/* test_network.c: virtual networks of the test driver */
#include <string.h>

#include "drivers/network_common.h"
#include "drivers/test/test_private.h"

#define TEST_LEASE_SECONDS 3600

static void
emit_network(VbConn *conn, VbNetworkObj *net, int event, VbPresence presence)
{
    vb_conn_emit(conn, VB_EVENT_NETWORK, net->def->uuid, event, 0, presence);
}

VbNetworkObj *
test_network_define_xml(VbConn *conn, const char *xml, GError **error)
{
    g_autoptr(VbNetworkDef) def = vb_network_def_parse(xml, 0, error);
    VbNetworkObj *net;
    VbPresence presence;

    if (!def || !vb_conn_network_check_duplicate(conn, def, FALSE, &net, error))
        return NULL;
    presence = net ? VB_PRESENCE_SAME : VB_PRESENCE_APPEARED;
    net = vb_conn_network_define(conn, net, g_steal_pointer(&def));
    emit_network(conn, net, VB_NETWORK_EVENT_DEFINED, presence);
    return net;
}

static void
start_network(VbNetworkObj *net)
{
    if (net->persistent && !net->new_def)
        net->new_def = vb_network_def_copy(net->def);
    net->active = TRUE;
}

VbNetworkObj *
test_network_create_xml(VbConn *conn, const char *xml, GError **error)
{
    g_autoptr(VbNetworkDef) def = vb_network_def_parse(xml, 0, error);
    VbPresence presence = VB_PRESENCE_SAME;
    VbNetworkObj *net;

    if (!def || !vb_conn_network_check_duplicate(conn, def, TRUE, &net, error))
        return NULL;
    if (net) {
        VbNetworkDef *config = vb_network_def_copy(net->def);
        vb_conn_network_replace_def(conn, net, g_steal_pointer(&def));
        net->new_def = config;
    } else {
        net = vb_network_obj_new(g_steal_pointer(&def));
        vb_obj_list_add(conn->networks, net);
        presence = VB_PRESENCE_APPEARED;
    }
    start_network(net);
    emit_network(conn, net, VB_NETWORK_EVENT_STARTED, presence);
    return net;
}

gboolean
test_network_create(VbConn *conn, VbNetworkObj *net, GError **error)
{
    if (net->active) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "Network '%s' is already running", net->def->name);
        return FALSE;
    }
    start_network(net);
    emit_network(conn, net, VB_NETWORK_EVENT_STARTED, VB_PRESENCE_SAME);
    return TRUE;
}

gboolean
test_network_destroy(VbConn *conn, VbNetworkObj *net, GError **error)
{
    if (!net->active) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "network '%s' is not active", net->def->name);
        return FALSE;
    }
    net->active = FALSE;
    if (net->new_def)
        vb_conn_network_replace_def(conn, net, g_steal_pointer(&net->new_def));
    emit_network(conn, net, VB_NETWORK_EVENT_STOPPED, net->persistent ? VB_PRESENCE_SAME : VB_PRESENCE_GONE);
    if (!net->persistent)
        vb_obj_list_remove(conn->networks, net);
    return TRUE;
}

gboolean
test_network_undefine(VbConn *conn, VbNetworkObj *net, GError **error)
{
    if (net->active) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "Network '%s' is still running", net->def->name);
        return FALSE;
    }
    emit_network(conn, net, VB_NETWORK_EVENT_UNDEFINED, VB_PRESENCE_GONE);
    vb_obj_list_remove(conn->networks, net);
    return TRUE;
}

gboolean
test_network_set_autostart(VbConn *conn, VbNetworkObj *net, gboolean autostart, GError **error)
{
    if (!net->persistent) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "cannot set autostart for transient network");
        return FALSE;
    }
    net->autostart = autostart != FALSE;
    return TRUE;
}

char *
test_network_get_xml_desc(VbConn *conn, VbNetworkObj *net, guint flags, GError **error)
{
    return vb_network_obj_format(net, flags, error);
}

/* ---- update ---- */

/* The live and the persistent definitions are changed on copies and swapped in together. */
gboolean
test_network_update(VbConn *conn, VbNetworkObj *net, guint command, guint section, int parent_index,
                    const char *xml, guint flags, GError **error)
{
    return vb_conn_network_update(conn, net, command, section, parent_index, xml, flags, NULL, NULL, error);
}

/* ---- DHCP leases, made up for the running guests on the network ---- */

static const char *
attr_value(GPtrArray *attrs, const char *name)
{
    for (guint i = 0; attrs && i + 1 < attrs->len; i += 2) {
        if (g_str_equal(g_ptr_array_index(attrs, i), name))
            return g_ptr_array_index(attrs, i + 1);
    }
    return NULL;
}

static VbNetworkIpDef *
network_ipv4(const VbNetworkDef *def)
{
    for (guint i = 0; i < def->ips->len; i++) {
        VbNetworkIpDef *ip = g_ptr_array_index(def->ips, i);
        if (!ip->family || g_str_equal(ip->family, "ipv4"))
            return ip;
    }
    return NULL;
}

static char *
ipv4_add(const char *base, guint offset)
{
    g_autoptr(GInetAddress) addr = g_inet_address_new_from_string(base);
    g_autoptr(GInetAddress) result = NULL;
    guint8 bytes[4];
    guint32 value;

    if (!addr || g_inet_address_get_family(addr) != G_SOCKET_FAMILY_IPV4)
        return NULL;
    memcpy(&value, g_inet_address_to_bytes(addr), sizeof(value));
    value = g_ntohl(value) + offset;
    value = g_htonl(value);
    memcpy(bytes, &value, sizeof(bytes));
    result = g_inet_address_new_from_bytes(bytes, G_SOCKET_FAMILY_IPV4);
    return g_inet_address_to_string(result);
}

static VbNetworkDhcpHost *
dhcp_host_for(const VbNetworkIpDef *ip, const char *mac)
{
    for (guint i = 0; i < ip->hosts->len; i++) {
        VbNetworkDhcpHost *host = g_ptr_array_index(ip->hosts, i);
        if (host->ip && g_strcmp0(host->mac, mac) == 0)
            return host;
    }
    return NULL;
}

/* libvirt's testDomainInterfaceAddresses numbering: offset 20 * (id - 1) + nic + 1 from the
 * first DHCP range (or the network address); a <host> entry for the MAC wins. */
static GVariant *
make_lease(VbNetworkObj *net, VbNetworkIpDef *ip, VbDomainObj *dom, VbNetDef *nic, guint index)
{
    VbNetworkDhcpHost *host = dhcp_host_for(ip, nic->mac);
    VbNetworkDhcpRange *range = ip->ranges->len ? g_ptr_array_index(ip->ranges, 0) : NULL;
    g_autofree char *addr = host ? g_strdup(host->ip)
                                 : ipv4_add(range ? range->start : ip->address, 20 * (dom->id - 1) + index + 1);
    gint64 expiry = g_get_real_time() / G_USEC_PER_SEC + TEST_LEASE_SECONDS;
    int prefix = vb_network_ip_def_prefix(ip);

    if (!addr)
        return NULL;
    return g_variant_ref_sink(g_variant_new("(sxisssuss)", net->def->bridge ? net->def->bridge : "", expiry, 0,
                                            nic->mac, "", addr, (guint)MAX(prefix, 0),
                                            host && host->name ? host->name : dom->def->name, ""));
}

static void
add_domain_leases(GPtrArray *leases, VbNetworkObj *net, VbNetworkIpDef *ip, VbDomainObj *dom, const char *mac)
{
    guint index = 0;

    for (guint i = 0; i < dom->def->devices->len; i++) {
        VbDeviceDef *dev = g_ptr_array_index(dom->def->devices, i);
        GVariant *lease;

        if (!dev->net)
            continue;
        index++;
        if (g_strcmp0(dev->net->type, "network") != 0 ||
            g_strcmp0(attr_value(dev->net->source_attrs, "network"), net->def->name) != 0 ||
            (mac && !g_str_equal(mac, dev->net->mac)))
            continue;
        if ((lease = make_lease(net, ip, dom, dev->net, index - 1)))
            g_ptr_array_add(leases, lease);
    }
}

GPtrArray *
test_network_get_dhcp_leases(VbConn *conn, VbNetworkObj *net, const char *mac, guint flags, GError **error)
{
    char canonical[VB_MAC_STRING_LEN] = "";
    g_autoptr(GPtrArray) domains = NULL;
    GPtrArray *leases;
    VbNetworkIpDef *ip = network_ipv4(net->def);

    if (!vb_check_flags(flags, 0, "virNetworkGetDHCPLeases", error))
        return NULL;
    if (mac && *mac && !vb_mac_parse(mac, canonical)) {
        vb_set_error(error, VB_ERR_INVALID_MAC, "%s", mac);
        return NULL;
    }
    leases = g_ptr_array_new_with_free_func((GDestroyNotify)g_variant_unref);
    if (!net->active || !ip)
        return leases;
    domains = vb_obj_list_values(conn->domains);
    for (guint i = 0; i < domains->len; i++) {
        VbDomainObj *dom = g_ptr_array_index(domains, i);
        if (vb_domain_obj_is_active(dom))
            add_domain_leases(leases, net, ip, dom, *canonical ? canonical : NULL);
    }
    return leases;
}
