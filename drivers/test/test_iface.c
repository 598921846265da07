/* test_iface.c: host interfaces (with libvirt's change transactions), secrets and network
 * filters of the test driver */
#include <string.h>

#include "drivers/test/test_private.h"

#define TEST_DEFINE_VALIDATE 1

/* ---- host interfaces ---- */

static void
emit_iface(VbConn *conn, VbInterfaceObj *iface, int event, VbPresence presence)
{
    vb_conn_emit_full(conn, VB_EVENT_INTERFACE, iface->def->name, event, 0, presence, iface->def->mac);
}

/* The list's key is the name string itself, so the object keeps its (equal) name string. */
static void
replace_iface_def(VbInterfaceObj *iface, VbInterfaceDef *def)
{
    VbInterfaceDef old = *iface->def;
    char *name = old.name;

    *iface->def = *def;
    *def = old;
    def->name = iface->def->name;
    iface->def->name = name;
    vb_interface_def_free(def);
}

static VbInterfaceObj *
assign_iface(VbConn *conn, VbInterfaceDef *def, gboolean active)
{
    VbInterfaceObj *iface = vb_obj_list_by_key(conn->interfaces, def->name);

    if (iface) {
        replace_iface_def(iface, def);
        iface->active = active;
        emit_iface(conn, iface, VB_IFACE_EVENT_DEFINED, VB_PRESENCE_SAME);
        return iface;
    }
    iface = g_new0(VbInterfaceObj, 1);
    iface->def = def;
    iface->active = active;
    vb_obj_list_add(conn->interfaces, iface);
    emit_iface(conn, iface, VB_IFACE_EVENT_DEFINED, VB_PRESENCE_APPEARED);
    return iface;
}

VbInterfaceObj *
test_interface_define_xml(VbConn *conn, const char *xml, guint flags, GError **error)
{
    VbInterfaceDef *def;
    VbInterfaceObj *iface;

    if (!vb_check_flags(flags, TEST_DEFINE_VALIDATE, "virInterfaceDefineXML", error) ||
        !(def = vb_interface_def_parse(xml, 0, error)))
        return NULL;
    iface = vb_obj_list_by_key(conn->interfaces, def->name);
    return assign_iface(conn, def, iface && iface->active);
}

gboolean
test_interface_undefine(VbConn *conn, VbInterfaceObj *iface, GError **error)
{
    emit_iface(conn, iface, VB_IFACE_EVENT_UNDEFINED, VB_PRESENCE_GONE);
    vb_obj_list_remove(conn->interfaces, iface);
    return TRUE;
}

gboolean
test_interface_create(VbConn *conn, VbInterfaceObj *iface, guint flags, GError **error)
{
    if (!vb_check_flags(flags, 0, "virInterfaceCreate", error))
        return FALSE;
    if (iface->active) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "interface '%s' is already active", iface->def->name);
        return FALSE;
    }
    iface->active = TRUE;
    emit_iface(conn, iface, VB_IFACE_EVENT_STARTED, VB_PRESENCE_SAME);
    return TRUE;
}

gboolean
test_interface_destroy(VbConn *conn, VbInterfaceObj *iface, guint flags, GError **error)
{
    if (!vb_check_flags(flags, 0, "virInterfaceDestroy", error))
        return FALSE;
    if (!iface->active) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "interface '%s' is not active", iface->def->name);
        return FALSE;
    }
    iface->active = FALSE;
    emit_iface(conn, iface, VB_IFACE_EVENT_STOPPED, VB_PRESENCE_SAME);
    return TRUE;
}

void
test_iface_backup_free(TestIfaceBackup *backup)
{
    g_free(backup->xml);
    g_free(backup);
}

gboolean
test_interface_change_begin(VbConn *conn, guint flags, GError **error)
{
    TestPriv *priv = test_priv(conn);
    g_autoptr(GPtrArray) all = NULL;

    if (!vb_check_flags(flags, 0, "virInterfaceChangeBegin", error))
        return FALSE;
    if (priv->iface_backup) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "there is another transaction running.");
        return FALSE;
    }
    all = vb_obj_list_values(conn->interfaces);
    priv->iface_backup = g_ptr_array_new_with_free_func((GDestroyNotify)test_iface_backup_free);
    for (guint i = 0; i < all->len; i++) {
        VbInterfaceObj *iface = g_ptr_array_index(all, i);
        TestIfaceBackup *backup = g_new0(TestIfaceBackup, 1);

        backup->xml = vb_interface_def_format(iface->def, 0);
        backup->active = iface->active;
        g_ptr_array_add(priv->iface_backup, backup);
    }
    return TRUE;
}

