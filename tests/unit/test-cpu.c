/* test-cpu: the CPU model database, CPU comparison (each match mode, feature policy and CPU
 * mode) and baseline, against the built-in data/cpu/x86_models.xml. */
#include <glib.h>
#include <string.h>

#include "conf/cpu_conf.h"

/* Haswell plus two features the guests below do not all ask for. */
#define HOST_XML \
    "<cpu><arch>x86_64</arch><model>Haswell</model><vendor>Intel</vendor>" \
    "<feature name='vmx'/><feature name='pdpe1gb'/></cpu>"

static const VbCpuDb *
db(void)
{
    g_autoptr(GError) error = NULL;
    const VbCpuDb *cpu_db = vb_cpu_db_default(&error);

    g_assert_no_error(error);
    g_assert_nonnull(cpu_db);
    return cpu_db;
}

static void
parse_cpu(const char *xml, VbCpuDef *def)
{
    g_autoptr(GError) error = NULL;

    vb_cpu_def_init(def);
    if (!vb_cpu_def_parse_xml(xml, def, NULL, &error))
        g_error("%s: %s", xml, error->message);
}

/* ---- the database ---- */

static void
test_db_models(void)
{
    static const char *const expected[] = {
        "486", "pentium", "pentium2", "pentium3", "pentiumpro", "coreduo", "n270", "core2duo",
        "qemu32", "kvm32", "kvm64", "qemu64", "Conroe", "Penryn", "Nehalem", "Westmere",
        "SandyBridge", "IvyBridge", "Haswell", "Broadwell", "Skylake-Client", "Skylake-Server",
        "Cascadelake-Server", "Icelake-Server", "Opteron_G1", "Opteron_G2", "Opteron_G3",
        "Opteron_G4", "Opteron_G5", "EPYC", "EPYC-Rome", NULL,
    };
    g_auto(GStrv) names = vb_cpu_db_model_names(db());

    g_assert_cmpstrv(names, expected);
}

static void
test_db_inheritance(void)
{
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) westmere = vb_cpu_db_model_features(db(), "Westmere", &error);
    g_auto(GStrv) nehalem = vb_cpu_db_model_features(db(), "Nehalem", &error);
    g_auto(GStrv) unknown = NULL;

    g_assert_no_error(error);
    /* its own, Nehalem's and qemu64's features */
    g_assert_true(g_strv_contains((const char *const *)westmere, "aes"));
    g_assert_true(g_strv_contains((const char *const *)westmere, "sse4.2"));
    g_assert_true(g_strv_contains((const char *const *)westmere, "lahf-lm"));
    g_assert_true(g_strv_contains((const char *const *)westmere, "fpu"));
    g_assert_false(g_strv_contains((const char *const *)nehalem, "aes"));
    g_assert_cmpuint(g_strv_length(westmere), ==, g_strv_length(nehalem) + 2);

    unknown = vb_cpu_db_model_features(db(), "Pentium-Pro-Max", &error);
    g_assert_null(unknown);
    g_assert_error(error, VB_ERROR, VB_ERR_INTERNAL_ERROR);
    g_assert_cmpstr(error->message, ==, "internal error: Unknown CPU model Pentium-Pro-Max");
}

static void
test_db_names(void)
{
    g_assert_cmpstr(vb_cpu_db_feature_from_linux(db(), "sse4_2"), ==, "sse4.2");
    g_assert_cmpstr(vb_cpu_db_feature_from_linux(db(), "tsc_deadline_timer"), ==, "tsc-deadline");
    g_assert_cmpstr(vb_cpu_db_feature_from_linux(db(), "lahf_lm"), ==, "lahf-lm");
    g_assert_cmpstr(vb_cpu_db_feature_from_linux(db(), "avx512_vnni"), ==, "avx512-vnni");
    g_assert_cmpstr(vb_cpu_db_feature_from_linux(db(), "avx2"), ==, "avx2");
    g_assert_null(vb_cpu_db_feature_from_linux(db(), "constant_tsc"));
    g_assert_null(vb_cpu_db_feature_from_linux(db(), "sse4.2"));
    g_assert_cmpstr(vb_cpu_db_vendor_from_cpuid(db(), "GenuineIntel"), ==, "Intel");
    g_assert_cmpstr(vb_cpu_db_vendor_from_cpuid(db(), "AuthenticAMD"), ==, "AMD");
    g_assert_null(vb_cpu_db_vendor_from_cpuid(db(), "CyrixInstead"));
    g_assert_true(vb_cpu_arch_is_x86("x86_64"));
    g_assert_true(vb_cpu_arch_is_x86("i686"));
    g_assert_false(vb_cpu_arch_is_x86("aarch64"));
}

