/* qemu_monitor.h: an asynchronous QMP client on the GLib main loop.
 *
 * One VbQemuMonitor is one connection to QEMU's QMP socket. Everything happens on the
 * thread-default main context that was current when the monitor was opened: the socket is
 * non-blocking and never waited on. Commands are written at once and in order (QEMU
 * answers them in order); each reply is matched to its command by the "id" member.
 *
 * Errors, worded as libvirt's QEMU driver words them:
 *  - a QMP error reply: VB_ERR_INTERNAL_ERROR,
 *    "internal error: unable to execute QEMU command 'cont': <QMP desc>";
 *    vb_qemu_monitor_execute_finish_full() also hands back the QMP class ("GenericError",
 *    "CommandNotFound", "DeviceNotFound", ...);
 *  - the connection ends (EOF, HUP, a socket error, garbage on the wire, or
 *    vb_qemu_monitor_close()): every pending and later command fails with
 *    VB_ERR_OPERATION_FAILED, "operation failed: QEMU monitor was closed" (or the read error
 *    that ended it), and the eof callback runs once, unless the owner closed the monitor.
 *
 * The monitor is a reference-counted struct, not a GObject: the source object handed to a
 * GAsyncReadyCallback is NULL, and the _finish functions accept a NULL @mon. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

typedef struct _VbQemuMonitor VbQemuMonitor;

typedef struct {
    /* A QMP event. @data is never NULL (an empty object when QEMU sent none); @timestamp_us
     * is QEMU's timestamp in microseconds since the epoch. */
    void (*event)(VbQemuMonitor *mon, const char *name, JsonObject *data, gint64 timestamp_us,
                  gpointer user_data);
    /* The connection ended by itself. @error is NULL for a clean end of file, else what broke
     * it (a read error, unparsable JSON). Pending commands have already failed. */
    void (*eof)(VbQemuMonitor *mon, const GError *error, gpointer user_data);
} VbQemuMonitorCallbacks;

/* Connects to the QMP unix socket at @path, reads the greeting and negotiates capabilities.
 * @callbacks (may be NULL) must outlive the monitor; they receive @user_data. A socket that
 * does not exist yet or refuses the connection fails with G_IO_ERROR_NOT_FOUND /
 * G_IO_ERROR_CONNECTION_REFUSED so that callers can retry. */
void vb_qemu_monitor_open(const char *path, const VbQemuMonitorCallbacks *callbacks, gpointer user_data,
                          GCancellable *cancellable, GAsyncReadyCallback callback, gpointer callback_data);
VbQemuMonitor *vb_qemu_monitor_open_finish(GAsyncResult *result, GError **error);

VbQemuMonitor *vb_qemu_monitor_ref(VbQemuMonitor *mon);
/* Dropping the last reference closes the monitor (see vb_qemu_monitor_close). A command in
 * flight holds a reference until it finishes. */
void vb_qemu_monitor_unref(VbQemuMonitor *mon);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbQemuMonitor, vb_qemu_monitor_unref)

/* Closes the connection now: pending commands fail, no eof callback runs. Idempotent. */
void vb_qemu_monitor_close(VbQemuMonitor *mon);
gboolean vb_qemu_monitor_is_closed(VbQemuMonitor *mon);

/* Sends @command with @arguments (may be NULL; not taken). Cancelling @cancellable makes the
 * call finish with G_IO_ERROR_CANCELLED at once; QEMU's reply is then discarded. */
void vb_qemu_monitor_execute(VbQemuMonitor *mon, const char *command, JsonObject *arguments,
                             GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
/* As vb_qemu_monitor_execute, with a copy of @fd attached to the command (SCM_RIGHTS), as
 * QMP's `getfd` and `add-fd` expect. The caller keeps @fd. */
void vb_qemu_monitor_execute_with_fd(VbQemuMonitor *mon, const char *command, JsonObject *arguments, int fd,
                                     GCancellable *cancellable, GAsyncReadyCallback callback,
                                     gpointer user_data);
/* QMP's "return" value (an object, an array, ...), owned by the caller. */
JsonNode *vb_qemu_monitor_execute_finish(VbQemuMonitor *mon, GAsyncResult *result, GError **error);
/* Also sets *@qmp_class (may be NULL) to the QMP error class when QEMU answered with an
 * error, else to NULL. */
JsonNode *vb_qemu_monitor_execute_finish_full(VbQemuMonitor *mon, GAsyncResult *result, char **qmp_class,
                                              GError **error);

/* `getfd`: hands QEMU a copy of @fd under @fdname (for `netdev_add fd=...`). */
void vb_qemu_monitor_send_fd(VbQemuMonitor *mon, const char *fdname, int fd, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data);
gboolean vb_qemu_monitor_send_fd_finish(VbQemuMonitor *mon, GAsyncResult *result, GError **error);
