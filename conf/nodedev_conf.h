/* nodedev_conf.h: libvirt's node device XML (<device>): parse, format, capability lists */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

#include "vb_xml.h"
#include "vb_uuid.h"

typedef enum {
    /* @name may be absent and scsi_host needs no <host> (NodeDeviceCreateXML of a vHBA) */
    VB_NODE_DEVICE_PARSE_CREATE = 1 << 0,
} VbNodeDeviceParseFlags;

/* libvirt's virNodeDevCapType, in its order (the names are the <capability type=...>). */
typedef enum {
    VB_NODE_DEVICE_CAP_SYSTEM = 0,
    VB_NODE_DEVICE_CAP_PCI_DEV,
    VB_NODE_DEVICE_CAP_USB_DEV,
    VB_NODE_DEVICE_CAP_USB_INTERFACE,
    VB_NODE_DEVICE_CAP_NET,
    VB_NODE_DEVICE_CAP_SCSI_HOST,
    VB_NODE_DEVICE_CAP_SCSI_TARGET,
    VB_NODE_DEVICE_CAP_SCSI,
    VB_NODE_DEVICE_CAP_STORAGE,
    VB_NODE_DEVICE_CAP_FC_HOST,       /* nested in scsi_host only */
    VB_NODE_DEVICE_CAP_VPORTS,        /* nested in scsi_host only (vport_ops) */
    VB_NODE_DEVICE_CAP_SCSI_GENERIC,
    VB_NODE_DEVICE_CAP_DRM,
    VB_NODE_DEVICE_CAP_MDEV_TYPES,    /* nested in pci/css only */
    VB_NODE_DEVICE_CAP_MDEV,
    VB_NODE_DEVICE_CAP_CCW_DEV,
    VB_NODE_DEVICE_CAP_CSS_DEV,
    VB_NODE_DEVICE_CAP_VDPA,
    VB_NODE_DEVICE_CAP_LAST
} VbNodeDeviceCapType;
VB_ENUM_DECL(vb_node_device_cap);

typedef enum {
    VB_NODE_DEVICE_PCI_HDR_NONE = 0,
    VB_NODE_DEVICE_PCI_HDR_BRIDGE,       /* <capability type='pci-bridge'/> */
    VB_NODE_DEVICE_PCI_HDR_CARDBUS,      /* <capability type='cardbus-bridge'/> */
    VB_NODE_DEVICE_PCI_HDR_LAST
} VbNodeDevicePciHeader;
VB_ENUM_DECL(vb_node_device_pci_header);

typedef enum {
    VB_NODE_DEVICE_PCIE_SPEED_NONE = 0,
    VB_NODE_DEVICE_PCIE_SPEED_2_5,
    VB_NODE_DEVICE_PCIE_SPEED_5,
    VB_NODE_DEVICE_PCIE_SPEED_8,
    VB_NODE_DEVICE_PCIE_SPEED_16,
    VB_NODE_DEVICE_PCIE_SPEED_32,
    VB_NODE_DEVICE_PCIE_SPEED_64,
    VB_NODE_DEVICE_PCIE_SPEED_LAST
} VbNodeDevicePcieSpeed;
VB_ENUM_DECL(vb_node_device_pcie_speed);

typedef enum {
    VB_NODE_DEVICE_LINK_UNKNOWN = 0,
    VB_NODE_DEVICE_LINK_NOTPRESENT,
    VB_NODE_DEVICE_LINK_DOWN,
    VB_NODE_DEVICE_LINK_LOWERLAYERDOWN,
    VB_NODE_DEVICE_LINK_TESTING,
    VB_NODE_DEVICE_LINK_DORMANT,
    VB_NODE_DEVICE_LINK_UP,
    VB_NODE_DEVICE_LINK_LAST
} VbNodeDeviceLinkState;
VB_ENUM_DECL(vb_node_device_link_state);

