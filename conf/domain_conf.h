/* domain_conf.h: libvirt's domain XML as a C model, parsed and formatted in pairs */
#pragma once

#include <glib.h>

#include "vb_uuid.h"
#include "vb_xml.h"

/* Format flags: libvirt's virDomainXMLFlags values. */
typedef enum {
    VB_DOMAIN_XML_SECURE = 1 << 0,
    VB_DOMAIN_XML_INACTIVE = 1 << 1,
    VB_DOMAIN_XML_UPDATE_CPU = 1 << 2,
    VB_DOMAIN_XML_MIGRATABLE = 1 << 3,
} VbDomainXmlFlags;

/* Parse flags. */
typedef enum {
    VB_DOMAIN_PARSE_VALIDATE = 1 << 0,    /* check against data/schemas (VIR_DOMAIN_DEFINE_VALIDATE) */
} VbDomainParseFlags;

typedef enum {
    VB_DOMAIN_VIRT_NONE,
    VB_DOMAIN_VIRT_QEMU,
    VB_DOMAIN_VIRT_KVM,
    VB_DOMAIN_VIRT_XEN,
    VB_DOMAIN_VIRT_LXC,
    VB_DOMAIN_VIRT_TEST,
    VB_DOMAIN_VIRT_VMWARE,
    VB_DOMAIN_VIRT_HYPERV,
    VB_DOMAIN_VIRT_VBOX,
    VB_DOMAIN_VIRT_BHYVE,
    VB_DOMAIN_VIRT_KQEMU,
    VB_DOMAIN_VIRT_UML,
    VB_DOMAIN_VIRT_OPENVZ,
    VB_DOMAIN_VIRT_PHYP,
    VB_DOMAIN_VIRT_PARALLELS,
    VB_DOMAIN_VIRT_VZ,
    VB_DOMAIN_VIRT_CH,
    VB_DOMAIN_VIRT_HVF,
    VB_DOMAIN_VIRT_LAST
} VbDomainVirtType;
VB_ENUM_DECL(vb_domain_virt);

typedef enum {
    VB_DOMAIN_LIFECYCLE_DESTROY,
    VB_DOMAIN_LIFECYCLE_RESTART,
    VB_DOMAIN_LIFECYCLE_RENAME_RESTART,
    VB_DOMAIN_LIFECYCLE_PRESERVE,
    VB_DOMAIN_LIFECYCLE_COREDUMP_DESTROY,
    VB_DOMAIN_LIFECYCLE_COREDUMP_RESTART,
    VB_DOMAIN_LIFECYCLE_LAST
} VbDomainLifecycleAction;
VB_ENUM_DECL(vb_domain_lifecycle);

typedef enum {
    VB_CPU_MODE_CUSTOM,
    VB_CPU_MODE_HOST_MODEL,
    VB_CPU_MODE_HOST_PASSTHROUGH,
    VB_CPU_MODE_MAXIMUM,
    VB_CPU_MODE_LAST
} VbCpuMode;
VB_ENUM_DECL(vb_cpu_mode);

typedef enum {
    VB_CPU_MATCH_NONE,      /* attribute absent */
    VB_CPU_MATCH_MINIMUM,
    VB_CPU_MATCH_EXACT,
    VB_CPU_MATCH_STRICT,
    VB_CPU_MATCH_LAST
} VbCpuMatch;
VB_ENUM_DECL(vb_cpu_match);

typedef enum {
    VB_CPU_FEATURE_FORCE,
    VB_CPU_FEATURE_REQUIRE,
    VB_CPU_FEATURE_OPTIONAL,
    VB_CPU_FEATURE_DISABLE,
    VB_CPU_FEATURE_FORBID,
    VB_CPU_FEATURE_LAST
} VbCpuFeaturePolicy;
VB_ENUM_DECL(vb_cpu_feature_policy);

typedef struct {
    char *name;
    int policy;              /* VbCpuFeaturePolicy */
} VbCpuFeature;

