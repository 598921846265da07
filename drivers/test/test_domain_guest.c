/* test_domain_guest.c: requests libvirt's test driver answers as a guest agent or monitor
 * would: control state, core dumps, filesystems, addresses, clock, passwords, disk errors,
 * memory peeks and signals */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "drivers/domain_common.h"
#include "drivers/test/test_private.h"

#define TEST_SAVE_MAGIC "TestGuestMagic"   /* what libvirt's test driver writes, NUL included */

/* ---- control state: the guest clock's seconds pick one, as in libvirt's test driver ---- */

gboolean
test_domain_get_control_info(VbConn *conn, VbDomainObj *dom, guint flags, VbDomainControlInfo *info,
                             GError **error)
{
    gint64 seconds;

    if (!vb_check_flags(flags, 0, "virDomainGetControlInfo", error) || !test_domain_check_active(dom, error))
        return FALSE;
    seconds = test_domain_priv(conn, dom)->seconds;
    memset(info, 0, sizeof(*info));
    if (seconds > 0 && seconds < 10000) {
        info->state = VB_DOMAIN_CONTROL_JOB;
        info->state_time = (guint64)seconds;
    } else if (seconds >= 10000 && seconds < 30000) {
        info->state = VB_DOMAIN_CONTROL_OCCUPIED;
        info->state_time = (guint64)(seconds - 10000);
    } else if (seconds >= 30000 && seconds < 60000) {
        info->state = VB_DOMAIN_CONTROL_ERROR;
        info->details = (guint)(seconds % 4);   /* none, unknown, monitor, internal */
        info->state_time = (guint64)(seconds - 30000);
    } else {
        info->state = VB_DOMAIN_CONTROL_OK;
    }
    return TRUE;
}

/* ---- core dumps: the file holds the test driver's magic, nothing else ---- */

static gboolean
write_dump(VbDomainObj *dom, const char *path, GError **error)
{
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, S_IRUSR | S_IWUSR);

    if (fd < 0) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "domain '%s' coredump: failed to open %s: %s", dom->def->name,
                     path, g_strerror(errno));
        return FALSE;
    }
    if (write(fd, TEST_SAVE_MAGIC, sizeof(TEST_SAVE_MAGIC)) != (ssize_t)sizeof(TEST_SAVE_MAGIC)) {
        int err = errno;
        close(fd);
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "domain '%s' coredump: failed to write header to %s: %s",
                     dom->def->name, path, g_strerror(err));
        return FALSE;
    }
    if (close(fd) < 0) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "domain '%s' coredump: write failed: %s: %s", dom->def->name, path,
                     g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

/* The dump is written before the format is checked, as libvirt's test driver does; with
 * VIR_DUMP_CRASH the domain then stops as crashed. */
gboolean
test_domain_core_dump(VbConn *conn, VbDomainObj *dom, const char *to, guint format, guint flags, GError **error)
{
    g_autofree char *path = NULL;

    if (!vb_core_dump_check_args(format, flags, VB_DUMP_CRASH, error) || !test_domain_check_active(dom, error))
        return FALSE;
    path = g_canonicalize_filename(to, NULL);
    if (!write_dump(dom, path, error))
        return FALSE;
    if (format != VB_CORE_DUMP_FORMAT_RAW) {
        vb_set_error(error, VB_ERR_OPERATION_UNSUPPORTED, "kdump-compressed format is not supported here");
        return FALSE;
    }
    if (flags & VB_DUMP_CRASH)
        test_domain_stop(conn, dom, VB_SHUTOFF_CRASHED, VB_EVENT_STOPPED_CRASHED);
    return TRUE;
}

/* ---- filesystems: "/" and "/boot" on the first disk ---- */

static int
mountpoint_index(const char *mountpoint)
{
    return g_strcmp0(mountpoint, "/") == 0 ? 0 : g_strcmp0(mountpoint, "/boot") == 0 ? 1 : -1;
}

