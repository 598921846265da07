/* access.h: the polkit gate every method call and property access passes on the system bus */
#pragma once

#include <gio/gio.h>

typedef struct _VbAccess VbAccess;

/* Called with NULL when allowed, or the error to return to the caller. */
typedef void (*VbAccessCallback)(const GError *denied, gpointer user_data);

VbAccess *vb_access_new(GError **error);
void vb_access_free(VbAccess *access);

/* Asks polkit whether the sender of @invocation may do each of @actions (NULL-terminated),
 * with @details (alternating key, value). A NULL @access allows everything. */
void vb_access_check(VbAccess *access, GDBusMethodInvocation *invocation, const char *const *actions,
                     GPtrArray *details, VbAccessCallback callback, gpointer user_data);

/* Many independent checks for one caller, all in flight at once and never interactive:
 * how list replies are filtered. */
typedef struct _VbAccessBatch VbAccessBatch;

/* @allowed[i] answers the i-th check added; a check polkit could not answer is denied. */
typedef void (*VbAccessBatchCallback)(const gboolean *allowed, guint n_checks, gpointer user_data);

VbAccessBatch *vb_access_batch_new(VbAccess *access, GDBusMethodInvocation *invocation);
void vb_access_batch_add(VbAccessBatch *batch, const char *action, GPtrArray *details);
/* Sends every check; @callback runs once the last answer arrived, then @batch is freed. */
void vb_access_batch_run(VbAccessBatch *batch, VbAccessBatchCallback callback, gpointer user_data);
