/* nodedev_caps.c: one udev device as libvirt's node device definition: how libvirt names and
 * classifies it, and the capability details it reads from sysfs and udev properties */
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "drivers/nodedev/nodedev_private.h"

/* ---- names and classes ---- */

char *
nodedev_name_form(const char *subsystem, const char *sysname, const char *suffix)
{
    char *name = suffix ? g_strdup_printf("%s_%s_%s", subsystem, sysname, suffix)
                        : g_strdup_printf("%s_%s", subsystem, sysname);

    for (char *p = name; *p; p++) {
        if (!g_ascii_isalnum(*p))
            *p = '_';
    }
    return name;
}

static const struct {
    const char *devtype;
    VbNodeDeviceCapType type;
} devtype_caps[] = {
    { "usb_device", VB_NODE_DEVICE_CAP_USB_DEV },
    { "usb_interface", VB_NODE_DEVICE_CAP_USB_INTERFACE },
    { "scsi_host", VB_NODE_DEVICE_CAP_SCSI_HOST },
    { "scsi_target", VB_NODE_DEVICE_CAP_SCSI_TARGET },
    { "scsi_device", VB_NODE_DEVICE_CAP_SCSI },
    { "disk", VB_NODE_DEVICE_CAP_STORAGE },
    { "wlan", VB_NODE_DEVICE_CAP_NET },
    { "drm_minor", VB_NODE_DEVICE_CAP_DRM },
};

int
nodedev_classify(struct udev_device *device)
{
    const char *devtype = udev_device_get_devtype(device);
    int type = -1;

    /* any other DEVTYPE (bridge, partition, vlan...) is not listed, as in libvirt */
    if (devtype) {
        for (gsize i = 0; i < G_N_ELEMENTS(devtype_caps); i++) {
            if (g_str_equal(devtype, devtype_caps[i].devtype))
                return devtype_caps[i].type;
        }
        return -1;
    }
    if (udev_device_get_property_value(device, "PCI_CLASS"))
        type = VB_NODE_DEVICE_CAP_PCI_DEV;
    if (udev_device_get_property_value(device, "INTERFACE"))
        type = VB_NODE_DEVICE_CAP_NET;
    if (g_strcmp0(udev_device_get_subsystem(device), "scsi_generic") == 0)
        type = VB_NODE_DEVICE_CAP_SCSI_GENERIC;
    if (g_strcmp0(udev_device_get_subsystem(device), "mdev") == 0)
        type = VB_NODE_DEVICE_CAP_MDEV;
    return type;
}

/* ---- reading attributes ---- */

static const char *
sysattr(struct udev_device *device, const char *name)
{
    return udev_device_get_sysattr_value(device, name);
}

static char *
sysattr_dup(struct udev_device *device, const char *name)
{
    const char *value = sysattr(device, name);

    return value ? g_strstrip(g_strdup(value)) : NULL;
}

static gboolean
parse_uint(const char *str, guint base, guint64 *out)
{
    g_autofree char *trimmed = str ? g_strstrip(g_strdup(str)) : NULL;

    return trimmed && g_ascii_string_to_unsigned(trimmed, base, 0, G_MAXUINT64, out, NULL);
}

/* A hex attribute that may carry a 0x prefix (PCI ids, USB interface numbers). */
static gboolean
parse_hex(const char *str, guint *out)
{
    guint64 value;

    if (str && (g_str_has_prefix(str, "0x") || g_str_has_prefix(str, "0X")))
        str += 2;
    if (!parse_uint(str, 16, &value) || value > G_MAXUINT)
        return FALSE;
    *out = (guint)value;
    return TRUE;
}

static gboolean
sysattr_uint(struct udev_device *device, const char *name, guint base, guint *out)
{
    guint64 value;

    if (base == 16)
        return parse_hex(sysattr(device, name), out);
    if (!parse_uint(sysattr(device, name), base, &value) || value > G_MAXUINT)
        return FALSE;
    *out = (guint)value;
    return TRUE;
}

