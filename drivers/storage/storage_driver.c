/* storage_driver.c: storage pools of a hypervisor connection: configs on disk, autostart, the
 * `default` pool, pool lifecycle and events, and the worker jobs that do slow disk work.
 *
 * Only dir pools have a backend here (storage_dir.c). Pool configs live in
 * <config root>/virtbus/storage/<name>.xml, autostart marks are symlinks in its autostart/. */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "drivers/persist.h"
#include "drivers/storage/storage_private.h"

#define DEFAULT_POOL "default"

/* libvirt's virStoragePoolCreateFlags and virStoragePoolBuildFlags */
enum { POOL_CREATE_WITH_BUILD = 1 << 0, POOL_CREATE_OVERWRITE = 1 << 1, POOL_CREATE_NO_OVERWRITE = 1 << 2 };
#define POOL_XML_INACTIVE 1
#define POOL_DEFINE_VALIDATE 1

/* ---- state ---- */

static VbStorage *
storage_ref(VbStorage *st)
{
    st->refs++;
    return st;
}

static void
storage_unref(VbStorage *st)
{
    if (--st->refs > 0)
        return;
    g_free(st->config_dir);
    g_free(st->autostart_dir);
    g_free(st->images_dir);
    g_hash_table_unref(st->pool_jobs);
    g_hash_table_unref(st->pool_scans);
    g_hash_table_unref(st->busy_vols);
    g_free(st);
}

/* ---- shared helpers ---- */

gboolean
storage_check_active(VbStoragePoolObj *pool, gboolean want_active, GError **error)
{
    if (pool->active == want_active)
        return TRUE;
    vb_set_error(error, VB_ERR_OPERATION_INVALID, want_active ? "storage pool '%s' is not active"
                                                              : "storage pool '%s' is already active", pool->def->name);
    return FALSE;
}

static gboolean
check_no_jobs(GHashTable *jobs, VbStoragePoolObj *pool, GError **error)
{
    if (!g_hash_table_contains(jobs, pool->def->uuid))
        return TRUE;
    vb_set_error(error, VB_ERR_OPERATION_INVALID, "pool '%s' has asynchronous jobs running.", pool->def->name);
    return FALSE;
}

gboolean
storage_check_idle(VbConn *conn, VbStoragePoolObj *pool, GError **error)
{
    return check_no_jobs(vb_storage(conn)->pool_jobs, pool, error);
}

gboolean
storage_check_vol_free(VbConn *conn, VbStoragePoolObj *pool, VbStorageVolObj *vol, GError **error)
{
    VbStorage *st = vb_storage(conn);

    if (vol && g_hash_table_contains(st->busy_vols, vol->def->key)) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "volume '%s' is still in use.", vol->def->name);
        return FALSE;
    }
    return check_no_jobs(st->pool_scans, pool, error);
}

static void
copy_perms(VbStoragePerms *to, const VbStoragePerms *from)
{
    *to = *from;
    to->label = g_strdup(from->label);
}

VbStorageVolDef *
storage_vol_def_copy(const VbStorageVolDef *def)
{
    VbStorageVolDef *copy = g_new0(VbStorageVolDef, 1);

    copy->type = def->type;
    copy->name = g_strdup(def->name);
    copy->key = g_strdup(def->key);
    copy->capacity = def->capacity;
    copy->allocation = def->allocation;
    copy->physical = def->physical;
    copy->target.path = g_strdup(def->target.path);
    copy->target.format = def->target.format;
    copy_perms(&copy->target.perms, &def->target.perms);
    copy->target.encryption = g_strdup(def->target.encryption);
    copy->target.compat = g_strdup(def->target.compat);
    copy->target.lazy_refcounts = def->target.lazy_refcounts;
    copy->backing.path = g_strdup(def->backing.path);
    copy->backing.format = def->backing.format;
    copy_perms(&copy->backing.perms, &def->backing.perms);
    return copy;
}

void
storage_apply_sizes(VbStoragePoolObj *pool, const VbPoolSizes *sizes)
{
    pool->def->capacity = sizes->capacity;
    pool->def->allocation = sizes->allocation;
    pool->def->available = sizes->available;
}

void
storage_emit_volume(VbConn *conn, VbStorageVolObj *vol, VbPresence presence)
{
    vb_conn_emit(conn, VB_EVENT_STORAGE_VOL, vol->def->key, 0, 0, presence);
}

