/* test-qemu-command: golden argv tests for the QEMU command line builder.
 *
 * tests/data/qemu/<case>.xml is parsed with the normal domain parser and turned into an
 * argv with a fixed configuration; the result, one argument per line, must equal
 * <case>.args. When <case>.err exists instead, building must fail with exactly that
 * message. VIRTBUS_REGENERATE_OUTPUT=1 rewrites the expected files for review. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "conf/domain_conf.h"
#include "drivers/qemu/qemu_command.h"

static const int test_tap_fds[] = { 20, 21, -1, 23 };

static const VbQemuCommandConfig test_config = {
    .emulator = "/usr/bin/qemu-system-x86_64",
    .monitor_path = "/run/virtbus/test/monitor.sock",
    .channel_dir = "/run/virtbus/test/channel",
    .tap_fds = test_tap_fds,
    .n_tap_fds = G_N_ELEMENTS(test_tap_fds),
};

static gboolean
regenerate(void)
{
    return g_strcmp0(g_getenv("VIRTBUS_REGENERATE_OUTPUT"), "1") == 0;
}

static char *
case_file(const char *xml_path, const char *suffix)
{
    g_autofree char *base = g_strndup(xml_path, strlen(xml_path) - strlen(".xml"));

    return g_strconcat(base, suffix, NULL);
}

static char *
argv_to_text(GPtrArray *argv)
{
    GString *text = g_string_new(NULL);

    for (guint i = 0; i < argv->len; i++)
        g_string_append_printf(text, "%s\n", (const char *)g_ptr_array_index(argv, i));
    return g_string_free(text, FALSE);
}

/* A graphics password must never reach the command line (it is set over QMP). */
static void
assert_no_password(const VbDomainDef *def, GPtrArray *argv)
{
    for (guint i = 0; i < def->devices->len; i++) {
        const VbDeviceDef *dev = g_ptr_array_index(def->devices, i);
        const char *start;
        g_autofree char *passwd = NULL;

        if (dev->kind != VB_DEVICE_GRAPHICS || !(start = strstr(dev->xml, "passwd='")))
            continue;
        start += strlen("passwd='");
        passwd = g_strndup(start, strcspn(start, "'"));
        for (guint j = 0; j < argv->len; j++)
            g_assert_null(strstr(g_ptr_array_index(argv, j), passwd));
    }
}

static void
run_case(gconstpointer data)
{
    const char *path = data;
    g_autofree char *input = NULL;
    g_autofree char *args_path = case_file(path, ".args");
    g_autofree char *err_path = case_file(path, ".err");
    g_autofree char *expected = NULL;
    g_autofree char *actual = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(VbDomainDef) def = NULL;
    g_autoptr(GPtrArray) argv = NULL;
    gboolean want_error = g_file_test(err_path, G_FILE_TEST_EXISTS);

    g_assert_true(g_file_get_contents(path, &input, NULL, NULL));
    def = vb_domain_def_parse(input, 0, &error);
    if (!def)
        g_error("%s: the domain parser refused the input: %s", path, error->message);
    argv = vb_qemu_command_build(def, &test_config, &error);
    g_assert_true((argv == NULL) == (error != NULL));
    actual = argv ? argv_to_text(argv) : g_strconcat(error->message, "\n", NULL);

    if (regenerate()) {
        g_unlink(argv ? err_path : args_path);
        g_assert_true(g_file_set_contents(argv ? args_path : err_path, actual, -1, NULL));
        return;
    }
    if (want_error && argv)
        g_error("%s: built, but the error in %s was expected", path, err_path);
    if (!want_error && !argv)
        g_error("%s: %s", path, error->message);
    g_assert_true(g_file_get_contents(want_error ? err_path : args_path, &expected, NULL, NULL));
    g_assert_cmpstr(actual, ==, expected);
    if (argv) {
        /* pure: the same definition gives the same argv again */
        g_autoptr(GPtrArray) again = vb_qemu_command_build(def, &test_config, NULL);
        g_autofree char *again_text = again ? argv_to_text(again) : NULL;

        g_assert_cmpstr(again_text, ==, actual);
        g_assert_cmpstr(g_ptr_array_index(argv, 0), ==, test_config.emulator);
        assert_no_password(def, argv);
    }
}

static char *
qemu_data_dir(void)
{
    const char *conf = g_getenv("VIRTBUS_TEST_DATA");   /* .../tests/data/conf */
    g_autofree char *data = g_path_get_dirname(conf ? conf : "tests/data/conf");

    return g_build_filename(data, "qemu", NULL);
}

/* g_ptr_array_sort hands the comparator pointers to the elements */
static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

int
main(int argc, char **argv)
{
    g_autofree char *dir = qemu_data_dir();
    g_autoptr(GDir) gdir = NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
    const char *entry;

    g_test_init(&argc, &argv, NULL);
    gdir = g_dir_open(dir, 0, NULL);
    g_assert_nonnull(gdir);
    while ((entry = g_dir_read_name(gdir))) {
        if (g_str_has_suffix(entry, ".xml"))
            g_ptr_array_add(names, g_strdup(entry));
    }
    g_ptr_array_sort(names, compare_names);
    for (guint i = 0; i < names->len; i++) {
        const char *file = g_ptr_array_index(names, i);
        g_autofree char *stem = g_strndup(file, strlen(file) - strlen(".xml"));
        g_autofree char *test_path = g_strdup_printf("/qemu-command/%s", stem);
        char *path = g_build_filename(dir, file, NULL);

        g_ptr_array_add(paths, path);
        g_test_add_data_func(test_path, path, run_case);
    }
    return g_test_run();
}
