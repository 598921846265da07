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
 *   bench qemu-cycle NAME SERIAL one round on the shut off QEMU guest NAME (tests/bench/qemu.sh):
 *                                Create -> reply and -> READY in SERIAL, Shutdown -> STOPPED,
 *                                Destroy (of the guest started paused)
 *   bench qemu-start NAME        Create -> reply, then Destroy
 *   bench qemu-rss NAME...       the service's RSS with these guests started paused
 *   bench qemu-bare LOG DIR      the floor: QEMU run by hand with the argv logged in LOG (monitor
 *                                and serial log moved into DIR), exec -> QMP cont done, -> READY
 *   bench wait-serial SERIAL SINCE_US   READY in SERIAL, ms since SINCE_US (real-time clock)
 *   bench reaper PIDFILE -- CMD...      CMD below a child subreaper that reaps orphans at once
 *
 * The service is found on DBUS_SESSION_BUS_ADDRESS under BENCH_NAME (default org.libvirt).
 * Output lines are "name: value". */
#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
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

/* ---- QEMU guests on /org/libvirt/QEMU, and QEMU by hand as the floor ---- */

#define QEMU_PATH "/org/libvirt/QEMU"
#define READY_LINE "TEST-GUEST READY"
#define BOOT_TIMEOUT_S 180
#define READY_POLL_US 2000
#define EVENT_STOPPED 5          /* VIR_DOMAIN_EVENT_STOPPED */
#define START_PAUSED 1           /* VIR_DOMAIN_START_PAUSED */

static gboolean
file_contains(const char *path, const char *text)
{
    g_autofree char *contents = NULL;
    gsize len = 0;

    return g_file_get_contents(path, &contents, &len, NULL) && memmem(contents, len, text, strlen(text));
}

/* Polls the serial log until the guest's READY line is in it; the ms since START on NOW's clock. */
static double
wait_ready(const char *serial, gint64 (*now)(void), gint64 start)
{
    while (!file_contains(serial, READY_LINE)) {
        if (now() - start > BOOT_TIMEOUT_S * G_USEC_PER_SEC)
            g_error("no '%s' in %s within %d s", READY_LINE, serial, BOOT_TIMEOUT_S);
        g_usleep(READY_POLL_US);
    }
    return (now() - start) / 1000.0;
}

static char *
qemu_domain_path(GDBusConnection *bus, const char *name)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = call(bus, service_name(), QEMU_PATH, "org.libvirt.Connect", "DomainLookupByName",
                                     g_variant_new("(s)", name), &error);
    char *path;

    if (!reply)
        g_error("no QEMU domain %s: %s", name, error->message);
    g_variant_get(reply, "(o)", &path);
    return path;
}

static double
time_domain_call(GDBusConnection *bus, const char *path, const char *method, GVariant *args)
{
    g_autoptr(GError) error = NULL;
    gint64 start = g_get_monotonic_time();
    g_autoptr(GVariant) reply = call(bus, service_name(), path, "org.libvirt.Domain", method, args, &error);

    if (!reply)
        g_error("%s failed: %s", method, error->message);
    return (g_get_monotonic_time() - start) / 1000.0;
}

typedef struct {
    const char *path;
    gint64 stopped_at;
} StopWatch;

static void
on_domain_event(GDBusConnection *bus, const char *sender, const char *object, const char *iface,
                const char *member, GVariant *params, gpointer user_data)
{
    StopWatch *watch = user_data;
    const char *domain;
    gint32 event;

    g_variant_get(params, "(&oii)", &domain, &event, NULL);
    if (event == EVENT_STOPPED && g_str_equal(domain, watch->path) && !watch->stopped_at)
        watch->stopped_at = g_get_monotonic_time();
}

static gboolean
keep_going(gpointer data)
{
    return G_SOURCE_CONTINUE;
}

