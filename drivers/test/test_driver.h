/* test_driver.h: the in-memory test driver (libvirt's "test" driver), test:///default and
 * test:///ABSOLUTE/PATH.xml.
 *
 * test:///default loads VB_SOURCE_DATADIR "/test/default.xml", or the file named by the
 * environment variable VIRTBUS_TEST_DEFAULT_XML when set (installed use). Nothing persists.
 *
 * Shapes of the collection returns:
 * - every GHashTable (node memory/CPU stats, domain memory parameters, block/interface/memory
 *   stats, scheduler parameters) maps a g_strdup'd key to a g_memdup2'd guint64; both are
 *   freed by the table. Keys:
 *     node_get_memory_stats   total, free, buffers, cached (KiB; a single cell: total, free)
 *     node_get_cpu_stats      kernel, user, idle, iowait (ns)
 *     domain_get_memory_parameters  hard_limit, soft_limit, swap_hard_limit (KiB)
 *     domain_block_stats      rd_req, rd_bytes, wr_req, wr_bytes, errs
 *     domain_interface_stats  rx_bytes, rx_packets, rx_errs, rx_drop, tx_bytes, tx_packets,
 *                             tx_errs, tx_drop
 *     domain_memory_stats     actual_balloon, swap_in, swap_out, major_fault, minor_fault,
 *                             unused, available, usable, last_update, disk_caches,
 *                             hugetlb_pgalloc, hugetlb_pgfail, rss (libvirt-dbus's names)
 *     domain_get_scheduler_parameters  weight
 * - node_get_cpu_map: GArray of gboolean, one per host CPU.
 * - domain_get_vcpu_pin_info: GPtrArray (free func g_array_unref) of GArray of gboolean, one
 *   array per vCPU, each as long as the host has CPUs.
 * - domain_pin_vcpu takes a GArray of gboolean (one per host CPU); domain_send_key a GArray
 *   of guint key codes.
 * - typed parameters in and out (blkio, memory, NUMA, perf, scheduler, interface, block I/O
 *   tune): GArray of VbTypedParam from vb_typed_params_new(), names and types as libvirt's;
 *   unknown names fail with VB_ERR_ARGUMENT_UNSUPPORTED "parameter 'x' not supported".
 *   Getters list every parameter in libvirt's order (blkio: weight then five device strings
 *   "path,value,..."; block I/O tune: 20 values, group_name 13th; perf: 22 booleans).
 * - domain_get_iothread_info: GPtrArray of VbIOThreadInfo; domain_get_emulator_pin_info and
 *   every cpumap argument: GArray of gboolean per host CPU.
 * - domain_get_fs_info: GPtrArray of VbFSInfo; domain_interface_addresses: GPtrArray of
 *   VbDomainInterface; domain_get_disk_errors: GPtrArray of VbDiskError; domain_memory_peek:
 *   GBytes. All with their free functions set.
 * - domain_core_dump writes libvirt's test driver's dump: the 15 bytes "TestGuestMagic\0".
 * - network_get_dhcp_leases: GPtrArray (free func g_variant_unref) of floating-sunk GVariant
 *   of type (sxisssuss): iface, expirytime, type (0 IPv4, 1 IPv6), mac, iaid, ipaddr, prefix,
 *   hostname, clientid -- libvirt's virNetworkDHCPLease field order.
 *
 * Events beyond driver.h's enums:
 * - VB_EVENT_INTERFACE: key = interface name, text = its MAC; event 0 DEFINED, 1 UNDEFINED,
 *   2 STARTED, 3 STOPPED (VB_IFACE_EVENT_*).
 * - VB_EVENT_NWFILTER: key = UUID; event 0 DEFINED, 1 UNDEFINED.
 * - VB_EVENT_SNAPSHOT: key = domain UUID, text = snapshot name; event 0 CREATED, 1 DELETED,
 *   2 REVERTED (VB_SNAPSHOT_EVENT_*); presence APPEARED / GONE / SAME.
 * - VB_EVENT_DOMAIN_REBOOT: key = domain UUID, event and detail 0.
 * Storage volumes have no events (libvirt has none either). */
#pragma once

#include "drivers/driver.h"


extern const VbDriver vb_test_driver;
