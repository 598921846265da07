/* test-qemu-process: the process layer and the QMP client against a real qemu-system-x86_64
 * (TCG), booting the test guest from ../shared/guest when it can be built.
 *
 * Every test runs in its own temporary directory and checks at the end that it left no
 * child behind, not even a zombie. Waits are bounded (a guard fails the test with a message)
 * but nothing asserts on how long anything took. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "conf/vb_error.h"
#include "drivers/qemu/qemu_process.h"

#define WAIT_GUARD_S 120     /* TCG on two shared cores can be slow */

static char *qemu_binary;
static char *guest_kernel;
static char *guest_initrd;

typedef struct {
    char *dir;
    char *monitor_path;
    char *log_path;
    char *pidfile;
    char *serial_path;
    GPtrArray *events;       /* event names, in order */
    guint eof_count;
    guint exited_count;
    int exit_status;
    GPid stray_pid;          /* a process to SIGKILL in teardown if a test failed midway */
    VbQemuProcess *proc;
} Fixture;

/* QEMU runs in its own session: if an assertion aborts the test, kill it on the way out. */
static volatile sig_atomic_t stray_pid_on_abort;

static void
on_abort(int signum)
{
    if (stray_pid_on_abort > 0)
        kill(stray_pid_on_abort, SIGKILL);
    signal(SIGABRT, SIG_DFL);
    raise(SIGABRT);
}

static void
set_stray(Fixture *f, GPid pid)
{
    f->stray_pid = pid;
    stray_pid_on_abort = pid;
}

typedef struct {
    gboolean done;
    GAsyncResult *result;
} Pending;

static void
on_done(GObject *source, GAsyncResult *result, gpointer data)
{
    Pending *pending = data;

    pending->result = g_object_ref(result);
    pending->done = TRUE;
}

static gboolean
on_guard(gpointer data)
{
    g_error("gave up waiting after %d s for %s", WAIT_GUARD_S, (const char *)data);
    return G_SOURCE_REMOVE;
}

static gboolean
on_poll(gpointer data)
{
    return G_SOURCE_CONTINUE;
}

/* Runs the loop until @check says so; a guard aborts the test if that never happens. */
static void
wait_for(gboolean (*check)(Fixture *f, gconstpointer arg), Fixture *f, gconstpointer arg, const char *what)
{
    guint guard = g_timeout_add_seconds(WAIT_GUARD_S, on_guard, (gpointer)what);
    guint poll = g_timeout_add(50, on_poll, NULL);   /* for conditions no source reports (a file) */

    while (!check(f, arg))
        g_main_context_iteration(NULL, TRUE);
    g_source_remove(poll);
    g_source_remove(guard);
}

static gboolean
pending_done(Fixture *f, gconstpointer arg)
{
    return ((const Pending *)arg)->done;
}

static void
wait_pending(Fixture *f, Pending *pending)
{
    wait_for(pending_done, f, pending, "an asynchronous call");
}

static void
pending_clear(Pending *pending)
{
    g_clear_object(&pending->result);
    pending->done = FALSE;
}

/* ---- callbacks ---- */

static void
on_event(VbQemuMonitor *mon, const char *name, JsonObject *data, gint64 timestamp_us, gpointer user_data)
{
    Fixture *f = user_data;

    g_assert_cmpint(timestamp_us, >, 0);
    g_ptr_array_add(f->events, g_strdup(name));
}

static void
on_eof(VbQemuMonitor *mon, const GError *error, gpointer user_data)
{
    Fixture *f = user_data;

    f->eof_count++;
}

static void
on_exited(VbQemuProcess *proc, int wait_status, gpointer user_data)
{
    Fixture *f = user_data;

    g_assert_true(proc == f->proc);
    f->exited_count++;
    f->exit_status = wait_status;
}

static const VbQemuMonitorCallbacks monitor_callbacks = { on_event, on_eof };
static const VbQemuProcessCallbacks process_callbacks = { on_exited };

/* ---- helpers ---- */

