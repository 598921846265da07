/* qemu_process.c: spawn QEMU, wait for its monitor, watch and kill it. */
#include "qemu_process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>
#include <glib-unix.h>
#include <glib/gstdio.h>

#include "conf/vb_error.h"

#define START_TIMEOUT_MS_DEFAULT 30000
#define CONNECT_RETRY_MS 20
#define KILL_GIVE_UP_MS 5000     /* after SIGKILL, as libvirt's virProcessKillPainfully */
#define LOG_TAIL_MAX 1024

static const char *const default_envp[] = {
    "LC_ALL=C",
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    NULL,
};

/* A start or an attach in progress. */
typedef struct {
    GTask *task;
    GCancellable *open_cancellable;   /* cancels a monitor open in flight once the start failed */
    GSource *retry_source;
    GSource *timeout_source;
    GSource *cancel_source;
    GError *error;                    /* the start failed: returned once the process is gone */
    GError *last_connect_error;
    guint timeout_ms;
    gboolean sent_sigkill;
} StartJob;

struct _VbQemuProcess {
    gatomicrefcount refs;
    GMainContext *context;
    GPid pid;
    gboolean own_child;
    gboolean exited;
    int wait_status;
    int pidfd;                        /* attached processes; -1 otherwise */
    GSource *exit_source;             /* child watch, or pidfd watch */
    char *monitor_path;
    char *log_path;
    char *pidfile;
    goffset log_offset;               /* where this run's output starts in the log */
    VbQemuMonitor *monitor;
    const VbQemuMonitorCallbacks *monitor_callbacks;
    const VbQemuProcessCallbacks *callbacks;
    gpointer user_data;
    StartJob *start;
    GPtrArray *kill_tasks;            /* GTask: waiting for the process to go */
    GSource *kill_timer;
};

static void start_job_finish(VbQemuProcess *proc);

static void
source_clear(GSource **source)
{
    if (!*source)
        return;
    g_source_destroy(*source);
    g_source_unref(*source);
    *source = NULL;
}

static GSource *
source_attach(GSource *source, GSourceFunc func, gpointer data, GDestroyNotify notify, GMainContext *context)
{
    g_source_set_callback(source, func, data, notify);
    g_source_attach(source, context);
    return source;
}

/* ---- the process object ---- */

VbQemuProcess *
vb_qemu_process_ref(VbQemuProcess *proc)
{
    g_atomic_ref_count_inc(&proc->refs);
    return proc;
}

void
vb_qemu_process_unref(VbQemuProcess *proc)
{
    if (!proc || !g_atomic_ref_count_dec(&proc->refs))
        return;
    source_clear(&proc->exit_source);
    source_clear(&proc->kill_timer);
    if (proc->pidfd >= 0)
        close(proc->pidfd);
    g_clear_pointer(&proc->monitor, vb_qemu_monitor_unref);
    g_ptr_array_unref(proc->kill_tasks);
    g_free(proc->monitor_path);
    g_free(proc->log_path);
    g_free(proc->pidfile);
    g_main_context_unref(proc->context);
    g_free(proc);
}

static VbQemuProcess *
process_new(const VbQemuProcessConfig *config)
{
    VbQemuProcess *proc = g_new0(VbQemuProcess, 1);

    g_atomic_ref_count_init(&proc->refs);
    proc->context = g_main_context_ref_thread_default();
    proc->pidfd = -1;
    proc->wait_status = -1;
    proc->monitor_path = g_strdup(config->monitor_path);
    proc->log_path = g_strdup(config->log_path);
    proc->pidfile = g_strdup(config->pidfile);
    proc->monitor_callbacks = config->monitor_callbacks;
    proc->callbacks = config->callbacks;
    proc->user_data = config->user_data;
    proc->kill_tasks = g_ptr_array_new_with_free_func(g_object_unref);
    return proc;
}

GPid
vb_qemu_process_get_pid(VbQemuProcess *proc)
{
    return proc->pid;
}

VbQemuMonitor *
vb_qemu_process_get_monitor(VbQemuProcess *proc)
{
    return proc->monitor;
}

gboolean
vb_qemu_process_is_running(VbQemuProcess *proc)
{
    return !proc->exited;
}

int
vb_qemu_process_get_wait_status(VbQemuProcess *proc)
{
    return proc->wait_status;
}

static gboolean
process_signal(VbQemuProcess *proc, int signum)
{
    if (proc->pidfd >= 0)
        return syscall(SYS_pidfd_send_signal, proc->pidfd, signum, NULL, 0) == 0 || errno == ESRCH;
    return kill(proc->pid, signum) == 0 || errno == ESRCH;
}

