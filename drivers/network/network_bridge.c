/* network_bridge.c: the bridge of a virtual network, made and removed through rtnetlink
 * (a NETLINK_ROUTE socket: RTM_NEWLINK, RTM_NEWADDR, RTM_DELLINK), and the host's IPv4
 * addresses for overlap checks. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "drivers/network/network_private.h"

#define NL_BUF_SIZE 1024

/* One request being built: the header, the family header and attributes. */
typedef struct {
    union {
        struct nlmsghdr hdr;
        char buf[NL_BUF_SIZE];
    };
} NlMsg;

static void
nl_init(NlMsg *msg, guint16 type, guint16 flags, const void *family_hdr, gsize family_len)
{
    memset(msg, 0, sizeof(*msg));
    msg->hdr.nlmsg_len = NLMSG_LENGTH(family_len);
    msg->hdr.nlmsg_type = type;
    msg->hdr.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    memcpy(NLMSG_DATA(&msg->hdr), family_hdr, family_len);
}

static struct rtattr *
nl_put(NlMsg *msg, guint16 type, const void *data, gsize len)
{
    struct rtattr *attr = (struct rtattr *)(msg->buf + NLMSG_ALIGN(msg->hdr.nlmsg_len));

    g_assert(NLMSG_ALIGN(msg->hdr.nlmsg_len) + RTA_SPACE(len) <= sizeof(msg->buf));
    attr->rta_type = type;
    attr->rta_len = (unsigned short)RTA_LENGTH(len);
    if (len)
        memcpy(RTA_DATA(attr), data, len);
    msg->hdr.nlmsg_len = NLMSG_ALIGN(msg->hdr.nlmsg_len) + RTA_SPACE(len);
    return attr;
}

static void
nl_put_u32(NlMsg *msg, guint16 type, guint32 value)
{
    nl_put(msg, type, &value, sizeof(value));
}

static void
nl_put_str(NlMsg *msg, guint16 type, const char *value)
{
    nl_put(msg, type, value, strlen(value) + 1);
}

/* A nest is an attribute whose length is fixed once its children are in. */
static struct rtattr *
nl_nest_start(NlMsg *msg, guint16 type)
{
    return nl_put(msg, type, NULL, 0);
}

static void
nl_nest_end(NlMsg *msg, struct rtattr *nest)
{
    nest->rta_len = (unsigned short)((msg->buf + msg->hdr.nlmsg_len) - (char *)nest);
}

