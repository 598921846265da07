/* test-capabilities: the host capabilities builder on recorded /sys and /proc trees.
 *
 * Each directory tests/data/host/<case>/ is a host root; the <host> built from it must equal
 * tests/data/host/<case>.xml. VIRTBUS_REGENERATE_OUTPUT=1 rewrites the expected files for
 * review. */
#include <glib.h>
#include <string.h>

#include "conf/capabilities_conf.h"
#include "conf/cpu_conf.h"

static gboolean
regenerate(void)
{
    return g_strcmp0(g_getenv("VIRTBUS_REGENERATE_OUTPUT"), "1") == 0;
}

static char *
host_xml(const char *root)
{
    g_autoptr(GError) error = NULL;
    char *xml = vb_capabilities_host_format(root, 2, &error);

    g_assert_no_error(error);
    g_assert_nonnull(xml);
    return xml;
}

/* The output is a document our own parsers read back: the XML is well formed and its host
 * CPU, when it names a model, is identical to itself. */
static void
check_host_cpu_usable(const char *host)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *caps = g_strdup_printf("<capabilities>\n%s</capabilities>\n", host);
    const VbCpuDb *db = vb_cpu_db_default(&error);
    VbCpuDef cpu;

    g_assert_no_error(error);
    vb_cpu_def_init(&cpu);
    if (!vb_cpu_def_parse_xml(caps, &cpu, NULL, &error))
        g_error("%s\n%s", error->message, caps);
    if (cpu.model)
        g_assert_cmpint(vb_cpu_compare_xml(db, &cpu, caps, VB_CPU_COMPARE_FAIL_INCOMPATIBLE, &error), ==,
                        VB_CPU_COMPARE_IDENTICAL);
    g_assert_no_error(error);
    vb_cpu_def_clear(&cpu);
}

static void
run_case(gconstpointer data)
{
    const char *root = data;
    g_autofree char *expected_path = g_strconcat(root, ".xml", NULL);
    g_autofree char *expected = NULL;
    g_autofree char *actual = host_xml(root);

    check_host_cpu_usable(actual);
    if (regenerate()) {
        g_assert_true(g_file_set_contents(expected_path, actual, -1, NULL));
        return;
    }
    if (!g_file_get_contents(expected_path, &expected, NULL, NULL))
        g_error("%s is missing; run with VIRTBUS_REGENERATE_OUTPUT=1 to create it", expected_path);
    g_assert_cmpstr(actual, ==, expected);
}

/* This machine: whatever it is, the builder reads it without error. */
static void
test_this_host(void)
{
    g_autofree char *xml = host_xml("/");

    g_assert_true(g_str_has_prefix(xml, "  <host>\n"));
    g_assert_nonnull(strstr(xml, "    <cpu>\n      <arch>"));
    g_assert_nonnull(strstr(xml, "<pages unit='KiB' size='"));
    g_assert_nonnull(strstr(xml, "<iommu support='"));
    check_host_cpu_usable(xml);
}

/* A root that does not exist is a host we know nothing about, not an error. */
static void
test_missing_root(void)
{
    g_autofree char *xml = host_xml("/nonexistent/virtbus-host-root");

    g_assert_cmpstr(xml, ==,
                    "  <host>\n"
                    "    <cpu>\n"
                    "      <pages unit='KiB' size='4'/>\n"
                    "    </cpu>\n"
                    "    <power_management/>\n"
                    "    <iommu support='no'/>\n"
                    "    <migration_features>\n"
                    "      <live/>\n"
                    "      <uri_transports>\n"
                    "        <uri_transport>tcp</uri_transport>\n"
                    "        <uri_transport>rdma</uri_transport>\n"
                    "      </uri_transports>\n"
                    "    </migration_features>\n"
                    "  </host>\n");
}

static gint
compare_paths(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

int
main(int argc, char **argv)
{
    const char *conf_data = g_getenv("VIRTBUS_TEST_DATA");
    g_autofree char *dir = NULL;
    g_autoptr(GDir) gdir = NULL;
    g_autoptr(GPtrArray) cases = g_ptr_array_new_with_free_func(g_free);
    const char *entry;

    g_test_init(&argc, &argv, NULL);
    /* tests/data/conf -> tests/data/host */
    dir = g_build_filename(conf_data ? conf_data : "tests/data/conf", "..", "host", NULL);
    gdir = g_dir_open(dir, 0, NULL);
    g_assert_nonnull(gdir);
    while ((entry = g_dir_read_name(gdir))) {
        g_autofree char *path = g_build_filename(dir, entry, NULL);
        if (g_file_test(path, G_FILE_TEST_IS_DIR))
            g_ptr_array_add(cases, g_steal_pointer(&path));
    }
    g_ptr_array_sort(cases, compare_paths);
    for (guint i = 0; i < cases->len; i++) {
        const char *root = g_ptr_array_index(cases, i);
        g_autofree char *name = g_path_get_basename(root);
        g_autofree char *test_path = g_strdup_printf("/capabilities/host/%s", name);
        g_test_add_data_func(test_path, root, run_case);
    }
    g_test_add_func("/capabilities/this-host", test_this_host);
    g_test_add_func("/capabilities/missing-root", test_missing_root);
    return g_test_run();
}
