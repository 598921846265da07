/* test_driver.c: the test driver's connection (open, close, events) and its vtable */
#include "config.h"

#include <string.h>

#include "drivers/test/test_private.h"

#define TEST_URI_PREFIX "test://"
#define TEST_DEFAULT_URI "test:///default"

void
test_emit_domain(VbConn *conn, VbDomainObj *dom, int event, int detail, VbPresence presence)
{
    vb_conn_emit(conn, VB_EVENT_DOMAIN, dom->def->uuid, event, detail, presence);
}

static char *
default_node_file(void)
{
    const char *env = g_getenv("VIRTBUS_TEST_DEFAULT_XML");
    const char *source = VB_SOURCE_DATADIR "/test/default.xml";

    if (env && *env)
        return g_strdup(env);
    if (g_file_test(source, G_FILE_TEST_EXISTS))
        return g_strdup(source);
    return g_strdup(VB_DATADIR "/test/default.xml");
}

/* test:///default or test:///ABSOLUTE/PATH.xml, as libvirt's testConnectOpen. */
static char *
node_file_from_uri(const char *uri, GError **error)
{
    const char *path;

    if (g_strcmp0(uri, TEST_DEFAULT_URI) == 0)
        return default_node_file();
    if (!uri || !g_str_has_prefix(uri, TEST_URI_PREFIX "/")) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "URI '%s' is not a test driver URI: use %s or %s/ABSOLUTE/PATH.xml",
                     uri ? uri : "", TEST_DEFAULT_URI, TEST_URI_PREFIX);
        return NULL;
    }
    path = uri + strlen(TEST_URI_PREFIX);
    if (g_str_equal(path, "/")) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "testOpen: supply a path or use %s", TEST_DEFAULT_URI);
        return NULL;
    }
    return g_strdup(path);
}

static void
test_close(VbConn *conn)
{
    TestPriv *priv = test_priv(conn);

    if (!priv)
        return;
    g_array_unref(priv->cells);
    g_hash_table_unref(priv->domain_privs);
    if (priv->iface_backup)
        g_ptr_array_unref(priv->iface_backup);
    g_free(priv);
    conn->priv = NULL;
}

static gboolean
test_open(VbConn *conn, GError **error)
{
    g_autofree char *path = node_file_from_uri(conn->uri, error);
    TestPriv *priv;

    if (!path)
        return FALSE;
    priv = g_new0(TestPriv, 1);
    priv->cells = g_array_new(FALSE, TRUE, sizeof(TestCell));
    priv->next_dom_id = 1;
    priv->domain_privs = test_domain_privs_new();
    conn->priv = priv;
    if (!test_load_node_file(conn, path, error)) {
        test_close(conn);
        return FALSE;
    }
    return TRUE;
}

