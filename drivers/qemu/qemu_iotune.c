/* qemu_iotune.c: disk I/O throttling of QEMU guests (<iotune>, virDomainSet/GetBlockIoTune).
 *
 * Live, the limits are QEMU's: block_set_io_throttle on the disk's device, read back from
 * query-block; a change starts from what QEMU has, so the parameters a caller leaves out keep
 * their values. The definitions keep <iotune>, and a start sets it before the guest runs. */
#include "drivers/qemu/qemu_private.h"

#define QEMU_AFFECT (VB_AFFECT_LIVE | VB_AFFECT_CONFIG)
#define IOTUNE_MAX G_GUINT64_CONSTANT(1000000000000000)   /* libvirt's QEMU_BLOCK_IOTUNE_MAX */
#define IOTUNE_BASE 6    /* bps, bps_rd, bps_wr, iops, iops_rd, iops_wr: block_set_io_throttle needs them all */

/* QMP's names, by vb_iotune_names */
static const char *const qmp_names[VB_IOTUNE_N] = {
    "bps", "bps_rd", "bps_wr", "iops", "iops_rd", "iops_wr", "bps_max", "bps_rd_max", "bps_wr_max", "iops_max",
    "iops_rd_max", "iops_wr_max", "iops_size", "group", "bps_max_length", "bps_rd_max_length", "bps_wr_max_length",
    "iops_max_length", "iops_rd_max_length", "iops_wr_max_length",
};

/* ---- <iotune> in a definition ---- */

static void
iotune_from_disk(const VbDiskDef *disk, VbIoTune *tune)
{
    const char *xml = vb_disk_def_get_extra(disk, "iotune");
    g_autoptr(xmlDoc) doc = xml ? vb_xml_parse(xml, "iotune", NULL) : NULL;

    vb_iotune_read(doc ? xmlDocGetRootElement(doc) : NULL, tune);
}

static void
iotune_to_disk(VbDiskDef *disk, const VbIoTune *tune)
{
    g_autoptr(xmlDoc) doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr holder = xmlNewDocNode(doc, NULL, BAD_CAST "disk", NULL);
    xmlNodePtr iotune;

    xmlDocSetRootElement(doc, holder);
    vb_iotune_write(holder, tune);
    iotune = vb_xml_child(holder, "iotune");
    vb_disk_def_set_extra(disk, "iotune", iotune ? vb_xml_node_dump(iotune) : NULL);
}

/* ---- QEMU's side ---- */

static void
iotune_from_qmp(JsonObject *inserted, VbIoTune *tune)
{
    for (int i = 0; inserted && i < VB_IOTUNE_N; i++) {
        if (i == VB_IOTUNE_GROUP)
            tune->group_name = g_strdup(json_object_get_string_member_with_default(inserted, qmp_names[i], NULL));
        else
            tune->values[i] = (guint64)MAX(json_object_get_int_member_with_default(inserted, qmp_names[i], 0), 0);
    }
}

/* block_set_io_throttle for the device @qdev. */
static JsonObject *
iotune_to_qmp(const char *qdev, const VbIoTune *tune)
{
    JsonObject *args = json_object_new();

    json_object_set_string_member(args, "id", qdev);
    for (int i = 0; i < VB_IOTUNE_N; i++) {
        if (i == VB_IOTUNE_GROUP && tune->group_name && *tune->group_name)
            json_object_set_string_member(args, qmp_names[i], tune->group_name);
        else if (i != VB_IOTUNE_GROUP && (i < IOTUNE_BASE || tune->values[i]))
            json_object_set_int_member(args, qmp_names[i], (gint64)tune->values[i]);
    }
    return args;
}

/* The device query-block names for @disk (the @index-th), and its current limits; NULL when
 * QEMU has no medium for it. */
static const char *
qemu_disk_limits(JsonNode *reply, const VbDiskDef *disk, guint index, VbIoTune *tune)
{
    JsonObject *block = qemu_query_block_entry(reply, disk, index);
    JsonObject *inserted = block && json_object_has_member(block, "inserted")
                               ? json_object_get_object_member(block, "inserted") : NULL;

    if (!inserted)
        return NULL;
    iotune_from_qmp(inserted, tune);
    return json_object_get_string_member_with_default(block, "qdev", NULL);
}

