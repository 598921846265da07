/* qemu_blockjob.c: block jobs on running QEMU domains — BlockPull/BlockRebase (block-stream),
 * BlockCommit (block-commit, the active layer included) and BlockCopy (drive-mirror), the last
 * two ended by a pivot; their speed, progress and end — plus BlockResize and BlockPeek.
 *
 * A job is known by its disk (one job per disk, as in libvirt) and by QEMU's job id
 * "vb-<kind>-<disk>". Starting one is a short domain job: find the disk's root block node with
 * query-block, send the command, remember the job in the run's table. QEMU reports the end with
 * BLOCK_JOB_COMPLETED or BLOCK_JOB_CANCELLED (and BLOCK_JOB_READY once an active commit has
 * caught up); the table maps the id back to the disk, a pivot rewrites the disk's source in the
 * live definition, synchronous BlockJobAbort calls get their answer and the BlockJob signal
 * goes out. Jobs are started with auto-dismiss off and dismissed once handled, and the table is
 * in the status file: a restarted daemon takes them over and settles, from query-jobs, those
 * that became ready or ended while it was away. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "drivers/qemu/qemu_private.h"

#define BLOCK_PEEK_MAX (4 * 1024 * 1024)   /* libvirt's REMOTE_DOMAIN_BLOCK_PEEK_BUFFER_MAX */

struct _QemuBlockJob {
    char *disk;              /* the disk's target */
    char *job_id;
    int type;                /* VbBlockJobType */
    gboolean ready;
    gboolean cancelling;     /* BlockJobAbort without PIVOT: the end is CANCELED */
    gboolean pivoting;       /* BlockJobAbort with PIVOT: the disk moves to base_path */
    char *base_path, *base_format;   /* active commit, copy: the image the disk has after the pivot */
    char *top_prefix;        /* active commit, copy: our -blockdev nodes of the old top, dropped after it */
    GPtrArray *waiters;      /* GTask: synchronous BlockJobAbort calls, answered at the end */
};

void
qemu_block_job_free(QemuBlockJob *job)
{
    for (guint i = 0; i < job->waiters->len; i++) {
        GTask *task = g_ptr_array_index(job->waiters, i);
        g_task_return_new_error(task, VB_ERROR, VB_ERR_OPERATION_FAILED, "operation failed: %s",
                                "domain is no longer running");
        g_object_unref(task);
    }
    g_ptr_array_unref(job->waiters);
    g_free(job->disk);
    g_free(job->job_id);
    g_free(job->base_path);
    g_free(job->base_format);
    g_free(job->top_prefix);
    g_free(job);
}

static QemuBlockJob *
block_job_new(const char *disk, int type)
{
    static const char *const kinds[] = { "job", "pull", "copy", "commit", "active-commit" };
    QemuBlockJob *job = g_new0(QemuBlockJob, 1);

    job->disk = g_strdup(disk);
    job->type = type;
    job->job_id = g_strdup_printf("vb-%s-%s", kinds[type], disk);
    job->waiters = g_ptr_array_new();
    return job;
}

static GHashTable *
run_block_jobs(QemuRun *run)
{
    if (!run->block_jobs)
        run->block_jobs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                                (GDestroyNotify)qemu_block_job_free);
    return run->block_jobs;
}

static QemuBlockJob *
job_by_qemu_id(QemuRun *run, const char *job_id)
{
    GHashTableIter iter;
    QemuBlockJob *job;

    if (!run->block_jobs || !job_id)
        return NULL;
    g_hash_table_iter_init(&iter, run->block_jobs);
    while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&job)) {
        if (g_str_equal(job->job_id, job_id))
            return job;
    }
    return NULL;
}

/* ---- one call: a short domain job around a few QMP commands ---- */

typedef struct _BlockCall BlockCall;
typedef void (*BlockStep)(BlockCall *call, QemuRun *run, JsonNode *reply);

struct _BlockCall {
    VbConn *conn;
    char *uuid;
    GTask *outer;            /* the caller's task */
    gboolean began;
    char *disk;              /* the target */
    guint disk_index;
    guint flags;
    guint64 bandwidth, size;
    char *base, *top;        /* as the caller gave them ("" or NULL: the default) */
    char *dest, *dest_format;    /* BlockCopy's destination */
    VbBlockCopyParams copy;
    char *node;              /* the disk's root block node */
    QemuBlockJob *job;       /* the job being prepared, until its command is sent */
    char *started_job_id;    /* its QEMU id once sent: in the run's table already (QEMU may report
                              * READY or the end before it answers the command) */
    gboolean wait_for_end;   /* BlockJobAbort without ASYNC: the answer waits for the job's end */
    VbBlockJobInfo *info;    /* GetBlockJobInfo's answer */
};

static void
block_call_free(BlockCall *call)
{
    g_clear_pointer(&call->job, qemu_block_job_free);
    g_free(call->started_job_id);
    g_free(call->info);
    g_free(call->uuid);
    g_free(call->disk);
    g_free(call->base);
    g_free(call->top);
    g_free(call->dest);
    g_free(call->dest_format);
    g_free(call->node);
    g_free(call);
}

static BlockCall *
block_call_new(VbConn *conn, VbDomainObj *dom, const char *disk, guint flags, GTask *outer)
{
    BlockCall *call = g_new0(BlockCall, 1);

    call->conn = conn;
    call->uuid = g_strdup(dom->def->uuid);
    call->outer = outer;
    call->disk = g_strdup(disk);
    call->flags = flags;
    return call;
}

