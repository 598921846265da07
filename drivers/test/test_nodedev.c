/* test_nodedev.c: node devices of the test driver: the fixed set from the node file, and
 * vHBAs (scsi_host with fc_host) created on a vport_ops-capable scsi_host */
#include <string.h>

#include "drivers/test/test_private.h"

static VbNodeDeviceCapScsiHost *
scsi_host_of(const VbNodeDeviceDef *def)
{
    VbNodeDeviceCap *cap = vb_node_device_def_find_cap(def, VB_NODE_DEVICE_CAP_SCSI_HOST);

    return cap ? &cap->scsi_host : NULL;
}

static VbNodeDeviceCapScsiHost *
fc_host_of(const VbNodeDeviceDef *def, GError **error)
{
    VbNodeDeviceCapScsiHost *host = scsi_host_of(def);

    if (!host || !host->has_fc_host) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "Device is not a fibre channel HBA");
        return NULL;
    }
    return host;
}

static VbNodeDeviceObj *
add_device(VbConn *conn, VbNodeDeviceDef *def)
{
    VbNodeDeviceObj *dev = g_new0(VbNodeDeviceObj, 1);

    dev->def = def;
    vb_obj_list_add(conn->node_devices, dev);
    return dev;
}

gboolean
test_node_device_load(VbConn *conn, const char *xml, GError **error)
{
    g_autoptr(VbNodeDeviceDef) def = vb_node_device_def_parse(xml, 0, error);

    if (!def)
        return FALSE;
    if (vb_obj_list_by_key(conn->node_devices, def->name)) {
        vb_set_error(error, VB_ERR_OPERATION_FAILED, "node device '%s' already exists", def->name);
        return FALSE;
    }
    add_device(conn, g_steal_pointer(&def));
    return TRUE;
}

/* ---- the parent of a new vHBA ---- */

static VbNodeDeviceObj *
check_vport_parent(VbNodeDeviceObj *parent, GError **error)
{
    VbNodeDeviceCapScsiHost *host = scsi_host_of(parent->def);

    if (!host || !host->has_vport_ops) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "Parent device %s is not capable of vport operations",
                     parent->def->name);
        return NULL;
    }
    return parent;
}

static gboolean
matches_parent_wwns(const VbNodeDeviceDef *parent, const VbNodeDeviceDef *def)
{
    VbNodeDeviceCapScsiHost *host = scsi_host_of(parent);

    if (!host || !host->has_fc_host)
        return FALSE;
    if (def->parent_wwnn)
        return g_strcmp0(host->wwnn, def->parent_wwnn) == 0 && g_strcmp0(host->wwpn, def->parent_wwpn) == 0;
    if (def->parent_fabric_wwn)
        return g_strcmp0(host->fabric_wwn, def->parent_fabric_wwn) == 0;
    return host->has_vport_ops;
}

/* libvirt's virNodeDeviceObjListGetParentHost: by name, by WWNs, by fabric, or the first
 * vport-capable scsi_host. */
static VbNodeDeviceObj *
find_vport_parent(VbConn *conn, const VbNodeDeviceDef *def, GError **error)
{
    g_autoptr(GPtrArray) all = NULL;
    VbNodeDeviceObj *parent;
    const char *name = def->name ? def->name : "new device";

    if (def->parent) {
        if (!(parent = vb_obj_list_by_key(conn->node_devices, def->parent))) {
            vb_set_error(error, VB_ERR_INTERNAL_ERROR, "Could not find parent device for '%s'", name);
            return NULL;
        }
        return check_vport_parent(parent, error);
    }
    all = vb_obj_list_values(conn->node_devices);
    for (guint i = 0; i < all->len; i++) {
        parent = g_ptr_array_index(all, i);
        if (matches_parent_wwns(parent->def, def))
            return check_vport_parent(parent, error);
    }
    if (def->parent_wwnn || def->parent_fabric_wwn)
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "Could not find parent device for '%s'", name);
    else
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "Could not find any vport capable device");
    return NULL;
}

/* ---- create and destroy ---- */

