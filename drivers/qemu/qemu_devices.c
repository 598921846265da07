/* qemu_devices.c: AttachDevice / DetachDevice, on the persistent definition (AFFECT_CONFIG) and
 * into a running QEMU (AFFECT_LIVE: disks and interfaces).
 *
 * A live attach turns the device into the options the argv builder would give it and replays
 * them over QMP (blockdev-add, getfd + netdev_add, device_add), undoing the steps done when one
 * fails. A live detach asks QEMU to unplug (device_del) and waits for DEVICE_DELETED: the guest
 * must let go of the device first. As in libvirt, the call returns after at most
 * QEMU_UNPLUG_WAIT_MS even when the guest has not answered; the removal then finishes whenever
 * QEMU reports it, and DeviceRemoved tells clients. */
#include <string.h>
#include <unistd.h>

#include "drivers/qemu/qemu_command.h"
#include "drivers/qemu/qemu_private.h"

#define DEVICE_FLAGS (VB_AFFECT_LIVE | VB_AFFECT_CONFIG)
#define QEMU_UNPLUG_WAIT_MS 5000     /* libvirt's wait for DEVICE_DELETED */

/* One <device> element, through the domain parser (there is no second parser): it is parsed
 * inside a throwaway domain, so it gets the same checks and defaults (a MAC, for instance). */
static VbDeviceDef *
parse_device(const char *xml, GError **error)
{
    g_autofree char *wrapped = g_strdup_printf("<domain type='qemu'><name>device</name><memory>1024</memory>"
                                               "<os><type>hvm</type></os><devices>%s</devices></domain>", xml);
    g_autoptr(VbDomainDef) holder = NULL;

    if (strstr(xml, "<?xml") || strstr(xml, "<!")) {
        vb_set_error(error, VB_ERR_XML_ERROR, "%s", "a device description is one element, without a prolog");
        return NULL;
    }
    if (!(holder = vb_domain_def_parse(wrapped, 0, error)))
        return NULL;
    if (holder->devices->len != 1) {
        vb_set_error(error, VB_ERR_XML_ERROR, "expected one device element, found %u", holder->devices->len);
        return NULL;
    }
    return g_ptr_array_steal_index(holder->devices, 0);
}

/* The device of @def that @dev names: a disk by its target, an interface by its MAC, anything
 * else by its whole element. -1 when there is none. */
static int
find_device(const VbDomainDef *def, const VbDeviceDef *dev)
{
    for (guint i = 0; i < def->devices->len; i++) {
        const VbDeviceDef *cur = g_ptr_array_index(def->devices, i);

        if (cur->kind != dev->kind)
            continue;
        if (dev->disk ? g_strcmp0(cur->disk->target_dev, dev->disk->target_dev) == 0
            : dev->net ? g_ascii_strcasecmp(cur->net->mac, dev->net->mac) == 0
            : g_strcmp0(cur->xml, dev->xml) == 0)
            return (int)i;
    }
    return -1;
}

static VbDeviceDef *
device_copy(const VbDeviceDef *dev)
{
    g_autofree char *xml = vb_device_def_format(dev, VB_DOMAIN_XML_SECURE);
    g_autoptr(GError) error = NULL;
    VbDeviceDef *copy = parse_device(xml, &error);

    if (!copy)
        g_error("a formatted device does not parse back: %s", error->message);
    return copy;
}

static gboolean
refuse_existing(const VbDomainDef *def, const VbDeviceDef *dev, GError **error)
{
    if (find_device(def, dev) < 0)
        return TRUE;
    vb_set_error(error, VB_ERR_OPERATION_INVALID, "%s %s already exists",
                 dev->disk ? "target" : dev->net ? "mac address" : "device",
                 dev->disk ? dev->disk->target_dev : dev->net ? dev->net->mac : "");
    return FALSE;
}

/* @dev added beside its own kind, where libvirt writes it. */
static void
insert_device(VbDomainDef *def, VbDeviceDef *dev)
{
    int at = -1;

    for (guint i = 0; i < def->devices->len; i++) {
        if (((VbDeviceDef *)g_ptr_array_index(def->devices, i))->kind == dev->kind)
            at = (int)i;
    }
    g_ptr_array_insert(def->devices, at < 0 ? -1 : at + 1, dev);
}

static const char *
device_alias(const VbDeviceDef *dev)
{
    return dev->disk ? dev->disk->alias : dev->net ? dev->net->alias : NULL;
}

/* ---- the persistent definition ---- */

/* The persistent definition with @dev attached (@attach) or detached, not saved yet. */
static VbDomainDef *
config_with_change(const VbDomainDef *config, const VbDeviceDef *dev, gboolean attach, GError **error)
{
    g_autoptr(VbDomainDef) updated = vb_domain_def_copy(config);
    int at = find_device(updated, dev);

    if (attach) {
        if (!refuse_existing(updated, dev, error))
            return NULL;
        insert_device(updated, device_copy(dev));
    } else {
        if (at < 0) {
            vb_set_error(error, VB_ERR_DEVICE_MISSING, "%s",
                         "no matching device found in the domain configuration");
            return NULL;
        }
        g_ptr_array_remove_index(updated->devices, (guint)at);
    }
    return g_steal_pointer(&updated);
}

static gboolean
save_config(VbConn *conn, VbDomainObj *dom, VbDomainDef *updated, GError **error)
{
    if (!qemu_domain_save_config(conn, updated, error)) {
        vb_domain_def_free(updated);
        return FALSE;
    }
    vb_conn_domain_define(conn, dom, updated);
    return TRUE;
}

/* ---- QMP steps ---- */

typedef struct {
    char *command;
    JsonObject *args;
    int fd;                  /* >= 0: sent along (getfd) */
} QmpStep;

static void
qmp_step_free(QmpStep *step)
{
    if (!step)
        return;
    g_free(step->command);
    if (step->args)
        json_object_unref(step->args);
    g_free(step);
}

