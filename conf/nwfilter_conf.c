/* nwfilter_conf.c: network filter XML (libvirt's formatnwfilter) */
#include "nwfilter_conf.h"

#include <string.h>

VB_ENUM_IMPL(vb_nwfilter_rule_action, VB_NWFILTER_ACTION_LAST,
             "drop", "accept", "reject", "return", "continue");
VB_ENUM_IMPL(vb_nwfilter_rule_direction, VB_NWFILTER_DIRECTION_LAST, "in", "out", "inout");

/* Default priority of each chain; a chain named "<prefix>-<suffix>" takes its prefix's. */
static const struct {
    const char *prefix;
    int priority;
} chain_priorities[] = {
    { "root", 0 },
    { "stp", -810 },
    { "mac", -800 },
    { "vlan", -750 },
    { "ipv4", -700 },
    { "ipv6", -600 },
    { "arp", -500 },
    { "rarp", -400 },
};

static const char *const protocols[] = {
    "mac", "vlan", "stp", "arp", "rarp", "ip", "ipv6", "tcp", "icmp", "igmp", "udp", "udplite",
    "esp", "ah", "sctp", "all", "tcp-ipv6", "icmpv6", "udp-ipv6", "udplite-ipv6", "esp-ipv6",
    "ah-ipv6", "sctp-ipv6", "all-ipv6", NULL
};

/* ---- lifetime ---- */

static void
nwfilter_attr_free(VbNWFilterAttr *attr)
{
    g_free(attr->name);
    g_free(attr->value);
    g_free(attr);
}

static VbNWFilterAttr *
nwfilter_attr_new(const char *name, char *value)
{
    VbNWFilterAttr *attr = g_new0(VbNWFilterAttr, 1);

    attr->name = g_strdup(name);
    attr->value = value;
    return attr;
}

static void
nwfilter_protocol_free(VbNWFilterProtocol *proto)
{
    if (!proto)
        return;
    g_free(proto->name);
    g_ptr_array_unref(proto->attrs);
    g_free(proto);
}

static void
nwfilter_rule_free(VbNWFilterRule *rule)
{
    nwfilter_protocol_free(rule->protocol);
    g_free(rule);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbNWFilterRule, nwfilter_rule_free)

static void
nwfilter_ref_free(VbNWFilterRef *ref)
{
    g_free(ref->filter);
    g_ptr_array_unref(ref->params);
    g_free(ref);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbNWFilterRef, nwfilter_ref_free)

static void
nwfilter_entry_free(VbNWFilterEntry *entry)
{
    if (entry->rule)
        nwfilter_rule_free(entry->rule);
    if (entry->ref)
        nwfilter_ref_free(entry->ref);
    g_free(entry);
}

void
vb_nwfilter_def_free(VbNWFilterDef *def)
{
    if (!def)
        return;
    g_free(def->name);
    g_free(def->chain);
    g_ptr_array_unref(def->entries);
    g_free(def);
}

/* ---- shared ---- */

static gboolean
nwfilter_parse_priority(xmlNodePtr node, int *out, GError **error)
{
    if (!vb_xml_prop_int(node, "priority", VB_XML_OPTIONAL, out, error))
        return FALSE;
    if (*out < VB_NWFILTER_MIN_PRIORITY || *out > VB_NWFILTER_MAX_PRIORITY) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "Priority '%d' is outside valid range of [%d,%d]",
                     *out, VB_NWFILTER_MIN_PRIORITY, VB_NWFILTER_MAX_PRIORITY);
        return FALSE;
    }
    return TRUE;
}

/* ---- <rule> ---- */

static gboolean
nwfilter_parse_rule_enum(xmlNodePtr node, const char *attr, int (*from_string)(const char *),
                         int *out, GError **error)
{
    g_autofree char *value = vb_xml_prop(node, attr);

    if (!value) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "rule node requires %s attribute", attr);
        return FALSE;
    }
    *out = from_string(value);
    if (*out < 0) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "unknown rule %s attribute value '%s'", attr, value);
        return FALSE;
    }
    return TRUE;
}

static VbNWFilterProtocol *
nwfilter_parse_protocol(xmlNodePtr node, GError **error)
{
    VbNWFilterProtocol *proto;

    if (vb_enum_from_string(protocols, (const char *)node->name) < 0) {
        vb_set_error(error, VB_ERR_XML_ERROR, "unknown protocol '%s' in filter rule",
                     (const char *)node->name);
        return NULL;
    }
    proto = g_new0(VbNWFilterProtocol, 1);
    proto->name = g_strdup((const char *)node->name);
    proto->attrs = g_ptr_array_new_with_free_func((GDestroyNotify)nwfilter_attr_free);
    for (xmlAttrPtr attr = node->properties; attr; attr = attr->next) {
        const char *name = (const char *)attr->name;

        g_ptr_array_add(proto->attrs, nwfilter_attr_new(name, vb_xml_prop(node, name)));
    }
    return proto;
}

