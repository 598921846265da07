/* test_private.h: state and helpers shared by the files of the test driver (not public) */
#pragma once

#include "drivers/driver.h"
#include "drivers/test/test_driver.h"

#define TEST_EMULATOR "/usr/bin/test-hv"
#define TEST_DOMAIN_NS "http://libvirt.org/schemas/domain/test/1.0"
#define TEST_MAX_VCPUS 32
#define TEST_POOL_CAPACITY (100ull * 1024 * 1024 * 1024)

typedef struct {
    guint64 mem_kib;
    guint64 free_kib;
    guint first_cpu;
    guint ncpus;
} TestCell;

/* A host interface as it was when a transaction began. */
typedef struct {
    char *xml;
    gboolean active;
} TestIfaceBackup;

typedef struct {
    VbNodeInfo node;
    char host_uuid[VB_UUID_STRING_LEN];
    GArray *cells;                 /* TestCell */
    int next_dom_id;
    GPtrArray *iface_backup;       /* TestIfaceBackup, non-NULL while a transaction runs */
    GHashTable *domain_privs;      /* VbDomainObj* -> TestDomainPriv* */
} TestPriv;

/* libvirt's testDomainObjPrivate. */
typedef struct {
    gint64 seconds;                /* the guest clock of Get/SetTime */
    guint nseconds;
    gboolean frozen[2];            /* "/" and "/boot" */
} TestDomainPriv;

static inline TestPriv *
test_priv(VbConn *conn)
{
    return conn->priv;
}

/* test_driver.c: events */
void test_emit_domain(VbConn *conn, VbDomainObj *dom, int event, int detail, VbPresence presence);

/* test_load.c: the node file */
gboolean test_load_node_file(VbConn *conn, const char *path, GError **error);
/* The document a <kind file='x.xml'/> child names, read relative to @dir. */
xmlDocPtr test_load_external(xmlNodePtr node, const char *dir, const char *root, GError **error);

/* test_host.c */
gboolean test_get_version(VbConn *conn, guint64 *version, GError **error);
char *test_get_hostname(VbConn *conn, GError **error);
char *test_get_capabilities(VbConn *conn, GError **error);
char *test_get_sysinfo(VbConn *conn, guint flags, GError **error);
char *test_get_domain_capabilities(VbConn *conn, const char *emulator, const char *arch, const char *machine,
                                   const char *virttype, guint flags, GError **error);
gboolean test_node_get_info(VbConn *conn, VbNodeInfo *info, GError **error);
GArray *test_node_get_cpu_map(VbConn *conn, guint flags, GError **error);
GHashTable *test_node_get_memory_stats(VbConn *conn, int cell, guint flags, GError **error);
GHashTable *test_node_get_cpu_stats(VbConn *conn, int cpu, guint flags, GError **error);
gboolean test_node_get_free_memory(VbConn *conn, guint64 *bytes, GError **error);
GStrv test_get_cpu_model_names(VbConn *conn, const char *arch, guint flags, GError **error);
/* test_cpu.c */
gboolean test_compare_cpu(VbConn *conn, const char *xml, guint flags, int *result, GError **error);
char *test_baseline_cpu(VbConn *conn, const char *const *xml_cpus, guint flags, GError **error);
gboolean test_node_get_security_model(VbConn *conn, char **model, char **doi, GError **error);
/* A string -> g_memdup2'd guint64 table, as every stats entry returns. */
GHashTable *test_stats_new(void);
void test_stats_set(GHashTable *stats, const char *key, guint64 value);

/* test_dompriv.c */
GHashTable *test_domain_privs_new(void);
TestDomainPriv *test_domain_priv(VbConn *conn, VbDomainObj *dom);
void test_domain_priv_drop(VbConn *conn, VbDomainObj *dom);
/* Rewrites @def, one of @dom's definitions, through its XML: @edit changes the <domain>
 * element, which is then parsed back in place. For parts conf/ keeps opaque. */