static QmpStep *
qmp_step_new(const char *command, JsonObject *args)
{
    QmpStep *step = g_new0(QmpStep, 1);

    step->command = g_strdup(command);
    step->args = args ? args : json_object_new();
    step->fd = -1;
    return step;
}

static QmpStep *
qmp_step_with_id(const char *command, const char *key, const char *id)
{
    JsonObject *args = json_object_new();

    json_object_set_string_member(args, key, id);
    return qmp_step_new(command, args);
}

typedef struct _DeviceJob {
    VbConn *conn;
    char *uuid;
    GTask *task;             /* the caller's, answered through qemu_job_end */
    gboolean began;
    GPtrArray *steps;        /* QmpStep, in order */
    GPtrArray *undo;         /* QmpStep per step done, run backwards when a later one fails */
    guint next;
    GError *error;           /* the failure being undone */
    VbDeviceDef *dev;        /* attach: the device as the live definition will hold it */
    VbDomainDef *config;     /* the persistent definition to save at the end, or NULL */
    VbDomainObj *dom_for_config;
    GArray *relabeled;       /* attach: the files handed to QEMU's user for the device */
    int tap_fd;
    char *id;                /* the device's QEMU id */
    char *old_node;          /* a media change: the format node of the medium taken out, or NULL */
    void (*finish)(struct _DeviceJob *job);   /* after the last step; NULL: an attach's */
} DeviceJob;

static void
device_job_free(DeviceJob *job)
{
    g_ptr_array_unref(job->steps);
    g_ptr_array_unref(job->undo);
    g_clear_error(&job->error);
    if (job->dev)
        vb_device_def_free(job->dev);
    if (job->config)
        vb_domain_def_free(job->config);
    qemu_user_restore(job->relabeled);
    if (job->tap_fd >= 0)
        close(job->tap_fd);
    g_free(job->id);
    g_free(job->old_node);
    g_free(job->uuid);
    g_free(job);
}

static DeviceJob *
device_job_new(VbConn *conn, VbDomainObj *dom, GTask *task)
{
    DeviceJob *job = g_new0(DeviceJob, 1);

    job->conn = conn;
    job->uuid = g_strdup(dom->def->uuid);
    job->task = task;
    job->steps = g_ptr_array_new_with_free_func((GDestroyNotify)qmp_step_free);
    job->undo = g_ptr_array_new_with_free_func((GDestroyNotify)qmp_step_free);
    job->tap_fd = -1;
    return job;
}

/* Answers the caller (@error taken, or success) and frees the domain for the next job. */
static void
device_job_end(DeviceJob *job, GError *error)
{
    qemu_job_end(job->began ? qemu_run_lookup(job->conn, job->uuid) : NULL, job->task, error);
    device_job_free(job);
}

/* The live part is done: the persistent definition follows, then the caller is answered. */
static void
device_job_finish(DeviceJob *job)
{
    VbDomainObj *dom = vb_obj_list_by_key(job->conn->domains, job->uuid);
    GError *error = NULL;

    if (job->config && dom)
        save_config(job->conn, dom, g_steal_pointer(&job->config), &error);
    device_job_end(job, error);
}

static VbQemuMonitor *
job_monitor(DeviceJob *job)
{
    QemuRun *run = qemu_run_lookup(job->conn, job->uuid);

    return run && run->proc ? vb_qemu_process_get_monitor(run->proc) : NULL;
}

static void run_next_step(DeviceJob *job);
static void run_undo(DeviceJob *job);
static void attach_finish(DeviceJob *job);

static void
on_step_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    DeviceJob *job = user_data;
    GError *error = NULL;
    JsonNode *reply = vb_qemu_monitor_execute_finish(NULL, result, &error);

    if (reply)
        json_node_unref(reply);
    if (job->error) {            /* undoing: what fails there is only logged */
        if (error)
            g_warning("undoing a device attach: %s", error->message);
        g_clear_error(&error);
        run_undo(job);
        return;
    }
    if (error) {
        job->error = error;
        run_undo(job);
        return;
    }
    job->next++;
    run_next_step(job);
}

static void
send_step(DeviceJob *job, QmpStep *step)
{
    VbQemuMonitor *mon = job_monitor(job);

    if (!mon) {
        if (!job->error)
            vb_set_error(&job->error, VB_ERR_OPERATION_FAILED, "%s", "domain is no longer running");
        device_job_end(job, g_steal_pointer(&job->error));
        return;
    }
    if (step->fd >= 0)
        vb_qemu_monitor_execute_with_fd(mon, step->command, step->args, step->fd, NULL, on_step_done, job);
    else
        vb_qemu_monitor_execute(mon, step->command, step->args, NULL, on_step_done, job);
}

static void
run_undo(DeviceJob *job)
{
    if (job->undo->len == 0 || job->next == 0) {
        device_job_end(job, g_steal_pointer(&job->error));
        return;
    }
    job->next--;
    if (!g_ptr_array_index(job->undo, job->next)) {
        run_undo(job);
        return;
    }
    send_step(job, g_ptr_array_index(job->undo, job->next));
}

static void
run_next_step(DeviceJob *job)
{
    if (job->next == job->steps->len) {
        if (job->finish)
            job->finish(job);
        else
            attach_finish(job);
        return;
    }
    send_step(job, g_ptr_array_index(job->steps, job->next));
}

/* ---- live attach ---- */

/* "virtio-net-pci,netdev=hostnet1,id=net1" -> {"driver": "virtio-net-pci", "netdev": ...}:
 * QEMU's option syntax, where ",," is a comma inside a value. */
