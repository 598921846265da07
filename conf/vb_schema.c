#include "vb_schema.h"

#include <string.h>
#include <gio/gio.h>
#include <libxml/relaxng.h>
#include <libxml/xmlerror.h>

#include "vb_xml.h"

#define SCHEMA_RESOURCE_DIR "/org/libvirt/virtbus/schemas/"
/* Enough to show the element at fault and the errors around it. */
#define MAX_REPORTED_ERRORS 4

/* libxml2 2.12 made the structured error argument const. */
#if LIBXML_VERSION >= 21200
typedef const xmlError VbXmlError;
#else
typedef xmlError VbXmlError;
#endif

typedef struct {
    const char *kind;
    xmlRelaxNGPtr schema;    /* NULL when it did not compile (a bug in data/schemas) */
    char *compile_error;     /* then libxml2's first complaint */
} VbSchema;

static VbSchema schemas[] = {
    { "domain", NULL, NULL },
    { "network", NULL, NULL },
};

/* libxml2 does not promise that one compiled schema may serve concurrent validations;
 * validations are short, so they take turns. */
static GMutex validate_lock;

static void
keep_first_compile_error(void *data, VbXmlError *err)
{
    VbSchema *schema = data;
    g_autofree char *message = NULL;

    if (schema->compile_error || !err || !err->message)
        return;
    message = g_strstrip(g_strdup(err->message));
    schema->compile_error = g_strdup_printf("line %d: %s", err->line, message);
}

static xmlRelaxNGPtr
compile_schema(VbSchema *target)
{
    g_autofree char *path = g_strconcat(SCHEMA_RESOURCE_DIR, target->kind, ".rng", NULL);
    g_autoptr(GBytes) bytes = g_resources_lookup_data(path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
    g_autofree char *text = NULL;
    g_autoptr(xmlDoc) doc = NULL;
    xmlRelaxNGParserCtxtPtr ctxt;
    xmlRelaxNGPtr schema;

    if (!bytes)
        return NULL;
    text = g_strndup(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes));
    /* our own parser: no network, no DTD, no entities, even for our own files */
    doc = vb_xml_parse(text, "grammar", NULL);
    if (!doc)
        return NULL;
    ctxt = xmlRelaxNGNewDocParserCtxt(doc);
    if (!ctxt)
        return NULL;
    xmlRelaxNGSetParserStructuredErrors(ctxt, keep_first_compile_error, target);
    schema = xmlRelaxNGParse(ctxt);
    xmlRelaxNGFreeParserCtxt(ctxt);
    return schema;
}

static gpointer
compile_all(gpointer data G_GNUC_UNUSED)
{
    for (gsize i = 0; i < G_N_ELEMENTS(schemas); i++)
        schemas[i].schema = compile_schema(&schemas[i]);
    return schemas;
}

static VbSchema *
schema_lookup(const char *kind)
{
    static GOnce once = G_ONCE_INIT;

    g_once(&once, compile_all, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(schemas); i++) {
        if (g_str_equal(schemas[i].kind, kind))
            return &schemas[i];
    }
    return NULL;
}

/* The errors of one validation, in the order libxml2 reports them (innermost first). */
typedef struct {
    GPtrArray *specific;     /* messages naming what is wrong ("Invalid attribute bus for element target") */
    GPtrArray *generic;      /* follow-ups that only say that something failed */
    xmlNodePtr node;         /* the first element an error points at */
    int line;
} SchemaErrors;

/* libxml2's messages that carry no detail of their own; the one about a missing child even
 * leaves the child's name out, so it is reworded. */
static char *
generic_message(const char *message)
{
    if (g_str_has_prefix(message, "Expecting an element , got nothing"))
        return g_strdup("a required child element is missing");
    if (g_str_has_suffix(message, "failed to validate content") ||
        g_str_has_suffix(message, "in interleave") ||
        g_str_has_prefix(message, "Error validating"))
        return g_strdup(message);
    return NULL;
}

