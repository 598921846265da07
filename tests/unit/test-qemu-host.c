/* test-qemu-host: host facts of a qemu:///session connection through the driver's vtable,
 * checked against this machine's /proc and /sys read here independently, and the QEMU probes
 * (answered asynchronously, or waited for when asked too early). Skipped without QEMU. */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "drivers/qemu/qemu_private.h"

static gboolean
have_qemu(void)
{
    if (g_file_test(QEMU_HOST_EMULATOR, G_FILE_TEST_IS_EXECUTABLE))
        return TRUE;
    g_test_skip("no " QEMU_HOST_EMULATOR);
    return FALSE;
}

static VbConn *
open_session(void)
{
    g_autoptr(GError) error = NULL;
    VbConn *conn = vb_conn_open(&vb_qemu_driver, "qemu:///session", &error);

    g_assert_no_error(error);
    return conn;
}

/* Number of CPUs in a kernel list such as "0-3,6". */
static guint
count_cpu_list(const char *path)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) parts = NULL;
    guint count = 0;

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    parts = g_strsplit(g_strstrip(text), ",", -1);
    for (guint i = 0; parts[i]; i++) {
        guint lo, hi;
        int n = sscanf(parts[i], "%u-%u", &lo, &hi);
        if (n >= 1)
            count += n == 2 ? hi - lo + 1 : 1;
    }
    return count;
}

static guint64
mem_total_kib(void)
{
    g_autofree char *text = NULL;
    const char *line;
    guint64 kib = 0;

    g_assert_true(g_file_get_contents("/proc/meminfo", &text, NULL, NULL));
    line = strstr(text, "MemTotal:");
    g_assert_nonnull(line);
    g_assert_cmpint(sscanf(line, "MemTotal: %" G_GUINT64_FORMAT, &kib), ==, 1);
    return kib;
}

static gboolean
is_cpu_mhz(guint mhz)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;

    g_assert_true(g_file_get_contents("/proc/cpuinfo", &text, NULL, NULL));
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        double value;
        if (sscanf(lines[i], "cpu MHz : %lf", &value) == 1 && (guint)value == mhz)
            return TRUE;
    }
    return FALSE;
}

static guint64
qemu_version_by_hand(void)
{
    const char *argv[] = { QEMU_HOST_EMULATOR, "--version", NULL };
    g_autofree char *out = NULL;
    guint major, minor, micro;

    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
                               NULL, NULL));
    g_assert_cmpint(sscanf(strstr(out, "version "), "version %u.%u.%u", &major, &minor, &micro), ==, 3);
    return major * 1000000ull + minor * 1000ull + micro;
}

static void
test_node_info(void)
{
    g_autoptr(VbConn) conn = NULL;
    g_autoptr(GError) error = NULL;
    guint online, present;
    struct utsname name;
    VbNodeInfo info;

    if (!have_qemu())
        return;
    conn = open_session();
    g_assert_true(vb_qemu_driver.node_get_info(conn, &info, &error));
    g_assert_no_error(error);
    g_assert_cmpint(uname(&name), ==, 0);
    g_assert_cmpstr(info.model, ==, name.machine);
    g_assert_cmpuint(info.memory_kib, ==, mem_total_kib());
    online = count_cpu_list("/sys/devices/system/cpu/online");
    present = count_cpu_list("/sys/devices/system/cpu/present");
    g_assert_cmpuint(info.cpus, ==, online);
    g_assert_true(info.mhz == 0 || is_cpu_mhz(info.mhz));
    /* libvirt's rule: the topology multiplies up to the present CPUs, or is reported flat */
    g_assert_cmpuint(info.nodes * info.sockets * info.cores * info.threads, ==, present);
    g_assert_cmpuint(info.threads, >=, 1);
}

static char *
recorded_host(const char *name)
{
    const char *conf_data = g_getenv("VIRTBUS_TEST_DATA");

    /* tests/data/conf -> tests/data/host */
    return g_build_filename(conf_data ? conf_data : "tests/data/conf", "..", "host", name, NULL);
}

/* libvirt's counting on recorded trees: per node sockets, cores and threads, offline CPUs
 * included in the check that the topology multiplies up. */