static void
emit_pool(VbConn *conn, VbStoragePoolObj *pool, int event, VbPresence presence)
{
    vb_conn_emit(conn, VB_EVENT_STORAGE_POOL, pool->def->uuid, event, 0, presence);
}

/* ---- worker jobs ---- */

static void
counter_add(GHashTable *table, const char *key, int delta)
{
    guint count = GPOINTER_TO_UINT(g_hash_table_lookup(table, key)) + (guint)delta;

    if (count)
        g_hash_table_insert(table, g_strdup(key), GUINT_TO_POINTER(count));
    else
        g_hash_table_remove(table, key);
}

StorageJob *
storage_job_new(VbConn *conn, VbStoragePoolObj *pool, GTask *task)
{
    StorageJob *job = g_new0(StorageJob, 1);

    job->conn = conn;
    job->storage = storage_ref(vb_storage(conn));
    job->task = task;
    job->pools = g_ptr_array_new_with_free_func(g_free);
    job->busy = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(job->pools, g_strdup(pool->def->uuid));
    job->path = g_strdup(pool->def->target_path);
    return job;
}

void
storage_job_mark_busy(StorageJob *job, VbStorageVolObj *vol)
{
    g_ptr_array_add(job->busy, g_strdup(vol->def->key));
    if (!g_str_equal(vol->pool->def->uuid, g_ptr_array_index(job->pools, 0)))
        g_ptr_array_add(job->pools, g_strdup(vol->pool->def->uuid));
}

static void
job_free(StorageJob *job)
{
    storage_unref(job->storage);
    g_ptr_array_unref(job->pools);
    g_ptr_array_unref(job->busy);
    g_free(job->path);
    vb_storage_vol_def_free(job->def);
    vb_storage_vol_def_free(job->from);
    vb_storage_vol_def_free(job->result);
    g_clear_pointer(&job->vols, g_ptr_array_unref);
    g_free(job);
}

static void
job_count(StorageJob *job, int delta)
{
    for (guint i = 0; i < job->pools->len; i++)
        counter_add(job->storage->pool_jobs, g_ptr_array_index(job->pools, i), delta);
    if (job->scan)
        counter_add(job->storage->pool_scans, g_ptr_array_index(job->pools, 0), delta);
    for (guint i = 0; i < job->busy->len; i++)
        counter_add(job->storage->busy_vols, g_ptr_array_index(job->busy, i), delta);
}

static void
job_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
    StorageJob *job = data;
    GError *error = NULL;

    if (job->work(job, &error))
        g_task_return_boolean(task, TRUE);
    else
        g_task_return_error(task, error);
}

static void
job_finished(GObject *source, GAsyncResult *result, gpointer data)
{
    StorageJob *job = data;
    g_autoptr(GError) error = NULL;
    VbStoragePoolObj *pool;

    g_task_propagate_boolean(G_TASK(result), &error);
    job_count(job, -1);
    if (job->storage->closed) {
        g_task_return_new_error(job->task, VB_ERROR, VB_ERR_OPERATION_FAILED, "the connection was closed");
    } else {
        /* lifecycle calls wait for the job, so the pool is still there */
        pool = vb_obj_list_by_key(job->conn->pools, g_ptr_array_index(job->pools, 0));
        g_assert(pool);
        job->done(job, pool, error);
    }
    g_object_unref(job->task);
    job_free(job);
}

void
storage_job_run(StorageJob *job)
{
    g_autoptr(GTask) worker = g_task_new(NULL, NULL, job_finished, job);

    job_count(job, +1);
    g_task_set_task_data(worker, job, NULL);
    g_task_run_in_thread(worker, job_thread);
}

/* ---- configs ---- */

static char *
config_file(const char *dir, const char *name)
{
    g_autofree char *file = g_strconcat(name, ".xml", NULL);

    return g_build_filename(dir, file, NULL);
}

static gboolean
config_save(VbStorage *st, const VbStoragePoolDef *def, GError **error)
{
    g_autofree char *path = config_file(st->config_dir, def->name);
    VbStoragePoolDef saved = *def;
    g_autofree char *xml = NULL;

    /* sizes are facts of the running pool, not configuration */
    saved.capacity = saved.allocation = saved.available = 0;
    xml = vb_storage_pool_def_format(&saved, 0);
    return vb_config_write(path, xml, "storage pool", error);
}