/* ---- the log ---- */

static gboolean
write_all(int fd, const char *data, gsize len)
{
    while (len > 0) {
        gssize done = write(fd, data, len);

        if (done < 0 && errno == EINTR)
            continue;
        if (done < 0)
            return FALSE;
        data += done;
        len -= done;
    }
    return TRUE;
}

static void
append_shell_word(GString *out, const char *word)
{
    g_autofree char *quoted = NULL;

    if (*word && strspn(word, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_,.=:/@%+-") ==
                     strlen(word)) {
        g_string_append(out, word);
        return;
    }
    quoted = g_shell_quote(word);
    g_string_append(out, quoted);
}

/* libvirt's log header: a time stamp, then the environment and argv, one per line. */
static char *
log_header(GPtrArray *argv, const char *const *envp)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *stamp = g_date_time_format(now, "%Y-%m-%d %H:%M:%S.%f%z");
    GString *out = g_string_new(NULL);

    g_string_append_printf(out, "%s: starting up\n", stamp);
    for (guint i = 0; envp[i]; i++) {
        append_shell_word(out, envp[i]);
        g_string_append(out, " \\\n");
    }
    for (guint i = 0; i < argv->len && g_ptr_array_index(argv, i); i++) {
        const char *arg = g_ptr_array_index(argv, i);
        const char *prev = i > 0 ? g_ptr_array_index(argv, i - 1) : NULL;

        /* an option and its value share a line */
        if (prev)
            g_string_append(out, prev[0] == '-' && arg[0] != '-' ? " " : " \\\n");
        append_shell_word(out, arg);
    }
    g_string_append_c(out, '\n');
    return g_string_free(out, FALSE);
}

