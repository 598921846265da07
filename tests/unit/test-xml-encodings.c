/* test-xml-encodings: documents in non-UTF-8 encodings still parse with libxml2 linked without ICU,
 * and a build with static_libxml2 really keeps ICU out of the process */
#include <glib.h>

#include "config.h"
#include "conf/vb_error.h"
#include "conf/vb_xml.h"

static char *
parse_name(const char *xml, GError **error)
{
    g_autoptr(xmlDoc) doc = vb_xml_parse(xml, "domain", error);

    return doc ? vb_xml_child_content(xmlDocGetRootElement(doc), "name") : NULL;
}

static void
test_builtin_latin1(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *name = parse_name("<?xml version='1.0' encoding='ISO-8859-1'?>"
                                       "<domain><name>caf\xe9</name></domain>", &error);

    g_assert_no_error(error);
    g_assert_cmpstr(name, ==, "caf\xc3\xa9");
}

/* KOI8-R is not one of libxml2's built-in encodings: glibc's iconv converts it */
static void
test_iconv_koi8r(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *name = parse_name("<?xml version='1.0' encoding='KOI8-R'?>"
                                       "<domain><name>\xd4\xc5\xd3\xd4</name></domain>", &error);

    g_assert_no_error(error);
    g_assert_cmpstr(name, ==, "\xd1\x82\xd0\xb5\xd1\x81\xd1\x82");   /* "тест" */
}

static void
test_unknown_encoding_refused(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *name = parse_name("<?xml version='1.0' encoding='X-NO-SUCH-CHARSET'?>"
                                       "<domain><name>a</name></domain>", &error);

    g_assert_null(name);
    g_assert_error(error, VB_ERROR, VB_ERR_XML_DETAIL);
    g_assert_nonnull(strstr(error->message, "Unsupported encoding X-NO-SUCH-CHARSET"));
}

static void
test_no_icu_mapped(void)
{
    g_autofree char *maps = NULL;

#ifndef VB_STATIC_LIBXML2
    g_test_skip("built with the shared libxml2 (static_libxml2 disabled or libxml2.a missing)");
    return;
#endif
    g_assert_true(g_file_get_contents("/proc/self/maps", &maps, NULL, NULL));
    g_assert_null(strstr(maps, "libicuuc"));     /* (libstdc++ came with it, but sanitizers load their own) */
    g_assert_null(strstr(maps, "libxml2.so"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/xml-encodings/builtin-latin1", test_builtin_latin1);
    g_test_add_func("/xml-encodings/iconv-koi8r", test_iconv_koi8r);
    g_test_add_func("/xml-encodings/unknown-refused", test_unknown_encoding_refused);
    g_test_add_func("/xml-encodings/no-icu-mapped", test_no_icu_mapped);
    return g_test_run();
}
