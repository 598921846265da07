/* network_conf.c: libvirt's network XML, one parse/format pair per element, and the
 * virNetworkUpdate sections */
#include "network_conf.h"
#include "vb_schema.h"

#include <string.h>
#include <gio/gio.h>

VB_ENUM_IMPL(vb_network_forward, VB_NETWORK_FORWARD_LAST,
             "none", "nat", "route", "open", "bridge", "private", "vepa", "passthrough", "hostdev");
VB_ENUM_IMPL(vb_network_forward_driver, VB_NETWORK_FORWARD_DRIVER_LAST,
             "default", "kvm", "vfio");
VB_ENUM_IMPL(vb_network_mac_table_manager, VB_NETWORK_MAC_TABLE_MANAGER_LAST,
             "default", "kernel", "libvirt");
VB_ENUM_IMPL(vb_network_lease_unit, VB_NETWORK_LEASE_UNIT_LAST,
             "seconds", "minutes", "hours");
VB_ENUM_IMPL(vb_network_vlan_native, VB_NETWORK_VLAN_NATIVE_LAST,
             "default", "tagged", "untagged");
VB_ENUM_IMPL(vb_network_virtualport, VB_NETWORK_VIRTUALPORT_LAST,
             "none", "802.1Qbg", "802.1Qbh", "openvswitch", "midonet");

/* What the parse helpers need besides their node. */
typedef struct {
    const char *netname;
    const VbNetworkIpDef *ip;   /* the <ip> whose <dhcp> children are read */
    gboolean partial;           /* virNetworkUpdate DELETE: identifying attributes suffice */
} NetCtx;

typedef gpointer (*NetItemParser)(xmlNodePtr node, const NetCtx *ctx, GError **error);

static const char *
yes_no(VbTristate value)
{
    return value == VB_TRISTATE_YES ? "yes" : "no";
}

/* ---- lifetimes ---------------------------------------------------------------------- */

static void
net_bandwidth_free(VbNetworkBandwidth *bw)
{
    if (!bw)
        return;
    g_free(bw->inbound);
    g_free(bw->outbound);
    g_free(bw);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbNetworkBandwidth, net_bandwidth_free)

static void
net_vlan_free(VbNetworkVlan *vlan)
{
    if (!vlan)
        return;
    g_array_unref(vlan->tags);
    g_free(vlan);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbNetworkVlan, net_vlan_free)

static void
net_param_free(VbNetworkParam *param)
{
    g_free(param->name);
    g_free(param->value);
    g_free(param);
}

static void
net_virtualport_free(VbNetworkVirtualPort *vp)
{
    if (!vp)
        return;
    g_ptr_array_unref(vp->params);
    g_free(vp);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbNetworkVirtualPort, net_virtualport_free)

static void
net_portgroup_free(VbNetworkPortGroup *pg)
{
    g_free(pg->name);
    net_vlan_free(pg->vlan);
    net_virtualport_free(pg->virtualport);
    net_bandwidth_free(pg->bandwidth);
    g_free(pg);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbNetworkPortGroup, net_portgroup_free)

static void
net_dhcp_range_free(VbNetworkDhcpRange *range)
{
    g_free(range->start);
    g_free(range->end);
    g_free(range->lease);
    g_free(range);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbNetworkDhcpRange, net_dhcp_range_free)

static void
net_dhcp_host_free(VbNetworkDhcpHost *host)
{
    g_free(host->mac);
    g_free(host->id);
    g_free(host->name);
    g_free(host->ip);
    g_free(host->lease);
    g_free(host);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbNetworkDhcpHost, net_dhcp_host_free)

static void
net_ip_free(VbNetworkIpDef *ip)
{
    g_free(ip->family);
    g_free(ip->address);
    g_free(ip->netmask);
    g_free(ip->tftp_root);
    g_ptr_array_unref(ip->ranges);
    g_ptr_array_unref(ip->hosts);
    g_free(ip->bootp_file);
    g_free(ip->bootp_server);
    g_free(ip);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbNetworkIpDef, net_ip_free)

static void
net_route_free(VbNetworkRoute *route)
{
    g_free(route->family);
    g_free(route->address);
    g_free(route->netmask);
    g_free(route->gateway);
    g_free(route);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbNetworkRoute, net_route_free)

static void
net_dns_forwarder_free(VbNetworkDnsForwarder *fwd)
{
    g_free(fwd->domain);
    g_free(fwd->addr);
    g_free(fwd);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbNetworkDnsForwarder, net_dns_forwarder_free)

static void
net_dns_txt_free(VbNetworkDnsTxt *txt)
{
    g_free(txt->name);
    g_free(txt->value);
    g_free(txt);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbNetworkDnsTxt, net_dns_txt_free)

static void
net_dns_host_free(VbNetworkDnsHost *host)
{
    g_free(host->ip);
    g_ptr_array_unref(host->hostnames);
    g_free(host);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbNetworkDnsHost, net_dns_host_free)

static void
net_dns_srv_free(VbNetworkDnsSrv *srv)
{
    g_free(srv->service);
    g_free(srv->protocol);
    g_free(srv->domain);
    g_free(srv->target);
    g_free(srv);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbNetworkDnsSrv, net_dns_srv_free)

static GPtrArray *
list_new(gpointer free_func)
{
    return g_ptr_array_new_with_free_func((GDestroyNotify)free_func);
}

void
vb_network_def_free(VbNetworkDef *def)
{
    if (!def)
        return;
    g_free(def->name);
    g_free(def->forward.nat_start);
    g_free(def->forward.nat_end);
    g_ptr_array_unref(def->forward.pfs);
    g_ptr_array_unref(def->forward.interfaces);
    g_array_unref(def->forward.addresses);
    g_free(def->bridge);
    g_free(def->bridge_zone);
    g_free(def->mac);
    g_free(def->domain);
    g_ptr_array_unref(def->dns.forwarders);
    g_ptr_array_unref(def->dns.txts);
    g_ptr_array_unref(def->dns.hosts);
    g_ptr_array_unref(def->dns.srvs);
    net_vlan_free(def->vlan);
    net_bandwidth_free(def->bandwidth);
    g_ptr_array_unref(def->ips);
    g_ptr_array_unref(def->routes);
    net_virtualport_free(def->virtualport);
    g_ptr_array_unref(def->portgroups);
    g_free(def);
}

static VbNetworkDef *
net_def_new(void)
{
    VbNetworkDef *def = g_new0(VbNetworkDef, 1);

    def->forward.pfs = list_new(g_free);
    def->forward.interfaces = list_new(g_free);
    def->forward.addresses = g_array_new(FALSE, TRUE, sizeof(VbNodeDevicePciAddress));
    def->dns.forwarders = list_new(net_dns_forwarder_free);
    def->dns.txts = list_new(net_dns_txt_free);
    def->dns.hosts = list_new(net_dns_host_free);
    def->dns.srvs = list_new(net_dns_srv_free);
    def->ips = list_new(net_ip_free);
    def->routes = list_new(net_route_free);
    def->portgroups = list_new(net_portgroup_free);
    return def;
}

/* ---- addresses ---------------------------------------------------------------------- */

typedef struct {
    gsize len;                  /* 4 or 16 */
    guint8 bytes[16];
} NetAddr;

static gboolean
net_addr_parse(const char *str, NetAddr *out)
{
    g_autoptr(GInetAddress) addr = str ? g_inet_address_new_from_string(str) : NULL;

    if (!addr)
        return FALSE;
    out->len = g_inet_address_get_native_size(addr);
    memcpy(out->bytes, g_inet_address_to_bytes(addr), out->len);
    return TRUE;
}

/* 4, 6, or 0 when @str is not an address */
static int
net_addr_family(const char *str)
{
    NetAddr addr;

    if (!net_addr_parse(str, &addr))
        return 0;
    return addr.len == 4 ? 4 : 6;
}

static gboolean
net_addr_in_subnet(const NetAddr *addr, const NetAddr *net, int prefix)
{
    if (addr->len != net->len)
        return FALSE;
    for (int bit = 0; bit < prefix; bit++) {
        guint8 mask = (guint8)(0x80 >> (bit % 8));

        if ((addr->bytes[bit / 8] ^ net->bytes[bit / 8]) & mask)
            return FALSE;
    }
    return TRUE;
}

static int
net_addr_compare(const NetAddr *a, const NetAddr *b)
{
    return memcmp(a->bytes, b->bytes, MIN(a->len, b->len));
}

static guint32
net_addr_low32(const NetAddr *addr)
{
    guint32 value;

    memcpy(&value, addr->bytes + addr->len - 4, sizeof(value));
    return GUINT32_FROM_BE(value);
}

/* The number of leading one bits, or -1 when the mask is not contiguous. */
static int
net_addr_mask_bits(const NetAddr *mask)
{
    int bits = 0;
    gsize i = 0;

    for (; i < mask->len && mask->bytes[i] == 0xff; i++)
        bits += 8;
    if (i < mask->len) {
        guint8 byte = mask->bytes[i++];

        for (; byte & 0x80; byte = (guint8)(byte << 1))
            bits++;
        if (byte)
            return -1;
    }
    for (; i < mask->len; i++) {
        if (mask->bytes[i])
            return -1;
    }
    return bits;
}

/* Attribute @attr of @node as an IP address, stored in canonical spelling. */
static gboolean
net_prop_addr(xmlNodePtr node, const char *attr, gboolean required, const NetCtx *ctx, char **out,
              GError **error)
{
    g_autofree char *str = vb_xml_prop(node, attr);
    g_autoptr(GInetAddress) addr = NULL;

    if (!str) {
        if (!required)
            return TRUE;
        vb_set_error(error, VB_ERR_XML_ERROR,
                     "missing required attribute '%s' in element '%s' of network '%s'",
                     attr, (const char *)node->name, ctx->netname);
        return FALSE;
    }
    addr = g_inet_address_new_from_string(g_strstrip(str));
    if (!addr) {
        vb_set_error(error, VB_ERR_XML_ERROR,
                     "invalid IP address '%s' in attribute '%s' of element '%s' in network '%s'",
                     str, attr, (const char *)node->name, ctx->netname);
        return FALSE;
    }
    g_free(*out);
    *out = g_inet_address_to_string(addr);
    return TRUE;
}

int
vb_network_ip_def_prefix(const VbNetworkIpDef *ip)
{
    NetAddr addr, mask;

    if (ip->prefix > 0)
        return (int)ip->prefix;
    if (ip->netmask)
        return net_addr_parse(ip->netmask, &mask) ? net_addr_mask_bits(&mask) : -1;
    if (!net_addr_parse(ip->address, &addr))
        return -1;
    if (addr.len == 16)
        return 64;
    if ((addr.bytes[0] & 0x80) == 0)
        return 8;
    if ((addr.bytes[0] & 0xc0) == 0x80)
        return 16;
    if ((addr.bytes[0] & 0xe0) == 0xc0)
        return 24;
    return -1;
}

gboolean
vb_network_forward_is_routed(int mode)
{
    return mode == VB_NETWORK_FORWARD_NONE || mode == VB_NETWORK_FORWARD_NAT ||
           mode == VB_NETWORK_FORWARD_ROUTE || mode == VB_NETWORK_FORWARD_OPEN;
}

static gboolean
net_parse_list(xmlNodePtr parent, const char *name, NetItemParser parse, const NetCtx *ctx,
               GPtrArray *out, GError **error)
{
    VB_XML_FOREACH_CHILD(parent, name, node) {
        gpointer item = parse(node, ctx, error);

        if (!item)
            return FALSE;
        g_ptr_array_add(out, item);
    }
    return TRUE;
}

