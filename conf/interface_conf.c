/* interface_conf.c: host interface XML (libvirt's formatinterface, as netcf writes it) */
#include "interface_conf.h"

#include <arpa/inet.h>
#include <string.h>

VB_ENUM_IMPL(vb_interface_type, VB_INTERFACE_LAST, "ethernet", "bridge", "bond", "vlan");
VB_ENUM_IMPL(vb_interface_start_mode, VB_INTERFACE_START_LAST,
             "unspecified", "none", "onboot", "hotplug");
VB_ENUM_IMPL(vb_interface_link_state, VB_INTERFACE_LINK_LAST,
             "unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up");
VB_ENUM_IMPL(vb_interface_bond_mode, VB_INTERFACE_BOND_LAST,
             "none", "balance-rr", "active-backup", "balance-xor", "broadcast", "802.3ad",
             "balance-tlb", "balance-alb");
VB_ENUM_IMPL(vb_interface_bond_carrier, VB_INTERFACE_CARRIER_LAST, "none", "ioctl", "netif");
VB_ENUM_IMPL(vb_interface_arp_validate, VB_INTERFACE_ARP_VALIDATE_LAST,
             "none", "active", "backup", "all");
VB_ENUM_IMPL(vb_interface_family, VB_INTERFACE_FAMILY_LAST, "ipv4", "ipv6");

static VbInterfaceDef *iface_parse_node(xmlNodePtr node, VbInterfaceType parent, GError **error);
static void iface_format_node(VbBuf *buf, const VbInterfaceDef *def, gboolean nested);

/* ---- lifetime ---- */

static void
iface_ip_free(VbInterfaceIp *ip)
{
    g_free(ip->address);
    g_free(ip);
}

static void
iface_protocol_free(VbInterfaceProtocol *proto)
{
    g_ptr_array_unref(proto->ips);
    g_free(proto->gateway);
    g_free(proto);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbInterfaceProtocol, iface_protocol_free)

static VbInterfaceProtocol *
iface_protocol_new(void)
{
    VbInterfaceProtocol *proto = g_new0(VbInterfaceProtocol, 1);

    proto->ips = g_ptr_array_new_with_free_func((GDestroyNotify)iface_ip_free);
    return proto;
}

static VbInterfaceDef *
iface_def_new(void)
{
    VbInterfaceDef *def = g_new0(VbInterfaceDef, 1);

    def->protocols = g_ptr_array_new_with_free_func((GDestroyNotify)iface_protocol_free);
    def->bridge.ifaces = g_ptr_array_new_with_free_func((GDestroyNotify)vb_interface_def_free);
    def->bond.ifaces = g_ptr_array_new_with_free_func((GDestroyNotify)vb_interface_def_free);
    return def;
}

void
vb_interface_def_free(VbInterfaceDef *def)
{
    if (!def)
        return;
    g_free(def->name);
    g_free(def->mac);
    g_ptr_array_unref(def->protocols);
    g_free(def->bridge.delay);
    g_ptr_array_unref(def->bridge.ifaces);
    g_free(def->bond.target);
    g_ptr_array_unref(def->bond.ifaces);
    g_free(def->vlan.dev_name);
    g_free(def);
}

/* ---- <protocol> ---- */

static gboolean
iface_address_valid(VbInterfaceFamily family, const char *address)
{
    guint8 raw[16];

    return inet_pton(family == VB_INTERFACE_FAMILY_IPV6 ? AF_INET6 : AF_INET, address, raw) == 1;
}

static gboolean
iface_parse_ip(xmlNodePtr node, VbInterfaceProtocol *proto, GError **error)
{
    guint max_prefix = proto->family == VB_INTERFACE_FAMILY_IPV6 ? 128 : 32;
    g_autofree char *address = NULL;
    VbInterfaceIp *ip;
    guint prefix = 0;

    if (!vb_xml_prop_required(node, "address", &address, error) ||
        !vb_xml_prop_uint(node, "prefix", VB_XML_OPTIONAL, &prefix, error))
        return FALSE;
    if (!iface_address_valid(proto->family, address)) {
        vb_set_invalid_value(error, node, "address", address);
        return FALSE;
    }
    if (prefix > max_prefix) {
        vb_set_error(error, VB_ERR_XML_ERROR, "Invalid ip address prefix value %u", prefix);
        return FALSE;
    }
    ip = g_new0(VbInterfaceIp, 1);
    ip->address = g_steal_pointer(&address);
    ip->prefix = prefix;
    g_ptr_array_add(proto->ips, ip);
    return TRUE;
}

