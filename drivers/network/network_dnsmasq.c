/* network_dnsmasq.c: DHCP and DNS of a virtual network by dnsmasq (Debian's dnsmasq-base):
 * its config file, its process and its lease file.
 *
 * Every value written into the config is either canonical already (addresses and MACs, as
 * conf/ keeps them) or checked to be a plain token here, so no value can start another
 * config line or option. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drivers/network/network_private.h"

#define DNSMASQ "dnsmasq"
#define STOP_WAIT_MS 2000

void
vb_dnsmasq_files_init(VbDnsmasqFiles *files, const char *state_dir, const char *bridge)
{
    g_autofree char *base = g_build_filename(state_dir, bridge, NULL);

    files->conf = g_strconcat(base, ".conf", NULL);
    files->pid = g_strconcat(base, ".pid", NULL);
    files->leases = g_strconcat(base, ".leases", NULL);
    files->hosts = g_strconcat(base, ".addnhosts", NULL);
}

void
vb_dnsmasq_files_clear(VbDnsmasqFiles *files)
{
    g_clear_pointer(&files->conf, g_free);
    g_clear_pointer(&files->pid, g_free);
    g_clear_pointer(&files->leases, g_free);
    g_clear_pointer(&files->hosts, g_free);
}

gboolean
vb_dnsmasq_wanted(const VbNetworkDef *def)
{
    return vb_network_ipv4(def) != NULL || vb_network_ipv6(def) != NULL;
}

/* ---- the config ---- */

static gboolean
check_token(const char *what, const char *value, GError **error)
{
    if (vb_network_token_ok(value))
        return TRUE;
    vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "%s '%s' may hold only letters, digits, '.', '_' and '-'",
                 what, value);
    return FALSE;
}

static gboolean
check_path(const char *path, GError **error)
{
    if (!strpbrk(path, "\n\r"))
        return TRUE;
    vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "path '%s' does not fit in a dnsmasq config line", path);
    return FALSE;
}

static char *
lease_time(const VbNetworkDhcpLease *lease)
{
    static const char units[] = { 's', 'm', 'h' };

    if (!lease)
        return NULL;
    if (!lease->expiry)
        return g_strdup("infinite");
    return g_strdup_printf("%" G_GUINT64_FORMAT "%c", lease->expiry, units[CLAMP(lease->unit, 0, 2)]);
}

static void
add_range(GString *conf, const VbNetworkDhcpRange *range, const char *netmask)
{
    g_autofree char *time = lease_time(range->lease);

    g_string_append_printf(conf, "dhcp-range=%s,%s,%s%s%s\n", range->start, range->end, netmask, time ? "," : "",
                           time ? time : "");
}

static gboolean
add_host(GString *conf, const VbNetworkDhcpHost *host, GError **error)
{
    g_autofree char *time = lease_time(host->lease);
    g_autoptr(GPtrArray) fields = g_ptr_array_new();

    if (host->name && !check_token("DHCP host name", host->name, error))
        return FALSE;
    if (host->mac)
        g_ptr_array_add(fields, host->mac);
    if (host->ip)
        g_ptr_array_add(fields, host->ip);
    if (host->name)
        g_ptr_array_add(fields, host->name);
    if (time)
        g_ptr_array_add(fields, time);
    g_ptr_array_add(fields, NULL);
    if (fields->len > 1) {
        g_autofree char *line = g_strjoinv(",", (char **)fields->pdata);
        g_string_append_printf(conf, "dhcp-host=%s\n", line);
    }
    return TRUE;
}

static guint
range_size(const VbNetworkDhcpRange *range)
{
    VbIpv4Net start = { 0 }, end = { 0 };
    VbNetworkIpDef probe = { .address = range->start, .prefix = 32 };

    if (!vb_ipv4_net_of(&probe, &start))
        return 0;
    probe.address = range->end;
    if (!vb_ipv4_net_of(&probe, &end))
        return 0;
    return end.addr - start.addr + 1;
}

