/* capabilities_conf.c: libvirt's <capabilities><host> from sysfs and procfs.
 *
 * Everything is read below a root directory, so tests feed recorded trees
 * (tests/data/host/). Elements come in libvirt's order with its attribute order; what a file
 * does not tell is left out rather than guessed. */
#include "capabilities_conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cpu_conf.h"
#include "vb_uuid.h"
#include "vb_xml.h"

#define SYS_CPU "sys/devices/system/cpu"
#define SYS_NODE "sys/devices/system/node"
#define CACHE_MIN_LEVEL 3    /* libvirt reports L3 and above */

typedef struct {
    const char *root;
    GArray *page_sizes;      /* guint KiB: the base page, then huge page sizes ascending */
    GHashTable *cpuinfo;     /* first processor block of /proc/cpuinfo: key -> value */
    char *arch;
} HostReader;

typedef struct {
    guint id;
    gboolean online;         /* its topology is known */
    guint socket_id, die_id, core_id;
    char *siblings;
} HostCpu;

/* ---- reading files ---- */

static gint
compare_uint(gconstpointer a, gconstpointer b)
{
    guint x = *(const guint *)a, y = *(const guint *)b;

    return x < y ? -1 : x > y;
}

static char *
read_text(const HostReader *r, const char *path)
{
    g_autofree char *full = g_build_filename(r->root, path, NULL);
    char *text = NULL;

    if (!g_file_get_contents(full, &text, NULL, NULL))
        return NULL;
    return g_strstrip(text);
}

static gboolean
read_uint(const HostReader *r, const char *path, guint *out)
{
    g_autofree char *text = read_text(r, path);
    guint64 value;

    if (!text || !vb_parse_ull(text, &value) || value > G_MAXUINT)
        return FALSE;
    *out = (guint)value;
    return TRUE;
}

/* N of the directory entries named <prefix>N<suffix>, ascending. */
static GArray *
numbered_entries(const HostReader *r, const char *dir, const char *prefix, const char *suffix)
{
    g_autofree char *full = g_build_filename(r->root, dir, NULL);
    g_autoptr(GDir) gdir = g_dir_open(full, 0, NULL);
    GArray *numbers = g_array_new(FALSE, FALSE, sizeof(guint));
    const char *name;

    while (gdir && (name = g_dir_read_name(gdir))) {
        g_autofree char *middle = NULL;
        guint64 value;

        if (!g_str_has_prefix(name, prefix) || !g_str_has_suffix(name, suffix) ||
            strlen(name) <= strlen(prefix) + strlen(suffix))
            continue;
        middle = g_strndup(name + strlen(prefix), strlen(name) - strlen(prefix) - strlen(suffix));
        if (vb_parse_ull(middle, &value) && value <= G_MAXUINT) {
            guint number = (guint)value;
            g_array_append_val(numbers, number);
        }
    }
    g_array_sort(numbers, compare_uint);
    return numbers;
}

/* The kernel's list format ("0-3,8,10-11") as ascending ids; NULL when malformed. */
static GArray *
parse_cpu_list(const char *text)
{
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(guint));
    g_auto(GStrv) ranges = NULL;

    if (!text)
        return NULL;
    if (!*text)
        return g_steal_pointer(&ids);
    ranges = g_strsplit(text, ",", -1);
    for (guint i = 0; ranges[i]; i++) {
        g_auto(GStrv) ends = g_strsplit(ranges[i], "-", 2);
        guint64 first, last;

        if (!vb_parse_ull(ends[0], &first) || first > 1u << 20)
            return NULL;
        last = first;
        if (ends[1] && (!vb_parse_ull(ends[1], &last) || last < first || last > 1u << 20))
            return NULL;
        for (guint64 id = first; id <= last; id++) {
            guint value = (guint)id;
            g_array_append_val(ids, value);
        }
    }
    g_array_sort(ids, compare_uint);
    return g_steal_pointer(&ids);
}

static GArray *
read_cpu_list(const HostReader *r, const char *path)
{
    g_autofree char *text = read_text(r, path);

    return parse_cpu_list(text);
}

