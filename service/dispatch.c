/* dispatch.c: every method call and property access on an org.libvirt object goes through
 * here: find the handler, resolve the object from the path, ask polkit (asynchronously, on
 * the system bus), run the handler, map its error, reply. */
#include "service.h"
#include "access.h"

#include <string.h>

#define POLKIT_ACTION "org.libvirt.Polkit.Action"
#define POLKIT_WRITE_ACTION "org.libvirt.Polkit.WriteAction"
#define PROPERTIES_IFACE "org.freedesktop.DBus.Properties"
#define OBJECT_MANAGER_IFACE "org.freedesktop.DBus.ObjectManager"

/* What one registration (connection object or subtree) serves. */
typedef struct {
    VbExport *export;
    const VbObjectClass *klass;      /* NULL: the ObjectManager interface */
    GDBusInterfaceInfo *info;
} VbRegistration;

typedef enum {
    VB_REQUEST_METHOD,
    VB_REQUEST_GET,
    VB_REQUEST_GET_ALL,
    VB_REQUEST_SET,
} VbRequestKind;

typedef struct {
    VbRegistration *reg;
    GDBusMethodInvocation *invocation;
    VbRequestKind kind;
    char *node;                      /* NULL for the connection object */
    char *path;
    char *member;                    /* method or property name */
    GVariant *params;
} VbRequest;

static void
request_free(VbRequest *req)
{
    g_object_unref(req->invocation);
    g_free(req->node);
    g_free(req->path);
    g_free(req->member);
    g_variant_unref(req->params);
    g_free(req);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbRequest, request_free)

const char *
vb_service_action(GDBusInterfaceInfo *iface, const char *member, gboolean write)
{
    GDBusMethodInfo *method = g_dbus_interface_info_lookup_method(iface, member);
    GDBusPropertyInfo *prop = method ? NULL : g_dbus_interface_info_lookup_property(iface, member);
    GDBusAnnotationInfo **annotations = method ? method->annotations : prop ? prop->annotations : NULL;

    return g_dbus_annotation_info_lookup(annotations, write ? POLKIT_WRITE_ACTION : POLKIT_ACTION);
}

/* The actions a request needs; a member without one is denied (never public by accident). */
static GPtrArray *
request_actions(VbRequest *req, GError **error)
{
    GPtrArray *actions = g_ptr_array_new();
    GDBusInterfaceInfo *info = req->reg->info;

    if (req->kind == VB_REQUEST_GET_ALL) {
        for (GDBusPropertyInfo **p = info->properties; p && *p; p++) {
            const char *action = vb_service_action(info, (*p)->name, FALSE);
            if (action && !g_ptr_array_find_with_equal_func(actions, action, g_str_equal, NULL))
                g_ptr_array_add(actions, (gpointer)action);
        }
    } else {
        const char *action = vb_service_action(info, req->member, req->kind == VB_REQUEST_SET);
        if (!action) {
            g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED,
                        "no access control declared for %s.%s", info->name, req->member);
            g_ptr_array_unref(actions);
            return NULL;
        }
        g_ptr_array_add(actions, (gpointer)action);
    }
    g_ptr_array_add(actions, NULL);
    return actions;
}

static gpointer
request_lookup(VbRequest *req, GError **error)
{
    const VbObjectClass *klass = req->reg->klass;

    if (!klass || !klass->lookup)
        return NULL;
    return klass->lookup(req->reg->export->conn, req->node, error);
}

static GVariant *
run_method(VbRequest *req, VbCall *call, GError **error)
{
    const VbMethod *method = vb_object_class_method(req->reg->klass, req->member);

    if (!method) {
        g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                    "method %s.%s has no handler", req->reg->klass->interface, req->member);
        return NULL;
    }
    if (!method->func) {
        vb_set_error_not_supported(error, method->api);
        return NULL;
    }
    return method->func(call, req->params, error);
}

static GVariant *
run_get(VbRequest *req, VbCall *call, GError **error)
{
    const VbProperty *prop = vb_object_class_property(req->reg->klass, req->member);
    GVariant *value;

    if (!prop || !prop->get) {
        g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "no such property '%s'", req->member);
        return NULL;
    }
    value = prop->get(call, error);
    return value ? g_variant_new("(v)", value) : NULL;
}

