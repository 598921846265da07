/* access.c: asynchronous polkit checks; the main loop never waits for an answer */
#include "access.h"
#include "conf/vb_error.h"

#include <polkit/polkit.h>

struct _VbAccess {
    PolkitAuthority *authority;
};

typedef struct {
    VbAccess *access;
    PolkitSubject *subject;
    PolkitDetails *details;
    PolkitCheckAuthorizationFlags flags;
    GStrv actions;
    guint next;
    VbAccessCallback callback;
    gpointer user_data;
} VbAccessRequest;

VbAccess *
vb_access_new(GError **error)
{
    PolkitAuthority *authority = polkit_authority_get_sync(NULL, error);
    VbAccess *access;

    if (!authority)
        return NULL;
    access = g_new0(VbAccess, 1);
    access->authority = authority;
    return access;
}

void
vb_access_free(VbAccess *access)
{
    if (!access)
        return;
    g_clear_object(&access->authority);
    g_free(access);
}

static PolkitDetails *
details_new(GPtrArray *pairs)
{
    PolkitDetails *details = polkit_details_new();

    for (guint i = 0; pairs && i + 1 < pairs->len; i += 2)
        polkit_details_insert(details, g_ptr_array_index(pairs, i), g_ptr_array_index(pairs, i + 1));
    return details;
}

static void
request_free(VbAccessRequest *req)
{
    g_object_unref(req->subject);
    g_object_unref(req->details);
    g_strfreev(req->actions);
    g_free(req);
}

static void check_next(VbAccessRequest *req);

static void
check_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
    VbAccessRequest *req = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(PolkitAuthorizationResult) result =
        polkit_authority_check_authorization_finish(POLKIT_AUTHORITY(source), res, &error);
    const char *action = req->actions[req->next];

    if (!result) {
        g_autoptr(GError) denied = NULL;
        vb_set_error(&denied, VB_ERR_ACCESS_DENIED, "cannot check authorization for '%s': %s", action, error->message);
        req->callback(denied, req->user_data);
    } else if (!polkit_authorization_result_get_is_authorized(result)) {
        gboolean challenge = polkit_authorization_result_get_is_challenge(result) &&
                             !(req->flags & POLKIT_CHECK_AUTHORIZATION_FLAGS_ALLOW_USER_INTERACTION);
        g_autoptr(GError) denied = NULL;
        vb_set_error(&denied, challenge ? VB_ERR_INTERACTIVE_AUTH_REQUIRED : VB_ERR_ACCESS_DENIED,
                     "the caller is not authorized for action '%s'", action);
        req->callback(denied, req->user_data);
    } else {
        req->next++;
        check_next(req);
        return;
    }
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
    polkit_authority_check_authorization(req->access->authority, req->subject, req->actions[req->next],
                                         req->details, req->flags, NULL, check_done, req);
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
    req->subject = polkit_system_bus_name_new(g_dbus_method_invocation_get_sender(invocation));
    req->details = details_new(details);
    if (g_dbus_message_get_flags(message) & G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION)
        req->flags = POLKIT_CHECK_AUTHORIZATION_FLAGS_ALLOW_USER_INTERACTION;
    req->actions = g_strdupv((char **)actions);
    req->callback = callback;
    req->user_data = user_data;
    check_next(req);
}

/* ---- batches ---- */

struct _VbAccessBatch {
    VbAccess *access;
    PolkitSubject *subject;
    GPtrArray *actions;      /* char * */
    GPtrArray *details;      /* PolkitDetails * */
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
    batch->subject = polkit_system_bus_name_new(g_dbus_method_invocation_get_sender(invocation));
    batch->actions = g_ptr_array_new_with_free_func(g_free);
    batch->details = g_ptr_array_new_with_free_func(g_object_unref);
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
    g_object_unref(batch->subject);
    g_ptr_array_unref(batch->actions);
    g_ptr_array_unref(batch->details);
    g_array_unref(batch->allowed);
    g_free(batch);
}

static void
batch_check_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
    g_autofree VbAccessBatchSlot *slot = user_data;
    VbAccessBatch *batch = slot->batch;
    g_autoptr(GError) error = NULL;
    g_autoptr(PolkitAuthorizationResult) result =
        polkit_authority_check_authorization_finish(POLKIT_AUTHORITY(source), res, &error);

    if (result)
        g_array_index(batch->allowed, gboolean, slot->index) = polkit_authorization_result_get_is_authorized(result);
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
        polkit_authority_check_authorization(batch->access->authority, batch->subject,
                                             g_ptr_array_index(batch->actions, i), g_ptr_array_index(batch->details, i),
                                             POLKIT_CHECK_AUTHORIZATION_FLAGS_NONE, NULL, batch_check_done, slot);
    }
}
