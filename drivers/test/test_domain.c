/* test_domain.c: domain life cycle of the test driver (define, start, stop, undefine) */
#include <string.h>

#include "drivers/domain_common.h"
#include "drivers/test/test_private.h"

#define TEST_SHUTDOWN_MODES (VB_SHUTDOWN_ACPI_POWER_BTN | VB_SHUTDOWN_GUEST_AGENT | VB_SHUTDOWN_INITCTL | \
                             VB_SHUTDOWN_SIGNAL | VB_SHUTDOWN_PARAVIRT)
#define TEST_START_FLAGS (VB_START_PAUSED | VB_START_AUTODESTROY | VB_START_BYPASS_CACHE | VB_START_FORCE_BOOT | \
                          VB_START_VALIDATE | VB_START_RESET_NVRAM)
#define TEST_UNDEFINE_FLAGS (VB_UNDEFINE_MANAGED_SAVE | VB_UNDEFINE_SNAPSHOTS_METADATA | VB_UNDEFINE_NVRAM | \
                             VB_UNDEFINE_KEEP_NVRAM | VB_UNDEFINE_CHECKPOINTS_METADATA | VB_UNDEFINE_TPM | \
                             VB_UNDEFINE_KEEP_TPM)
#define TEST_XML_FLAGS (VB_DOMAIN_XML_SECURE | VB_DOMAIN_XML_INACTIVE | VB_DOMAIN_XML_UPDATE_CPU | \
                        VB_DOMAIN_XML_MIGRATABLE)

/* ---- shared helpers ---- */

gboolean
test_domain_check_active(VbDomainObj *dom, GError **error)
{
    if (vb_domain_obj_is_active(dom))
        return TRUE;
    vb_set_error(error, VB_ERR_OPERATION_INVALID, "domain is not running");
    return FALSE;
}

static gboolean
net_name_used(const VbDomainDef *def, const char *name)
{
    for (guint i = 0; i < def->devices->len; i++) {
        VbDeviceDef *dev = g_ptr_array_index(def->devices, i);
        if (dev->net && g_strcmp0(dev->net->target_dev, name) == 0)
            return TRUE;
    }
    return FALSE;
}

/* Defaults the driver fills in after parsing, as libvirt's post-parse does: the guest
 * architecture and machine from the capabilities, and interface names testnet0, testnet1... */
void
test_domain_post_parse(VbDomainDef *def)
{
    guint next = 0;

    if (!def->os_arch)
        def->os_arch = g_strdup("i686");
    if (!def->os_machine)
        def->os_machine = g_strdup("pc");

    for (guint i = 0; i < def->devices->len; i++) {
        VbDeviceDef *dev = g_ptr_array_index(def->devices, i);
        char *name;

        if (!dev->net || dev->net->target_dev)
            continue;
        while (net_name_used(def, name = g_strdup_printf("testnet%u", next++)))
            g_free(name);
        dev->net->target_dev = name;
    }
}

/* libvirt's testDomainStartState: a new id, and the persistent definition kept apart. */
void
test_domain_start_state(VbConn *conn, VbDomainObj *dom, int reason)
{
    TestPriv *priv = test_priv(conn);

    if (dom->persistent && !dom->new_def)
        dom->new_def = vb_domain_def_copy(dom->def);
    vb_conn_domain_set_id(conn, dom, priv->next_dom_id++);
    vb_domain_obj_set_state(dom, VB_DOMAIN_RUNNING, reason);
    dom->started_at = g_get_monotonic_time();
    dom->has_managed_save = FALSE;
}

void
test_domain_shutdown_state(VbConn *conn, VbDomainObj *dom, int reason)
{
    if (dom->new_def)
        vb_conn_domain_replace_def(conn, dom, g_steal_pointer(&dom->new_def));
    vb_conn_domain_set_id(conn, dom, -1);
    vb_domain_obj_set_state(dom, VB_DOMAIN_SHUTOFF, reason);
    dom->started_at = 0;
}

void
test_domain_stop(VbConn *conn, VbDomainObj *dom, int reason, int detail)
{
    test_domain_shutdown_state(conn, dom, reason);
    test_emit_domain(conn, dom, VB_DOMAIN_EVENT_STOPPED, detail, dom->persistent ? VB_PRESENCE_SAME : VB_PRESENCE_GONE);
    if (!dom->persistent)
        test_domain_remove(conn, dom);
}

void
test_domain_remove(VbConn *conn, VbDomainObj *dom)
{
    test_domain_priv_drop(conn, dom);
    vb_conn_domain_remove(conn, dom);
}

static void
pause_after_start(VbConn *conn, VbDomainObj *dom)
{
    vb_domain_obj_set_state(dom, VB_DOMAIN_PAUSED, VB_PAUSED_USER);
    test_emit_domain(conn, dom, VB_DOMAIN_EVENT_SUSPENDED, VB_EVENT_SUSPENDED_PAUSED, VB_PRESENCE_SAME);
}

