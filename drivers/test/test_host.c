/* test_host.c: host facts of the test driver (capabilities, node info, host statistics) */
#include <string.h>

#include "conf/cpu_conf.h"
#include "drivers/test/test_private.h"

/* libvirt's TEST_NB_CPU_STATS values (ns) */
#define TEST_CPU_KERNEL 34678723400000ull
#define TEST_CPU_USER 9797400000ull
#define TEST_CPU_IDLE 87264900000ull
#define TEST_CPU_IOWAIT 763600000ull
#define TEST_MEM_BUFFERS_KIB 65536ull
#define TEST_MEM_CACHED_KIB 262144ull

static const guint host_page_sizes_kib[] = { 4, 2048, 1048576 };

static const char *const known_arches[] = {
    "i686", "x86_64", "aarch64", "armv6l", "armv7l", "armv7b", "ppc", "ppc64", "ppc64le",
    "s390", "s390x", "riscv32", "riscv64", "mips", "mipsel", "mips64", "mips64el", "sparc",
    "sparc64", "alpha", "loongarch64", NULL,
};

GHashTable *
test_stats_new(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

void
test_stats_set(GHashTable *stats, const char *key, guint64 value)
{
    g_hash_table_replace(stats, g_strdup(key), g_memdup2(&value, sizeof(value)));
}

/* libvirt's test driver reports hypervisor version 2 (0.0.2). */
gboolean
test_get_version(VbConn *conn, guint64 *version, GError **error)
{
    *version = 2;
    return TRUE;
}

char *
test_get_hostname(VbConn *conn, GError **error)
{
    return g_strdup(g_get_host_name());
}

/* ---- capabilities ---- */

/* "a-b" for the hyperthread siblings of @cpu's core. */
static char *
cpu_siblings(guint cpu, guint threads)
{
    guint first = cpu - cpu % threads;

    if (threads == 1)
        return g_strdup_printf("%u", cpu);
    return g_strdup_printf("%u-%u", first, first + threads - 1);
}

static void
format_cell_cpus(VbBuf *buf, const VbNodeInfo *node, const TestCell *cell, guint cell_id)
{
    guint per_socket = node->cores * node->threads;

    vb_buf_add(buf, "<cpus num='%u'>\n", cell->ncpus);
    for (guint i = 0; i < cell->ncpus; i++) {
        guint cpu = cell->first_cpu + i;
        g_autofree char *siblings = cpu_siblings(cpu, node->threads);

        vb_buf_add(buf, "  <cpu id='%u' socket_id='%u' die_id='0' core_id='%u' siblings='%s'/>\n", cpu,
                   cell_id * node->sockets + i / per_socket, (i / node->threads) % node->cores, siblings);
    }
    vb_buf_add(buf, "</cpus>\n");
}

static void
format_cells(VbBuf *buf, TestPriv *priv)
{
    vb_buf_add(buf, "<topology>\n");
    vb_buf_add(buf, "  <cells num='%u'>\n", priv->cells->len);
    buf->indent += 4;
    for (guint i = 0; i < priv->cells->len; i++) {
        const TestCell *cell = &g_array_index(priv->cells, TestCell, i);

        vb_buf_add(buf, "<cell id='%u'>\n", i);
        buf->indent += 2;
        vb_buf_add(buf, "<memory unit='KiB'>%" G_GUINT64_FORMAT "</memory>\n", cell->mem_kib);
        vb_buf_add(buf, "<pages unit='KiB' size='4'>%" G_GUINT64_FORMAT "</pages>\n", cell->mem_kib / 4);
        vb_buf_add(buf, "<pages unit='KiB' size='2048'>0</pages>\n");
        vb_buf_add(buf, "<pages unit='KiB' size='1048576'>0</pages>\n");
        format_cell_cpus(buf, &priv->node, cell, i);
        buf->indent -= 2;
        vb_buf_add(buf, "</cell>\n");
    }
    buf->indent -= 4;
    vb_buf_add(buf, "  </cells>\n");
    vb_buf_add(buf, "</topology>\n");
}

static void
format_caps_host(VbBuf *buf, TestPriv *priv)
{
    vb_buf_add(buf, "<host>\n");
    buf->indent += 2;
    vb_buf_add(buf, "<uuid>%s</uuid>\n", priv->host_uuid);
    vb_buf_add(buf, "<cpu>\n");
    vb_buf_add(buf, "  <arch>i686</arch>\n");
    vb_buf_add(buf, "  <features>\n    <pae/>\n    <nonpae/>\n  </features>\n");
    vb_buf_add(buf, "  <topology sockets='%u' dies='1' cores='%u' threads='%u'/>\n",
               priv->node.sockets, priv->node.cores, priv->node.threads);
    for (gsize i = 0; i < G_N_ELEMENTS(host_page_sizes_kib); i++)
        vb_buf_add(buf, "  <pages unit='KiB' size='%u'/>\n", host_page_sizes_kib[i]);
    vb_buf_add(buf, "</cpu>\n");
    vb_buf_add(buf, "<power_management/>\n");
    vb_buf_add(buf, "<iommu support='no'/>\n");
    format_cells(buf, priv);
    vb_buf_add(buf, "<secmodel>\n  <model>testSecurity</model>\n  <doi></doi>\n</secmodel>\n");
    buf->indent -= 2;
    vb_buf_add(buf, "</host>\n\n");
}

static void
format_caps_guest(VbBuf *buf, const char *arch, guint wordsize)
{
    vb_buf_add(buf, "<guest>\n");
    vb_buf_add(buf, "  <os_type>hvm</os_type>\n");
    vb_buf_add(buf, "  <arch name='%s'>\n", arch);
    vb_buf_add(buf, "    <wordsize>%u</wordsize>\n", wordsize);
    vb_buf_add(buf, "    <emulator>%s</emulator>\n", TEST_EMULATOR);
    vb_buf_add(buf, "    <domain type='test'/>\n");
    vb_buf_add(buf, "  </arch>\n");
    if (wordsize == 32)
        vb_buf_add(buf, "  <features>\n    <pae/>\n    <nonpae/>\n  </features>\n");
    vb_buf_add(buf, "</guest>\n\n");
}

char *
test_get_capabilities(VbConn *conn, GError **error)
{
    VbBuf buf;

    vb_buf_init(&buf, 0);
    vb_buf_add(&buf, "<capabilities>\n\n");
    buf.indent = 2;
    format_caps_host(&buf, test_priv(conn));
    format_caps_guest(&buf, "i686", 32);
    format_caps_guest(&buf, "x86_64", 64);
    buf.indent = 0;
    vb_buf_add(&buf, "</capabilities>\n");
    return vb_buf_steal(&buf);
}

char *
test_get_sysinfo(VbConn *conn, guint flags, GError **error)
{
    if (!vb_check_flags(flags, 0, "virConnectGetSysinfo", error))
        return NULL;
    return g_strdup("<sysinfo type='smbios'>\n"
                    "  <bios>\n"
                    "    <entry name='vendor'>LENOVO</entry>\n"
                    "    <entry name='version'>G4ETA1WW (2.61 )</entry>\n"
                    "    <entry name='date'>05/07/2014</entry>\n"
                    "    <entry name='release'>2.61</entry>\n"
                    "  </bios>\n"
                    "</sysinfo>\n");
}

/* ---- domain capabilities ---- */

static void
format_domcaps_devices(VbBuf *buf)
{
    static const char *const disk_devices[] = { "disk", "cdrom", "floppy", "lun", NULL };
    static const char *const disk_buses[] = { "ide", "fdc", "scsi", "virtio", "usb", "sata", NULL };

    vb_buf_add(buf, "<devices>\n");
    vb_buf_add(buf, "  <disk supported='yes'>\n");
    vb_buf_add(buf, "    <enum name='diskDevice'>\n");
    for (gsize i = 0; disk_devices[i]; i++)
        vb_buf_add(buf, "      <value>%s</value>\n", disk_devices[i]);
    vb_buf_add(buf, "    </enum>\n");
    vb_buf_add(buf, "    <enum name='bus'>\n");
    for (gsize i = 0; disk_buses[i]; i++)
        vb_buf_add(buf, "      <value>%s</value>\n", disk_buses[i]);
    vb_buf_add(buf, "    </enum>\n");
    vb_buf_add(buf, "  </disk>\n");
    vb_buf_add(buf, "  <graphics supported='no'/>\n");
    vb_buf_add(buf, "  <video supported='no'/>\n");
    vb_buf_add(buf, "  <hostdev supported='no'/>\n");
    vb_buf_add(buf, "</devices>\n");
}

static void
format_domcaps_body(VbBuf *buf)
{
    vb_buf_add(buf, "<vcpu max='%d'/>\n", TEST_MAX_VCPUS);
    vb_buf_add(buf, "<iothreads supported='no'/>\n");
    vb_buf_add(buf, "<os supported='yes'>\n");
    vb_buf_add(buf, "  <enum name='firmware'/>\n");
    vb_buf_add(buf, "  <loader supported='no'/>\n");
    vb_buf_add(buf, "</os>\n");
    vb_buf_add(buf, "<cpu>\n");
    vb_buf_add(buf, "  <mode name='host-passthrough' supported='no'/>\n");
    vb_buf_add(buf, "  <mode name='maximum' supported='no'/>\n");
    vb_buf_add(buf, "  <mode name='host-model' supported='no'/>\n");
    vb_buf_add(buf, "  <mode name='custom' supported='no'/>\n");
    vb_buf_add(buf, "</cpu>\n");
    format_domcaps_devices(buf);
    vb_buf_add(buf, "<features>\n");
    vb_buf_add(buf, "  <gic supported='no'/>\n");
    vb_buf_add(buf, "  <vmcoreinfo supported='no'/>\n");
    vb_buf_add(buf, "  <genid supported='no'/>\n");
    vb_buf_add(buf, "  <sev supported='no'/>\n");
    vb_buf_add(buf, "</features>\n");
}

static gboolean
check_domcaps_args(const char *arch, const char *virttype, GError **error)
{
    if (arch && *arch && !g_strv_contains(known_arches, arch)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "unknown architecture: %s", arch);
        return FALSE;
    }
    if (virttype && *virttype && vb_domain_virt_from_string(virttype) < 0) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "unknown virttype: %s", virttype);
        return FALSE;
    }
    return TRUE;
}

