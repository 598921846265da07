/* network_driver.c: virtual networks of a hypervisor connection: configs on disk, autostart,
 * start and stop (bridge, dnsmasq, firewall), re-attach after a daemon restart, leases.
 *
 * Configs live in <config root>/virtbus/network/<name>.xml, autostart marks are symlinks in
 * its autostart/, as for storage pools. A running network's live XML is kept in the state dir
 * (<run root>/virtbus/network/<name>.xml) beside dnsmasq's files, named after the bridge. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "drivers/network/network_private.h"
#include "drivers/network_common.h"
#include "drivers/persist.h"

#define IP_FORWARD "/proc/sys/net/ipv4/ip_forward"
#define IPV6_FORWARD "/proc/sys/net/ipv6/conf/all/forwarding"
#define BRIDGE_TEMPLATE "virbr%u"
#define MAX_AUTO_BRIDGES 256

typedef struct {
    char *config_dir;
    char *autostart_dir;
    char *state_dir;
} NetState;

static NetState *
net_state(VbConn *conn)
{
    return conn->network;
}

/* ---- shared helpers ---- */

const VbNetworkIpDef *
vb_network_ipv4(const VbNetworkDef *def)
{
    for (guint i = 0; i < def->ips->len; i++) {
        const VbNetworkIpDef *ip = g_ptr_array_index(def->ips, i);

        if (!ip->family || g_str_equal(ip->family, "ipv4"))
            return ip;
    }
    return NULL;
}

const VbNetworkIpDef *
vb_network_ipv6(const VbNetworkDef *def)
{
    for (guint i = 0; i < def->ips->len; i++) {
        const VbNetworkIpDef *ip = g_ptr_array_index(def->ips, i);

        if (g_strcmp0(ip->family, "ipv6") == 0)
            return ip;
    }
    return NULL;
}

GInetAddressMask *
vb_ipv6_mask_new(GInetAddress *addr, guint prefix)
{
    guint8 bytes[16];
    g_autoptr(GInetAddress) base = NULL;

    memcpy(bytes, g_inet_address_to_bytes(addr), sizeof(bytes));
    for (guint bit = MIN(prefix, 128); bit < 128; bit++)
        bytes[bit / 8] &= (guint8)~(0x80 >> (bit % 8));
    base = g_inet_address_new_from_bytes(bytes, G_SOCKET_FAMILY_IPV6);
    return g_inet_address_mask_new(base, MIN(prefix, 128), NULL);
}

GInetAddressMask *
vb_ipv6_net_of(const VbNetworkIpDef *ip)
{
    g_autoptr(GInetAddress) addr = ip->address ? g_inet_address_new_from_string(ip->address) : NULL;
    int prefix = vb_network_ip_def_prefix(ip);

    if (!addr || g_inet_address_get_family(addr) != G_SOCKET_FAMILY_IPV6 || prefix < 0 || prefix > 128)
        return NULL;
    return vb_ipv6_mask_new(addr, (guint)prefix);
}

gboolean
vb_ipv4_net_of(const VbNetworkIpDef *ip, VbIpv4Net *net)
{
    g_autoptr(GInetAddress) addr = ip->address ? g_inet_address_new_from_string(ip->address) : NULL;
    int prefix = vb_network_ip_def_prefix(ip);
    guint32 value;

    if (!addr || g_inet_address_get_family(addr) != G_SOCKET_FAMILY_IPV4 || prefix < 0 || prefix > 32)
        return FALSE;
    memcpy(&value, g_inet_address_to_bytes(addr), sizeof(value));
    net->addr = g_ntohl(value);
    net->prefix = (guint)prefix;
    return TRUE;
}

