/* nwfilter_conf.h: libvirt's network filter XML, parsed and formatted in pairs */
#pragma once

#include <glib.h>

#include "vb_uuid.h"
#include "vb_xml.h"

#define VB_NWFILTER_MIN_PRIORITY (-1000)
#define VB_NWFILTER_MAX_PRIORITY 1000
#define VB_NWFILTER_RULE_DEFAULT_PRIORITY 500

typedef enum {
    VB_NWFILTER_ACTION_DROP,
    VB_NWFILTER_ACTION_ACCEPT,
    VB_NWFILTER_ACTION_REJECT,
    VB_NWFILTER_ACTION_RETURN,
    VB_NWFILTER_ACTION_CONTINUE,
    VB_NWFILTER_ACTION_LAST
} VbNWFilterRuleAction;
VB_ENUM_DECL(vb_nwfilter_rule_action);

typedef enum {
    VB_NWFILTER_DIRECTION_IN,
    VB_NWFILTER_DIRECTION_OUT,
    VB_NWFILTER_DIRECTION_INOUT,
    VB_NWFILTER_DIRECTION_LAST
} VbNWFilterRuleDirection;
VB_ENUM_DECL(vb_nwfilter_rule_direction);

/* One attribute of a protocol element, or one <parameter> of a filterref. */
typedef struct {
    char *name;
    char *value;
} VbNWFilterAttr;

/* A rule's protocol element (<ip srcipaddr='$IP'/>, <tcp dstportstart='22'/>, ...), its
 * attributes kept in document order. */
typedef struct {
    char *name;
    GPtrArray *attrs;               /* VbNWFilterAttr */
} VbNWFilterProtocol;

typedef struct {
    VbNWFilterRuleAction action;
    VbNWFilterRuleDirection direction;
    int priority;                   /* 500 when not given */
    gboolean statematch;            /* FALSE for statematch='false' or '0' */
    VbNWFilterProtocol *protocol;   /* NULL for a rule that matches everything */
} VbNWFilterRule;

typedef struct {
    char *filter;
    GPtrArray *params;              /* VbNWFilterAttr */
} VbNWFilterRef;

/* <rule> and <filterref> children, interleaved as written; exactly one member is set. */
typedef struct {
    VbNWFilterRule *rule;
    VbNWFilterRef *ref;
} VbNWFilterEntry;

typedef struct {
    char *name;
    char uuid[VB_UUID_STRING_LEN];
    char *chain;                    /* "root" when not given */
    int priority;                   /* the chain's default when not given */
    GPtrArray *entries;             /* VbNWFilterEntry */
} VbNWFilterDef;

VbNWFilterDef *vb_nwfilter_def_parse(const char *xml, guint flags, GError **error);
char *vb_nwfilter_def_format(const VbNWFilterDef *def, guint flags);
void vb_nwfilter_def_free(VbNWFilterDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbNWFilterDef, vb_nwfilter_def_free)
