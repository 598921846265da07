/* test-storage-dir: the dir backend's pieces below the driver: qemu-img's JSON, the header probe
 * that decides whether qemu-img must look at a file, and the pool checks' wording. */
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "drivers/storage/storage_private.h"

static const char *const qcow2_json =
    "{\"backing-filename-format\": \"raw\", \"virtual-size\": 1073741824, \"filename\": \"/p/o.qcow2\","
    " \"format\": \"qcow2\", \"actual-size\": 200704, \"format-specific\": {\"type\": \"qcow2\","
    " \"data\": {\"compat\": \"1.1\", \"lazy-refcounts\": true}},"
    " \"full-backing-filename\": \"/p/base.img\", \"backing-filename\": \"base.img\", \"dirty-flag\": false}";

static void
test_info_qcow2_with_backing(void)
{
    g_auto(VbImageInfo) info = { 0 };
    g_autoptr(GError) error = NULL;

    g_assert_true(vb_qemu_img_info_parse(qcow2_json, &info, &error));
    g_assert_no_error(error);
    g_assert_cmpstr(info.format, ==, "qcow2");
    g_assert_cmpuint(info.virtual_size, ==, 1073741824);
    g_assert_cmpuint(info.actual_size, ==, 200704);
    g_assert_cmpstr(info.backing, ==, "/p/base.img");   /* the full name wins */
    g_assert_cmpstr(info.backing_format, ==, "raw");
    g_assert_cmpstr(info.compat, ==, "1.1");
    g_assert_true(info.lazy_refcounts);
}

static void
test_info_raw(void)
{
    g_auto(VbImageInfo) info = { 0 };

    g_assert_true(vb_qemu_img_info_parse("{\"format\": \"raw\", \"virtual-size\": 512, \"actual-size\": 0}",
                                         &info, NULL));
    g_assert_cmpstr(info.format, ==, "raw");
    g_assert_cmpuint(info.virtual_size, ==, 512);
    g_assert_null(info.backing);
    g_assert_null(info.compat);
}

static void
test_info_bad_json(void)
{
    static const char *const bad[] = { "{\"virtual-size\": 1}", "[1, 2]", "{\"format\": ", "" };

    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_auto(VbImageInfo) info = { 0 };
        g_autoptr(GError) error = NULL;

        g_assert_false(vb_qemu_img_info_parse(bad[i], &info, &error));
        g_assert_error(error, VB_ERROR, VB_ERR_INTERNAL_ERROR);
    }
}

static char *
write_file(const char *dir, const char *name, const void *data, gsize len)
{
    char *path = g_build_filename(dir, name, NULL);

    g_assert_true(g_file_set_contents(path, data, (gssize)len, NULL));
    return path;
}

/* A file without an image header is raw by stat alone; one with a qcow2 magic goes to qemu-img,
 * which refuses this truncated header: so the error proves qemu-img looked. */
static void
test_probe_decides_who_reads(void)
{
    g_autofree char *dir = g_dir_make_tmp("vb-storage-XXXXXX", NULL);
    g_autofree char *raw = write_file(dir, "plain.img", "just some bytes\n", 16);
    g_autofree char *fake = write_file(dir, "fake.qcow2", "QFI\xfb\0\0\0\3", 8);
    g_autofree char *qemu_img = g_find_program_in_path("qemu-img");
    g_autoptr(VbStorageVolDef) def = NULL;
    g_autoptr(GError) error = NULL;

    def = vb_dir_vol_read(raw, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(def->name, ==, "plain.img");
    g_assert_cmpstr(def->key, ==, raw);
    g_assert_cmpint(def->target.format, ==, VB_STORAGE_FILE_RAW);
    g_assert_cmpuint(def->capacity, ==, 16);
    if (qemu_img) {
        g_autoptr(VbStorageVolDef) none = vb_dir_vol_read(fake, &error);
        g_assert_null(none);
        g_assert_error(error, VB_ERROR, VB_ERR_INTERNAL_ERROR);
        g_assert_nonnull(strstr(error->message, "qemu-img info failed"));
    }
    g_unlink(raw);
    g_unlink(fake);
    g_rmdir(dir);
}

static void
test_pool_check_wording(void)
{
    g_autofree char *dir = g_dir_make_tmp("vb-storage-XXXXXX", NULL);
    g_autofree char *file = write_file(dir, "file", "x", 1);
    g_autofree char *missing = g_build_filename(dir, "missing", NULL);
    g_autofree char *not_dir = g_strdup_printf("cannot open directory '%s': Not a directory", file);
    g_autofree char *no_such = g_strdup_printf("cannot open directory '%s': No such file or directory", missing);
    g_autoptr(GError) error = NULL;

    g_assert_true(vb_dir_pool_check(dir, NULL));
    g_assert_false(vb_dir_pool_check(file, &error));
    g_assert_cmpstr(error->message, ==, not_dir);
    g_clear_error(&error);
    g_assert_false(vb_dir_pool_check(missing, &error));
    g_assert_cmpstr(error->message, ==, no_such);
    g_unlink(file);
    g_rmdir(dir);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/storage-dir/info/qcow2-with-backing", test_info_qcow2_with_backing);
    g_test_add_func("/storage-dir/info/raw", test_info_raw);
    g_test_add_func("/storage-dir/info/bad-json", test_info_bad_json);
    g_test_add_func("/storage-dir/probe", test_probe_decides_who_reads);
    g_test_add_func("/storage-dir/pool-check", test_pool_check_wording);
    return g_test_run();
}
