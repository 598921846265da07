/* emit.c: the only place signals leave the service.
 *
 * Driver events become org.libvirt signals on the connection object; objects that appear are
 * announced with ObjectManager.InterfacesAdded before the event, objects that vanish with
 * InterfacesRemoved after it. Property changes are batched into one PropertiesChanged per
 * object, sent before the reply of the call that caused them or at the next idle. */
#include "service.h"

#define OBJECT_MANAGER_IFACE "org.freedesktop.DBus.ObjectManager"

struct _VbDirty {
    const VbObjectClass *klass;
    char *node;
    GPtrArray *properties;
};

void
vb_dirty_free(VbDirty *dirty)
{
    g_free(dirty->node);
    g_ptr_array_unref(dirty->properties);
    g_free(dirty);
}

static void
notify_from_call(VbCall *call, const char *property)
{
    if (call->node && call->klass && call->klass->subtree)
        vb_emit_property_changed(call->notify_data, call->klass, call->node, property);
}

void
vb_call_init(VbCall *call, VbExport *export, const VbObjectClass *klass, const char *node, gpointer obj)
{
    *call = (VbCall){
        .conn = export->conn,
        .obj = obj,
        .node = node,
        .base_path = export->path,
        .klass = klass,
        .notify = notify_from_call,
        .notify_data = export,
    };
}

static void
emit(VbExport *export, const char *path, const char *iface, const char *name, GVariant *params)
{
    g_autoptr(GError) error = NULL;

    if (!g_dbus_connection_emit_signal(export->service->bus, NULL, path, iface, name, params, &error))
        g_warning("cannot emit %s.%s on %s: %s", iface, name, path, error->message);
}

GVariant *
vb_object_properties(VbExport *export, const VbObjectClass *klass, gpointer obj, gboolean wrap_twice)
{
    GVariantBuilder builder;
    VbCall call;

    vb_call_init(&call, export, klass, NULL, obj);
    g_variant_builder_init(&builder, G_VARIANT_TYPE("a{sv}"));
    for (const VbProperty *prop = klass->properties; prop && prop->name; prop++) {
        g_autoptr(GError) error = NULL;
        GVariant *value = prop->get(&call, &error);

        if (!value)
            continue;   /* a property the driver cannot answer is left out, as libvirt-dbus does */
        /* libvirt-dbus wraps GetAll values twice; clients such as Cockpit rely on it */
        g_variant_builder_add(&builder, "{sv}", prop->name, wrap_twice ? g_variant_new_variant(value) : value);
    }
    return g_variant_builder_end(&builder);
}

static GVariant *
interfaces_and_properties(VbExport *export, const VbObjectClass *klass, gpointer obj)
{
    GVariantBuilder builder;

    g_variant_builder_init(&builder, G_VARIANT_TYPE("a{sa{sv}}"));
    g_variant_builder_add(&builder, "{s@a{sv}}", klass->interface, vb_object_properties(export, klass, obj, FALSE));
    return g_variant_builder_end(&builder);
}

GVariant *
vb_managed_objects(VbExport *export)
{
    GVariantBuilder builder;

    g_variant_builder_init(&builder, G_VARIANT_TYPE("a{oa{sa{sv}}}"));
    for (const VbObjectClass *const *klass = vb_object_classes + 1; *klass; klass++) {
        g_autoptr(GPtrArray) nodes = g_ptr_array_new_with_free_func(g_free);

        (*klass)->enumerate(export->conn, nodes);
        for (guint i = 0; i < nodes->len; i++) {
            const char *node = g_ptr_array_index(nodes, i);
            gpointer obj = (*klass)->lookup(export->conn, node, NULL);
            g_autofree char *path = g_strconcat(export->path, "/", (*klass)->subtree, "/", node, NULL);

            if (obj)
                g_variant_builder_add(&builder, "{o@a{sa{sv}}}", path, interfaces_and_properties(export, *klass, obj));
        }
    }
    return g_variant_builder_end(&builder);
}

/* ---- PropertiesChanged ---- */

static gboolean
flush_idle(gpointer user_data)
{
    VbExport *export = user_data;

    export->flush_source = 0;
    vb_export_flush_properties(export);
    return G_SOURCE_REMOVE;
}

void
vb_emit_property_changed(VbExport *export, const VbObjectClass *klass, const char *node, const char *property)
{
    g_autofree char *path = g_strconcat(export->path, "/", klass->subtree, "/", node, NULL);
    VbDirty *dirty = g_hash_table_lookup(export->dirty, path);

    if (!dirty) {
        dirty = g_new0(VbDirty, 1);
        dirty->klass = klass;
        dirty->node = g_strdup(node);
        dirty->properties = g_ptr_array_new();
        g_hash_table_insert(export->dirty, g_steal_pointer(&path), dirty);
    }
    if (!g_ptr_array_find_with_equal_func(dirty->properties, property, g_str_equal, NULL))
        g_ptr_array_add(dirty->properties, (gpointer)property);
    if (!export->flush_source)
        export->flush_source = g_idle_add(flush_idle, export);
}