typedef struct {
    gboolean present;
    int mode;                /* VbCpuMode */
    int match;               /* VbCpuMatch; NONE: not given (exact for a custom model) */
    char *check;             /* none | partial | full */
    char *migratable;        /* on | off, host-passthrough and maximum only */
    char *model;
    char *model_fallback;    /* allow | forbid; NULL: allow */
    char *vendor_id;
    char *vendor;
    guint sockets, dies, cores, threads;   /* 0: no <topology> */
    int cache_level;         /* 1-3, 0: not given */
    char *cache_mode;        /* emulate | passthrough | disable; NULL: no <cache> */
    GPtrArray *features;     /* VbCpuFeature */
    char *numa_xml;          /* <numa> kept verbatim */
    guint64 numa_memory_kib; /* sum of the NUMA cells' memory */
} VbCpuDef;

/* A standalone <cpu> element (CompareCPU, BaselineCPU, host capabilities): the domain's
 * parser and formatter, with NUMA cells not checked against a vCPU count. */
void vb_cpu_def_init(VbCpuDef *def);
void vb_cpu_def_clear(VbCpuDef *def);
gboolean vb_cpu_def_parse_node(xmlNodePtr cpu, VbCpuDef *def, GError **error);
void vb_cpu_def_format_buf(VbBuf *buf, const VbCpuDef *def);

/* A device address as libvirt writes it; PCI is normalised, other types kept as given. */
typedef struct {
    char *type;              /* NULL: none */
    guint domain, bus, slot, function;
    char *multifunction;
    GPtrArray *attrs;        /* other types: alternating name, value */
} VbDeviceAddress;

typedef struct {
    char *type;              /* file | block | dir | network | volume | nvme | vhostuser | vhostvdpa */
    char *device;            /* disk | cdrom | floppy | lun */
    GPtrArray *attrs;        /* other <disk> attributes (model, rawio, sgio, snapshot), name/value */
    char *driver_name, *driver_type, *driver_cache, *driver_io, *driver_discard;
    GPtrArray *driver_extra; /* other <driver> attributes, name/value */
    char *source_file;       /* file path, block dev, dir */
    char *source_protocol, *source_name;  /* network */
    char *source_pool, *source_volume;    /* volume */
    GPtrArray *source_attrs; /* other <source> attributes (startupPolicy, mode...), name/value */
    char *source_extra_xml;  /* children of <source> (host, auth, seclabel...) verbatim */
    char *target_dev, *target_bus;
    GPtrArray *target_attrs; /* other <target> attributes (tray, removable...), name/value */
    gboolean readonly, shareable;
    char *serial;
    guint boot_order;
    char *alias;
    VbDeviceAddress address;
    GPtrArray *extras;       /* unmodelled children (iotune, encryption...), kept in libvirt's order */
} VbDiskDef;

typedef struct {
    char *type;              /* network | bridge | user | ethernet | direct | hostdev | vhostuser ... */
    GPtrArray *attrs;        /* other <interface> attributes (managed, trustGuestRxFilters) */
    char mac[VB_MAC_STRING_LEN];
    GPtrArray *source_attrs; /* alternating name, value, in order */
    char *source_xml;        /* children of <source> (hostdev address, local, reconnect...) */
    char *model;
    GPtrArray *driver_attrs;
    char *driver_xml;        /* children of <driver> (host, guest) */
    char *target_dev;
    GPtrArray *target_attrs; /* other <target> attributes (managed) */
    char *link_state;
    guint mtu;
    guint boot_order;
    char *alias;
    VbDeviceAddress address;
    GPtrArray *extras;       /* bandwidth, vlan, virtualport, filterref... kept in libvirt's order */
} VbNetDef;

