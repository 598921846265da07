/* qemu_run.c: running QEMU domains — start, QMP events, pause/resume, reset, shutdown, destroy.
 *
 * Every step that waits on QEMU is asynchronous and finishes the caller's GTask on the main
 * thread. One lifecycle job runs per domain at a time (libvirt's job lock): a second one is
 * refused at once instead of queued. */
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "drivers/network/network_driver.h"
#include "drivers/qemu/qemu_command.h"
#include "drivers/qemu/qemu_private.h"
#include "drivers/qemu/qemu_process.h"

#define QEMU_EMULATOR "/usr/bin/qemu-system-x86_64"
#define QEMU_KILL_GRACE_MS 10000

typedef struct _QemuJob QemuJob;

struct _QemuJob {
    VbConn *conn;
    char *uuid;
    guint flags;
    gboolean create_xml;             /* the task returns the domain's UUID */
    gboolean transient_on_failure;   /* CreateXML: drop the domain again if it does not start */
    int incoming_fd;                 /* restore: the saved state QEMU reads before it runs, or -1 */
    int started_reason, started_detail;
    char *discard_on_success;        /* a managed save image the start consumed */
    char *autodestroy_owner;         /* AUTODESTROY: the client that asked for the start */
};

static void
job_free(QemuJob *job)
{
    if (job->incoming_fd >= 0)
        close(job->incoming_fd);
    g_free(job->discard_on_success);
    g_free(job->autodestroy_owner);
    g_free(job->uuid);
    g_free(job);
}

/* The caller whose leaving the bus will destroy the guest (AUTODESTROY), if it asked so. */
static void
job_take_autodestroy_owner(QemuJob *job, VbConn *conn, guint flags)
{
    if ((flags & VB_START_AUTODESTROY) && conn->caller)
        job->autodestroy_owner = g_strdup(conn->caller);
}

static QemuJob *
job_new(VbConn *conn, VbDomainObj *dom, guint flags)
{
    QemuJob *job = g_new0(QemuJob, 1);

    job->conn = conn;
    job->uuid = g_strdup(dom->def->uuid);
    job->flags = flags;
    job->incoming_fd = -1;
    job->started_reason = VB_RUNNING_BOOTED;
    job->started_detail = VB_EVENT_STARTED_BOOTED;
    return job;
}

void
qemu_run_free(QemuRun *run)
{
    g_clear_pointer(&run->proc, vb_qemu_process_unref);
    g_clear_pointer(&run->relabeled, g_array_unref);    /* a guest left running keeps its files */
    g_clear_pointer(&run->removals, g_hash_table_unref);
    g_clear_pointer(&run->block_jobs, g_hash_table_unref);
    g_clear_pointer(&run->hostdevs, g_ptr_array_unref);   /* a guest left running keeps its devices */
    g_free(run->autodestroy_owner);
    g_free(run->uuid);
    g_free(run->monitor_path);
    g_free(run->pidfile);
    g_free(run);
}

static QemuRun *
run_lookup(VbConn *conn, const char *uuid)
{
    return g_hash_table_lookup(qemu_priv(conn)->runs, uuid);
}

static VbDomainObj *
run_domain(QemuRun *run)
{
    return vb_obj_list_by_key(run->conn->domains, run->uuid);
}

static void
emit(QemuRun *run, int event, int detail, VbPresence presence)
{
    vb_conn_emit(run->conn, VB_EVENT_DOMAIN, run->uuid, event, detail, presence);
}

/* ---- the end of a QEMU process ---- */

/* What the run borrowed from the host goes back: files to their owners, PCI devices to their
 * host drivers. */
static void
run_give_back(QemuRun *run)
{
    qemu_user_restore(g_steal_pointer(&run->relabeled));
    qemu_hostdev_release(run->conn, g_steal_pointer(&run->hostdevs));
}

/* Shut off with @reason, announce it, and forget the run (and a transient domain). */
static void
run_stopped(QemuRun *run, int reason, int detail)
{
    VbConn *conn = run->conn;
    VbDomainObj *dom = run_domain(run);
    gboolean persistent = dom && dom->persistent;

    g_unlink(run->pidfile);
    g_unlink(run->monitor_path);
    run_give_back(run);
    if (dom) {
        qemu_status_remove(conn, dom);
        if (dom->new_def)
            vb_conn_domain_replace_def(conn, dom, g_steal_pointer(&dom->new_def));
        vb_conn_domain_set_id(conn, dom, -1);
        vb_domain_obj_set_state(dom, VB_DOMAIN_SHUTOFF, reason);
        dom->started_at = 0;
        emit(run, VB_DOMAIN_EVENT_STOPPED, detail, persistent ? VB_PRESENCE_SAME : VB_PRESENCE_GONE);
        if (!persistent)
            vb_conn_domain_remove(conn, dom);
    }
    g_hash_table_remove(qemu_priv(conn)->runs, run->uuid);
}

static void
on_process_exited(VbQemuProcess *proc, int wait_status, gpointer user_data)
{
    QemuRun *run = user_data;

    if (run->starting)
        return;      /* the start job sees the failure and cleans up */
    if (run->destroying)
        run_stopped(run, VB_SHUTOFF_DESTROYED, VB_EVENT_STOPPED_DESTROYED);
    else if (run->saved)
        run_stopped(run, VB_SHUTOFF_SAVED, VB_EVENT_STOPPED_SAVED);
    else if (run->panicked)
        run_stopped(run, VB_SHUTOFF_CRASHED, VB_EVENT_STOPPED_CRASHED);
    else if (run->got_shutdown)
        run_stopped(run, VB_SHUTOFF_SHUTDOWN, VB_EVENT_STOPPED_SHUTDOWN);
    else
        run_stopped(run, VB_SHUTOFF_CRASHED, VB_EVENT_STOPPED_FAILED);
}

/* ---- QMP events ---- */

static void
on_stop(QemuRun *run, VbDomainObj *dom)
{
    /* QEMU also stops after the guest powered off or panicked: that is no pause */
    if (dom->state == VB_DOMAIN_PAUSED || run->got_shutdown || run->rebooting || run->panicked)
        return;
    vb_domain_obj_set_state(dom, VB_DOMAIN_PAUSED, run->pause_reason);
    qemu_status_save(run->conn, dom, run);
    emit(run, VB_DOMAIN_EVENT_SUSPENDED, VB_EVENT_SUSPENDED_PAUSED, VB_PRESENCE_SAME);
}

static void
on_resume(QemuRun *run, VbDomainObj *dom)
{
    if (dom->state == VB_DOMAIN_RUNNING || run->rebooting)
        return;
    run->pause_reason = VB_PAUSED_UNKNOWN;
    vb_domain_obj_set_state(dom, VB_DOMAIN_RUNNING, VB_RUNNING_UNPAUSED);
    qemu_status_save(run->conn, dom, run);
    emit(run, VB_DOMAIN_EVENT_RESUMED, VB_EVENT_RESUMED_UNPAUSED, VB_PRESENCE_SAME);
}

