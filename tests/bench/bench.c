/* bench: a blocking GDBus client that measures an org.libvirt service from outside.
 *
 *   bench startup N -- CMD...    exec -> bus name owned, N times (median), then RSS at idle
 *   bench calls N                per-call latency (median, p99) of typical calls, and the
 *                                bus daemon's own round trip as the floor
 *   bench scale COUNT            define COUNT domains; time per define, ListDomains,
 *                                GetManagedObjects (when served), RSS of the service
 *   bench throughput CLIENTS SECONDS   mixed calls from CLIENTS threads; calls/s and errors
 *   bench events N               state change call -> DomainEvent signal received (Suspend and
 *                                Resume alternately on the domain 'test'), median and p99
 *
 * The service is found on DBUS_SESSION_BUS_ADDRESS under BENCH_NAME (default org.libvirt).
 * Output lines are "name: value". */
#include <gio/gio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define TEST_PATH "/org/libvirt/Test"

static const char *
service_name(void)
{
    const char *name = g_getenv("BENCH_NAME");

    return name ? name : "org.libvirt";
}

static GDBusConnection *
bus_connect(void)
{
    g_autoptr(GError) error = NULL;
    GDBusConnection *bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &error);

    if (!bus)
        g_error("cannot connect to the bus: %s", error->message);
    return bus;
}

static GVariant *
call(GDBusConnection *bus, const char *dest, const char *path, const char *iface, const char *method,
     GVariant *args, GError **error)
{
    return g_dbus_connection_call_sync(bus, dest, path, iface, method, args, NULL, G_DBUS_CALL_FLAGS_NONE,
                                       30000, NULL, error);
}

static int
compare_doubles(gconstpointer a, gconstpointer b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double
percentile(GArray *samples, double p)
{
    guint index;

    g_array_sort(samples, compare_doubles);
    index = (guint)(p * (samples->len - 1) + 0.5);
    return g_array_index(samples, double, index);
}

static guint64
service_pid(GDBusConnection *bus)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = call(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                     "GetConnectionUnixProcessID", g_variant_new("(s)", service_name()), &error);
    guint32 pid = 0;

    if (reply)
        g_variant_get(reply, "(u)", &pid);
    return pid;
}

static guint64
rss_kib(guint64 pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%" G_GUINT64_FORMAT "/status", pid);
    g_autofree char *text = NULL;
    const char *line;

    if (!g_file_get_contents(path, &text, NULL, NULL) || !(line = strstr(text, "VmRSS:")))
        return 0;
    return g_ascii_strtoull(line + strlen("VmRSS:"), NULL, 10);
}

/* ---- startup ---- */

static gboolean
name_has_owner(GDBusConnection *bus)
{
    g_autoptr(GVariant) reply = call(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                     "NameHasOwner", g_variant_new("(s)", service_name()), NULL);
    gboolean owned = FALSE;

    if (reply)
        g_variant_get(reply, "(b)", &owned);
    return owned;
}

static void
on_owner_changed(GDBusConnection *bus, const char *sender, const char *path, const char *iface,
                 const char *signal, GVariant *params, gpointer user_data)
{
    const char *new_owner;

    g_variant_get(params, "(&s&s&s)", NULL, NULL, &new_owner);
    if (*new_owner)
        *(gboolean *)user_data = TRUE;
}

static double
time_one_start(GDBusConnection *bus, char **argv, GPid *pid_out)
{
    gboolean owned = FALSE;
    g_autoptr(GError) error = NULL;
    guint sub = g_dbus_connection_signal_subscribe(bus, "org.freedesktop.DBus", "org.freedesktop.DBus",
                                                   "NameOwnerChanged", "/org/freedesktop/DBus", service_name(),
                                                   G_DBUS_SIGNAL_FLAGS_NONE, on_owner_changed, &owned, NULL);
    gint64 start;

    g_dbus_connection_flush_sync(bus, NULL, NULL);
    /* the subscription is active once a round trip has passed */
    name_has_owner(bus);
    start = g_get_monotonic_time();
    if (!g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                       pid_out, &error))
        g_error("cannot start %s: %s", argv[0], error->message);
    while (!owned && g_get_monotonic_time() - start < 20 * G_USEC_PER_SEC)
        g_main_context_iteration(NULL, TRUE);
    g_dbus_connection_signal_unsubscribe(bus, sub);
    if (!owned)
        g_error("%s did not own %s within 20 s", argv[0], service_name());
    return (g_get_monotonic_time() - start) / 1000.0;
}