/* ---- <vlan> --------------------------------------------------------------------------- */

static gboolean
net_parse_vlan_tag(xmlNodePtr node, VbNetworkVlan *vlan, GError **error)
{
    guint id = 0;
    int native = VB_NETWORK_VLAN_NATIVE_DEFAULT;

    if (!vb_xml_prop_uint(node, "id", VB_XML_REQUIRED, &id, error) ||
        !vb_xml_prop_enum(node, "nativeMode", vb_network_vlan_native_from_string, VB_XML_NONZERO,
                          &native, error))
        return FALSE;
    if (id > 4095) {
        vb_set_error(error, VB_ERR_XML_ERROR, "vlan tag id %u too large (maximum 4095)", id);
        return FALSE;
    }
    if (native && vlan->native_mode) {
        vb_set_error(error, VB_ERR_XML_ERROR, "duplicate native vlan setting on tag id %u", id);
        return FALSE;
    }
    if (native) {
        vlan->native_mode = native;
        vlan->native_index = vlan->tags->len;
    }
    g_array_append_val(vlan->tags, id);
    return TRUE;
}

static gboolean
net_parse_vlan(xmlNodePtr parent, VbNetworkVlan **out, GError **error)
{
    xmlNodePtr node = vb_xml_child(parent, "vlan");
    g_autoptr(VbNetworkVlan) vlan = NULL;
    VbTristate trunk = VB_TRISTATE_ABSENT;

    if (!node)
        return TRUE;
    vlan = g_new0(VbNetworkVlan, 1);
    vlan->tags = g_array_new(FALSE, FALSE, sizeof(guint));
    if (!vb_xml_prop_tristate(node, "trunk", "yes", "no", &trunk, error))
        return FALSE;
    VB_XML_FOREACH_CHILD(node, "tag", tag) {
        if (!net_parse_vlan_tag(tag, vlan, error))
            return FALSE;
    }
    if (vlan->tags->len == 0) {
        vb_set_error(error, VB_ERR_XML_ERROR,
                     "missing tag id - each <vlan> must have at least one <tag id='n'/> subelement");
        return FALSE;
    }
    if (trunk == VB_TRISTATE_NO && (vlan->tags->len > 1 || vlan->native_mode)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "invalid configuration in <vlan> - \"trunk='no'\" is "
                     "not allowed with multiple tags or a native vlan id");
        return FALSE;
    }
    vlan->trunk = trunk == VB_TRISTATE_YES || vlan->tags->len > 1;
    *out = g_steal_pointer(&vlan);
    return TRUE;
}

static void
net_format_vlan(VbBuf *buf, const VbNetworkVlan *vlan)
{
    if (!vlan)
        return;
    vb_buf_add(buf, "<vlan%s>\n", vlan->trunk ? " trunk='yes'" : "");
    for (guint i = 0; i < vlan->tags->len; i++) {
        guint tag = g_array_index(vlan->tags, guint, i);

        vb_buf_add(buf, "  <tag id='%u'", tag);
        if (vlan->native_mode && vlan->native_index == i)
            vb_buf_add(buf, " nativeMode='%s'", vb_network_vlan_native_to_string(vlan->native_mode));
        vb_buf_add(buf, "/>\n");
    }
    vb_buf_add(buf, "</vlan>\n");
}

/* ---- <bandwidth> ---------------------------------------------------------------------- */

static gboolean
net_parse_rate(xmlNodePtr node, gboolean inbound, VbNetworkBandwidthRate **out, GError **error)
{
    g_autofree VbNetworkBandwidthRate *rate = g_new0(VbNetworkBandwidthRate, 1);

    if (!node)
        return TRUE;
    if (!vb_xml_prop_ull(node, "average", VB_XML_OPTIONAL, &rate->average, error) ||
        !vb_xml_prop_ull(node, "peak", VB_XML_OPTIONAL, &rate->peak, error) ||
        !vb_xml_prop_ull(node, "burst", VB_XML_OPTIONAL, &rate->burst, error) ||
        !vb_xml_prop_ull(node, "floor", VB_XML_OPTIONAL, &rate->floor, error))
        return FALSE;
    if (!inbound && rate->floor) {
        vb_set_error(error, VB_ERR_XML_ERROR, "floor attribute is supported only for <inbound>, "
                     "not in <outbound floor='%" G_GUINT64_FORMAT "'>", rate->floor);
        return FALSE;
    }
    if (!rate->average && !rate->floor) {
        vb_set_error(error, VB_ERR_XML_ERROR, "Missing mandatory average or floor attributes in <%s>",
                     (const char *)node->name);
        return FALSE;
    }
    *out = g_steal_pointer(&rate);
    return TRUE;
}

static gboolean
net_parse_bandwidth(xmlNodePtr parent, VbNetworkBandwidth **out, GError **error)
{
    xmlNodePtr node = vb_xml_child(parent, "bandwidth");
    g_autoptr(VbNetworkBandwidth) bw = NULL;

    if (!node)
        return TRUE;
    bw = g_new0(VbNetworkBandwidth, 1);
    if (!net_parse_rate(vb_xml_child(node, "inbound"), TRUE, &bw->inbound, error) ||
        !net_parse_rate(vb_xml_child(node, "outbound"), FALSE, &bw->outbound, error))
        return FALSE;
    if (bw->inbound || bw->outbound)
        *out = g_steal_pointer(&bw);
    return TRUE;
}

static void
net_format_rate(VbBuf *buf, const char *name, const VbNetworkBandwidthRate *rate)
{
    if (!rate)
        return;
    vb_buf_add(buf, "<%s", name);
    if (rate->average)
        vb_buf_add(buf, " average='%" G_GUINT64_FORMAT "'", rate->average);
    if (rate->peak)
        vb_buf_add(buf, " peak='%" G_GUINT64_FORMAT "'", rate->peak);
    if (rate->floor)
        vb_buf_add(buf, " floor='%" G_GUINT64_FORMAT "'", rate->floor);
    if (rate->burst)
        vb_buf_add(buf, " burst='%" G_GUINT64_FORMAT "'", rate->burst);
    vb_buf_add(buf, "/>\n");
}

static void
net_format_bandwidth(VbBuf *buf, const VbNetworkBandwidth *bw)
{
    if (!bw)
        return;
    vb_buf_add(buf, "<bandwidth>\n");
    buf->indent += 2;
    net_format_rate(buf, "inbound", bw->inbound);
    net_format_rate(buf, "outbound", bw->outbound);
    buf->indent -= 2;
    vb_buf_add(buf, "</bandwidth>\n");
}

/* ---- <virtualport> -------------------------------------------------------------------- */

/* libvirt writes the parameters in this order; others follow in document order. */
static const char *const virtualport_param_order[] = {
    "managerid", "typeid", "typeidversion", "instanceid", "interfaceid", "profileid", NULL
};

static int
net_param_rank(const VbNetworkParam *param)
{
    int rank = vb_enum_from_string(virtualport_param_order, param->name);

    return rank < 0 ? (int)G_N_ELEMENTS(virtualport_param_order) : rank;
}

static gint
net_param_compare(gconstpointer a, gconstpointer b)
{
    return net_param_rank(*(VbNetworkParam *const *)a) - net_param_rank(*(VbNetworkParam *const *)b);
}

static gboolean
net_parse_virtualport(xmlNodePtr parent, VbNetworkVirtualPort **out, GError **error)
{
    xmlNodePtr node = vb_xml_child(parent, "virtualport");
    xmlNodePtr params;
    g_autoptr(VbNetworkVirtualPort) vp = NULL;

    if (!node)
        return TRUE;
    vp = g_new0(VbNetworkVirtualPort, 1);
    vp->params = list_new(net_param_free);
    if (!vb_xml_prop_enum(node, "type", vb_network_virtualport_from_string, VB_XML_NONZERO,
                          &vp->type, error))
        return FALSE;
    params = vb_xml_child(node, "parameters");
    for (xmlAttrPtr attr = params ? params->properties : NULL; attr; attr = attr->next) {
        VbNetworkParam *param = g_new0(VbNetworkParam, 1);

        param->name = g_strdup((const char *)attr->name);
        param->value = vb_xml_prop(params, param->name);
        g_ptr_array_add(vp->params, param);
    }
    g_ptr_array_sort(vp->params, net_param_compare);
    *out = g_steal_pointer(&vp);
    return TRUE;
}

static void
net_format_virtualport(VbBuf *buf, const VbNetworkVirtualPort *vp)
{
    g_auto(VbBuf) attrs = { 0 };
    g_auto(VbBuf) children = { 0 };

    if (!vp)
        return;
    vb_buf_init(&attrs, 0);
    vb_buf_init(&children, 0);
    if (vp->type)
        vb_buf_add(&attrs, " type='%s'", vb_network_virtualport_to_string(vp->type));
    if (vp->params->len) {
        vb_buf_add(&children, "<parameters");
        for (guint i = 0; i < vp->params->len; i++) {
            const VbNetworkParam *param = g_ptr_array_index(vp->params, i);

            vb_buf_add(&children, " %s=", param->name);
            vb_buf_escape(&children, "'%s'", param->value);
        }
        vb_buf_add(&children, "/>\n");
    }
    vb_buf_element(buf, "virtualport", &attrs, &children);
}

/* ---- <portgroup> ---------------------------------------------------------------------- */

static gpointer
net_parse_portgroup(xmlNodePtr node, const NetCtx *ctx, GError **error)
{
    g_autoptr(VbNetworkPortGroup) pg = g_new0(VbNetworkPortGroup, 1);
    VbTristate is_default = VB_TRISTATE_ABSENT;

    if (!vb_xml_prop_required(node, "name", &pg->name, error) ||
        !vb_xml_prop_tristate(node, "default", "yes", "no", &is_default, error) ||
        !vb_xml_prop_tristate(node, "trustGuestRxFilters", "yes", "no", &pg->trust_guest_rx_filters,
                              error) ||
        !net_parse_vlan(node, &pg->vlan, error) ||
        !net_parse_virtualport(node, &pg->virtualport, error) ||
        !net_parse_bandwidth(node, &pg->bandwidth, error))
        return NULL;
    pg->is_default = is_default == VB_TRISTATE_YES;
    return g_steal_pointer(&pg);
}

static void
net_format_portgroup(VbBuf *buf, const VbNetworkPortGroup *pg)
{
    g_auto(VbBuf) attrs = { 0 };
    g_auto(VbBuf) children = { 0 };

    vb_buf_init(&attrs, 0);
    vb_buf_init(&children, 0);
    vb_buf_escape(&attrs, " name='%s'", pg->name);
    if (pg->is_default)
        vb_buf_add(&attrs, " default='yes'");
    if (pg->trust_guest_rx_filters)
        vb_buf_add(&attrs, " trustGuestRxFilters='%s'", yes_no(pg->trust_guest_rx_filters));
    net_format_vlan(&children, pg->vlan);
    net_format_virtualport(&children, pg->virtualport);
    net_format_bandwidth(&children, pg->bandwidth);
    vb_buf_element(buf, "portgroup", &attrs, &children);
}

/* ---- <dns> ---------------------------------------------------------------------------- */

