/* qemu_dump.c: CoreDump of a running guest into a file the daemon opens and hands to QEMU.
 *
 * As libvirt's QEMU driver: without MEMORY_ONLY the dump is QEMU's migration stream (what Save
 * writes, without its header); with it, dump-guest-memory writes an ELF core (RAW) or a
 * kdump-compressed / Windows dump. The vCPUs stop for the dump unless LIVE, and afterwards a
 * guest that ran runs again (after RESET, from a reset) or is gone as crashed (CRASH). A failed dump leaves no
 * file behind and the guest as it was. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "drivers/qemu/qemu_private.h"

#define DUMP_FD_NAME "vb-dump"
#define DUMP_FLAGS (VB_DUMP_CRASH | VB_DUMP_LIVE | VB_DUMP_BYPASS_CACHE | VB_DUMP_RESET | VB_DUMP_MEMORY_ONLY)

typedef struct {
    VbConn *conn;
    char *uuid;
    char *path;
    int fd;
    guint format, flags;
    gboolean was_running;    /* the vCPUs run again after the dump (a migration leaves them stopped) */
    GError *error;           /* the dump failed: reported once the guest runs again */
    GTask *task;
} DumpJob;

static void
dump_job_end(DumpJob *job, GError *error)
{
    if (job->fd >= 0)
        close(job->fd);
    qemu_job_end(qemu_run_lookup(job->conn, job->uuid), job->task, error);
    g_free(job->uuid);
    g_free(job->path);
    g_free(job);
}

static VbQemuMonitor *
dump_monitor(DumpJob *job)
{
    QemuRun *run = qemu_run_lookup(job->conn, job->uuid);

    return run && run->proc ? vb_qemu_process_get_monitor(run->proc) : NULL;
}

static void
on_resumed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    DumpJob *job = user_data;
    GError *error = NULL;
    g_autoptr(JsonNode) reply G_GNUC_UNUSED = vb_qemu_monitor_execute_finish(NULL, result, &error);

    if (job->error) {
        g_clear_error(&error);
        error = g_steal_pointer(&job->error);
    }
    dump_job_end(job, error);
}

/* The end of the job: the vCPUs run again if they ran before. */
static void
resume_and_end(DumpJob *job)
{
    VbQemuMonitor *mon = dump_monitor(job);

    if (job->was_running && mon) {
        vb_qemu_monitor_execute(mon, "cont", NULL, NULL, on_resumed, job);
        return;
    }
    dump_job_end(job, g_steal_pointer(&job->error));
}

static void
on_reset(GObject *source, GAsyncResult *result, gpointer user_data)
{
    DumpJob *job = user_data;
    g_autoptr(JsonNode) reply G_GNUC_UNUSED = vb_qemu_monitor_execute_finish(NULL, result, &job->error);

    resume_and_end(job);
}

static void
on_crash_killed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    DumpJob *job = user_data;
    QemuRun *run = qemu_run_lookup(job->conn, job->uuid);
    GError *error = NULL;

    if (run && !vb_qemu_process_kill_finish(run->proc, result, &error)) {
        dump_job_end(job, error);
        return;
    }
    if (run)
        qemu_run_end(run, VB_SHUTOFF_CRASHED, VB_EVENT_STOPPED_CRASHED);
    dump_job_end(job, NULL);
}

/* No file is left of a failed dump (@error, taken), and the guest goes on as it was. */
static void
dump_failed(DumpJob *job, GError *error)
{
    g_unlink(job->path);
    job->error = error;
    resume_and_end(job);
}

/* The dump is on disk (or failed with @error, taken): what the flags ask for next. */
static void
dump_synced(DumpJob *job, GError *error)
{
    QemuRun *run = qemu_run_lookup(job->conn, job->uuid);

    if (!error && !run)
        vb_set_error(&error, VB_ERR_OPERATION_FAILED, "%s", "QEMU ended during the dump");
    if (error) {
        dump_failed(job, error);
        return;
    }
    if (job->flags & VB_DUMP_CRASH) {
        run->panicked = TRUE;
        vb_qemu_process_kill(run->proc, 0, NULL, on_crash_killed, job);
        return;
    }
    if (job->flags & VB_DUMP_RESET) {
        vb_qemu_monitor_execute(vb_qemu_process_get_monitor(run->proc), "system_reset", NULL, NULL, on_reset, job);
        return;
    }
    resume_and_end(job);
}

static void
on_dump_synced(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GError *error = NULL;

    qemu_file_sync_finish(result, &error);
    dump_synced(user_data, error);
}