static void
stop_child(GPid pid)
{
    int status;

    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);
    g_spawn_close_pid(pid);
}

static int
bench_startup(int runs, char **argv)
{
    g_autoptr(GDBusConnection) bus = bus_connect();
    g_autoptr(GArray) samples = g_array_new(FALSE, FALSE, sizeof(double));
    GPid pid = 0;

    for (int i = 0; i < runs; i++) {
        double ms = time_one_start(bus, argv, &pid);
        g_array_append_val(samples, ms);
        if (i < runs - 1)
            stop_child(pid);
        while (i < runs - 1 && name_has_owner(bus))
            g_usleep(1000);
    }
    printf("startup_ms: %.2f\n", percentile(samples, 0.5));
    /* touch the service once, let it settle, then read its resident set */
    g_variant_unref(call(bus, service_name(), TEST_PATH, "org.freedesktop.DBus.Properties", "Get",
                         g_variant_new("(ss)", "org.libvirt.Connect", "Version"), NULL));
    g_usleep(300 * 1000);
    printf("idle_rss_kib: %" G_GUINT64_FORMAT "\n", rss_kib(service_pid(bus)));
    stop_child(pid);
    return 0;
}

/* ---- per-call latency ---- */

typedef struct {
    const char *label;
    const char *dest;        /* NULL: the service */
    const char *path;
    const char *iface;
    const char *method;
    GVariant *(*args)(guint i);
} BenchCall;

static char *domain_path;

static GVariant *args_none(guint i) { return NULL; }
static GVariant *args_version(guint i) { return g_variant_new("(ss)", "org.libvirt.Connect", "Version"); }
static GVariant *args_lookup(guint i) { return g_variant_new("(s)", "test"); }
static GVariant *args_flags(guint i) { return g_variant_new("(u)", 0); }
static GVariant *args_getall(guint i) { return g_variant_new("(s)", "org.libvirt.Domain"); }

static GVariant *
args_define(guint i)
{
    g_autofree char *xml = g_strdup_printf("<domain type='test'><name>bench-%u-%d</name><memory>131072</memory>"
                                           "<os><type>hvm</type></os></domain>", i, getpid());

    return g_variant_new("(s)", xml);
}

static void
measure(GDBusConnection *bus, const BenchCall *bc, guint n)
{
    g_autoptr(GArray) samples = g_array_sized_new(FALSE, FALSE, sizeof(double), n);
    const char *path = bc->path ? bc->path : domain_path;

    for (guint i = 0; i < n; i++) {
        g_autoptr(GError) error = NULL;
        gint64 start = g_get_monotonic_time();
        g_autoptr(GVariant) reply = call(bus, bc->dest ? bc->dest : service_name(), path, bc->iface, bc->method,
                                         bc->args(i), &error);
        double us = (double)(g_get_monotonic_time() - start);

        if (!reply)
            g_error("%s failed: %s", bc->label, error->message);
        g_array_append_val(samples, us);
    }
    printf("%s_median_us: %.1f\n", bc->label, percentile(samples, 0.5));
    printf("%s_p99_us: %.1f\n", bc->label, percentile(samples, 0.99));
}

static int
bench_calls(guint n)
{
    g_autoptr(GDBusConnection) bus = bus_connect();
    g_autoptr(GVariant) found = call(bus, service_name(), TEST_PATH, "org.libvirt.Connect", "DomainLookupByName",
                                     g_variant_new("(s)", "test"), NULL);
    const BenchCall calls[] = {
        { "bus_floor_getid", "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetId", args_none },
        { "get_version", NULL, TEST_PATH, "org.freedesktop.DBus.Properties", "Get", args_version },
        { "lookup_by_name", NULL, TEST_PATH, "org.libvirt.Connect", "DomainLookupByName", args_lookup },
        { "get_xml_desc", NULL, NULL, "org.libvirt.Domain", "GetXMLDesc", args_flags },
        { "getall_domain", NULL, NULL, "org.freedesktop.DBus.Properties", "GetAll", args_getall },
        { "define_xml", NULL, TEST_PATH, "org.libvirt.Connect", "DomainDefineXML", args_define },
    };

    if (!found)
        g_error("the service has no domain 'test'");
    g_variant_get(found, "(o)", &domain_path);
    for (gsize i = 0; i < G_N_ELEMENTS(calls); i++)
        measure(bus, &calls[i], n);
    g_free(domain_path);
    return 0;
}

/* ---- scale ---- */