static GVariant *
run_set(VbRequest *req, VbCall *call, GError **error)
{
    const VbProperty *prop = vb_object_class_property(req->reg->klass, req->member);
    g_autoptr(GVariant) value = NULL;

    if (!prop || !prop->set) {
        g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_PROPERTY_READ_ONLY, "property '%s' is not writable", req->member);
        return NULL;
    }
    g_variant_get(req->params, "(ssv)", NULL, NULL, &value);
    return prop->set(call, value, error) ? g_variant_new("()") : NULL;
}

static GVariant *
run_request(VbRequest *req, VbCall *call, GError **error)
{
    VbExport *export = req->reg->export;

    if (!req->reg->klass)
        return g_variant_new("(@a{oa{sa{sv}}})", vb_managed_objects(export));
    switch (req->kind) {
    case VB_REQUEST_METHOD:
        return run_method(req, call, error);
    case VB_REQUEST_GET:
        return run_get(req, call, error);
    case VB_REQUEST_GET_ALL:
        return g_variant_new("(@a{sv})", vb_object_properties(export, req->reg->klass, call->obj, TRUE));
    case VB_REQUEST_SET:
        return run_set(req, call, error);
    }
    g_assert_not_reached();
}

/* polkit details: the connection's driver, then the object's identity */
static void
add_details(VbExport *export, const VbObjectClass *klass, gpointer obj, GPtrArray *details)
{
    g_ptr_array_add(details, (gpointer)"connect_driver");
    g_ptr_array_add(details, (gpointer)export->conn->driver->name);
    if (obj && klass && klass->details)
        klass->details(obj, details);
}

static void
reply(VbRequest *req, GVariant *value, GUnixFDList *fds, const GError *error)
{
    if (!value) {
        vb_return_error(req->invocation, error);
        return;
    }
    g_dbus_method_invocation_return_value_with_unix_fd_list(g_object_ref(req->invocation), value, fds);
}

/* ---- list filtering: like libvirt's ACL filters, a list shows only what the caller may read ---- */

/* What a caller needs to see an object of each kind in a list (a snapshot is read through its domain). */
static const struct {
    const VbObjectClass *klass;
    const char *action;
} list_actions[] = {
    { &vb_domain_class, "org.libvirt.api.domain.getattr" },
    { &vb_snapshot_class, "org.libvirt.api.domain.read" },
    { &vb_network_class, "org.libvirt.api.network.getattr" },
    { &vb_nodedev_class, "org.libvirt.api.node-device.getattr" },
    { &vb_storagepool_class, "org.libvirt.api.storage-pool.getattr" },
    { &vb_storagevol_class, "org.libvirt.api.storage-vol.getattr" },
    { &vb_interface_class, "org.libvirt.api.interface.getattr" },
    { &vb_secret_class, "org.libvirt.api.secret.getattr" },
    { &vb_nwfilter_class, "org.libvirt.api.nwfilter.getattr" },
};

typedef struct {
    VbRequest *req;
    const VbObjectClass *kind;       /* what the list holds; NULL: any kind (GetManagedObjects) */
    GVariant *items;                 /* the unfiltered array: ao or a{oa{sa{sv}}} */
    GArray *checked;                 /* per polkit check: the index of its item */
} VbListFilter;

static void
list_filter_free(VbListFilter *filter)
{
    request_free(filter->req);
    g_variant_unref(filter->items);
    g_array_unref(filter->checked);
    g_free(filter);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbListFilter, list_filter_free)

/* Whether the reply lists objects, and of which @kind (NULL: of any, for GetManagedObjects). */
static gboolean
request_lists_objects(VbRequest *req, const VbObjectClass **kind)
{
    const VbMethod *method;

    *kind = NULL;
    if (req->kind != VB_REQUEST_METHOD)
        return FALSE;
    if (!req->reg->klass)
        return TRUE;
    method = vb_object_class_method(req->reg->klass, req->member);
    *kind = method ? method->lists : NULL;
    return *kind != NULL;
}