static void on_shutdown_killed(GObject *source, GAsyncResult *result, gpointer user_data);
static void fake_reboot(QemuRun *run);

/* on_poweroff='destroy' (the default): QEMU runs with -no-shutdown, so it is ended here. */
static void
on_shutdown(QemuRun *run, VbDomainObj *dom, JsonObject *data)
{
    gboolean guest = json_object_get_boolean_member_with_default(data, "guest", TRUE);

    if (run->fake_reboot) {
        fake_reboot(run);
        return;
    }
    run->got_shutdown = TRUE;
    vb_domain_obj_set_state(dom, VB_DOMAIN_SHUTDOWN, VB_SHUTDOWN_USER);
    emit(run, VB_DOMAIN_EVENT_SHUTDOWN, guest ? VB_EVENT_SHUTDOWN_GUEST : VB_EVENT_SHUTDOWN_HOST,
         VB_PRESENCE_SAME);
    vb_qemu_process_kill(run->proc, QEMU_KILL_GRACE_MS, NULL, on_shutdown_killed, NULL);
}

static void
on_shutdown_killed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;

    if (!vb_qemu_process_kill_finish((VbQemuProcess *)source, result, &error))
        g_warning("cannot end QEMU after the guest shut down: %s", error->message);
}

/* WATCHDOG: the Watchdog signal with libvirt's action number; a watchdog that pauses the guest
 * is a pause with reason watchdog (the STOP that follows is then no new pause). */
static void
on_watchdog(QemuRun *run, VbDomainObj *dom, JsonObject *data)
{
    static const char *const actions[] = { "none", "pause", "reset", "poweroff", "shutdown", "debug", "inject-nmi",
                                           NULL };
    const char *action = json_object_get_string_member_with_default(data, "action", "none");
    int number = 0;

    for (int i = 0; actions[i]; i++) {
        if (g_str_equal(actions[i], action))
            number = i;
    }
    vb_conn_emit_value(run->conn, VB_EVENT_DOMAIN_WATCHDOG, run->uuid, number);
    if (number == 1 && dom->state != VB_DOMAIN_PAUSED) {
        vb_domain_obj_set_state(dom, VB_DOMAIN_PAUSED, VB_PAUSED_WATCHDOG);
        qemu_status_save(run->conn, dom, run);
        emit(run, VB_DOMAIN_EVENT_SUSPENDED, VB_EVENT_SUSPENDED_WATCHDOG, VB_PRESENCE_SAME);
    }
}

/* The guest panicked (pvpanic); QEMU has paused it. <on_crash>destroy</on_crash>, the only
 * action the driver takes: the crash is announced, then QEMU is ended. */
static void
on_guest_panicked(QemuRun *run, VbDomainObj *dom)
{
    if (run->panicked)
        return;
    run->panicked = TRUE;
    vb_domain_obj_set_state(dom, VB_DOMAIN_CRASHED, VB_CRASHED_PANICKED);
    emit(run, VB_DOMAIN_EVENT_CRASHED, VB_EVENT_CRASHED_PANICKED, VB_PRESENCE_SAME);
    vb_qemu_process_kill(run->proc, QEMU_KILL_GRACE_MS, NULL, on_shutdown_killed, NULL);
}

static void
on_qmp_event(VbQemuMonitor *mon, const char *name, JsonObject *data, gint64 timestamp_us, gpointer user_data)
{
    QemuRun *run = user_data;
    VbDomainObj *dom = run_domain(run);

    /* a destroy sends SIGTERM, which QEMU reports as a host SHUTDOWN: not the guest's doing */
    if (!dom || run->starting || run->destroying)
        return;
    if (g_str_equal(name, "STOP"))
        on_stop(run, dom);
    else if (g_str_equal(name, "RESUME"))
        on_resume(run, dom);
    else if (g_str_equal(name, "SHUTDOWN"))
        on_shutdown(run, dom, data);
    else if (g_str_equal(name, "RESET"))
        vb_conn_emit(run->conn, VB_EVENT_DOMAIN_REBOOT, run->uuid, 0, 0, VB_PRESENCE_SAME);
    else if (g_str_equal(name, "DEVICE_DELETED"))
        qemu_devices_handle_event(run, dom, name, data);
    else if (g_str_equal(name, "VSERPORT_CHANGE"))
        qemu_agent_handle_event(run, dom, data);
    else if (g_str_equal(name, "GUEST_PANICKED"))
        on_guest_panicked(run, dom);
    else if (g_str_equal(name, "WATCHDOG"))
        on_watchdog(run, dom, data);
    else if (g_str_equal(name, "RTC_CHANGE"))
        vb_conn_emit_value(run->conn, VB_EVENT_DOMAIN_RTC_CHANGE, run->uuid,
                           json_object_get_int_member_with_default(data, "offset", 0));
    else if (g_str_has_prefix(name, "BLOCK_JOB_"))
        qemu_blockjob_handle_event(run, dom, name, data);
    else
        qemu_tune_handle_event(run, dom, name, data);
}

static const VbQemuMonitorCallbacks monitor_callbacks = { .event = on_qmp_event };
static const VbQemuProcessCallbacks process_callbacks = { .exited = on_process_exited };

/* ---- jobs ---- */

static void
run_set_busy(QemuRun *run)
{
    run->busy = TRUE;
    run->busy_since = g_get_monotonic_time();
}

static gboolean
begin_job(VbConn *conn, VbDomainObj *dom, gboolean need_active, GError **error)
{
    QemuRun *run = run_lookup(conn, dom->def->uuid);

    if (run && run->busy) {
        vb_set_error(error, VB_ERR_OPERATION_TIMEOUT, "cannot acquire state change lock: another "
                     "operation on domain '%s' is in progress", dom->def->name);
        return FALSE;
    }
    if (need_active && !vb_domain_obj_is_active(dom)) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "domain is not running");
        return FALSE;
    }
    if (!need_active && vb_domain_obj_is_active(dom)) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "domain is already running");
        return FALSE;
    }
    return TRUE;
}

gboolean
qemu_domain_is_busy(VbConn *conn, VbDomainObj *dom)
{
    QemuRun *run = run_lookup(conn, dom->def->uuid);

    return run && run->busy;
}

/* Ends a job: the task is answered and the domain may take the next one. */
static void autodestroy_if_orphaned(QemuRun *run);

static void
end_job(QemuRun *run, GTask *task, GError *error)
{
    QemuJob *job = g_task_get_task_data(task);

    if (run) {
        run->busy = FALSE;
        autodestroy_if_orphaned(run);
    }
    if (error)
        g_task_return_error(task, error);
    else if (job && job->create_xml)
        g_task_return_pointer(task, g_strdup(job->uuid), g_free);
    else
        g_task_return_boolean(task, TRUE);
    g_object_unref(task);
}

/* ---- the job API for the driver's other files (qemu_private.h) ---- */

QemuRun *
qemu_run_lookup(VbConn *conn, const char *uuid)
{
    return run_lookup(conn, uuid);
}

void
qemu_run_end(QemuRun *run, int reason, int detail)
{
    run_stopped(run, reason, detail);
}