static gboolean
nwfilter_parse_rule_protocol(xmlNodePtr node, VbNWFilterRule *rule, GError **error)
{
    VB_XML_FOREACH_CHILD(node, NULL, child) {
        if (rule->protocol) {
            vb_set_error(error, VB_ERR_XML_ERROR, "filter rule has more than one protocol: '%s' and '%s'",
                         rule->protocol->name, (const char *)child->name);
            return FALSE;
        }
        rule->protocol = nwfilter_parse_protocol(child, error);
        if (!rule->protocol)
            return FALSE;
    }
    return TRUE;
}

static VbNWFilterRule *
nwfilter_parse_rule(xmlNodePtr node, GError **error)
{
    g_autoptr(VbNWFilterRule) rule = g_new0(VbNWFilterRule, 1);
    g_autofree char *statematch = vb_xml_prop(node, "statematch");
    int action = 0, direction = 0;

    rule->priority = VB_NWFILTER_RULE_DEFAULT_PRIORITY;
    if (!nwfilter_parse_rule_enum(node, "action", vb_nwfilter_rule_action_from_string, &action, error) ||
        !nwfilter_parse_rule_enum(node, "direction", vb_nwfilter_rule_direction_from_string,
                                  &direction, error) ||
        !nwfilter_parse_priority(node, &rule->priority, error) ||
        !nwfilter_parse_rule_protocol(node, rule, error))
        return NULL;
    rule->action = action;
    rule->direction = direction;
    rule->statematch = !statematch ||
                       !(g_str_equal(statematch, "0") || !g_ascii_strcasecmp(statematch, "false"));
    return g_steal_pointer(&rule);
}

/* ---- <filterref> ---- */

static VbNWFilterRef *
nwfilter_parse_ref(xmlNodePtr node, GError **error)
{
    g_autoptr(VbNWFilterRef) ref = g_new0(VbNWFilterRef, 1);

    ref->params = g_ptr_array_new_with_free_func((GDestroyNotify)nwfilter_attr_free);
    ref->filter = vb_xml_prop(node, "filter");
    if (!ref->filter || !*ref->filter) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "filterref node requires filter attribute");
        return NULL;
    }
    VB_XML_FOREACH_CHILD(node, "parameter", param) {
        g_autofree char *name = NULL;
        g_autofree char *value = NULL;

        if (!vb_xml_prop_required(param, "name", &name, error))
            return NULL;
        value = vb_xml_prop(param, "value");
        if (!value) {
            vb_set_error(error, VB_ERR_XML_ERROR, "filterref parameter '%s' has no value", name);
            return NULL;
        }
        g_ptr_array_add(ref->params, nwfilter_attr_new(name, g_steal_pointer(&value)));
    }
    return g_steal_pointer(&ref);
}

/* ---- <filter> ---- */

static gboolean
nwfilter_parse_entries(xmlNodePtr root, VbNWFilterDef *def, GError **error)
{
    VB_XML_FOREACH_CHILD(root, NULL, node) {
        VbNWFilterEntry entry = { NULL, NULL };

        if (xmlStrEqual(node->name, BAD_CAST "rule") && !(entry.rule = nwfilter_parse_rule(node, error)))
            return FALSE;
        if (xmlStrEqual(node->name, BAD_CAST "filterref") && !(entry.ref = nwfilter_parse_ref(node, error)))
            return FALSE;
        if (entry.rule || entry.ref)
            g_ptr_array_add(def->entries, g_memdup2(&entry, sizeof(entry)));
    }
    return TRUE;
}

static int
nwfilter_chain_default_priority(const char *chain)
{
    gsize prefix_len = strcspn(chain, "-");

    for (gsize i = 0; i < G_N_ELEMENTS(chain_priorities); i++) {
        if (strlen(chain_priorities[i].prefix) == prefix_len &&
            !strncmp(chain, chain_priorities[i].prefix, prefix_len))
            return chain_priorities[i].priority;
    }
    return 0;
}