/* Device families in libvirt's output order. */
typedef enum {
    VB_DEVICE_DISK,
    VB_DEVICE_CONTROLLER,
    VB_DEVICE_LEASE,
    VB_DEVICE_FILESYSTEM,
    VB_DEVICE_INTERFACE,
    VB_DEVICE_SMARTCARD,
    VB_DEVICE_SERIAL,
    VB_DEVICE_PARALLEL,
    VB_DEVICE_CONSOLE,
    VB_DEVICE_CHANNEL,
    VB_DEVICE_INPUT,
    VB_DEVICE_TPM,
    VB_DEVICE_GRAPHICS,
    VB_DEVICE_SOUND,
    VB_DEVICE_AUDIO,
    VB_DEVICE_VIDEO,
    VB_DEVICE_HOSTDEV,
    VB_DEVICE_REDIRDEV,
    VB_DEVICE_REDIRFILTER,
    VB_DEVICE_HUB,
    VB_DEVICE_WATCHDOG,
    VB_DEVICE_MEMBALLOON,
    VB_DEVICE_RNG,
    VB_DEVICE_NVRAM,
    VB_DEVICE_PANIC,
    VB_DEVICE_SHMEM,
    VB_DEVICE_MEMORY,
    VB_DEVICE_IOMMU,
    VB_DEVICE_VSOCK,
    VB_DEVICE_CRYPTO,
    VB_DEVICE_PSTORE,
    VB_DEVICE_LAST
} VbDeviceKind;
VB_ENUM_DECL(vb_device_kind);

typedef struct {
    int kind;                /* VbDeviceKind */
    VbDiskDef *disk;         /* kind == DISK */
    VbNetDef *net;           /* kind == INTERFACE */
    char *xml;               /* every other kind: the element as written */
    char *xml_public;        /* the same without secrets (graphics passwd), NULL if none */
} VbDeviceDef;

typedef struct {
    char *uri;               /* namespace URI */
    char *xml;               /* the element */
} VbMetadataElement;

typedef struct {
    int virt_type;           /* VbDomainVirtType */
    char *name;
    char uuid[VB_UUID_STRING_LEN];
    char *genid;             /* "" for an empty <genid/> */
    char *title;
    char *description;
    GPtrArray *metadata;     /* VbMetadataElement */

    guint64 max_memory_kib;
    guint max_memory_slots;
    guint64 memory_kib;      /* total, memory devices included */
    guint64 current_memory_kib;
    char *memory_dump_core;  /* on | off */

    guint vcpus;             /* maximum */
    guint vcpus_current;     /* 0: same as vcpus */
    char *vcpu_placement;
    char *vcpu_cpuset;       /* normalised: "0-3,6" */
    char *vcpus_xml;         /* <vcpus> (per-vCPU state) verbatim */
    guint iothreads;
    char *iothreadids_xml;

    char *bootloader, *bootloader_args;
    char *os_type;
    char *os_arch;
    char *os_machine;
    char *os_firmware;       /* <os firmware='efi|bios'> */
    char *os_firmware_xml;   /* <firmware> feature list */
    char *os_init_xml;       /* <init>, <initarg>... (containers) */
    char *os_loader_xml;     /* <loader> and <nvram>, verbatim */
    char *os_kernel, *os_initrd, *os_cmdline, *os_dtb, *os_root;
    GPtrArray *os_boot;      /* char* devices: hd, cdrom, network, fd */
    char *os_bootmenu_xml;   /* normalised <bootmenu/> */
    char *os_extra_xml;      /* <bios>, <acpi>, <smbios>, in libvirt's order */

    VbCpuDef cpu;
    char *clock_offset;
    char *clock_adjustment;  /* variable: seconds; utc/localtime: "reset" */
    char *clock_basis;       /* variable: utc | localtime */
    char *clock_timezone;    /* timezone */
    char *clock_start;       /* absolute */
    char *clock_extra_xml;   /* <timer> children */
    int on_poweroff, on_reboot, on_crash;
    char *on_lockfailure;

    /* top-level elements modelled later; kept verbatim, in libvirt's order */
    char *memory_backing_xml, *blkiotune_xml, *memtune_xml, *cputune_xml, *numatune_xml;
    char *resource_xml, *sysinfo_xml, *idmap_xml, *features_xml, *pm_xml, *perf_xml;
    char *seclabel_xml, *keywrap_xml, *launch_security_xml;

    char *emulator;
    GPtrArray *devices;      /* VbDeviceDef */
} VbDomainDef;

