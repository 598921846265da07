/* nodedev_udev.c: the host's devices from udev, kept live, as the connection's node devices.
 *
 * Algorithm:
 * 1. Open: a udev monitor on the "udev" netlink group (events udevd finished with), filtered
 *    to the subsystems listed here, starts receiving BEFORE the enumeration, so an event that
 *    happens while we enumerate waits in the monitor's socket instead of being lost.
 * 2. Enumerate those subsystems: libudev returns devices sorted by sysfs path, so a parent
 *    comes before its children. Each device libvirt would list becomes a definition; its
 *    parent is the nearest ancestor already listed (by sysfs path), else "computer".
 * 3. Only then is the monitor's socket watched on the main loop (g_unix_fd_add). The socket is
 *    non-blocking: a wake-up reads at most EVENT_BATCH events, each processed completely and
 *    in arrival order; if more wait, the fd stays readable and the next main loop iteration
 *    continues, so a burst never starves D-Bus calls and never reorders. Events queued during
 *    the enumeration replay harmlessly: an "add" of a known device is an update.
 * 4. Per event the list is made to match what a fresh enumeration would give: add, change,
 *    bind, unbind rebuild the definition (a new name means the old device is deleted and a
 *    new one created; a device that is no longer listable is deleted); remove deletes; move
 *    deletes the old path and adds the new one. Appearing devices emit NodeDeviceEvent
 *    CREATED after they are listed, vanishing ones DELETED before they are dropped. libvirt's
 *    lifecycle enum has no "updated" value (its update event is a separate callback that the
 *    D-Bus API does not carry), so an in-place change replaces the definition silently. */
#include "drivers/nodedev/nodedev_udev.h"

#include <glib-unix.h>
#include <string.h>

#include "drivers/nodedev/nodedev_private.h"

#define EVENT_BATCH 64
#define DMI_SYSPATH "/sys/devices/virtual/dmi/id"
#define COMPUTER "computer"

static const char *const subsystems[] = { "pci", "usb", "net", "scsi", "block", "drm", "scsi_generic", "mdev" };

typedef struct {
    VbConn *conn;
    struct udev *udev;
    struct udev_monitor *monitor;
    guint watch;
    GHashTable *names;   /* sysfs path -> device name */
    GPtrArray *waits;    /* DeviceWait: creations and removals waiting for udev */
} NodedevState;

/* A call waiting for a device to appear (@appear) or to go, as udev reports it: by name, or
 * (a vHBA, whose name the kernel picks) by its fc_host's WWNN and WWPN. */
typedef struct {
    NodedevState *st;
    char *name;
    char *wwnn, *wwpn;
    gboolean appear;
    GTask *task;
    guint timeout;
} DeviceWait;

static void device_waits_notify(NodedevState *st, const VbNodeDeviceDef *def, const char *name, gboolean appeared);

static GHashTable *states;   /* VbConn * -> NodedevState * */

/* ---- the list ---- */

static const char *
parent_name(NodedevState *st, struct udev_device *device)
{
    for (struct udev_device *up = udev_device_get_parent(device); up; up = udev_device_get_parent(up)) {
        const char *name = g_hash_table_lookup(st->names, udev_device_get_syspath(up));
        if (name)
            return name;
    }
    return COMPUTER;
}

static void
list_add(NodedevState *st, VbNodeDeviceDef *def, gboolean announce)
{
    VbNodeDeviceObj *dev = g_new0(VbNodeDeviceObj, 1);

    dev->def = def;
    if (def->path)
        g_hash_table_insert(st->names, g_strdup(def->path), g_strdup(def->name));
    vb_obj_list_add(st->conn->node_devices, dev);
    if (announce)
        vb_conn_emit(st->conn, VB_EVENT_NODE_DEVICE, def->name, VB_NODE_DEVICE_EVENT_CREATED, 0, VB_PRESENCE_APPEARED);
    device_waits_notify(st, def, def->name, TRUE);
}

