/* qemu_inspect.c: looking at a running QEMU guest — GetControlInfo (is the monitor usable, is
 * a job running) and MemoryPeek (guest memory through QMP memsave/pmemsave).
 *
 * MemoryPeek's file: QEMU writes into an unlinked temporary file of the daemon's. memsave and
 * pmemsave take only a file name, so the file goes to QEMU with getfd, the daemon finds the
 * descriptor's number in QEMU by its inode in /proc/<pid>/fd, and QEMU opens
 * "/proc/self/fd/<number>": no directory QEMU's user could reach is needed and nothing is left
 * behind (closefd after). The daemon reads the bytes from its own descriptor. */

#define PEEK_FD_NAME "vb-peek"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <glib/gstdio.h>

#include "drivers/qemu/qemu_private.h"

gboolean
qemu_domain_get_control_info(VbConn *conn, VbDomainObj *dom, guint flags, VbDomainControlInfo *info,
                             GError **error)
{
    QemuRun *run = qemu_run_lookup(conn, dom->def->uuid);

    if (!vb_check_flags(flags, 0, "virDomainGetControlInfo", error))
        return FALSE;
    if (!vb_domain_obj_is_active(dom) || !run) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "%s", "domain is not running");
        return FALSE;
    }
    memset(info, 0, sizeof(*info));
    if (!run->proc || vb_qemu_monitor_is_closed(vb_qemu_process_get_monitor(run->proc))) {
        info->state = VB_DOMAIN_CONTROL_ERROR;
        info->details = VB_CONTROL_ERROR_REASON_MONITOR;
    } else if (run->busy) {
        info->state = VB_DOMAIN_CONTROL_JOB;
        info->state_time = (guint64)((g_get_monotonic_time() - run->busy_since) / 1000);
    }
    return TRUE;
}

/* ---- MemoryPeek ---- */

typedef struct {
    VbConn *conn;
    char *uuid;
    GTask *outer;            /* the caller's: the bytes */
    gboolean began;          /* the job holds the domain */
    GError *error;           /* the peek failed: the answer once QEMU let go of the file */
    int fd;                  /* the daemon's read end of the file */
    gboolean qemu_has_fd;    /* getfd went through: closefd at the end */
    guint64 start;
    gsize size;
    gboolean physical;
    GBytes *bytes;
} PeekJob;

/* Frees the domain, answers the caller with the bytes or job->error, and forgets the peek. */
static void
peek_finish(PeekJob *job)
{
    qemu_job_end_pointer(job->began ? qemu_run_lookup(job->conn, job->uuid) : NULL, job->outer,
                         g_steal_pointer(&job->bytes), (GDestroyNotify)g_bytes_unref, g_steal_pointer(&job->error));
    if (job->fd >= 0)
        close(job->fd);
    g_free(job->uuid);
    g_free(job);
}

static void
on_fd_closed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(JsonNode) reply G_GNUC_UNUSED = vb_qemu_monitor_execute_finish(NULL, result, NULL);

    peek_finish(user_data);
}

/* Ends the peek with @error (taken) or the bytes read, once QEMU let go of the file. */
static void
peek_end(PeekJob *job, GError *error)
{
    QemuRun *run = qemu_run_lookup(job->conn, job->uuid);
    g_autoptr(JsonObject) args = NULL;

    job->error = error;
    if (!run || !run->proc || !job->qemu_has_fd) {
        peek_finish(job);
        return;
    }
    args = json_object_new();
    json_object_set_string_member(args, "fdname", PEEK_FD_NAME);
    vb_qemu_monitor_execute(vb_qemu_process_get_monitor(run->proc), "closefd", args, NULL, on_fd_closed, job);
}

/* The number QEMU (@pid) gave the file it received: the one of its fds with the file's inode. */
static int
qemu_fd_number(GPid pid, int fd, GError **error)
{
    g_autofree char *dir_path = g_strdup_printf("/proc/%d/fd", (int)pid);
    g_autoptr(GDir) dir = g_dir_open(dir_path, 0, error);
    struct stat ours, theirs;
    const char *name;

    if (!dir || fstat(fd, &ours) < 0)
        return -1;
    while ((name = g_dir_read_name(dir))) {
        g_autofree char *path = g_build_filename(dir_path, name, NULL);
        if (stat(path, &theirs) == 0 && theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino)
            return atoi(name);
    }
    vb_set_error(error, VB_ERR_INTERNAL_ERROR, "%s", "QEMU did not keep the file for the peek");
    return -1;
}

