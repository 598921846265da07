/* qemu_host.c: host facts of a QEMU connection, read from this machine's /proc and /sys and
 * from the QEMU binary itself (virConnectGetVersion, virNodeGetInfo, node statistics, sysinfo).
 *
 * QEMU is asked twice when the connection opens, without blocking the main loop: its version
 * (`--version`) and, over QMP on stdio of a `-machine none` instance, its machine types and
 * CPU models. Both answers are kept for the connection's life. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "conf/cpu_conf.h"
#include "drivers/qemu/qemu_private.h"

#define SYS_CPU "/sys/devices/system/cpu"
#define SYS_NODE "/sys/devices/system/node"
/* the same below a root */
#define REL_CPU "sys/devices/system/cpu"
#define REL_NODE "sys/devices/system/node"
#define DMI_DIR "/sys/class/dmi/id"
#define QEMU_PROBE_TIMEOUT_S 30

/* Commands of the QMP probe, sent at once; QEMU answers them in order. */
#define QEMU_QMP_PROBE_INPUT \
    "{\"execute\":\"qmp_capabilities\"}\n" \
    "{\"execute\":\"query-machines\",\"id\":\"machines\"}\n" \
    "{\"execute\":\"query-cpu-definitions\",\"id\":\"cpus\"}\n" \
    "{\"execute\":\"quit\"}\n"

typedef enum {
    PROBE_VERSION,
    PROBE_QMP,
    N_PROBES,
} QemuProbeKind;

typedef struct {
    GSubprocess *proc;
    GCancellable *cancellable;
    guint timeout_id;
    gboolean done;
    char *output;            /* QEMU's stdout once done without error */
    GError *error;
} QemuProbe;

/* The probes start a little after open, so that spawning QEMU does not delay the daemon
 * owning its bus name; a caller asking before they answer waits for a synchronous run. */
#define PROBE_DELAY_MS 200

struct _QemuHost {
    QemuProbe probes[N_PROBES];
    guint start_source;
    /* parsed from the answers, once */
    gboolean parsed[N_PROBES];
    guint64 version;
    GPtrArray *machines;     /* QemuMachine, QEMU's order */
    GHashTable *cpu_models;  /* QEMU CPU model name -> GINT_TO_POINTER(usable under TCG) */
    char *caps_xml;          /* the capabilities XML once built */
    char *cache_path;        /* the probes' answers on disk, reused while the binary is the same */
};

void
qemu_machine_free(QemuMachine *machine)
{
    g_free(machine->name);
    g_free(machine->alias);
    g_free(machine);
}

/* ---- the probes ---- */

/* Stops waiting for a probe still running and kills its QEMU. */
static void
probe_abort(QemuProbe *probe)
{
    g_clear_handle_id(&probe->timeout_id, g_source_remove);
    if (probe->cancellable)
        g_cancellable_cancel(probe->cancellable);
    if (probe->proc && !probe->done)
        g_subprocess_force_exit(probe->proc);
}

static void
probe_clear(QemuProbe *probe)
{
    probe_abort(probe);
    g_clear_object(&probe->cancellable);
    g_clear_object(&probe->proc);
    g_clear_pointer(&probe->output, g_free);
    g_clear_error(&probe->error);
}

static void
host_clear(QemuHost *host)
{
    for (guint i = 0; i < N_PROBES; i++)
        probe_clear(&host->probes[i]);
    g_clear_pointer(&host->machines, g_ptr_array_unref);
    g_clear_pointer(&host->cpu_models, g_hash_table_unref);
    g_clear_pointer(&host->caps_xml, g_free);
    g_clear_pointer(&host->cache_path, g_free);
}

static QemuHost *
host_ref(QemuHost *host)
{
    return g_rc_box_acquire(host);
}

static void
host_unref(QemuHost *host)
{
    g_rc_box_release_full(host, (GDestroyNotify)host_clear);
}

static const char *const *
probe_argv(QemuProbeKind kind)
{
    static const char *const version[] = { QEMU_HOST_EMULATOR, "--version", NULL };
    static const char *const qmp[] = {
        QEMU_HOST_EMULATOR, "-S", "-no-user-config", "-nodefaults", "-display", "none",
        "-machine", "none,accel=tcg", "-qmp", "stdio", NULL,
    };

    return kind == PROBE_VERSION ? version : qmp;
}

static const char *
probe_input(QemuProbeKind kind)
{
    return kind == PROBE_QMP ? QEMU_QMP_PROBE_INPUT : NULL;
}

/* libvirt's error when the binary is not there; FALSE then. */
static gboolean
check_binary(GError **error)
{
    struct stat st;

    if (stat(QEMU_HOST_EMULATOR, &st) == 0)
        return TRUE;
    vb_set_error(error, VB_ERR_SYSTEM_ERROR, "Cannot find QEMU binary %s: %s", QEMU_HOST_EMULATOR,
                 g_strerror(errno));
    return FALSE;
}

