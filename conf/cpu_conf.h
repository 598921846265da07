/* cpu_conf.h: the x86 CPU model database (data/cpu/) and libvirt's CPU comparison and baseline.
 *
 * CPUs are the domain model's VbCpuDef (conf/domain_conf.h); this file adds what a model name
 * means (its feature set) and the two computations virConnectCompareCPU and
 * virConnectBaselineCPU perform on it. */
#pragma once

#include <glib.h>

#include "domain_conf.h"

/* libvirt's virCPUCompareResult */
typedef enum {
    VB_CPU_COMPARE_ERROR = -1,
    VB_CPU_COMPARE_INCOMPATIBLE = 0,
    VB_CPU_COMPARE_IDENTICAL = 1,
    VB_CPU_COMPARE_SUPERSET = 2,
} VbCpuCompareResult;

/* libvirt's virConnectCompareCPUFlags */
typedef enum {
    VB_CPU_COMPARE_FAIL_INCOMPATIBLE = 1 << 0,
    VB_CPU_COMPARE_VALIDATE_XML = 1 << 1,
} VbCpuCompareFlags;

/* libvirt's virConnectBaselineCPUFlags */
typedef enum {
    VB_CPU_BASELINE_EXPAND_FEATURES = 1 << 0,
    VB_CPU_BASELINE_MIGRATABLE = 1 << 1,
} VbCpuBaselineFlags;

typedef struct _VbCpuDb VbCpuDb;

/* The built-in x86 database (data/cpu/x86_models.xml, compiled in), loaded once. */
const VbCpuDb *vb_cpu_db_default(GError **error);
/* A database from the text of such a file. */
VbCpuDb *vb_cpu_db_new_from_xml(const char *xml, GError **error);
void vb_cpu_db_free(VbCpuDb *db);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbCpuDb, vb_cpu_db_free)

/* TRUE for the architectures the database describes (i686, x86_64). */
gboolean vb_cpu_arch_is_x86(const char *arch);
/* Model names, oldest first. */
GStrv vb_cpu_db_model_names(const VbCpuDb *db);
/* Every feature of @model, inherited ones included, in the database's feature order; NULL and
 * an error when the model is unknown. */
GStrv vb_cpu_db_model_features(const VbCpuDb *db, const char *model, GError **error);
/* Our name for a /proc/cpuinfo flag ("sse4_2" -> "sse4.2"); NULL for flags that are no CPUID
 * feature we know (constant_tsc, rep_good...). */
const char *vb_cpu_db_feature_from_linux(const VbCpuDb *db, const char *flag);
/* "Intel" for "GenuineIntel"; NULL when unknown. */
const char *vb_cpu_db_vendor_from_cpuid(const VbCpuDb *db, const char *cpuid_vendor);
/* The model that best describes a CPU of @vendor (NULL: unknown) with @features (our names):
 * all its features present, the most features, the newest on a tie. NULL when none fits. */
const char *vb_cpu_db_best_model(const VbCpuDb *db, const char *vendor, const char *const *features);

/* The <cpu> of @xml: the root itself, the <cpu> of a <domain>, or the host CPU of
 * <capabilities>. @arch receives its architecture when the document gives one. */
gboolean vb_cpu_def_parse_xml(const char *xml, VbCpuDef *def, char **arch, GError **error);

/* Can @guest run on @host (virCPUCompare)? With @fail_incompatible an incompatible CPU is
 * an error naming the reason instead of VB_CPU_COMPARE_INCOMPATIBLE. */
VbCpuCompareResult vb_cpu_compare(const VbCpuDb *db, const VbCpuDef *host, const VbCpuDef *guest,
                                  const char *guest_arch, gboolean fail_incompatible, GError **error);
/* The same with the guest given as XML and libvirt's flags. */
VbCpuCompareResult vb_cpu_compare_xml(const VbCpuDb *db, const VbCpuDef *host, const char *xml, guint flags,
                                      GError **error);

/* The most capable CPU every one of @cpus provides, as libvirt's <cpu mode='custom'
 * match='exact'> XML (virConnectBaselineCPU). */
char *vb_cpu_baseline(const VbCpuDb *db, const VbCpuDef *const *cpus, guint ncpus, guint flags, GError **error);
/* The same from XML texts (a NULL-terminated array). */
char *vb_cpu_baseline_xml(const VbCpuDb *db, const char *const *xml_cpus, guint flags, GError **error);