static void
test_db_best_model(void)
{
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) features = vb_cpu_db_model_features(db(), "IvyBridge", &error);
    g_autoptr(GStrvBuilder) more = g_strv_builder_new();
    g_auto(GStrv) ivy_plus = NULL;

    g_assert_no_error(error);
    g_assert_cmpstr(vb_cpu_db_best_model(db(), "Intel", (const char *const *)features), ==, "IvyBridge");
    /* models of another vendor never describe the CPU, vendor-less ones do */
    g_assert_cmpstr(vb_cpu_db_best_model(db(), "AMD", (const char *const *)features), ==, "qemu64");
    g_assert_cmpstr(vb_cpu_db_best_model(db(), NULL, (const char *const *)features), ==, "qemu64");
    g_strv_builder_addv(more, (const char **)features);
    g_strv_builder_add(more, "vmx");
    ivy_plus = g_strv_builder_end(more);
    g_assert_cmpstr(vb_cpu_db_best_model(db(), "Intel", (const char *const *)ivy_plus), ==, "IvyBridge");
    g_assert_null(vb_cpu_db_best_model(db(), "Intel", (const char *const[]){ "fpu", NULL }));
}

typedef struct {
    const char *xml;
    const char *error;
} BadDb;

static void
test_db_errors(void)
{
    static const BadDb cases[] = {
        { "<cpus/>", "no <arch name='x86'>" },
        { "<cpus><arch name='x86'><features><feature name='a'/><feature name='a'/></features></arch></cpus>",
          "feature a declared twice" },
        { "<cpus><arch name='x86'><model name='m'><model name='base'/></model></arch></cpus>",
          "model m starts from unknown model base" },
        { "<cpus><arch name='x86'><model name='m'><feature name='nope'/></model></arch></cpus>",
          "Unknown CPU feature nope" },
        { "<cpus><arch name='x86'><model name='m'/><model name='m'/></arch></cpus>", "model m defined twice" },
        { "<cpus><arch name='x86'><model name='m'><vendor name='Cyrix'/></model></arch></cpus>",
          "model m has an unknown vendor" },
        { "<models/>", "" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(VbCpuDb) bad = vb_cpu_db_new_from_xml(cases[i].xml, &error);

        g_assert_null(bad);
        g_assert_nonnull(error);
        if (!strstr(error->message, cases[i].error))
            g_error("%s: '%s' lacks '%s'", cases[i].xml, error->message, cases[i].error);
    }
}

/* ---- comparison ---- */

typedef struct {
    const char *name;
    const char *guest;
    VbCpuCompareResult result;
    const char *reason;      /* the message FAIL_INCOMPATIBLE gives, for INCOMPATIBLE */
} CompareCase;

#define GUEST(attrs, body) "<cpu " attrs ">" body "</cpu>"

static const CompareCase compare_cases[] = {
    /* match modes: extra host features are fine for minimum and exact, not for strict */
    { "minimum-superset", GUEST("match='minimum'", "<model>Haswell</model>"), VB_CPU_COMPARE_SUPERSET },
    { "exact-superset", GUEST("match='exact'", "<model>Haswell</model>"), VB_CPU_COMPARE_SUPERSET },
    { "default-match-superset", GUEST("", "<model>Haswell</model>"), VB_CPU_COMPARE_SUPERSET },
    { "strict-extra", GUEST("match='strict'", "<model>Haswell</model>"), VB_CPU_COMPARE_INCOMPATIBLE,
      "Host CPU does not strictly match guest CPU: Extra features: vmx, pdpe1gb" },
    { "strict-identical", GUEST("match='strict'", "<model>Haswell</model><feature name='vmx'/>"
                                "<feature name='pdpe1gb'/>"), VB_CPU_COMPARE_IDENTICAL },
    { "exact-identical", GUEST("mode='custom' match='exact'", "<model>Haswell</model><vendor>Intel</vendor>"
                               "<feature policy='require' name='vmx'/><feature policy='optional' name='pdpe1gb'/>"),
      VB_CPU_COMPARE_IDENTICAL },
    { "older-model", GUEST("match='minimum'", "<model>Westmere</model>"), VB_CPU_COMPARE_SUPERSET },
    { "newer-model", GUEST("match='minimum'", "<model>Broadwell</model>"), VB_CPU_COMPARE_INCOMPATIBLE,
      "Host CPU does not provide required features: rdseed, adx, smap, 3dnowprefetch" },
    { "newer-model-disabled", GUEST("match='exact'", "<model>Broadwell</model>"
                                    "<feature policy='disable' name='rdseed'/><feature policy='disable' name='adx'/>"
                                    "<feature policy='disable' name='smap'/>"
                                    "<feature policy='disable' name='3dnowprefetch'/>"),
      VB_CPU_COMPARE_SUPERSET },
    /* feature policies */
    { "force-missing", GUEST("match='exact'", "<model>Haswell</model><feature policy='force' name='avx512f'/>"),
      VB_CPU_COMPARE_SUPERSET },
    { "require-missing", GUEST("match='exact'", "<model>Haswell</model><feature policy='require' name='avx512f'/>"),
      VB_CPU_COMPARE_INCOMPATIBLE, "Host CPU does not provide required features: avx512f" },
    { "require-present", GUEST("match='strict'", "<model>Haswell</model><feature policy='require' name='vmx'/>"
                               "<feature policy='disable' name='pdpe1gb'/>"), VB_CPU_COMPARE_IDENTICAL },
    { "optional-missing", GUEST("match='exact'", "<model>Haswell</model><feature policy='optional' name='avx512f'/>"),
      VB_CPU_COMPARE_SUPERSET },
    { "optional-model-feature", GUEST("match='minimum'", "<model>Broadwell</model>"
                                      "<feature policy='optional' name='rdseed'/><feature policy='optional' name='adx'/>"
                                      "<feature policy='optional' name='smap'/>"
                                      "<feature policy='optional' name='3dnowprefetch'/>"),
      VB_CPU_COMPARE_SUPERSET },
    { "disable-present", GUEST("match='exact'", "<model>Haswell</model><feature policy='disable' name='avx2'/>"),
      VB_CPU_COMPARE_SUPERSET },
    { "disable-missing", GUEST("match='strict'", "<model>Haswell</model><feature policy='disable' name='avx512f'/>"
                               "<feature name='vmx'/><feature name='pdpe1gb'/>"), VB_CPU_COMPARE_IDENTICAL },
    { "forbid-present", GUEST("match='minimum'", "<model>Haswell</model><feature policy='forbid' name='vmx'/>"),
      VB_CPU_COMPARE_INCOMPATIBLE, "Host CPU provides forbidden features: vmx" },
    { "forbid-missing", GUEST("match='minimum'", "<model>Haswell</model><feature policy='forbid' name='avx512f'/>"),
      VB_CPU_COMPARE_SUPERSET },
    /* vendor */
    { "vendor-same", GUEST("", "<model>Haswell</model><vendor>Intel</vendor>"), VB_CPU_COMPARE_SUPERSET },
    { "vendor-other", GUEST("", "<model>qemu64</model><vendor>AMD</vendor>"), VB_CPU_COMPARE_INCOMPATIBLE,
      "host CPU vendor does not match required CPU vendor AMD" },
    /* modes that take the host CPU */
    { "host-passthrough", GUEST("mode='host-passthrough'", ""), VB_CPU_COMPARE_IDENTICAL },
    { "maximum", GUEST("mode='maximum'", ""), VB_CPU_COMPARE_IDENTICAL },
    { "host-model", GUEST("mode='host-model'", "<feature policy='disable' name='vmx'/>"), VB_CPU_COMPARE_IDENTICAL },
    { "host-model-require", GUEST("mode='host-model'", "<feature policy='require' name='avx512f'/>"),
      VB_CPU_COMPARE_INCOMPATIBLE, "Host CPU does not provide required features: avx512f" },
    { "host-passthrough-forbid", GUEST("mode='host-passthrough'", "<feature policy='forbid' name='vmx'/>"),
      VB_CPU_COMPARE_INCOMPATIBLE, "Host CPU provides forbidden features: vmx" },
    /* the documents libvirt accepts around a <cpu> */
    { "in-domain", "<domain type='kvm'><name>d</name><memory>1024</memory><vcpu>1</vcpu>"
                   "<os><type arch='x86_64'>hvm</type></os>"
                   "<cpu match='exact'><model>IvyBridge</model></cpu></domain>", VB_CPU_COMPARE_SUPERSET },
    { "in-domain-other-arch", "<domain type='kvm'><name>d</name><memory>1024</memory><vcpu>1</vcpu>"
                              "<os><type arch='aarch64'>hvm</type></os>"
                              "<cpu><model>qemu64</model></cpu></domain>", VB_CPU_COMPARE_INCOMPATIBLE,
      "CPU arch aarch64 does not match host arch" },
    { "in-capabilities", "<capabilities><host><uuid>x</uuid><cpu><arch>x86_64</arch><model>Haswell</model>"
                         "<vendor>Intel</vendor><feature name='vmx'/><feature name='pdpe1gb'/></cpu></host>"
                         "</capabilities>", VB_CPU_COMPARE_IDENTICAL },
    { "cpu-with-arch", "<cpu><arch>ppc64le</arch><model>qemu64</model></cpu>", VB_CPU_COMPARE_INCOMPATIBLE,
      "CPU arch ppc64le does not match host arch" },
};

static VbCpuCompareResult
compare(const char *host_xml, const char *guest, guint flags, GError **error)
{
    VbCpuDef host;
    VbCpuCompareResult result;

    parse_cpu(host_xml, &host);
    result = vb_cpu_compare_xml(db(), &host, guest, flags, error);
    vb_cpu_def_clear(&host);
    return result;
}

static void
run_compare_case(gconstpointer data)
{
    const CompareCase *tc = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GError) fail_error = NULL;
    VbCpuCompareResult failing;

    g_assert_cmpint(compare(HOST_XML, tc->guest, 0, &error), ==, tc->result);
    g_assert_no_error(error);

    /* FAIL_INCOMPATIBLE changes only an incompatible result, into an error with the reason */
    failing = compare(HOST_XML, tc->guest, VB_CPU_COMPARE_FAIL_INCOMPATIBLE, &fail_error);
    if (tc->result != VB_CPU_COMPARE_INCOMPATIBLE) {
        g_assert_no_error(fail_error);
        g_assert_cmpint(failing, ==, tc->result);
        return;
    }
    g_assert_cmpint(failing, ==, VB_CPU_COMPARE_ERROR);
    g_assert_error(fail_error, VB_ERROR, VB_ERR_CPU_INCOMPATIBLE);
    g_assert_nonnull(tc->reason);
    {
        g_autofree char *expected = g_strconcat("the CPU is incompatible with host CPU: ", tc->reason, NULL);
        g_assert_cmpstr(fail_error->message, ==, expected);
    }
}