/* QEMU wrote the dump (or failed with @error, taken): it goes to the disk before anything else. */
static void
dump_written(DumpJob *job, GError *error)
{
    if (error)
        dump_failed(job, error);
    else
        qemu_file_sync_async(job->fd, job->path, on_dump_synced, job);
}

static void
on_memory_dumped(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GError *error = NULL;
    g_autoptr(JsonNode) reply G_GNUC_UNUSED = vb_qemu_monitor_execute_finish(NULL, result, &error);

    dump_written(user_data, error);
}

static void
on_migrated(VbConn *conn, const char *uuid, GError *error, gpointer user_data)
{
    dump_written(user_data, error);
}

static void
on_dump_fd_sent(GObject *source, GAsyncResult *result, gpointer user_data)
{
    static const char *const formats[] = { "elf", "kdump-zlib", "kdump-lzo", "kdump-snappy", "win-dmp" };
    DumpJob *job = user_data;
    GError *error = NULL;
    VbQemuMonitor *mon = dump_monitor(job);
    g_autoptr(JsonObject) args = json_object_new();

    if (!mon || !vb_qemu_monitor_send_fd_finish(mon, result, &error)) {
        if (!error)
            vb_set_error(&error, VB_ERR_OPERATION_FAILED, "%s", "QEMU ended during the dump");
        dump_written(job, error);
        return;
    }
    json_object_set_boolean_member(args, "paging", FALSE);
    json_object_set_string_member(args, "protocol", "fd:" DUMP_FD_NAME);
    json_object_set_string_member(args, "format", formats[job->format]);
    vb_qemu_monitor_execute(mon, "dump-guest-memory", args, NULL, on_memory_dumped, job);
}

static void
write_dump(DumpJob *job, QemuRun *run)
{
    if (job->flags & VB_DUMP_MEMORY_ONLY)
        vb_qemu_monitor_send_fd(vb_qemu_process_get_monitor(run->proc), DUMP_FD_NAME, job->fd, NULL,
                                on_dump_fd_sent, job);
    else
        qemu_migration_run(run, job->fd, FALSE, on_migrated, job);
}

static void
on_paused_for_dump(GObject *source, GAsyncResult *result, gpointer user_data)
{
    DumpJob *job = user_data;
    GError *error = NULL;
    g_autoptr(JsonNode) reply G_GNUC_UNUSED = vb_qemu_monitor_execute_finish(NULL, result, &error);
    QemuRun *run = qemu_run_lookup(job->conn, job->uuid);

    if (!error && !run)
        vb_set_error(&error, VB_ERR_OPERATION_FAILED, "%s", "QEMU ended during the dump");
    if (error) {
        dump_failed(job, error);
        return;
    }
    write_dump(job, run);
}

static gboolean
check_dump(guint format, guint flags, GError **error)
{
    if (!vb_core_dump_check_args(format, flags, DUMP_FLAGS, error))
        return FALSE;
    if (format != VB_CORE_DUMP_FORMAT_RAW && !(flags & VB_DUMP_MEMORY_ONLY)) {
        vb_set_error(error, VB_ERR_OPERATION_UNSUPPORTED, "%s",
                     "kdump-compressed format is only supported with memory-only dump");
        return FALSE;
    }
    return TRUE;
}

void
qemu_domain_core_dump_async(VbConn *conn, VbDomainObj *dom, const char *to, guint format, guint flags, GTask *task)
{
    GError *error = NULL;
    gboolean running = dom->state == VB_DOMAIN_RUNNING;
    QemuRun *run;
    DumpJob *job;
    int fd;

    if (check_dump(format, flags, &error) && !g_path_is_absolute(to))
        vb_set_error(&error, VB_ERR_INVALID_ARG, "dump path '%s' is not absolute", to);
    if (error || !(run = qemu_job_begin_active(conn, dom, &error))) {
        qemu_job_end(NULL, task, error);
        return;
    }
    if ((fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
        vb_set_error(&error, VB_ERR_SYSTEM_ERROR, "failed to open '%s': %s", to, g_strerror(errno));
        qemu_job_end(run, task, error);
        return;
    }
    job = g_new0(DumpJob, 1);
    job->conn = conn;
    job->uuid = g_strdup(dom->def->uuid);
    job->path = g_strdup(to);
    job->fd = fd;
    job->format = format;
    job->flags = flags;
    job->task = task;
    job->was_running = running;
    if (!running || (flags & VB_DUMP_LIVE)) {
        write_dump(job, run);
        return;
    }
    run->pause_reason = VB_PAUSED_DUMP;
    vb_qemu_monitor_execute(vb_qemu_process_get_monitor(run->proc), "stop", NULL, NULL, on_paused_for_dump, job);
}
