/* qemu_tune.c: tuning and queries of QEMU domains over QMP — the memory balloon, vCPU
 * hot-plug and pinning, statistics, keys and NMIs — and the persistent side of the same calls.
 *
 * Every call that waits on QEMU runs as a job (qemu_private.h's job API); qemu_job_end_pointer
 * answers the caller's task, with a pointer for the calls that return data. */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "drivers/qemu/qemu_private.h"

#define QEMU_AFFECT (VB_AFFECT_LIVE | VB_AFFECT_CONFIG)
#define QEMU_SEND_KEY_MAX 16    /* VIR_DOMAIN_SEND_KEY_MAX_KEYS */

typedef struct {
    VbConn *conn;
    char *uuid;
    guint flags;
    GTask *outer;             /* the caller's task */
    gboolean began;           /* the job holds the domain */
    gpointer result;          /* what the caller's task returns; NULL: TRUE */
    GDestroyNotify result_free;

    guint64 kib;              /* SetMemory */
    guint count;              /* SetVcpus: the live count wanted */
    guint vcpu;               /* PinVcpu */
    char *cpuset;             /* PinVcpu: "0-2,5" */
    cpu_set_t cpus;
    guint stats;              /* GetStats: the groups wanted */
    int period;               /* SetMemoryStatsPeriod */
    GPtrArray *cpu_devices;   /* SetVcpus: JsonObject per cpu to add or remove, in order */
    guint next;
} TuneJob;

static void
tune_job_free(TuneJob *job)
{
    if (job->result && job->result_free)
        job->result_free(job->result);
    g_clear_pointer(&job->cpu_devices, g_ptr_array_unref);
    g_free(job->cpuset);
    g_free(job->uuid);
    g_free(job);
}

static TuneJob *
tune_job_new(VbConn *conn, VbDomainObj *dom, guint flags, GTask *outer)
{
    TuneJob *job = g_new0(TuneJob, 1);

    job->conn = conn;
    job->uuid = g_strdup(dom->def->uuid);
    job->flags = flags;
    job->outer = outer;
    return job;
}

/* Answers the caller with @error (taken) or the job's result, and frees the domain. */
static void
tune_end(TuneJob *job, GError *error)
{
    qemu_job_end_pointer(job->began ? qemu_run_lookup(job->conn, job->uuid) : NULL, job->outer,
                         g_steal_pointer(&job->result), job->result_free, error);
    tune_job_free(job);
}

static void
tune_fail(TuneJob *job, VbErrorCode code, const char *message)
{
    GError *error = NULL;

    vb_set_error(&error, code, "%s", message);
    tune_end(job, error);
}

/* FALSE (and the job ended: @job is gone) when the domain is not running or busy. */
static gboolean
tune_begin(TuneJob *job, VbDomainObj *dom)
{
    GError *error = NULL;

    if (!qemu_job_begin_active(job->conn, dom, &error)) {
        tune_end(job, error);
        return FALSE;
    }
    job->began = TRUE;
    return TRUE;
}

/* A change of the persistent definition alone needs no QEMU, but waits for no job either. */
static gboolean
check_not_busy(VbConn *conn, VbDomainObj *dom, GError **error)
{
    if (!qemu_domain_is_busy(conn, dom))
        return TRUE;
    vb_set_error(error, VB_ERR_OPERATION_TIMEOUT, "cannot acquire state change lock: another operation on domain "
                 "'%s' is in progress", dom->def->name);
    return FALSE;
}

static VbDomainObj *
tune_domain(TuneJob *job)
{
    return vb_obj_list_by_key(job->conn->domains, job->uuid);
}

/* Sends @command (@args taken, may be NULL) on the domain's monitor; @callback gets the job. */
static void
tune_execute(TuneJob *job, const char *command, JsonObject *args, GAsyncReadyCallback callback)
{
    QemuRun *run = qemu_run_lookup(job->conn, job->uuid);

    if (!run || !run->proc) {
        if (args)
            json_object_unref(args);
        tune_fail(job, VB_ERR_OPERATION_FAILED, "domain is no longer running");
        return;
    }
    vb_qemu_monitor_execute(vb_qemu_process_get_monitor(run->proc), command, args, NULL, callback, job);
    if (args)
        json_object_unref(args);
}

/* QEMU's answer; on an error the job is ended (@job is gone) and NULL returned. */
static JsonNode *
tune_reply(TuneJob *job, GAsyncResult *result)
{
    GError *error = NULL;
    JsonNode *reply = vb_qemu_monitor_execute_finish(NULL, result, &error);

    if (error) {
        tune_end(job, error);
        return NULL;
    }
    return reply ? reply : json_node_new(JSON_NODE_NULL);
}

static void
tune_save_status(TuneJob *job, VbDomainObj *dom)
{
    QemuRun *run = qemu_run_lookup(job->conn, job->uuid);

    if (run && run->proc)
        qemu_status_save(job->conn, dom, run);
}

/* ---- definitions ---- */

/* The persistent definition again after a wait, or NULL when the job changes none. */
static VbDomainDef *
job_config(TuneJob *job, VbDomainObj *dom)
{
    if (!(job->flags & VB_AFFECT_CONFIG) && (job->flags & QEMU_AFFECT))
        return NULL;
    if (!(job->flags & QEMU_AFFECT) && vb_domain_obj_is_active(dom))
        return NULL;
    return dom->persistent ? vb_domain_obj_persistent_def(dom) : NULL;
}

/* The balloon's QOM path: qemu_command names it by its user alias, else balloon0. */
static char *
balloon_qom_path(const VbDomainDef *def)
{
    for (guint i = 0; i < def->devices->len; i++) {
        VbDeviceDef *dev = g_ptr_array_index(def->devices, i);
        g_autoptr(xmlDoc) doc = NULL;
        xmlNodePtr alias;
        g_autofree char *name = NULL;

        if (dev->kind != VB_DEVICE_MEMBALLOON || !(doc = vb_xml_parse(dev->xml, "memballoon", NULL)))
            continue;
        alias = vb_xml_child(xmlDocGetRootElement(doc), "alias");
        name = alias ? vb_xml_prop(alias, "name") : NULL;
        if (name && g_str_has_prefix(name, "ua-"))
            return g_strconcat("/machine/peripheral/", name, NULL);
    }
    return g_strdup("/machine/peripheral/balloon0");
}

static guint
host_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_CONF);

    return n > 0 ? (guint)n : 1;
}

/* ---- <cputune>: <vcpupin vcpu='N'> and <emulatorpin> ---- */

/* <cputune>'s children in libvirt's order. */
static const char *const cputune_order[] = { "vcpupin", "emulatorpin", "iothreadpin", "vcpusched", "iothreadsched",
                                             "emulatorsched", "cachetune", "memorytune", NULL };

static guint
cputune_rank(const xmlChar *name)
{
    guint i;

    for (i = 0; cputune_order[i] && !xmlStrEqual(name, BAD_CAST cputune_order[i]); i++)
        ;
    return i;
}

