/* storage_vol.c: volumes of dir pools: create, clone, delete, resize, wipe, describe.
 *
 * Making, cloning, resizing and wiping run on worker threads (StorageJob) and answer through
 * the caller's GTask; the volume's key is its path, as in libvirt's dir backend. */
#include <errno.h>
#include <sys/stat.h>

#include "drivers/storage/storage_private.h"


static void
fail_task(GTask *task, GError *error)
{
    g_task_return_error(task, error);
    g_object_unref(task);
}

static VbStorageVolObj *
pool_vol_by_key(VbStoragePoolObj *pool, const char *key)
{
    for (guint i = 0; i < pool->volumes->len; i++) {
        VbStorageVolObj *vol = g_ptr_array_index(pool->volumes, i);
        if (g_str_equal(vol->def->key, key))
            return vol;
    }
    return NULL;
}

/* Files larger than off_t can say do not exist. */
static gboolean
check_size(const char *what, guint64 bytes, GError **error)
{
    if (bytes <= G_MAXINT64)
        return TRUE;
    vb_set_error(error, VB_ERR_OVERFLOW, "volume %s %" G_GUINT64_FORMAT " is too large", what, bytes);
    return FALSE;
}

static gboolean
check_format(const VbStorageVolDef *def, GError **error)
{
    if (def->target.format == VB_STORAGE_FILE_RAW || def->target.format == VB_STORAGE_FILE_QCOW2)
        return TRUE;
    vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "volume format '%s' is not supported by dir pools",
                 vb_storage_vol_def_format_name(def));
    return FALSE;
}

static gboolean
check_new_name(VbStoragePoolObj *pool, const VbStorageVolDef *def, const char *path, GError **error)
{
    struct stat st;

    if (!vb_pool_vol_by_name(pool, def->name, NULL) && lstat(path, &st) < 0 && errno == ENOENT)
        return TRUE;
    vb_set_error(error, VB_ERR_STORAGE_VOL_EXIST, "'%s'", def->name);
    return FALSE;
}

/* Checks a new volume of @pool and gives it its path and key; raw unless told otherwise. */
static gboolean
prepare_new_volume(VbStoragePoolObj *pool, VbStorageVolDef *def, guint flags, GError **error)
{
    g_autofree char *path = g_build_filename(pool->def->target_path, def->name, NULL);

    if (!check_new_name(pool, def, path, error))
        return FALSE;
    if (def->type != VB_STORAGE_VOL_FILE) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "volume type '%s' is not supported by dir pools",
                     vb_storage_vol_type_to_string(def->type));
        return FALSE;
    }
    if (def->target.format == VB_STORAGE_FILE_NONE)
        def->target.format = VB_STORAGE_FILE_RAW;
    if (!check_format(def, error) || !check_size("capacity", def->capacity, error) ||
        !check_size("allocation", def->allocation, error))
        return FALSE;
    if (def->backing.path && def->target.format == VB_STORAGE_FILE_RAW) {
        vb_set_error(error, VB_ERR_NO_SUPPORT, "backing storage not supported for raw volumes");
        return FALSE;
    }
    if ((flags & VB_VOL_CREATE_PREALLOC_METADATA) && def->target.format != VB_STORAGE_FILE_QCOW2) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "metadata preallocation only available with qcow2");
        return FALSE;
    }
    if (def->target.encryption) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "encrypted volumes are not supported by dir pools");
        return FALSE;
    }
    g_free(def->target.path);
    def->target.path = g_strdup(path);
    g_free(def->key);
    def->key = g_steal_pointer(&path);
    return TRUE;
}

/* After the work: the volume as on disk, and the pool's new sizes. */
static gboolean
read_back(StorageJob *job, GError **error)
{
    if (!(job->result = vb_dir_vol_read(job->def->target.path, error)))
        return FALSE;
    return vb_dir_pool_sizes(job->path, &job->sizes, error);
}

/* ---- create and clone ---- */

static gboolean
create_work(StorageJob *job, GError **error)
{
    if (!vb_dir_vol_create(job->def, job->flags, error))
        return FALSE;
    if (read_back(job, error))
        return TRUE;
    vb_dir_vol_delete(job->def->target.path, NULL);
    return FALSE;
}

static gboolean
clone_work(StorageJob *job, GError **error)
{
    if (!vb_dir_vol_clone(job->def, job->from, error))
        return FALSE;
    if (read_back(job, error))
        return TRUE;
    vb_dir_vol_delete(job->def->target.path, NULL);
    return FALSE;
}

static void
created_done(StorageJob *job, VbStoragePoolObj *pool, GError *error)
{
    VbStorageVolObj *vol;

    if (error) {
        g_task_return_error(job->task, g_error_copy(error));
        return;
    }
    vol = vb_vol_obj_new(pool, g_steal_pointer(&job->result));
    g_ptr_array_add(pool->volumes, vol);
    storage_apply_sizes(pool, &job->sizes);
    storage_emit_volume(job->conn, vol, VB_PRESENCE_APPEARED);
    g_task_return_pointer(job->task, g_strdup(vol->def->key), g_free);
}

