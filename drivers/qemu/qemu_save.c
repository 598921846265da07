/* qemu_save.c: a running guest's state to a file and back (Save/Restore, ManagedSave), through
 * QEMU's migration to and from a file descriptor.
 *
 * The file is a header, the domain XML, zeros up to a 4 KiB boundary, then QEMU's stream:
 *   "VirtbusQemuSave\0" | u32 version | u32 XML length | u32 was running | u32 unused[5]
 * (integers little-endian). The XML is the inactive form with secrets, as needed to run it. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "drivers/qemu/qemu_private.h"

#define SAVE_MAGIC "VirtbusQemuSave"
#define SAVE_VERSION 1
#define SAVE_ALIGN 4096
#define SAVE_XML_MAX (16 * 1024 * 1024)
#define MIGRATION_POLL_MS 50
#define MIGRATION_FD_NAME "vb-migration"
#define MIGRATION_MAX_BANDWIDTH G_GINT64_CONSTANT(8589934592)   /* bytes/s: a file is not a network */
#define SAVE_FLAGS (VB_SAVE_BYPASS_CACHE | VB_SAVE_RUNNING | VB_SAVE_PAUSED)

typedef struct {
    char magic[16];
    guint32 version;
    guint32 xml_len;
    guint32 was_running;
    guint32 unused[5];
} SaveHeader;

G_STATIC_ASSERT(sizeof(SaveHeader) == 48);

/* ---- fsync off the main loop: a file of guest memory can take seconds to reach the disk ---- */

typedef struct {
    int fd;
    char *path;
} FileSync;

static void
file_sync_free(FileSync *sync)
{
    g_free(sync->path);
    g_free(sync);
}

static void
file_sync_in_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    FileSync *sync = task_data;
    GError *error = NULL;

    if (fsync(sync->fd) == 0) {
        g_task_return_boolean(task, TRUE);
        return;
    }
    vb_set_error(&error, VB_ERR_SYSTEM_ERROR, "unable to fsync '%s': %s", sync->path, g_strerror(errno));
    g_task_return_error(task, error);
}

void
qemu_file_sync_async(int fd, const char *path, GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(NULL, NULL, callback, user_data);
    FileSync *sync = g_new0(FileSync, 1);

    sync->fd = fd;
    sync->path = g_strdup(path);
    g_task_set_task_data(task, sync, (GDestroyNotify)file_sync_free);
    g_task_run_in_thread(task, file_sync_in_thread);
}

gboolean
qemu_file_sync_finish(GAsyncResult *result, GError **error)
{
    return g_task_propagate_boolean(G_TASK(result), error);
}

/* ---- migration to or from an fd ---- */

typedef struct {
    VbConn *conn;
    char *uuid;
    gboolean incoming;
    QemuMigrationDone done;
    gpointer user_data;
} Migration;

static void
migration_finish(Migration *migration, GError *error)
{
    migration->done(migration->conn, migration->uuid, error, migration->user_data);
    g_free(migration->uuid);
    g_free(migration);
}

static VbQemuMonitor *
migration_monitor(Migration *migration, GError **error)
{
    QemuRun *run = qemu_run_lookup(migration->conn, migration->uuid);

    if (run && run->proc)
        return vb_qemu_process_get_monitor(run->proc);
    vb_set_error(error, VB_ERR_OPERATION_FAILED, "QEMU ended during the migration");
    return NULL;
}

static gboolean poll_migration(gpointer user_data);

static void
on_migration_status(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Migration *migration = user_data;
    GError *error = NULL;
    g_autoptr(JsonNode) reply = vb_qemu_monitor_execute_finish(NULL, result, &error);
    JsonObject *info = reply && JSON_NODE_HOLDS_OBJECT(reply) ? json_node_get_object(reply) : NULL;
    const char *status = info ? json_object_get_string_member_with_default(info, "status", "") : "";

    if (error) {
        migration_finish(migration, error);
    } else if (g_str_equal(status, "completed")) {
        migration_finish(migration, NULL);
    } else if (g_str_equal(status, "failed") || g_str_equal(status, "cancelled")) {
        vb_set_error(&error, VB_ERR_OPERATION_FAILED, "migration job: %s",
                     json_object_get_string_member_with_default(info, "error-desc", status));
        migration_finish(migration, error);
    } else {
        g_timeout_add(MIGRATION_POLL_MS, poll_migration, migration);
    }
}