VbDomainObj *
test_domain_start_new(VbConn *conn, VbDomainDef *def, int reason, int detail, gboolean paused, GError **error)
{
    g_autoptr(VbDomainDef) owned = def;
    VbPresence presence = VB_PRESENCE_SAME;
    VbDomainObj *dom;

    if (!vb_conn_domain_check_duplicate(conn, owned, TRUE, &dom, error))
        return NULL;
    test_domain_post_parse(owned);
    if (dom) {
        /* an inactive persistent domain: the new definition runs, its config stays */
        VbDomainDef *config = vb_domain_def_copy(dom->def);
        vb_conn_domain_replace_def(conn, dom, g_steal_pointer(&owned));
        dom->new_def = config;
    } else {
        dom = vb_domain_obj_new(g_steal_pointer(&owned));
        vb_conn_domain_add(conn, dom);
        presence = VB_PRESENCE_APPEARED;
    }
    test_domain_start_state(conn, dom, reason);
    test_emit_domain(conn, dom, VB_DOMAIN_EVENT_STARTED, detail, presence);
    if (paused)
        pause_after_start(conn, dom);
    return dom;
}

/* ---- vtable entries ---- */

/* libvirt's test driver answers "linux" whatever the definition says. */
char *
test_domain_get_os_type(VbConn *conn, VbDomainObj *dom, GError **error)
{
    return g_strdup("linux");
}

VbDomainObj *
test_domain_define_xml(VbConn *conn, const char *xml, guint flags, GError **error)
{
    g_autoptr(VbDomainDef) def = NULL;
    VbDomainObj *dom;

    if (!vb_check_flags(flags, VB_DEFINE_VALIDATE, "virDomainDefineXMLFlags", error) ||
        !(def = vb_domain_def_parse(xml, (flags & VB_DEFINE_VALIDATE) ? VB_DOMAIN_PARSE_VALIDATE : 0, error)) ||
        !vb_conn_domain_check_duplicate(conn, def, FALSE, &dom, error))
        return NULL;
    test_domain_post_parse(def);
    if (!dom) {
        dom = vb_conn_domain_define(conn, NULL, g_steal_pointer(&def));
        test_emit_domain(conn, dom, VB_DOMAIN_EVENT_DEFINED, VB_EVENT_DEFINED_ADDED, VB_PRESENCE_APPEARED);
        return dom;
    }
    vb_conn_domain_define(conn, dom, g_steal_pointer(&def));
    test_emit_domain(conn, dom, VB_DOMAIN_EVENT_DEFINED, VB_EVENT_DEFINED_UPDATED, VB_PRESENCE_SAME);
    return dom;
}

VbDomainObj *
test_domain_create_xml(VbConn *conn, const char *xml, guint flags, GError **error)
{
    VbDomainDef *def;

    if (!vb_check_flags(flags, VB_START_PAUSED | VB_START_AUTODESTROY | VB_START_VALIDATE, "virDomainCreateXML",
                        error) ||
        !(def = vb_domain_def_parse(xml, (flags & VB_START_VALIDATE) ? VB_DOMAIN_PARSE_VALIDATE : 0, error)))
        return NULL;
    return test_domain_start_new(conn, def, VB_RUNNING_BOOTED, VB_EVENT_STARTED_BOOTED,
                                 (flags & VB_START_PAUSED) != 0, error);
}

/* A managed save image is restored from (and dropped) unless FORCE_BOOT discards it. */
gboolean
test_domain_create(VbConn *conn, VbDomainObj *dom, guint flags, GError **error)
{
    gboolean restore;

    if (!vb_check_flags(flags, TEST_START_FLAGS, "virDomainCreateWithFlags", error))
        return FALSE;
    if (vb_domain_obj_is_active(dom)) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "domain is already running");
        return FALSE;
    }
    restore = dom->has_managed_save && !(flags & VB_START_FORCE_BOOT);
    test_domain_start_state(conn, dom, restore ? VB_RUNNING_RESTORED : VB_RUNNING_BOOTED);
    test_emit_domain(conn, dom, VB_DOMAIN_EVENT_STARTED,
                     restore ? VB_EVENT_STARTED_RESTORED : VB_EVENT_STARTED_BOOTED, VB_PRESENCE_SAME);
    if (flags & VB_START_PAUSED)
        pause_after_start(conn, dom);
    return TRUE;
}

gboolean
test_domain_destroy(VbConn *conn, VbDomainObj *dom, guint flags, GError **error)
{
    if (!vb_check_flags(flags, VB_DESTROY_GRACEFUL | VB_DESTROY_REMOVE_LOGS, "virDomainDestroyFlags", error) ||
        !test_domain_check_active(dom, error))
        return FALSE;
    test_domain_stop(conn, dom, VB_SHUTOFF_DESTROYED, VB_EVENT_STOPPED_DESTROYED);
    return TRUE;
}

