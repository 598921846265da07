/* cpu_conf.c: the x86 CPU model database, and CPU comparison and baseline as libvirt does them.
 *
 * A CPU definition becomes a feature set: its model's features (inherited ones included)
 * plus or minus the features it lists, by policy. Sets are byte arrays indexed by the
 * database's feature order, so results list features in that (CPUID) order. */
#include "cpu_conf.h"

#include <gio/gio.h>
#include <stdarg.h>
#include <string.h>

#define CPU_DB_RESOURCE "/org/libvirt/virtbus/cpu/x86_models.xml"

typedef struct {
    char *name;
    char *linux_name;
    gboolean migratable;
} DbFeature;

typedef struct {
    char *name;
    char *vendor;            /* NULL: any vendor */
    GArray *features;        /* feature set */
} DbModel;

struct _VbCpuDb {
    GPtrArray *features;     /* DbFeature, in declaration order */
    GHashTable *by_name;     /* feature name -> index + 1 */
    GHashTable *by_linux;    /* /proc/cpuinfo flag -> index + 1 */
    GPtrArray *models;       /* DbModel, oldest first */
    GHashTable *vendors;     /* CPUID vendor string -> vendor name */
};

static void
db_feature_free(DbFeature *feature)
{
    g_free(feature->name);
    g_free(feature->linux_name);
    g_free(feature);
}

static void
db_model_free(DbModel *model)
{
    g_free(model->name);
    g_free(model->vendor);
    if (model->features)
        g_array_unref(model->features);
    g_free(model);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DbModel, db_model_free)

void
vb_cpu_db_free(VbCpuDb *db)
{
    if (!db)
        return;
    g_ptr_array_unref(db->features);
    g_hash_table_unref(db->by_name);
    g_hash_table_unref(db->by_linux);
    g_ptr_array_unref(db->models);
    g_hash_table_unref(db->vendors);
    g_free(db);
}

/* ---- feature sets ---- */

static GArray *
set_new(const VbCpuDb *db)
{
    GArray *set = g_array_sized_new(FALSE, TRUE, sizeof(guint8), db->features->len);

    g_array_set_size(set, db->features->len);
    return set;
}

static gboolean
set_has(const GArray *set, guint i)
{
    return g_array_index(set, guint8, i) != 0;
}

static void
set_put(GArray *set, guint i, gboolean present)
{
    g_array_index(set, guint8, i) = present ? 1 : 0;
}

static GArray *
set_copy(const GArray *set)
{
    GArray *copy = g_array_sized_new(FALSE, TRUE, sizeof(guint8), set->len);

    g_array_append_vals(copy, set->data, set->len);
    return copy;
}

static void
set_union(GArray *dst, const GArray *src)
{
    for (guint i = 0; i < dst->len; i++) {
        if (set_has(src, i))
            set_put(dst, i, TRUE);
    }
}

static void
set_subtract(GArray *dst, const GArray *src)
{
    for (guint i = 0; i < dst->len; i++) {
        if (set_has(src, i))
            set_put(dst, i, FALSE);
    }
}

static void
set_intersect(GArray *dst, const GArray *src)
{
    for (guint i = 0; i < dst->len; i++) {
        if (!set_has(src, i))
            set_put(dst, i, FALSE);
    }
}

static guint
set_count(const GArray *set)
{
    guint count = 0;

    for (guint i = 0; i < set->len; i++)
        count += set_has(set, i);
    return count;
}

/* TRUE when every member of @sub is in @set. */
static gboolean
set_contains(const GArray *set, const GArray *sub)
{
    for (guint i = 0; i < set->len; i++) {
        if (set_has(sub, i) && !set_has(set, i))
            return FALSE;
    }
    return TRUE;
}

/* The members of @set that @other lacks, as "a, b". */
static char *
set_missing_names(const VbCpuDb *db, const GArray *set, const GArray *other)
{
    g_autoptr(GString) names = g_string_new(NULL);

    for (guint i = 0; i < set->len; i++) {
        if (set_has(set, i) && (!other || !set_has(other, i))) {
            if (names->len)
                g_string_append(names, ", ");
            g_string_append(names, ((DbFeature *)g_ptr_array_index(db->features, i))->name);
        }
    }
    return g_string_free(g_steal_pointer(&names), FALSE);
}