static gboolean
poll_migration(gpointer user_data)
{
    Migration *migration = user_data;
    GError *error = NULL;
    VbQemuMonitor *mon = migration_monitor(migration, &error);

    if (!mon)
        migration_finish(migration, error);
    else
        vb_qemu_monitor_execute(mon, "query-migrate", NULL, NULL, on_migration_status, migration);
    return G_SOURCE_REMOVE;
}

static void
on_migration_started(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Migration *migration = user_data;
    GError *error = NULL;
    g_autoptr(JsonNode) reply G_GNUC_UNUSED = vb_qemu_monitor_execute_finish(NULL, result, &error);

    if (error)
        migration_finish(migration, error);
    else
        poll_migration(migration);
}

static void
start_migration(Migration *migration, VbQemuMonitor *mon)
{
    g_autoptr(JsonObject) args = json_object_new();

    json_object_set_string_member(args, "uri", "fd:" MIGRATION_FD_NAME);
    vb_qemu_monitor_execute(mon, migration->incoming ? "migrate-incoming" : "migrate", args, NULL,
                            on_migration_started, migration);
}

static void
on_bandwidth_set(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Migration *migration = user_data;
    GError *error = NULL;
    g_autoptr(JsonNode) reply G_GNUC_UNUSED = vb_qemu_monitor_execute_finish(NULL, result, &error);
    VbQemuMonitor *mon = error ? NULL : migration_monitor(migration, &error);

    if (!mon)
        migration_finish(migration, error);
    else
        start_migration(migration, mon);
}

static void
on_fd_sent(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Migration *migration = user_data;
    GError *error = NULL;
    VbQemuMonitor *mon = migration_monitor(migration, &error);
    g_autoptr(JsonObject) args = json_object_new();

    if (!mon || !vb_qemu_monitor_send_fd_finish(mon, result, &error)) {
        migration_finish(migration, error);
        return;
    }
    if (migration->incoming) {
        start_migration(migration, mon);
        return;
    }
    json_object_set_int_member(args, "max-bandwidth", MIGRATION_MAX_BANDWIDTH);
    vb_qemu_monitor_execute(mon, "migrate-set-parameters", args, NULL, on_bandwidth_set, migration);
}

void
qemu_migration_run(QemuRun *run, int fd, gboolean incoming, QemuMigrationDone done, gpointer user_data)
{
    Migration *migration = g_new0(Migration, 1);

    migration->conn = run->conn;
    migration->uuid = g_strdup(run->uuid);
    migration->incoming = incoming;
    migration->done = done;
    migration->user_data = user_data;
    vb_qemu_monitor_send_fd(vb_qemu_process_get_monitor(run->proc), MIGRATION_FD_NAME, fd, NULL, on_fd_sent,
                            migration);
}

/* ---- the file ---- */

static gboolean
write_all(int fd, const void *data, gsize len, const char *path, GError **error)
{
    const char *p = data;

    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            vb_set_error(error, VB_ERR_SYSTEM_ERROR, "failed to write to '%s': %s", path, g_strerror(errno));
            return FALSE;
        }
        p += n;
        len -= (gsize)n;
    }
    return TRUE;
}

/* Creates @path with the header and XML; returns the fd, positioned where QEMU's stream goes. */
static int
save_file_create(const char *path, const VbDomainDef *def, gboolean was_running, GError **error)
{
    g_autofree char *xml = vb_domain_def_format_full(def, -1, VB_DOMAIN_XML_INACTIVE | VB_DOMAIN_XML_SECURE);
    gsize xml_len = strlen(xml) + 1;
    gsize total = (sizeof(SaveHeader) + xml_len + SAVE_ALIGN - 1) / SAVE_ALIGN * SAVE_ALIGN;
    g_autofree char *block = g_malloc0(total);
    SaveHeader header = { .version = GUINT32_TO_LE(SAVE_VERSION), .xml_len = GUINT32_TO_LE((guint32)xml_len),
                          .was_running = GUINT32_TO_LE(was_running ? 1 : 0) };
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    if (fd < 0) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "Failed to create file '%s': %s", path, g_strerror(errno));
        return -1;
    }
    memcpy(header.magic, SAVE_MAGIC, sizeof(SAVE_MAGIC));
    memcpy(block, &header, sizeof(header));
    memcpy(block + sizeof(header), xml, xml_len);
    if (!write_all(fd, block, total, path, error)) {
        close(fd);
        g_unlink(path);
        return -1;
    }
    return fd;
}