static int
sysattr_int(struct udev_device *device, const char *name, int absent)
{
    g_autofree char *value = sysattr_dup(device, name);
    gint64 number;

    if (!value || !g_ascii_string_to_signed(value, 10, G_MININT, G_MAXINT, &number, NULL))
        return absent;
    return (int)number;
}

/* "<syspath>/<link>" resolved to its last component, or NULL when there is no such link. */
static char *
link_basename(struct udev_device *device, const char *link)
{
    g_autofree char *path = g_build_filename(udev_device_get_syspath(device), link, NULL);
    g_autofree char *target = g_file_read_link(path, NULL);

    return target ? g_path_get_basename(target) : NULL;
}

/* ---- the definition ---- */

VbNodeDeviceDef *
nodedev_def_new(const char *name)
{
    /* conf/ has no constructor: the smallest document gives a definition whose capability
     * array frees its elements the way the parser's do */
    VbNodeDeviceDef *def = vb_node_device_def_parse("<device><name>x</name><capability type='system'/></device>",
                                                    0, NULL);

    g_assert(def);
    g_ptr_array_set_size(def->caps, 0);
    g_free(def->name);
    def->name = g_strdup(name);
    return def;
}

static VbNodeDeviceCap *
def_add_cap(VbNodeDeviceDef *def, VbNodeDeviceCapType type)
{
    VbNodeDeviceCap *cap = g_new0(VbNodeDeviceCap, 1);

    cap->type = type;
    g_ptr_array_add(def->caps, cap);
    return cap;
}

/* ---- pci ---- */

static gboolean
parse_pci_address(const char *str, VbNodeDevicePciAddress *addr)
{
    char tail;

    return str && sscanf(str, "%x:%x:%x.%x%c", &addr->domain, &addr->bus, &addr->slot, &addr->function, &tail) == 4;
}

static gint
compare_pci_address(gconstpointer a, gconstpointer b)
{
    const VbNodeDevicePciAddress *x = a, *y = b;
    guint64 kx = (guint64)x->domain << 32 | x->bus << 16 | x->slot << 8 | x->function;
    guint64 ky = (guint64)y->domain << 32 | y->bus << 16 | y->slot << 8 | y->function;

    return kx < ky ? -1 : kx > ky;
}

/* The PCI addresses of the links in <syspath>/<dir> whose names start with @prefix, in
 * address order. */
static GArray *
linked_addresses(struct udev_device *device, const char *dir, const char *prefix)
{
    g_autofree char *path = g_build_filename(udev_device_get_syspath(device), dir, NULL);
    g_autoptr(GDir) entries = g_dir_open(path, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    GArray *addrs = g_array_new(FALSE, TRUE, sizeof(VbNodeDevicePciAddress));
    const char *entry;

    while (entries && (entry = g_dir_read_name(entries))) {
        if (g_str_has_prefix(entry, prefix))
            g_ptr_array_add(names, g_build_filename(dir, entry, NULL));
    }
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *target = link_basename(device, g_ptr_array_index(names, i));
        VbNodeDevicePciAddress addr;

        if (parse_pci_address(target, &addr))
            g_array_append_val(addrs, addr);
    }
    g_array_sort(addrs, compare_pci_address);
    return addrs;
}

static void
fill_pci_iommu(struct udev_device *device, VbNodeDeviceCapPci *pci)
{
    g_autofree char *group = link_basename(device, "iommu_group");
    guint64 number;

    pci->iommu_group = -1;
    if (!parse_uint(group, 10, &number) || number > G_MAXINT)
        return;
    pci->iommu_group = (int)number;
    pci->iommu_group_devices = linked_addresses(device, "iommu_group/devices", "");
}

