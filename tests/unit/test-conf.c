/* test-conf: data-driven XML round trips for every conf/ kind.
 *
 * tests/data/conf/<kind>/<case>.xml is parsed and formatted again; the result must equal
 * <case>.out.xml when it exists, else the input itself. A case named bad-<x>.xml must fail
 * to parse with a message containing the text of bad-<x>.err.
 * VIRTBUS_REGENERATE_OUTPUT=1 rewrites the expected files for review. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "conf/domain_conf.h"
#include "conf/network_conf.h"
#include "conf/nodedev_conf.h"
#include "conf/storage_conf.h"
#include "conf/secret_conf.h"
#include "conf/interface_conf.h"
#include "conf/nwfilter_conf.h"
#include "conf/snapshot_conf.h"

typedef struct {
    const char *kind;
    gpointer (*parse)(const char *xml, GError **error);
    char *(*format)(gconstpointer def);
    GDestroyNotify free;
} ConfKind;

#define CONF_KIND(name, type, prefix) \
    static gpointer parse_##name(const char *xml, GError **error) \
    { return prefix##_parse(xml, 0, error); } \
    static char *format_##name(gconstpointer def) \
    { return prefix##_format((const type *)def, 0); }

CONF_KIND(domain, VbDomainDef, vb_domain_def)
CONF_KIND(network, VbNetworkDef, vb_network_def)
CONF_KIND(nodedev, VbNodeDeviceDef, vb_node_device_def)
CONF_KIND(storagepool, VbStoragePoolDef, vb_storage_pool_def)
CONF_KIND(storagevol, VbStorageVolDef, vb_storage_vol_def)
CONF_KIND(secret, VbSecretDef, vb_secret_def)
CONF_KIND(interface, VbInterfaceDef, vb_interface_def)
CONF_KIND(nwfilter, VbNWFilterDef, vb_nwfilter_def)
CONF_KIND(snapshot, VbSnapshotDef, vb_snapshot_def)

static const ConfKind kinds[] = {
    { "domain", parse_domain, format_domain, (GDestroyNotify)vb_domain_def_free },
    { "network", parse_network, format_network, (GDestroyNotify)vb_network_def_free },
    { "nodedev", parse_nodedev, format_nodedev, (GDestroyNotify)vb_node_device_def_free },
    { "storagepool", parse_storagepool, format_storagepool, (GDestroyNotify)vb_storage_pool_def_free },
    { "storagevol", parse_storagevol, format_storagevol, (GDestroyNotify)vb_storage_vol_def_free },
    { "secret", parse_secret, format_secret, (GDestroyNotify)vb_secret_def_free },
    { "interface", parse_interface, format_interface, (GDestroyNotify)vb_interface_def_free },
    { "nwfilter", parse_nwfilter, format_nwfilter, (GDestroyNotify)vb_nwfilter_def_free },
    { "snapshot", parse_snapshot, format_snapshot, (GDestroyNotify)vb_snapshot_def_free },
};

typedef struct {
    const ConfKind *kind;
    char *path;
} ConfCase;

static gboolean
regenerate(void)
{
    return g_strcmp0(g_getenv("VIRTBUS_REGENERATE_OUTPUT"), "1") == 0;
}

static void
run_bad_case(const ConfCase *tc, const char *input)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *base = g_strndup(tc->path, strlen(tc->path) - strlen(".xml"));
    g_autofree char *err_path = g_strconcat(base, ".err", NULL);
    g_autofree char *expected = NULL;
    gpointer def = tc->kind->parse(input, &error);

    if (def) {
        tc->kind->free(def);
        g_error("%s: parsed, but a failure was expected", tc->path);
    }
    g_assert_nonnull(error);
    if (g_file_get_contents(err_path, &expected, NULL, NULL))
        g_strchomp(expected);
    /* an expectation that still matches is kept: it may be deliberately shorter */
    if (regenerate() && (!expected || !strstr(error->message, expected))) {
        g_autofree char *text = g_strconcat(error->message, "\n", NULL);
        g_assert_true(g_file_set_contents(err_path, text, -1, NULL));
        return;
    }
    g_assert_nonnull(expected);
    if (!strstr(error->message, expected))
        g_error("%s: error '%s' does not contain '%s'", tc->path, error->message, expected);
}

static void
run_good_case(const ConfCase *tc, const char *input)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *base = g_strndup(tc->path, strlen(tc->path) - strlen(".xml"));
    g_autofree char *out_path = g_strconcat(base, ".out.xml", NULL);
    g_autofree char *expected = NULL;
    g_autofree char *formatted = NULL;
    gpointer def = tc->kind->parse(input, &error);

    if (!def)
        g_error("%s: %s", tc->path, error->message);
    formatted = tc->kind->format(def);
    tc->kind->free(def);

    if (regenerate()) {
        if (g_strcmp0(formatted, input) == 0)
            g_unlink(out_path);
        else
            g_assert_true(g_file_set_contents(out_path, formatted, -1, NULL));
        return;
    }
    if (!g_file_get_contents(out_path, &expected, NULL, NULL))
        expected = g_strdup(input);
    g_assert_cmpstr(formatted, ==, expected);

    /* formatting is a fixed point: what we write parses back to the same text */
    def = tc->kind->parse(formatted, &error);
    g_assert_no_error(error);
    {
        g_autofree char *again = tc->kind->format(def);
        g_assert_cmpstr(again, ==, formatted);
    }
    tc->kind->free(def);
}

static void
run_case(gconstpointer data)
{
    const ConfCase *tc = data;
    g_autofree char *input = NULL;
    g_autofree char *name = g_path_get_basename(tc->path);

    g_assert_true(g_file_get_contents(tc->path, &input, NULL, NULL));
    if (g_str_has_prefix(name, "bad-"))
        run_bad_case(tc, input);
    else
        run_good_case(tc, input);
}

/* g_ptr_array_sort hands the comparator pointers to the elements */
static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

static void
add_kind_cases(const char *datadir, const ConfKind *kind)
{
    g_autofree char *dir = g_build_filename(datadir, kind->kind, NULL);
    g_autoptr(GDir) gdir = g_dir_open(dir, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *entry;

    if (!gdir)
        return;
    while ((entry = g_dir_read_name(gdir))) {
        if (g_str_has_suffix(entry, ".xml") && !g_str_has_suffix(entry, ".out.xml"))
            g_ptr_array_add(names, g_strdup(entry));
    }
    g_ptr_array_sort(names, compare_names);
    for (guint i = 0; i < names->len; i++) {
        const char *file = g_ptr_array_index(names, i);
        ConfCase *tc = g_new0(ConfCase, 1);
        g_autofree char *test_path = NULL;
        g_autofree char *stem = g_strndup(file, strlen(file) - 4);

        tc->kind = kind;
        tc->path = g_build_filename(dir, file, NULL);
        test_path = g_strdup_printf("/conf/%s/%s", kind->kind, stem);
        g_test_add_data_func(test_path, tc, run_case);
    }
}

int
main(int argc, char **argv)
{
    const char *datadir = g_getenv("VIRTBUS_TEST_DATA");

    g_test_init(&argc, &argv, NULL);
    if (!datadir)
        datadir = "tests/data/conf";
    for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++)
        add_kind_cases(datadir, &kinds[i]);
    return g_test_run();
}
