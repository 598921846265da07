/* qemu_command_priv.h: shared between the argv builder's files; not for other users. */
#pragma once

#include <json-glib/json-glib.h>
#include <libxml/tree.h>

#include "conf/domain_conf.h"
#include "drivers/qemu/qemu_command.h"

typedef struct {
    const VbDomainDef *def;
    const VbQemuCommandConfig *config;
    GPtrArray *argv;
    GError *error;               /* the first problem found; later checks do nothing */
    gboolean q35;                /* machine type q35: PCIe root, built-in AHCI, no IDE */
    gboolean kvm;
    gboolean usb_disabled;       /* <controller type='usb' model='none'/> */
    gboolean has_usb;            /* a USB controller is on the command line */
    gboolean has_sata;           /* pc: the AHCI controller sata0 is on the command line */
    gboolean has_virtio_serial;
    gboolean spice;              /* the definition has SPICE graphics (spicevmc channels need it) */
    guint serial_ports;          /* bit N: isa-serial port N is taken */
    guint scsi_controllers;      /* bit N: scsiN is on the command line */
    guint pci_buses;             /* bit N: PCI bus pci.N exists (bit 0: the root) */
    guint disks, nets, serials, consoles, channels, videos, inputs, rngs, watchdogs, hostdevs, panics,
          balloons, graphics;
    const char *node_prefix;     /* hot-plug: the disk's block node prefix instead of libvirt-N */
    char *last_id;               /* the id of the -device the last disk or interface got */
    GPtrArray *device_ids;       /* when set: last_id of each device, in order (NULL: none) */
} QemuCmd;

/* ---- option strings (qemu_command.c) ---- */

/* One comma-separated option list starting with @name (escaped); NULL @name: no leading word. */
GString *qemu_opts_new(QemuCmd *cmd, const char *name);
/* Appends ",key=value" with @value escaped; nothing when @value is NULL. */
void qemu_opts_add(QemuCmd *cmd, GString *opts, const char *key, const char *value);
void qemu_opts_addf(QemuCmd *cmd, GString *opts, const char *key, const char *fmt, ...) G_GNUC_PRINTF(4, 5);
/* Appends "@option @opts" to argv and frees @opts. */
void qemu_cmd_add(QemuCmd *cmd, const char *option, GString *opts);
/* Appends "@option JSON" to argv and frees @obj (strings were checked when added). */
void qemu_cmd_add_json(QemuCmd *cmd, const char *option, JsonObject *obj);
/* A string member, refused when it carries a control character. */
void qemu_json_set_string(QemuCmd *cmd, JsonObject *obj, const char *key, const char *value);
void qemu_cmd_arg(QemuCmd *cmd, const char *arg);
void qemu_cmd_args(QemuCmd *cmd, const char *option, const char *value);
/* Records "unsupported configuration: ..." unless an error is already recorded. */
void qemu_cmd_unsupported(QemuCmd *cmd, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
gboolean qemu_cmd_failed(const QemuCmd *cmd);
/* Refuses a path with a control character; TRUE when usable. */
gboolean qemu_check_path(QemuCmd *cmd, const char *what, const char *path);

/* ---- verbatim XML ---- */

/* The root element of a device kept verbatim in the definition, or NULL (error recorded). */
xmlDocPtr qemu_device_doc(QemuCmd *cmd, const VbDeviceDef *dev);
/* Refuses an attribute of @node outside @allowed (NULL-terminated); TRUE when all are known. */
gboolean qemu_check_attrs(QemuCmd *cmd, xmlNodePtr node, const char *const *allowed, const char *what);
/* Refuses a child element of @node outside @allowed. */
gboolean qemu_check_children(QemuCmd *cmd, xmlNodePtr node, const char *const *allowed, const char *what);
/* The device id: the user alias (ua-...) of @device's <alias> or @alias when given, else
 * @prefix followed by @index. */
char *qemu_device_id(xmlNodePtr device, const char *alias, const char *prefix, guint index);
/* An unsigned attribute; @fallback when absent, an error recorded when malformed. */
guint qemu_prop_uint(QemuCmd *cmd, xmlNodePtr node, const char *name, guint fallback);

/* ",bus=pci.N,addr=0xS[.0xF]" for a PCI <address>; refuses other address types. */
void qemu_opts_add_pci_address(QemuCmd *cmd, GString *opts, const VbDeviceAddress *addr, const char *what);
void qemu_opts_add_pci_address_node(QemuCmd *cmd, GString *opts, xmlNodePtr device, const char *what);
/* ",bootindex=N" from <boot order='N'/>. */
void qemu_opts_add_boot_node(QemuCmd *cmd, GString *opts, xmlNodePtr device);

/* ---- qemu_command_disk.c ---- */
void qemu_build_controller(QemuCmd *cmd, const VbDeviceDef *dev);
void qemu_build_disk(QemuCmd *cmd, const VbDiskDef *disk);
/* A USB controller for a USB device when the definition has none. */
void qemu_need_usb(QemuCmd *cmd, const char *what);
/* The virtio-serial controller for a channel or virtio console when the definition has none. */
void qemu_need_virtio_serial(QemuCmd *cmd);
/* -blockdev storage + format nodes "libvirt-pflash<unit>-*" for firmware flash @unit. */
void qemu_build_pflash(QemuCmd *cmd, guint unit, const char *path, gboolean readonly);

/* ---- qemu_command_devices.c ---- */
void qemu_build_net(QemuCmd *cmd, const VbNetDef *net);
void qemu_build_hostdev(QemuCmd *cmd, const VbDeviceDef *dev);
void qemu_build_serial(QemuCmd *cmd, const VbDeviceDef *dev);
void qemu_build_console(QemuCmd *cmd, const VbDeviceDef *dev);
void qemu_build_channel(QemuCmd *cmd, const VbDeviceDef *dev);
void qemu_build_graphics(QemuCmd *cmd, const VbDeviceDef *dev);
void qemu_build_video(QemuCmd *cmd, const VbDeviceDef *dev);
void qemu_build_memballoon(QemuCmd *cmd, const VbDeviceDef *dev);
void qemu_build_input(QemuCmd *cmd, const VbDeviceDef *dev);
void qemu_build_panic(QemuCmd *cmd, const VbDeviceDef *dev);
void qemu_build_rng(QemuCmd *cmd, const VbDeviceDef *dev);
void qemu_build_watchdog(QemuCmd *cmd, const VbDeviceDef *dev);