static void
fill_pci_sriov(struct udev_device *device, VbNodeDeviceCapPci *pci)
{
    g_autofree char *physfn = link_basename(device, "physfn");
    VbNodeDevicePciAddress addr;

    if (parse_pci_address(physfn, &addr))
        pci->phys_function = g_memdup2(&addr, sizeof(addr));
    if (sysattr_uint(device, "sriov_totalvfs", 10, &pci->max_virt_functions) && pci->max_virt_functions > 0) {
        pci->has_virt_functions = TRUE;
        pci->virt_functions = linked_addresses(device, ".", "virtfn");
    }
}

/* The header type byte of the config space (offset 0x0e), which every user may read. Only
 * that byte is read: in a guest every config space access traps to the hypervisor. */
static void
fill_pci_header(struct udev_device *device, VbNodeDeviceCapPci *pci)
{
    g_autofree char *path = g_build_filename(udev_device_get_syspath(device), "config", NULL);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    guint8 header;
    gssize got;

    if (fd < 0)
        return;
    got = pread(fd, &header, 1, 0x0e);
    close(fd);
    if (got != 1)
        return;
    switch (header & 0x7f) {
    case 1:
        pci->hdr_type = VB_NODE_DEVICE_PCI_HDR_BRIDGE;
        break;
    case 2:
        pci->hdr_type = VB_NODE_DEVICE_PCI_HDR_CARDBUS;
        break;
    default:
        break;
    }
}

/* "8.0 GT/s PCIe" -> VB_NODE_DEVICE_PCIE_SPEED_8; NONE when unknown. */
static int
pcie_speed(const char *str)
{
    static const double speeds[] = { 0, 2.5, 5, 8, 16, 32, 64 };
    double value = str ? g_ascii_strtod(str, NULL) : 0;

    for (int i = 1; i < VB_NODE_DEVICE_PCIE_SPEED_LAST; i++) {
        if (value == speeds[i])
            return i;
    }
    return VB_NODE_DEVICE_PCIE_SPEED_NONE;
}

static void
fill_pcie_link(struct udev_device *device, const char *speed, const char *width, VbNodeDevicePcieLink *link)
{
    link->port = -1;
    link->speed = pcie_speed(sysattr(device, speed));
    link->present = sysattr_uint(device, width, 10, &link->width) && link->width > 0;
}

static void
fill_pcie(struct udev_device *device, VbNodeDeviceCapPci *pci)
{
    if (!sysattr(device, "max_link_speed"))
        return;
    pci->has_pcie = TRUE;
    fill_pcie_link(device, "max_link_speed", "max_link_width", &pci->link_cap);
    fill_pcie_link(device, "current_link_speed", "current_link_width", &pci->link_sta);
}

static char *
read_trimmed(const char *dir, const char *file)
{
    g_autofree char *path = g_build_filename(dir, file, NULL);
    char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL))
        return NULL;
    return g_strstrip(text);
}

static void
mdev_type_free(VbNodeDeviceMdevType *type)
{
    g_free(type->id);
    g_free(type->name);
    g_free(type->device_api);
    g_free(type);
}

/* g_ptr_array_sort hands the comparator pointers to the elements */
static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

/* <capability type='mdev_types'>: the parent's mdev_supported_types/<type id>/ directories. */
static void
fill_pci_mdev_types(struct udev_device *device, VbNodeDeviceCapPci *pci)
{
    g_autofree char *dir = g_build_filename(udev_device_get_syspath(device), "mdev_supported_types", NULL);
    g_autoptr(GDir) types = g_dir_open(dir, 0, NULL);
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
    const char *entry;

    if (!pci->mdev_types)
        pci->mdev_types = g_ptr_array_new_with_free_func((GDestroyNotify)mdev_type_free);
    while (types && (entry = g_dir_read_name(types)))
        g_ptr_array_add(ids, g_strdup(entry));
    g_ptr_array_sort(ids, compare_strings);
    for (guint i = 0; i < ids->len; i++) {
        g_autofree char *type_dir = g_build_filename(dir, g_ptr_array_index(ids, i), NULL);
        g_autofree char *available = read_trimmed(type_dir, "available_instances");
        VbNodeDeviceMdevType *type = g_new0(VbNodeDeviceMdevType, 1);
        guint64 count = 0;

        type->id = g_strdup(g_ptr_array_index(ids, i));
        type->name = read_trimmed(type_dir, "name");
        type->device_api = read_trimmed(type_dir, "device_api");
        type->available_instances = available && parse_uint(available, 10, &count) ? (guint)MIN(count, G_MAXUINT) : 0;
        g_ptr_array_add(pci->mdev_types, type);
    }
    pci->has_mdev_types = pci->mdev_types->len > 0;
}