char *
vb_ipv4_to_string(guint32 addr)
{
    return g_strdup_printf("%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff, (addr >> 8) & 0xff, addr & 0xff);
}

gboolean
vb_network_token_ok(const char *s)
{
    if (!s || !*s)
        return FALSE;
    for (const char *p = s; *p; p++) {
        if (!g_ascii_isalnum(*p) && !strchr("._-", *p))
            return FALSE;
    }
    return TRUE;
}

static gboolean
subnets_overlap(const VbIpv4Net *a, const VbIpv4Net *b)
{
    guint prefix = MIN(a->prefix, b->prefix);
    guint32 mask = prefix ? 0xffffffffu << (32 - prefix) : 0;

    return (a->addr & mask) == (b->addr & mask);
}

static void
emit_network(VbConn *conn, VbNetworkObj *net, int event, VbPresence presence)
{
    vb_conn_emit(conn, VB_EVENT_NETWORK, net->def->uuid, event, 0, presence);
}

/* ---- files ---- */

static char *
xml_file(const char *dir, const char *name)
{
    g_autofree char *file = g_strconcat(name, ".xml", NULL);

    return g_build_filename(dir, file, NULL);
}

static gboolean
save_xml(const char *dir, const VbNetworkDef *def, GError **error)
{
    g_autofree char *path = xml_file(dir, def->name);
    g_autofree char *xml = vb_network_def_format(def, 0);

    return vb_config_write(path, xml, "network", error);
}

static gboolean
set_autostart_link(NetState *st, const char *name, gboolean autostart, GError **error)
{
    g_autofree char *link = xml_file(st->autostart_dir, name);
    g_autofree char *target = xml_file(st->config_dir, name);

    return vb_autostart_link_set(link, target, autostart, error);
}

/* ---- definitions ---- */

static gboolean
check_mode(const VbNetworkDef *def, GError **error)
{
    int mode = def->forward.mode;

    if (vb_network_forward_is_routed(mode)) {
        if (def->bridge && (!vb_network_token_ok(def->bridge) || strlen(def->bridge) >= 16)) {
            vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "bridge name '%s' is not a valid interface name",
                         def->bridge);
            return FALSE;
        }
        return TRUE;
    }
    if (mode == VB_NETWORK_FORWARD_BRIDGE && def->bridge && !def->virtualport)
        return TRUE;
    vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "network forward mode '%s'%s is not supported here",
                 vb_network_forward_to_string(mode), mode == VB_NETWORK_FORWARD_BRIDGE ? " without <bridge name>" : "");
    return FALSE;
}

static gboolean
bridge_taken(VbConn *conn, const VbNetworkObj *self, const char *bridge)
{
    g_autoptr(GPtrArray) all = vb_obj_list_values(conn->networks);

    for (guint i = 0; i < all->len; i++) {
        const VbNetworkObj *net = g_ptr_array_index(all, i);

        if (net != self && (g_strcmp0(net->def->bridge, bridge) == 0 ||
                            (net->new_def && g_strcmp0(net->new_def->bridge, bridge) == 0)))
            return TRUE;
    }
    return FALSE;
}

/* A routed network gets a bridge name (its old one, or the first free virbrN) and a MAC. */
static gboolean
fill_defaults(VbConn *conn, VbNetworkDef *def, const VbNetworkObj *existing, GError **error)
{
    char mac[VB_MAC_STRING_LEN];

    if (!vb_network_forward_is_routed(def->forward.mode))
        return TRUE;
    if (!def->bridge && existing && existing->def->bridge)
        def->bridge = g_strdup(existing->def->bridge);
    for (guint n = 0; !def->bridge && n < MAX_AUTO_BRIDGES; n++) {
        g_autofree char *name = g_strdup_printf(BRIDGE_TEMPLATE, n);

        if (!bridge_taken(conn, existing, name) && !vb_link_exists(name))
            def->bridge = g_steal_pointer(&name);
    }
    if (!def->bridge) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "Bridge generation exceeded max id %d", MAX_AUTO_BRIDGES);
        return FALSE;
    }
    if (bridge_taken(conn, existing, def->bridge)) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "bridge name '%s' already in use.", def->bridge);
        return FALSE;
    }
    if (!def->mac && existing && existing->def->mac)
        def->mac = g_strdup(existing->def->mac);
    if (!def->mac) {
        vb_mac_generate(mac);
        def->mac = g_strdup(mac);
    }
    return TRUE;
}