QemuRun *
qemu_job_begin_active(VbConn *conn, VbDomainObj *dom, GError **error)
{
    QemuRun *run;

    if (!begin_job(conn, dom, TRUE, error))
        return NULL;
    run = run_lookup(conn, dom->def->uuid);
    run_set_busy(run);
    return run;
}

void
qemu_job_release(QemuRun *run)
{
    if (run) {
        run->busy = FALSE;
        autodestroy_if_orphaned(run);
    }
}

void
qemu_job_end(QemuRun *run, GTask *task, GError *error)
{
    qemu_job_end_pointer(run, task, NULL, NULL, error);
}

void
qemu_job_end_pointer(QemuRun *run, GTask *task, gpointer result, GDestroyNotify result_free, GError *error)
{
    qemu_job_release(run);
    if (error) {
        g_task_return_error(task, error);
        if (result && result_free)
            result_free(result);
    } else if (result) {
        g_task_return_pointer(task, result, result_free);
    } else {
        g_task_return_boolean(task, TRUE);
    }
    g_object_unref(task);
}

static void
fail_job(GTask *task, VbErrorCode code, const char *message)
{
    GError *error = NULL;

    vb_set_error(&error, code, "%s", message);
    end_job(NULL, task, error);
}

/* ---- start ---- */

/* Undoes what a failed start changed: nothing was announced, so nothing is emitted. */
static void
start_failed(GTask *task, QemuJob *job, GError *error)
{
    VbDomainObj *dom = vb_obj_list_by_key(job->conn->domains, job->uuid);
    QemuRun *run = run_lookup(job->conn, job->uuid);

    if (run)
        run_give_back(run);
    g_hash_table_remove(qemu_priv(job->conn)->runs, job->uuid);
    if (dom && dom->new_def)
        vb_conn_domain_replace_def(job->conn, dom, g_steal_pointer(&dom->new_def));
    if (dom && vb_domain_obj_is_active(dom)) {
        vb_conn_domain_set_id(job->conn, dom, -1);
        vb_domain_obj_set_state(dom, VB_DOMAIN_SHUTOFF, VB_SHUTOFF_FAILED);
        dom->started_at = 0;
    }
    if (dom && job->transient_on_failure)
        vb_conn_domain_remove(job->conn, dom);
    end_job(NULL, task, error);
}

static void
start_finished(QemuRun *run, GTask *task, QemuJob *job)
{
    VbDomainObj *dom = run_domain(run);
    gboolean paused = (job->flags & VB_START_PAUSED) != 0;

    run->starting = FALSE;
    vb_domain_obj_set_state(dom, paused ? VB_DOMAIN_PAUSED : VB_DOMAIN_RUNNING,
                            paused ? VB_PAUSED_USER : job->started_reason);
    dom->has_managed_save = FALSE;
    if (job->discard_on_success)
        g_unlink(job->discard_on_success);
    qemu_status_save(run->conn, dom, run);
    emit(run, VB_DOMAIN_EVENT_STARTED, job->started_detail,
         job->transient_on_failure ? VB_PRESENCE_APPEARED : VB_PRESENCE_SAME);
    if (paused)
        emit(run, VB_DOMAIN_EVENT_SUSPENDED, VB_EVENT_SUSPENDED_PAUSED, VB_PRESENCE_SAME);
    end_job(run, task, NULL);
}

static void
on_start_killed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    QemuJob *job = g_task_get_task_data(task);
    GError *error = g_object_steal_data(G_OBJECT(task), "error");

    vb_qemu_process_kill_finish((VbQemuProcess *)source, result, NULL);
    start_failed(task, job, error);
}

static void
on_start_cont(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    QemuJob *job = g_task_get_task_data(task);
    QemuRun *run = run_lookup(job->conn, job->uuid);
    GError *error = NULL;
    g_autoptr(JsonNode) reply G_GNUC_UNUSED =
        vb_qemu_monitor_execute_finish((VbQemuMonitor *)source, result, &error);

    if (error) {
        /* a guest that cannot run does not stay half started */
        g_object_set_data(G_OBJECT(task), "error", error);
        vb_qemu_process_kill(run->proc, 0, NULL, on_start_killed, task);
        return;
    }
    start_finished(run, task, job);
}

static void
continue_start(QemuRun *run, GTask *task, QemuJob *job)
{
    if (job->flags & VB_START_PAUSED) {
        start_finished(run, task, job);
        return;
    }
    vb_qemu_monitor_execute(vb_qemu_process_get_monitor(run->proc), "cont", NULL, NULL, on_start_cont, task);
}

/* The saved state is in: the guest continues as if started (or stays paused). */
static void
on_incoming_done(VbConn *conn, const char *uuid, GError *error, gpointer user_data)
{
    GTask *task = user_data;
    QemuJob *job = g_task_get_task_data(task);
    QemuRun *run = run_lookup(conn, uuid);

    if (error && run) {
        g_object_set_data(G_OBJECT(task), "error", error);
        vb_qemu_process_kill(run->proc, 0, NULL, on_start_killed, task);
        return;
    }
    if (error) {
        start_failed(task, job, error);
        return;
    }
    continue_start(run, task, job);
}

static void
mark_active(VbConn *conn, VbDomainObj *dom, int id)
{
    if (dom->persistent && !dom->new_def)
        dom->new_def = vb_domain_def_copy(dom->def);
    vb_conn_domain_set_id(conn, dom, id);
    vb_domain_obj_set_state(dom, VB_DOMAIN_PAUSED, VB_PAUSED_USER);
    dom->started_at = g_get_monotonic_time();
}

/* The vCPU threads are pinned, the links set and the disks throttled: the saved state comes in,
 * or the guest goes. */
static void
on_throttled(VbConn *conn, const char *uuid, GError *error, gpointer user_data)
{
    GTask *task = user_data;
    QemuJob *job = g_task_get_task_data(task);
    QemuRun *run = run_lookup(conn, uuid);

    if (error || !run) {
        on_incoming_done(conn, uuid, error ? error : g_error_new_literal(VB_ERROR, VB_ERR_OPERATION_FAILED,
                                                                         "operation failed: QEMU ended while starting"),
                         task);
        return;
    }
    if (job->incoming_fd >= 0) {
        qemu_migration_run(run, job->incoming_fd, TRUE, on_incoming_done, task);
        return;
    }
    continue_start(run, task, job);
}

static void
on_links_set(VbConn *conn, const char *uuid, GError *error, gpointer user_data)
{
    QemuRun *run = run_lookup(conn, uuid);
    VbDomainObj *dom = vb_obj_list_by_key(conn->domains, uuid);

    if (error || !run || !dom) {
        on_throttled(conn, uuid, error, user_data);
        return;
    }
    qemu_iotune_apply_at_start(run, dom->def, on_throttled, user_data);
}

static void on_pinned(VbConn *conn, const char *uuid, GError *error, gpointer user_data);