static GSubprocess *
probe_spawn(QemuProbeKind kind, GError **error)
{
    g_autoptr(GError) local = NULL;
    GSubprocess *proc;

    if (!check_binary(error))
        return NULL;
    proc = g_subprocess_newv(probe_argv(kind), G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                             G_SUBPROCESS_FLAGS_STDERR_SILENCE, &local);
    if (!proc)
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "cannot run %s: %s", QEMU_HOST_EMULATOR, local->message);
    return proc;
}

/* ---- the probes' answers cached on disk, keyed by the binary ---- */

#define PROBE_CACHE_FORMAT 1     /* bump when a probe's command or input changes */

static const char *const probe_names[N_PROBES] = { "version", "qmp" };

/* What identifies the QEMU binary (and our probes of it); NULL when it cannot be read. */
static char *
binary_key(void)
{
    struct stat st;

    if (stat(QEMU_HOST_EMULATOR, &st) < 0)
        return NULL;
    return g_strdup_printf("%d %s %lld.%09ld %lld.%09ld %lld %llu", PROBE_CACHE_FORMAT, QEMU_HOST_EMULATOR,
                           (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec,
                           st.st_ctim.tv_nsec, (long long)st.st_size, (unsigned long long)st.st_ino);
}

/* The cached answers when they are of this binary: every probe is then done. */
static void
cache_load(QemuHost *host)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autofree char *key = binary_key();
    JsonObject *root;

    if (!key || !json_parser_load_from_mapped_file(parser, host->cache_path, NULL) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
        return;
    root = json_node_get_object(json_parser_get_root(parser));
    if (g_strcmp0(json_object_get_string_member_with_default(root, "binary", NULL), key) != 0)
        return;
    for (guint i = 0; i < N_PROBES; i++) {
        if (!json_object_get_string_member_with_default(root, probe_names[i], NULL))
            return;
    }
    for (guint i = 0; i < N_PROBES; i++) {
        host->probes[i].output = g_strdup(json_object_get_string_member(root, probe_names[i]));
        host->probes[i].done = TRUE;
    }
}

/* Once every probe answered without error. */
static void
cache_save(QemuHost *host)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    g_autoptr(JsonGenerator) generator = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *key = binary_key();
    g_autofree char *dir = NULL;
    g_autofree char *text = NULL;
    g_autoptr(GError) error = NULL;

    for (guint i = 0; i < N_PROBES; i++) {
        if (!host->probes[i].done || !host->probes[i].output)
            return;
    }
    if (!key || !host->cache_path)
        return;
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "binary");
    json_builder_add_string_value(builder, key);
    for (guint i = 0; i < N_PROBES; i++) {
        json_builder_set_member_name(builder, probe_names[i]);
        json_builder_add_string_value(builder, host->probes[i].output);
    }
    json_builder_end_object(builder);
    root = json_builder_get_root(builder);
    json_generator_set_root(generator, root);
    text = json_generator_to_data(generator, NULL);
    dir = g_path_get_dirname(host->cache_path);
    if (g_mkdir_with_parents(dir, 0700) < 0 || !g_file_set_contents_full(host->cache_path, text, -1,
                                                                        G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                                                        &error))
        g_warning("cannot cache QEMU's capabilities in %s: %s", host->cache_path,
                  error ? error->message : g_strerror(errno));
}

/* Records how a finished probe ended. */
static void
probe_finish(QemuProbe *probe, GSubprocess *proc, gboolean ok, char *output, GError *error)
{
    probe->done = TRUE;
    g_clear_handle_id(&probe->timeout_id, g_source_remove);
    if (!ok) {
        vb_set_error(&probe->error, VB_ERR_INTERNAL_ERROR, "cannot probe %s: %s", QEMU_HOST_EMULATOR,
                     error->message);
        g_free(output);
    } else if (!g_subprocess_get_if_exited(proc) || g_subprocess_get_exit_status(proc) != 0) {
        vb_set_error(&probe->error, VB_ERR_INTERNAL_ERROR, "probing %s failed (%s %d)", QEMU_HOST_EMULATOR,
                     g_subprocess_get_if_exited(proc) ? "exit status" : "signal",
                     g_subprocess_get_if_exited(proc) ? g_subprocess_get_exit_status(proc)
                                                      : g_subprocess_get_term_sig(proc));
        g_free(output);
    } else {
        probe->output = output;
    }
}

/* A probe ended: the answers go to the cache once all are in. */
static void
host_probe_finished(QemuHost *host, QemuProbe *probe, GSubprocess *proc, gboolean ok, char *output, GError *error)
{
    probe_finish(probe, proc, ok, output, error);
    cache_save(host);
}

typedef struct {
    QemuHost *host;          /* a reference */
    QemuProbeKind kind;
} ProbeCall;

