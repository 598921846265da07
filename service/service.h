/* service.h: the D-Bus side of the daemon: exports connections, dispatches calls, emits signals */
#pragma once

#include <gio/gio.h>

#include "drivers/driver.h"
#include "objects/object.h"

typedef struct _VbAccess VbAccess;

typedef struct {
    GDBusConnection *bus;
    GHashTable *interfaces;  /* interface name -> GDBusInterfaceInfo */
    GPtrArray *exports;      /* VbExport, one per connection */
    VbAccess *access;        /* NULL on the session bus: the bus already limits callers */
    guint name_owner_changed; /* subscription: clients leaving the bus (AUTODESTROY) */
    GQueue *gone_order;      /* the last clients that left, oldest first... */
    GHashTable *gone;        /* ...and as a set: a call of theirs may still be waiting (polkit) */
} VbService;

/* One exported connection and the registrations under its path. */
typedef struct {
    VbService *service;
    VbConn *conn;            /* owned */
    char *path;
    GArray *object_ids;      /* guint registration ids */
    GArray *subtree_ids;
    GHashTable *dirty;       /* object path -> VbDirty: properties changed this turn */
    guint flush_source;
    /* object path -> GQueue of VbRequest: method calls waiting for the call whose reply is
     * deferred on that object (libvirt's job lock, as seen from the bus) */
    GHashTable *in_flight;
} VbExport;

VbService *vb_service_new(GDBusConnection *bus, gboolean use_polkit, GError **error);
void vb_service_free(VbService *service);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbService, vb_service_free)

/* Exports @conn (taking ownership) at /org/libvirt/<driver name>. */
gboolean vb_service_export(VbService *service, VbConn *conn, GError **error);
/* TRUE while a connection's driver still recovers state (e.g. re-attaches running guests). */
gboolean vb_service_recovering(VbService *service);

GDBusInterfaceInfo *vb_service_interface(VbService *service, const char *name);
const char *vb_service_action(GDBusInterfaceInfo *iface, const char *member, gboolean write);

/* errors.c */
void vb_return_error(GDBusMethodInvocation *invocation, const GError *error);

/* emit.c */
void vb_emit_event(VbConn *conn, const VbEvent *event, gpointer user_data);
void vb_emit_property_changed(VbExport *export, const VbObjectClass *klass, const char *path,
                              const char *property);
GVariant *vb_object_properties(VbExport *export, const VbObjectClass *klass, gpointer obj,
                               gboolean wrap_twice);
GVariant *vb_managed_objects(VbExport *export);
void vb_export_flush_properties(VbExport *export);
typedef struct _VbDirty VbDirty;
void vb_dirty_free(VbDirty *dirty);
void vb_call_init(VbCall *call, VbExport *export, const VbObjectClass *klass, const char *node, gpointer obj);