/* Ascending ids written back in the kernel's (and libvirt's) range form. */
static char *
format_cpu_list(const GArray *ids)
{
    GString *out = g_string_new(NULL);

    for (guint i = 0; i < ids->len;) {
        guint first = g_array_index(ids, guint, i);
        guint last = first;

        while (++i < ids->len && g_array_index(ids, guint, i) <= last + 1)
            last = g_array_index(ids, guint, i);
        g_string_append_printf(out, "%s%u", out->len ? "," : "", first);
        if (last != first)
            g_string_append_printf(out, "-%u", last);
    }
    return g_string_free(out, FALSE);
}

static gboolean
list_contains(const GArray *ids, guint id)
{
    for (guint i = 0; ids && i < ids->len; i++) {
        if (g_array_index(ids, guint, i) == id)
            return TRUE;
    }
    return FALSE;
}

/* ---- /proc/cpuinfo ---- */

static GHashTable *
read_cpuinfo(const HostReader *r)
{
    g_autofree char *text = read_text(r, "proc/cpuinfo");
    GHashTable *info = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_auto(GStrv) lines = NULL;

    if (!text)
        return info;
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i] && *g_strstrip(lines[i]); i++) {
        char *colon = strchr(lines[i], ':');

        if (!colon)
            continue;
        *colon = '\0';
        g_hash_table_insert(info, g_strdup(g_strstrip(lines[i])), g_strdup(g_strstrip(colon + 1)));
    }
    return info;
}

static const char *
cpuinfo(const HostReader *r, const char *key)
{
    return g_hash_table_lookup(r->cpuinfo, key);
}

static gboolean
cpuinfo_has_flag(const HostReader *r, const char *flag)
{
    g_auto(GStrv) flags = g_strsplit(cpuinfo(r, "flags") ? cpuinfo(r, "flags") : "", " ", -1);

    return g_strv_contains((const char *const *)flags, flag);
}

/* The tree's architecture; the running kernel's when the tree is this machine. */
static char *
host_arch(const HostReader *r)
{
    struct utsname name;

    if (cpuinfo(r, "vendor_id"))
        return g_strdup(cpuinfo_has_flag(r, "lm") ? "x86_64" : "i686");
    if (g_strcmp0(cpuinfo(r, "CPU architecture"), "8") == 0)
        return g_strdup("aarch64");
    if (g_str_equal(r->root, "/") && uname(&name) == 0)
        return g_strdup(name.machine);
    return NULL;
}

/* ---- CPUs and their topology ---- */

static void
host_cpu_free(HostCpu *cpu)
{
    g_free(cpu->siblings);
    g_free(cpu);
}

static HostCpu *
read_host_cpu(const HostReader *r, guint id, const GArray *online)
{
    HostCpu *cpu = g_new0(HostCpu, 1);
    g_autofree char *topo = g_strdup_printf(SYS_CPU "/cpu%u/topology", id);
    g_autofree char *socket = g_build_filename(topo, "physical_package_id", NULL);
    g_autofree char *die = g_build_filename(topo, "die_id", NULL);
    g_autofree char *core = g_build_filename(topo, "core_id", NULL);
    g_autofree char *siblings_path = g_build_filename(topo, "thread_siblings_list", NULL);
    g_autoptr(GArray) siblings = read_cpu_list(r, siblings_path);

    cpu->id = id;
    if ((online && !list_contains(online, id)) || !siblings ||
        !read_uint(r, socket, &cpu->socket_id) || !read_uint(r, core, &cpu->core_id))
        return cpu;
    if (!read_uint(r, die, &cpu->die_id))
        cpu->die_id = 0;
    cpu->siblings = format_cpu_list(siblings);
    cpu->online = TRUE;
    return cpu;
}

/* Every present CPU, ascending. */
static GPtrArray *
read_host_cpus(const HostReader *r)
{
    g_autoptr(GArray) present = read_cpu_list(r, SYS_CPU "/present");
    g_autoptr(GArray) online = read_cpu_list(r, SYS_CPU "/online");
    GPtrArray *cpus = g_ptr_array_new_with_free_func((GDestroyNotify)host_cpu_free);

    if (!present)
        present = numbered_entries(r, SYS_CPU, "cpu", "");
    for (guint i = 0; i < present->len; i++)
        g_ptr_array_add(cpus, read_host_cpu(r, g_array_index(present, guint, i), online));
    return cpus;
}