static void
test_topology_of_recorded_hosts(void)
{
    static const struct {
        const char *name;
        VbNodeInfo expected;
    } cases[] = {
        /* 2 nodes of 1 socket, 2 cores, 2 threads; CPU 7 offline */
        { "numa-2node-smt-hugepages", { .cpus = 7, .mhz = 2994, .nodes = 2, .sockets = 1, .cores = 2, .threads = 2 } },
        { "this-machine-2cpu", { .cpus = 2, .mhz = 2599, .nodes = 1, .sockets = 1, .cores = 2, .threads = 1 } },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *root = recorded_host(cases[i].name);
        g_autoptr(GError) error = NULL;
        VbNodeInfo info = { 0 };

        g_assert_true(qemu_host_cpu_topology_at(root, &info, &error));
        g_assert_no_error(error);
        g_assert_cmpuint(info.cpus, ==, cases[i].expected.cpus);
        g_assert_cmpuint(info.mhz, ==, cases[i].expected.mhz);
        g_assert_cmpuint(info.nodes, ==, cases[i].expected.nodes);
        g_assert_cmpuint(info.sockets, ==, cases[i].expected.sockets);
        g_assert_cmpuint(info.cores, ==, cases[i].expected.cores);
        g_assert_cmpuint(info.threads, ==, cases[i].expected.threads);
    }
}

/* A host without an online CPU list is an error, as in libvirt. */
static void
test_topology_needs_the_online_list(void)
{
    g_autofree char *root = recorded_host("i686-no-numa");
    g_autoptr(GError) error = NULL;
    VbNodeInfo info = { 0 };

    g_assert_false(qemu_host_cpu_topology_at(root, &info, &error));
    g_assert_error(error, VB_ERROR, VB_ERR_SYSTEM_ERROR);
}

/* Asked right after open, the version comes from a synchronous run. */
static void
test_version_before_the_probe_answered(void)
{
    g_autoptr(VbConn) conn = NULL;
    g_autoptr(GError) error = NULL;
    guint64 version = 0;

    if (!have_qemu())
        return;
    conn = open_session();
    g_assert_true(vb_qemu_driver.get_version(conn, &version, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(version, ==, qemu_version_by_hand());
}

/* Left to the main loop, the probes answer by themselves. */
static void
test_probes_answer_asynchronously(void)
{
    g_autoptr(VbConn) conn = NULL;
    g_autoptr(GError) error = NULL;
    GPtrArray *machines;
    guint64 version = 0;
    gboolean pc = FALSE;

    if (!have_qemu())
        return;
    conn = open_session();
    while (!qemu_host_probes_done(conn))
        g_main_context_iteration(NULL, TRUE);
    g_assert_true(vb_qemu_driver.get_version(conn, &version, &error));
    g_assert_cmpuint(version, ==, qemu_version_by_hand());
    machines = qemu_host_machines(conn, &error);
    g_assert_no_error(error);
    for (guint i = 0; i < machines->len; i++)
        pc |= g_strcmp0(((QemuMachine *)g_ptr_array_index(machines, i))->alias, "pc") == 0;
    g_assert_true(pc);
    g_assert_true(g_hash_table_contains(qemu_host_cpu_models(conn, &error), "qemu64"));
}

/* Closing while QEMU still answers kills it; the late callbacks find nothing freed. */
static void
test_close_while_probing(void)
{
    VbConn *conn;
    g_autoptr(VbConn) other = NULL;

    if (!have_qemu())
        return;
    conn = open_session();
    vb_conn_free(conn);
    other = open_session();
    while (!qemu_host_probes_done(other))
        g_main_context_iteration(NULL, TRUE);
    while (g_main_context_iteration(NULL, FALSE))
        ;
}

static void
remove_tree(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *child = g_build_filename(path, name, NULL);
        remove_tree(child);
    }
    g_remove(path);
}

int
main(int argc, char **argv)
{
    g_autofree char *home = g_dir_make_tmp("test-qemu-host-XXXXXX", NULL);
    int ret;

    /* the session connection's directories, set before GLib reads them
     * (G_TEST_OPTION_ISOLATE_DIRS would do it but leaks under ASan) */
    g_assert_nonnull(home);
    g_setenv("XDG_CONFIG_HOME", home, TRUE);
    g_setenv("XDG_RUNTIME_DIR", home, TRUE);
    g_setenv("XDG_CACHE_HOME", home, TRUE);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qemu-host/node-info", test_node_info);
    g_test_add_func("/qemu-host/topology-of-recorded-hosts", test_topology_of_recorded_hosts);
    g_test_add_func("/qemu-host/topology-needs-the-online-list", test_topology_needs_the_online_list);
    g_test_add_func("/qemu-host/version-before-the-probe-answered", test_version_before_the_probe_answered);
    g_test_add_func("/qemu-host/probes-answer-asynchronously", test_probes_answer_asynchronously);
    g_test_add_func("/qemu-host/close-while-probing", test_close_while_probing);
    ret = g_test_run();
    remove_tree(home);
    return ret;
}
