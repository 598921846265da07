/* driver.h: what every hypervisor driver provides, and the objects drivers share.
 *
 * A driver fills a VbDriver vtable; a NULL entry means "this function is not supported by
 * the connection driver". Callers go through VB_DRIVER_CALL, which raises that error with the
 * libvirt API name. Drivers never see D-Bus: state changes leave as VbEvent through the
 * connection's event sink. */
#pragma once

#include <glib.h>
#include <gio/gio.h>

#include "conf/domain_conf.h"
#include "conf/interface_conf.h"
#include "conf/network_conf.h"
#include "conf/nodedev_conf.h"
#include "conf/nwfilter_conf.h"
#include "conf/secret_conf.h"
#include "conf/snapshot_conf.h"
#include "conf/storage_conf.h"
#include "drivers/objlist.h"
#include "drivers/vb_enums.h"

typedef struct _VbConn VbConn;

/* ---- shared objects ---- */

typedef struct _VbDomainObj VbDomainObj;

typedef struct {
    VbSnapshotDef *def;      /* def->parent names the parent snapshot, NULL for a root */
    VbDomainObj *domain;     /* the domain it belongs to (borrowed) */
} VbSnapshotObj;

struct _VbDomainObj {
    VbDomainDef *def;        /* live definition while active, else the persistent one */
    VbDomainDef *new_def;    /* persistent definition while active, NULL if none pending */
    int id;                  /* -1 when inactive */
    int state;               /* VbDomainState */
    int reason;
    gboolean persistent;
    gboolean autostart;
    gboolean has_managed_save;
    gboolean updated;
    gint64 started_at;       /* monotonic µs, for CPU time */
    GPtrArray *snapshots;    /* VbSnapshotObj */
    char *current_snapshot;
};

typedef struct {
    VbNetworkDef *def;
    VbNetworkDef *new_def;
    gboolean active;
    gboolean persistent;
    gboolean autostart;
} VbNetworkObj;

typedef struct {
    VbNodeDeviceDef *def;
} VbNodeDeviceObj;

typedef struct _VbStoragePoolObj VbStoragePoolObj;
typedef struct {
    VbStorageVolDef *def;
    VbStoragePoolObj *pool;  /* borrowed */
} VbStorageVolObj;

struct _VbStoragePoolObj {
    VbStoragePoolDef *def;
    gboolean active;
    gboolean persistent;
    gboolean autostart;
    GPtrArray *volumes;      /* VbStorageVolObj */
};

typedef struct {
    VbInterfaceDef *def;
    gboolean active;
} VbInterfaceObj;

typedef struct {
    VbSecretDef *def;
    GBytes *value;
} VbSecretObj;

typedef struct {
    VbNWFilterDef *def;
} VbNWFilterObj;

/* ---- events ---- */

typedef enum {
    VB_EVENT_DOMAIN,          /* event/detail: VbDomainEventType and its detail enum */
    VB_EVENT_DOMAIN_METADATA, /* detail: metadata type; text: namespace URI */
    VB_EVENT_DOMAIN_REBOOT,
    VB_EVENT_DOMAIN_DEVICE_ADDED,   /* text: the device's alias */
    VB_EVENT_DOMAIN_DEVICE_REMOVED, /* text: the device's alias */
    VB_EVENT_DOMAIN_AGENT,    /* event: agent lifecycle state (1 connected, 2 disconnected); detail: reason */
    VB_EVENT_DOMAIN_BALLOON_CHANGE, /* value: the balloon's size in KiB */
    VB_EVENT_DOMAIN_RTC_CHANGE,     /* value: the guest RTC's offset from the host's clock, in seconds */
    VB_EVENT_DOMAIN_WATCHDOG,       /* value: virDomainEventWatchdogAction */
    VB_EVENT_DOMAIN_BLOCK_JOB,      /* text: the disk's target; event: VbBlockJobType; detail: VbBlockJobStatus */
    VB_EVENT_NETWORK,
    VB_EVENT_NODE_DEVICE,
    VB_EVENT_STORAGE_POOL,
    VB_EVENT_STORAGE_POOL_REFRESH,
    VB_EVENT_STORAGE_VOL,     /* key: volume key; libvirt has no volume events, only presence counts */
    VB_EVENT_SECRET,
    VB_EVENT_SNAPSHOT,        /* the set of snapshots of a domain changed */
    VB_EVENT_INTERFACE,       /* an interface appeared, vanished or changed state */
    VB_EVENT_NWFILTER,
} VbEventKind;

typedef enum {
    VB_PRESENCE_SAME,         /* the object existed before and still does */
    VB_PRESENCE_APPEARED,     /* announce the new object */
    VB_PRESENCE_GONE,         /* the object is gone after this event */
} VbPresence;

typedef struct {
    VbEventKind kind;
    const char *key;          /* UUID, name, or key of the object */
    int event;
    int detail;
    VbPresence presence;
    const char *text;
    gint64 value;             /* BalloonChange, RTCChange, Watchdog */
} VbEvent;

