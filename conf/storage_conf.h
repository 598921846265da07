/* storage_conf.h: libvirt's storage pool and storage volume XML, parsed and formatted in pairs */
#pragma once

#include <glib.h>

#include "vb_uuid.h"
#include "vb_xml.h"

/* Volume parse flags (libvirt's virStorageVolDefParseFlags). */
typedef enum {
    VB_STORAGE_VOL_PARSE_NO_CAPACITY = 1 << 0,   /* <capacity> may be absent (CreateXMLFrom) */
} VbStorageVolParseFlags;

typedef enum {
    VB_STORAGE_POOL_DIR,
    VB_STORAGE_POOL_FS,
    VB_STORAGE_POOL_NETFS,
    VB_STORAGE_POOL_LOGICAL,
    VB_STORAGE_POOL_DISK,
    VB_STORAGE_POOL_ISCSI,
    VB_STORAGE_POOL_ISCSI_DIRECT,
    VB_STORAGE_POOL_SCSI,
    VB_STORAGE_POOL_MPATH,
    VB_STORAGE_POOL_RBD,
    VB_STORAGE_POOL_SHEEPDOG,
    VB_STORAGE_POOL_GLUSTER,
    VB_STORAGE_POOL_ZFS,
    VB_STORAGE_POOL_VSTORAGE,
    VB_STORAGE_POOL_LAST
} VbStoragePoolType;
VB_ENUM_DECL(vb_storage_pool_type);

typedef enum {
    VB_STORAGE_ADAPTER_NONE,       /* no <adapter> element */
    VB_STORAGE_ADAPTER_SCSI_HOST,
    VB_STORAGE_ADAPTER_FC_HOST,
    VB_STORAGE_ADAPTER_LAST
} VbStorageAdapterType;
VB_ENUM_DECL(vb_storage_adapter_type);

typedef enum {
    VB_STORAGE_AUTH_NONE,          /* no <auth> element */
    VB_STORAGE_AUTH_CHAP,
    VB_STORAGE_AUTH_CEPH,
    VB_STORAGE_AUTH_LAST
} VbStorageAuthType;
VB_ENUM_DECL(vb_storage_auth_type);

typedef enum {
    VB_STORAGE_VOL_FILE,
    VB_STORAGE_VOL_BLOCK,
    VB_STORAGE_VOL_DIR,
    VB_STORAGE_VOL_NETWORK,
    VB_STORAGE_VOL_NETDIR,
    VB_STORAGE_VOL_PLOOP,
    VB_STORAGE_VOL_LAST
} VbStorageVolType;
VB_ENUM_DECL(vb_storage_vol_type);

/* Image formats of file-like volumes and backing stores (libvirt's virStorageFileFormat). */
typedef enum {
    VB_STORAGE_FILE_NONE,          /* no <format> element */
    VB_STORAGE_FILE_RAW,
    VB_STORAGE_FILE_DIR,
    VB_STORAGE_FILE_BOCHS,
    VB_STORAGE_FILE_CLOOP,
    VB_STORAGE_FILE_DMG,
    VB_STORAGE_FILE_ISO,
    VB_STORAGE_FILE_VPC,
    VB_STORAGE_FILE_VDI,
    VB_STORAGE_FILE_FAT,
    VB_STORAGE_FILE_VHD,
    VB_STORAGE_FILE_PLOOP,
    VB_STORAGE_FILE_COW,
    VB_STORAGE_FILE_QCOW,
    VB_STORAGE_FILE_QCOW2,
    VB_STORAGE_FILE_QED,
    VB_STORAGE_FILE_VMDK,
    VB_STORAGE_FILE_LAST
} VbStorageFileFormat;
VB_ENUM_DECL(vb_storage_file_format);