static void
probe_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    ProbeCall *call = user_data;
    QemuProbe *probe = &call->host->probes[call->kind];
    g_autoptr(GError) error = NULL;
    char *output = NULL;
    gboolean ok;

    ok = g_subprocess_communicate_utf8_finish(G_SUBPROCESS(source), result, &output, NULL, &error);
    /* cancelled: the connection closed, or a caller ran the probe synchronously meanwhile */
    if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && !probe->done)
        host_probe_finished(call->host, probe, G_SUBPROCESS(source), ok, output, error);
    else
        g_free(output);
    host_unref(call->host);
    g_free(call);
}

static gboolean
probe_timed_out(gpointer user_data)
{
    QemuProbe *probe = user_data;

    probe->timeout_id = 0;
    g_subprocess_force_exit(probe->proc);
    return G_SOURCE_REMOVE;
}

static void
probe_start(QemuHost *host, QemuProbeKind kind)
{
    QemuProbe *probe = &host->probes[kind];
    ProbeCall *call;

    probe->proc = probe_spawn(kind, &probe->error);
    if (!probe->proc) {
        probe->done = TRUE;
        return;
    }
    probe->cancellable = g_cancellable_new();
    probe->timeout_id = g_timeout_add_seconds(QEMU_PROBE_TIMEOUT_S, probe_timed_out, probe);
    call = g_new0(ProbeCall, 1);
    call->host = host_ref(host);
    call->kind = kind;
    g_subprocess_communicate_utf8_async(probe->proc, probe_input(kind), probe->cancellable, probe_done, call);
}

/* The probe's answer, waiting for it if it has not come yet. The wait is a one-off synchronous
 * run of the same command (a few ms for these QEMU invocations), only for a caller arriving
 * within moments of the connection's open; the async run is dropped then. */
static const char *
probe_output(QemuHost *host, QemuProbeKind kind, GError **error)
{
    QemuProbe *probe = &host->probes[kind];

    if (!probe->done) {
        g_autoptr(GSubprocess) proc = NULL;
        g_autoptr(GError) local = NULL;
        char *output = NULL;
        gboolean ok;

        probe_abort(probe);
        proc = probe_spawn(kind, &probe->error);
        if (proc) {
            ok = g_subprocess_communicate_utf8(proc, probe_input(kind), NULL, &output, NULL, &local);
            host_probe_finished(host, probe, proc, ok, output, local);
        }
        probe->done = TRUE;
    }
    if (probe->error) {
        g_propagate_error(error, g_error_copy(probe->error));
        return NULL;
    }
    return probe->output;
}

static gboolean
start_probes(gpointer user_data)
{
    QemuHost *host = user_data;

    host->start_source = 0;
    for (guint i = 0; i < N_PROBES; i++) {
        if (!host->probes[i].done)
            probe_start(host, i);
    }
    return G_SOURCE_REMOVE;
}

void
qemu_host_start(VbConn *conn)
{
    QemuPriv *priv = qemu_priv(conn);

    priv->host = g_rc_box_new0(QemuHost);
    priv->host->cache_path = g_build_filename(priv->cache_dir, "capabilities.json", NULL);
    cache_load(priv->host);
    if (!qemu_host_probes_done(conn))
        priv->host->start_source = g_timeout_add(PROBE_DELAY_MS, start_probes, priv->host);
}

void
qemu_host_stop(VbConn *conn)
{
    QemuPriv *priv = qemu_priv(conn);

    if (!priv->host)
        return;
    g_clear_handle_id(&priv->host->start_source, g_source_remove);
    /* kill what still runs; pending callbacks hold their own reference */
    for (guint i = 0; i < N_PROBES; i++)
        probe_abort(&priv->host->probes[i]);
    g_clear_pointer(&priv->host, host_unref);
}

gboolean
qemu_host_probes_done(VbConn *conn)
{
    QemuHost *host = qemu_priv(conn)->host;

    for (guint i = 0; i < N_PROBES; i++) {
        if (!host->probes[i].done)
            return FALSE;
    }
    return TRUE;
}

/* ---- QEMU's version ---- */

static gboolean
parse_version(QemuHost *host, GError **error)
{
    const char *output = probe_output(host, PROBE_VERSION, error);
    const char *text;
    guint major, minor, micro;

    if (!output)
        return FALSE;
    text = strstr(output, "version ");
    if (!text || sscanf(text, "version %u.%u.%u", &major, &minor, &micro) != 3) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "cannot parse %s version number in '%.30s'",
                     QEMU_HOST_EMULATOR, output);
        return FALSE;
    }
    host->version = major * 1000000ull + minor * 1000ull + micro;
    host->parsed[PROBE_VERSION] = TRUE;
    return TRUE;
}

gboolean
qemu_get_version(VbConn *conn, guint64 *version, GError **error)
{
    QemuHost *host = qemu_priv(conn)->host;

    if (!host->parsed[PROBE_VERSION] && !parse_version(host, error))
        return FALSE;
    *version = host->version;
    return TRUE;
}

/* ---- machine types and CPU models (QMP probe) ---- */