static gboolean
read_exact(int fd, void *data, gsize len, const char *path, GError **error)
{
    char *p = data;

    while (len > 0) {
        ssize_t n = read(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            vb_set_error(error, VB_ERR_OPERATION_FAILED, "failed to read the save image header of '%s'", path);
            return FALSE;
        }
        p += n;
        len -= (gsize)n;
    }
    return TRUE;
}

/* Opens a save image: returns the fd at the start of QEMU's stream, its XML and saved state. */
static int
save_file_open(const char *path, char **xml, gboolean *was_running, GError **error)
{
    SaveHeader header;
    g_autofree char *text = NULL;
    gsize xml_len, data_offset;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "cannot open saved image '%s': %s", path, g_strerror(errno));
        return -1;
    }
    if (!read_exact(fd, &header, sizeof(header), path, error))
        goto fail;
    xml_len = GUINT32_FROM_LE(header.xml_len);
    if (memcmp(header.magic, SAVE_MAGIC, sizeof(SAVE_MAGIC)) != 0 ||
        GUINT32_FROM_LE(header.version) != SAVE_VERSION || xml_len == 0 || xml_len > SAVE_XML_MAX) {
        vb_set_error(error, VB_ERR_OPERATION_FAILED, "image magic is incorrect: '%s' is not a saved domain", path);
        goto fail;
    }
    text = g_malloc(xml_len);
    if (!read_exact(fd, text, xml_len, path, error))
        goto fail;
    if (text[xml_len - 1] != '\0') {
        vb_set_error(error, VB_ERR_OPERATION_FAILED, "the domain XML in '%s' is corrupt", path);
        goto fail;
    }
    data_offset = (sizeof(header) + xml_len + SAVE_ALIGN - 1) / SAVE_ALIGN * SAVE_ALIGN;
    if (lseek(fd, (off_t)data_offset, SEEK_SET) < 0) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "cannot seek in '%s': %s", path, g_strerror(errno));
        goto fail;
    }
    *xml = g_steal_pointer(&text);
    *was_running = GUINT32_FROM_LE(header.was_running) != 0;
    return fd;

fail:
    close(fd);
    return -1;
}

/* The definition to run: the image's own, or a replacement for the same domain. */
static VbDomainDef *
saved_def(const char *image_xml, const char *override_xml, GError **error)
{
    g_autoptr(VbDomainDef) def = vb_domain_def_parse(image_xml, 0, error);
    g_autoptr(VbDomainDef) other = NULL;

    if (!def || !override_xml)
        return g_steal_pointer(&def);
    if (!(other = vb_domain_def_parse(override_xml, 0, error)))
        return NULL;
    if (!g_str_equal(other->uuid, def->uuid) || !g_str_equal(other->name, def->name)) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "the XML for domain '%s' does not match the saved domain '%s'",
                     other->name, def->name);
        return NULL;
    }
    return g_steal_pointer(&other);
}

/* ---- save ---- */

typedef struct {
    VbConn *conn;
    char *uuid;
    char *path;
    int fd;
    gboolean paused_here;    /* we stopped the vCPUs for the save */
    gboolean managed;
    GTask *task;
} SaveJob;

static void
save_job_free(SaveJob *job)
{
    if (job->fd >= 0)
        close(job->fd);
    g_free(job->uuid);
    g_free(job->path);
    g_free(job);
}

static void
save_job_end(SaveJob *job, GError *error)
{
    qemu_job_end(qemu_run_lookup(job->conn, job->uuid), job->task, error);
    save_job_free(job);
}

static void
on_save_killed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    SaveJob *job = user_data;
    QemuRun *run = qemu_run_lookup(job->conn, job->uuid);
    GError *error = NULL;

    if (run && !vb_qemu_process_kill_finish(run->proc, result, &error)) {
        save_job_end(job, error);
        return;
    }
    if (run)
        qemu_run_end(run, VB_SHUTOFF_SAVED, VB_EVENT_STOPPED_SAVED);
    save_job_end(job, NULL);
}

static void
on_resumed_after_failure(GObject *source, GAsyncResult *result, gpointer user_data)
{
    SaveJob *job = user_data;
    g_autoptr(JsonNode) reply G_GNUC_UNUSED = vb_qemu_monitor_execute_finish(NULL, result, NULL);
    GError *error = g_object_steal_data(G_OBJECT(job->task), "error");

    save_job_end(job, error);
}