/* Is @node the pin @element (for vcpupin: of @vcpu)? *@after says it sorts after that pin. */
static gboolean
is_pin(xmlNodePtr node, const char *element, guint vcpu, gboolean *after)
{
    guint id = 0;
    gboolean vcpupin = g_str_equal(element, "vcpupin");

    *after = cputune_rank(node->name) > cputune_rank(BAD_CAST element);
    if (!xmlStrEqual(node->name, BAD_CAST element))
        return FALSE;
    if (!vcpupin)
        return TRUE;
    vb_xml_prop_uint(node, "vcpu", VB_XML_OPTIONAL, &id, NULL);
    *after = id > vcpu;
    return id == vcpu;
}

/* The cpuset of <vcpupin vcpu='@vcpu'> or of <emulatorpin> (@vcpu unused), or NULL. */
static char *
cputune_pin(const char *cputune_xml, const char *element, guint vcpu)
{
    g_autoptr(xmlDoc) doc = cputune_xml ? vb_xml_parse(cputune_xml, "cputune", NULL) : NULL;
    gboolean after;

    for (xmlNodePtr cur = doc ? vb_xml_child(xmlDocGetRootElement(doc), NULL) : NULL; cur; cur = vb_xml_next(cur, NULL)) {
        if (is_pin(cur, element, vcpu, &after))
            return vb_xml_prop(cur, "cpuset");
    }
    return NULL;
}

static gboolean
cputune_set_pin(char **cputune_xml, const char *element, guint vcpu, const char *cpuset, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    xmlNodePtr root, pin = NULL, before = NULL;
    gboolean after;

    if (*cputune_xml && !(doc = vb_xml_parse(*cputune_xml, "cputune", error)))
        return FALSE;
    if (!doc) {
        doc = xmlNewDoc(BAD_CAST "1.0");
        xmlDocSetRootElement(doc, xmlNewDocNode(doc, NULL, BAD_CAST "cputune", NULL));
    }
    root = xmlDocGetRootElement(doc);
    for (xmlNodePtr cur = vb_xml_child(root, NULL); cur && !pin; cur = vb_xml_next(cur, NULL)) {
        if (is_pin(cur, element, vcpu, &after))
            pin = cur;
        else if (!before && after)
            before = cur;
    }
    if (!pin) {
        pin = xmlNewDocNode(doc, NULL, BAD_CAST element, NULL);
        if (before)
            xmlAddPrevSibling(before, pin);
        else
            xmlAddChild(root, pin);
        if (g_str_equal(element, "vcpupin")) {
            g_autofree char *id_text = g_strdup_printf("%u", vcpu);
            xmlNewProp(pin, BAD_CAST "vcpu", BAD_CAST id_text);
        }
    }
    xmlSetProp(pin, BAD_CAST "cpuset", BAD_CAST cpuset);
    g_free(*cputune_xml);
    *cputune_xml = vb_xml_node_dump(root);
    return TRUE;
}

/* "0-2,5" from a caller's map of host CPUs; NULL when none is set. */
static char *
cpumap_format(GArray *map, guint ncpus)
{
    g_autoptr(GArray) fitted = vb_cpumap_fit(map, ncpus);

    return vb_cpumap_format(fitted);
}

/* A map of @ncpus from libvirt's bitmap syntax; every CPU when @text is NULL or malformed. */
static GArray *
cpumap_parse(const char *text, guint ncpus)
{
    GArray *map = vb_cpumap_new(ncpus, text == NULL);

    if (text && !vb_cpumap_parse(text, map, FALSE)) {
        for (guint i = 0; i < ncpus; i++)
            g_array_index(map, gboolean, i) = TRUE;
    }
    return map;
}

/* ---- memory ---- */

static gboolean
check_memory(VbDomainDef *def, gboolean live, guint64 kib, guint flags, GError **error)
{
    if (flags & VB_MEM_MAXIMUM) {
        if (live) {
            vb_set_error(error, VB_ERR_OPERATION_INVALID, "cannot resize the maximum memory on an active domain");
            return FALSE;
        }
        if (def->max_memory_kib && def->max_memory_kib < kib) {
            vb_set_error(error, VB_ERR_OPERATION_INVALID,
                         "cannot set initial memory size greater than the maximum memory size");
            return FALSE;
        }
        return TRUE;
    }
    if (kib > def->memory_kib) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "cannot set memory higher than max memory");
        return FALSE;
    }
    if (live && !vb_domain_def_has_memballoon(def)) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "Unable to change memory of active domain without the "
                     "balloon device and guest OS balloon driver");
        return FALSE;
    }
    return TRUE;
}

static gboolean
set_memory_config(VbConn *conn, VbDomainDef *config, guint64 kib, guint flags, GError **error)
{
    if (flags & VB_MEM_MAXIMUM) {
        config->memory_kib = kib;
        config->current_memory_kib = MIN(config->current_memory_kib, kib);
    } else {
        config->current_memory_kib = kib;
    }
    return qemu_domain_save_config(conn, config, error);
}

static void
on_balloon_set(GObject *source, GAsyncResult *result, gpointer user_data)
{
    TuneJob *job = user_data;
    g_autoptr(JsonNode) reply = tune_reply(job, result);
    VbDomainObj *dom;
    VbDomainDef *config;
    GError *error = NULL;

    if (!reply)
        return;
    /* the live current memory follows the guest: BALLOON_CHANGE (qemu_tune_handle_event) */
    if ((dom = tune_domain(job)) && (config = job_config(job, dom)))
        set_memory_config(job->conn, config, job->kib, job->flags, &error);
    tune_end(job, error);
}

void
qemu_domain_set_memory_flags_async(VbConn *conn, VbDomainObj *dom, guint64 kib, guint flags, GTask *task)
{
    TuneJob *job = tune_job_new(conn, dom, flags, task);
    VbDomainDef *live = NULL, *config = NULL;
    GError *error = NULL;
    JsonObject *args;

    job->kib = kib;
    if (kib == 0) {
        tune_fail(job, VB_ERR_INVALID_ARG, "memory in virDomainSetMemoryFlags must not be zero");
        return;
    }
    if (!vb_check_flags(flags, QEMU_AFFECT | VB_MEM_MAXIMUM, "virDomainSetMemoryFlags", &error) ||
        !vb_domain_obj_defs(dom, flags, &live, &config, &error) ||
        (live && !check_memory(live, TRUE, kib, flags, &error)) ||
        (config && !check_memory(config, FALSE, kib, flags, &error))) {
        tune_end(job, error);
        return;
    }
    if (!live) {
        tune_end(job, check_not_busy(conn, dom, &error) && set_memory_config(conn, config, kib, flags, &error)
                          ? NULL : error);
        return;
    }
    if (!tune_begin(job, dom))
        return;
    args = json_object_new();
    json_object_set_int_member(args, "value", (gint64)(kib * 1024));
    tune_execute(job, "balloon", args, on_balloon_set);
}