/* ---- the calls ---- */

typedef struct {
    VbConn *conn;
    char *uuid;
    char *disk;
    guint flags;
    GArray *params;          /* SetBlockIoTune's */
    gboolean config;         /* ... also for the persistent definition */
    GTask *outer;            /* the caller's */
    VbIoTune tune;           /* the live limits being set, or read */
    GArray *result;          /* GetBlockIoTune's parameters */
} IoTuneCall;

static IoTuneCall *
iotune_call_new(VbConn *conn, VbDomainObj *dom, const char *disk, guint flags, GTask *outer)
{
    IoTuneCall *call = g_new0(IoTuneCall, 1);

    call->conn = conn;
    call->uuid = g_strdup(dom->def->uuid);
    call->disk = g_strdup(disk);
    call->flags = flags;
    call->outer = outer;
    return call;
}

/* Answers the caller (the domain is freed only if @began) and forgets the call. */
static void
iotune_call_end(IoTuneCall *call, gboolean began, GError *error)
{
    qemu_job_end_pointer(began ? qemu_run_lookup(call->conn, call->uuid) : NULL, call->outer,
                         g_steal_pointer(&call->result), (GDestroyNotify)g_array_unref, error);
    g_clear_pointer(&call->params, g_array_unref);
    vb_iotune_clear(&call->tune);
    g_free(call->uuid);
    g_free(call->disk);
    g_free(call);
}

/* The persistent definition's <iotune> with the caller's parameters, saved. */
static gboolean
set_config(IoTuneCall *call, VbDomainDef *config, gboolean check_only, GError **error)
{
    g_auto(VbIoTune) tune = { { 0 } };
    VbDiskDef *disk;
    guint index;

    if (!(disk = vb_domain_def_find_disk_index(config, call->disk, &index))) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "missing persistent configuration for disk '%s'", call->disk);
        return FALSE;
    }
    iotune_from_disk(disk, &tune);
    if (!vb_iotune_apply(&tune, call->params, IOTUNE_MAX, error) || !vb_iotune_check_totals(&tune, error))
        return FALSE;
    if (check_only)
        return TRUE;
    iotune_to_disk(disk, &tune);
    return qemu_domain_save_config(call->conn, config, error);
}

static void
on_throttle_set(GObject *source, GAsyncResult *res, gpointer user_data)
{
    IoTuneCall *call = user_data;
    GError *error = NULL;
    g_autoptr(JsonNode) reply G_GNUC_UNUSED = vb_qemu_monitor_execute_finish(NULL, res, &error);
    QemuRun *run = qemu_run_lookup(call->conn, call->uuid);
    VbDomainObj *dom = vb_obj_list_by_key(call->conn->domains, call->uuid);
    VbDiskDef *disk;
    guint index;

    if (!error && dom && run && (disk = vb_domain_def_find_disk_index(dom->def, call->disk, &index))) {
        iotune_to_disk(disk, &call->tune);
        qemu_status_save(call->conn, dom, run);
    }
    if (!error && call->config && dom)
        set_config(call, vb_domain_obj_persistent_def(dom), FALSE, &error);
    iotune_call_end(call, TRUE, error);
}

