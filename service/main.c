/* main.c: virtbusd — options, bus, name ownership, signals */
#include <glib-unix.h>
#include <locale.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "drivers/qemu/qemu_driver.h"
#include "drivers/test/test_driver.h"
#include "notify.h"
#include "service.h"

#define RECOVERY_POLL_MS 10
#define RECOVERY_MAX_MS 30000

typedef struct {
    GMainLoop *loop;
    int exit_code;
    const char *bus_name;
    GDBusConnection *bus;
    VbService *service;
    guint owner_id;
    gint64 recovery_deadline;
} VbDaemon;

static gboolean
on_terminate(gpointer user_data)
{
    VbDaemon *daemon = user_data;

    g_message("terminating on signal");
    vb_notify("STOPPING=1");
    g_main_loop_quit(daemon->loop);
    return G_SOURCE_CONTINUE;
}

static void
on_name_acquired(GDBusConnection *bus, const char *name, gpointer user_data)
{
    g_autofree char *state = g_strdup_printf("READY=1\nSTATUS=Serving %s", name);

    g_message("ready: owning %s", name);
    vb_notify(state);
}

static void
on_name_lost(GDBusConnection *bus, const char *name, gpointer user_data)
{
    VbDaemon *daemon = user_data;

    if (!bus || g_dbus_connection_is_closed(bus))
        g_printerr("virtbusd: lost the connection to the bus\n");
    else
        g_printerr("virtbusd: cannot own %s: the name is taken by another process\n", name);
    daemon->exit_code = EXIT_FAILURE;
    g_main_loop_quit(daemon->loop);
}

static GDBusConnection *
open_bus(gboolean system, GError **error)
{
    GDBusConnection *bus = g_bus_get_sync(system ? G_BUS_TYPE_SYSTEM : G_BUS_TYPE_SESSION, NULL, error);

    if (bus)
        g_dbus_connection_set_exit_on_close(bus, FALSE);
    return bus;
}

/* The QEMU connection is optional: without it the test driver still serves. */
static void
export_qemu(VbService *service, const char *uri)
{
    g_autoptr(GError) error = NULL;
    VbConn *conn;

    if (g_str_equal(uri, "none"))
        return;
    if (!(conn = vb_conn_open(&vb_qemu_driver, uri, &error)) || !vb_service_export(service, conn, &error))
        g_warning("not serving %s: %s", uri, error->message);
}

static gboolean
export_connections(VbService *service, const char *test_uri, const char *qemu_uri, GError **error)
{
    VbConn *conn = vb_conn_open(&vb_test_driver, test_uri, error);

    if (!conn || !vb_service_export(service, conn, error))
        return FALSE;
    export_qemu(service, qemu_uri);
    return TRUE;
}

static void
own_name(VbDaemon *daemon)
{
    daemon->owner_id = g_bus_own_name_on_connection(daemon->bus, daemon->bus_name, G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
                                                    on_name_acquired, on_name_lost, daemon, NULL);
}

/* Clients see the name only once guests left running by an earlier daemon are re-attached,
 * so their first calls find every domain in its true state. */
static gboolean
own_name_when_recovered(gpointer user_data)
{
    VbDaemon *daemon = user_data;

    if (vb_service_recovering(daemon->service) && g_get_monotonic_time() < daemon->recovery_deadline)
        return G_SOURCE_CONTINUE;
    if (vb_service_recovering(daemon->service))
        g_warning("still re-attaching guests after %d s; serving anyway", RECOVERY_MAX_MS / 1000);
    own_name(daemon);
    return G_SOURCE_REMOVE;
}

int
main(int argc, char **argv)
{
    gboolean system = FALSE, session = FALSE, version = FALSE;
    g_autofree char *bus_name = NULL;
    g_autofree char *test_uri = NULL;
    g_autofree char *qemu_uri = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GOptionContext) context = g_option_context_new("- libvirt's API on D-Bus, in one service");
    GOptionEntry entries[] = {
        { "system", 0, 0, G_OPTION_ARG_NONE, &system, "Serve on the system bus", NULL },
        { "session", 0, 0, G_OPTION_ARG_NONE, &session, "Serve on the session bus", NULL },
        { "bus-name", 0, 0, G_OPTION_ARG_STRING, &bus_name, "Own NAME instead of org.libvirt", "NAME" },
        { "test-uri", 0, 0, G_OPTION_ARG_STRING, &test_uri, "Test driver URI (default test:///default)", "URI" },
        { "qemu-uri", 0, 0, G_OPTION_ARG_STRING, &qemu_uri,
          "QEMU driver URI, or none (default qemu:///system on the system bus, qemu:///session on the session bus)",
          "URI" },
        { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
        { NULL },
    };
    g_autoptr(GDBusConnection) bus = NULL;
    g_autoptr(VbService) service = NULL;
    VbDaemon daemon = { .exit_code = EXIT_SUCCESS };

    setlocale(LC_ALL, "");
    g_option_context_add_main_entries(context, entries, NULL);
    if (!g_option_context_parse(context, &argc, &argv, &error)) {
        g_printerr("virtbusd: %s\n", error->message);
        return EXIT_FAILURE;
    }
    if (version) {
        g_print("virtbusd %s\n", VB_VERSION);
        return EXIT_SUCCESS;
    }
    if (system && session) {
        g_printerr("virtbusd: --system and --session exclude each other\n");
        return EXIT_FAILURE;
    }
    if (!system && !session)
        system = geteuid() == 0;

    if (!(bus = open_bus(system, &error))) {
        g_printerr("virtbusd: cannot connect to the %s bus: %s\n", system ? "system" : "session", error->message);
        return EXIT_FAILURE;
    }
    if (!(service = vb_service_new(bus, system, &error)) ||
        !export_connections(service, test_uri ? test_uri : "test:///default",
                            qemu_uri ? qemu_uri : system ? "qemu:///system" : "qemu:///session", &error)) {
        g_printerr("virtbusd: %s\n", error->message);
        return EXIT_FAILURE;
    }

    daemon.loop = g_main_loop_new(NULL, FALSE);
    daemon.bus_name = bus_name ? bus_name : "org.libvirt";
    g_unix_signal_add(SIGTERM, on_terminate, &daemon);
    g_unix_signal_add(SIGINT, on_terminate, &daemon);
    daemon.bus = bus;
    daemon.service = service;
    daemon.recovery_deadline = g_get_monotonic_time() + RECOVERY_MAX_MS * G_TIME_SPAN_MILLISECOND;
    if (vb_service_recovering(service))
        g_timeout_add(RECOVERY_POLL_MS, own_name_when_recovered, &daemon);
    else
        own_name(&daemon);
    g_main_loop_run(daemon.loop);
    if (daemon.owner_id)
        g_bus_unown_name(daemon.owner_id);
    g_clear_pointer(&service, vb_service_free);
    g_dbus_connection_flush_sync(bus, NULL, NULL);
    g_main_loop_unref(daemon.loop);
    return daemon.exit_code;
}