static void
list_remove(NodedevState *st, const char *syspath)
{
    g_autofree char *path = NULL;
    g_autofree char *name = NULL;
    VbNodeDeviceObj *dev;

    if (!g_hash_table_steal_extended(st->names, syspath, (gpointer *)&path, (gpointer *)&name))
        return;
    if (!(dev = vb_obj_list_by_key(st->conn->node_devices, name)))
        return;
    vb_conn_emit(st->conn, VB_EVENT_NODE_DEVICE, name, VB_NODE_DEVICE_EVENT_DELETED, 0, VB_PRESENCE_GONE);
    vb_obj_list_remove(st->conn->node_devices, dev);
    device_waits_notify(st, NULL, name, FALSE);
}

/* The same device with new details: the list keeps the name string its index points to. */
static void
list_replace(VbNodeDeviceObj *dev, VbNodeDeviceDef *def)
{
    g_free(def->name);
    def->name = g_steal_pointer(&dev->def->name);
    vb_node_device_def_free(dev->def);
    dev->def = def;
}

static void
device_update(NodedevState *st, struct udev_device *device, gboolean announce)
{
    const char *syspath = udev_device_get_syspath(device);
    VbNodeDeviceDef *def = nodedev_def_from_udev(device);
    const char *old = g_hash_table_lookup(st->names, syspath);
    VbNodeDeviceObj *dev = old ? vb_obj_list_by_key(st->conn->node_devices, old) : NULL;

    if (def)
        def->parent = g_strdup(parent_name(st, device));
    if (dev && def && g_str_equal(dev->def->name, def->name)) {
        list_replace(dev, def);
        /* a vHBA's fc_host may show up after its scsi_host: a creation waiting for it is over */
        device_waits_notify(st, dev->def, dev->def->name, TRUE);
        return;
    }
    if (old)
        list_remove(st, syspath);
    if (!def)
        return;
    if (vb_obj_list_by_key(st->conn->node_devices, def->name)) {
        /* two sysfs paths with one libvirt name: the first one listed stays */
        g_debug("node device %s (%s) has the name of another device; not listed", def->name, syspath);
        vb_node_device_def_free(def);
        return;
    }
    list_add(st, def, announce);
}

/* ---- events ---- */

static void
handle_event(NodedevState *st, struct udev_device *device)
{
    const char *action = udev_device_get_action(device);
    const char *old_devpath;

    if (!action)
        return;
    if (g_str_equal(action, "remove")) {
        list_remove(st, udev_device_get_syspath(device));
        return;
    }
    if (g_str_equal(action, "move") && (old_devpath = udev_device_get_property_value(device, "DEVPATH_OLD"))) {
        g_autofree char *old_syspath = g_strconcat("/sys", old_devpath, NULL);
        list_remove(st, old_syspath);
    }
    device_update(st, device, TRUE);
}

static gboolean
on_monitor_ready(int fd, GIOCondition condition, gpointer user_data)
{
    NodedevState *st = user_data;

    if (condition & (G_IO_ERR | G_IO_HUP | G_IO_NVAL)) {
        g_warning("udev monitor failed; node devices are no longer updated");
        st->watch = 0;
        return G_SOURCE_REMOVE;
    }
    for (int i = 0; i < EVENT_BATCH; i++) {
        struct udev_device *device = udev_monitor_receive_device(st->monitor);
        if (!device)
            break;
        handle_event(st, device);
        udev_device_unref(device);
    }
    return G_SOURCE_CONTINUE;
}

/* ---- open and close ---- */

static struct udev_monitor *
monitor_new(struct udev *udev)
{
    struct udev_monitor *monitor = udev_monitor_new_from_netlink(udev, "udev");

    if (!monitor)
        return NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(subsystems); i++)
        udev_monitor_filter_add_match_subsystem_devtype(monitor, subsystems[i], NULL);
    /* room for bursts such as hundreds of SR-IOV functions (silently smaller when unprivileged) */
    udev_monitor_set_receive_buffer_size(monitor, 16 * 1024 * 1024);
    if (udev_monitor_enable_receiving(monitor) < 0) {
        udev_monitor_unref(monitor);
        return NULL;
    }
    return monitor;
}