static gboolean
fill_pci(struct udev_device *device, VbNodeDeviceCap *cap)
{
    VbNodeDeviceCapPci *pci = &cap->pci;
    const char *slot = udev_device_get_property_value(device, "PCI_SLOT_NAME");
    VbNodeDevicePciAddress addr;
    guint klass;

    if (!parse_pci_address(slot ? slot : udev_device_get_sysname(device), &addr) ||
        !sysattr_uint(device, "vendor", 16, &pci->vendor) || !sysattr_uint(device, "device", 16, &pci->product))
        return FALSE;
    pci->domain = addr.domain;
    pci->bus = addr.bus;
    pci->slot = addr.slot;
    pci->function = addr.function;
    pci->klass = parse_hex(udev_device_get_property_value(device, "PCI_CLASS"), &klass) ? (int)klass : -1;
    pci->vendor_name = g_strdup(nodedev_pci_vendor_name(pci->vendor));
    pci->product_name = g_strdup(nodedev_pci_device_name(pci->vendor, pci->product));
    pci->numa_node = sysattr_int(device, "numa_node", -1);
    if (pci->numa_node < 0)
        pci->numa_node = -1;
    fill_pci_iommu(device, pci);
    fill_pci_sriov(device, pci);
    fill_pci_mdev_types(device, pci);
    fill_pci_header(device, pci);
    fill_pcie(device, pci);
    return TRUE;
}

/* ---- usb ---- */

static char *
property_or_sysattr(struct udev_device *device, const char *property, const char *attr)
{
    const char *value = udev_device_get_property_value(device, property);

    return value ? g_strdup(value) : sysattr_dup(device, attr);
}

static gboolean
fill_usb_dev(struct udev_device *device, VbNodeDeviceCap *cap)
{
    VbNodeDeviceCapUsbDev *usb = &cap->usb_dev;

    if (!sysattr_uint(device, "busnum", 10, &usb->bus) || !sysattr_uint(device, "devnum", 10, &usb->device) ||
        !sysattr_uint(device, "idVendor", 16, &usb->vendor) || !sysattr_uint(device, "idProduct", 16, &usb->product))
        return FALSE;
    usb->vendor_name = property_or_sysattr(device, "ID_VENDOR_FROM_DATABASE", "manufacturer");
    usb->product_name = property_or_sysattr(device, "ID_MODEL_FROM_DATABASE", "product");
    return TRUE;
}

static gboolean
fill_usb_interface(struct udev_device *device, VbNodeDeviceCap *cap)
{
    VbNodeDeviceCapUsbInterface *usb = &cap->usb_if;

    return sysattr_uint(device, "bInterfaceNumber", 16, &usb->number) &&
           sysattr_uint(device, "bInterfaceClass", 16, &usb->klass) &&
           sysattr_uint(device, "bInterfaceSubClass", 16, &usb->subclass) &&
           sysattr_uint(device, "bInterfaceProtocol", 16, &usb->protocol);
}

/* ---- net ---- */

/* One legacy ethtool query (ETHTOOL_G*): its value, or -1 when the driver does not answer. */
static gint64
ethtool_value(int sock, const char *ifname, guint32 cmd)
{
    struct ethtool_value value = { .cmd = cmd };
    struct ifreq ifr = { 0 };

    if (g_strlcpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name)) >= sizeof(ifr.ifr_name))
        return -1;
    ifr.ifr_data = (char *)&value;
    return ioctl(sock, SIOCETHTOOL, &ifr) < 0 ? -1 : (gint64)value.data;
}