static void
fixture_setup(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    f->dir = g_dir_make_tmp("vb-qemu-XXXXXX", &error);
    g_assert_no_error(error);
    f->monitor_path = g_build_filename(f->dir, "qmp.sock", NULL);
    f->log_path = g_build_filename(f->dir, "guest.log", NULL);
    f->pidfile = g_build_filename(f->dir, "guest.pid", NULL);
    f->serial_path = g_build_filename(f->dir, "serial.log", NULL);
    f->events = g_ptr_array_new_with_free_func(g_free);
}

static void
assert_no_child_left(void)
{
    g_assert_cmpint(waitpid(-1, NULL, WNOHANG), ==, -1);
    g_assert_cmpint(errno, ==, ECHILD);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
    g_autoptr(GDir) dir = NULL;
    const char *name;

    if (f->stray_pid > 0)
        kill(f->stray_pid, SIGKILL);
    set_stray(f, 0);
    g_clear_pointer(&f->proc, vb_qemu_process_unref);
    while (g_main_context_iteration(NULL, FALSE))
        ;
    dir = g_dir_open(f->dir, 0, NULL);
    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *path = g_build_filename(f->dir, name, NULL);

        g_unlink(path);
    }
    g_rmdir(f->dir);
    g_ptr_array_unref(f->events);
    g_free(f->dir);
    g_free(f->monitor_path);
    g_free(f->log_path);
    g_free(f->pidfile);
    g_free(f->serial_path);
}

static GPtrArray *
qemu_argv(Fixture *f, gboolean with_guest)
{
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);

    g_ptr_array_add(argv, g_strdup(qemu_binary));
    for (const char *const *arg = (const char *const[]){ "-machine", "pc,accel=tcg", "-nodefaults", "-no-user-config",
                                                         "-display", "none", "-m", "128", "-S", "-no-shutdown", NULL };
         *arg; arg++)
        g_ptr_array_add(argv, g_strdup(*arg));
    g_ptr_array_add(argv, g_strdup("-chardev"));
    g_ptr_array_add(argv, g_strdup_printf("socket,id=monitor,path=%s,server=on,wait=off", f->monitor_path));
    g_ptr_array_add(argv, g_strdup("-mon"));
    g_ptr_array_add(argv, g_strdup("chardev=monitor,mode=control"));
    g_ptr_array_add(argv, g_strdup("-serial"));
    g_ptr_array_add(argv, g_strdup_printf("file:%s", f->serial_path));
    if (with_guest) {
        g_ptr_array_add(argv, g_strdup("-kernel"));
        g_ptr_array_add(argv, g_strdup(guest_kernel));
        g_ptr_array_add(argv, g_strdup("-initrd"));
        g_ptr_array_add(argv, g_strdup(guest_initrd));
        g_ptr_array_add(argv, g_strdup("-append"));
        g_ptr_array_add(argv, g_strdup("console=ttyS0 quiet"));
    }
    return argv;
}

static VbQemuProcessConfig
fixture_config(Fixture *f)
{
    return (VbQemuProcessConfig){
        .monitor_path = f->monitor_path,
        .log_path = f->log_path,
        .pidfile = f->pidfile,
        .monitor_callbacks = &monitor_callbacks,
        .callbacks = &process_callbacks,
        .user_data = f,
    };
}

/* Starts @argv; returns the error message, or NULL with f->proc set. */
static char *
start_process(Fixture *f, GPtrArray *argv, guint timeout_ms)
{
    VbQemuProcessConfig config = fixture_config(f);
    Pending start = { 0 };
    g_autoptr(GError) error = NULL;

    config.timeout_ms = timeout_ms;
    vb_qemu_process_start(argv, &config, NULL, on_done, &start);
    wait_pending(f, &start);
    f->proc = vb_qemu_process_start_finish(start.result, &error);
    pending_clear(&start);
    if (f->proc)
        set_stray(f, vb_qemu_process_get_pid(f->proc));
    return error ? g_strdup(error->message) : NULL;
}

static JsonNode *
qmp(Fixture *f, const char *command)
{
    Pending call = { 0 };
    g_autoptr(GError) error = NULL;
    VbQemuMonitor *mon = vb_qemu_process_get_monitor(f->proc);
    JsonNode *ret;

    vb_qemu_monitor_execute(mon, command, NULL, NULL, on_done, &call);
    wait_pending(f, &call);
    ret = vb_qemu_monitor_execute_finish(mon, call.result, &error);
    g_assert_no_error(error);
    pending_clear(&call);
    return ret;
}