static JsonArray *
qmp_reply_array(GHashTable *replies, const char *id)
{
    JsonObject *reply = g_hash_table_lookup(replies, id);
    JsonNode *ret = reply ? json_object_get_member(reply, "return") : NULL;

    return ret && JSON_NODE_HOLDS_ARRAY(ret) ? json_node_get_array(ret) : NULL;
}

static void
parse_machines(QemuHost *host, JsonArray *list)
{
    host->machines = g_ptr_array_new_with_free_func((GDestroyNotify)qemu_machine_free);
    for (guint i = 0; list && i < json_array_get_length(list); i++) {
        JsonObject *entry = json_array_get_object_element(list, i);
        QemuMachine *machine;

        if (!entry || !json_object_get_string_member_with_default(entry, "name", NULL))
            continue;
        machine = g_new0(QemuMachine, 1);
        machine->name = g_strdup(json_object_get_string_member(entry, "name"));
        machine->alias = g_strdup(json_object_get_string_member_with_default(entry, "alias", NULL));
        machine->max_cpus = json_object_get_int_member_with_default(entry, "cpu-max", 0);
        machine->deprecated = json_object_get_boolean_member_with_default(entry, "deprecated", FALSE);
        machine->is_default = json_object_get_boolean_member_with_default(entry, "is-default", FALSE);
        g_ptr_array_add(host->machines, machine);
    }
}

static void
parse_cpu_models(QemuHost *host, JsonArray *list)
{
    host->cpu_models = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; list && i < json_array_get_length(list); i++) {
        JsonObject *entry = json_array_get_object_element(list, i);
        JsonNode *missing;

        if (!entry || !json_object_get_string_member_with_default(entry, "name", NULL))
            continue;
        missing = json_object_get_member(entry, "unavailable-features");
        g_hash_table_insert(host->cpu_models, g_strdup(json_object_get_string_member(entry, "name")),
                            GINT_TO_POINTER(missing && JSON_NODE_HOLDS_ARRAY(missing) &&
                                            json_array_get_length(json_node_get_array(missing)) == 0));
    }
}

/* The replies of the QMP probe by id; one JSON object a line. */
static gboolean
parse_qmp(QemuHost *host, GError **error)
{
    const char *output = probe_output(host, PROBE_QMP, error);
    g_autoptr(GHashTable) replies = NULL;
    g_autoptr(GPtrArray) parsers = g_ptr_array_new_with_free_func(g_object_unref);
    g_auto(GStrv) lines = NULL;

    if (!output)
        return FALSE;
    replies = g_hash_table_new(g_str_hash, g_str_equal);
    lines = g_strsplit(output, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        JsonParser *parser = json_parser_new();
        JsonNode *root;
        const char *id;

        g_ptr_array_add(parsers, parser);
        if (!*g_strstrip(lines[i]) || !json_parser_load_from_data(parser, lines[i], -1, NULL))
            continue;
        root = json_parser_get_root(parser);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root))
            continue;
        id = json_object_get_string_member_with_default(json_node_get_object(root), "id", NULL);
        if (id)
            g_hash_table_insert(replies, (char *)id, json_node_get_object(root));
    }
    if (!qmp_reply_array(replies, "machines")) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "%s did not list its machine types", QEMU_HOST_EMULATOR);
        return FALSE;
    }
    parse_machines(host, qmp_reply_array(replies, "machines"));
    parse_cpu_models(host, qmp_reply_array(replies, "cpus"));
    host->parsed[PROBE_QMP] = TRUE;
    return TRUE;
}

GPtrArray *
qemu_host_machines(VbConn *conn, GError **error)
{
    QemuHost *host = qemu_priv(conn)->host;

    if (!host->parsed[PROBE_QMP] && !parse_qmp(host, error))
        return NULL;
    return host->machines;
}

GHashTable *
qemu_host_cpu_models(VbConn *conn, GError **error)
{
    QemuHost *host = qemu_priv(conn)->host;

    if (!host->parsed[PROBE_QMP] && !parse_qmp(host, error))
        return NULL;
    return host->cpu_models;
}

char **
qemu_host_caps_cache(VbConn *conn)
{
    return &qemu_priv(conn)->host->caps_xml;
}

/* ---- /proc and /sys ---- */

static char *
read_file(const char *path)
{
    char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL))
        return NULL;
    return text;
}

static gboolean
read_uint_file(const char *path, guint *out)
{
    g_autofree char *text = read_file(path);
    guint64 value;

    if (!text || !g_ascii_string_to_unsigned(g_strstrip(text), 10, 0, G_MAXUINT, &value, NULL))
        return FALSE;
    *out = value;
    return TRUE;
}