typedef struct {
    const char *guest;
    guint flags;
    const char *error;
} CompareError;

static void
test_compare_errors(void)
{
    static const CompareError cases[] = {
        { "<cpu/>", 0, "invalid argument: no guest CPU model specified" },
        { "<cpu><topology sockets='1' cores='2' threads='1'/></cpu>", 0, "no guest CPU model specified" },
        { "<cpu><model>Pentium-Pro-Max</model></cpu>", 0, "internal error: Unknown CPU model Pentium-Pro-Max" },
        { "<cpu><model>Haswell</model><feature name='warp-drive'/></cpu>", 0, "Unknown CPU feature warp-drive" },
        { "<cpu><model>Haswell</model><vendor>Cyrix</vendor></cpu>", 0, "Unknown CPU vendor Cyrix" },
        { "<cpu><model>Haswell</model><feature policy='maybe' name='vmx'/></cpu>", 0,
          "invalid value 'maybe' for attribute 'policy' of element 'feature'" },
        { "<cpu match='loose'><model>Haswell</model></cpu>", 0, "match" },
        { "<cpu><model>Haswell</model>", 0, "Premature end of data in tag cpu" },
        { "", 0, "empty CPU definition" },
        { "<network><name>n</name></network>", 0,
          "unexpected root element <network>, expecting <cpu>, <domain> or <capabilities>" },
        { "<domain type='kvm'><name>d</name></domain>", 0, "missing <cpu> element in <domain>" },
        { "<capabilities><host/></capabilities>", 0, "missing <cpu> element in <capabilities>" },
        { "<cpu><model>Haswell</model></cpu>", 1 << 4,
          "unsupported flags (0x10) in function virConnectCompareCPU" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;

        g_assert_cmpint(compare(HOST_XML, cases[i].guest, cases[i].flags, &error), ==, VB_CPU_COMPARE_ERROR);
        g_assert_nonnull(error);
        if (!strstr(error->message, cases[i].error))
            g_error("%s: '%s' lacks '%s'", cases[i].guest, error->message, cases[i].error);
    }
}

static void
test_compare_unknown_host(void)
{
    g_autoptr(GError) error = NULL;
    const char *guest = "<cpu><model>qemu64</model></cpu>";
    const char *host = "<cpu><arch>i686</arch><topology sockets='1' cores='2' threads='1'/></cpu>";

    g_assert_cmpint(compare(host, guest, 0, &error), ==, VB_CPU_COMPARE_INCOMPATIBLE);
    g_assert_no_error(error);
    g_assert_cmpint(compare(host, guest, VB_CPU_COMPARE_FAIL_INCOMPATIBLE, &error), ==, VB_CPU_COMPARE_ERROR);
    g_assert_error(error, VB_ERROR, VB_ERR_CPU_INCOMPATIBLE);
    g_assert_cmpstr(error->message, ==, "the CPU is incompatible with host CPU: unknown host CPU");
}

/* An AMD host: an Intel model's features can be there, its vendor check is separate. */
static void
test_compare_amd_host(void)
{
    g_autoptr(GError) error = NULL;
    const char *host = "<cpu><arch>x86_64</arch><model>EPYC-Rome</model><vendor>AMD</vendor></cpu>";

    g_assert_cmpint(compare(host, "<cpu><model>EPYC</model></cpu>", 0, &error), ==, VB_CPU_COMPARE_SUPERSET);
    g_assert_cmpint(compare(host, "<cpu match='strict'><model>EPYC-Rome</model></cpu>", 0, &error), ==,
                    VB_CPU_COMPARE_IDENTICAL);
    g_assert_cmpint(compare(host, "<cpu><model>Westmere</model></cpu>", 0, &error), ==, VB_CPU_COMPARE_SUPERSET);
    g_assert_cmpint(compare(host, "<cpu><model>Westmere</model><vendor>Intel</vendor></cpu>", 0, &error), ==,
                    VB_CPU_COMPARE_INCOMPATIBLE);
    /* Haswell needs Intel's TSX (hle, rtm) and others EPYC lacks */
    g_assert_cmpint(compare(host, "<cpu><model>Haswell</model></cpu>", 0, &error), ==,
                    VB_CPU_COMPARE_INCOMPATIBLE);
    g_assert_no_error(error);
}

/* ---- baseline ---- */

static char *
baseline(const char *const *xmls, guint flags, GError **error)
{
    return vb_cpu_baseline_xml(db(), xmls, flags, error);
}

static void
test_baseline_two(void)
{
    g_autoptr(GError) error = NULL;
    const char *const cpus[] = {
        HOST_XML,
        "<cpu><arch>x86_64</arch><model>Broadwell</model><vendor>Intel</vendor><feature name='vmx'/></cpu>",
        NULL,
    };
    g_autofree char *result = baseline(cpus, 0, &error);

    g_assert_no_error(error);
    g_assert_cmpstr(result, ==,
                    "<cpu mode='custom' match='exact'>\n"
                    "  <model fallback='forbid'>Haswell</model>\n"
                    "  <vendor>Intel</vendor>\n"
                    "  <feature policy='require' name='vmx'/>\n"
                    "</cpu>\n");
}

static void
test_baseline_three(void)
{
    g_autoptr(GError) error = NULL;
    const char *const cpus[] = {
        "<cpu><model>Skylake-Client</model><vendor>Intel</vendor></cpu>",
        "<cpu><model>IvyBridge</model><vendor>Intel</vendor><feature name='fma'/><feature name='avx2'/></cpu>",
        "<capabilities><host><cpu><arch>x86_64</arch><model>Westmere</model><vendor>Intel</vendor>"
        "<feature name='x2apic'/><feature name='avx2'/></cpu></host></capabilities>",
        NULL,
    };
    g_autofree char *result = baseline(cpus, 0, &error);

    g_assert_no_error(error);
    g_assert_cmpstr(result, ==,
                    "<cpu mode='custom' match='exact'>\n"
                    "  <model fallback='forbid'>Westmere</model>\n"
                    "  <vendor>Intel</vendor>\n"
                    "  <feature policy='require' name='x2apic'/>\n"
                    "  <feature policy='require' name='avx2'/>\n"
                    "</cpu>\n");
}

/* The model that fits the common features best, not necessarily one given. */
static void
test_baseline_newer_model(void)
{
    g_autoptr(GError) error = NULL;
    const char *const cpus[] = {
        "<cpu><model>Haswell</model><vendor>Intel</vendor><feature name='rdseed'/><feature name='adx'/>"
        "<feature name='smap'/><feature name='3dnowprefetch'/><feature name='avx512f'/></cpu>",
        NULL,
    };
    g_autofree char *result = baseline(cpus, 0, &error);

    g_assert_no_error(error);
    g_assert_cmpstr(result, ==,
                    "<cpu mode='custom' match='exact'>\n"
                    "  <model fallback='forbid'>Broadwell</model>\n"
                    "  <vendor>Intel</vendor>\n"
                    "  <feature policy='require' name='avx512f'/>\n"
                    "</cpu>\n");
}

/* Without a vendor on every CPU no vendor's model applies. */
static void
test_baseline_no_vendor(void)
{
    g_autoptr(GError) error = NULL;
    const char *const cpus[] = {
        "<cpu><model>EPYC</model><vendor>AMD</vendor></cpu>",
        "<cpu><model>Haswell</model></cpu>",
        NULL,
    };
    g_autofree char *result = baseline(cpus, 0, &error);

    g_assert_no_error(error);
    g_assert_true(g_str_has_prefix(result, "<cpu mode='custom' match='exact'>\n"
                                           "  <model fallback='forbid'>qemu64</model>\n"
                                           "  <feature policy='require' name='pclmulqdq'/>\n"));
    g_assert_null(strstr(result, "<vendor>"));
    g_assert_nonnull(strstr(result, "name='avx2'"));
    g_assert_null(strstr(result, "name='svm'"));
    g_assert_null(strstr(result, "name='hle'"));
}

static void
test_baseline_expand(void)
{
    g_autoptr(GError) error = NULL;
    const char *const cpus[] = { "<cpu><model>Nehalem</model><vendor>Intel</vendor><feature name='vmx'/></cpu>",
                                 NULL };
    g_autofree char *result = baseline(cpus, VB_CPU_BASELINE_EXPAND_FEATURES, &error);
    g_auto(GStrv) features = vb_cpu_db_model_features(db(), "Nehalem", &error);
    g_auto(GStrv) lines = NULL;
    guint listed = 0;

    g_assert_no_error(error);
    lines = g_strsplit(result, "\n", -1);
    for (guint i = 0; lines[i]; i++)
        listed += strstr(lines[i], "<feature policy='require'") != NULL;
    g_assert_cmpuint(listed, ==, g_strv_length(features) + 1);
    g_assert_nonnull(strstr(result, "<feature policy='require' name='fpu'/>"));
    g_assert_nonnull(strstr(result, "<feature policy='require' name='sse4.2'/>"));
    g_assert_nonnull(strstr(result, "<feature policy='require' name='vmx'/>"));
}

static void
test_baseline_migratable(void)
{
    g_autoptr(GError) error = NULL;
    const char *const cpus[] = {
        "<cpu><model>SandyBridge</model><vendor>Intel</vendor><feature name='invtsc'/><feature name='vmx'/></cpu>",
        "<cpu><model>IvyBridge</model><vendor>Intel</vendor><feature name='invtsc'/><feature name='vmx'/></cpu>",
        NULL,
    };
    g_autofree char *plain = baseline(cpus, 0, &error);
    g_autofree char *migratable = baseline(cpus, VB_CPU_BASELINE_MIGRATABLE, &error);

    g_assert_no_error(error);
    g_assert_nonnull(strstr(plain, "name='invtsc'"));
    g_assert_null(strstr(migratable, "name='invtsc'"));
    g_assert_nonnull(strstr(migratable, "<model fallback='forbid'>SandyBridge</model>"));
    g_assert_nonnull(strstr(migratable, "name='vmx'"));
}

typedef struct {
    const char *cpus[3];
    guint flags;
    const char *error;
} BaselineError;

static void
test_baseline_errors(void)
{
    static const BaselineError cases[] = {
        { { NULL }, 0, "invalid argument: no CPU definitions given" },
        { { "<cpu><model>Haswell</model></cpu>", "<cpu mode='host-passthrough'/>", NULL }, 0,
          "no CPU model specified at index 1" },
        { { "<cpu><model>Haswell</model><vendor>Intel</vendor></cpu>",
            "<cpu><model>EPYC</model><vendor>AMD</vendor></cpu>", NULL }, 0, "CPU vendors do not match" },
        { { "<cpu><model>Haswell</model></cpu>", "<cpu><model>Nope</model></cpu>", NULL }, 0,
          "Unknown CPU model Nope" },
        { { "<cpu><model>Haswell</model><feature name='nope'/></cpu>", NULL }, 0, "Unknown CPU feature nope" },
        { { "<cpu><model>Haswell</model>", NULL }, 0, "Premature end of data" },
        { { "<cpu><model>Haswell</model></cpu>", NULL }, 1 << 2,
          "unsupported flags (0x4) in function virConnectBaselineCPU" },
        /* every model in the database has an FPU */
        { { "<cpu><model>Haswell</model><vendor>Intel</vendor><feature policy='disable' name='fpu'/></cpu>",
            NULL }, 0, "Cannot find suitable CPU model for given data" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autofree char *result = baseline(cases[i].cpus, cases[i].flags, &error);

        g_assert_null(result);
        g_assert_nonnull(error);
        if (!strstr(error->message, cases[i].error))
            g_error("case %" G_GSIZE_FORMAT ": '%s' lacks '%s'", i, error->message, cases[i].error);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/cpu/db/models", test_db_models);
    g_test_add_func("/cpu/db/inheritance", test_db_inheritance);
    g_test_add_func("/cpu/db/names", test_db_names);
    g_test_add_func("/cpu/db/best-model", test_db_best_model);
    g_test_add_func("/cpu/db/errors", test_db_errors);
    for (gsize i = 0; i < G_N_ELEMENTS(compare_cases); i++) {
        g_autofree char *path = g_strdup_printf("/cpu/compare/%s", compare_cases[i].name);
        g_test_add_data_func(path, &compare_cases[i], run_compare_case);
    }
    g_test_add_func("/cpu/compare/errors", test_compare_errors);
    g_test_add_func("/cpu/compare/unknown-host", test_compare_unknown_host);
    g_test_add_func("/cpu/compare/amd-host", test_compare_amd_host);
    g_test_add_func("/cpu/baseline/two", test_baseline_two);
    g_test_add_func("/cpu/baseline/three", test_baseline_three);
    g_test_add_func("/cpu/baseline/newer-model", test_baseline_newer_model);
    g_test_add_func("/cpu/baseline/no-vendor", test_baseline_no_vendor);
    g_test_add_func("/cpu/baseline/expand", test_baseline_expand);
    g_test_add_func("/cpu/baseline/migratable", test_baseline_migratable);
    g_test_add_func("/cpu/baseline/errors", test_baseline_errors);
    return g_test_run();
}
