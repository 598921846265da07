/* test_snapshot.c: domain snapshots of the test driver (metadata only, like libvirt's) */
#include <string.h>

#include "drivers/domain_common.h"
#include "drivers/test/test_private.h"

#define TEST_SNAPSHOT_CREATE_FLAGS (VB_SNAPSHOT_CREATE_REDEFINE | VB_SNAPSHOT_CREATE_CURRENT | \
                                    VB_SNAPSHOT_CREATE_HALT | VB_SNAPSHOT_CREATE_QUIESCE | \
                                    VB_SNAPSHOT_CREATE_ATOMIC | VB_SNAPSHOT_CREATE_LIVE | \
                                    VB_SNAPSHOT_CREATE_VALIDATE)
#define TEST_REVERT_START (VB_SNAPSHOT_REVERT_RUNNING | VB_SNAPSHOT_REVERT_PAUSED)
#define TEST_DELETE_CHILDREN (VB_SNAPSHOT_DELETE_CHILDREN | VB_SNAPSHOT_DELETE_CHILDREN_ONLY)

/* libvirt's virDomainSnapshotState names, indexed by domain state */
static const char *const snapshot_states[] = {
    "nostate", "running", "blocked", "paused", "shutdown", "shutoff", "crashed", "pmsuspended", NULL,
};

static VbSnapshotObj *
find_snapshot(VbDomainObj *dom, const char *name)
{
    for (guint i = 0; name && i < dom->snapshots->len; i++) {
        VbSnapshotObj *snap = g_ptr_array_index(dom->snapshots, i);
        if (g_str_equal(snap->def->name, name))
            return snap;
    }
    return NULL;
}

static void
emit_snapshot(VbConn *conn, VbDomainObj *dom, const char *name, int event, VbPresence presence)
{
    vb_conn_emit_full(conn, VB_EVENT_SNAPSHOT, dom->def->uuid, event, 0, presence, name);
}

static void
set_current(VbDomainObj *dom, const char *name)
{
    char *copy = g_strdup(name);

    g_free(dom->current_snapshot);
    dom->current_snapshot = copy;
}

/* ---- create ---- */

static gboolean
check_create(VbDomainObj *dom, guint flags, GError **error)
{
    if (!vb_check_flags(flags, TEST_SNAPSHOT_CREATE_FLAGS, "virDomainSnapshotCreateXML", error))
        return FALSE;
    if ((flags & VB_SNAPSHOT_CREATE_CURRENT) && !(flags & VB_SNAPSHOT_CREATE_REDEFINE)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "Flag 'VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE' is required by flag "
                     "'VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT'");
        return FALSE;
    }
    if (!dom->persistent && (flags & VB_SNAPSHOT_CREATE_HALT)) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "cannot halt after transient domain snapshot");
        return FALSE;
    }
    return TRUE;
}

/* The snapshot records the domain as it is now, child of the current snapshot. */
static void
fill_new_snapshot(VbDomainObj *dom, VbSnapshotDef *def)
{
    vb_domain_def_free(def->dom);
    def->dom = vb_domain_def_copy(dom->def);
    g_free(def->state);
    def->state = g_strdup(snapshot_states[dom->state]);
    if (!def->memory || !g_str_equal(def->memory, "external")) {
        g_free(def->memory);
        def->memory = g_strdup(dom->state == VB_DOMAIN_SHUTOFF ? "no" : "internal");
    }
    g_free(def->parent);
    def->parent = g_strdup(dom->current_snapshot);
}

static gboolean
creates_cycle(VbDomainObj *dom, const char *name, const char *parent)
{
    for (VbSnapshotObj *up = find_snapshot(dom, parent); up; up = find_snapshot(dom, up->def->parent)) {
        if (g_str_equal(up->def->name, name))
            return TRUE;
    }
    return FALSE;
}