static HostCpu *
find_cpu(GPtrArray *cpus, guint id)
{
    for (guint i = 0; i < cpus->len; i++) {
        HostCpu *cpu = g_ptr_array_index(cpus, i);
        if (cpu->id == id)
            return cpu;
    }
    return NULL;
}

/* libvirt's host <topology>: sockets per NUMA node, dies per socket, cores per die,
 * threads per core, counted over online CPUs. FALSE when no CPU's topology is known. */
static gboolean
host_topology(GPtrArray *cpus, guint nodes, guint out[4])
{
    g_autoptr(GHashTable) sockets = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_autoptr(GHashTable) dies = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GHashTable) cores = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    guint threads = 0;

    for (guint i = 0; i < cpus->len; i++) {
        HostCpu *cpu = g_ptr_array_index(cpus, i);
        g_autoptr(GArray) siblings = NULL;

        if (!cpu->online)
            continue;
        g_hash_table_add(sockets, GUINT_TO_POINTER(cpu->socket_id + 1));
        g_hash_table_add(dies, g_strdup_printf("%u/%u", cpu->socket_id, cpu->die_id));
        g_hash_table_add(cores, g_strdup_printf("%u/%u/%u", cpu->socket_id, cpu->die_id, cpu->core_id));
        siblings = parse_cpu_list(cpu->siblings);
        threads = MAX(threads, siblings ? siblings->len : 1);
    }
    if (!g_hash_table_size(sockets))
        return FALSE;
    out[0] = MAX(1, g_hash_table_size(sockets) / MAX(nodes, 1));
    out[1] = MAX(1, g_hash_table_size(dies) / g_hash_table_size(sockets));
    out[2] = MAX(1, g_hash_table_size(cores) / g_hash_table_size(dies));
    out[3] = MAX(1, threads);
    return TRUE;
}

/* ---- <uuid> ---- */

static void
format_uuid(VbBuf *buf, const HostReader *r)
{
    g_autofree char *dmi = read_text(r, "sys/class/dmi/id/product_uuid");
    g_autofree char *machine_id = NULL;
    char uuid[VB_UUID_STRING_LEN];

    if (dmi && vb_uuid_parse(dmi, uuid)) {
        vb_buf_add(buf, "<uuid>%s</uuid>\n", uuid);
        return;
    }
    machine_id = read_text(r, "etc/machine-id");
    if (machine_id && vb_uuid_parse(machine_id, uuid))
        vb_buf_add(buf, "<uuid>%s</uuid>\n", uuid);
}

/* ---- <cpu> ---- */

/* Our names of the host's flags, in the database's order, and the model they fit best. */
static void
format_cpu_model_and_features(VbBuf *buf, VbBuf *features, const HostReader *r, const VbCpuDb *db)
{
    g_auto(GStrv) flags = g_strsplit(cpuinfo(r, "flags") ? cpuinfo(r, "flags") : "", " ", -1);
    g_autoptr(GStrvBuilder) names = g_strv_builder_new();
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    g_auto(GStrv) host = NULL;
    g_auto(GStrv) in_model = NULL;
    const char *vendor = vb_cpu_db_vendor_from_cpuid(db, cpuinfo(r, "vendor_id"));
    const char *model;

    for (guint i = 0; flags[i]; i++) {
        const char *name = vb_cpu_db_feature_from_linux(db, flags[i]);
        if (name && g_hash_table_add(seen, (gpointer)name))
            g_strv_builder_add(names, name);
    }
    host = g_strv_builder_end(names);
    /* like libvirt's, our <cpu> parser takes a vendor and features only with a model */
    if (!(model = vb_cpu_db_best_model(db, vendor, (const char *const *)host)))
        return;
    vb_buf_escape(buf, "<model>%s</model>\n", model);
    vb_buf_escape(buf, "<vendor>%s</vendor>\n", vendor);
    in_model = vb_cpu_db_model_features(db, model, NULL);
    for (guint i = 0; host[i]; i++) {
        if (!g_strv_contains((const char *const *)in_model, host[i]))
            vb_buf_escape(features, "<feature name='%s'/>\n", host[i]);
    }
}

