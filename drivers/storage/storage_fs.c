/* storage_fs.c: the fs backend: a block device's file system mounted on the pool's target
 * directory; its volumes are files there, as in a dir pool (storage_dir.c does the rest).
 *
 * Build makes the directory and, with OVERWRITE or NO_OVERWRITE, the file system (mkfs; with
 * NO_OVERWRITE only where blkid finds none). Start mounts, Destroy unmounts, with mount(8) and
 * umount(8) as libvirt does. Blocking: mkfs runs on the caller's thread, which the driver keeps
 * off the main loop where it can. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "drivers/storage/storage_private.h"

static const char *
pool_device(const VbStoragePoolDef *def)
{
    return def->source.devices && def->source.devices->len ? g_ptr_array_index(def->source.devices, 0) : NULL;
}

gboolean
vb_fs_pool_check_def(const VbStoragePoolDef *def, GError **error)
{
    const char *device = pool_device(def);

    if (!device) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "%s", "missing source device");
        return FALSE;
    }
    if (!g_path_is_absolute(device) || strpbrk(device, "\n\r")) {
        vb_set_error(error, VB_ERR_XML_ERROR, "source device '%s' must be an absolute path", device);
        return FALSE;
    }
    if (def->source.format && strspn(def->source.format, "abcdefghijklmnopqrstuvwxyz0123456789") !=
                                  strlen(def->source.format)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "unknown file system format '%s'", def->source.format);
        return FALSE;
    }
    return TRUE;
}

/* Runs @argv; its stderr becomes the error. */
static gboolean
run_tool(const char *const *argv, char **out, GError **error)
{
    g_autoptr(GSubprocess) proc = NULL;
    g_autoptr(GError) local = NULL;
    g_autofree char *err = NULL;

    if (!(proc = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &local)) ||
        !g_subprocess_communicate_utf8(proc, NULL, NULL, out, &err, &local)) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "cannot run %s: %s", argv[0], local->message);
        return FALSE;
    }
    if (!g_subprocess_get_successful(proc)) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "%s failed: %s", argv[0], err ? g_strstrip(err) : "");
        return FALSE;
    }
    return TRUE;
}

static gboolean
check_device(const char *device, GError **error)
{
    struct stat st;

    if (stat(device, &st) == 0)
        return TRUE;
    vb_set_error(error, VB_ERR_INVALID_ARG, "Cannot find source device '%s': %s", device, g_strerror(errno));
    return FALSE;
}

/* The file system blkid finds on @device, or NULL. */
static char *
probe_fs(const char *device)
{
    const char *argv[] = { "blkid", "-p", "-o", "value", "-s", "TYPE", device, NULL };
    g_autofree char *out = NULL;

    if (!run_tool(argv, &out, NULL) || !out || !*g_strstrip(out))
        return NULL;
    return g_steal_pointer(&out);
}

gboolean
vb_fs_pool_build(const VbStoragePoolDef *def, guint flags, GError **error)
{
    const char *device = pool_device(def);
    const char *format = def->source.format ? def->source.format : "ext4";
    g_autofree char *found = NULL;
    gboolean ext = g_str_has_prefix(format, "ext");
    const char *argv[] = { "mkfs", "-t", format, ext ? "-F" : device, ext ? device : NULL, NULL };

    if (!vb_dir_pool_build(def, 0, error))
        return FALSE;
    if (!(flags & (VB_POOL_BUILD_OVERWRITE | VB_POOL_BUILD_NO_OVERWRITE)))
        return TRUE;
    if (!check_device(device, error))
        return FALSE;
    if ((flags & VB_POOL_BUILD_NO_OVERWRITE) && (found = probe_fs(device))) {
        vb_set_error(error, VB_ERR_STORAGE_POOL_BUILT, "Device '%s' already formatted using '%s'", device, found);
        return FALSE;
    }
    return run_tool(argv, NULL, error);
}

/* What /proc/self/mountinfo has mounted on @target, as its source device, or NULL. */
static char *
mounted_on(const char *target)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;

    if (!g_file_get_contents("/proc/self/mountinfo", &text, NULL, NULL))
        return NULL;
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        g_auto(GStrv) fields = g_strsplit(lines[i], " ", -1);
        guint n = g_strv_length(fields);
        guint dash = 0;

        while (dash < n && !g_str_equal(fields[dash], "-"))
            dash++;
        /* mountinfo escapes blanks in paths as \040; our targets have none to escape */
        if (n > 4 && g_str_equal(fields[4], target) && dash + 2 < n)
            return g_strdup(fields[dash + 2]);
    }
    return NULL;
}

gboolean
vb_fs_pool_mount(const VbStoragePoolDef *def, GError **error)
{
    const char *device = pool_device(def);
    const char *argv[] = { "mount", "-t", def->source.format ? def->source.format : "auto", device,
                           def->target_path, NULL };
    g_autofree char *current = mounted_on(def->target_path);

    if (current)   /* mounted already (by us before a daemon restart, or by the admin) */
        return TRUE;
    return check_device(device, error) && vb_dir_pool_check(def->target_path, error) && run_tool(argv, NULL, error);
}

gboolean
vb_fs_pool_unmount(const VbStoragePoolDef *def, GError **error)
{
    const char *argv[] = { "umount", def->target_path, NULL };
    g_autofree char *current = mounted_on(def->target_path);

    return !current || run_tool(argv, NULL, error);
}