void
vb_storage_vol_create_xml_async(VbConn *conn, VbStoragePoolObj *pool, const char *xml, guint flags, GTask *task)
{
    g_autoptr(VbStorageVolDef) def = NULL;
    GError *error = NULL;
    StorageJob *job;

    if (!vb_check_flags(flags, VB_VOL_CREATE_PREALLOC_METADATA, "virStorageVolCreateXML", &error) ||
        !storage_check_active(pool, TRUE, &error) || !storage_check_vol_free(conn, pool, NULL, &error) ||
        !(def = vb_storage_vol_def_parse(xml, 0, &error)) || !prepare_new_volume(pool, def, flags, &error)) {
        fail_task(task, error);
        return;
    }
    job = storage_job_new(conn, pool, task);
    job->flags = flags;
    job->def = g_steal_pointer(&def);
    job->work = create_work;
    job->done = created_done;
    storage_job_run(job);
}

void
vb_storage_vol_create_xml_from_async(VbConn *conn, VbStoragePoolObj *pool, const char *xml,
                                     VbStorageVolObj *from, guint flags, GTask *task)
{
    g_autoptr(VbStorageVolDef) def = NULL;
    GError *error = NULL;
    StorageJob *job;

    if (!vb_check_flags(flags, 0, "virStorageVolCreateXMLFrom", &error) ||
        !storage_check_active(pool, TRUE, &error) || !storage_check_active(from->pool, TRUE, &error) ||
        !storage_check_vol_free(conn, pool, NULL, &error) ||
        !storage_check_vol_free(conn, from->pool, from, &error) || !check_format(from->def, &error) ||
        !(def = vb_storage_vol_def_parse(xml, VB_STORAGE_VOL_PARSE_NO_CAPACITY, &error))) {
        fail_task(task, error);
        return;
    }
    def->capacity = MAX(def->capacity, from->def->capacity);
    if (!prepare_new_volume(pool, def, 0, &error)) {
        fail_task(task, error);
        return;
    }
    job = storage_job_new(conn, pool, task);
    job->def = g_steal_pointer(&def);
    job->from = storage_vol_def_copy(from->def);
    storage_job_mark_busy(job, from);
    job->work = clone_work;
    job->done = created_done;
    storage_job_run(job);
}

/* ---- delete ---- */

static gboolean
disk_uses(const VbDiskDef *disk, const VbStorageVolObj *vol)
{
    if (g_strcmp0(disk->type, "volume") == 0)
        return g_strcmp0(disk->source_pool, vol->pool->def->name) == 0 &&
               g_strcmp0(disk->source_volume, vol->def->name) == 0;
    return g_strcmp0(disk->source_file, vol->def->target.path) == 0;
}

/* A running guest's disk keeps its volume: deleting it would pull the storage from under it. */
static gboolean
check_not_in_use(VbConn *conn, const VbStorageVolObj *vol, GError **error)
{
    g_autoptr(GPtrArray) domains = vb_obj_list_values(conn->domains);

    for (guint i = 0; i < domains->len; i++) {
        const VbDomainObj *dom = g_ptr_array_index(domains, i);
        const VbDiskDef *disk;

        for (guint n = 0; vb_domain_obj_is_active(dom) && (disk = vb_domain_def_nth_disk(dom->def, n)); n++) {
            if (disk_uses(disk, vol)) {
                vb_set_error(error, VB_ERR_OPERATION_INVALID, "storage volume '%s' is in use by running domain '%s'",
                             vol->def->name, dom->def->name);
                return FALSE;
            }
        }
    }
    return TRUE;
}

gboolean
vb_storage_vol_delete(VbConn *conn, VbStorageVolObj *vol, guint flags, GError **error)
{
    VbStoragePoolObj *pool = vol->pool;
    VbPoolSizes sizes;

    if (!vb_check_flags(flags, 0, "virStorageVolDelete", error) || !storage_check_active(pool, TRUE, error) ||
        !storage_check_vol_free(conn, pool, vol, error) || !check_not_in_use(conn, vol, error) ||
        !vb_dir_vol_delete(vol->def->target.path, error))
        return FALSE;
    if (vb_dir_pool_sizes(pool->def->target_path, &sizes, NULL))
        storage_apply_sizes(pool, &sizes);
    storage_emit_volume(conn, vol, VB_PRESENCE_GONE);
    g_ptr_array_remove(pool->volumes, vol);
    return TRUE;
}

/* ---- resize and wipe: the volume stays, its definition is read anew ---- */

