/* qemu_domain.c: persistent QEMU domains (define, undefine, autostart, loading at open) */
#include <errno.h>
#include <glib/gstdio.h>

#include "drivers/persist.h"
#include "drivers/qemu/qemu_private.h"

#define QEMU_DEFAULT_EMULATOR "/usr/bin/qemu-system-x86_64"
#define QEMU_UNDEFINE_FLAGS (VB_UNDEFINE_MANAGED_SAVE | VB_UNDEFINE_SNAPSHOTS_METADATA | VB_UNDEFINE_NVRAM | \
                             VB_UNDEFINE_KEEP_NVRAM | VB_UNDEFINE_CHECKPOINTS_METADATA | VB_UNDEFINE_TPM | \
                             VB_UNDEFINE_KEEP_TPM)
#define QEMU_XML_FLAGS (VB_DOMAIN_XML_SECURE | VB_DOMAIN_XML_INACTIVE | VB_DOMAIN_XML_UPDATE_CPU | \
                        VB_DOMAIN_XML_MIGRATABLE)

static void
emit_domain(VbConn *conn, VbDomainObj *dom, int event, int detail, VbPresence presence)
{
    vb_conn_emit(conn, VB_EVENT_DOMAIN, dom->def->uuid, event, detail, presence);
}

/* What libvirt's QEMU post-parse fills in, and the guests this driver can run at all. */
gboolean
qemu_domain_post_parse(VbDomainDef *def, GError **error)
{
    if (!def->emulator)
        def->emulator = g_strdup(QEMU_DEFAULT_EMULATOR);
    if (def->virt_type != VB_DOMAIN_VIRT_QEMU && def->virt_type != VB_DOMAIN_VIRT_KVM) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "Emulator '%s' does not support virt type '%s'",
                     def->emulator, vb_domain_virt_to_string(def->virt_type));
        return FALSE;
    }
    if (g_strcmp0(def->os_type, "hvm") != 0) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "Emulator '%s' does not support os type '%s'",
                     def->emulator, def->os_type ? def->os_type : "");
        return FALSE;
    }
    if (!def->os_arch)
        def->os_arch = g_strdup("x86_64");
    if (!def->os_machine)
        def->os_machine = g_strdup("pc");
    return TRUE;
}

static char *
config_path(QemuPriv *priv, const char *dir, const char *name)
{
    g_autofree char *file = g_strconcat(name, ".xml", NULL);

    return g_build_filename(dir, file, NULL);
}

gboolean
qemu_domain_save_config(VbConn *conn, const VbDomainDef *def, GError **error)
{
    QemuPriv *priv = qemu_priv(conn);
    g_autofree char *path = config_path(priv, priv->config_dir, def->name);
    g_autofree char *xml = vb_domain_def_format_full(def, -1, VB_DOMAIN_XML_INACTIVE | VB_DOMAIN_XML_SECURE);

    return vb_config_write(path, xml, "domain", error);
}

VbDomainObj *
qemu_domain_define_xml(VbConn *conn, const char *xml, guint flags, GError **error)
{
    g_autoptr(VbDomainDef) def = NULL;
    VbDomainObj *dom;
    gboolean added;

    if (!vb_check_flags(flags, VB_DEFINE_VALIDATE, "virDomainDefineXMLFlags", error) ||
        !(def = vb_domain_def_parse(xml, (flags & VB_DEFINE_VALIDATE) ? VB_DOMAIN_PARSE_VALIDATE : 0, error)) ||
        !qemu_domain_post_parse(def, error) ||
        !vb_conn_domain_check_duplicate(conn, def, FALSE, &dom, error) ||
        !qemu_domain_save_config(conn, def, error))
        return NULL;
    added = dom == NULL;
    dom = vb_conn_domain_define(conn, dom, g_steal_pointer(&def));
    emit_domain(conn, dom, VB_DOMAIN_EVENT_DEFINED, added ? VB_EVENT_DEFINED_ADDED : VB_EVENT_DEFINED_UPDATED,
                added ? VB_PRESENCE_APPEARED : VB_PRESENCE_SAME);
    return dom;
}

