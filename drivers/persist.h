/* persist.h: how drivers keep their configs on disk — atomic writes, autostart links, dirs. */
#pragma once

#include <glib.h>

/* Writes @xml to @path atomically and durably (temporary file, fsync, rename), mode 0600;
 * the error names @what ("domain", "storage pool"...) and the path. */
gboolean vb_config_write(const char *path, const char *xml, const char *what, GError **error);
/* Removes @path; a file that is not there is fine. */
gboolean vb_file_remove(const char *path, GError **error);
/* The autostart mark: @link becomes a symlink to @target, or goes away. */
gboolean vb_autostart_link_set(const char *link, const char *target, gboolean autostart, GError **error);
/* mkdir -p with mode 0700. */
gboolean vb_dir_make(const char *path, GError **error);