static GStrv
set_to_strv(const VbCpuDb *db, const GArray *set)
{
    g_autoptr(GStrvBuilder) names = g_strv_builder_new();

    for (guint i = 0; i < set->len; i++) {
        if (set_has(set, i))
            g_strv_builder_add(names, ((DbFeature *)g_ptr_array_index(db->features, i))->name);
    }
    return g_strv_builder_end(names);
}

/* ---- loading the database ---- */

static gboolean
db_feature_index(const VbCpuDb *db, const char *name, guint *index, GError **error)
{
    gpointer value = name ? g_hash_table_lookup(db->by_name, name) : NULL;

    if (!value) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "Unknown CPU feature %s", name ? name : "(null)");
        return FALSE;
    }
    *index = GPOINTER_TO_UINT(value) - 1;
    return TRUE;
}

static const DbModel *
db_find_model(const VbCpuDb *db, const char *name)
{
    for (guint i = 0; i < db->models->len; i++) {
        const DbModel *model = g_ptr_array_index(db->models, i);
        if (g_str_equal(model->name, name))
            return model;
    }
    return NULL;
}

static gboolean
db_is_vendor(const VbCpuDb *db, const char *vendor)
{
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init(&iter, db->vendors);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        if (g_str_equal(value, vendor))
            return TRUE;
    }
    return FALSE;
}

static gboolean
db_load_features(VbCpuDb *db, xmlNodePtr arch, GError **error)
{
    VB_XML_FOREACH_CHILD(vb_xml_child(arch, "features"), "feature", node) {
        DbFeature *feature = g_new0(DbFeature, 1);
        g_autofree char *migratable = vb_xml_prop(node, "migratable");

        g_ptr_array_add(db->features, feature);
        if (!vb_xml_prop_required(node, "name", &feature->name, error))
            return FALSE;
        if (g_hash_table_contains(db->by_name, feature->name)) {
            vb_set_error(error, VB_ERR_INTERNAL_ERROR, "CPU map: feature %s declared twice", feature->name);
            return FALSE;
        }
        feature->linux_name = vb_xml_prop(node, "linux");
        if (!feature->linux_name)
            feature->linux_name = g_strdelimit(g_strdup(feature->name), "-", '_');
        feature->migratable = g_strcmp0(migratable, "no") != 0;
        g_hash_table_insert(db->by_name, feature->name, GUINT_TO_POINTER(db->features->len));
        g_hash_table_insert(db->by_linux, feature->linux_name, GUINT_TO_POINTER(db->features->len));
    }
    return TRUE;
}

static gboolean
db_load_vendors(VbCpuDb *db, xmlNodePtr arch, GError **error)
{
    VB_XML_FOREACH_CHILD(arch, "vendor", node) {
        g_autofree char *name = NULL;
        g_autofree char *cpuid = NULL;

        if (!vb_xml_prop_required(node, "name", &name, error) ||
            !vb_xml_prop_required(node, "string", &cpuid, error))
            return FALSE;
        g_hash_table_insert(db->vendors, g_steal_pointer(&cpuid), g_steal_pointer(&name));
    }
    return TRUE;
}

/* A model's features: those of the model it starts from (which must come earlier) and its own. */
static gboolean
db_load_model_body(VbCpuDb *db, xmlNodePtr node, DbModel *model, GError **error)
{
    xmlNodePtr base = vb_xml_child(node, "model");
    xmlNodePtr vendor = vb_xml_child(node, "vendor");

    if (base) {
        g_autofree char *base_name = vb_xml_prop(base, "name");
        const DbModel *parent = base_name ? db_find_model(db, base_name) : NULL;

        if (!parent) {
            vb_set_error(error, VB_ERR_INTERNAL_ERROR, "CPU map: model %s starts from unknown model %s",
                         model->name, base_name ? base_name : "(null)");
            return FALSE;
        }
        set_union(model->features, parent->features);
        model->vendor = g_strdup(parent->vendor);
    }
    if (vendor) {
        g_free(model->vendor);
        model->vendor = vb_xml_prop(vendor, "name");
        if (!model->vendor || !db_is_vendor(db, model->vendor)) {
            vb_set_error(error, VB_ERR_INTERNAL_ERROR, "CPU map: model %s has an unknown vendor", model->name);
            return FALSE;
        }
    }
    VB_XML_FOREACH_CHILD(node, "feature", feature) {
        g_autofree char *name = vb_xml_prop(feature, "name");
        guint index;

        if (!db_feature_index(db, name, &index, error))
            return FALSE;
        set_put(model->features, index, TRUE);
    }
    return TRUE;
}