void
qemu_tune_handle_event(QemuRun *run, VbDomainObj *dom, const char *name, JsonObject *data)
{
    if (g_str_equal(name, "BALLOON_CHANGE") && json_object_has_member(data, "actual")) {
        dom->def->current_memory_kib = (guint64)json_object_get_int_member(data, "actual") / 1024;
        qemu_status_save(run->conn, dom, run);
        vb_conn_emit_value(run->conn, VB_EVENT_DOMAIN_BALLOON_CHANGE, run->uuid,
                           (gint64)dom->def->current_memory_kib);
    }
}

/* ---- vCPU counts ---- */

gboolean
qemu_domain_get_vcpus_flags(VbConn *conn, VbDomainObj *dom, guint flags, guint *count, GError **error)
{
    VbDomainDef *def;

    if (!vb_check_flags(flags, QEMU_AFFECT | VB_VCPU_MAXIMUM, "virDomainGetVcpusFlags", error) ||
        !(def = vb_domain_obj_one_def(dom, flags, NULL, error)))
        return FALSE;
    *count = (flags & VB_VCPU_MAXIMUM) ? def->vcpus : vb_domain_def_vcpus_current(def);
    return TRUE;
}

static gboolean
check_vcpus(VbDomainDef *live, VbDomainDef *config, guint count, guint flags, GError **error)
{
    if (count == 0) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "nvcpus in virDomainSetVcpusFlags must not be zero");
        return FALSE;
    }
    if (live && (flags & VB_VCPU_MAXIMUM)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "maximum vcpu count of a live domain can't be modified");
        return FALSE;
    }
    if (live && count > live->vcpus) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "requested vcpus is greater than max allowable vcpus for the live "
                     "domain: %u > %u", count, live->vcpus);
        return FALSE;
    }
    if (config && !(flags & VB_VCPU_MAXIMUM) && count > config->vcpus) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "requested vcpus is greater than max allowable vcpus for the "
                     "persistent domain: %u > %u", count, config->vcpus);
        return FALSE;
    }
    return TRUE;
}

static void
set_current_vcpus(VbDomainDef *def, guint count)
{
    def->vcpus_current = count == def->vcpus ? 0 : count;
}

static gboolean
set_vcpus_config(VbConn *conn, VbDomainDef *config, guint count, guint flags, GError **error)
{
    if (flags & VB_VCPU_MAXIMUM) {
        guint current = MIN(vb_domain_def_vcpus_current(config), count);
        config->vcpus = count;
        set_current_vcpus(config, current);
    } else {
        set_current_vcpus(config, count);
    }
    return qemu_domain_save_config(conn, config, error);
}

static void
vcpus_finish(TuneJob *job)
{
    VbDomainObj *dom = tune_domain(job);
    VbDomainDef *config;
    GError *error = NULL;

    if (dom) {
        set_current_vcpus(dom->def, job->count);
        tune_save_status(job, dom);
        if ((config = job_config(job, dom)))
            set_vcpus_config(job->conn, config, job->count, job->flags, &error);
    }
    tune_end(job, error);
}

static void vcpus_next(TuneJob *job);

static void
on_vcpu_changed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    TuneJob *job = user_data;
    g_autoptr(JsonNode) reply = tune_reply(job, result);

    if (reply)
        vcpus_next(job);
}

/* device_add (or device_del) of the next cpu of the plan. */
static void
vcpus_next(TuneJob *job)
{
    JsonObject *cpu, *props, *args = json_object_new();
    g_autoptr(GList) members = NULL;
    gboolean add;

    if (job->next >= job->cpu_devices->len) {
        json_object_unref(args);
        vcpus_finish(job);
        return;
    }
    cpu = g_ptr_array_index(job->cpu_devices, job->next++);
    add = !json_object_has_member(cpu, "qom-path");
    if (!add) {
        const char *path = json_object_get_string_member(cpu, "qom-path");
        json_object_set_string_member(args, "id", strrchr(path, '/') + 1);
        tune_execute(job, "device_del", args, on_vcpu_changed);
        return;
    }
    props = json_object_get_object_member(cpu, "props");
    json_object_set_string_member(args, "driver", json_object_get_string_member(cpu, "type"));
    json_object_set_string_member(args, "id", json_object_get_string_member(cpu, "vb-id"));
    members = json_object_get_members(props);
    for (GList *l = members; l; l = l->next)
        json_object_set_member(args, l->data, json_node_copy(json_object_get_member(props, l->data)));
    tune_execute(job, "device_add", args, on_vcpu_changed);
}

static gint64
cpu_prop(JsonObject *cpu, const char *name)
{
    JsonObject *props = json_object_get_object_member(cpu, "props");

    return props ? json_object_get_int_member_with_default(props, name, 0) : 0;
}

static gint
cpu_compare(gconstpointer a, gconstpointer b)
{
    static const char *const order[] = { "node-id", "socket-id", "die-id", "core-id", "thread-id", NULL };
    JsonObject *x = *(JsonObject *const *)a, *y = *(JsonObject *const *)b;

    for (guint i = 0; order[i]; i++) {
        gint64 dx = cpu_prop(x, order[i]), dy = cpu_prop(y, order[i]);
        if (dx != dy)
            return dx < dy ? -1 : 1;
    }
    return 0;
}

/* Which cpus to plug (the first free ones in topology order) or unplug (the last ones that
 * were hot-plugged; those QEMU started with stay), libvirt's choice. */
static void
on_hotpluggable_cpus(GObject *source, GAsyncResult *result, gpointer user_data)
{
    TuneJob *job = user_data;
    g_autoptr(JsonNode) reply = tune_reply(job, result);
    g_autoptr(GPtrArray) cpus = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
    VbDomainObj *dom;
    guint plugged = 0, current;

    if (!reply)
        return;
    if (!(dom = tune_domain(job)) || !JSON_NODE_HOLDS_ARRAY(reply)) {
        tune_fail(job, VB_ERR_OPERATION_FAILED, "domain is no longer running");
        return;
    }
    for (guint i = 0; i < json_array_get_length(json_node_get_array(reply)); i++) {
        JsonObject *cpu = json_array_get_object_element(json_node_get_array(reply), i);
        g_ptr_array_add(cpus, json_object_ref(cpu));
        plugged += json_object_has_member(cpu, "qom-path");
    }
    g_ptr_array_sort(cpus, cpu_compare);
    current = plugged;
    job->cpu_devices = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
    for (guint i = 0; i < cpus->len && current < job->count; i++) {
        JsonObject *cpu = g_ptr_array_index(cpus, i);
        g_autofree char *id = g_strdup_printf("vcpu%u", i);

        if (json_object_has_member(cpu, "qom-path"))
            continue;
        json_object_set_string_member(cpu, "vb-id", id);
        g_ptr_array_add(job->cpu_devices, json_object_ref(cpu));
        current++;
    }
    for (guint i = cpus->len; i-- > 0 && current > job->count;) {
        JsonObject *cpu = g_ptr_array_index(cpus, i);
        const char *path = json_object_get_string_member_with_default(cpu, "qom-path", "");

        if (!g_str_has_prefix(path, "/machine/peripheral/"))
            continue;
        g_ptr_array_add(job->cpu_devices, json_object_ref(cpu));
        current--;
    }
    if (current != job->count) {
        tune_fail(job, VB_ERR_CONFIG_UNSUPPORTED,
                  "failed to find appropriate hotpluggable vcpus to reach the desired target vcpu count");
        return;
    }
    vcpus_next(job);
}

