/* network_conf.h: libvirt's network XML: parse, format, validation and virNetworkUpdate */
#pragma once

#include <glib.h>

#include "vb_xml.h"
#include "vb_uuid.h"
#include "nodedev_conf.h"   /* VbNodeDevicePciAddress for hostdev pools */

typedef enum {
    VB_NETWORK_XML_INACTIVE = 1 << 0,     /* libvirt's VIR_NETWORK_XML_INACTIVE */
} VbNetworkXmlFlags;

/* libvirt's virNetworkUpdateCommand */
typedef enum {
    VB_NETWORK_UPDATE_COMMAND_NONE = 0,
    VB_NETWORK_UPDATE_COMMAND_MODIFY = 1,
    VB_NETWORK_UPDATE_COMMAND_DELETE = 2,
    VB_NETWORK_UPDATE_COMMAND_ADD_LAST = 3,
    VB_NETWORK_UPDATE_COMMAND_ADD_FIRST = 4,
} VbNetworkUpdateCommand;

/* libvirt's virNetworkUpdateSection */
typedef enum {
    VB_NETWORK_SECTION_NONE = 0,
    VB_NETWORK_SECTION_BRIDGE = 1,
    VB_NETWORK_SECTION_DOMAIN = 2,
    VB_NETWORK_SECTION_IP = 3,
    VB_NETWORK_SECTION_IP_DHCP_HOST = 4,
    VB_NETWORK_SECTION_IP_DHCP_RANGE = 5,
    VB_NETWORK_SECTION_FORWARD = 6,
    VB_NETWORK_SECTION_FORWARD_INTERFACE = 7,
    VB_NETWORK_SECTION_FORWARD_PF = 8,
    VB_NETWORK_SECTION_PORTGROUP = 9,
    VB_NETWORK_SECTION_DNS_HOST = 10,
    VB_NETWORK_SECTION_DNS_TXT = 11,
    VB_NETWORK_SECTION_DNS_SRV = 12,
    VB_NETWORK_SECTION_LAST
} VbNetworkUpdateSection;

/* libvirt's virNetworkUpdateFlags (AFFECT_CURRENT is 0) */
typedef enum {
    VB_NETWORK_UPDATE_AFFECT_CURRENT = 0,
    VB_NETWORK_UPDATE_AFFECT_LIVE = 1 << 0,
    VB_NETWORK_UPDATE_AFFECT_CONFIG = 1 << 1,
} VbNetworkUpdateFlags;

typedef enum {
    VB_NETWORK_FORWARD_NONE = 0,
    VB_NETWORK_FORWARD_NAT,
    VB_NETWORK_FORWARD_ROUTE,
    VB_NETWORK_FORWARD_OPEN,
    VB_NETWORK_FORWARD_BRIDGE,
    VB_NETWORK_FORWARD_PRIVATE,
    VB_NETWORK_FORWARD_VEPA,
    VB_NETWORK_FORWARD_PASSTHROUGH,
    VB_NETWORK_FORWARD_HOSTDEV,
    VB_NETWORK_FORWARD_LAST
} VbNetworkForwardMode;
VB_ENUM_DECL(vb_network_forward);

typedef enum {
    VB_NETWORK_FORWARD_DRIVER_DEFAULT = 0,
    VB_NETWORK_FORWARD_DRIVER_KVM,
    VB_NETWORK_FORWARD_DRIVER_VFIO,
    VB_NETWORK_FORWARD_DRIVER_LAST
} VbNetworkForwardDriver;
VB_ENUM_DECL(vb_network_forward_driver);

typedef enum {
    VB_NETWORK_MAC_TABLE_MANAGER_DEFAULT = 0,
    VB_NETWORK_MAC_TABLE_MANAGER_KERNEL,
    VB_NETWORK_MAC_TABLE_MANAGER_LIBVIRT,
    VB_NETWORK_MAC_TABLE_MANAGER_LAST
} VbNetworkMacTableManager;
VB_ENUM_DECL(vb_network_mac_table_manager);

