/* qemu_private.h: shared between the QEMU driver's files; not for other users. */
#pragma once

#include "drivers/domain_common.h"
#include "drivers/qemu/qemu_driver.h"
#include "drivers/qemu/qemu_process.h"

typedef struct _QemuRun QemuRun;
typedef struct _QemuUser QemuUser;
typedef struct _QemuHost QemuHost;
typedef struct _QemuRemoval QemuRemoval;
typedef struct _QemuBlockJob QemuBlockJob;
/* The end of an asynchronous step on a domain's QEMU: @error (taken) or NULL. */
typedef void (*QemuStepDone)(VbConn *conn, const char *uuid, GError *error, gpointer user_data);

/* A running (or starting) QEMU domain. */
struct _QemuRun {
    VbConn *conn;            /* borrowed */
    char *uuid;
    VbQemuProcess *proc;
    char *monitor_path, *pidfile;
    int pause_reason;        /* the reason the next STOP event records */
    gboolean busy;           /* a lifecycle job runs */
    gint64 busy_since;       /* monotonic µs: when that job began */
    gboolean starting;       /* QEMU is up but the start job has not finished */
    gboolean got_shutdown;   /* QEMU reported SHUTDOWN: its end is a shutdown, not a crash */
    gboolean destroying;
    gboolean fake_reboot;    /* Reboot asked: the next SHUTDOWN resets the guest instead of ending QEMU */
    gboolean rebooting;      /* between that SHUTDOWN and the guest running again */
    gboolean saved;          /* its state went to a file: its end is SHUTOFF/SAVED */
    gboolean panicked;       /* the guest panicked (GUEST_PANICKED), or CoreDump CRASH: its end is SHUTOFF/CRASHED */
    GArray *relabeled;       /* files handed to QEMU's user, given back when the guest stops */
    GHashTable *removals;    /* device id -> QemuRemoval: unplugs QEMU has not reported yet */
    char *autodestroy_owner; /* AUTODESTROY: the client whose leaving the bus destroys the guest */
    gboolean owner_gone;     /* that client left while a job ran: destroy when it ends */
    int agent_state;         /* the guest agent's port: 0 not known yet, 1 open, 2 closed (VSERPORT_CHANGE) */
    GPtrArray *hostdevs;     /* node device names moved to vfio-pci for the run, given back at its end */
    GHashTable *block_jobs;  /* disk target -> QemuBlockJob: block jobs QEMU runs for the guest */
};


typedef struct {
    gboolean privileged;     /* qemu:///system */
    char *config_dir;
    char *autostart_dir;
    char *state_dir;
    char *log_dir;
    int next_dom_id;
    GHashTable *runs;        /* UUID -> QemuRun, one per running (or starting) domain */
    guint autostart_source;
    char *save_dir;          /* managed save images, <name>.save */
    char *cache_dir;         /* what QEMU's probes answered, per binary (qemu_host.c) */
    QemuUser *user;          /* who QEMU runs as; NULL: the daemon's user */
    guint recovering;        /* re-attaches to QEMUs left running that have not finished */
    QemuHost *host;          /* what QEMU and the host told (qemu_host.c) */
} QemuPriv;

static inline QemuPriv *qemu_priv(VbConn *conn) { return conn->priv; }