/* Shutdown call -> the domain's DomainEvent STOPPED received (the guest powers off on ACPI). */
static double
time_shutdown(GDBusConnection *bus, const char *path)
{
    StopWatch watch = { path, 0 };
    guint sub = g_dbus_connection_signal_subscribe(bus, NULL, "org.libvirt.Connect", "DomainEvent", QEMU_PATH, NULL,
                                                   G_DBUS_SIGNAL_FLAGS_NONE, on_domain_event, &watch, NULL);
    guint tick = g_timeout_add(100, keep_going, NULL);
    gint64 start = g_get_monotonic_time();

    time_domain_call(bus, path, "Shutdown", g_variant_new("(u)", 0));
    while (!watch.stopped_at && g_get_monotonic_time() - start < BOOT_TIMEOUT_S * G_USEC_PER_SEC)
        g_main_context_iteration(NULL, TRUE);
    g_source_remove(tick);
    g_dbus_connection_signal_unsubscribe(bus, sub);
    if (!watch.stopped_at)
        g_error("no STOPPED event within %d s after Shutdown", BOOT_TIMEOUT_S);
    return (watch.stopped_at - start) / 1000.0;
}

/* One round on a defined, shut off guest: Create -> reply and -> READY, Shutdown -> STOPPED, and
 * Destroy of a guest started paused (the same SIGTERM, without a second boot's CPU cost). */
static int
bench_qemu_cycle(const char *name, const char *serial)
{
    g_autoptr(GDBusConnection) bus = bus_connect();
    g_autofree char *path = qemu_domain_path(bus, name);
    double reply_ms, ready_ms, shutdown_ms, destroy_ms;
    gint64 start;

    g_unlink(serial);
    start = g_get_monotonic_time();
    reply_ms = time_domain_call(bus, path, "Create", g_variant_new("(u)", 0));
    ready_ms = wait_ready(serial, g_get_monotonic_time, start);
    shutdown_ms = time_shutdown(bus, path);
    time_domain_call(bus, path, "Create", g_variant_new("(u)", START_PAUSED));
    destroy_ms = time_domain_call(bus, path, "Destroy", g_variant_new("(u)", 0));
    printf("create_reply_ms: %.2f\n", reply_ms);
    printf("create_ready_ms: %.2f\n", ready_ms);
    printf("shutdown_ms: %.2f\n", shutdown_ms);
    printf("destroy_ms: %.2f\n", destroy_ms);
    return 0;
}

/* Create -> reply only (a KVM guest that never finishes booting here), then Destroy. */
static int
bench_qemu_start(const char *name)
{
    g_autoptr(GDBusConnection) bus = bus_connect();
    g_autofree char *path = qemu_domain_path(bus, name);

    printf("create_reply_ms: %.2f\n", time_domain_call(bus, path, "Create", g_variant_new("(u)", 0)));
    time_domain_call(bus, path, "Destroy", g_variant_new("(u)", 0));
    return 0;
}

/* The service's resident set with the named guests all started paused. */
static int
bench_qemu_rss(int count, char **names)
{
    g_autoptr(GDBusConnection) bus = bus_connect();
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);

    for (int i = 0; i < count; i++) {
        g_ptr_array_add(paths, qemu_domain_path(bus, names[i]));
        time_domain_call(bus, g_ptr_array_index(paths, i), "Create", g_variant_new("(u)", START_PAUSED));
    }
    g_usleep(300 * 1000);
    printf("rss_%d_guests_kib: %" G_GUINT64_FORMAT "\n", count, rss_kib(service_pid(bus)));
    for (guint i = 0; i < paths->len; i++)
        time_domain_call(bus, g_ptr_array_index(paths, i), "Destroy", g_variant_new("(u)", 0));
    return 0;
}

/* The last command line in a QEMU log written by virtbusd: "<time>: starting up", then the
 * environment and the argv as shell words, lines joined by " \". */