static void
add_message(GPtrArray *messages, char *message)
{
    if (messages->len >= MAX_REPORTED_ERRORS ||
        g_ptr_array_find_with_equal_func(messages, message, g_str_equal, NULL)) {
        g_free(message);
        return;
    }
    g_ptr_array_add(messages, message);
}

static void
collect_structured_error(void *data, VbXmlError *err)
{
    SchemaErrors *errors = data;
    g_autofree char *message = NULL;
    char *generic;

    if (!err || !err->message)
        return;
    if (!errors->node && err->node && ((xmlNodePtr)err->node)->type == XML_ELEMENT_NODE) {
        errors->node = err->node;
        errors->line = err->line;
    }
    message = g_strstrip(g_strdup(err->message));
    generic = generic_message(message);
    if (generic)
        add_message(errors->generic, generic);
    else
        add_message(errors->specific, g_steal_pointer(&message));
}

/* The text of a leaf element ("explode" in <on_poweroff>explode</on_poweroff>), which is
 * often the reason it was refused; NULL for elements with children or long text. */
static char *
leaf_value(xmlNodePtr node)
{
    g_autofree char *text = NULL;

    if (vb_xml_child(node, NULL))
        return NULL;
    text = g_strstrip(vb_xml_content(node));
    if (!*text || strlen(text) > 64)
        return NULL;
    return g_steal_pointer(&text);
}

static void
set_validation_error(GError **error, const char *kind, const SchemaErrors *errors)
{
    g_autoptr(GString) details = g_string_new(NULL);
    GPtrArray *messages;

    messages = errors->specific->len ? errors->specific : errors->generic;
    if (errors->node) {
        /* when libxml2 cannot say what is wrong with an element, its value usually is */
        g_autofree char *value = errors->specific->len ? NULL : leaf_value(errors->node);
        g_string_append_printf(details, "line %d: element '%s'", errors->line, (const char *)errors->node->name);
        if (value)
            g_string_append_printf(details, " (value '%s')", value);
        g_string_append(details, ": ");
    }
    for (guint i = 0; i < messages->len; i++)
        g_string_append_printf(details, "%s%s", i ? "; " : "", (const char *)g_ptr_array_index(messages, i));
    if (messages->len == 0)
        g_string_append(details, "the document does not match the schema");
    vb_set_error(error, VB_ERR_XML_INVALID_SCHEMA, "Unable to validate doc against schema %s.rng\n%s",
                 kind, details->str);
}

gboolean
vb_schema_validate(const char *kind, xmlDocPtr doc, GError **error)
{
    VbSchema *schema = schema_lookup(kind);
    g_autoptr(GPtrArray) specific = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) generic = g_ptr_array_new_with_free_func(g_free);
    SchemaErrors errors = { specific, generic, NULL, 0 };
    xmlRelaxNGValidCtxtPtr ctxt;
    int rc;

    if (!schema || !schema->schema) {
        const char *why = !schema ? "no such schema" :
                          schema->compile_error ? schema->compile_error : "it did not compile";
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "no usable RelaxNG schema for %s XML: %s", kind, why);
        return FALSE;
    }
    g_mutex_lock(&validate_lock);
    ctxt = xmlRelaxNGNewValidCtxt(schema->schema);
    if (!ctxt) {
        g_mutex_unlock(&validate_lock);
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "cannot allocate a RelaxNG validation context");
        return FALSE;
    }
    xmlRelaxNGSetValidStructuredErrors(ctxt, collect_structured_error, &errors);
    rc = xmlRelaxNGValidateDoc(ctxt, doc);
    xmlRelaxNGFreeValidCtxt(ctxt);
    g_mutex_unlock(&validate_lock);
    if (rc == 0)
        return TRUE;
    set_validation_error(error, kind, &errors);
    return FALSE;
}