static void
qmp_ok(Fixture *f, const char *command)
{
    json_node_unref(qmp(f, command));
}

static void
assert_status(Fixture *f, const char *status, gboolean running)
{
    g_autoptr(JsonNode) ret = qmp(f, "query-status");
    JsonObject *obj = json_node_get_object(ret);

    g_assert_cmpstr(json_object_get_string_member(obj, "status"), ==, status);
    g_assert_cmpint(json_object_get_boolean_member(obj, "running"), ==, running);
}

static gboolean
event_seen(Fixture *f, gconstpointer name)
{
    for (guint i = 0; i < f->events->len; i++) {
        if (g_str_equal(f->events->pdata[i], name))
            return TRUE;
    }
    return FALSE;
}

static gboolean
serial_has(Fixture *f, gconstpointer text)
{
    g_autofree char *contents = NULL;

    return g_file_get_contents(f->serial_path, &contents, NULL, NULL) && strstr(contents, text);
}

static gboolean
process_gone(Fixture *f, gconstpointer arg)
{
    return f->exited_count > 0 && f->eof_count > 0;
}

static void
quit_and_wait(Fixture *f)
{
    qmp_ok(f, "quit");
    wait_for(process_gone, f, NULL, "QEMU to exit after quit");
    g_assert_false(vb_qemu_process_is_running(f->proc));
    g_assert_true(WIFEXITED(f->exit_status));
    g_assert_cmpint(WEXITSTATUS(f->exit_status), ==, 0);
    g_assert_false(g_file_test(f->pidfile, G_FILE_TEST_EXISTS));
    g_assert_cmpint(kill(vb_qemu_process_get_pid(f->proc), 0), ==, -1);
    assert_no_child_left();
    set_stray(f, 0);
}

/* ---- tests ---- */

static void
test_lifecycle(Fixture *f, gconstpointer data)
{
    g_autoptr(GPtrArray) argv = qemu_argv(f, guest_kernel != NULL);
    g_autofree char *failure = start_process(f, argv, 0);
    g_autofree char *log = NULL;
    GPid pid;

    g_assert_null(failure);
    g_assert_true(vb_qemu_process_read_pidfile(f->pidfile, &pid, NULL));
    g_assert_cmpint(pid, ==, vb_qemu_process_get_pid(f->proc));
    g_assert_true(vb_qemu_process_is_running(f->proc));
    g_assert_true(g_file_get_contents(f->log_path, &log, NULL, NULL));
    g_assert_nonnull(strstr(log, "LC_ALL=C \\\n"));
    g_assert_nonnull(strstr(log, "-no-shutdown \\\n"));
    g_assert_nonnull(strstr(log, "\n-machine pc,accel=tcg \\\n"));
    g_assert_cmpint(getsid(pid), ==, pid);          /* its own session */

    assert_status(f, "prelaunch", FALSE);
    qmp_ok(f, "cont");
    assert_status(f, "running", TRUE);
    if (guest_kernel) {
        g_test_message("booting the test guest: %s", guest_kernel);
        wait_for(serial_has, f, "TEST-GUEST READY", "the guest's READY line");
    } else {
        g_test_message("no test guest (see above): not booting a guest");
    }

    qmp_ok(f, "stop");
    wait_for(event_seen, f, "STOP", "the STOP event");
    assert_status(f, "paused", FALSE);
    qmp_ok(f, "cont");
    wait_for(event_seen, f, "RESUME", "the RESUME event");
    if (guest_kernel) {
        qmp_ok(f, "system_powerdown");
        wait_for(event_seen, f, "POWERDOWN", "the POWERDOWN event");
        wait_for(event_seen, f, "SHUTDOWN", "the guest's SHUTDOWN");
        g_assert_true(serial_has(f, "TEST-GUEST POWEROFF acpi-button"));
        assert_status(f, "shutdown", FALSE);       /* -no-shutdown keeps QEMU */
    }
    quit_and_wait(f);
}