static JsonObject *
opts_to_json(const char *opts, const char *first_key)
{
    JsonObject *obj = json_object_new();
    g_autoptr(GString) item = g_string_new(NULL);

    for (const char *p = opts;; p++) {
        if (*p == ',' && p[1] == ',') {
            g_string_append_c(item, ',');
            p++;
            continue;
        }
        if (*p && *p != ',') {
            g_string_append_c(item, *p);
            continue;
        }
        const char *eq = strchr(item->str, '=');
        if (eq) {
            g_autofree char *key = g_strndup(item->str, (gsize)(eq - item->str));
            json_object_set_string_member(obj, key, eq + 1);
        } else if (item->len) {
            json_object_set_string_member(obj, first_key, item->str);
        }
        g_string_truncate(item, 0);
        if (!*p)
            break;
    }
    return obj;
}

/* The undo step for a step of the attach (NULL: nothing to undo). */
static QmpStep *
undo_for(const QmpStep *step)
{
    if (g_str_equal(step->command, "blockdev-add"))
        return qmp_step_with_id("blockdev-del", "node-name", json_object_get_string_member(step->args, "node-name"));
    if (g_str_equal(step->command, "getfd"))
        return qmp_step_with_id("closefd", "fdname", json_object_get_string_member(step->args, "fdname"));
    if (g_str_equal(step->command, "netdev_add"))
        return qmp_step_with_id("netdev_del", "id", json_object_get_string_member(step->args, "id"));
    return NULL;
}

static void
add_step(DeviceJob *job, QmpStep *step)
{
    g_ptr_array_add(job->undo, undo_for(step));
    g_ptr_array_add(job->steps, step);
}

static gboolean
add_netdev_steps(DeviceJob *job, const char *opts)
{
    JsonObject *args = opts_to_json(opts, "type");
    const char *id = json_object_get_string_member_with_default(args, "id", "");

    if (json_object_has_member(args, "fd")) {
        g_autofree char *fdname = g_strconcat("fd-", id, NULL);
        QmpStep *getfd = qmp_step_with_id("getfd", "fdname", fdname);

        getfd->fd = job->tap_fd;
        add_step(job, getfd);
        json_object_set_string_member(args, "fd", fdname);
    }
    add_step(job, qmp_step_new("netdev_add", args));
    return TRUE;
}

/* The QMP steps for the builder's options. */
static gboolean
add_steps(DeviceJob *job, GPtrArray *options, GError **error)
{
    for (guint i = 0; i + 1 < options->len; i += 2) {
        const char *option = g_ptr_array_index(options, i);
        const char *value = g_ptr_array_index(options, i + 1);

        if (g_str_equal(option, "-blockdev")) {
            g_autoptr(JsonNode) node = json_from_string(value, error);
            if (!node)
                return FALSE;
            add_step(job, qmp_step_new("blockdev-add", json_object_ref(json_node_get_object(node))));
        } else if (g_str_equal(option, "-netdev")) {
            add_netdev_steps(job, value);
        } else {
            add_step(job, qmp_step_new("device_add", opts_to_json(value, "driver")));
        }
    }
    return TRUE;
}

/* The live definition's disk and interface ids are their aliases, set at start. */
static guint
free_net_index(const VbDomainDef *def)
{
    for (guint n = 0;; n++) {
        g_autofree char *id = g_strdup_printf("net%u", n);
        gboolean used = FALSE;

        for (guint i = 0; i < def->devices->len && !used; i++)
            used = g_strcmp0(device_alias(g_ptr_array_index(def->devices, i)), id) == 0;
        if (!used)
            return n;
    }
}

/* The device as QEMU opens it: a volume disk becomes its file. */
static VbDeviceDef *
device_for_qemu(VbConn *conn, const VbDeviceDef *dev, GError **error)
{
    VbDeviceDef *copy = device_copy(dev);
    const char *path;

    if (!copy->disk || g_strcmp0(copy->disk->type, "volume") != 0)
        return copy;
    if (!(path = qemu_volume_path(conn, copy->disk, error))) {
        vb_device_def_free(copy);
        return NULL;
    }
    g_free(copy->disk->type);
    copy->disk->type = g_strdup("file");
    g_free(copy->disk->source_file);
    copy->disk->source_file = g_strdup(path);
    g_clear_pointer(&copy->disk->source_pool, g_free);
    g_clear_pointer(&copy->disk->source_volume, g_free);
    return copy;
}

static GArray *
relabel_device(VbConn *conn, VbDeviceDef *dev, GError **error)
{
    g_autoptr(GPtrArray) devices = g_ptr_array_new();
    VbDomainDef holder = { .devices = devices };

    g_ptr_array_add(devices, dev);
    return qemu_user_relabel(conn, &holder, error);
}

/* The options the builder gives @qemu_dev in @def; its tap (when it needs one) is opened. */
static GPtrArray *
hotplug_options(DeviceJob *job, const VbDomainDef *def, VbDeviceDef *qemu_dev, GError **error)
{
    QemuRun *run = qemu_run_lookup(job->conn, job->uuid);
    guint net_index = free_net_index(def);
    g_autofree char *node_prefix = NULL;
    g_autofree char *channel_dir = qemu_channel_dir(job->conn, def);
    g_autoptr(GArray) fds = g_array_new(FALSE, FALSE, sizeof(int));
    VbQemuCommandConfig command = {
        .emulator = QEMU_HOST_EMULATOR,
        .monitor_path = run->monitor_path,
        .channel_dir = channel_dir,
    };
    int placeholder = 3;

    if (qemu_dev->net && !g_str_equal(qemu_dev->net->type, "user") &&
        (job->tap_fd = qemu_tap_open_for(job->conn, qemu_dev->net, error)) < 0)
        return NULL;
    /* the builder wants an fd for every tap interface; only the new one's value is used */
    for (guint i = 0; i < def->devices->len + net_index + 1; i++)
        g_array_append_val(fds, placeholder);
    command.tap_fds = (const int *)fds->data;
    command.n_tap_fds = fds->len;
    if (qemu_dev->disk)   /* block node names: unique per target, short enough for QEMU's 31 */
        node_prefix = g_strdup_printf("libvirt-hp%08x", g_str_hash(qemu_dev->disk->target_dev));
    return vb_qemu_command_build_hotplug(def, qemu_dev, &command, node_prefix, net_index, &job->id, error);
}

