/* network_firewall.c: the nftables rules of the virtual networks, all in one table of our own,
 * `inet virtbus`, made anew from the active networks whenever one starts or stops. `nft -f -`
 * reads the generated ruleset; bridge names and subnets in it are checked or canonical, so no
 * value can end a string or a statement. */
#include "config.h"

#include "drivers/network/network_private.h"

#define NFT "nft"
#define TABLE "inet virtbus"

/* IPv6 is routed, never masqueraded (as libvirt): both directions pass for nat and route. */
static void
add_ipv6_rules(GString *fwd, const VbNetworkDef *def)
{
    const VbNetworkIpDef *ip = vb_network_ipv6(def);
    g_autoptr(GInetAddressMask) mask = ip ? vb_ipv6_net_of(ip) : NULL;
    g_autofree char *subnet = mask ? g_inet_address_mask_to_string(mask) : NULL;
    int mode = def->forward.mode;

    if (!subnet || (mode != VB_NETWORK_FORWARD_NAT && mode != VB_NETWORK_FORWARD_ROUTE))
        return;
    g_string_append_printf(fwd, "        iifname \"%s\" ip6 saddr %s accept\n", def->bridge, subnet);
    g_string_append_printf(fwd, "        oifname \"%s\" ip6 daddr %s accept\n", def->bridge, subnet);
}

static gboolean
add_network_rules(GString *fwd, GString *nat, const VbNetworkDef *def, GError **error)
{
    const VbNetworkIpDef *ip = vb_network_ipv4(def);
    g_autofree char *subnet = NULL;
    VbIpv4Net net;
    int mode = def->forward.mode;
    const char *dev = def->forward.interfaces->len ? g_ptr_array_index(def->forward.interfaces, 0) : NULL;

    if (mode == VB_NETWORK_FORWARD_OPEN)
        return TRUE;
    if (!vb_network_token_ok(def->bridge)) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "bridge name '%s' is not valid", def->bridge);
        return FALSE;
    }
    /* guests on one bridge always reach each other */
    g_string_append_printf(fwd, "        iifname \"%s\" oifname \"%s\" accept\n", def->bridge, def->bridge);
    if ((mode == VB_NETWORK_FORWARD_NAT || mode == VB_NETWORK_FORWARD_ROUTE) && ip && vb_ipv4_net_of(ip, &net)) {
        g_autofree char *base = vb_ipv4_to_string(net.prefix ? net.addr & (0xffffffffu << (32 - net.prefix)) : 0);

        subnet = g_strdup_printf("%s/%u", base, net.prefix);
        g_string_append_printf(fwd, "        iifname \"%s\" ip saddr %s accept\n", def->bridge, subnet);
        g_string_append_printf(fwd, "        oifname \"%s\" ip daddr %s %saccept\n", def->bridge, subnet,
                               mode == VB_NETWORK_FORWARD_NAT ? "ct state related,established " : "");
    }
    add_ipv6_rules(fwd, def);
    g_string_append_printf(fwd, "        iifname \"%s\" reject\n        oifname \"%s\" reject\n", def->bridge,
                           def->bridge);
    if (mode == VB_NETWORK_FORWARD_NAT && subnet) {
        /* multicast and broadcast stay as they are; everything else leaving elsewhere (or by
         * <forward dev=> only) is masqueraded */
        g_autofree char *out = NULL;

        if (dev && !vb_network_token_ok(dev)) {
            vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "forward device name '%s' is not valid", dev);
            return FALSE;
        }
        out = dev ? g_strdup_printf("oifname \"%s\"", dev) : g_strdup_printf("oifname != \"%s\"", def->bridge);
        g_string_append_printf(nat, "        ip saddr %s ip daddr 224.0.0.0/24 return\n", subnet);
        g_string_append_printf(nat, "        ip saddr %s ip daddr 255.255.255.255 return\n", subnet);
        g_string_append_printf(nat, "        ip saddr %s ip daddr != %s %s masquerade\n", subnet, subnet, out);
    }
    return TRUE;
}

char *
vb_firewall_ruleset(GPtrArray *defs, GError **error)
{
    g_autoptr(GString) fwd = g_string_new(NULL);
    g_autoptr(GString) nat = g_string_new(NULL);
    g_autoptr(GString) rules = g_string_new(NULL);

    for (guint i = 0; i < defs->len; i++) {
        if (!add_network_rules(fwd, nat, g_ptr_array_index(defs, i), error))
            return NULL;
    }
    /* creating it first makes the delete valid when there is none */
    g_string_append(rules, "add table " TABLE "\ndelete table " TABLE "\n");
    if (!fwd->len && !nat->len)
        return g_string_free(g_steal_pointer(&rules), FALSE);
    g_string_append(rules, "table " TABLE " {\n");
    g_string_append_printf(rules, "    chain forward {\n        type filter hook forward priority filter; "
                                  "policy accept;\n%s    }\n", fwd->str);
    g_string_append_printf(rules, "    chain postrouting {\n        type nat hook postrouting priority srcnat; "
                                  "policy accept;\n%s    }\n", nat->str);
    g_string_append(rules, "}\n");
    return g_string_free(g_steal_pointer(&rules), FALSE);
}

gboolean
vb_firewall_apply(GPtrArray *defs, GError **error)
{
    g_autofree char *rules = vb_firewall_ruleset(defs, error);
    g_autoptr(GSubprocess) proc = NULL;
    g_autoptr(GError) local = NULL;
    g_autofree char *err = NULL;

    if (!rules)
        return FALSE;
    if (!(proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                      G_SUBPROCESS_FLAGS_STDERR_PIPE, &local, NFT, "-f", "-", NULL)) ||
        !g_subprocess_communicate_utf8(proc, rules, NULL, NULL, &err, &local)) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "cannot run nft: %s", local->message);
        return FALSE;
    }
    if (!g_subprocess_get_successful(proc)) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "nft refused the virtbus ruleset: %s",
                     err ? g_strstrip(err) : "");
        return FALSE;
    }
    return TRUE;
}
