/* nodedev_pci.c: PCI passthrough helpers behind NodeDevice.Detach/ReAttach/Reset.
 *
 * Everything goes through the kernel's sysfs interface under /sys/bus/pci and reads the
 * device's current state from sysfs (the listed definition may lag behind udev events):
 * - detach: driver_override := "vfio-pci", unbind from the current driver, drivers_probe, so
 *   vfio-pci (and only it) claims the device;
 * - reattach: driver_override cleared, unbind from the stub, drivers_probe, so the host driver
 *   claims it back;
 * - reset: the device's "reset" attribute (the kernel picks FLR, PM or bus reset).
 * drivers_probe binds synchronously, so afterwards the definition is rebuilt from udev and
 * GetXMLDesc shows the new driver at once (the bind/unbind uevents that follow change nothing). */
#include "drivers/nodedev/nodedev_udev.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "drivers/nodedev/nodedev_private.h"

#define PCI_SYSFS "/sys/bus/pci"
#define VFIO_DRIVER "vfio-pci"

/* ---- sysfs ---- */

static char *
device_file(const char *addr, const char *file)
{
    return g_build_filename(PCI_SYSFS "/devices", addr, file, NULL);
}

/* Writes @value to the sysfs attribute @path the way the kernel expects: one write(), from the
 * start of the file; the kernel's refusal comes back as that write()'s errno. */
static gboolean
sysfs_write(const char *path, const char *value, GError **error)
{
    gsize len = strlen(value);
    int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    ssize_t written = fd < 0 ? -1 : write(fd, value, len);
    int saved_errno = written < 0 ? errno : EIO;   /* EIO: a short write */
    g_autofree char *shown = NULL;

    if (fd >= 0 && close(fd) < 0 && written == (ssize_t)len) {
        saved_errno = errno;
        written = -1;
    }
    if (written == (ssize_t)len)
        return TRUE;
    shown = g_strescape(value, NULL);
    vb_set_error(error, VB_ERR_SYSTEM_ERROR, "Failed to write '%s' to '%s': %s", shown, path,
                 g_strerror(saved_errno));
    return FALSE;
}

/* The name of the driver @addr is bound to, or NULL when it is unbound. */
static char *
bound_driver(const char *addr)
{
    g_autofree char *link = device_file(addr, "driver");
    g_autofree char *target = g_file_read_link(link, NULL);

    return target ? g_path_get_basename(target) : NULL;
}

static gboolean
is_stub_driver(const char *driver)
{
    return g_strcmp0(driver, VFIO_DRIVER) == 0 || g_strcmp0(driver, "pci-stub") == 0;
}

/* Drivers that may stay bound beside a VFIO device in its IOMMU group, as the kernel's VFIO
 * group viability check allows: the stubs and the PCIe port driver of bridges. */
static gboolean
is_group_safe_driver(const char *driver)
{
    return !driver || is_stub_driver(driver) || g_str_equal(driver, "pcieport");
}

/* ---- the device ---- */

/* "dddd:bb:ss.f" of a PCI device definition, or an error when @def is not one. */
static char *
pci_address(const VbNodeDeviceDef *def, GError **error)
{
    VbNodeDeviceCap *cap = vb_node_device_def_find_cap(def, VB_NODE_DEVICE_CAP_PCI_DEV);

    if (!cap) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "device %s is not a PCI device", def->name);
        return NULL;
    }
    return g_strdup_printf("%04x:%02x:%02x.%x", cap->pci.domain, cap->pci.bus, cap->pci.slot, cap->pci.function);
}

/* Rebuilds @dev's definition from what udev reports now, keeping its name and parent. */
static void
refresh_def(VbNodeDeviceObj *dev)
{
    struct udev *udev = udev_new();
    struct udev_device *device = udev && dev->def->path ? udev_device_new_from_syspath(udev, dev->def->path) : NULL;
    VbNodeDeviceDef *def = device ? nodedev_def_from_udev(device) : NULL;

    if (def && g_str_equal(def->name, dev->def->name)) {
        /* the connection's list indexes the device by its name string: keep that one */
        g_free(def->name);
        def->name = g_steal_pointer(&dev->def->name);
        def->parent = g_steal_pointer(&dev->def->parent);
        vb_node_device_def_free(dev->def);
        dev->def = g_steal_pointer(&def);
    }
    g_clear_pointer(&def, vb_node_device_def_free);
    g_clear_pointer(&device, udev_device_unref);
    g_clear_pointer(&udev, udev_unref);
}

/* Refuses when another device of @addr's IOMMU group is bound to a host driver: VFIO cannot
 * use a group part of which the host still drives. */