/* Marks the named (or, with none, both) filesystems @frozen; *@count says how many changed. */
static gboolean
set_frozen(VbConn *conn, VbDomainObj *dom, const char *const *mountpoints, gboolean frozen, guint *count,
           GError **error)
{
    TestDomainPriv *priv = test_domain_priv(conn, dom);
    gboolean state[2] = { priv->frozen[0], priv->frozen[1] };

    *count = 0;
    for (guint i = 0; mountpoints && mountpoints[i]; i++) {
        int fs = mountpoint_index(mountpoints[i]);
        if (fs < 0) {
            vb_set_error(error, VB_ERR_OPERATION_INVALID, "mount point not found: %s", mountpoints[i]);
            return FALSE;
        }
        *count += state[fs] != frozen;
        state[fs] = frozen;
    }
    if (!mountpoints || !mountpoints[0]) {
        *count = (state[0] != frozen) + (state[1] != frozen);
        state[0] = state[1] = frozen;
    }
    priv->frozen[0] = state[0];
    priv->frozen[1] = state[1];
    return TRUE;
}

gboolean
test_domain_fs_freeze(VbConn *conn, VbDomainObj *dom, const char *const *mountpoints, guint flags, guint *count,
                      GError **error)
{
    return vb_check_flags(flags, 0, "virDomainFSFreeze", error) && test_domain_check_active(dom, error) &&
           set_frozen(conn, dom, mountpoints, TRUE, count, error);
}

gboolean
test_domain_fs_thaw(VbConn *conn, VbDomainObj *dom, const char *const *mountpoints, guint flags, guint *count,
                    GError **error)
{
    return vb_check_flags(flags, 0, "virDomainFSThaw", error) && test_domain_check_active(dom, error) &&
           set_frozen(conn, dom, mountpoints, FALSE, count, error);
}

gboolean
test_domain_fs_trim(VbConn *conn, VbDomainObj *dom, const char *mountpoint, guint64 minimum, guint flags,
                    GError **error)
{
    if (!vb_check_flags(flags, 0, "virDomainFSTrim", error) || !test_domain_check_active(dom, error))
        return FALSE;
    if (mountpoint && mountpoint_index(mountpoint) < 0) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "mount point not found: %s", mountpoint);
        return FALSE;
    }
    return TRUE;
}

static VbFSInfo *
fs_info_new(const char *mountpoint, const char *disk, int partition)
{
    VbFSInfo *info = g_new0(VbFSInfo, 1);

    info->mountpoint = g_strdup(mountpoint);
    info->name = g_strdup_printf("%s%d", disk, partition);
    info->fstype = g_strdup("ext4");
    info->dev_aliases = g_new0(char *, 2);
    info->dev_aliases[0] = g_strdup(disk);
    return info;
}

GPtrArray *
test_domain_get_fs_info(VbConn *conn, VbDomainObj *dom, guint flags, GError **error)
{
    GPtrArray *infos;

    if (!vb_check_flags(flags, 0, "virDomainGetFSInfo", error) || !test_domain_check_active(dom, error))
        return NULL;
    infos = g_ptr_array_new_with_free_func((GDestroyNotify)vb_fs_info_free);
    for (guint i = 0; i < dom->def->devices->len; i++) {
        VbDeviceDef *dev = g_ptr_array_index(dom->def->devices, i);
        if (!dev->disk || g_strcmp0(dev->disk->device, "disk") != 0)
            continue;
        g_ptr_array_add(infos, fs_info_new("/", dev->disk->target_dev, 1));
        g_ptr_array_add(infos, fs_info_new("/boot", dev->disk->target_dev, 2));
        break;
    }
    return infos;
}

/* ---- interface addresses ---- */

static const char *
net_source_network(const VbNetDef *net)
{
    for (guint i = 0; net->source_attrs && i + 1 < net->source_attrs->len; i += 2) {
        if (g_str_equal(g_ptr_array_index(net->source_attrs, i), "network"))
            return g_ptr_array_index(net->source_attrs, i + 1);
    }
    return NULL;
}

