/* test-dispatch: the dispatcher and the signal emitter on a private bus (GTestDBus).
 *
 * A VbService exports the test driver in this process; a second connection calls it the way
 * a client would. Checks error mapping, object resolution, the GetAll wire form, and that
 * the signals a call causes (InterfacesAdded, DomainEvent, PropertiesChanged) arrive in
 * order and before its reply. */
#include <gio/gio.h>
#include <string.h>

#include "drivers/test/test_driver.h"
#include "service/service.h"

#define TEST_PATH "/org/libvirt/Test"
#define DOMAIN_PATH "/org/libvirt/Test/domain/_6695eb01_f6a4_8304_79aa_97f2502e193f"

/* One private bus for the whole program: GTestDBus sets environment variables, which is only
 * safe before any thread starts. */
static GTestDBus *test_bus;

typedef struct {
    GDBusConnection *server;
    GDBusConnection *client;
    VbService *service;
    GPtrArray *signals;      /* "member path" in arrival order */
    guint subscription;
} Fixture;

static void
on_signal(GDBusConnection *bus, const char *sender, const char *path, const char *iface, const char *member,
          GVariant *params, gpointer user_data)
{
    Fixture *fx = user_data;

    g_ptr_array_add(fx->signals, g_strdup_printf("%s %s", member, path));
}

static GDBusConnection *
connect_to(const char *address)
{
    g_autoptr(GError) error = NULL;
    GDBusConnection *bus = g_dbus_connection_new_for_address_sync(
        address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
        NULL, NULL, &error);

    g_assert_no_error(error);
    return bus;
}

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    VbConn *conn;

    fx->server = connect_to(g_test_dbus_get_bus_address(test_bus));
    fx->client = connect_to(g_test_dbus_get_bus_address(test_bus));
    fx->service = vb_service_new(fx->server, FALSE, &error);
    g_assert_no_error(error);
    conn = vb_conn_open(&vb_test_driver, "test:///default", &error);
    g_assert_no_error(error);
    g_assert_true(vb_service_export(fx->service, conn, &error));
    fx->signals = g_ptr_array_new_with_free_func(g_free);
    fx->subscription = g_dbus_connection_signal_subscribe(fx->client, g_dbus_connection_get_unique_name(fx->server),
                                                          NULL, NULL, NULL, NULL,
                                                          G_DBUS_SIGNAL_FLAGS_NONE, on_signal, fx, NULL);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
    g_dbus_connection_signal_unsubscribe(fx->client, fx->subscription);
    g_ptr_array_unref(fx->signals);
    vb_service_free(fx->service);
    g_object_unref(fx->client);
    g_dbus_connection_close_sync(fx->server, NULL, NULL);
    g_object_unref(fx->server);
}

static void
store_result(GObject *source, GAsyncResult *res, gpointer user_data)
{
    *(GAsyncResult **)user_data = g_object_ref(res);
}

/* Calls the service from the client, running the main context the service lives on. */
static GVariant *
call_sync(Fixture *fx, const char *path, const char *iface, const char *method, GVariant *args, GError **error)
{
    g_autoptr(GAsyncResult) result = NULL;

    g_dbus_connection_call(fx->client, g_dbus_connection_get_unique_name(fx->server), path, iface, method, args,
                           NULL, G_DBUS_CALL_FLAGS_NONE, 5000, NULL, store_result, &result);
    while (!result)
        g_main_context_iteration(NULL, TRUE);
    return g_dbus_connection_call_finish(fx->client, result, error);
}

static void
assert_dbus_error(GError *error, const char *name, const char *message)
{
    g_autofree char *remote = NULL;

    g_assert_nonnull(error);
    remote = g_dbus_error_get_remote_error(error);
    g_assert_cmpstr(remote, ==, name);
    g_dbus_error_strip_remote_error(error);
    if (!strstr(error->message, message))
        g_error("'%s' does not contain '%s'", error->message, message);
}

static void
test_call_reaches_driver(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply G_GNUC_UNUSED = call_sync(fx, TEST_PATH, "org.libvirt.Connect", "ListDomains",
                                          g_variant_new("(u)", 0), &error);
    g_autofree const char **paths = NULL;

    g_assert_no_error(error);
    g_variant_get(reply, "(^a&o)", &paths);
    g_assert_cmpuint(g_strv_length((char **)paths), ==, 1);
    g_assert_cmpstr(paths[0], ==, DOMAIN_PATH);
}