/* qemu_domain.c */
/* What libvirt's QEMU post-parse fills in, and the refusal of guests this driver cannot run. */
gboolean qemu_domain_post_parse(VbDomainDef *def, GError **error);
gboolean qemu_domains_load(VbConn *conn, GError **error);
/* Writes @def as the domain's persistent config, atomically. */
gboolean qemu_domain_save_config(VbConn *conn, const VbDomainDef *def, GError **error);
VbDomainObj *qemu_domain_define_xml(VbConn *conn, const char *xml, guint flags, GError **error);
gboolean qemu_domain_undefine(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
char *qemu_domain_get_xml_desc(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
char *qemu_domain_get_os_type(VbConn *conn, VbDomainObj *dom, GError **error);
gboolean qemu_domain_set_autostart(VbConn *conn, VbDomainObj *dom, gboolean autostart, GError **error);
gboolean qemu_domain_get_info(VbConn *conn, VbDomainObj *dom, VbDomainInfo *info, GError **error);
char *qemu_domain_get_metadata(VbConn *conn, VbDomainObj *dom, int type, const char *uri, guint flags, GError **error);
gboolean qemu_domain_set_metadata(VbConn *conn, VbDomainObj *dom, int type, const char *metadata, const char *key,
                                  const char *uri, guint flags, GError **error);
gboolean qemu_domain_rename(VbConn *conn, VbDomainObj *dom, const char *name, guint flags, GError **error);

/* qemu_devices.c */
void qemu_domain_attach_device_async(VbConn *conn, VbDomainObj *dom, const char *xml, guint flags, GTask *task);
void qemu_domain_detach_device_async(VbConn *conn, VbDomainObj *dom, const char *xml, guint flags, GTask *task);
/* query-block's and query-blockstats' "qdev": TRUE when it is the device with id @id, or the
 * part of it that holds the drive (/machine/peripheral/<id>/virtio-backend). */
gboolean qemu_qdev_is(const char *qdev, const char *id);
/* query-block's entry of @disk, the @index-th of its definition: found by its device (the alias is
 * its QEMU id), or for a guest started without aliases by its node name libvirt-<index + 1>-format. */
JsonObject *qemu_query_block_entry(JsonNode *reply, const VbDiskDef *disk, guint index);
/* UpdateDevice: an interface's link state, live (set_link) and in the config. */
void qemu_domain_update_device_async(VbConn *conn, VbDomainObj *dom, const char *xml, guint flags, GTask *task);
/* At start, before the guest runs: interfaces with <link state='down'/> go down. */
void qemu_devices_apply_link_states(QemuRun *run, const VbDomainDef *def, QemuStepDone done, gpointer user_data);
/* DEVICE_DELETED: an unplug QEMU finished; for qemu_run.c's event handler. */
void qemu_devices_handle_event(QemuRun *run, VbDomainObj *dom, const char *name, JsonObject *data);
/* Forgets an unplug in progress (its run ends); a Detach call waiting on it fails. */
void qemu_removal_free(QemuRemoval *removal);

/* qemu_run.c */
void qemu_run_free(QemuRun *run);
gboolean qemu_domain_is_busy(VbConn *conn, VbDomainObj *dom);
void qemu_domain_create_xml_async(VbConn *conn, const char *xml, guint flags, GTask *task);
void qemu_domain_create_async(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task);
void qemu_domain_destroy_async(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task);
void qemu_domain_shutdown_async(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task);
void qemu_domain_reboot_async(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task);
/* Starts the autostart domains once per host boot (a marker in the state dir remembers it). */
void qemu_autostart(VbConn *conn);
/* Destroys the guests started with AUTODESTROY by the client @name, which left the bus. */
void qemu_client_gone(VbConn *conn, const char *name);
guint64 qemu_domain_cpu_time_ns(VbConn *conn, VbDomainObj *dom);

/* The file of <disk type='volume'>'s volume, in an active pool of the connection. */
const char *qemu_volume_path(VbConn *conn, const VbDiskDef *disk, GError **error);
/* A tap for a bridge/network/ethernet @net (its name goes into <target dev>); its fd or -1. */
int qemu_tap_open_for(VbConn *conn, VbNetDef *net, GError **error);

/* Where a guest's unix channels without a path live: <state dir>/channel/<name>. */
char *qemu_channel_dir(VbConn *conn, const VbDomainDef *def);

/* qemu_agent.c: the guest agent on the guest's org.qemu.guest_agent.0 channel */
/* The agent channel's socket (@channel_dir holds the ones without a path), or NULL when the
 * guest has none. */
char *qemu_agent_socket(const VbDomainDef *def, const char *channel_dir);
/* VSERPORT_CHANGE: the guest opened or closed a virtio-serial port; for the agent's port the
 * run's agent_state follows and AgentEvent is emitted. */
void qemu_agent_handle_event(QemuRun *run, VbDomainObj *dom, JsonObject *data);
/* Runs @command (@args not taken, may be NULL) in the guest; with @reply_expected FALSE the
 * command counts as done once sent (guest-shutdown may never answer). Errors:
 * VB_ERR_AGENT_UNRESPONSIVE when the agent is not there or silent, VB_ERR_INTERNAL_ERROR with
 * the agent's own error. */
void qemu_agent_execute(const char *socket_path, const char *command, JsonObject *args, gboolean reply_expected,
                        GAsyncReadyCallback callback, gpointer user_data);
/* The command's "return" value. */
JsonNode *qemu_agent_execute_finish(GAsyncResult *result, GError **error);
/* Calls answered by the agent, as jobs on the domain. GetHostname's task returns the name,
 * FSFreeze/FSThaw's a g_malloc'd guint count, the others a boolean. */
void qemu_domain_get_hostname_async(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task);
void qemu_domain_set_time_async(VbConn *conn, VbDomainObj *dom, gint64 seconds, guint nseconds, guint flags,
                                GTask *task);
void qemu_domain_fs_freeze_async(VbConn *conn, VbDomainObj *dom, const char *const *mountpoints, guint flags,
                                 gboolean freeze, GTask *task);
void qemu_domain_fs_trim_async(VbConn *conn, VbDomainObj *dom, const char *mountpoint, guint64 minimum, guint flags,
                               GTask *task);
void qemu_domain_get_time_async(VbConn *conn, VbDomainObj *dom, GTask *task);
void qemu_domain_get_fs_info_async(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task);
/* AGENT asks the agent; LEASE reads our networks' DHCP leases, ARP the host's neighbour table. */
void qemu_domain_interface_addresses_async(VbConn *conn, VbDomainObj *dom, guint source, guint flags, GTask *task);
void qemu_domain_set_user_password_async(VbConn *conn, VbDomainObj *dom, const char *user, const char *password,
                                         guint flags, GTask *task);

/* qemu_iotune.c: <iotune> and Set/GetBlockIoTune */
void qemu_domain_set_block_io_tune_async(VbConn *conn, VbDomainObj *dom, const char *disk, GArray *params,
                                         guint flags, GTask *task);
void qemu_domain_get_block_io_tune_async(VbConn *conn, VbDomainObj *dom, const char *disk, guint flags, GTask *task);
/* At start, before the guest runs: the limits of each disk with <iotune>. */
void qemu_iotune_apply_at_start(QemuRun *run, const VbDomainDef *def, QemuStepDone done, gpointer user_data);

/* qemu_inspect.c */
gboolean qemu_domain_get_control_info(VbConn *conn, VbDomainObj *dom, guint flags, VbDomainControlInfo *info,
                                      GError **error);
/* the task returns the bytes (GBytes) */
void qemu_domain_memory_peek_async(VbConn *conn, VbDomainObj *dom, guint64 start, gsize size, guint flags,
                                   GTask *task);

/* qemu_dump.c */
void qemu_domain_core_dump_async(VbConn *conn, VbDomainObj *dom, const char *to, guint format, guint flags,
                                 GTask *task);

/* qemu_blockjob.c: block jobs, BlockResize and BlockPeek */
void qemu_domain_block_rebase_async(VbConn *conn, VbDomainObj *dom, const char *disk, const char *base,
                                    guint64 bandwidth, guint flags, GTask *task);
void qemu_domain_block_commit_async(VbConn *conn, VbDomainObj *dom, const char *disk, const char *base,
                                    const char *top, guint64 bandwidth, guint flags, GTask *task);
void qemu_domain_block_copy_async(VbConn *conn, VbDomainObj *dom, const char *disk, const char *destxml,
                                  const VbBlockCopyParams *params, guint flags, GTask *task);
void qemu_domain_block_job_abort_async(VbConn *conn, VbDomainObj *dom, const char *disk, guint flags, GTask *task);
void qemu_domain_block_job_set_speed_async(VbConn *conn, VbDomainObj *dom, const char *disk, guint64 bandwidth,
                                           guint flags, GTask *task);
void qemu_domain_get_block_job_info_async(VbConn *conn, VbDomainObj *dom, const char *disk, guint flags,
                                          GTask *task);
void qemu_domain_block_resize_async(VbConn *conn, VbDomainObj *dom, const char *disk, guint64 size, guint flags,
                                    GTask *task);
GBytes *qemu_domain_block_peek(VbConn *conn, VbDomainObj *dom, const char *disk, guint64 offset, gsize size,
                               guint flags, GError **error);
/* BLOCK_JOB_*: a job became ready or ended; for qemu_run.c's event handler. */
void qemu_blockjob_handle_event(QemuRun *run, VbDomainObj *dom, const char *name, JsonObject *data);
/* Forgets a job (its run ends); a BlockJobAbort call waiting on it fails. */
void qemu_block_job_free(QemuBlockJob *job);
/* The run's jobs in the status file, and back: a table of disk -> QemuBlockJob, or NULL. */
void qemu_blockjob_status_format(QemuRun *run, VbBuf *buf);
GHashTable *qemu_blockjob_status_parse(xmlNodePtr root);
/* After a daemon restart: jobs that became ready or ended meanwhile are settled (query-jobs),
 * then @done runs (an error only says query-jobs failed). */
void qemu_blockjob_reconcile(QemuRun *run, QemuStepDone done, gpointer user_data);

/* qemu_hostdev.c: managed PCI host devices */
/* Moves @def's managed='yes' PCI hostdevs to vfio-pci; returns the names of those it moved (to
 * give back at the end), NULL on error with nothing moved. Refuses a device another running
 * guest uses. */
GPtrArray *qemu_hostdev_prepare(VbConn *conn, const VbDomainDef *def, GError **error);
/* Hands each device back to its host driver; frees @detached (may be NULL). */
void qemu_hostdev_release(VbConn *conn, GPtrArray *detached);
/* The running guest (other than the one with @except_uuid) whose definition has the PCI
 * device @name, or NULL. */
const char *qemu_hostdev_user(VbConn *conn, const char *name, const char *except_uuid);
/* NodeDevice.ReAttach, refused while a running guest has the device. */
gboolean qemu_node_device_reattach(VbConn *conn, VbNodeDeviceObj *dev, GError **error);

/* qemu_tap.c */
/* A new tap (named @target_dev, or vnetN when NULL) with the host side of @guest_mac, up and
 * attached to @bridge when given; returns its fd and sets @ifname, or -1. */
int qemu_tap_open(const char *bridge, const char *target_dev, const char *guest_mac, char **ifname, GError **error);
void qemu_domain_reset_async(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task);
void qemu_domain_suspend_async(VbConn *conn, VbDomainObj *dom, GTask *task);
void qemu_domain_resume_async(VbConn *conn, VbDomainObj *dom, GTask *task);
/* Takes over a QEMU left running; @relabeled and @hostdevs (taken, may be NULL): its files and
 * PCI devices to give back at its end. */
void qemu_run_reattach(VbConn *conn, VbDomainObj *dom, GPid pid, const char *monitor_path, GArray *relabeled,
                       GPtrArray *hostdevs, GHashTable *block_jobs);
gboolean qemu_recovering(VbConn *conn);

/* Jobs for the driver's other files. One job runs per domain at a time. A job that waits on
 * QEMU begins with qemu_job_begin_active (refuses an inactive or busy domain; the QemuRun's
 * proc gives the monitor: vb_qemu_process_get_monitor(run->proc)), keeps only the domain's
 * UUID across the wait, looks the run up again with qemu_run_lookup when QEMU answers (NULL:
 * QEMU went away meanwhile) and ends with qemu_job_end, which answers @task (TRUE or @error,
 * taken) and frees the domain for the next job. @run is NULL when the job never began. */
QemuRun *qemu_run_lookup(VbConn *conn, const char *uuid);
QemuRun *qemu_job_begin_active(VbConn *conn, VbDomainObj *dom, GError **error);
void qemu_job_end(QemuRun *run, GTask *task, GError *error);
/* The same for calls that return data: @task returns @result (taken, freed with @result_free;
 * NULL: TRUE), or @error when set. */
void qemu_job_end_pointer(QemuRun *run, GTask *task, gpointer result, GDestroyNotify result_free, GError *error);
/* Only frees the domain, for a call that answers its caller later (BlockJobAbort waiting for
 * the job's end). */
void qemu_job_release(QemuRun *run);
/* Shuts @run's domain off with @reason, emits STOPPED @detail and forgets the run. */
void qemu_run_end(QemuRun *run, int reason, int detail);
/* Starts a domain from a saved state: @def (owned) takes over an inactive domain with its UUID
 * or becomes a new transient one, as CreateXML; QEMU reads the state from @fd (owned), and
 * @image_to_discard (may be NULL) is deleted once the guest runs. */
void qemu_domain_start_saved(VbConn *conn, VbDomainDef *def, int fd, guint start_flags, const char *image_to_discard,
                             GTask *task);

/* qemu_save.c */
/* fsync(@fd) on a worker thread (@fd stays open meanwhile); the error names @path. */
void qemu_file_sync_async(int fd, const char *path, GAsyncReadyCallback callback, gpointer user_data);
gboolean qemu_file_sync_finish(GAsyncResult *result, GError **error);
typedef QemuStepDone QemuMigrationDone;
/* Hands @fd (not taken) to QEMU and migrates the guest's state out to it, or in from it with
 * @incoming; @done runs once QEMU reports the migration completed, or failed (@error, taken). */
void qemu_migration_run(QemuRun *run, int fd, gboolean incoming, QemuMigrationDone done, gpointer user_data);
void qemu_domain_save_async(VbConn *conn, VbDomainObj *dom, const char *to, const char *xml, guint flags, GTask *task);
void qemu_domain_restore_async(VbConn *conn, const char *from, const char *xml, guint flags, GTask *task);
void qemu_domain_managed_save_async(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task);
gboolean qemu_domain_managed_save_remove(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
char *qemu_domain_save_image_get_xml_desc(VbConn *conn, const char *file, guint flags, GError **error);
char *qemu_managed_save_path(VbConn *conn, const VbDomainDef *def);
/* Create of a domain that has a managed save image continues from it (and drops it). */
void qemu_domain_start_managed_save(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task);

/* qemu_status.c: the live state of running domains on disk, so a restarted daemon finds them */
gboolean qemu_status_save(VbConn *conn, VbDomainObj *dom, QemuRun *run);
void qemu_status_remove(VbConn *conn, VbDomainObj *dom);
void qemu_status_load_all(VbConn *conn);

/* qemu_host.c: host facts from /proc, /sys and the QEMU binary (probed once, at open) */
#define QEMU_HOST_EMULATOR "/usr/bin/qemu-system-x86_64"

/* A machine type as QEMU's query-machines lists it. */
typedef struct {
    char *name;
    char *alias;             /* "pc", "q35"... or NULL */
    guint max_cpus;
    gboolean deprecated;
    gboolean is_default;
} QemuMachine;

void qemu_machine_free(QemuMachine *machine);
/* Starts the asynchronous probes of QEMU (version, machines, CPU models); at open. */
void qemu_host_start(VbConn *conn);
/* Stops them and drops what they found; at close. */
void qemu_host_stop(VbConn *conn);
/* TRUE once every probe has its answer (or its error). */
gboolean qemu_host_probes_done(VbConn *conn);
/* QemuMachine array (borrowed), waiting for the probe if needed. */
GPtrArray *qemu_host_machines(VbConn *conn, GError **error);
/* QEMU CPU model name -> GINT_TO_POINTER(usable under TCG) (borrowed). */
GHashTable *qemu_host_cpu_models(VbConn *conn, GError **error);
/* Where the capabilities XML is cached for the connection. */
char **qemu_host_caps_cache(VbConn *conn);
gboolean qemu_host_kvm_usable(void);
gboolean qemu_arch_is_known(const char *arch);
gboolean qemu_get_version(VbConn *conn, guint64 *version, GError **error);
gboolean qemu_node_get_info(VbConn *conn, VbNodeInfo *info, GError **error);
/* The CPU part of virNodeGetInfo (cpus, mhz, nodes, sockets, cores, threads) as libvirt counts
 * it, for the host whose /sys and /proc live under @root ("/" here; tests pass recorded trees). */
gboolean qemu_host_cpu_topology_at(const char *root, VbNodeInfo *info, GError **error);
GArray *qemu_node_get_cpu_map(VbConn *conn, guint flags, GError **error);
GHashTable *qemu_node_get_memory_stats(VbConn *conn, int cell, guint flags, GError **error);
GHashTable *qemu_node_get_cpu_stats(VbConn *conn, int cpu, guint flags, GError **error);
gboolean qemu_node_get_free_memory(VbConn *conn, guint64 *bytes, GError **error);
char *qemu_get_sysinfo(VbConn *conn, guint flags, GError **error);
GStrv qemu_get_cpu_model_names(VbConn *conn, const char *arch, guint flags, GError **error);
gboolean qemu_node_get_security_model(VbConn *conn, char **model, char **doi, GError **error);

/* qemu_caps.c: capabilities and domain capabilities XML */
char *qemu_get_capabilities(VbConn *conn, GError **error);
/* A KVM guest's custom CPU checked against the host's before it starts (require, forbid,
 * the model's own features). */
gboolean qemu_check_guest_cpu(VbConn *conn, const VbDomainDef *def, GError **error);
char *qemu_get_domain_capabilities(VbConn *conn, const char *emulator, const char *arch, const char *machine,
                                   const char *virttype, guint flags, GError **error);

/* qemu_tune.c: memory, vCPUs, pinning, statistics, keys and NMI (over QMP where live) */
/* The QMP events these calls follow (BALLOON_CHANGE: the live current memory); for
 * qemu_run.c's event handler. */
void qemu_tune_handle_event(QemuRun *run, VbDomainObj *dom, const char *name, JsonObject *data);
/* At start, before the guest runs: pins each vCPU thread as @def's <cputune><vcpupin> says, and
 * the other threads as its <emulatorpin> says; the balloon's <stats period> starts polling. */
void qemu_tune_apply_vcpupins(QemuRun *run, const VbDomainDef *def, QemuStepDone done, gpointer user_data);
void qemu_domain_set_memory_flags_async(VbConn *conn, VbDomainObj *dom, guint64 kib, guint flags, GTask *task);
gboolean qemu_domain_get_vcpus_flags(VbConn *conn, VbDomainObj *dom, guint flags, guint *count, GError **error);
void qemu_domain_set_vcpus_flags_async(VbConn *conn, VbDomainObj *dom, guint count, guint flags, GTask *task);
void qemu_domain_pin_vcpu_async(VbConn *conn, VbDomainObj *dom, guint vcpu, GArray *cpumap, guint flags, GTask *task);
GPtrArray *qemu_domain_get_vcpu_pin_info(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
/* The emulator: every QEMU thread but the vCPUs. */
gboolean qemu_domain_pin_emulator(VbConn *conn, VbDomainObj *dom, GArray *cpumap, guint flags, GError **error);
GArray *qemu_domain_get_emulator_pin_info(VbConn *conn, VbDomainObj *dom, guint flags, GError **error);
void qemu_domain_memory_stats_async(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task);
/* The balloon's guest statistics period (qom-set); <stats period> is applied at start too. */
void qemu_domain_set_memory_stats_period_async(VbConn *conn, VbDomainObj *dom, int period, guint flags,
                                               GTask *task);
GHashTable *qemu_domain_interface_stats(VbConn *conn, VbDomainObj *dom, const char *device, GError **error);
void qemu_domain_get_stats_async(VbConn *conn, VbDomainObj *dom, guint stats, GTask *task);
void qemu_domain_send_key_async(VbConn *conn, VbDomainObj *dom, guint codeset, guint holdtime, GArray *keys,
                                guint flags, GTask *task);
void qemu_domain_inject_nmi_async(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task);

/* qemu_user.c: QEMU's user (qemu.conf), the files it must reach, the monitor socket */
gboolean qemu_user_load(VbConn *conn, GError **error);
void qemu_user_set_credentials(VbConn *conn, VbQemuProcessConfig *process);
/* Hands the files @def makes QEMU open to QEMU's user; returns what to give back (never NULL
 * on success). */
GArray *qemu_user_relabel(VbConn *conn, const VbDomainDef *def, GError **error);
/* Gives the files back to their owners and frees @relabeled (may be NULL). */
void qemu_user_restore(GArray *relabeled);
/* The list as <relabel path= uid= gid=/> elements of the status file, and back: a restarted
 * daemon still gives the files back when the guest stops. */
void qemu_user_relabel_format(GArray *relabeled, VbBuf *buf);
GArray *qemu_user_relabel_parse(xmlNodePtr parent);
/* The QMP socket at @path, listening, for QEMU to inherit. */
int qemu_monitor_listen(const char *path, GError **error);