static int
log_open(VbQemuProcess *proc, GPtrArray *argv, const char *const *envp, GError **error)
{
    g_autofree char *header = log_header(argv, envp);
    int fd = open(proc->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

    if (fd < 0 || !write_all(fd, header, strlen(header))) {
        int saved = errno;

        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "failed to create logfile %s: %s", proc->log_path,
                     g_strerror(saved));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    proc->log_offset = lseek(fd, 0, SEEK_END);
    return fd;
}

/* The last lines QEMU wrote in this run, at most LOG_TAIL_MAX bytes, starting on a line. */
static char *
log_tail(VbQemuProcess *proc)
{
    char buffer[LOG_TAIL_MAX + 1];
    struct stat st;
    goffset from;
    gssize got;
    char *start = buffer;
    int fd = proc->log_path ? open(proc->log_path, O_RDONLY | O_CLOEXEC) : -1;

    if (fd < 0 || fstat(fd, &st) < 0) {
        if (fd >= 0)
            close(fd);
        return g_strdup("");
    }
    from = MAX(proc->log_offset, (goffset)st.st_size - LOG_TAIL_MAX);
    got = pread(fd, buffer, LOG_TAIL_MAX, from);
    close(fd);
    buffer[MAX(got, 0)] = '\0';
    if (from > proc->log_offset && strchr(buffer, '\n'))
        start = strchr(buffer, '\n') + 1;
    return g_strstrip(g_strdup(start));
}

/* ---- the start job ---- */

static void
start_job_free(StartJob *job)
{
    source_clear(&job->retry_source);
    source_clear(&job->timeout_source);
    source_clear(&job->cancel_source);
    g_cancellable_cancel(job->open_cancellable);
    g_clear_object(&job->open_cancellable);
    g_clear_error(&job->error);
    g_clear_error(&job->last_connect_error);
    g_clear_object(&job->task);
    g_free(job);
}

static gboolean
process_must_go(VbQemuProcess *proc)
{
    return proc->own_child && !proc->exited;
}

/* The start failed with @error: stop trying, make sure our child goes, then finish. */
static void
start_job_fail(VbQemuProcess *proc, GError *error)
{
    StartJob *job = proc->start;

    if (job->error) {
        g_error_free(error);
        return;
    }
    job->error = error;
    g_cancellable_cancel(job->open_cancellable);
    source_clear(&job->retry_source);
    source_clear(&job->timeout_source);
    source_clear(&job->cancel_source);
    g_clear_pointer(&proc->monitor, vb_qemu_monitor_unref);
    if (!process_must_go(proc)) {
        start_job_finish(proc);
        return;
    }
    job->sent_sigkill = TRUE;
    process_signal(proc, SIGKILL);
}

static void
start_job_finish(VbQemuProcess *proc)
{
    StartJob *job = g_steal_pointer(&proc->start);

    if (job->error) {
        source_clear(&proc->exit_source);
        g_task_return_error(job->task, g_steal_pointer(&job->error));
    } else {
        g_task_return_pointer(job->task, vb_qemu_process_ref(proc), (GDestroyNotify)vb_qemu_process_unref);
    }
    start_job_free(job);
}

/* QEMU went away while starting: unless we killed it, that is the error to report. */
static void
start_job_process_gone(VbQemuProcess *proc)
{
    StartJob *job = proc->start;
    gboolean killed_by_us = job->sent_sigkill && WIFSIGNALED(proc->wait_status) &&
                            WTERMSIG(proc->wait_status) == SIGKILL;

    if (!killed_by_us) {
        g_autofree char *tail = log_tail(proc);

        g_clear_error(&job->error);
        vb_set_error(&job->error, VB_ERR_INTERNAL_ERROR, "process exited while connecting to monitor: %s", tail);
    }
    start_job_finish(proc);
}

static void start_job_connect(VbQemuProcess *proc);

static gboolean
on_connect_retry(gpointer data)
{
    g_autoptr(VbQemuProcess) proc = vb_qemu_process_ref(data);

    source_clear(&proc->start->retry_source);
    start_job_connect(proc);
    return G_SOURCE_REMOVE;
}

static gboolean
connect_error_is_transient(const GError *error)
{
    return g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ||
           g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
}

static void
on_monitor_opened(GObject *source, GAsyncResult *result, gpointer data)
{
    g_autoptr(VbQemuProcess) proc = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(VbQemuMonitor) mon = vb_qemu_monitor_open_finish(result, &error);
    StartJob *job = proc->start;

    if (!job || job->error)
        return;     /* the start already failed; @mon, if any, closes with its last ref */
    if (mon) {
        proc->monitor = g_steal_pointer(&mon);
        start_job_finish(proc);
    } else if (proc->own_child && connect_error_is_transient(error)) {
        g_clear_error(&job->last_connect_error);
        job->last_connect_error = g_steal_pointer(&error);
        job->retry_source = source_attach(g_timeout_source_new(CONNECT_RETRY_MS), on_connect_retry, proc, NULL,
                                          proc->context);
    } else {
        start_job_fail(proc, g_steal_pointer(&error));
    }
}

static void
start_job_connect(VbQemuProcess *proc)
{
    vb_qemu_monitor_open(proc->monitor_path, proc->monitor_callbacks, proc->user_data,
                         proc->start->open_cancellable, on_monitor_opened, vb_qemu_process_ref(proc));
}

static gboolean
on_start_timeout(gpointer data)
{
    g_autoptr(VbQemuProcess) proc = vb_qemu_process_ref(data);
    StartJob *job = proc->start;
    GError *error = NULL;

    source_clear(&job->timeout_source);
    if (job->last_connect_error)
        vb_set_error(&error, VB_ERR_SYSTEM_ERROR, "monitor socket did not show up: %s",
                     job->last_connect_error->message);
    else
        vb_set_error(&error, VB_ERR_INTERNAL_ERROR, "QEMU monitor did not answer within %u ms", job->timeout_ms);
    start_job_fail(proc, error);
    return G_SOURCE_REMOVE;
}

static gboolean
on_start_cancelled(GCancellable *cancellable, gpointer data)
{
    g_autoptr(VbQemuProcess) proc = vb_qemu_process_ref(data);

    source_clear(&proc->start->cancel_source);
    start_job_fail(proc, g_error_new_literal(G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled"));
    return G_SOURCE_REMOVE;
}

static void
start_job_begin(VbQemuProcess *proc, GTask *task, const VbQemuProcessConfig *config, GCancellable *cancellable)
{
    StartJob *job = g_new0(StartJob, 1);

    job->task = g_object_ref(task);
    job->open_cancellable = g_cancellable_new();
    job->timeout_ms = config->timeout_ms ? config->timeout_ms : START_TIMEOUT_MS_DEFAULT;
    job->timeout_source = source_attach(g_timeout_source_new(job->timeout_ms), on_start_timeout, proc, NULL,
                                        proc->context);
    if (cancellable)
        job->cancel_source = source_attach(g_cancellable_source_new(cancellable), G_SOURCE_FUNC(on_start_cancelled),
                                           proc, NULL, proc->context);
    proc->start = job;
    start_job_connect(proc);
}

/* ---- exit ---- */

static void
kill_tasks_complete(VbQemuProcess *proc)
{
    g_autoptr(GPtrArray) tasks = g_steal_pointer(&proc->kill_tasks);

    proc->kill_tasks = g_ptr_array_new_with_free_func(g_object_unref);
    source_clear(&proc->kill_timer);
    for (guint i = 0; i < tasks->len; i++)
        g_task_return_boolean(g_ptr_array_index(tasks, i), TRUE);
}

/* Callbacks may drop the last outside reference: hold one until done. */
static void
process_gone(VbQemuProcess *gone)
{
    g_autoptr(VbQemuProcess) proc = vb_qemu_process_ref(gone);

    proc->exited = TRUE;
    source_clear(&proc->exit_source);
    if (proc->own_child && proc->pidfile)
        g_unlink(proc->pidfile);
    if (proc->start)
        start_job_process_gone(proc);
    else if (proc->callbacks && proc->callbacks->exited)
        proc->callbacks->exited(proc, proc->wait_status, proc->user_data);
    kill_tasks_complete(proc);
}

static void
on_child_exited(GPid pid, int wait_status, gpointer data)
{
    VbQemuProcess *proc = data;

    proc->wait_status = wait_status;
    g_spawn_close_pid(pid);
    process_gone(proc);
}

static gboolean
on_pidfd_readable(int fd, GIOCondition condition, gpointer data)
{
    process_gone(data);
    return G_SOURCE_REMOVE;
}

/* The exit watch holds a reference: a running process is never freed under it. */
static void
process_watch_child(VbQemuProcess *proc)
{
    proc->exit_source = source_attach(g_child_watch_source_new(proc->pid), G_SOURCE_FUNC(on_child_exited),
                                      vb_qemu_process_ref(proc), (GDestroyNotify)vb_qemu_process_unref,
                                      proc->context);
}

static void
process_watch_pidfd(VbQemuProcess *proc)
{
    proc->exit_source = source_attach(g_unix_fd_source_new(proc->pidfd, G_IO_IN), G_SOURCE_FUNC(on_pidfd_readable),
                                      vb_qemu_process_ref(proc), (GDestroyNotify)vb_qemu_process_unref,
                                      proc->context);
}

/* ---- start ---- */

typedef struct {
    gboolean drop;
    uid_t uid;
    gid_t gid;
    const gid_t *groups;
    guint n_groups;
} Credentials;

/* Runs in the child between fork and exec: only async-signal-safe calls. A failure to drop
 * privileges ends the child rather than running QEMU with the daemon's. */
static void
child_setup(gpointer data)
{
    const Credentials *creds = data;

    setsid();
    if (!creds->drop)
        return;
    if (setgroups(creds->n_groups, creds->groups) < 0 || setgid(creds->gid) < 0 || setuid(creds->uid) < 0)
        _exit(127);
}

static gboolean
process_spawn(VbQemuProcess *proc, GPtrArray *argv, const VbQemuProcessConfig *config, GError **error)
{
    const char *const *envp = config->envp ? config->envp : default_envp;
    Credentials creds = { config->drop_privileges, config->uid, config->gid, config->groups, config->n_groups };
    g_autoptr(GError) spawn_error = NULL;
    int log_fd = log_open(proc, argv, envp, error);
    gboolean spawned;

    if (log_fd < 0)
        return FALSE;
    spawned = g_spawn_async_with_pipes_and_fds(NULL, (const char *const *)argv->pdata, envp,
                                               G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
                                               child_setup, &creds, -1, log_fd, log_fd,
                                               config->pass_fds, config->pass_fds, config->n_pass_fds,
                                               &proc->pid, NULL, NULL, NULL, &spawn_error);
    close(log_fd);
    if (!spawned) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "cannot execute binary %s: %s",
                     (const char *)g_ptr_array_index(argv, 0), spawn_error->message);
        return FALSE;
    }
    proc->own_child = TRUE;
    return TRUE;
}

static gboolean
pidfile_write(const char *path, GPid pid, GError **error)
{
    g_autofree char *text = g_strdup_printf("%d\n", (int)pid);
    g_autoptr(GError) file_error = NULL;

    if (g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &file_error))
        return TRUE;
    vb_set_error(error, VB_ERR_SYSTEM_ERROR, "Failed to write pid file '%s': %s", path, file_error->message);
    return FALSE;
}