/* The CPU ids of a kernel list such as "0-3,8"; NULL when unreadable. */
static GArray *
read_cpu_list(const char *path)
{
    g_autofree char *text = read_file(path);
    g_auto(GStrv) ranges = NULL;
    GArray *ids;

    if (!text)
        return NULL;
    ids = g_array_new(FALSE, FALSE, sizeof(guint));
    ranges = g_strsplit(g_strstrip(text), ",", -1);
    for (guint i = 0; ranges[i]; i++) {
        guint first, last;
        int n = sscanf(ranges[i], "%u-%u", &first, &last);

        if (n < 1)
            continue;
        if (n == 1)
            last = first;
        for (guint id = first; id <= last && id - first < 65536; id++)
            g_array_append_val(ids, id);
    }
    return ids;
}

static gboolean
cpu_in(const GArray *ids, guint cpu)
{
    for (guint i = 0; ids && i < ids->len; i++) {
        if (g_array_index(ids, guint, i) == cpu)
            return TRUE;
    }
    return FALSE;
}

/* One past the highest id of @ids, libvirt's count of host CPUs. */
static guint
cpu_count(const GArray *ids)
{
    guint count = 0;

    for (guint i = 0; ids && i < ids->len; i++)
        count = MAX(count, g_array_index(ids, guint, i) + 1);
    return count;
}

static gint
compare_uint(gconstpointer a, gconstpointer b)
{
    guint x = *(const guint *)a, y = *(const guint *)b;

    return x < y ? -1 : x > y;
}

/* The numbers N of the "<prefix>N" entries of @dir, ascending. */
static GArray *
numbered_entries(const char *dir, const char *prefix)
{
    g_autoptr(GDir) handle = g_dir_open(dir, 0, NULL);
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(guint));
    const char *name;

    while (handle && (name = g_dir_read_name(handle))) {
        guint64 id;
        if (g_str_has_prefix(name, prefix) &&
            g_ascii_string_to_unsigned(name + strlen(prefix), 10, 0, G_MAXUINT, &id, NULL)) {
            guint value = id;
            g_array_append_val(ids, value);
        }
    }
    g_array_sort(ids, compare_uint);
    return ids;
}

/* "Key: value kB" lines (with an optional "Node N " prefix) -> KiB. */
static GHashTable *
read_meminfo(const char *path)
{
    g_autofree char *text = read_file(path);
    g_auto(GStrv) lines = NULL;
    GHashTable *values;

    if (!text)
        return NULL;
    values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        char key[64];
        guint64 kib;
        const char *line = lines[i];
        guint node;

        if (sscanf(line, "Node %u", &node) == 1) {
            line = strchr(line + strlen("Node "), ' ');
            if (!line)
                continue;
        }
        if (sscanf(line, " %63[^:]: %" G_GUINT64_FORMAT, key, &kib) == 2)
            g_hash_table_replace(values, g_strdup(key), g_memdup2(&kib, sizeof(kib)));
    }
    return values;
}

static gboolean
meminfo_get(GHashTable *meminfo, const char *key, guint64 *kib)
{
    const guint64 *value = meminfo ? g_hash_table_lookup(meminfo, key) : NULL;

    if (value)
        *kib = *value;
    return value != NULL;
}

static GHashTable *
stats_new(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

static void
stats_set(GHashTable *stats, const char *key, guint64 value)
{
    g_hash_table_replace(stats, g_strdup(key), g_memdup2(&value, sizeof(value)));
}

/* ---- virNodeGetInfo ---- */

/* libvirt's value: the last "cpu MHz" line of cpuinfo, decimals dropped; 0 without one. */
static guint
cpu_mhz(const char *root)
{
    g_autofree char *path = g_build_filename(root, "proc/cpuinfo", NULL);
    g_autofree char *text = read_file(path);
    g_auto(GStrv) lines = text ? g_strsplit(text, "\n", -1) : NULL;
    guint mhz = 0;

    for (guint i = 0; lines && lines[i]; i++) {
        const char *colon = strchr(lines[i], ':');
        guint value;

        if (g_str_has_prefix(lines[i], "cpu MHz") && colon && sscanf(colon + 1, "%u", &value) == 1)
            mhz = value;
    }
    return mhz;
}

typedef struct {
    guint processors, offline, sockets, cores, threads;
} NodeTopology;

/* The CPUs of a NUMA node directory (its cpulist, else its cpuN entries), or of the CPU
 * directory itself. */
static GArray *
dir_cpus(const char *dir)
{
    g_autofree char *list = g_build_filename(dir, "cpulist", NULL);
    GArray *cpus = read_cpu_list(list);

    return cpus ? cpus : numbered_entries(dir, "cpu");
}

/* libvirt's count over the CPUs of one NUMA node (or of all CPUs without NUMA): distinct
 * sockets, the most cores of a socket, the most threads of a core. */
static NodeTopology
node_topology(const char *cpu_dir, const char *dir, const GArray *present, const GArray *online)
{
    g_autoptr(GArray) cpus = dir_cpus(dir);
    g_autoptr(GHashTable) sockets = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                                          (GDestroyNotify)g_hash_table_unref);
    NodeTopology topo = { 0 };
    GHashTableIter iter;
    gpointer value;

    for (guint i = 0; i < cpus->len; i++) {
        guint cpu = g_array_index(cpus, guint, i);
        g_autofree char *base = g_strdup_printf("%s/cpu%u/topology", cpu_dir, cpu);
        g_autofree char *socket_path = g_build_filename(base, "physical_package_id", NULL);
        g_autofree char *core_path = g_build_filename(base, "core_id", NULL);
        g_autofree char *siblings_path = g_build_filename(base, "thread_siblings_list", NULL);
        g_autoptr(GArray) siblings = NULL;
        GHashTable *cores;
        guint socket = 0, core = 0;

        if (!cpu_in(present, cpu))
            continue;
        if (!cpu_in(online, cpu)) {
            topo.offline++;
            continue;
        }
        topo.processors++;
        read_uint_file(socket_path, &socket);
        read_uint_file(core_path, &core);
        cores = g_hash_table_lookup(sockets, GUINT_TO_POINTER(socket + 1));
        if (!cores) {
            cores = g_hash_table_new(g_direct_hash, g_direct_equal);
            g_hash_table_insert(sockets, GUINT_TO_POINTER(socket + 1), cores);
        }
        g_hash_table_add(cores, GUINT_TO_POINTER(core + 1));
        siblings = read_cpu_list(siblings_path);
        topo.threads = MAX(topo.threads, siblings && siblings->len ? siblings->len : 1);
    }
    topo.sockets = g_hash_table_size(sockets);
    g_hash_table_iter_init(&iter, sockets);
    while (g_hash_table_iter_next(&iter, NULL, &value))
        topo.cores = MAX(topo.cores, g_hash_table_size(value));
    return topo;
}

