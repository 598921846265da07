/* test-schema: the RelaxNG schemas in data/schemas against our parsers.
 *
 * The key property: whatever our parser accepts, the schema accepts too. Every positive case
 * under tests/data/conf/{domain,network} (input and expected output) is parsed with the
 * VALIDATE flag. Cases that deliberately carry unknown elements (the parser drops them) must
 * instead be refused under VALIDATE, naming the element; the parser's negative cases (bad-*)
 * stay refused. Then a set of invalid documents, the depth cap, and the flags through the test
 * driver. */
#include "config.h"

#include <glib.h>
#include <string.h>

#include "conf/domain_conf.h"
#include "conf/network_conf.h"
#include "conf/vb_schema.h"
#include "drivers/test/test_driver.h"

#define SCHEMA_ERROR_PREFIX "XML document failed to validate against schema: "

/* Positive parser cases with elements the parser ignores: VALIDATE refuses them. */
static const struct {
    const char *file;
    const char *element;
} unknown_element_cases[] = {
    { "domain/devices-family-order.xml", "unknown-gadget" },
    { "domain/whitespace-comments-unknown.xml", "unknownTopLevel" },
};

typedef struct {
    char *kind;
    char *path;
    char *rel;           /* "domain/case.xml" */
} SchemaCase;

static const char *
unknown_element_of(const char *rel)
{
    for (gsize i = 0; i < G_N_ELEMENTS(unknown_element_cases); i++) {
        if (g_str_equal(unknown_element_cases[i].file, rel))
            return unknown_element_cases[i].element;
    }
    return NULL;
}

static gpointer
parse_validated(const char *kind, const char *xml, GError **error)
{
    if (g_str_equal(kind, "domain"))
        return vb_domain_def_parse(xml, VB_DOMAIN_PARSE_VALIDATE, error);
    return vb_network_def_parse(xml, VB_NETWORK_DEFINE_VALIDATE, error);
}

static gpointer
parse_plain(const char *kind, const char *xml, GError **error)
{
    if (g_str_equal(kind, "domain"))
        return vb_domain_def_parse(xml, 0, error);
    return vb_network_def_parse(xml, 0, error);
}

static void
free_def(const char *kind, gpointer def)
{
    if (g_str_equal(kind, "domain"))
        vb_domain_def_free(def);
    else
        vb_network_def_free(def);
}

static void
assert_schema_error(const GError *error, const char *const *needles)
{
    g_assert_error(error, VB_ERROR, VB_ERR_XML_INVALID_SCHEMA);
    g_assert_true(g_str_has_prefix(error->message, SCHEMA_ERROR_PREFIX));
    for (gsize i = 0; needles[i]; i++) {
        if (!strstr(error->message, needles[i]))
            g_error("error '%s' does not mention '%s'", error->message, needles[i]);
    }
}
#define ASSERT_SCHEMA_ERROR(error, ...) assert_schema_error((error), (const char *const[]){ __VA_ARGS__, NULL })

/* ---- every case the parser accepts ---- */

static void
run_case(gconstpointer data)
{
    const SchemaCase *tc = data;
    const char *unknown = unknown_element_of(tc->rel);
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL;
    gpointer def;

    g_assert_true(g_file_get_contents(tc->path, &xml, NULL, NULL));
    def = parse_validated(tc->kind, xml, &error);
    if (g_str_has_prefix(tc->rel + strlen(tc->kind) + 1, "bad-")) {
        /* the parser's negative cases stay refused, by the schema or by the parser */
        g_assert_null(def);
        g_assert_nonnull(error);
        return;
    }
    if (!unknown) {
        if (!def)
            g_error("%s: refused under VALIDATE: %s", tc->rel, error->message);
        free_def(tc->kind, def);
        return;
    }
    g_assert_null(def);
    ASSERT_SCHEMA_ERROR(error, unknown);
    /* without the flag the unknown element is dropped, as libvirt does */
    g_clear_error(&error);
    def = parse_plain(tc->kind, xml, &error);
    g_assert_no_error(error);
    free_def(tc->kind, def);
}

static void
schema_case_free(SchemaCase *tc)
{
    g_free(tc->kind);
    g_free(tc->path);
    g_free(tc->rel);
    g_free(tc);
}