/* The image is on disk (or failed with @error, taken): the guest goes, or runs on. */
static void
save_written(SaveJob *job, GError *error)
{
    QemuRun *run = qemu_run_lookup(job->conn, job->uuid);
    VbDomainObj *dom = vb_obj_list_by_key(job->conn->domains, job->uuid);

    if (error) {
        g_unlink(job->path);
        if (run && job->paused_here) {
            g_object_set_data(G_OBJECT(job->task), "error", error);
            vb_qemu_monitor_execute(vb_qemu_process_get_monitor(run->proc), "cont", NULL, NULL,
                                    on_resumed_after_failure, job);
            return;
        }
        save_job_end(job, error);
        return;
    }
    if (!run) {
        vb_set_error(&error, VB_ERR_OPERATION_FAILED, "QEMU ended during the save");
        g_unlink(job->path);
        save_job_end(job, error);
        return;
    }
    if (dom && job->managed)
        dom->has_managed_save = TRUE;
    run->saved = TRUE;
    vb_qemu_process_kill(run->proc, 0, NULL, on_save_killed, job);
}

static void
on_save_synced(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GError *error = NULL;

    qemu_file_sync_finish(result, &error);
    save_written(user_data, error);
}

static void
on_saved(VbConn *conn, const char *uuid, GError *error, gpointer user_data)
{
    SaveJob *job = user_data;

    if (error)
        save_written(job, error);
    else
        qemu_file_sync_async(job->fd, job->path, on_save_synced, job);
}

static void
on_paused_for_save(GObject *source, GAsyncResult *result, gpointer user_data)
{
    SaveJob *job = user_data;
    QemuRun *run = qemu_run_lookup(job->conn, job->uuid);
    GError *error = NULL;
    g_autoptr(JsonNode) reply G_GNUC_UNUSED = vb_qemu_monitor_execute_finish(NULL, result, &error);

    if (!error && !run)
        vb_set_error(&error, VB_ERR_OPERATION_FAILED, "QEMU ended during the save");
    if (error) {
        g_unlink(job->path);
        save_job_end(job, error);
        return;
    }
    qemu_migration_run(run, job->fd, FALSE, on_saved, job);
}

static void
save_begin(VbConn *conn, VbDomainObj *dom, const char *path, const char *xml, guint flags, gboolean managed,
           GTask *task)
{
    GError *error = NULL;
    g_autoptr(VbDomainDef) override = NULL;
    gboolean running = dom->state == VB_DOMAIN_RUNNING;
    QemuRun *run;
    SaveJob *job;
    int fd;

    if ((flags & VB_SAVE_RUNNING) && (flags & VB_SAVE_PAUSED)) {
        vb_set_error(&error, VB_ERR_INVALID_ARG, "running and paused flags are mutually exclusive");
        qemu_job_end(NULL, task, error);
        return;
    }
    if (xml && !(override = saved_def(xml, NULL, &error))) {
        qemu_job_end(NULL, task, error);
        return;
    }
    if (override && (!g_str_equal(override->uuid, dom->def->uuid) || !g_str_equal(override->name, dom->def->name))) {
        vb_set_error(&error, VB_ERR_OPERATION_INVALID, "the XML for domain '%s' does not match domain '%s'",
                     override->name, dom->def->name);
        qemu_job_end(NULL, task, error);
        return;
    }
    if (!(run = qemu_job_begin_active(conn, dom, &error))) {
        qemu_job_end(NULL, task, error);
        return;
    }
    if ((fd = save_file_create(path, override ? override : dom->def,
                               (flags & VB_SAVE_RUNNING) || (running && !(flags & VB_SAVE_PAUSED)), &error)) < 0) {
        qemu_job_end(run, task, error);
        return;
    }
    job = g_new0(SaveJob, 1);
    job->conn = conn;
    job->uuid = g_strdup(dom->def->uuid);
    job->path = g_strdup(path);
    job->fd = fd;
    job->managed = managed;
    job->task = task;
    if (!running) {
        qemu_migration_run(run, fd, FALSE, on_saved, job);
        return;
    }
    job->paused_here = TRUE;
    run->pause_reason = VB_PAUSED_SAVE;
    vb_qemu_monitor_execute(vb_qemu_process_get_monitor(run->proc), "stop", NULL, NULL, on_paused_for_save, job);
}

