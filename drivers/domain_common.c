/* domain_common.c: domain bookkeeping every driver shares */
#include "drivers/domain_common.h"

gboolean
vb_conn_domain_check_duplicate(VbConn *conn, const VbDomainDef *def, gboolean live, VbDomainObj **found,
                               GError **error)
{
    VbDomainObj *dom = vb_obj_list_by_key(conn->domains, def->uuid);

    *found = NULL;
    if (!dom) {
        if ((dom = vb_obj_list_by_name(conn->domains, def->name))) {
            vb_set_error(error, VB_ERR_OPERATION_FAILED, "domain '%s' already exists with uuid %s",
                         def->name, dom->def->uuid);
            return FALSE;
        }
        return TRUE;
    }
    if (!g_str_equal(dom->def->name, def->name)) {
        vb_set_error(error, VB_ERR_OPERATION_FAILED, "domain '%s' is already defined with uuid %s",
                     dom->def->name, dom->def->uuid);
        return FALSE;
    }
    if (live && vb_domain_obj_is_active(dom)) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "domain '%s' is already active", dom->def->name);
        return FALSE;
    }
    *found = dom;
    return TRUE;
}

/* The list indexes point into the definition, so the contents move rather than the pointer. */
void
vb_conn_domain_replace_def(VbConn *conn, VbDomainObj *dom, VbDomainDef *def)
{
    VbDomainDef old;

    vb_obj_list_remove_name(conn->domains, dom);
    old = *dom->def;
    *dom->def = *def;
    *def = old;
    vb_domain_def_free(def);
    vb_obj_list_add_name(conn->domains, dom);
}

VbDomainObj *
vb_conn_domain_define(VbConn *conn, VbDomainObj *dom, VbDomainDef *def)
{
    if (!dom) {
        dom = vb_domain_obj_new(def);
        dom->persistent = TRUE;
        vb_conn_domain_add(conn, dom);
        return dom;
    }
    if (vb_domain_obj_is_active(dom)) {
        vb_domain_def_free(dom->new_def);
        dom->new_def = def;
    } else {
        vb_conn_domain_replace_def(conn, dom, def);
    }
    dom->persistent = TRUE;
    return dom;
}

gboolean
vb_domain_obj_check_undefine(const VbDomainObj *dom, guint flags, GError **error)
{
    if (!dom->persistent) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "cannot undefine transient domain");
        return FALSE;
    }
    if ((flags & VB_UNDEFINE_NVRAM) && (flags & VB_UNDEFINE_KEEP_NVRAM)) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "cannot both keep and delete nvram");
        return FALSE;
    }
    if (dom->has_managed_save && !(flags & VB_UNDEFINE_MANAGED_SAVE)) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "Refusing to undefine while domain managed save image exists");
        return FALSE;
    }
    if (!vb_domain_obj_is_active(dom) && dom->snapshots->len > 0 && !(flags & VB_UNDEFINE_SNAPSHOTS_METADATA)) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "cannot delete inactive domain with %u snapshots",
                     dom->snapshots->len);
        return FALSE;
    }
    return TRUE;
}

gboolean
vb_domain_obj_undefine(VbDomainObj *dom)
{
    dom->has_managed_save = FALSE;
    dom->autostart = FALSE;
    if (!vb_domain_obj_is_active(dom))
        return TRUE;
    dom->persistent = FALSE;
    g_clear_pointer(&dom->new_def, vb_domain_def_free);
    return FALSE;
}