static void
flush_one(VbExport *export, const char *path, VbDirty *dirty)
{
    GVariantBuilder changed;
    gpointer obj = dirty->klass->lookup(export->conn, dirty->node, NULL);
    VbCall call;

    if (!obj)
        return;   /* gone: InterfacesRemoved already told */
    vb_call_init(&call, export, dirty->klass, dirty->node, obj);
    g_variant_builder_init(&changed, G_VARIANT_TYPE("a{sv}"));
    for (guint i = 0; i < dirty->properties->len; i++) {
        const char *name = g_ptr_array_index(dirty->properties, i);
        const VbProperty *prop = vb_object_class_property(dirty->klass, name);
        GVariant *value = prop ? prop->get(&call, NULL) : NULL;
        if (value)
            g_variant_builder_add(&changed, "{sv}", name, value);
    }
    emit(export, path, "org.freedesktop.DBus.Properties", "PropertiesChanged",
         g_variant_new("(sa{sv}as)", dirty->klass->interface, &changed, NULL));
}

void
vb_export_flush_properties(VbExport *export)
{
    GHashTableIter iter;
    gpointer path, dirty;

    g_hash_table_iter_init(&iter, export->dirty);
    while (g_hash_table_iter_next(&iter, &path, &dirty))
        flush_one(export, path, dirty);
    g_hash_table_remove_all(export->dirty);
}

/* ---- driver events ---- */

typedef struct {
    VbEventKind kind;
    const VbObjectClass *klass;
    const char *signal;      /* on org.libvirt.Connect, NULL if none */
    const char *signature;   /* "(oii)" or "(oi)" */
} VbEventRoute;

static const VbEventRoute event_routes[] = {
    { VB_EVENT_DOMAIN, &vb_domain_class, "DomainEvent", "(oii)" },
    { VB_EVENT_DOMAIN_METADATA, &vb_domain_class, NULL, NULL },
    { VB_EVENT_DOMAIN_REBOOT, &vb_domain_class, NULL, NULL },
    { VB_EVENT_DOMAIN_DEVICE_ADDED, &vb_domain_class, NULL, NULL },
    { VB_EVENT_DOMAIN_DEVICE_REMOVED, &vb_domain_class, NULL, NULL },
    { VB_EVENT_DOMAIN_AGENT, &vb_domain_class, NULL, NULL },
    { VB_EVENT_DOMAIN_BALLOON_CHANGE, &vb_domain_class, NULL, NULL },
    { VB_EVENT_DOMAIN_RTC_CHANGE, &vb_domain_class, NULL, NULL },
    { VB_EVENT_DOMAIN_WATCHDOG, &vb_domain_class, NULL, NULL },
    { VB_EVENT_DOMAIN_BLOCK_JOB, &vb_domain_class, NULL, NULL },
    { VB_EVENT_NETWORK, &vb_network_class, "NetworkEvent", "(oi)" },
    { VB_EVENT_NODE_DEVICE, &vb_nodedev_class, "NodeDeviceEvent", "(oii)" },
    { VB_EVENT_STORAGE_POOL, &vb_storagepool_class, "StoragePoolEvent", "(oii)" },
    { VB_EVENT_STORAGE_POOL_REFRESH, &vb_storagepool_class, NULL, NULL },
    { VB_EVENT_STORAGE_VOL, &vb_storagevol_class, NULL, NULL },
    { VB_EVENT_SECRET, &vb_secret_class, "SecretEvent", "(oii)" },
    { VB_EVENT_SNAPSHOT, &vb_snapshot_class, NULL, NULL },
    { VB_EVENT_INTERFACE, &vb_interface_class, NULL, NULL },
    { VB_EVENT_NWFILTER, &vb_nwfilter_class, NULL, NULL },
};

static const VbEventRoute *
route_for(VbEventKind kind)
{
    for (gsize i = 0; i < G_N_ELEMENTS(event_routes); i++) {
        if (event_routes[i].kind == kind)
            return &event_routes[i];
    }
    return NULL;
}

static void
announce(VbExport *export, const VbObjectClass *klass, const char *node, const char *path, gboolean added)
{
    if (added) {
        gpointer obj = klass->lookup(export->conn, node, NULL);
        if (obj)
            emit(export, export->path, OBJECT_MANAGER_IFACE, "InterfacesAdded",
                 g_variant_new("(o@a{sa{sv}})", path, interfaces_and_properties(export, klass, obj)));
        return;
    }
    emit(export, export->path, OBJECT_MANAGER_IFACE, "InterfacesRemoved",
         g_variant_new("(o^as)", path, (const char *const[]){ klass->interface, NULL }));
}