static const char *
list_action(const VbObjectClass *klass)
{
    for (gsize i = 0; i < G_N_ELEMENTS(list_actions); i++) {
        if (list_actions[i].klass == klass)
            return list_actions[i].action;
    }
    return NULL;
}

static const char *
item_path(GVariant *item)
{
    const char *path;

    if (g_variant_is_of_type(item, G_VARIANT_TYPE_OBJECT_PATH))
        return g_variant_get_string(item, NULL);
    g_variant_get_child(item, 0, "&o", &path);
    return path;
}

/* The object at <export path>/<subtree>/<node> if it (still) exists and is of @kind (any if NULL). */
static gpointer
object_at(VbExport *export, const VbObjectClass *kind, const char *path, const VbObjectClass **klass)
{
    gsize len = strlen(export->path);
    const char *subtree;
    const char *node;

    if (strncmp(path, export->path, len) != 0 || path[len] != '/')
        return NULL;
    subtree = path + len + 1;
    if (!(node = strchr(subtree, '/')))
        return NULL;
    for (const VbObjectClass *const *k = vb_object_classes + 1; *k; k++) {
        if ((!kind || *k == kind) && strlen((*k)->subtree) == (gsize)(node - subtree) &&
            strncmp((*k)->subtree, subtree, node - subtree) == 0) {
            *klass = *k;
            return (*k)->lookup(export->conn, node + 1, NULL);
        }
    }
    return NULL;
}

static void
list_filtered(const gboolean *allowed, guint n_checks, gpointer user_data)
{
    g_autoptr(VbListFilter) filter = user_data;
    VbExport *export = filter->req->reg->export;
    GVariantBuilder kept;

    g_variant_builder_init(&kept, g_variant_get_type(filter->items));
    for (guint i = 0; i < n_checks; i++) {
        g_autoptr(GVariant) item = g_variant_get_child_value(filter->items, g_array_index(filter->checked, guint, i));
        const VbObjectClass *klass;

        /* an object deleted while polkit was thinking is dropped */
        if (allowed[i] && object_at(export, filter->kind, item_path(item), &klass))
            g_variant_builder_add_value(&kept, item);
    }
    reply(filter->req, g_variant_new_tuple((GVariant *[]){ g_variant_builder_end(&kept) }, 1), NULL, NULL);
}

/* Replies with the items of @value the caller may read, asking polkit about all of them at once. */
static void
filter_list(VbRequest *req, const VbObjectClass *kind, GVariant *value)
{
    VbListFilter *filter = g_new0(VbListFilter, 1);
    VbExport *export = req->reg->export;
    VbAccessBatch *batch = vb_access_batch_new(export->service->access, req->invocation);
    g_autoptr(GVariant) reply_value = g_variant_ref_sink(value);

    filter->req = req;
    filter->kind = kind;
    filter->items = g_variant_get_child_value(reply_value, 0);
    filter->checked = g_array_new(FALSE, FALSE, sizeof(guint));
    for (guint i = 0; i < g_variant_n_children(filter->items); i++) {
        g_autoptr(GVariant) item = g_variant_get_child_value(filter->items, i);
        g_autoptr(GPtrArray) details = g_ptr_array_new();
        const VbObjectClass *klass = NULL;
        gpointer obj = object_at(export, kind, item_path(item), &klass);
        const char *action = obj ? list_action(klass) : NULL;

        if (!action)
            continue;
        add_details(export, klass, obj, details);
        vb_access_batch_add(batch, action, details);
        g_array_append_val(filter->checked, i);
    }
    vb_access_batch_run(batch, list_filtered, filter);
}

/* ---- replies sent later (VbDeferred) ---- */

typedef struct {
    VbDeferred base;
    VbRequest *req;
} VbDeferredReply;

static void release_waiters(VbExport *export, const char *path);

static void
deferred_complete(VbDeferred *self, GVariant *value, const GError *error)
{
    VbDeferredReply *deferred = (VbDeferredReply *)self;
    VbExport *export = deferred->req->reg->export;
    g_autofree char *path = g_strdup(deferred->req->path);

    /* signals the work caused leave before its reply */
    vb_export_flush_properties(export);
    reply(deferred->req, value, NULL, error);
    request_free(deferred->req);
    g_free(deferred);
    release_waiters(export, path);
}