/* A TXT record's text, quoted for dnsmasq; refused when it holds what would need escaping. */
static gboolean
check_txt_value(const char *value, GError **error)
{
    for (const char *p = value; *p; p++) {
        if ((guchar)*p < 0x20 || *p == '"' || *p == '\\') {
            vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "DNS TXT record value '%s' may not hold quotes, "
                         "backslashes or control characters", value);
            return FALSE;
        }
    }
    return TRUE;
}

/* <txt> and <srv>: txt-record= and srv-host= lines, as libvirt writes them. */
static gboolean
add_dns_records(GString *conf, const VbNetworkDns *dns, GError **error)
{
    for (guint i = 0; i < dns->txts->len; i++) {
        const VbNetworkDnsTxt *txt = g_ptr_array_index(dns->txts, i);

        if (!check_token("DNS TXT record name", txt->name, error) || !check_txt_value(txt->value, error))
            return FALSE;
        g_string_append_printf(conf, "txt-record=%s,\"%s\"\n", txt->name, txt->value);
    }
    for (guint i = 0; i < dns->srvs->len; i++) {
        const VbNetworkDnsSrv *srv = g_ptr_array_index(dns->srvs, i);

        if (!check_token("DNS SRV service", srv->service, error) ||
            !check_token("DNS SRV protocol", srv->protocol, error) ||
            (srv->domain && !check_token("DNS SRV domain", srv->domain, error)) ||
            (srv->target && !check_token("DNS SRV target", srv->target, error)))
            return FALSE;
        g_string_append_printf(conf, "srv-host=_%s._%s", srv->service, srv->protocol);
        if (srv->domain)
            g_string_append_printf(conf, ".%s", srv->domain);
        if (srv->target)
            g_string_append_printf(conf, ",%s", srv->target);
        if (srv->port)
            g_string_append_printf(conf, ",%u", srv->port);
        if (srv->priority)
            g_string_append_printf(conf, ",%u", srv->priority);
        if (srv->weight)
            g_string_append_printf(conf, ",%u", srv->weight);
        g_string_append_c(conf, '\n');
    }
    return TRUE;
}

static gboolean
add_dns(GString *conf, const VbNetworkDef *def, GError **error)
{
    if (def->dns.enable == VB_TRISTATE_NO) {
        g_string_append(conf, "port=0\n");
        return TRUE;
    }
    if (def->domain) {
        if (!check_token("domain name", def->domain, error))
            return FALSE;
        g_string_append_printf(conf, "domain=%s\nexpand-hosts\n", def->domain);
        if (def->domain_local_only == VB_TRISTATE_YES)
            g_string_append_printf(conf, "local=/%s/\n", def->domain);
    }
    if (def->dns.forward_plain_names == VB_TRISTATE_NO)
        g_string_append(conf, "domain-needed\n");
    if (!add_dns_records(conf, &def->dns, error))
        return FALSE;
    for (guint i = 0; i < def->dns.forwarders->len; i++) {
        const VbNetworkDnsForwarder *fwd = g_ptr_array_index(def->dns.forwarders, i);

        if (fwd->domain && !check_token("DNS forwarder domain", fwd->domain, error))
            return FALSE;
        if (fwd->domain)
            g_string_append_printf(conf, "server=/%s/%s\n", fwd->domain, fwd->addr ? fwd->addr : "");
        else if (fwd->addr)
            g_string_append_printf(conf, "server=%s\n", fwd->addr);
    }
    return TRUE;
}

/* The IPv4 subnet's ranges and hosts; the lease count they allow is added to @leases. */
static gboolean
add_ipv4(GString *conf, const VbNetworkIpDef *ip, guint *leases, GError **error)
{
    g_autofree char *netmask = NULL;
    VbIpv4Net net;

    if (!vb_ipv4_net_of(ip, &net)) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "'%s' is not an IPv4 subnet", ip->address);
        return FALSE;
    }
    netmask = vb_ipv4_to_string(net.prefix ? 0xffffffffu << (32 - net.prefix) : 0);
    for (guint i = 0; i < ip->ranges->len; i++) {
        add_range(conf, g_ptr_array_index(ip->ranges, i), netmask);
        *leases += range_size(g_ptr_array_index(ip->ranges, i));
    }
    for (guint i = 0; i < ip->hosts->len; i++) {
        if (!add_host(conf, g_ptr_array_index(ip->hosts, i), error))
            return FALSE;
    }
    *leases += ip->hosts->len;
    return TRUE;
}