/* Empty strings choose the defaults: the test emulator, i686, no machine type, "test". */
char *
test_get_domain_capabilities(VbConn *conn, const char *emulator, const char *arch, const char *machine,
                             const char *virttype, guint flags, GError **error)
{
    VbBuf buf;

    if (!vb_check_flags(flags, 1, "virConnectGetDomainCapabilities", error) ||
        !check_domcaps_args(arch, virttype, error))
        return NULL;
    vb_buf_init(&buf, 0);
    vb_buf_add(&buf, "<domainCapabilities>\n");
    buf.indent = 2;
    vb_buf_escape(&buf, "<path>%s</path>\n", emulator && *emulator ? emulator : TEST_EMULATOR);
    vb_buf_add(&buf, "<domain>%s</domain>\n", virttype && *virttype ? virttype : "test");
    if (machine && *machine)
        vb_buf_escape(&buf, "<machine>%s</machine>\n", machine);
    vb_buf_add(&buf, "<arch>%s</arch>\n", arch && *arch ? arch : "i686");
    format_domcaps_body(&buf);
    buf.indent = 0;
    vb_buf_add(&buf, "</domainCapabilities>\n");
    return vb_buf_steal(&buf);
}

/* ---- node information and statistics ---- */

gboolean
test_node_get_info(VbConn *conn, VbNodeInfo *info, GError **error)
{
    *info = test_priv(conn)->node;
    return TRUE;
}