/* libvirt's virNetDevFeature order; net.features is a bit mask of 1 << value. */
typedef enum {
    VB_NODE_DEVICE_NET_FEATURE_RX = 0,
    VB_NODE_DEVICE_NET_FEATURE_TX,
    VB_NODE_DEVICE_NET_FEATURE_SG,
    VB_NODE_DEVICE_NET_FEATURE_TSO,
    VB_NODE_DEVICE_NET_FEATURE_GSO,
    VB_NODE_DEVICE_NET_FEATURE_GRO,
    VB_NODE_DEVICE_NET_FEATURE_LRO,
    VB_NODE_DEVICE_NET_FEATURE_RXVLAN,
    VB_NODE_DEVICE_NET_FEATURE_TXVLAN,
    VB_NODE_DEVICE_NET_FEATURE_NTUPLE,
    VB_NODE_DEVICE_NET_FEATURE_RXHASH,
    VB_NODE_DEVICE_NET_FEATURE_RDMA,
    VB_NODE_DEVICE_NET_FEATURE_TXUDPTNL,
    VB_NODE_DEVICE_NET_FEATURE_SWITCHDEV,
    VB_NODE_DEVICE_NET_FEATURE_LAST
} VbNodeDeviceNetFeature;
VB_ENUM_DECL(vb_node_device_net_feature);

typedef enum {
    VB_NODE_DEVICE_NET_SUBTYPE_NONE = 0,
    VB_NODE_DEVICE_NET_SUBTYPE_80203,
    VB_NODE_DEVICE_NET_SUBTYPE_80211,
    VB_NODE_DEVICE_NET_SUBTYPE_LAST
} VbNodeDeviceNetSubtype;
VB_ENUM_DECL(vb_node_device_net_subtype);

typedef enum {
    VB_NODE_DEVICE_DRM_PRIMARY = 0,
    VB_NODE_DEVICE_DRM_CONTROL,
    VB_NODE_DEVICE_DRM_RENDER,
    VB_NODE_DEVICE_DRM_LAST
} VbNodeDeviceDrmType;
VB_ENUM_DECL(vb_node_device_drm);

/* A PCI address as libvirt writes it in attributes: domain='0x0000' bus='0x03' slot='0x00'
 * function='0x1'. Shared with network_conf (hostdev forward pools). */
typedef struct {
    guint domain;
    guint bus;
    guint slot;
    guint function;
} VbNodeDevicePciAddress;

/* Reads domain/bus/slot/function (decimal or 0x-hex, absent = 0) and checks the ranges. */
gboolean vb_node_device_pci_address_parse(xmlNodePtr node, VbNodeDevicePciAddress *addr, GError **error);
/* One <address .../> line; with_type adds type='pci' first. */
void vb_node_device_pci_address_format(VbBuf *buf, const VbNodeDevicePciAddress *addr, gboolean with_type);

typedef struct {
    char *id;
    char *name;                 /* optional */
    char *device_api;
    guint available_instances;
} VbNodeDeviceMdevType;

typedef struct {
    gboolean present;
    int port;                   /* -1 when absent (always absent for 'sta') */
    int speed;                  /* VbNodeDevicePcieSpeed */
    guint width;
} VbNodeDevicePcieLink;

typedef struct {
    char *product;
    char *hw_vendor;
    char *hw_version;
    char *hw_serial;
    char hw_uuid[VB_UUID_STRING_LEN];     /* "" when absent; formatted as all zeros */
    char *fw_vendor;
    char *fw_version;
    char *fw_release_date;
} VbNodeDeviceCapSystem;

typedef struct {
    int klass;                  /* -1 when absent */
    guint domain, bus, slot, function;
    guint product;
    char *product_name;
    guint vendor;
    char *vendor_name;
    VbNodeDevicePciAddress *phys_function;   /* set on an SR-IOV virtual function */
    gboolean has_virt_functions;             /* set on an SR-IOV physical function */
    guint max_virt_functions;
    GArray *virt_functions;                  /* VbNodeDevicePciAddress */
    int hdr_type;                            /* VbNodeDevicePciHeader */
    gboolean has_mdev_types;
    GPtrArray *mdev_types;                   /* VbNodeDeviceMdevType* */
    int iommu_group;                         /* -1 when absent */
    GArray *iommu_group_devices;             /* VbNodeDevicePciAddress */
    int numa_node;                           /* -1 when absent */
    gboolean has_pcie;
    VbNodeDevicePcieLink link_cap;
    VbNodeDevicePcieLink link_sta;
} VbNodeDeviceCapPci;

typedef struct {
    guint bus;
    guint device;
    guint product;
    char *product_name;
    guint vendor;
    char *vendor_name;
} VbNodeDeviceCapUsbDev;

typedef struct {
    guint number;
    guint klass;
    guint subclass;
    guint protocol;
    char *description;
} VbNodeDeviceCapUsbInterface;

