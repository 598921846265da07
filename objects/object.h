/* object.h: the contract between the dispatcher (service/) and each D-Bus object kind.
 *
 * Each objects/<kind>.c exports one VbObjectClass: its interface name, the subtree it lives
 * under, a method table, a property table, and how to find, list and describe its objects.
 * Handlers decode arguments, call the driver and encode the reply; they never see polkit or
 * the method invocation. */
#pragma once

#include <gio/gio.h>
#include <gio/gunixfdlist.h>

#include "drivers/driver.h"

typedef struct _VbCall VbCall;
typedef struct _VbObjectClass VbObjectClass;
typedef struct _VbDeferred VbDeferred;

struct _VbCall {
    VbConn *conn;
    gpointer obj;            /* the resolved object, NULL for the connection itself */
    const char *node;        /* its path node, NULL for the connection itself */
    const VbObjectClass *klass;
    const char *base_path;   /* the connection's path, e.g. /org/libvirt/Test */
    GUnixFDList *fds;        /* file descriptors sent with the call, may be NULL */
    GUnixFDList *out_fds;    /* file descriptors to send back (set by the handler) */
    /* tells the service that a property of the called object changed */
    void (*notify)(VbCall *call, const char *property);
    gpointer notify_data;
    /* set by the service for method calls: the reply is sent later through the returned
     * VbDeferred, and the handler returns NULL without setting an error */
    VbDeferred *(*defer)(VbCall *call);
    gpointer defer_data;
    gboolean deferred;
};

/* A reply on its way: work the handler started finishes later on the main loop. */
struct _VbDeferred {
    VbCall call;             /* a copy of the call without its object, which may go meanwhile */
    /* sends @value (NULL: @error) as the reply and frees @self */
    void (*complete)(VbDeferred *self, GVariant *value, const GError *error);
};

typedef GVariant *(*VbMethodFunc)(VbCall *call, GVariant *args, GError **error);
typedef GVariant *(*VbGetFunc)(VbCall *call, GError **error);
typedef gboolean (*VbSetFunc)(VbCall *call, GVariant *value, GError **error);

typedef struct {
    const char *name;
    VbMethodFunc func;       /* NULL: not supported, reported with @api */
    const char *api;         /* the libvirt C function behind the method */
    /* returns `ao` of this kind: on the system bus the service drops those the caller may not read */
    const VbObjectClass *lists;
} VbMethod;

typedef struct {
    const char *name;
    VbGetFunc get;
    VbSetFunc set;
} VbProperty;

struct _VbObjectClass {
    const char *interface;
    const char *subtree;     /* "domain"; NULL for the connection object */
    const VbMethod *methods;
    const VbProperty *properties;
    /* path node -> object; NULL + error when it is malformed or gone */
    gpointer (*lookup)(VbConn *conn, const char *node, GError **error);
    /* appends a g_strdup'd node name per object */
    void (*enumerate)(VbConn *conn, GPtrArray *nodes);
    /* driver event key (UUID, name...) -> node name */
    char *(*node_for_key)(const char *key);
    /* polkit details: alternating key, value (borrowed strings) */
    void (*details)(gconstpointer obj, GPtrArray *details);
};

extern const VbObjectClass vb_connect_class;
extern const VbObjectClass vb_domain_class;
extern const VbObjectClass vb_snapshot_class;
extern const VbObjectClass vb_network_class;
extern const VbObjectClass vb_nodedev_class;
extern const VbObjectClass vb_storagepool_class;
extern const VbObjectClass vb_storagevol_class;
extern const VbObjectClass vb_interface_class;
extern const VbObjectClass vb_secret_class;
extern const VbObjectClass vb_nwfilter_class;

/* Every class the service exports, connection first; NULL-terminated. */
extern const VbObjectClass *const vb_object_classes[];

const VbMethod *vb_object_class_method(const VbObjectClass *klass, const char *name);
const VbProperty *vb_object_class_property(const VbObjectClass *klass, const char *name);

/* ---- paths ---- */

/* libvirt-dbus escaping: [A-Za-z0-9] kept, any other byte as _xx (lowercase hex). */
char *vb_path_escape(const char *str);
/* The inverse; NULL when @node is not a valid escape. */
char *vb_path_unescape(const char *node);
/* "_" + UUID with '-' as '_'. */
char *vb_uuid_node(const char *uuid);
/* The inverse, into canonical form; FALSE when @node is not one. */
gboolean vb_uuid_from_node(const char *node, char uuid[VB_UUID_STRING_LEN]);
/* The "ao" of the objects of @klass with @keys, serialised in one buffer (a list of 100,000
 * domains makes no GVariant per path). */
GVariant *vb_object_paths_variant(const VbCall *call, const VbObjectClass *klass, GPtrArray *keys);
char *vb_object_path(const VbCall *call, const VbObjectClass *klass, const char *key);

/* ---- argument helpers for handlers ---- */

/* ab (one boolean per CPU) <-> GArray of gboolean */
GArray *vb_variant_to_cpumap(GVariant *ab);
GVariant *vb_cpumap_to_variant(GArray *map);
/* libvirt typed parameters as a{sv}; like libvirt-dbus each value is a variant in a variant */
void vb_params_add(GVariantBuilder *builder, const char *key, GVariant *value);
/* a{sv} from a GHashTable of char* -> guint64* */
GVariant *vb_ull_table_to_variant(GHashTable *table, const char *type);
/* Builds `ao` from the objects of @values. */
GVariant *vb_paths_variant(const VbCall *call, const VbObjectClass *klass, GPtrArray *keys);
/* Defers @call's reply to a GTask that the driver finishes: TRUE becomes the empty reply "()",
 * an error the error reply. Only for method calls (call->defer is set). */
GTask *vb_call_empty_reply_task(VbCall *call);
/* Checks that every handle in @handles (`ah`) names a file descriptor sent with the call. */
gboolean vb_call_check_fd_handles(const VbCall *call, GVariant *handles, GError **error);