static VbNetworkDef *
parse_network(VbConn *conn, const char *xml, gboolean live, VbNetworkObj **found, GError **error)
{
    g_autoptr(VbNetworkDef) def = vb_network_def_parse(xml, 0, error);

    if (!def || !check_mode(def, error) || !vb_conn_network_check_duplicate(conn, def, live, found, error) ||
        !fill_defaults(conn, def, *found, error))
        return NULL;
    return g_steal_pointer(&def);
}

/* ---- start and stop ---- */

/* One IPv4 and one IPv6 <ip> at most, each a valid subnet (dnsmasq serves one of each). */
static gboolean
check_families(const VbNetworkDef *def, GError **error)
{
    guint v4 = 0, v6 = 0;

    for (guint i = 0; i < def->ips->len; i++) {
        const VbNetworkIpDef *ip = g_ptr_array_index(def->ips, i);
        g_autoptr(GInetAddressMask) mask = vb_ipv6_net_of(ip);
        VbIpv4Net net;

        if (vb_ipv4_net_of(ip, &net))
            v4++;
        else if (mask)
            v6++;
        else {
            vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "network '%s': address '%s' is not a usable subnet",
                         def->name, ip->address ? ip->address : "");
            return FALSE;
        }
    }
    if (v4 > 1 || v6 > 1) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "network '%s': more than one %s address is not supported "
                     "by virtbus yet", def->name, v4 > 1 ? "IPv4" : "IPv6");
        return FALSE;
    }
    return TRUE;
}

static gboolean
masks_overlap(GInetAddressMask *a, GInetAddressMask *b)
{
    g_autoptr(GInetAddressMask) wider = g_inet_address_mask_get_length(a) <= g_inet_address_mask_get_length(b)
                                            ? g_object_ref(a) : g_object_ref(b);
    GInetAddressMask *other = wider == a ? b : a;

    return g_inet_address_mask_matches(wider, g_inet_address_mask_get_address(other));
}

static gboolean
check_ipv6_free(const VbNetworkDef *def, GError **error)
{
    g_autoptr(GInetAddressMask) mine = NULL;
    g_autoptr(GPtrArray) host = NULL;
    const VbNetworkIpDef *ip = vb_network_ipv6(def);

    if (!ip || !(mine = vb_ipv6_net_of(ip)))
        return TRUE;
    if (!(host = vb_host_ipv6_addrs(error)))
        return FALSE;
    for (guint j = 0; j < host->len; j++) {
        const VbHostAddr6 *addr = g_ptr_array_index(host, j);

        if (masks_overlap(mine, addr->net)) {
            vb_set_error(error, VB_ERR_INTERNAL_ERROR, "Network is already in use by interface %s", addr->ifname);
            return FALSE;
        }
    }
    return TRUE;
}

/* libvirt's networkCheckRouteCollision: a route of the host (other than the default one) to a
 * subnet overlapping ours, from /proc/net/route. */