static void
test_bad_option(Fixture *f, gconstpointer data)
{
    g_autoptr(GPtrArray) argv = qemu_argv(f, FALSE);
    g_autofree char *failure = NULL;

    g_ptr_array_add(argv, g_strdup("-no-such-option"));
    failure = start_process(f, argv, 0);
    g_assert_nonnull(failure);
    g_assert_true(g_str_has_prefix(failure, "internal error: process exited while connecting to monitor: "));
    g_assert_nonnull(strstr(failure, "-no-such-option: invalid option"));
    g_assert_null(strstr(failure, "starting up"));   /* only this run's output, not our header */
    g_assert_false(g_file_test(f->pidfile, G_FILE_TEST_EXISTS));
    assert_no_child_left();
}

static void
test_missing_binary(Fixture *f, gconstpointer data)
{
    g_autoptr(GPtrArray) argv = qemu_argv(f, FALSE);
    g_autofree char *failure = NULL;
    g_autofree char *missing = g_build_filename(f->dir, "no-qemu", NULL);

    g_free(g_ptr_array_index(argv, 0));
    g_ptr_array_index(argv, 0) = g_strdup(missing);
    failure = start_process(f, argv, 0);
    g_assert_nonnull(failure);
    g_assert_true(g_str_has_prefix(failure, "cannot execute binary "));
    assert_no_child_left();
}

static char *
fd_target(GPid pid, int fd)
{
    g_autofree char *link = g_strdup_printf("/proc/%d/fd/%d", (int)pid, fd);

    return g_file_read_link(link, NULL);
}

static guint
count_fds_to(GPid pid, const char *target)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/fd", (int)pid);
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;
    guint count = 0;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *link = fd_target(pid, atoi(name));

        count += g_strcmp0(link, target) == 0;
    }
    return count;
}

/* QEMU gets the fds it is given, under the same numbers, no others, and a clean environment. */
static void
test_pass_fds_and_env(Fixture *f, gconstpointer data)
{
    g_autoptr(GPtrArray) argv = qemu_argv(f, FALSE);
    VbQemuProcessConfig config = fixture_config(f);
    Pending start = { 0 };
    g_autoptr(GError) error = NULL;
    g_autofree char *environ_path = NULL;
    g_autofree char *env_text = NULL;
    g_autofree char *passed = NULL;
    g_autofree char *mine = NULL;
    g_autofree char *kept = NULL;
    gsize environ_len;
    int pipefd[2];

    g_assert_cmpint(pipe(pipefd), ==, 0);
    config.pass_fds = &pipefd[1];
    config.n_pass_fds = 1;
    vb_qemu_process_start(argv, &config, NULL, on_done, &start);
    wait_pending(f, &start);
    f->proc = vb_qemu_process_start_finish(start.result, &error);
    g_assert_no_error(error);
    pending_clear(&start);
    set_stray(f, vb_qemu_process_get_pid(f->proc));

    passed = fd_target(f->stray_pid, pipefd[1]);
    mine = g_strdup_printf("/proc/self/fd/%d", pipefd[1]);
    kept = g_file_read_link(mine, NULL);
    g_assert_cmpstr(passed, ==, kept);
    g_assert_cmpuint(count_fds_to(f->stray_pid, kept), ==, 1);   /* not the read end */
    environ_path = g_strdup_printf("/proc/%d/environ", (int)f->stray_pid);
    g_assert_true(g_file_get_contents(environ_path, &env_text, &environ_len, NULL));
    g_assert_cmpmem(env_text, environ_len, "LC_ALL=C\0PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    strlen("LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") + 1);
    close(pipefd[0]);
    close(pipefd[1]);
    quit_and_wait(f);
}

/* A program that never opens the monitor is killed when the wait times out. */
static void
test_monitor_timeout(Fixture *f, gconstpointer data)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *failure = NULL;

    g_ptr_array_add(argv, g_strdup("/bin/sleep"));
    g_ptr_array_add(argv, g_strdup("600"));
    failure = start_process(f, argv, 300);
    g_assert_nonnull(failure);
    g_assert_true(g_str_has_prefix(failure, "monitor socket did not show up: "));
    assert_no_child_left();
}

