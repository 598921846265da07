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

#include "drivers/nodedev/nodedev_private.h"

#define EVENT_BATCH 64
#define DMI_SYSPATH "/sys/devices/virtual/dmi/id"
#define COMPUTER "computer"

static const char *const subsystems[] = { "pci", "usb", "net", "scsi", "block", "drm", "scsi_generic" };

typedef struct {
    VbConn *conn;
    struct udev *udev;
    struct udev_monitor *monitor;
    guint watch;
    GHashTable *names;   /* sysfs path -> device name */
} NodedevState;

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

static void
state_free(NodedevState *st)
{
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