static gpointer
net_parse_dns_forwarder(xmlNodePtr node, const NetCtx *ctx, GError **error)
{
    g_autoptr(VbNetworkDnsForwarder) fwd = g_new0(VbNetworkDnsForwarder, 1);

    fwd->domain = vb_xml_prop(node, "domain");
    if (!net_prop_addr(node, "addr", FALSE, ctx, &fwd->addr, error))
        return NULL;
    if (!fwd->domain && !fwd->addr) {
        vb_set_error(error, VB_ERR_XML_ERROR, "Invalid forwarder element in network '%s', must "
                     "contain at least one of addr or domain", ctx->netname);
        return NULL;
    }
    return g_steal_pointer(&fwd);
}

static gpointer
net_parse_dns_txt(xmlNodePtr node, const NetCtx *ctx, GError **error)
{
    g_autoptr(VbNetworkDnsTxt) txt = g_new0(VbNetworkDnsTxt, 1);

    txt->name = vb_xml_prop(node, "name");
    txt->value = vb_xml_prop(node, "value");
    if (!txt->name) {
        vb_set_error(error, VB_ERR_XML_DETAIL,
                     "missing required name attribute in DNS TXT record of network %s", ctx->netname);
        return NULL;
    }
    if (strchr(txt->name, ' ')) {
        vb_set_error(error, VB_ERR_XML_DETAIL, "prohibited space character in DNS TXT record "
                     "name '%s' of network %s", txt->name, ctx->netname);
        return NULL;
    }
    if (!txt->value && !ctx->partial) {
        vb_set_error(error, VB_ERR_XML_DETAIL, "missing required value attribute in DNS TXT "
                     "record named '%s' of network %s", txt->name, ctx->netname);
        return NULL;
    }
    return g_steal_pointer(&txt);
}

static gboolean
net_check_dns_host(const VbNetworkDnsHost *host, const NetCtx *ctx, GError **error)
{
    const char *problem = NULL;

    if (!host->ip && host->hostnames->len == 0)
        problem = "Missing ip and hostname";
    else if (!host->ip && !ctx->partial)
        problem = "Missing IP address";
    else if (host->hostnames->len == 0 && !ctx->partial)
        problem = "Missing hostname";
    if (problem)
        vb_set_error(error, VB_ERR_XML_DETAIL, "%s in network '%s' DNS HOST record", problem,
                     ctx->netname);
    return problem == NULL;
}

static gpointer
net_parse_dns_host(xmlNodePtr node, const NetCtx *ctx, GError **error)
{
    g_autoptr(VbNetworkDnsHost) host = g_new0(VbNetworkDnsHost, 1);

    host->hostnames = list_new(g_free);
    if (!net_prop_addr(node, "ip", FALSE, ctx, &host->ip, error))
        return NULL;
    VB_XML_FOREACH_CHILD(node, "hostname", child) {
        g_autofree char *name = vb_xml_content(child);

        if (!*g_strstrip(name)) {
            vb_set_error(error, VB_ERR_XML_DETAIL, "Missing hostname in network '%s' DNS HOST record",
                         ctx->netname);
            return NULL;
        }
        g_ptr_array_add(host->hostnames, g_steal_pointer(&name));
    }
    if (!net_check_dns_host(host, ctx, error))
        return NULL;
    return g_steal_pointer(&host);
}

static gboolean
net_check_srv_name(const char *value, const char *attr, const NetCtx *ctx, GError **error)
{
    if (!value)
        return TRUE;
    if (g_str_equal(attr, "service") && strlen(value) > 15) {
        vb_set_error(error, VB_ERR_XML_DETAIL, "service attribute '%s' in network '%s' is too long, "
                     "limit is 15 bytes", value, ctx->netname);
        return FALSE;
    }
    for (const char *p = value; *p; p++) {
        if (!g_ascii_isalnum(*p) && !strchr("-_+", *p)) {
            vb_set_error(error, VB_ERR_XML_DETAIL, "invalid character in %s attribute '%s' in DNS "
                         "SRV record of network '%s'", attr, value, ctx->netname);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
net_parse_srv_number(xmlNodePtr node, const char *attr, guint min, const VbNetworkDnsSrv *srv,
                     const NetCtx *ctx, guint *out, GError **error)
{
    g_autofree char *str = vb_xml_prop(node, attr);
    guint64 value;

    if (!str)
        return TRUE;
    if (!srv->target) {
        vb_set_error(error, VB_ERR_XML_DETAIL, "DNS SRV %s attribute not permitted without target "
                     "for service '%s' in network '%s'", attr, srv->service ? srv->service : "",
                     ctx->netname);
        return FALSE;
    }
    if (!vb_parse_ull(str, &value) || value < min || value > 65535) {
        vb_set_error(error, VB_ERR_XML_DETAIL, "invalid DNS SRV %s attribute '%s' for service '%s' "
                     "in network '%s'", attr, str, srv->service ? srv->service : "", ctx->netname);
        return FALSE;
    }
    *out = (guint)value;
    return TRUE;
}

static gpointer
net_parse_dns_srv(xmlNodePtr node, const NetCtx *ctx, GError **error)
{
    g_autoptr(VbNetworkDnsSrv) srv = g_new0(VbNetworkDnsSrv, 1);

    srv->service = vb_xml_prop(node, "service");
    srv->protocol = vb_xml_prop(node, "protocol");
    srv->domain = vb_xml_prop(node, "domain");
    srv->target = vb_xml_prop(node, "target");
    if ((!srv->service || !srv->protocol) && !ctx->partial) {
        vb_set_error(error, VB_ERR_XML_DETAIL, "missing required %s attribute in DNS SRV record "
                     "of network '%s'", srv->service ? "protocol" : "service", ctx->netname);
        return NULL;
    }
    if (!net_check_srv_name(srv->service, "service", ctx, error) ||
        !net_check_srv_name(srv->protocol, "protocol", ctx, error) ||
        !net_parse_srv_number(node, "port", 1, srv, ctx, &srv->port, error) ||
        !net_parse_srv_number(node, "priority", 0, srv, ctx, &srv->priority, error) ||
        !net_parse_srv_number(node, "weight", 0, srv, ctx, &srv->weight, error))
        return NULL;
    return g_steal_pointer(&srv);
}

static gboolean
net_parse_dns(xmlNodePtr root, VbNetworkDef *def, const NetCtx *ctx, GError **error)
{
    xmlNodePtr node = vb_xml_child(root, "dns");
    VbNetworkDns *dns = &def->dns;

    if (!node)
        return TRUE;
    if (!vb_xml_prop_tristate(node, "enable", "yes", "no", &dns->enable, error) ||
        !vb_xml_prop_tristate(node, "forwardPlainNames", "yes", "no", &dns->forward_plain_names, error) ||
        !net_parse_list(node, "forwarder", net_parse_dns_forwarder, ctx, dns->forwarders, error) ||
        !net_parse_list(node, "txt", net_parse_dns_txt, ctx, dns->txts, error) ||
        !net_parse_list(node, "host", net_parse_dns_host, ctx, dns->hosts, error) ||
        !net_parse_list(node, "srv", net_parse_dns_srv, ctx, dns->srvs, error))
        return FALSE;
    if (dns->enable == VB_TRISTATE_NO &&
        (dns->forward_plain_names || dns->forwarders->len || dns->txts->len || dns->hosts->len ||
         dns->srvs->len)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "Extra data in disabled network '%s'", def->name);
        return FALSE;
    }
    return TRUE;
}

static void
net_format_dns_records(VbBuf *buf, const VbNetworkDns *dns)
{
    for (guint i = 0; i < dns->forwarders->len; i++) {
        const VbNetworkDnsForwarder *fwd = g_ptr_array_index(dns->forwarders, i);

        vb_buf_add(buf, "<forwarder");
        vb_buf_escape(buf, " domain='%s'", fwd->domain);
        vb_buf_escape(buf, " addr='%s'", fwd->addr);
        vb_buf_add(buf, "/>\n");
    }
    for (guint i = 0; i < dns->txts->len; i++) {
        const VbNetworkDnsTxt *txt = g_ptr_array_index(dns->txts, i);

        vb_buf_escape(buf, "<txt name='%s'", txt->name);
        vb_buf_escape(buf, " value='%s'", txt->value);
        vb_buf_add(buf, "/>\n");
    }
}

static void
net_format_dns_srv(VbBuf *buf, const VbNetworkDnsSrv *srv)
{
    vb_buf_escape(buf, "<srv service='%s'", srv->service);
    vb_buf_escape(buf, " protocol='%s'", srv->protocol);
    vb_buf_escape(buf, " domain='%s'", srv->domain);
    vb_buf_escape(buf, " target='%s'", srv->target);
    if (srv->port)
        vb_buf_add(buf, " port='%u'", srv->port);
    if (srv->priority)
        vb_buf_add(buf, " priority='%u'", srv->priority);
    if (srv->weight)
        vb_buf_add(buf, " weight='%u'", srv->weight);
    vb_buf_add(buf, "/>\n");
}

static void
net_format_dns(VbBuf *buf, const VbNetworkDns *dns)
{
    g_auto(VbBuf) attrs = { 0 };
    g_auto(VbBuf) children = { 0 };

    vb_buf_init(&attrs, 0);
    vb_buf_init(&children, 0);
    if (dns->enable)
        vb_buf_add(&attrs, " enable='%s'", yes_no(dns->enable));
    if (dns->forward_plain_names)
        vb_buf_add(&attrs, " forwardPlainNames='%s'", yes_no(dns->forward_plain_names));
    net_format_dns_records(&children, dns);
    for (guint i = 0; i < dns->srvs->len; i++)
        net_format_dns_srv(&children, g_ptr_array_index(dns->srvs, i));
    for (guint i = 0; i < dns->hosts->len; i++) {
        const VbNetworkDnsHost *host = g_ptr_array_index(dns->hosts, i);

        vb_buf_add(&children, "<host ip='%s'>\n", host->ip);
        for (guint j = 0; j < host->hostnames->len; j++)
            vb_buf_escape(&children, "  <hostname>%s</hostname>\n", g_ptr_array_index(host->hostnames, j));
        vb_buf_add(&children, "</host>\n");
    }
    vb_buf_element(buf, "dns", &attrs, &children);
}

/* ---- <ip> and <dhcp> ------------------------------------------------------------------ */

static gboolean
net_parse_lease(xmlNodePtr parent, VbNetworkDhcpLease **out, GError **error)
{
    static const guint64 unit_seconds[] = { 1, 60, 3600 };
    xmlNodePtr node = vb_xml_child(parent, "lease");
    g_autofree VbNetworkDhcpLease *lease = NULL;

    if (!node)
        return TRUE;
    lease = g_new0(VbNetworkDhcpLease, 1);
    lease->unit = VB_NETWORK_LEASE_UNIT_MINUTES;
    if (!vb_xml_prop_ull(node, "expiry", VB_XML_REQUIRED, &lease->expiry, error) ||
        !vb_xml_prop_enum(node, "unit", vb_network_lease_unit_from_string, VB_XML_OPTIONAL,
                          &lease->unit, error))
        return FALSE;
    if (lease->expiry > G_MAXUINT32 / unit_seconds[lease->unit]) {
        vb_set_error(error, VB_ERR_XML_ERROR, "lease expiry '%" G_GUINT64_FORMAT " %s' is too large",
                     lease->expiry, vb_network_lease_unit_to_string(lease->unit));
        return FALSE;
    }
    *out = g_steal_pointer(&lease);
    return TRUE;
}

/* Mirrors libvirt's virSocketAddrGetRange checks, naming the values. */
static gboolean
net_check_dhcp_range(const VbNetworkDhcpRange *range, const VbNetworkIpDef *ip, const NetCtx *ctx,
                     GError **error)
{
    int prefix = vb_network_ip_def_prefix(ip);
    NetAddr start, end, net;

    if (!net_addr_parse(range->start, &start) || !net_addr_parse(range->end, &end) ||
        !net_addr_parse(ip->address, &net) || start.len != net.len || end.len != net.len) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "the address family of dhcp range %s - %s "
                     "must match the address family of the dhcp element's parent (%s)",
                     range->start, range->end, ip->address);
        return FALSE;
    }
    if (!net_addr_in_subnet(&start, &net, prefix) || !net_addr_in_subnet(&end, &net, prefix)) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "range %s - %s is not entirely within network "
                     "%s/%d of network '%s'", range->start, range->end, ip->address, prefix, ctx->netname);
        return FALSE;
    }
    if (net_addr_compare(&start, &end) > 0) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "range %s - %s is reversed in network '%s'",
                     range->start, range->end, ctx->netname);
        return FALSE;
    }
    if (net.len == 16 && (memcmp(start.bytes, end.bytes, 12) != 0 ||
                          net_addr_low32(&end) - net_addr_low32(&start) >= 65535)) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "range %s - %s is too large (> 65535) in "
                     "network '%s'", range->start, range->end, ctx->netname);
        return FALSE;
    }
    return TRUE;
}

