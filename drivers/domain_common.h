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
/* The reasons libvirt refuses virDomainUndefineFlags, checked before anything changes. */
gboolean vb_domain_obj_check_undefine(const VbDomainObj *dom, guint flags, GError **error);
/* Forgets the persistent side: an active domain becomes transient. Returns TRUE when the
 * domain is inactive and the caller must remove it. */
gboolean vb_domain_obj_undefine(VbDomainObj *dom);