typedef gboolean (*TestDefEdit)(xmlNodePtr domain, gpointer data, GError **error);
gboolean test_def_edit(VbConn *conn, VbDomainObj *dom, VbDomainDef *def, TestDefEdit edit, gpointer data,
                       GError **error);
/* @def's XML, to read the parts conf/ keeps opaque. */
xmlDocPtr test_def_doc(const VbDomainDef *def);

/* test_params.c: typed parameters */
/* virTypedParamsValidate: names in @specs (NULL-terminated) with their types, no repeats. */

/* test_xmledit.c: the verbatim XML parts of a definition */
xmlDocPtr test_xml_open(const char *xml, const char *root, GError **error);
char *test_xml_close(xmlDocPtr doc);
void test_xml_store(char **field, char *xml);
xmlNodePtr test_xml_find(xmlNodePtr parent, const char *name, const char *attr, const char *value);
xmlNodePtr test_xml_insert(xmlNodePtr parent, const char *name, const char *const *order, const char *attr, guint id);
void test_xml_remove(xmlNodePtr node);
void test_xml_set_child_text(xmlNodePtr parent, const char *name, const char *const *order, const char *value);
char *test_cputune_pin(const char *cputune_xml, const char *element, const char *attr, guint id);
gboolean test_cputune_set_pin(char **cputune_xml, const char *element, const char *attr, guint id,
                              const char *cpuset, GError **error);

/* test_domain.c: helpers used across the domain files */
gboolean test_domain_check_active(VbDomainObj *dom, GError **error);
void test_domain_post_parse(VbDomainDef *def);
void test_domain_start_state(VbConn *conn, VbDomainObj *dom, int reason);
/* libvirt's testDomainShutdownState: shut off, the persistent definition back in place. */
void test_domain_shutdown_state(VbConn *conn, VbDomainObj *dom, int reason);
/* Stops @dom with @reason, emits STOPPED @detail and drops a transient domain (GONE). */
void test_domain_stop(VbConn *conn, VbDomainObj *dom, int reason, int detail);
/* Drops @dom from the connection with what the driver keeps beside it. */
void test_domain_remove(VbConn *conn, VbDomainObj *dom);
/* Adds @def as a new live domain or takes over an inactive persistent one, and starts it. */
VbDomainObj *test_domain_start_new(VbConn *conn, VbDomainDef *def, int reason, int detail, gboolean paused,
                                   GError **error);