static gpointer
net_parse_dhcp_range(xmlNodePtr node, const NetCtx *ctx, GError **error)
{
    g_autoptr(VbNetworkDhcpRange) range = g_new0(VbNetworkDhcpRange, 1);

    if (!net_prop_addr(node, "start", TRUE, ctx, &range->start, error) ||
        !net_prop_addr(node, "end", TRUE, ctx, &range->end, error) ||
        !net_check_dhcp_range(range, ctx->ip, ctx, error) ||
        !net_parse_lease(node, &range->lease, error))
        return NULL;
    return g_steal_pointer(&range);
}

static gboolean
net_parse_dhcp_host_ids(xmlNodePtr node, VbNetworkDhcpHost *host, const NetCtx *ctx, GError **error)
{
    g_autofree char *mac = vb_xml_prop(node, "mac");
    char parsed[VB_MAC_STRING_LEN];

    host->id = vb_xml_prop(node, "id");
    host->name = vb_xml_prop(node, "name");
    if (mac && !vb_mac_parse(mac, parsed)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "Cannot parse MAC address '%s' in network '%s'",
                     mac, ctx->netname);
        return FALSE;
    }
    if (mac && vb_mac_is_multicast(parsed)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "expected unicast mac address, found multicast '%s' "
                     "in network '%s'", mac, ctx->netname);
        return FALSE;
    }
    host->mac = mac ? g_strdup(parsed) : NULL;
    for (const char *p = host->id; p && *p; p++) {
        if (!g_ascii_isxdigit(*p) && *p != ':') {
            vb_set_error(error, VB_ERR_XML_ERROR, "Invalid character '%c' in id '%s' of network '%s'",
                         *p, host->id, ctx->netname);
            return FALSE;
        }
    }
    if (host->name && !g_ascii_isalpha(host->name[0])) {
        vb_set_error(error, VB_ERR_XML_ERROR, "Cannot use host name '%s' in network '%s'",
                     host->name, ctx->netname);
        return FALSE;
    }
    return TRUE;
}

static gboolean
net_check_dhcp_host(const VbNetworkDhcpHost *host, const NetCtx *ctx, GError **error)
{
    int family = net_addr_family(ctx->ip->address);

    if (family == 6 && host->mac) {
        vb_set_error(error, VB_ERR_XML_ERROR, "Invalid to specify MAC address '%s' in network '%s' "
                     "IPv6 static host definition", host->mac, ctx->netname);
        return FALSE;
    }
    if (host->ip && net_addr_family(host->ip) != family) {
        vb_set_error(error, VB_ERR_XML_ERROR, "static host IP address '%s' in network '%s' is not "
                     "in the address family of '%s'", host->ip, ctx->netname, ctx->ip->address);
        return FALSE;
    }
    if (ctx->partial)
        return TRUE;
    if (!host->name && !(family == 6 ? host->id : host->mac)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "Static host definition in IPv%d network '%s' must "
                     "have %s or name attribute", family, ctx->netname, family == 6 ? "id" : "mac");
        return FALSE;
    }
    if (!host->ip && (host->mac || !host->id)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "Missing IP address in static host definition for "
                     "network '%s'", ctx->netname);
        return FALSE;
    }
    return TRUE;
}

static gpointer
net_parse_dhcp_host(xmlNodePtr node, const NetCtx *ctx, GError **error)
{
    g_autoptr(VbNetworkDhcpHost) host = g_new0(VbNetworkDhcpHost, 1);

    if (!net_parse_dhcp_host_ids(node, host, ctx, error) ||
        !net_prop_addr(node, "ip", FALSE, ctx, &host->ip, error) ||
        !net_check_dhcp_host(host, ctx, error) ||
        !net_parse_lease(node, &host->lease, error))
        return NULL;
    return g_steal_pointer(&host);
}

static gboolean
net_parse_bootp(xmlNodePtr dhcp, VbNetworkIpDef *ip, const NetCtx *ctx, GError **error)
{
    xmlNodePtr node = vb_xml_child(dhcp, "bootp");

    if (!node)
        return TRUE;
    if (net_addr_family(ip->address) != 4) {
        vb_set_error(error, VB_ERR_XML_ERROR, "Unsupported <bootp> element in an IPv6 element in "
                     "network '%s'", ctx->netname);
        return FALSE;
    }
    return vb_xml_prop_required(node, "file", &ip->bootp_file, error) &&
           net_prop_addr(node, "server", FALSE, ctx, &ip->bootp_server, error);
}

static gboolean
net_parse_ip_children(xmlNodePtr node, VbNetworkIpDef *ip, const NetCtx *ctx, GError **error)
{
    xmlNodePtr tftp = vb_xml_child(node, "tftp");
    xmlNodePtr dhcp = vb_xml_child(node, "dhcp");
    NetCtx sub = { ctx->netname, ip, ctx->partial };

    if (tftp && net_addr_family(ip->address) != 4) {
        vb_set_error(error, VB_ERR_XML_ERROR, "Unsupported <tftp> element in an IPv6 element in "
                     "network '%s'", ctx->netname);
        return FALSE;
    }
    if (tftp && !vb_xml_prop_required(tftp, "root", &ip->tftp_root, error))
        return FALSE;
    if (vb_xml_next(dhcp, "dhcp")) {
        vb_set_error(error, VB_ERR_XML_ERROR, "Multiple <dhcp> elements in <ip address='%s'> of "
                     "network '%s'", ip->address, ctx->netname);
        return FALSE;
    }
    return net_parse_list(dhcp, "range", net_parse_dhcp_range, &sub, ip->ranges, error) &&
           net_parse_list(dhcp, "host", net_parse_dhcp_host, &sub, ip->hosts, error) &&
           net_parse_bootp(dhcp, ip, &sub, error);
}

static gboolean
net_check_ip_family(const VbNetworkIpDef *ip, const NetCtx *ctx, GError **error)
{
    int family = net_addr_family(ip->address);

    if (!ip->family && family != 4) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "no family specified for non-IPv4 address "
                     "'%s' in network '%s'", ip->address, ctx->netname);
        return FALSE;
    }
    if (ip->family && !g_str_equal(ip->family, "ipv4") && !g_str_equal(ip->family, "ipv6")) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "Unrecognized family '%s' in network '%s'",
                     ip->family, ctx->netname);
        return FALSE;
    }
    if (ip->family && (ip->family[3] == '4') != (family == 4)) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "family '%s' specified for non-IPv%c "
                     "address '%s' in network '%s'", ip->family, ip->family[3], ip->address,
                     ctx->netname);
        return FALSE;
    }
    return TRUE;
}

static gboolean
net_check_ip_prefix(const VbNetworkIpDef *ip, const NetCtx *ctx, GError **error)
{
    guint max = net_addr_family(ip->address) == 4 ? 32 : 128;

    if (ip->netmask && net_addr_family(ip->netmask) != 4) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "netmask '%s' not supported for address '%s' "
                     "in network '%s' (IPv4 only)", ip->netmask, ip->address, ctx->netname);
        return FALSE;
    }
    if (ip->netmask && ip->prefix) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "network '%s' cannot have both prefix='%u' "
                     "and a netmask", ctx->netname, ip->prefix);
        return FALSE;
    }
    if (ip->prefix > max) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "invalid prefix '%u' for address '%s' in "
                     "network '%s' (must be 0-%u)", ip->prefix, ip->address, ctx->netname, max);
        return FALSE;
    }
    if (vb_network_ip_def_prefix(ip) < 0) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "invalid netmask '%s' for address '%s' in "
                     "network '%s'", ip->netmask ? ip->netmask : "", ip->address, ctx->netname);
        return FALSE;
    }
    return TRUE;
}

static gpointer
net_parse_ip(xmlNodePtr node, const NetCtx *ctx, GError **error)
{
    g_autoptr(VbNetworkIpDef) ip = g_new0(VbNetworkIpDef, 1);

    ip->ranges = list_new(net_dhcp_range_free);
    ip->hosts = list_new(net_dhcp_host_free);
    ip->family = vb_xml_prop(node, "family");
    if (!net_prop_addr(node, "address", TRUE, ctx, &ip->address, error) ||
        !net_check_ip_family(ip, ctx, error) ||
        !net_prop_addr(node, "netmask", FALSE, ctx, &ip->netmask, error) ||
        !vb_xml_prop_uint(node, "prefix", VB_XML_OPTIONAL, &ip->prefix, error) ||
        !vb_xml_prop_tristate(node, "localPtr", "yes", "no", &ip->local_ptr, error) ||
        !net_check_ip_prefix(ip, ctx, error) ||
        !net_parse_ip_children(node, ip, ctx, error))
        return NULL;
    return g_steal_pointer(&ip);
}

static void
net_format_lease_holder(VbBuf *buf, const char *name, VbBuf *attrs, const VbNetworkDhcpLease *lease)
{
    g_auto(VbBuf) children = { 0 };

    vb_buf_init(&children, 0);
    if (lease && lease->expiry == 0)
        vb_buf_add(&children, "<lease expiry='0'/>\n");
    else if (lease)
        vb_buf_add(&children, "<lease expiry='%" G_GUINT64_FORMAT "' unit='%s'/>\n", lease->expiry,
                   vb_network_lease_unit_to_string(lease->unit));
    vb_buf_element(buf, name, attrs, &children);
}

static void
net_format_dhcp_host(VbBuf *buf, const VbNetworkDhcpHost *host)
{
    g_auto(VbBuf) attrs = { 0 };

    vb_buf_init(&attrs, 0);
    vb_buf_escape(&attrs, " mac='%s'", host->mac);
    vb_buf_escape(&attrs, " id='%s'", host->id);
    vb_buf_escape(&attrs, " name='%s'", host->name);
    vb_buf_escape(&attrs, " ip='%s'", host->ip);
    net_format_lease_holder(buf, "host", &attrs, host->lease);
}