gboolean
vb_qemu_process_read_pidfile(const char *path, GPid *pid, GError **error)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) file_error = NULL;
    guint64 value = 0;

    if (!g_file_get_contents(path, &text, NULL, &file_error)) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "Failed to read pid file '%s': %s", path, file_error->message);
        return FALSE;
    }
    g_strstrip(text);
    if (!g_ascii_string_to_unsigned(text, 10, 1, G_MAXINT, &value, NULL)) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "invalid pid '%s' in pid file '%s'", text, path);
        return FALSE;
    }
    *pid = (GPid)value;
    return TRUE;
}

void
vb_qemu_process_start(GPtrArray *argv, const VbQemuProcessConfig *config, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
    g_autoptr(VbQemuProcess) proc = process_new(config);
    g_autoptr(GPtrArray) args = g_ptr_array_new_full(argv->len + 1, NULL);   /* borrows the strings */
    GError *error = NULL;

    g_task_set_source_tag(task, vb_qemu_process_start);
    g_ptr_array_extend(args, argv, NULL, NULL);
    g_ptr_array_add(args, NULL);
    if (argv->len == 0 || !config->monitor_path || !config->log_path) {
        vb_set_error(&error, VB_ERR_INTERNAL_ERROR, "QEMU needs an argv, a monitor path and a log path");
        g_task_return_error(task, error);
        return;
    }
    if (!process_spawn(proc, args, config, &error)) {
        g_task_return_error(task, error);
        return;
    }
    process_watch_child(proc);
    start_job_begin(proc, task, config, cancellable);
    if (proc->pidfile && !pidfile_write(proc->pidfile, proc->pid, &error))
        start_job_fail(proc, error);
}