static gboolean
check_iommu_group(const char *addr, GError **error)
{
    g_autofree char *dir = device_file(addr, "iommu_group/devices");
    g_autoptr(GDir) entries = g_dir_open(dir, 0, NULL);
    const char *peer;

    while (entries && (peer = g_dir_read_name(entries))) {
        g_autofree char *driver = NULL;

        if (g_str_equal(peer, addr))
            continue;
        driver = bound_driver(peer);
        if (!is_group_safe_driver(driver)) {
            vb_set_error(error, VB_ERR_OPERATION_INVALID,
                         "PCI device %s shares its IOMMU group with PCI device %s, which is in use by driver %s",
                         addr, peer, driver);
            return FALSE;
        }
    }
    return TRUE;
}

/* Unbinds @addr from its @driver (nothing to do when unbound). */
static gboolean
unbind(const char *addr, const char *driver, GError **error)
{
    g_autofree char *path = device_file(addr, "driver/unbind");

    return !driver || sysfs_write(path, addr, error);
}

/* Lets the kernel probe @addr's drivers again, which honours driver_override. */
static gboolean
probe(const char *addr, GError **error)
{
    return sysfs_write(PCI_SYSFS "/drivers_probe", addr, error);
}

/* ---- the driver calls ---- */

static gboolean
bind_to_vfio(const char *addr, GError **error)
{
    g_autofree char *driver = bound_driver(addr);
    g_autofree char *override = device_file(addr, "driver_override");

    if (g_strcmp0(driver, VFIO_DRIVER) == 0)
        return TRUE;
    if (!g_file_test(PCI_SYSFS "/drivers/" VFIO_DRIVER, G_FILE_TEST_IS_DIR)) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED,
                     "VFIO device assignment is currently not supported on this system");
        return FALSE;
    }
    if (!check_iommu_group(addr, error) || !sysfs_write(override, VFIO_DRIVER, error))
        return FALSE;
    if (!unbind(addr, driver, error)) {
        /* still bound to its driver: leave it as it was */
        sysfs_write(override, "\n", NULL);
        return FALSE;
    }
    return probe(addr, error);
}

gboolean
vb_nodedev_pci_detach(VbConn *conn, VbNodeDeviceObj *dev, const char *driver, guint flags, GError **error)
{
    g_autofree char *addr = NULL;
    gboolean ok;

    if (!vb_check_flags(flags, 0, "virNodeDeviceDetachFlags", error))
        return FALSE;
    if (driver && *driver && !g_str_equal(driver, "vfio")) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "unknown driver name '%s'", driver);
        return FALSE;
    }
    if (!(addr = pci_address(dev->def, error)))
        return FALSE;
    ok = bind_to_vfio(addr, error);
    refresh_def(dev);
    return ok;
}

/* Clears driver_override, unbinds from a stub driver, and lets the kernel probe the device again. */
static gboolean
give_back(const char *addr, const char *driver, GError **error)
{
    g_autofree char *override = device_file(addr, "driver_override");

    /* kernels before 3.16 have no driver_override: nothing to clear there */
    return (!g_file_test(override, G_FILE_TEST_EXISTS) || sysfs_write(override, "\n", error)) &&
           (!is_stub_driver(driver) || unbind(addr, driver, error)) && probe(addr, error);
}

gboolean
vb_nodedev_pci_reattach(VbConn *conn, VbNodeDeviceObj *dev, GError **error)
{
    g_autofree char *addr = NULL;
    g_autofree char *driver = NULL;
    gboolean ok = TRUE;

    if (!(addr = pci_address(dev->def, error)))
        return FALSE;
    driver = bound_driver(addr);
    if (is_stub_driver(driver))
        ok = give_back(addr, driver, error);
    refresh_def(dev);
    return ok;
}

gboolean
vb_nodedev_pci_release(VbConn *conn, VbNodeDeviceObj *dev, GError **error)
{
    g_autofree char *addr = NULL;
    g_autofree char *driver = NULL;
    gboolean ok;

    if (!(addr = pci_address(dev->def, error)))
        return FALSE;
    driver = bound_driver(addr);
    ok = give_back(addr, driver, error);
    refresh_def(dev);
    return ok;
}

gboolean
vb_nodedev_pci_reset(VbConn *conn, VbNodeDeviceObj *dev, GError **error)
{
    g_autofree char *addr = NULL;
    g_autofree char *reset = NULL;

    if (!(addr = pci_address(dev->def, error)))
        return FALSE;
    reset = device_file(addr, "reset");
    if (!g_file_test(reset, G_FILE_TEST_EXISTS)) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR,
                     "Unable to reset PCI device %s: no FLR, PM reset or bus reset available", addr);
        return FALSE;
    }
    return sysfs_write(reset, "1", error);
}
