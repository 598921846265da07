/* access.c: asynchronous polkit checks; the main loop never waits for an answer.
 * polkitd is asked directly over D-Bus (org.freedesktop.PolicyKit1.Authority.CheckAuthorization):
 * libpolkit-gobject would add libsystemd and its compression and crypto libraries to the daemon. */
#include "access.h"
#include "conf/vb_error.h"

#define POLKIT_BUS_NAME "org.freedesktop.PolicyKit1"
#define POLKIT_PATH "/org/freedesktop/PolicyKit1/Authority"
#define POLKIT_INTERFACE "org.freedesktop.PolicyKit1.Authority"
#define POLKIT_FLAG_ALLOW_USER_INTERACTION 1u

struct _VbAccess {
    GDBusConnection *system_bus;
};

typedef struct {
    gboolean authorized;
    gboolean challenge;
} VbAccessAnswer;

typedef void (*VbAnswerCallback)(const VbAccessAnswer *answer, const GError *error, gpointer user_data);

typedef struct {
    VbAnswerCallback callback;
    gpointer user_data;
} VbPendingCheck;

typedef struct {
    VbAccess *access;
    char *sender;
    GVariant *details;       /* a{ss}, floating-free */
    guint32 flags;
    GStrv actions;
    guint next;
    VbAccessCallback callback;
    gpointer user_data;
} VbAccessRequest;

VbAccess *
vb_access_new(GError **error)
{
    GDBusConnection *system_bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, error);
    VbAccess *access;

    if (!system_bus)
        return NULL;
    access = g_new0(VbAccess, 1);
    access->system_bus = system_bus;
    return access;
}

void
vb_access_free(VbAccess *access)
{
    if (!access)
        return;
    g_clear_object(&access->system_bus);
    g_free(access);
}

static GVariant *
details_new(GPtrArray *pairs)
{
    GVariantBuilder builder;

    g_variant_builder_init(&builder, G_VARIANT_TYPE("a{ss}"));
    for (guint i = 0; pairs && i + 1 < pairs->len; i += 2)
        g_variant_builder_add(&builder, "{ss}", g_ptr_array_index(pairs, i), g_ptr_array_index(pairs, i + 1));
    return g_variant_ref_sink(g_variant_builder_end(&builder));
}

static void
check_authorization_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
    g_autofree VbPendingCheck *pending = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
    VbAccessAnswer answer = { FALSE, FALSE };

    if (!reply) {
        g_dbus_error_strip_remote_error(error);
        pending->callback(NULL, error, pending->user_data);
        return;
    }
    g_variant_get(reply, "((bb@a{ss}))", &answer.authorized, &answer.challenge, NULL);
    pending->callback(&answer, NULL, pending->user_data);
}

/* One CheckAuthorization call for the bus name @sender; @details is borrowed. */
static void
check_authorization(VbAccess *access, const char *sender, const char *action, GVariant *details, guint32 flags,
                    VbAnswerCallback callback, gpointer user_data)
{
    VbPendingCheck *pending = g_new(VbPendingCheck, 1);
    GVariantBuilder subject;

    *pending = (VbPendingCheck){ callback, user_data };
    g_variant_builder_init(&subject, G_VARIANT_TYPE("a{sv}"));
    g_variant_builder_add(&subject, "{sv}", "name", g_variant_new_string(sender));
    g_dbus_connection_call(access->system_bus, POLKIT_BUS_NAME, POLKIT_PATH, POLKIT_INTERFACE, "CheckAuthorization",
                           g_variant_new("((sa{sv})s@a{ss}us)", "system-bus-name", &subject, action, details, flags, ""),
                           G_VARIANT_TYPE("((bba{ss}))"), G_DBUS_CALL_FLAGS_NONE, G_MAXINT, NULL,
                           check_authorization_done, pending);
}

static void
request_free(VbAccessRequest *req)
{
    g_free(req->sender);
    g_variant_unref(req->details);
    g_strfreev(req->actions);
    g_free(req);
}

static void check_next(VbAccessRequest *req);

static void
check_done(const VbAccessAnswer *answer, const GError *error, gpointer user_data)
{
    VbAccessRequest *req = user_data;
    const char *action = req->actions[req->next];
    g_autoptr(GError) denied = NULL;

    if (!answer) {
        vb_set_error(&denied, VB_ERR_ACCESS_DENIED, "cannot check authorization for '%s': %s", action, error->message);
    } else if (!answer->authorized) {
        gboolean challenge = answer->challenge && !(req->flags & POLKIT_FLAG_ALLOW_USER_INTERACTION);
        vb_set_error(&denied, challenge ? VB_ERR_INTERACTIVE_AUTH_REQUIRED : VB_ERR_ACCESS_DENIED,
                     "the caller is not authorized for action '%s'", action);
    } else {
        req->next++;
        check_next(req);
        return;
    }
    req->callback(denied, req->user_data);
    request_free(req);
}