/* The domain vtable entries, by file. */
char *test_domain_get_os_type(VbConn *conn, VbDomainObj *dom, GError **error);
VbDomainObj *test_domain_define_xml(VbConn *conn, const char *xml, guint flags, GError **error);
VbDomainObj *test_domain_create_xml(VbConn *conn, const char *xml, guint flags, GError **error);
gboolean test_domain_create(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
gboolean test_domain_destroy(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
gboolean test_domain_shutdown(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
gboolean test_domain_reboot(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
gboolean test_domain_reset(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
gboolean test_domain_suspend(VbConn *conn, VbDomainObj *dom, GError **error);
gboolean test_domain_resume(VbConn *conn, VbDomainObj *dom, GError **error);
gboolean test_domain_undefine(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
char *test_domain_get_xml_desc(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
gboolean test_domain_set_autostart(VbConn *conn, VbDomainObj *dom, gboolean autostart, GError **error);
gboolean test_domain_rename(VbConn *conn, VbDomainObj *dom, const char *name, guint flags, GError **error);

/* test_save.c */
gboolean test_domain_restore(VbConn *conn, const char *from, const char *xml, guint flags, GError **error);
char *test_domain_save_image_get_xml_desc(VbConn *conn, const char *file, guint flags, GError **error);
gboolean test_domain_save_image_define_xml(VbConn *conn, const char *file, const char *xml, guint flags,
                                           GError **error);
gboolean test_domain_managed_save(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
gboolean test_domain_managed_save_remove(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
gboolean test_domain_save(VbConn *conn, VbDomainObj *dom, const char *to, const char *xml, guint flags,
                          GError **error);

/* test_domain_tune.c */
gboolean test_domain_get_info(VbConn *conn, VbDomainObj *dom, VbDomainInfo *info, GError **error);
gboolean test_domain_get_vcpus_flags(VbConn *conn, VbDomainObj *dom, guint flags, guint *count, GError **error);
gboolean test_domain_set_vcpus_flags(VbConn *conn, VbDomainObj *dom, guint count, guint flags, GError **error);
gboolean test_domain_pin_vcpu(VbConn *conn, VbDomainObj *dom, guint vcpu, GArray *cpumap, guint flags,
                              GError **error);
GPtrArray *test_domain_get_vcpu_pin_info(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
gboolean test_domain_set_memory_flags(VbConn *conn, VbDomainObj *dom, guint64 kib, guint flags, GError **error);
GArray *test_domain_get_memory_parameters(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
char *test_domain_get_metadata(VbConn *conn, VbDomainObj *dom, int type, const char *uri, guint flags,
                               GError **error);
gboolean test_domain_set_metadata(VbConn *conn, VbDomainObj *dom, int type, const char *metadata,
                                  const char *key, const char *uri, guint flags, GError **error);
/* libvirt's virDomainObjGetOneDefState: the one definition @flags (LIVE/CONFIG) selects. */
/* The CPUs @cpuset (else @fallback) allows, every one when both are NULL. */
GArray *test_cpumap_for(const char *cpuset, const char *fallback, guint ncpus);

/* test_domain_stats.c */
gboolean test_domain_get_block_info(VbConn *conn, VbDomainObj *dom, const char *disk, VbBlockInfo *info,
                                    GError **error);
GHashTable *test_domain_block_stats(VbConn *conn, VbDomainObj *dom, const char *disk, GError **error);
GHashTable *test_domain_interface_stats(VbConn *conn, VbDomainObj *dom, const char *device, GError **error);
GHashTable *test_domain_memory_stats(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
gboolean test_domain_get_time(VbConn *conn, VbDomainObj *dom, gint64 *seconds, guint *nseconds, GError **error);
char *test_domain_get_scheduler_type(VbConn *conn, VbDomainObj *dom, int *nparams, GError **error);
GArray *test_domain_get_scheduler_parameters(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
char *test_domain_get_hostname(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
gboolean test_domain_send_key(VbConn *conn, VbDomainObj *dom, guint codeset, guint holdtime, GArray *keys,
                              guint flags, GError **error);
gboolean test_domain_inject_nmi(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);

/* test_domain_params.c */
GArray *test_domain_get_blkio_parameters(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
gboolean test_domain_set_blkio_parameters(VbConn *conn, VbDomainObj *dom, GArray *params, guint flags,
                                          GError **error);
gboolean test_domain_set_memory_parameters(VbConn *conn, VbDomainObj *dom, GArray *params, guint flags,
                                           GError **error);
GArray *test_domain_get_numa_parameters(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
gboolean test_domain_set_numa_parameters(VbConn *conn, VbDomainObj *dom, GArray *params, guint flags,
                                         GError **error);
GArray *test_domain_get_perf_events(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
gboolean test_domain_set_perf_events(VbConn *conn, VbDomainObj *dom, GArray *params, guint flags, GError **error);
gboolean test_domain_set_scheduler_parameters(VbConn *conn, VbDomainObj *dom, GArray *params, guint flags,
                                              GError **error);

/* test_domain_devtune.c */
GArray *test_domain_get_interface_parameters(VbConn *conn, VbDomainObj *dom, const char *device, guint flags,
                                             GError **error);
gboolean test_domain_set_interface_parameters(VbConn *conn, VbDomainObj *dom, const char *device, GArray *params,
                                              guint flags, GError **error);
GArray *test_domain_get_block_io_tune(VbConn *conn, VbDomainObj *dom, const char *disk, guint flags,
                                      GError **error);
gboolean test_domain_set_block_io_tune(VbConn *conn, VbDomainObj *dom, const char *disk, GArray *params,
                                       guint flags, GError **error);
gboolean test_domain_set_memory_stats_period(VbConn *conn, VbDomainObj *dom, int period, guint flags,
                                             GError **error);

/* test_domain_iothread.c */
GPtrArray *test_domain_get_iothread_info(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
gboolean test_domain_add_iothread(VbConn *conn, VbDomainObj *dom, guint id, guint flags, GError **error);
gboolean test_domain_del_iothread(VbConn *conn, VbDomainObj *dom, guint id, guint flags, GError **error);
gboolean test_domain_pin_iothread(VbConn *conn, VbDomainObj *dom, guint id, GArray *cpumap, guint flags,
                                  GError **error);
GArray *test_domain_get_emulator_pin_info(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
gboolean test_domain_pin_emulator(VbConn *conn, VbDomainObj *dom, GArray *cpumap, guint flags, GError **error);

/* test_domain_guest.c */
gboolean test_domain_get_control_info(VbConn *conn, VbDomainObj *dom, guint flags, VbDomainControlInfo *info,
                                      GError **error);
gboolean test_domain_core_dump(VbConn *conn, VbDomainObj *dom, const char *to, guint format, guint flags,
                               GError **error);
gboolean test_domain_fs_freeze(VbConn *conn, VbDomainObj *dom, const char *const *mountpoints, guint flags,
                               guint *count, GError **error);
gboolean test_domain_fs_thaw(VbConn *conn, VbDomainObj *dom, const char *const *mountpoints, guint flags,
                             guint *count, GError **error);
gboolean test_domain_fs_trim(VbConn *conn, VbDomainObj *dom, const char *mountpoint, guint64 minimum, guint flags,
                             GError **error);
GPtrArray *test_domain_get_fs_info(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
GPtrArray *test_domain_interface_addresses(VbConn *conn, VbDomainObj *dom, guint source, guint flags,
                                           GError **error);
gboolean test_domain_set_time(VbConn *conn, VbDomainObj *dom, gint64 seconds, guint nseconds, guint flags,
                              GError **error);
gboolean test_domain_set_user_password(VbConn *conn, VbDomainObj *dom, const char *user, const char *password,
                                       guint flags, GError **error);
GPtrArray *test_domain_get_disk_errors(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
GBytes *test_domain_memory_peek(VbConn *conn, VbDomainObj *dom, guint64 start, gsize size, guint flags,
                                GError **error);
gboolean test_domain_send_process_signal(VbConn *conn, VbDomainObj *dom, gint64 pid, guint signum, guint flags,
                                         GError **error);

/* test_snapshot.c */
VbSnapshotObj *test_snapshot_create_xml(VbConn *conn, VbDomainObj *dom, const char *xml, guint flags,
                                        GError **error);
gboolean test_snapshot_revert(VbConn *conn, VbDomainObj *dom, VbSnapshotObj *snap, guint flags, GError **error);
gboolean test_snapshot_delete(VbConn *conn, VbDomainObj *dom, VbSnapshotObj *snap, guint flags, GError **error);

/* test_network.c */
VbNetworkObj *test_network_define_xml(VbConn *conn, const char *xml, GError **error);
VbNetworkObj *test_network_create_xml(VbConn *conn, const char *xml, GError **error);
gboolean test_network_create(VbConn *conn, VbNetworkObj *net, GError **error);
gboolean test_network_destroy(VbConn *conn, VbNetworkObj *net, GError **error);
gboolean test_network_undefine(VbConn *conn, VbNetworkObj *net, GError **error);
gboolean test_network_set_autostart(VbConn *conn, VbNetworkObj *net, gboolean autostart, GError **error);
char *test_network_get_xml_desc(VbConn *conn, VbNetworkObj *net, guint flags, GError **error);
gboolean test_network_update(VbConn *conn, VbNetworkObj *net, guint command, guint section, int parent_index,
                             const char *xml, guint flags, GError **error);
GPtrArray *test_network_get_dhcp_leases(VbConn *conn, VbNetworkObj *net, const char *mac, guint flags,
                                        GError **error);

/* test_nodedev.c */
VbNodeDeviceObj *test_node_device_create_xml(VbConn *conn, const char *xml, guint flags, GError **error);
gboolean test_node_device_destroy(VbConn *conn, VbNodeDeviceObj *dev, GError **error);
/* Adds a device at load time, as it is. */
gboolean test_node_device_load(VbConn *conn, const char *xml, GError **error);

/* test_storage.c */
VbStoragePoolObj *test_pool_define_xml(VbConn *conn, const char *xml, guint flags, GError **error);
VbStoragePoolObj *test_pool_create_xml(VbConn *conn, const char *xml, guint flags, GError **error);
gboolean test_pool_build(VbConn *conn, VbStoragePoolObj *pool, guint flags, GError **error);
gboolean test_pool_create(VbConn *conn, VbStoragePoolObj *pool, guint flags, GError **error);
gboolean test_pool_delete(VbConn *conn, VbStoragePoolObj *pool, guint flags, GError **error);
gboolean test_pool_destroy(VbConn *conn, VbStoragePoolObj *pool, GError **error);
gboolean test_pool_undefine(VbConn *conn, VbStoragePoolObj *pool, GError **error);
gboolean test_pool_refresh(VbConn *conn, VbStoragePoolObj *pool, guint flags, GError **error);
gboolean test_pool_set_autostart(VbConn *conn, VbStoragePoolObj *pool, gboolean autostart, GError **error);
char *test_pool_get_xml_desc(VbConn *conn, VbStoragePoolObj *pool, guint flags, GError **error);
char *test_find_pool_sources(VbConn *conn, const char *type, const char *spec, guint flags, GError **error);
VbStorageVolObj *test_vol_create_xml(VbConn *conn, VbStoragePoolObj *pool, const char *xml, guint flags,
                                     GError **error);
VbStorageVolObj *test_vol_create_xml_from(VbConn *conn, VbStoragePoolObj *pool, const char *xml,
                                          VbStorageVolObj *from, guint flags, GError **error);
gboolean test_vol_delete(VbConn *conn, VbStorageVolObj *vol, guint flags, GError **error);
gboolean test_vol_resize(VbConn *conn, VbStorageVolObj *vol, guint64 capacity, guint flags, GError **error);
gboolean test_vol_wipe(VbConn *conn, VbStorageVolObj *vol, guint pattern, guint flags, GError **error);
char *test_vol_get_xml_desc(VbConn *conn, VbStorageVolObj *vol, guint flags, GError **error);
/* Adds a pool at load time with its <volume> children, active and persistent. */
gboolean test_pool_load(VbConn *conn, xmlNodePtr node, const char *dir, GError **error);

/* test_iface.c: host interfaces, secrets, nwfilters */
VbInterfaceObj *test_interface_define_xml(VbConn *conn, const char *xml, guint flags, GError **error);
gboolean test_interface_undefine(VbConn *conn, VbInterfaceObj *iface, GError **error);
gboolean test_interface_create(VbConn *conn, VbInterfaceObj *iface, guint flags, GError **error);
gboolean test_interface_destroy(VbConn *conn, VbInterfaceObj *iface, guint flags, GError **error);
gboolean test_interface_change_begin(VbConn *conn, guint flags, GError **error);
gboolean test_interface_change_commit(VbConn *conn, guint flags, GError **error);
gboolean test_interface_change_rollback(VbConn *conn, guint flags, GError **error);
void test_iface_backup_free(TestIfaceBackup *backup);

VbSecretObj *test_secret_define_xml(VbConn *conn, const char *xml, guint flags, GError **error);
gboolean test_secret_undefine(VbConn *conn, VbSecretObj *secret, GError **error);
gboolean test_secret_set_value(VbConn *conn, VbSecretObj *secret, GBytes *value, guint flags, GError **error);
GBytes *test_secret_get_value(VbConn *conn, VbSecretObj *secret, guint flags, GError **error);
VbNWFilterObj *test_nwfilter_define_xml(VbConn *conn, const char *xml, GError **error);
gboolean test_nwfilter_undefine(VbConn *conn, VbNWFilterObj *filter, GError **error);
