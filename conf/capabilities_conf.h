/* capabilities_conf.h: the <host> part of libvirt's capabilities XML, read from a host's
 * /sys and /proc (or a recorded copy of them) */
#pragma once

#include <glib.h>

/* <host>...</host> (lines indented by @indent spaces, as inside <capabilities>) describing the
 * machine whose /sys, /proc and /etc live under @root ("/" for this one): UUID, CPU (model,
 * vendor and features matched against the CPU model database), page sizes, power management,
 * IOMMU, migration features, NUMA cells and L3 cache banks.
 * A missing or unreadable file only leaves its element out; @error is set only when the CPU
 * model database cannot be loaded. */
char *vb_capabilities_host_format(const char *root, int indent, GError **error);