static void
on_limits_for_set(GObject *source, GAsyncResult *res, gpointer user_data)
{
    IoTuneCall *call = user_data;
    GError *error = NULL;
    g_autoptr(JsonNode) reply = vb_qemu_monitor_execute_finish(NULL, res, &error);
    QemuRun *run = qemu_run_lookup(call->conn, call->uuid);
    VbDomainObj *dom = vb_obj_list_by_key(call->conn->domains, call->uuid);
    VbDiskDef *disk = NULL;
    const char *qdev = NULL;
    g_autoptr(JsonObject) args = NULL;
    guint index;

    if (!error && (!run || !run->proc || !dom))
        vb_set_error(&error, VB_ERR_OPERATION_FAILED, "%s", "domain is no longer running");
    else if (!error && !(disk = vb_domain_def_find_disk_index(dom->def, call->disk, &index)))
        vb_set_error(&error, VB_ERR_INVALID_ARG, "disk '%s' was not found in the domain config", call->disk);
    else if (!error && !(qdev = qemu_disk_limits(reply, disk, index, &call->tune)))
        vb_set_error(&error, VB_ERR_OPERATION_INVALID, "disk '%s' has no medium in QEMU", call->disk);
    if (!error && vb_iotune_apply(&call->tune, call->params, IOTUNE_MAX, &error))
        vb_iotune_check_totals(&call->tune, &error);
    if (error) {
        iotune_call_end(call, TRUE, error);
        return;
    }
    args = iotune_to_qmp(qdev, &call->tune);
    vb_qemu_monitor_execute(vb_qemu_process_get_monitor(run->proc), "block_set_io_throttle", args, NULL,
                            on_throttle_set, call);
}

void
qemu_domain_set_block_io_tune_async(VbConn *conn, VbDomainObj *dom, const char *disk, GArray *params, guint flags,
                                    GTask *task)
{
    IoTuneCall *call = iotune_call_new(conn, dom, disk, flags, task);
    VbParamSpec specs[VB_IOTUNE_N + 1];
    VbDomainDef *live = NULL, *config = NULL;
    VbDiskDef *live_disk;
    GError *error = NULL;
    QemuRun *run;
    guint index;

    vb_iotune_param_specs(specs);
    call->params = g_array_ref(params);
    if (vb_check_flags(flags, QEMU_AFFECT, "virDomainSetBlockIoTune", &error) &&
        vb_typed_params_validate(params, specs, &error) && vb_domain_obj_defs(dom, flags, &live, &config, &error) &&
        (!config || set_config(call, config, live != NULL, &error)) && live &&
        !(live_disk = vb_domain_def_find_disk_index(live, disk, &index)))
        vb_set_error(&error, VB_ERR_INVALID_ARG, "disk '%s' was not found in the domain config", disk);
    if (error || !live) {
        iotune_call_end(call, FALSE, error);
        return;
    }
    call->config = config != NULL;
    if (!(run = qemu_job_begin_active(conn, dom, &error))) {
        iotune_call_end(call, FALSE, error);
        return;
    }
    vb_qemu_monitor_execute(vb_qemu_process_get_monitor(run->proc), "query-block", NULL, NULL, on_limits_for_set,
                            call);
}

static void
on_limits_for_get(GObject *source, GAsyncResult *res, gpointer user_data)
{
    IoTuneCall *call = user_data;
    GError *error = NULL;
    g_autoptr(JsonNode) reply = vb_qemu_monitor_execute_finish(NULL, res, &error);
    VbDomainObj *dom = vb_obj_list_by_key(call->conn->domains, call->uuid);
    VbDiskDef *disk;
    guint index;

    if (!error && (!dom || !(disk = vb_domain_def_find_disk_index(dom->def, call->disk, &index)) ||
                   !qemu_disk_limits(reply, disk, index, &call->tune)))
        vb_set_error(&error, VB_ERR_OPERATION_INVALID, "disk '%s' has no medium in QEMU", call->disk);
    if (!error)
        call->result = vb_iotune_to_params(&call->tune);
    iotune_call_end(call, TRUE, error);
}

void
qemu_domain_get_block_io_tune_async(VbConn *conn, VbDomainObj *dom, const char *disk, guint flags, GTask *task)
{
    IoTuneCall *call = iotune_call_new(conn, dom, disk, flags, task);
    GError *error = NULL;
    gboolean live = FALSE;
    VbDomainDef *def = NULL;
    VbDiskDef *found = NULL;
    QemuRun *run;
    guint index;

    if (vb_check_flags(flags, QEMU_AFFECT | VB_TYPED_PARAM_STRING_OKAY, "virDomainGetBlockIoTune", &error) &&
        (def = vb_domain_obj_one_def(dom, flags & QEMU_AFFECT, &live, &error)) &&
        !(found = vb_domain_def_find_disk_index(def, disk, &index)))
        vb_set_error(&error, VB_ERR_INVALID_ARG, "disk '%s' was not found in the domain config", disk);
    if (!error && !live) {
        iotune_from_disk(found, &call->tune);
        call->result = vb_iotune_to_params(&call->tune);
    }
    if (error || !live) {
        iotune_call_end(call, FALSE, error);
        return;
    }
    if (!(run = qemu_job_begin_active(conn, dom, &error))) {
        iotune_call_end(call, FALSE, error);
        return;
    }
    vb_qemu_monitor_execute(vb_qemu_process_get_monitor(run->proc), "query-block", NULL, NULL, on_limits_for_get,
                            call);
}