static void
net_format_dhcp(VbBuf *buf, const VbNetworkIpDef *ip)
{
    g_auto(VbBuf) children = { 0 };

    vb_buf_init(&children, 0);
    for (guint i = 0; i < ip->ranges->len; i++) {
        const VbNetworkDhcpRange *range = g_ptr_array_index(ip->ranges, i);
        g_auto(VbBuf) attrs = { 0 };

        vb_buf_init(&attrs, 0);
        vb_buf_add(&attrs, " start='%s' end='%s'", range->start, range->end);
        net_format_lease_holder(&children, "range", &attrs, range->lease);
    }
    for (guint i = 0; i < ip->hosts->len; i++)
        net_format_dhcp_host(&children, g_ptr_array_index(ip->hosts, i));
    if (ip->bootp_file) {
        vb_buf_escape(&children, "<bootp file='%s'", ip->bootp_file);
        vb_buf_escape(&children, " server='%s'", ip->bootp_server);
        vb_buf_add(&children, "/>\n");
    }
    vb_buf_element(buf, "dhcp", NULL, &children);
}

static void
net_format_ip(VbBuf *buf, const VbNetworkIpDef *ip)
{
    g_auto(VbBuf) attrs = { 0 };
    g_auto(VbBuf) children = { 0 };

    vb_buf_init(&attrs, 0);
    vb_buf_init(&children, 0);
    vb_buf_escape(&attrs, " family='%s'", ip->family);
    vb_buf_escape(&attrs, " address='%s'", ip->address);
    vb_buf_escape(&attrs, " netmask='%s'", ip->netmask);
    if (ip->prefix)
        vb_buf_add(&attrs, " prefix='%u'", ip->prefix);
    if (ip->local_ptr)
        vb_buf_add(&attrs, " localPtr='%s'", yes_no(ip->local_ptr));
    vb_buf_escape(&children, "<tftp root='%s'/>\n", ip->tftp_root);
    net_format_dhcp(&children, ip);
    vb_buf_element(buf, "ip", &attrs, &children);
}

/* ---- <route> -------------------------------------------------------------------------- */

static gboolean
net_check_route(const VbNetworkRoute *route, const NetCtx *ctx, GError **error)
{
    int family = net_addr_family(route->address);
    guint max = family == 4 ? 32 : 128;

    if (route->family ? !g_str_equal(route->family, family == 4 ? "ipv4" : "ipv6") : family != 4) {
        vb_set_error(error, VB_ERR_XML_ERROR, "family '%s' does not match address '%s' in route "
                     "definition of network '%s'", route->family ? route->family : "ipv4",
                     route->address, ctx->netname);
        return FALSE;
    }
    if (net_addr_family(route->gateway) != family) {
        vb_set_error(error, VB_ERR_XML_ERROR, "gateway '%s' is not in the family of address '%s' "
                     "in route definition of network '%s'", route->gateway, route->address, ctx->netname);
        return FALSE;
    }
    if (route->netmask && (family != 4 || route->has_prefix)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "Invalid netmask '%s' for address '%s' in route "
                     "definition of network '%s' (IPv4 only, not with a prefix)", route->netmask,
                     route->address, ctx->netname);
        return FALSE;
    }
    if (route->prefix > max) {
        vb_set_error(error, VB_ERR_XML_ERROR, "Invalid prefix %u specified in route definition of "
                     "network '%s', must be 0 - %u", route->prefix, ctx->netname, max);
        return FALSE;
    }
    return TRUE;
}

static gpointer
net_parse_route(xmlNodePtr node, const NetCtx *ctx, GError **error)
{
    g_autoptr(VbNetworkRoute) route = g_new0(VbNetworkRoute, 1);
    g_autofree char *prefix = vb_xml_prop(node, "prefix");

    route->family = vb_xml_prop(node, "family");
    route->has_prefix = prefix != NULL;
    if (!net_prop_addr(node, "address", TRUE, ctx, &route->address, error) ||
        !net_prop_addr(node, "netmask", FALSE, ctx, &route->netmask, error) ||
        !net_prop_addr(node, "gateway", TRUE, ctx, &route->gateway, error) ||
        !vb_xml_prop_uint(node, "prefix", VB_XML_OPTIONAL, &route->prefix, error) ||
        !vb_xml_prop_uint(node, "metric", VB_XML_NONZERO, &route->metric, error) ||
        !net_check_route(route, ctx, error))
        return NULL;
    return g_steal_pointer(&route);
}

static void
net_format_route(VbBuf *buf, const VbNetworkRoute *route)
{
    vb_buf_add(buf, "<route");
    vb_buf_escape(buf, " family='%s'", route->family);
    vb_buf_add(buf, " address='%s'", route->address);
    vb_buf_escape(buf, " netmask='%s'", route->netmask);
    if (route->has_prefix)
        vb_buf_add(buf, " prefix='%u'", route->prefix);
    vb_buf_add(buf, " gateway='%s'", route->gateway);
    if (route->metric)
        vb_buf_add(buf, " metric='%u'", route->metric);
    vb_buf_add(buf, "/>\n");
}

/* ---- <forward> ------------------------------------------------------------------------ */

static gboolean
net_parse_nat_address(xmlNodePtr node, VbNetworkDef *def, GError **error)
{
    NetCtx ctx = { def->name, NULL, FALSE };
    VbNetworkForward *fwd = &def->forward;
    NetAddr start = { 0 }, end = { 0 };

    if (!node)
        return TRUE;
    if (!net_prop_addr(node, "start", TRUE, &ctx, &fwd->nat_start, error) ||
        !net_prop_addr(node, "end", TRUE, &ctx, &fwd->nat_end, error))
        return FALSE;
    net_addr_parse(fwd->nat_start, &start);
    net_addr_parse(fwd->nat_end, &end);
    if (start.len != 4 || end.len != 4 || net_addr_compare(&start, &end) > 0) {
        vb_set_error(error, VB_ERR_XML_ERROR, "Bad ipv4 address range %s - %s in <nat> in <forward> "
                     "in network '%s'", fwd->nat_start, fwd->nat_end, def->name);
        return FALSE;
    }
    return TRUE;
}

static gboolean
net_parse_nat_port(xmlNodePtr node, VbNetworkDef *def, GError **error)
{
    VbNetworkForward *fwd = &def->forward;

    if (!node)
        return TRUE;
    if (!vb_xml_prop_uint(node, "start", VB_XML_REQUIRED, &fwd->nat_port_start, error) ||
        !vb_xml_prop_uint(node, "end", VB_XML_REQUIRED, &fwd->nat_port_end, error))
        return FALSE;
    if (fwd->nat_port_start == 0 || fwd->nat_port_start > 65535) {
        vb_set_error(error, VB_ERR_XML_ERROR, "invalid 'start' attribute '%u' in <port> in <nat> in "
                     "<forward> in network %s", fwd->nat_port_start, def->name);
        return FALSE;
    }
    if (fwd->nat_port_end > 65535 || fwd->nat_port_end < fwd->nat_port_start) {
        vb_set_error(error, VB_ERR_XML_ERROR, "invalid 'end' attribute '%u' in <port> in <nat> in "
                     "<forward> in network %s", fwd->nat_port_end, def->name);
        return FALSE;
    }
    return TRUE;
}

static gboolean
net_parse_nat(xmlNodePtr forward, VbNetworkDef *def, GError **error)
{
    xmlNodePtr node = vb_xml_child(forward, "nat");

    if (!node)
        return TRUE;
    if (def->forward.mode != VB_NETWORK_FORWARD_NAT) {
        vb_set_error(error, VB_ERR_XML_ERROR, "The <nat> element can only be used when <forward> "
                     "'mode' is 'nat' in network %s", def->name);
        return FALSE;
    }
    return vb_xml_prop_tristate(node, "ipv6", "yes", "no", &def->forward.nat_ipv6, error) &&
           net_parse_nat_address(vb_xml_child(node, "address"), def, error) &&
           net_parse_nat_port(vb_xml_child(node, "port"), def, error);
}

static gboolean
net_parse_dev_list(xmlNodePtr forward, const char *name, const VbNetworkDef *def, GPtrArray *out,
                   GError **error)
{
    VB_XML_FOREACH_CHILD(forward, name, node) {
        char *dev = vb_xml_prop(node, "dev");

        if (!dev) {
            vb_set_error(error, VB_ERR_XML_ERROR, "Missing required dev attribute in <%s> element "
                         "of network '%s'", name, def->name);
            return FALSE;
        }
        g_ptr_array_add(out, dev);
    }
    return TRUE;
}

static gboolean
net_parse_forward_addresses(xmlNodePtr forward, const VbNetworkDef *def, GArray *out, GError **error)
{
    VB_XML_FOREACH_CHILD(forward, "address", node) {
        g_autofree char *type = vb_xml_prop(node, "type");
        VbNodeDevicePciAddress addr = { 0 };

        if (g_strcmp0(type, "pci") != 0) {
            vb_set_error(error, VB_ERR_XML_ERROR, "unknown address type '%s' in network %s",
                         type ? type : "", def->name);
            return FALSE;
        }
        if (!vb_node_device_pci_address_parse(node, &addr, error))
            return FALSE;
        g_array_append_val(out, addr);
    }
    return TRUE;
}

/* <forward dev='x'> is shorthand for a first <interface dev='x'/>. */
static gboolean
net_apply_forward_dev(VbNetworkDef *def, char *dev, GError **error)
{
    VbNetworkForward *fwd = &def->forward;
    g_autofree char *owned = dev;

    if (!dev)
        return TRUE;
    if (fwd->pfs->len || fwd->addresses->len) {
        vb_set_error(error, VB_ERR_XML_ERROR, "<forward dev='%s'> cannot be combined with <pf> or "
                     "<address> elements in network %s", dev, def->name);
        return FALSE;
    }
    if (fwd->interfaces->len == 0) {
        g_ptr_array_add(fwd->interfaces, g_steal_pointer(&owned));
        return TRUE;
    }
    if (!g_str_equal(dev, g_ptr_array_index(fwd->interfaces, 0))) {
        vb_set_error(error, VB_ERR_XML_ERROR, "<forward dev='%s'> must match first <interface "
                     "dev='%s'/> in network %s", dev, (char *)g_ptr_array_index(fwd->interfaces, 0),
                     def->name);
        return FALSE;
    }
    return TRUE;
}

static gboolean
net_parse_forward_devices(xmlNodePtr node, VbNetworkDef *def, GError **error)
{
    VbNetworkForward *fwd = &def->forward;

    if (!net_parse_dev_list(node, "pf", def, fwd->pfs, error) ||
        !net_parse_dev_list(node, "interface", def, fwd->interfaces, error) ||
        !net_parse_forward_addresses(node, def, fwd->addresses, error))
        return FALSE;
    if (fwd->pfs->len > 1) {
        vb_set_error(error, VB_ERR_XML_ERROR, "Only one <pf> element is allowed in <forward> of "
                     "network %s", def->name);
        return FALSE;
    }
    if ((fwd->pfs->len > 0) + (fwd->interfaces->len > 0) + (fwd->addresses->len > 0) > 1) {
        vb_set_error(error, VB_ERR_XML_ERROR, "<address>, <interface>, and <pf> elements in "
                     "<forward> of network %s are mutually exclusive", def->name);
        return FALSE;
    }
    return net_apply_forward_dev(def, vb_xml_prop(node, "dev"), error);
}