GArray *
test_node_get_cpu_map(VbConn *conn, guint flags, GError **error)
{
    guint cpus = test_priv(conn)->node.cpus;
    GArray *map;

    if (!vb_check_flags(flags, 0, "virNodeGetCPUMap", error))
        return NULL;
    map = g_array_sized_new(FALSE, FALSE, sizeof(gboolean), cpus);
    for (guint i = 0; i < cpus; i++) {
        gboolean online = TRUE;
        g_array_append_val(map, online);
    }
    return map;
}

GHashTable *
test_node_get_memory_stats(VbConn *conn, int cell, guint flags, GError **error)
{
    TestPriv *priv = test_priv(conn);
    g_autoptr(GHashTable) stats = NULL;
    const TestCell *one;
    guint64 free_kib = 0;

    if (!vb_check_flags(flags, 0, "virNodeGetMemoryStats", error))
        return NULL;
    if (cell < -1 || cell >= (int)priv->cells->len) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "cellNum in virNodeGetMemoryStats must be less than or equal to %d",
                     (int)priv->cells->len - 1);
        return NULL;
    }
    stats = test_stats_new();
    if (cell >= 0) {
        one = &g_array_index(priv->cells, TestCell, cell);
        test_stats_set(stats, "total", one->mem_kib);
        test_stats_set(stats, "free", one->free_kib);
        return g_steal_pointer(&stats);
    }
    for (guint i = 0; i < priv->cells->len; i++)
        free_kib += g_array_index(priv->cells, TestCell, i).free_kib;
    test_stats_set(stats, "total", priv->node.memory_kib);
    test_stats_set(stats, "free", free_kib);
    test_stats_set(stats, "buffers", TEST_MEM_BUFFERS_KIB);
    test_stats_set(stats, "cached", TEST_MEM_CACHED_KIB);
    return g_steal_pointer(&stats);
}

