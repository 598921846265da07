/* snapshot.c: org.libvirt.DomainSnapshot at <conn>/domainsnapshot/_<domain uuid>_<escaped name> */
#include "domain.h"

#include <string.h>

#define SNAP(call) ((VbSnapshotObj *)(call)->obj)
#define SNAP_DOM(call) (SNAP(call)->domain)

char *
vb_snapshot_key(const VbDomainObj *dom, const VbSnapshotObj *snap)
{
    return g_strconcat(dom->def->uuid, "/", snap->def->name, NULL);
}

static char *
snapshot_node_for_key(const char *key)
{
    const char *slash = strchr(key, '/');
    g_autofree char *uuid = g_strndup(key, slash ? (gsize)(slash - key) : strlen(key));
    g_autofree char *dom_node = vb_uuid_node(uuid);
    g_autofree char *name = vb_path_escape(slash ? slash + 1 : "");

    return g_strconcat(dom_node, "_", name, NULL);
}

char *
vb_snapshot_path(const VbCall *call, const VbDomainObj *dom, const VbSnapshotObj *snap)
{
    g_autofree char *key = vb_snapshot_key(dom, snap);

    return vb_object_path(call, &vb_snapshot_class, key);
}

static gpointer
snapshot_lookup(VbConn *conn, const char *node, GError **error)
{
    char uuid[VB_UUID_STRING_LEN];
    g_autofree char *dom_node = NULL;
    g_autofree char *name = NULL;
    VbDomainObj *dom;
    VbSnapshotObj *snap;

    if (strlen(node) < 39 || node[37] != '_' ||
        !vb_uuid_from_node((dom_node = g_strndup(node, 37)), uuid) || !(name = vb_path_unescape(node + 38))) {
        g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT, "no domain snapshot object at '%s'", node);
        return NULL;
    }
    if (!(dom = vb_conn_domain_by_uuid(conn, uuid, error)) || !(snap = vb_domain_snapshot_by_name(dom, name, error)))
        return NULL;
    return snap;
}

static void
snapshot_enumerate(VbConn *conn, GPtrArray *nodes)
{
    g_autoptr(GPtrArray) domains = vb_obj_list_values(conn->domains);

    for (guint i = 0; i < domains->len; i++) {
        VbDomainObj *dom = g_ptr_array_index(domains, i);
        for (guint j = 0; j < dom->snapshots->len; j++) {
            g_autofree char *key = vb_snapshot_key(dom, g_ptr_array_index(dom->snapshots, j));
            g_ptr_array_add(nodes, snapshot_node_for_key(key));
        }
    }
}

static void
snapshot_details(gconstpointer obj, GPtrArray *details)
{
    const VbSnapshotObj *snap = obj;

    g_ptr_array_add(details, (gpointer)"domain_name");
    g_ptr_array_add(details, snap->domain->def->name);
    g_ptr_array_add(details, (gpointer)"domain_uuid");
    g_ptr_array_add(details, (gpointer)snap->domain->def->uuid);
}

/* ---- listing ---- */

static gboolean
is_ancestor(VbDomainObj *dom, VbSnapshotObj *snap, const char *ancestor)
{
    const char *parent = snap->def->parent;

    for (guint depth = 0; parent && depth <= dom->snapshots->len; depth++) {
        VbSnapshotObj *up;
        if (g_str_equal(parent, ancestor))
            return TRUE;
        if (!(up = vb_domain_snapshot_by_name(dom, parent, NULL)))
            return FALSE;
        parent = up->def->parent;
    }
    return FALSE;
}

static gboolean
has_children(VbDomainObj *dom, VbSnapshotObj *snap)
{
    for (guint i = 0; i < dom->snapshots->len; i++) {
        VbSnapshotObj *other = g_ptr_array_index(dom->snapshots, i);
        if (g_strcmp0(other->def->parent, snap->def->name) == 0)
            return TRUE;
    }
    return FALSE;
}

static gboolean
pair_matches(guint flags, guint yes, guint no, gboolean value)
{
    if (!(flags & (yes | no)) || (flags & (yes | no)) == (yes | no))
        return TRUE;
    return (flags & yes) ? value : !value;
}

static gboolean
snapshot_matches(VbDomainObj *dom, VbSnapshotObj *snap, guint flags)
{
    const char *state = snap->def->state ? snap->def->state : "shutoff";
    gboolean disk_only = g_str_equal(state, "disk-snapshot");
    gboolean active = !disk_only && !g_str_equal(state, "shutoff");
    guint state_mask = VB_SNAPSHOT_LIST_INACTIVE | VB_SNAPSHOT_LIST_ACTIVE | VB_SNAPSHOT_LIST_DISK_ONLY;
    gboolean external = g_strcmp0(snap->def->memory, "external") == 0;

    if ((flags & state_mask) &&
        !(((flags & VB_SNAPSHOT_LIST_ACTIVE) && active) || ((flags & VB_SNAPSHOT_LIST_DISK_ONLY) && disk_only) ||
          ((flags & VB_SNAPSHOT_LIST_INACTIVE) && !active && !disk_only)))
        return FALSE;
    return pair_matches(flags, VB_SNAPSHOT_LIST_LEAVES, VB_SNAPSHOT_LIST_NO_LEAVES, !has_children(dom, snap)) &&
           pair_matches(flags, VB_SNAPSHOT_LIST_METADATA, VB_SNAPSHOT_LIST_NO_METADATA, TRUE) &&
           pair_matches(flags, VB_SNAPSHOT_LIST_EXTERNAL, VB_SNAPSHOT_LIST_INTERNAL, external);
}