static gboolean
net_parse_forward(xmlNodePtr root, VbNetworkDef *def, GError **error)
{
    xmlNodePtr node = vb_xml_child(root, "forward");
    xmlNodePtr driver = vb_xml_child(node, "driver");
    VbNetworkForward *fwd = &def->forward;
    g_autofree char *mode = NULL;
    VbTristate managed = VB_TRISTATE_ABSENT;

    if (!node)
        return TRUE;
    mode = vb_xml_prop(node, "mode");
    fwd->mode = mode ? vb_network_forward_from_string(mode) : VB_NETWORK_FORWARD_NAT;
    if (fwd->mode < 0) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "unknown forwarding type '%s' in network '%s'",
                     mode, def->name);
        return FALSE;
    }
    if (!vb_xml_prop_tristate(node, "managed", "yes", "no", &managed, error) ||
        (driver && !vb_xml_prop_enum(driver, "name", vb_network_forward_driver_from_string,
                                     VB_XML_NONZERO, &fwd->driver, error)) ||
        !net_parse_nat(node, def, error) ||
        !net_parse_forward_devices(node, def, error))
        return FALSE;
    fwd->managed = managed == VB_TRISTATE_YES;
    return TRUE;
}

static void
net_format_nat(VbBuf *buf, const VbNetworkForward *fwd)
{
    g_auto(VbBuf) attrs = { 0 };
    g_auto(VbBuf) children = { 0 };

    vb_buf_init(&attrs, 0);
    vb_buf_init(&children, 0);
    if (fwd->nat_ipv6)
        vb_buf_add(&attrs, " ipv6='%s'", yes_no(fwd->nat_ipv6));
    if (fwd->nat_start)
        vb_buf_add(&children, "<address start='%s' end='%s'/>\n", fwd->nat_start, fwd->nat_end);
    if (fwd->nat_port_start)
        vb_buf_add(&children, "<port start='%u' end='%u'/>\n", fwd->nat_port_start, fwd->nat_port_end);
    vb_buf_element(buf, "nat", &attrs, &children);
}

static void
net_format_forward_devices(VbBuf *buf, const VbNetworkForward *fwd, guint flags)
{
    for (guint i = 0; i < fwd->pfs->len; i++)
        vb_buf_escape(buf, "<pf dev='%s'/>\n", g_ptr_array_index(fwd->pfs, i));
    /* with a <pf>, the interfaces are the VFs found at start: not configuration */
    if (!fwd->pfs->len || !(flags & VB_NETWORK_XML_INACTIVE)) {
        for (guint i = 0; i < fwd->interfaces->len; i++)
            vb_buf_escape(buf, "<interface dev='%s'/>\n", g_ptr_array_index(fwd->interfaces, i));
    }
    for (guint i = 0; i < fwd->addresses->len; i++)
        vb_node_device_pci_address_format(buf, &g_array_index(fwd->addresses, VbNodeDevicePciAddress, i),
                                          TRUE);
}

static void
net_format_forward(VbBuf *buf, const VbNetworkForward *fwd, guint flags)
{
    g_auto(VbBuf) attrs = { 0 };
    g_auto(VbBuf) children = { 0 };

    if (fwd->mode == VB_NETWORK_FORWARD_NONE)
        return;
    vb_buf_init(&attrs, 0);
    vb_buf_init(&children, 0);
    if (!fwd->pfs->len && fwd->interfaces->len)
        vb_buf_escape(&attrs, " dev='%s'", g_ptr_array_index(fwd->interfaces, 0));
    vb_buf_add(&attrs, " mode='%s'", vb_network_forward_to_string(fwd->mode));
    if (fwd->mode == VB_NETWORK_FORWARD_HOSTDEV)
        vb_buf_add(&attrs, " managed='%s'", fwd->managed ? "yes" : "no");
    if (fwd->driver)
        vb_buf_add(&children, "<driver name='%s'/>\n", vb_network_forward_driver_to_string(fwd->driver));
    net_format_nat(&children, fwd);
    net_format_forward_devices(&children, fwd, flags);
    vb_buf_element(buf, "forward", &attrs, &children);
}

/* ---- <bridge>, <mtu>, <mac>, <domain> ------------------------------------------------- */

static gboolean
net_parse_bridge(xmlNodePtr root, VbNetworkDef *def, GError **error)
{
    xmlNodePtr node = vb_xml_child(root, "bridge");

    if (!node)
        return TRUE;
    def->bridge = vb_xml_prop(node, "name");
    def->bridge_zone = vb_xml_prop(node, "zone");
    return vb_xml_prop_tristate(node, "stp", "on", "off", &def->stp, error) &&
           vb_xml_prop_ull(node, "delay", VB_XML_OPTIONAL, &def->delay, error) &&
           vb_xml_prop_enum(node, "macTableManager", vb_network_mac_table_manager_from_string,
                            VB_XML_OPTIONAL, &def->mac_table_manager, error);
}

static void
net_format_bridge(VbBuf *buf, const VbNetworkDef *def)
{
    gboolean routed = vb_network_forward_is_routed(def->forward.mode);
    g_auto(VbBuf) attrs = { 0 };

    if (!routed && !def->bridge && !def->mac_table_manager)
        return;
    vb_buf_init(&attrs, 0);
    vb_buf_escape(&attrs, " name='%s'", def->bridge);
    vb_buf_escape(&attrs, " zone='%s'", def->bridge_zone);
    if (routed)
        vb_buf_add(&attrs, " stp='%s' delay='%" G_GUINT64_FORMAT "'",
                   def->stp == VB_TRISTATE_NO ? "off" : "on", def->delay);
    if (def->mac_table_manager)
        vb_buf_add(&attrs, " macTableManager='%s'",
                   vb_network_mac_table_manager_to_string(def->mac_table_manager));
    vb_buf_element(buf, "bridge", &attrs, NULL);
}

static gboolean
net_parse_mtu_mac(xmlNodePtr root, VbNetworkDef *def, GError **error)
{
    xmlNodePtr mtu = vb_xml_child(root, "mtu");
    xmlNodePtr mac = vb_xml_child(root, "mac");
    g_autofree char *address = mac ? vb_xml_prop(mac, "address") : NULL;
    char parsed[VB_MAC_STRING_LEN];

    if (mtu && !vb_xml_prop_uint(mtu, "size", VB_XML_REQUIRED | VB_XML_NONZERO, &def->mtu, error))
        return FALSE;
    if (!mac)
        return TRUE;
    if (!vb_mac_parse(address, parsed)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "Invalid bridge mac address '%s' in network '%s'",
                     address ? address : "", def->name);
        return FALSE;
    }
    if (vb_mac_is_multicast(parsed)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "Invalid multicast bridge mac address '%s' in "
                     "network '%s'", address, def->name);
        return FALSE;
    }
    def->mac = g_strdup(parsed);
    return TRUE;
}

static gboolean
net_parse_domain(xmlNodePtr root, VbNetworkDef *def, GError **error)
{
    xmlNodePtr node = vb_xml_child(root, "domain");

    if (!node)
        return TRUE;
    def->domain = vb_xml_prop(node, "name");
    return vb_xml_prop_tristate(node, "localOnly", "yes", "no", &def->domain_local_only, error);
}

static void
net_format_domain(VbBuf *buf, const VbNetworkDef *def)
{
    if (!def->domain)
        return;
    vb_buf_escape(buf, "<domain name='%s'", def->domain);
    if (def->domain_local_only)
        vb_buf_add(buf, " localOnly='%s'", yes_no(def->domain_local_only));
    vb_buf_add(buf, "/>\n");
}

/* ---- the network ---------------------------------------------------------------------- */

static gboolean
net_parse_identity(xmlNodePtr root, VbNetworkDef *def, GError **error)
{
    g_autofree char *uuid = vb_xml_child_content(root, "uuid");
    VbTristate ipv6 = VB_TRISTATE_ABSENT;

    def->name = vb_xml_child_content(root, "name");
    if (!vb_name_validate(def->name, "network", error))
        return FALSE;
    if (!uuid) {
        vb_uuid_generate(def->uuid);
    } else if (!vb_uuid_parse(g_strstrip(uuid), def->uuid)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "malformed uuid element '%s' in network '%s'", uuid,
                     def->name);
        return FALSE;
    }
    if (!vb_xml_prop_tristate(root, "ipv6", "yes", "no", &ipv6, error) ||
        !vb_xml_prop_tristate(root, "trustGuestRxFilters", "yes", "no", &def->trust_guest_rx_filters,
                              error))
        return FALSE;
    def->ipv6 = ipv6 == VB_TRISTATE_YES;
    return TRUE;
}

/* The checks libvirt makes for bridge, private, vepa, passthrough and hostdev networks. */
static gboolean
net_validate_l2(const VbNetworkDef *def, const char *mode, GError **error)
{
    const VbNetworkDns *dns = &def->dns;
    const char *unsupported = def->ips->len ? "ip" :
                              (dns->txts->len || dns->hosts->len || dns->srvs->len) ? "dns" :
                              def->domain ? "domain" : def->mac ? "mac" : NULL;

    if (unsupported) {
        vb_set_error(error, VB_ERR_XML_ERROR, "Unsupported <%s> element in network %s with forward "
                     "mode='%s'", unsupported, def->name, mode);
        return FALSE;
    }
    if (def->forward.mode != VB_NETWORK_FORWARD_BRIDGE && (def->bridge || def->mac_table_manager)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "bridge name or macTableManager setting not allowed "
                     "in %s mode (network '%s')", mode, def->name);
        return FALSE;
    }
    if (def->delay || def->stp || def->bridge_zone) {
        vb_set_error(error, VB_ERR_XML_ERROR, "bridge delay/stp/zone options only allowed in route, "
                     "nat, and isolated mode, not in %s (network '%s')", mode, def->name);
        return FALSE;
    }
    if (def->bridge && (def->forward.interfaces->len || def->forward.pfs->len)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "A network with forward mode='%s' can specify a bridge "
                     "name or a forward dev, but not both (network '%s')", mode, def->name);
        return FALSE;
    }
    return TRUE;
}

static gboolean
net_validate_forward(const VbNetworkDef *def, GError **error)
{
    const VbNetworkForward *fwd = &def->forward;
    const char *mode = vb_network_forward_to_string(fwd->mode);

    if (fwd->addresses->len && fwd->mode != VB_NETWORK_FORWARD_HOSTDEV) {
        vb_set_error(error, VB_ERR_XML_ERROR, "<address> elements in <forward> need mode='hostdev', "
                     "not mode='%s' (network '%s')", mode, def->name);
        return FALSE;
    }
    if (!vb_network_forward_is_routed(fwd->mode))
        return net_validate_l2(def, mode, error);
    if ((fwd->mode == VB_NETWORK_FORWARD_OPEN && fwd->interfaces->len) || fwd->pfs->len) {
        vb_set_error(error, VB_ERR_XML_ERROR, "forward dev not allowed for network '%s' with forward "
                     "mode='%s'", def->name, mode);
        return FALSE;
    }
    return TRUE;
}

static gboolean
net_validate_portgroups(const VbNetworkDef *def, GError **error)
{
    const VbNetworkPortGroup *found_default = NULL;

    for (guint i = 0; i < def->portgroups->len; i++) {
        const VbNetworkPortGroup *pg = g_ptr_array_index(def->portgroups, i);

        for (guint j = 0; j < i; j++) {
            if (g_str_equal(pg->name, ((VbNetworkPortGroup *)g_ptr_array_index(def->portgroups, j))->name)) {
                vb_set_error(error, VB_ERR_XML_ERROR, "duplicate portgroup name '%s' in network '%s'",
                             pg->name, def->name);
                return FALSE;
            }
        }
        if (pg->is_default && found_default) {
            vb_set_error(error, VB_ERR_XML_ERROR, "Multiple default portGroups (%s and %s) in "
                         "network '%s'", found_default->name, pg->name, def->name);
            return FALSE;
        }
        if (pg->is_default)
            found_default = pg;
    }
    return TRUE;
}