static gboolean
check_ipv4_routes(const VbIpv4Net *net, GError **error)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;

    if (!g_file_get_contents("/proc/net/route", &text, NULL, NULL))
        return TRUE;
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 1; lines[i]; i++) {
        char iface[64];
        guint32 dest, mask;
        VbIpv4Net route;

        if (sscanf(lines[i], "%63s %x %*x %*x %*d %*d %*d %x", iface, &dest, &mask) != 3 || mask == 0)
            continue;
        /* the kernel prints the address as it lies in memory: network order */
        route.addr = g_ntohl(dest);
        mask = g_ntohl(mask);
        for (route.prefix = 0; route.prefix < 32 && (mask & (0x80000000u >> route.prefix)); route.prefix++)
            ;
        if (subnets_overlap(net, &route)) {
            vb_set_error(error, VB_ERR_INTERNAL_ERROR, "Network is already in use by interface %s", iface);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
check_addresses_free(const VbNetworkDef *def, GError **error)
{
    g_autoptr(GPtrArray) host = vb_host_ipv4_addrs(error);

    if (!host)
        return FALSE;
    for (guint i = 0; i < def->ips->len; i++) {
        const VbNetworkIpDef *ip = g_ptr_array_index(def->ips, i);
        VbIpv4Net net;

        if (!vb_ipv4_net_of(ip, &net))
            continue;
        if (!check_ipv4_routes(&net, error))
            return FALSE;
        for (guint j = 0; j < host->len; j++) {
            const VbHostAddr *addr = g_ptr_array_index(host, j);

            if (subnets_overlap(&net, &addr->net)) {
                vb_set_error(error, VB_ERR_INTERNAL_ERROR, "Network is already in use by interface %s",
                             addr->ifname);
                return FALSE;
            }
        }
    }
    return TRUE;
}

static gboolean
write_sysctl(const char *path, const char *value, GError **error)
{
    g_autoptr(GError) local = NULL;

    if (g_file_set_contents_full(path, value, -1, G_FILE_SET_CONTENTS_NONE, 0644, &local))
        return TRUE;
    vb_set_error(error, VB_ERR_SYSTEM_ERROR, "cannot set %s: %s", path, local->message);
    return FALSE;
}

/* The bridge routes for its guests: it takes no router advertisements itself, as in libvirt. */
static gboolean
add_bridge_ipv6(const VbNetworkDef *def, GError **error)
{
    const VbNetworkIpDef *ip = vb_network_ipv6(def);
    g_autoptr(GInetAddress) addr = g_inet_address_new_from_string(ip->address);
    g_autofree char *disable = g_strdup_printf("/proc/sys/net/ipv6/conf/%s/disable_ipv6", def->bridge);
    g_autofree char *accept_ra = g_strdup_printf("/proc/sys/net/ipv6/conf/%s/accept_ra", def->bridge);
    g_autofree char *autoconf = g_strdup_printf("/proc/sys/net/ipv6/conf/%s/autoconf", def->bridge);

    return write_sysctl(disable, "0\n", error) && write_sysctl(accept_ra, "0\n", error) &&
           write_sysctl(autoconf, "0\n", error) &&
           vb_link_add_ipv6(def->bridge, addr, (guint)vb_network_ip_def_prefix(ip), error);
}

static gboolean
make_bridge(const VbNetworkDef *def, GError **error)
{
    gboolean stp = def->stp != VB_TRISTATE_NO;

    if (vb_link_exists(def->bridge)) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "bridge name '%s' is already in use by another interface",
                     def->bridge);
        return FALSE;
    }
    if (!vb_bridge_create(def->bridge, def->mac, def->mtu, stp, def->delay, error))
        return FALSE;
    for (guint i = 0; i < def->ips->len; i++) {
        VbIpv4Net net;

        if (vb_ipv4_net_of(g_ptr_array_index(def->ips, i), &net) && !vb_link_add_ipv4(def->bridge, &net, error))
            goto fail;
    }
    if (vb_network_ipv6(def) && !add_bridge_ipv6(def, error))
        goto fail;
    if (vb_link_set_up(def->bridge, error))
        return TRUE;
fail:
    vb_link_delete(def->bridge, NULL);
    return FALSE;
}

/* IPv4 forwarding, and IPv6 forwarding for a network with an IPv6 subnet. */
static gboolean
enable_ip_forward(const VbNetworkDef *def, GError **error)
{
    return write_sysctl(IP_FORWARD, "1\n", error) &&
           (!vb_network_ipv6(def) || write_sysctl(IPV6_FORWARD, "1\n", error));
}