typedef enum {
    VB_NETWORK_LEASE_UNIT_SECONDS = 0,
    VB_NETWORK_LEASE_UNIT_MINUTES,
    VB_NETWORK_LEASE_UNIT_HOURS,
    VB_NETWORK_LEASE_UNIT_LAST
} VbNetworkLeaseUnit;
VB_ENUM_DECL(vb_network_lease_unit);

typedef enum {
    VB_NETWORK_VLAN_NATIVE_DEFAULT = 0,
    VB_NETWORK_VLAN_NATIVE_TAGGED,
    VB_NETWORK_VLAN_NATIVE_UNTAGGED,
    VB_NETWORK_VLAN_NATIVE_LAST
} VbNetworkVlanNativeMode;
VB_ENUM_DECL(vb_network_vlan_native);

typedef enum {
    VB_NETWORK_VIRTUALPORT_NONE = 0,
    VB_NETWORK_VIRTUALPORT_8021QBG,
    VB_NETWORK_VIRTUALPORT_8021QBH,
    VB_NETWORK_VIRTUALPORT_OPENVSWITCH,
    VB_NETWORK_VIRTUALPORT_MIDONET,
    VB_NETWORK_VIRTUALPORT_LAST
} VbNetworkVirtualPortType;
VB_ENUM_DECL(vb_network_virtualport);

/* Addresses are kept as text in GInetAddress's canonical spelling. */

typedef struct {
    guint64 average;            /* kB/s; 0 = unset */
    guint64 peak;
    guint64 floor;              /* inbound only */
    guint64 burst;
} VbNetworkBandwidthRate;

typedef struct {
    VbNetworkBandwidthRate *inbound;
    VbNetworkBandwidthRate *outbound;
} VbNetworkBandwidth;

typedef struct {
    GArray *tags;               /* guint, each < 4096 */
    gboolean trunk;
    int native_mode;            /* VbNetworkVlanNativeMode */
    guint native_index;         /* the tag (by position: ids may repeat) it applies to */
} VbNetworkVlan;

typedef struct {
    char *name;
    char *value;
} VbNetworkParam;

typedef struct {
    int type;                   /* VbNetworkVirtualPortType; NONE = no type attribute */
    GPtrArray *params;          /* VbNetworkParam*: <parameters> attributes, libvirt's order */
} VbNetworkVirtualPort;

typedef struct {
    char *name;
    gboolean is_default;
    VbTristate trust_guest_rx_filters;
    VbNetworkVlan *vlan;
    VbNetworkVirtualPort *virtualport;
    VbNetworkBandwidth *bandwidth;
} VbNetworkPortGroup;

typedef struct {
    guint64 expiry;             /* 0 = infinite */
    int unit;                   /* VbNetworkLeaseUnit */
} VbNetworkDhcpLease;

typedef struct {
    char *start;
    char *end;
    VbNetworkDhcpLease *lease;
} VbNetworkDhcpRange;

typedef struct {
    char *mac;                  /* lowercase aa:bb:.. or NULL */
    char *id;                   /* DHCPv6 client id or NULL */
    char *name;
    char *ip;
    VbNetworkDhcpLease *lease;
} VbNetworkDhcpHost;

typedef struct {
    char *family;               /* "ipv4", "ipv6", or NULL (IPv4) */
    char *address;
    char *netmask;              /* IPv4 only, exclusive with prefix */
    guint prefix;               /* 0 = not given */
    VbTristate local_ptr;
    char *tftp_root;
    GPtrArray *ranges;          /* VbNetworkDhcpRange* */
    GPtrArray *hosts;           /* VbNetworkDhcpHost* */
    char *bootp_file;
    char *bootp_server;
} VbNetworkIpDef;

typedef struct {
    char *family;
    char *address;
    char *netmask;
    gboolean has_prefix;
    guint prefix;
    char *gateway;
    guint metric;               /* 0 = not given */
} VbNetworkRoute;