static double
time_call_ms(GDBusConnection *bus, const char *iface, const char *method, GVariant *args, gsize *count)
{
    g_autoptr(GError) error = NULL;
    gint64 start = g_get_monotonic_time();
    g_autoptr(GVariant) reply = call(bus, service_name(), TEST_PATH, iface, method, args, &error);
    double ms = (g_get_monotonic_time() - start) / 1000.0;

    if (!reply) {
        *count = 0;
        return -1;
    }
    *count = g_variant_n_children(g_variant_get_child_value(reply, 0));
    return ms;
}

static int
bench_scale(guint count)
{
    g_autoptr(GDBusConnection) bus = bus_connect();
    gint64 start = g_get_monotonic_time();
    gsize listed = 0, managed = 0;
    double list_ms, objects_ms;

    for (guint i = 0; i < count; i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = call(bus, service_name(), TEST_PATH, "org.libvirt.Connect", "DomainDefineXML",
                                         args_define(i), &error);
        if (!reply)
            g_error("define %u failed: %s", i, error->message);
    }
    printf("scale_%u_define_us_each: %.1f\n", count, (g_get_monotonic_time() - start) / (double)count);
    list_ms = time_call_ms(bus, "org.libvirt.Connect", "ListDomains", g_variant_new("(u)", 0), &listed);
    printf("scale_%u_list_domains_ms: %.2f\n", count, list_ms);
    printf("scale_%u_listed: %zu\n", count, listed);
    /* before GetManagedObjects, which only virtbus has: both peers have done the same work here */
    printf("scale_%u_rss_kib: %" G_GUINT64_FORMAT "\n", count, rss_kib(service_pid(bus)));
    objects_ms = time_call_ms(bus, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", NULL, &managed);
    if (objects_ms >= 0)
        printf("scale_%u_get_managed_objects_ms: %.2f\n", count, objects_ms);
    return 0;
}

/* ---- throughput ---- */

typedef struct {
    gint64 deadline;
    guint calls;
    guint errors;
} Worker;

static gpointer
throughput_worker(gpointer data)
{
    Worker *w = data;
    g_autoptr(GError) error = NULL;
    g_autofree char *address = g_dbus_address_get_for_bus_sync(G_BUS_TYPE_SESSION, NULL, NULL);
    g_autoptr(GDBusConnection) bus = g_dbus_connection_new_for_address_sync(
        address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
        NULL, NULL, &error);
    g_autofree char *path = NULL;

    if (!bus)
        g_error("worker cannot connect: %s", error->message);
    for (guint i = 0; g_get_monotonic_time() < w->deadline; i++) {
        g_autoptr(GError) call_error = NULL;
        g_autoptr(GVariant) reply = NULL;

        switch (i % 4) {
        case 0:
            reply = call(bus, service_name(), TEST_PATH, "org.libvirt.Connect", "DomainLookupByName",
                         g_variant_new("(s)", "test"), &call_error);
            if (reply && !path)
                g_variant_get(reply, "(o)", &path);
            break;
        case 1:
            reply = call(bus, service_name(), TEST_PATH, "org.libvirt.Connect", "ListDomains",
                         g_variant_new("(u)", 0), &call_error);
            break;
        case 2:
            reply = call(bus, service_name(), path ? path : TEST_PATH, path ? "org.libvirt.Domain" : "org.libvirt.Connect",
                         path ? "GetXMLDesc" : "GetCapabilities", path ? g_variant_new("(u)", 0) : NULL, &call_error);
            break;
        default:
            reply = call(bus, service_name(), TEST_PATH, "org.freedesktop.DBus.Properties", "Get",
                         g_variant_new("(ss)", "org.libvirt.Connect", "LibVersion"), &call_error);
        }
        w->calls++;
        w->errors += reply == NULL;
    }
    return NULL;
}

static int
bench_throughput(guint clients, guint seconds)
{
    g_autofree Worker *workers = g_new0(Worker, clients);
    g_autofree GThread **threads = g_new0(GThread *, clients);
    gint64 deadline = g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC;
    guint calls = 0, errors = 0;

    for (guint i = 0; i < clients; i++) {
        workers[i].deadline = deadline;
        threads[i] = g_thread_new("bench", throughput_worker, &workers[i]);
    }
    for (guint i = 0; i < clients; i++) {
        g_thread_join(threads[i]);
        calls += workers[i].calls;
        errors += workers[i].errors;
    }
    printf("throughput_calls_per_s: %.0f\n", calls / (double)seconds);
    printf("throughput_errors: %u\n", errors);
    return errors ? 1 : 0;
}

/* ---- events ---- */

typedef struct {
    GMutex lock;
    GCond arrived;
    gint64 at;          /* monotonic time the last DomainEvent reached this process */
    guint count;
} EventClock;

/* Runs in GDBus's worker thread as the message arrives, before any main-context dispatch. */
static GDBusMessage *
stamp_domain_event(GDBusConnection *bus, GDBusMessage *message, gboolean incoming, gpointer user_data)
{
    EventClock *clock = user_data;

    if (incoming && g_dbus_message_get_message_type(message) == G_DBUS_MESSAGE_TYPE_SIGNAL &&
        g_strcmp0(g_dbus_message_get_member(message), "DomainEvent") == 0) {
        g_mutex_lock(&clock->lock);
        clock->at = g_get_monotonic_time();
        clock->count++;
        g_cond_signal(&clock->arrived);
        g_mutex_unlock(&clock->lock);
    }
    return message;
}

static void
ignore_signal(GDBusConnection *bus, const char *sender, const char *path, const char *iface, const char *member,
              GVariant *params, gpointer user_data)
{
}

static double
time_one_event(GDBusConnection *bus, EventClock *clock, const char *path, const char *method)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = NULL;
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    gint64 start;
    guint before;

    g_mutex_lock(&clock->lock);
    before = clock->count;
    g_mutex_unlock(&clock->lock);
    start = g_get_monotonic_time();
    reply = call(bus, service_name(), path, "org.libvirt.Domain", method, NULL, &error);
    if (!reply)
        g_error("%s failed: %s", method, error->message);
    g_mutex_lock(&clock->lock);
    while (clock->count == before)
        if (!g_cond_wait_until(&clock->arrived, &clock->lock, deadline))
            g_error("no DomainEvent within 5 s after %s", method);
    g_mutex_unlock(&clock->lock);
    return (double)(clock->at - start);
}

