/* domain_common.h: domain bookkeeping every driver shares (duplicate checks, replacing a
 * definition in place, define and undefine rules), as libvirt's virDomainObjList helpers. */
#pragma once

#include "drivers/driver.h"

/* libvirt's virDomainObjListAdd checks: the name and UUID must agree with any domain that has
 * either; with @live an active domain of that UUID is refused. @found: the domain with @def's
 * UUID, or NULL when @def is new. */
gboolean vb_conn_domain_check_duplicate(VbConn *conn, const VbDomainDef *def, gboolean live, VbDomainObj **found,
                                        GError **error);
/* Puts @def (same UUID, owned) in place of the domain's definition. */
void vb_conn_domain_replace_def(VbConn *conn, VbDomainObj *dom, VbDomainDef *def);
/* Makes @def (owned) the persistent definition: a new domain when @dom is NULL, the next
 * definition of an active one, or the definition of an inactive one. Returns the domain. */
VbDomainObj *vb_conn_domain_define(VbConn *conn, VbDomainObj *dom, VbDomainDef *def);
/* virDomainGetXMLDesc: the live definition, or with INACTIVE the one the next start uses;
 * @allowed are the flags the driver accepts. */
char *vb_domain_obj_format(VbDomainObj *dom, guint flags, guint allowed, GError **error);
/* The reasons libvirt refuses virDomainUndefineFlags, checked before anything changes. */
gboolean vb_domain_obj_check_undefine(const VbDomainObj *dom, guint flags, GError **error);
/* Forgets the persistent side: an active domain becomes transient. Returns TRUE when the
 * domain is inactive and the caller must remove it. */
gboolean vb_domain_obj_undefine(VbDomainObj *dom);

/* CPU maps: GArrays of gboolean, one per host CPU. */
GArray *vb_cpumap_new(guint ncpus, gboolean value);
/* libvirt's bitmap syntax "0-3,^2,5" into @map; FALSE on a syntax error or, when @strict, a CPU
 * at or past the end of @map (else those are ignored). */
gboolean vb_cpumap_parse(const char *str, GArray *map, gboolean strict);
/* "0-2,5"; NULL when no CPU is set. */
char *vb_cpumap_format(GArray *map);
/* A caller's map cut or padded to the host's @ncpus. */
GArray *vb_cpumap_fit(GArray *cpumap, guint ncpus);

/* libvirt's virDomainObjGetDefs for calls taking VIR_DOMAIN_AFFECT_LIVE/CONFIG (neither: the
 * live definition when running, else the config): the definitions the flags select. */
gboolean vb_domain_obj_defs(VbDomainObj *dom, guint flags, VbDomainDef **live, VbDomainDef **config,
                            GError **error);
/* The one definition a getter reads (both flags at once is an error); @live (may be NULL)
 * tells which. */
VbDomainDef *vb_domain_obj_one_def(VbDomainObj *dom, guint flags, gboolean *live, GError **error);
/* virDomainGetMetadata / virDomainSetMetadata on the definitions; @changed_config (may be NULL)
 * gets the persistent definition when it changed, for the driver to save. */
char *vb_domain_obj_get_metadata(VbDomainObj *dom, int type, const char *uri, guint flags, GError **error);
gboolean vb_domain_obj_set_metadata(VbDomainObj *dom, int type, const char *metadata, const char *key,
                                    const char *uri, guint flags, VbDomainDef **changed_config, GError **error);
/* virDomainRename's refusals: active, transient, a bad or taken name, the same name. */
gboolean vb_domain_obj_check_rename(VbConn *conn, VbDomainObj *dom, const char *name, GError **error);
void vb_conn_domain_rename(VbConn *conn, VbDomainObj *dom, const char *name);

/* virDomainCoreDumpWithFormat's checks: a known format, no exclusive flags together, only
 * @allowed flags. */
gboolean vb_core_dump_check_args(guint format, guint flags, guint allowed, GError **error);

/* ---- a disk's <iotune>, as virDomainGet/SetBlockIoTune's typed parameters ---- */

#define VB_IOTUNE_N 20
#define VB_IOTUNE_GROUP 13       /* group_name, the one string */
/* libvirt's parameter names, in virDomainGetBlockIoTune's order, which is also <iotune>'s */
extern const char *const vb_iotune_names[VB_IOTUNE_N + 1];

typedef struct {
    guint64 values[VB_IOTUNE_N];     /* by vb_iotune_names; 0: not set */
    char *group_name;
} VbIoTune;

void vb_iotune_clear(VbIoTune *tune);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VbIoTune, vb_iotune_clear)

/* Reads an <iotune> element (NULL: nothing set). */
void vb_iotune_read(xmlNodePtr iotune, VbIoTune *tune);
/* Appends <iotune> with the values set to @parent; nothing when none is. */
void vb_iotune_write(xmlNodePtr parent, const VbIoTune *tune);
/* Sets the caller's (validated) parameters; a limit above @max is refused. */
gboolean vb_iotune_apply(VbIoTune *tune, GArray *params, guint64 max, GError **error);
/* Totals exclude the matching read/write limits, for the plain and the _max groups. */
gboolean vb_iotune_check_totals(const VbIoTune *tune, GError **error);
/* @specs has room for VB_IOTUNE_N + 1 entries. */
void vb_iotune_param_specs(VbParamSpec *specs);
GArray *vb_iotune_to_params(const VbIoTune *tune);

/* ---- the memory balloon's <stats period='N'/> ---- */

/* The balloon's statistics period in seconds; 0 when it has none. */
int vb_memballoon_stats_period(const VbDeviceDef *balloon);
/* Sets it (<stats> leads the balloon's children); 0 removes it. */
gboolean vb_memballoon_set_stats_period(VbDeviceDef *balloon, int period, GError **error);