static VbDeferred *
defer_request(VbCall *call)
{
    VbDeferredReply *deferred = g_new0(VbDeferredReply, 1);

    deferred->base.call = *call;
    deferred->base.call.obj = NULL;
    deferred->base.call.node = NULL;
    deferred->base.call.fds = NULL;
    deferred->base.call.out_fds = NULL;
    deferred->base.call.defer = NULL;
    deferred->base.complete = deferred_complete;
    deferred->req = call->defer_data;
    call->deferred = TRUE;
    return &deferred->base;
}

/* A method call on an object waits while another one's reply is deferred there, so two
 * clients' lifecycle calls on one domain run one after the other, as libvirt's job lock
 * makes them wait rather than fail. */
static gboolean
wait_for_object(VbRequest *req)
{
    GQueue *waiting;

    if (req->kind != VB_REQUEST_METHOD || !req->node ||
        !(waiting = g_hash_table_lookup(req->reg->export->in_flight, req->path)))
        return FALSE;
    g_queue_push_tail(waiting, req);
    return TRUE;
}

static void
mark_in_flight(VbRequest *req)
{
    GHashTable *in_flight = req->reg->export->in_flight;

    if (req->node && !g_hash_table_contains(in_flight, req->path))
        g_hash_table_insert(in_flight, g_strdup(req->path), g_queue_new());
}

static void request_run(VbRequest *req);

static void
release_waiters(VbExport *export, const char *path)
{
    gpointer key = NULL;
    GQueue *waiting = NULL;

    if (!g_hash_table_steal_extended(export->in_flight, path, &key, (gpointer *)&waiting))
        return;
    g_free(key);
    while (!g_queue_is_empty(waiting)) {
        GQueue *again;

        request_run(g_queue_pop_head(waiting));
        /* that call deferred in turn: the others wait for it */
        if ((again = g_hash_table_lookup(export->in_flight, path))) {
            while (!g_queue_is_empty(waiting))
                g_queue_push_tail(again, g_queue_pop_head(waiting));
        }
    }
    g_queue_free(waiting);
}

static void
request_authorized(const GError *denied, gpointer user_data)
{
    VbRequest *req = user_data;

    if (denied) {
        vb_return_error(req->invocation, denied);
        request_free(req);
        return;
    }
    if (!wait_for_object(req))
        request_run(req);
}

static void
request_run(VbRequest *owned)
{
    g_autoptr(VbRequest) req = owned;
    g_autoptr(GError) error = NULL;
    VbCall call;
    GVariant *value = NULL;
    const VbObjectClass *kind;

    /* the object may have gone while polkit was thinking: resolve it again */
    vb_call_init(&call, req->reg->export, req->reg->klass, req->node, request_lookup(req, &error));
    call.fds = g_dbus_message_get_unix_fd_list(g_dbus_method_invocation_get_message(req->invocation));
    if (req->kind == VB_REQUEST_METHOD) {
        call.defer = defer_request;
        call.defer_data = req;
    }
    if (!error) {
        VbConn *conn = req->reg->export->conn;
        const char *sender = g_dbus_method_invocation_get_sender(req->invocation);

        conn->caller = sender;
        value = run_request(req, &call, &error);
        conn->caller = NULL;
        /* a call that waited (polkit, the object's queue) may come from a client already gone */
        if (sender && conn->driver->client_gone && g_hash_table_contains(req->reg->export->service->gone, sender))
            conn->driver->client_gone(conn, sender);
    }
    if (call.deferred) {
        VbExport *export = req->reg->export;

        mark_in_flight(req);
        g_steal_pointer(&req);   /* the VbDeferred owns it now */
        vb_export_flush_properties(export);
        return;
    }
    /* signals caused by the call leave before its reply */
    vb_export_flush_properties(req->reg->export);
    if (value && req->reg->export->service->access && request_lists_objects(req, &kind)) {
        g_clear_object(&call.out_fds);
        filter_list(g_steal_pointer(&req), kind, value);
        return;
    }
    reply(req, value, call.out_fds, error);
    g_clear_object(&call.out_fds);
}