/* libvirt's virDomainSnapshotRedefinePrep checks. */
static gboolean
check_redefine(VbDomainObj *dom, const VbSnapshotDef *def, GError **error)
{
    if (!def->state) {
        vb_set_error(error, VB_ERR_XML_ERROR, "missing state from existing snapshot");
        return FALSE;
    }
    if (def->dom && !g_str_equal(def->dom->uuid, dom->def->uuid)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "definition for snapshot %s must use uuid %s", def->name,
                     dom->def->uuid);
        return FALSE;
    }
    if (def->parent && !find_snapshot(dom, def->parent)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "parent %s for snapshot %s not found", def->parent, def->name);
        return FALSE;
    }
    if (def->parent && creates_cycle(dom, def->name, def->parent)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "parent %s would create cycle to %s", def->parent, def->name);
        return FALSE;
    }
    return TRUE;
}

static VbSnapshotObj *
store_snapshot(VbDomainObj *dom, VbSnapshotDef *def, gboolean *replaced)
{
    VbSnapshotObj *snap = find_snapshot(dom, def->name);

    *replaced = snap != NULL;
    if (snap) {
        vb_snapshot_def_free(snap->def);
    } else {
        snap = g_new0(VbSnapshotObj, 1);
        snap->domain = dom;
        g_ptr_array_add(dom->snapshots, snap);
    }
    snap->def = def;
    return snap;
}

VbSnapshotObj *
test_snapshot_create_xml(VbConn *conn, VbDomainObj *dom, const char *xml, guint flags, GError **error)
{
    gboolean redefine = (flags & VB_SNAPSHOT_CREATE_REDEFINE) != 0;
    g_autoptr(VbSnapshotDef) def = NULL;
    gboolean replaced = FALSE;
    VbSnapshotObj *snap;

    if (!check_create(dom, flags, error) || !(def = vb_snapshot_def_parse(xml, 0, error)))
        return NULL;
    if (redefine && !check_redefine(dom, def, error))
        return NULL;
    if (!redefine && find_snapshot(dom, def->name)) {
        vb_set_error(error, VB_ERR_OPERATION_FAILED, "domain moment %s already exists", def->name);
        return NULL;
    }
    if (!redefine)
        fill_new_snapshot(dom, def);
    snap = store_snapshot(dom, g_steal_pointer(&def), &replaced);
    if (!redefine || (flags & VB_SNAPSHOT_CREATE_CURRENT))
        set_current(dom, snap->def->name);
    emit_snapshot(conn, dom, snap->def->name, VB_SNAPSHOT_EVENT_CREATED,
                  replaced ? VB_PRESENCE_SAME : VB_PRESENCE_APPEARED);
    if (!redefine && (flags & VB_SNAPSHOT_CREATE_HALT) && vb_domain_obj_is_active(dom))
        test_domain_stop(conn, dom, VB_SHUTOFF_FROM_SNAPSHOT, VB_EVENT_STOPPED_FROM_SNAPSHOT);
    return snap;
}

/* ---- revert ---- */

static gboolean
snapshot_is_active(const VbSnapshotObj *snap)
{
    return g_strcmp0(snap->def->state, "running") == 0 || g_strcmp0(snap->def->state, "paused") == 0;
}

static gboolean
check_revert(VbConn *conn, VbDomainObj *dom, VbSnapshotObj *snap, guint flags, GError **error)
{
    const VbDomainDef *target = snap->def->dom ? snap->def->dom : dom->def;
    VbDomainObj *other = vb_obj_list_by_name(conn->domains, target->name);

    if ((flags & TEST_REVERT_START) == TEST_REVERT_START) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "Flags 'VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING' and "
                     "'VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED' are mutually exclusive");
        return FALSE;
    }
    if (!dom->persistent && !snapshot_is_active(snap) && !(flags & TEST_REVERT_START)) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID,
                     "transient domain needs to request run or pause to revert to inactive snapshot");
        return FALSE;
    }
    if (other && other != dom) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "domain with name '%s' already exists", target->name);
        return FALSE;
    }
    if (flags & VB_SNAPSHOT_REVERT_FORCE)
        return TRUE;
    if (!snap->def->dom) {
        vb_set_error(error, VB_ERR_SNAPSHOT_REVERT_RISKY, "snapshot '%s' lacks domain "
                     "'%s' rollback info", snap->def->name, dom->def->name);
        return FALSE;
    }
    if (vb_domain_obj_is_active(dom) && !snapshot_is_active(snap) && (flags & TEST_REVERT_START)) {
        vb_set_error(error, VB_ERR_SNAPSHOT_REVERT_RISKY,
                     "must respawn guest to start inactive snapshot");
        return FALSE;
    }
    return TRUE;
}