static void
attach_live(DeviceJob *job, VbDomainObj *dom, VbDeviceDef *dev)
{
    g_autoptr(GPtrArray) options = NULL;
    VbDeviceDef *qemu_dev;
    GError *error = NULL;

    job->dev = dev;
    if (!refuse_existing(dom->def, dev, &error) || !(qemu_dev = device_for_qemu(job->conn, dev, &error))) {
        device_job_end(job, error);
        return;
    }
    if (!(options = hotplug_options(job, dom->def, qemu_dev, &error)) ||
        !(job->relabeled = relabel_device(job->conn, qemu_dev, &error)) || !add_steps(job, options, &error)) {
        vb_device_def_free(qemu_dev);
        device_job_end(job, error);
        return;
    }
    if (qemu_dev->net) {   /* the tap's name is the live definition's */
        g_free(dev->net->target_dev);
        dev->net->target_dev = g_strdup(qemu_dev->net->target_dev);
    }
    vb_device_def_free(qemu_dev);
    run_next_step(job);
}

static void
set_alias(VbDeviceDef *dev, const char *id)
{
    char **alias = dev->disk ? &dev->disk->alias : dev->net ? &dev->net->alias : NULL;

    if (alias) {
        g_free(*alias);
        *alias = g_strdup(id);
    }
}

static void
attach_finish(DeviceJob *job)
{
    VbDomainObj *dom = vb_obj_list_by_key(job->conn->domains, job->uuid);
    QemuRun *run = qemu_run_lookup(job->conn, job->uuid);
    GError *error = NULL;

    if (!dom || !run) {
        vb_set_error(&error, VB_ERR_OPERATION_FAILED, "%s", "domain is no longer running");
        device_job_end(job, error);
        return;
    }
    if (job->dev) {
        set_alias(job->dev, job->id);
        insert_device(dom->def, g_steal_pointer(&job->dev));
        if (job->relabeled && run->relabeled)
            g_array_append_vals(run->relabeled, job->relabeled->data, job->relabeled->len);
        if (job->relabeled)   /* the run gives them back now */
            g_array_set_clear_func(job->relabeled, NULL);
        g_clear_pointer(&job->relabeled, g_array_unref);
        qemu_status_save(job->conn, dom, run);
        vb_conn_emit_full(job->conn, VB_EVENT_DOMAIN_DEVICE_ADDED, job->uuid, 0, 0, VB_PRESENCE_SAME, job->id);
    }
    device_job_finish(job);
}

/* ---- live detach ---- */

/* A removal asked of QEMU and not reported yet; per device id in QemuRun's removals. */
struct _QemuRemoval {
    char *id;
    char *format_node;       /* a disk's block nodes to drop afterwards, or NULL */
    char *netdev;            /* an interface's backend to drop afterwards, or NULL */
    DeviceJob *waiter;       /* the Detach call waiting, or NULL */
    guint timeout;
};

void
qemu_removal_free(QemuRemoval *removal)
{
    if (removal->timeout)
        g_source_remove(removal->timeout);
    if (removal->waiter) {
        GError *error = NULL;
        vb_set_error(&error, VB_ERR_OPERATION_FAILED, "%s", "domain is no longer running");
        removal->waiter->began = FALSE;    /* its run is going away */
        device_job_end(removal->waiter, error);
    }
    g_free(removal->id);
    g_free(removal->format_node);
    g_free(removal->netdev);
    g_free(removal);
}

static gboolean
removal_timed_out(gpointer user_data)
{
    QemuRemoval *removal = user_data;
    DeviceJob *job = g_steal_pointer(&removal->waiter);

    removal->timeout = 0;
    if (job)   /* libvirt's answer too: the removal goes on, DeviceRemoved will tell */
        device_job_finish(job);
    return G_SOURCE_REMOVE;
}

static void
on_cleanup_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    JsonNode *reply = vb_qemu_monitor_execute_finish(NULL, result, &error);

    if (reply)
        json_node_unref(reply);
    if (error)
        g_warning("dropping the backend of a removed device: %s", error->message);
}

static void
drop_backend(QemuRun *run, const char *command, const char *key, const char *id)
{
    g_autoptr(JsonObject) args = json_object_new();

    json_object_set_string_member(args, key, id);
    vb_qemu_monitor_execute(vb_qemu_process_get_monitor(run->proc), command, args, NULL, on_cleanup_done, NULL);
}

/* QEMU reported the device gone: its backends go, and so does it from the live definition. */
static void
removal_done(QemuRun *run, VbDomainObj *dom, QemuRemoval *removal)
{
    DeviceJob *job = g_steal_pointer(&removal->waiter);

    if (removal->format_node) {
        g_autofree char *base = g_strndup(removal->format_node, strlen(removal->format_node) - strlen("-format"));
        g_autofree char *storage = g_strconcat(base, "-storage", NULL);
        drop_backend(run, "blockdev-del", "node-name", removal->format_node);
        drop_backend(run, "blockdev-del", "node-name", storage);
    }
    if (removal->netdev)
        drop_backend(run, "netdev_del", "id", removal->netdev);
    for (guint i = 0; i < dom->def->devices->len; i++) {
        if (g_strcmp0(device_alias(g_ptr_array_index(dom->def->devices, i)), removal->id) == 0) {
            g_ptr_array_remove_index(dom->def->devices, i);
            break;
        }
    }
    qemu_status_save(run->conn, dom, run);
    vb_conn_emit_full(run->conn, VB_EVENT_DOMAIN_DEVICE_REMOVED, run->uuid, 0, 0, VB_PRESENCE_SAME, removal->id);
    g_hash_table_remove(run->removals, removal->id);
    if (job)
        device_job_finish(job);
}