static void
on_started(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    QemuJob *job = g_task_get_task_data(task);
    QemuRun *run = run_lookup(job->conn, job->uuid);
    VbDomainObj *dom = vb_obj_list_by_key(job->conn->domains, job->uuid);
    GError *error = NULL;
    VbQemuProcess *proc = vb_qemu_process_start_finish(result, &error);

    if (!proc) {
        start_failed(task, job, error);
        return;
    }
    run->proc = proc;
    mark_active(job->conn, dom, GPOINTER_TO_INT(g_object_get_data(G_OBJECT(task), "id")));
    qemu_tune_apply_vcpupins(run, dom->def, on_pinned, task);
}

static void
on_pinned(VbConn *conn, const char *uuid, GError *error, gpointer user_data)
{
    QemuRun *run = run_lookup(conn, uuid);
    VbDomainObj *dom = vb_obj_list_by_key(conn->domains, uuid);

    if (error || !run || !dom) {
        on_links_set(conn, uuid, error, user_data);
        return;
    }
    qemu_devices_apply_link_states(run, dom->def, on_links_set, user_data);
}

static QemuRun *
run_new(VbConn *conn, VbDomainObj *dom, int id)
{
    QemuPriv *priv = qemu_priv(conn);
    QemuRun *run = g_new0(QemuRun, 1);
    g_autofree char *monitor = g_strdup_printf("domain-%d.monitor", id);
    g_autofree char *pidfile = g_strconcat(dom->def->name, ".pid", NULL);

    run->conn = conn;
    run->uuid = g_strdup(dom->def->uuid);
    run->monitor_path = g_build_filename(priv->state_dir, monitor, NULL);
    run->pidfile = g_build_filename(priv->state_dir, pidfile, NULL);
    run->pause_reason = VB_PAUSED_UNKNOWN;
    run_set_busy(run);
    run->starting = TRUE;
    g_hash_table_insert(priv->runs, run->uuid, run);
    return run;
}

static const char *
net_source_attr(const VbNetDef *net, const char *name)
{
    for (guint i = 0; net->source_attrs && i + 1 < net->source_attrs->len; i += 2) {
        if (g_str_equal(g_ptr_array_index(net->source_attrs, i), name))
            return g_ptr_array_index(net->source_attrs, i + 1);
    }
    return NULL;
}

static void
close_taps(GArray *fds)
{
    for (guint i = 0; i < fds->len; i++) {
        if (g_array_index(fds, int, i) >= 0)
            close(g_array_index(fds, int, i));
    }
    g_array_unref(fds);
}

int
qemu_tap_open_for(VbConn *conn, VbNetDef *net, GError **error)
{
    gboolean bridged = g_str_equal(net->type, "bridge");
    gboolean networked = g_str_equal(net->type, "network");
    const char *bridge = bridged ? net_source_attr(net, "bridge") : NULL;
    /* vnetN names are the driver's to hand out, as in libvirt */
    const char *wanted = net->target_dev && !g_str_has_prefix(net->target_dev, "vnet") ? net->target_dev : NULL;
    char *ifname = NULL;
    int fd;

    if (bridged && !bridge) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "Missing source bridge for interface %s", net->mac);
        return -1;
    }
    if (networked && !(bridge = vb_network_bridge_for(conn, net_source_attr(net, "network"), error)))
        return -1;
    if ((fd = qemu_tap_open(bridge, wanted, net->mac, &ifname, error)) < 0)
        return -1;
    g_free(net->target_dev);
    net->target_dev = ifname;
    return fd;
}

/* A tap per bridge/network/ethernet interface of the live definition, in document order (-1 for the
 * others, as VbQemuCommandConfig wants); each tap's name goes into <target dev>. */
static GArray *
open_taps(VbConn *conn, VbDomainDef *def, GError **error)
{
    GArray *fds = g_array_new(FALSE, FALSE, sizeof(int));

    for (guint i = 0; i < def->devices->len; i++) {
        VbNetDef *net = ((VbDeviceDef *)g_ptr_array_index(def->devices, i))->net;
        int fd = -1;

        if (!net)
            continue;
        if ((g_str_equal(net->type, "bridge") || g_str_equal(net->type, "ethernet") ||
             g_str_equal(net->type, "network")) &&
            (fd = qemu_tap_open_for(conn, net, error)) < 0) {
            close_taps(fds);
            return NULL;
        }
        g_array_append_val(fds, fd);
    }
    return fds;
}

const char *
qemu_volume_path(VbConn *conn, const VbDiskDef *disk, GError **error)
{
    VbStoragePoolObj *pool = vb_conn_pool_by_name(conn, disk->source_pool ? disk->source_pool : "", error);
    VbStorageVolObj *vol;

    if (!pool)
        return NULL;
    if (!pool->active) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "storage pool '%s' containing volume '%s' is not active",
                     pool->def->name, disk->source_volume ? disk->source_volume : "");
        return NULL;
    }
    if (!(vol = vb_pool_vol_by_name(pool, disk->source_volume ? disk->source_volume : "", error)))
        return NULL;
    return vol->def->target.path;
}

/* What QEMU runs: volume disks become the files behind them (the live definition keeps the
 * pool and volume, as libvirt shows them). NULL with no error: @def itself. */
static VbDomainDef *
resolve_volumes(VbConn *conn, const VbDomainDef *def, GError **error)
{
    g_autoptr(VbDomainDef) copy = NULL;
    const VbDiskDef *disk;

    /* a copy may order the devices differently, but not the disks among themselves */
    for (guint n = 0; (disk = vb_domain_def_nth_disk(def, n)); n++) {
        VbDiskDef *resolved;
        const char *path;

        if (g_strcmp0(disk->type, "volume") != 0)
            continue;
        if (!(path = qemu_volume_path(conn, disk, error)))
            return NULL;
        if (!copy)
            copy = vb_domain_def_copy(def);
        resolved = vb_domain_def_nth_disk(copy, n);
        g_free(resolved->type);
        resolved->type = g_strdup("file");
        g_free(resolved->source_file);
        resolved->source_file = g_strdup(path);
        g_clear_pointer(&resolved->source_pool, g_free);
        g_clear_pointer(&resolved->source_volume, g_free);
    }
    return g_steal_pointer(&copy);
}

/* libvirt's live XML names each device by its QEMU id; hot-plug and unplug rely on them. @built
 * is what the argv was built from (@live itself or a copy with the same disks and interfaces in
 * the same order). */
static void
assign_aliases(VbDomainDef *live, const VbDomainDef *built, GPtrArray *ids)
{
    guint disks = 0, nets = 0;

    for (guint i = 0; i < built->devices->len && i < ids->len; i++) {
        const VbDeviceDef *dev = g_ptr_array_index(built->devices, i);
        const char *id = g_ptr_array_index(ids, i);
        char **alias = NULL;

        if (dev->disk)
            alias = &vb_domain_def_nth_disk(live, disks++)->alias;
        else if (dev->net)
            alias = &vb_domain_def_nth_net(live, nets++)->alias;
        if (alias && id) {
            g_free(*alias);
            *alias = g_strdup(id);
        }
    }
}