/* Frees the domain and answers the caller (a synchronous BlockJobAbort: once the job ended). */
static void
block_call_end(BlockCall *call, GError *error)
{
    QemuRun *run = call->began ? qemu_run_lookup(call->conn, call->uuid) : NULL;
    QemuBlockJob *job = run && run->block_jobs ? g_hash_table_lookup(run->block_jobs, call->disk) : NULL;

    if (!error && call->wait_for_end && job) {
        qemu_job_release(run);
        g_ptr_array_add(job->waiters, g_steal_pointer(&call->outer));
    } else {
        qemu_job_end_pointer(run, g_steal_pointer(&call->outer), g_steal_pointer(&call->info), g_free, error);
    }
    block_call_free(call);
}

/* The disk named by a target or a source path; its target replaces call->disk. */
static gboolean
resolve_disk(BlockCall *call, const VbDomainDef *def, GError **error)
{
    const VbDiskDef *disk = vb_domain_def_find_disk_index(def, call->disk, &call->disk_index);

    if (!disk || !disk->target_dev) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "disk '%s' not found in domain", call->disk ? call->disk : "");
        return FALSE;
    }
    g_free(call->disk);
    call->disk = g_strdup(disk->target_dev);
    return TRUE;
}

/* Checks, then holds the domain; FALSE (and @call is gone) when the call cannot go on. */
static gboolean
block_call_begin(BlockCall *call, VbDomainObj *dom, GError *error)
{
    if (!error && !vb_domain_obj_is_active(dom))
        vb_set_error(&error, VB_ERR_OPERATION_INVALID, "%s", "domain is not running");
    if (!error)
        resolve_disk(call, dom->def, &error);
    if (!error && qemu_job_begin_active(call->conn, dom, &error))
        call->began = TRUE;
    if (error) {
        block_call_end(call, error);
        return FALSE;
    }
    return TRUE;
}

static QemuBlockJob *
active_job(BlockCall *call, QemuRun *run)
{
    return run->block_jobs ? g_hash_table_lookup(run->block_jobs, call->disk) : NULL;
}

typedef struct {
    BlockCall *call;
    BlockStep step;
} PendingStep;

/* QEMU refused the job the call started: its place in the table goes. */
static void
forget_refused_job(BlockCall *call, QemuRun *run)
{
    QemuBlockJob *job = call->started_job_id && run ? active_job(call, run) : NULL;

    if (job && g_str_equal(job->job_id, call->started_job_id))
        g_hash_table_remove(run->block_jobs, call->disk);
}

static void
on_step_reply(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autofree PendingStep *pending = user_data;
    BlockCall *call = pending->call;
    GError *error = NULL;
    g_autoptr(JsonNode) reply = vb_qemu_monitor_execute_finish(NULL, result, &error);
    QemuRun *run = qemu_run_lookup(call->conn, call->uuid);

    if (!error && (!run || !run->proc))
        vb_set_error(&error, VB_ERR_OPERATION_FAILED, "%s", "domain is no longer running");
    if (error) {
        forget_refused_job(call, run);
        block_call_end(call, error);
        return;
    }
    pending->step(call, run, reply);
}

/* Sends @command (@args taken, may be NULL); @step continues with QEMU's answer. */
static void
block_call_execute(BlockCall *call, QemuRun *run, const char *command, JsonObject *args, BlockStep step)
{
    PendingStep *pending = g_new(PendingStep, 1);

    *pending = (PendingStep){ call, step };
    vb_qemu_monitor_execute(vb_qemu_process_get_monitor(run->proc), command, args, NULL, on_step_reply, pending);
    if (args)
        json_object_unref(args);
}

static void G_GNUC_PRINTF(3, 4)
block_call_fail(BlockCall *call, VbErrorCode code, const char *fmt, ...)
{
    GError *error = NULL;
    g_autofree char *message = NULL;
    va_list args;

    va_start(args, fmt);
    message = g_strdup_vprintf(fmt, args);
    va_end(args);
    vb_set_error(&error, code, "%s", message);
    block_call_end(call, error);
}

/* ---- the disk's block nodes ---- */

static JsonObject *
query_block_inserted(BlockCall *call, QemuRun *run, JsonNode *reply)
{
    VbDomainObj *dom = vb_obj_list_by_key(call->conn->domains, call->uuid);
    const VbDiskDef *disk = dom ? vb_domain_def_find_disk(dom->def, call->disk) : NULL;
    JsonObject *block = disk ? qemu_query_block_entry(reply, disk, call->disk_index) : NULL;

    return block && json_object_has_member(block, "inserted") ? json_object_get_object_member(block, "inserted")
                                                              : NULL;
}

/* After query-block: remembers the disk's root node, or ends the call. */
static JsonObject *
take_root_node(BlockCall *call, QemuRun *run, JsonNode *reply)
{
    JsonObject *inserted = query_block_inserted(call, run, reply);
    const char *node = inserted ? json_object_get_string_member_with_default(inserted, "node-name", NULL) : NULL;

    if (!node) {
        block_call_fail(call, VB_ERR_OPERATION_INVALID, "disk '%s' has no medium or no block node in QEMU", call->disk);
        return NULL;
    }
    call->node = g_strdup(node);
    return inserted;
}

static JsonObject *
image_backing(JsonObject *image)
{
    return image && json_object_has_member(image, "backing-image") ? json_object_get_object_member(image, "backing-image")
                                                                   : NULL;
}

static const char *
image_filename(JsonObject *image)
{
    return json_object_get_string_member_with_default(image, "filename", NULL);
}