void
qemu_devices_handle_event(QemuRun *run, VbDomainObj *dom, const char *name, JsonObject *data)
{
    const char *id = json_object_get_string_member_with_default(data, "device", NULL);
    QemuRemoval *removal;

    if (!g_str_equal(name, "DEVICE_DELETED") || !id || !run->removals ||
        !(removal = g_hash_table_lookup(run->removals, id)))
        return;
    removal_done(run, dom, removal);
}

static void
on_device_del(GObject *source, GAsyncResult *result, gpointer user_data)
{
    DeviceJob *job = user_data;
    GError *error = NULL;
    JsonNode *reply = vb_qemu_monitor_execute_finish(NULL, result, &error);
    QemuRun *run = qemu_run_lookup(job->conn, job->uuid);
    QemuRemoval *removal;

    if (reply)
        json_node_unref(reply);
    if (!error && !run)
        vb_set_error(&error, VB_ERR_OPERATION_FAILED, "%s", "domain is no longer running");
    if (error || !(removal = g_hash_table_lookup(run->removals, job->id))) {
        if (error && run)
            g_hash_table_remove(run->removals, job->id);
        if (error)
            device_job_end(job, error);
        else   /* DEVICE_DELETED came before the reply */
            device_job_finish(job);
        return;
    }
    removal->waiter = job;
    removal->timeout = g_timeout_add(QEMU_UNPLUG_WAIT_MS, removal_timed_out, removal);
}

static void
start_device_del(DeviceJob *job, QemuRun *run, char *format_node, const VbDeviceDef *dev)
{
    QemuRemoval *removal = g_new0(QemuRemoval, 1);
    g_autoptr(JsonObject) args = json_object_new();

    removal->id = g_strdup(job->id);
    removal->format_node = format_node;
    if (dev->net)
        removal->netdev = g_strconcat("host", job->id, NULL);
    if (!run->removals)
        run->removals = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)qemu_removal_free);
    g_hash_table_replace(run->removals, removal->id, removal);
    json_object_set_string_member(args, "id", job->id);
    vb_qemu_monitor_execute(vb_qemu_process_get_monitor(run->proc), "device_del", args, NULL, on_device_del, job);
}

/* query-block's "qdev": the device's id, or the QOM path of the part that holds the drive
 * (/machine/peripheral/<id>/virtio-backend for virtio-blk-pci). */
gboolean
qemu_qdev_is(const char *qdev, const char *id)
{
    g_autofree char *path = g_strconcat("/machine/peripheral/", id, NULL);

    if (!qdev)
        return FALSE;
    return g_str_equal(qdev, id) || g_str_equal(qdev, path) ||
           (g_str_has_prefix(qdev, path) && qdev[strlen(path)] == '/');
}

JsonObject *
qemu_query_block_entry(JsonNode *reply, const VbDiskDef *disk, guint index)
{
    JsonArray *blocks = JSON_NODE_HOLDS_ARRAY(reply) ? json_node_get_array(reply) : NULL;
    g_autofree char *node = g_strdup_printf("libvirt-%u-format", index + 1);

    for (guint i = 0; blocks && i < json_array_get_length(blocks); i++) {
        JsonObject *block = json_array_get_object_element(blocks, i);
        JsonObject *inserted = block && json_object_has_member(block, "inserted")
                                   ? json_object_get_object_member(block, "inserted") : NULL;

        if (!block)
            continue;
        if (disk->alias ? qemu_qdev_is(json_object_get_string_member_with_default(block, "qdev", NULL), disk->alias)
                        : inserted && g_strcmp0(json_object_get_string_member_with_default(inserted, "node-name",
                                                                                           NULL), node) == 0)
            return block;
    }
    return NULL;
}

/* The format node of the disk whose device is @id, from query-block. */
static char *
disk_format_node(JsonNode *reply, const char *id)
{
    JsonArray *blocks = JSON_NODE_HOLDS_ARRAY(reply) ? json_node_get_array(reply) : NULL;

    for (guint i = 0; blocks && i < json_array_get_length(blocks); i++) {
        JsonObject *block = json_array_get_object_element(blocks, i);
        JsonObject *inserted;
        const char *node;

        if (!block || !qemu_qdev_is(json_object_get_string_member_with_default(block, "qdev", NULL), id))
            continue;
        inserted = json_object_has_member(block, "inserted") ? json_object_get_object_member(block, "inserted") : NULL;
        node = inserted ? json_object_get_string_member_with_default(inserted, "node-name", NULL) : NULL;
        return node && g_str_has_suffix(node, "-format") ? g_strdup(node) : NULL;
    }
    return NULL;
}

static void
on_query_block(GObject *source, GAsyncResult *result, gpointer user_data)
{
    DeviceJob *job = user_data;
    GError *error = NULL;
    g_autoptr(JsonNode) reply = vb_qemu_monitor_execute_finish(NULL, result, &error);
    QemuRun *run = qemu_run_lookup(job->conn, job->uuid);

    if (!error && (!run || !run->proc))
        vb_set_error(&error, VB_ERR_OPERATION_FAILED, "%s", "domain is no longer running");
    if (error) {
        device_job_end(job, error);
        return;
    }
    start_device_del(job, run, disk_format_node(reply, job->id), job->dev);
    g_clear_pointer(&job->dev, vb_device_def_free);
}

static void
detach_live(DeviceJob *job, VbDomainObj *dom, QemuRun *run, VbDeviceDef *dev)
{
    int at = find_device(dom->def, dev);
    const VbDeviceDef *live = at >= 0 ? g_ptr_array_index(dom->def->devices, at) : NULL;
    GError *error = NULL;

    if (!live) {
        vb_device_def_free(dev);
        vb_set_error(&error, VB_ERR_DEVICE_MISSING, "%s", "no matching device found in the live domain");
        device_job_end(job, error);
        return;
    }
    if (!device_alias(live) || (!live->disk && !live->net)) {
        vb_device_def_free(dev);
        vb_set_error(&error, VB_ERR_OPERATION_UNSUPPORTED, "live detach of device '%s' is not supported",
                     vb_device_kind_to_string(live->kind));
        device_job_end(job, error);
        return;
    }
    job->id = g_strdup(device_alias(live));
    job->dev = dev;
    if (live->disk) {   /* its block nodes, to drop once the device is gone */
        vb_qemu_monitor_execute(vb_qemu_process_get_monitor(run->proc), "query-block", NULL, NULL, on_query_block,
                                job);
        return;
    }
    start_device_del(job, run, NULL, dev);
    g_clear_pointer(&job->dev, vb_device_def_free);
}