static void
test_kill_term(Fixture *f, gconstpointer data)
{
    g_autoptr(GPtrArray) argv = qemu_argv(f, FALSE);
    g_autofree char *failure = start_process(f, argv, 0);
    Pending kill_call = { 0 };
    GPid pid;

    g_assert_null(failure);
    pid = vb_qemu_process_get_pid(f->proc);
    vb_qemu_process_kill(f->proc, 10000, NULL, on_done, &kill_call);
    wait_pending(f, &kill_call);
    g_assert_true(vb_qemu_process_kill_finish(f->proc, kill_call.result, NULL));
    pending_clear(&kill_call);
    g_assert_cmpuint(f->exited_count, ==, 1);
    /* QEMU handles SIGTERM itself and exits normally */
    g_assert_true(WIFEXITED(f->exit_status));
    g_assert_cmpint(kill(pid, 0), ==, -1);
    assert_no_child_left();
    set_stray(f, 0);
    wait_for(process_gone, f, NULL, "the monitor's EOF");

    /* killing what is gone succeeds at once */
    vb_qemu_process_kill(f->proc, 10000, NULL, on_done, &kill_call);
    wait_pending(f, &kill_call);
    g_assert_true(vb_qemu_process_kill_finish(f->proc, kill_call.result, NULL));
    pending_clear(&kill_call);
}

/* A process that does not act on SIGTERM (here: stopped) gets SIGKILL after the grace. */
static void
test_kill_painfully(Fixture *f, gconstpointer data)
{
    g_autoptr(GPtrArray) argv = qemu_argv(f, FALSE);
    g_autofree char *failure = start_process(f, argv, 0);
    Pending kill_call = { 0 };

    g_assert_null(failure);
    g_assert_cmpint(kill(vb_qemu_process_get_pid(f->proc), SIGSTOP), ==, 0);
    vb_qemu_process_kill(f->proc, 200, NULL, on_done, &kill_call);
    wait_pending(f, &kill_call);
    g_assert_true(vb_qemu_process_kill_finish(f->proc, kill_call.result, NULL));
    pending_clear(&kill_call);
    g_assert_true(WIFSIGNALED(f->exit_status));
    g_assert_cmpint(WTERMSIG(f->exit_status), ==, SIGKILL);
    assert_no_child_left();
    set_stray(f, 0);
}

/* QEMU started by someone else (as after a daemon restart): attach, control, see it go. */
static void
test_attach(Fixture *f, gconstpointer data)
{
    g_autoptr(GPtrArray) argv = qemu_argv(f, FALSE);
    g_autoptr(GString) script = g_string_new("setsid");
    g_autofree char *out = NULL;
    g_autoptr(GError) error = NULL;
    VbQemuProcessConfig config = fixture_config(f);
    Pending attach = { 0 };
    int status;

    for (guint i = 0; i < argv->len; i++) {
        g_autofree char *quoted = g_shell_quote(g_ptr_array_index(argv, i));

        g_string_append_printf(script, " %s", quoted);
    }
    g_string_append(script, " </dev/null >/dev/null 2>&1 & echo $!");
    g_ptr_array_set_size(argv, 0);
    g_ptr_array_add(argv, g_strdup("/bin/sh"));
    g_ptr_array_add(argv, g_strdup("-c"));
    g_ptr_array_add(argv, g_string_free(g_steal_pointer(&script), FALSE));
    g_ptr_array_add(argv, NULL);
    g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status,
                               &error));
    g_assert_no_error(error);
    set_stray(f, atoi(out));
    g_assert_cmpint(f->stray_pid, >, 0);
    assert_no_child_left();     /* QEMU is not our child */

    while (!g_file_test(f->monitor_path, G_FILE_TEST_EXISTS))
        g_usleep(20 * 1000);
    vb_qemu_process_attach(f->stray_pid, &config, NULL, on_done, &attach);
    wait_pending(f, &attach);
    f->proc = vb_qemu_process_attach_finish(attach.result, &error);
    g_assert_no_error(error);
    pending_clear(&attach);
    assert_status(f, "prelaunch", FALSE);

    qmp_ok(f, "quit");
    wait_for(process_gone, f, NULL, "the attached QEMU to exit");
    g_assert_cmpint(f->exit_status, ==, -1);
    g_assert_false(vb_qemu_process_is_running(f->proc));
    set_stray(f, 0);
}