static gboolean
set_autostart_link(VbStorage *st, const char *name, gboolean autostart, GError **error)
{
    g_autofree char *link = config_file(st->autostart_dir, name);
    g_autofree char *target = config_file(st->config_dir, name);

    return vb_autostart_link_set(link, target, autostart, error);
}

/* ---- pool definitions ---- */

static VbStoragePoolDef *
parse_pool(const char *xml, GError **error)
{
    g_autoptr(VbStoragePoolDef) def = vb_storage_pool_def_parse(xml, 0, error);

    if (def && def->type != VB_STORAGE_POOL_DIR && def->type != VB_STORAGE_POOL_FS) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "missing backend for pool type %d (%s)", (int)def->type,
                     vb_storage_pool_type_to_string(def->type));
        return NULL;
    }
    if (def && !g_path_is_absolute(def->target_path)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "storage pool target path '%s' must be absolute", def->target_path);
        return NULL;
    }
    if (def && def->type == VB_STORAGE_POOL_FS && !vb_fs_pool_check_def(def, error))
        return NULL;
    return g_steal_pointer(&def);
}

/* ---- the backends: dir, and fs (a mounted device) ---- */

static gboolean
pool_build(const VbStoragePoolDef *def, guint build_flags, GError **error)
{
    return def->type == VB_STORAGE_POOL_FS ? vb_fs_pool_build(def, build_flags, error)
                                           : vb_dir_pool_build(def, build_flags, error);
}

/* Create's OVERWRITE / NO_OVERWRITE as Build's. */
static guint
build_flags_of_create(guint flags)
{
    return ((flags & POOL_CREATE_OVERWRITE) ? VB_POOL_BUILD_OVERWRITE : 0) |
           ((flags & POOL_CREATE_NO_OVERWRITE) ? VB_POOL_BUILD_NO_OVERWRITE : 0);
}

static gboolean
pool_mount(const VbStoragePoolDef *def, GError **error)
{
    return def->type != VB_STORAGE_POOL_FS || vb_fs_pool_mount(def, error);
}

static void
pool_unmount_quietly(const VbStoragePoolDef *def)
{
    g_autoptr(GError) error = NULL;

    if (def->type == VB_STORAGE_POOL_FS && !vb_fs_pool_unmount(def, &error))
        g_warning("storage pool '%s': %s", def->name, error->message);
}

/* Two fs pools on one device would mount it twice. */
static gboolean
same_device(const VbStoragePoolDef *a, const VbStoragePoolDef *b)
{
    return a->type == VB_STORAGE_POOL_FS && b->type == VB_STORAGE_POOL_FS && a->source.devices->len &&
           b->source.devices->len &&
           g_str_equal(g_ptr_array_index(a->source.devices, 0), g_ptr_array_index(b->source.devices, 0));
}

/* libvirt's duplicate rules: a name belongs to one UUID, and two pools never share a path (nor
 * two fs pools a device). */
static gboolean
check_duplicate(VbConn *conn, const VbStoragePoolDef *def, gboolean live, VbStoragePoolObj **found,
                GError **error)
{
    g_autoptr(GPtrArray) all = vb_obj_list_values(conn->pools);
    VbStoragePoolObj *pool = vb_obj_list_by_key(conn->pools, def->uuid);
    VbStoragePoolObj *named = vb_obj_list_by_name(conn->pools, def->name);

    *found = NULL;
    if (!pool && named) {
        vb_set_error(error, VB_ERR_OPERATION_FAILED, "pool '%s' already exists with uuid %s", def->name,
                     named->def->uuid);
        return FALSE;
    }
    if (pool && !g_str_equal(pool->def->name, def->name)) {
        vb_set_error(error, VB_ERR_OPERATION_FAILED, "pool '%s' is already defined with uuid %s", pool->def->name,
                     pool->def->uuid);
        return FALSE;
    }
    if (pool && live && pool->active) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "pool is already active as '%s'", pool->def->name);
        return FALSE;
    }
    for (guint i = 0; i < all->len; i++) {
        VbStoragePoolObj *other = g_ptr_array_index(all, i);
        if (other != pool && (g_strcmp0(other->def->target_path, def->target_path) == 0 ||
                              same_device(other->def, def))) {
            vb_set_error(error, VB_ERR_OPERATION_FAILED, "Storage source conflict with pool: '%s'",
                         other->def->name);
            return FALSE;
        }
    }
    *found = pool;
    return TRUE;
}