typedef struct {
    char *ifname;
    char *address;
    guint link_speed;           /* Mbit/s, 0 when unknown */
    int link_state;             /* VbNodeDeviceLinkState */
    guint features;             /* bit mask over VbNodeDeviceNetFeature */
    int subtype;                /* VbNodeDeviceNetSubtype */
} VbNodeDeviceCapNet;

typedef struct {
    guint host;
    int unique_id;              /* -1 when absent */
    gboolean has_fc_host;
    char *wwnn;
    char *wwpn;
    char *fabric_wwn;
    gboolean has_vport_ops;
    guint max_vports;
    guint vports;
} VbNodeDeviceCapScsiHost;

typedef struct {
    char *name;
    gboolean has_fc_rport;
    char *rport;
    char *wwpn;
} VbNodeDeviceCapScsiTarget;

typedef struct {
    guint host, bus, target, lun;
    char *type;
} VbNodeDeviceCapScsi;

typedef struct {
    char *block;
    char *bus;
    char *drive_type;
    char *model;
    char *vendor;
    char *serial;
    guint64 size;
    guint64 logical_block_size;
    guint64 num_blocks;
    gboolean removable;
    gboolean media_available;
    guint64 media_size;
    char *media_label;
    gboolean hotpluggable;
} VbNodeDeviceCapStorage;

typedef struct {
    char *name;
    char *value;
} VbNodeDeviceMdevAttr;

typedef struct {
    char *type;
    char uuid[VB_UUID_STRING_LEN];   /* "" when absent */
    char *parent_addr;
    int iommu_group;                 /* -1 when absent */
    GPtrArray *attrs;                /* VbNodeDeviceMdevAttr* in document order */
} VbNodeDeviceCapMdev;

typedef struct {
    guint cssid;
    guint ssid;
    guint devno;
    gboolean has_mdev_types;         /* css only */
    GPtrArray *mdev_types;           /* VbNodeDeviceMdevType* (css only) */
} VbNodeDeviceCapCcw;

typedef struct {
    VbNodeDeviceCapType type;
    union {
        VbNodeDeviceCapSystem system;
        VbNodeDeviceCapPci pci;
        VbNodeDeviceCapUsbDev usb_dev;
        VbNodeDeviceCapUsbInterface usb_if;
        VbNodeDeviceCapNet net;
        VbNodeDeviceCapScsiHost scsi_host;
        VbNodeDeviceCapScsiTarget scsi_target;
        VbNodeDeviceCapScsi scsi;
        VbNodeDeviceCapStorage storage;
        char *sg_path;                   /* scsi_generic <char> */
        int drm_type;                    /* VbNodeDeviceDrmType */
        VbNodeDeviceCapMdev mdev;
        VbNodeDeviceCapCcw ccw;          /* ccw and css */
        char *vdpa_chardev;
    };
} VbNodeDeviceCap;

typedef struct {
    char *name;
    char *path;                 /* sysfs path */
    char *devnode;              /* <devnode type='dev'> */
    GPtrArray *devlinks;        /* char*, <devnode type='link'> */
    char *parent;
    char *parent_wwnn;          /* <parent wwnn= wwpn= fabric_wwn=>: vHBA creation */
    char *parent_wwpn;
    char *parent_fabric_wwn;
    char *driver;
    GPtrArray *caps;            /* VbNodeDeviceCap*, document order */
} VbNodeDeviceDef;

VbNodeDeviceDef *vb_node_device_def_parse(const char *xml, guint flags, GError **error);
char *vb_node_device_def_format(const VbNodeDeviceDef *def, guint flags);
void vb_node_device_def_free(VbNodeDeviceDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbNodeDeviceDef, vb_node_device_def_free)

/* virNodeDeviceListCaps: each capability's name, each followed by the nested ones libvirt
 * reports (scsi_host: "fc_host", "vports"; pci and css: "mdev_types"). */
GStrv vb_node_device_def_cap_names(const VbNodeDeviceDef *def);
gboolean vb_node_device_def_has_cap(const VbNodeDeviceDef *def, const char *cap);
/* The first top-level capability of @type, or NULL. */
VbNodeDeviceCap *vb_node_device_def_find_cap(const VbNodeDeviceDef *def, VbNodeDeviceCapType type);
/* A random WWN like libvirt's for QEMU ("5001a4a" + 9 hex digits). */
char *vb_node_device_generate_wwn(void);
