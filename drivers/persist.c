/* persist.c: how drivers keep their configs on disk */
#include "drivers/persist.h"

#include <errno.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "conf/vb_error.h"

gboolean
vb_config_write(const char *path, const char *xml, const char *what, GError **error)
{
    g_autoptr(GError) local = NULL;

    if (g_file_set_contents_full(path, xml, -1, G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, &local))
        return TRUE;
    vb_set_error(error, VB_ERR_SYSTEM_ERROR, "cannot save %s configuration '%s': %s", what, path, local->message);
    return FALSE;
}

gboolean
vb_file_remove(const char *path, GError **error)
{
    if (g_unlink(path) == 0 || errno == ENOENT)
        return TRUE;
    vb_set_error(error, VB_ERR_SYSTEM_ERROR, "cannot remove '%s': %s", path, g_strerror(errno));
    return FALSE;
}

gboolean
vb_autostart_link_set(const char *link, const char *target, gboolean autostart, GError **error)
{
    if (!autostart)
        return vb_file_remove(link, error);
    if (symlink(target, link) == 0 || errno == EEXIST)
        return TRUE;
    vb_set_error(error, VB_ERR_SYSTEM_ERROR, "Failed to create symlink '%s' to '%s': %s", link, target,
                 g_strerror(errno));
    return FALSE;
}

gboolean
vb_dir_make(const char *path, GError **error)
{
    if (g_mkdir_with_parents(path, 0700) == 0)
        return TRUE;
    vb_set_error(error, VB_ERR_SYSTEM_ERROR, "cannot create directory '%s': %s", path, g_strerror(errno));
    return FALSE;
}