static gboolean
net_parse_sections(xmlNodePtr root, VbNetworkDef *def, GError **error)
{
    NetCtx ctx = { def->name, NULL, FALSE };

    return net_parse_forward(root, def, error) &&
           net_parse_bridge(root, def, error) &&
           net_parse_mtu_mac(root, def, error) &&
           net_parse_domain(root, def, error) &&
           net_parse_dns(root, def, &ctx, error) &&
           net_parse_vlan(root, &def->vlan, error) &&
           net_parse_bandwidth(root, &def->bandwidth, error) &&
           net_parse_list(root, "ip", net_parse_ip, &ctx, def->ips, error) &&
           net_parse_list(root, "route", net_parse_route, &ctx, def->routes, error) &&
           net_parse_virtualport(root, &def->virtualport, error) &&
           net_parse_list(root, "portgroup", net_parse_portgroup, &ctx, def->portgroups, error);
}

VbNetworkDef *
vb_network_def_parse(const char *xml, guint flags, GError **error)
{
    g_autoptr(xmlDoc) doc = vb_xml_parse(xml, "network", error);
    g_autoptr(VbNetworkDef) def = NULL;
    xmlNodePtr root;

    if (!doc || ((flags & VB_NETWORK_DEFINE_VALIDATE) && !vb_schema_validate("network", doc, error)))
        return NULL;
    root = xmlDocGetRootElement(doc);
    def = net_def_new();
    if (!net_parse_identity(root, def, error) ||
        !net_parse_sections(root, def, error) ||
        !net_validate_forward(def, error) ||
        !net_validate_portgroups(def, error))
        return NULL;
    return g_steal_pointer(&def);
}

static void
net_format_body(VbBuf *buf, const VbNetworkDef *def, guint flags)
{
    vb_buf_escape(buf, "<name>%s</name>\n", def->name);
    vb_buf_add(buf, "<uuid>%s</uuid>\n", def->uuid);
    net_format_forward(buf, &def->forward, flags);
    net_format_bridge(buf, def);
    if (def->mtu)
        vb_buf_add(buf, "<mtu size='%u'/>\n", def->mtu);
    vb_buf_escape(buf, "<mac address='%s'/>\n", def->mac);
    net_format_domain(buf, def);
    net_format_dns(buf, &def->dns);
    net_format_vlan(buf, def->vlan);
    net_format_bandwidth(buf, def->bandwidth);
    for (guint i = 0; i < def->ips->len; i++)
        net_format_ip(buf, g_ptr_array_index(def->ips, i));
    for (guint i = 0; i < def->routes->len; i++)
        net_format_route(buf, g_ptr_array_index(def->routes, i));
    net_format_virtualport(buf, def->virtualport);
    for (guint i = 0; i < def->portgroups->len; i++)
        net_format_portgroup(buf, g_ptr_array_index(def->portgroups, i));
}

char *
vb_network_def_format(const VbNetworkDef *def, guint flags)
{
    g_auto(VbBuf) out = { 0 };
    g_auto(VbBuf) attrs = { 0 };
    g_auto(VbBuf) children = { 0 };

    vb_buf_init(&out, 0);
    vb_buf_init(&attrs, 0);
    vb_buf_init(&children, 0);
    if (def->ipv6)
        vb_buf_add(&attrs, " ipv6='yes'");
    if (def->trust_guest_rx_filters)
        vb_buf_add(&attrs, " trustGuestRxFilters='%s'", yes_no(def->trust_guest_rx_filters));
    net_format_body(&children, def, flags);
    vb_buf_element(&out, "network", &attrs, &children);
    return vb_buf_steal(&out);
}

/* ---- virNetworkUpdate ----------------------------------------------------------------- */

typedef gboolean (*NetUpdateFn)(VbNetworkDef *def, guint command, int parent_index, xmlNodePtr node,
                                GError **error);

static void
update_insert(GPtrArray *list, gpointer item, guint command)
{
    if (command == VB_NETWORK_UPDATE_COMMAND_ADD_FIRST)
        g_ptr_array_insert(list, 0, item);
    else
        g_ptr_array_add(list, item);
}

static void
update_replace(GPtrArray *list, guint index, gpointer item)
{
    g_ptr_array_remove_index(list, index);
    g_ptr_array_insert(list, (gint)index, item);
}

/* libvirt's virNetworkIPDefByIndex: @parent_index, or the <ip> that already has dhcp, or
 * the first IPv4 then IPv6 one. */
static VbNetworkIpDef *
update_find_ip(VbNetworkDef *def, int parent_index, GError **error)
{
    if (parent_index >= 0 && (guint)parent_index < def->ips->len)
        return g_ptr_array_index(def->ips, parent_index);
    if (parent_index >= 0) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "couldn't update dhcp host entry - no <ip> "
                     "element found at index %d in network '%s'", parent_index, def->name);
        return NULL;
    }
    for (guint i = 0; i < def->ips->len; i++) {
        VbNetworkIpDef *ip = g_ptr_array_index(def->ips, i);

        if (ip->ranges->len || ip->hosts->len)
            return ip;
    }
    for (int family = 4; family <= 6; family += 2) {
        for (guint i = 0; i < def->ips->len; i++) {
            VbNetworkIpDef *ip = g_ptr_array_index(def->ips, i);

            if (net_addr_family(ip->address) == family)
                return ip;
        }
    }
    vb_set_error(error, VB_ERR_OPERATION_INVALID, "couldn't update dhcp host entry - no <ip> "
                 "element found in network '%s'", def->name);
    return NULL;
}

static gboolean
update_check_multi_dhcp(const VbNetworkDef *def, const VbNetworkIpDef *target, GError **error)
{
    int family = net_addr_family(target->address);

    for (guint i = 0; i < def->ips->len; i++) {
        const VbNetworkIpDef *ip = g_ptr_array_index(def->ips, i);

        if (ip != target && net_addr_family(ip->address) == family &&
            (ip->ranges->len || ip->hosts->len)) {
            vb_set_error(error, VB_ERR_OPERATION_UNSUPPORTED, "dhcp is supported only for a single "
                         "%s address on each network", family == 4 ? "IPv4" : "IPv6");
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
dhcp_host_matches_any(const VbNetworkDhcpHost *entry, const VbNetworkDhcpHost *host)
{
    return (host->mac && g_strcmp0(host->mac, entry->mac) == 0) ||
           (host->ip && g_strcmp0(host->ip, entry->ip) == 0) ||
           (host->name && g_strcmp0(host->name, entry->name) == 0);
}

static gboolean
dhcp_host_matches_all(const VbNetworkDhcpHost *entry, const VbNetworkDhcpHost *host)
{
    return (!host->mac || !entry->mac || g_str_equal(host->mac, entry->mac)) &&
           (!host->name || g_strcmp0(host->name, entry->name) == 0) &&
           (!host->ip || g_strcmp0(host->ip, entry->ip) == 0);
}

static int
dhcp_host_find(const GPtrArray *hosts, const VbNetworkDhcpHost *host, gboolean all)
{
    for (guint i = 0; i < hosts->len; i++) {
        const VbNetworkDhcpHost *entry = g_ptr_array_index(hosts, i);

        if (all ? dhcp_host_matches_all(entry, host) : dhcp_host_matches_any(entry, host))
            return (int)i;
    }
    return -1;
}

static gboolean
dhcp_host_check_update(const VbNetworkDef *def, const VbNetworkDhcpHost *host, int index,
                       guint command, GError **error)
{
    const char *mac = host->mac ? host->mac : "unknown";
    const char *name = host->name ? host->name : "unknown";
    const char *ip = host->ip ? host->ip : "unknown";

    if (command == VB_NETWORK_UPDATE_COMMAND_MODIFY && index < 0) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "couldn't locate an existing dhcp host entry "
                     "with \"mac='%s'\" \"name='%s'\" \"ip='%s'\" in network '%s'", mac, name, ip,
                     def->name);
        return FALSE;
    }
    if (command == VB_NETWORK_UPDATE_COMMAND_DELETE && index < 0) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "couldn't locate a matching dhcp host entry "
                     "in network '%s'", def->name);
        return FALSE;
    }
    if (command >= VB_NETWORK_UPDATE_COMMAND_ADD_LAST && index >= 0) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "there is an existing dhcp host entry in "
                     "network '%s' that matches \"<host mac='%s' name='%s' ip='%s'/>\"", def->name,
                     mac, name, ip);
        return FALSE;
    }
    return TRUE;
}

static gboolean
update_dhcp_host(VbNetworkDef *def, guint command, int parent_index, xmlNodePtr node, GError **error)
{
    VbNetworkIpDef *ip = update_find_ip(def, parent_index, error);
    NetCtx ctx = { def->name, ip, command == VB_NETWORK_UPDATE_COMMAND_DELETE };
    g_autoptr(VbNetworkDhcpHost) host = NULL;
    int index;

    if (!ip || !update_check_multi_dhcp(def, ip, error))
        return FALSE;
    if (!(host = net_parse_dhcp_host(node, &ctx, error)))
        return FALSE;
    index = dhcp_host_find(ip->hosts, host, command == VB_NETWORK_UPDATE_COMMAND_DELETE);
    if (!dhcp_host_check_update(def, host, index, command, error))
        return FALSE;
    if (command == VB_NETWORK_UPDATE_COMMAND_MODIFY)
        update_replace(ip->hosts, (guint)index, g_steal_pointer(&host));
    else if (command == VB_NETWORK_UPDATE_COMMAND_DELETE)
        g_ptr_array_remove_index(ip->hosts, (guint)index);
    else
        update_insert(ip->hosts, g_steal_pointer(&host), command);
    return TRUE;
}

static int
dhcp_range_find(const GPtrArray *ranges, const VbNetworkDhcpRange *range)
{
    for (guint i = 0; i < ranges->len; i++) {
        const VbNetworkDhcpRange *entry = g_ptr_array_index(ranges, i);

        if (g_str_equal(entry->start, range->start) && g_str_equal(entry->end, range->end))
            return (int)i;
    }
    return -1;
}

static gboolean
update_dhcp_range(VbNetworkDef *def, guint command, int parent_index, xmlNodePtr node, GError **error)
{
    VbNetworkIpDef *ip = update_find_ip(def, parent_index, error);
    NetCtx ctx = { def->name, ip, FALSE };
    g_autoptr(VbNetworkDhcpRange) range = NULL;
    int index;

    if (!ip || !update_check_multi_dhcp(def, ip, error))
        return FALSE;
    if (!(range = net_parse_dhcp_range(node, &ctx, error)))
        return FALSE;
    index = dhcp_range_find(ip->ranges, range);
    if (command == VB_NETWORK_UPDATE_COMMAND_DELETE) {
        if (index < 0) {
            vb_set_error(error, VB_ERR_OPERATION_INVALID, "couldn't locate a matching dhcp range "
                         "entry in network '%s'", def->name);
            return FALSE;
        }
        g_ptr_array_remove_index(ip->ranges, (guint)index);
        return TRUE;
    }
    if (index >= 0) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "there is an existing dhcp range entry in "
                     "network '%s' that matches \"<range start='%s' end='%s'/>\"", def->name,
                     range->start, range->end);
        return FALSE;
    }
    update_insert(ip->ranges, g_steal_pointer(&range), command);
    return TRUE;
}