static gboolean
iface_parse_route(xmlNodePtr node, VbInterfaceProtocol *proto, GError **error)
{
    if (!node)
        return TRUE;
    if (!vb_xml_prop_required(node, "gateway", &proto->gateway, error))
        return FALSE;
    if (!iface_address_valid(proto->family, proto->gateway)) {
        vb_set_invalid_value(error, node, "gateway", proto->gateway);
        return FALSE;
    }
    return TRUE;
}

static VbInterfaceProtocol *
iface_parse_protocol(xmlNodePtr node, GError **error)
{
    g_autoptr(VbInterfaceProtocol) proto = iface_protocol_new();
    xmlNodePtr dhcp = vb_xml_child(node, "dhcp");
    int family = 0;

    if (!vb_xml_prop_enum(node, "family", vb_interface_family_from_string, VB_XML_REQUIRED,
                          &family, error))
        return NULL;
    proto->family = family;
    proto->autoconf = family == VB_INTERFACE_FAMILY_IPV6 && vb_xml_child(node, "autoconf");
    proto->dhcp = dhcp != NULL;
    if (dhcp && !vb_xml_prop_tristate(dhcp, "peerdns", "yes", "no", &proto->peerdns, error))
        return NULL;
    VB_XML_FOREACH_CHILD(node, "ip", ip) {
        if (!iface_parse_ip(ip, proto, error))
            return NULL;
    }
    if (!iface_parse_route(vb_xml_child(node, "route"), proto, error))
        return NULL;
    return g_steal_pointer(&proto);
}

static gboolean
iface_parse_protocols(xmlNodePtr root, VbInterfaceDef *def, GError **error)
{
    gboolean seen[VB_INTERFACE_FAMILY_LAST] = { FALSE };

    VB_XML_FOREACH_CHILD(root, "protocol", node) {
        VbInterfaceProtocol *proto = iface_parse_protocol(node, error);

        if (!proto)
            return FALSE;
        g_ptr_array_add(def->protocols, proto);
        if (seen[proto->family]) {
            vb_set_error(error, VB_ERR_XML_ERROR, "protocol family '%s' specified more than once",
                         vb_interface_family_to_string(proto->family));
            return FALSE;
        }
        seen[proto->family] = TRUE;
    }
    return TRUE;
}

/* ---- common leaf elements ---- */

static gboolean
iface_parse_start(xmlNodePtr root, VbInterfaceDef *def, GError **error)
{
    g_autofree char *mode = vb_xml_prop(vb_xml_child(root, "start"), "mode");
    int value;

    if (!mode)
        return TRUE;
    value = vb_interface_start_mode_from_string(mode);
    if (value <= VB_INTERFACE_START_UNSPECIFIED) {
        vb_set_error(error, VB_ERR_XML_ERROR, "unknown interface startmode %s", mode);
        return FALSE;
    }
    def->start_mode = value;
    return TRUE;
}

static gboolean
iface_parse_mac(xmlNodePtr root, VbInterfaceDef *def, GError **error)
{
    g_autofree char *mac = vb_xml_prop(vb_xml_child(root, "mac"), "address");
    char canonical[VB_MAC_STRING_LEN];

    if (!mac)
        return TRUE;
    if (!vb_mac_parse(mac, canonical)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "unable to parse mac address '%s'", mac);
        return FALSE;
    }
    def->mac = g_strdup(canonical);
    return TRUE;
}

static gboolean
iface_parse_mtu(xmlNodePtr root, VbInterfaceDef *def, GError **error)
{
    xmlNodePtr mtu = vb_xml_child(root, "mtu");

    return !mtu || vb_xml_prop_uint(mtu, "size", VB_XML_REQUIRED | VB_XML_NONZERO, &def->mtu, error);
}