gboolean
qemu_host_cpu_topology_at(const char *root, VbNodeInfo *info, GError **error)
{
    g_autofree char *cpu_dir = g_build_filename(root, REL_CPU, NULL);
    g_autofree char *node_dir = g_build_filename(root, REL_NODE, NULL);
    g_autofree char *present_path = g_build_filename(cpu_dir, "present", NULL);
    g_autofree char *online_path = g_build_filename(cpu_dir, "online", NULL);
    g_autoptr(GArray) present = read_cpu_list(present_path);
    g_autoptr(GArray) online = read_cpu_list(online_path);
    g_autoptr(GArray) nodes = numbered_entries(node_dir, "node");
    guint offline = 0;

    info->mhz = cpu_mhz(root);
    info->cpus = info->nodes = info->sockets = info->cores = info->threads = 0;
    if (!present || !online) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "cannot read %s or %s", present_path, online_path);
        return FALSE;
    }
    for (guint i = 0; i < nodes->len; i++) {
        g_autofree char *dir = g_strdup_printf("%s/node%u", node_dir, g_array_index(nodes, guint, i));
        NodeTopology topo = node_topology(cpu_dir, dir, present, online);

        info->nodes++;
        info->cpus += topo.processors;
        offline += topo.offline;
        info->sockets = MAX(info->sockets, topo.sockets);
        info->cores = MAX(info->cores, topo.cores);
        info->threads = MAX(info->threads, topo.threads);
    }
    if (!info->cpus || !info->nodes) {
        NodeTopology topo = node_topology(cpu_dir, cpu_dir, present, online);

        info->nodes = 1;
        info->cpus = topo.processors;
        offline = topo.offline;
        info->sockets = topo.sockets;
        info->cores = topo.cores;
        info->threads = topo.threads;
    }
    if (!info->cpus || !info->sockets || !info->threads) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "no %s found",
                     !info->cpus ? "CPUs" : !info->sockets ? "sockets" : "threads");
        return FALSE;
    }
    /* like libvirt: a topology that does not multiply up is reported flat (see capabilities) */
    if (info->nodes * info->sockets * info->cores * info->threads != info->cpus + offline) {
        info->nodes = info->sockets = info->threads = 1;
        info->cores = info->cpus + offline;
    }
    return TRUE;
}

gboolean
qemu_node_get_info(VbConn *conn, VbNodeInfo *info, GError **error)
{
    g_autoptr(GHashTable) meminfo = read_meminfo("/proc/meminfo");
    struct utsname name;

    memset(info, 0, sizeof(*info));
    if (!meminfo_get(meminfo, "MemTotal", &info->memory_kib)) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "%s", "cannot read MemTotal from /proc/meminfo");
        return FALSE;
    }
    if (uname(&name) == 0)
        g_strlcpy(info->model, name.machine, sizeof(info->model));
    return qemu_host_cpu_topology_at("/", info, error);
}

/* ---- CPU map and statistics ---- */

