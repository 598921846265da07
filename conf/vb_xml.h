/* vb_xml.h: safe libxml2 parsing, typed attribute readers and an indenting formatter */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

#include "vb_error.h"

#define VB_XML_MAX_SIZE (10 * 1024 * 1024)

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlBuffer, xmlBufferFree)

typedef enum {
    VB_XML_OPTIONAL = 0,
    VB_XML_REQUIRED = 1 << 0,
    VB_XML_NONZERO = 1 << 1,
} VbXmlPropFlags;

typedef enum {
    VB_TRISTATE_ABSENT = 0,
    VB_TRISTATE_YES,
    VB_TRISTATE_NO,
} VbTristate;

/* Parses @xml with no network, no DTD, no entity expansion and a size cap; the root
 * element must be named @root (any name when NULL). */
xmlDocPtr vb_xml_parse(const char *xml, const char *root, GError **error);

/* Enum tables: a NULL-terminated string array indexed by enum value. */
int vb_enum_from_string(const char *const *table, const char *str);
#define VB_ENUM_DECL(name) \
    const char *name##_to_string(int value); \
    int name##_from_string(const char *str)
#define VB_ENUM_IMPL(name, last, ...) \
    static const char *const name##_table[] = { __VA_ARGS__, NULL }; \
    G_STATIC_ASSERT(G_N_ELEMENTS(name##_table) == (gsize)(last) + 1); \
    const char *name##_to_string(int value) \
    { return (value >= 0 && value < (int)(last)) ? name##_table[value] : NULL; } \
    int name##_from_string(const char *str) \
    { return vb_enum_from_string(name##_table, str); }

/* Node navigation. */
xmlNodePtr vb_xml_child(xmlNodePtr node, const char *name);
xmlNodePtr vb_xml_next(xmlNodePtr node, const char *name);
#define VB_XML_FOREACH_CHILD(parent, name, var) \
    for (xmlNodePtr var = vb_xml_child((parent), (name)); var; var = vb_xml_next(var, (name)))
char *vb_xml_content(xmlNodePtr node);
char *vb_xml_child_content(xmlNodePtr node, const char *name);

/* Attributes. Each reader leaves @out untouched when the attribute is absent and optional. */
char *vb_xml_prop(xmlNodePtr node, const char *name);
gboolean vb_xml_prop_required(xmlNodePtr node, const char *name, char **out, GError **error);
gboolean vb_xml_prop_uint(xmlNodePtr node, const char *name, VbXmlPropFlags flags, guint *out, GError **error);
gboolean vb_xml_prop_int(xmlNodePtr node, const char *name, VbXmlPropFlags flags, int *out, GError **error);
gboolean vb_xml_prop_ull(xmlNodePtr node, const char *name, VbXmlPropFlags flags, guint64 *out, GError **error);
gboolean vb_xml_prop_enum(xmlNodePtr node, const char *name, int (*from_string)(const char *),
                          VbXmlPropFlags flags, int *out, GError **error);
gboolean vb_xml_prop_tristate(xmlNodePtr node, const char *name, const char *yes, const char *no,
                              VbTristate *out, GError **error);
void vb_set_invalid_value(GError **error, xmlNodePtr node, const char *attr, const char *value);

/* Numbers in element text, and libvirt's scaled integers (<memory unit='GiB'>2</memory>). */
gboolean vb_parse_ull(const char *str, guint64 *out);
gboolean vb_xml_content_ull(xmlNodePtr node, guint64 *out, GError **error);
gboolean vb_xml_scaled_kib(xmlNodePtr node, guint64 *out_kib, GError **error);
gboolean vb_scale_to_kib(const char *unit, guint64 value, guint64 *out_kib);
gboolean vb_scale_to_bytes(const char *unit, guint64 value, guint64 *out_bytes);

/* @text escaped for an attribute value or element text; line breaks and tabs become character
 * references, so indentation can never change them. */
char *vb_xml_escape(const char *text);

/* The whole subtree as text, for elements kept verbatim (metadata, unmodelled devices). */
char *vb_xml_node_dump(xmlNodePtr node);

/* A growing string that indents every line it writes. */
typedef struct {
    GString *str;
    int indent;
} VbBuf;

void vb_buf_init(VbBuf *buf, int indent);
void vb_buf_clear(VbBuf *buf);
char *vb_buf_steal(VbBuf *buf);
gboolean vb_buf_empty(const VbBuf *buf);
void vb_buf_add(VbBuf *buf, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Like vb_buf_add with one %s, which is XML-escaped; does nothing when @value is NULL. */
void vb_buf_escape(VbBuf *buf, const char *fmt, const char *value);
/* Appends preformatted XML (one or more lines), re-indented to the buffer's level. */
void vb_buf_add_raw_xml(VbBuf *buf, const char *xml);
/* <name attrs>children</name>, <name attrs/>, or nothing when both are empty. */
void vb_buf_element(VbBuf *buf, const char *name, VbBuf *attrs, VbBuf *children);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VbBuf, vb_buf_clear)
