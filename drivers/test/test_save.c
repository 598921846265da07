/* test_save.c: save images and managed save of the test driver.
 *
 * A save image is a text file: the line "VirtbusTestSave" (followed by " running" or
 * " paused" when the image says how to resume) and then the domain XML. */
#include <string.h>

#include "drivers/test/test_private.h"

#define TEST_SAVE_MAGIC "VirtbusTestSave"
#define TEST_SAVE_FLAGS (VB_SAVE_BYPASS_CACHE | VB_SAVE_RUNNING | VB_SAVE_PAUSED)

typedef enum {
    SAVE_STATE_DEFAULT,
    SAVE_STATE_RUNNING,
    SAVE_STATE_PAUSED,
} TestSaveState;

static const char *const save_state_suffix[] = { "", " running", " paused" };

static gboolean
save_image_write(const char *path, const VbDomainDef *def, TestSaveState state, GError **error)
{
    g_autofree char *xml = vb_domain_def_format(def, VB_DOMAIN_XML_SECURE);
    g_autofree char *text = g_strdup_printf("%s%s\n%s", TEST_SAVE_MAGIC, save_state_suffix[state], xml);
    g_autoptr(GError) local = NULL;

    if (!g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &local)) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "saving domain '%s' to '%s': write failed: %s", def->name, path,
                     local->message);
        return FALSE;
    }
    return TRUE;
}

static gboolean
parse_save_header(const char *text, gsize len, TestSaveState *state, const char **xml)
{
    const char *nl = memchr(text, '\n', len);
    g_autofree char *header = NULL;

    if (!nl || strlen(text) != len || !g_str_has_prefix(text, TEST_SAVE_MAGIC))
        return FALSE;
    header = g_strndup(text + strlen(TEST_SAVE_MAGIC), (gsize)(nl - text) - strlen(TEST_SAVE_MAGIC));
    for (gsize i = 0; i < G_N_ELEMENTS(save_state_suffix); i++) {
        if (g_str_equal(header, save_state_suffix[i])) {
            *state = (TestSaveState)i;
            *xml = nl + 1;
            return TRUE;
        }
    }
    return FALSE;
}

static VbDomainDef *
save_image_read(const char *path, TestSaveState *state, GError **error)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) local = NULL;
    const char *xml = NULL;
    gsize len = 0;

    if (!path || !*path) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "a save image path is required");
        return NULL;
    }
    if (!g_file_get_contents(path, &text, &len, &local)) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "cannot read domain image '%s': %s", path, local->message);
        return NULL;
    }
    if (!parse_save_header(text, len, state, &xml)) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "mismatched header magic in domain image '%s'", path);
        return NULL;
    }
    return vb_domain_def_parse(xml, 0, error);
}

static gboolean
check_save_args(const char *xml, guint flags, GError **error)
{
    if (xml && *xml) {
        vb_set_error(error, VB_ERR_ARGUMENT_UNSUPPORTED, "xml modification unsupported");
        return FALSE;
    }
    if ((flags & VB_SAVE_RUNNING) && (flags & VB_SAVE_PAUSED)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "running and paused flags are mutually exclusive");
        return FALSE;
    }
    return TRUE;
}

static TestSaveState
save_state_from_flags(guint flags, TestSaveState fallback)
{
    if (flags & VB_SAVE_RUNNING)
        return SAVE_STATE_RUNNING;
    if (flags & VB_SAVE_PAUSED)
        return SAVE_STATE_PAUSED;
    return fallback;
}

gboolean
test_domain_restore(VbConn *conn, const char *from, const char *xml, guint flags, GError **error)
{
    TestSaveState state = SAVE_STATE_DEFAULT;
    VbDomainDef *def;

    if (!vb_check_flags(flags, TEST_SAVE_FLAGS | VB_SAVE_RESET_NVRAM, "virDomainRestoreFlags", error) ||
        !check_save_args(xml, flags, error) ||
        !(def = save_image_read(from, &state, error)))
        return FALSE;
    state = save_state_from_flags(flags, state);
    return test_domain_start_new(conn, def, VB_RUNNING_RESTORED, VB_EVENT_STARTED_RESTORED,
                                 state == SAVE_STATE_PAUSED, error) != NULL;
}