/* @base moved on by @offset: the whole IPv4 address, or the last byte of an IPv6 one. */
static char *
offset_address(const char *base, gboolean ipv6, guint offset)
{
    guint8 bytes[16];
    char text[INET6_ADDRSTRLEN];

    if (!base || inet_pton(ipv6 ? AF_INET6 : AF_INET, base, bytes) != 1)
        return NULL;
    if (ipv6) {
        bytes[15] = (guint8)(bytes[15] + offset);
    } else {
        guint32 addr;
        memcpy(&addr, bytes, 4);
        addr = htonl(ntohl(addr) + offset);
        memcpy(bytes, &addr, 4);
    }
    return g_strdup(inet_ntop(ipv6 ? AF_INET6 : AF_INET, bytes, text, sizeof(text)));
}

/* libvirt's testDomainInterfaceAddressFromNet: the network's first DHCP range start (or
 * its own address) plus an offset per domain and interface. */
static VbDomainIPAddress *
address_from_network(VbConn *conn, const VbNetDef *net, guint offset, GError **error)
{
    const char *name = net_source_network(net);
    VbNetworkObj *network = vb_conn_network_by_name(conn, name ? name : "", error);
    const VbNetworkIpDef *ip;
    VbDomainIPAddress *addr;
    gboolean ipv6;

    if (!network)
        return NULL;
    if (!network->def->ips->len) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "network '%s' has no IP address", network->def->name);
        return NULL;
    }
    ip = g_ptr_array_index(network->def->ips, 0);
    ipv6 = g_strcmp0(ip->family, "ipv6") == 0;
    addr = g_new0(VbDomainIPAddress, 1);
    addr->type = ipv6 ? VB_IP_ADDR_TYPE_IPV6 : VB_IP_ADDR_TYPE_IPV4;
    addr->prefix = (guint)vb_network_ip_def_prefix(ip);
    addr->addr = offset_address(ip->ranges->len ? ((VbNetworkDhcpRange *)g_ptr_array_index(ip->ranges, 0))->start
                                                : ip->address, ipv6, offset);
    if (!addr->addr)
        addr->addr = g_strdup("");
    return addr;
}

static VbDomainInterface *
interface_addresses(VbConn *conn, VbDomainObj *dom, const VbNetDef *net, guint index, GError **error)
{
    g_autoptr(GPtrArray) addrs = g_ptr_array_new_with_free_func((GDestroyNotify)vb_domain_ip_address_free);
    VbDomainInterface *iface;
    VbDomainIPAddress *addr;

    if (g_strcmp0(net->type, "network") == 0) {
        if (!(addr = address_from_network(conn, net, 20 * (guint)(dom->id - 1) + index + 1, error)))
            return NULL;
    } else {
        addr = g_new0(VbDomainIPAddress, 1);
        addr->type = VB_IP_ADDR_TYPE_IPV4;
        addr->prefix = 24;
        addr->addr = g_strdup_printf("192.168.0.%u", index + 1);
    }
    g_ptr_array_add(addrs, addr);
    iface = g_new0(VbDomainInterface, 1);
    iface->name = g_strdup(net->target_dev);
    iface->hwaddr = g_strdup(net->mac);
    iface->addrs = g_steal_pointer(&addrs);
    return iface;
}

GPtrArray *
test_domain_interface_addresses(VbConn *conn, VbDomainObj *dom, guint source, guint flags, GError **error)
{
    g_autoptr(GPtrArray) ifaces = NULL;
    guint index = 0;

    if (!vb_check_flags(flags, 0, "virDomainInterfaceAddresses", error))
        return NULL;
    if (source >= VB_INTERFACE_ADDRESSES_SRC_LAST) {
        vb_set_error(error, VB_ERR_ARGUMENT_UNSUPPORTED, "Unknown IP address data source %u", source);
        return NULL;
    }
    if (!test_domain_check_active(dom, error))
        return NULL;
    ifaces = g_ptr_array_new_with_free_func((GDestroyNotify)vb_domain_interface_free);
    for (guint i = 0; i < dom->def->devices->len; i++) {
        VbDeviceDef *dev = g_ptr_array_index(dom->def->devices, i);
        VbDomainInterface *iface;

        if (!dev->net)
            continue;
        if (!(iface = interface_addresses(conn, dom, dev->net, index++, error)))
            return NULL;
        g_ptr_array_add(ifaces, iface);
    }
    return g_steal_pointer(&ifaces);
}