static gboolean
iface_parse_link(xmlNodePtr root, VbInterfaceDef *def, GError **error)
{
    xmlNodePtr node = vb_xml_child(root, "link");
    int state = VB_INTERFACE_LINK_UNKNOWN;

    if (!node)
        return TRUE;
    if (!vb_xml_prop_uint(node, "speed", VB_XML_OPTIONAL, &def->link_speed, error) ||
        !vb_xml_prop_enum(node, "state", vb_interface_link_state_from_string, VB_XML_OPTIONAL,
                          &state, error))
        return FALSE;
    def->link_state = state;
    return TRUE;
}

/* The <interface> children of @owner's <bridge> or <bond> element, each of a type in @allowed. */
static gboolean
iface_parse_children(xmlNodePtr container, const VbInterfaceDef *owner, GPtrArray *out,
                     guint allowed, GError **error)
{
    VB_XML_FOREACH_CHILD(container, "interface", node) {
        VbInterfaceDef *child = iface_parse_node(node, owner->type, error);

        if (!child)
            return FALSE;
        g_ptr_array_add(out, child);
        if (!(allowed & (1u << child->type))) {
            vb_set_error(error, VB_ERR_XML_ERROR, "%s interface '%s' cannot contain %s interface '%s'",
                         vb_interface_type_to_string(owner->type), owner->name,
                         vb_interface_type_to_string(child->type), child->name);
            return FALSE;
        }
    }
    return TRUE;
}

/* ---- <bridge> ---- */

static gboolean
iface_delay_valid(const char *delay)
{
    static const char digits[] = "0123456789";
    gsize whole = strspn(delay, digits);
    const char *rest = delay + whole;

    if (*rest == '.' && strspn(rest + 1, digits) > 0)
        rest += 1 + strspn(rest + 1, digits);
    return rest != delay && *rest == '\0';
}

static gboolean
iface_parse_bridge(xmlNodePtr root, VbInterfaceDef *def, GError **error)
{
    xmlNodePtr node = vb_xml_child(root, "bridge");
    guint allowed = 1u << VB_INTERFACE_ETHERNET | 1u << VB_INTERFACE_VLAN | 1u << VB_INTERFACE_BOND;

    if (!node) {
        vb_set_error(error, VB_ERR_XML_ERROR, "bridge interface misses the bridge element");
        return FALSE;
    }
    if (!vb_xml_prop_tristate(node, "stp", "on", "off", &def->bridge.stp, error))
        return FALSE;
    def->bridge.delay = vb_xml_prop(node, "delay");
    if (def->bridge.delay && !iface_delay_valid(def->bridge.delay)) {
        vb_set_invalid_value(error, node, "delay", def->bridge.delay);
        return FALSE;
    }
    return iface_parse_children(node, def, def->bridge.ifaces, allowed, error);
}

/* ---- <bond> ---- */

static gboolean
iface_parse_miimon(xmlNodePtr node, VbInterfaceBond *bond, GError **error)
{
    int carrier = VB_INTERFACE_CARRIER_NONE;

    if (!vb_xml_prop_uint(node, "freq", VB_XML_REQUIRED, &bond->freq, error) ||
        !vb_xml_prop_uint(node, "downdelay", VB_XML_OPTIONAL, &bond->downdelay, error) ||
        !vb_xml_prop_uint(node, "updelay", VB_XML_OPTIONAL, &bond->updelay, error) ||
        !vb_xml_prop_enum(node, "carrier", vb_interface_bond_carrier_from_string, VB_XML_NONZERO,
                          &carrier, error))
        return FALSE;
    bond->monitor = VB_INTERFACE_MONITOR_MII;
    bond->carrier = carrier;
    return TRUE;
}

static gboolean
iface_parse_arpmon(xmlNodePtr node, VbInterfaceBond *bond, GError **error)
{
    int validate = VB_INTERFACE_ARP_VALIDATE_NONE;

    if (!vb_xml_prop_uint(node, "interval", VB_XML_REQUIRED, &bond->interval, error) ||
        !vb_xml_prop_required(node, "target", &bond->target, error) ||
        !vb_xml_prop_enum(node, "validate", vb_interface_arp_validate_from_string, VB_XML_OPTIONAL,
                          &validate, error))
        return FALSE;
    bond->monitor = VB_INTERFACE_MONITOR_ARP;
    bond->validate = validate;
    return TRUE;
}

