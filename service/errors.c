/* errors.c: every GError leaves on the bus with a name clients can match */
#include "service.h"

static const char *
vb_error_dbus_name(const GError *error)
{
    if (error->domain != VB_ERROR)
        return "org.libvirt.Error";
    switch (error->code) {
    case VB_ERR_ACCESS_DENIED:
        return "org.freedesktop.DBus.Error.AccessDenied";
    case VB_ERR_INTERACTIVE_AUTH_REQUIRED:
        return "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired";
    default:
        return "org.libvirt.Error";
    }
}

/* Borrows @invocation: the caller keeps its reference. */
void
vb_return_error(GDBusMethodInvocation *invocation, const GError *error)
{
    g_object_ref(invocation);
    /* GDBus's own errors (UnknownMethod, InvalidArgs, AccessDenied...) keep their names */
    if (error->domain == G_DBUS_ERROR) {
        g_dbus_method_invocation_return_gerror(invocation, error);
        return;
    }
    g_dbus_method_invocation_return_dbus_error(invocation, vb_error_dbus_name(error), error->message);
}