/* The definitions of the active networks, with @extra (starting) and without @skip (stopping). */
static GPtrArray *
active_defs(VbConn *conn, const VbNetworkDef *extra, const VbNetworkObj *skip)
{
    g_autoptr(GPtrArray) all = vb_obj_list_values(conn->networks);
    GPtrArray *defs = g_ptr_array_new();

    for (guint i = 0; i < all->len; i++) {
        VbNetworkObj *net = g_ptr_array_index(all, i);

        if (net->active && net != skip && vb_network_forward_is_routed(net->def->forward.mode))
            g_ptr_array_add(defs, net->def);
    }
    if (extra && vb_network_forward_is_routed(extra->forward.mode))
        g_ptr_array_add(defs, (gpointer)extra);
    return defs;
}

/* Undoes what start did for @def (each part that is there). */
static void
teardown(NetState *st, const VbNetworkDef *def)
{
    g_auto(VbDnsmasqFiles) files = { 0 };
    g_autoptr(GError) error = NULL;

    if (!vb_network_forward_is_routed(def->forward.mode))
        return;
    vb_dnsmasq_files_init(&files, st->state_dir, def->bridge);
    vb_dnsmasq_stop(&files);
    if (vb_link_exists(def->bridge) && !vb_link_delete(def->bridge, &error))
        g_warning("network '%s': %s", def->name, error->message);
}

static void
refresh_firewall(VbConn *conn, const VbNetworkObj *skip)
{
    g_autoptr(GPtrArray) defs = active_defs(conn, NULL, skip);
    g_autoptr(GError) error = NULL;

    if (!vb_firewall_apply(defs, &error))
        g_warning("cannot update the network firewall rules: %s", error->message);
}

static gboolean
start_routed(VbConn *conn, NetState *st, const VbNetworkDef *def, GError **error)
{
    g_auto(VbDnsmasqFiles) files = { 0 };
    g_autoptr(GPtrArray) defs = NULL;
    int mode = def->forward.mode;

    if (!check_families(def, error) || !check_addresses_free(def, error) || !check_ipv6_free(def, error) ||
        !make_bridge(def, error))
        return FALSE;
    vb_dnsmasq_files_init(&files, st->state_dir, def->bridge);
    defs = active_defs(conn, def, NULL);
    if ((vb_dnsmasq_wanted(def) && !vb_dnsmasq_start(def, &files, error)) ||
        ((mode == VB_NETWORK_FORWARD_NAT || mode == VB_NETWORK_FORWARD_ROUTE) && !enable_ip_forward(def, error)) ||
        !vb_firewall_apply(defs, error)) {
        teardown(st, def);
        return FALSE;
    }
    return TRUE;
}

static gboolean
start_network(VbConn *conn, VbNetworkObj *net, GError **error)
{
    NetState *st = net_state(conn);

    if (vb_network_forward_is_routed(net->def->forward.mode) && !start_routed(conn, st, net->def, error))
        return FALSE;
    if (!save_xml(st->state_dir, net->def, error)) {
        teardown(st, net->def);
        refresh_firewall(conn, net);
        return FALSE;
    }
    if (net->persistent && !net->new_def)
        net->new_def = vb_network_def_copy(net->def);
    net->active = TRUE;
    return TRUE;
}

static void
stop_network(VbConn *conn, VbNetworkObj *net)
{
    NetState *st = net_state(conn);
    g_autofree char *status = xml_file(st->state_dir, net->def->name);

    teardown(st, net->def);
    refresh_firewall(conn, net);
    g_unlink(status);
    net->active = FALSE;
    if (net->new_def)
        vb_conn_network_replace_def(conn, net, g_steal_pointer(&net->new_def));
}

/* ---- entry points ---- */

VbNetworkObj *
vb_network_define_xml(VbConn *conn, const char *xml, GError **error)
{
    VbNetworkObj *net = NULL;
    g_autoptr(VbNetworkDef) def = parse_network(conn, xml, FALSE, &net, error);
    VbPresence presence;

    if (!def || !save_xml(net_state(conn)->config_dir, def, error))
        return NULL;
    presence = net ? VB_PRESENCE_SAME : VB_PRESENCE_APPEARED;
    net = vb_conn_network_define(conn, net, g_steal_pointer(&def));
    emit_network(conn, net, VB_NETWORK_EVENT_DEFINED, presence);
    return net;
}

