/* storage_private.h: shared between the files of drivers/storage; not for other users. */
#pragma once

#include "conf/vb_error.h"
#include "drivers/storage/storage_driver.h"

/* The storage state of one connection (conn->storage). */
typedef struct {
    guint refs;              /* the connection's, and one per running job */
    gboolean closed;         /* the connection is gone; jobs just finish */
    char *config_dir;        /* <config root>/virtbus/storage */
    char *autostart_dir;
    char *images_dir;        /* the default pool's directory */
    GHashTable *pool_jobs;   /* pool UUID -> number of worker jobs running on it */
    GHashTable *pool_scans;  /* pool UUID -> number of scans (Create, Refresh) running */
    GHashTable *busy_vols;   /* volume key -> number of jobs working on the volume */
} VbStorage;

/* ---- storage_qemu_img.c (blocking: worker threads only) ---- */

typedef struct {
    char *format;            /* "raw", "qcow2", ... */
    guint64 virtual_size;
    guint64 actual_size;
    char *backing;           /* NULL when there is none */
    char *backing_format;
    char *compat;            /* qcow2 only */
    gboolean lazy_refcounts;
} VbImageInfo;

void vb_image_info_clear(VbImageInfo *info);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VbImageInfo, vb_image_info_clear)
/* Runs qemu-img with @args (NULL-terminated, without the program name); its stdout in @out. */
gboolean vb_qemu_img_run(const char *const *args, char **out, GError **error);
gboolean vb_qemu_img_info_parse(const char *json, VbImageInfo *info, GError **error);
gboolean vb_qemu_img_info(const char *path, VbImageInfo *info, GError **error);
/* The same in two steps, so that several qemu-img run at once. */
GSubprocess *vb_qemu_img_info_start(const char *path, GError **error);
gboolean vb_qemu_img_info_finish(GSubprocess *proc, VbImageInfo *info, GError **error);

/* ---- storage_dir.c: the dir backend's disk work (blocking: worker threads, see each) ---- */

typedef struct {
    guint64 capacity, allocation, available;
} VbPoolSizes;

gboolean vb_dir_pool_build(const VbStoragePoolDef *def, guint flags, GError **error);
/* The target exists and is a directory, in libvirt's words when not. */
gboolean vb_dir_pool_check(const char *path, GError **error);
gboolean vb_dir_pool_delete(const char *path, GError **error);
/* Every regular file of @path as a volume (VbStorageVolDef), sorted by name, and the
 * file system's sizes. */
GPtrArray *vb_dir_pool_scan(const char *path, VbPoolSizes *sizes, GError **error);
gboolean vb_dir_pool_sizes(const char *path, VbPoolSizes *sizes, GError **error);
/* The volume at @path as it is on disk now. */
VbStorageVolDef *vb_dir_vol_read(const char *path, GError **error);
/* Makes the file of @def (target path and format set); nothing is left behind on failure. */
gboolean vb_dir_vol_create(const VbStorageVolDef *def, guint flags, GError **error);
gboolean vb_dir_vol_clone(const VbStorageVolDef *def, const VbStorageVolDef *from, GError **error);
gboolean vb_dir_vol_resize(const VbStorageVolDef *def, guint64 capacity, guint flags, GError **error);
/* virStorageVolWipeAlgorithm: ZERO, the scrub(1) patterns NNSA..RANDOM (1..8), TRIM */
enum { VB_VOL_WIPE_ZERO = 0, VB_VOL_WIPE_TRIM = 9, VB_VOL_WIPE_LAST = 10 };
/* @algorithm: a VB_VOL_WIPE_* value. */
gboolean vb_dir_vol_wipe(const VbStorageVolDef *def, guint algorithm, GError **error);
gboolean vb_dir_vol_delete(const char *path, GError **error);

/* ---- storage_fs.c: the fs backend (blocking) ---- */

/* libvirt's virStoragePoolBuildFlags */
enum { VB_POOL_BUILD_NO_OVERWRITE = 1 << 2, VB_POOL_BUILD_OVERWRITE = 1 << 3 };

/* A source device (absolute path) and a plain file system name. */
gboolean vb_fs_pool_check_def(const VbStoragePoolDef *def, GError **error);
/* The target directory and, with a build flag, the file system on the device. */
gboolean vb_fs_pool_build(const VbStoragePoolDef *def, guint flags, GError **error);
/* Mounts the device on the target unless something is mounted there already. */
gboolean vb_fs_pool_mount(const VbStoragePoolDef *def, GError **error);
gboolean vb_fs_pool_unmount(const VbStoragePoolDef *def, GError **error);

/* libvirt's virStorageVolCreateFlags / virStorageVolResizeFlags */
enum { VB_VOL_CREATE_PREALLOC_METADATA = 1 << 0 };
enum { VB_VOL_RESIZE_ALLOCATE = 1 << 0, VB_VOL_RESIZE_DELTA = 1 << 1, VB_VOL_RESIZE_SHRINK = 1 << 2 };

/* ---- storage_driver.c: shared by the pool and volume code ---- */

/* Disk work for a worker thread. @work runs there and sees only the job's own data; @done
 * runs on the main thread afterwards with the pool (found again by UUID) and the work's
 * error, and finishes job->task. */
typedef struct _StorageJob StorageJob;
struct _StorageJob {
    VbConn *conn;
    VbStorage *storage;      /* a reference: outlives a connection closed meanwhile */
    GTask *task;             /* the caller's */
    GPtrArray *pools;        /* UUIDs of the pools whose lifecycle waits for the job */
    GPtrArray *busy;         /* keys of the volumes it works on */
    gboolean scan;           /* it lists the pool's volumes anew */
    gboolean (*work)(StorageJob *job, GError **error);
    void (*done)(StorageJob *job, VbStoragePoolObj *pool, GError *error);
    guint flags;
    guint64 capacity;
    char *path;              /* the pool's directory */
    VbStorageVolDef *def;    /* the volume worked on: new, or a copy */
    VbStorageVolDef *from;   /* the source of a clone (a copy) */
    VbStorageVolDef *result; /* the volume as it is on disk afterwards */
    GPtrArray *vols;         /* a scan's volumes (VbStorageVolDef) */
    VbPoolSizes sizes;
};

static inline VbStorage *vb_storage(VbConn *conn) { return conn->storage; }

StorageJob *storage_job_new(VbConn *conn, VbStoragePoolObj *pool, GTask *task);
void storage_job_mark_busy(StorageJob *job, VbStorageVolObj *vol);
/* Hands @job to a worker thread; it is freed after done. */
void storage_job_run(StorageJob *job);
/* "... is not active" / "... is already active" unless @pool is in the wanted state. */
gboolean storage_check_active(VbStoragePoolObj *pool, gboolean want_active, GError **error);
/* Refuses while any worker job runs on @pool: for its lifecycle and scans. */
gboolean storage_check_idle(VbConn *conn, VbStoragePoolObj *pool, GError **error);
/* Refuses while @pool is being scanned or a job works on @vol (may be NULL): for volume work. */
gboolean storage_check_vol_free(VbConn *conn, VbStoragePoolObj *pool, VbStorageVolObj *vol, GError **error);
/* A deep copy of what the disk work needs (not the timestamps). */
VbStorageVolDef *storage_vol_def_copy(const VbStorageVolDef *def);
void storage_apply_sizes(VbStoragePoolObj *pool, const VbPoolSizes *sizes);
void storage_emit_volume(VbConn *conn, VbStorageVolObj *vol, VbPresence presence);
