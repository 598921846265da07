/* domain.h: helpers the domain, snapshot and connect objects share */
#pragma once

#include "object.h"

char *vb_domain_path(const VbCall *call, const VbDomainObj *dom);
/* virDomainListGetStats' record for @dom: a{sv} with libvirt's typed-parameter names. */
GVariant *vb_domain_stats(VbCall *call, VbDomainObj *dom, guint stats);

char *vb_snapshot_key(const VbDomainObj *dom, const VbSnapshotObj *snap);
char *vb_snapshot_path(const VbCall *call, const VbDomainObj *dom, const VbSnapshotObj *snap);
/* Snapshots of @dom under @parent (NULL: all) matching libvirt's list @flags. */
GPtrArray *vb_snapshot_list(VbDomainObj *dom, VbSnapshotObj *parent, guint flags, const char *api, GError **error);
GVariant *vb_snapshot_paths(const VbCall *call, const VbDomainObj *dom, GPtrArray *snaps);