void
qemu_domain_set_vcpus_flags_async(VbConn *conn, VbDomainObj *dom, guint count, guint flags, GTask *task)
{
    TuneJob *job = tune_job_new(conn, dom, flags, task);
    VbDomainDef *live = NULL, *config = NULL;
    GError *error = NULL;

    job->count = count;
    if (!vb_check_flags(flags, QEMU_AFFECT | VB_VCPU_MAXIMUM, "virDomainSetVcpusFlags", &error) ||
        !vb_domain_obj_defs(dom, flags, &live, &config, &error) || !check_vcpus(live, config, count, flags, &error)) {
        tune_end(job, error);
        return;
    }
    if (!live) {
        tune_end(job, check_not_busy(conn, dom, &error) && set_vcpus_config(conn, config, count, flags, &error)
                          ? NULL : error);
        return;
    }
    if (!tune_begin(job, dom))
        return;
    tune_execute(job, "query-hotpluggable-cpus", NULL, on_hotpluggable_cpus);
}

/* ---- pinning ---- */

static gboolean
pin_def(VbConn *conn, VbDomainDef *def, gboolean persistent, guint vcpu, const char *cpuset, GError **error)
{
    return cputune_set_pin(&def->cputune_xml, "vcpupin", vcpu, cpuset, error) &&
           (!persistent || qemu_domain_save_config(conn, def, error));
}

/* The vCPU's thread from query-cpus-fast gets the new affinity. */
static void
on_cpus_for_pin(GObject *source, GAsyncResult *result, gpointer user_data)
{
    TuneJob *job = user_data;
    g_autoptr(JsonNode) reply = tune_reply(job, result);
    VbDomainObj *dom;
    VbDomainDef *config;
    GError *error = NULL;
    gint64 tid = -1;

    if (!reply)
        return;
    for (guint i = 0; JSON_NODE_HOLDS_ARRAY(reply) && i < json_array_get_length(json_node_get_array(reply)); i++) {
        JsonObject *cpu = json_array_get_object_element(json_node_get_array(reply), i);
        if (json_object_get_int_member_with_default(cpu, "cpu-index", -1) == job->vcpu)
            tid = json_object_get_int_member_with_default(cpu, "thread-id", -1);
    }
    if (tid <= 0 || !(dom = tune_domain(job))) {
        tune_fail(job, VB_ERR_OPERATION_FAILED, "cannot find the thread of the vCPU");
        return;
    }
    if (sched_setaffinity((pid_t)tid, sizeof(job->cpus), &job->cpus) < 0) {
        vb_set_error(&error, VB_ERR_SYSTEM_ERROR, "cannot set CPU affinity on process %d: %s", (int)tid,
                     g_strerror(errno));
        tune_end(job, error);
        return;
    }
    if (pin_def(job->conn, dom->def, FALSE, job->vcpu, job->cpuset, &error)) {
        tune_save_status(job, dom);
        if ((config = job_config(job, dom)))
            pin_def(job->conn, config, TRUE, job->vcpu, job->cpuset, &error);
    }
    tune_end(job, error);
}

static gboolean
check_pin(VbDomainDef *live, VbDomainDef *config, guint vcpu, GError **error)
{
    if (live && vcpu >= vb_domain_def_vcpus_current(live)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "vcpu %u is out of range of live cpu count %u", vcpu,
                     vb_domain_def_vcpus_current(live));
        return FALSE;
    }
    if (config && vcpu >= config->vcpus) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "vcpu %u is out of range of persistent cpu count %u", vcpu,
                     config->vcpus);
        return FALSE;
    }
    return TRUE;
}

void
qemu_domain_pin_vcpu_async(VbConn *conn, VbDomainObj *dom, guint vcpu, GArray *cpumap, guint flags, GTask *task)
{
    TuneJob *job = tune_job_new(conn, dom, flags, task);
    guint ncpus = host_cpu_count();
    VbDomainDef *live = NULL, *config = NULL;
    GError *error = NULL;

    job->vcpu = vcpu;
    if (!vb_check_flags(flags, QEMU_AFFECT, "virDomainPinVcpuFlags", &error) ||
        !vb_domain_obj_defs(dom, flags, &live, &config, &error) || !check_pin(live, config, vcpu, &error)) {
        tune_end(job, error);
        return;
    }
    if (!(job->cpuset = cpumap_format(cpumap, ncpus))) {
        tune_fail(job, VB_ERR_INVALID_ARG, "Empty cpu list for pinning");
        return;
    }
    CPU_ZERO(&job->cpus);
    for (guint i = 0; i < MIN(cpumap->len, MIN(ncpus, CPU_SETSIZE)); i++) {
        if (g_array_index(cpumap, gboolean, i))
            CPU_SET(i, &job->cpus);
    }
    if (!live) {
        tune_end(job, check_not_busy(conn, dom, &error) && pin_def(conn, config, TRUE, vcpu, job->cpuset, &error)
                          ? NULL : error);
        return;
    }
    if (!tune_begin(job, dom))
        return;
    tune_execute(job, "query-cpus-fast", NULL, on_cpus_for_pin);
}

GPtrArray *
qemu_domain_get_vcpu_pin_info(VbConn *conn, VbDomainObj *dom, guint flags, GError **error)
{
    guint ncpus = host_cpu_count();
    VbDomainDef *def;
    GPtrArray *maps;

    if (!vb_check_flags(flags, QEMU_AFFECT, "virDomainGetVcpuPinInfo", error) ||
        !(def = vb_domain_obj_one_def(dom, flags, NULL, error)))
        return NULL;
    maps = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
    for (guint i = 0; i < def->vcpus; i++) {
        g_autofree char *cpuset = cputune_pin(def->cputune_xml, "vcpupin", i);
        g_ptr_array_add(maps, cpumap_parse(cpuset ? cpuset : def->vcpu_cpuset, ncpus));
    }
    return maps;
}

/* ---- statistics ---- */