/* g_ptr_array_sort hands the comparator pointers to the elements */
static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

static void
add_kind_cases(const char *datadir, const char *kind, GPtrArray *keep)
{
    g_autofree char *dir = g_build_filename(datadir, kind, NULL);
    g_autoptr(GDir) gdir = g_dir_open(dir, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *entry;

    g_assert_nonnull(gdir);
    while ((entry = g_dir_read_name(gdir))) {
        if (g_str_has_suffix(entry, ".xml"))
            g_ptr_array_add(names, g_strdup(entry));
    }
    g_assert_cmpuint(names->len, >, 0);
    g_ptr_array_sort(names, compare_names);
    for (guint i = 0; i < names->len; i++) {
        const char *file = g_ptr_array_index(names, i);
        SchemaCase *tc = g_new0(SchemaCase, 1);
        g_autofree char *test_path = NULL;

        tc->kind = g_strdup(kind);
        tc->path = g_build_filename(dir, file, NULL);
        tc->rel = g_build_filename(kind, file, NULL);
        test_path = g_strdup_printf("/schema/cases/%s/%.*s", kind, (int)(strlen(file) - 4), file);
        g_test_add_data_func(test_path, tc, run_case);
        g_ptr_array_add(keep, tc);
    }
}

/* ---- documents the schemas refuse ---- */

#define DOMAIN_HEAD "<domain type='kvm'><name>v</name><memory unit='MiB'>512</memory>" \
                    "<os><type arch='x86_64'>hvm</type></os>"
#define DOMAIN_TAIL "</domain>"

typedef struct {
    const char *name;
    const char *kind;
    const char *xml;
    gboolean parser_accepts;   /* without VALIDATE */
    const char *needles[3];
} InvalidCase;

static const InvalidCase invalid_cases[] = {
    { "domain-unknown-top-level", "domain", DOMAIN_HEAD "<foo/>" DOMAIN_TAIL, TRUE,
      { "line 1: element 'foo'", "Did not expect element foo there" } },
    { "domain-unknown-device", "domain", DOMAIN_HEAD "<devices><bogus/></devices>" DOMAIN_TAIL, TRUE,
      { "element 'bogus'", "Did not expect element bogus" } },
    { "domain-unknown-attribute", "domain",
      "<domain type='kvm' colour='red'><name>v</name><memory>1024</memory><os><type>hvm</type></os></domain>", TRUE,
      { "Invalid attribute colour for element domain" } },
    { "domain-lifecycle-value", "domain", DOMAIN_HEAD "<on_poweroff>explode</on_poweroff>" DOMAIN_TAIL, FALSE,
      { "element 'on_poweroff'", "'explode'" } },
    { "domain-missing-name", "domain",
      "<domain type='kvm'><memory>1024</memory><os><type>hvm</type></os></domain>", FALSE,
      { "element 'domain'", "required child element is missing" } },
    { "domain-disk-bus", "domain",
      DOMAIN_HEAD "<devices><disk type='file'><source file='/a'/><target dev='vda' bus='warp'/></disk></devices>"
      DOMAIN_TAIL, FALSE, { "element 'target'", "Invalid attribute bus for element target" } },
    { "domain-disk-unknown-child", "domain",
      DOMAIN_HEAD "<devices><disk type='file'><source file='/a'/><target dev='vda'/><sparkle/></disk></devices>"
      DOMAIN_TAIL, TRUE, { "element 'sparkle'" } },
    { "domain-cpu-feature-policy", "domain",
      DOMAIN_HEAD "<cpu><model>Haswell</model><feature policy='sometimes' name='avx'/></cpu>" DOMAIN_TAIL, FALSE,
      { "Invalid attribute policy for element feature" } },
    { "domain-metadata-nested-unknown-outside", "domain",
      DOMAIN_HEAD "<metadata><app:x xmlns:app='urn:x'><anything/></app:x></metadata><os2/>" DOMAIN_TAIL, TRUE,
      { "element 'os2'" } },
    { "network-unknown-element", "network",
      "<network><name>n</name><frobnicate/></network>", TRUE, { "element 'frobnicate'" } },
    { "network-forward-mode", "network",
      "<network><name>n</name><forward mode='teleport'/></network>", FALSE, { "Invalid attribute mode for element forward" } },
    { "network-dhcp-unknown-attribute", "network",
      "<network><name>n</name><ip address='192.168.9.1' netmask='255.255.255.0'>"
      "<dhcp><range start='192.168.9.2' end='192.168.9.9' colour='blue'/></dhcp></ip></network>", TRUE,
      { "Invalid attribute colour for element range" } },
    { "network-missing-name", "network", "<network><bridge name='virbr9'/></network>", FALSE,
      { "element 'network'", "required child element is missing" } },
};

static void
test_invalid(gconstpointer data)
{
    const InvalidCase *tc = data;
    g_autoptr(GError) error = NULL;
    gpointer def = parse_validated(tc->kind, tc->xml, &error);

    g_assert_null(def);
    g_test_message("%s", error->message);
    assert_schema_error(error, tc->needles);
    g_clear_error(&error);
    def = parse_plain(tc->kind, tc->xml, &error);
    g_assert_true((def != NULL) == tc->parser_accepts);
    if (def)
        free_def(tc->kind, def);
}

/* ---- edges ---- */

static void
test_metadata_open(void)
{
    g_autoptr(GError) error = NULL;
    VbDomainDef *def = vb_domain_def_parse(
        DOMAIN_HEAD "<metadata><app:cfg xmlns:app='urn:example:app' app:level='3'><app:deep><x y='1'>t</x>"
        "</app:deep></app:cfg></metadata><qemu:commandline xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>"
        "<qemu:arg value='-S'/></qemu:commandline>" DOMAIN_TAIL, VB_DOMAIN_PARSE_VALIDATE, &error);

    g_assert_no_error(error);
    g_assert_nonnull(def);
    vb_domain_def_free(def);
}

static char *
nested_domain(guint depth)
{
    GString *xml = g_string_new(DOMAIN_HEAD "<metadata><m:a xmlns:m='urn:depth'>");

    for (guint i = 0; i < depth; i++)
        g_string_append(xml, "<m:a>");
    for (guint i = 0; i < depth; i++)
        g_string_append(xml, "</m:a>");
    g_string_append(xml, "</m:a></metadata>" DOMAIN_TAIL);
    return g_string_free(xml, FALSE);
}

/* libxml2 caps nesting (256 without XML_PARSE_HUGE, which vb_xml never sets): a deep
 * document fails to parse cleanly, before the recursive validator ever sees it. */
static void
test_depth_cap(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *deep = nested_domain(10000);
    g_autofree char *shallow = nested_domain(200);
    VbDomainDef *def = vb_domain_def_parse(deep, VB_DOMAIN_PARSE_VALIDATE, &error);

    g_assert_null(def);
    g_assert_error(error, VB_ERROR, VB_ERR_XML_DETAIL);
    g_assert_nonnull(strstr(error->message, "depth"));
    g_clear_error(&error);

    def = vb_domain_def_parse(shallow, VB_DOMAIN_PARSE_VALIDATE, &error);
    g_assert_no_error(error);
    vb_domain_def_free(def);
}

static void
test_unknown_kind(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(xmlDoc) doc = vb_xml_parse("<pool/>", NULL, &error);

    g_assert_no_error(error);
    g_assert_false(vb_schema_validate("pool", doc, &error));
    g_assert_error(error, VB_ERROR, VB_ERR_INTERNAL_ERROR);
}

static void
test_wrong_root(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(xmlDoc) doc = vb_xml_parse("<network><name>n</name></network>", NULL, &error);

    g_assert_no_error(error);
    g_assert_false(vb_schema_validate("domain", doc, &error));
    ASSERT_SCHEMA_ERROR(error, "domain.rng", "network");
}

static gpointer
validate_many(gpointer data)
{
    const char *xml = data;

    for (int i = 0; i < 25; i++) {
        g_autoptr(GError) error = NULL;
        VbDomainDef *def = vb_domain_def_parse(xml, VB_DOMAIN_PARSE_VALIDATE, &error);
        if (!def)
            return g_strdup(error->message);
        vb_domain_def_free(def);
    }
    return NULL;
}

/* The first use compiles the schema once (g_once) and validations serialise. */
static void
test_threads(void)
{
    GThread *threads[4];

    for (gsize i = 0; i < G_N_ELEMENTS(threads); i++)
        threads[i] = g_thread_new("validate", validate_many, (gpointer)(DOMAIN_HEAD DOMAIN_TAIL));
    for (gsize i = 0; i < G_N_ELEMENTS(threads); i++) {
        g_autofree char *failure = g_thread_join(threads[i]);
        g_assert_null(failure);
    }
}

/* The objects test:///default starts with validate too. */
static void
test_driver_defaults(void)
{
    const char *path = g_getenv("VIRTBUS_TEST_DEFAULT_XML");
    g_autofree char *text = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(xmlDoc) node = NULL;
    guint checked = 0;

    g_assert_true(g_file_get_contents(path ? path : VB_SOURCE_DATADIR "/test/default.xml", &text, NULL, NULL));
    node = vb_xml_parse(text, "node", &error);
    g_assert_no_error(error);
    for (xmlNodePtr cur = vb_xml_child(xmlDocGetRootElement(node), NULL); cur; cur = vb_xml_next(cur, NULL)) {
        const char *kind = (const char *)cur->name;
        g_autoptr(xmlDoc) doc = NULL;

        if (!g_str_equal(kind, "domain") && !g_str_equal(kind, "network"))
            continue;
        doc = xmlNewDoc(BAD_CAST "1.0");
        xmlDocSetRootElement(doc, xmlDocCopyNode(cur, doc, 1));
        if (!vb_schema_validate(kind, doc, &error))
            g_error("default.xml %s: %s", kind, error->message);
        checked++;
    }
    g_assert_cmpuint(checked, >=, 2);
}

/* ---- the flags through the test driver ---- */

static void
test_driver_flags(void)
{
    static const char *const xml = "<domain type='test'><name>strict</name><memory unit='MiB'>256</memory>"
                                   "<os><type>hvm</type></os><devices><gizmo/></devices></domain>";
    g_autoptr(GError) error = NULL;
    VbConn *conn = vb_conn_open(&vb_test_driver, "test:///default", &error);

    g_assert_no_error(error);
    g_assert_null(vb_test_driver.domain_define_xml(conn, xml, 1, &error));
    ASSERT_SCHEMA_ERROR(error, "gizmo");
    g_clear_error(&error);
    g_assert_null(vb_test_driver.domain_create_xml(conn, xml, 16, &error));
    ASSERT_SCHEMA_ERROR(error, "gizmo");
    g_clear_error(&error);
    g_assert_null(vb_conn_domain_by_name(conn, "strict", &error));
    g_clear_error(&error);

    g_assert_nonnull(vb_test_driver.domain_define_xml(conn, xml, 0, &error));
    g_assert_no_error(error);
    g_assert_nonnull(vb_conn_domain_by_name(conn, "strict", &error));
    g_assert_no_error(error);
    vb_conn_free(conn);
}

int
main(int argc, char **argv)
{
    const char *datadir = g_getenv("VIRTBUS_TEST_DATA");
    g_autoptr(GPtrArray) cases = g_ptr_array_new_with_free_func((GDestroyNotify)schema_case_free);
    int rc;

    g_test_init(&argc, &argv, NULL);
    if (!datadir)
        datadir = "tests/data/conf";
    add_kind_cases(datadir, "domain", cases);
    add_kind_cases(datadir, "network", cases);
    for (gsize i = 0; i < G_N_ELEMENTS(invalid_cases); i++) {
        g_autofree char *path = g_strdup_printf("/schema/invalid/%s", invalid_cases[i].name);
        g_test_add_data_func(path, &invalid_cases[i], test_invalid);
    }
    g_test_add_func("/schema/metadata-open", test_metadata_open);
    g_test_add_func("/schema/depth-cap", test_depth_cap);
    g_test_add_func("/schema/unknown-kind", test_unknown_kind);
    g_test_add_func("/schema/wrong-root", test_wrong_root);
    g_test_add_func("/schema/threads", test_threads);
    g_test_add_func("/schema/driver-defaults", test_driver_defaults);
    g_test_add_func("/schema/driver-flags", test_driver_flags);
    rc = g_test_run();
    return rc;
}