static void
format_cpu_identity(VbBuf *buf, const HostReader *r)
{
    const char *microcode = cpuinfo(r, "microcode");
    const char *family = cpuinfo(r, "cpu family");
    const char *model = cpuinfo(r, "model");
    const char *stepping = cpuinfo(r, "stepping");
    guint64 value;

    if (microcode) {
        char *end = NULL;
        value = g_ascii_strtoull(microcode, &end, 0);
        if (end && end != microcode && !*end && value <= G_MAXUINT)
            vb_buf_add(buf, "<microcode version='%" G_GUINT64_FORMAT "'/>\n", value);
    }
    if (family && model && stepping && vb_parse_ull(family, &value) && vb_parse_ull(model, &value) &&
        vb_parse_ull(stepping, &value))
        vb_buf_add(buf, "<signature family='%s' model='%s' stepping='%s'/>\n", family, model, stepping);
}

/* The TSC, when the kernel knows its exact frequency. */
static void
format_cpu_counter(VbBuf *buf, const HostReader *r)
{
    const char *mhz = cpuinfo(r, "cpu MHz");
    char *end = NULL;
    double value;

    if (!mhz || !cpuinfo_has_flag(r, "tsc_known_freq"))
        return;
    value = g_ascii_strtod(mhz, &end);
    if (end == mhz || *end || value <= 0 || value > 1e6)
        return;
    vb_buf_add(buf, "<counter name='tsc' frequency='%" G_GUINT64_FORMAT "'/>\n",
               (guint64)(value * 1000.0 + 0.5) * 1000);
}

static void
format_cpu_maxphysaddr(VbBuf *buf, const HostReader *r)
{
    const char *sizes = cpuinfo(r, "address sizes");
    guint bits;

    if (sizes && sscanf(sizes, "%u bits physical", &bits) == 1)
        vb_buf_add(buf, "<maxphysaddr mode='emulate' bits='%u'/>\n", bits);
}

static void
format_host_cpu(VbBuf *buf, const HostReader *r, const VbCpuDb *db, GPtrArray *cpus, guint nodes)
{
    g_auto(VbBuf) features = { 0 };
    guint topology[4];

    vb_buf_add(buf, "<cpu>\n");
    buf->indent += 2;
    vb_buf_init(&features, buf->indent);
    vb_buf_escape(buf, "<arch>%s</arch>\n", r->arch);
    if (vb_cpu_arch_is_x86(r->arch) && cpuinfo(r, "vendor_id"))
        format_cpu_model_and_features(buf, &features, r, db);
    format_cpu_identity(buf, r);
    format_cpu_counter(buf, r);
    if (host_topology(cpus, nodes, topology))
        vb_buf_add(buf, "<topology sockets='%u' dies='%u' cores='%u' threads='%u'/>\n",
                   topology[0], topology[1], topology[2], topology[3]);
    format_cpu_maxphysaddr(buf, r);
    g_string_append(buf->str, features.str->str);
    for (guint i = 0; i < r->page_sizes->len; i++)
        vb_buf_add(buf, "<pages unit='KiB' size='%u'/>\n", g_array_index(r->page_sizes, guint, i));
    buf->indent -= 2;
    vb_buf_add(buf, "</cpu>\n");
}

/* ---- power management, IOMMU, migration ---- */

static gboolean
word_in(const char *text, const char *word)
{
    g_auto(GStrv) words = g_strsplit_set(text ? text : "", " \n[]", -1);

    return g_strv_contains((const char *const *)words, word);
}

