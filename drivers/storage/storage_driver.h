/* storage_driver.h: real storage pools and volumes (the dir backend) for a hypervisor connection.
 *
 * A connection driver (QEMU) calls vb_storage_open from its open and vb_storage_close from its
 * close, and points its vtable's pool and volume entries at the functions below. */
#pragma once

#include "drivers/driver.h"

/* Loads the pool configs, starts the autostarted pools and, on the first open, makes the
 * `default` pool. @privileged picks the system directories, else the XDG ones. */
gboolean vb_storage_open(VbConn *conn, gboolean privileged, GError **error);
void vb_storage_close(VbConn *conn);

VbStoragePoolObj *vb_storage_pool_define_xml(VbConn *conn, const char *xml, guint flags, GError **error);
VbStoragePoolObj *vb_storage_pool_create_xml(VbConn *conn, const char *xml, guint flags, GError **error);
gboolean vb_storage_pool_build(VbConn *conn, VbStoragePoolObj *pool, guint flags, GError **error);
void vb_storage_pool_create_async(VbConn *conn, VbStoragePoolObj *pool, guint flags, GTask *task);
gboolean vb_storage_pool_delete(VbConn *conn, VbStoragePoolObj *pool, guint flags, GError **error);
gboolean vb_storage_pool_destroy(VbConn *conn, VbStoragePoolObj *pool, GError **error);
gboolean vb_storage_pool_undefine(VbConn *conn, VbStoragePoolObj *pool, GError **error);
void vb_storage_pool_refresh_async(VbConn *conn, VbStoragePoolObj *pool, guint flags, GTask *task);
gboolean vb_storage_pool_set_autostart(VbConn *conn, VbStoragePoolObj *pool, gboolean autostart, GError **error);
char *vb_storage_pool_get_xml_desc(VbConn *conn, VbStoragePoolObj *pool, guint flags, GError **error);

void vb_storage_vol_create_xml_async(VbConn *conn, VbStoragePoolObj *pool, const char *xml, guint flags,
                                     GTask *task);
void vb_storage_vol_create_xml_from_async(VbConn *conn, VbStoragePoolObj *pool, const char *xml,
                                          VbStorageVolObj *from, guint flags, GTask *task);
gboolean vb_storage_vol_delete(VbConn *conn, VbStorageVolObj *vol, guint flags, GError **error);
void vb_storage_vol_resize_async(VbConn *conn, VbStorageVolObj *vol, guint64 capacity, guint flags, GTask *task);
void vb_storage_vol_wipe_async(VbConn *conn, VbStorageVolObj *vol, guint pattern, guint flags, GTask *task);
char *vb_storage_vol_get_xml_desc(VbConn *conn, VbStorageVolObj *vol, guint flags, GError **error);