static int
string_list_find(const GPtrArray *list, const char *value)
{
    for (guint i = 0; i < list->len; i++) {
        if (g_str_equal(g_ptr_array_index(list, i), value))
            return (int)i;
    }
    return -1;
}

static gboolean
update_forward_interface(VbNetworkDef *def, guint command, int parent_index, xmlNodePtr node,
                         GError **error)
{
    GPtrArray *ifaces = def->forward.interfaces;
    g_autofree char *dev = vb_xml_prop(node, "dev");
    int index;

    if (!dev) {
        vb_set_error(error, VB_ERR_XML_ERROR, "missing dev attribute in <interface> element");
        return FALSE;
    }
    index = string_list_find(ifaces, dev);
    if (command == VB_NETWORK_UPDATE_COMMAND_DELETE) {
        if (index < 0) {
            vb_set_error(error, VB_ERR_OPERATION_INVALID, "couldn't find an interface entry in "
                         "network '%s' matching <interface dev='%s'>", def->name, dev);
            return FALSE;
        }
        g_ptr_array_remove_index(ifaces, (guint)index);
        return TRUE;
    }
    if (index >= 0) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "there is an existing interface entry in "
                     "network '%s' that matches \"<interface dev='%s'>\"", def->name, dev);
        return FALSE;
    }
    update_insert(ifaces, g_steal_pointer(&dev), command);
    return TRUE;
}

static int
portgroup_find(const GPtrArray *portgroups, const char *name, gboolean want_default)
{
    for (guint i = 0; i < portgroups->len; i++) {
        const VbNetworkPortGroup *pg = g_ptr_array_index(portgroups, i);

        if (want_default ? pg->is_default : g_str_equal(pg->name, name))
            return (int)i;
    }
    return -1;
}

static gboolean
update_portgroup(VbNetworkDef *def, guint command, int parent_index, xmlNodePtr node, GError **error)
{
    NetCtx ctx = { def->name, NULL, FALSE };
    g_autoptr(VbNetworkPortGroup) pg = net_parse_portgroup(node, &ctx, error);
    gboolean add = command >= VB_NETWORK_UPDATE_COMMAND_ADD_LAST;
    int index, found_default;

    if (!pg)
        return FALSE;
    index = portgroup_find(def->portgroups, pg->name, FALSE);
    found_default = portgroup_find(def->portgroups, NULL, TRUE);
    if (index < 0 && !add) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "couldn't find a portgroup entry in network "
                     "'%s' matching <portgroup name='%s'>", def->name, pg->name);
    } else if (index >= 0 && add) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "there is an existing portgroup entry in "
                     "network '%s' that matches \"<portgroup name='%s'>\"", def->name, pg->name);
    } else if (command != VB_NETWORK_UPDATE_COMMAND_DELETE && pg->is_default &&
               found_default >= 0 && found_default != index) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "a different portgroup entry in network '%s' "
                     "is already set as the default. Only one default is allowed.", def->name);
    } else if (command == VB_NETWORK_UPDATE_COMMAND_DELETE) {
        g_ptr_array_remove_index(def->portgroups, (guint)index);
        return TRUE;
    } else {
        if (add)
            update_insert(def->portgroups, g_steal_pointer(&pg), command);
        else
            update_replace(def->portgroups, (guint)index, g_steal_pointer(&pg));
        return TRUE;
    }
    return FALSE;
}

static gboolean
dns_host_matches(const VbNetworkDnsHost *entry, const VbNetworkDnsHost *host, gboolean ip_only)
{
    if (host->ip && g_strcmp0(host->ip, entry->ip) == 0)
        return TRUE;
    for (guint i = 0; !ip_only && i < host->hostnames->len; i++) {
        if (string_list_find(entry->hostnames, g_ptr_array_index(host->hostnames, i)) >= 0)
            return TRUE;
    }
    return FALSE;
}

static gboolean
update_dns_host(VbNetworkDef *def, guint command, int parent_index, xmlNodePtr node, GError **error)
{
    gboolean add = command != VB_NETWORK_UPDATE_COMMAND_DELETE;
    NetCtx ctx = { def->name, NULL, !add };
    g_autoptr(VbNetworkDnsHost) host = net_parse_dns_host(node, &ctx, error);
    GPtrArray *hosts = def->dns.hosts;
    guint count = 0, found = 0;

    if (!host)
        return FALSE;
    for (guint i = 0; i < hosts->len; i++) {
        if (dns_host_matches(g_ptr_array_index(hosts, i), host, add)) {
            count++;
            found = i;
        }
    }
    if (add && count > 0) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "there is already at least one DNS HOST "
                     "record with a matching field in network %s", def->name);
    } else if (!add && count != 1) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, count ? "multiple matching DNS HOST records "
                     "were found in network %s" : "couldn't locate a matching DNS HOST record in "
                     "network %s", def->name);
    } else if (add) {
        update_insert(hosts, g_steal_pointer(&host), command);
        return TRUE;
    } else {
        g_ptr_array_remove_index(hosts, found);
        return TRUE;
    }
    return FALSE;
}

static gboolean
update_dns_txt(VbNetworkDef *def, guint command, int parent_index, xmlNodePtr node, GError **error)
{
    gboolean add = command != VB_NETWORK_UPDATE_COMMAND_DELETE;
    NetCtx ctx = { def->name, NULL, !add };
    g_autoptr(VbNetworkDnsTxt) txt = net_parse_dns_txt(node, &ctx, error);
    int index = -1;

    if (!txt)
        return FALSE;
    for (guint i = 0; i < def->dns.txts->len && index < 0; i++) {
        if (g_str_equal(((VbNetworkDnsTxt *)g_ptr_array_index(def->dns.txts, i))->name, txt->name))
            index = (int)i;
    }
    if (add && index >= 0) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "there is already a DNS TXT record with name "
                     "'%s' in network %s", txt->name, def->name);
        return FALSE;
    }
    if (!add && index < 0) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "couldn't locate a matching DNS TXT record in "
                     "network %s", def->name);
        return FALSE;
    }
    if (add)
        update_insert(def->dns.txts, g_steal_pointer(&txt), command);
    else
        g_ptr_array_remove_index(def->dns.txts, (guint)index);
    return TRUE;
}

static gboolean
dns_srv_matches(const VbNetworkDnsSrv *entry, const VbNetworkDnsSrv *srv)
{
    return (!srv->domain || g_strcmp0(srv->domain, entry->domain) == 0) &&
           (!srv->service || g_strcmp0(srv->service, entry->service) == 0) &&
           (!srv->protocol || g_strcmp0(srv->protocol, entry->protocol) == 0) &&
           (!srv->target || g_strcmp0(srv->target, entry->target) == 0);
}

static gboolean
update_dns_srv(VbNetworkDef *def, guint command, int parent_index, xmlNodePtr node, GError **error)
{
    gboolean add = command != VB_NETWORK_UPDATE_COMMAND_DELETE;
    NetCtx ctx = { def->name, NULL, !add };
    g_autoptr(VbNetworkDnsSrv) srv = net_parse_dns_srv(node, &ctx, error);
    GPtrArray *srvs = def->dns.srvs;
    guint count = 0, found = 0;

    if (!srv)
        return FALSE;
    for (guint i = 0; i < srvs->len; i++) {
        if (dns_srv_matches(g_ptr_array_index(srvs, i), srv)) {
            count++;
            found = i;
        }
    }
    if (add && count > 0) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "there is already at least one DNS SRV record "
                     "matching all specified fields in network %s", def->name);
    } else if (!add && count != 1) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, count ? "multiple DNS SRV records matching "
                     "all specified fields were found in network %s" : "couldn't locate a matching "
                     "DNS SRV record in network %s", def->name);
    } else if (add) {
        update_insert(srvs, g_steal_pointer(&srv), command);
        return TRUE;
    } else {
        g_ptr_array_remove_index(srvs, found);
        return TRUE;
    }
    return FALSE;
}

typedef struct {
    const char *name;           /* as libvirt's "can't update '%s' section" names it */
    const char *element;        /* the element @xml holds */
    gboolean modify;            /* whether MODIFY is supported */
    NetUpdateFn update;
} NetUpdateSection;

static const NetUpdateSection update_sections[VB_NETWORK_SECTION_LAST] = {
    [VB_NETWORK_SECTION_NONE] = { "unknown section", NULL, FALSE, NULL },
    [VB_NETWORK_SECTION_BRIDGE] = { "bridge", NULL, FALSE, NULL },
    [VB_NETWORK_SECTION_DOMAIN] = { "domain", NULL, FALSE, NULL },
    [VB_NETWORK_SECTION_IP] = { "ip", NULL, FALSE, NULL },
    [VB_NETWORK_SECTION_IP_DHCP_HOST] = { "ip dhcp host", "host", TRUE, update_dhcp_host },
    [VB_NETWORK_SECTION_IP_DHCP_RANGE] = { "ip dhcp range", "range", FALSE, update_dhcp_range },
    [VB_NETWORK_SECTION_FORWARD] = { "forward", NULL, FALSE, NULL },
    [VB_NETWORK_SECTION_FORWARD_INTERFACE] = {
        "forward interface", "interface", FALSE, update_forward_interface
    },
    [VB_NETWORK_SECTION_FORWARD_PF] = { "forward pf", NULL, FALSE, NULL },
    [VB_NETWORK_SECTION_PORTGROUP] = { "portgroup", "portgroup", TRUE, update_portgroup },
    [VB_NETWORK_SECTION_DNS_HOST] = { "dns host", "host", FALSE, update_dns_host },
    [VB_NETWORK_SECTION_DNS_TXT] = { "dns txt", "txt", FALSE, update_dns_txt },
    [VB_NETWORK_SECTION_DNS_SRV] = { "dns srv", "srv", FALSE, update_dns_srv },
};

gboolean
vb_network_def_update(VbNetworkDef *def, guint command, guint section, int parent_index,
                      const char *xml, guint flags, GError **error)
{
    const NetUpdateSection *sec = section < VB_NETWORK_SECTION_LAST ? &update_sections[section] : NULL;
    g_autoptr(xmlDoc) doc = NULL;

    if (!vb_check_flags(flags, VB_NETWORK_UPDATE_AFFECT_LIVE | VB_NETWORK_UPDATE_AFFECT_CONFIG,
                        "vb_network_def_update", error))
        return FALSE;
    if (command < VB_NETWORK_UPDATE_COMMAND_MODIFY || command > VB_NETWORK_UPDATE_COMMAND_ADD_FIRST) {
        vb_set_error(error, VB_ERR_NO_SUPPORT, "unrecognized network update command code %u", command);
        return FALSE;
    }
    if (!sec || !sec->update || (command == VB_NETWORK_UPDATE_COMMAND_MODIFY && !sec->modify)) {
        vb_set_error(error, VB_ERR_NO_SUPPORT, "can't update '%s' section of network '%s'",
                     sec ? sec->name : "unknown section", def->name);
        return FALSE;
    }
    if (!(doc = vb_xml_parse(xml, sec->element, error)))
        return FALSE;
    return sec->update(def, command, parent_index, xmlDocGetRootElement(doc), error);
}