VbDomainDef *vb_domain_def_parse(const char *xml, guint flags, GError **error);
VbDomainDef *vb_domain_def_parse_node(xmlNodePtr root, guint flags, GError **error);
/* @id >= 0 adds id='N' (live XML of a running domain). */
char *vb_domain_def_format_full(const VbDomainDef *def, int id, guint flags);
/* The same, written into @buf at its current indentation (a <domain> inside another document). */
void vb_domain_def_format_buf(VbBuf *buf, const VbDomainDef *def, int id, guint flags);
char *vb_domain_def_format(const VbDomainDef *def, guint flags);
VbDomainDef *vb_domain_def_copy(const VbDomainDef *def);
void vb_domain_def_free(VbDomainDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbDomainDef, vb_domain_def_free)

guint vb_domain_def_vcpus_current(const VbDomainDef *def);
/* The <memballoon> whose model is not 'none', if any. */
VbDeviceDef *vb_domain_def_find_memballoon(const VbDomainDef *def);
void vb_device_def_free(VbDeviceDef *dev);
/* One device's element, as in the domain's XML (VB_DOMAIN_XML_* @flags). */
char *vb_device_def_format(const VbDeviceDef *dev, guint flags);
gboolean vb_domain_def_has_memballoon(const VbDomainDef *def);
guint vb_domain_def_count_devices(const VbDomainDef *def, VbDeviceKind kind);
VbDiskDef *vb_domain_def_nth_disk(const VbDomainDef *def, guint n);
VbNetDef *vb_domain_def_nth_net(const VbDomainDef *def, guint n);
VbDiskDef *vb_domain_def_find_disk(const VbDomainDef *def, const char *target_or_path);
/* The same, and its position among the definition's disks (as vb_domain_def_nth_disk counts). */
VbDiskDef *vb_domain_def_find_disk_index(const VbDomainDef *def, const char *target_or_path, guint *index);
/* The disk's kept-verbatim child element @name ("iotune", "encryption"...) as XML, or NULL. */
const char *vb_disk_def_get_extra(const VbDiskDef *disk, const char *name);
/* Replaces that element with @xml (taken; NULL removes it), in libvirt's place. */
void vb_disk_def_set_extra(VbDiskDef *disk, const char *name, char *xml);
VbNetDef *vb_domain_def_find_net(const VbDomainDef *def, const char *dev_or_mac);

/* <metadata> element access by namespace URI (virDomainGetMetadata/SetMetadata). */
const char *vb_domain_def_get_metadata(const VbDomainDef *def, const char *uri);
gboolean vb_domain_def_set_metadata(VbDomainDef *def, const char *xml, const char *key,
                                    const char *uri, GError **error);

/* XML helpers that write the way libvirt does (single-quoted attributes, two-space indent,
 * text never re-indented), shared with snapshot_conf.c. */
/* @node and its subtree as a standalone element (namespaces declared on it). */
char *vb_domain_xml_dump(xmlNodePtr node);
/* Appends one or more elements kept as text, re-indented to @buf's level. */
void vb_domain_buf_add_xml(VbBuf *buf, const char *xml);
/* <name>value</name> with @value escaped; nothing when @value is NULL. */
void vb_domain_buf_add_text(VbBuf *buf, const char *name, const char *value);
/* name='value' (with a leading space) with @value escaped; nothing when @value is NULL. */
void vb_domain_buf_add_attr(VbBuf *buf, const char *name, const char *value);