static gboolean
iface_parse_bond_monitor(xmlNodePtr node, VbInterfaceBond *bond, GError **error)
{
    xmlNodePtr miimon = vb_xml_child(node, "miimon");
    xmlNodePtr arpmon = vb_xml_child(node, "arpmon");

    if (miimon && arpmon) {
        vb_set_error(error, VB_ERR_XML_ERROR, "bond interface can use miimon or arpmon but not both");
        return FALSE;
    }
    if (miimon)
        return iface_parse_miimon(miimon, bond, error);
    if (arpmon)
        return iface_parse_arpmon(arpmon, bond, error);
    return TRUE;
}

static gboolean
iface_parse_bond(xmlNodePtr root, VbInterfaceDef *def, GError **error)
{
    xmlNodePtr node = vb_xml_child(root, "bond");
    VbInterfaceBond *bond = &def->bond;
    int mode = VB_INTERFACE_BOND_NONE;

    if (!node) {
        vb_set_error(error, VB_ERR_XML_ERROR, "bond interface misses the bond element");
        return FALSE;
    }
    if (!vb_xml_prop_enum(node, "mode", vb_interface_bond_mode_from_string, VB_XML_NONZERO,
                          &mode, error) ||
        !iface_parse_bond_monitor(node, bond, error) ||
        !iface_parse_children(node, def, bond->ifaces, 1u << VB_INTERFACE_ETHERNET, error))
        return FALSE;
    bond->mode = mode;
    if (bond->ifaces->len == 0) {
        vb_set_error(error, VB_ERR_XML_ERROR, "bond has no interfaces");
        return FALSE;
    }
    return TRUE;
}

/* ---- <vlan> ---- */

static gboolean
iface_parse_vlan(xmlNodePtr root, VbInterfaceDef *def, GError **error)
{
    xmlNodePtr node = vb_xml_child(root, "vlan");
    g_autofree char *tag = NULL;

    if (!node) {
        vb_set_error(error, VB_ERR_XML_ERROR, "vlan interface misses vlan element");
        return FALSE;
    }
    tag = vb_xml_prop(node, "tag");
    if (!tag) {
        vb_set_error(error, VB_ERR_XML_ERROR, "vlan element lacks tag attribute");
        return FALSE;
    }
    if (!vb_xml_prop_uint(node, "tag", VB_XML_OPTIONAL, &def->vlan.tag, error))
        return FALSE;
    if (def->vlan.tag > 4095) {
        vb_set_invalid_value(error, node, "tag", tag);
        return FALSE;
    }
    def->vlan.dev_name = vb_xml_prop(vb_xml_child(node, "interface"), "name");
    if (!def->vlan.dev_name || !*def->vlan.dev_name) {
        vb_set_error(error, VB_ERR_XML_ERROR, "vlan interface lacks name");
        return FALSE;
    }
    return TRUE;
}

/* ---- one <interface>, top level or nested ---- */

static gboolean
iface_parse_identity(xmlNodePtr node, VbInterfaceDef *def, GError **error)
{
    g_autofree char *type = vb_xml_prop(node, "type");
    int value;

    if (!type) {
        vb_set_error(error, VB_ERR_XML_ERROR, "interface misses the type attribute");
        return FALSE;
    }
    value = vb_interface_type_from_string(type);
    if (value < 0) {
        vb_set_error(error, VB_ERR_XML_ERROR, "unknown interface type %s", type);
        return FALSE;
    }
    def->type = value;
    def->name = vb_xml_prop(node, "name");
    if (!def->name || !*def->name) {
        vb_set_error(error, VB_ERR_XML_ERROR, "interface has no name");
        return FALSE;
    }
    return vb_name_validate(def->name, "interface", error);
}

static gboolean
iface_parse_type_specific(xmlNodePtr node, VbInterfaceDef *def, GError **error)
{
    switch (def->type) {
    case VB_INTERFACE_BRIDGE:
        return iface_parse_bridge(node, def, error);
    case VB_INTERFACE_BOND:
        return iface_parse_bond(node, def, error);
    case VB_INTERFACE_VLAN:
        return iface_parse_vlan(node, def, error);
    case VB_INTERFACE_ETHERNET:
    case VB_INTERFACE_LAST:
        break;
    }
    return TRUE;
}

/* Start mode and IP configuration belong to the top-level interface only; libvirt ignores
 * them on interfaces nested in a bridge or bond (@parent is then that type). */