/* The image of the chain (from query-block's "image") whose file is @path. */
static JsonObject *
chain_find(JsonObject *image, const char *path)
{
    for (; image; image = image_backing(image)) {
        if (g_strcmp0(image_filename(image), path) == 0)
            return image;
    }
    return NULL;
}

static JsonObject *
chain_bottom(JsonObject *image)
{
    while (image_backing(image))
        image = image_backing(image);
    return image;
}

/* ---- starting jobs ---- */

static void
save_status(QemuRun *run)
{
    VbDomainObj *dom = vb_obj_list_by_key(run->conn->domains, run->uuid);

    if (dom && run->proc)
        qemu_status_save(run->conn, dom, run);
}

static void
on_job_started(BlockCall *call, QemuRun *run, JsonNode *reply)
{
    save_status(run);
    block_call_end(call, NULL);
}

/* Sends the command that starts call->job (@args taken); the job is in the run's table from now. */
static void
start_job(BlockCall *call, QemuRun *run, const char *command, JsonObject *args)
{
    QemuBlockJob *job = g_steal_pointer(&call->job);

    call->started_job_id = g_strdup(job->job_id);
    g_hash_table_replace(run_block_jobs(run), job->disk, job);
    json_object_set_boolean_member(args, "auto-dismiss", FALSE);   /* an end seen after a restart too */
    block_call_execute(call, run, command, args, on_job_started);
}

static gboolean
refuse_second_job(BlockCall *call, QemuRun *run)
{
    if (!active_job(call, run))
        return FALSE;
    block_call_fail(call, VB_ERR_BLOCK_COPY_ACTIVE, "disk '%s' already in active block job", call->disk);
    return TRUE;
}

static void
set_speed_member(JsonObject *args, guint64 bandwidth)
{
    if (bandwidth)
        json_object_set_int_member(args, "speed", (gint64)bandwidth);
}

/* After query-block, for a job to start: the disk's image chain (may be NULL). FALSE, with the
 * call ended, when the disk has a job already or no block node. */
static gboolean
prepare_job(BlockCall *call, QemuRun *run, JsonNode *reply, JsonObject **image)
{
    JsonObject *inserted;

    if (refuse_second_job(call, run) || !(inserted = take_root_node(call, run, reply)))
        return FALSE;
    *image = json_object_has_member(inserted, "image") ? json_object_get_object_member(inserted, "image") : NULL;
    return TRUE;
}

/* The job ends in a pivot: the disk moves to @path, and our nodes of its old top can go. */
static void
set_pivot_target(BlockCall *call, const char *path, const char *format)
{
    call->job->base_path = g_strdup(path);
    call->job->base_format = g_strdup(format);
    if (g_str_has_suffix(call->node, "-format"))
        call->job->top_prefix = g_strndup(call->node, strlen(call->node) - strlen("-format"));
}

static void
rebase_with_nodes(BlockCall *call, QemuRun *run, JsonNode *reply)
{
    JsonObject *image;
    JsonObject *args;

    if (!prepare_job(call, run, reply, &image))
        return;
    if (call->base && !chain_find(image_backing(image), call->base)) {
        block_call_fail(call, VB_ERR_INVALID_ARG, "could not find image '%s' in the backing chain of the disk",
                        call->base);
        return;
    }
    call->job = block_job_new(call->disk, VB_BLOCK_JOB_TYPE_PULL);
    args = json_object_new();
    json_object_set_string_member(args, "job-id", call->job->job_id);
    json_object_set_string_member(args, "device", call->node);
    if (call->base)
        json_object_set_string_member(args, "base", call->base);
    set_speed_member(args, call->bandwidth);
    start_job(call, run, "block-stream", args);
}

/* libvirt's bandwidths are MiB/s unless the call's BANDWIDTH_BYTES flag says bytes/s. */
static gboolean
bandwidth_to_bytes(guint64 bandwidth, gboolean in_bytes, guint64 *out, GError **error)
{
    if (!in_bytes && bandwidth > (guint64)G_MAXINT64 >> 20) {
        vb_set_error(error, VB_ERR_OVERFLOW, "bandwidth must be less than %" G_GUINT64_FORMAT,
                     ((guint64)G_MAXINT64 >> 20) + 1);
        return FALSE;
    }
    if (in_bytes && bandwidth > G_MAXINT64) {
        vb_set_error(error, VB_ERR_OVERFLOW, "bandwidth must be less than %" G_GUINT64_FORMAT, (guint64)G_MAXINT64);
        return FALSE;
    }
    *out = in_bytes ? bandwidth : bandwidth << 20;
    return TRUE;
}

void
qemu_domain_block_rebase_async(VbConn *conn, VbDomainObj *dom, const char *disk, const char *base,
                               guint64 bandwidth, guint flags, GTask *task)
{
    BlockCall *call = block_call_new(conn, dom, disk, flags, task);
    GError *error = NULL;
    QemuRun *run;

    if (vb_check_flags(flags, VB_BLOCK_REBASE_BANDWIDTH_BYTES, base ? "virDomainBlockRebase" : "virDomainBlockPull",
                       &error))
        bandwidth_to_bytes(bandwidth, flags & VB_BLOCK_REBASE_BANDWIDTH_BYTES, &call->bandwidth, &error);
    call->base = base && *base ? g_strdup(base) : NULL;
    if (!block_call_begin(call, dom, error))
        return;
    run = qemu_run_lookup(conn, call->uuid);
    block_call_execute(call, run, "query-block", NULL, rebase_with_nodes);
}