static void
changed_done(StorageJob *job, VbStoragePoolObj *pool, GError *error)
{
    VbStorageVolObj *vol = pool_vol_by_key(pool, job->def->key);

    if (error) {
        g_task_return_error(job->task, g_error_copy(error));
        return;
    }
    /* the job kept the volume busy, so it is still listed */
    g_assert(vol);
    vb_storage_vol_def_free(vol->def);
    vol->def = g_steal_pointer(&job->result);
    storage_apply_sizes(pool, &job->sizes);
    g_task_return_boolean(job->task, TRUE);
}

static gboolean
resize_work(StorageJob *job, GError **error)
{
    return vb_dir_vol_resize(job->def, job->capacity, job->flags, error) && read_back(job, error);
}

/* libvirt's rules for the new capacity. */
static gboolean
resize_target(const VbStorageVolObj *vol, guint64 capacity, guint flags, guint64 *out, GError **error)
{
    const VbStorageVolDef *def = vol->def;

    if (!(flags & VB_VOL_RESIZE_DELTA)) {
        *out = capacity;
    } else if (flags & VB_VOL_RESIZE_SHRINK) {
        *out = def->capacity - MIN(capacity, def->capacity);
    } else {
        if (capacity > G_MAXUINT64 - def->capacity)
            return check_size("capacity", G_MAXUINT64, error);
        *out = def->capacity + capacity;
    }
    if (!check_size("capacity", *out, error))
        return FALSE;
    if (*out < def->capacity && !(flags & VB_VOL_RESIZE_SHRINK)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "Can't shrink capacity below current capacity unless shrink flag "
                     "explicitly specified");
        return FALSE;
    }
    if (*out < def->allocation) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "can't shrink capacity below existing allocation");
        return FALSE;
    }
    if ((flags & VB_VOL_RESIZE_ALLOCATE) && *out > def->capacity &&
        *out - def->capacity > vol->pool->def->available) {
        vb_set_error(error, VB_ERR_OPERATION_FAILED, "Not enough space left in storage pool");
        return FALSE;
    }
    return TRUE;
}

void
vb_storage_vol_resize_async(VbConn *conn, VbStorageVolObj *vol, guint64 capacity, guint flags, GTask *task)
{
    guint allowed = VB_VOL_RESIZE_ALLOCATE | VB_VOL_RESIZE_DELTA | VB_VOL_RESIZE_SHRINK;
    GError *error = NULL;
    guint64 target;
    StorageJob *job;

    if (!vb_check_flags(flags, allowed, "virStorageVolResize", &error) ||
        !storage_check_active(vol->pool, TRUE, &error) || !storage_check_vol_free(conn, vol->pool, vol, &error) ||
        !check_format(vol->def, &error) || !resize_target(vol, capacity, flags, &target, &error)) {
        fail_task(task, error);
        return;
    }
    job = storage_job_new(conn, vol->pool, task);
    job->def = storage_vol_def_copy(vol->def);
    job->capacity = target;
    job->flags = flags;
    storage_job_mark_busy(job, vol);
    job->work = resize_work;
    job->done = changed_done;
    storage_job_run(job);
}

static gboolean
wipe_work(StorageJob *job, GError **error)
{
    return vb_dir_vol_wipe(job->def, job->flags, error) && read_back(job, error);
}

void
vb_storage_vol_wipe_async(VbConn *conn, VbStorageVolObj *vol, guint pattern, guint flags, GTask *task)
{
    GError *error = NULL;
    StorageJob *job;

    if (!vb_check_flags(flags, 0, "virStorageVolWipePattern", &error)) {
        fail_task(task, error);
        return;
    }
    if (pattern >= VB_VOL_WIPE_LAST) {
        vb_set_error(&error, VB_ERR_INVALID_ARG, "wiping algorithm %u not supported", pattern);
        fail_task(task, error);
        return;
    }
    /* a qcow2 image is wiped by making it anew (zero); the other patterns are for raw data */
    if (pattern != VB_VOL_WIPE_ZERO && vol->def->target.format != VB_STORAGE_FILE_RAW) {
        vb_set_error(&error, VB_ERR_OPERATION_UNSUPPORTED, "wiping algorithm %u is supported for raw volumes only",
                     pattern);
        fail_task(task, error);
        return;
    }
    if (!storage_check_active(vol->pool, TRUE, &error) || !storage_check_vol_free(conn, vol->pool, vol, &error) ||
        !check_format(vol->def, &error)) {
        fail_task(task, error);
        return;
    }
    job = storage_job_new(conn, vol->pool, task);
    job->def = storage_vol_def_copy(vol->def);
    job->flags = pattern;    /* the worker's: which algorithm */
    storage_job_mark_busy(job, vol);
    job->work = wipe_work;
    job->done = changed_done;
    storage_job_run(job);
}

char *
vb_storage_vol_get_xml_desc(VbConn *conn, VbStorageVolObj *vol, guint flags, GError **error)
{
    if (!vb_check_flags(flags, 0, "virStorageVolGetXMLDesc", error) || !storage_check_active(vol->pool, TRUE, error))
        return NULL;
    return vb_storage_vol_def_format(vol->def, 0);
}