static VbInterfaceDef *
iface_parse_node(xmlNodePtr node, VbInterfaceType parent, GError **error)
{
    g_autoptr(VbInterfaceDef) def = iface_def_new();
    gboolean top = parent == VB_INTERFACE_LAST;

    if (!iface_parse_identity(node, def, error) ||
        (top && !iface_parse_start(node, def, error)) ||
        !iface_parse_mac(node, def, error) ||
        !iface_parse_link(node, def, error) ||
        !iface_parse_mtu(node, def, error) ||
        (top && !iface_parse_protocols(node, def, error)) ||
        !iface_parse_type_specific(node, def, error))
        return NULL;
    return g_steal_pointer(&def);
}

VbInterfaceDef *
vb_interface_def_parse(const char *xml, guint flags, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;

    if (!vb_check_flags(flags, 0, "vb_interface_def_parse", error) ||
        !(doc = vb_xml_parse(xml, "interface", error)))
        return NULL;
    return iface_parse_node(xmlDocGetRootElement(doc), VB_INTERFACE_LAST, error);
}

/* ---- formatting ---- */

static void
iface_format_protocol(VbBuf *buf, const VbInterfaceProtocol *proto)
{
    g_auto(VbBuf) attrs = { 0 };
    g_auto(VbBuf) children = { 0 };

    vb_buf_init(&attrs, 0);
    vb_buf_init(&children, 0);
    vb_buf_add(&attrs, " family='%s'", vb_interface_family_to_string(proto->family));
    if (proto->autoconf)
        vb_buf_add(&children, "<autoconf/>\n");
    if (proto->dhcp && proto->peerdns == VB_TRISTATE_ABSENT)
        vb_buf_add(&children, "<dhcp/>\n");
    else if (proto->dhcp)
        vb_buf_add(&children, "<dhcp peerdns='%s'/>\n", proto->peerdns == VB_TRISTATE_YES ? "yes" : "no");
    for (guint i = 0; i < proto->ips->len; i++) {
        const VbInterfaceIp *ip = g_ptr_array_index(proto->ips, i);

        vb_buf_escape(&children, "<ip address='%s'", ip->address);
        if (ip->prefix)
            vb_buf_add(&children, " prefix='%u'", ip->prefix);
        vb_buf_add(&children, "/>\n");
    }
    vb_buf_escape(&children, "<route gateway='%s'/>\n", proto->gateway);
    vb_buf_element(buf, "protocol", &attrs, &children);
}

static void
iface_format_children(VbBuf *buf, const GPtrArray *ifaces)
{
    for (guint i = 0; i < ifaces->len; i++)
        iface_format_node(buf, g_ptr_array_index(ifaces, i), TRUE);
}

static void
iface_format_bridge(VbBuf *buf, const VbInterfaceBridge *bridge)
{
    g_auto(VbBuf) attrs = { 0 };
    g_auto(VbBuf) children = { 0 };

    vb_buf_init(&attrs, 0);
    vb_buf_init(&children, 0);
    if (bridge->stp != VB_TRISTATE_ABSENT)
        vb_buf_add(&attrs, " stp='%s'", bridge->stp == VB_TRISTATE_YES ? "on" : "off");
    vb_buf_escape(&attrs, " delay='%s'", bridge->delay);
    iface_format_children(&children, bridge->ifaces);
    if (vb_buf_empty(&attrs) && vb_buf_empty(&children)) {
        vb_buf_add(buf, "<bridge/>\n");     /* the element is required even when empty */
        return;
    }
    vb_buf_element(buf, "bridge", &attrs, &children);
}

static void
iface_format_bond_monitor(VbBuf *buf, const VbInterfaceBond *bond)
{
    if (bond->monitor == VB_INTERFACE_MONITOR_MII) {
        vb_buf_add(buf, "<miimon freq='%u'", bond->freq);
        if (bond->downdelay)
            vb_buf_add(buf, " downdelay='%u'", bond->downdelay);
        if (bond->updelay)
            vb_buf_add(buf, " updelay='%u'", bond->updelay);
        if (bond->carrier != VB_INTERFACE_CARRIER_NONE)
            vb_buf_add(buf, " carrier='%s'", vb_interface_bond_carrier_to_string(bond->carrier));
        vb_buf_add(buf, "/>\n");
    } else if (bond->monitor == VB_INTERFACE_MONITOR_ARP) {
        vb_buf_add(buf, "<arpmon interval='%u'", bond->interval);
        vb_buf_escape(buf, " target='%s'", bond->target);
        if (bond->validate != VB_INTERFACE_ARP_VALIDATE_NONE)
            vb_buf_add(buf, " validate='%s'", vb_interface_arp_validate_to_string(bond->validate));
        vb_buf_add(buf, "/>\n");
    }
}