/* The offloads the interface has on, as libvirt reads them (virNetDevGetFeatures): ethtool's
 * checksum, scatter-gather and segmentation queries and its flags. */
static guint
net_features(const char *ifname)
{
    static const struct { guint32 cmd; int feature; } toggles[] = {
        { ETHTOOL_GRXCSUM, VB_NODE_DEVICE_NET_FEATURE_RX }, { ETHTOOL_GTXCSUM, VB_NODE_DEVICE_NET_FEATURE_TX },
        { ETHTOOL_GSG, VB_NODE_DEVICE_NET_FEATURE_SG }, { ETHTOOL_GTSO, VB_NODE_DEVICE_NET_FEATURE_TSO },
        { ETHTOOL_GGSO, VB_NODE_DEVICE_NET_FEATURE_GSO }, { ETHTOOL_GGRO, VB_NODE_DEVICE_NET_FEATURE_GRO },
    };
    static const struct { guint32 flag; int feature; } flags[] = {
        { ETH_FLAG_LRO, VB_NODE_DEVICE_NET_FEATURE_LRO }, { ETH_FLAG_RXVLAN, VB_NODE_DEVICE_NET_FEATURE_RXVLAN },
        { ETH_FLAG_TXVLAN, VB_NODE_DEVICE_NET_FEATURE_TXVLAN }, { ETH_FLAG_NTUPLE, VB_NODE_DEVICE_NET_FEATURE_NTUPLE },
        { ETH_FLAG_RXHASH, VB_NODE_DEVICE_NET_FEATURE_RXHASH },
    };
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    guint features = 0;
    gint64 value;

    if (sock < 0)
        return 0;
    for (gsize i = 0; i < G_N_ELEMENTS(toggles); i++) {
        if (ethtool_value(sock, ifname, toggles[i].cmd) > 0)
            features |= 1u << toggles[i].feature;
    }
    if ((value = ethtool_value(sock, ifname, ETHTOOL_GFLAGS)) > 0) {
        for (gsize i = 0; i < G_N_ELEMENTS(flags); i++) {
            if ((guint64)value & flags[i].flag)
                features |= 1u << flags[i].feature;
        }
    }
    close(sock);
    return features;
}

static gboolean
fill_net(struct udev_device *device, VbNodeDeviceCap *cap)
{
    VbNodeDeviceCapNet *net = &cap->net;
    const char *ifname = udev_device_get_property_value(device, "INTERFACE");
    g_autofree char *operstate = sysattr_dup(device, "operstate");
    int state = operstate ? vb_node_device_link_state_from_string(operstate) : -1;

    net->ifname = g_strdup(ifname ? ifname : udev_device_get_sysname(device));
    net->address = sysattr_dup(device, "address");
    net->subtype = g_strcmp0(udev_device_get_devtype(device), "wlan") == 0 ? VB_NODE_DEVICE_NET_SUBTYPE_80211
                                                                           : VB_NODE_DEVICE_NET_SUBTYPE_80203;
    net->link_state = state > 0 ? state : VB_NODE_DEVICE_LINK_UNKNOWN;
    /* the kernel reports a speed only while the link is up (else -1 or EINVAL) */
    if (net->link_state == VB_NODE_DEVICE_LINK_UP && sysattr_int(device, "speed", 0) > 0)
        net->link_speed = (guint)sysattr_int(device, "speed", 0);
    net->features = net_features(net->ifname);
    return TRUE;
}

/* ---- scsi ---- */

/* The WWN of an fc_host attribute without its 0x, as libvirt writes it. */
static char *
fc_wwn(struct udev_device *fc, const char *attr)
{
    const char *value = sysattr(fc, attr);

    if (value && g_str_has_prefix(value, "0x"))
        value += 2;
    return value ? g_strstrip(g_strdup(value)) : NULL;
}