/* ---- clock, passwords, errors, memory, signals ---- */

gboolean
test_domain_set_time(VbConn *conn, VbDomainObj *dom, gint64 seconds, guint nseconds, guint flags, GError **error)
{
    TestDomainPriv *priv;

    if (!vb_check_flags(flags, VB_DOMAIN_TIME_SYNC, "virDomainSetTime", error) ||
        !test_domain_check_active(dom, error))
        return FALSE;
    priv = test_domain_priv(conn, dom);
    priv->seconds = seconds;
    priv->nseconds = nseconds;
    return TRUE;
}

gboolean
test_domain_set_user_password(VbConn *conn, VbDomainObj *dom, const char *user, const char *password, guint flags,
                              GError **error)
{
    return vb_check_flags(flags, VB_DOMAIN_PASSWORD_ENCRYPTED, "virDomainSetUserPassword", error) &&
           test_domain_check_active(dom, error);
}

/* Every disk reports an error, alternating "unspecified" and "no space". */
GPtrArray *
test_domain_get_disk_errors(VbConn *conn, VbDomainObj *dom, guint flags, GError **error)
{
    GPtrArray *errors;
    guint n = 0;

    if (!vb_check_flags(flags, 0, "virDomainGetDiskErrors", error) || !test_domain_check_active(dom, error))
        return NULL;
    errors = g_ptr_array_new_with_free_func((GDestroyNotify)vb_disk_error_free);
    for (guint i = 0; i < dom->def->devices->len; i++) {
        VbDeviceDef *dev = g_ptr_array_index(dom->def->devices, i);
        VbDiskError *err;

        if (!dev->disk)
            continue;
        err = g_new0(VbDiskError, 1);
        err->disk = g_strdup(dev->disk->target_dev);
        err->error = (int)(n++ % (VB_DOMAIN_DISK_ERROR_LAST - 1)) + 1;
        g_ptr_array_add(errors, err);
    }
    return errors;
}

/* The bytes count up from the low byte of @start. */
GBytes *
test_domain_memory_peek(VbConn *conn, VbDomainObj *dom, guint64 start, gsize size, guint flags, GError **error)
{
    guint8 *buffer;

    if (!vb_check_flags(flags, VB_MEMORY_VIRTUAL | VB_MEMORY_PHYSICAL, "virDomainMemoryPeek", error))
        return NULL;
    if (flags != VB_MEMORY_VIRTUAL && flags != VB_MEMORY_PHYSICAL) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "flags parameter must be VIR_MEMORY_VIRTUAL or VIR_MEMORY_PHYSICAL");
        return NULL;
    }
    if (!test_domain_check_active(dom, error))
        return NULL;
    buffer = g_malloc(size ? size : 1);
    for (gsize i = 0; i < size; i++)
        buffer[i] = (guint8)(start + i);
    return g_bytes_new_take(buffer, size);
}

gboolean
test_domain_send_process_signal(VbConn *conn, VbDomainObj *dom, gint64 pid, guint signum, guint flags,
                                GError **error)
{
    if (!vb_check_flags(flags, 0, "virDomainSendProcessSignal", error))
        return FALSE;
    if (pid != 1) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "only sending a signal to pid 1 is supported");
        return FALSE;
    }
    if (signum >= VB_DOMAIN_PROCESS_SIGNAL_LAST) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "signum value %u is out of range", signum);
        return FALSE;
    }
    return TRUE;
}