static void
install_def(VbConn *conn, VbDomainObj *dom, VbDomainDef *def)
{
    vb_conn_domain_replace_def(conn, dom, def);
    g_clear_pointer(&dom->new_def, vb_domain_def_free);
}

static void
revert_to_shutoff(VbConn *conn, VbDomainObj *dom, VbDomainDef *def)
{
    gboolean was_active = vb_domain_obj_is_active(dom);

    if (was_active)
        test_domain_shutdown_state(conn, dom, VB_SHUTOFF_FROM_SNAPSHOT);
    install_def(conn, dom, def);
    if (was_active)
        test_emit_domain(conn, dom, VB_DOMAIN_EVENT_STOPPED, VB_EVENT_STOPPED_FROM_SNAPSHOT, VB_PRESENCE_SAME);
}

static void
revert_start(VbConn *conn, VbDomainObj *dom, VbDomainDef *def, gboolean paused)
{
    install_def(conn, dom, def);
    test_domain_start_state(conn, dom, VB_RUNNING_FROM_SNAPSHOT);
    test_emit_domain(conn, dom, VB_DOMAIN_EVENT_STARTED, VB_EVENT_STARTED_FROM_SNAPSHOT, VB_PRESENCE_SAME);
    if (!paused)
        return;
    vb_domain_obj_set_state(dom, VB_DOMAIN_PAUSED, VB_PAUSED_FROM_SNAPSHOT);
    test_emit_domain(conn, dom, VB_DOMAIN_EVENT_SUSPENDED, VB_EVENT_SUSPENDED_FROM_SNAPSHOT, VB_PRESENCE_SAME);
}

/* A running or paused domain takes the snapshot's definition without restarting. */
static void
revert_live(VbConn *conn, VbDomainObj *dom, VbDomainDef *def, gboolean paused)
{
    gboolean was_paused = dom->state == VB_DOMAIN_PAUSED;

    install_def(conn, dom, def);
    if (dom->persistent)
        dom->new_def = vb_domain_def_copy(dom->def);
    vb_domain_obj_set_state(dom, paused ? VB_DOMAIN_PAUSED : VB_DOMAIN_RUNNING,
                            paused ? VB_PAUSED_FROM_SNAPSHOT : VB_RUNNING_FROM_SNAPSHOT);
    if (paused && !was_paused)
        test_emit_domain(conn, dom, VB_DOMAIN_EVENT_SUSPENDED, VB_EVENT_SUSPENDED_FROM_SNAPSHOT, VB_PRESENCE_SAME);
    else if (!paused && was_paused)
        test_emit_domain(conn, dom, VB_DOMAIN_EVENT_RESUMED, VB_EVENT_RESUMED_FROM_SNAPSHOT, VB_PRESENCE_SAME);
}

/* libvirt's testDomainRevertToSnapshot transitions, with the state the events announce. */
gboolean
test_snapshot_revert(VbConn *conn, VbDomainObj *dom, VbSnapshotObj *snap, guint flags, GError **error)
{
    gboolean snap_active = snapshot_is_active(snap);
    gboolean paused = !(flags & VB_SNAPSHOT_REVERT_RUNNING) &&
                      (g_strcmp0(snap->def->state, "paused") == 0 || (flags & VB_SNAPSHOT_REVERT_PAUSED));
    const VbDomainDef *source;

    if (!vb_check_flags(flags, TEST_REVERT_START | VB_SNAPSHOT_REVERT_FORCE, "virDomainRevertToSnapshot", error) ||
        !check_revert(conn, dom, snap, flags, error))
        return FALSE;
    source = snap->def->dom ? snap->def->dom : dom->def;
    if (snap_active && vb_domain_obj_is_active(dom)) {
        revert_live(conn, dom, vb_domain_def_copy(source), paused);
    } else if (snap_active || (flags & TEST_REVERT_START)) {
        VbDomainDef *def = vb_domain_def_copy(source);
        if (vb_domain_obj_is_active(dom))
            revert_to_shutoff(conn, dom, vb_domain_def_copy(source));
        revert_start(conn, dom, def, paused);
    } else {
        revert_to_shutoff(conn, dom, vb_domain_def_copy(source));
    }
    set_current(dom, snap->def->name);
    emit_snapshot(conn, dom, snap->def->name, VB_SNAPSHOT_EVENT_REVERTED, VB_PRESENCE_SAME);
    return TRUE;
}