static void
add_computer(NodedevState *st)
{
    struct udev_device *dmi = udev_device_new_from_syspath(st->udev, DMI_SYSPATH);

    list_add(st, nodedev_def_computer(dmi), FALSE);
    if (dmi)
        udev_device_unref(dmi);
}

static void
enumerate(NodedevState *st)
{
    struct udev_enumerate *en = udev_enumerate_new(st->udev);
    struct udev_list_entry *entry;
    gint64 start = g_get_monotonic_time();

    for (gsize i = 0; i < G_N_ELEMENTS(subsystems); i++)
        udev_enumerate_add_match_subsystem(en, subsystems[i]);
    if (udev_enumerate_scan_devices(en) < 0)
        g_warning("cannot enumerate udev devices");
    udev_list_entry_foreach(entry, udev_enumerate_get_list_entry(en)) {
        struct udev_device *device = udev_device_new_from_syspath(st->udev, udev_list_entry_get_name(entry));
        if (device) {
            device_update(st, device, FALSE);
            udev_device_unref(device);
        }
    }
    udev_enumerate_unref(en);
    g_debug("node devices: %u listed in %.1f ms", vb_obj_list_size(st->conn->node_devices),
            (g_get_monotonic_time() - start) / 1000.0);
}

static void device_wait_free(DeviceWait *wait);

static void
state_free(NodedevState *st)
{
    g_clear_pointer(&st->waits, g_ptr_array_unref);   /* waiting calls fail: the connection goes */
    g_clear_handle_id(&st->watch, g_source_remove);
    g_clear_pointer(&st->monitor, udev_monitor_unref);
    g_clear_pointer(&st->udev, udev_unref);
    g_clear_pointer(&st->names, g_hash_table_unref);
    g_free(st);
}

void
vb_nodedev_open(VbConn *conn)
{
    NodedevState *st = g_new0(NodedevState, 1);

    st->conn = conn;
    st->names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    st->waits = g_ptr_array_new_with_free_func((GDestroyNotify)device_wait_free);
    if (!states)
        states = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)state_free);
    g_hash_table_replace(states, conn, st);
    if (!(st->udev = udev_new())) {
        g_warning("cannot use udev: only the computer node device is listed");
        list_add(st, nodedev_def_computer(NULL), FALSE);
        return;
    }
    if (!(st->monitor = monitor_new(st->udev)))
        g_warning("cannot monitor udev events: node devices are not updated");
    add_computer(st);
    enumerate(st);
    if (st->monitor)
        st->watch = g_unix_fd_add(udev_monitor_get_fd(st->monitor), G_IO_IN | G_IO_ERR | G_IO_HUP,
                                  on_monitor_ready, st);
}

void
vb_nodedev_close(VbConn *conn)
{
    if (states)
        g_hash_table_remove(states, conn);
    if (states && g_hash_table_size(states) == 0)
        g_clear_pointer(&states, g_hash_table_unref);
}

/* ---- devices the kernel makes: mediated devices (mdev) ----
 *
 * NodeDeviceCreateXML writes the new device's UUID to its parent's
 * mdev_supported_types/<type>/create and Destroy writes 1 to the device's remove; the call
 * answers when udev reports the device there (or gone), as libvirt's does, or fails after
 * DEVICE_WAIT_MS. */

#define DEVICE_WAIT_MS 5000

static void
device_wait_free(DeviceWait *wait)
{
    if (wait->timeout)
        g_source_remove(wait->timeout);
    if (wait->task) {
        g_task_return_new_error(wait->task, VB_ERROR, VB_ERR_OPERATION_FAILED, "%s",
                                "operation failed: the connection was closed");
        g_object_unref(wait->task);
    }
    g_free(wait->name);
    g_free(wait->wwnn);
    g_free(wait->wwpn);
    g_free(wait);
}

static void
device_wait_answer(DeviceWait *wait, const char *name, GError *error)
{
    GTask *task = g_steal_pointer(&wait->task);

    if (error)
        g_task_return_error(task, error);
    else if (wait->appear)
        g_task_return_pointer(task, g_strdup(name), g_free);
    else
        g_task_return_boolean(task, TRUE);
    g_object_unref(task);
    g_ptr_array_remove(wait->st->waits, wait);
}