/* The volumes of an active pool are files of its directory: that must not move under them. */
static gboolean
check_redefine(const VbStoragePoolObj *pool, const VbStoragePoolDef *def, GError **error)
{
    if (pool && pool->active && g_strcmp0(pool->def->target_path, def->target_path) != 0) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "cannot change the target path of active pool '%s'",
                     pool->def->name);
        return FALSE;
    }
    return TRUE;
}

/* ---- volumes after a scan ---- */

/* Makes @defs the pool's volumes: known ones keep their objects, new ones are announced,
 * vanished ones are announced gone. */
static void
apply_scan(VbConn *conn, VbStoragePoolObj *pool, GPtrArray *defs, const VbPoolSizes *sizes)
{
    g_autoptr(GHashTable) old = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) fresh = g_ptr_array_new_with_free_func((GDestroyNotify)vb_vol_obj_free);
    GHashTableIter iter;
    gpointer value;

    for (guint i = 0; i < pool->volumes->len; i++) {
        VbStorageVolObj *vol = g_ptr_array_index(pool->volumes, i);
        g_hash_table_insert(old, vol->def->name, vol);
    }
    g_ptr_array_set_free_func(pool->volumes, NULL);
    for (guint i = 0; i < defs->len; i++) {
        VbStorageVolDef *def = g_steal_pointer(&defs->pdata[i]);
        VbStorageVolObj *vol = g_hash_table_lookup(old, def->name);

        if (vol) {
            g_hash_table_remove(old, def->name);
            vb_storage_vol_def_free(vol->def);
            vol->def = def;
            g_ptr_array_add(fresh, vol);
        } else {
            vol = vb_vol_obj_new(pool, def);
            g_ptr_array_add(fresh, vol);
            storage_emit_volume(conn, vol, VB_PRESENCE_APPEARED);
        }
    }
    g_hash_table_iter_init(&iter, old);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        storage_emit_volume(conn, value, VB_PRESENCE_GONE);
        vb_vol_obj_free(value);
    }
    g_ptr_array_unref(pool->volumes);
    pool->volumes = g_steal_pointer(&fresh);
    storage_apply_sizes(pool, sizes);
}

static void
mark_started(VbConn *conn, VbStoragePoolObj *pool, GPtrArray *defs, const VbPoolSizes *sizes,
             VbPresence presence)
{
    pool->active = TRUE;
    emit_pool(conn, pool, VB_POOL_EVENT_STARTED, presence);
    apply_scan(conn, pool, defs, sizes);
}

/* Starting a pool without a worker: at open (autostart) and for StoragePoolCreateXML, whose
 * reply is the new pool's path. The scan runs `qemu-img info` per volume synchronously here;
 * Create and Refresh scan on a worker thread instead. */
static gboolean
start_pool_now(VbConn *conn, VbStoragePoolObj *pool, VbPresence presence, GError **error)
{
    VbPoolSizes sizes = { 0 };
    g_autoptr(GPtrArray) defs = NULL;

    if (!pool_mount(pool->def, error))
        return FALSE;
    if (!(defs = vb_dir_pool_scan(pool->def->target_path, &sizes, error))) {
        pool_unmount_quietly(pool->def);
        return FALSE;
    }
    mark_started(conn, pool, defs, &sizes, presence);
    return TRUE;
}

static void
stop_pool(VbConn *conn, VbStoragePoolObj *pool)
{
    for (guint i = 0; i < pool->volumes->len; i++)
        storage_emit_volume(conn, g_ptr_array_index(pool->volumes, i), VB_PRESENCE_GONE);
    g_ptr_array_set_size(pool->volumes, 0);
    pool->active = FALSE;
    pool->def->capacity = pool->def->allocation = pool->def->available = 0;
}

/* ---- pool entry points ---- */