static gboolean
db_load_models(VbCpuDb *db, xmlNodePtr arch, GError **error)
{
    VB_XML_FOREACH_CHILD(arch, "model", node) {
        g_autoptr(DbModel) model = g_new0(DbModel, 1);

        model->features = set_new(db);
        if (!vb_xml_prop_required(node, "name", &model->name, error))
            return FALSE;
        if (db_find_model(db, model->name)) {
            vb_set_error(error, VB_ERR_INTERNAL_ERROR, "CPU map: model %s defined twice", model->name);
            return FALSE;
        }
        if (!db_load_model_body(db, node, model, error))
            return FALSE;
        g_ptr_array_add(db->models, g_steal_pointer(&model));
    }
    return TRUE;
}

VbCpuDb *
vb_cpu_db_new_from_xml(const char *xml, GError **error)
{
    g_autoptr(xmlDoc) doc = vb_xml_parse(xml, "cpus", error);
    g_autoptr(VbCpuDb) db = NULL;
    xmlNodePtr arch = NULL;

    if (!doc)
        return NULL;
    VB_XML_FOREACH_CHILD(xmlDocGetRootElement(doc), "arch", node) {
        g_autofree char *name = vb_xml_prop(node, "name");
        if (g_strcmp0(name, "x86") == 0)
            arch = node;
    }
    if (!arch) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "%s", "CPU map: no <arch name='x86'>");
        return NULL;
    }
    db = g_new0(VbCpuDb, 1);
    db->features = g_ptr_array_new_with_free_func((GDestroyNotify)db_feature_free);
    db->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    db->by_linux = g_hash_table_new(g_str_hash, g_str_equal);
    db->models = g_ptr_array_new_with_free_func((GDestroyNotify)db_model_free);
    db->vendors = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    if (!db_load_vendors(db, arch, error) ||
        !db_load_features(db, arch, error) ||
        !db_load_models(db, arch, error))
        return NULL;
    return g_steal_pointer(&db);
}

const VbCpuDb *
vb_cpu_db_default(GError **error)
{
    static gsize loaded = 0;
    static VbCpuDb *db = NULL;
    static char *load_error = NULL;

    if (g_once_init_enter(&loaded)) {
        g_autoptr(GError) local = NULL;
        g_autoptr(GBytes) bytes = g_resources_lookup_data(CPU_DB_RESOURCE, 0, &local);
        g_autofree char *text = bytes ? g_strndup(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes)) : NULL;

        if (text)
            db = vb_cpu_db_new_from_xml(text, &local);
        if (!db)
            load_error = g_strdup(local->message);
        g_once_init_leave(&loaded, 1);
    }
    if (!db)
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "cannot load the CPU model database: %s", load_error);
    return db;
}

/* ---- queries ---- */

gboolean
vb_cpu_arch_is_x86(const char *arch)
{
    return g_strcmp0(arch, "x86_64") == 0 || g_strcmp0(arch, "i686") == 0;
}

GStrv
vb_cpu_db_model_names(const VbCpuDb *db)
{
    g_autoptr(GStrvBuilder) names = g_strv_builder_new();

    for (guint i = 0; i < db->models->len; i++)
        g_strv_builder_add(names, ((DbModel *)g_ptr_array_index(db->models, i))->name);
    return g_strv_builder_end(names);
}

static const DbModel *
db_model_or_error(const VbCpuDb *db, const char *name, GError **error)
{
    const DbModel *model = db_find_model(db, name);

    if (!model)
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "Unknown CPU model %s", name);
    return model;
}

GStrv
vb_cpu_db_model_features(const VbCpuDb *db, const char *name, GError **error)
{
    const DbModel *model = db_model_or_error(db, name, error);

    return model ? set_to_strv(db, model->features) : NULL;
}