/* Sends @msg and waits for the kernel's acknowledgement; its errno in the error. */
static gboolean
nl_talk(NlMsg *msg, const char *what, GError **error)
{
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    char reply[NL_BUF_SIZE];
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    ssize_t len;
    int err = 0;

    if (fd < 0) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "cannot open a netlink socket: %s", g_strerror(errno));
        return FALSE;
    }
    msg->hdr.nlmsg_seq = 1;
    if (sendto(fd, msg, msg->hdr.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
        err = errno;
    while (!err) {
        struct nlmsghdr *hdr = (struct nlmsghdr *)reply;

        len = recv(fd, reply, sizeof(reply), 0);
        if (len < 0 && errno == EINTR)
            continue;
        if (len < 0) {
            err = errno;
            break;
        }
        if (!NLMSG_OK(hdr, (unsigned)len))
            continue;
        if (hdr->nlmsg_type == NLMSG_ERROR) {
            err = -((struct nlmsgerr *)NLMSG_DATA(hdr))->error;
            break;
        }
    }
    close(fd);
    if (err <= 0)
        return TRUE;
    vb_set_error(error, VB_ERR_SYSTEM_ERROR, "%s: %s", what, g_strerror(err));
    return FALSE;
}

static gboolean
link_index(const char *name, int *index, GError **error)
{
    if ((*index = (int)if_nametoindex(name)) > 0)
        return TRUE;
    vb_set_error(error, VB_ERR_SYSTEM_ERROR, "Unable to get index of interface '%s': %s", name, g_strerror(errno));
    return FALSE;
}

gboolean
vb_link_exists(const char *name)
{
    return if_nametoindex(name) > 0;
}

static gboolean
parse_mac(const char *text, guint8 mac[6])
{
    unsigned int b[6];

    if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
        return FALSE;
    for (int i = 0; i < 6; i++)
        mac[i] = (guint8)b[i];
    return TRUE;
}

gboolean
vb_bridge_create(const char *name, const char *mac, guint mtu, gboolean stp, guint64 delay, GError **error)
{
    struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
    g_autofree char *what = g_strdup_printf("Unable to create bridge %s", name);
    struct rtattr *linkinfo, *data;
    guint8 hwaddr[6];
    NlMsg msg;

    if (strlen(name) >= IFNAMSIZ) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "network interface name '%s' is too long", name);
        return FALSE;
    }
    nl_init(&msg, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
    nl_put_str(&msg, IFLA_IFNAME, name);
    if (mac) {
        if (!parse_mac(mac, hwaddr)) {
            vb_set_error(error, VB_ERR_INVALID_MAC, "%s", mac);
            return FALSE;
        }
        nl_put(&msg, IFLA_ADDRESS, hwaddr, sizeof(hwaddr));
    }
    if (mtu)
        nl_put_u32(&msg, IFLA_MTU, mtu);
    linkinfo = nl_nest_start(&msg, IFLA_LINKINFO);
    nl_put_str(&msg, IFLA_INFO_KIND, "bridge");
    data = nl_nest_start(&msg, IFLA_INFO_DATA);
    nl_put_u32(&msg, IFLA_BR_STP_STATE, stp ? 1 : 0);
    nl_put_u32(&msg, IFLA_BR_FORWARD_DELAY, (guint32)MIN(delay, 30) * 100);   /* centiseconds */
    nl_nest_end(&msg, data);
    nl_nest_end(&msg, linkinfo);
    return nl_talk(&msg, what, error);
}