static GHashTable *
stats_table_new(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

static void
stats_table_set(GHashTable *stats, const char *name, guint64 value)
{
    g_hash_table_insert(stats, g_strdup(name), g_memdup2(&value, sizeof(value)));
}

/* The QEMU process's resident memory in KiB (VmRSS), 0 when unknown. */
static guint64
process_rss_kib(TuneJob *job)
{
    QemuRun *run = qemu_run_lookup(job->conn, job->uuid);
    g_autofree char *path = NULL;
    g_autofree char *status = NULL;
    const char *line;

    if (!run || !run->proc)
        return 0;
    path = g_strdup_printf("/proc/%d/status", (int)vb_qemu_process_get_pid(run->proc));
    if (!g_file_get_contents(path, &status, NULL, NULL) || !(line = strstr(status, "\nVmRSS:")))
        return 0;
    return g_ascii_strtoull(line + strlen("\nVmRSS:"), NULL, 10);
}

/* QMP's guest-stats names -> libvirt's memory stat tags; @bytes: the value is in bytes */
static const struct {
    const char *qmp, *tag;
    gboolean bytes;
} guest_stats[] = {
    { "stat-swap-in", "swap_in", TRUE }, { "stat-swap-out", "swap_out", TRUE },
    { "stat-major-faults", "major_fault", FALSE }, { "stat-minor-faults", "minor_fault", FALSE },
    { "stat-free-memory", "unused", TRUE }, { "stat-total-memory", "available", TRUE },
    { "stat-available-memory", "usable", TRUE }, { "stat-disk-caches", "disk_caches", TRUE },
    { "stat-htlb-pgalloc", "hugetlb_pgalloc", FALSE }, { "stat-htlb-pgfail", "hugetlb_pgfail", FALSE },
};

static void
memory_stats_finish(TuneJob *job)
{
    stats_table_set(job->result, "rss", process_rss_kib(job));
    tune_end(job, NULL);
}

/* The guest's own figures; QEMU has -1 for those the guest never sent. */
static void
on_guest_stats(GObject *source, GAsyncResult *result, gpointer user_data)
{
    TuneJob *job = user_data;
    g_autoptr(JsonNode) reply = vb_qemu_monitor_execute_finish(NULL, result, NULL);
    JsonObject *obj = reply && JSON_NODE_HOLDS_OBJECT(reply) ? json_node_get_object(reply) : NULL;
    JsonObject *stats = obj && json_object_has_member(obj, "stats") ? json_object_get_object_member(obj, "stats")
                                                                    : NULL;
    gint64 last_update = obj ? json_object_get_int_member_with_default(obj, "last-update", 0) : 0;

    for (guint i = 0; stats && i < G_N_ELEMENTS(guest_stats); i++) {
        gint64 value = json_object_get_int_member_with_default(stats, guest_stats[i].qmp, -1);
        if (value >= 0)
            stats_table_set(job->result, guest_stats[i].tag, guest_stats[i].bytes ? (guint64)value / 1024
                                                                                    : (guint64)value);
    }
    if (last_update > 0)
        stats_table_set(job->result, "last_update", (guint64)last_update);
    memory_stats_finish(job);
}

/* query-balloon's "actual" (bytes) is also the live current memory. */
static gboolean
take_balloon_actual(TuneJob *job, JsonNode *reply, guint64 *kib)
{
    JsonObject *obj = JSON_NODE_HOLDS_OBJECT(reply) ? json_node_get_object(reply) : NULL;
    VbDomainObj *dom = tune_domain(job);

    if (!obj || !json_object_has_member(obj, "actual"))
        return FALSE;
    *kib = (guint64)json_object_get_int_member(obj, "actual") / 1024;
    if (dom && dom->def->current_memory_kib != *kib) {
        dom->def->current_memory_kib = *kib;
        tune_save_status(job, dom);
    }
    return TRUE;
}

static void
on_balloon_for_memory_stats(GObject *source, GAsyncResult *result, gpointer user_data)
{
    TuneJob *job = user_data;
    g_autoptr(JsonNode) reply = tune_reply(job, result);   /* NULL: the job has ended */
    VbDomainObj *dom;
    g_autofree char *path = NULL;
    JsonObject *args;
    guint64 kib;

    if (!reply)
        return;
    dom = tune_domain(job);
    path = dom ? balloon_qom_path(dom->def) : NULL;
    if (take_balloon_actual(job, reply, &kib))
        stats_table_set(job->result, "actual_balloon", kib);
    if (!path) {
        memory_stats_finish(job);
        return;
    }
    args = json_object_new();
    json_object_set_string_member(args, "path", path);
    json_object_set_string_member(args, "property", "guest-stats");
    tune_execute(job, "qom-get", args, on_guest_stats);
}

void
qemu_domain_memory_stats_async(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task)
{
    TuneJob *job = tune_job_new(conn, dom, flags, task);
    GError *error = NULL;

    if (!vb_check_flags(flags, 0, "virDomainMemoryStats", &error)) {
        tune_end(job, error);
        return;
    }
    if (!tune_begin(job, dom))
        return;
    job->result = stats_table_new();
    job->result_free = (GDestroyNotify)g_hash_table_unref;
    if (!vb_domain_def_has_memballoon(dom->def))
        memory_stats_finish(job);
    else
        tune_execute(job, "query-balloon", NULL, on_balloon_for_memory_stats);
}

/* libvirt's counters of a tap, seen from the guest, from /proc/net/dev (the daemon's network
 * namespace): the host's transmit is the guest's receive. @values: rx bytes, packets, errors,
 * drops, then the same for tx. */
static gboolean
tap_counters(const VbNetDef *net, guint64 values[8])
{
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;

    if (!net->target_dev || !g_file_get_contents("/proc/net/dev", &text, NULL, NULL))
        return FALSE;
    lines = g_strsplit(text, "\n", -1);
    for (gchar **line = lines; *line; line++) {
        char *colon = strchr(*line, ':');
        guint64 host[16] = { 0 };
        char *p;

        if (!colon)
            continue;
        *colon = '\0';
        if (!g_str_equal(g_strstrip(*line), net->target_dev))
            continue;
        p = colon + 1;
        for (guint i = 0; i < G_N_ELEMENTS(host); i++)
            host[i] = g_ascii_strtoull(p, &p, 10);
        /* host columns: rx bytes packets errs drop fifo frame compressed multicast, tx bytes packets errs drop */
        for (guint i = 0; i < 4; i++) {
            values[i] = host[8 + i];
            values[4 + i] = host[i];
        }
        return TRUE;
    }
    return FALSE;
}

GHashTable *
qemu_domain_interface_stats(VbConn *conn, VbDomainObj *dom, const char *device, GError **error)
{
    static const char *const names[] = { "rx_bytes", "rx_packets", "rx_errs", "rx_drop",
                                         "tx_bytes", "tx_packets", "tx_errs", "tx_drop" };
    VbNetDef *net;
    GHashTable *stats;
    guint64 values[8];

    if (!vb_domain_obj_is_active(dom)) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "domain is not running");
        return NULL;
    }
    if (!device || !(net = vb_domain_def_find_net(dom->def, device))) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "invalid path, '%s' is not a known interface", device ? device : "");
        return NULL;
    }
    if (!tap_counters(net, values)) {
        vb_set_error(error, VB_ERR_OPERATION_UNSUPPORTED, "interface stats not implemented for interface '%s'",
                     device);
        return NULL;
    }
    stats = stats_table_new();
    for (guint i = 0; i < 8; i++)
        stats_table_set(stats, names[i], values[i]);
    return stats;
}