/* A DHCPv6 client id (DUID): hex digits and colons. */
static gboolean
check_duid(const char *id, GError **error)
{
    if (*id && strspn(id, "0123456789abcdefABCDEF:") == strlen(id))
        return TRUE;
    vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "DHCP host id '%s' is not a DUID (hex digits and ':')", id);
    return FALSE;
}

/* Router advertisements on the bridge; DHCPv6 for the ranges, else stateless (SLAAC). */
static gboolean
add_ipv6(GString *conf, const VbNetworkIpDef *ip, guint *leases, GError **error)
{
    g_autoptr(GInetAddressMask) mask = vb_ipv6_net_of(ip);
    g_autofree char *base = NULL;
    guint prefix;

    if (!mask) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "'%s' is not an IPv6 subnet", ip->address);
        return FALSE;
    }
    base = g_inet_address_to_string(g_inet_address_mask_get_address(mask));
    prefix = g_inet_address_mask_get_length(mask);
    g_string_append(conf, "enable-ra\n");
    if (!ip->ranges->len && !ip->hosts->len) {
        g_string_append_printf(conf, "dhcp-range=%s,ra-only\n", base);
        return TRUE;
    }
    for (guint i = 0; i < ip->ranges->len; i++) {
        const VbNetworkDhcpRange *range = g_ptr_array_index(ip->ranges, i);
        g_autofree char *time = lease_time(range->lease);

        g_string_append_printf(conf, "dhcp-range=%s,%s,%u%s%s\n", range->start, range->end, prefix,
                               time ? "," : "", time ? time : "");
        *leases += 65535;   /* conf checks an IPv6 range holds fewer */
    }
    for (guint i = 0; i < ip->hosts->len; i++) {
        const VbNetworkDhcpHost *host = g_ptr_array_index(ip->hosts, i);

        if ((host->name && !check_token("DHCP host name", host->name, error)) || (host->id && !check_duid(host->id, error)))
            return FALSE;
        g_string_append_printf(conf, "dhcp-host=%s%s%s[%s]%s%s\n", host->id ? "id:" : "", host->id ? host->id : "",
                               host->id ? "," : "", host->ip ? host->ip : "", host->name ? "," : "",
                               host->name ? host->name : "");
        (*leases)++;
    }
    return TRUE;
}

char *
vb_dnsmasq_config(const VbNetworkDef *def, const VbDnsmasqFiles *files, GError **error)
{
    g_autoptr(GString) conf = g_string_new(NULL);
    const VbNetworkIpDef *ip4 = vb_network_ipv4(def);
    const VbNetworkIpDef *ip6 = vb_network_ipv6(def);
    guint leases = 0;

    if (!ip4 && !ip6) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "network '%s' has no address for dnsmasq", def->name);
        return NULL;
    }
    if (!check_token("bridge name", def->bridge, error) || !check_path(files->pid, error) ||
        !check_path(files->leases, error) || !check_path(files->hosts, error))
        return NULL;
    g_string_append_printf(conf, "# virtbusd: dnsmasq for network %s; generated, do not edit\n", def->uuid);
    g_string_append_printf(conf, "strict-order\npid-file=%s\nexcept-interface=lo\nbind-dynamic\ninterface=%s\n",
                           files->pid, def->bridge);
    if (!add_dns(conf, def, error) || (ip4 && !add_ipv4(conf, ip4, &leases, error)) ||
        (ip6 && !add_ipv6(conf, ip6, &leases, error)))
        return NULL;
    if ((ip4 && (ip4->ranges->len || ip4->hosts->len)) || (ip6 && (ip6->ranges->len || ip6->hosts->len)))
        g_string_append_printf(conf, "dhcp-no-override\ndhcp-authoritative\ndhcp-lease-max=%u\n"
                                     "dhcp-leasefile=%s\n", leases, files->leases);
    g_string_append_printf(conf, "addn-hosts=%s\n", files->hosts);
    return g_string_free(g_steal_pointer(&conf), FALSE);
}

