/* nodedev_udev.h: the host's devices from udev as the connection's node devices, kept live */
#pragma once

#include "drivers/driver.h"

/* Fills conn->node_devices with the host's devices and follows udev's add/remove/change
 * events on the main loop. Without udev the connection keeps only the "computer" device. */
void vb_nodedev_open(VbConn *conn);
void vb_nodedev_close(VbConn *conn);

/* PCI passthrough (nodedev_pci.c): NodeDevice.Detach (to vfio-pci), ReAttach, Reset. */
gboolean vb_nodedev_pci_detach(VbConn *conn, VbNodeDeviceObj *dev, const char *driver, guint flags, GError **error);
gboolean vb_nodedev_pci_reattach(VbConn *conn, VbNodeDeviceObj *dev, GError **error);
/* Gives back a device this daemon moved to vfio-pci (managed hostdevs): the override is cleared
 * and the device probed again whatever it is bound to now. */
gboolean vb_nodedev_pci_release(VbConn *conn, VbNodeDeviceObj *dev, GError **error);
gboolean vb_nodedev_pci_reset(VbConn *conn, VbNodeDeviceObj *dev, GError **error);

/* NodeDeviceCreateXML / NodeDevice.Destroy for mediated devices (sysfs create and remove);
 * the create task returns the new device's name once udev reports it. */
void vb_nodedev_create_xml_async(VbConn *conn, const char *xml, guint flags, GTask *task);
void vb_nodedev_destroy_async(VbConn *conn, VbNodeDeviceObj *dev, GTask *task);