/* libvirt's testDomainActionSetState: what the guest does when it powers off or reboots. */
static void
lifecycle_action(VbConn *conn, VbDomainObj *dom, int action, gboolean reboot)
{
    if (action == VB_DOMAIN_LIFECYCLE_RESTART || action == VB_DOMAIN_LIFECYCLE_RENAME_RESTART) {
        vb_domain_obj_set_state(dom, VB_DOMAIN_RUNNING, VB_RUNNING_BOOTED);
        if (reboot)
            vb_conn_emit(conn, VB_EVENT_DOMAIN_REBOOT, dom->def->uuid, 0, 0, VB_PRESENCE_SAME);
        return;
    }
    test_domain_stop(conn, dom, VB_SHUTOFF_SHUTDOWN, VB_EVENT_STOPPED_SHUTDOWN);
}

gboolean
test_domain_shutdown(VbConn *conn, VbDomainObj *dom, guint flags, GError **error)
{
    if (!vb_check_flags(flags, TEST_SHUTDOWN_MODES, "virDomainShutdownFlags", error) ||
        !test_domain_check_active(dom, error))
        return FALSE;
    lifecycle_action(conn, dom, dom->def->on_poweroff, FALSE);
    return TRUE;
}

gboolean
test_domain_reboot(VbConn *conn, VbDomainObj *dom, guint flags, GError **error)
{
    if (!vb_check_flags(flags, TEST_SHUTDOWN_MODES, "virDomainReboot", error) ||
        !test_domain_check_active(dom, error))
        return FALSE;
    lifecycle_action(conn, dom, dom->def->on_reboot, TRUE);
    return TRUE;
}

gboolean
test_domain_reset(VbConn *conn, VbDomainObj *dom, guint flags, GError **error)
{
    return vb_check_flags(flags, 0, "virDomainReset", error) && test_domain_check_active(dom, error);
}

gboolean
test_domain_suspend(VbConn *conn, VbDomainObj *dom, GError **error)
{
    if (!test_domain_check_active(dom, error))
        return FALSE;
    if (dom->state == VB_DOMAIN_PAUSED) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "domain is already paused");
        return FALSE;
    }
    vb_domain_obj_set_state(dom, VB_DOMAIN_PAUSED, VB_PAUSED_USER);
    test_emit_domain(conn, dom, VB_DOMAIN_EVENT_SUSPENDED, VB_EVENT_SUSPENDED_PAUSED, VB_PRESENCE_SAME);
    return TRUE;
}

gboolean
test_domain_resume(VbConn *conn, VbDomainObj *dom, GError **error)
{
    if (!test_domain_check_active(dom, error))
        return FALSE;
    if (dom->state != VB_DOMAIN_PAUSED) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "domain is not paused");
        return FALSE;
    }
    vb_domain_obj_set_state(dom, VB_DOMAIN_RUNNING, VB_RUNNING_UNPAUSED);
    test_emit_domain(conn, dom, VB_DOMAIN_EVENT_RESUMED, VB_EVENT_RESUMED_UNPAUSED, VB_PRESENCE_SAME);
    return TRUE;
}

/* An active domain becomes transient; an inactive one is gone. */
gboolean
test_domain_undefine(VbConn *conn, VbDomainObj *dom, guint flags, GError **error)
{
    gboolean gone;

    if (!vb_check_flags(flags, TEST_UNDEFINE_FLAGS, "virDomainUndefineFlags", error) ||
        !vb_domain_obj_check_undefine(dom, flags, error))
        return FALSE;
    gone = vb_domain_obj_undefine(dom);
    test_emit_domain(conn, dom, VB_DOMAIN_EVENT_UNDEFINED, VB_EVENT_UNDEFINED_REMOVED,
                     gone ? VB_PRESENCE_GONE : VB_PRESENCE_SAME);
    if (gone)
        test_domain_remove(conn, dom);
    return TRUE;
}

char *
test_domain_get_xml_desc(VbConn *conn, VbDomainObj *dom, guint flags, GError **error)
{
    return vb_domain_obj_format(dom, flags, TEST_XML_FLAGS, error);
}

gboolean
test_domain_set_autostart(VbConn *conn, VbDomainObj *dom, gboolean autostart, GError **error)
{
    if (!dom->persistent) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "cannot set autostart for transient domain");
        return FALSE;
    }
    dom->autostart = autostart != FALSE;
    return TRUE;
}

gboolean
test_domain_rename(VbConn *conn, VbDomainObj *dom, const char *name, guint flags, GError **error)
{
    if (!vb_check_flags(flags, 0, "virDomainRename", error) || !vb_domain_obj_check_rename(conn, dom, name, error))
        return FALSE;
    test_emit_domain(conn, dom, VB_DOMAIN_EVENT_UNDEFINED, VB_EVENT_UNDEFINED_RENAMED, VB_PRESENCE_SAME);
    vb_conn_domain_rename(conn, dom, name);
    test_emit_domain(conn, dom, VB_DOMAIN_EVENT_DEFINED, VB_EVENT_DEFINED_RENAMED, VB_PRESENCE_SAME);
    return TRUE;
}