static gboolean
has_wwns(const VbNodeDeviceDef *def, const char *wwnn, const char *wwpn)
{
    VbNodeDeviceCap *cap = def ? vb_node_device_def_find_cap(def, VB_NODE_DEVICE_CAP_SCSI_HOST) : NULL;

    return cap && cap->scsi_host.has_fc_host && g_ascii_strcasecmp(cap->scsi_host.wwnn, wwnn) == 0 &&
           g_ascii_strcasecmp(cap->scsi_host.wwpn, wwpn) == 0;
}

static void
device_waits_notify(NodedevState *st, const VbNodeDeviceDef *def, const char *name, gboolean appeared)
{
    for (guint i = st->waits ? st->waits->len : 0; i > 0; i--) {
        DeviceWait *wait = g_ptr_array_index(st->waits, i - 1);
        if (wait->appear == appeared &&
            (wait->wwnn ? appeared && has_wwns(def, wait->wwnn, wait->wwpn) : g_str_equal(wait->name, name)))
            device_wait_answer(wait, name, NULL);
    }
}

static gboolean
device_wait_timed_out(gpointer user_data)
{
    DeviceWait *wait = user_data;
    GError *error = NULL;

    wait->timeout = 0;
    vb_set_error(&error, VB_ERR_OPERATION_FAILED, "device %s did not %s within %d s", wait->name,
                 wait->appear ? "appear" : "go away", DEVICE_WAIT_MS / 1000);
    device_wait_answer(wait, NULL, error);
    return G_SOURCE_REMOVE;
}

static DeviceWait *
device_wait_add(NodedevState *st, const char *name, gboolean appear, GTask *task)
{
    DeviceWait *wait = g_new0(DeviceWait, 1);

    wait->st = st;
    wait->name = g_strdup(name);
    wait->appear = appear;
    wait->task = task;
    wait->timeout = g_timeout_add(DEVICE_WAIT_MS, device_wait_timed_out, wait);
    g_ptr_array_add(st->waits, wait);
    return wait;
}

static gboolean
sysfs_write_value(const char *path, const char *value, GError **error)
{
    g_autoptr(GError) local = NULL;

    if (g_file_set_contents_full(path, value, -1, G_FILE_SET_CONTENTS_NONE, 0200, &local))
        return TRUE;
    vb_set_error(error, VB_ERR_SYSTEM_ERROR, "cannot write '%s' to %s: %s", value, path, local->message);
    return FALSE;
}

static const VbNodeDeviceMdevType *
parent_mdev_type(VbNodeDeviceObj *parent, const char *type)
{
    VbNodeDeviceCap *cap = vb_node_device_def_find_cap(parent->def, VB_NODE_DEVICE_CAP_PCI_DEV);

    for (guint i = 0; cap && cap->pci.mdev_types && i < cap->pci.mdev_types->len; i++) {
        const VbNodeDeviceMdevType *t = g_ptr_array_index(cap->pci.mdev_types, i);
        if (g_str_equal(t->id, type))
            return t;
    }
    return NULL;
}

/* The mdev the definition asks for: its parent, type and UUID (generated when absent). */
static gboolean
mdev_request(NodedevState *st, const VbNodeDeviceDef *def, VbNodeDeviceObj **parent, VbNodeDeviceCapMdev **mdev,
             GError **error)
{
    VbNodeDeviceCap *cap = vb_node_device_def_find_cap(def, VB_NODE_DEVICE_CAP_MDEV);

    if (!cap)
        return FALSE;
    if (!def->parent) {
        vb_set_error(error, VB_ERR_XML_ERROR, "%s", "a mediated device needs a <parent>");
        return FALSE;
    }
    if (!(*parent = vb_conn_node_device_by_name(st->conn, def->parent, error)))
        return FALSE;
    if (!parent_mdev_type(*parent, cap->mdev.type)) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "Unable to find mediated device type '%s' in parent '%s'",
                     cap->mdev.type, def->parent);
        return FALSE;
    }
    if (!cap->mdev.uuid[0])
        vb_uuid_generate(cap->mdev.uuid);
    *mdev = &cap->mdev;
    return TRUE;
}