static void
check_next(VbAccessRequest *req)
{
    if (!req->actions[req->next]) {
        req->callback(NULL, req->user_data);
        request_free(req);
        return;
    }
    check_authorization(req->access, req->sender, req->actions[req->next], req->details, req->flags, check_done, req);
}

void
vb_access_check(VbAccess *access, GDBusMethodInvocation *invocation, const char *const *actions,
                GPtrArray *details, VbAccessCallback callback, gpointer user_data)
{
    VbAccessRequest *req;
    GDBusMessage *message = g_dbus_method_invocation_get_message(invocation);

    if (!access) {
        callback(NULL, user_data);
        return;
    }
    req = g_new0(VbAccessRequest, 1);
    req->access = access;
    req->sender = g_strdup(g_dbus_method_invocation_get_sender(invocation));
    req->details = details_new(details);
    if (g_dbus_message_get_flags(message) & G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION)
        req->flags = POLKIT_FLAG_ALLOW_USER_INTERACTION;
    req->actions = g_strdupv((char **)actions);
    req->callback = callback;
    req->user_data = user_data;
    check_next(req);
}

/* ---- batches ---- */

struct _VbAccessBatch {
    VbAccess *access;
    char *sender;
    GPtrArray *actions;      /* char * */
    GPtrArray *details;      /* GVariant a{ss} */
    GArray *allowed;         /* gboolean per check */
    guint pending;
    VbAccessBatchCallback callback;
    gpointer user_data;
};

typedef struct {
    VbAccessBatch *batch;
    guint index;
} VbAccessBatchSlot;

VbAccessBatch *
vb_access_batch_new(VbAccess *access, GDBusMethodInvocation *invocation)
{
    VbAccessBatch *batch = g_new0(VbAccessBatch, 1);

    batch->access = access;
    batch->sender = g_strdup(g_dbus_method_invocation_get_sender(invocation));
    batch->actions = g_ptr_array_new_with_free_func(g_free);
    batch->details = g_ptr_array_new_with_free_func((GDestroyNotify)g_variant_unref);
    batch->allowed = g_array_new(FALSE, TRUE, sizeof(gboolean));
    return batch;
}

void
vb_access_batch_add(VbAccessBatch *batch, const char *action, GPtrArray *details)
{
    g_ptr_array_add(batch->actions, g_strdup(action));
    g_ptr_array_add(batch->details, details_new(details));
}

static void
batch_finish(VbAccessBatch *batch)
{
    batch->callback((const gboolean *)batch->allowed->data, batch->allowed->len, batch->user_data);
    g_free(batch->sender);
    g_ptr_array_unref(batch->actions);
    g_ptr_array_unref(batch->details);
    g_array_unref(batch->allowed);
    g_free(batch);
}

static void
batch_check_done(const VbAccessAnswer *answer, const GError *error, gpointer user_data)
{
    g_autofree VbAccessBatchSlot *slot = user_data;
    VbAccessBatch *batch = slot->batch;

    if (answer)
        g_array_index(batch->allowed, gboolean, slot->index) = answer->authorized;
    else
        g_debug("cannot check authorization for '%s': %s",
                (const char *)g_ptr_array_index(batch->actions, slot->index), error->message);
    if (--batch->pending == 0)
        batch_finish(batch);
}

void
vb_access_batch_run(VbAccessBatch *batch, VbAccessBatchCallback callback, gpointer user_data)
{
    batch->callback = callback;
    batch->user_data = user_data;
    batch->pending = batch->actions->len;
    g_array_set_size(batch->allowed, batch->actions->len);
    if (batch->pending == 0) {
        batch_finish(batch);
        return;
    }
    for (guint i = 0; i < batch->actions->len; i++) {
        VbAccessBatchSlot *slot = g_new(VbAccessBatchSlot, 1);

        *slot = (VbAccessBatchSlot){ batch, i };
        check_authorization(batch->access, batch->sender, g_ptr_array_index(batch->actions, i),
                            g_ptr_array_index(batch->details, i), 0, batch_check_done, slot);
    }
}
