/* storage_dir.c: the dir pool backend: a directory whose regular files are the volumes.
 *
 * These functions touch the disk and may run qemu-img, so they block: the driver calls them
 * from worker threads (storage_job_run), except where storage_driver.c says otherwise. They
 * only see the definitions they are given, never the connection's objects. */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "drivers/storage/storage_private.h"

#define POOL_DEFAULT_MODE 0711   /* libvirt's defaults for new pool directories and volumes */
#define VOL_DEFAULT_MODE 0600
#define WIPE_CHUNK (1024 * 1024)

static gboolean
system_error(GError **error, int err, const char *what, const char *path)
{
    vb_set_error(error, VB_ERR_SYSTEM_ERROR, "%s '%s': %s", what, path, g_strerror(err));
    return FALSE;
}

static gboolean
apply_owner(const char *path, const VbStoragePerms *perms, GError **error)
{
    if (perms->owner < 0 && perms->group < 0)
        return TRUE;
    if (chown(path, (uid_t)perms->owner, (gid_t)perms->group) == 0)
        return TRUE;
    return system_error(error, errno, "cannot chown", path);
}

/* ---- pools ---- */

gboolean
vb_dir_pool_build(const VbStoragePoolDef *def, guint flags, GError **error)
{
    int mode = def->target_perms.mode >= 0 ? def->target_perms.mode : POOL_DEFAULT_MODE;
    g_autofree char *parent = g_path_get_dirname(def->target_path);
    gboolean made = TRUE;
    struct stat st;

    if (g_mkdir_with_parents(parent, POOL_DEFAULT_MODE) < 0)
        return system_error(error, errno, "cannot create path", parent);
    if (mkdir(def->target_path, (mode_t)mode) < 0) {
        if (errno != EEXIST)
            return system_error(error, errno, "cannot create path", def->target_path);
        made = FALSE;
    }
    if (stat(def->target_path, &st) < 0)
        return system_error(error, errno, "cannot stat", def->target_path);
    if (!S_ISDIR(st.st_mode))
        return system_error(error, ENOTDIR, "cannot create path", def->target_path);
    /* the umask narrowed mkdir's mode; an existing directory changes only when a mode is given */
    if ((made || def->target_perms.mode >= 0) && (st.st_mode & 07777) != (mode_t)mode &&
        chmod(def->target_path, (mode_t)mode) < 0)
        return system_error(error, errno, "cannot set mode of", def->target_path);
    return apply_owner(def->target_path, &def->target_perms, error);
}

gboolean
vb_dir_pool_check(const char *path, GError **error)
{
    struct stat st;

    if (stat(path, &st) < 0)
        return system_error(error, errno, "cannot open directory", path);
    if (!S_ISDIR(st.st_mode))
        return system_error(error, ENOTDIR, "cannot open directory", path);
    return TRUE;
}

gboolean
vb_dir_pool_delete(const char *path, GError **error)
{
    if (rmdir(path) == 0)
        return TRUE;
    return system_error(error, errno, "failed to remove pool", path);
}

gboolean
vb_dir_pool_sizes(const char *path, VbPoolSizes *sizes, GError **error)
{
    struct statvfs sb;

    if (statvfs(path, &sb) < 0)
        return system_error(error, errno, "cannot statvfs path", path);
    sizes->capacity = (guint64)sb.f_frsize * sb.f_blocks;
    sizes->available = (guint64)sb.f_frsize * sb.f_bavail;
    sizes->allocation = (guint64)sb.f_frsize * (sb.f_blocks - sb.f_bfree);
    return TRUE;
}

/* ---- reading a volume ---- */

static char *
timestamp(const struct timespec *ts)
{
    return g_strdup_printf("%lld.%09ld", (long long)ts->tv_sec, (long)ts->tv_nsec);
}

static int
file_format(const char *name)
{
    int format = name ? vb_storage_file_format_from_string(name) : -1;

    return format < 0 ? VB_STORAGE_FILE_NONE : format;
}