static void
format_power_management(VbBuf *buf, const HostReader *r)
{
    g_autofree char *state = read_text(r, "sys/power/state");
    g_autofree char *mem_state = read_text(r, "sys/power/mem_state");
    g_autofree char *disk = read_text(r, "sys/power/disk");
    gboolean mem = word_in(state, "mem") && (!mem_state || *mem_state);
    gboolean hibernate = word_in(state, "disk") && disk && !word_in(disk, "disabled");
    gboolean hybrid = hibernate && word_in(disk, "suspend");

    if (!mem && !hibernate) {
        vb_buf_add(buf, "<power_management/>\n");
        return;
    }
    vb_buf_add(buf, "<power_management>\n");
    if (mem)
        vb_buf_add(buf, "  <suspend_mem/>\n");
    if (hibernate)
        vb_buf_add(buf, "  <suspend_disk/>\n");
    if (hybrid)
        vb_buf_add(buf, "  <suspend_hybrid/>\n");
    vb_buf_add(buf, "</power_management>\n");
}

static void
format_iommu(VbBuf *buf, const HostReader *r)
{
    g_autofree char *groups = g_build_filename(r->root, "sys/kernel/iommu_groups", NULL);
    g_autoptr(GDir) dir = g_dir_open(groups, 0, NULL);

    vb_buf_add(buf, "<iommu support='%s'/>\n", dir && g_dir_read_name(dir) ? "yes" : "no");
}

/* What the QEMU driver offers, whatever the host. */
static void
format_migration_features(VbBuf *buf)
{
    vb_buf_add(buf, "<migration_features>\n");
    vb_buf_add(buf, "  <live/>\n");
    vb_buf_add(buf, "  <uri_transports>\n");
    vb_buf_add(buf, "    <uri_transport>tcp</uri_transport>\n");
    vb_buf_add(buf, "    <uri_transport>rdma</uri_transport>\n");
    vb_buf_add(buf, "  </uri_transports>\n");
    vb_buf_add(buf, "</migration_features>\n");
}

/* ---- NUMA cells ---- */

/* "Node 0 MemTotal:  1234 kB" or "MemTotal:  1234 kB" */
static gboolean
meminfo_total(const char *text, guint64 *kib)
{
    g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);

    for (guint i = 0; lines[i]; i++) {
        const char *key = strstr(lines[i], "MemTotal:");
        g_autofree char *number = NULL;

        if (!key)
            continue;
        number = g_strdup(key + strlen("MemTotal:"));
        if (g_str_has_suffix(g_strstrip(number), "kB"))
            number[strlen(number) - 2] = '\0';
        return vb_parse_ull(g_strstrip(number), kib);
    }
    return FALSE;
}

static void
format_cell_pages(VbBuf *buf, const HostReader *r, const char *node_dir, guint64 memory_kib)
{
    g_autoptr(GArray) huge = g_array_new(FALSE, TRUE, sizeof(guint64));
    guint64 huge_kib = 0;

    g_array_set_size(huge, r->page_sizes->len);
    for (guint i = 1; i < r->page_sizes->len; i++) {
        guint size = g_array_index(r->page_sizes, guint, i);
        g_autofree char *path = g_strdup_printf("%s/hugepages/hugepages-%ukB/nr_hugepages", node_dir, size);
        guint count = 0;

        if (read_uint(r, path, &count))
            g_array_index(huge, guint64, i) = count;
        huge_kib += (guint64)count * size;
    }
    /* the base pages are what huge pages leave */
    vb_buf_add(buf, "<pages unit='KiB' size='%u'>%" G_GUINT64_FORMAT "</pages>\n",
               g_array_index(r->page_sizes, guint, 0),
               (memory_kib > huge_kib ? memory_kib - huge_kib : 0) / g_array_index(r->page_sizes, guint, 0));
    for (guint i = 1; i < r->page_sizes->len; i++)
        vb_buf_add(buf, "<pages unit='KiB' size='%u'>%" G_GUINT64_FORMAT "</pages>\n",
                   g_array_index(r->page_sizes, guint, i), g_array_index(huge, guint64, i));
}