VbNetworkObj *
vb_network_create_xml(VbConn *conn, const char *xml, GError **error)
{
    VbNetworkObj *net = NULL;
    g_autoptr(VbNetworkDef) def = parse_network(conn, xml, TRUE, &net, error);

    if (!def)
        return NULL;
    if (net) {
        /* a defined network starts with this definition; its config waits in new_def */
        VbNetworkDef *config = vb_network_def_copy(net->def);

        vb_conn_network_replace_def(conn, net, g_steal_pointer(&def));
        net->new_def = config;
        if (!start_network(conn, net, error)) {
            vb_conn_network_replace_def(conn, net, g_steal_pointer(&net->new_def));
            return NULL;
        }
        emit_network(conn, net, VB_NETWORK_EVENT_STARTED, VB_PRESENCE_SAME);
        return net;
    }
    net = vb_network_obj_new(g_steal_pointer(&def));
    vb_obj_list_add(conn->networks, net);
    if (!start_network(conn, net, error)) {
        vb_obj_list_remove(conn->networks, net);
        return NULL;
    }
    emit_network(conn, net, VB_NETWORK_EVENT_STARTED, VB_PRESENCE_APPEARED);
    return net;
}

gboolean
vb_network_create(VbConn *conn, VbNetworkObj *net, GError **error)
{
    if (net->active) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "Network '%s' is already running", net->def->name);
        return FALSE;
    }
    if (!start_network(conn, net, error))
        return FALSE;
    emit_network(conn, net, VB_NETWORK_EVENT_STARTED, VB_PRESENCE_SAME);
    return TRUE;
}

gboolean
vb_network_destroy(VbConn *conn, VbNetworkObj *net, GError **error)
{
    if (!net->active) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "network '%s' is not active", net->def->name);
        return FALSE;
    }
    stop_network(conn, net);
    emit_network(conn, net, VB_NETWORK_EVENT_STOPPED, net->persistent ? VB_PRESENCE_SAME : VB_PRESENCE_GONE);
    if (!net->persistent)
        vb_obj_list_remove(conn->networks, net);
    return TRUE;
}

/* As libvirt: an active network stays up, transient from now on. */
gboolean
vb_network_undefine(VbConn *conn, VbNetworkObj *net, GError **error)
{
    NetState *st = net_state(conn);
    g_autofree char *path = xml_file(st->config_dir, net->def->name);

    if (!net->persistent) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "can't undefine transient network");
        return FALSE;
    }
    if (!set_autostart_link(st, net->def->name, FALSE, error) || !vb_file_remove(path, error))
        return FALSE;
    net->autostart = FALSE;
    net->persistent = FALSE;
    g_clear_pointer(&net->new_def, vb_network_def_free);
    emit_network(conn, net, VB_NETWORK_EVENT_UNDEFINED, net->active ? VB_PRESENCE_SAME : VB_PRESENCE_GONE);
    if (!net->active)
        vb_obj_list_remove(conn->networks, net);
    return TRUE;
}

gboolean
vb_network_set_autostart(VbConn *conn, VbNetworkObj *net, gboolean autostart, GError **error)
{
    if (!net->persistent) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "cannot set autostart for transient network");
        return FALSE;
    }
    if (!autostart == !net->autostart)
        return TRUE;
    if (!set_autostart_link(net_state(conn), net->def->name, autostart, error))
        return FALSE;
    net->autostart = autostart != FALSE;
    return TRUE;
}

char *
vb_network_get_xml_desc(VbConn *conn, VbNetworkObj *net, guint flags, GError **error)
{
    return vb_network_obj_format(net, flags, error);
}

/* The changed live definition takes effect at once: dnsmasq restarts with it (leases kept) and
 * the status file follows; a changed config is saved. */