GArray *
qemu_node_get_cpu_map(VbConn *conn, guint flags, GError **error)
{
    g_autoptr(GArray) present = NULL;
    g_autoptr(GArray) online = NULL;
    GArray *map;
    guint count;

    if (!vb_check_flags(flags, 0, "virNodeGetCPUMap", error))
        return NULL;
    present = read_cpu_list(SYS_CPU "/present");
    online = read_cpu_list(SYS_CPU "/online");
    if (!present || !online) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "cannot read %s", SYS_CPU "/present or " SYS_CPU "/online");
        return NULL;
    }
    count = cpu_count(present);
    map = g_array_sized_new(FALSE, TRUE, sizeof(gboolean), count);
    for (guint cpu = 0; cpu < count; cpu++) {
        gboolean on = cpu_in(online, cpu);
        g_array_append_val(map, on);
    }
    return map;
}

GHashTable *
qemu_node_get_cpu_stats(VbConn *conn, int cpu, guint flags, GError **error)
{
    g_autofree char *text = NULL;
    g_autofree char *header = NULL;
    g_auto(GStrv) lines = NULL;
    guint64 tick_ns = 1000000000ull / (guint64)MAX(sysconf(_SC_CLK_TCK), 1);

    if (!vb_check_flags(flags, 0, "virNodeGetCPUStats", error))
        return NULL;
    if (!(text = read_file("/proc/stat"))) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "cannot open %s: %s", "/proc/stat", g_strerror(errno));
        return NULL;
    }
    header = cpu == -1 ? g_strdup("cpu ") : g_strdup_printf("cpu%d ", cpu);
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; cpu >= -1 && lines[i]; i++) {
        guint64 v[7] = { 0 };   /* user nice system idle iowait irq softirq */
        GHashTable *stats;

        if (!g_str_has_prefix(lines[i], header) ||
            sscanf(lines[i] + strlen(header), "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                   " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
                   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]) < 4)
            continue;
        stats = stats_new();
        stats_set(stats, "kernel", (v[2] + v[5] + v[6]) * tick_ns);
        stats_set(stats, "user", (v[0] + v[1]) * tick_ns);
        stats_set(stats, "idle", v[3] * tick_ns);
        stats_set(stats, "iowait", v[4] * tick_ns);
        return stats;
    }
    vb_set_error(error, VB_ERR_INVALID_ARG, "%s", "Invalid cpuNum in virHostCPUGetStatsLinux");
    return NULL;
}

/* ---- memory ---- */

gboolean
qemu_node_get_free_memory(VbConn *conn, guint64 *bytes, GError **error)
{
    g_autoptr(GArray) nodes = numbered_entries(SYS_NODE, "node");
    g_autoptr(GHashTable) meminfo = NULL;
    guint64 kib = 0, total = 0;

    /* the sum over NUMA nodes, as libvirt's virNumaGetNodeMemory does */
    for (guint i = 0; i < nodes->len; i++) {
        g_autofree char *path = g_strdup_printf(SYS_NODE "/node%u/meminfo", g_array_index(nodes, guint, i));
        g_autoptr(GHashTable) node = read_meminfo(path);
        if (meminfo_get(node, "MemFree", &kib))
            total += kib;
    }
    if (!nodes->len) {
        meminfo = read_meminfo("/proc/meminfo");
        if (!meminfo_get(meminfo, "MemFree", &total)) {
            vb_set_error(error, VB_ERR_SYSTEM_ERROR, "%s", "cannot read MemFree from /proc/meminfo");
            return FALSE;
        }
    }
    *bytes = total * 1024;
    return TRUE;
}

GHashTable *
qemu_node_get_memory_stats(VbConn *conn, int cell, guint flags, GError **error)
{
    static const char *const keys[][2] = {
        { "MemTotal", "total" }, { "MemFree", "free" }, { "Buffers", "buffers" }, { "Cached", "cached" },
    };
    g_autoptr(GArray) nodes = numbered_entries(SYS_NODE, "node");
    g_autoptr(GHashTable) meminfo = NULL;
    g_autoptr(GHashTable) stats = NULL;
    g_autofree char *path = NULL;
    int max_node = nodes->len ? (int)g_array_index(nodes, guint, nodes->len - 1) : 0;

    if (!vb_check_flags(flags, 0, "virNodeGetMemoryStats", error))
        return NULL;
    /* without NUMA the host is one cell, cell 0 */
    if (!nodes->len && cell == 0)
        cell = -1;
    if (cell < -1 || cell > max_node) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "cellNum in virHostMemGetStats must be less than or equal to %d",
                     max_node);
        return NULL;
    }
    path = cell == -1 ? g_strdup("/proc/meminfo") : g_strdup_printf(SYS_NODE "/node%d/meminfo", cell);
    if (!(meminfo = read_meminfo(path))) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "cannot open %s: %s", path, g_strerror(errno));
        return NULL;
    }
    stats = stats_new();
    /* a single cell: total and free only, as libvirt */
    for (gsize i = 0; i < (cell == -1 ? G_N_ELEMENTS(keys) : 2); i++) {
        guint64 kib;
        if (meminfo_get(meminfo, keys[i][0], &kib))
            stats_set(stats, keys[i][1], kib);
    }
    if (!g_hash_table_size(stats)) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "%s", "no available memory line found");
        return NULL;
    }
    return g_steal_pointer(&stats);
}