static void
format_cell_distances(VbBuf *buf, const HostReader *r, const char *node_dir, const GArray *nodes)
{
    g_autofree char *path = g_build_filename(node_dir, "distance", NULL);
    g_autofree char *text = read_text(r, path);
    g_auto(GStrv) values = text ? g_strsplit_set(text, " \t", -1) : NULL;
    guint n = 0;

    for (guint i = 0; values && values[i]; i++)
        n += *values[i] != '\0';
    if (!values || n != nodes->len)
        return;
    vb_buf_add(buf, "<distances>\n");
    for (guint i = 0, node = 0; values[i]; i++) {
        guint64 value;
        if (!*values[i])
            continue;
        if (vb_parse_ull(values[i], &value))
            vb_buf_add(buf, "  <sibling id='%u' value='%" G_GUINT64_FORMAT "'/>\n",
                       g_array_index(nodes, guint, node), value);
        node++;
    }
    vb_buf_add(buf, "</distances>\n");
}

static void
format_cell_cpus(VbBuf *buf, GPtrArray *cpus, const GArray *ids)
{
    vb_buf_add(buf, "<cpus num='%u'>\n", ids->len);
    for (guint i = 0; i < ids->len; i++) {
        const HostCpu *cpu = find_cpu(cpus, g_array_index(ids, guint, i));

        if (cpu && cpu->online)
            vb_buf_add(buf, "  <cpu id='%u' socket_id='%u' die_id='%u' core_id='%u' siblings='%s'/>\n",
                       cpu->id, cpu->socket_id, cpu->die_id, cpu->core_id, cpu->siblings);
        else
            vb_buf_add(buf, "  <cpu id='%u'/>\n", g_array_index(ids, guint, i));
    }
    vb_buf_add(buf, "</cpus>\n");
}

static void
format_cell(VbBuf *buf, const HostReader *r, GPtrArray *cpus, const GArray *nodes, guint node)
{
    g_autofree char *dir = g_strdup_printf(SYS_NODE "/node%u", node);
    g_autofree char *meminfo_path = g_build_filename(dir, "meminfo", NULL);
    g_autofree char *meminfo = read_text(r, meminfo_path);
    g_autofree char *cpulist_path = g_build_filename(dir, "cpulist", NULL);
    g_autoptr(GArray) ids = read_cpu_list(r, cpulist_path);
    guint64 memory_kib = 0;

    vb_buf_add(buf, "<cell id='%u'>\n", node);
    buf->indent += 2;
    if (meminfo_total(meminfo, &memory_kib)) {
        vb_buf_add(buf, "<memory unit='KiB'>%" G_GUINT64_FORMAT "</memory>\n", memory_kib);
        format_cell_pages(buf, r, dir, memory_kib);
    }
    format_cell_distances(buf, r, dir, nodes);
    if (ids)
        format_cell_cpus(buf, cpus, ids);
    buf->indent -= 2;
    vb_buf_add(buf, "</cell>\n");
}

/* Without NUMA in sysfs libvirt shows one cell holding every CPU and all memory. */
static void
format_single_cell(VbBuf *buf, const HostReader *r, GPtrArray *cpus)
{
    g_autofree char *meminfo = read_text(r, "proc/meminfo");
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(guint));
    guint64 memory_kib = 0;
    gboolean has_memory = meminfo_total(meminfo, &memory_kib);

    if (!has_memory && !cpus->len)
        return;
    for (guint i = 0; i < cpus->len; i++)
        g_array_append_val(ids, ((HostCpu *)g_ptr_array_index(cpus, i))->id);
    vb_buf_add(buf, "<topology>\n");
    vb_buf_add(buf, "  <cells num='1'>\n");
    vb_buf_add(buf, "    <cell id='0'>\n");
    buf->indent += 6;
    if (has_memory) {
        vb_buf_add(buf, "<memory unit='KiB'>%" G_GUINT64_FORMAT "</memory>\n", memory_kib);
        vb_buf_add(buf, "<pages unit='KiB' size='%u'>%" G_GUINT64_FORMAT "</pages>\n",
                   g_array_index(r->page_sizes, guint, 0), memory_kib / g_array_index(r->page_sizes, guint, 0));
    }
    if (ids->len)
        format_cell_cpus(buf, cpus, ids);
    buf->indent -= 6;
    vb_buf_add(buf, "    </cell>\n");
    vb_buf_add(buf, "  </cells>\n");
    vb_buf_add(buf, "</topology>\n");
}

