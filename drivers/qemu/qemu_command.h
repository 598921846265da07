/* qemu_command.h: a domain definition turned into the argv of qemu-system-x86_64.
 *
 * Pure: no I/O, no QEMU probing. Every element the builder does not know is refused with
 * "unsupported configuration: ..." rather than left out, and every value that could change
 * the meaning of QEMU's option syntax is escaped (',' becomes ',,') or refused (control
 * characters). Secrets never reach the command line: a VNC/SPICE password is only announced
 * (VNC password=on, SPICE ticketing left on) and must be set over QMP before 'cont'. */
#pragma once

#include <glib.h>

#include "conf/domain_conf.h"

typedef struct {
    const char *emulator;        /* the configured QEMU binary; a different <emulator> is refused */
    const char *monitor_path;    /* the QMP socket QEMU listens on */
    int monitor_fd;              /* > 0: that socket already listening, handed to QEMU as this fd */
    const char *channel_dir;     /* a unix <channel> without a path gets <channel_dir>/<target name> */
    /* The tap fd the driver opened for each <interface> (in document order) of type bridge,
     * network or ethernet; -1 or beyond n_tap_fds: none, which such an interface refuses. */
    const int *tap_fds;
    guint n_tap_fds;
} VbQemuCommandConfig;

/* The full argv (program first), NULL-free, owning its strings. */
GPtrArray *vb_qemu_command_build(const VbDomainDef *def, const VbQemuCommandConfig *config, GError **error);
/* The same, with the QEMU id each device of @def gets, parallel to def->devices (NULL where
 * the builder names none; disks and interfaces are named). */
GPtrArray *vb_qemu_command_build_with_ids(const VbDomainDef *def, const VbQemuCommandConfig *config,
                                          GPtrArray **device_ids, GError **error);
/* Hot-plug: the options that add @dev (a disk or an interface) to a guest running @def, which
 * does not hold it, as option/value pairs ("-blockdev" JSON, "-netdev" and "-device" option
 * strings) in the order to apply them; @id receives the -device's id. A disk's block nodes are
 * named "<node_prefix>-storage/-format"; an interface is number @net_index (ids net<N> and
 * hostnet<N>, its tap config->tap_fds[N]). Refused when @dev would need a controller @def lacks. */
GPtrArray *vb_qemu_command_build_hotplug(const VbDomainDef *def, const VbDeviceDef *dev,
                                         const VbQemuCommandConfig *config, const char *node_prefix,
                                         guint net_index, char **id, GError **error);