gboolean
qemu_domain_undefine(VbConn *conn, VbDomainObj *dom, guint flags, GError **error)
{
    QemuPriv *priv = qemu_priv(conn);
    g_autofree char *path = config_path(priv, priv->config_dir, dom->def->name);
    g_autofree char *link = config_path(priv, priv->autostart_dir, dom->def->name);
    gboolean gone;

    if (qemu_domain_is_busy(conn, dom)) {
        vb_set_error(error, VB_ERR_OPERATION_TIMEOUT, "cannot acquire state change lock: another operation on "
                     "domain '%s' is in progress", dom->def->name);
        return FALSE;
    }
    if (!vb_check_flags(flags, QEMU_UNDEFINE_FLAGS, "virDomainUndefineFlags", error) ||
        !vb_domain_obj_check_undefine(dom, flags, error) ||
        (dom->has_managed_save && !qemu_domain_managed_save_remove(conn, dom, 0, error)) ||
        !vb_file_remove(link, error) || !vb_file_remove(path, error))
        return FALSE;
    gone = vb_domain_obj_undefine(dom);
    emit_domain(conn, dom, VB_DOMAIN_EVENT_UNDEFINED, VB_EVENT_UNDEFINED_REMOVED,
                gone ? VB_PRESENCE_GONE : VB_PRESENCE_SAME);
    if (gone)
        vb_conn_domain_remove(conn, dom);
    return TRUE;
}

char *
qemu_domain_get_xml_desc(VbConn *conn, VbDomainObj *dom, guint flags, GError **error)
{
    return vb_domain_obj_format(dom, flags, QEMU_XML_FLAGS, error);
}

char *
qemu_domain_get_os_type(VbConn *conn, VbDomainObj *dom, GError **error)
{
    return g_strdup(dom->def->os_type);
}

/* The autostart mark is a symlink to the config file, as libvirt keeps it. */
gboolean
qemu_domain_set_autostart(VbConn *conn, VbDomainObj *dom, gboolean autostart, GError **error)
{
    QemuPriv *priv = qemu_priv(conn);
    g_autofree char *link = config_path(priv, priv->autostart_dir, dom->def->name);
    g_autofree char *target = config_path(priv, priv->config_dir, dom->def->name);

    if (!dom->persistent) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "cannot set autostart for transient domain");
        return FALSE;
    }
    if (!autostart != !dom->autostart && !vb_autostart_link_set(link, target, autostart, error))
        return FALSE;
    dom->autostart = autostart != FALSE;
    return TRUE;
}

gboolean
qemu_domain_get_info(VbConn *conn, VbDomainObj *dom, VbDomainInfo *info, GError **error)
{
    info->state = dom->state;
    info->max_mem_kib = dom->def->memory_kib;
    info->memory_kib = dom->def->current_memory_kib;
    info->vcpus = vb_domain_def_vcpus_current(dom->def);
    info->cpu_time_ns = qemu_domain_cpu_time_ns(conn, dom);
    return TRUE;
}

char *
qemu_domain_get_metadata(VbConn *conn, VbDomainObj *dom, int type, const char *uri, guint flags, GError **error)
{
    return vb_domain_obj_get_metadata(dom, type, uri, flags, error);
}

gboolean
qemu_domain_set_metadata(VbConn *conn, VbDomainObj *dom, int type, const char *metadata, const char *key,
                         const char *uri, guint flags, GError **error)
{
    VbDomainDef *config = NULL;
    QemuRun *run = qemu_run_lookup(conn, dom->def->uuid);

    if (!vb_domain_obj_set_metadata(dom, type, metadata, key, uri, flags, &config, error) ||
        (config && !qemu_domain_save_config(conn, config, error)))
        return FALSE;
    if (run && run->proc)
        qemu_status_save(conn, dom, run);
    vb_conn_emit_full(conn, VB_EVENT_DOMAIN_METADATA, dom->def->uuid, 0, type, VB_PRESENCE_SAME,
                      type == VB_METADATA_ELEMENT ? uri : NULL);
    return TRUE;
}