VbStoragePoolObj *
vb_storage_pool_define_xml(VbConn *conn, const char *xml, guint flags, GError **error)
{
    g_autoptr(VbStoragePoolDef) def = NULL;
    VbStoragePoolObj *pool;

    if (!vb_check_flags(flags, POOL_DEFINE_VALIDATE, "virStoragePoolDefineXML", error) ||
        !(def = parse_pool(xml, error)) || !check_duplicate(conn, def, FALSE, &pool, error) ||
        (pool && !storage_check_idle(conn, pool, error)) || !check_redefine(pool, def, error) ||
        !config_save(vb_storage(conn), def, error))
        return NULL;
    if (pool) {
        vb_conn_pool_replace_def(conn, pool, g_steal_pointer(&def));
        pool->persistent = TRUE;
        emit_pool(conn, pool, VB_POOL_EVENT_DEFINED, VB_PRESENCE_SAME);
        return pool;
    }
    pool = vb_pool_obj_new(g_steal_pointer(&def));
    pool->persistent = TRUE;
    vb_obj_list_add(conn->pools, pool);
    emit_pool(conn, pool, VB_POOL_EVENT_DEFINED, VB_PRESENCE_APPEARED);
    return pool;
}

static gboolean
check_create_flags(guint flags, const char *api, GError **error)
{
    if (!vb_check_flags(flags, POOL_CREATE_WITH_BUILD | POOL_CREATE_OVERWRITE | POOL_CREATE_NO_OVERWRITE, api,
                        error))
        return FALSE;
    if ((flags & POOL_CREATE_OVERWRITE) && (flags & POOL_CREATE_NO_OVERWRITE)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "Overwrite and no overwrite flags are mutually exclusive");
        return FALSE;
    }
    return TRUE;
}

VbStoragePoolObj *
vb_storage_pool_create_xml(VbConn *conn, const char *xml, guint flags, GError **error)
{
    g_autoptr(VbStoragePoolDef) def = NULL;
    VbStoragePoolObj *pool;

    if (!check_create_flags(flags, "virStoragePoolCreateXML", error) || !(def = parse_pool(xml, error)) ||
        !check_duplicate(conn, def, TRUE, &pool, error))
        return NULL;
    if (pool) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "pool '%s' is already defined; start it with Create",
                     def->name);
        return NULL;
    }
    if (((flags & (POOL_CREATE_WITH_BUILD | POOL_CREATE_OVERWRITE | POOL_CREATE_NO_OVERWRITE)) &&
         !pool_build(def, build_flags_of_create(flags), error)) ||
        !vb_dir_pool_check(def->target_path, error))
        return NULL;
    pool = vb_pool_obj_new(g_steal_pointer(&def));
    vb_obj_list_add(conn->pools, pool);
    if (!start_pool_now(conn, pool, VB_PRESENCE_APPEARED, error)) {
        vb_obj_list_remove(conn->pools, pool);
        return NULL;
    }
    return pool;
}

gboolean
vb_storage_pool_build(VbConn *conn, VbStoragePoolObj *pool, guint flags, GError **error)
{
    if (!vb_check_flags(flags, VB_POOL_BUILD_NO_OVERWRITE | VB_POOL_BUILD_OVERWRITE, "virStoragePoolBuild", error) ||
        !storage_check_active(pool, FALSE, error) || !storage_check_idle(conn, pool, error))
        return FALSE;
    if ((flags & VB_POOL_BUILD_NO_OVERWRITE) && (flags & VB_POOL_BUILD_OVERWRITE)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "Overwrite and no overwrite flags are mutually exclusive");
        return FALSE;
    }
    if (!pool_build(pool->def, flags, error))
        return FALSE;
    emit_pool(conn, pool, VB_POOL_EVENT_CREATED, VB_PRESENCE_SAME);
    return TRUE;
}

static gboolean
scan_work(StorageJob *job, GError **error)
{
    return (job->vols = vb_dir_pool_scan(job->path, &job->sizes, error)) != NULL;
}

static void
create_done(StorageJob *job, VbStoragePoolObj *pool, GError *error)
{
    if (error) {
        if (pool)
            pool_unmount_quietly(pool->def);
        g_task_return_error(job->task, g_error_copy(error));
        return;
    }
    mark_started(job->conn, pool, job->vols, &job->sizes, VB_PRESENCE_SAME);
    g_task_return_boolean(job->task, TRUE);
}

void
vb_storage_pool_create_async(VbConn *conn, VbStoragePoolObj *pool, guint flags, GTask *task)
{
    GError *error = NULL;
    StorageJob *job;

    if (!check_create_flags(flags, "virStoragePoolCreate", &error) ||
        !storage_check_active(pool, FALSE, &error) || !storage_check_idle(conn, pool, &error) ||
        ((flags & (POOL_CREATE_WITH_BUILD | POOL_CREATE_OVERWRITE | POOL_CREATE_NO_OVERWRITE)) &&
         !pool_build(pool->def, build_flags_of_create(flags), &error)) ||
        !pool_mount(pool->def, &error)) {
        g_task_return_error(task, error);
        g_object_unref(task);
        return;
    }
    job = storage_job_new(conn, pool, task);
    job->work = scan_work;
    job->scan = TRUE;
    job->done = create_done;
    storage_job_run(job);
}