static void
read_logged_command(const char *log, GStrv *envp, GStrv *argv)
{
    g_autofree char *contents = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GString) command = g_string_new(NULL);
    g_auto(GStrv) words = NULL;
    g_autoptr(GStrvBuilder) env = g_strv_builder_new();
    const char *header, *line;
    guint i = 0;

    if (!g_file_get_contents(log, &contents, NULL, &error))
        g_error("%s", error->message);
    if (!(header = g_strrstr(contents, ": starting up\n")))
        g_error("no 'starting up' header in %s", log);
    for (line = strchr(header, '\n') + 1; *line;) {
        const char *end = strchrnul(line, '\n');
        gboolean continued = end - line >= 2 && g_str_has_prefix(end - 2, " \\");

        g_string_append_len(command, line, continued ? end - line - 2 : end - line);
        g_string_append_c(command, ' ');
        line = *end ? end + 1 : end;
        if (!continued)
            break;
    }
    if (!g_shell_parse_argv(command->str, NULL, &words, &error))
        g_error("cannot parse the command in %s: %s", log, error->message);
    for (; words[i] && words[i][0] != '/' && strchr(words[i], '='); i++)
        g_strv_builder_add(env, words[i]);
    *envp = g_strv_builder_end(env);
    *argv = g_strdupv(words + i);
}

/* Points the chardev whose option string starts with PREFIX (e.g. "socket,id=charmonitor,") at PATH;
 * a socket virtbusd passed to QEMU as "fd=N" becomes "path=PATH" for QEMU to create. */
static void
redirect_chardev(GStrv argv, const char *prefix, const char *path)
{
    for (guint i = 0; argv[i]; i++) {
        const char *at = strstr(argv[i], ",path=");

        if (!at)
            at = strstr(argv[i], ",fd=");

        if (g_str_has_prefix(argv[i], prefix) && at) {
            char *moved = g_strdup_printf("%.*s,path=%s%s", (int)(at - argv[i]), argv[i], path,
                                          strchrnul(at + 1, ','));

            g_free(argv[i]);
            argv[i] = moved;
            return;
        }
    }
    g_error("no chardev '%s' in the logged command", prefix);
}

static GSocketConnection *
qmp_connect(const char *path)
{
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_autoptr(GSocketAddress) address = g_unix_socket_address_new(path);
    gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;

    for (;;) {
        g_autoptr(GError) error = NULL;
        GSocketConnection *connection = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(address), NULL, &error);

        if (connection)
            return connection;
        if (g_get_monotonic_time() > deadline)
            g_error("cannot connect to QMP at %s: %s", path, error->message);
        g_usleep(1000);
    }
}

/* Sends one QMP command and reads lines up to its reply, skipping events and the greeting. */
static void
qmp_execute(GSocketConnection *connection, GDataInputStream *in, const char *command)
{
    g_autofree char *request = g_strdup_printf("{\"execute\":\"%s\"}\n", command);
    GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(connection));
    g_autoptr(GError) error = NULL;

    if (!g_output_stream_write_all(out, request, strlen(request), NULL, NULL, &error))
        g_error("QMP %s: %s", command, error->message);
    for (;;) {
        g_autofree char *line = g_data_input_stream_read_line(in, NULL, NULL, &error);

        if (!line)
            g_error("QMP %s: %s", command, error ? error->message : "the monitor closed");
        if (g_str_has_prefix(line, "{\"error\""))
            g_error("QMP %s: %s", command, line);
        if (g_str_has_prefix(line, "{\"return\""))
            return;
    }
}

/* The floor: the argv virtbusd logged, started by hand with its monitor socket and serial log moved
 * into DIR; exec -> QMP cont answered (what Create -> reply cannot beat), and exec -> READY; then
 * quit. DIR/bare.pid names the QEMU while it runs. */