typedef void (*VbEventSink)(VbConn *conn, const VbEvent *event, gpointer user_data);

typedef struct {
    int type;                /* VbBlockJobType; 0 when the disk has no job */
    guint64 bandwidth;       /* bytes/s */
    guint64 cur, end;
} VbBlockJobInfo;

/* virDomainBlockCopy's typed parameters; 0: QEMU's default */
typedef struct {
    guint64 bandwidth;       /* bytes/s */
    guint granularity;
    guint64 buf_size;
} VbBlockCopyParams;

/* ---- host facts ---- */

typedef struct {
    char model[32];
    guint64 memory_kib;
    guint cpus, mhz, nodes, sockets, cores, threads;
} VbNodeInfo;

typedef struct {
    int state;
    guint64 max_mem_kib;
    guint64 memory_kib;
    guint vcpus;
    guint64 cpu_time_ns;
} VbDomainInfo;

typedef struct {
    guint64 capacity, allocation, physical;
} VbBlockInfo;

/* A libvirt typed parameter (virTypedParameter): @type is a VbTypedParamType. Arrays of them
 * are GArrays made by vb_typed_params_new(), which frees names and strings. */
typedef struct {
    char *field;
    int type;
    union {
        gint32 i;
        guint32 ui;
        gint64 l;
        guint64 ul;
        double d;
        gboolean b;
        char *s;
    } value;
} VbTypedParam;

void vb_typed_param_clear(gpointer data);

GArray *vb_typed_params_new(void);
const VbTypedParam *vb_typed_params_get(GArray *params, const char *name);
void vb_typed_params_add_int(GArray *params, const char *name, int value);
void vb_typed_params_add_uint(GArray *params, const char *name, guint value);
void vb_typed_params_add_ullong(GArray *params, const char *name, guint64 value);
void vb_typed_params_add_boolean(GArray *params, const char *name, gboolean value);
/* A NULL @value becomes "", as virTypedParameterAssign does. */
void vb_typed_params_add_string(GArray *params, const char *name, const char *value);

/* A typed parameter an API accepts: name and VbTypedParamType; arrays end with a NULL name. */
typedef struct {
    const char *name;
    int type;
} VbParamSpec;

/* virTypedParamsValidate: every parameter known, of its type, and only once. */
gboolean vb_typed_params_validate(GArray *params, const VbParamSpec *specs, GError **error);

typedef struct {
    guint state;             /* VbDomainControlState */
    guint details;           /* VbDomainControlErrorReason when state is ERROR */
    guint64 state_time;      /* ms */
} VbDomainControlInfo;

typedef struct {
    guint id;
    GArray *cpumap;          /* gboolean per host CPU */
} VbIOThreadInfo;

void vb_iothread_info_free(VbIOThreadInfo *info);

typedef struct {
    char *mountpoint;
    char *name;
    char *fstype;
    GStrv dev_aliases;
} VbFSInfo;

void vb_fs_info_free(VbFSInfo *info);

typedef struct {
    int type;                /* VbIPAddrType */
    char *addr;
    guint prefix;
} VbDomainIPAddress;

typedef struct {
    char *name;
    char *hwaddr;
    GPtrArray *addrs;        /* VbDomainIPAddress */
} VbDomainInterface;

void vb_domain_ip_address_free(VbDomainIPAddress *addr);

void vb_domain_interface_free(VbDomainInterface *iface);

typedef struct {
    char *disk;
    int error;               /* VbDomainDiskErrorCode */
} VbDiskError;

void vb_disk_error_free(VbDiskError *err);

/* ---- the vtable ---- */