gboolean
vb_storage_pool_delete(VbConn *conn, VbStoragePoolObj *pool, guint flags, GError **error)
{
    if (!vb_check_flags(flags, 0, "virStoragePoolDelete", error) || !storage_check_idle(conn, pool, error))
        return FALSE;
    if (pool->active) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "storage pool '%s' is still active", pool->def->name);
        return FALSE;
    }
    if (!vb_dir_pool_delete(pool->def->target_path, error))
        return FALSE;
    emit_pool(conn, pool, VB_POOL_EVENT_DELETED, VB_PRESENCE_SAME);
    return TRUE;
}

gboolean
vb_storage_pool_destroy(VbConn *conn, VbStoragePoolObj *pool, GError **error)
{
    if (!storage_check_active(pool, TRUE, error) || !storage_check_idle(conn, pool, error) ||
        (pool->def->type == VB_STORAGE_POOL_FS && !vb_fs_pool_unmount(pool->def, error)))
        return FALSE;
    stop_pool(conn, pool);
    emit_pool(conn, pool, VB_POOL_EVENT_STOPPED, pool->persistent ? VB_PRESENCE_SAME : VB_PRESENCE_GONE);
    if (!pool->persistent)
        vb_obj_list_remove(conn->pools, pool);
    return TRUE;
}

gboolean
vb_storage_pool_undefine(VbConn *conn, VbStoragePoolObj *pool, GError **error)
{
    VbStorage *st = vb_storage(conn);
    g_autofree char *path = config_file(st->config_dir, pool->def->name);

    if (!storage_check_idle(conn, pool, error))
        return FALSE;
    if (pool->active) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "storage pool '%s' is still active", pool->def->name);
        return FALSE;
    }
    if (!set_autostart_link(st, pool->def->name, FALSE, error) || !vb_file_remove(path, error))
        return FALSE;
    emit_pool(conn, pool, VB_POOL_EVENT_UNDEFINED, VB_PRESENCE_GONE);
    vb_obj_list_remove(conn->pools, pool);
    return TRUE;
}

static void
refresh_done(StorageJob *job, VbStoragePoolObj *pool, GError *error)
{
    if (error) {
        g_task_return_error(job->task, g_error_copy(error));
        return;
    }
    apply_scan(job->conn, pool, job->vols, &job->sizes);
    vb_conn_emit(job->conn, VB_EVENT_STORAGE_POOL_REFRESH, pool->def->uuid, 0, 0, VB_PRESENCE_SAME);
    g_task_return_boolean(job->task, TRUE);
}

void
vb_storage_pool_refresh_async(VbConn *conn, VbStoragePoolObj *pool, guint flags, GTask *task)
{
    GError *error = NULL;
    StorageJob *job;

    if (!vb_check_flags(flags, 0, "virStoragePoolRefresh", &error) || !storage_check_active(pool, TRUE, &error) ||
        !storage_check_idle(conn, pool, &error)) {
        g_task_return_error(task, error);
        g_object_unref(task);
        return;
    }
    job = storage_job_new(conn, pool, task);
    job->work = scan_work;
    job->scan = TRUE;
    job->done = refresh_done;
    storage_job_run(job);
}

gboolean
vb_storage_pool_set_autostart(VbConn *conn, VbStoragePoolObj *pool, gboolean autostart, GError **error)
{
    if (!pool->persistent) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "cannot set autostart for transient pool");
        return FALSE;
    }
    if (!autostart == !pool->autostart)
        return TRUE;
    if (!set_autostart_link(vb_storage(conn), pool->def->name, autostart, error))
        return FALSE;
    pool->autostart = autostart != FALSE;
    return TRUE;
}

char *
vb_storage_pool_get_xml_desc(VbConn *conn, VbStoragePoolObj *pool, guint flags, GError **error)
{
    if (!vb_check_flags(flags, POOL_XML_INACTIVE, "virStoragePoolGetXMLDesc", error))
        return NULL;
    return vb_storage_pool_def_format(pool->def, 0);
}

/* ---- open and close ---- */