/* Which images a commit merges: top (NULL: the active layer) down into base. */
static gboolean
commit_plan(BlockCall *call, JsonObject *image, JsonObject **top, JsonObject **base)
{
    gboolean active;

    *top = call->top ? chain_find(image, call->top) : image;
    if (!*top) {
        block_call_fail(call, VB_ERR_INVALID_ARG, "could not find top image '%s' in the backing chain of the disk",
                        call->top);
        return FALSE;
    }
    active = *top == image;
    if (active != !!(call->flags & VB_BLOCK_COMMIT_ACTIVE)) {
        block_call_fail(call, VB_ERR_INVALID_ARG, active ? "commit of '%s' active layer requires active flag"
                                                         : "active commit requested but '%s' is not active",
                        call->disk);
        return FALSE;
    }
    if (!image_backing(*top)) {
        block_call_fail(call, VB_ERR_INVALID_ARG, "top '%s' has no backing file", image_filename(*top));
        return FALSE;
    }
    *base = call->flags & VB_BLOCK_COMMIT_SHALLOW ? image_backing(*top)
            : call->base ? chain_find(image_backing(*top), call->base) : chain_bottom(*top);
    if (!*base) {
        block_call_fail(call, VB_ERR_INVALID_ARG, "could not find base image '%s' below the top in the backing chain",
                        call->base);
        return FALSE;
    }
    return TRUE;
}

static void
commit_with_nodes(BlockCall *call, QemuRun *run, JsonNode *reply)
{
    JsonObject *image, *top, *base;
    JsonObject *args;
    gboolean active;

    if (!prepare_job(call, run, reply, &image) || !commit_plan(call, image, &top, &base))
        return;
    active = top == image;
    call->job = block_job_new(call->disk, active ? VB_BLOCK_JOB_TYPE_ACTIVE_COMMIT : VB_BLOCK_JOB_TYPE_COMMIT);
    if (active)
        set_pivot_target(call, image_filename(base), json_object_get_string_member_with_default(base, "format", "raw"));
    args = json_object_new();
    json_object_set_string_member(args, "job-id", call->job->job_id);
    json_object_set_string_member(args, "device", call->node);
    if (!active)
        json_object_set_string_member(args, "top", image_filename(top));
    json_object_set_string_member(args, "base", image_filename(base));
    set_speed_member(args, call->bandwidth);
    start_job(call, run, "block-commit", args);
}

void
qemu_domain_block_commit_async(VbConn *conn, VbDomainObj *dom, const char *disk, const char *base, const char *top,
                               guint64 bandwidth, guint flags, GTask *task)
{
    BlockCall *call = block_call_new(conn, dom, disk, flags, task);
    GError *error = NULL;
    QemuRun *run;

    if (vb_check_flags(flags, VB_BLOCK_COMMIT_SHALLOW | VB_BLOCK_COMMIT_ACTIVE | VB_BLOCK_COMMIT_BANDWIDTH_BYTES,
                       "virDomainBlockCommit", &error))
        bandwidth_to_bytes(bandwidth, flags & VB_BLOCK_COMMIT_BANDWIDTH_BYTES, &call->bandwidth, &error);
    if (!error && (flags & VB_BLOCK_COMMIT_SHALLOW) && base && *base)
        vb_set_error(&error, VB_ERR_INVALID_ARG, "%s", "base and the shallow flag are mutually exclusive");
    call->base = base && *base ? g_strdup(base) : NULL;
    call->top = top && *top ? g_strdup(top) : NULL;
    if (!block_call_begin(call, dom, error))
        return;
    run = qemu_run_lookup(conn, call->uuid);
    block_call_execute(call, run, "query-block", NULL, commit_with_nodes);
}

/* ---- BlockCopy ---- */

/* BlockCopy's <disk type='file|block'> with <source file|dev> and an optional <driver type>. */
static gboolean
parse_copy_destination(BlockCall *call, const char *xml, GError **error)
{
    g_autoptr(xmlDoc) doc = vb_xml_parse(xml, "disk", error);
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    xmlNodePtr source, driver;
    g_autofree char *type = NULL;

    if (!root)
        return FALSE;
    type = vb_xml_prop(root, "type");
    if (!xmlStrEqual(root->name, BAD_CAST "disk") || (g_strcmp0(type, "file") && g_strcmp0(type, "block"))) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "%s", "the copy destination must be a <disk type='file'> or "
                     "<disk type='block'>");
        return FALSE;
    }
    source = vb_xml_child(root, "source");
    call->dest = source ? vb_xml_prop(source, g_str_equal(type, "file") ? "file" : "dev") : NULL;
    if (!call->dest || !g_path_is_absolute(call->dest)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "%s", "the copy destination needs an absolute <source> path");
        return FALSE;
    }
    if ((driver = vb_xml_child(root, "driver")))
        call->dest_format = vb_xml_prop(driver, "type");
    if (call->dest_format && g_strcmp0(call->dest_format, "raw") && g_strcmp0(call->dest_format, "qcow2")) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "unsupported copy destination format '%s'", call->dest_format);
        return FALSE;
    }
    return TRUE;
}

/* Without REUSE_EXT QEMU creates the destination: an existing file is never overwritten. */
static gboolean
check_copy_destination(BlockCall *call, GError **error)
{
    gboolean reuse = call->flags & VB_BLOCK_COPY_REUSE_EXT;
    gboolean exists = g_file_test(call->dest, G_FILE_TEST_EXISTS);

    if (reuse && !exists) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "missing destination file for disk %s: %s", call->disk,
                     call->dest);
        return FALSE;
    }
    if (!reuse && exists) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "destination file for disk %s exists: %s (REUSE_EXT copies "
                     "into an existing image)", call->disk, call->dest);
        return FALSE;
    }
    return TRUE;
}