const char *
vb_cpu_db_feature_from_linux(const VbCpuDb *db, const char *flag)
{
    gpointer value = g_hash_table_lookup(db->by_linux, flag);

    return value ? ((DbFeature *)g_ptr_array_index(db->features, GPOINTER_TO_UINT(value) - 1))->name : NULL;
}

const char *
vb_cpu_db_vendor_from_cpuid(const VbCpuDb *db, const char *cpuid_vendor)
{
    return cpuid_vendor ? g_hash_table_lookup(db->vendors, cpuid_vendor) : NULL;
}

static const DbModel *
db_best_model(const VbCpuDb *db, const char *vendor, const GArray *features)
{
    const DbModel *best = NULL;
    guint best_count = 0;

    for (guint i = 0; i < db->models->len; i++) {
        const DbModel *model = g_ptr_array_index(db->models, i);
        guint count;

        if (model->vendor && g_strcmp0(model->vendor, vendor) != 0)
            continue;
        if (!set_contains(features, model->features))
            continue;
        count = set_count(model->features);
        if (!best || count >= best_count) {
            best = model;
            best_count = count;
        }
    }
    return best;
}

const char *
vb_cpu_db_best_model(const VbCpuDb *db, const char *vendor, const char *const *features)
{
    g_autoptr(GArray) set = set_new(db);
    const DbModel *model;

    for (gsize i = 0; features && features[i]; i++) {
        guint index;
        if (db_feature_index(db, features[i], &index, NULL))
            set_put(set, index, TRUE);
    }
    model = db_best_model(db, vendor, set);
    return model ? model->name : NULL;
}

/* ---- parsing a CPU out of a document ---- */

static xmlNodePtr
find_cpu_node(xmlNodePtr root, char **arch, GError **error)
{
    const char *name = (const char *)root->name;
    xmlNodePtr cpu = NULL;

    if (g_str_equal(name, "cpu")) {
        cpu = root;
    } else if (g_str_equal(name, "domain")) {
        cpu = vb_xml_child(root, "cpu");
        *arch = vb_xml_prop(vb_xml_child(vb_xml_child(root, "os"), "type"), "arch");
    } else if (g_str_equal(name, "capabilities")) {
        cpu = vb_xml_child(vb_xml_child(root, "host"), "cpu");
    } else {
        vb_set_error(error, VB_ERR_XML_ERROR, "unexpected root element <%s>, expecting <cpu>, <domain> or <capabilities>",
                     name);
        return NULL;
    }
    if (!cpu) {
        vb_set_error(error, VB_ERR_XML_ERROR, "missing <cpu> element in <%s>", name);
        return NULL;
    }
    if (!*arch)
        *arch = vb_xml_child_content(cpu, "arch");
    return cpu;
}

gboolean
vb_cpu_def_parse_xml(const char *xml, VbCpuDef *def, char **arch, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autofree char *found_arch = NULL;
    xmlNodePtr cpu;

    if (!xml || !*xml) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "%s", "empty CPU definition");
        return FALSE;
    }
    if (!(doc = vb_xml_parse(xml, NULL, error)) ||
        !(cpu = find_cpu_node(xmlDocGetRootElement(doc), &found_arch, error)) ||
        !vb_cpu_def_parse_node(cpu, def, error))
        return FALSE;
    if (arch)
        *arch = g_steal_pointer(&found_arch);
    return TRUE;
}

/* ---- feature sets of CPU definitions ---- */

/* The features a host CPU has: its model's and those it lists, except disabled ones. */
static GArray *
host_features(const VbCpuDb *db, const VbCpuDef *cpu, GError **error)
{
    g_autoptr(GArray) set = set_new(db);

    if (cpu->model) {
        const DbModel *model = db_model_or_error(db, cpu->model, error);
        if (!model)
            return NULL;
        set_union(set, model->features);
    }
    for (guint i = 0; i < cpu->features->len; i++) {
        const VbCpuFeature *feature = g_ptr_array_index(cpu->features, i);
        guint index;

        if (!db_feature_index(db, feature->name, &index, error))
            return NULL;
        set_put(set, index, feature->policy != VB_CPU_FEATURE_DISABLE && feature->policy != VB_CPU_FEATURE_FORBID);
    }
    return g_steal_pointer(&set);
}