static VbRequest *
request_new(VbRegistration *reg, GDBusMethodInvocation *invocation, const char *path,
            const char *interface, const char *member, GVariant *params)
{
    VbRequest *req = g_new0(VbRequest, 1);

    req->reg = reg;
    req->invocation = invocation;    /* GDBus hands us its reference */
    req->path = g_strdup(path);
    req->node = reg->klass && reg->klass->subtree ? g_path_get_basename(path) : NULL;
    req->params = g_variant_ref(params);
    req->kind = VB_REQUEST_METHOD;
    req->member = g_strdup(member);
    if (g_str_equal(interface, PROPERTIES_IFACE)) {
        g_free(req->member);
        req->member = NULL;
        if (g_str_equal(member, "GetAll")) {
            req->kind = VB_REQUEST_GET_ALL;
        } else {
            req->kind = g_str_equal(member, "Set") ? VB_REQUEST_SET : VB_REQUEST_GET;
            g_variant_get_child(params, 1, "s", &req->member);
        }
    }
    return req;
}

static void
handle_call(GDBusConnection *bus, const char *sender, const char *path, const char *interface,
            const char *member, GVariant *params, GDBusMethodInvocation *invocation, gpointer user_data)
{
    g_autoptr(VbRequest) req = request_new(user_data, invocation, path, interface, member, params);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) actions = NULL;
    g_autoptr(GPtrArray) details = g_ptr_array_new();
    gpointer obj = request_lookup(req, &error);
    VbAccess *access;

    if (!error)
        actions = request_actions(req, &error);
    if (error) {
        vb_return_error(invocation, error);
        return;
    }
    add_details(req->reg->export, req->reg->klass, obj, details);
    access = req->reg->export->service->access;
    vb_access_check(access, invocation, (const char *const *)actions->pdata, details, request_authorized,
                    g_steal_pointer(&req));
}

/* NULL getters/setters route Properties calls to handle_call, so they pass the same gate
 * and GetAll can keep libvirt-dbus's variant-in-variant values. */
static const GDBusInterfaceVTable interface_vtable = {
    .method_call = handle_call,
};

/* ---- subtrees ---- */

static char **
subtree_enumerate(GDBusConnection *bus, const char *sender, const char *path, gpointer user_data)
{
    VbRegistration *reg = user_data;
    GPtrArray *nodes = g_ptr_array_new();

    reg->klass->enumerate(reg->export->conn, nodes);
    g_ptr_array_add(nodes, NULL);
    return (char **)g_ptr_array_free(nodes, FALSE);
}

static GDBusInterfaceInfo **
subtree_introspect(GDBusConnection *bus, const char *sender, const char *path, const char *node,
                   gpointer user_data)
{
    VbRegistration *reg = user_data;
    GDBusInterfaceInfo **infos;

    if (!node)
        return NULL;
    infos = g_new0(GDBusInterfaceInfo *, 2);
    infos[0] = g_dbus_interface_info_ref(reg->info);
    return infos;
}

static const GDBusInterfaceVTable *
subtree_dispatch(GDBusConnection *bus, const char *sender, const char *path, const char *interface,
                 const char *node, gpointer *out_user_data, gpointer user_data)
{
    VbRegistration *reg = user_data;

    if (!node || g_strcmp0(interface, reg->klass->interface) != 0)
        return NULL;
    *out_user_data = reg;
    return &interface_vtable;
}

static const GDBusSubtreeVTable subtree_vtable = {
    .enumerate = subtree_enumerate,
    .introspect = subtree_introspect,
    .dispatch = subtree_dispatch,
};

static VbRegistration *
registration_new(VbExport *export, const VbObjectClass *klass, const char *interface, GError **error)
{
    VbRegistration *reg;
    GDBusInterfaceInfo *info = vb_service_interface(export->service, interface);

    if (!info) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "interface %s is not compiled in", interface);
        return NULL;
    }
    reg = g_new0(VbRegistration, 1);
    reg->export = export;
    reg->klass = klass;
    reg->info = info;
    return reg;
}