static int
bench_qemu_bare(const char *log, const char *dir)
{
    g_auto(GStrv) envp = NULL;
    g_auto(GStrv) argv = NULL;
    g_autofree char *monitor = g_build_filename(dir, "bare.monitor", NULL);
    g_autofree char *serial = g_build_filename(dir, "bare.serial", NULL);
    g_autofree char *pidfile = g_build_filename(dir, "bare.pid", NULL);
    g_autofree char *pid_text = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GSocketConnection) connection = NULL;
    g_autoptr(GDataInputStream) in = NULL;
    GPid pid;
    gint64 start;
    double cont_ms, ready_ms;
    int status;

    read_logged_command(log, &envp, &argv);
    redirect_chardev(argv, "socket,id=charmonitor,", monitor);
    redirect_chardev(argv, "file,id=charserial0,", serial);
    g_unlink(monitor);
    g_unlink(serial);
    start = g_get_monotonic_time();
    if (!g_spawn_async(NULL, argv, envp, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL |
                       G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &pid, &error))
        g_error("cannot start %s: %s", argv[0], error->message);
    pid_text = g_strdup_printf("%d\n", (int)pid);
    g_file_set_contents(pidfile, pid_text, -1, NULL);
    connection = qmp_connect(monitor);
    in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(connection)));
    qmp_execute(connection, in, "qmp_capabilities");
    qmp_execute(connection, in, "cont");
    cont_ms = (g_get_monotonic_time() - start) / 1000.0;
    ready_ms = wait_ready(serial, g_get_monotonic_time, start);
    qmp_execute(connection, in, "quit");
    waitpid(pid, &status, 0);
    g_spawn_close_pid(pid);
    g_unlink(pidfile);
    g_unlink(monitor);
    printf("cont_ms: %.2f\n", cont_ms);
    printf("ready_ms: %.2f\n", ready_ms);
    return 0;
}

/* For clients timed by a script: READY in SERIAL, in ms since SINCE_US on the real-time clock. */
static int
bench_wait_serial(const char *serial, const char *since_us)
{
    printf("%.2f\n", wait_ready(serial, g_get_real_time, g_ascii_strtoll(since_us, NULL, 10)));
    return 0;
}

/* Runs CMD as a child subreaper: orphans below it (a daemonized QEMU) are reaped at once, as a
 * normal init does; some sandboxes' PID 1 reaps late, which a client polling kill(pid, 0) waits
 * for. The child's pid goes to PIDFILE; returns the child's exit status. */
static int
bench_reaper(const char *pidfile, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *pid_text = NULL;
    GPid child;
    int status = 0;

    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        g_error("PR_SET_CHILD_SUBREAPER: %s", g_strerror(errno));
    if (!g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH |
                       G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL, &child, &error))
        g_error("cannot start %s: %s", argv[0], error->message);
    pid_text = g_strdup_printf("%d\n", (int)child);
    g_file_set_contents(pidfile, pid_text, -1, NULL);
    for (;;) {
        int one;
        pid_t done = waitpid(-1, &one, 0);

        if (done == child)
            status = WIFEXITED(one) ? WEXITSTATUS(one) : 1;
        else if (done < 0 && errno != EINTR)
            return status;
    }
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
    if (argc == 4 && g_str_equal(argv[1], "qemu-cycle"))
        return bench_qemu_cycle(argv[2], argv[3]);
    if (argc == 3 && g_str_equal(argv[1], "qemu-start"))
        return bench_qemu_start(argv[2]);
    if (argc >= 3 && g_str_equal(argv[1], "qemu-rss"))
        return bench_qemu_rss(argc - 2, argv + 2);
    if (argc == 4 && g_str_equal(argv[1], "qemu-bare"))
        return bench_qemu_bare(argv[2], argv[3]);
    if (argc == 4 && g_str_equal(argv[1], "wait-serial"))
        return bench_wait_serial(argv[2], argv[3]);
    if (argc >= 5 && g_str_equal(argv[1], "reaper") && g_str_equal(argv[3], "--"))
        return bench_reaper(argv[2], argv + 4);
    fprintf(stderr, "usage: bench startup N -- CMD... | calls N | scale COUNT | throughput CLIENTS SECONDS | events N\n"
                    "       | qemu-cycle NAME SERIAL | qemu-start NAME | qemu-rss NAME... | qemu-bare LOG DIR\n"
                    "       | wait-serial SERIAL SINCE_REALTIME_US | reaper PIDFILE -- CMD...\n");
    return 2;
}
