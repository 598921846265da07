/* notify.c: one datagram per state change to the socket systemd gives in $NOTIFY_SOCKET
 * (a path, or an abstract name written with a leading '@'). */
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <string.h>

#include "notify.h"

static GSocketAddress *
notify_address(const char *name)
{
    if (name[0] == '@')
        return g_unix_socket_address_new_with_type(name + 1, -1, G_UNIX_SOCKET_ADDRESS_ABSTRACT);
    if (name[0] == '/')
        return g_unix_socket_address_new(name);
    return NULL;
}

void
vb_notify(const char *state)
{
    const char *name = g_getenv("NOTIFY_SOCKET");
    g_autoptr(GSocketAddress) address = NULL;
    g_autoptr(GSocket) sock = NULL;
    g_autoptr(GError) error = NULL;

    if (!name || !*name)
        return;
    if (!(address = notify_address(name))) {
        g_warning("NOTIFY_SOCKET '%s' is neither a path nor an abstract name", name);
        return;
    }
    sock = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_DEFAULT, &error);
    if (!sock || g_socket_send_to(sock, address, state, strlen(state), NULL, &error) < 0)
        g_warning("cannot notify the service manager: %s", error->message);
}
