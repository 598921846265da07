/* qemu_driver.c: the QEMU driver's connection (open, close, directories) and its vtable */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "drivers/persist.h"
#include "drivers/qemu/qemu_private.h"
#include "drivers/nodedev/nodedev_udev.h"
#include "drivers/network/network_driver.h"
#include "drivers/storage/storage_driver.h"

#define QEMU_SYSTEM_URI "qemu:///system"
#define QEMU_SESSION_URI "qemu:///session"

static void
set_dirs(QemuPriv *priv)
{
    if (priv->privileged) {
        priv->config_dir = g_build_filename(VB_SYSCONFDIR, "virtbus", "qemu", NULL);
        priv->state_dir = g_build_filename(VB_RUNSTATEDIR, "virtbus", "qemu", NULL);
        priv->log_dir = g_build_filename(VB_LOCALSTATEDIR, "log", "virtbus", "qemu", NULL);
        priv->save_dir = g_build_filename(VB_LOCALSTATEDIR, "lib", "virtbus", "qemu", "save", NULL);
        priv->cache_dir = g_build_filename(VB_LOCALSTATEDIR, "cache", "virtbus", "qemu", NULL);
    } else {
        priv->config_dir = g_build_filename(g_get_user_config_dir(), "virtbus", "qemu", NULL);
        priv->state_dir = g_build_filename(g_get_user_runtime_dir(), "virtbus", "qemu", NULL);
        priv->log_dir = g_build_filename(g_get_user_cache_dir(), "virtbus", "qemu", "log", NULL);
        priv->save_dir = g_build_filename(g_get_user_data_dir(), "virtbus", "qemu", "save", NULL);
        priv->cache_dir = g_build_filename(g_get_user_cache_dir(), "virtbus", "qemu", NULL);
    }
    priv->autostart_dir = g_build_filename(priv->config_dir, "autostart", NULL);
}

static void
qemu_close(VbConn *conn)
{
    QemuPriv *priv = qemu_priv(conn);

    if (!priv)
        return;
    qemu_host_stop(conn);
    vb_storage_close(conn);
    vb_network_close(conn);
    vb_nodedev_close(conn);
    g_free(priv->config_dir);
    g_free(priv->autostart_dir);
    g_free(priv->state_dir);
    g_free(priv->log_dir);
    g_free(priv->cache_dir);
    g_free(priv->save_dir);
    g_free(priv->user);
    g_clear_handle_id(&priv->autostart_source, g_source_remove);
    g_clear_pointer(&priv->runs, g_hash_table_unref);
    g_free(priv);
    conn->priv = NULL;
}

static gboolean
qemu_open(VbConn *conn, GError **error)
{
    QemuPriv *priv;

    if (g_strcmp0(conn->uri, QEMU_SYSTEM_URI) != 0 && g_strcmp0(conn->uri, QEMU_SESSION_URI) != 0) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "unexpected QEMU URI path '%s', try %s or %s",
                     conn->uri ? conn->uri : "", QEMU_SYSTEM_URI, QEMU_SESSION_URI);
        return FALSE;
    }
    priv = g_new0(QemuPriv, 1);
    priv->privileged = g_str_equal(conn->uri, QEMU_SYSTEM_URI);
    priv->next_dom_id = 1;
    priv->runs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)qemu_run_free);
    conn->priv = priv;
    set_dirs(priv);
    if (!vb_dir_make(priv->config_dir, error) || !vb_dir_make(priv->autostart_dir, error) ||
        !vb_dir_make(priv->state_dir, error) || !vb_dir_make(priv->log_dir, error) || !vb_dir_make(priv->save_dir, error) ||
        !qemu_user_load(conn, error) || !qemu_domains_load(conn, error)) {
        qemu_close(conn);
        return FALSE;
    }
    if (!vb_storage_open(conn, priv->privileged, error) || !vb_network_open(conn, priv->privileged, error)) {
        qemu_close(conn);
        return FALSE;
    }
    qemu_status_load_all(conn);
    qemu_host_start(conn);
    vb_nodedev_open(conn);
    qemu_autostart(conn);
    return TRUE;
}

