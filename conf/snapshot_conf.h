/* snapshot_conf.h: libvirt's <domainsnapshot> XML */
#pragma once

#include <glib.h>

#include "domain_conf.h"

typedef struct {
    char *name;
    char *description;
    char *state;             /* domain state name when taken: running, paused, shutoff */
    char *parent;
    gint64 creation_time;
    char *memory;            /* no | internal | external */
    char *memory_file;
    char *disks_xml;         /* <disks> kept verbatim */
    VbDomainDef *dom;        /* the domain definition when taken */
} VbSnapshotDef;

VbSnapshotDef *vb_snapshot_def_parse(const char *xml, guint flags, GError **error);
char *vb_snapshot_def_format(const VbSnapshotDef *def, guint flags);
void vb_snapshot_def_free(VbSnapshotDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbSnapshotDef, vb_snapshot_def_free)