static void
add_ullong(GArray *params, const char *prefix, guint index, const char *name, guint64 value)
{
    g_autofree char *field = g_strdup_printf("%s.%u.%s", prefix, index, name);

    vb_typed_params_add_ullong(params, field, value);
}

static void
stats_add_net(TuneJob *job, VbDomainObj *dom)
{
    static const char *const names[] = { "rx.bytes", "rx.pkts", "rx.errs", "rx.drop",
                                         "tx.bytes", "tx.pkts", "tx.errs", "tx.drop" };
    guint n = 0;

    for (guint i = 0; i < dom->def->devices->len; i++) {
        VbNetDef *net = ((VbDeviceDef *)g_ptr_array_index(dom->def->devices, i))->net;
        guint64 values[8];

        if (!net)
            continue;
        if (tap_counters(net, values)) {
            for (guint k = 0; k < 8; k++)
                add_ullong(job->result, "net", n, names[k], values[k]);
        }
        n++;
    }
}

/* query-blockstats entry of @disk, the @index-th: found by its device (the alias is its QEMU
 * id), or for a guest started without aliases by the node name libvirt-<index + 1>-format. */
static JsonObject *
blockstats_entry(JsonArray *entries, const VbDiskDef *disk, guint index)
{
    g_autofree char *node = g_strdup_printf("libvirt-%u-format", index + 1);

    for (guint i = 0; entries && i < json_array_get_length(entries); i++) {
        JsonObject *entry = json_array_get_object_element(entries, i);
        gboolean match = disk->alias ? qemu_qdev_is(json_object_get_string_member_with_default(entry, "qdev", NULL),
                                                    disk->alias)
                                     : g_strcmp0(json_object_get_string_member_with_default(entry, "node-name", NULL),
                                                 node) == 0;
        if (match)
            return json_object_has_member(entry, "stats") ? json_object_get_object_member(entry, "stats") : NULL;
    }
    return NULL;
}

static void
stats_add_block(TuneJob *job, VbDomainObj *dom, JsonArray *entries)
{
    static const char *const map[][2] = {
        { "rd.reqs", "rd_operations" }, { "rd.bytes", "rd_bytes" }, { "rd.times", "rd_total_time_ns" },
        { "wr.reqs", "wr_operations" }, { "wr.bytes", "wr_bytes" }, { "wr.times", "wr_total_time_ns" },
        { "fl.reqs", "flush_operations" }, { "fl.times", "flush_total_time_ns" },
    };
    const VbDiskDef *disk;

    for (guint i = 0; (disk = vb_domain_def_nth_disk(dom->def, i)); i++) {
        JsonObject *stats = blockstats_entry(entries, disk, i);
        for (guint k = 0; stats && k < G_N_ELEMENTS(map); k++) {
            gint64 value = json_object_get_int_member_with_default(stats, map[k][1], 0);
            add_ullong(job->result, "block", i, map[k][0], (guint64)MAX(value, 0));
        }
    }
}

static void
stats_finish(TuneJob *job, JsonArray *blockstats)
{
    VbDomainObj *dom = tune_domain(job);

    if (dom && (job->stats & VB_STATS_BALLOON))
        vb_typed_params_add_ullong(job->result, "balloon.rss", process_rss_kib(job));
    if (dom && (job->stats & VB_STATS_INTERFACE))
        stats_add_net(job, dom);
    if (dom && blockstats)
        stats_add_block(job, dom, blockstats);
    tune_end(job, NULL);
}

static void
on_blockstats(GObject *source, GAsyncResult *result, gpointer user_data)
{
    TuneJob *job = user_data;
    g_autoptr(JsonNode) reply = vb_qemu_monitor_execute_finish(NULL, result, NULL);

    stats_finish(job, reply && JSON_NODE_HOLDS_ARRAY(reply) ? json_node_get_array(reply) : NULL);
}

static void
stats_block_step(TuneJob *job)
{
    if (job->stats & VB_STATS_BLOCK)
        tune_execute(job, "query-blockstats", NULL, on_blockstats);
    else
        stats_finish(job, NULL);
}

static void
on_balloon_for_stats(GObject *source, GAsyncResult *result, gpointer user_data)
{
    TuneJob *job = user_data;
    g_autoptr(JsonNode) reply = vb_qemu_monitor_execute_finish(NULL, result, NULL);
    guint64 kib;

    if (reply && take_balloon_actual(job, reply, &kib))
        vb_typed_params_add_ullong(job->result, "balloon.current", kib);
    stats_block_step(job);
}

/* What QEMU measures; a domain that is not running, or busy with another job, has nothing
 * to add to the generic record, as libvirt skips the groups it cannot collect. */
void
qemu_domain_get_stats_async(VbConn *conn, VbDomainObj *dom, guint stats, GTask *task)
{
    TuneJob *job = tune_job_new(conn, dom, 0, task);

    job->stats = stats;
    job->result = vb_typed_params_new();
    job->result_free = (GDestroyNotify)g_array_unref;
    if (!vb_domain_obj_is_active(dom) || qemu_domain_is_busy(conn, dom)) {
        tune_end(job, NULL);
        return;
    }
    if (!tune_begin(job, dom))
        return;
    if ((stats & VB_STATS_BALLOON) && vb_domain_def_has_memballoon(dom->def))
        tune_execute(job, "query-balloon", NULL, on_balloon_for_stats);
    else
        stats_block_step(job);
}

/* ---- keys and NMI ---- */

/* Linux input codes beyond the first 83 (which equal XT scancodes) as QEMU's qnum codes:
 * the XT scancode, with 0x80 set for the 0xe0-prefixed ones. */
static const guint linux_to_qnum_extended[][2] = {
    { 86, 0x56 },  { 87, 0x57 },  { 88, 0x58 },  { 96, 0x9c },  { 97, 0x9d },  { 98, 0xb5 },  { 99, 0x54 },
    { 100, 0xb8 }, { 102, 0xc7 }, { 103, 0xc8 }, { 104, 0xc9 }, { 105, 0xcb }, { 106, 0xcd }, { 107, 0xcf },
    { 108, 0xd0 }, { 109, 0xd1 }, { 110, 0xd2 }, { 111, 0xd3 }, { 113, 0xa0 }, { 114, 0xae }, { 115, 0xb0 },
    { 116, 0xde }, { 119, 0xc6 }, { 125, 0xdb }, { 126, 0xdc }, { 127, 0xdd },
};

static const char *const keycode_sets[] = {
    "linux", "xt", "atset1", "atset2", "atset3", "os_x", "xt_kbd", "usb", "win32", "qnum", NULL,
};
enum { KEYS_LINUX = 0, KEYS_XT = 1, KEYS_ATSET1 = 2, KEYS_QNUM = 9 };