static gboolean
nwfilter_parse_chain(xmlNodePtr root, VbNWFilterDef *def, GError **error)
{
    static const char valid[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-";

    def->chain = vb_xml_prop(root, "chain");
    if (!def->chain)
        def->chain = g_strdup("root");
    if (!*def->chain || def->chain[strspn(def->chain, valid)] != '\0') {
        vb_set_error(error, VB_ERR_INVALID_ARG, "invalid chain name '%s'", def->chain);
        return FALSE;
    }
    def->priority = nwfilter_chain_default_priority(def->chain);
    return nwfilter_parse_priority(root, &def->priority, error);
}

static gboolean
nwfilter_parse_identity(xmlNodePtr root, VbNWFilterDef *def, GError **error)
{
    g_autofree char *uuid = vb_xml_child_content(root, "uuid");

    def->name = vb_xml_prop(root, "name");
    if (!def->name || !*def->name) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "filter has no name");
        return FALSE;
    }
    if (!vb_name_validate(def->name, "nwfilter", error))
        return FALSE;
    if (!uuid) {
        vb_uuid_generate(def->uuid);
    } else if (!vb_uuid_parse(g_strstrip(uuid), def->uuid)) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "malformed uuid element");
        return FALSE;
    }
    return TRUE;
}

VbNWFilterDef *
vb_nwfilter_def_parse(const char *xml, guint flags, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(VbNWFilterDef) def = NULL;
    xmlNodePtr root;

    if (!vb_check_flags(flags, 0, "vb_nwfilter_def_parse", error) ||
        !(doc = vb_xml_parse(xml, "filter", error)))
        return NULL;
    root = xmlDocGetRootElement(doc);
    def = g_new0(VbNWFilterDef, 1);
    def->entries = g_ptr_array_new_with_free_func((GDestroyNotify)nwfilter_entry_free);
    if (!nwfilter_parse_identity(root, def, error) ||
        !nwfilter_parse_chain(root, def, error) ||
        !nwfilter_parse_entries(root, def, error))
        return NULL;
    return g_steal_pointer(&def);
}

/* ---- formatting ---- */

static void
nwfilter_format_protocol(VbBuf *buf, const VbNWFilterProtocol *proto)
{
    vb_buf_add(buf, "<%s", proto->name);
    for (guint i = 0; i < proto->attrs->len; i++) {
        const VbNWFilterAttr *attr = g_ptr_array_index(proto->attrs, i);

        vb_buf_add(buf, " %s='", attr->name);
        vb_buf_escape(buf, "%s", attr->value);
        vb_buf_add(buf, "'");
    }
    vb_buf_add(buf, "/>\n");
}

static void
nwfilter_format_rule(VbBuf *buf, const VbNWFilterRule *rule)
{
    g_auto(VbBuf) attrs = { 0 };
    g_auto(VbBuf) children = { 0 };

    vb_buf_init(&attrs, 0);
    vb_buf_init(&children, 0);
    vb_buf_add(&attrs, " action='%s' direction='%s' priority='%d'",
               vb_nwfilter_rule_action_to_string(rule->action),
               vb_nwfilter_rule_direction_to_string(rule->direction), rule->priority);
    if (!rule->statematch)
        vb_buf_add(&attrs, " statematch='false'");
    if (rule->protocol)
        nwfilter_format_protocol(&children, rule->protocol);
    vb_buf_element(buf, "rule", &attrs, &children);
}

static void
nwfilter_format_ref(VbBuf *buf, const VbNWFilterRef *ref)
{
    g_auto(VbBuf) attrs = { 0 };
    g_auto(VbBuf) children = { 0 };

    vb_buf_init(&attrs, 0);
    vb_buf_init(&children, 0);
    vb_buf_escape(&attrs, " filter='%s'", ref->filter);
    for (guint i = 0; i < ref->params->len; i++) {
        const VbNWFilterAttr *param = g_ptr_array_index(ref->params, i);

        vb_buf_escape(&children, "<parameter name='%s'", param->name);
        vb_buf_escape(&children, " value='%s'/>\n", param->value);
    }
    vb_buf_element(buf, "filterref", &attrs, &children);
}

char *
vb_nwfilter_def_format(const VbNWFilterDef *def, guint flags)
{
    g_auto(VbBuf) buf = { 0 };
    g_auto(VbBuf) attrs = { 0 };
    g_auto(VbBuf) children = { 0 };

    vb_buf_init(&buf, 0);
    vb_buf_init(&attrs, 0);
    vb_buf_init(&children, 0);
    vb_buf_escape(&attrs, " name='%s'", def->name);
    vb_buf_escape(&attrs, " chain='%s'", def->chain);
    if (def->priority != 0)
        vb_buf_add(&attrs, " priority='%d'", def->priority);
    vb_buf_add(&children, "<uuid>%s</uuid>\n", def->uuid);
    for (guint i = 0; i < def->entries->len; i++) {
        const VbNWFilterEntry *entry = g_ptr_array_index(def->entries, i);

        if (entry->rule)
            nwfilter_format_rule(&children, entry->rule);
        else
            nwfilter_format_ref(&children, entry->ref);
    }
    vb_buf_element(&buf, "filter", &attrs, &children);
    return vb_buf_steal(&buf);
}