static gboolean
create_mdev(NodedevState *st, const VbNodeDeviceDef *def, GTask *task, GError **error)
{
    g_autofree char *create = NULL;
    g_autofree char *name = NULL;
    g_autofree char *addr = NULL;
    VbNodeDeviceCapMdev *mdev = NULL;
    VbNodeDeviceObj *parent = NULL;
    VbNodeDeviceCap *pci;

    if (!mdev_request(st, def, &parent, &mdev, error))
        return FALSE;
    pci = vb_node_device_def_find_cap(parent->def, VB_NODE_DEVICE_CAP_PCI_DEV);
    addr = g_strdup_printf("%04x:%02x:%02x.%x", pci->pci.domain, pci->pci.bus, pci->pci.slot, pci->pci.function);
    name = nodedev_name_form("mdev", mdev->uuid, addr);
    create = g_strdup_printf("/sys/bus/pci/devices/%s/mdev_supported_types/%s/create", addr, mdev->type);
    if (vb_obj_list_by_key(st->conn->node_devices, name)) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "mediated device %s already exists", mdev->uuid);
        return FALSE;
    }
    if (!sysfs_write_value(create, mdev->uuid, error))
        return FALSE;
    device_wait_add(st, name, TRUE, task);
    return TRUE;
}

/* ---- vHBAs: NPIV ports of a Fibre Channel HBA ---- */

static VbNodeDeviceCapScsiHost *
scsi_host_of(VbNodeDeviceObj *dev)
{
    VbNodeDeviceCap *cap = dev ? vb_node_device_def_find_cap(dev->def, VB_NODE_DEVICE_CAP_SCSI_HOST) : NULL;

    return cap ? &cap->scsi_host : NULL;
}

/* The HBA a new vHBA goes on: <parent>, <parent wwnn= wwpn=>, <parent fabric_wwn=>, or the
 * first one that can make vports (as libvirt's virVHBAFindVportHost). */
static VbNodeDeviceObj *
vhba_parent(NodedevState *st, const VbNodeDeviceDef *def, GError **error)
{
    g_autoptr(GPtrArray) all = NULL;
    VbNodeDeviceCapScsiHost *host;
    VbNodeDeviceObj *parent = NULL;

    if (def->parent && !(parent = vb_conn_node_device_by_name(st->conn, def->parent, error)))
        return NULL;
    all = vb_obj_list_values(st->conn->node_devices);
    for (guint i = 0; !parent && i < all->len; i++) {
        VbNodeDeviceObj *dev = g_ptr_array_index(all, i);

        if (!(host = scsi_host_of(dev)) || !host->has_vport_ops)
            continue;
        if (def->parent_wwnn ? has_wwns(dev->def, def->parent_wwnn, def->parent_wwpn)
            : def->parent_fabric_wwn ? g_ascii_strcasecmp(host->fabric_wwn ? host->fabric_wwn : "",
                                                          def->parent_fabric_wwn) == 0
            : TRUE)
            parent = dev;
    }
    if (!parent) {
        vb_set_error(error, VB_ERR_OPERATION_FAILED, "%s", "no Fibre Channel HBA that can make vports was found");
        return NULL;
    }
    if (!(host = scsi_host_of(parent)) || !host->has_vport_ops) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "Parent device %s is not capable of vport operations",
                     parent->def->name);
        return NULL;
    }
    return parent;
}

/* "<wwpn>:<wwnn>" to the HBA's vport_create or vport_delete. */
static gboolean
vport_write(VbNodeDeviceObj *parent, const char *op, const char *wwnn, const char *wwpn, GError **error)
{
    g_autofree char *path = g_strdup_printf("/sys/class/fc_host/host%u/%s", scsi_host_of(parent)->host, op);
    g_autofree char *value = g_strdup_printf("%s:%s", wwpn, wwnn);

    if (!wwnn || !wwpn || strspn(wwnn, "0123456789abcdefABCDEF") != strlen(wwnn) ||
        strspn(wwpn, "0123456789abcdefABCDEF") != strlen(wwpn)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "%s", "a vHBA's wwnn and wwpn must be hexadecimal");
        return FALSE;
    }
    return sysfs_write_value(path, value, error);
}