/* Image formats that qemu-img recognizes by their first bytes (its block drivers' probes). */
static const struct {
    gsize offset;
    const char *magic;
    gsize len;
} image_magics[] = {
    { 0, "QFI\xfb", 4 },                      /* qcow, qcow2 */
    { 0, "QED\0", 4 },
    { 0, "KDMV", 4 },                          /* vmdk */
    { 0, "COWD", 4 },                          /* vmdk (ESX) */
    { 0, "# Disk DescriptorFile", 21 },        /* vmdk descriptor */
    { 0x40, "\x7f\x10\xda\xbe", 4 },           /* vdi */
    { 0, "conectix", 8 },                      /* vpc */
    { 0, "vhdxfile", 8 },
    { 0, "Bochs Virtual HD Image", 22 },
    { 0, "#!/bin/sh\n#V2.0 Format", 22 },      /* cloop */
    { 0, "WithoutFreeSpace", 16 },             /* parallels */
    { 0, "WithouFreSpacExt", 16 },
    { 0, "LUKS\xba\xbe", 6 },
};

/* FALSE when the file is plainly raw: no image header qemu-img would know, so its sizes come
 * from stat alone and refreshing a pool of raw files spawns nothing. */
static gboolean
has_image_header(const char *path)
{
    char head[512];
    ssize_t len;
    int fd;

    if (g_str_has_suffix(path, ".dmg"))        /* qemu finds dmg images by their name */
        return TRUE;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
        return TRUE;                           /* let qemu-img tell what is wrong */
    len = pread(fd, head, sizeof(head), 0);
    close(fd);
    for (gsize i = 0; len > 0 && i < G_N_ELEMENTS(image_magics); i++) {
        if ((gsize)len >= image_magics[i].offset + image_magics[i].len &&
            memcmp(head + image_magics[i].offset, image_magics[i].magic, image_magics[i].len) == 0)
            return TRUE;
    }
    return len < 0;
}

static VbStorageVolDef *
vol_def_from(const char *path, const struct stat *st, VbImageInfo *info, GError **error)
{
    g_autoptr(VbStorageVolDef) def = NULL;

    def = vb_storage_vol_def_parse("<volume><name>x</name><capacity>0</capacity></volume>", 0, error);
    if (!def)
        return NULL;
    g_free(def->name);
    def->name = g_path_get_basename(path);
    def->type = VB_STORAGE_VOL_FILE;
    def->key = g_strdup(path);
    def->target.path = g_strdup(path);
    def->target.format = file_format(info->format);
    def->capacity = info->virtual_size;
    def->allocation = (guint64)st->st_blocks * 512;
    def->physical = (guint64)st->st_size;
    def->target.perms.mode = (int)(st->st_mode & 07777);
    def->target.perms.owner = st->st_uid;
    def->target.perms.group = st->st_gid;
    def->target.timestamps.atime = timestamp(&st->st_atim);
    def->target.timestamps.mtime = timestamp(&st->st_mtim);
    def->target.timestamps.ctime = timestamp(&st->st_ctim);
    def->target.compat = g_steal_pointer(&info->compat);
    def->target.lazy_refcounts = info->lazy_refcounts;
    if (info->backing) {
        def->backing.path = g_steal_pointer(&info->backing);
        def->backing.format = file_format(info->backing_format);
    }
    return g_steal_pointer(&def);
}

/* Sizes of a plainly raw file come from stat. */
static void
raw_info(const struct stat *st, VbImageInfo *info)
{
    info->format = g_strdup("raw");
    info->virtual_size = (guint64)st->st_size;
}

VbStorageVolDef *
vb_dir_vol_read(const char *path, GError **error)
{
    g_auto(VbImageInfo) info = { 0 };
    struct stat st;

    if (lstat(path, &st) < 0) {
        system_error(error, errno, "cannot stat file", path);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "'%s' is not a regular file", path);
        return NULL;
    }
    if (has_image_header(path)) {
        if (!vb_qemu_img_info(path, &info, error))
            return NULL;
    } else {
        raw_info(&st, &info);
    }
    return vol_def_from(path, &st, &info, error);
}

/* ---- scanning a pool ---- */

#define SCAN_PARALLEL 8   /* qemu-img processes at once: their start-up is what a scan waits for */

typedef struct {
    char *path;
    struct stat st;
    GSubprocess *proc;    /* qemu-img info, NULL for a plainly raw file */
    GError *error;
} ScanItem;

static void
scan_item_free(ScanItem *item)
{
    g_free(item->path);
    g_clear_object(&item->proc);
    g_clear_error(&item->error);
    g_free(item);
}

static gint
compare_vol_names(gconstpointer a, gconstpointer b)
{
    const VbStorageVolDef *va = *(VbStorageVolDef *const *)a;
    const VbStorageVolDef *vb = *(VbStorageVolDef *const *)b;

    return strcmp(va->name, vb->name);
}

