/* test_domain_stats.c: statistics and guest requests of test driver domains; the numbers are
 * libvirt's test driver's (fixed, or derived from the clock so that they grow) */
#include <string.h>

#include "drivers/test/test_private.h"

#define TEST_BLOCK_CAPACITY 1099506450432ull
#define TEST_BLOCK_ALLOCATION 1099511627776ull
#define TEST_GUEST_TIME 627319920
#define TEST_SEND_KEY_MAX 16

static const char *const keycode_sets[] = {
    "linux", "xt", "atset1", "atset2", "atset3", "os_x", "xt_kbd", "usb", "win32", "qnum", NULL,
};

gboolean
test_domain_get_block_info(VbConn *conn, VbDomainObj *dom, const char *disk, VbBlockInfo *info, GError **error)
{
    VbDiskDef *def = disk ? vb_domain_def_find_disk(dom->def, disk) : NULL;

    if (!def) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "invalid path %s not assigned to domain", disk ? disk : "");
        return FALSE;
    }
    if (!def->source_file && !def->source_name && !def->source_volume) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "disk '%s' does not currently have a source assigned", disk);
        return FALSE;
    }
    info->capacity = TEST_BLOCK_CAPACITY;
    info->allocation = TEST_BLOCK_ALLOCATION;
    info->physical = TEST_BLOCK_ALLOCATION;
    return TRUE;
}

GHashTable *
test_domain_block_stats(VbConn *conn, VbDomainObj *dom, const char *disk, GError **error)
{
    guint64 base = (guint64)g_get_real_time();
    GHashTable *stats;

    if (!disk || !*disk) {
        vb_set_error(error, VB_ERR_OPERATION_UNSUPPORTED, "summary statistics are not supported yet");
        return NULL;
    }
    if (!test_domain_check_active(dom, error))
        return NULL;
    if (!vb_domain_def_find_disk(dom->def, disk)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "invalid path: %s", disk);
        return NULL;
    }
    stats = test_stats_new();
    test_stats_set(stats, "rd_req", base / 10);
    test_stats_set(stats, "rd_bytes", base / 20);
    test_stats_set(stats, "wr_req", base / 30);
    test_stats_set(stats, "wr_bytes", base / 40);
    test_stats_set(stats, "errs", base / (1000 * 1000 * 2));
    return stats;
}

GHashTable *
test_domain_interface_stats(VbConn *conn, VbDomainObj *dom, const char *device, GError **error)
{
    guint64 base = (guint64)g_get_real_time();
    GHashTable *stats;

    if (!test_domain_check_active(dom, error))
        return NULL;
    if (!device || !vb_domain_def_find_net(dom->def, device)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "'%s' is not a known interface", device ? device : "");
        return NULL;
    }
    stats = test_stats_new();
    test_stats_set(stats, "rx_bytes", base / 10);
    test_stats_set(stats, "rx_packets", base / 100);
    test_stats_set(stats, "rx_errs", base / (1000 * 1000 * 1));
    test_stats_set(stats, "rx_drop", base / (1000 * 1000 * 2));
    test_stats_set(stats, "tx_bytes", base / 20);
    test_stats_set(stats, "tx_packets", base / 110);
    test_stats_set(stats, "tx_errs", base / (1000 * 1000 * 3));
    test_stats_set(stats, "tx_drop", base / (1000 * 1000 * 4));
    return stats;
}

GHashTable *
test_domain_memory_stats(VbConn *conn, VbDomainObj *dom, guint flags, GError **error)
{
    GHashTable *stats;
    guint64 cur;

    if (!vb_check_flags(flags, 0, "virDomainMemoryStats", error) || !test_domain_check_active(dom, error))
        return NULL;
    stats = test_stats_new();
    if (!vb_domain_def_has_memballoon(dom->def))
        return stats;
    cur = dom->def->current_memory_kib;
    test_stats_set(stats, "actual_balloon", cur);
    test_stats_set(stats, "swap_in", 0);
    test_stats_set(stats, "swap_out", 0);
    test_stats_set(stats, "major_fault", 0);
    test_stats_set(stats, "minor_fault", 0);
    test_stats_set(stats, "unused", cur / 2);
    test_stats_set(stats, "available", cur);
    test_stats_set(stats, "usable", cur / 2);
    test_stats_set(stats, "last_update", TEST_GUEST_TIME);
    test_stats_set(stats, "disk_caches", cur / 8);
    test_stats_set(stats, "hugetlb_pgalloc", 0);
    test_stats_set(stats, "hugetlb_pgfail", 0);
    test_stats_set(stats, "rss", cur / 2);
    return stats;
}

gboolean
test_domain_get_time(VbConn *conn, VbDomainObj *dom, gint64 *seconds, guint *nseconds, GError **error)
{
    if (dom->state != VB_DOMAIN_RUNNING) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "domain is not running");
        return FALSE;
    }
    *seconds = test_domain_priv(conn, dom)->seconds;
    *nseconds = test_domain_priv(conn, dom)->nseconds;
    return TRUE;
}

char *
test_domain_get_scheduler_type(VbConn *conn, VbDomainObj *dom, int *nparams, GError **error)
{
    if (nparams)
        *nparams = 1;
    return g_strdup("fair");
}

GArray *
test_domain_get_scheduler_parameters(VbConn *conn, VbDomainObj *dom, guint flags, GError **error)
{
    GArray *params;

    if (!vb_check_flags(flags, VB_AFFECT_LIVE | VB_AFFECT_CONFIG | VB_TYPED_PARAM_STRING_OKAY,
                        "virDomainGetSchedulerParametersFlags", error))
        return NULL;
    params = vb_typed_params_new();
    vb_typed_params_add_uint(params, "weight", 50);
    return params;
}

char *
test_domain_get_hostname(VbConn *conn, VbDomainObj *dom, guint flags, GError **error)
{
    if (!vb_check_flags(flags, 0, "virDomainGetHostname", error) || !test_domain_check_active(dom, error))
        return NULL;
    return g_strdup_printf("%shost", dom->def->name);
}

/* The highest code each set knows: Linux input codes reach KEY_MAX, the rest fit a byte. */
static guint
keycode_max(guint codeset)
{
    return codeset == 0 ? 0x2ff : codeset == 9 ? 0xdf : 0xff;
}

static gboolean
check_keys(guint codeset, GArray *keys, GError **error)
{
    if (codeset >= G_N_ELEMENTS(keycode_sets) - 1) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "unsupported codeset %u", codeset);
        return FALSE;
    }
    if (!keys || keys->len == 0 || keys->len > TEST_SEND_KEY_MAX) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "nkeycodes must be between 1 and %d", TEST_SEND_KEY_MAX);
        return FALSE;
    }
    for (guint i = 0; i < keys->len; i++) {
        guint key = g_array_index(keys, guint, i);
        if (key > keycode_max(codeset)) {
            vb_set_error(error, VB_ERR_INTERNAL_ERROR, "invalid keycode %u of %s codeset", key,
                         keycode_sets[codeset]);
            return FALSE;
        }
    }
    return TRUE;
}

gboolean
test_domain_send_key(VbConn *conn, VbDomainObj *dom, guint codeset, guint holdtime, GArray *keys, guint flags,
                     GError **error)
{
    return vb_check_flags(flags, 0, "virDomainSendKey", error) && test_domain_check_active(dom, error) &&
           check_keys(codeset, keys, error);
}

gboolean
test_domain_inject_nmi(VbConn *conn, VbDomainObj *dom, guint flags, GError **error)
{
    return vb_check_flags(flags, 0, "virDomainInjectNMI", error) && test_domain_check_active(dom, error);
}