/* ---- at start ---- */

typedef struct {
    VbConn *conn;
    char *uuid;
    GPtrArray *commands;     /* JsonObject: block_set_io_throttle arguments, one per disk */
    guint next;
    QemuStepDone done;
    gpointer user_data;
} Throttles;

static void
throttles_finish(Throttles *throttles, GError *error)
{
    throttles->done(throttles->conn, throttles->uuid, error, throttles->user_data);
    g_ptr_array_unref(throttles->commands);
    g_free(throttles->uuid);
    g_free(throttles);
}

static void send_next_throttle(Throttles *throttles);

static void
on_start_throttle_set(GObject *source, GAsyncResult *res, gpointer user_data)
{
    Throttles *throttles = user_data;
    GError *error = NULL;
    g_autoptr(JsonNode) reply G_GNUC_UNUSED = vb_qemu_monitor_execute_finish(NULL, res, &error);

    if (error)
        throttles_finish(throttles, error);
    else
        send_next_throttle(throttles);
}

static void
send_next_throttle(Throttles *throttles)
{
    QemuRun *run = qemu_run_lookup(throttles->conn, throttles->uuid);

    if (throttles->next == throttles->commands->len || !run || !run->proc) {
        throttles_finish(throttles, NULL);
        return;
    }
    vb_qemu_monitor_execute(vb_qemu_process_get_monitor(run->proc), "block_set_io_throttle",
                            g_ptr_array_index(throttles->commands, throttles->next++), NULL, on_start_throttle_set,
                            throttles);
}

static void
on_blocks_at_start(GObject *source, GAsyncResult *res, gpointer user_data)
{
    Throttles *throttles = user_data;
    GError *error = NULL;
    g_autoptr(JsonNode) reply = vb_qemu_monitor_execute_finish(NULL, res, &error);
    VbDomainObj *dom = vb_obj_list_by_key(throttles->conn->domains, throttles->uuid);
    const VbDiskDef *disk;

    for (guint i = 0; !error && dom && (disk = vb_domain_def_nth_disk(dom->def, i)); i++) {
        g_auto(VbIoTune) tune = { { 0 } };
        g_auto(VbIoTune) current = { { 0 } };
        const char *qdev;

        if (!vb_disk_def_get_extra(disk, "iotune"))
            continue;
        iotune_from_disk(disk, &tune);
        if ((qdev = qemu_disk_limits(reply, disk, i, &current)))
            g_ptr_array_add(throttles->commands, iotune_to_qmp(qdev, &tune));
    }
    if (error)
        throttles_finish(throttles, error);
    else
        send_next_throttle(throttles);
}

void
qemu_iotune_apply_at_start(QemuRun *run, const VbDomainDef *def, QemuStepDone done, gpointer user_data)
{
    Throttles *throttles;
    const VbDiskDef *disk;
    gboolean any = FALSE;

    for (guint i = 0; (disk = vb_domain_def_nth_disk(def, i)); i++)
        any |= vb_disk_def_get_extra(disk, "iotune") != NULL;
    if (!any) {
        done(run->conn, run->uuid, NULL, user_data);
        return;
    }
    throttles = g_new0(Throttles, 1);
    throttles->conn = run->conn;
    throttles->uuid = g_strdup(run->uuid);
    throttles->commands = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
    throttles->done = done;
    throttles->user_data = user_data;
    vb_qemu_monitor_execute(vb_qemu_process_get_monitor(run->proc), "query-block", NULL, NULL, on_blocks_at_start,
                            throttles);
}