static gboolean
register_object(VbExport *export, const VbObjectClass *klass, const char *interface, GError **error)
{
    VbRegistration *reg = registration_new(export, klass, interface, error);
    guint id;

    if (!reg)
        return FALSE;
    id = g_dbus_connection_register_object(export->service->bus, export->path, reg->info,
                                           &interface_vtable, reg, g_free, error);
    if (!id)
        return FALSE;
    g_array_append_val(export->object_ids, id);
    return TRUE;
}

static gboolean
register_subtree(VbExport *export, const VbObjectClass *klass, GError **error)
{
    VbRegistration *reg = registration_new(export, klass, klass->interface, error);
    g_autofree char *path = NULL;
    guint id;

    if (!reg)
        return FALSE;
    path = g_strconcat(export->path, "/", klass->subtree, NULL);
    /* dispatch without enumerating: a call on one of 100,000 domains must not list them all */
    id = g_dbus_connection_register_subtree(export->service->bus, path, &subtree_vtable,
                                            G_DBUS_SUBTREE_FLAGS_DISPATCH_TO_UNENUMERATED_NODES,
                                            reg, g_free, error);
    if (!id)
        return FALSE;
    g_array_append_val(export->subtree_ids, id);
    return TRUE;
}

/* At exit: calls still waiting get no reply (the daemon is going). */
static void
free_waiters(gpointer data)
{
    g_queue_free_full(data, (GDestroyNotify)request_free);
}

static void
export_free(VbExport *export)
{
    for (guint i = 0; i < export->object_ids->len; i++)
        g_dbus_connection_unregister_object(export->service->bus, g_array_index(export->object_ids, guint, i));
    for (guint i = 0; i < export->subtree_ids->len; i++)
        g_dbus_connection_unregister_subtree(export->service->bus, g_array_index(export->subtree_ids, guint, i));
    g_clear_handle_id(&export->flush_source, g_source_remove);
    g_array_unref(export->object_ids);
    g_array_unref(export->subtree_ids);
    g_hash_table_unref(export->dirty);
    g_hash_table_unref(export->in_flight);
    vb_conn_free(export->conn);
    g_free(export->path);
    g_free(export);
}

gboolean
vb_service_recovering(VbService *service)
{
    for (guint i = 0; i < service->exports->len; i++) {
        VbConn *conn = ((VbExport *)g_ptr_array_index(service->exports, i))->conn;

        if (conn->driver->recovering && conn->driver->recovering(conn))
            return TRUE;
    }
    return FALSE;
}

gboolean
vb_service_export(VbService *service, VbConn *conn, GError **error)
{
    VbExport *export = g_new0(VbExport, 1);

    export->service = service;
    export->conn = conn;
    export->path = g_strconcat("/org/libvirt/", conn->driver->name, NULL);
    export->object_ids = g_array_new(FALSE, FALSE, sizeof(guint));
    export->subtree_ids = g_array_new(FALSE, FALSE, sizeof(guint));
    export->dirty = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)vb_dirty_free);
    export->in_flight = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, free_waiters);
    g_ptr_array_add(service->exports, export);
    vb_conn_set_sink(conn, vb_emit_event, export);

    if (!register_object(export, &vb_connect_class, vb_connect_class.interface, error) ||
        !register_object(export, NULL, OBJECT_MANAGER_IFACE, error))
        return FALSE;
    for (const VbObjectClass *const *klass = vb_object_classes + 1; *klass; klass++) {
        if (!register_subtree(export, *klass, error))
            return FALSE;
    }
    return TRUE;
}

/* ---- the service ---- */

static const char *const interface_files[] = {
    "org.libvirt.Connect", "org.libvirt.Domain", "org.libvirt.DomainSnapshot", "org.libvirt.Network",
    "org.libvirt.NodeDevice", "org.libvirt.StoragePool", "org.libvirt.StorageVol",
    "org.libvirt.Interface", "org.libvirt.Secret", "org.libvirt.NWFilter", OBJECT_MANAGER_IFACE,
};

