/* qemu_driver.h: the QEMU/KVM driver, qemu:///system and qemu:///session.
 *
 * Where it keeps things (each directory created 0700 on open when missing):
 *   qemu:///system   config  SYSCONFDIR/virtbus/qemu/<name>.xml, autostart/<name>.xml links
 *                    state   /run/virtbus/qemu/   (live XML, pid, QMP socket per running guest)
 *                    logs    LOCALSTATEDIR/log/virtbus/qemu/<name>.log
 *   qemu:///session  the same under $XDG_CONFIG_HOME/virtbus/qemu, $XDG_RUNTIME_DIR/virtbus/qemu
 *                    (or the user cache dir without one) and $XDG_CACHE_HOME/virtbus/qemu/log.
 * Every config write is atomic (temporary file, fsync, rename). A config file that does not
 * parse is logged and skipped, never fatal, as libvirt does. */
#pragma once

#include "drivers/driver.h"

extern const VbDriver vb_qemu_driver;