static void
copy_with_nodes(BlockCall *call, QemuRun *run, JsonNode *reply)
{
    JsonObject *image;
    JsonObject *args;

    if (!prepare_job(call, run, reply, &image))
        return;
    if (!call->dest_format)
        call->dest_format = g_strdup(json_object_get_string_member_with_default(image, "format", "raw"));
    call->job = block_job_new(call->disk, VB_BLOCK_JOB_TYPE_COPY);
    set_pivot_target(call, call->dest, call->dest_format);
    args = json_object_new();
    json_object_set_string_member(args, "job-id", call->job->job_id);
    json_object_set_string_member(args, "device", call->node);
    json_object_set_string_member(args, "target", call->dest);
    json_object_set_string_member(args, "format", call->dest_format);
    json_object_set_string_member(args, "sync", call->flags & VB_BLOCK_COPY_SHALLOW ? "top" : "full");
    json_object_set_string_member(args, "mode", call->flags & VB_BLOCK_COPY_REUSE_EXT ? "existing" : "absolute-paths");
    if (call->flags & VB_BLOCK_COPY_SYNCHRONOUS_WRITES)
        json_object_set_string_member(args, "copy-mode", "write-blocking");
    set_speed_member(args, call->copy.bandwidth);
    if (call->copy.granularity)
        json_object_set_int_member(args, "granularity", call->copy.granularity);
    if (call->copy.buf_size)
        json_object_set_int_member(args, "buf-size", (gint64)call->copy.buf_size);
    start_job(call, run, "drive-mirror", args);
}

void
qemu_domain_block_copy_async(VbConn *conn, VbDomainObj *dom, const char *disk, const char *destxml,
                             const VbBlockCopyParams *params, guint flags, GTask *task)
{
    BlockCall *call = block_call_new(conn, dom, disk, flags, task);
    GError *error = NULL;

    call->copy = *params;
    if (vb_check_flags(flags, VB_BLOCK_COPY_SHALLOW | VB_BLOCK_COPY_REUSE_EXT | VB_BLOCK_COPY_TRANSIENT_JOB |
                                  VB_BLOCK_COPY_SYNCHRONOUS_WRITES, "virDomainBlockCopy", &error) &&
        parse_copy_destination(call, destxml, &error) && params->bandwidth > G_MAXINT64)
        vb_set_error(&error, VB_ERR_OVERFLOW, "bandwidth must be less than %" G_GUINT64_FORMAT, (guint64)G_MAXINT64);
    if (!error && params->granularity && (params->granularity & (params->granularity - 1)))
        vb_set_error(&error, VB_ERR_INVALID_ARG, "%s", "granularity must be power of 2");
    if (!block_call_begin(call, dom, error))
        return;
    if (!check_copy_destination(call, &error)) {
        block_call_end(call, error);
        return;
    }
    block_call_execute(call, qemu_run_lookup(conn, call->uuid), "query-block", NULL, copy_with_nodes);
}

/* ---- jobs in flight ---- */

/* The job on the call's disk, or NULL with the call ended. */
static QemuBlockJob *
require_job(BlockCall *call, QemuRun *run)
{
    QemuBlockJob *job = active_job(call, run);

    if (!job)
        block_call_fail(call, VB_ERR_OPERATION_INVALID, "disk %s does not have an active block job", call->disk);
    return job;
}

static void
on_abort_sent(BlockCall *call, QemuRun *run, JsonNode *reply)
{
    call->wait_for_end = !(call->flags & VB_BLOCK_JOB_ABORT_ASYNC);
    block_call_end(call, NULL);
}

static void
abort_job(BlockCall *call, QemuRun *run)
{
    gboolean pivot = call->flags & VB_BLOCK_JOB_ABORT_PIVOT;
    QemuBlockJob *job = require_job(call, run);   /* NULL: the call has ended */
    JsonObject *args;

    if (!job)
        return;
    if (pivot && job->type != VB_BLOCK_JOB_TYPE_ACTIVE_COMMIT && job->type != VB_BLOCK_JOB_TYPE_COPY) {
        block_call_fail(call, VB_ERR_OPERATION_INVALID, "pivot of disk '%s' requires an active copy job", call->disk);
        return;
    }
    if (pivot && !job->ready) {
        block_call_fail(call, VB_ERR_BLOCK_COPY_ACTIVE, "disk '%s' not ready for pivot yet", call->disk);
        return;
    }
    if (job->pivoting || job->cancelling) {
        block_call_fail(call, VB_ERR_OPERATION_INVALID, "block job on disk '%s' is already ending", call->disk);
        return;
    }
    job->pivoting = pivot;
    job->cancelling = !pivot;
    save_status(run);
    args = json_object_new();
    json_object_set_string_member(args, "device", job->job_id);
    block_call_execute(call, run, pivot ? "block-job-complete" : "block-job-cancel", args, on_abort_sent);
}

void
qemu_domain_block_job_abort_async(VbConn *conn, VbDomainObj *dom, const char *disk, guint flags, GTask *task)
{
    BlockCall *call = block_call_new(conn, dom, disk, flags, task);
    GError *error = NULL;

    vb_check_flags(flags, VB_BLOCK_JOB_ABORT_ASYNC | VB_BLOCK_JOB_ABORT_PIVOT, "virDomainBlockJobAbort", &error);
    if (block_call_begin(call, dom, error))
        abort_job(call, qemu_run_lookup(conn, call->uuid));
}

static void
on_simple_reply(BlockCall *call, QemuRun *run, JsonNode *reply)
{
    block_call_end(call, NULL);
}