/* GLib keys its method/property cache by the info's address: release it before the info is
 * freed, or a later info at the same address finds a stale cache. */
static void
interface_info_release(GDBusInterfaceInfo *info)
{
    g_dbus_interface_info_cache_release(info);
    g_dbus_interface_info_unref(info);
}

static gboolean
load_interfaces(VbService *service, GError **error)
{
    for (gsize i = 0; i < G_N_ELEMENTS(interface_files); i++) {
        g_autofree char *resource = g_strdup_printf("/org/libvirt/virtbus/interfaces/%s.xml", interface_files[i]);
        g_autoptr(GBytes) bytes = g_resources_lookup_data(resource, 0, error);
        g_autoptr(GDBusNodeInfo) node = NULL;

        if (!bytes)
            return FALSE;
        node = g_dbus_node_info_new_for_xml(g_bytes_get_data(bytes, NULL), error);
        if (!node)
            return FALSE;
        for (GDBusInterfaceInfo **iface = node->interfaces; iface && *iface; iface++) {
            g_dbus_interface_info_cache_build(*iface);
            g_hash_table_insert(service->interfaces, g_strdup((*iface)->name), g_dbus_interface_info_ref(*iface));
        }
    }
    return TRUE;
}

GDBusInterfaceInfo *
vb_service_interface(VbService *service, const char *name)
{
    return g_hash_table_lookup(service->interfaces, name);
}

#define GONE_REMEMBERED 256

static void
remember_gone(VbService *service, const char *name)
{
    char *copy = g_strdup(name);

    g_queue_push_tail(service->gone_order, copy);
    g_hash_table_add(service->gone, copy);
    if (g_queue_get_length(service->gone_order) > GONE_REMEMBERED) {
        char *oldest = g_queue_pop_head(service->gone_order);
        g_hash_table_remove(service->gone, oldest);
        g_free(oldest);
    }
}

/* A client left the bus: the drivers drop what lived only as long as it (AUTODESTROY guests). */
static void
on_name_owner_changed(GDBusConnection *bus, const char *sender, const char *path, const char *interface,
                      const char *signal, GVariant *params, gpointer user_data)
{
    VbService *service = user_data;
    const char *name, *old_owner, *new_owner;

    g_variant_get(params, "(&s&s&s)", &name, &old_owner, &new_owner);
    if (name[0] != ':' || new_owner[0] != '\0')
        return;
    remember_gone(service, name);
    for (guint i = 0; i < service->exports->len; i++) {
        VbExport *export = g_ptr_array_index(service->exports, i);
        if (export->conn->driver->client_gone)
            export->conn->driver->client_gone(export->conn, name);
    }
}

VbService *
vb_service_new(GDBusConnection *bus, gboolean use_polkit, GError **error)
{
    g_autoptr(VbService) service = g_new0(VbService, 1);

    service->bus = g_object_ref(bus);
    service->interfaces = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                (GDestroyNotify)interface_info_release);
    service->exports = g_ptr_array_new_with_free_func((GDestroyNotify)export_free);
    if (!load_interfaces(service, error))
        return NULL;
    if (use_polkit && !(service->access = vb_access_new(error)))
        return NULL;
    service->gone_order = g_queue_new();
    service->gone = g_hash_table_new(g_str_hash, g_str_equal);
    service->name_owner_changed =
        g_dbus_connection_signal_subscribe(bus, "org.freedesktop.DBus", "org.freedesktop.DBus", "NameOwnerChanged",
                                           "/org/freedesktop/DBus", NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                           on_name_owner_changed, service, NULL);
    return g_steal_pointer(&service);
}

void
vb_service_free(VbService *service)
{
    if (!service)
        return;
    if (service->name_owner_changed)
        g_dbus_connection_signal_unsubscribe(service->bus, service->name_owner_changed);
    if (service->gone)
        g_hash_table_unref(service->gone);
    if (service->gone_order)
        g_queue_free_full(service->gone_order, g_free);
    g_ptr_array_unref(service->exports);
    g_hash_table_unref(service->interfaces);
    vb_access_free(service->access);
    g_object_unref(service->bus);
    g_free(service);
}