static gboolean
key_to_qnum(guint codeset, guint key, guint *qnum)
{
    if (codeset == KEYS_QNUM && key > 0 && key <= 0xff) {
        *qnum = key;
        return TRUE;
    }
    if ((codeset == KEYS_XT || codeset == KEYS_ATSET1 || codeset == KEYS_LINUX) && key > 0 && key <= 83) {
        *qnum = key;
        return TRUE;
    }
    for (guint i = 0; codeset == KEYS_LINUX && i < G_N_ELEMENTS(linux_to_qnum_extended); i++) {
        if (linux_to_qnum_extended[i][0] == key) {
            *qnum = linux_to_qnum_extended[i][1];
            return TRUE;
        }
    }
    return FALSE;
}

/* send-key's "keys" argument, or NULL with libvirt's error. */
static JsonArray *
keys_to_qmp(guint codeset, GArray *keys, GError **error)
{
    g_autoptr(JsonArray) array = json_array_new();

    if (codeset >= G_N_ELEMENTS(keycode_sets) - 1) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "unsupported codeset %u", codeset);
        return NULL;
    }
    if (!keys || keys->len == 0 || keys->len > QEMU_SEND_KEY_MAX) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "nkeycodes must be between 1 and %d", QEMU_SEND_KEY_MAX);
        return NULL;
    }
    for (guint i = 0; i < keys->len; i++) {
        guint key = g_array_index(keys, guint, i), qnum = 0;
        JsonObject *value;

        if (!key_to_qnum(codeset, key, &qnum)) {
            vb_set_error(error, VB_ERR_INTERNAL_ERROR, "cannot translate keycode %u of %s codeset to qnum keycode",
                         key, keycode_sets[codeset]);
            return NULL;
        }
        value = json_object_new();
        json_object_set_string_member(value, "type", "number");
        json_object_set_int_member(value, "data", qnum);
        json_array_add_object_element(array, value);
    }
    return g_steal_pointer(&array);
}

static void
on_simple_command(GObject *source, GAsyncResult *result, gpointer user_data)
{
    TuneJob *job = user_data;
    g_autoptr(JsonNode) reply = tune_reply(job, result);

    if (reply)
        tune_end(job, NULL);
}

void
qemu_domain_send_key_async(VbConn *conn, VbDomainObj *dom, guint codeset, guint holdtime, GArray *keys, guint flags,
                           GTask *task)
{
    TuneJob *job = tune_job_new(conn, dom, flags, task);
    GError *error = NULL;
    JsonArray *array;
    JsonObject *args;

    if (!vb_check_flags(flags, 0, "virDomainSendKey", &error) || !(array = keys_to_qmp(codeset, keys, &error))) {
        tune_end(job, error);
        return;
    }
    args = json_object_new();
    json_object_set_array_member(args, "keys", array);
    if (holdtime)
        json_object_set_int_member(args, "hold-time", holdtime);
    if (!tune_begin(job, dom)) {
        json_object_unref(args);
        return;
    }
    tune_execute(job, "send-key", args, on_simple_command);
}

void
qemu_domain_inject_nmi_async(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task)
{
    TuneJob *job = tune_job_new(conn, dom, flags, task);
    GError *error = NULL;

    if (!vb_check_flags(flags, 0, "virDomainInjectNMI", &error)) {
        tune_end(job, error);
        return;
    }
    if (tune_begin(job, dom))
        tune_execute(job, "inject-nmi", NULL, on_simple_command);
}

/* ---- pins at start ---- */

typedef struct {
    VbConn *conn;
    char *uuid;
    char *cputune_xml;
    char *balloon_path;      /* the balloon's QOM path when <stats period> asks for guest statistics */
    int stats_period;
    QemuStepDone done;
    gpointer user_data;
} PinsAtStart;

static gboolean
pin_thread(gint64 tid, const char *cpuset, GError **error)
{
    guint ncpus = host_cpu_count();
    g_autoptr(GArray) map = cpumap_parse(cpuset, ncpus);
    cpu_set_t cpus;

    CPU_ZERO(&cpus);
    for (guint i = 0; i < ncpus && i < CPU_SETSIZE; i++) {
        if (g_array_index(map, gboolean, i))
            CPU_SET(i, &cpus);
    }
    if (sched_setaffinity((pid_t)tid, sizeof(cpus), &cpus) == 0)
        return TRUE;
    vb_set_error(error, VB_ERR_SYSTEM_ERROR, "cannot set CPU affinity on process %d: %s", (int)tid,
                 g_strerror(errno));
    return FALSE;
}

/* The emulator's threads: every QEMU thread but the vCPUs, which QEMU (debug-threads=on) names
 * "CPU <n>/KVM" or "CPU <n>/TCG". */
static gboolean
pin_emulator(GPid pid, const char *cpuset, GError **error)
{
    g_autofree char *task_dir = g_strdup_printf("/proc/%d/task", (int)pid);
    g_autoptr(GDir) dir = g_dir_open(task_dir, 0, error);
    const char *tid;

    while (dir && (tid = g_dir_read_name(dir))) {
        g_autofree char *comm_path = g_build_filename(task_dir, tid, "comm", NULL);
        g_autofree char *comm = NULL;

        if (!g_file_get_contents(comm_path, &comm, NULL, NULL))
            continue;   /* the thread ended meanwhile */
        if (!g_str_has_prefix(comm, "CPU ") && !pin_thread(g_ascii_strtoll(tid, NULL, 10), cpuset, error))
            return FALSE;
    }
    return dir != NULL;
}

static JsonObject *stats_period_args(const char *balloon_path, int period);

static void
pins_done(PinsAtStart *pins, GError *error)
{
    pins->done(pins->conn, pins->uuid, error, pins->user_data);
    g_free(pins->uuid);
    g_free(pins->cputune_xml);
    g_free(pins->balloon_path);
    g_free(pins);
}

static void
on_stats_period_at_start(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GError *error = NULL;
    g_autoptr(JsonNode) reply G_GNUC_UNUSED = vb_qemu_monitor_execute_finish(NULL, result, &error);

    pins_done(user_data, error);
}

static void
set_stats_period_at_start(PinsAtStart *pins)
{
    QemuRun *run = qemu_run_lookup(pins->conn, pins->uuid);
    g_autoptr(JsonObject) args = stats_period_args(pins->balloon_path, pins->stats_period);

    if (!run || !run->proc) {
        pins_done(pins, NULL);
        return;
    }
    vb_qemu_monitor_execute(vb_qemu_process_get_monitor(run->proc), "qom-set", args, NULL, on_stats_period_at_start,
                            pins);
}

static void
pin_emulator_at_start(PinsAtStart *pins, GError **error)
{
    g_autofree char *cpuset = cputune_pin(pins->cputune_xml, "emulatorpin", 0);
    QemuRun *run = qemu_run_lookup(pins->conn, pins->uuid);

    if (cpuset && run && run->proc)
        pin_emulator(vb_qemu_process_get_pid(run->proc), cpuset, error);
}