/* <dns><host ip=><hostname>...: an /etc/hosts style file. */
char *
vb_dnsmasq_addn_hosts(const VbNetworkDef *def, GError **error)
{
    g_autoptr(GString) hosts = g_string_new(NULL);

    for (guint i = 0; i < def->dns.hosts->len; i++) {
        const VbNetworkDnsHost *host = g_ptr_array_index(def->dns.hosts, i);

        g_string_append(hosts, host->ip);
        for (guint j = 0; j < host->hostnames->len; j++) {
            if (!check_token("DNS host name", g_ptr_array_index(host->hostnames, j), error))
                return NULL;
            g_string_append_printf(hosts, " %s", (char *)g_ptr_array_index(host->hostnames, j));
        }
        g_string_append_c(hosts, '\n');
    }
    return g_string_free(g_steal_pointer(&hosts), FALSE);
}

/* ---- the process ---- */

static gboolean
write_file(const char *path, const char *text, GError **error)
{
    g_autoptr(GError) local = NULL;

    if (g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &local))
        return TRUE;
    vb_set_error(error, VB_ERR_SYSTEM_ERROR, "cannot write '%s': %s", path, local->message);
    return FALSE;
}

static void
remove_files(const VbDnsmasqFiles *files)
{
    g_autofree char *log = g_strconcat(files->conf, ".log", NULL);

    unlink(files->conf);
    unlink(files->pid);
    unlink(files->leases);
    unlink(files->hosts);
    unlink(log);
}

gboolean
vb_dnsmasq_start(const VbNetworkDef *def, const VbDnsmasqFiles *files, GError **error)
{
    g_autofree char *conf = vb_dnsmasq_config(def, files, error);
    g_autofree char *hosts = conf ? vb_dnsmasq_addn_hosts(def, error) : NULL;
    g_autofree char *conf_arg = g_strconcat("--conf-file=", files->conf, NULL);
    g_autofree char *log = g_strconcat(files->conf, ".log", NULL);
    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
    g_autoptr(GSubprocess) proc = NULL;
    g_autoptr(GError) local = NULL;
    g_autofree char *output = NULL;

    if (!hosts || !write_file(files->conf, conf, error) || !write_file(files->hosts, hosts, error))
        goto fail;
    /* it daemonizes once it is set up, so its output goes to a file, not a pipe held open */
    g_subprocess_launcher_set_stderr_file_path(launcher, log);
    if (!(proc = g_subprocess_launcher_spawn(launcher, &local, DNSMASQ, conf_arg, NULL)) ||
        !g_subprocess_wait_check(proc, NULL, &local)) {
        g_file_get_contents(log, &output, NULL, NULL);
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "cannot start dnsmasq for network '%s': %s%s%s", def->name,
                     local->message, output && *output ? ": " : "", output ? g_strstrip(output) : "");
        goto fail;
    }
    unlink(log);
    return TRUE;

fail:
    vb_dnsmasq_stop(files);
    return FALSE;
}

static GPid
read_pid(const char *path)
{
    g_autofree char *text = NULL;
    char *end;
    long pid;

    if (!g_file_get_contents(path, &text, NULL, NULL))
        return 0;
    pid = strtol(text, &end, 10);
    return pid > 0 && pid < G_MAXINT && end != text ? (GPid)pid : 0;
}

/* Alive, not a zombie, and a dnsmasq started with our config (not a recycled pid). */
static gboolean
is_our_dnsmasq(GPid pid, const char *conf)
{
    g_autofree char *stat_path = g_strdup_printf("/proc/%d/stat", pid);
    g_autofree char *cmd_path = g_strdup_printf("/proc/%d/cmdline", pid);
    g_autofree char *stat = NULL;
    g_autofree char *cmdline = NULL;
    g_autofree char *conf_arg = g_strconcat("--conf-file=", conf, NULL);
    const char *state;
    gsize len;

    if (!g_file_get_contents(stat_path, &stat, NULL, NULL) || !g_file_get_contents(cmd_path, &cmdline, &len, NULL))
        return FALSE;
    state = strrchr(stat, ')');
    if (!state || state[1] != ' ' || state[2] == 'Z' || state[2] == 'X')
        return FALSE;
    for (gsize i = 0; i < len; i += strlen(cmdline + i) + 1) {
        if (g_str_equal(cmdline + i, conf_arg))
            return TRUE;
    }
    return FALSE;
}