/* The guest's features by policy: one set per VbCpuFeaturePolicy. */
typedef struct {
    GArray *policy[VB_CPU_FEATURE_LAST];
} GuestSets;

static void
guest_sets_clear(GuestSets *sets)
{
    for (int i = 0; i < VB_CPU_FEATURE_LAST; i++)
        g_clear_pointer(&sets->policy[i], g_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(GuestSets, guest_sets_clear)

static gboolean
guest_sets_fill(const VbCpuDb *db, const VbCpuDef *cpu, GuestSets *sets, GError **error)
{
    for (int i = 0; i < VB_CPU_FEATURE_LAST; i++)
        sets->policy[i] = set_new(db);
    for (guint i = 0; i < cpu->features->len; i++) {
        const VbCpuFeature *feature = g_ptr_array_index(cpu->features, i);
        guint index;

        if (!db_feature_index(db, feature->name, &index, error))
            return FALSE;
        set_put(sets->policy[feature->policy], index, TRUE);
    }
    return TRUE;
}

/* ---- comparison ---- */

static VbCpuCompareResult G_GNUC_PRINTF(3, 4)
incompatible(gboolean fail, GError **error, const char *fmt, ...)
{
    va_list args;
    g_autofree char *reason = NULL;

    if (!fail)
        return VB_CPU_COMPARE_INCOMPATIBLE;
    va_start(args, fmt);
    reason = g_strdup_vprintf(fmt, args);
    va_end(args);
    vb_set_error(error, VB_ERR_CPU_INCOMPATIBLE, "%s", reason);
    return VB_CPU_COMPARE_ERROR;
}

/* Features the guest requires must be on the host and forbidden ones absent, whatever the
 * mode: IDENTICAL when both hold (the caller goes on), else why not. */
static VbCpuCompareResult
check_required_and_forbidden(const VbCpuDb *db, const GArray *host, const GArray *required,
                             const GArray *forbidden, gboolean fail, GError **error)
{
    g_autoptr(GArray) provided = set_copy(forbidden);

    set_intersect(provided, host);
    if (set_count(provided)) {
        g_autofree char *names = set_missing_names(db, provided, NULL);
        return incompatible(fail, error, "Host CPU provides forbidden features: %s", names);
    }
    if (!set_contains(host, required)) {
        g_autofree char *names = set_missing_names(db, required, host);
        return incompatible(fail, error, "Host CPU does not provide required features: %s", names);
    }
    return VB_CPU_COMPARE_IDENTICAL;
}

/* A custom CPU: the model's features and required ones must be on the host (minus disabled,
 * forced and optional ones); other host features make it a superset, which strict forbids. */
static VbCpuCompareResult
compare_custom(const VbCpuDb *db, const GArray *host, const VbCpuDef *guest, const GuestSets *sets,
               gboolean fail, GError **error)
{
    const DbModel *model = db_model_or_error(db, guest->model, error);
    g_autoptr(GArray) required = NULL;
    g_autoptr(GArray) extra = NULL;
    VbCpuCompareResult result;

    if (!model)
        return VB_CPU_COMPARE_ERROR;
    required = set_copy(model->features);
    set_union(required, sets->policy[VB_CPU_FEATURE_REQUIRE]);
    set_subtract(required, sets->policy[VB_CPU_FEATURE_DISABLE]);
    set_subtract(required, sets->policy[VB_CPU_FEATURE_FORCE]);
    set_subtract(required, sets->policy[VB_CPU_FEATURE_OPTIONAL]);
    result = check_required_and_forbidden(db, host, required, sets->policy[VB_CPU_FEATURE_FORBID], fail, error);
    if (result != VB_CPU_COMPARE_IDENTICAL)
        return result;

    extra = set_copy(host);
    set_subtract(extra, model->features);
    for (int i = 0; i < VB_CPU_FEATURE_LAST; i++)
        set_subtract(extra, sets->policy[i]);
    if (!set_count(extra))
        return VB_CPU_COMPARE_IDENTICAL;
    if (guest->match == VB_CPU_MATCH_STRICT) {
        g_autofree char *names = set_missing_names(db, extra, NULL);
        return incompatible(fail, error, "Host CPU does not strictly match guest CPU: Extra features: %s", names);
    }
    return VB_CPU_COMPARE_SUPERSET;
}

static gboolean
check_vendor_name(const VbCpuDb *db, const char *vendor, GError **error)
{
    if (vendor && !db_is_vendor(db, vendor)) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "Unknown CPU vendor %s", vendor);
        return FALSE;
    }
    return TRUE;
}