/* Partition types of block volumes in disk pools (libvirt's virStorageVolFormatDisk). */
typedef enum {
    VB_STORAGE_PART_NONE,
    VB_STORAGE_PART_LINUX,
    VB_STORAGE_PART_FAT16,
    VB_STORAGE_PART_FAT32,
    VB_STORAGE_PART_LINUX_SWAP,
    VB_STORAGE_PART_LINUX_LVM,
    VB_STORAGE_PART_LINUX_RAID,
    VB_STORAGE_PART_EXTENDED,
    VB_STORAGE_PART_LAST
} VbStoragePartFormat;
VB_ENUM_DECL(vb_storage_part_format);

/* <permissions>; -1 marks a value that was not given. */
typedef struct {
    int mode;
    gint64 owner;
    gint64 group;
    char *label;
} VbStoragePerms;

typedef struct {
    char *name;
    guint port;                    /* 0 when absent */
} VbStoragePoolHost;

typedef struct {
    VbStorageAdapterType type;
    char *name;                    /* scsi_host */
    char *parent;                  /* fc_host, the rest too */
    char *parent_wwnn;
    char *parent_wwpn;
    char *parent_fabric_wwn;
    char *wwnn;
    char *wwpn;
    VbTristate managed;
} VbStorageAdapter;

typedef struct {
    VbStorageAuthType type;
    char *username;
    char secret_uuid[VB_UUID_STRING_LEN];   /* "" when the secret is named by usage */
    char *secret_usage;
} VbStorageAuth;

typedef struct {
    GPtrArray *hosts;              /* VbStoragePoolHost */
    GPtrArray *devices;            /* char *, device paths */
    char *dir;
    VbStorageAdapter adapter;
    char *name;
    char *format;                  /* canonical name; the pool type's default when absent */
    char *vendor;
    char *product;
    VbStorageAuth auth;
    char *initiator_iqn;
} VbStoragePoolSource;

typedef struct {
    VbStoragePoolType type;
    char *name;
    char uuid[VB_UUID_STRING_LEN];
    guint64 capacity;              /* bytes */
    guint64 allocation;
    guint64 available;
    VbStoragePoolSource source;
    char *target_path;             /* NULL for network pools (rbd, gluster, ...) */
    VbStoragePerms target_perms;
} VbStoragePoolDef;

typedef struct {
    char *atime;                   /* "seconds.nanoseconds" as written */
    char *btime;
    char *ctime;
    char *mtime;
} VbStorageTimestamps;

typedef struct {
    char *path;
    int format;                    /* VbStoragePartFormat for block volumes, else VbStorageFileFormat */
    VbStoragePerms perms;
    VbStorageTimestamps timestamps;
    char *encryption;              /* the <encryption> element, kept verbatim */
    char *compat;
    gboolean lazy_refcounts;
} VbStorageVolTarget;

typedef struct {
    char *path;                    /* NULL when there is no <backingStore> */
    VbStorageFileFormat format;
    VbStoragePerms perms;
} VbStorageVolBacking;

typedef struct {
    VbStorageVolType type;
    char *name;
    char *key;
    guint64 capacity;              /* bytes */
    guint64 allocation;            /* equals capacity when not given */
    guint64 physical;              /* 0 when not given */
    VbStorageVolTarget target;
    VbStorageVolBacking backing;
} VbStorageVolDef;

VbStoragePoolDef *vb_storage_pool_def_parse(const char *xml, guint flags, GError **error);
char *vb_storage_pool_def_format(const VbStoragePoolDef *def, guint flags);
void vb_storage_pool_def_free(VbStoragePoolDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbStoragePoolDef, vb_storage_pool_def_free)

VbStorageVolDef *vb_storage_vol_def_parse(const char *xml, guint flags, GError **error);
char *vb_storage_vol_def_format(const VbStorageVolDef *def, guint flags);
void vb_storage_vol_def_free(VbStorageVolDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbStorageVolDef, vb_storage_vol_def_free)

/* The name of the volume's target format ("qcow2", "linux-lvm"), NULL when none was given. */
const char *vb_storage_vol_def_format_name(const VbStorageVolDef *def);