static void
fill_fc_host(struct udev_device *device, VbNodeDeviceCapScsiHost *host)
{
    struct udev_device *fc = udev_device_new_from_subsystem_sysname(udev_device_get_udev(device), "fc_host",
                                                                    udev_device_get_sysname(device));

    if (!fc)
        return;
    host->wwnn = fc_wwn(fc, "node_name");
    host->wwpn = fc_wwn(fc, "port_name");
    host->fabric_wwn = fc_wwn(fc, "fabric_name");
    host->has_fc_host = host->wwnn && host->wwpn;
    if (sysattr(fc, "vport_create")) {
        host->has_vport_ops = TRUE;
        sysattr_uint(fc, "max_npiv_vports", 10, &host->max_vports);
        sysattr_uint(fc, "npiv_vports_inuse", 10, &host->vports);
    }
    udev_device_unref(fc);
}

static gboolean
fill_scsi_host(struct udev_device *device, VbNodeDeviceCap *cap)
{
    VbNodeDeviceCapScsiHost *host = &cap->scsi_host;
    const char *sysname = udev_device_get_sysname(device);
    struct udev_device *klass;
    guint64 number;

    if (!g_str_has_prefix(sysname, "host") || !parse_uint(sysname + 4, 10, &number) || number > G_MAXUINT)
        return FALSE;
    host->host = (guint)number;
    host->unique_id = -1;
    klass = udev_device_new_from_subsystem_sysname(udev_device_get_udev(device), "scsi_host", sysname);
    if (klass) {
        host->unique_id = sysattr_int(klass, "unique_id", -1);
        udev_device_unref(klass);
    }
    fill_fc_host(device, host);
    return TRUE;
}

static gboolean
fill_scsi_target(struct udev_device *device, VbNodeDeviceCap *cap)
{
    cap->scsi_target.name = g_strdup(udev_device_get_sysname(device));
    return TRUE;
}

/* The kernel's SCSI peripheral device types (scsi/scsi.h) by the names libvirt gives them. */
static const char *
scsi_type_name(guint type)
{
    static const char *const names[] = {
        [0x00] = "disk", [0x01] = "tape", [0x03] = "processor", [0x04] = "worm", [0x05] = "cdrom",
        [0x06] = "scanner", [0x07] = "mod", [0x08] = "changer", [0x0d] = "enclosure", [0x0c] = "raid",
    };

    return type < G_N_ELEMENTS(names) ? names[type] : NULL;
}

static gboolean
fill_scsi(struct udev_device *device, VbNodeDeviceCap *cap)
{
    VbNodeDeviceCapScsi *scsi = &cap->scsi;
    char tail;
    guint type;

    if (sscanf(udev_device_get_sysname(device), "%u:%u:%u:%u%c", &scsi->host, &scsi->bus, &scsi->target,
               &scsi->lun, &tail) != 4)
        return FALSE;
    if (sysattr_uint(device, "type", 10, &type))
        scsi->type = g_strdup(scsi_type_name(type));
    return TRUE;
}

static gboolean
fill_scsi_generic(struct udev_device *device, VbNodeDeviceCap *cap)
{
    const char *devnode = udev_device_get_devnode(device);

    cap->sg_path = g_strdup(devnode);
    return devnode != NULL;
}

/* ---- block storage ---- */

static gboolean
has_property(struct udev_device *device, const char *name)
{
    return udev_device_get_property_value(device, name) != NULL;
}

/* udev's ID_TYPE, or libvirt's guess from other properties and the device node. */
static char *
storage_drive_type(struct udev_device *device, const char *devnode)
{
    const char *type = udev_device_get_property_value(device, "ID_TYPE");

    if (type && !g_str_equal(type, "generic"))
        return g_strdup(type);
    if (has_property(device, "ID_DRIVE_FLOPPY"))
        return g_strdup("floppy");
    if (has_property(device, "ID_CDROM"))
        return g_strdup("cd");
    if (has_property(device, "ID_DRIVE_FLASH_SD"))
        return g_strdup("sd");
    if (g_str_has_prefix(devnode, "/dev/vd") || g_str_has_prefix(devnode, "/dev/nvme"))
        return g_strdup("disk");
    return NULL;
}