static gboolean
read_peeked(PeekJob *job, GError **error)
{
    guint8 *buffer = g_malloc(MAX(job->size, 1));
    ssize_t got = pread(job->fd, buffer, job->size, 0);

    if (got < 0 || (gsize)got != job->size) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "cannot read the %zu bytes QEMU saved: %s", job->size,
                     got < 0 ? g_strerror(errno) : "the file is shorter");
        g_free(buffer);
        return FALSE;
    }
    job->bytes = g_bytes_new_take(buffer, job->size);
    return TRUE;
}

static void
on_memory_saved(GObject *source, GAsyncResult *result, gpointer user_data)
{
    PeekJob *job = user_data;
    GError *error = NULL;
    g_autoptr(JsonNode) reply G_GNUC_UNUSED = vb_qemu_monitor_execute_finish(NULL, result, &error);

    if (!error)
        read_peeked(job, &error);
    peek_end(job, error);
}

static void
on_fd_sent(GObject *source, GAsyncResult *result, gpointer user_data)
{
    PeekJob *job = user_data;
    GError *error = NULL;
    QemuRun *run = qemu_run_lookup(job->conn, job->uuid);
    g_autofree char *filename = NULL;
    JsonObject *args;
    int number = -1;

    if (!run || !run->proc)
        vb_set_error(&error, VB_ERR_OPERATION_FAILED, "%s", "domain is no longer running");
    else if (vb_qemu_monitor_send_fd_finish(vb_qemu_process_get_monitor(run->proc), result, &error))
        job->qemu_has_fd = TRUE;
    if (!error)
        number = qemu_fd_number(vb_qemu_process_get_pid(run->proc), job->fd, &error);
    if (error) {
        peek_end(job, error);
        return;
    }
    filename = g_strdup_printf("/proc/self/fd/%d", number);
    args = json_object_new();
    json_object_set_int_member(args, "val", (gint64)job->start);
    json_object_set_int_member(args, "size", (gint64)job->size);
    json_object_set_string_member(args, "filename", filename);
    if (!job->physical)
        json_object_set_int_member(args, "cpu-index", 0);
    vb_qemu_monitor_execute(vb_qemu_process_get_monitor(run->proc), job->physical ? "pmemsave" : "memsave", args,
                            NULL, on_memory_saved, job);
    json_object_unref(args);
}

/* An unlinked temporary file: @read_fd for the daemon, the returned write-only fd for QEMU,
 * whose reopen through /proc checks the mode (QEMU may run as another user; no one else can
 * reach a file without a name). */
static int
open_peek_file(int *read_fd, GError **error)
{
    g_autofree char *path = NULL;
    int write_fd;

    if ((*read_fd = g_file_open_tmp("virtbus-peek-XXXXXX", &path, NULL)) < 0) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "%s", "cannot create a temporary file for the peek");
        return -1;
    }
    write_fd = open(path, O_WRONLY | O_CLOEXEC);
    g_unlink(path);
    if (write_fd < 0 || fchmod(write_fd, 0622) < 0) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "cannot open %s: %s", path, g_strerror(errno));
        if (write_fd >= 0)
            close(write_fd);
        return -1;
    }
    return write_fd;
}

void
qemu_domain_memory_peek_async(VbConn *conn, VbDomainObj *dom, guint64 start, gsize size, guint flags, GTask *task)
{
    PeekJob *job = g_new0(PeekJob, 1);
    GError *error = NULL;
    QemuRun *run = NULL;
    int write_fd = -1;

    job->conn = conn;
    job->uuid = g_strdup(dom->def->uuid);
    job->outer = task;
    job->fd = -1;
    job->start = start;
    job->size = size;
    job->physical = flags == VB_MEMORY_PHYSICAL;
    if (vb_check_flags(flags, VB_MEMORY_VIRTUAL | VB_MEMORY_PHYSICAL, "virDomainMemoryPeek", &error) &&
        flags != VB_MEMORY_VIRTUAL && flags != VB_MEMORY_PHYSICAL)
        vb_set_error(&error, VB_ERR_INVALID_ARG, "%s", "flags parameter must be VIR_MEMORY_VIRTUAL or VIR_MEMORY_PHYSICAL");
    if (!error && (run = qemu_job_begin_active(conn, dom, &error))) {
        job->began = TRUE;
        write_fd = open_peek_file(&job->fd, &error);
    }
    if (error) {
        peek_end(job, error);
        return;
    }
    vb_qemu_monitor_send_fd(vb_qemu_process_get_monitor(run->proc), PEEK_FD_NAME, write_fd, NULL, on_fd_sent, job);
    close(write_fd);
}
