/* test_cpu.c: CPU comparison and baseline for the test driver.
 *
 * The host CPU is the <cpu> of the driver's capabilities. Those (like libvirt's fixed test
 * capabilities) name no model, and libvirt compares nothing against a CPU of unknown model,
 * so a missing model and vendor are taken as TEST_HOST_MODEL from Intel. */
#include "conf/cpu_conf.h"
#include "drivers/test/test_private.h"

#define TEST_HOST_MODEL "SandyBridge"
#define TEST_HOST_VENDOR "Intel"

static gboolean
test_host_cpu(VbConn *conn, VbCpuDef *host, GError **error)
{
    g_autofree char *caps = test_get_capabilities(conn, error);

    if (!caps || !vb_cpu_def_parse_xml(caps, host, NULL, error))
        return FALSE;
    if (!host->model) {
        host->model = g_strdup(TEST_HOST_MODEL);
        host->vendor = g_strdup(TEST_HOST_VENDOR);
    }
    return TRUE;
}

gboolean
test_compare_cpu(VbConn *conn, const char *xml, guint flags, int *result, GError **error)
{
    const VbCpuDb *db = vb_cpu_db_default(error);
    VbCpuDef host;
    gboolean ok = FALSE;

    if (!db)
        return FALSE;
    vb_cpu_def_init(&host);
    if (test_host_cpu(conn, &host, error)) {
        *result = vb_cpu_compare_xml(db, &host, xml, flags, error);
        ok = *result != VB_CPU_COMPARE_ERROR;
    }
    vb_cpu_def_clear(&host);
    return ok;
}

char *
test_baseline_cpu(VbConn *conn, const char *const *xml_cpus, guint flags, GError **error)
{
    const VbCpuDb *db = vb_cpu_db_default(error);

    return db ? vb_cpu_baseline_xml(db, xml_cpus, flags, error) : NULL;
}