gboolean
test_interface_change_commit(VbConn *conn, guint flags, GError **error)
{
    TestPriv *priv = test_priv(conn);

    if (!vb_check_flags(flags, 0, "virInterfaceChangeCommit", error))
        return FALSE;
    if (!priv->iface_backup) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "no transaction running, nothing to be committed.");
        return FALSE;
    }
    g_clear_pointer(&priv->iface_backup, g_ptr_array_unref);
    return TRUE;
}

static GPtrArray *
parse_backup(GPtrArray *backup)
{
    GPtrArray *defs = g_ptr_array_new_with_free_func((GDestroyNotify)vb_interface_def_free);

    for (guint i = 0; i < backup->len; i++) {
        TestIfaceBackup *saved = g_ptr_array_index(backup, i);
        g_autoptr(GError) error = NULL;
        VbInterfaceDef *def = vb_interface_def_parse(saved->xml, 0, &error);

        if (!def)
            g_error("formatted interface XML does not parse back: %s", error->message);
        g_ptr_array_add(defs, def);
    }
    return defs;
}

static gboolean
backup_has(GPtrArray *defs, const char *name)
{
    for (guint i = 0; i < defs->len; i++) {
        if (g_str_equal(((VbInterfaceDef *)g_ptr_array_index(defs, i))->name, name))
            return TRUE;
    }
    return FALSE;
}

/* Back to the interfaces as they were at ChangeBegin, announcing what comes and goes. */
gboolean
test_interface_change_rollback(VbConn *conn, guint flags, GError **error)
{
    TestPriv *priv = test_priv(conn);
    g_autoptr(GPtrArray) defs = NULL;
    g_autoptr(GPtrArray) current = NULL;

    if (!vb_check_flags(flags, 0, "virInterfaceChangeRollback", error))
        return FALSE;
    if (!priv->iface_backup) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "no transaction running, nothing to rollback.");
        return FALSE;
    }
    defs = parse_backup(priv->iface_backup);
    current = vb_obj_list_values(conn->interfaces);
    for (guint i = 0; i < current->len; i++) {
        VbInterfaceObj *iface = g_ptr_array_index(current, i);
        if (!backup_has(defs, iface->def->name))
            test_interface_undefine(conn, iface, NULL);
    }
    for (guint i = 0; i < defs->len; i++) {
        TestIfaceBackup *saved = g_ptr_array_index(priv->iface_backup, i);
        assign_iface(conn, g_steal_pointer(&g_ptr_array_index(defs, i)), saved->active);
    }
    g_clear_pointer(&priv->iface_backup, g_ptr_array_unref);
    return TRUE;
}

/* ---- secrets ---- */

static void
emit_secret(VbConn *conn, VbSecretObj *secret, int event, VbPresence presence)
{
    vb_conn_emit(conn, VB_EVENT_SECRET, secret->def->uuid, event, 0, presence);
}

/* libvirt's virSecretObjListAdd checks. */
static gboolean
check_secret(VbConn *conn, const VbSecretDef *def, VbSecretObj **found, GError **error)
{
    VbSecretObj *secret = vb_obj_list_by_key(conn->secrets, def->uuid);
    VbSecretObj *by_usage = NULL;

    if ((*found = secret)) {
        if (g_strcmp0(secret->def->usage_id, def->usage_id) != 0) {
            vb_set_error(error, VB_ERR_INTERNAL_ERROR, "a secret with UUID %s is already defined for use with %s",
                         def->uuid, secret->def->usage_id ? secret->def->usage_id : "");
            return FALSE;
        }
        if (secret->def->private_ && !def->private_) {
            vb_set_error(error, VB_ERR_INTERNAL_ERROR, "cannot change private flag on existing secret");
            return FALSE;
        }
        return TRUE;
    }
    if (def->usage_type != VB_SECRET_USAGE_TYPE_NONE)
        by_usage = vb_conn_secret_by_usage(conn, def->usage_type, def->usage_id, NULL);
    if (by_usage) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "a secret with UUID %s already defined for use with %s",
                     by_usage->def->uuid, def->usage_id);
        return FALSE;
    }
    return TRUE;
}

VbSecretObj *
test_secret_define_xml(VbConn *conn, const char *xml, guint flags, GError **error)
{
    g_autoptr(VbSecretDef) def = NULL;
    VbSecretObj *secret;

    if (!vb_check_flags(flags, TEST_DEFINE_VALIDATE, "virSecretDefineXML", error) ||
        !(def = vb_secret_def_parse(xml, 0, error)) ||
        !check_secret(conn, def, &secret, error))
        return NULL;
    if (secret) {
        VbSecretDef old = *secret->def;
        *secret->def = *def;
        *def = old;
        emit_secret(conn, secret, VB_SECRET_EVENT_DEFINED, VB_PRESENCE_SAME);
        return secret;
    }
    secret = g_new0(VbSecretObj, 1);
    secret->def = g_steal_pointer(&def);
    vb_obj_list_add(conn->secrets, secret);
    emit_secret(conn, secret, VB_SECRET_EVENT_DEFINED, VB_PRESENCE_APPEARED);
    return secret;
}