VbQemuProcess *
vb_qemu_process_start_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}

/* ---- attach ---- */

void
vb_qemu_process_attach(GPid pid, const VbQemuProcessConfig *config, GCancellable *cancellable,
                       GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
    g_autoptr(VbQemuProcess) proc = process_new(config);

    g_task_set_source_tag(task, vb_qemu_process_attach);
    proc->pid = pid;
    proc->pidfd = pid > 0 ? syscall(SYS_pidfd_open, pid, 0) : -1;
    if (proc->pidfd < 0) {
        int saved = errno;

        g_task_return_new_error(task, VB_ERROR, VB_ERR_OPERATION_FAILED,
                                "operation failed: QEMU process %d is not running: %s", (int)pid,
                                g_strerror(saved));
        return;
    }
    process_watch_pidfd(proc);
    start_job_begin(proc, task, config, cancellable);
}

VbQemuProcess *
vb_qemu_process_attach_finish(GAsyncResult *result, GError **error)
{
    return vb_qemu_process_start_finish(result, error);
}

/* ---- kill ---- */

static gboolean
on_kill_given_up(gpointer data)
{
    g_autoptr(VbQemuProcess) proc = vb_qemu_process_ref(data);
    g_autoptr(GPtrArray) tasks = g_steal_pointer(&proc->kill_tasks);

    proc->kill_tasks = g_ptr_array_new_with_free_func(g_object_unref);
    source_clear(&proc->kill_timer);
    for (guint i = 0; i < tasks->len; i++)
        g_task_return_new_error(g_ptr_array_index(tasks, i), VB_ERROR, VB_ERR_SYSTEM_ERROR,
                                "Failed to terminate process %d with SIGKILL: %s", (int)proc->pid,
                                g_strerror(EBUSY));
    return G_SOURCE_REMOVE;
}

static gboolean
on_kill_grace_over(gpointer data)
{
    g_autoptr(VbQemuProcess) proc = vb_qemu_process_ref(data);

    source_clear(&proc->kill_timer);
    process_signal(proc, SIGKILL);
    proc->kill_timer = source_attach(g_timeout_source_new(KILL_GIVE_UP_MS), on_kill_given_up, proc, NULL,
                                     proc->context);
    return G_SOURCE_REMOVE;
}

void
vb_qemu_process_kill(VbQemuProcess *proc, guint grace_ms, GCancellable *cancellable,
                     GAsyncReadyCallback callback, gpointer user_data)
{
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);

    g_task_set_source_tag(task, vb_qemu_process_kill);
    g_task_set_task_data(task, vb_qemu_process_ref(proc), (GDestroyNotify)vb_qemu_process_unref);
    if (proc->exited) {
        g_task_return_boolean(task, TRUE);
        g_object_unref(task);
        return;
    }
    g_ptr_array_add(proc->kill_tasks, task);
    if (proc->kill_timer)
        return;     /* already on its way */
    process_signal(proc, SIGTERM);
    proc->kill_timer = source_attach(g_timeout_source_new(grace_ms), on_kill_grace_over, proc, NULL,
                                     proc->context);
}

gboolean
vb_qemu_process_kill_finish(VbQemuProcess *proc, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), FALSE);
    return g_task_propagate_boolean(G_TASK(result), error);
}
