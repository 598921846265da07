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
