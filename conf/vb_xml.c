#include "vb_xml.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/xmlsave.h>

static void
xml_silent_error(void *ctx G_GNUC_UNUSED, const char *msg G_GNUC_UNUSED, ...)
{
}

/* Stops the parser at <!DOCTYPE, before any entity declaration is read, so that no entity
 * (billion laughs, external file) is ever parsed, let alone expanded. */
static void
xml_refuse_doctype(void *ctx, const xmlChar *name G_GNUC_UNUSED, const xmlChar *external_id G_GNUC_UNUSED,
                   const xmlChar *system_id G_GNUC_UNUSED)
{
    xmlParserCtxtPtr ctxt = ctx;

    ctxt->_private = ctxt;
    xmlStopParser(ctxt);
}

xmlDocPtr
vb_xml_parse(const char *xml, const char *root, GError **error)
{
    gsize len = xml ? strlen(xml) : 0;
    g_autoptr(xmlDoc) doc = NULL;
    xmlParserCtxtPtr ctxt;

    if (len == 0) {
        vb_set_error(error, VB_ERR_XML_ERROR, "empty %s XML document", root ? root : "");
        return NULL;
    }
    if (len > VB_XML_MAX_SIZE) {
        vb_set_error(error, VB_ERR_XML_ERROR, "%s XML document is larger than %d bytes",
                     root ? root : "the", VB_XML_MAX_SIZE);
        return NULL;
    }
    ctxt = xmlNewParserCtxt();
    if (!ctxt) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "cannot allocate an XML parser");
        return NULL;
    }
    ctxt->sax->error = xml_silent_error;
    ctxt->sax->warning = xml_silent_error;
    ctxt->sax->internalSubset = xml_refuse_doctype;
    /* No NOENT (entity substitution), no DTDLOAD/DTDATTR, no network. */
    doc = xmlCtxtReadMemory(ctxt, xml, (int)len, root, NULL, XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS);
    if (ctxt->_private == ctxt) {
        vb_set_error(error, VB_ERR_XML_ERROR, "a DOCTYPE declaration is not allowed in %s XML", root ? root : "this");
        xmlFreeParserCtxt(ctxt);
        return NULL;
    }
    if (!doc) {
        const xmlError *err = xmlCtxtGetLastError(ctxt);
        g_autofree char *msg = g_strdup(err && err->message ? err->message : "malformed document");
        g_strchomp(msg);
        vb_set_error(error, VB_ERR_XML_DETAIL, "(%s_definition):%d: %s", root ? root : "xml",
                     err ? err->line : 0, msg);
        xmlFreeParserCtxt(ctxt);
        return NULL;
    }
    xmlFreeParserCtxt(ctxt);
    if (doc->intSubset || doc->extSubset) {
        vb_set_error(error, VB_ERR_XML_ERROR, "a DOCTYPE declaration is not allowed in %s XML", root ? root : "this");
        return NULL;
    }
    xmlNodePtr top = xmlDocGetRootElement(doc);
    if (!top || (root && !xmlStrEqual(top->name, BAD_CAST root))) {
        vb_set_error(error, VB_ERR_XML_ERROR, "expecting root element of '%s', not '%s'", root,
                     top ? (const char *)top->name : "");
        return NULL;
    }
    return g_steal_pointer(&doc);
}

int
vb_enum_from_string(const char *const *table, const char *str)
{
    if (!str)
        return -1;
    for (int i = 0; table[i]; i++) {
        if (g_str_equal(table[i], str))
            return i;
    }
    return -1;
}

xmlNodePtr
vb_xml_next(xmlNodePtr node, const char *name)
{
    for (xmlNodePtr cur = node ? node->next : NULL; cur; cur = cur->next) {
        if (cur->type == XML_ELEMENT_NODE && (!name || xmlStrEqual(cur->name, BAD_CAST name)))
            return cur;
    }
    return NULL;
}