void
qemu_domain_block_job_set_speed_async(VbConn *conn, VbDomainObj *dom, const char *disk, guint64 bandwidth,
                                      guint flags, GTask *task)
{
    BlockCall *call = block_call_new(conn, dom, disk, flags, task);
    GError *error = NULL;
    QemuRun *run;
    QemuBlockJob *job;
    JsonObject *args;

    if (vb_check_flags(flags, VB_BLOCK_JOB_BANDWIDTH_BYTES, "virDomainBlockJobSetSpeed", &error))
        bandwidth_to_bytes(bandwidth, flags & VB_BLOCK_JOB_BANDWIDTH_BYTES, &call->bandwidth, &error);
    if (!block_call_begin(call, dom, error))
        return;
    run = qemu_run_lookup(conn, call->uuid);
    if (!(job = require_job(call, run)))
        return;
    args = json_object_new();
    json_object_set_string_member(args, "device", job->job_id);
    json_object_set_int_member(args, "speed", (gint64)call->bandwidth);
    block_call_execute(call, run, "block-job-set-speed", args, on_simple_reply);
}

static void
info_from_jobs(BlockCall *call, QemuRun *run, JsonNode *reply)
{
    JsonArray *jobs = JSON_NODE_HOLDS_ARRAY(reply) ? json_node_get_array(reply) : NULL;
    QemuBlockJob *job = active_job(call, run);

    call->info = g_new0(VbBlockJobInfo, 1);
    for (guint i = 0; job && jobs && i < json_array_get_length(jobs); i++) {
        JsonObject *entry = json_array_get_object_element(jobs, i);
        guint64 speed;

        if (!entry || g_strcmp0(json_object_get_string_member_with_default(entry, "device", NULL), job->job_id))
            continue;
        speed = (guint64)MAX(json_object_get_int_member_with_default(entry, "speed", 0), 0);
        call->info->type = job->type;
        call->info->bandwidth = call->flags & VB_BLOCK_JOB_BANDWIDTH_BYTES ? speed : speed >> 20;
        call->info->cur = (guint64)MAX(json_object_get_int_member_with_default(entry, "offset", 0), 0);
        call->info->end = (guint64)MAX(json_object_get_int_member_with_default(entry, "len", 0), 0);
    }
    block_call_end(call, NULL);
}

void
qemu_domain_get_block_job_info_async(VbConn *conn, VbDomainObj *dom, const char *disk, guint flags, GTask *task)
{
    BlockCall *call = block_call_new(conn, dom, disk, flags, task);
    GError *error = NULL;

    vb_check_flags(flags, VB_BLOCK_JOB_BANDWIDTH_BYTES, "virDomainGetBlockJobInfo", &error);
    if (block_call_begin(call, dom, error))
        block_call_execute(call, qemu_run_lookup(conn, call->uuid), "query-block-jobs", NULL, info_from_jobs);
}

/* ---- BlockResize ---- */

static void
resize_with_nodes(BlockCall *call, QemuRun *run, JsonNode *reply)
{
    JsonObject *inserted = take_root_node(call, run, reply);
    JsonObject *image;
    JsonObject *args;

    if (!inserted)
        return;
    image = json_object_has_member(inserted, "image") ? json_object_get_object_member(inserted, "image") : NULL;
    if (g_strcmp0(json_object_get_string_member_with_default(image, "format", "raw"), "raw") == 0)
        call->size = (call->size + 511) / 512 * 512;   /* raw images grow in whole sectors */
    args = json_object_new();
    json_object_set_string_member(args, "node-name", call->node);
    json_object_set_int_member(args, "size", (gint64)call->size);
    block_call_execute(call, run, "block_resize", args, on_simple_reply);
}

void
qemu_domain_block_resize_async(VbConn *conn, VbDomainObj *dom, const char *disk, guint64 size, guint flags,
                               GTask *task)
{
    BlockCall *call = block_call_new(conn, dom, disk, flags, task);
    GError *error = NULL;

    if (vb_check_flags(flags, VB_BLOCK_RESIZE_BYTES, "virDomainBlockResize", &error) &&
        !(flags & VB_BLOCK_RESIZE_BYTES) && size > (guint64)(G_MAXINT64 - 511) / 1024)
        vb_set_error(&error, VB_ERR_OVERFLOW, "size must be less than %" G_GUINT64_FORMAT " KiB",
                     (guint64)(G_MAXINT64 - 511) / 1024);
    else if (!error && size > (guint64)G_MAXINT64 - 511)
        vb_set_error(&error, VB_ERR_OVERFLOW, "size must be less than %" G_GUINT64_FORMAT " bytes",
                     (guint64)G_MAXINT64 - 511);
    call->size = flags & VB_BLOCK_RESIZE_BYTES ? size : size * 1024;
    if (block_call_begin(call, dom, error))
        block_call_execute(call, qemu_run_lookup(conn, call->uuid), "query-block", NULL, resize_with_nodes);
}

/* ---- BlockPeek: the image's bytes, read from the host file ---- */

