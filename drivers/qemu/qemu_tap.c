/* qemu_tap.c: tap devices for guest interfaces, opened by the daemon and handed to QEMU as
 * fds (QEMU never needs CAP_NET_ADMIN). A tap lives as long as a process holds its fd, so
 * it goes away by itself when QEMU ends. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "drivers/qemu/qemu_private.h"

#define TAP_NAME_TEMPLATE "vnet%d"

static gboolean set_error_errno(GError **error, int saved_errno, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static gboolean
set_error_errno(GError **error, int saved_errno, const char *fmt, ...)
{
    g_autofree char *what = NULL;
    va_list args;

    va_start(args, fmt);
    what = g_strdup_vprintf(fmt, args);
    va_end(args);
    vb_set_error(error, VB_ERR_SYSTEM_ERROR, "%s: %s", what, g_strerror(saved_errno));
    return FALSE;
}

static gboolean
ifreq_name(struct ifreq *ifr, const char *name, GError **error)
{
    memset(ifr, 0, sizeof(*ifr));
    if (g_strlcpy(ifr->ifr_name, name, sizeof(ifr->ifr_name)) >= sizeof(ifr->ifr_name)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "network interface name '%s' is too long", name);
        return FALSE;
    }
    return TRUE;
}

/* The host side gets the guest's MAC with the first byte 0xFE, so the bridge never takes
 * the guest's address as its own (as libvirt does). */
static gboolean
set_host_mac(int sock, const char *ifname, const char *guest_mac, GError **error)
{
    struct ifreq ifr;
    unsigned int bytes[6];

    if (sscanf(guest_mac, "%x:%x:%x:%x:%x:%x", &bytes[0], &bytes[1], &bytes[2], &bytes[3], &bytes[4],
               &bytes[5]) != 6) {
        vb_set_error(error, VB_ERR_INVALID_MAC, "%s", guest_mac);
        return FALSE;
    }
    if (!ifreq_name(&ifr, ifname, error))
        return FALSE;
    ifr.ifr_hwaddr.sa_family = 1;   /* ARPHRD_ETHER */
    ifr.ifr_hwaddr.sa_data[0] = (char)0xfe;
    for (int i = 1; i < 6; i++)
        ifr.ifr_hwaddr.sa_data[i] = (char)bytes[i];
    if (ioctl(sock, SIOCSIFHWADDR, &ifr) < 0)
        return set_error_errno(error, errno, "Cannot set interface MAC on '%s'", ifname);
    return TRUE;
}

static gboolean
attach_to_bridge(int sock, const char *bridge, const char *ifname, GError **error)
{
    struct ifreq ifr;

    if (!ifreq_name(&ifr, bridge, error))
        return FALSE;
    if (!(ifr.ifr_ifindex = (int)if_nametoindex(ifname)))
        return set_error_errno(error, errno, "Unable to get index of interface '%s'", ifname);
    if (ioctl(sock, SIOCBRADDIF, &ifr) < 0)
        return set_error_errno(error, errno, "Unable to add bridge %s port", bridge);
    return TRUE;
}

static gboolean
set_up(int sock, const char *ifname, GError **error)
{
    struct ifreq ifr;

    if (!ifreq_name(&ifr, ifname, error))
        return FALSE;
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
        return set_error_errno(error, errno, "Cannot get interface flags on '%s'", ifname);
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
        return set_error_errno(error, errno, "Cannot set interface flags on '%s'", ifname);
    return TRUE;
}

/* Opens a new tap named after @name_template (the kernel fills in %d), with IFF_VNET_HDR as
 * virtio-net wants it. */
static int
open_tap(const char *name_template, char **ifname, GError **error)
{
    struct ifreq ifr;
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

    if (fd < 0) {
        set_error_errno(error, errno, "Unable to open /dev/net/tun");
        return -1;
    }
    if (!ifreq_name(&ifr, name_template, error)) {
        close(fd);
        return -1;
    }
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        set_error_errno(error, errno, "Unable to create tap device %s", name_template);
        close(fd);
        return -1;
    }
    *ifname = g_strdup(ifr.ifr_name);
    return fd;
}

int
qemu_tap_open(const char *bridge, const char *target_dev, const char *guest_mac, char **ifname, GError **error)
{
    int sock, fd;
    g_autofree char *name = NULL;

    if (bridge && !if_nametoindex(bridge)) {
        set_error_errno(error, errno, "Cannot get interface MTU on '%s'", bridge);
        return -1;
    }
    if ((fd = open_tap(target_dev ? target_dev : TAP_NAME_TEMPLATE, &name, error)) < 0)
        return -1;
    if ((sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
        set_error_errno(error, errno, "Unable to open a control socket");
        close(fd);
        return -1;
    }
    if (!set_host_mac(sock, name, guest_mac, error) || (bridge && !attach_to_bridge(sock, bridge, name, error)) ||
        !set_up(sock, name, error)) {
        close(sock);
        close(fd);       /* the tap goes with its last fd */
        return -1;
    }
    close(sock);
    *ifname = g_steal_pointer(&name);
    return fd;
}