static void
test_errors_are_mapped(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) gone = NULL;
    g_autoptr(GError) malformed = NULL;
    g_autoptr(GError) unsupported = NULL;
    g_autoptr(GError) bad_args = NULL;
    g_autoptr(GError) bad_flags = NULL;
    g_autoptr(GVariant) r1 G_GNUC_UNUSED = call_sync(fx, "/org/libvirt/Test/domain/_00000000_0000_0000_0000_000000000001",
                                       "org.libvirt.Domain", "Create", g_variant_new("(u)", 0), &gone);
    g_autoptr(GVariant) r2 G_GNUC_UNUSED = call_sync(fx, "/org/libvirt/Test/domain/nonsense", "org.libvirt.Domain", "Create",
                                       g_variant_new("(u)", 0), &malformed);
    g_autoptr(GVariant) r3 G_GNUC_UNUSED = call_sync(fx, DOMAIN_PATH, "org.libvirt.Domain", "MigrateToURI3",
                                       g_variant_new("(sa{sv}u)", "", NULL, 0), &unsupported);
    g_autoptr(GVariant) r4 G_GNUC_UNUSED = call_sync(fx, DOMAIN_PATH, "org.libvirt.Domain", "Create", g_variant_new("(s)", "x"),
                                       &bad_args);
    g_autoptr(GVariant) r5 G_GNUC_UNUSED = call_sync(fx, DOMAIN_PATH, "org.libvirt.Domain", "Destroy", g_variant_new("(u)", 0x100),
                                       &bad_flags);

    assert_dbus_error(gone, "org.libvirt.Error", "Domain not found: no domain with matching uuid");
    assert_dbus_error(malformed, "org.freedesktop.DBus.Error.UnknownObject", "nonsense");
    assert_dbus_error(unsupported, "org.libvirt.Error",
                      "this function is not supported by the connection driver: virDomainMigrateToURI3");
    assert_dbus_error(bad_args, "org.freedesktop.DBus.Error.InvalidArgs", "");
    assert_dbus_error(bad_flags, "org.libvirt.Error", "unsupported flags (0x100)");
}

static void
test_getall_wraps_twice(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) all = call_sync(fx, DOMAIN_PATH, "org.freedesktop.DBus.Properties", "GetAll",
                                        g_variant_new("(s)", "org.libvirt.Domain"), &error);
    g_autoptr(GVariant) one = call_sync(fx, DOMAIN_PATH, "org.freedesktop.DBus.Properties", "Get",
                                        g_variant_new("(ss)", "org.libvirt.Domain", "Name"), &error);
    g_autoptr(GVariant) dict = g_variant_get_child_value(all, 0);
    g_autoptr(GVariant) name = g_variant_lookup_value(dict, "Name", G_VARIANT_TYPE_VARIANT);
    g_autoptr(GVariant) inner = g_variant_get_variant(name);
    g_autoptr(GVariant) single = NULL;

    g_assert_no_error(error);
    g_assert_cmpstr(g_variant_get_string(inner, NULL), ==, "test");
    g_variant_get(one, "(v)", &single);
    g_assert_cmpstr(g_variant_get_type_string(single), ==, "s");
}

static void
wait_for_signals(Fixture *fx, guint count)
{
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

    while (fx->signals->len < count && g_get_monotonic_time() < deadline)
        g_main_context_iteration(NULL, TRUE);
}

static void
test_define_announces_then_signals(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply G_GNUC_UNUSED = call_sync(fx, TEST_PATH, "org.libvirt.Connect", "DomainDefineXML",
                                          g_variant_new("(s)", "<domain type='test'><name>d1</name>"
                                                        "<uuid>11111111-2222-3333-4444-555555555555</uuid>"
                                                        "<memory>1024</memory><os><type>hvm</type></os></domain>"),
                                          &error);

    g_assert_no_error(error);
    wait_for_signals(fx, 2);
    g_assert_cmpuint(fx->signals->len, >=, 2);
    g_assert_cmpstr(g_ptr_array_index(fx->signals, 0), ==, "InterfacesAdded " TEST_PATH);
    g_assert_cmpstr(g_ptr_array_index(fx->signals, 1), ==, "DomainEvent " TEST_PATH);
}

static void
test_create_sends_properties_before_reply(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) destroyed G_GNUC_UNUSED = call_sync(fx, DOMAIN_PATH, "org.libvirt.Domain", "Destroy",
                                              g_variant_new("(u)", 0), &error);
    g_autoptr(GVariant) created = NULL;
    guint before;

    g_assert_no_error(error);
    wait_for_signals(fx, 2);
    before = fx->signals->len;
    created = call_sync(fx, DOMAIN_PATH, "org.libvirt.Domain", "Create", g_variant_new("(u)", 0), &error);
    g_assert_no_error(error);
    /* both signals were queued ahead of the reply, so they are here already */
    g_assert_cmpuint(fx->signals->len, ==, before + 2);
    g_assert_cmpstr(g_ptr_array_index(fx->signals, before), ==, "DomainEvent " TEST_PATH);
    g_assert_cmpstr(g_ptr_array_index(fx->signals, before + 1), ==, "PropertiesChanged " DOMAIN_PATH);
}

int
main(int argc, char **argv)
{
    int status;

    g_test_init(&argc, &argv, NULL);
    g_setenv("VIRTBUS_TEST_DEFAULT_XML", g_getenv("VIRTBUS_TEST_DEFAULT_XML") ? g_getenv("VIRTBUS_TEST_DEFAULT_XML")
                                                                              : "data/test/default.xml", TRUE);
    g_test_add("/dispatch/call", Fixture, NULL, fixture_setup, test_call_reaches_driver, fixture_teardown);
    g_test_add("/dispatch/errors", Fixture, NULL, fixture_setup, test_errors_are_mapped, fixture_teardown);
    g_test_add("/dispatch/getall", Fixture, NULL, fixture_setup, test_getall_wraps_twice, fixture_teardown);
    g_test_add("/emit/define", Fixture, NULL, fixture_setup, test_define_announces_then_signals, fixture_teardown);
    g_test_add("/emit/before-reply", Fixture, NULL, fixture_setup, test_create_sends_properties_before_reply,
               fixture_teardown);
    test_bus = g_test_dbus_new(G_TEST_DBUS_NONE);
    g_test_dbus_up(test_bus);
    status = g_test_run();
    g_test_dbus_down(test_bus);
    g_object_unref(test_bus);
    return status;
}