char *
qemu_channel_dir(VbConn *conn, const VbDomainDef *def)
{
    return g_build_filename(qemu_priv(conn)->state_dir, "channel", def->name, NULL);
}

static void
start_process(VbConn *conn, VbDomainObj *dom, GTask *task)
{
    QemuPriv *priv = qemu_priv(conn);
    int id = priv->next_dom_id++;
    QemuRun *run = run_new(conn, dom, id);
    g_autofree char *log_name = g_strconcat(dom->def->name, ".log", NULL);
    g_autofree char *log_path = g_build_filename(priv->log_dir, log_name, NULL);
    g_autofree char *channel_dir = qemu_channel_dir(conn, dom->def);
    VbQemuCommandConfig command = {
        .emulator = QEMU_EMULATOR,
        .monitor_path = run->monitor_path,
        .channel_dir = channel_dir,
    };
    VbQemuProcessConfig process = {
        .monitor_path = run->monitor_path,
        .log_path = log_path,
        .pidfile = run->pidfile,
        .monitor_callbacks = &monitor_callbacks,
        .callbacks = &process_callbacks,
        .user_data = run,
    };
    GError *error = NULL;
    g_autoptr(GPtrArray) argv = NULL;
    g_autoptr(GPtrArray) ids = NULL;
    g_autoptr(GArray) passed = g_array_new(FALSE, FALSE, sizeof(int));
    g_autoptr(VbDomainDef) resolved = NULL;
    GArray *taps;
    int monitor_fd = -1;

    run->autodestroy_owner = g_strdup(((QemuJob *)g_task_get_task_data(task))->autodestroy_owner);

    if (g_mkdir_with_parents(channel_dir, 0700) < 0)
        g_warning("cannot create %s: %s", channel_dir, g_strerror(errno));
    if (!qemu_check_guest_cpu(conn, dom->def, &error)) {
        start_failed(task, g_task_get_task_data(task), error);
        return;
    }
    /* the config keeps its own definition: live-only names (taps) stay out of it */
    if (dom->persistent && !dom->new_def)
        dom->new_def = vb_domain_def_copy(dom->def);
    if (!(taps = open_taps(conn, dom->def, &error))) {
        start_failed(task, g_task_get_task_data(task), error);
        return;
    }
    /* QEMU under another user cannot create its socket in our state dir: it gets it made */
    if (priv->user && (monitor_fd = qemu_monitor_listen(run->monitor_path, &error)) < 0) {
        close_taps(taps);
        start_failed(task, g_task_get_task_data(task), error);
        return;
    }
    if (monitor_fd >= 0) {
        command.monitor_fd = monitor_fd;
        g_array_append_val(passed, monitor_fd);
    }
    command.tap_fds = (const int *)taps->data;
    command.n_tap_fds = taps->len;
    if (!(run->hostdevs = qemu_hostdev_prepare(conn, dom->def, &error))) {
        if (monitor_fd >= 0)
            close(monitor_fd);
        close_taps(taps);
        start_failed(task, g_task_get_task_data(task), error);
        return;
    }
    resolved = resolve_volumes(conn, dom->def, &error);
    if (error || !(argv = vb_qemu_command_build_with_ids(resolved ? resolved : dom->def, &command, &ids, &error)) ||
        !(run->relabeled = qemu_user_relabel(conn, resolved ? resolved : dom->def, &error))) {
        if (monitor_fd >= 0)
            close(monitor_fd);
        close_taps(taps);
        start_failed(task, g_task_get_task_data(task), error);
        return;
    }
    assign_aliases(dom->def, resolved ? resolved : dom->def, ids);
    if (((QemuJob *)g_task_get_task_data(task))->incoming_fd >= 0) {
        g_ptr_array_add(argv, g_strdup("-incoming"));
        g_ptr_array_add(argv, g_strdup("defer"));
    }
    for (guint i = 0; i < taps->len; i++) {
        if (g_array_index(taps, int, i) >= 0)
            g_array_append_val(passed, g_array_index(taps, int, i));
    }
    process.pass_fds = (const int *)passed->data;
    process.n_pass_fds = passed->len;
    qemu_user_set_credentials(conn, &process);
    g_object_set_data(G_OBJECT(task), "id", GINT_TO_POINTER(id));
    vb_qemu_process_start(argv, &process, NULL, on_started, task);
    if (monitor_fd >= 0)
        close(monitor_fd);
    close_taps(taps);    /* QEMU holds them now (they were duplicated into it at spawn) */
}

void
qemu_domain_create_async(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task)
{
    GError *error = NULL;

    if (!vb_check_flags(flags, VB_START_PAUSED | VB_START_AUTODESTROY | VB_START_FORCE_BOOT,
                        "virDomainCreateWithFlags", &error) ||
        !begin_job(conn, dom, FALSE, &error)) {
        end_job(NULL, task, error);
        return;
    }
    if (dom->has_managed_save && !(flags & VB_START_FORCE_BOOT)) {
        qemu_domain_start_managed_save(conn, dom, flags, task);
        return;
    }
    if (dom->has_managed_save && !qemu_domain_managed_save_remove(conn, dom, 0, &error)) {
        end_job(NULL, task, error);
        return;
    }
    g_task_set_task_data(task, job_new(conn, dom, flags), (GDestroyNotify)job_free);
    job_take_autodestroy_owner(g_task_get_task_data(task), conn, flags);
    start_process(conn, dom, task);
}

/* A definition that runs now: it takes over an inactive domain with its UUID (whose config
 * stays) or becomes a new transient domain, dropped again if the start fails. */
static QemuJob *
live_job_new(VbConn *conn, VbDomainObj *dom, VbDomainDef *def, guint flags, GError **error)
{
    QemuJob *job;

    if (dom) {
        VbDomainDef *config;

        if (!begin_job(conn, dom, FALSE, error)) {
            vb_domain_def_free(def);
            return NULL;
        }
        config = vb_domain_def_copy(dom->def);
        vb_conn_domain_replace_def(conn, dom, def);
        if (dom->persistent && !dom->new_def)
            dom->new_def = config;
        else
            vb_domain_def_free(config);
        return job_new(conn, dom, flags);
    }
    dom = vb_domain_obj_new(def);
    vb_conn_domain_add(conn, dom);
    job = job_new(conn, dom, flags);
    job->transient_on_failure = TRUE;
    return job;
}

void
qemu_domain_create_xml_async(VbConn *conn, const char *xml, guint flags, GTask *task)
{
    g_autoptr(VbDomainDef) def = NULL;
    VbDomainObj *dom;
    QemuJob *job;
    GError *error = NULL;

    if (!vb_check_flags(flags, VB_START_PAUSED | VB_START_AUTODESTROY | VB_START_VALIDATE, "virDomainCreateXML",
                        &error) ||
        !(def = vb_domain_def_parse(xml, (flags & VB_START_VALIDATE) ? VB_DOMAIN_PARSE_VALIDATE : 0, &error)) ||
        !qemu_domain_post_parse(def, &error) ||
        !vb_conn_domain_check_duplicate(conn, def, TRUE, &dom, &error)) {
        end_job(NULL, task, error);
        return;
    }
    if (!(job = live_job_new(conn, dom, g_steal_pointer(&def), flags, &error))) {
        end_job(NULL, task, error);
        return;
    }
    job->create_xml = TRUE;
    job_take_autodestroy_owner(job, conn, flags);
    g_task_set_task_data(task, job, (GDestroyNotify)job_free);
    start_process(conn, vb_obj_list_by_key(conn->domains, job->uuid), task);
}

