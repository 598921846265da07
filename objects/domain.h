/* domain.h: helpers the domain, snapshot and connect objects share */
#pragma once

#include "object.h"

#define DOM(call) ((VbDomainObj *)(call)->obj)
#define CALL(call, op, api, error, ...) VB_DRIVER_CALL((call)->conn, op, api, error, DOM(call), __VA_ARGS__)
/* A driver whose lifecycle work waits on a process (QEMU) has an _async entry: the reply
 * follows when it finishes. TRUE when the call went that way. */
#define ASYNC(call, op, ...) \
    ((call)->conn->driver->op##_async \
         ? ((call)->conn->driver->op##_async((call)->conn, DOM(call), ##__VA_ARGS__, vb_call_empty_reply_task(call)), \
            TRUE) \
         : FALSE)

/* As ASYNC for an entry whose task returns a pointer: @done (a GAsyncReadyCallback) gets
 * the call's VbDeferred and builds the reply. */
#define ASYNC_POINTER(call, op, done, ...) \
    ((call)->conn->driver->op##_async \
         ? ((call)->conn->driver->op##_async((call)->conn, DOM(call), ##__VA_ARGS__, \
                                             g_task_new(NULL, NULL, (done), (call)->defer(call))), \
            TRUE) \
         : FALSE)

char *vb_domain_path(const VbCall *call, const VbDomainObj *dom);
/* virDomainListGetStats' record for @dom: a{sv} with libvirt's typed-parameter names. */
GVariant *vb_domain_stats(VbCall *call, VbDomainObj *dom, guint stats);

char *vb_snapshot_key(const VbDomainObj *dom, const VbSnapshotObj *snap);
char *vb_snapshot_path(const VbCall *call, const VbDomainObj *dom, const VbSnapshotObj *snap);
/* Snapshots of @dom under @parent (NULL: all) matching libvirt's list @flags. */
GPtrArray *vb_snapshot_list(VbDomainObj *dom, VbSnapshotObj *parent, guint flags, const char *api, GError **error);
GVariant *vb_snapshot_paths(const VbCall *call, const VbDomainObj *dom, GPtrArray *snaps);

/* org.libvirt.Domain's block job methods (domain_block.c) */
GVariant *vb_domain_block_pull(VbCall *call, GVariant *args, GError **error);
GVariant *vb_domain_block_rebase(VbCall *call, GVariant *args, GError **error);
GVariant *vb_domain_block_commit(VbCall *call, GVariant *args, GError **error);
GVariant *vb_domain_block_copy(VbCall *call, GVariant *args, GError **error);
GVariant *vb_domain_block_job_abort(VbCall *call, GVariant *args, GError **error);
GVariant *vb_domain_block_job_set_speed(VbCall *call, GVariant *args, GError **error);
GVariant *vb_domain_get_block_job_info(VbCall *call, GVariant *args, GError **error);
GVariant *vb_domain_block_resize(VbCall *call, GVariant *args, GError **error);
GVariant *vb_domain_block_peek(VbCall *call, GVariant *args, GError **error);