/* ---- the calls ---- */

typedef struct {
    VbDomainDef *live;
    VbDomainDef *config;     /* the updated persistent definition, or NULL */
    VbDeviceDef *dev;
} DeviceChange;

/* What a call changes: the flags checked, the device parsed, the persistent side prepared. */
static gboolean
prepare_change(VbDomainObj *dom, const char *xml, guint flags, gboolean attach, DeviceChange *change,
               GError **error)
{
    VbDomainDef *config = NULL;

    if (!vb_check_flags(flags, DEVICE_FLAGS, attach ? "virDomainAttachDeviceFlags" : "virDomainDetachDeviceFlags",
                        error) ||
        !vb_domain_obj_defs(dom, flags, &change->live, &config, error) || !(change->dev = parse_device(xml, error)))
        return FALSE;
    if (change->live && change->dev->kind != VB_DEVICE_DISK && change->dev->kind != VB_DEVICE_INTERFACE) {
        vb_set_error(error, VB_ERR_OPERATION_UNSUPPORTED, "live %s of device '%s' is not supported",
                     attach ? "attach" : "detach", vb_device_kind_to_string(change->dev->kind));
        g_clear_pointer(&change->dev, vb_device_def_free);
        return FALSE;
    }
    if (config && !(change->config = config_with_change(config, change->dev, attach, error))) {
        g_clear_pointer(&change->dev, vb_device_def_free);
        return FALSE;
    }
    return TRUE;
}

static void
device_call(VbConn *conn, VbDomainObj *dom, const char *xml, guint flags, gboolean attach, GTask *task)
{
    DeviceJob *job = device_job_new(conn, dom, task);
    DeviceChange change = { 0 };
    GError *error = NULL;
    QemuRun *run;

    if (!prepare_change(dom, xml, flags, attach, &change, &error)) {
        device_job_end(job, error);
        return;
    }
    job->config = change.config;
    if (!change.live) {
        vb_device_def_free(change.dev);
        if (qemu_domain_is_busy(conn, dom)) {
            vb_set_error(&error, VB_ERR_OPERATION_TIMEOUT, "cannot acquire state change lock: another operation "
                         "on domain '%s' is in progress", dom->def->name);
        } else {
            save_config(conn, dom, g_steal_pointer(&job->config), &error);
        }
        device_job_end(job, error);
        return;
    }
    if (!(run = qemu_job_begin_active(conn, dom, &error))) {
        vb_device_def_free(change.dev);
        device_job_end(job, error);
        return;
    }
    job->began = TRUE;
    if (attach)
        attach_live(job, dom, change.dev);
    else
        detach_live(job, dom, run, change.dev);
}

void
qemu_domain_attach_device_async(VbConn *conn, VbDomainObj *dom, const char *xml, guint flags, GTask *task)
{
    device_call(conn, dom, xml, flags, TRUE, task);
}

void
qemu_domain_detach_device_async(VbConn *conn, VbDomainObj *dom, const char *xml, guint flags, GTask *task)
{
    device_call(conn, dom, xml, flags, FALSE, task);
}

/* ---- link states ---- */

typedef struct {
    VbConn *conn;
    char *uuid;
    guint pending;
    GError *error;
    QemuStepDone done;
    gpointer user_data;
} LinkStep;

static void
on_link_set(GObject *source, GAsyncResult *result, gpointer user_data)
{
    LinkStep *step = user_data;
    GError *error = NULL;
    JsonNode *reply = vb_qemu_monitor_execute_finish(NULL, result, &error);

    if (reply)
        json_node_unref(reply);
    if (error && !step->error)
        step->error = error;
    else if (error)
        g_error_free(error);
    if (--step->pending)
        return;
    step->done(step->conn, step->uuid, step->error, step->user_data);
    g_free(step->uuid);
    g_free(step);
}

static void
send_set_link(VbQemuMonitor *mon, const char *alias, gboolean up, GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(JsonObject) args = json_object_new();

    json_object_set_string_member(args, "name", alias);
    json_object_set_boolean_member(args, "up", up);
    vb_qemu_monitor_execute(mon, "set_link", args, NULL, callback, user_data);
}

void
qemu_devices_apply_link_states(QemuRun *run, const VbDomainDef *def, QemuStepDone done, gpointer user_data)
{
    LinkStep *step = g_new0(LinkStep, 1);
    VbNetDef *net;

    step->conn = run->conn;
    step->uuid = g_strdup(run->uuid);
    step->done = done;
    step->user_data = user_data;
    step->pending = 1;    /* held until every command is sent */
    for (guint n = 0; (net = vb_domain_def_nth_net(def, n)); n++) {
        if (g_strcmp0(net->link_state, "down") != 0 || !net->alias)
            continue;
        step->pending++;
        send_set_link(vb_qemu_process_get_monitor(run->proc), net->alias, FALSE, on_link_set, step);
    }
    if (--step->pending == 0) {
        done(step->conn, step->uuid, NULL, user_data);
        g_free(step->uuid);
        g_free(step);
    }
}

/* ---- UpdateDevice: an interface's link state ---- */

/* Everything of the interface but its link state, as the live definition writes it. */
static char *
net_without_link(const VbNetDef *net, const VbNetDef *live)
{
    VbDeviceDef wrapper = { .kind = VB_DEVICE_INTERFACE, .net = (VbNetDef *)net };
    VbDeviceDef *copy = device_copy(&wrapper);
    char *xml;

    g_clear_pointer(&copy->net->link_state, g_free);
    /* what the live definition adds by itself */
    g_free(copy->net->alias);
    copy->net->alias = g_strdup(live->alias);
    g_free(copy->net->target_dev);
    copy->net->target_dev = g_strdup(live->target_dev);
    xml = vb_device_def_format(copy, 0);
    vb_device_def_free(copy);
    return xml;
}

