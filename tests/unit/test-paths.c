/* test-paths: object path encodings, UUID/MAC normalisation, flag checks, units */
#include <glib.h>

#include "conf/vb_error.h"
#include "conf/vb_uuid.h"
#include "conf/vb_xml.h"
#include "objects/object.h"

static void
test_escape_round_trip(void)
{
    static const char *const cases[][2] = {
        { "scsi_host1", "scsi_5fhost1" },
        { "pci_0000_00_1f_2", "pci_5f0000_5f00_5f1f_5f2" },
        { "/var/lib/images/a b.qcow2", "_2fvar_2flib_2fimages_2fa_20b_2eqcow2" },
        { "aa:bb:cc:dd:ee:ff", "aa_3abb_3acc_3add_3aee_3aff" },
        { "plain", "plain" },
        { "", "" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *escaped = vb_path_escape(cases[i][0]);
        g_autofree char *back = vb_path_unescape(escaped);
        g_autofree char *path = g_strconcat("/x/", escaped, NULL);
        g_assert_cmpstr(escaped, ==, cases[i][1]);
        g_assert_cmpstr(back, ==, cases[i][0]);
        g_assert_true(!escaped[0] || g_variant_is_object_path(path));
    }
    g_assert_null(vb_path_unescape("bad_zz"));
    g_assert_null(vb_path_unescape("bad-dash"));
    g_assert_null(vb_path_unescape("trailing_4"));
}

static void
test_uuid_nodes(void)
{
    char uuid[VB_UUID_STRING_LEN];
    g_autofree char *node = vb_uuid_node("6695eb01-f6a4-8304-79aa-97f2502e193f");

    g_assert_cmpstr(node, ==, "_6695eb01_f6a4_8304_79aa_97f2502e193f");
    g_assert_true(vb_uuid_from_node(node, uuid));
    g_assert_cmpstr(uuid, ==, "6695eb01-f6a4-8304-79aa-97f2502e193f");
    g_assert_false(vb_uuid_from_node("6695eb01_f6a4_8304_79aa_97f2502e193f", uuid));
    g_assert_false(vb_uuid_from_node("_6695eb01_f6a4_8304_79aa_97f2502e193", uuid));
    g_assert_false(vb_uuid_from_node("_zz95eb01_f6a4_8304_79aa_97f2502e193f", uuid));
    g_assert_false(vb_uuid_from_node(NULL, uuid));
}

static void
test_uuid_parse(void)
{
    char out[VB_UUID_STRING_LEN];
    char generated[VB_UUID_STRING_LEN];

    g_assert_true(vb_uuid_parse("6695EB01F6A4830479AA97F2502E193F", out));
    g_assert_cmpstr(out, ==, "6695eb01-f6a4-8304-79aa-97f2502e193f");
    g_assert_true(vb_uuid_parse("6695eb01-f6a4-8304-79aa-97f2502e193f", out));
    g_assert_false(vb_uuid_parse("6695eb01-f6a4-8304-79aa-97f2502e193", out));
    g_assert_false(vb_uuid_parse("6695eb01-f6a4-8304-79aa-97f2502e193f00", out));
    g_assert_false(vb_uuid_parse("not a uuid", out));
    vb_uuid_generate(generated);
    g_assert_true(vb_uuid_parse(generated, out));
    g_assert_cmpstr(out, ==, generated);
}

static void
test_mac(void)
{
    char out[VB_MAC_STRING_LEN];

    g_assert_true(vb_mac_parse("AA-BB-CC-DD-EE-0F", out));
    g_assert_cmpstr(out, ==, "aa:bb:cc:dd:ee:0f");
    g_assert_false(vb_mac_parse("aa:bb:cc:dd:ee", out));
    g_assert_false(vb_mac_parse("aa:bb:cc:dd:ee:ff:00", out));
    vb_mac_generate(out);
    g_assert_true(g_str_has_prefix(out, "52:54:00:"));
    g_assert_false(vb_mac_is_multicast(out));
    g_assert_true(vb_mac_is_multicast("01:00:5e:00:00:01"));
}

static void
test_flags(void)
{
    g_autoptr(GError) error = NULL;

    g_assert_true(vb_check_flags(0x3, 0x7, "virDomainCreateWithFlags", NULL));
    g_assert_false(vb_check_flags(0x9, 0x7, "virDomainCreateWithFlags", &error));
    g_assert_error(error, VB_ERROR, VB_ERR_INVALID_ARG);
    g_assert_cmpstr(error->message, ==, "invalid argument: unsupported flags (0x8) in function virDomainCreateWithFlags");
}

static void
test_units(void)
{
    guint64 kib = 0;

    g_assert_true(vb_scale_to_kib("GiB", 2, &kib));
    g_assert_cmpuint(kib, ==, 2097152);
    g_assert_true(vb_scale_to_kib("G", 1, &kib));
    g_assert_cmpuint(kib, ==, 1048576);
    g_assert_true(vb_scale_to_kib("MB", 1, &kib));
    g_assert_cmpuint(kib, ==, 977);   /* 1,000,000 bytes, rounded up */
    g_assert_true(vb_scale_to_kib("b", 1, &kib));
    g_assert_cmpuint(kib, ==, 1);
    g_assert_true(vb_scale_to_kib("KiB", 5, &kib));
    g_assert_cmpuint(kib, ==, 5);
    g_assert_false(vb_scale_to_kib("EiB", 20000000, &kib));
    g_assert_false(vb_scale_to_kib("parsecs", 1, &kib));
}

static void
test_not_supported_message(void)
{
    g_autoptr(GError) error = NULL;

    vb_set_error_not_supported(&error, "virDomainReset");
    g_assert_cmpstr(error->message, ==, "this function is not supported by the connection driver: virDomainReset");
}

/* The one-buffer "ao" is what GVariantBuilder gives, across every framing offset width. */
static void
test_paths_variant(void)
{
    static const guint counts[] = { 0, 1, 3, 4, 300, 1800, 70000 };
    VbCall call = { .base_path = "/org/libvirt/Test" };

    for (gsize c = 0; c < G_N_ELEMENTS(counts); c++) {
        g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GVariant) fast = NULL;
        GVariantBuilder builder;
        g_autoptr(GVariant) slow = NULL;

        g_variant_builder_init(&builder, G_VARIANT_TYPE("ao"));
        for (guint i = 0; i < counts[c]; i++) {
            char *uuid = g_strdup_printf("%08x-0000-4000-8000-%012x", i, i * 7);
            g_autofree char *path = vb_object_path(&call, &vb_domain_class, uuid);
            g_variant_builder_add(&builder, "o", path);
            g_ptr_array_add(keys, uuid);
        }
        slow = g_variant_ref_sink(g_variant_builder_end(&builder));
        fast = g_variant_ref_sink(vb_object_paths_variant(&call, &vb_domain_class, keys));
        g_assert_true(g_variant_is_normal_form(fast));
        g_assert_true(g_variant_equal(fast, slow));
        g_assert_cmpuint(g_variant_get_size(fast), ==, g_variant_get_size(slow));
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/paths/escape", test_escape_round_trip);
    g_test_add_func("/paths/uuid-nodes", test_uuid_nodes);
    g_test_add_func("/paths/paths-variant", test_paths_variant);
    g_test_add_func("/uuid/parse", test_uuid_parse);
    g_test_add_func("/mac/parse", test_mac);
    g_test_add_func("/errors/flags", test_flags);
    g_test_add_func("/errors/not-supported", test_not_supported_message);
    g_test_add_func("/xml/units", test_units);
    return g_test_run();
}
