/* fuzz-conf: a libFuzzer target for one conf/ parser, chosen when it is built with
 * -DVB_FUZZ_KIND_<KIND> (DOMAIN, NETWORK, NODEDEV, STORAGEPOOL, STORAGEVOL, SECRET, INTERFACE,
 * NWFILTER, SNAPSHOT).
 *
 * Each input is NUL-terminated and parsed. A definition that parses is formatted, and the text
 * must parse again: if it does not, the target aborts. With VB_FUZZ_FIXED_POINT=1 in the
 * environment it also aborts when formatting that second definition does not give the same text
 * (test-conf's fixed-point rule). Everything is freed, so LeakSanitizer sees real leaks only. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "conf/domain_conf.h"
#include "conf/interface_conf.h"
#include "conf/network_conf.h"
#include "conf/nodedev_conf.h"
#include "conf/nwfilter_conf.h"
#include "conf/secret_conf.h"
#include "conf/snapshot_conf.h"
#include "conf/storage_conf.h"

#define FUZZ_KIND(name, type, prefix) \
    static const char fuzz_kind[] = name; \
    static void *fuzz_parse(const char *xml, GError **error) \
    { return prefix##_parse(xml, 0, error); } \
    static char *fuzz_format(const void *def) \
    { return prefix##_format((const type *)def, 0); } \
    static void fuzz_free(void *def) \
    { prefix##_free((type *)def); }

#if defined(VB_FUZZ_KIND_DOMAIN)
FUZZ_KIND("domain", VbDomainDef, vb_domain_def)
#elif defined(VB_FUZZ_KIND_NETWORK)
FUZZ_KIND("network", VbNetworkDef, vb_network_def)
#elif defined(VB_FUZZ_KIND_NODEDEV)
FUZZ_KIND("nodedev", VbNodeDeviceDef, vb_node_device_def)
#elif defined(VB_FUZZ_KIND_STORAGEPOOL)
FUZZ_KIND("storagepool", VbStoragePoolDef, vb_storage_pool_def)
#elif defined(VB_FUZZ_KIND_STORAGEVOL)
FUZZ_KIND("storagevol", VbStorageVolDef, vb_storage_vol_def)
#elif defined(VB_FUZZ_KIND_SECRET)
FUZZ_KIND("secret", VbSecretDef, vb_secret_def)
#elif defined(VB_FUZZ_KIND_INTERFACE)
FUZZ_KIND("interface", VbInterfaceDef, vb_interface_def)
#elif defined(VB_FUZZ_KIND_NWFILTER)
FUZZ_KIND("nwfilter", VbNWFilterDef, vb_nwfilter_def)
#elif defined(VB_FUZZ_KIND_SNAPSHOT)
FUZZ_KIND("snapshot", VbSnapshotDef, vb_snapshot_def)
#else
#error "build with -DVB_FUZZ_KIND_<KIND>"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gboolean
fixed_point_wanted(void)
{
    static int wanted = -1;

    if (wanted < 0)
        wanted = g_strcmp0(g_getenv("VB_FUZZ_FIXED_POINT"), "1") == 0;
    return wanted == 1;
}

G_GNUC_NORETURN static void
fuzz_fail(const char *what, const char *text, const char *detail)
{
    fprintf(stderr, "fuzz-%s: %s\n--- formatted text ---\n%s--- end ---\n%s\n", fuzz_kind, what, text,
            detail ? detail : "");
    abort();
}

/* The formatted text must parse, and with VB_FUZZ_FIXED_POINT=1 format to itself. */
static void
check_round_trip(const char *formatted)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *again = NULL;
    void *def = fuzz_parse(formatted, &error);

    if (!def)
        fuzz_fail("formatted definition does not parse", formatted, error ? error->message : NULL);
    if (fixed_point_wanted()) {
        again = fuzz_format(def);
        if (!again || strcmp(again, formatted) != 0)
            fuzz_fail("formatting is not a fixed point", formatted, again);
    }
    fuzz_free(def);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *xml = g_malloc(size + 1);
    g_autoptr(GError) error = NULL;
    g_autofree char *formatted = NULL;
    void *def;

    memcpy(xml, data, size);
    xml[size] = '\0';
    def = fuzz_parse(xml, &error);
    if (!def)
        return 0;
    formatted = fuzz_format(def);
    fuzz_free(def);
    if (!formatted)
        fuzz_fail("a parsed definition does not format", "", NULL);
    check_round_trip(formatted);
    return 0;
}