static gboolean
check_link_only(const VbNetDef *want, const VbNetDef *have, GError **error)
{
    g_autofree char *a = net_without_link(want, have);
    g_autofree char *b = net_without_link(have, have);

    if (g_str_equal(a, b))
        return TRUE;
    vb_set_error(error, VB_ERR_OPERATION_UNSUPPORTED, "%s",
                 "cannot change network interface configuration other than its link state");
    return FALSE;
}

static VbNetDef *
net_by_mac(const VbDomainDef *def, const char *mac)
{
    VbNetDef *net;

    for (guint n = 0; (net = vb_domain_def_nth_net(def, n)); n++) {
        if (g_ascii_strcasecmp(net->mac, mac) == 0)
            return net;
    }
    return NULL;
}

static void
on_update_link(GObject *source, GAsyncResult *result, gpointer user_data)
{
    DeviceJob *job = user_data;
    GError *error = NULL;
    JsonNode *reply = vb_qemu_monitor_execute_finish(NULL, result, &error);
    VbDomainObj *dom = vb_obj_list_by_key(job->conn->domains, job->uuid);
    QemuRun *run = qemu_run_lookup(job->conn, job->uuid);
    VbNetDef *live;

    if (reply)
        json_node_unref(reply);
    if (error) {
        device_job_end(job, error);
        return;
    }
    if (dom && run && (live = net_by_mac(dom->def, job->dev->net->mac))) {
        g_free(live->link_state);
        live->link_state = g_strdup(job->dev->net->link_state);
        qemu_status_save(job->conn, dom, run);
    }
    device_job_finish(job);
}

/* ---- UpdateDevice: a CD-ROM's (or floppy's) medium ---- */

static VbDiskDef *
disk_by_target(const VbDomainDef *def, const char *target)
{
    VbDiskDef *disk;

    for (guint n = 0; (disk = vb_domain_def_nth_disk(def, n)); n++) {
        if (g_strcmp0(disk->target_dev, target) == 0)
            return disk;
    }
    return NULL;
}

/* Everything of the disk but its medium, as the live definition writes it. */
static char *
disk_without_medium(const VbDiskDef *disk, const VbDiskDef *live)
{
    VbDeviceDef wrapper = { .kind = VB_DEVICE_DISK, .disk = (VbDiskDef *)disk };
    VbDeviceDef *copy = device_copy(&wrapper);
    char *xml;

    g_free(copy->disk->type);
    copy->disk->type = g_strdup("file");
    g_clear_pointer(&copy->disk->source_file, g_free);
    g_free(copy->disk->alias);
    copy->disk->alias = g_strdup(live->alias);
    xml = vb_device_def_format(copy, 0);
    vb_device_def_free(copy);
    return xml;
}

static gboolean
check_media_only(const VbDiskDef *want, const VbDiskDef *have, GError **error)
{
    g_autofree char *a = disk_without_medium(want, have);
    g_autofree char *b = disk_without_medium(have, have);

    if (g_strcmp0(have->device, "cdrom") != 0 && g_strcmp0(have->device, "floppy") != 0) {
        vb_set_error(error, VB_ERR_OPERATION_UNSUPPORTED, "disk %s: only the media of a cdrom or floppy can be "
                     "changed", have->target_dev);
        return FALSE;
    }
    if (g_str_equal(a, b) && (!want->source_file || g_strcmp0(want->type, "file") == 0))
        return TRUE;
    vb_set_error(error, VB_ERR_OPERATION_UNSUPPORTED, "disk %s: cannot change anything but the medium (a file)",
                 have->target_dev);
    return FALSE;
}

static void
media_finish(DeviceJob *job)
{
    VbDomainObj *dom = vb_obj_list_by_key(job->conn->domains, job->uuid);
    QemuRun *run = qemu_run_lookup(job->conn, job->uuid);
    VbDiskDef *live = dom ? disk_by_target(dom->def, job->dev->disk->target_dev) : NULL;

    if (run && job->old_node) {
        g_autofree char *base = g_strndup(job->old_node, strlen(job->old_node) - strlen("-format"));
        g_autofree char *storage = g_strconcat(base, "-storage", NULL);
        drop_backend(run, "blockdev-del", "node-name", job->old_node);
        drop_backend(run, "blockdev-del", "node-name", storage);
    }
    if (run && live) {
        g_free(live->type);
        live->type = g_strdup("file");
        g_free(live->source_file);
        live->source_file = g_strdup(job->dev->disk->source_file);
        if (job->relabeled && run->relabeled)
            g_array_append_vals(run->relabeled, job->relabeled->data, job->relabeled->len);
        if (job->relabeled)
            g_array_set_clear_func(job->relabeled, NULL);
        g_clear_pointer(&job->relabeled, g_array_unref);
        qemu_status_save(job->conn, dom, run);
    }
    device_job_finish(job);
}

static QmpStep *
tray_step(const char *command, const char *id, gboolean force)
{
    QmpStep *step = qmp_step_with_id(command, "id", id);

    if (force)
        json_object_set_boolean_member(step->args, "force", TRUE);
    return step;
}

/* The steps, as libvirt orders them: the new medium's block nodes first (a file QEMU cannot
 * open then changes nothing), then open the tray, take the old medium out, insert the new one
 * and close the tray. */