const VbDriver vb_test_driver = {
    .name = "Test",
    .type = "TEST",
    .open = test_open,
    .close = test_close,

    .get_version = test_get_version,
    .get_hostname = test_get_hostname,
    .get_capabilities = test_get_capabilities,
    .get_sysinfo = test_get_sysinfo,
    .get_domain_capabilities = test_get_domain_capabilities,
    .node_get_info = test_node_get_info,
    .node_get_cpu_map = test_node_get_cpu_map,
    .node_get_memory_stats = test_node_get_memory_stats,
    .node_get_cpu_stats = test_node_get_cpu_stats,
    .node_get_free_memory = test_node_get_free_memory,
    .get_cpu_model_names = test_get_cpu_model_names,
    .compare_cpu = test_compare_cpu,
    .baseline_cpu = test_baseline_cpu,
    .node_get_security_model = test_node_get_security_model,

    .domain_define_xml = test_domain_define_xml,
    .domain_create_xml = test_domain_create_xml,
    .domain_restore = test_domain_restore,
    .domain_save_image_get_xml_desc = test_domain_save_image_get_xml_desc,
    .domain_save_image_define_xml = test_domain_save_image_define_xml,
    .domain_create = test_domain_create,
    .domain_destroy = test_domain_destroy,
    .domain_shutdown = test_domain_shutdown,
    .domain_reboot = test_domain_reboot,
    .domain_reset = test_domain_reset,
    .domain_suspend = test_domain_suspend,
    .domain_resume = test_domain_resume,
    .domain_undefine = test_domain_undefine,
    .domain_get_xml_desc = test_domain_get_xml_desc,
    .domain_get_os_type = test_domain_get_os_type,
    .domain_set_autostart = test_domain_set_autostart,
    .domain_get_info = test_domain_get_info,
    .domain_get_vcpus_flags = test_domain_get_vcpus_flags,
    .domain_set_vcpus_flags = test_domain_set_vcpus_flags,
    .domain_pin_vcpu = test_domain_pin_vcpu,
    .domain_get_vcpu_pin_info = test_domain_get_vcpu_pin_info,
    .domain_set_memory_flags = test_domain_set_memory_flags,
    .domain_get_memory_parameters = test_domain_get_memory_parameters,
    .domain_managed_save = test_domain_managed_save,
    .domain_managed_save_remove = test_domain_managed_save_remove,
    .domain_save = test_domain_save,
    .domain_get_metadata = test_domain_get_metadata,
    .domain_set_metadata = test_domain_set_metadata,
    .domain_rename = test_domain_rename,
    .domain_get_block_info = test_domain_get_block_info,
    .domain_block_stats = test_domain_block_stats,
    .domain_interface_stats = test_domain_interface_stats,
    .domain_memory_stats = test_domain_memory_stats,
    .domain_get_time = test_domain_get_time,
    .domain_get_scheduler_type = test_domain_get_scheduler_type,
    .domain_get_scheduler_parameters = test_domain_get_scheduler_parameters,
    .domain_get_hostname = test_domain_get_hostname,
    .domain_send_key = test_domain_send_key,
    .domain_inject_nmi = test_domain_inject_nmi,
    .domain_get_blkio_parameters = test_domain_get_blkio_parameters,
    .domain_set_blkio_parameters = test_domain_set_blkio_parameters,
    .domain_set_memory_parameters = test_domain_set_memory_parameters,
    .domain_get_numa_parameters = test_domain_get_numa_parameters,
    .domain_set_numa_parameters = test_domain_set_numa_parameters,
    .domain_get_perf_events = test_domain_get_perf_events,
    .domain_set_perf_events = test_domain_set_perf_events,
    .domain_set_scheduler_parameters = test_domain_set_scheduler_parameters,
    .domain_get_interface_parameters = test_domain_get_interface_parameters,
    .domain_set_interface_parameters = test_domain_set_interface_parameters,
    .domain_get_block_io_tune = test_domain_get_block_io_tune,
    .domain_set_block_io_tune = test_domain_set_block_io_tune,
    .domain_set_memory_stats_period = test_domain_set_memory_stats_period,
    .domain_get_iothread_info = test_domain_get_iothread_info,
    .domain_add_iothread = test_domain_add_iothread,
    .domain_del_iothread = test_domain_del_iothread,
    .domain_pin_iothread = test_domain_pin_iothread,
    .domain_get_emulator_pin_info = test_domain_get_emulator_pin_info,
    .domain_pin_emulator = test_domain_pin_emulator,
    .domain_get_control_info = test_domain_get_control_info,
    .domain_core_dump = test_domain_core_dump,
    .domain_fs_freeze = test_domain_fs_freeze,
    .domain_fs_thaw = test_domain_fs_thaw,
    .domain_fs_trim = test_domain_fs_trim,
    .domain_get_fs_info = test_domain_get_fs_info,
    .domain_interface_addresses = test_domain_interface_addresses,
    .domain_set_time = test_domain_set_time,
    .domain_set_user_password = test_domain_set_user_password,
    .domain_get_disk_errors = test_domain_get_disk_errors,
    .domain_memory_peek = test_domain_memory_peek,
    .domain_send_process_signal = test_domain_send_process_signal,

    .snapshot_create_xml = test_snapshot_create_xml,
    .snapshot_revert = test_snapshot_revert,
    .snapshot_delete = test_snapshot_delete,

    .network_define_xml = test_network_define_xml,
    .network_create_xml = test_network_create_xml,
    .network_create = test_network_create,
    .network_destroy = test_network_destroy,
    .network_undefine = test_network_undefine,
    .network_set_autostart = test_network_set_autostart,
    .network_get_xml_desc = test_network_get_xml_desc,
    .network_update = test_network_update,
    .network_get_dhcp_leases = test_network_get_dhcp_leases,

    .node_device_create_xml = test_node_device_create_xml,
    .node_device_destroy = test_node_device_destroy,

    .pool_define_xml = test_pool_define_xml,
    .pool_create_xml = test_pool_create_xml,
    .pool_build = test_pool_build,
    .pool_create = test_pool_create,
    .pool_delete = test_pool_delete,
    .pool_destroy = test_pool_destroy,
    .pool_undefine = test_pool_undefine,
    .pool_refresh = test_pool_refresh,
    .pool_set_autostart = test_pool_set_autostart,
    .pool_get_xml_desc = test_pool_get_xml_desc,
    .find_pool_sources = test_find_pool_sources,
    .vol_create_xml = test_vol_create_xml,
    .vol_create_xml_from = test_vol_create_xml_from,
    .vol_delete = test_vol_delete,
    .vol_resize = test_vol_resize,
    .vol_wipe = test_vol_wipe,
    .vol_get_xml_desc = test_vol_get_xml_desc,

    .interface_define_xml = test_interface_define_xml,
    .interface_undefine = test_interface_undefine,
    .interface_create = test_interface_create,
    .interface_destroy = test_interface_destroy,
    .interface_change_begin = test_interface_change_begin,
    .interface_change_commit = test_interface_change_commit,
    .interface_change_rollback = test_interface_change_rollback,

    .secret_define_xml = test_secret_define_xml,
    .secret_undefine = test_secret_undefine,
    .secret_set_value = test_secret_set_value,
    .secret_get_value = test_secret_get_value,

    .nwfilter_define_xml = test_nwfilter_define_xml,
    .nwfilter_undefine = test_nwfilter_undefine,
};