/* The config file follows the name; the autostart link is made again for it. */
gboolean
qemu_domain_rename(VbConn *conn, VbDomainObj *dom, const char *name, guint flags, GError **error)
{
    QemuPriv *priv = qemu_priv(conn);
    g_autofree char *old_path = config_path(priv, priv->config_dir, dom->def->name);
    g_autofree char *old_link = config_path(priv, priv->autostart_dir, dom->def->name);
    g_autofree char *new_path = config_path(priv, priv->config_dir, name);
    g_autofree char *new_link = config_path(priv, priv->autostart_dir, name);
    g_autoptr(VbDomainDef) renamed = NULL;

    if (!vb_check_flags(flags, 0, "virDomainRename", error) || !vb_domain_obj_check_rename(conn, dom, name, error))
        return FALSE;
    renamed = vb_domain_def_copy(dom->def);
    g_free(renamed->name);
    renamed->name = g_strdup(name);
    if (!qemu_domain_save_config(conn, renamed, error) ||
        (dom->autostart && !vb_autostart_link_set(new_link, new_path, TRUE, error))) {
        vb_file_remove(new_path, NULL);
        return FALSE;
    }
    vb_file_remove(old_link, NULL);
    vb_file_remove(old_path, NULL);
    emit_domain(conn, dom, VB_DOMAIN_EVENT_UNDEFINED, VB_EVENT_UNDEFINED_RENAMED, VB_PRESENCE_SAME);
    vb_conn_domain_rename(conn, dom, name);
    emit_domain(conn, dom, VB_DOMAIN_EVENT_DEFINED, VB_EVENT_DEFINED_RENAMED, VB_PRESENCE_SAME);
    return TRUE;
}

/* ---- loading at open ---- */

static void
load_config(VbConn *conn, const char *path)
{
    QemuPriv *priv = qemu_priv(conn);
    g_autofree char *xml = NULL;
    g_autofree char *link = NULL;
    g_autofree char *save = NULL;
    g_autoptr(VbDomainDef) def = NULL;
    g_autoptr(GError) error = NULL;
    VbDomainObj *dom;

    if (!g_file_get_contents(path, &xml, NULL, &error) || !(def = vb_domain_def_parse(xml, 0, &error)) ||
        !qemu_domain_post_parse(def, &error) || !vb_conn_domain_check_duplicate(conn, def, FALSE, &dom, &error)) {
        g_warning("skipping domain configuration %s: %s", path, error->message);
        return;
    }
    if (dom) {
        g_warning("skipping domain configuration %s: domain '%s' is loaded already", path, def->name);
        return;
    }
    link = config_path(priv, priv->autostart_dir, def->name);
    dom = vb_conn_domain_define(conn, NULL, g_steal_pointer(&def));
    dom->autostart = g_file_test(link, G_FILE_TEST_IS_SYMLINK);
    save = qemu_managed_save_path(conn, dom->def);
    dom->has_managed_save = g_file_test(save, G_FILE_TEST_IS_REGULAR);
}

gboolean
qemu_domains_load(VbConn *conn, GError **error)
{
    QemuPriv *priv = qemu_priv(conn);
    g_autoptr(GDir) dir = g_dir_open(priv->config_dir, 0, NULL);
    const char *entry;

    if (!dir) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "cannot read directory '%s'", priv->config_dir);
        return FALSE;
    }
    while ((entry = g_dir_read_name(dir))) {
        g_autofree char *path = g_build_filename(priv->config_dir, entry, NULL);

        if (g_str_has_suffix(entry, ".xml") && g_file_test(path, G_FILE_TEST_IS_REGULAR))
            load_config(conn, path);
    }
    return TRUE;
}