void
qemu_domain_save_async(VbConn *conn, VbDomainObj *dom, const char *to, const char *xml, guint flags, GTask *task)
{
    GError *error = NULL;

    if (!vb_check_flags(flags, SAVE_FLAGS, "virDomainSaveFlags", &error)) {
        qemu_job_end(NULL, task, error);
        return;
    }
    save_begin(conn, dom, to, xml, flags, FALSE, task);
}

char *
qemu_managed_save_path(VbConn *conn, const VbDomainDef *def)
{
    g_autofree char *file = g_strconcat(def->name, ".save", NULL);

    return g_build_filename(qemu_priv(conn)->save_dir, file, NULL);
}

void
qemu_domain_managed_save_async(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task)
{
    g_autofree char *path = qemu_managed_save_path(conn, dom->def);
    GError *error = NULL;

    if (!vb_check_flags(flags, SAVE_FLAGS, "virDomainManagedSave", &error)) {
        qemu_job_end(NULL, task, error);
        return;
    }
    if (!dom->persistent) {
        vb_set_error(&error, VB_ERR_OPERATION_INVALID, "cannot do managed save for transient domain");
        qemu_job_end(NULL, task, error);
        return;
    }
    save_begin(conn, dom, path, NULL, flags, TRUE, task);
}

gboolean
qemu_domain_managed_save_remove(VbConn *conn, VbDomainObj *dom, guint flags, GError **error)
{
    g_autofree char *path = qemu_managed_save_path(conn, dom->def);

    if (!vb_check_flags(flags, 0, "virDomainManagedSaveRemove", error))
        return FALSE;
    if (g_unlink(path) < 0 && errno != ENOENT) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "Failed to remove managed save file '%s': %s", path,
                     g_strerror(errno));
        return FALSE;
    }
    dom->has_managed_save = FALSE;
    return TRUE;
}

/* ---- restore ---- */

static gboolean
start_paused(guint flags, gboolean was_running)
{
    return (flags & VB_SAVE_PAUSED) || (!(flags & VB_SAVE_RUNNING) && !was_running);
}

void
qemu_domain_restore_async(VbConn *conn, const char *from, const char *xml, guint flags, GTask *task)
{
    g_autofree char *image_xml = NULL;
    gboolean was_running = FALSE;
    GError *error = NULL;
    VbDomainDef *def;
    int fd;

    if (!vb_check_flags(flags, SAVE_FLAGS, "virDomainRestoreFlags", &error) ||
        (fd = save_file_open(from, &image_xml, &was_running, &error)) < 0) {
        qemu_job_end(NULL, task, error);
        return;
    }
    if (!(def = saved_def(image_xml, xml, &error))) {
        close(fd);
        qemu_job_end(NULL, task, error);
        return;
    }
    qemu_domain_start_saved(conn, def, fd, start_paused(flags, was_running) ? VB_START_PAUSED : 0, NULL, task);
}

/* Create of a domain with a managed save image: it continues from there. */
void
qemu_domain_start_managed_save(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task)
{
    g_autofree char *path = qemu_managed_save_path(conn, dom->def);
    g_autofree char *image_xml = NULL;
    gboolean was_running = FALSE;
    GError *error = NULL;
    VbDomainDef *def;
    int fd;

    if ((fd = save_file_open(path, &image_xml, &was_running, &error)) < 0 ||
        !(def = saved_def(image_xml, NULL, &error))) {
        if (fd >= 0)
            close(fd);
        qemu_job_end(NULL, task, error);
        return;
    }
    qemu_domain_start_saved(conn, def, fd, (flags & VB_START_PAUSED) || !was_running ? VB_START_PAUSED : 0, path,
                            task);
}

char *
qemu_domain_save_image_get_xml_desc(VbConn *conn, const char *file, guint flags, GError **error)
{
    g_autofree char *image_xml = NULL;
    g_autoptr(VbDomainDef) def = NULL;
    gboolean was_running;
    int fd;

    if (!vb_check_flags(flags, VB_DOMAIN_XML_SECURE, "virDomainSaveImageGetXMLDesc", error) ||
        (fd = save_file_open(file, &image_xml, &was_running, error)) < 0)
        return NULL;
    close(fd);
    if (!(def = vb_domain_def_parse(image_xml, 0, error)))
        return NULL;
    return vb_domain_def_format_full(def, -1, VB_DOMAIN_XML_INACTIVE | (flags & VB_DOMAIN_XML_SECURE));
}