gboolean
vb_link_set_up(const char *name, GError **error)
{
    struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
    g_autofree char *what = g_strdup_printf("Failed to set interface flags on '%s'", name);
    NlMsg msg;

    if (!link_index(name, &ifi.ifi_index, error))
        return FALSE;
    nl_init(&msg, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
    return nl_talk(&msg, what, error);
}

gboolean
vb_link_add_ipv4(const char *name, const VbIpv4Net *net, GError **error)
{
    struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = (unsigned char)net->prefix,
                             .ifa_scope = RT_SCOPE_UNIVERSE };
    guint32 host_mask = net->prefix >= 32 ? 0 : 0xffffffffu >> net->prefix;
    guint32 local = g_htonl(net->addr), broadcast = g_htonl(net->addr | host_mask);
    g_autofree char *addr = vb_ipv4_to_string(net->addr);
    g_autofree char *what = g_strdup_printf("Failed to add IP address %s/%u to %s", addr, net->prefix, name);
    int index;
    NlMsg msg;

    if (!link_index(name, &index, error))
        return FALSE;
    ifa.ifa_index = (unsigned)index;
    nl_init(&msg, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
    nl_put(&msg, IFA_LOCAL, &local, sizeof(local));
    nl_put(&msg, IFA_ADDRESS, &local, sizeof(local));
    if (net->prefix < 31)
        nl_put(&msg, IFA_BROADCAST, &broadcast, sizeof(broadcast));
    return nl_talk(&msg, what, error);
}

gboolean
vb_link_add_ipv6(const char *name, GInetAddress *addr, guint prefix, GError **error)
{
    struct ifaddrmsg ifa = { .ifa_family = AF_INET6, .ifa_prefixlen = (unsigned char)prefix,
                             .ifa_flags = IFA_F_NODAD, .ifa_scope = RT_SCOPE_UNIVERSE };
    g_autofree char *text = g_inet_address_to_string(addr);
    g_autofree char *what = g_strdup_printf("Failed to add IP address %s/%u to %s", text, prefix, name);
    int index;
    NlMsg msg;

    if (!link_index(name, &index, error))
        return FALSE;
    ifa.ifa_index = (unsigned)index;
    nl_init(&msg, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
    nl_put(&msg, IFA_LOCAL, g_inet_address_to_bytes(addr), 16);
    nl_put(&msg, IFA_ADDRESS, g_inet_address_to_bytes(addr), 16);
    return nl_talk(&msg, what, error);
}

gboolean
vb_link_delete(const char *name, GError **error)
{
    struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
    g_autofree char *what = g_strdup_printf("Unable to delete bridge %s", name);
    NlMsg msg;

    if (!link_index(name, &ifi.ifi_index, error))
        return FALSE;
    nl_init(&msg, RTM_DELLINK, 0, &ifi, sizeof(ifi));
    return nl_talk(&msg, what, error);
}

static guint
mask_prefix(const struct sockaddr *mask)
{
    guint32 bits = mask ? g_ntohl(((const struct sockaddr_in *)mask)->sin_addr.s_addr) : 0xffffffffu;
    guint prefix = 0;

    while (prefix < 32 && (bits & (0x80000000u >> prefix)))
        prefix++;
    return prefix;
}

static void
host_addr_free(VbHostAddr *addr)
{
    g_free(addr->ifname);
    g_free(addr);
}

static void
host_addr6_free(VbHostAddr6 *addr)
{
    g_free(addr->ifname);
    g_clear_object(&addr->net);
    g_free(addr);
}

static guint
mask6_prefix(const struct sockaddr *mask)
{
    const guint8 *bytes = mask ? ((const struct sockaddr_in6 *)mask)->sin6_addr.s6_addr : NULL;
    guint prefix = 0;

    while (bytes && prefix < 128 && (bytes[prefix / 8] & (0x80 >> (prefix % 8))))
        prefix++;
    return bytes ? prefix : 128;
}

GPtrArray *
vb_host_ipv6_addrs(GError **error)
{
    GPtrArray *addrs = g_ptr_array_new_with_free_func((GDestroyNotify)host_addr6_free);
    struct ifaddrs *list = NULL;

    if (getifaddrs(&list) < 0) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "cannot list the host's addresses: %s", g_strerror(errno));
        g_ptr_array_unref(addrs);
        return NULL;
    }
    for (struct ifaddrs *ifa = list; ifa; ifa = ifa->ifa_next) {
        g_autoptr(GInetAddress) inet = NULL;
        VbHostAddr6 *addr;

        if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != AF_INET6)
            continue;
        inet = g_inet_address_new_from_bytes(((struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr.s6_addr,
                                             G_SOCKET_FAMILY_IPV6);
        if (g_inet_address_get_is_link_local(inet) || g_inet_address_get_is_loopback(inet))
            continue;
        addr = g_new0(VbHostAddr6, 1);
        addr->ifname = g_strdup(ifa->ifa_name);
        addr->net = vb_ipv6_mask_new(inet, mask6_prefix(ifa->ifa_netmask));
        g_ptr_array_add(addrs, addr);
    }
    freeifaddrs(list);
    return addrs;
}

GPtrArray *
vb_host_ipv4_addrs(GError **error)
{
    GPtrArray *addrs = g_ptr_array_new_with_free_func((GDestroyNotify)host_addr_free);
    struct ifaddrs *list = NULL;

    if (getifaddrs(&list) < 0) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "cannot list the host's addresses: %s", g_strerror(errno));
        g_ptr_array_unref(addrs);
        return NULL;
    }
    for (struct ifaddrs *ifa = list; ifa; ifa = ifa->ifa_next) {
        VbHostAddr *addr;

        if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != AF_INET)
            continue;
        addr = g_new0(VbHostAddr, 1);
        addr->ifname = g_strdup(ifa->ifa_name);
        addr->net.addr = g_ntohl(((struct sockaddr_in *)ifa->ifa_addr)->sin_addr.s_addr);
        addr->net.prefix = mask_prefix(ifa->ifa_netmask);
        g_ptr_array_add(addrs, addr);
    }
    freeifaddrs(list);
    return addrs;
}