static char *
qemu_get_hostname(VbConn *conn, GError **error)
{
    return g_strdup(g_get_host_name());
}

static void
fs_freeze_async(VbConn *conn, VbDomainObj *dom, const char *const *mountpoints, guint flags, GTask *task)
{
    qemu_domain_fs_freeze_async(conn, dom, mountpoints, flags, TRUE, task);
}

static void
fs_thaw_async(VbConn *conn, VbDomainObj *dom, const char *const *mountpoints, guint flags, GTask *task)
{
    qemu_domain_fs_freeze_async(conn, dom, mountpoints, flags, FALSE, task);
}

const VbDriver vb_qemu_driver = {
    .name = "QEMU",
    .type = "QEMU",
    .open = qemu_open,
    .close = qemu_close,

    .recovering = qemu_recovering,
    .get_hostname = qemu_get_hostname,
    .get_version = qemu_get_version,
    .get_capabilities = qemu_get_capabilities,
    .get_sysinfo = qemu_get_sysinfo,
    .get_domain_capabilities = qemu_get_domain_capabilities,
    .node_get_info = qemu_node_get_info,
    .node_get_cpu_map = qemu_node_get_cpu_map,
    .node_get_memory_stats = qemu_node_get_memory_stats,
    .node_get_cpu_stats = qemu_node_get_cpu_stats,
    .node_get_free_memory = qemu_node_get_free_memory,
    .get_cpu_model_names = qemu_get_cpu_model_names,
    .node_get_security_model = qemu_node_get_security_model,
    .node_device_detach = vb_nodedev_pci_detach,
    .node_device_reattach = qemu_node_device_reattach,
    .node_device_create_xml_async = vb_nodedev_create_xml_async,
    .node_device_destroy_async = vb_nodedev_destroy_async,
    .node_device_reset = vb_nodedev_pci_reset,

    .domain_define_xml = qemu_domain_define_xml,
    .domain_undefine = qemu_domain_undefine,
    .domain_get_xml_desc = qemu_domain_get_xml_desc,
    .domain_get_os_type = qemu_domain_get_os_type,
    .domain_set_autostart = qemu_domain_set_autostart,
    .domain_get_info = qemu_domain_get_info,
    .domain_get_metadata = qemu_domain_get_metadata,
    .domain_set_metadata = qemu_domain_set_metadata,
    .domain_rename = qemu_domain_rename,
    .client_gone = qemu_client_gone,
    .domain_get_hostname_async = qemu_domain_get_hostname_async,
    .domain_set_time_async = qemu_domain_set_time_async,
    .domain_fs_freeze_async = fs_freeze_async,
    .domain_fs_thaw_async = fs_thaw_async,
    .domain_fs_trim_async = qemu_domain_fs_trim_async,
    .domain_get_time_async = qemu_domain_get_time_async,
    .domain_get_fs_info_async = qemu_domain_get_fs_info_async,
    .domain_interface_addresses_async = qemu_domain_interface_addresses_async,
    .domain_set_user_password_async = qemu_domain_set_user_password_async,
    .domain_attach_device_async = qemu_domain_attach_device_async,
    .domain_detach_device_async = qemu_domain_detach_device_async,
    .domain_update_device_async = qemu_domain_update_device_async,
    .domain_block_rebase_async = qemu_domain_block_rebase_async,
    .domain_block_commit_async = qemu_domain_block_commit_async,
    .domain_block_copy_async = qemu_domain_block_copy_async,
    .domain_block_job_abort_async = qemu_domain_block_job_abort_async,
    .domain_block_job_set_speed_async = qemu_domain_block_job_set_speed_async,
    .domain_get_block_job_info_async = qemu_domain_get_block_job_info_async,
    .domain_block_resize_async = qemu_domain_block_resize_async,
    .domain_set_block_io_tune_async = qemu_domain_set_block_io_tune_async,
    .domain_get_block_io_tune_async = qemu_domain_get_block_io_tune_async,
    .domain_block_peek = qemu_domain_block_peek,
    .domain_create_xml_async = qemu_domain_create_xml_async,
    .domain_create_async = qemu_domain_create_async,
    .domain_destroy_async = qemu_domain_destroy_async,
    .domain_shutdown_async = qemu_domain_shutdown_async,
    .domain_reboot_async = qemu_domain_reboot_async,
    .domain_save_async = qemu_domain_save_async,
    .domain_managed_save_async = qemu_domain_managed_save_async,
    .domain_restore_async = qemu_domain_restore_async,
    .domain_managed_save_remove = qemu_domain_managed_save_remove,
    .domain_save_image_get_xml_desc = qemu_domain_save_image_get_xml_desc,
    .domain_reset_async = qemu_domain_reset_async,
    .domain_suspend_async = qemu_domain_suspend_async,
    .domain_resume_async = qemu_domain_resume_async,
    .domain_get_vcpus_flags = qemu_domain_get_vcpus_flags,
    .domain_get_vcpu_pin_info = qemu_domain_get_vcpu_pin_info,
    .domain_interface_stats = qemu_domain_interface_stats,
    .domain_set_memory_flags_async = qemu_domain_set_memory_flags_async,
    .domain_set_vcpus_flags_async = qemu_domain_set_vcpus_flags_async,
    .domain_pin_vcpu_async = qemu_domain_pin_vcpu_async,
    .domain_send_key_async = qemu_domain_send_key_async,
    .domain_inject_nmi_async = qemu_domain_inject_nmi_async,
    .domain_set_memory_stats_period_async = qemu_domain_set_memory_stats_period_async,
    .domain_core_dump_async = qemu_domain_core_dump_async,
    .domain_memory_peek_async = qemu_domain_memory_peek_async,
    .domain_get_control_info = qemu_domain_get_control_info,
    .domain_pin_emulator = qemu_domain_pin_emulator,
    .domain_get_emulator_pin_info = qemu_domain_get_emulator_pin_info,
    .domain_memory_stats_async = qemu_domain_memory_stats_async,
    .domain_get_stats_async = qemu_domain_get_stats_async,

    .pool_define_xml = vb_storage_pool_define_xml,
    .pool_create_xml = vb_storage_pool_create_xml,
    .pool_build = vb_storage_pool_build,
    .pool_create_async = vb_storage_pool_create_async,
    .pool_delete = vb_storage_pool_delete,
    .pool_destroy = vb_storage_pool_destroy,
    .pool_undefine = vb_storage_pool_undefine,
    .pool_refresh_async = vb_storage_pool_refresh_async,
    .pool_set_autostart = vb_storage_pool_set_autostart,
    .pool_get_xml_desc = vb_storage_pool_get_xml_desc,
    .vol_create_xml_async = vb_storage_vol_create_xml_async,
    .vol_create_xml_from_async = vb_storage_vol_create_xml_from_async,
    .vol_delete = vb_storage_vol_delete,
    .vol_resize_async = vb_storage_vol_resize_async,
    .vol_wipe_async = vb_storage_vol_wipe_async,
    .vol_get_xml_desc = vb_storage_vol_get_xml_desc,

    .network_define_xml = vb_network_define_xml,
    .network_create_xml = vb_network_create_xml,
    .network_create = vb_network_create,
    .network_destroy = vb_network_destroy,
    .network_undefine = vb_network_undefine,
    .network_set_autostart = vb_network_set_autostart,
    .network_get_xml_desc = vb_network_get_xml_desc,
    .network_get_dhcp_leases = vb_network_get_dhcp_leases,
    .network_update = vb_network_update,
};