/* ---- sysinfo ---- */

typedef struct {
    const char *file;
    const char *entry;
} DmiEntry;

static void
format_dmi_section(VbBuf *buf, const char *element, const DmiEntry *entries, gsize n)
{
    g_auto(VbBuf) children = { 0 };

    vb_buf_init(&children, 0);
    for (gsize i = 0; i < n; i++) {
        g_autofree char *path = g_build_filename(DMI_DIR, entries[i].file, NULL);
        g_autofree char *value = read_file(path);

        if (!value || !*g_strstrip(value))
            continue;
        vb_buf_add(&children, "<entry name='%s'>", entries[i].entry);
        vb_buf_escape(&children, "%s</entry>\n", value);
    }
    vb_buf_element(buf, element, NULL, &children);
}

/* libvirt's <sysinfo type='smbios'> from the kernel's copy of the SMBIOS tables: what
 * dmidecode would print for BIOS, system, base board and chassis, every file that is missing
 * or unreadable (serials and UUID need root) left out. Processor and memory device entries
 * come only from dmidecode in libvirt and are not reported. */
char *
qemu_get_sysinfo(VbConn *conn, guint flags, GError **error)
{
    static const DmiEntry bios[] = {
        { "bios_vendor", "vendor" }, { "bios_version", "version" }, { "bios_date", "date" },
        { "bios_release", "release" },
    };
    static const DmiEntry system[] = {
        { "sys_vendor", "manufacturer" }, { "product_name", "product" }, { "product_version", "version" },
        { "product_serial", "serial" }, { "product_uuid", "uuid" }, { "product_sku", "sku" },
        { "product_family", "family" },
    };
    static const DmiEntry board[] = {
        { "board_vendor", "manufacturer" }, { "board_name", "product" }, { "board_version", "version" },
        { "board_serial", "serial" }, { "board_asset_tag", "asset" },
    };
    static const DmiEntry chassis[] = {
        { "chassis_vendor", "manufacturer" }, { "chassis_version", "version" }, { "chassis_serial", "serial" },
        { "chassis_asset_tag", "asset" },
    };
    g_auto(VbBuf) children = { 0 };
    g_auto(VbBuf) attrs = { 0 };
    VbBuf buf;

    if (!vb_check_flags(flags, 0, "virConnectGetSysinfo", error))
        return NULL;
    vb_buf_init(&children, 0);
    vb_buf_init(&attrs, 0);
    vb_buf_add(&attrs, " type='smbios'");
    format_dmi_section(&children, "bios", bios, G_N_ELEMENTS(bios));
    format_dmi_section(&children, "system", system, G_N_ELEMENTS(system));
    format_dmi_section(&children, "baseBoard", board, G_N_ELEMENTS(board));
    format_dmi_section(&children, "chassis", chassis, G_N_ELEMENTS(chassis));
    vb_buf_init(&buf, 0);
    vb_buf_element(&buf, "sysinfo", &attrs, &children);
    return vb_buf_steal(&buf);
}

/* ---- CPU models, security ---- */

/* libvirt's architecture names (virArch) */
static const char *const known_arches[] = {
    "i686", "x86_64", "aarch64", "armv6l", "armv7l", "armv7b", "alpha", "cris", "loongarch64", "m68k",
    "microblaze", "microblazeel", "mips", "mipsel", "mips64", "mips64el", "openrisc", "parisc", "parisc64",
    "ppc", "ppcle", "ppc64", "ppc64le", "ppcemb", "riscv32", "riscv64", "s390", "s390x", "sh4", "sh4eb",
    "sparc", "sparc64", "unicore32", "xtensa", "xtensaeb", NULL,
};

gboolean
qemu_arch_is_known(const char *arch)
{
    return arch && g_strv_contains(known_arches, arch);
}

GStrv
qemu_get_cpu_model_names(VbConn *conn, const char *arch, guint flags, GError **error)
{
    const VbCpuDb *db;

    if (!vb_check_flags(flags, 0, "virConnectGetCPUModelNames", error))
        return NULL;
    if (!qemu_arch_is_known(arch)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "cannot find architecture %s", arch ? arch : "");
        return NULL;
    }
    if (!vb_cpu_arch_is_x86(arch)) {
        vb_set_error(error, VB_ERR_NO_SUPPORT, "cannot get CPU models for %s architecture", arch);
        return NULL;
    }
    db = vb_cpu_db_default(error);
    return db ? vb_cpu_db_model_names(db) : NULL;
}

/* No security driver confines QEMU here: libvirt's "none" model. */
gboolean
qemu_node_get_security_model(VbConn *conn, char **model, char **doi, GError **error)
{
    *model = g_strdup("none");
    *doi = g_strdup("0");
    return TRUE;
}

/* /dev/kvm opens read-write for this process. */
gboolean
qemu_host_kvm_usable(void)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

    if (fd < 0)
        return FALSE;
    close(fd);
    return TRUE;
}
