/* nodedev_udev.h: the host's devices from udev as the connection's node devices, kept live */
#pragma once

#include "drivers/driver.h"

/* Fills conn->node_devices with the host's devices and follows udev's add/remove/change
 * events on the main loop. Without udev the connection keeps only the "computer" device. */
void vb_nodedev_open(VbConn *conn);
void vb_nodedev_close(VbConn *conn);