GHashTable *
test_node_get_cpu_stats(VbConn *conn, int cpu, guint flags, GError **error)
{
    GHashTable *stats;

    if (!vb_check_flags(flags, 0, "virNodeGetCPUStats", error))
        return NULL;
    if (cpu < -1 || cpu >= (int)test_priv(conn)->node.cpus) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "Invalid cpuNum in virNodeGetCPUStats");
        return NULL;
    }
    stats = test_stats_new();
    test_stats_set(stats, "kernel", TEST_CPU_KERNEL);
    test_stats_set(stats, "user", TEST_CPU_USER);
    test_stats_set(stats, "idle", TEST_CPU_IDLE);
    test_stats_set(stats, "iowait", TEST_CPU_IOWAIT);
    return stats;
}

gboolean
test_node_get_free_memory(VbConn *conn, guint64 *bytes, GError **error)
{
    TestPriv *priv = test_priv(conn);

    *bytes = 0;
    for (guint i = 0; i < priv->cells->len; i++)
        *bytes += g_array_index(priv->cells, TestCell, i).free_kib * 1024;
    return TRUE;
}

GStrv
test_get_cpu_model_names(VbConn *conn, const char *arch, guint flags, GError **error)
{
    if (!vb_check_flags(flags, 0, "virConnectGetCPUModelNames", error))
        return NULL;
    if (!arch || !g_strv_contains(known_arches, arch)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "cannot find architecture %s", arch ? arch : "");
        return NULL;
    }
    /* the models of the CPU database, which CompareCPU and BaselineCPU understand */
    if (vb_cpu_arch_is_x86(arch)) {
        const VbCpuDb *db = vb_cpu_db_default(error);
        return db ? vb_cpu_db_model_names(db) : NULL;
    }
    return g_new0(char *, 1);
}

gboolean
test_node_get_security_model(VbConn *conn, char **model, char **doi, GError **error)
{
    *model = g_strdup("testSecurity");
    *doi = g_strdup("");
    return TRUE;
}