void
qemu_domain_start_saved(VbConn *conn, VbDomainDef *def, int fd, guint start_flags, const char *image_to_discard,
                        GTask *task)
{
    g_autoptr(VbDomainDef) owned = def;
    VbDomainObj *dom;
    QemuJob *job;
    GError *error = NULL;

    if (!qemu_domain_post_parse(owned, &error) ||
        !vb_conn_domain_check_duplicate(conn, owned, TRUE, &dom, &error) ||
        !(job = live_job_new(conn, dom, g_steal_pointer(&owned), start_flags, &error))) {
        close(fd);
        end_job(NULL, task, error);
        return;
    }
    job->incoming_fd = fd;
    job->started_reason = VB_RUNNING_RESTORED;
    job->started_detail = VB_EVENT_STARTED_RESTORED;
    job->discard_on_success = g_strdup(image_to_discard);
    g_task_set_task_data(task, job, (GDestroyNotify)job_free);
    start_process(conn, vb_obj_list_by_key(conn->domains, job->uuid), task);
}

/* ---- a QEMU left running by an earlier daemon ---- */

/* Its pid could have been reused: the process must be the QEMU of this domain (its argv
 * carries the UUID). */
static gboolean
pid_runs_domain(GPid pid, const char *uuid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/cmdline", (int)pid);
    g_autofree char *cmdline = NULL;
    gsize len = 0;

    if (pid <= 0 || !g_file_get_contents(path, &cmdline, &len, NULL))
        return FALSE;
    for (gsize i = 0; i + 1 < len; i++) {
        if (cmdline[i] == '\0')
            cmdline[i] = ' ';
    }
    return strstr(cmdline, uuid) != NULL;
}

/* Re-attaching ends once block jobs that ended meanwhile are settled. */
static void
on_jobs_settled(VbConn *conn, const char *uuid, GError *error, gpointer user_data)
{
    QemuJob *job = user_data;
    QemuRun *run = run_lookup(conn, uuid);

    if (error)
        g_message("domain %s: cannot list QEMU's block jobs: %s", uuid, error->message);
    g_clear_error(&error);
    if (run)
        run->busy = FALSE;
    qemu_priv(conn)->recovering--;
    job_free(job);
}

/* The guest may have paused, resumed or shut down while nobody watched. */
static void
on_status_synced(GObject *source, GAsyncResult *result, gpointer user_data)
{
    QemuJob *job = user_data;
    QemuRun *run = run_lookup(job->conn, job->uuid);
    VbDomainObj *dom = run ? run_domain(run) : NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) reply =
        vb_qemu_monitor_execute_finish((VbQemuMonitor *)source, result, &error);
    JsonObject *status = reply && JSON_NODE_HOLDS_OBJECT(reply) ? json_node_get_object(reply) : NULL;
    g_autoptr(JsonObject) empty = json_object_new();

    if (status && dom) {
        const char *name = json_object_get_string_member_with_default(status, "status", "");

        if (g_str_equal(name, "shutdown"))
            on_shutdown(run, dom, empty);
        else if (json_object_get_boolean_member_with_default(status, "running", FALSE))
            on_resume(run, dom);
        else
            on_stop(run, dom);
    }
    if (run) {
        qemu_blockjob_reconcile(run, on_jobs_settled, job);
        return;
    }
    qemu_priv(job->conn)->recovering--;
    job_free(job);
}

/* Reported from the main loop, once the connection's events reach the bus. */
static gboolean
report_gone(gpointer user_data)
{
    QemuJob *job = user_data;
    QemuRun *run = run_lookup(job->conn, job->uuid);

    if (run)
        run_stopped(run, VB_SHUTOFF_CRASHED, VB_EVENT_STOPPED_FAILED);
    qemu_priv(job->conn)->recovering--;
    return G_SOURCE_REMOVE;
}

static void
on_reattached(GObject *source, GAsyncResult *result, gpointer user_data)
{
    QemuJob *job = user_data;
    QemuRun *run = run_lookup(job->conn, job->uuid);
    g_autoptr(GError) error = NULL;
    VbQemuProcess *proc = vb_qemu_process_attach_finish(result, &error);

    run->starting = FALSE;
    if (!proc) {
        g_message("domain %s: its QEMU is gone (%s)", job->uuid, error->message);
        run_stopped(run, VB_SHUTOFF_CRASHED, VB_EVENT_STOPPED_FAILED);
        qemu_priv(job->conn)->recovering--;
        job_free(job);
        return;
    }
    run->proc = proc;
    vb_qemu_monitor_execute(vb_qemu_process_get_monitor(proc), "query-status", NULL, NULL, on_status_synced, job);
}

void
qemu_run_reattach(VbConn *conn, VbDomainObj *dom, GPid pid, const char *monitor_path, GArray *relabeled,
                  GPtrArray *hostdevs, GHashTable *block_jobs)
{
    QemuRun *run = run_new(conn, dom, dom->id);
    VbQemuProcessConfig process = {
        .monitor_path = monitor_path,
        .monitor_callbacks = &monitor_callbacks,
        .callbacks = &process_callbacks,
        .user_data = run,
    };
    QemuJob *job = job_new(conn, dom, 0);

    g_free(run->monitor_path);
    run->monitor_path = g_strdup(monitor_path);
    run->relabeled = relabeled;
    run->hostdevs = hostdevs;
    run->block_jobs = block_jobs;
    qemu_priv(conn)->recovering++;
    if (!pid_runs_domain(pid, dom->def->uuid)) {
        g_message("domain %s: QEMU (pid %d) is gone", dom->def->name, (int)pid);
        run->starting = FALSE;
        g_idle_add_full(G_PRIORITY_DEFAULT, report_gone, job, (GDestroyNotify)job_free);
        return;
    }
    vb_qemu_process_attach(pid, &process, NULL, on_reattached, job);
}

/* ---- jobs on a running domain ---- */

static void
on_destroyed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    QemuJob *job = g_task_get_task_data(task);
    QemuRun *run = run_lookup(job->conn, job->uuid);
    GError *error = NULL;

    if (!vb_qemu_process_kill_finish((VbQemuProcess *)source, result, &error)) {
        if (run)
            run->destroying = FALSE;
        end_job(run, task, error);
        return;
    }
    if (run)
        run_stopped(run, VB_SHUTOFF_DESTROYED, VB_EVENT_STOPPED_DESTROYED);
    end_job(NULL, task, NULL);
}