VbCpuCompareResult
vb_cpu_compare(const VbCpuDb *db, const VbCpuDef *host, const VbCpuDef *guest, const char *guest_arch,
               gboolean fail_incompatible, GError **error)
{
    g_autoptr(GArray) host_set = NULL;
    g_auto(GuestSets) sets = { 0 };

    if (guest->mode == VB_CPU_MODE_CUSTOM && !guest->model) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "%s", "no guest CPU model specified");
        return VB_CPU_COMPARE_ERROR;
    }
    if (!guest_sets_fill(db, guest, &sets, error) || !check_vendor_name(db, guest->vendor, error))
        return VB_CPU_COMPARE_ERROR;
    if (guest_arch && !vb_cpu_arch_is_x86(guest_arch))
        return incompatible(fail_incompatible, error, "CPU arch %s does not match host arch", guest_arch);
    if (!host || !host->model)
        return incompatible(fail_incompatible, error, "%s", "unknown host CPU");
    if (!(host_set = host_features(db, host, error)))
        return VB_CPU_COMPARE_ERROR;

    /* host-model, host-passthrough and maximum take the host CPU itself */
    if (guest->mode != VB_CPU_MODE_CUSTOM)
        return check_required_and_forbidden(db, host_set, sets.policy[VB_CPU_FEATURE_REQUIRE],
                                            sets.policy[VB_CPU_FEATURE_FORBID], fail_incompatible, error);
    if (guest->vendor && g_strcmp0(guest->vendor, host->vendor) != 0)
        return incompatible(fail_incompatible, error, "host CPU vendor does not match required CPU vendor %s",
                            guest->vendor);
    return compare_custom(db, host_set, guest, &sets, fail_incompatible, error);
}

VbCpuCompareResult
vb_cpu_compare_xml(const VbCpuDb *db, const VbCpuDef *host, const char *xml, guint flags, GError **error)
{
    VbCpuDef guest;
    g_autofree char *arch = NULL;
    VbCpuCompareResult result = VB_CPU_COMPARE_ERROR;

    if (!vb_check_flags(flags, VB_CPU_COMPARE_FAIL_INCOMPATIBLE | VB_CPU_COMPARE_VALIDATE_XML,
                        "virConnectCompareCPU", error))
        return VB_CPU_COMPARE_ERROR;
    vb_cpu_def_init(&guest);
    if (vb_cpu_def_parse_xml(xml, &guest, &arch, error))
        result = vb_cpu_compare(db, host, &guest, arch, flags & VB_CPU_COMPARE_FAIL_INCOMPATIBLE, error);
    vb_cpu_def_clear(&guest);
    return result;
}

/* ---- baseline ---- */

/* The vendor all @cpus share; NULL when some give none. Different vendors are an error. */
static gboolean
common_vendor(const VbCpuDb *db, const VbCpuDef *const *cpus, guint ncpus, const char **vendor, GError **error)
{
    gboolean all = TRUE;

    *vendor = NULL;
    for (guint i = 0; i < ncpus; i++) {
        if (!check_vendor_name(db, cpus[i]->vendor, error))
            return FALSE;
        if (!cpus[i]->vendor) {
            all = FALSE;
        } else if (*vendor && !g_str_equal(*vendor, cpus[i]->vendor)) {
            vb_set_error(error, VB_ERR_OPERATION_FAILED, "%s", "CPU vendors do not match");
            return FALSE;
        } else {
            *vendor = cpus[i]->vendor;
        }
    }
    if (!all)
        *vendor = NULL;
    return TRUE;
}