static void
iface_format_bond(VbBuf *buf, const VbInterfaceBond *bond)
{
    g_auto(VbBuf) attrs = { 0 };
    g_auto(VbBuf) children = { 0 };

    vb_buf_init(&attrs, 0);
    vb_buf_init(&children, 0);
    if (bond->mode != VB_INTERFACE_BOND_NONE)
        vb_buf_add(&attrs, " mode='%s'", vb_interface_bond_mode_to_string(bond->mode));
    iface_format_bond_monitor(&children, bond);
    iface_format_children(&children, bond->ifaces);
    vb_buf_element(buf, "bond", &attrs, &children);
}

static void
iface_format_vlan(VbBuf *buf, const VbInterfaceVlan *vlan)
{
    g_auto(VbBuf) attrs = { 0 };
    g_auto(VbBuf) children = { 0 };

    vb_buf_init(&attrs, 0);
    vb_buf_init(&children, 0);
    vb_buf_add(&attrs, " tag='%u'", vlan->tag);
    vb_buf_escape(&children, "<interface name='%s'/>\n", vlan->dev_name);
    vb_buf_element(buf, "vlan", &attrs, &children);
}

static void
iface_format_link(VbBuf *buf, const VbInterfaceDef *def)
{
    g_auto(VbBuf) attrs = { 0 };

    vb_buf_init(&attrs, 0);
    if (def->link_speed)
        vb_buf_add(&attrs, " speed='%u'", def->link_speed);
    if (def->link_state != VB_INTERFACE_LINK_UNKNOWN)
        vb_buf_add(&attrs, " state='%s'", vb_interface_link_state_to_string(def->link_state));
    vb_buf_element(buf, "link", &attrs, NULL);
}

static void
iface_format_type_specific(VbBuf *buf, const VbInterfaceDef *def)
{
    switch (def->type) {
    case VB_INTERFACE_BRIDGE:
        iface_format_bridge(buf, &def->bridge);
        break;
    case VB_INTERFACE_BOND:
        iface_format_bond(buf, &def->bond);
        break;
    case VB_INTERFACE_VLAN:
        iface_format_vlan(buf, &def->vlan);
        break;
    case VB_INTERFACE_ETHERNET:
    case VB_INTERFACE_LAST:
        break;
    }
}

static void
iface_format_node(VbBuf *buf, const VbInterfaceDef *def, gboolean nested)
{
    g_auto(VbBuf) attrs = { 0 };
    g_auto(VbBuf) children = { 0 };

    vb_buf_init(&attrs, 0);
    vb_buf_init(&children, 0);
    vb_buf_add(&attrs, " type='%s'", vb_interface_type_to_string(def->type));
    vb_buf_escape(&attrs, " name='%s'", def->name);
    if (!nested && def->start_mode != VB_INTERFACE_START_UNSPECIFIED)
        vb_buf_add(&children, "<start mode='%s'/>\n", vb_interface_start_mode_to_string(def->start_mode));
    vb_buf_escape(&children, "<mac address='%s'/>\n", def->mac);
    iface_format_link(&children, def);
    if (def->mtu)
        vb_buf_add(&children, "<mtu size='%u'/>\n", def->mtu);
    for (guint i = 0; !nested && i < def->protocols->len; i++)
        iface_format_protocol(&children, g_ptr_array_index(def->protocols, i));
    iface_format_type_specific(&children, def);
    vb_buf_element(buf, "interface", &attrs, &children);
}

char *
vb_interface_def_format(const VbInterfaceDef *def, guint flags)
{
    g_auto(VbBuf) buf = { 0 };

    vb_buf_init(&buf, 0);
    iface_format_node(&buf, def, FALSE);
    return vb_buf_steal(&buf);
}