GPtrArray *
vb_snapshot_list(VbDomainObj *dom, VbSnapshotObj *parent, guint flags, const char *api, GError **error)
{
    GPtrArray *out;

    if (!vb_check_flags(flags, (1u << 11) - 1, api, error))
        return NULL;
    out = g_ptr_array_new();
    for (guint i = 0; i < dom->snapshots->len; i++) {
        VbSnapshotObj *snap = g_ptr_array_index(dom->snapshots, i);
        gboolean related;

        if (parent)
            related = (flags & VB_SNAPSHOT_LIST_DESCENDANTS) ? is_ancestor(dom, snap, parent->def->name)
                                                             : g_strcmp0(snap->def->parent, parent->def->name) == 0;
        else
            related = !(flags & VB_SNAPSHOT_LIST_ROOTS) || !snap->def->parent;
        if (related && snapshot_matches(dom, snap, flags))
            g_ptr_array_add(out, snap);
    }
    return out;
}

GVariant *
vb_snapshot_paths(const VbCall *call, const VbDomainObj *dom, GPtrArray *snaps)
{
    GVariantBuilder builder;

    g_variant_builder_init(&builder, G_VARIANT_TYPE("ao"));
    for (guint i = 0; i < snaps->len; i++) {
        g_autofree char *path = vb_snapshot_path(call, dom, g_ptr_array_index(snaps, i));
        g_variant_builder_add(&builder, "o", path);
    }
    return g_variant_builder_end(&builder);
}

/* ---- methods ---- */

static GVariant *
snapshot_delete(VbCall *call, GVariant *args, GError **error)
{
    guint flags;

    g_variant_get(args, "(u)", &flags);
    return VB_DRIVER_CALL(call->conn, snapshot_delete, "virDomainSnapshotDelete", error, SNAP_DOM(call),
                          SNAP(call), flags) ? g_variant_new("()") : NULL;
}

static GVariant *
snapshot_revert(VbCall *call, GVariant *args, GError **error)
{
    guint flags;

    g_variant_get(args, "(u)", &flags);
    return VB_DRIVER_CALL(call->conn, snapshot_revert, "virDomainRevertToSnapshot", error, SNAP_DOM(call),
                          SNAP(call), flags) ? g_variant_new("()") : NULL;
}

static GVariant *
snapshot_get_parent(VbCall *call, GVariant *args, GError **error)
{
    guint flags;
    VbSnapshotObj *parent;
    g_autofree char *path = NULL;

    g_variant_get(args, "(u)", &flags);
    if (!vb_check_flags(flags, 0, "virDomainSnapshotGetParent", error))
        return NULL;
    if (!SNAP(call)->def->parent) {
        vb_set_error(error, VB_ERR_NO_DOMAIN_SNAPSHOT, "snapshot '%s' does not have a parent", SNAP(call)->def->name);
        return NULL;
    }
    if (!(parent = vb_domain_snapshot_by_name(SNAP_DOM(call), SNAP(call)->def->parent, error)))
        return NULL;
    path = vb_snapshot_path(call, SNAP_DOM(call), parent);
    return g_variant_new("(o)", path);
}

static GVariant *
snapshot_get_xml_desc(VbCall *call, GVariant *args, GError **error)
{
    guint flags;
    g_autofree char *xml = NULL;

    g_variant_get(args, "(u)", &flags);
    if (!vb_check_flags(flags, VB_DOMAIN_XML_SECURE, "virDomainSnapshotGetXMLDesc", error))
        return NULL;
    xml = vb_snapshot_def_format(SNAP(call)->def, flags);
    return g_variant_new("(s)", xml);
}

static GVariant *
snapshot_is_current(VbCall *call, GVariant *args, GError **error)
{
    guint flags;

    g_variant_get(args, "(u)", &flags);
    if (!vb_check_flags(flags, 0, "virDomainSnapshotIsCurrent", error))
        return NULL;
    return g_variant_new("(b)", g_strcmp0(SNAP_DOM(call)->current_snapshot, SNAP(call)->def->name) == 0);
}

static GVariant *
snapshot_list_children(VbCall *call, GVariant *args, GError **error)
{
    guint flags;
    g_autoptr(GPtrArray) snaps = NULL;

    g_variant_get(args, "(u)", &flags);
    if (!(snaps = vb_snapshot_list(SNAP_DOM(call), SNAP(call), flags, "virDomainSnapshotListAllChildren", error)))
        return NULL;
    return g_variant_new("(@ao)", vb_snapshot_paths(call, SNAP_DOM(call), snaps));
}

static const VbMethod snapshot_methods[] = {
    { "Delete", snapshot_delete, "virDomainSnapshotDelete" },
    { "GetParent", snapshot_get_parent, "virDomainSnapshotGetParent" },
    { "GetXMLDesc", snapshot_get_xml_desc, "virDomainSnapshotGetXMLDesc" },
    { "IsCurrent", snapshot_is_current, "virDomainSnapshotIsCurrent" },
    { "ListChildren", snapshot_list_children, "virDomainSnapshotListAllChildren" },
    { "Revert", snapshot_revert, "virDomainRevertToSnapshot" },
    { NULL },
};

const VbObjectClass vb_snapshot_class = {
    .interface = "org.libvirt.DomainSnapshot",
    .subtree = "domainsnapshot",
    .methods = snapshot_methods,
    .properties = NULL,
    .lookup = snapshot_lookup,
    .enumerate = snapshot_enumerate,
    .node_for_key = snapshot_node_for_key,
    .details = snapshot_details,
};