static GArray *
common_features(const VbCpuDb *db, const VbCpuDef *const *cpus, guint ncpus, GError **error)
{
    g_autoptr(GArray) common = NULL;

    for (guint i = 0; i < ncpus; i++) {
        g_autoptr(GArray) one = NULL;

        if (!cpus[i]->model) {
            vb_set_error(error, VB_ERR_INVALID_ARG, "no CPU model specified at index %u", i);
            return NULL;
        }
        if (!(one = host_features(db, cpus[i], error)))
            return NULL;
        if (common)
            set_intersect(common, one);
        else
            common = g_steal_pointer(&one);
    }
    return g_steal_pointer(&common);
}

static void
drop_unmigratable(const VbCpuDb *db, GArray *set)
{
    for (guint i = 0; i < set->len; i++) {
        if (!((DbFeature *)g_ptr_array_index(db->features, i))->migratable)
            set_put(set, i, FALSE);
    }
}

static char *
format_baseline(const VbCpuDb *db, const DbModel *model, const char *vendor, const GArray *features)
{
    VbCpuDef cpu;
    VbBuf buf;

    vb_cpu_def_init(&cpu);
    cpu.present = TRUE;
    cpu.mode = VB_CPU_MODE_CUSTOM;
    cpu.match = VB_CPU_MATCH_EXACT;
    cpu.model = g_strdup(model->name);
    cpu.model_fallback = g_strdup("forbid");
    cpu.vendor = g_strdup(vendor);
    for (guint i = 0; i < features->len; i++) {
        VbCpuFeature *feature;

        if (!set_has(features, i))
            continue;
        feature = g_new0(VbCpuFeature, 1);
        feature->name = g_strdup(((DbFeature *)g_ptr_array_index(db->features, i))->name);
        feature->policy = VB_CPU_FEATURE_REQUIRE;
        g_ptr_array_add(cpu.features, feature);
    }
    vb_buf_init(&buf, 0);
    vb_cpu_def_format_buf(&buf, &cpu);
    vb_cpu_def_clear(&cpu);
    return vb_buf_steal(&buf);
}

char *
vb_cpu_baseline(const VbCpuDb *db, const VbCpuDef *const *cpus, guint ncpus, guint flags, GError **error)
{
    const char *vendor = NULL;
    g_autoptr(GArray) common = NULL;
    const DbModel *model;

    if (!vb_check_flags(flags, VB_CPU_BASELINE_EXPAND_FEATURES | VB_CPU_BASELINE_MIGRATABLE,
                        "virConnectBaselineCPU", error))
        return NULL;
    if (ncpus == 0) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "%s", "no CPU definitions given");
        return NULL;
    }
    if (!common_vendor(db, cpus, ncpus, &vendor, error) ||
        !(common = common_features(db, cpus, ncpus, error)))
        return NULL;
    if (flags & VB_CPU_BASELINE_MIGRATABLE)
        drop_unmigratable(db, common);
    if (!(model = db_best_model(db, vendor, common))) {
        vb_set_error(error, VB_ERR_OPERATION_FAILED, "%s", "Cannot find suitable CPU model for given data");
        return NULL;
    }
    if (!(flags & VB_CPU_BASELINE_EXPAND_FEATURES))
        set_subtract(common, model->features);
    return format_baseline(db, model, vendor, common);
}

char *
vb_cpu_baseline_xml(const VbCpuDb *db, const char *const *xml_cpus, guint flags, GError **error)
{
    guint ncpus = xml_cpus ? g_strv_length((char **)xml_cpus) : 0;
    g_autofree VbCpuDef *defs = g_new0(VbCpuDef, MAX(ncpus, 1));
    g_autofree const VbCpuDef **cpus = g_new0(const VbCpuDef *, MAX(ncpus, 1));
    char *result = NULL;
    gboolean parsed = TRUE;
    guint n = 0;

    for (; n < ncpus && parsed; n++) {
        vb_cpu_def_init(&defs[n]);
        cpus[n] = &defs[n];
        parsed = vb_cpu_def_parse_xml(xml_cpus[n], &defs[n], NULL, error);
    }
    if (parsed)
        result = vb_cpu_baseline(db, cpus, ncpus, flags, error);
    for (guint i = 0; i < n; i++)
        vb_cpu_def_clear(&defs[i]);
    return result;
}
