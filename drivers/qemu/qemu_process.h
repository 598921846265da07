/* qemu_process.h: starting, watching and stopping one QEMU process.
 *
 * QEMU is spawned from a ready argv (see qemu_command.h) in its own session, so it outlives
 * the daemon (systemd's KillMode=process), with stdin on /dev/null and stdout and stderr
 * appended to a per-domain log file that first receives a header with the environment and
 * the argv. A started process stays our child and is reaped by a child watch as soon as it
 * exits. After a daemon restart a running QEMU is re-attached with vb_qemu_process_attach:
 * it is not our child, so its end is seen through a pidfd (pidfd_open) and the monitor's EOF.
 *
 * Everything runs on the thread-default main context of the caller and never blocks it.
 * As with the monitor, the GAsyncReadyCallback's source object is NULL and
 * vb_qemu_process_kill_finish accepts a NULL @proc. */
#pragma once

#include <gio/gio.h>

#include "qemu_monitor.h"

typedef struct _VbQemuProcess VbQemuProcess;

typedef struct {
    /* QEMU ended after a successful start or attach. @wait_status is waitpid()'s status for
     * our own child, -1 for an attached process (its parent, not us, collects the status). */
    void (*exited)(VbQemuProcess *proc, int wait_status, gpointer user_data);
} VbQemuProcessCallbacks;

typedef struct {
    const char *monitor_path;     /* the QMP socket the argv makes QEMU listen on */
    const char *log_path;         /* start: QEMU's stdout and stderr are appended here */
    const char *pidfile;          /* start: NULL, or written (atomically) with QEMU's pid */
    const char *const *envp;      /* start: NULL for a clean LC_ALL=C and PATH */
    const int *pass_fds;          /* start: fds QEMU inherits under the same numbers (taps) */
    guint n_pass_fds;
    guint timeout_ms;             /* how long QEMU may take to answer on QMP; 0: 30 s */
    /* start: with @drop_privileges, the credentials QEMU runs with */
    gboolean drop_privileges;
    uid_t uid;
    gid_t gid;
    const gid_t *groups;          /* supplementary groups */
    guint n_groups;
    const VbQemuMonitorCallbacks *monitor_callbacks;   /* given to the monitor; may be NULL */
    const VbQemuProcessCallbacks *callbacks;           /* may be NULL */
    gpointer user_data;           /* for both callback tables */
} VbQemuProcessConfig;

/* Spawns @argv (program first) and finishes once QEMU's monitor answered (greeting and
 * capabilities done). On failure no process is left: QEMU is killed if needed and reaped
 * before the call finishes. If QEMU exits first the error is libvirt's
 * "internal error: process exited while connecting to monitor: <the end of its log>".
 * The config's pointers are only used during this call (the strings are copied). */
void vb_qemu_process_start(GPtrArray *argv, const VbQemuProcessConfig *config, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data);
VbQemuProcess *vb_qemu_process_start_finish(GAsyncResult *result, GError **error);

/* Re-attaches to a running QEMU that is not our child (after a daemon restart): checks that
 * @pid lives, watches it with a pidfd, and connects to its monitor (one attempt). Nothing is
 * killed on failure; the caller decides. */
void vb_qemu_process_attach(GPid pid, const VbQemuProcessConfig *config, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data);
VbQemuProcess *vb_qemu_process_attach_finish(GAsyncResult *result, GError **error);

VbQemuProcess *vb_qemu_process_ref(VbQemuProcess *proc);
/* A running process holds a reference on itself until it exits and is reaped. */
void vb_qemu_process_unref(VbQemuProcess *proc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbQemuProcess, vb_qemu_process_unref)

GPid vb_qemu_process_get_pid(VbQemuProcess *proc);
VbQemuMonitor *vb_qemu_process_get_monitor(VbQemuProcess *proc);
gboolean vb_qemu_process_is_running(VbQemuProcess *proc);
/* waitpid()'s status once an own child exited, else -1. */
int vb_qemu_process_get_wait_status(VbQemuProcess *proc);

/* libvirt's virProcessKillPainfully, asynchronous: SIGTERM, SIGKILL after @grace_ms, and
 * finishes once the process is gone (reaped, for our child). Fails with "Failed to terminate
 * process N with SIGKILL: Device or resource busy" if it outlives SIGKILL by 5 s. */
void vb_qemu_process_kill(VbQemuProcess *proc, guint grace_ms, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data);
gboolean vb_qemu_process_kill_finish(VbQemuProcess *proc, GAsyncResult *result, GError **error);

/* The pid in a pidfile written by vb_qemu_process_start. */
gboolean vb_qemu_process_read_pidfile(const char *path, GPid *pid, GError **error);