static void
format_numa(VbBuf *buf, const HostReader *r, GPtrArray *cpus, const GArray *nodes)
{
    if (!nodes->len) {
        format_single_cell(buf, r, cpus);
        return;
    }
    vb_buf_add(buf, "<topology>\n");
    vb_buf_add(buf, "  <cells num='%u'>\n", nodes->len);
    buf->indent += 4;
    for (guint i = 0; i < nodes->len; i++)
        format_cell(buf, r, cpus, nodes, g_array_index(nodes, guint, i));
    buf->indent -= 4;
    vb_buf_add(buf, "  </cells>\n");
    vb_buf_add(buf, "</topology>\n");
}

/* ---- <cache> ---- */

typedef struct {
    guint id, level;
    const char *type;
    guint64 size_bytes;
    char *cpus;
} CacheBank;

static void
cache_bank_free(CacheBank *bank)
{
    g_free(bank->cpus);
    g_free(bank);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CacheBank, cache_bank_free)

static const char *
cache_type(const char *kernel_type)
{
    if (g_strcmp0(kernel_type, "Unified") == 0)
        return "both";
    if (g_strcmp0(kernel_type, "Instruction") == 0)
        return "code";
    if (g_strcmp0(kernel_type, "Data") == 0)
        return "data";
    return NULL;
}

/* "491520K" -> bytes */
static gboolean
parse_cache_size(const char *text, guint64 *bytes)
{
    g_autofree char *number = g_strdup(text ? text : "");
    guint64 scale = 1;
    gsize len = strlen(number);
    guint64 value;

    if (len && (number[len - 1] == 'K' || number[len - 1] == 'M' || number[len - 1] == 'G')) {
        scale = number[len - 1] == 'K' ? 1024 : number[len - 1] == 'M' ? 1024 * 1024 : 1024 * 1024 * 1024;
        number[len - 1] = '\0';
    }
    if (!vb_parse_ull(number, &value) || value > G_MAXUINT64 / scale)
        return FALSE;
    *bytes = value * scale;
    return TRUE;
}

static CacheBank *
read_cache_bank(const HostReader *r, guint cpu, guint index)
{
    g_autofree char *dir = g_strdup_printf(SYS_CPU "/cpu%u/cache/index%u", cpu, index);
    g_autofree char *level_path = g_build_filename(dir, "level", NULL);
    g_autofree char *id_path = g_build_filename(dir, "id", NULL);
    g_autofree char *type_path = g_build_filename(dir, "type", NULL);
    g_autofree char *size_path = g_build_filename(dir, "size", NULL);
    g_autofree char *cpus_path = g_build_filename(dir, "shared_cpu_list", NULL);
    g_autofree char *type = read_text(r, type_path);
    g_autofree char *size = read_text(r, size_path);
    g_autoptr(GArray) shared = read_cpu_list(r, cpus_path);
    g_autoptr(CacheBank) bank = g_new0(CacheBank, 1);

    if (!read_uint(r, level_path, &bank->level) || bank->level < CACHE_MIN_LEVEL ||
        !read_uint(r, id_path, &bank->id) || !(bank->type = cache_type(type)) ||
        !parse_cache_size(size, &bank->size_bytes) || !shared)
        return NULL;
    bank->cpus = format_cpu_list(shared);
    return g_steal_pointer(&bank);
}

static gboolean
cache_bank_equal(const CacheBank *a, const CacheBank *b)
{
    return a->id == b->id && a->level == b->level && g_str_equal(a->type, b->type) &&
           a->size_bytes == b->size_bytes && g_str_equal(a->cpus, b->cpus);
}