void
qemu_domain_destroy_async(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task)
{
    GError *error = NULL;
    QemuRun *run;

    if (!vb_check_flags(flags, VB_DESTROY_GRACEFUL, "virDomainDestroyFlags", &error) ||
        !begin_job(conn, dom, TRUE, &error)) {
        end_job(NULL, task, error);
        return;
    }
    run = run_lookup(conn, dom->def->uuid);
    run_set_busy(run);
    run->destroying = TRUE;
    g_task_set_task_data(task, job_new(conn, dom, flags), (GDestroyNotify)job_free);
    vb_qemu_process_kill(run->proc, (flags & VB_DESTROY_GRACEFUL) ? G_MAXUINT : QEMU_KILL_GRACE_MS, NULL,
                         on_destroyed, task);
}

static void
on_command_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    QemuJob *job = g_task_get_task_data(task);
    QemuRun *run = run_lookup(job->conn, job->uuid);
    VbDomainObj *dom = run ? run_domain(run) : NULL;
    GError *error = NULL;
    g_autoptr(JsonNode) reply G_GNUC_UNUSED =
        vb_qemu_monitor_execute_finish((VbQemuMonitor *)source, result, &error);
    const char *command = g_task_get_name(task);

    /* the STOP/RESUME event may come before or after the reply: whichever is first records it */
    if (!error && dom && g_str_equal(command, "stop"))
        on_stop(run, dom);
    else if (!error && dom && g_str_equal(command, "cont"))
        on_resume(run, dom);
    end_job(run, task, error);
}

static void
monitor_job(VbConn *conn, VbDomainObj *dom, const char *command, GTask *task)
{
    GError *error = NULL;
    QemuRun *run;

    if (!begin_job(conn, dom, TRUE, &error)) {
        end_job(NULL, task, error);
        return;
    }
    run = run_lookup(conn, dom->def->uuid);
    run_set_busy(run);
    g_task_set_name(task, command);
    g_task_set_task_data(task, job_new(conn, dom, 0), (GDestroyNotify)job_free);
    vb_qemu_monitor_execute(vb_qemu_process_get_monitor(run->proc), command, NULL, NULL, on_command_done, task);
}

void
qemu_domain_suspend_async(VbConn *conn, VbDomainObj *dom, GTask *task)
{
    QemuRun *run = run_lookup(conn, dom->def->uuid);

    if (run && !run->busy && dom->state == VB_DOMAIN_PAUSED) {
        end_job(NULL, task, NULL);   /* libvirt: suspending a paused domain succeeds */
        return;
    }
    if (run && !run->busy)
        run->pause_reason = VB_PAUSED_USER;
    monitor_job(conn, dom, "stop", task);
}

void
qemu_domain_resume_async(VbConn *conn, VbDomainObj *dom, GTask *task)
{
    if (vb_domain_obj_is_active(dom) && dom->state != VB_DOMAIN_PAUSED) {
        fail_job(task, VB_ERR_OPERATION_INVALID, "domain is not paused");
        return;
    }
    monitor_job(conn, dom, "cont", task);
}

/* ---- Shutdown and Reboot: through the guest agent, or the ACPI power button ---- */

#define POWER_FLAGS (VB_SHUTDOWN_ACPI_POWER_BTN | VB_SHUTDOWN_GUEST_AGENT)   /* the reboot flags have the same values */

static void
acpi_power_button(VbConn *conn, QemuRun *run, gboolean reboot, GTask *task)
{
    if (reboot && !run->busy)
        run->fake_reboot = TRUE;
    run_set_busy(run);
    g_task_set_name(task, "system_powerdown");
    vb_qemu_monitor_execute(vb_qemu_process_get_monitor(run->proc), "system_powerdown", NULL, NULL, on_command_done,
                            task);
}

static void
on_agent_power(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    QemuJob *job = g_task_get_task_data(task);
    QemuRun *run = run_lookup(job->conn, job->uuid);
    GError *error = NULL;
    JsonNode *reply = qemu_agent_execute_finish(result, &error);
    gboolean reboot = g_strcmp0(g_task_get_name(task), "reboot") == 0;

    if (reply)
        json_node_unref(reply);
    /* neither mode asked for: the power button when the agent does not answer (libvirt's fallback) */
    if (error && !(job->flags & POWER_FLAGS) && run && run->proc) {
        g_debug("domain %s: the guest agent failed (%s); using ACPI", job->uuid, error->message);
        g_clear_error(&error);
        run->busy = FALSE;
        acpi_power_button(job->conn, run, reboot, task);
        return;
    }
    end_job(run, task, error);
}

/* libvirt's choice: the agent when asked for, or by default when the guest has one configured;
 * else the ACPI power button. */
static void
power_job(VbConn *conn, VbDomainObj *dom, guint flags, gboolean reboot, GTask *task)
{
    const char *api = reboot ? "virDomainReboot" : "virDomainShutdownFlags";
    g_autofree char *channel_dir = NULL;
    g_autofree char *agent = NULL;
    g_autoptr(JsonObject) args = NULL;
    GError *error = NULL;
    QemuRun *run;

    if (!vb_check_flags(flags, POWER_FLAGS, api, &error) || !begin_job(conn, dom, TRUE, &error)) {
        end_job(NULL, task, error);
        return;
    }
    run = run_lookup(conn, dom->def->uuid);
    g_task_set_task_data(task, job_new(conn, dom, flags), (GDestroyNotify)job_free);
    channel_dir = qemu_channel_dir(conn, dom->def);
    agent = qemu_agent_socket(dom->def, channel_dir);
    if ((flags & VB_SHUTDOWN_GUEST_AGENT) && (!agent || run->agent_state == 2)) {
        if (!agent)
            vb_set_error(&error, VB_ERR_ARGUMENT_UNSUPPORTED, "%s", "QEMU guest agent is not configured");
        else
            vb_set_error(&error, VB_ERR_AGENT_UNRESPONSIVE, "%s", "QEMU guest agent is not connected");
        end_job(run, task, error);
        return;
    }
    /* by default an agent whose port the guest has closed is not waited for */
    if (!agent || (flags & VB_SHUTDOWN_ACPI_POWER_BTN) || (!(flags & POWER_FLAGS) && run->agent_state == 2)) {
        acpi_power_button(conn, run, reboot, task);
        return;
    }
    run_set_busy(run);
    g_task_set_name(task, reboot ? "reboot" : "powerdown");
    args = json_object_new();
    json_object_set_string_member(args, "mode", reboot ? "reboot" : "powerdown");
    qemu_agent_execute(agent, "guest-shutdown", args, FALSE, on_agent_power, task);
}

void
qemu_domain_shutdown_async(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task)
{
    power_job(conn, dom, flags, FALSE, task);
}

void
qemu_domain_reset_async(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task)
{
    GError *error = NULL;

    if (!vb_check_flags(flags, 0, "virDomainReset", &error)) {
        end_job(NULL, task, error);
        return;
    }
    monitor_job(conn, dom, "system_reset", task);
}

/* ---- reboot: libvirt's fake reboot (ACPI power off, then reset and continue) ---- */