/* ---- delete ---- */

static gboolean
is_descendant(VbDomainObj *dom, VbSnapshotObj *snap, const char *ancestor)
{
    for (VbSnapshotObj *up = find_snapshot(dom, snap->def->parent); up; up = find_snapshot(dom, up->def->parent)) {
        if (g_str_equal(up->def->name, ancestor))
            return TRUE;
    }
    return FALSE;
}

static void
remove_snapshot(VbConn *conn, VbDomainObj *dom, const char *name)
{
    emit_snapshot(conn, dom, name, VB_SNAPSHOT_EVENT_DELETED, VB_PRESENCE_GONE);
    g_ptr_array_remove(dom->snapshots, find_snapshot(dom, name));
}

static void
reparent_children(VbDomainObj *dom, VbSnapshotObj *snap)
{
    for (guint i = 0; i < dom->snapshots->len; i++) {
        VbSnapshotObj *child = g_ptr_array_index(dom->snapshots, i);

        if (g_strcmp0(child->def->parent, snap->def->name) == 0) {
            g_free(child->def->parent);
            child->def->parent = g_strdup(snap->def->parent);
        }
    }
}

/* The names of the snapshots @flags delete along with (or instead of) @snap. */
static GPtrArray *
collect_doomed(VbDomainObj *dom, VbSnapshotObj *snap, guint flags)
{
    GPtrArray *doomed = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; (flags & TEST_DELETE_CHILDREN) && i < dom->snapshots->len; i++) {
        VbSnapshotObj *other = g_ptr_array_index(dom->snapshots, i);
        if (is_descendant(dom, other, snap->def->name))
            g_ptr_array_add(doomed, g_strdup(other->def->name));
    }
    if (!(flags & VB_SNAPSHOT_DELETE_CHILDREN_ONLY))
        g_ptr_array_add(doomed, g_strdup(snap->def->name));
    return doomed;
}

/* Like libvirt: children move up to @snap's parent unless deleted too, and a deleted current
 * snapshot hands over to @snap (CHILDREN_ONLY) or to @snap's parent. */
gboolean
test_snapshot_delete(VbConn *conn, VbDomainObj *dom, VbSnapshotObj *snap, guint flags, GError **error)
{
    g_autoptr(GPtrArray) doomed = NULL;
    g_autofree char *name = g_strdup(snap->def->name);
    g_autofree char *parent = g_strdup(snap->def->parent);

    if (!vb_check_flags(flags, TEST_DELETE_CHILDREN | VB_SNAPSHOT_DELETE_METADATA_ONLY, "virDomainSnapshotDelete",
                        error))
        return FALSE;
    if ((flags & TEST_DELETE_CHILDREN) == TEST_DELETE_CHILDREN) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "Flags 'VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN' and "
                     "'VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN_ONLY' are mutually exclusive");
        return FALSE;
    }
    doomed = collect_doomed(dom, snap, flags);
    if (!(flags & TEST_DELETE_CHILDREN))
        reparent_children(dom, snap);
    if (dom->current_snapshot && g_ptr_array_find_with_equal_func(doomed, dom->current_snapshot, g_str_equal, NULL))
        set_current(dom, (flags & VB_SNAPSHOT_DELETE_CHILDREN_ONLY) ? name : parent);
    for (guint i = 0; i < doomed->len; i++)
        remove_snapshot(conn, dom, g_ptr_array_index(doomed, i));
    return TRUE;
}