static void
fill_storage_geometry(struct udev_device *device, VbNodeDeviceCapStorage *storage)
{
    guint64 sectors = 0, block_size = 0;

    /* "size" counts 512-byte sectors whatever the logical block size */
    parse_uint(sysattr(device, "size"), 10, &sectors);
    parse_uint(sysattr(device, "queue/logical_block_size"), 10, &block_size);
    storage->logical_block_size = block_size;
    storage->size = sectors * 512;
    storage->num_blocks = block_size ? storage->size / block_size : 0;
}

static gboolean
fill_storage(struct udev_device *device, VbNodeDeviceCap *cap)
{
    VbNodeDeviceCapStorage *storage = &cap->storage;
    const char *devnode = udev_device_get_devnode(device);
    const char *media;

    if (!devnode || !(storage->drive_type = storage_drive_type(device, devnode)))
        return FALSE;
    if (g_str_equal(storage->drive_type, "cd")) {
        g_free(storage->drive_type);
        storage->drive_type = g_strdup("cdrom");
    }
    storage->block = g_strdup(devnode);
    storage->bus = g_strdup(udev_device_get_property_value(device, "ID_BUS"));
    storage->serial = g_strdup(udev_device_get_property_value(device, "ID_SERIAL"));
    storage->vendor = sysattr_dup(device, "device/vendor");
    storage->model = sysattr_dup(device, "device/model");
    fill_storage_geometry(device, storage);
    storage->removable = sysattr_int(device, "removable", 0) == 1;
    if (!storage->removable)
        return TRUE;
    media = udev_device_get_property_value(device, "ID_CDROM_MEDIA");
    storage->media_available = g_str_equal(storage->drive_type, "cdrom")
                                   ? g_strcmp0(media, "1") == 0
                                   : storage->size > 0;
    if (storage->media_available) {
        storage->media_size = storage->size;
        storage->media_label = g_strdup(udev_device_get_property_value(device, "ID_FS_LABEL"));
    }
    return TRUE;
}

/* ---- drm ---- */

static gboolean
fill_drm(struct udev_device *device, VbNodeDeviceCap *cap)
{
    const char *minor_str = udev_device_get_property_value(device, "MINOR");
    guint64 minor;

    if (!parse_uint(minor_str, 10, &minor))
        minor = minor(udev_device_get_devnum(device));
    cap->drm_type = (int)(minor >> 6);
    return cap->drm_type < VB_NODE_DEVICE_DRM_LAST;
}

/* ---- mdev ---- */

static gboolean
fill_mdev(struct udev_device *device, VbNodeDeviceCap *cap)
{
    VbNodeDeviceCapMdev *mdev = &cap->mdev;
    struct udev_device *parent = udev_device_get_parent(device);
    g_autofree char *group = link_basename(device, "iommu_group");
    guint64 number;

    mdev->iommu_group = -1;
    mdev->attrs = g_ptr_array_new();   /* sysfs has no mdev attributes to list */
    if (!vb_uuid_parse(udev_device_get_sysname(device), mdev->uuid) ||
        !(mdev->type = link_basename(device, "mdev_type")) || !parent)
        return FALSE;
    mdev->parent_addr = g_strdup(udev_device_get_sysname(parent));
    if (group && parse_uint(group, 10, &number) && number <= G_MAXINT)
        mdev->iommu_group = (int)number;
    return TRUE;
}

/* ---- the device ---- */

typedef gboolean (*FillCap)(struct udev_device *device, VbNodeDeviceCap *cap);

