/* nodedev_private.h: what the udev node device backend's files share */
#pragma once

#include <libudev.h>

#include "drivers/driver.h"

/* libvirt's device name: "<subsystem>_<sysname>[_<suffix>]" with every byte that is not an
 * ASCII letter or digit replaced by '_' (pci_0000_00_1f_2, net_eth0_52_54_00_12_34_56). */
char *nodedev_name_form(const char *subsystem, const char *sysname, const char *suffix);

/* The capability udev's device carries, as libvirt classifies it (devtype first, then
 * subsystem), or -1 when the device is not one libvirt lists. */
int nodedev_classify(struct udev_device *device);

/* A new definition of @device (name, path, devnodes, driver, one capability), or NULL when
 * the device is not listed or lacks what its capability needs. The parent is left unset. */
VbNodeDeviceDef *nodedev_def_from_udev(struct udev_device *device);

/* The "computer" device, with the DMI facts of /sys/devices/virtual/dmi/id when @dmi is set. */
VbNodeDeviceDef *nodedev_def_computer(struct udev_device *dmi);

/* An empty definition whose capability array frees capabilities the conf/ way. */
VbNodeDeviceDef *nodedev_def_new(const char *name);

/* hwdata's pci.ids: vendor and device names (NULL when unknown or the file is absent). */
const char *nodedev_pci_vendor_name(guint vendor);
const char *nodedev_pci_device_name(guint vendor, guint device);
/* Reads @path instead of the default database; NULL restores the default (for tests). */
void nodedev_pci_ids_reset(const char *path);
