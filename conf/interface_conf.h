/* interface_conf.h: libvirt's host interface (netcf) XML, parsed and formatted in pairs */
#pragma once

#include <glib.h>

#include "vb_uuid.h"
#include "vb_xml.h"

typedef enum {
    VB_INTERFACE_ETHERNET,
    VB_INTERFACE_BRIDGE,
    VB_INTERFACE_BOND,
    VB_INTERFACE_VLAN,
    VB_INTERFACE_LAST
} VbInterfaceType;
VB_ENUM_DECL(vb_interface_type);

typedef enum {
    VB_INTERFACE_START_UNSPECIFIED,   /* no <start> element */
    VB_INTERFACE_START_NONE,
    VB_INTERFACE_START_ONBOOT,
    VB_INTERFACE_START_HOTPLUG,
    VB_INTERFACE_START_LAST
} VbInterfaceStartMode;
VB_ENUM_DECL(vb_interface_start_mode);

/* libvirt's virNetDevIfState */
typedef enum {
    VB_INTERFACE_LINK_UNKNOWN,
    VB_INTERFACE_LINK_NOT_PRESENT,
    VB_INTERFACE_LINK_DOWN,
    VB_INTERFACE_LINK_LOWER_LAYER_DOWN,
    VB_INTERFACE_LINK_TESTING,
    VB_INTERFACE_LINK_DORMANT,
    VB_INTERFACE_LINK_UP,
    VB_INTERFACE_LINK_LAST
} VbInterfaceLinkState;
VB_ENUM_DECL(vb_interface_link_state);

typedef enum {
    VB_INTERFACE_BOND_NONE,           /* no mode attribute */
    VB_INTERFACE_BOND_BALANCE_RR,
    VB_INTERFACE_BOND_ACTIVE_BACKUP,
    VB_INTERFACE_BOND_BALANCE_XOR,
    VB_INTERFACE_BOND_BROADCAST,
    VB_INTERFACE_BOND_8023AD,
    VB_INTERFACE_BOND_BALANCE_TLB,
    VB_INTERFACE_BOND_BALANCE_ALB,
    VB_INTERFACE_BOND_LAST
} VbInterfaceBondMode;
VB_ENUM_DECL(vb_interface_bond_mode);

typedef enum {
    VB_INTERFACE_MONITOR_NONE,        /* neither <miimon> nor <arpmon> */
    VB_INTERFACE_MONITOR_MII,
    VB_INTERFACE_MONITOR_ARP,
} VbInterfaceBondMonitor;

typedef enum {
    VB_INTERFACE_CARRIER_NONE,        /* attribute absent */
    VB_INTERFACE_CARRIER_IOCTL,
    VB_INTERFACE_CARRIER_NETIF,
    VB_INTERFACE_CARRIER_LAST
} VbInterfaceBondCarrier;
VB_ENUM_DECL(vb_interface_bond_carrier);

typedef enum {
    VB_INTERFACE_ARP_VALIDATE_NONE,
    VB_INTERFACE_ARP_VALIDATE_ACTIVE,
    VB_INTERFACE_ARP_VALIDATE_BACKUP,
    VB_INTERFACE_ARP_VALIDATE_ALL,
    VB_INTERFACE_ARP_VALIDATE_LAST
} VbInterfaceArpValidate;
VB_ENUM_DECL(vb_interface_arp_validate);

typedef enum {
    VB_INTERFACE_FAMILY_IPV4,
    VB_INTERFACE_FAMILY_IPV6,
    VB_INTERFACE_FAMILY_LAST
} VbInterfaceFamily;
VB_ENUM_DECL(vb_interface_family);

typedef struct {
    char *address;
    guint prefix;                     /* 0 when absent */
} VbInterfaceIp;

typedef struct {
    VbInterfaceFamily family;
    gboolean autoconf;                /* ipv6 only */
    gboolean dhcp;
    VbTristate peerdns;
    GPtrArray *ips;                   /* VbInterfaceIp */
    char *gateway;
} VbInterfaceProtocol;

typedef struct _VbInterfaceDef VbInterfaceDef;

typedef struct {
    VbTristate stp;                   /* on / off */
    char *delay;                      /* seconds, as written ("0.01") */
    GPtrArray *ifaces;                /* VbInterfaceDef: ethernet, vlan or bond */
} VbInterfaceBridge;

typedef struct {
    VbInterfaceBondMode mode;
    VbInterfaceBondMonitor monitor;
    guint freq;                       /* miimon */
    guint downdelay;
    guint updelay;
    VbInterfaceBondCarrier carrier;
    guint interval;                   /* arpmon */
    char *target;
    VbInterfaceArpValidate validate;
    GPtrArray *ifaces;                /* VbInterfaceDef, ethernet */
} VbInterfaceBond;

typedef struct {
    guint tag;
    char *dev_name;
} VbInterfaceVlan;

struct _VbInterfaceDef {
    VbInterfaceType type;
    char *name;
    VbInterfaceStartMode start_mode;  /* top level only */
    char *mac;                        /* canonical aa:bb:cc:dd:ee:ff, or NULL */
    guint mtu;                        /* 0 when absent */
    guint link_speed;                 /* Mbit/s, 0 when absent */
    VbInterfaceLinkState link_state;  /* UNKNOWN when absent */
    GPtrArray *protocols;             /* VbInterfaceProtocol; top level only */
    VbInterfaceBridge bridge;
    VbInterfaceBond bond;
    VbInterfaceVlan vlan;
};

VbInterfaceDef *vb_interface_def_parse(const char *xml, guint flags, GError **error);
char *vb_interface_def_format(const VbInterfaceDef *def, guint flags);
void vb_interface_def_free(VbInterfaceDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbInterfaceDef, vb_interface_def_free)