/* The regular files of @path whose names XML and D-Bus can carry. */
static GPtrArray *
scan_list(const char *path, GError **error)
{
    g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func((GDestroyNotify)scan_item_free);
    g_autoptr(GDir) dir = NULL;
    g_autoptr(GError) local = NULL;
    const char *entry;

    if (!(dir = g_dir_open(path, 0, &local))) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "cannot open directory '%s': %s", path, local->message);
        return NULL;
    }
    while ((entry = g_dir_read_name(dir))) {
        ScanItem *item = g_new0(ScanItem, 1);

        item->path = g_build_filename(path, entry, NULL);
        if (lstat(item->path, &item->st) < 0 || !S_ISREG(item->st.st_mode) ||
            !vb_name_validate(entry, "storage volume", NULL))
            scan_item_free(item);
        else
            g_ptr_array_add(items, item);
    }
    return g_steal_pointer(&items);
}

static void
scan_start(ScanItem *item)
{
    if (has_image_header(item->path))
        item->proc = vb_qemu_img_info_start(item->path, &item->error);
}

static void
scan_finish(ScanItem *item, GPtrArray *vols)
{
    g_auto(VbImageInfo) info = { 0 };
    VbStorageVolDef *def = NULL;

    if (!item->proc && !item->error)
        raw_info(&item->st, &info);
    if (!item->error && (!item->proc || vb_qemu_img_info_finish(item->proc, &info, &item->error)))
        def = vol_def_from(item->path, &item->st, &info, &item->error);
    if (def)
        g_ptr_array_add(vols, def);
    else
        g_warning("skipping volume %s: %s", item->path, item->error->message);
}

GPtrArray *
vb_dir_pool_scan(const char *path, VbPoolSizes *sizes, GError **error)
{
    g_autoptr(GPtrArray) vols = g_ptr_array_new_with_free_func((GDestroyNotify)vb_storage_vol_def_free);
    g_autoptr(GPtrArray) items = NULL;
    guint started = 0;

    if (!vb_dir_pool_check(path, error) || !(items = scan_list(path, error)))
        return NULL;
    for (guint done = 0; done < items->len; done++) {
        while (started < items->len && started < done + SCAN_PARALLEL)
            scan_start(g_ptr_array_index(items, started++));
        scan_finish(g_ptr_array_index(items, done), vols);
    }
    g_ptr_array_sort(vols, compare_vol_names);
    if (!vb_dir_pool_sizes(path, sizes, error))
        return NULL;
    return g_steal_pointer(&vols);
}

/* ---- making volumes ---- */

/* Claims the volume's name: the file is created here, empty, with its final mode, so two
 * creators cannot both win and qemu-img (which truncates what exists) keeps the mode. */
static int
claim_file(const VbStorageVolDef *def, GError **error)
{
    int mode = def->target.perms.mode >= 0 ? def->target.perms.mode : VOL_DEFAULT_MODE;
    int fd = open(def->target.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)mode);

    if (fd < 0) {
        if (errno == EEXIST)
            vb_set_error(error, VB_ERR_STORAGE_VOL_EXIST, "'%s'", def->name);
        else
            system_error(error, errno, "cannot create path", def->target.path);
        return -1;
    }
    if (fchmod(fd, (mode_t)mode) < 0 || !apply_owner(def->target.path, &def->target.perms, error)) {
        if (error && !*error)
            system_error(error, errno, "cannot set mode of", def->target.path);
        close(fd);
        g_unlink(def->target.path);
        return -1;
    }
    return fd;
}

static gboolean
allocate_range(int fd, const char *path, guint64 offset, guint64 length, GError **error)
{
    int err;

    if (length == 0)
        return TRUE;
    err = posix_fallocate(fd, (off_t)offset, (off_t)length);
    return err == 0 || system_error(error, err, "cannot allocate space for", path);
}

static gboolean
make_raw(int fd, const VbStorageVolDef *def, GError **error)
{
    if (ftruncate(fd, (off_t)def->capacity) < 0)
        return system_error(error, errno, "cannot extend file", def->target.path);
    return allocate_range(fd, def->target.path, 0, MIN(def->allocation, def->capacity), error);
}

static char *
round_size(guint64 bytes)
{
    return g_strdup_printf("%" G_GUINT64_FORMAT, (bytes + 511) / 512 * 512);
}