static gboolean
media_steps(DeviceJob *job, VbDomainObj *dom, const char *id, GError **error)
{
    g_autoptr(GPtrArray) options = NULL;
    g_autofree char *prefix = g_strdup_printf("libvirt-m%08x", g_random_int());
    g_autofree char *format_node = g_strconcat(prefix, "-format", NULL);
    g_autofree char *channel_dir = qemu_channel_dir(job->conn, dom->def);
    QemuRun *run = qemu_run_lookup(job->conn, job->uuid);
    VbQemuCommandConfig command = { .emulator = QEMU_HOST_EMULATOR, .monitor_path = run->monitor_path,
                                    .channel_dir = channel_dir };
    g_autofree char *unused_id = NULL;
    JsonObject *insert;

    if (job->dev->disk->source_file) {
        if (!(options = vb_qemu_command_build_hotplug(dom->def, job->dev, &command, prefix, 0, &unused_id, error)) ||
            !(job->relabeled = relabel_device(job->conn, job->dev, error)))
            return FALSE;
        for (guint i = 0; i + 1 < options->len; i += 2) {
            g_autoptr(JsonNode) node = NULL;
            if (!g_str_equal(g_ptr_array_index(options, i), "-blockdev"))
                continue;
            if (!(node = json_from_string(g_ptr_array_index(options, i + 1), error)))
                return FALSE;
            add_step(job, qmp_step_new("blockdev-add", json_object_ref(json_node_get_object(node))));
        }
    }
    add_step(job, tray_step("blockdev-open-tray", id, TRUE));
    if (job->old_node)
        add_step(job, qmp_step_with_id("blockdev-remove-medium", "id", id));
    if (job->dev->disk->source_file) {
        insert = json_object_new();
        json_object_set_string_member(insert, "id", id);
        json_object_set_string_member(insert, "node-name", format_node);
        add_step(job, qmp_step_new("blockdev-insert-medium", insert));
    }
    add_step(job, tray_step("blockdev-close-tray", id, FALSE));
    return TRUE;
}

static void
on_media_query_block(GObject *source, GAsyncResult *result, gpointer user_data)
{
    DeviceJob *job = user_data;
    GError *error = NULL;
    g_autoptr(JsonNode) reply = vb_qemu_monitor_execute_finish(NULL, result, &error);
    VbDomainObj *dom = vb_obj_list_by_key(job->conn->domains, job->uuid);

    if (!error && !dom)
        vb_set_error(&error, VB_ERR_OPERATION_FAILED, "%s", "domain is no longer running");
    if (!error) {
        job->old_node = disk_format_node(reply, job->id);
        media_steps(job, dom, job->id, &error);
    }
    if (error) {
        device_job_end(job, error);
        return;
    }
    job->finish = media_finish;
    run_next_step(job);
}

/* ---- UpdateDevice ---- */

static void
update_live(DeviceJob *job, QemuRun *run, VbDomainDef *live)
{
    VbQemuMonitor *mon = vb_qemu_process_get_monitor(run->proc);

    if (job->dev->net) {
        send_set_link(mon, net_by_mac(live, job->dev->net->mac)->alias,
                      g_strcmp0(job->dev->net->link_state, "down") != 0, on_update_link, job);
        return;
    }
    job->id = g_strdup(disk_by_target(live, job->dev->disk->target_dev)->alias);
    vb_qemu_monitor_execute(mon, "query-block", NULL, NULL, on_media_query_block, job);
}

/* What may change: an interface's link state, a removable disk's medium. */
static gboolean
check_update(const VbDeviceDef *dev, const VbDomainDef *live, GError **error)
{
    VbNetDef *net;
    VbDiskDef *disk;

    if (dev->net) {
        if (!(net = net_by_mac(live, dev->net->mac))) {
            vb_set_error(error, VB_ERR_DEVICE_MISSING, "no interface with MAC %s in the live domain", dev->net->mac);
            return FALSE;
        }
        return check_link_only(dev->net, net, error);
    }
    if (!(disk = disk_by_target(live, dev->disk->target_dev))) {
        vb_set_error(error, VB_ERR_DEVICE_MISSING, "no disk with target %s in the live domain", dev->disk->target_dev);
        return FALSE;
    }
    if (!disk->alias) {
        vb_set_error(error, VB_ERR_OPERATION_UNSUPPORTED, "disk %s has no QEMU id to change its medium",
                     disk->target_dev);
        return FALSE;
    }
    return check_media_only(dev->disk, disk, error);
}

void
qemu_domain_update_device_async(VbConn *conn, VbDomainObj *dom, const char *xml, guint flags, GTask *task)
{
    DeviceJob *job = device_job_new(conn, dom, task);
    VbDomainDef *live = NULL, *config = NULL;
    g_autoptr(VbDomainDef) updated = NULL;
    GError *error = NULL;
    QemuRun *run;
    int at;

    if (!vb_check_flags(flags, DEVICE_FLAGS, "virDomainUpdateDeviceFlags", &error) ||
        !vb_domain_obj_defs(dom, flags, &live, &config, &error) || !(job->dev = parse_device(xml, &error))) {
        device_job_end(job, error);
        return;
    }
    if (!job->dev->net && !job->dev->disk)
        vb_set_error(&error, VB_ERR_OPERATION_UNSUPPORTED, "updating device '%s' is not supported",
                     vb_device_kind_to_string(job->dev->kind));
    else if (live)
        check_update(job->dev, live, &error);
    if (!error && config) {
        updated = vb_domain_def_copy(config);
        if ((at = find_device(updated, job->dev)) < 0) {
            vb_set_error(&error, VB_ERR_DEVICE_MISSING, "%s", "no matching device found in the domain configuration");
        } else {
            vb_device_def_free(g_ptr_array_index(updated->devices, at));
            g_ptr_array_index(updated->devices, at) = device_copy(job->dev);
        }
    }
    if (error) {
        device_job_end(job, error);
        return;
    }
    job->config = g_steal_pointer(&updated);
    if (!live) {
        device_job_finish(job);
        return;
    }
    if (!(run = qemu_job_begin_active(conn, dom, &error))) {
        device_job_end(job, error);
        return;
    }
    job->began = TRUE;
    update_live(job, run, live);
}
