/* qemu_devices.c: AttachDevice / DetachDevice on the persistent definition (AFFECT_CONFIG).
 * Hot-plug into a running QEMU is not done yet and says so; the config changes apply at the
 * next start, as with libvirt's --config. */
#include <string.h>

#include "drivers/qemu/qemu_private.h"

#define DEVICE_FLAGS (VB_AFFECT_LIVE | VB_AFFECT_CONFIG)

/* One <device> element, through the domain parser (there is no second parser): it is parsed
 * inside a throwaway domain, so it gets the same checks and defaults (a MAC, for instance). */
static VbDeviceDef *
parse_device(const char *xml, GError **error)
{
    g_autofree char *wrapped = g_strdup_printf("<domain type='qemu'><name>device</name><memory>1024</memory>"
                                               "<os><type>hvm</type></os><devices>%s</devices></domain>", xml);
    g_autoptr(VbDomainDef) holder = NULL;

    if (strstr(xml, "<?xml") || strstr(xml, "<!")) {
        vb_set_error(error, VB_ERR_XML_ERROR, "%s", "a device description is one element, without a prolog");
        return NULL;
    }
    if (!(holder = vb_domain_def_parse(wrapped, 0, error)))
        return NULL;
    if (holder->devices->len != 1) {
        vb_set_error(error, VB_ERR_XML_ERROR, "expected one device element, found %u", holder->devices->len);
        return NULL;
    }
    return g_ptr_array_steal_index(holder->devices, 0);
}

/* The device of @def that @dev names: a disk by its target, an interface by its MAC, anything
 * else by its whole element. -1 when there is none. */
static int
find_device(const VbDomainDef *def, const VbDeviceDef *dev)
{
    for (guint i = 0; i < def->devices->len; i++) {
        const VbDeviceDef *cur = g_ptr_array_index(def->devices, i);

        if (cur->kind != dev->kind)
            continue;
        if (dev->disk ? g_strcmp0(cur->disk->target_dev, dev->disk->target_dev) == 0
            : dev->net ? g_ascii_strcasecmp(cur->net->mac, dev->net->mac) == 0
            : g_strcmp0(cur->xml, dev->xml) == 0)
            return (int)i;
    }
    return -1;
}

static gboolean
config_def(VbDomainObj *dom, guint flags, const char *api, VbDomainDef **config, GError **error)
{
    VbDomainDef *live = NULL;

    if (!vb_check_flags(flags, DEVICE_FLAGS, api, error) || !vb_domain_obj_defs(dom, flags, &live, config, error))
        return FALSE;
    if (live) {
        vb_set_error(error, VB_ERR_OPERATION_UNSUPPORTED, "%s",
                     "changing the devices of a running guest is not supported by the QEMU driver yet; "
                     "use VIR_DOMAIN_AFFECT_CONFIG");
        return FALSE;
    }
    return TRUE;
}

gboolean
qemu_domain_attach_device(VbConn *conn, VbDomainObj *dom, const char *xml, guint flags, GError **error)
{
    g_autoptr(VbDomainDef) updated = NULL;
    VbDomainDef *config = NULL;
    VbDeviceDef *dev;
    int at = -1;

    if (!config_def(dom, flags, "virDomainAttachDeviceFlags", &config, error) || !(dev = parse_device(xml, error)))
        return FALSE;
    updated = vb_domain_def_copy(config);
    if (find_device(updated, dev) >= 0) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "%s %s already exists",
                     dev->disk ? "target" : dev->net ? "mac address" : "device",
                     dev->disk ? dev->disk->target_dev : dev->net ? dev->net->mac : "");
        vb_device_def_free(dev);
        return FALSE;
    }
    /* beside its own kind, where libvirt writes it */
    for (guint i = 0; i < updated->devices->len; i++) {
        if (((VbDeviceDef *)g_ptr_array_index(updated->devices, i))->kind == dev->kind)
            at = (int)i;
    }
    g_ptr_array_insert(updated->devices, at < 0 ? -1 : at + 1, dev);
    if (!qemu_domain_save_config(conn, updated, error))
        return FALSE;
    vb_conn_domain_define(conn, dom, g_steal_pointer(&updated));
    return TRUE;
}

gboolean
qemu_domain_detach_device(VbConn *conn, VbDomainObj *dom, const char *xml, guint flags, GError **error)
{
    g_autoptr(VbDomainDef) updated = NULL;
    VbDomainDef *config = NULL;
    VbDeviceDef *dev;
    int at;

    if (!config_def(dom, flags, "virDomainDetachDeviceFlags", &config, error) || !(dev = parse_device(xml, error)))
        return FALSE;
    updated = vb_domain_def_copy(config);
    at = find_device(updated, dev);
    vb_device_def_free(dev);
    if (at < 0) {
        vb_set_error(error, VB_ERR_DEVICE_MISSING, "%s", "no matching device found in the domain configuration");
        return FALSE;
    }
    g_ptr_array_remove_index(updated->devices, (guint)at);
    if (!qemu_domain_save_config(conn, updated, error))
        return FALSE;
    vb_conn_domain_define(conn, dom, g_steal_pointer(&updated));
    return TRUE;
}