static void
test_attach_failures(Fixture *f, gconstpointer data)
{
    VbQemuProcessConfig config = fixture_config(f);
    Pending attach = { 0 };
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    GPid sleeper;

    /* a pid that is gone */
    vb_qemu_process_attach(G_MAXINT - 1, &config, NULL, on_done, &attach);
    wait_pending(f, &attach);
    g_assert_null(vb_qemu_process_attach_finish(attach.result, &error));
    g_assert_error(error, VB_ERROR, VB_ERR_OPERATION_FAILED);
    g_clear_error(&error);
    pending_clear(&attach);

    /* a live process without a monitor: an error, and the process is left alone */
    g_ptr_array_add(argv, "/bin/sleep");
    g_ptr_array_add(argv, "600");
    g_ptr_array_add(argv, NULL);
    g_assert_true(g_spawn_async(NULL, (char **)argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &sleeper,
                                &error));
    set_stray(f, sleeper);
    vb_qemu_process_attach(sleeper, &config, NULL, on_done, &attach);
    wait_pending(f, &attach);
    g_assert_null(vb_qemu_process_attach_finish(attach.result, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    pending_clear(&attach);
    g_assert_cmpint(kill(sleeper, 0), ==, 0);
    kill(sleeper, SIGKILL);
    g_assert_cmpint(waitpid(sleeper, NULL, 0), ==, sleeper);
    set_stray(f, 0);
}

/* ---- the test guest ---- */

static void
replace_str(char **slot, char *value)
{
    g_free(*slot);
    *slot = value;
}

/* Reads build-test-guest.sh's output: the uncompressed vmlinux (faster under TCG) if any. */
static void
guest_parse_assignments(const char *out)
{
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);

    for (guint i = 0; lines[i]; i++) {
        char *eq = strchr(lines[i], '=');
        g_autofree char *value = NULL;

        if (!eq)
            continue;
        *eq = '\0';
        value = g_shell_unquote(eq + 1, NULL);
        if (!value || !*value)
            continue;
        if (g_str_equal(lines[i], "TEST_GUEST_VMLINUX"))
            replace_str(&guest_kernel, g_steal_pointer(&value));
        else if (g_str_equal(lines[i], "TEST_GUEST_KERNEL") && !guest_kernel)
            replace_str(&guest_kernel, g_steal_pointer(&value));
        else if (g_str_equal(lines[i], "TEST_GUEST_INITRD"))
            replace_str(&guest_initrd, g_steal_pointer(&value));
    }
}

/* Builds (or finds, when built before) the test guest; without it the tests skip booting. */
static void
guest_prepare(void)
{
    const char *script = g_getenv("VIRTBUS_GUEST_SCRIPT");
    const char *argv[] = { script, NULL };
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autoptr(GError) error = NULL;
    int status = 0;

    if (!script) {
        g_printerr("# VIRTBUS_GUEST_SCRIPT is not set: no test guest, QMP tests only\n");
        return;
    }
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error) ||
        !g_spawn_check_wait_status(status, NULL)) {
        g_printerr("# the test guest could not be built (%s): QMP tests only, no boot\n# %s\n",
                   error ? error->message : "build-test-guest.sh failed", err ? err : "");
        return;
    }
    guest_parse_assignments(out);
    if (!guest_kernel || !guest_initrd)
        g_clear_pointer(&guest_kernel, g_free);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    signal(SIGABRT, on_abort);
    qemu_binary = g_find_program_in_path("qemu-system-x86_64");
#define ADD(path, fn) g_test_add("/qemu-process/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("monitor-timeout", test_monitor_timeout);
    if (qemu_binary) {
        guest_prepare();
        ADD("lifecycle", test_lifecycle);
        ADD("pass-fds-and-env", test_pass_fds_and_env);
        ADD("bad-option", test_bad_option);
        ADD("missing-binary", test_missing_binary);
        ADD("kill-term", test_kill_term);
        ADD("kill-painfully", test_kill_painfully);
        ADD("attach", test_attach);
        ADD("attach-failures", test_attach_failures);
    } else {
        g_printerr("# qemu-system-x86_64 not found: skipping the QEMU tests\n");
    }
#undef ADD
    return g_test_run();
}