GBytes *
qemu_domain_block_peek(VbConn *conn, VbDomainObj *dom, const char *name, guint64 offset, gsize size, guint flags,
                       GError **error)
{
    const VbDiskDef *disk;
    g_autofree guint8 *buffer = NULL;
    ssize_t got;
    int fd;

    if (!vb_check_flags(flags, 0, "virDomainBlockPeek", error))
        return NULL;
    if (!vb_domain_obj_is_active(dom)) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "%s", "domain is not running");
        return NULL;
    }
    if (!(disk = vb_domain_def_find_disk(dom->def, name)) || !disk->source_file) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "disk '%s' not found in domain", name);
        return NULL;
    }
    if (disk->driver_type && !g_str_equal(disk->driver_type, "raw")) {
        vb_set_error(error, VB_ERR_OPERATION_UNSUPPORTED, "peeking is only supported for disk with 'raw' format "
                     "not '%s'", disk->driver_type);
        return NULL;
    }
    if (size > BLOCK_PEEK_MAX || offset > (guint64)G_MAXINT64 - size) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "size %zu at offset %" G_GUINT64_FORMAT " is beyond the %d bytes "
                     "one call may read", size, offset, BLOCK_PEEK_MAX);
        return NULL;
    }
    if ((fd = open(disk->source_file, O_RDONLY | O_CLOEXEC)) < 0) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "cannot open %s: %s", disk->source_file, g_strerror(errno));
        return NULL;
    }
    buffer = g_malloc0(MAX(size, 1));
    got = pread(fd, buffer, size, (off_t)offset);
    close(fd);
    if (got < 0 || (gsize)got != size) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "cannot read %zu bytes at offset %" G_GUINT64_FORMAT " of %s: %s",
                     size, offset, disk->source_file, got < 0 ? g_strerror(errno) : "the file is shorter");
        return NULL;
    }
    return g_bytes_new_take(g_steal_pointer(&buffer), size);
}

/* ---- QEMU's reports ---- */

/* The disk now reads and writes the base image: the live definition says so, and our nodes of
 * the old top go. */
static void
apply_pivot(QemuRun *run, VbDomainObj *dom, QemuBlockJob *job)
{
    VbDiskDef *disk = vb_domain_def_find_disk(dom->def, job->disk);

    if (disk && job->base_path) {
        g_free(disk->source_file);
        disk->source_file = g_strdup(job->base_path);
        g_free(disk->driver_type);
        disk->driver_type = g_strdup(job->base_format);
        vb_disk_def_set_extra(disk, "backingStore", NULL);
        qemu_status_save(run->conn, dom, run);
    }
    for (guint i = 0; job->top_prefix && i < 2; i++) {
        g_autofree char *node = g_strdup_printf("%s-%s", job->top_prefix, i == 0 ? "format" : "storage");
        JsonObject *args = json_object_new();

        json_object_set_string_member(args, "node-name", node);
        vb_qemu_monitor_execute(vb_qemu_process_get_monitor(run->proc), "blockdev-del", args, NULL, NULL, NULL);
        json_object_unref(args);
    }
}

/* QEMU forgets a concluded job (they are started with auto-dismiss off). */
static void
dismiss(QemuRun *run, const char *job_id)
{
    JsonObject *args = json_object_new();

    json_object_set_string_member(args, "id", job_id);
    vb_qemu_monitor_execute(vb_qemu_process_get_monitor(run->proc), "job-dismiss", args, NULL, NULL, NULL);
    json_object_unref(args);
}

static void
finish_job(QemuRun *run, VbDomainObj *dom, QemuBlockJob *job, int status)
{
    g_autofree char *disk = g_strdup(job->disk);
    int type = job->type;
    GPtrArray *waiters = g_steal_pointer(&job->waiters);

    job->waiters = g_ptr_array_new();
    if (status == VB_BLOCK_JOB_COMPLETED && job->pivoting)
        apply_pivot(run, dom, job);
    else if (status == VB_BLOCK_JOB_COMPLETED && type == VB_BLOCK_JOB_TYPE_PULL && vb_domain_def_find_disk(dom->def, disk))
        vb_disk_def_set_extra(vb_domain_def_find_disk(dom->def, disk), "backingStore", NULL);
    dismiss(run, job->job_id);
    g_hash_table_remove(run->block_jobs, disk);
    save_status(run);
    vb_conn_emit_full(run->conn, VB_EVENT_DOMAIN_BLOCK_JOB, run->uuid, type, status, VB_PRESENCE_SAME, disk);
    for (guint i = 0; i < waiters->len; i++) {
        GTask *task = g_ptr_array_index(waiters, i);
        g_task_return_boolean(task, TRUE);
        g_object_unref(task);
    }
    g_ptr_array_unref(waiters);
}

/* A copy or an active commit caught up: it waits for a pivot or a cancel. */
static void
job_ready(QemuRun *run, QemuBlockJob *job)
{
    job->ready = TRUE;
    save_status(run);
    vb_conn_emit_full(run->conn, VB_EVENT_DOMAIN_BLOCK_JOB, run->uuid, job->type, VB_BLOCK_JOB_READY,
                      VB_PRESENCE_SAME, job->disk);
}

void
qemu_blockjob_handle_event(QemuRun *run, VbDomainObj *dom, const char *name, JsonObject *data)
{
    QemuBlockJob *job = job_by_qemu_id(run, json_object_get_string_member_with_default(data, "device", NULL));

    if (!job)
        return;   /* not ours */
    if (g_str_equal(name, "BLOCK_JOB_READY"))
        job_ready(run, job);
    else if (g_str_equal(name, "BLOCK_JOB_CANCELLED") || (g_str_equal(name, "BLOCK_JOB_COMPLETED") && job->cancelling))
        finish_job(run, dom, job, VB_BLOCK_JOB_CANCELED);
    else if (g_str_equal(name, "BLOCK_JOB_COMPLETED"))
        finish_job(run, dom, job, json_object_has_member(data, "error") ? VB_BLOCK_JOB_FAILED : VB_BLOCK_JOB_COMPLETED);
}

/* ---- across a daemon restart ---- */