char *
test_domain_save_image_get_xml_desc(VbConn *conn, const char *file, guint flags, GError **error)
{
    TestSaveState state;
    g_autoptr(VbDomainDef) def = NULL;

    if (!vb_check_flags(flags, VB_DOMAIN_XML_SECURE, "virDomainSaveImageGetXMLDesc", error) ||
        !(def = save_image_read(file, &state, error)))
        return NULL;
    return vb_domain_def_format(def, VB_DOMAIN_XML_SECURE);
}

static gboolean
check_same_domain(const VbDomainDef *old, const VbDomainDef *def, GError **error)
{
    if (!g_str_equal(old->uuid, def->uuid)) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "Target domain uuid %s does not match source %s",
                     def->uuid, old->uuid);
        return FALSE;
    }
    if (!g_str_equal(old->name, def->name)) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "Target domain name '%s' does not match source '%s'",
                     def->name, old->name);
        return FALSE;
    }
    return TRUE;
}

gboolean
test_domain_save_image_define_xml(VbConn *conn, const char *file, const char *xml, guint flags, GError **error)
{
    TestSaveState state = SAVE_STATE_DEFAULT;
    g_autoptr(VbDomainDef) old = NULL;
    g_autoptr(VbDomainDef) def = NULL;

    if (!vb_check_flags(flags, VB_SAVE_RUNNING | VB_SAVE_PAUSED, "virDomainSaveImageDefineXML", error) ||
        !check_save_args(NULL, flags, error) ||
        !(old = save_image_read(file, &state, error)) ||
        !(def = vb_domain_def_parse(xml, 0, error)) ||
        !check_same_domain(old, def, error))
        return FALSE;
    return save_image_write(file, def, save_state_from_flags(flags, state), error);
}

gboolean
test_domain_save(VbConn *conn, VbDomainObj *dom, const char *to, const char *xml, guint flags, GError **error)
{
    TestSaveState now = dom->state == VB_DOMAIN_PAUSED ? SAVE_STATE_PAUSED : SAVE_STATE_RUNNING;

    if (!vb_check_flags(flags, TEST_SAVE_FLAGS, "virDomainSaveFlags", error) ||
        !check_save_args(xml, flags, error) ||
        !test_domain_check_active(dom, error))
        return FALSE;
    if (!to || !*to) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "a save image path is required");
        return FALSE;
    }
    if (!save_image_write(to, dom->def, save_state_from_flags(flags, now), error))
        return FALSE;
    test_domain_stop(conn, dom, VB_SHUTOFF_SAVED, VB_EVENT_STOPPED_SAVED);
    return TRUE;
}

gboolean
test_domain_managed_save(VbConn *conn, VbDomainObj *dom, guint flags, GError **error)
{
    if (!vb_check_flags(flags, TEST_SAVE_FLAGS, "virDomainManagedSave", error) ||
        !check_save_args(NULL, flags, error) ||
        !test_domain_check_active(dom, error))
        return FALSE;
    if (!dom->persistent) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "cannot do managed save for transient domain");
        return FALSE;
    }
    dom->has_managed_save = TRUE;
    test_domain_stop(conn, dom, VB_SHUTOFF_SAVED, VB_EVENT_STOPPED_SAVED);
    return TRUE;
}

gboolean
test_domain_managed_save_remove(VbConn *conn, VbDomainObj *dom, guint flags, GError **error)
{
    if (!vb_check_flags(flags, 0, "virDomainManagedSaveRemove", error))
        return FALSE;
    dom->has_managed_save = FALSE;
    return TRUE;
}