static FillCap
cap_filler(int type)
{
    switch (type) {
    case VB_NODE_DEVICE_CAP_PCI_DEV: return fill_pci;
    case VB_NODE_DEVICE_CAP_USB_DEV: return fill_usb_dev;
    case VB_NODE_DEVICE_CAP_USB_INTERFACE: return fill_usb_interface;
    case VB_NODE_DEVICE_CAP_NET: return fill_net;
    case VB_NODE_DEVICE_CAP_SCSI_HOST: return fill_scsi_host;
    case VB_NODE_DEVICE_CAP_SCSI_TARGET: return fill_scsi_target;
    case VB_NODE_DEVICE_CAP_SCSI: return fill_scsi;
    case VB_NODE_DEVICE_CAP_STORAGE: return fill_storage;
    case VB_NODE_DEVICE_CAP_SCSI_GENERIC: return fill_scsi_generic;
    case VB_NODE_DEVICE_CAP_DRM: return fill_drm;
    case VB_NODE_DEVICE_CAP_MDEV: return fill_mdev;
    default: return NULL;
    }
}

/* What libvirt appends to "<subsystem>_<sysname>": the MAC of a NIC, the serial of a disk. */
static const char *
name_suffix(const VbNodeDeviceCap *cap)
{
    if (cap->type == VB_NODE_DEVICE_CAP_NET)
        return cap->net.address;
    if (cap->type == VB_NODE_DEVICE_CAP_STORAGE)
        return cap->storage.serial;
    if (cap->type == VB_NODE_DEVICE_CAP_MDEV)   /* libvirt 9: mdev_<uuid>_<parent address> */
        return cap->mdev.parent_addr;
    return NULL;
}

static void
fill_devnodes(struct udev_device *device, VbNodeDeviceDef *def)
{
    struct udev_list_entry *entry;

    def->devnode = g_strdup(udev_device_get_devnode(device));
    udev_list_entry_foreach(entry, udev_device_get_devlinks_list_entry(device))
        g_ptr_array_add(def->devlinks, g_strdup(udev_list_entry_get_name(entry)));
}

VbNodeDeviceDef *
nodedev_def_from_udev(struct udev_device *device)
{
    int type = nodedev_classify(device);
    FillCap fill = type >= 0 ? cap_filler(type) : NULL;
    const char *subsystem = udev_device_get_subsystem(device);
    g_autoptr(VbNodeDeviceDef) def = NULL;
    VbNodeDeviceCap *cap;

    if (!fill || !subsystem)
        return NULL;
    def = nodedev_def_new(NULL);
    cap = def_add_cap(def, type);
    if (!fill(device, cap))
        return NULL;
    def->name = nodedev_name_form(subsystem, udev_device_get_sysname(device), name_suffix(cap));
    def->path = g_strdup(udev_device_get_syspath(device));
    def->driver = g_strdup(udev_device_get_driver(device));
    fill_devnodes(device, def);
    return g_steal_pointer(&def);
}

VbNodeDeviceDef *
nodedev_def_computer(struct udev_device *dmi)
{
    VbNodeDeviceDef *def = nodedev_def_new("computer");
    VbNodeDeviceCapSystem *sys = &def_add_cap(def, VB_NODE_DEVICE_CAP_SYSTEM)->system;
    g_autofree char *uuid = NULL;

    if (!dmi)
        return def;
    sys->product = sysattr_dup(dmi, "product_name");
    sys->hw_vendor = sysattr_dup(dmi, "sys_vendor");
    sys->hw_version = sysattr_dup(dmi, "product_version");
    sys->hw_serial = sysattr_dup(dmi, "product_serial");
    sys->fw_vendor = sysattr_dup(dmi, "bios_vendor");
    sys->fw_version = sysattr_dup(dmi, "bios_version");
    sys->fw_release_date = sysattr_dup(dmi, "bios_date");
    /* product_uuid is readable by root only */
    if ((uuid = sysattr_dup(dmi, "product_uuid")) && !vb_uuid_parse(uuid, sys->hw_uuid))
        sys->hw_uuid[0] = '\0';
    return def;
}
