/* qemu_hostdev.c: PCI host devices with managed='yes', as libvirt manages them: each is moved to
 * vfio-pci (NodeDevice.Detach's work, drivers/nodedev/nodedev_pci.c) before QEMU starts and
 * handed back to its host driver when the guest stops or fails to start. A device already on
 * vfio-pci is left there. One device serves one running guest at a time. */
#include <string.h>

#include "drivers/nodedev/nodedev_udev.h"
#include "drivers/qemu/qemu_private.h"

typedef struct {
    guint domain, bus, slot, function;
    gboolean managed;
} PciHostdev;

static guint
address_part(xmlNodePtr addr, const char *name)
{
    g_autofree char *text = vb_xml_prop(addr, name);

    return text ? (guint)g_ascii_strtoull(text, NULL, 0) : 0;
}

/* @dev when it is a PCI <hostdev> with a source address. */
static gboolean
pci_hostdev_of(const VbDeviceDef *dev, PciHostdev *out)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autofree char *mode = NULL;
    g_autofree char *type = NULL;
    g_autofree char *managed = NULL;
    xmlNodePtr root, source, addr;

    if (dev->kind != VB_DEVICE_HOSTDEV || !(doc = vb_xml_parse(dev->xml, "hostdev", NULL)))
        return FALSE;
    root = xmlDocGetRootElement(doc);
    mode = vb_xml_prop(root, "mode");
    type = vb_xml_prop(root, "type");
    managed = vb_xml_prop(root, "managed");
    source = vb_xml_child(root, "source");
    addr = source ? vb_xml_child(source, "address") : NULL;
    if ((mode && !g_str_equal(mode, "subsystem")) || g_strcmp0(type, "pci") != 0 || !addr)
        return FALSE;
    *out = (PciHostdev){ address_part(addr, "domain"), address_part(addr, "bus"), address_part(addr, "slot"),
                         address_part(addr, "function"), g_strcmp0(managed, "yes") == 0 };
    return TRUE;
}

/* libvirt's node device name for the PCI address. */
static char *
node_name(const PciHostdev *hd)
{
    return g_strdup_printf("pci_%04x_%02x_%02x_%x", hd->domain, hd->bus, hd->slot, hd->function);
}

static gboolean
uses_device(const VbDomainDef *def, const char *name)
{
    for (guint i = 0; i < def->devices->len; i++) {
        PciHostdev hd;
        g_autofree char *other = NULL;

        if (pci_hostdev_of(g_ptr_array_index(def->devices, i), &hd) && g_str_equal((other = node_name(&hd)), name))
            return TRUE;
    }
    return FALSE;
}

const char *
qemu_hostdev_user(VbConn *conn, const char *name, const char *except_uuid)
{
    GHashTableIter iter;
    QemuRun *run;

    g_hash_table_iter_init(&iter, qemu_priv(conn)->runs);
    while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&run)) {
        VbDomainObj *dom = vb_obj_list_by_key(conn->domains, run->uuid);

        if (dom && g_strcmp0(run->uuid, except_uuid) != 0 && uses_device(dom->def, name))
            return dom->def->name;
    }
    return NULL;
}

static gboolean
on_vfio(const VbNodeDeviceObj *dev)
{
    return g_strcmp0(dev->def->driver, "vfio-pci") == 0;
}

GPtrArray *
qemu_hostdev_prepare(VbConn *conn, const VbDomainDef *def, GError **error)
{
    g_autoptr(GPtrArray) detached = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; i < def->devices->len; i++) {
        g_autofree char *name = NULL;
        const char *user;
        VbNodeDeviceObj *dev;
        PciHostdev hd;

        if (!pci_hostdev_of(g_ptr_array_index(def->devices, i), &hd))
            continue;
        name = node_name(&hd);
        if ((user = qemu_hostdev_user(conn, name, def->uuid))) {
            vb_set_error(error, VB_ERR_OPERATION_INVALID, "PCI device %04x:%02x:%02x.%x is in use by driver QEMU, "
                         "domain %s", hd.domain, hd.bus, hd.slot, hd.function, user);
            goto fail;
        }
        if (!hd.managed)
            continue;
        if (!(dev = vb_conn_node_device_by_name(conn, name, error)))
            goto fail;
        if (on_vfio(dev))
            continue;
        if (!vb_nodedev_pci_detach(conn, dev, "vfio", 0, error))
            goto fail;
        g_ptr_array_add(detached, g_steal_pointer(&name));
    }
    return g_steal_pointer(&detached);
fail:
    qemu_hostdev_release(conn, g_steal_pointer(&detached));
    return NULL;
}

void
qemu_hostdev_release(VbConn *conn, GPtrArray *detached)
{
    for (guint i = 0; detached && i < detached->len; i++) {
        const char *name = g_ptr_array_index(detached, i);
        g_autoptr(GError) error = NULL;
        VbNodeDeviceObj *dev = vb_conn_node_device_by_name(conn, name, &error);

        if (!dev || !vb_nodedev_pci_release(conn, dev, &error))
            g_warning("cannot give %s back to its host driver: %s", name, error->message);
    }
    if (detached)
        g_ptr_array_unref(detached);
}

gboolean
qemu_node_device_reattach(VbConn *conn, VbNodeDeviceObj *dev, GError **error)
{
    const char *user = qemu_hostdev_user(conn, dev->def->name, NULL);

    if (user) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "PCI device %s is in use by driver QEMU, domain %s",
                     dev->def->name, user);
        return FALSE;
    }
    return vb_nodedev_pci_reattach(conn, dev, error);
}