static void
on_cpus_at_start(GObject *source, GAsyncResult *result, gpointer user_data)
{
    PinsAtStart *pins = user_data;
    GError *error = NULL;
    g_autoptr(JsonNode) reply = vb_qemu_monitor_execute_finish(NULL, result, &error);
    JsonArray *cpus = reply && JSON_NODE_HOLDS_ARRAY(reply) ? json_node_get_array(reply) : NULL;

    for (guint i = 0; !error && cpus && i < json_array_get_length(cpus); i++) {
        JsonObject *cpu = json_array_get_object_element(cpus, i);
        g_autofree char *cpuset = cputune_pin(pins->cputune_xml, "vcpupin",
                                              (guint)json_object_get_int_member_with_default(cpu, "cpu-index", -1));

        if (cpuset)
            pin_thread(json_object_get_int_member_with_default(cpu, "thread-id", -1), cpuset, &error);
    }
    if (!error)
        pin_emulator_at_start(pins, &error);
    if (!error && pins->balloon_path) {
        set_stats_period_at_start(pins);
        return;
    }
    pins_done(pins, error);
}

void
qemu_tune_apply_vcpupins(QemuRun *run, const VbDomainDef *def, QemuStepDone done, gpointer user_data)
{
    VbDeviceDef *balloon = vb_domain_def_find_memballoon(def);
    int period = balloon ? vb_memballoon_stats_period(balloon) : 0;
    PinsAtStart *pins;

    if (!def->cputune_xml && !period) {
        done(run->conn, run->uuid, NULL, user_data);
        return;
    }
    pins = g_new0(PinsAtStart, 1);
    pins->conn = run->conn;
    pins->uuid = g_strdup(run->uuid);
    pins->cputune_xml = g_strdup(def->cputune_xml);
    pins->balloon_path = period ? balloon_qom_path(def) : NULL;
    pins->stats_period = period;
    pins->done = done;
    pins->user_data = user_data;
    vb_qemu_monitor_execute(vb_qemu_process_get_monitor(run->proc), "query-cpus-fast", NULL, NULL, on_cpus_at_start,
                            pins);
}

/* ---- emulator pinning ---- */

gboolean
qemu_domain_pin_emulator(VbConn *conn, VbDomainObj *dom, GArray *cpumap, guint flags, GError **error)
{
    g_autofree char *cpuset = cpumap_format(cpumap, host_cpu_count());
    VbDomainDef *live = NULL, *config = NULL;
    QemuRun *run;

    if (!vb_check_flags(flags, QEMU_AFFECT, "virDomainPinEmulator", error) ||
        !vb_domain_obj_defs(dom, flags, &live, &config, error) || !check_not_busy(conn, dom, error))
        return FALSE;
    if (!cpuset) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "%s", "Empty cpu list for pinning");
        return FALSE;
    }
    if (live) {
        if (!(run = qemu_run_lookup(conn, dom->def->uuid)) || !run->proc ||
            !pin_emulator(vb_qemu_process_get_pid(run->proc), cpuset, error) ||
            !cputune_set_pin(&live->cputune_xml, "emulatorpin", 0, cpuset, error))
            return FALSE;
        qemu_status_save(conn, dom, run);
    }
    return !config || (cputune_set_pin(&config->cputune_xml, "emulatorpin", 0, cpuset, error) &&
                       qemu_domain_save_config(conn, config, error));
}

/* The emulator's pin, else the <vcpu cpuset>, else every host CPU. */
GArray *
qemu_domain_get_emulator_pin_info(VbConn *conn, VbDomainObj *dom, guint flags, GError **error)
{
    g_autofree char *cpuset = NULL;
    VbDomainDef *def;

    if (!vb_check_flags(flags, QEMU_AFFECT, "virDomainGetEmulatorPinInfo", error) ||
        !(def = vb_domain_obj_one_def(dom, flags, NULL, error)))
        return NULL;
    cpuset = cputune_pin(def->cputune_xml, "emulatorpin", 0);
    return cpumap_parse(cpuset ? cpuset : def->vcpu_cpuset, host_cpu_count());
}

/* ---- the balloon's statistics period ---- */

/* qom-set of the balloon's guest-stats-polling-interval (0: no polling). */
static JsonObject *
stats_period_args(const char *balloon_path, int period)
{
    JsonObject *args = json_object_new();

    json_object_set_string_member(args, "path", balloon_path);
    json_object_set_string_member(args, "property", "guest-stats-polling-interval");
    json_object_set_int_member(args, "value", period);
    return args;
}

static VbDeviceDef *
stats_balloon(VbDomainDef *def, GError **error)
{
    VbDeviceDef *balloon = def ? vb_domain_def_find_memballoon(def) : NULL;

    if (!balloon || !vb_domain_def_has_memballoon(def))
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "%s",
                     "No memory balloon device configured, can not set the collection period");
    return balloon && vb_domain_def_has_memballoon(def) ? balloon : NULL;
}

static void
on_stats_period_set(GObject *source, GAsyncResult *result, gpointer user_data)
{
    TuneJob *job = user_data;
    g_autoptr(JsonNode) reply = tune_reply(job, result);
    VbDomainObj *dom;
    VbDeviceDef *balloon;
    VbDomainDef *config;
    GError *error = NULL;

    if (!reply)
        return;
    if ((dom = tune_domain(job)) && (balloon = stats_balloon(dom->def, NULL)) &&
        vb_memballoon_set_stats_period(balloon, job->period, &error)) {
        tune_save_status(job, dom);
        if ((config = job_config(job, dom)) && (balloon = stats_balloon(config, &error)) &&
            vb_memballoon_set_stats_period(balloon, job->period, &error))
            qemu_domain_save_config(job->conn, config, &error);
    }
    tune_end(job, error);
}

void
qemu_domain_set_memory_stats_period_async(VbConn *conn, VbDomainObj *dom, int period, guint flags, GTask *task)
{
    TuneJob *job = tune_job_new(conn, dom, flags, task);
    VbDomainDef *live = NULL, *config = NULL;
    VbDeviceDef *balloon = NULL;
    g_autofree char *path = NULL;
    GError *error = NULL;

    job->period = period;
    if (!vb_check_flags(flags, QEMU_AFFECT, "virDomainSetMemoryStatsPeriod", &error) ||
        !vb_domain_obj_defs(dom, flags, &live, &config, &error)) {
        tune_end(job, error);
        return;
    }
    if (period < 0) {
        tune_fail(job, VB_ERR_INVALID_ARG, "invalid value for collection period");
        return;
    }
    if ((live && !stats_balloon(live, &error)) || (config && !(balloon = stats_balloon(config, &error)))) {
        tune_end(job, error);
        return;
    }
    if (!live) {
        tune_end(job, check_not_busy(conn, dom, &error) && vb_memballoon_set_stats_period(balloon, period, &error) &&
                          qemu_domain_save_config(conn, config, &error) ? NULL : error);
        return;
    }
    if (!(path = balloon_qom_path(live))) {
        tune_fail(job, VB_ERR_OPERATION_INVALID, "the memory balloon has no QOM path");
        return;
    }
    if (tune_begin(job, dom))
        tune_execute(job, "qom-set", stats_period_args(path, period), on_stats_period_set);
}