static char *
backing_format(const VbStorageVolBacking *backing, GError **error)
{
    g_auto(VbImageInfo) info = { 0 };

    if (backing->format != VB_STORAGE_FILE_NONE)
        return g_strdup(vb_storage_file_format_to_string(backing->format));
    if (!vb_qemu_img_info(backing->path, &info, error))
        return NULL;
    return g_steal_pointer(&info.format);
}

static gboolean
make_qcow2(const VbStorageVolDef *def, gboolean prealloc_metadata, GError **error)
{
    g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GString) opts = g_string_new(NULL);

    g_ptr_array_add(args, g_strdup("create"));
    g_ptr_array_add(args, g_strdup("-f"));
    g_ptr_array_add(args, g_strdup("qcow2"));
    if (def->backing.path) {
        char *format = backing_format(&def->backing, error);
        if (!format)
            return FALSE;
        g_ptr_array_add(args, g_strdup("-b"));
        g_ptr_array_add(args, g_strdup(def->backing.path));
        g_ptr_array_add(args, g_strdup("-F"));
        g_ptr_array_add(args, format);
    }
    if (def->target.compat)
        g_string_append_printf(opts, ",compat=%s", def->target.compat);
    if (def->target.lazy_refcounts)
        g_string_append(opts, ",lazy_refcounts=on");
    if (prealloc_metadata)
        g_string_append(opts, ",preallocation=metadata");
    if (opts->len) {
        g_ptr_array_add(args, g_strdup("-o"));
        g_ptr_array_add(args, g_strdup(opts->str + 1));
    }
    g_ptr_array_add(args, g_strdup(def->target.path));
    if (def->capacity || !def->backing.path)
        g_ptr_array_add(args, round_size(def->capacity));
    g_ptr_array_add(args, NULL);
    return vb_qemu_img_run((const char *const *)args->pdata, NULL, error);
}

gboolean
vb_dir_vol_create(const VbStorageVolDef *def, guint flags, GError **error)
{
    int fd = claim_file(def, error);
    gboolean ok;

    if (fd < 0)
        return FALSE;
    if (def->target.format == VB_STORAGE_FILE_QCOW2) {
        close(fd);
        ok = make_qcow2(def, (flags & VB_VOL_CREATE_PREALLOC_METADATA) != 0, error);
    } else {
        ok = make_raw(fd, def, error);
        if (close(fd) < 0 && ok)
            ok = system_error(error, errno, "cannot close file", def->target.path);
    }
    if (!ok)
        g_unlink(def->target.path);
    return ok;
}

static const char *
format_name(const VbStorageVolDef *def)
{
    return def->target.format == VB_STORAGE_FILE_QCOW2 ? "qcow2" : "raw";
}

static gboolean
qemu_img_resize(const VbStorageVolDef *def, guint64 capacity, gboolean shrink, gboolean allocate, GError **error)
{
    g_autofree char *size = round_size(capacity);
    const char *args[9] = { "resize", "-f", format_name(def) };
    guint n = 3;

    if (shrink)
        args[n++] = "--shrink";
    if (allocate)
        args[n++] = "--preallocation=falloc";
    args[n++] = def->target.path;
    args[n++] = size;
    return vb_qemu_img_run(args, NULL, error);
}

gboolean
vb_dir_vol_clone(const VbStorageVolDef *def, const VbStorageVolDef *from, GError **error)
{
    int fd = claim_file(def, error);
    const char *args[] = { "convert", "-U", "-f", format_name(from), "-O", format_name(def),
                           from->target.path, def->target.path, NULL };
    gboolean ok;

    if (fd < 0)
        return FALSE;
    close(fd);
    ok = vb_qemu_img_run(args, NULL, error);
    if (ok && def->capacity > from->capacity)
        ok = qemu_img_resize(def, def->capacity, FALSE, FALSE, error);
    if (!ok)
        g_unlink(def->target.path);
    return ok;
}

/* ---- changing volumes ---- */

static gboolean
resize_raw(const VbStorageVolDef *def, guint64 capacity, gboolean allocate, GError **error)
{
    int fd = open(def->target.path, O_WRONLY | O_CLOEXEC);
    gboolean ok;

    if (fd < 0)
        return system_error(error, errno, "cannot open", def->target.path);
    if (allocate && capacity > def->capacity)
        ok = allocate_range(fd, def->target.path, def->capacity, capacity - def->capacity, error);
    else
        ok = ftruncate(fd, (off_t)capacity) == 0 || system_error(error, errno, "cannot resize", def->target.path);
    close(fd);
    return ok;
}