static gint
cache_bank_order(gconstpointer a, gconstpointer b)
{
    const CacheBank *x = *(CacheBank *const *)a;
    const CacheBank *y = *(CacheBank *const *)b;

    if (x->level != y->level)
        return x->level < y->level ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static void
add_cpu_cache_banks(GPtrArray *banks, const HostReader *r, guint cpu)
{
    g_autofree char *dir = g_strdup_printf(SYS_CPU "/cpu%u/cache", cpu);
    g_autoptr(GArray) indexes = numbered_entries(r, dir, "index", "");

    for (guint i = 0; i < indexes->len; i++) {
        g_autoptr(CacheBank) bank = read_cache_bank(r, cpu, g_array_index(indexes, guint, i));
        gboolean known = FALSE;

        for (guint j = 0; bank && j < banks->len && !known; j++)
            known = cache_bank_equal(bank, g_ptr_array_index(banks, j));
        if (bank && !known)
            g_ptr_array_add(banks, g_steal_pointer(&bank));
    }
}

/* The largest unit that keeps the size whole, as libvirt writes it. */
static void
pretty_size(guint64 bytes, guint64 *value, const char **unit)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    guint i = 0;

    *value = bytes;
    while (i + 1 < G_N_ELEMENTS(units) && *value && *value % 1024 == 0) {
        *value /= 1024;
        i++;
    }
    *unit = units[i];
}

static void
format_caches(VbBuf *buf, const HostReader *r, GPtrArray *cpus)
{
    g_autoptr(GPtrArray) banks = g_ptr_array_new_with_free_func((GDestroyNotify)cache_bank_free);

    for (guint i = 0; i < cpus->len; i++) {
        const HostCpu *cpu = g_ptr_array_index(cpus, i);
        if (cpu->online)
            add_cpu_cache_banks(banks, r, cpu->id);
    }
    if (!banks->len)
        return;
    g_ptr_array_sort(banks, cache_bank_order);
    vb_buf_add(buf, "<cache>\n");
    for (guint i = 0; i < banks->len; i++) {
        const CacheBank *bank = g_ptr_array_index(banks, i);
        const char *unit;
        guint64 size;

        pretty_size(bank->size_bytes, &size, &unit);
        vb_buf_add(buf, "  <bank id='%u' level='%u' type='%s' size='%" G_GUINT64_FORMAT "' unit='%s' cpus='%s'/>\n",
                   bank->id, bank->level, bank->type, size, unit, bank->cpus);
    }
    vb_buf_add(buf, "</cache>\n");
}

/* ---- the whole ---- */

static GArray *
read_page_sizes(const HostReader *r)
{
    GArray *sizes = numbered_entries(r, "sys/kernel/mm/hugepages", "hugepages-", "kB");
    long page = g_str_equal(r->root, "/") ? sysconf(_SC_PAGESIZE) : 4096;
    guint base = page > 0 ? (guint)(page / 1024) : 4;

    g_array_prepend_val(sizes, base);
    return sizes;
}

char *
vb_capabilities_host_format(const char *root, int indent, GError **error)
{
    const VbCpuDb *db = vb_cpu_db_default(error);
    HostReader reader = { .root = root ? root : "/" };
    g_autoptr(GPtrArray) cpus = NULL;
    g_autoptr(GArray) nodes = NULL;
    VbBuf buf;

    if (!db)
        return NULL;
    reader.page_sizes = read_page_sizes(&reader);
    reader.cpuinfo = read_cpuinfo(&reader);
    reader.arch = host_arch(&reader);
    cpus = read_host_cpus(&reader);
    nodes = numbered_entries(&reader, SYS_NODE, "node", "");

    vb_buf_init(&buf, indent);
    vb_buf_add(&buf, "<host>\n");
    buf.indent += 2;
    format_uuid(&buf, &reader);
    format_host_cpu(&buf, &reader, db, cpus, nodes->len);
    format_power_management(&buf, &reader);
    format_iommu(&buf, &reader);
    format_migration_features(&buf);
    format_numa(&buf, &reader, cpus, nodes);
    format_caches(&buf, &reader, cpus);
    buf.indent -= 2;
    vb_buf_add(&buf, "</host>\n");

    g_array_unref(reader.page_sizes);
    g_hash_table_unref(reader.cpuinfo);
    g_free(reader.arch);
    return vb_buf_steal(&buf);
}