static void
load_config(VbConn *conn, const char *path)
{
    VbStorage *st = vb_storage(conn);
    g_autofree char *xml = NULL;
    g_autofree char *link = NULL;
    g_autoptr(VbStoragePoolDef) def = NULL;
    g_autoptr(GError) error = NULL;
    VbStoragePoolObj *pool;

    if (!g_file_get_contents(path, &xml, NULL, &error) || !(def = parse_pool(xml, &error)) ||
        !check_duplicate(conn, def, FALSE, &pool, &error)) {
        g_warning("skipping storage pool configuration %s: %s", path, error->message);
        return;
    }
    if (pool) {
        g_warning("skipping storage pool configuration %s: pool '%s' is loaded already", path, def->name);
        return;
    }
    link = config_file(st->autostart_dir, def->name);
    pool = vb_pool_obj_new(g_steal_pointer(&def));
    pool->persistent = TRUE;
    pool->autostart = g_file_test(link, G_FILE_TEST_IS_SYMLINK);
    vb_obj_list_add(conn->pools, pool);
}

static void
load_configs(VbConn *conn)
{
    VbStorage *st = vb_storage(conn);
    g_autoptr(GDir) dir = g_dir_open(st->config_dir, 0, NULL);
    const char *entry;

    while (dir && (entry = g_dir_read_name(dir))) {
        g_autofree char *path = g_build_filename(st->config_dir, entry, NULL);

        if (g_str_has_suffix(entry, ".xml") && g_file_test(path, G_FILE_TEST_IS_REGULAR))
            load_config(conn, path);
    }
}

/* The `default` dir pool: defined, built and autostarted when no pool has that name. */
static gboolean
make_default_pool(VbConn *conn, GError **error)
{
    VbStorage *st = vb_storage(conn);
    g_autofree char *xml = NULL;
    VbStoragePoolObj *pool;

    if (vb_obj_list_by_name(conn->pools, DEFAULT_POOL))
        return TRUE;
    xml = g_markup_printf_escaped("<pool type='dir'><name>%s</name><target><path>%s</path></target></pool>",
                                  DEFAULT_POOL, st->images_dir);
    if (!(pool = vb_storage_pool_define_xml(conn, xml, 0, error)))
        return FALSE;
    return vb_dir_pool_build(pool->def, 0, error) && vb_storage_pool_set_autostart(conn, pool, TRUE, error);
}

static void
autostart_pools(VbConn *conn)
{
    g_autoptr(GPtrArray) all = vb_obj_list_values(conn->pools);

    for (guint i = 0; i < all->len; i++) {
        VbStoragePoolObj *pool = g_ptr_array_index(all, i);
        g_autoptr(GError) error = NULL;

        if (pool->autostart && !pool->active && !start_pool_now(conn, pool, VB_PRESENCE_SAME, &error))
            g_warning("cannot autostart storage pool '%s': %s", pool->def->name, error->message);
    }
}

gboolean
vb_storage_open(VbConn *conn, gboolean privileged, GError **error)
{
    VbStorage *st = g_new0(VbStorage, 1);
    g_autoptr(GError) local = NULL;

    st->refs = 1;
    st->pool_jobs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    st->pool_scans = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    st->busy_vols = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    if (privileged) {
        st->config_dir = g_build_filename(VB_SYSCONFDIR, "virtbus", "storage", NULL);
        st->images_dir = g_build_filename(VB_LOCALSTATEDIR, "lib", "virtbus", "images", NULL);
    } else {
        st->config_dir = g_build_filename(g_get_user_config_dir(), "virtbus", "storage", NULL);
        st->images_dir = g_build_filename(g_get_user_data_dir(), "virtbus", "images", NULL);
    }
    st->autostart_dir = g_build_filename(st->config_dir, "autostart", NULL);
    conn->storage = st;
    if (!vb_dir_make(st->config_dir, error) || !vb_dir_make(st->autostart_dir, error)) {
        vb_storage_close(conn);
        return FALSE;
    }
    load_configs(conn);
    if (!make_default_pool(conn, &local))
        g_warning("cannot make the default storage pool: %s", local->message);
    autostart_pools(conn);
    return TRUE;
}

void
vb_storage_close(VbConn *conn)
{
    VbStorage *st = vb_storage(conn);

    if (!st)
        return;
    st->closed = TRUE;
    storage_unref(st);
    conn->storage = NULL;
}
