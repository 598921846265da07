/* network_private.h: shared between the files of drivers/network; not for other users. */
#pragma once

#include "conf/vb_error.h"
#include "drivers/network/network_driver.h"

/* An IPv4 subnet: address and prefix length, host byte order. */
typedef struct {
    guint32 addr;
    guint prefix;
} VbIpv4Net;

/* ---- network_bridge.c: links and addresses through rtnetlink ---- */

gboolean vb_link_exists(const char *name);
/* A new bridge @name with @mac (aa:bb:..), @mtu (0: the default), STP and forward @delay (s). */
gboolean vb_bridge_create(const char *name, const char *mac, guint mtu, gboolean stp, guint64 delay,
                          GError **error);
gboolean vb_link_set_up(const char *name, GError **error);
gboolean vb_link_add_ipv4(const char *name, const VbIpv4Net *net, GError **error);
/* An IPv6 address usable at once (no duplicate address detection), as libvirt adds it. */
gboolean vb_link_add_ipv6(const char *name, GInetAddress *addr, guint prefix, GError **error);
gboolean vb_link_delete(const char *name, GError **error);
/* Every IPv4 address of the host as (interface name, subnet), for overlap checks: a
 * GPtrArray of VbHostAddr. */
typedef struct {
    char *ifname;
    VbIpv4Net net;
} VbHostAddr;
GPtrArray *vb_host_ipv4_addrs(GError **error);
/* Every IPv6 address of the host as (interface name, GInetAddressMask): a GPtrArray of
 * VbHostAddr6. */
typedef struct {
    char *ifname;
    GInetAddressMask *net;
} VbHostAddr6;
GPtrArray *vb_host_ipv6_addrs(GError **error);

/* ---- network_dnsmasq.c ---- */

/* Files of a running network in the state dir, all named after its bridge. */
typedef struct {
    char *conf, *pid, *leases, *hosts;
} VbDnsmasqFiles;
void vb_dnsmasq_files_init(VbDnsmasqFiles *files, const char *state_dir, const char *bridge);
void vb_dnsmasq_files_clear(VbDnsmasqFiles *files);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VbDnsmasqFiles, vb_dnsmasq_files_clear)

/* TRUE when @def needs dnsmasq (it has an IPv4 address). */
gboolean vb_dnsmasq_wanted(const VbNetworkDef *def);
/* dnsmasq's config for @def on @bridge; refuses values that do not fit a config line. */
char *vb_dnsmasq_config(const VbNetworkDef *def, const VbDnsmasqFiles *files, GError **error);
char *vb_dnsmasq_addn_hosts(const VbNetworkDef *def, GError **error);
/* Writes the files and starts dnsmasq (it daemonizes once ready). */
gboolean vb_dnsmasq_start(const VbNetworkDef *def, const VbDnsmasqFiles *files, GError **error);
/* The pid of the dnsmasq running with @files' config, or 0. */
GPid vb_dnsmasq_running(const VbDnsmasqFiles *files);
/* Stops it (if running) and removes the files. */
void vb_dnsmasq_stop(const VbDnsmasqFiles *files);
/* Starts it again with @def's config, keeping the leases. */
gboolean vb_dnsmasq_restart(const VbNetworkDef *def, const VbDnsmasqFiles *files, GError **error);
/* The leases in dnsmasq's lease file as (sxisssuss) tuples (virNetworkDHCPLease), only
 * those of @mac when not NULL; @prefix is the network's. */
GPtrArray *vb_dnsmasq_leases(const char *path, const char *bridge, guint prefix, const char *mac);

/* ---- network_firewall.c ---- */

/* The `inet virtbus` table for the active routed networks in @defs (VbNetworkDef), replacing
 * the old one atomically; no networks needing rules: the table goes. */
gboolean vb_firewall_apply(GPtrArray *defs, GError **error);
char *vb_firewall_ruleset(GPtrArray *defs, GError **error);

/* ---- shared (network_driver.c) ---- */

/* The first IPv4 <ip> of @def, or NULL. */
const VbNetworkIpDef *vb_network_ipv4(const VbNetworkDef *def);
/* The first IPv6 <ip> of @def, or NULL. */
const VbNetworkIpDef *vb_network_ipv6(const VbNetworkDef *def);
/* The subnet @addr/@prefix as a mask (host bits cleared). */
GInetAddressMask *vb_ipv6_mask_new(GInetAddress *addr, guint prefix);
/* @ip's subnet as a mask (its network address and prefix), or NULL if it is not IPv6. */
GInetAddressMask *vb_ipv6_net_of(const VbNetworkIpDef *ip);
/* @ip's subnet; FALSE if it is not IPv4. */
gboolean vb_ipv4_net_of(const VbNetworkIpDef *ip, VbIpv4Net *net);
char *vb_ipv4_to_string(guint32 addr);
/* TRUE when @s is a non-empty run of letters, digits and "._-" (fits config lines and nft
 * strings without quoting). */
gboolean vb_network_token_ok(const char *s);
