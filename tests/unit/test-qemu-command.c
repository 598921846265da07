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

/* ---- hot-plug fragments ---- */

#define HOTPLUG_GUEST \
    "<domain type='qemu'><name>hp</name><uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>" \
    "<memory>131072</memory><os><type arch='x86_64' machine='pc'>hvm</type></os><devices>" \
    "<disk type='file' device='disk'><source file='/var/lib/a.img'/><target dev='vda' bus='virtio'/></disk>" \
    "<interface type='user'><mac address='52:54:00:00:00:01'/></interface>" \
    "<controller type='usb' model='none'/><memballoon model='none'/></devices></domain>"

static VbDeviceDef *
device_from(const char *xml)
{
    g_autofree char *wrapped = g_strdup_printf("<domain type='qemu'><name>d</name><memory>1024</memory>"
                                               "<os><type>hvm</type></os><devices>%s</devices></domain>", xml);
    g_autoptr(VbDomainDef) holder = vb_domain_def_parse(wrapped, 0, NULL);

    g_assert_nonnull(holder);
    return g_ptr_array_steal_index(holder->devices, 0);
}

static char *
hotplug_text(const char *device_xml, guint net_index, char **id, GError **error)
{
    g_autoptr(VbDomainDef) def = vb_domain_def_parse(HOTPLUG_GUEST, 0, NULL);
    VbDeviceDef *dev = device_from(device_xml);
    g_autoptr(GPtrArray) options = vb_qemu_command_build_hotplug(def, dev, &test_config, "libvirt-hp1", net_index,
                                                                 id, error);

    vb_device_def_free(dev);
    return options ? argv_to_text(options) : NULL;
}

static void
test_hotplug_disk(void)
{
    g_autofree char *id = NULL;
    g_autofree char *text = hotplug_text("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                                         "<source file='/var/lib/b,c.img'/><target dev='vdb' bus='virtio'/></disk>",
                                         0, &id, NULL);

    g_assert_cmpstr(text, ==,
                    "-blockdev\n{\"driver\":\"file\",\"filename\":\"/var/lib/b,c.img\",\"node-name\":\"libvirt-hp1-storage\","
                    "\"auto-read-only\":true}\n"
                    "-blockdev\n{\"node-name\":\"libvirt-hp1-format\",\"read-only\":false,\"driver\":\"qcow2\","
                    "\"file\":\"libvirt-hp1-storage\"}\n"
                    "-device\nvirtio-blk-pci,drive=libvirt-hp1-format,id=virtio-disk1\n");
    g_assert_cmpstr(id, ==, "virtio-disk1");
}

static void
test_hotplug_interface(void)
{
    g_autofree char *id = NULL;
    g_autofree char *text = hotplug_text("<interface type='ethernet'><mac address='52:54:00:00:00:02'/>"
                                         "<model type='virtio'/></interface>", 3, &id, NULL);

    /* interface number 3 takes the 4th tap of the configuration */
    g_assert_cmpstr(text, ==, "-netdev\ntap,fd=23,id=hostnet3\n"
                              "-device\nvirtio-net-pci,netdev=hostnet3,id=net3,mac=52:54:00:00:00:02\n");
    g_assert_cmpstr(id, ==, "net3");
}

static void
test_hotplug_refusals(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GError) error2 = NULL;
    g_autofree char *id = NULL;

    /* no USB controller in the guest: the device would need one */
    g_assert_null(hotplug_text("<disk type='file' device='disk'><source file='/x'/><target dev='sda' bus='usb'/>"
                               "</disk>", 0, &id, &error));
    g_assert_nonnull(strstr(error->message, "USB"));
    g_assert_null(hotplug_text("<watchdog model='i6300esb'/>", 0, &id, &error2));
    g_assert_cmpstr(error2->message, ==, "Operation not supported: live attach of device 'watchdog' is not supported");
    g_assert_null(id);
}

static void
test_device_ids(void)
{
    g_autoptr(VbDomainDef) def = vb_domain_def_parse(HOTPLUG_GUEST, 0, NULL);
    g_autoptr(GPtrArray) ids = NULL;
    g_autoptr(GPtrArray) argv = vb_qemu_command_build_with_ids(def, &test_config, &ids, NULL);

    g_assert_nonnull(argv);
    g_assert_cmpuint(ids->len, ==, def->devices->len);
    for (guint i = 0; i < def->devices->len; i++) {
        const VbDeviceDef *dev = g_ptr_array_index(def->devices, i);
        const char *want = dev->disk ? "virtio-disk0" : dev->net ? "net0" : NULL;
        g_assert_cmpstr(g_ptr_array_index(ids, i), ==, want);
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
    g_test_add_func("/qemu-command-hotplug/disk", test_hotplug_disk);
    g_test_add_func("/qemu-command-hotplug/interface", test_hotplug_interface);
    g_test_add_func("/qemu-command-hotplug/refusals", test_hotplug_refusals);
    g_test_add_func("/qemu-command-hotplug/device-ids", test_device_ids);
    return g_test_run();
}