gboolean
vb_network_update(VbConn *conn, VbNetworkObj *net, guint command, guint section, int parent_index, const char *xml,
                  guint flags, GError **error)
{
    NetState *st = net_state(conn);
    g_auto(VbDnsmasqFiles) files = { 0 };
    gboolean live = FALSE, config = FALSE;

    if (!vb_conn_network_update(conn, net, command, section, parent_index, xml, flags, &live, &config, error))
        return FALSE;
    if (config && !save_xml(st->config_dir, net->active && net->new_def ? net->new_def : net->def, error))
        return FALSE;
    if (!live)
        return TRUE;
    if (vb_network_forward_is_routed(net->def->forward.mode) && vb_dnsmasq_wanted(net->def)) {
        vb_dnsmasq_files_init(&files, st->state_dir, net->def->bridge);
        if (!vb_dnsmasq_restart(net->def, &files, error))
            return FALSE;
    }
    return save_xml(st->state_dir, net->def, error);
}

GPtrArray *
vb_network_get_dhcp_leases(VbConn *conn, VbNetworkObj *net, const char *mac, guint flags, GError **error)
{
    char canonical[VB_MAC_STRING_LEN] = "";
    const VbNetworkIpDef *ip = vb_network_ipv4(net->def);
    g_auto(VbDnsmasqFiles) files = { 0 };
    VbIpv4Net subnet;

    if (!vb_check_flags(flags, 0, "virNetworkGetDHCPLeases", error))
        return NULL;
    if (mac && *mac && !vb_mac_parse(mac, canonical)) {
        vb_set_error(error, VB_ERR_INVALID_MAC, "%s", mac);
        return NULL;
    }
    if (!net->active || !ip || !vb_ipv4_net_of(ip, &subnet) || !vb_network_forward_is_routed(net->def->forward.mode))
        return g_ptr_array_new_with_free_func((GDestroyNotify)g_variant_unref);
    vb_dnsmasq_files_init(&files, net_state(conn)->state_dir, net->def->bridge);
    return vb_dnsmasq_leases(files.leases, net->def->bridge, subnet.prefix, *canonical ? canonical : NULL);
}

const char *
vb_network_bridge_for(VbConn *conn, const char *network_name, GError **error)
{
    VbNetworkObj *net = vb_conn_network_by_name(conn, network_name, error);

    if (!net)
        return NULL;
    if (!net->active || !net->def->bridge) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "network '%s' is not active", network_name);
        return NULL;
    }
    return net->def->bridge;
}

/* ---- open and close ---- */

static void
load_config(VbConn *conn, NetState *st, const char *path)
{
    g_autofree char *xml = NULL;
    g_autofree char *link = NULL;
    g_autoptr(VbNetworkDef) def = NULL;
    g_autoptr(GError) error = NULL;
    VbNetworkObj *net = NULL;

    if (!g_file_get_contents(path, &xml, NULL, &error) || !(def = parse_network(conn, xml, FALSE, &net, &error))) {
        g_warning("skipping network configuration %s: %s", path, error->message);
        return;
    }
    if (net) {
        g_warning("skipping network configuration %s: network '%s' is loaded already", path, def->name);
        return;
    }
    link = xml_file(st->autostart_dir, def->name);
    net = vb_network_obj_new(g_steal_pointer(&def));
    net->persistent = TRUE;
    net->autostart = g_file_test(link, G_FILE_TEST_IS_SYMLINK);
    vb_obj_list_add(conn->networks, net);
}

static GPtrArray *
xml_files_in(const char *dir_path)
{
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
    const char *entry;

    while (dir && (entry = g_dir_read_name(dir))) {
        char *path = g_build_filename(dir_path, entry, NULL);

        if (g_str_has_suffix(entry, ".xml") && g_file_test(path, G_FILE_TEST_IS_REGULAR))
            g_ptr_array_add(paths, path);
        else
            g_free(path);
    }
    return paths;
}