typedef struct {
    const char *name;        /* "Test", "QEMU": the connection object's path component */
    const char *type;        /* virConnectGetType: "TEST", "QEMU" */

    gboolean (*open)(VbConn *conn, GError **error);
    void (*close)(VbConn *conn);
    /* TRUE while the driver still recovers state from before a restart (re-attaching to
     * running guests); the service owns its bus name only once every driver is done. */
    gboolean (*recovering)(VbConn *conn);

    /* connection */
    gboolean (*get_version)(VbConn *conn, guint64 *version, GError **error);
    char *(*get_hostname)(VbConn *conn, GError **error);
    char *(*get_capabilities)(VbConn *conn, GError **error);
    char *(*get_sysinfo)(VbConn *conn, guint flags, GError **error);
    char *(*get_domain_capabilities)(VbConn *conn, const char *emulator, const char *arch,
                                     const char *machine, const char *virttype, guint flags, GError **error);
    gboolean (*node_get_info)(VbConn *conn, VbNodeInfo *info, GError **error);
    GArray *(*node_get_cpu_map)(VbConn *conn, guint flags, GError **error);    /* gboolean per CPU */
    GHashTable *(*node_get_memory_stats)(VbConn *conn, int cell, guint flags, GError **error);
    GHashTable *(*node_get_cpu_stats)(VbConn *conn, int cpu, guint flags, GError **error);
    gboolean (*node_get_free_memory)(VbConn *conn, guint64 *bytes, GError **error);
    GStrv (*get_cpu_model_names)(VbConn *conn, const char *arch, guint flags, GError **error);
    /* @result: a VbCpuCompareResult (conf/cpu_conf.h) */
    gboolean (*compare_cpu)(VbConn *conn, const char *xml, guint flags, int *result, GError **error);
    char *(*baseline_cpu)(VbConn *conn, const char *const *xml_cpus, guint flags, GError **error);
    gboolean (*node_get_security_model)(VbConn *conn, char **model, char **doi, GError **error);

    /* domains */
    VbDomainObj *(*domain_define_xml)(VbConn *conn, const char *xml, guint flags, GError **error);
    VbDomainObj *(*domain_create_xml)(VbConn *conn, const char *xml, guint flags, GError **error);
    gboolean (*domain_restore)(VbConn *conn, const char *from, const char *xml, guint flags, GError **error);
    char *(*domain_save_image_get_xml_desc)(VbConn *conn, const char *file, guint flags, GError **error);
    gboolean (*domain_save_image_define_xml)(VbConn *conn, const char *file, const char *xml, guint flags, GError **error);
    gboolean (*domain_create)(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
    gboolean (*domain_destroy)(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
    gboolean (*domain_shutdown)(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
    gboolean (*domain_reboot)(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
    gboolean (*domain_reset)(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
    gboolean (*domain_suspend)(VbConn *conn, VbDomainObj *dom, GError **error);
    gboolean (*domain_resume)(VbConn *conn, VbDomainObj *dom, GError **error);
    gboolean (*domain_undefine)(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
    char *(*domain_get_xml_desc)(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
    char *(*domain_get_os_type)(VbConn *conn, VbDomainObj *dom, GError **error);
    gboolean (*domain_set_autostart)(VbConn *conn, VbDomainObj *dom, gboolean autostart, GError **error);
    gboolean (*domain_get_info)(VbConn *conn, VbDomainObj *dom, VbDomainInfo *info, GError **error);
    gboolean (*domain_get_vcpus_flags)(VbConn *conn, VbDomainObj *dom, guint flags, guint *count, GError **error);
    gboolean (*domain_set_vcpus_flags)(VbConn *conn, VbDomainObj *dom, guint count, guint flags, GError **error);
    gboolean (*domain_pin_vcpu)(VbConn *conn, VbDomainObj *dom, guint vcpu, GArray *cpumap, guint flags, GError **error);
    GPtrArray *(*domain_get_vcpu_pin_info)(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
    gboolean (*domain_set_memory_flags)(VbConn *conn, VbDomainObj *dom, guint64 kib, guint flags, GError **error);
    GArray *(*domain_get_memory_parameters)(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
    gboolean (*domain_managed_save)(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
    gboolean (*domain_managed_save_remove)(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
    gboolean (*domain_save)(VbConn *conn, VbDomainObj *dom, const char *to, const char *xml, guint flags, GError **error);
    char *(*domain_get_metadata)(VbConn *conn, VbDomainObj *dom, int type, const char *uri, guint flags, GError **error);
    gboolean (*domain_set_metadata)(VbConn *conn, VbDomainObj *dom, int type, const char *metadata,
                                    const char *key, const char *uri, guint flags, GError **error);
    gboolean (*domain_rename)(VbConn *conn, VbDomainObj *dom, const char *name, guint flags, GError **error);
    gboolean (*domain_get_block_info)(VbConn *conn, VbDomainObj *dom, const char *disk, VbBlockInfo *info, GError **error);
    GHashTable *(*domain_block_stats)(VbConn *conn, VbDomainObj *dom, const char *disk, GError **error);
    GHashTable *(*domain_interface_stats)(VbConn *conn, VbDomainObj *dom, const char *device, GError **error);
    GHashTable *(*domain_memory_stats)(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
    gboolean (*domain_get_time)(VbConn *conn, VbDomainObj *dom, gint64 *seconds, guint *nseconds, GError **error);
    char *(*domain_get_scheduler_type)(VbConn *conn, VbDomainObj *dom, int *nparams, GError **error);
    GArray *(*domain_get_scheduler_parameters)(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
    char *(*domain_get_hostname)(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
    gboolean (*domain_send_key)(VbConn *conn, VbDomainObj *dom, guint codeset, guint holdtime, GArray *keys, guint flags, GError **error);
    gboolean (*domain_inject_nmi)(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
    gboolean (*domain_attach_device)(VbConn *conn, VbDomainObj *dom, const char *xml, guint flags, GError **error);
    gboolean (*domain_detach_device)(VbConn *conn, VbDomainObj *dom, const char *xml, guint flags, GError **error);

    /* Lifecycle work that waits on a hypervisor process (QEMU starting, a monitor reply). The
     * driver finishes @task later, on the main thread: g_task_return_boolean, or for
     * create_xml g_task_return_pointer with the new domain's UUID (g_free). A driver fills
     * these or the synchronous entries above, not both. */
    void (*domain_create_xml_async)(VbConn *conn, const char *xml, guint flags, GTask *task);
    void (*domain_create_async)(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task);
    void (*domain_destroy_async)(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task);
    void (*domain_shutdown_async)(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task);
    void (*domain_reboot_async)(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task);
    void (*domain_save_async)(VbConn *conn, VbDomainObj *dom, const char *to, const char *xml, guint flags,
                              GTask *task);
    void (*domain_managed_save_async)(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task);
    void (*domain_restore_async)(VbConn *conn, const char *from, const char *xml, guint flags, GTask *task);
    void (*domain_reset_async)(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task);
    void (*domain_suspend_async)(VbConn *conn, VbDomainObj *dom, GTask *task);
    void (*domain_resume_async)(VbConn *conn, VbDomainObj *dom, GTask *task);
    /* Tuning and queries that wait on the hypervisor process, finished the same way. The
     * pointer ones: domain_memory_stats_async returns what domain_memory_stats does (a
     * GHashTable), domain_get_stats_async a GArray of VbTypedParam with the statistics the
     * driver measures ("block.0.rd.reqs", "balloon.rss"...), which take the place of the
     * generic ones of the same name. */
    void (*domain_set_memory_flags_async)(VbConn *conn, VbDomainObj *dom, guint64 kib, guint flags, GTask *task);
    void (*domain_set_vcpus_flags_async)(VbConn *conn, VbDomainObj *dom, guint count, guint flags, GTask *task);
    void (*domain_pin_vcpu_async)(VbConn *conn, VbDomainObj *dom, guint vcpu, GArray *cpumap, guint flags,
                                  GTask *task);
    void (*domain_send_key_async)(VbConn *conn, VbDomainObj *dom, guint codeset, guint holdtime, GArray *keys,
                                  guint flags, GTask *task);
    void (*domain_inject_nmi_async)(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task);
    void (*domain_set_memory_stats_period_async)(VbConn *conn, VbDomainObj *dom, int period, guint flags,
                                                 GTask *task);
    void (*domain_core_dump_async)(VbConn *conn, VbDomainObj *dom, const char *to, guint format, guint flags,
                                   GTask *task);
    /* the task returns the bytes (GBytes) */
    void (*domain_memory_peek_async)(VbConn *conn, VbDomainObj *dom, guint64 start, gsize size, guint flags,
                                     GTask *task);
    void (*domain_memory_stats_async)(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task);
    void (*domain_get_stats_async)(VbConn *conn, VbDomainObj *dom, guint stats, GTask *task);
    /* Calls a guest agent answers: GetHostname's task returns a string, FSFreeze's and
     * FSThaw's a g_malloc'd guint (the number of file systems), the others a boolean. */
    void (*domain_get_hostname_async)(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task);
    void (*domain_set_time_async)(VbConn *conn, VbDomainObj *dom, gint64 seconds, guint nseconds, guint flags,
                                  GTask *task);
    void (*domain_fs_freeze_async)(VbConn *conn, VbDomainObj *dom, const char *const *mountpoints, guint flags,
                                   GTask *task);
    void (*domain_fs_thaw_async)(VbConn *conn, VbDomainObj *dom, const char *const *mountpoints, guint flags,
                                 GTask *task);
    void (*domain_fs_trim_async)(VbConn *conn, VbDomainObj *dom, const char *mountpoint, guint64 minimum,
                                 guint flags, GTask *task);
    /* the task returns a g_malloc'd gint64: the guest's time in ns since the epoch */
    void (*domain_get_time_async)(VbConn *conn, VbDomainObj *dom, GTask *task);
    /* the task returns a GPtrArray of VbFSInfo */
    void (*domain_get_fs_info_async)(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task);
    /* the task returns a GPtrArray of VbDomainInterface */
    void (*domain_interface_addresses_async)(VbConn *conn, VbDomainObj *dom, guint source, guint flags,
                                             GTask *task);
    void (*domain_set_user_password_async)(VbConn *conn, VbDomainObj *dom, const char *user, const char *password,
                                           guint flags, GTask *task);
    /* A client left the bus (@name: its unique name): its AUTODESTROY guests go. */
    void (*client_gone)(VbConn *conn, const char *name);
    void (*domain_attach_device_async)(VbConn *conn, VbDomainObj *dom, const char *xml, guint flags, GTask *task);
    void (*domain_detach_device_async)(VbConn *conn, VbDomainObj *dom, const char *xml, guint flags, GTask *task);
    void (*domain_update_device_async)(VbConn *conn, VbDomainObj *dom, const char *xml, guint flags, GTask *task);
    /* Block jobs. @disk is a target ("vda") or a source path, @bandwidth in bytes/s (0: no
     * limit). The job-starting calls finish once QEMU took the job; its end arrives as
     * VB_EVENT_DOMAIN_BLOCK_JOB. @base NULL pulls the whole chain into the disk (BlockPull). */
    void (*domain_block_rebase_async)(VbConn *conn, VbDomainObj *dom, const char *disk, const char *base,
                                      guint64 bandwidth, guint flags, GTask *task);
    void (*domain_block_commit_async)(VbConn *conn, VbDomainObj *dom, const char *disk, const char *base,
                                      const char *top, guint64 bandwidth, guint flags, GTask *task);
    void (*domain_block_copy_async)(VbConn *conn, VbDomainObj *dom, const char *disk, const char *destxml,
                                    const VbBlockCopyParams *params, guint flags, GTask *task);
    void (*domain_block_job_abort_async)(VbConn *conn, VbDomainObj *dom, const char *disk, guint flags, GTask *task);
    void (*domain_block_job_set_speed_async)(VbConn *conn, VbDomainObj *dom, const char *disk, guint64 bandwidth,
                                             guint flags, GTask *task);
    /* the task returns a g_malloc'd VbBlockJobInfo (all zero: no job on the disk) */
    void (*domain_get_block_job_info_async)(VbConn *conn, VbDomainObj *dom, const char *disk, guint flags,
                                            GTask *task);
    void (*domain_block_resize_async)(VbConn *conn, VbDomainObj *dom, const char *disk, guint64 bytes, guint flags,
                                      GTask *task);
    void (*domain_set_block_io_tune_async)(VbConn *conn, VbDomainObj *dom, const char *disk, GArray *params,
                                           guint flags, GTask *task);
    /* the task returns the parameters (GArray of VbTypedParam) */
    void (*domain_get_block_io_tune_async)(VbConn *conn, VbDomainObj *dom, const char *disk, guint flags,
                                           GTask *task);
    GBytes *(*domain_block_peek)(VbConn *conn, VbDomainObj *dom, const char *disk, guint64 offset, gsize size,
                                 guint flags, GError **error);

    /* domain tuning: typed parameters in and out are GArrays of VbTypedParam */
    GArray *(*domain_get_blkio_parameters)(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
    gboolean (*domain_set_blkio_parameters)(VbConn *conn, VbDomainObj *dom, GArray *params, guint flags, GError **error);
    gboolean (*domain_set_memory_parameters)(VbConn *conn, VbDomainObj *dom, GArray *params, guint flags, GError **error);
    GArray *(*domain_get_numa_parameters)(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
    gboolean (*domain_set_numa_parameters)(VbConn *conn, VbDomainObj *dom, GArray *params, guint flags, GError **error);
    GArray *(*domain_get_perf_events)(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
    gboolean (*domain_set_perf_events)(VbConn *conn, VbDomainObj *dom, GArray *params, guint flags, GError **error);
    gboolean (*domain_set_scheduler_parameters)(VbConn *conn, VbDomainObj *dom, GArray *params, guint flags, GError **error);
    GArray *(*domain_get_interface_parameters)(VbConn *conn, VbDomainObj *dom, const char *device, guint flags,
                                               GError **error);
    gboolean (*domain_set_interface_parameters)(VbConn *conn, VbDomainObj *dom, const char *device, GArray *params,
                                                guint flags, GError **error);
    GArray *(*domain_get_block_io_tune)(VbConn *conn, VbDomainObj *dom, const char *disk, guint flags, GError **error);
    gboolean (*domain_set_block_io_tune)(VbConn *conn, VbDomainObj *dom, const char *disk, GArray *params, guint flags,
                                         GError **error);
    gboolean (*domain_set_memory_stats_period)(VbConn *conn, VbDomainObj *dom, int period, guint flags, GError **error);

    /* IOThreads and emulator pinning; cpumaps are GArrays of gboolean per host CPU */
    GPtrArray *(*domain_get_iothread_info)(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
    gboolean (*domain_add_iothread)(VbConn *conn, VbDomainObj *dom, guint id, guint flags, GError **error);
    gboolean (*domain_del_iothread)(VbConn *conn, VbDomainObj *dom, guint id, guint flags, GError **error);
    gboolean (*domain_pin_iothread)(VbConn *conn, VbDomainObj *dom, guint id, GArray *cpumap, guint flags, GError **error);
    GArray *(*domain_get_emulator_pin_info)(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
    gboolean (*domain_pin_emulator)(VbConn *conn, VbDomainObj *dom, GArray *cpumap, guint flags, GError **error);

    /* guest agent and monitor requests */
    gboolean (*domain_get_control_info)(VbConn *conn, VbDomainObj *dom, guint flags, VbDomainControlInfo *info,
                                        GError **error);
    gboolean (*domain_core_dump)(VbConn *conn, VbDomainObj *dom, const char *to, guint format, guint flags,
                                 GError **error);
    gboolean (*domain_fs_freeze)(VbConn *conn, VbDomainObj *dom, const char *const *mountpoints, guint flags,
                                 guint *count, GError **error);
    gboolean (*domain_fs_thaw)(VbConn *conn, VbDomainObj *dom, const char *const *mountpoints, guint flags,
                               guint *count, GError **error);
    gboolean (*domain_fs_trim)(VbConn *conn, VbDomainObj *dom, const char *mountpoint, guint64 minimum, guint flags,
                               GError **error);
    GPtrArray *(*domain_get_fs_info)(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
    GPtrArray *(*domain_interface_addresses)(VbConn *conn, VbDomainObj *dom, guint source, guint flags,
                                             GError **error);
    gboolean (*domain_set_time)(VbConn *conn, VbDomainObj *dom, gint64 seconds, guint nseconds, guint flags,
                                GError **error);
    gboolean (*domain_set_user_password)(VbConn *conn, VbDomainObj *dom, const char *user, const char *password,
                                         guint flags, GError **error);
    GPtrArray *(*domain_get_disk_errors)(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
    GBytes *(*domain_memory_peek)(VbConn *conn, VbDomainObj *dom, guint64 start, gsize size, guint flags,
                                  GError **error);
    gboolean (*domain_send_process_signal)(VbConn *conn, VbDomainObj *dom, gint64 pid, guint signum, guint flags,
                                           GError **error);

    /* snapshots */
    VbSnapshotObj *(*snapshot_create_xml)(VbConn *conn, VbDomainObj *dom, const char *xml, guint flags, GError **error);
    gboolean (*snapshot_revert)(VbConn *conn, VbDomainObj *dom, VbSnapshotObj *snap, guint flags, GError **error);
    gboolean (*snapshot_delete)(VbConn *conn, VbDomainObj *dom, VbSnapshotObj *snap, guint flags, GError **error);

    /* networks */
    VbNetworkObj *(*network_define_xml)(VbConn *conn, const char *xml, GError **error);
    VbNetworkObj *(*network_create_xml)(VbConn *conn, const char *xml, GError **error);
    gboolean (*network_create)(VbConn *conn, VbNetworkObj *net, GError **error);
    gboolean (*network_destroy)(VbConn *conn, VbNetworkObj *net, GError **error);
    gboolean (*network_undefine)(VbConn *conn, VbNetworkObj *net, GError **error);
    gboolean (*network_set_autostart)(VbConn *conn, VbNetworkObj *net, gboolean autostart, GError **error);
    char *(*network_get_xml_desc)(VbConn *conn, VbNetworkObj *net, guint flags, GError **error);
    gboolean (*network_update)(VbConn *conn, VbNetworkObj *net, guint command, guint section, int parent_index,
                               const char *xml, guint flags, GError **error);
    GPtrArray *(*network_get_dhcp_leases)(VbConn *conn, VbNetworkObj *net, const char *mac, guint flags, GError **error);

    /* node devices */
    VbNodeDeviceObj *(*node_device_create_xml)(VbConn *conn, const char *xml, guint flags, GError **error);
    gboolean (*node_device_destroy)(VbConn *conn, VbNodeDeviceObj *dev, GError **error);
    /* Devices the kernel makes after a sysfs write: the task returns the new device's name
     * once udev reported it (create), or a boolean once it is gone (destroy). */
    void (*node_device_create_xml_async)(VbConn *conn, const char *xml, guint flags, GTask *task);
    void (*node_device_destroy_async)(VbConn *conn, VbNodeDeviceObj *dev, GTask *task);
    gboolean (*node_device_detach)(VbConn *conn, VbNodeDeviceObj *dev, const char *driver, guint flags, GError **error);
    gboolean (*node_device_reattach)(VbConn *conn, VbNodeDeviceObj *dev, GError **error);
    gboolean (*node_device_reset)(VbConn *conn, VbNodeDeviceObj *dev, GError **error);

    /* storage */
    VbStoragePoolObj *(*pool_define_xml)(VbConn *conn, const char *xml, guint flags, GError **error);
    VbStoragePoolObj *(*pool_create_xml)(VbConn *conn, const char *xml, guint flags, GError **error);
    gboolean (*pool_build)(VbConn *conn, VbStoragePoolObj *pool, guint flags, GError **error);
    gboolean (*pool_create)(VbConn *conn, VbStoragePoolObj *pool, guint flags, GError **error);
    gboolean (*pool_delete)(VbConn *conn, VbStoragePoolObj *pool, guint flags, GError **error);
    gboolean (*pool_destroy)(VbConn *conn, VbStoragePoolObj *pool, GError **error);
    gboolean (*pool_undefine)(VbConn *conn, VbStoragePoolObj *pool, GError **error);
    gboolean (*pool_refresh)(VbConn *conn, VbStoragePoolObj *pool, guint flags, GError **error);
    gboolean (*pool_set_autostart)(VbConn *conn, VbStoragePoolObj *pool, gboolean autostart, GError **error);
    char *(*pool_get_xml_desc)(VbConn *conn, VbStoragePoolObj *pool, guint flags, GError **error);
    char *(*find_pool_sources)(VbConn *conn, const char *type, const char *spec, guint flags, GError **error);
    VbStorageVolObj *(*vol_create_xml)(VbConn *conn, VbStoragePoolObj *pool, const char *xml, guint flags, GError **error);
    VbStorageVolObj *(*vol_create_xml_from)(VbConn *conn, VbStoragePoolObj *pool, const char *xml,
                                            VbStorageVolObj *from, guint flags, GError **error);
    gboolean (*vol_delete)(VbConn *conn, VbStorageVolObj *vol, guint flags, GError **error);
    gboolean (*vol_resize)(VbConn *conn, VbStorageVolObj *vol, guint64 capacity, guint flags, GError **error);
    gboolean (*vol_wipe)(VbConn *conn, VbStorageVolObj *vol, guint pattern, guint flags, GError **error);
    char *(*vol_get_xml_desc)(VbConn *conn, VbStorageVolObj *vol, guint flags, GError **error);

    /* Storage work that scans directories or writes images runs on a worker thread; the driver
     * finishes @task on the main thread: g_task_return_boolean, or for the vol_create ones
     * g_task_return_pointer with the new volume's key (g_free). A driver fills these or the
     * synchronous entries above, not both. */
    void (*pool_create_async)(VbConn *conn, VbStoragePoolObj *pool, guint flags, GTask *task);
    void (*pool_refresh_async)(VbConn *conn, VbStoragePoolObj *pool, guint flags, GTask *task);
    void (*vol_create_xml_async)(VbConn *conn, VbStoragePoolObj *pool, const char *xml, guint flags, GTask *task);
    void (*vol_create_xml_from_async)(VbConn *conn, VbStoragePoolObj *pool, const char *xml, VbStorageVolObj *from,
                                      guint flags, GTask *task);
    void (*vol_resize_async)(VbConn *conn, VbStorageVolObj *vol, guint64 capacity, guint flags, GTask *task);
    void (*vol_wipe_async)(VbConn *conn, VbStorageVolObj *vol, guint pattern, guint flags, GTask *task);

    /* host interfaces */
    VbInterfaceObj *(*interface_define_xml)(VbConn *conn, const char *xml, guint flags, GError **error);
    gboolean (*interface_undefine)(VbConn *conn, VbInterfaceObj *iface, GError **error);
    gboolean (*interface_create)(VbConn *conn, VbInterfaceObj *iface, guint flags, GError **error);
    gboolean (*interface_destroy)(VbConn *conn, VbInterfaceObj *iface, guint flags, GError **error);
    gboolean (*interface_change_begin)(VbConn *conn, guint flags, GError **error);
    gboolean (*interface_change_commit)(VbConn *conn, guint flags, GError **error);
    gboolean (*interface_change_rollback)(VbConn *conn, guint flags, GError **error);

    /* secrets */
    VbSecretObj *(*secret_define_xml)(VbConn *conn, const char *xml, guint flags, GError **error);
    gboolean (*secret_undefine)(VbConn *conn, VbSecretObj *secret, GError **error);
    gboolean (*secret_set_value)(VbConn *conn, VbSecretObj *secret, GBytes *value, guint flags, GError **error);
    GBytes *(*secret_get_value)(VbConn *conn, VbSecretObj *secret, guint flags, GError **error);

    /* network filters */
    VbNWFilterObj *(*nwfilter_define_xml)(VbConn *conn, const char *xml, GError **error);
    gboolean (*nwfilter_undefine)(VbConn *conn, VbNWFilterObj *filter, GError **error);
} VbDriver;

/* One open connection to a driver, e.g. test:///default. */
struct _VbConn {
    const VbDriver *driver;
    char *uri;
    gpointer priv;           /* driver state */
    VbObjList *domains;      /* VbDomainObj by UUID, and by name */
    VbObjList *networks;
    VbObjList *node_devices; /* by name */
    VbObjList *pools;
    VbObjList *interfaces;   /* by name; MAC is looked up by scanning */
    VbObjList *secrets;
    VbObjList *nwfilters;
    GHashTable *domains_by_id;   /* int -> VbDomainObj (borrowed) */
    gpointer storage;        /* drivers/storage state, on connections with real storage */
    gpointer network;        /* drivers/network state, on connections with real networks */
    VbEventSink sink;
    gpointer sink_data;
    const char *caller;      /* during a call into the driver: the client's unique bus name */
};

/* Raises "not supported by the connection driver: @api" when @supported is FALSE. */
gboolean vb_driver_supports(gboolean supported, const char *api, GError **error);
#define VB_DRIVER_CALL(conn, op, api, error, ...) \
    (vb_driver_supports((conn)->driver->op != NULL, (api), (error)) \
         ? (conn)->driver->op((conn), ##__VA_ARGS__, (error)) : 0)

VbConn *vb_conn_open(const VbDriver *driver, const char *uri, GError **error);
void vb_conn_free(VbConn *conn);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbConn, vb_conn_free)
void vb_conn_set_sink(VbConn *conn, VbEventSink sink, gpointer user_data);
void vb_conn_emit(VbConn *conn, VbEventKind kind, const char *key, int event, int detail, VbPresence presence);
/* The same with the event's text (a namespace URI, a snapshot name, a MAC...). */
void vb_conn_emit_full(VbConn *conn, VbEventKind kind, const char *key, int event, int detail,
                       VbPresence presence, const char *text);
/* An event that carries one number (a balloon size, an RTC offset, a watchdog action). */
void vb_conn_emit_value(VbConn *conn, VbEventKind kind, const char *key, gint64 value);

/* Lookups shared by all drivers; they raise libvirt's "not found" errors. */
VbDomainObj *vb_conn_domain_by_uuid(VbConn *conn, const char *uuid, GError **error);
VbDomainObj *vb_conn_domain_by_name(VbConn *conn, const char *name, GError **error);
VbDomainObj *vb_conn_domain_by_id(VbConn *conn, int id, GError **error);
VbNetworkObj *vb_conn_network_by_uuid(VbConn *conn, const char *uuid, GError **error);
VbNetworkObj *vb_conn_network_by_name(VbConn *conn, const char *name, GError **error);
VbNodeDeviceObj *vb_conn_node_device_by_name(VbConn *conn, const char *name, GError **error);
VbNodeDeviceObj *vb_conn_node_device_by_wwn(VbConn *conn, const char *wwnn, const char *wwpn, GError **error);
VbStoragePoolObj *vb_conn_pool_by_uuid(VbConn *conn, const char *uuid, GError **error);
VbStoragePoolObj *vb_conn_pool_by_name(VbConn *conn, const char *name, GError **error);
VbStorageVolObj *vb_conn_vol_by_key(VbConn *conn, const char *key, GError **error);
VbStorageVolObj *vb_conn_vol_by_path(VbConn *conn, const char *path, GError **error);
VbStorageVolObj *vb_pool_vol_by_name(VbStoragePoolObj *pool, const char *name, GError **error);
VbInterfaceObj *vb_conn_interface_by_name(VbConn *conn, const char *name, GError **error);
VbInterfaceObj *vb_conn_interface_by_mac(VbConn *conn, const char *mac, GError **error);
VbSecretObj *vb_conn_secret_by_uuid(VbConn *conn, const char *uuid, GError **error);
VbSecretObj *vb_conn_secret_by_usage(VbConn *conn, int usage_type, const char *usage_id, GError **error);
VbNWFilterObj *vb_conn_nwfilter_by_uuid(VbConn *conn, const char *uuid, GError **error);
VbNWFilterObj *vb_conn_nwfilter_by_name(VbConn *conn, const char *name, GError **error);
VbSnapshotObj *vb_domain_snapshot_by_name(VbDomainObj *dom, const char *name, GError **error);

/* Shared object helpers. */
VbDomainObj *vb_domain_obj_new(VbDomainDef *def);
void vb_domain_obj_free(VbDomainObj *dom);
/* The definition the next start uses: the pending persistent one if any. */
VbDomainDef *vb_domain_obj_persistent_def(VbDomainObj *dom);
gboolean vb_domain_obj_is_active(const VbDomainObj *dom);
void vb_domain_obj_set_state(VbDomainObj *dom, int state, int reason);
void vb_conn_domain_add(VbConn *conn, VbDomainObj *dom);
void vb_conn_domain_remove(VbConn *conn, VbDomainObj *dom);
void vb_conn_domain_set_id(VbConn *conn, VbDomainObj *dom, int id);
/* TRUE when @dom matches libvirt's virConnectListAllDomains @flags. */
gboolean vb_domain_obj_matches(const VbDomainObj *dom, guint flags);

VbNetworkObj *vb_network_obj_new(VbNetworkDef *def);
void vb_network_obj_free(VbNetworkObj *net);
VbStoragePoolObj *vb_pool_obj_new(VbStoragePoolDef *def);
void vb_pool_obj_free(VbStoragePoolObj *pool);
/* Puts @def (owned; same name and UUID) in place of the pool's definition. */
void vb_conn_pool_replace_def(VbConn *conn, VbStoragePoolObj *pool, VbStoragePoolDef *def);
VbStorageVolObj *vb_vol_obj_new(VbStoragePoolObj *pool, VbStorageVolDef *def);
void vb_vol_obj_free(VbStorageVolObj *vol);
void vb_node_device_obj_free(VbNodeDeviceObj *dev);
void vb_interface_obj_free(VbInterfaceObj *iface);
void vb_secret_obj_free(VbSecretObj *secret);
void vb_nwfilter_obj_free(VbNWFilterObj *filter);
void vb_snapshot_obj_free(VbSnapshotObj *snap);