static gboolean
create_vhba(NodedevState *st, const VbNodeDeviceDef *def, VbNodeDeviceCapScsiHost *want, GTask *task,
            GError **error)
{
    VbNodeDeviceObj *parent = vhba_parent(st, def, error);
    g_autofree char *wwnn = want->wwnn ? g_strdup(want->wwnn) : vb_node_device_generate_wwn();
    g_autofree char *wwpn = want->wwpn ? g_strdup(want->wwpn) : vb_node_device_generate_wwn();
    g_autofree char *what = NULL;
    DeviceWait *wait;

    if (!parent || !vport_write(parent, "vport_create", wwnn, wwpn, error))
        return FALSE;
    what = g_strdup_printf("with wwnn %s, wwpn %s", wwnn, wwpn);
    wait = device_wait_add(st, what, TRUE, task);
    wait->wwnn = g_steal_pointer(&wwnn);
    wait->wwpn = g_steal_pointer(&wwpn);
    return TRUE;
}

/* Starts the creation @def asks for; FALSE with @error when it cannot start. */
static gboolean
create_device(NodedevState *st, const VbNodeDeviceDef *def, GTask *task, GError **error)
{
    VbNodeDeviceCap *host = vb_node_device_def_find_cap(def, VB_NODE_DEVICE_CAP_SCSI_HOST);

    if (vb_node_device_def_find_cap(def, VB_NODE_DEVICE_CAP_MDEV))
        return create_mdev(st, def, task, error);
    if (host && host->scsi_host.has_fc_host)
        return create_vhba(st, def, &host->scsi_host, task, error);
    vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "%s",
                 "only mediated devices (mdev) and vHBAs (scsi_host with fc_host) can be created");
    return FALSE;
}

void
vb_nodedev_create_xml_async(VbConn *conn, const char *xml, guint flags, GTask *task)
{
    NodedevState *st = states ? g_hash_table_lookup(states, conn) : NULL;
    g_autoptr(VbNodeDeviceDef) def = NULL;
    GError *error = NULL;

    if (vb_check_flags(flags, 0, "virNodeDeviceCreateXML", &error) &&
        (def = vb_node_device_def_parse(xml, VB_NODE_DEVICE_PARSE_CREATE, &error))) {
        if (!st)
            vb_set_error(&error, VB_ERR_OPERATION_FAILED, "%s", "node devices are not available");
        else if (create_device(st, def, task, &error))
            return;
    }
    g_task_return_error(task, error);
    g_object_unref(task);
}

void
vb_nodedev_destroy_async(VbConn *conn, VbNodeDeviceObj *dev, GTask *task)
{
    NodedevState *st = states ? g_hash_table_lookup(states, conn) : NULL;
    VbNodeDeviceCap *cap = vb_node_device_def_find_cap(dev->def, VB_NODE_DEVICE_CAP_MDEV);
    VbNodeDeviceCapScsiHost *host = scsi_host_of(dev);
    VbNodeDeviceObj *parent = dev->def->parent ? vb_obj_list_by_key(conn->node_devices, dev->def->parent) : NULL;
    VbNodeDeviceCapScsiHost *hba = scsi_host_of(parent);
    g_autofree char *remove = NULL;
    GError *error = NULL;
    gboolean written = FALSE;

    if (st && cap) {
        remove = g_strdup_printf("/sys/bus/mdev/devices/%s/remove", cap->mdev.uuid);
        written = sysfs_write_value(remove, "1", &error);
    } else if (st && host && host->has_fc_host && hba && hba->has_vport_ops) {
        written = vport_write(parent, "vport_delete", host->wwnn, host->wwpn, &error);
    } else {
        vb_set_error(&error, VB_ERR_OPERATION_INVALID, "device '%s' is neither a mediated device nor a vHBA: it "
                     "cannot be destroyed", dev->def->name);
    }
    if (written) {
        device_wait_add(st, dev->def->name, FALSE, task);
        return;
    }
    g_task_return_error(task, error);
    g_object_unref(task);
}