xmlNodePtr
vb_xml_child(xmlNodePtr node, const char *name)
{
    for (xmlNodePtr cur = node ? node->children : NULL; cur; cur = cur->next) {
        if (cur->type == XML_ELEMENT_NODE && (!name || xmlStrEqual(cur->name, BAD_CAST name)))
            return cur;
    }
    return NULL;
}

char *
vb_xml_content(xmlNodePtr node)
{
    xmlChar *content;
    char *ret;

    if (!node)
        return NULL;
    content = xmlNodeGetContent(node);
    ret = g_strdup((const char *)content);
    xmlFree(content);
    return ret;
}

char *
vb_xml_child_content(xmlNodePtr node, const char *name)
{
    return vb_xml_content(vb_xml_child(node, name));
}

char *
vb_xml_prop(xmlNodePtr node, const char *name)
{
    xmlChar *value = xmlGetNoNsProp(node, BAD_CAST name);
    char *ret = g_strdup((const char *)value);

    xmlFree(value);
    return ret;
}

static gboolean
prop_missing(xmlNodePtr node, const char *name, VbXmlPropFlags flags, GError **error)
{
    if (flags & VB_XML_REQUIRED) {
        vb_set_error(error, VB_ERR_XML_ERROR, "missing required attribute '%s' in element '%s'",
                     name, (const char *)node->name);
        return FALSE;
    }
    return TRUE;
}

gboolean
vb_xml_prop_required(xmlNodePtr node, const char *name, char **out, GError **error)
{
    g_autofree char *value = vb_xml_prop(node, name);

    if (!value || !*value) {
        vb_set_error(error, VB_ERR_XML_ERROR, "missing required attribute '%s' in element '%s'",
                     name, (const char *)node->name);
        return FALSE;
    }
    g_free(*out);
    *out = g_steal_pointer(&value);
    return TRUE;
}

void
vb_set_invalid_value(GError **error, xmlNodePtr node, const char *attr, const char *value)
{
    vb_set_error(error, VB_ERR_XML_ERROR, "invalid value '%s' for attribute '%s' of element '%s'",
                 value, attr, (const char *)node->name);
}

gboolean
vb_parse_ull(const char *str, guint64 *out)
{
    char *end = NULL;
    guint64 value;

    if (!str || !g_ascii_isdigit(*str))
        return FALSE;
    errno = 0;
    value = g_ascii_strtoull(str, &end, 0);
    if (errno != 0 || end == str || *end != '\0')
        return FALSE;
    *out = value;
    return TRUE;
}

gboolean
vb_xml_prop_ull(xmlNodePtr node, const char *name, VbXmlPropFlags flags, guint64 *out, GError **error)
{
    g_autofree char *str = vb_xml_prop(node, name);
    guint64 value;

    if (!str)
        return prop_missing(node, name, flags, error);
    g_strstrip(str);
    if (!vb_parse_ull(str, &value) || ((flags & VB_XML_NONZERO) && value == 0)) {
        vb_set_invalid_value(error, node, name, str);
        return FALSE;
    }
    *out = value;
    return TRUE;
}

gboolean
vb_xml_prop_uint(xmlNodePtr node, const char *name, VbXmlPropFlags flags, guint *out, GError **error)
{
    guint64 value = *out;

    if (!vb_xml_prop_ull(node, name, flags, &value, error))
        return FALSE;
    if (value > G_MAXUINT) {
        g_autofree char *str = vb_xml_prop(node, name);
        vb_set_invalid_value(error, node, name, str);
        return FALSE;
    }
    *out = (guint)value;
    return TRUE;
}