static int
bench_events(guint n)
{
    g_autoptr(GDBusConnection) bus = bus_connect();
    g_autoptr(GArray) samples = g_array_sized_new(FALSE, FALSE, sizeof(double), n);
    g_autoptr(GVariant) found = call(bus, service_name(), TEST_PATH, "org.libvirt.Connect", "DomainLookupByName",
                                     g_variant_new("(s)", "test"), NULL);
    g_autofree char *path = NULL;
    EventClock clock = { 0 };
    guint filter, match;

    if (!found)
        g_error("the service has no domain 'test'");
    g_variant_get(found, "(o)", &path);
    g_mutex_init(&clock.lock);
    g_cond_init(&clock.arrived);
    filter = g_dbus_connection_add_filter(bus, stamp_domain_event, &clock, NULL);
    /* the match rule makes the bus route the signals to us; the filter does the timing */
    match = g_dbus_connection_signal_subscribe(bus, NULL, "org.libvirt.Connect", "DomainEvent", TEST_PATH, NULL,
                                               G_DBUS_SIGNAL_FLAGS_NONE, ignore_signal, NULL, NULL);
    for (guint i = 0; i < n; i++) {
        double us = time_one_event(bus, &clock, path, i % 2 ? "Resume" : "Suspend");
        g_array_append_val(samples, us);
    }
    if (n % 2)
        time_one_event(bus, &clock, path, "Resume");
    g_dbus_connection_signal_unsubscribe(bus, match);
    g_dbus_connection_remove_filter(bus, filter);
    printf("event_latency_median_us: %.1f\n", percentile(samples, 0.5));
    printf("event_latency_p99_us: %.1f\n", percentile(samples, 0.99));
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc >= 5 && g_str_equal(argv[1], "startup") && g_str_equal(argv[3], "--"))
        return bench_startup(atoi(argv[2]), argv + 4);
    if (argc == 3 && g_str_equal(argv[1], "calls"))
        return bench_calls((guint)atoi(argv[2]));
    if (argc == 3 && g_str_equal(argv[1], "scale"))
        return bench_scale((guint)atoi(argv[2]));
    if (argc == 3 && g_str_equal(argv[1], "events"))
        return bench_events((guint)atoi(argv[2]));
    if (argc == 4 && g_str_equal(argv[1], "throughput"))
        return bench_throughput((guint)atoi(argv[2]), (guint)atoi(argv[3]));
    fprintf(stderr, "usage: bench startup N -- CMD... | calls N | scale COUNT | throughput CLIENTS SECONDS | events N\n");
    return 2;
}