typedef struct {
    char *domain;
    char *addr;
} VbNetworkDnsForwarder;

typedef struct {
    char *name;
    char *value;
} VbNetworkDnsTxt;

typedef struct {
    char *ip;
    GPtrArray *hostnames;       /* char* */
} VbNetworkDnsHost;

typedef struct {
    char *service;
    char *protocol;
    char *domain;
    char *target;
    guint port;                 /* 0 = not given, as are priority and weight */
    guint priority;
    guint weight;
} VbNetworkDnsSrv;

typedef struct {
    VbTristate enable;
    VbTristate forward_plain_names;
    GPtrArray *forwarders;      /* VbNetworkDnsForwarder* */
    GPtrArray *txts;            /* VbNetworkDnsTxt* */
    GPtrArray *hosts;           /* VbNetworkDnsHost* */
    GPtrArray *srvs;            /* VbNetworkDnsSrv* */
} VbNetworkDns;

typedef struct {
    int mode;                   /* VbNetworkForwardMode */
    gboolean managed;           /* hostdev */
    int driver;                 /* VbNetworkForwardDriver */
    char *nat_start;            /* <nat><address start= end=> */
    char *nat_end;
    guint nat_port_start;       /* <nat><port>, 0 = not given */
    guint nat_port_end;
    VbTristate nat_ipv6;
    GPtrArray *pfs;             /* char* dev, at most one */
    GPtrArray *interfaces;      /* char* dev; <forward dev=> is the first */
    GArray *addresses;          /* VbNodeDevicePciAddress, hostdev pools */
} VbNetworkForward;

typedef struct {
    char *name;
    char uuid[VB_UUID_STRING_LEN];
    gboolean ipv6;                          /* <network ipv6='yes'> */
    VbTristate trust_guest_rx_filters;
    VbNetworkForward forward;
    char *bridge;                           /* NULL: the driver picks virbrN */
    char *bridge_zone;
    VbTristate stp;                         /* ABSENT means on */
    guint64 delay;
    int mac_table_manager;                  /* VbNetworkMacTableManager */
    guint mtu;                              /* 0 = not given */
    char *mac;
    char *domain;
    VbTristate domain_local_only;
    VbNetworkDns dns;
    VbNetworkVlan *vlan;
    VbNetworkBandwidth *bandwidth;
    GPtrArray *ips;                         /* VbNetworkIpDef* */
    GPtrArray *routes;                      /* VbNetworkRoute* */
    VbNetworkVirtualPort *virtualport;
    GPtrArray *portgroups;                  /* VbNetworkPortGroup* */
} VbNetworkDef;

/* Parse flags: libvirt's VIR_NETWORK_DEFINE_VALIDATE checks against data/schemas/network.rng. */
#define VB_NETWORK_DEFINE_VALIDATE (1u << 0)

/* @flags: VB_NETWORK_DEFINE_VALIDATE or 0; a missing <uuid> is generated. */
VbNetworkDef *vb_network_def_parse(const char *xml, guint flags, GError **error);
char *vb_network_def_format(const VbNetworkDef *def, guint flags);
void vb_network_def_free(VbNetworkDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbNetworkDef, vb_network_def_free)

/* virNetworkUpdate on a definition: @command is a VbNetworkUpdateCommand, @section a
 * VbNetworkUpdateSection, @parent_index the <ip> for dhcp sections (-1: the one with dhcp),
 * @xml the element, @flags VbNetworkUpdateFlags. On error @def is unchanged. */
gboolean vb_network_def_update(VbNetworkDef *def, guint command, guint section, int parent_index,
                               const char *xml, guint flags, GError **error);

/* The prefix length of @ip (prefix, netmask, or the IPv4 class / 64 default); -1 if none. */
int vb_network_ip_def_prefix(const VbNetworkIpDef *ip);
/* TRUE for the modes where libvirt runs the bridge itself (none, nat, route, open). */
gboolean vb_network_forward_is_routed(int mode);