/* The next scsi_host number and unique_id after those in use (12 and 11 on test:///default,
 * the scsi_host12 libvirt's test driver creates). */
static void
next_host_numbers(VbConn *conn, guint *host, int *unique_id)
{
    g_autoptr(GPtrArray) all = vb_obj_list_values(conn->node_devices);

    *host = 0;
    *unique_id = 0;
    for (guint i = 0; i < all->len; i++) {
        VbNodeDeviceCapScsiHost *cap = scsi_host_of(((VbNodeDeviceObj *)g_ptr_array_index(all, i))->def);

        if (cap) {
            *host = MAX(*host, cap->host + 1);
            *unique_id = MAX(*unique_id, cap->unique_id + 1);
        }
    }
    for (;;) {
        g_autofree char *name = g_strdup_printf("scsi_host%u", *host);
        if (!vb_obj_list_by_key(conn->node_devices, name))
            return;
        ++*host;
    }
}

static VbNodeDeviceDef *
build_vhba(VbConn *conn, VbNodeDeviceDef *def, VbNodeDeviceObj *parent)
{
    VbNodeDeviceCapScsiHost *host = scsi_host_of(def);
    VbNodeDeviceCapScsiHost *parent_host = scsi_host_of(parent->def);
    guint number;

    next_host_numbers(conn, &number, &host->unique_id);
    host->host = number;
    host->has_vport_ops = FALSE;
    if (!host->fabric_wwn)
        host->fabric_wwn = g_strdup(parent_host->fabric_wwn);
    g_free(def->name);
    def->name = g_strdup_printf("scsi_host%u", number);
    g_free(def->parent);
    def->parent = g_strdup(parent->def->name);
    return def;
}

VbNodeDeviceObj *
test_node_device_create_xml(VbConn *conn, const char *xml, guint flags, GError **error)
{
    g_autoptr(VbNodeDeviceDef) def = NULL;
    VbNodeDeviceCapScsiHost *host;
    VbNodeDeviceObj *parent, *dev;

    if (!vb_check_flags(flags, 0, "virNodeDeviceCreateXML", error) ||
        !(def = vb_node_device_def_parse(xml, VB_NODE_DEVICE_PARSE_CREATE, error)) ||
        !(host = fc_host_of(def, error)) ||
        !(parent = find_vport_parent(conn, def, error)))
        return NULL;
    if (vb_conn_node_device_by_wwn(conn, host->wwnn, host->wwpn, NULL)) {
        vb_set_error(error, VB_ERR_OPERATION_FAILED, "node device with wwnn '%s' and wwpn '%s' already exists",
                     host->wwnn, host->wwpn);
        return NULL;
    }
    dev = add_device(conn, build_vhba(conn, g_steal_pointer(&def), parent));
    scsi_host_of(parent->def)->vports++;
    vb_conn_emit(conn, VB_EVENT_NODE_DEVICE, dev->def->name, VB_NODE_DEVICE_EVENT_CREATED, 0, VB_PRESENCE_APPEARED);
    return dev;
}

gboolean
test_node_device_destroy(VbConn *conn, VbNodeDeviceObj *dev, GError **error)
{
    VbNodeDeviceObj *parent;
    VbNodeDeviceCapScsiHost *parent_host;
    g_autofree char *name = g_strdup(dev->def->name);

    if (!fc_host_of(dev->def, error))
        return FALSE;
    if (!(parent = dev->def->parent ? vb_obj_list_by_key(conn->node_devices, dev->def->parent) : NULL)) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "cannot find parent '%s' definition",
                     dev->def->parent ? dev->def->parent : "");
        return FALSE;
    }
    if (!check_vport_parent(parent, error))
        return FALSE;
    parent_host = scsi_host_of(parent->def);
    if (parent_host->vports > 0)
        parent_host->vports--;
    vb_conn_emit(conn, VB_EVENT_NODE_DEVICE, name, VB_NODE_DEVICE_EVENT_DELETED, 0, VB_PRESENCE_GONE);
    vb_obj_list_remove(conn->node_devices, dev);
    return TRUE;
}