static void
on_reboot_cont(GObject *source, GAsyncResult *result, gpointer user_data)
{
    QemuJob *job = user_data;
    QemuRun *run = run_lookup(job->conn, job->uuid);
    VbDomainObj *dom = run ? run_domain(run) : NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) reply G_GNUC_UNUSED = vb_qemu_monitor_execute_finish(NULL, result, &error);

    if (run)
        run->rebooting = FALSE;
    if (error) {
        g_warning("domain %s: cannot continue after the reboot: %s", job->uuid, error->message);
    } else if (dom) {
        vb_domain_obj_set_state(dom, VB_DOMAIN_RUNNING, VB_RUNNING_BOOTED);
        qemu_status_save(run->conn, dom, run);
    }
    job_free(job);
}

static void
on_reboot_reset(GObject *source, GAsyncResult *result, gpointer user_data)
{
    QemuJob *job = user_data;
    QemuRun *run = run_lookup(job->conn, job->uuid);
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) reply G_GNUC_UNUSED = vb_qemu_monitor_execute_finish(NULL, result, &error);

    if (!run || error) {
        if (error)
            g_warning("domain %s: cannot reset for the reboot: %s", job->uuid, error->message);
        if (run)
            run->rebooting = FALSE;
        job_free(job);
        return;
    }
    vb_qemu_monitor_execute(vb_qemu_process_get_monitor(run->proc), "cont", NULL, NULL, on_reboot_cont, job);
}

static void
fake_reboot(QemuRun *run)
{
    run->fake_reboot = FALSE;
    run->rebooting = TRUE;
    vb_qemu_monitor_execute(vb_qemu_process_get_monitor(run->proc), "system_reset", NULL, NULL, on_reboot_reset,
                            job_new(run->conn, run_domain(run), 0));
}

void
qemu_domain_reboot_async(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task)
{
    power_job(conn, dom, flags, TRUE, task);
}

/* ---- AUTODESTROY ---- */

static void
on_autodestroyed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autofree char *name = user_data;
    g_autoptr(GError) error = NULL;

    if (!g_task_propagate_boolean(G_TASK(result), &error))
        g_warning("cannot destroy domain '%s' whose client left: %s", name, error->message);
}

static void
autodestroy(VbConn *conn, const char *uuid)
{
    VbDomainObj *dom = vb_obj_list_by_key(conn->domains, uuid);

    if (!dom)
        return;
    g_message("destroying domain '%s': the client that started it with AUTODESTROY left", dom->def->name);
    qemu_domain_destroy_async(conn, dom, 0, g_task_new(NULL, NULL, on_autodestroyed, g_strdup(dom->def->name)));
}

typedef struct {
    VbConn *conn;
    char *uuid;
} Orphan;

static gboolean
autodestroy_orphan(gpointer user_data)
{
    Orphan *orphan = user_data;
    QemuRun *run = run_lookup(orphan->conn, orphan->uuid);

    if (run && !run->busy && !run->destroying)
        autodestroy(orphan->conn, orphan->uuid);
    g_free(orphan->uuid);
    g_free(orphan);
    return G_SOURCE_REMOVE;
}

/* The owner left while a job (its own Create, say) ran: the guest goes once the job is done. */
static void
autodestroy_if_orphaned(QemuRun *run)
{
    Orphan *orphan;

    if (!run->owner_gone || run->destroying)
        return;
    run->owner_gone = FALSE;
    orphan = g_new0(Orphan, 1);
    orphan->conn = run->conn;
    orphan->uuid = g_strdup(run->uuid);
    g_idle_add(autodestroy_orphan, orphan);   /* after the job's reply */
}

void
qemu_client_gone(VbConn *conn, const char *name)
{
    g_autoptr(GPtrArray) doomed = g_ptr_array_new_with_free_func(g_free);
    GHashTableIter iter;
    QemuRun *run;

    g_hash_table_iter_init(&iter, qemu_priv(conn)->runs);
    while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&run)) {
        if (g_strcmp0(run->autodestroy_owner, name) != 0 || run->destroying)
            continue;
        if (run->busy)
            run->owner_gone = TRUE;
        else
            g_ptr_array_add(doomed, g_strdup(run->uuid));
    }
    for (guint i = 0; i < doomed->len; i++)
        autodestroy(conn, g_ptr_array_index(doomed, i));
}

/* ---- autostart ---- */

static void
on_autostarted(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autofree char *name = user_data;
    g_autoptr(GError) error = NULL;

    if (!g_task_propagate_boolean(G_TASK(result), &error))
        g_warning("cannot autostart domain '%s': %s", name, error->message);
}

/* Runs from the main loop, so the starts' events reach the bus. */
static gboolean
autostart_idle(gpointer user_data)
{
    VbConn *conn = user_data;
    QemuPriv *priv = qemu_priv(conn);
    g_autofree char *marker = g_build_filename(priv->state_dir, "autostarted", NULL);
    g_autoptr(GPtrArray) domains = NULL;

    priv->autostart_source = 0;
    if (g_file_test(marker, G_FILE_TEST_EXISTS))
        return G_SOURCE_REMOVE;
    g_file_set_contents(marker, "", 0, NULL);
    domains = vb_obj_list_values(conn->domains);
    for (guint i = 0; i < domains->len; i++) {
        VbDomainObj *dom = g_ptr_array_index(domains, i);

        if (dom->autostart && !vb_domain_obj_is_active(dom))
            qemu_domain_create_async(conn, dom, 0, g_task_new(NULL, NULL, on_autostarted, g_strdup(dom->def->name)));
    }
    return G_SOURCE_REMOVE;
}

void
qemu_autostart(VbConn *conn)
{
    qemu_priv(conn)->autostart_source = g_idle_add(autostart_idle, conn);
}

gboolean
qemu_recovering(VbConn *conn)
{
    return qemu_priv(conn)->recovering > 0;
}

/* ---- facts of a running domain ---- */

/* User plus system time of the QEMU process (libvirt's cpuTime), 0 when unknown. */
guint64
qemu_domain_cpu_time_ns(VbConn *conn, VbDomainObj *dom)
{
    QemuRun *run = run_lookup(conn, dom->def->uuid);
    g_autofree char *path = NULL;
    g_autofree char *stat = NULL;
    g_auto(GStrv) fields = NULL;
    const char *after_name;

    if (!run || !run->proc)
        return 0;
    path = g_strdup_printf("/proc/%d/stat", (int)vb_qemu_process_get_pid(run->proc));
    /* the command name may hold spaces: fields start after its closing parenthesis */
    if (!g_file_get_contents(path, &stat, NULL, NULL) || !(after_name = strrchr(stat, ')')))
        return 0;
    fields = g_strsplit(after_name + 2, " ", 16);
    if (g_strv_length(fields) < 14)
        return 0;
    /* fields[11] and [12] are utime and stime (the 14th and 15th of the whole line) */
    return (g_ascii_strtoull(fields[11], NULL, 10) + g_ascii_strtoull(fields[12], NULL, 10)) *
           (G_USEC_PER_SEC * 1000 / (guint64)sysconf(_SC_CLK_TCK));
}