GPid
vb_dnsmasq_running(const VbDnsmasqFiles *files)
{
    GPid pid = read_pid(files->pid);

    return pid && is_our_dnsmasq(pid, files->conf) ? pid : 0;
}

/* Gone, or a zombie: either way its sockets are closed. (Its cmdline reads empty already
 * while it is still exiting, so is_our_dnsmasq cannot tell.) */
static gboolean
process_gone(GPid pid)
{
    g_autofree char *stat_path = g_strdup_printf("/proc/%d/stat", pid);
    g_autofree char *stat = NULL;
    const char *state;

    if (!g_file_get_contents(stat_path, &stat, NULL, NULL))
        return TRUE;
    state = strrchr(stat, ')');
    return !state || state[1] != ' ' || state[2] == 'Z' || state[2] == 'X';
}

static void
stop_process(const VbDnsmasqFiles *files)
{
    GPid pid = vb_dnsmasq_running(files);

    if (pid && kill(pid, SIGTERM) == 0) {
        for (int waited = 0; waited < STOP_WAIT_MS && is_our_dnsmasq(pid, files->conf); waited += 10)
            g_usleep(10 * 1000);
        if (is_our_dnsmasq(pid, files->conf))
            kill(pid, SIGKILL);
        for (int waited = 0; waited < STOP_WAIT_MS && !process_gone(pid); waited += 10)
            g_usleep(10 * 1000);
    }
}

void
vb_dnsmasq_stop(const VbDnsmasqFiles *files)
{
    stop_process(files);
    remove_files(files);
}

/* dnsmasq reads dhcp-host and dhcp-range lines only at start: a changed network restarts it;
 * the lease file stays, so clients keep their addresses. */
gboolean
vb_dnsmasq_restart(const VbNetworkDef *def, const VbDnsmasqFiles *files, GError **error)
{
    stop_process(files);
    return vb_dnsmasq_start(def, files, error);
}

/* ---- leases ---- */

/* A line of dnsmasq's lease file: "<expiry> <mac> <ip> <hostname|*> <client id|*>". */
static GVariant *
parse_lease(const char *line, const char *bridge, guint prefix, const char *mac, gint64 now)
{
    g_auto(GStrv) fields = g_strsplit_set(line, " \t", 0);
    char canonical[VB_MAC_STRING_LEN];
    gint64 expiry;
    char *end;

    /* the client chose its name and id: they must at least be text */
    if (!g_utf8_validate(line, -1, NULL) || g_strv_length(fields) < 5 || !vb_mac_parse(fields[1], canonical) || !g_hostname_is_ip_address(fields[2]) ||
        strchr(fields[2], ':'))
        return NULL;
    expiry = g_ascii_strtoll(fields[0], &end, 10);
    if (*end || end == fields[0] || (expiry && expiry < now) || (mac && !g_str_equal(mac, canonical)))
        return NULL;
    return g_variant_ref_sink(g_variant_new("(sxisssuss)", bridge, expiry, 0 /* VIR_IP_ADDR_TYPE_IPV4 */, canonical,
                                            "", fields[2], prefix, g_str_equal(fields[3], "*") ? "" : fields[3],
                                            g_str_equal(fields[4], "*") ? "" : fields[4]));
}

GPtrArray *
vb_dnsmasq_leases(const char *path, const char *bridge, guint prefix, const char *mac)
{
    GPtrArray *leases = g_ptr_array_new_with_free_func((GDestroyNotify)g_variant_unref);
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL))
        return leases;
    lines = g_strsplit(text, "\n", 0);
    for (guint i = 0; lines[i]; i++) {
        GVariant *lease = parse_lease(g_strstrip(lines[i]), bridge, prefix, mac, now);

        if (lease)
            g_ptr_array_add(leases, lease);
    }
    return leases;
}