gboolean
vb_xml_prop_int(xmlNodePtr node, const char *name, VbXmlPropFlags flags, int *out, GError **error)
{
    g_autofree char *str = vb_xml_prop(node, name);
    char *end = NULL;
    gint64 value;

    if (!str)
        return prop_missing(node, name, flags, error);
    errno = 0;
    value = g_ascii_strtoll(str, &end, 10);
    if (errno != 0 || end == str || *end != '\0' || value < G_MININT || value > G_MAXINT ||
        ((flags & VB_XML_NONZERO) && value == 0)) {
        vb_set_invalid_value(error, node, name, str);
        return FALSE;
    }
    *out = (int)value;
    return TRUE;
}

gboolean
vb_xml_prop_enum(xmlNodePtr node, const char *name, int (*from_string)(const char *),
                 VbXmlPropFlags flags, int *out, GError **error)
{
    g_autofree char *str = vb_xml_prop(node, name);
    int value;

    if (!str)
        return prop_missing(node, name, flags, error);
    value = from_string(str);
    if (value < 0 || ((flags & VB_XML_NONZERO) && value == 0)) {
        vb_set_invalid_value(error, node, name, str);
        return FALSE;
    }
    *out = value;
    return TRUE;
}

gboolean
vb_xml_prop_tristate(xmlNodePtr node, const char *name, const char *yes, const char *no,
                     VbTristate *out, GError **error)
{
    g_autofree char *str = vb_xml_prop(node, name);

    if (!str)
        return TRUE;
    if (g_str_equal(str, yes)) {
        *out = VB_TRISTATE_YES;
    } else if (g_str_equal(str, no)) {
        *out = VB_TRISTATE_NO;
    } else {
        vb_set_invalid_value(error, node, name, str);
        return FALSE;
    }
    return TRUE;
}

gboolean
vb_xml_content_ull(xmlNodePtr node, guint64 *out, GError **error)
{
    g_autofree char *text = vb_xml_content(node);

    g_strstrip(text);
    if (!vb_parse_ull(text, out)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "invalid value '%s' in element '%s'", text,
                     (const char *)node->name);
        return FALSE;
    }
    return TRUE;
}

/* libvirt's units: "b"/"bytes", then k m g t p e; one letter or "XiB" is a power of
 * 1024, "XB" a power of 1000; case does not matter. */
static gboolean
unit_scale(const char *unit, guint64 *scale)
{
    static const char prefixes[] = "kmgtpe";
    const char *prefix;
    guint64 base;

    if (!g_ascii_strcasecmp(unit, "b") || !g_ascii_strcasecmp(unit, "bytes")) {
        *scale = 1;
        return TRUE;
    }
    prefix = *unit ? strchr(prefixes, g_ascii_tolower(unit[0])) : NULL;
    if (!prefix)
        return FALSE;
    if (unit[1] == '\0' || !g_ascii_strcasecmp(unit + 1, "iB"))
        base = 1024;
    else if (!g_ascii_strcasecmp(unit + 1, "B"))
        base = 1000;
    else
        return FALSE;
    *scale = 1;
    for (long i = 0; i <= prefix - prefixes; i++)
        *scale *= base;
    return TRUE;
}

gboolean
vb_scale_to_bytes(const char *unit, guint64 value, guint64 *out_bytes)
{
    guint64 scale;

    if (!unit_scale(unit, &scale) || value > G_MAXUINT64 / scale)
        return FALSE;
    *out_bytes = value * scale;
    return TRUE;
}

gboolean
vb_scale_to_kib(const char *unit, guint64 value, guint64 *out_kib)
{
    guint64 scale;

    if (!unit_scale(unit, &scale))
        return FALSE;
    if (scale >= 1024 && scale % 1024 == 0) {
        if (value > G_MAXUINT64 / (scale / 1024))
            return FALSE;
        *out_kib = value * (scale / 1024);
    } else {
        if (value > G_MAXUINT64 / scale)
            return FALSE;
        /* libvirt rounds bytes up to whole KiB */
        *out_kib = (value * scale + 1023) / 1024;
    }
    return TRUE;
}