gboolean
vb_dir_vol_resize(const VbStorageVolDef *def, guint64 capacity, guint flags, GError **error)
{
    gboolean allocate = (flags & VB_VOL_RESIZE_ALLOCATE) != 0;

    if (def->target.format == VB_STORAGE_FILE_QCOW2)
        return qemu_img_resize(def, capacity, capacity < def->capacity, allocate, error);
    return resize_raw(def, capacity, allocate, error);
}

static gboolean
write_zeros(int fd, const char *path, off_t start, off_t end, GError **error)
{
    /* allocated per wipe: a static 1 MiB of zeros would sit in the daemon's read-only data */
    g_autofree char *zeros = g_malloc0(WIPE_CHUNK);

    while (start < end) {
        ssize_t n = pwrite(fd, zeros, (size_t)MIN((off_t)WIPE_CHUNK, end - start), start);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return system_error(error, n < 0 ? errno : EIO, "cannot write zeros to", path);
        start += n;
    }
    return TRUE;
}

/* Writes zeros over the data extents; holes already read as zeros and stay holes. */
static gboolean
wipe_raw(const char *path, GError **error)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    struct stat st;
    off_t pos = 0;
    gboolean ok = TRUE;

    if (fd < 0)
        return system_error(error, errno, "cannot open", path);
    if (fstat(fd, &st) < 0)
        ok = system_error(error, errno, "cannot stat", path);
    while (ok && pos < st.st_size) {
        off_t data = lseek(fd, pos, SEEK_DATA);
        off_t hole;

        if (data < 0)
            break;           /* ENXIO: no data after pos */
        hole = lseek(fd, data, SEEK_HOLE);
        if (hole < 0)
            hole = st.st_size;
        ok = write_zeros(fd, path, data, hole, error);
        pos = hole;
    }
    if (ok && fdatasync(fd) < 0)
        ok = system_error(error, errno, "cannot sync", path);
    close(fd);
    return ok;
}

/* TRIM: the whole file becomes a hole, which reads as zeros and frees the space. */
static gboolean
trim_raw(const char *path, GError **error)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    struct stat st;
    gboolean ok = TRUE;

    if (fd < 0)
        return system_error(error, errno, "cannot open", path);
    if (fstat(fd, &st) < 0)
        ok = system_error(error, errno, "cannot stat", path);
    else if (st.st_size && fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, st.st_size) < 0)
        ok = system_error(error, errno, "cannot trim", path);
    close(fd);
    return ok;
}

/* The patterns libvirt hands to scrub(1), by virStorageVolWipeAlgorithm (1..8). */
static const char *const scrub_patterns[] = { NULL, "nnsa", "dod", "bsi", "gutmann", "schneier", "pfitzner7",
                                              "pfitzner33", "random" };

static gboolean
scrub_raw(const char *path, guint algorithm, GError **error)
{
    g_autoptr(GSubprocess) proc = NULL;
    g_autoptr(GError) local = NULL;
    g_autofree char *err = NULL;

    if (!(proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &local, "scrub",
                                  "-f", "-p", scrub_patterns[algorithm], path, NULL)) ||
        !g_subprocess_communicate_utf8(proc, NULL, NULL, NULL, &err, &local)) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "cannot run scrub for wiping algorithm '%s': %s",
                     scrub_patterns[algorithm], local->message);
        return FALSE;
    }
    if (!g_subprocess_get_successful(proc)) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "scrub failed on %s: %s", path, err ? g_strstrip(err) : "");
        return FALSE;
    }
    return TRUE;
}

gboolean
vb_dir_vol_wipe(const VbStorageVolDef *def, guint algorithm, GError **error)
{
    /* a qcow2 image reads zeros once it is made anew with the same size and backing file */
    if (def->target.format == VB_STORAGE_FILE_QCOW2)
        return make_qcow2(def, FALSE, error);
    if (algorithm == VB_VOL_WIPE_TRIM)
        return trim_raw(def->target.path, error);
    if (algorithm > 0 && algorithm < G_N_ELEMENTS(scrub_patterns))
        return scrub_raw(def->target.path, algorithm, error);
    return wipe_raw(def->target.path, error);
}

gboolean
vb_dir_vol_delete(const char *path, GError **error)
{
    if (g_unlink(path) == 0)
        return TRUE;
    return system_error(error, errno, "cannot unlink file", path);
}