void
qemu_blockjob_status_format(QemuRun *run, VbBuf *buf)
{
    GHashTableIter iter;
    QemuBlockJob *job;

    if (!run->block_jobs)
        return;
    g_hash_table_iter_init(&iter, run->block_jobs);
    while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&job)) {
        vb_buf_escape(buf, "<blockjob disk='%s'", job->disk);
        vb_buf_add(buf, " type='%d' ready='%d' pivoting='%d' cancelling='%d'", job->type, job->ready, job->pivoting,
                   job->cancelling);
        vb_buf_escape(buf, " base='%s'", job->base_path);
        vb_buf_escape(buf, " format='%s'", job->base_format);
        vb_buf_escape(buf, " top='%s'", job->top_prefix);
        vb_buf_add(buf, "/>\n");
    }
}

static gboolean
prop_flag(xmlNodePtr node, const char *name)
{
    int value = 0;

    return vb_xml_prop_int(node, name, VB_XML_OPTIONAL, &value, NULL) && value != 0;
}

GHashTable *
qemu_blockjob_status_parse(xmlNodePtr root)
{
    GHashTable *jobs = NULL;

    VB_XML_FOREACH_CHILD(root, "blockjob", node) {
        g_autofree char *disk = vb_xml_prop(node, "disk");
        int type = 0;
        QemuBlockJob *job;

        if (!disk || !vb_xml_prop_int(node, "type", 0, &type, NULL) || type <= VB_BLOCK_JOB_TYPE_UNKNOWN ||
            type > VB_BLOCK_JOB_TYPE_ACTIVE_COMMIT)
            continue;
        job = block_job_new(disk, type);
        job->ready = prop_flag(node, "ready");
        job->pivoting = prop_flag(node, "pivoting");
        job->cancelling = prop_flag(node, "cancelling");
        job->base_path = vb_xml_prop(node, "base");
        job->base_format = vb_xml_prop(node, "format");
        job->top_prefix = vb_xml_prop(node, "top");
        if (!jobs)
            jobs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)qemu_block_job_free);
        g_hash_table_replace(jobs, job->disk, job);
    }
    return jobs;
}

/* query-jobs' entry with @id. */
static JsonObject *
qemu_job_entry(JsonNode *reply, const char *id)
{
    JsonArray *jobs = JSON_NODE_HOLDS_ARRAY(reply) ? json_node_get_array(reply) : NULL;

    for (guint i = 0; jobs && i < json_array_get_length(jobs); i++) {
        JsonObject *entry = json_array_get_object_element(jobs, i);
        if (entry && g_strcmp0(json_object_get_string_member_with_default(entry, "id", NULL), id) == 0)
            return entry;
    }
    return NULL;
}

/* What became of one job while nobody watched. */
static void
settle(QemuRun *run, VbDomainObj *dom, QemuBlockJob *job, JsonObject *entry)
{
    const char *status = entry ? json_object_get_string_member_with_default(entry, "status", "") : "";

    if (!entry || (g_str_equal(status, "concluded") && json_object_has_member(entry, "error")))
        finish_job(run, dom, job, VB_BLOCK_JOB_FAILED);
    else if (g_str_equal(status, "concluded"))
        finish_job(run, dom, job, job->cancelling ? VB_BLOCK_JOB_CANCELED : VB_BLOCK_JOB_COMPLETED);
    else if (g_str_equal(status, "ready") && !job->ready)
        job_ready(run, job);
}

typedef struct {
    VbConn *conn;
    char *uuid;
    QemuStepDone done;
    gpointer user_data;
} Reconcile;

static void
settle_all(QemuRun *run, VbDomainObj *dom, JsonNode *reply)
{
    g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func(g_free);
    GHashTableIter iter;
    gpointer key;

    g_hash_table_iter_init(&iter, run->block_jobs);
    while (g_hash_table_iter_next(&iter, &key, NULL))
        g_ptr_array_add(disks, g_strdup(key));
    for (guint i = 0; i < disks->len; i++) {
        QemuBlockJob *job = g_hash_table_lookup(run->block_jobs, g_ptr_array_index(disks, i));
        if (job)
            settle(run, dom, job, qemu_job_entry(reply, job->job_id));
    }
}

static void
on_jobs_listed(GObject *source, GAsyncResult *res, gpointer user_data)
{
    Reconcile *reconcile = user_data;
    GError *error = NULL;
    g_autoptr(JsonNode) reply = vb_qemu_monitor_execute_finish(NULL, res, &error);
    QemuRun *run = qemu_run_lookup(reconcile->conn, reconcile->uuid);
    VbDomainObj *dom = vb_obj_list_by_key(reconcile->conn->domains, reconcile->uuid);

    if (reply && run && run->proc && dom && run->block_jobs)
        settle_all(run, dom, reply);
    reconcile->done(reconcile->conn, reconcile->uuid, error, reconcile->user_data);
    g_free(reconcile->uuid);
    g_free(reconcile);
}

void
qemu_blockjob_reconcile(QemuRun *run, QemuStepDone done, gpointer user_data)
{
    Reconcile *reconcile;

    if (!run->block_jobs || g_hash_table_size(run->block_jobs) == 0 || !run->proc) {
        done(run->conn, run->uuid, NULL, user_data);
        return;
    }
    reconcile = g_new(Reconcile, 1);
    *reconcile = (Reconcile){ run->conn, g_strdup(run->uuid), done, user_data };
    vb_qemu_monitor_execute(vb_qemu_process_get_monitor(run->proc), "query-jobs", NULL, NULL, on_jobs_listed,
                            reconcile);
}