gboolean
vb_xml_scaled_kib(xmlNodePtr node, guint64 *out_kib, GError **error)
{
    g_autofree char *unit = vb_xml_prop(node, "unit");
    guint64 value, scale;

    if (!vb_xml_content_ull(node, &value, error))
        return FALSE;
    if (!unit) {
        *out_kib = value;
        return TRUE;
    }
    if (!unit_scale(unit, &scale)) {
        vb_set_invalid_value(error, node, "unit", unit);
        return FALSE;
    }
    if (!vb_scale_to_kib(unit, value, out_kib) || *out_kib > G_MAXUINT64 / 1024) {
        vb_set_error(error, VB_ERR_OVERFLOW, "value '%" G_GUINT64_FORMAT "%s' of element '%s' is too large",
                     value, unit, (const char *)node->name);
        return FALSE;
    }
    return TRUE;
}

static void
append_qname(GString *out, xmlNsPtr ns, const xmlChar *name)
{
    if (ns && ns->prefix)
        g_string_append_printf(out, "%s:", (const char *)ns->prefix);
    g_string_append(out, (const char *)name);
}

char *
vb_xml_escape(const char *text)
{
    GString *out = g_string_sized_new(strlen(text) + 8);

    for (const char *p = text; *p; p++) {
        switch (*p) {
        case '&': g_string_append(out, "&amp;"); break;
        case '<': g_string_append(out, "&lt;"); break;
        case '>': g_string_append(out, "&gt;"); break;
        case '\'': g_string_append(out, "&apos;"); break;
        case '"': g_string_append(out, "&quot;"); break;
        case '\n': g_string_append(out, "&#10;"); break;
        case '\r': g_string_append(out, "&#13;"); break;
        case '\t': g_string_append(out, "&#9;"); break;
        default: g_string_append_c(out, *p);
        }
    }
    return g_string_free(out, FALSE);
}

static void
append_escaped(GString *out, const xmlChar *text)
{
    g_autofree char *escaped = vb_xml_escape((const char *)text);

    g_string_append(out, escaped);
}

static void
append_attributes(GString *out, xmlNodePtr node)
{
    for (xmlNsPtr ns = node->nsDef; ns; ns = ns->next) {
        g_string_append(out, ns->prefix ? " xmlns:" : " xmlns");
        if (ns->prefix)
            g_string_append(out, (const char *)ns->prefix);
        g_string_append(out, "='");
        append_escaped(out, ns->href);
        g_string_append_c(out, '\'');
    }
    for (xmlAttrPtr attr = node->properties; attr; attr = attr->next) {
        xmlChar *value = xmlNodeGetContent((xmlNodePtr)attr);
        g_string_append_c(out, ' ');
        append_qname(out, attr->ns, attr->name);
        g_string_append(out, "='");
        append_escaped(out, value ? value : BAD_CAST "");
        g_string_append_c(out, '\'');
        xmlFree(value);
    }
}

static gboolean
has_element_children(xmlNodePtr node)
{
    for (xmlNodePtr cur = node->children; cur; cur = cur->next) {
        if (cur->type == XML_ELEMENT_NODE)
            return TRUE;
    }
    return FALSE;
}

static gboolean
is_blank(const xmlChar *text)
{
    for (; text && *text; text++) {
        if (!g_ascii_isspace(*text))
            return FALSE;
    }
    return TRUE;
}

