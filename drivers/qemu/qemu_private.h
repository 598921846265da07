/* qemu_private.h: shared between the QEMU driver's files; not for other users. */
#pragma once

#include "drivers/domain_common.h"
#include "drivers/qemu/qemu_driver.h"

typedef struct {
    gboolean privileged;     /* qemu:///system */
    char *config_dir;
    char *autostart_dir;
    char *state_dir;
    char *log_dir;
    int next_dom_id;
} QemuPriv;

static inline QemuPriv *qemu_priv(VbConn *conn) { return conn->priv; }

/* qemu_domain.c */
gboolean qemu_domains_load(VbConn *conn, GError **error);
VbDomainObj *qemu_domain_define_xml(VbConn *conn, const char *xml, guint flags, GError **error);
gboolean qemu_domain_undefine(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
char *qemu_domain_get_xml_desc(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
char *qemu_domain_get_os_type(VbConn *conn, VbDomainObj *dom, GError **error);
gboolean qemu_domain_set_autostart(VbConn *conn, VbDomainObj *dom, gboolean autostart, GError **error);
gboolean qemu_domain_get_info(VbConn *conn, VbDomainObj *dom, VbDomainInfo *info, GError **error);