/* Which properties a lifecycle event may have changed. */
static void
mark_changed_properties(VbExport *export, const VbEvent *event, const VbObjectClass *klass, const char *node)
{
    gboolean domain = event->kind == VB_EVENT_DOMAIN;
    gboolean lifecycle = domain || event->kind == VB_EVENT_NETWORK || event->kind == VB_EVENT_STORAGE_POOL;
    gboolean defined = event->event == 0 || event->event == 1;   /* DEFINED / UNDEFINED in all three enums */

    if (!lifecycle || event->presence != VB_PRESENCE_SAME)
        return;
    if (defined) {
        vb_emit_property_changed(export, klass, node, "Persistent");
        if (domain && event->detail == VB_EVENT_DEFINED_RENAMED)
            vb_emit_property_changed(export, klass, node, "Name");
        return;
    }
    vb_emit_property_changed(export, klass, node, "Active");
    if (domain)
        vb_emit_property_changed(export, klass, node, "Id");
}

static void
emit_event_signal(VbExport *export, const VbEvent *event, const VbEventRoute *route, const char *path)
{
    if (route->signal) {
        GVariant *params = g_str_equal(route->signature, "(oi)")
                               ? g_variant_new("(oi)", path, event->event)
                               : g_variant_new("(oii)", path, event->event, event->detail);
        emit(export, export->path, "org.libvirt.Connect", route->signal, params);
    } else if (event->kind == VB_EVENT_DOMAIN_METADATA) {
        emit(export, path, "org.libvirt.Domain", "MetadataChange",
             g_variant_new("(is)", event->detail, event->text ? event->text : ""));
    } else if (event->kind == VB_EVENT_DOMAIN_REBOOT) {
        emit(export, path, "org.libvirt.Domain", "Reboot", NULL);
    } else if (event->kind == VB_EVENT_DOMAIN_DEVICE_ADDED || event->kind == VB_EVENT_DOMAIN_DEVICE_REMOVED) {
        emit(export, path, "org.libvirt.Domain",
             event->kind == VB_EVENT_DOMAIN_DEVICE_ADDED ? "DeviceAdded" : "DeviceRemoved",
             g_variant_new("(s)", event->text ? event->text : ""));
    } else if (event->kind == VB_EVENT_DOMAIN_BALLOON_CHANGE) {
        emit(export, path, "org.libvirt.Domain", "BalloonChange", g_variant_new("(t)", (guint64)event->value));
    } else if (event->kind == VB_EVENT_DOMAIN_RTC_CHANGE) {
        emit(export, path, "org.libvirt.Domain", "RTCChange", g_variant_new("(x)", event->value));
    } else if (event->kind == VB_EVENT_DOMAIN_WATCHDOG) {
        emit(export, path, "org.libvirt.Domain", "Watchdog", g_variant_new("(i)", (gint32)event->value));
    } else if (event->kind == VB_EVENT_DOMAIN_BLOCK_JOB) {
        emit(export, path, "org.libvirt.Domain", "BlockJob",
             g_variant_new("(sii)", event->text ? event->text : "", event->event, event->detail));
    } else if (event->kind == VB_EVENT_DOMAIN_AGENT) {
        emit(export, path, "org.libvirt.Domain", "AgentEvent", g_variant_new("(ii)", event->event, event->detail));
    } else if (event->kind == VB_EVENT_STORAGE_POOL_REFRESH) {
        emit(export, path, "org.libvirt.StoragePool", "Refresh", NULL);
    }
}

/* The key the object's class maps to a path: interfaces live under their MAC, snapshots
 * under "domain UUID/name"; both come with that part in the event's text. */
static char *
event_key(const VbEvent *event)
{
    if (event->kind == VB_EVENT_INTERFACE && event->text)
        return g_strdup(event->text);
    if (event->kind == VB_EVENT_SNAPSHOT && event->text)
        return g_strconcat(event->key, "/", event->text, NULL);
    return g_strdup(event->key);
}

void
vb_emit_event(VbConn *conn, const VbEvent *event, gpointer user_data)
{
    VbExport *export = user_data;
    const VbEventRoute *route = route_for(event->kind);
    g_autofree char *key = NULL;
    g_autofree char *node = NULL;
    g_autofree char *path = NULL;

    if (!route)
        return;
    key = event_key(event);
    node = route->klass->node_for_key(key);
    path = g_strconcat(export->path, "/", route->klass->subtree, "/", node, NULL);
    if (event->presence == VB_PRESENCE_APPEARED)
        announce(export, route->klass, node, path, TRUE);
    emit_event_signal(export, event, route, path);
    if (event->presence == VB_PRESENCE_GONE)
        announce(export, route->klass, node, path, FALSE);
    mark_changed_properties(export, event, route->klass, node);
}