/* A network left running: its bridge is still there (dnsmasq is started again if it died). */
static gboolean
still_running(NetState *st, const VbNetworkDef *def)
{
    g_auto(VbDnsmasqFiles) files = { 0 };
    g_autoptr(GError) error = NULL;

    if (!vb_network_forward_is_routed(def->forward.mode))
        return TRUE;
    if (!vb_link_exists(def->bridge))
        return FALSE;
    vb_dnsmasq_files_init(&files, st->state_dir, def->bridge);
    if (vb_dnsmasq_wanted(def) && !vb_dnsmasq_running(&files) && !vb_dnsmasq_start(def, &files, &error))
        g_warning("network '%s': %s", def->name, error->message);
    return TRUE;
}

static void
reattach(VbConn *conn, NetState *st, const char *path)
{
    g_autofree char *xml = NULL;
    g_autoptr(VbNetworkDef) def = NULL;
    g_autoptr(GError) error = NULL;
    VbNetworkObj *net;

    if (!g_file_get_contents(path, &xml, NULL, &error) || !(def = vb_network_def_parse(xml, 0, &error))) {
        g_warning("dropping network state %s: %s", path, error->message);
        g_unlink(path);
        return;
    }
    net = vb_obj_list_by_key(conn->networks, def->uuid);
    if ((net && !g_str_equal(net->def->name, def->name)) || !still_running(st, def)) {
        teardown(st, def);
        g_unlink(path);
        return;
    }
    if (net) {
        VbNetworkDef *config = vb_network_def_copy(net->def);

        vb_conn_network_replace_def(conn, net, g_steal_pointer(&def));
        net->new_def = config;
    } else {
        net = vb_network_obj_new(g_steal_pointer(&def));
        vb_obj_list_add(conn->networks, net);
    }
    net->active = TRUE;
}

static void
autostart_networks(VbConn *conn)
{
    g_autoptr(GPtrArray) all = vb_obj_list_values(conn->networks);

    for (guint i = 0; i < all->len; i++) {
        VbNetworkObj *net = g_ptr_array_index(all, i);
        g_autoptr(GError) error = NULL;

        if (!net->autostart || net->active)
            continue;
        if (start_network(conn, net, &error))
            emit_network(conn, net, VB_NETWORK_EVENT_STARTED, VB_PRESENCE_SAME);
        else
            g_warning("cannot autostart network '%s': %s", net->def->name, error->message);
    }
}

static void
net_state_free(NetState *st)
{
    g_free(st->config_dir);
    g_free(st->autostart_dir);
    g_free(st->state_dir);
    g_free(st);
}

gboolean
vb_network_open(VbConn *conn, gboolean privileged, GError **error)
{
    NetState *st = g_new0(NetState, 1);
    g_autoptr(GPtrArray) configs = NULL;
    g_autoptr(GPtrArray) running = NULL;

    if (privileged) {
        st->config_dir = g_build_filename(VB_SYSCONFDIR, "virtbus", "network", NULL);
        st->state_dir = g_build_filename(VB_RUNSTATEDIR, "virtbus", "network", NULL);
    } else {
        st->config_dir = g_build_filename(g_get_user_config_dir(), "virtbus", "network", NULL);
        st->state_dir = g_build_filename(g_get_user_runtime_dir(), "virtbus", "network", NULL);
    }
    st->autostart_dir = g_build_filename(st->config_dir, "autostart", NULL);
    conn->network = st;
    if (!vb_dir_make(st->config_dir, error) || !vb_dir_make(st->autostart_dir, error) || !vb_dir_make(st->state_dir, error)) {
        vb_network_close(conn);
        return FALSE;
    }
    configs = xml_files_in(st->config_dir);
    for (guint i = 0; i < configs->len; i++)
        load_config(conn, st, g_ptr_array_index(configs, i));
    running = xml_files_in(st->state_dir);
    for (guint i = 0; i < running->len; i++)
        reattach(conn, st, g_ptr_array_index(running, i));
    if (running->len)
        refresh_firewall(conn, NULL);
    autostart_networks(conn);
    return TRUE;
}

/* Networks keep running; the next open finds them again. */
void
vb_network_close(VbConn *conn)
{
    g_clear_pointer(&conn->network, net_state_free);
}