/* libvirt's canonical layout: two-space indentation, single-quoted attributes, text inline. */
static void
dump_element(GString *out, xmlNodePtr node, int indent)
{
    g_string_append_printf(out, "%*s<", indent, "");
    append_qname(out, node->ns, node->name);
    append_attributes(out, node);
    if (!node->children) {
        g_string_append(out, "/>\n");
        return;
    }
    if (!has_element_children(node)) {
        xmlChar *text = xmlNodeGetContent(node);
        if (!text || !*text) {
            /* only comments or processing instructions inside: those are not kept */
            g_string_append(out, "/>\n");
            xmlFree(text);
            return;
        }
        g_string_append_c(out, '>');
        append_escaped(out, text);
        xmlFree(text);
    } else {
        g_string_append(out, ">\n");
        for (xmlNodePtr cur = node->children; cur; cur = cur->next) {
            if (cur->type == XML_ELEMENT_NODE) {
                dump_element(out, cur, indent + 2);
            } else if ((cur->type == XML_TEXT_NODE || cur->type == XML_CDATA_SECTION_NODE) && !is_blank(cur->content)) {
                /* mixed content: the layout around the text is ours, so it is not kept */
                g_autofree char *text = g_strstrip(g_strdup((const char *)cur->content));
                g_string_append_printf(out, "%*s", indent + 2, "");
                append_escaped(out, BAD_CAST text);
                g_string_append_c(out, '\n');
            }
        }
        g_string_append_printf(out, "%*s", indent, "");
    }
    g_string_append(out, "</");
    append_qname(out, node->ns, node->name);
    g_string_append(out, ">\n");
}

char *
vb_xml_node_dump(xmlNodePtr node)
{
    GString *out = g_string_new(NULL);

    dump_element(out, node, 0);
    if (out->len && out->str[out->len - 1] == '\n')
        g_string_truncate(out, out->len - 1);
    return g_string_free(out, FALSE);
}

void
vb_buf_init(VbBuf *buf, int indent)
{
    buf->str = g_string_new(NULL);
    buf->indent = indent;
}

void
vb_buf_clear(VbBuf *buf)
{
    if (buf->str)
        g_string_free(buf->str, TRUE);
    buf->str = NULL;
}

char *
vb_buf_steal(VbBuf *buf)
{
    char *ret = g_string_free(buf->str, FALSE);

    buf->str = NULL;
    return ret;
}

gboolean
vb_buf_empty(const VbBuf *buf)
{
    return buf->str->len == 0;
}

static void
buf_append_indented(VbBuf *buf, const char *text)
{
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        gsize len = nl ? (gsize)(nl - p + 1) : strlen(p);
        gboolean at_line_start = buf->str->len == 0 || buf->str->str[buf->str->len - 1] == '\n';

        if (at_line_start && *p != '\n')
            g_string_append_printf(buf->str, "%*s", buf->indent, "");
        g_string_append_len(buf->str, p, (gssize)len);
        p += len;
    }
}

void
vb_buf_add(VbBuf *buf, const char *fmt, ...)
{
    va_list args;
    g_autofree char *text = NULL;

    va_start(args, fmt);
    text = g_strdup_vprintf(fmt, args);
    va_end(args);
    buf_append_indented(buf, text);
}

void
vb_buf_escape(VbBuf *buf, const char *fmt, const char *value)
{
    g_autofree char *escaped = NULL;

    if (!value)
        return;
    escaped = vb_xml_escape(value);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    vb_buf_add(buf, fmt, escaped);
#pragma GCC diagnostic pop
}

void
vb_buf_add_raw_xml(VbBuf *buf, const char *xml)
{
    g_autofree char *copy = g_strdup(xml);

    g_strstrip(copy);
    buf_append_indented(buf, copy);
    buf_append_indented(buf, "\n");
}

void
vb_buf_element(VbBuf *buf, const char *name, VbBuf *attrs, VbBuf *children)
{
    const char *attr_text = attrs && attrs->str ? attrs->str->str : "";

    if ((!attrs || vb_buf_empty(attrs)) && (!children || vb_buf_empty(children)))
        return;
    if (!children || vb_buf_empty(children)) {
        vb_buf_add(buf, "<%s%s/>\n", name, attr_text);
        return;
    }
    vb_buf_add(buf, "<%s%s>\n", name, attr_text);
    buf->indent += 2;
    buf_append_indented(buf, children->str->str);
    buf->indent -= 2;
    vb_buf_add(buf, "</%s>\n", name);
}