gboolean
test_secret_undefine(VbConn *conn, VbSecretObj *secret, GError **error)
{
    emit_secret(conn, secret, VB_SECRET_EVENT_UNDEFINED, VB_PRESENCE_GONE);
    vb_obj_list_remove(conn->secrets, secret);
    return TRUE;
}

gboolean
test_secret_set_value(VbConn *conn, VbSecretObj *secret, GBytes *value, guint flags, GError **error)
{
    if (!vb_check_flags(flags, 0, "virSecretSetValue", error))
        return FALSE;
    if (!value) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "value in virSecretSetValue must not be NULL");
        return FALSE;
    }
    g_clear_pointer(&secret->value, g_bytes_unref);
    secret->value = g_bytes_ref(value);
    return TRUE;
}

GBytes *
test_secret_get_value(VbConn *conn, VbSecretObj *secret, guint flags, GError **error)
{
    if (!vb_check_flags(flags, 0, "virSecretGetValue", error))
        return NULL;
    if (secret->def->private_) {
        vb_set_error(error, VB_ERR_INVALID_SECRET, "secret is private");
        return NULL;
    }
    if (!secret->value) {
        vb_set_error(error, VB_ERR_NO_SECRET, "secret '%s' does not have a value", secret->def->uuid);
        return NULL;
    }
    return g_bytes_ref(secret->value);
}

/* ---- network filters ---- */

static void
emit_nwfilter(VbConn *conn, VbNWFilterObj *filter, int event, VbPresence presence)
{
    vb_conn_emit(conn, VB_EVENT_NWFILTER, filter->def->uuid, event, 0, presence);
}

static gboolean
check_nwfilter(VbConn *conn, const VbNWFilterDef *def, VbNWFilterObj **found, GError **error)
{
    VbNWFilterObj *filter = vb_obj_list_by_key(conn->nwfilters, def->uuid);

    if ((*found = filter) && !g_str_equal(filter->def->name, def->name)) {
        vb_set_error(error, VB_ERR_OPERATION_FAILED, "filter with same UUID but different name ('%s') already exists",
                     filter->def->name);
        return FALSE;
    }
    if (!filter && (filter = vb_obj_list_by_name(conn->nwfilters, def->name))) {
        vb_set_error(error, VB_ERR_OPERATION_FAILED, "filter '%s' already exists with uuid %s", def->name,
                     filter->def->uuid);
        return FALSE;
    }
    return TRUE;
}

VbNWFilterObj *
test_nwfilter_define_xml(VbConn *conn, const char *xml, GError **error)
{
    g_autoptr(VbNWFilterDef) def = vb_nwfilter_def_parse(xml, 0, error);
    VbNWFilterObj *filter;

    if (!def || !check_nwfilter(conn, def, &filter, error))
        return NULL;
    if (filter) {
        VbNWFilterDef old;

        vb_obj_list_remove_name(conn->nwfilters, filter);
        old = *filter->def;
        *filter->def = *def;
        *def = old;
        vb_obj_list_add_name(conn->nwfilters, filter);
        emit_nwfilter(conn, filter, VB_NWFILTER_EVENT_DEFINED, VB_PRESENCE_SAME);
        return filter;
    }
    filter = g_new0(VbNWFilterObj, 1);
    filter->def = g_steal_pointer(&def);
    vb_obj_list_add(conn->nwfilters, filter);
    emit_nwfilter(conn, filter, VB_NWFILTER_EVENT_DEFINED, VB_PRESENCE_APPEARED);
    return filter;
}

static gboolean
nwfilter_referenced(VbConn *conn, const char *name)
{
    g_autoptr(GPtrArray) all = vb_obj_list_values(conn->nwfilters);

    for (guint i = 0; i < all->len; i++) {
        VbNWFilterDef *def = ((VbNWFilterObj *)g_ptr_array_index(all, i))->def;
        for (guint j = 0; j < def->entries->len; j++) {
            VbNWFilterEntry *entry = g_ptr_array_index(def->entries, j);
            if (entry->ref && g_strcmp0(entry->ref->filter, name) == 0)
                return TRUE;
        }
    }
    return FALSE;
}

gboolean
test_nwfilter_undefine(VbConn *conn, VbNWFilterObj *filter, GError **error)
{
    if (nwfilter_referenced(conn, filter->def->name)) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "nwfilter is in use");
        return FALSE;
    }
    emit_nwfilter(conn, filter, VB_NWFILTER_EVENT_UNDEFINED, VB_PRESENCE_GONE);
    vb_obj_list_remove(conn->nwfilters, filter);
    return TRUE;
}
