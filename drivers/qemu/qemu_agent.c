/* qemu_agent.c: commands to the QEMU guest agent (qemu-ga) on a guest's
 * org.qemu.guest_agent.0 channel.
 *
 * The agent runs inside the guest, so nothing it says is trusted and every wait is bounded.
 * Each command gets its own connection to the channel's socket: connect, synchronise with
 * guest-sync-delimited and a fresh id (replies left over from an earlier client are skipped
 * until the agent echoes that id), send the command, read its reply, close. */
#include <gio/gunixsocketaddress.h>
#include <string.h>

#include "drivers/network/network_driver.h"
#include "drivers/qemu/qemu_private.h"

#define AGENT_SYNC_TIMEOUT_MS 5000
#define AGENT_REPLY_TIMEOUT_MS 30000
#define AGENT_NO_REPLY_WAIT_MS 1000   /* guest-shutdown may answer, or may just go down */
#define AGENT_CHANNEL "org.qemu.guest_agent.0"

typedef struct {
    char *command;
    char *line;                 /* the command as sent */
    gboolean reply_expected;
    gint64 sync_id;
    gboolean synced;
    GSocketConnection *connection;
    GDataInputStream *in;
    GCancellable *cancellable;
    guint timeout;
} AgentCall;

static void
agent_call_free(AgentCall *call)
{
    if (call->timeout)
        g_source_remove(call->timeout);
    g_clear_object(&call->in);
    if (call->connection)
        g_io_stream_close(G_IO_STREAM(call->connection), NULL, NULL);
    g_clear_object(&call->connection);
    g_clear_object(&call->cancellable);
    g_free(call->command);
    g_free(call->line);
    g_free(call);
}

static gboolean
on_agent_timeout(gpointer user_data)
{
    GTask *task = user_data;
    AgentCall *call = g_task_get_task_data(task);

    call->timeout = 0;
    g_cancellable_cancel(call->cancellable);
    return G_SOURCE_REMOVE;
}

static void
arm_timeout(GTask *task, guint ms)
{
    AgentCall *call = g_task_get_task_data(task);

    if (call->timeout)
        g_source_remove(call->timeout);
    call->timeout = g_timeout_add(ms, on_agent_timeout, task);
}

/* The agent did not answer in time, went away, or never came up. */
static void
agent_unresponsive(GTask *task, const char *why)
{
    AgentCall *call = g_task_get_task_data(task);

    if (call->synced && !call->reply_expected) {   /* sent; no answer was due */
        g_task_return_pointer(task, json_node_new(JSON_NODE_NULL), (GDestroyNotify)json_node_unref);
    } else {
        GError *error = NULL;
        vb_set_error(&error, VB_ERR_AGENT_UNRESPONSIVE, "%s", why);
        g_task_return_error(task, error);
    }
    g_object_unref(task);
}

static void read_next_line(GTask *task);

static void
on_written(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    g_autoptr(GError) error = NULL;

    if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, NULL, &error)) {
        agent_unresponsive(task, error->message);
        return;
    }
    read_next_line(task);
}

static void
send_line(GTask *task, const char *line)
{
    AgentCall *call = g_task_get_task_data(task);

    g_output_stream_write_all_async(g_io_stream_get_output_stream(G_IO_STREAM(call->connection)), line, strlen(line),
                                    G_PRIORITY_DEFAULT, call->cancellable, on_written, task);
}

/* A reply to the command (TRUE: the task is answered), or FALSE for a line to skip. */
static gboolean
handle_reply(GTask *task, JsonObject *reply)
{
    AgentCall *call = g_task_get_task_data(task);

    if (json_object_has_member(reply, "error")) {
        JsonObject *err = json_object_get_object_member(reply, "error");
        const char *desc = err ? json_object_get_string_member_with_default(err, "desc", "unknown error") : "";
        GError *error = NULL;
        vb_set_error(&error, VB_ERR_INTERNAL_ERROR, "unable to execute QEMU agent command '%s': %s", call->command, desc);
        g_task_return_error(task, error);
    } else if (json_object_has_member(reply, "return")) {
        g_task_return_pointer(task, json_node_copy(json_object_get_member(reply, "return")),
                              (GDestroyNotify)json_node_unref);
    } else {
        return FALSE;
    }
    g_object_unref(task);
    return TRUE;
}

static void
handle_line(GTask *task, const char *line)
{
    AgentCall *call = g_task_get_task_data(task);
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *reply;

    while (*line == '\xff')   /* guest-sync-delimited's marker before its reply */
        line++;
    if (!json_parser_load_from_data(parser, line, -1, NULL) || !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
        read_next_line(task);
        return;
    }
    reply = json_node_get_object(json_parser_get_root(parser));
    if (!call->synced) {
        JsonNode *ret = json_object_get_member(reply, "return");
        if (ret && JSON_NODE_HOLDS_VALUE(ret) && json_node_get_value_type(ret) == G_TYPE_INT64 &&
            json_node_get_int(ret) == call->sync_id) {
            call->synced = TRUE;
            arm_timeout(task, call->reply_expected ? AGENT_REPLY_TIMEOUT_MS : AGENT_NO_REPLY_WAIT_MS);
            send_line(task, call->line);
            return;
        }
        read_next_line(task);
        return;
    }
    if (!handle_reply(task, reply))
        read_next_line(task);
}

static void
on_line(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    g_autoptr(GError) error = NULL;
    g_autofree char *line = g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source), result, NULL, &error);

    if (!line) {
        agent_unresponsive(task, error && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                                     ? "Guest agent not available for now"
                                     : error ? error->message : "the agent's channel was closed");
        return;
    }
    handle_line(task, line);
}

static void
read_next_line(GTask *task)
{
    AgentCall *call = g_task_get_task_data(task);

    g_data_input_stream_read_line_async(call->in, G_PRIORITY_DEFAULT, call->cancellable, on_line, task);
}

static void
on_connected(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    AgentCall *call = g_task_get_task_data(task);
    g_autoptr(GError) error = NULL;
    g_autofree char *sync = NULL;

    call->connection = g_socket_client_connect_finish(G_SOCKET_CLIENT(source), result, &error);
    if (!call->connection) {
        agent_unresponsive(task, "QEMU guest agent is not connected");
        return;
    }
    call->in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(call->connection)));
    g_data_input_stream_set_newline_type(call->in, G_DATA_STREAM_NEWLINE_TYPE_LF);
    call->sync_id = g_get_real_time() ^ g_random_int();
    if (call->sync_id < 0)
        call->sync_id = -call->sync_id;
    sync = g_strdup_printf("{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":%" G_GINT64_FORMAT "}}\n",
                           call->sync_id);
    send_line(task, sync);
}

void
qemu_agent_execute(const char *socket_path, const char *command, JsonObject *args, gboolean reply_expected,
                   GAsyncReadyCallback callback, gpointer user_data)
{
    GTask *task = g_task_new(NULL, NULL, callback, user_data);
    AgentCall *call = g_new0(AgentCall, 1);
    g_autoptr(JsonBuilder) builder = json_builder_new();
    g_autoptr(JsonGenerator) generator = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_autoptr(GSocketAddress) address = g_unix_socket_address_new(socket_path);
    g_autofree char *text = NULL;

    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "execute");
    json_builder_add_string_value(builder, command);
    if (args) {
        json_builder_set_member_name(builder, "arguments");
        json_builder_add_value(builder, json_node_init_object(json_node_alloc(), args));
    }
    json_builder_end_object(builder);
    root = json_builder_get_root(builder);
    json_generator_set_root(generator, root);
    text = json_generator_to_data(generator, NULL);
    call->command = g_strdup(command);
    call->line = g_strconcat(text, "\n", NULL);
    call->reply_expected = reply_expected;
    call->cancellable = g_cancellable_new();
    g_task_set_task_data(task, call, (GDestroyNotify)agent_call_free);
    arm_timeout(task, AGENT_SYNC_TIMEOUT_MS);
    g_socket_client_connect_async(client, G_SOCKET_CONNECTABLE(address), call->cancellable, on_connected, task);
}

JsonNode *
qemu_agent_execute_finish(GAsyncResult *result, GError **error)
{
    return g_task_propagate_pointer(G_TASK(result), error);
}

char *
qemu_agent_socket(const VbDomainDef *def, const char *channel_dir)
{
    for (guint i = 0; i < def->devices->len; i++) {
        const VbDeviceDef *dev = g_ptr_array_index(def->devices, i);
        g_autoptr(xmlDoc) doc = NULL;
        xmlNodePtr root, target, source;
        g_autofree char *name = NULL;
        g_autofree char *type = NULL;

        if (dev->kind != VB_DEVICE_CHANNEL || !strstr(dev->xml, AGENT_CHANNEL) ||
            !(doc = vb_xml_parse(dev->xml, "channel", NULL)))
            continue;
        root = xmlDocGetRootElement(doc);
        target = vb_xml_child(root, "target");
        name = target ? vb_xml_prop(target, "name") : NULL;
        type = vb_xml_prop(root, "type");
        if (g_strcmp0(name, AGENT_CHANNEL) != 0 || g_strcmp0(type, "unix") != 0)
            continue;
        source = vb_xml_child(root, "source");
        if (source && xmlHasProp(source, (const xmlChar *)"path"))
            return vb_xml_prop(source, "path");
        return g_build_filename(channel_dir, AGENT_CHANNEL, NULL);
    }
    return NULL;
}

/* The virtserialport id the argv builder gives the agent's channel: channel<N> by the order of
 * the <channel> elements, or its user alias. */
static char *
agent_port_id(const VbDomainDef *def)
{
    guint n = 0;

    for (guint i = 0; i < def->devices->len; i++) {
        const VbDeviceDef *dev = g_ptr_array_index(def->devices, i);
        g_autoptr(xmlDoc) doc = NULL;
        xmlNodePtr root, target, alias;
        g_autofree char *name = NULL;
        g_autofree char *alias_name = NULL;

        if (dev->kind != VB_DEVICE_CHANNEL)
            continue;
        n++;
        if (!strstr(dev->xml, AGENT_CHANNEL) || !(doc = vb_xml_parse(dev->xml, "channel", NULL)))
            continue;
        root = xmlDocGetRootElement(doc);
        target = vb_xml_child(root, "target");
        name = target ? vb_xml_prop(target, "name") : NULL;
        if (g_strcmp0(name, AGENT_CHANNEL) != 0)
            continue;
        alias = vb_xml_child(root, "alias");
        alias_name = alias ? vb_xml_prop(alias, "name") : NULL;
        if (alias_name && g_str_has_prefix(alias_name, "ua-"))
            return g_steal_pointer(&alias_name);
        return g_strdup_printf("channel%u", n - 1);
    }
    return NULL;
}

void
qemu_agent_handle_event(QemuRun *run, VbDomainObj *dom, JsonObject *data)
{
    g_autofree char *port = agent_port_id(dom->def);
    const char *id = json_object_get_string_member_with_default(data, "id", NULL);
    int state;

    if (!port || g_strcmp0(id, port) != 0)
        return;
    state = json_object_get_boolean_member_with_default(data, "open", FALSE) ? 1 : 2;
    if (state == run->agent_state)
        return;
    run->agent_state = state;
    vb_conn_emit(run->conn, VB_EVENT_DOMAIN_AGENT, run->uuid, state, 2 /* the channel's doing */,
                 VB_PRESENCE_SAME);
}

/* ---- calls answered by the agent ---- */

typedef struct _AgentJob AgentJob;
/* Turns the agent's "return" value into the caller's result (set *result, or fail). */
typedef gboolean (*AgentReplyFunc)(AgentJob *job, JsonNode *reply, gpointer *result, GError **error);

struct _AgentJob {
    VbConn *conn;
    char *uuid;
    GTask *outer;            /* the caller's */
    GTask *task;             /* the job's, answered by qemu_job_end */
    AgentReplyFunc convert;
    gpointer result;
    GDestroyNotify result_free;
};

static void
on_agent_job_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    AgentJob *job = user_data;
    GError *error = NULL;

    if (!g_task_propagate_boolean(G_TASK(result), &error))
        g_task_return_error(job->outer, error);
    else if (job->convert)
        g_task_return_pointer(job->outer, g_steal_pointer(&job->result), job->result_free);
    else
        g_task_return_boolean(job->outer, TRUE);
    g_object_unref(job->outer);
    g_free(job->uuid);
    g_free(job);
}

static void
on_agent_reply(GObject *source, GAsyncResult *result, gpointer user_data)
{
    AgentJob *job = user_data;
    GError *error = NULL;
    g_autoptr(JsonNode) reply = qemu_agent_execute_finish(result, &error);

    if (reply && job->convert)
        job->convert(job, reply, &job->result, &error);
    qemu_job_end(qemu_run_lookup(job->conn, job->uuid), job->task, error);
}

/* Runs @command in @dom's guest as a job; @convert (NULL: an empty reply) builds the result. */
static void
agent_call(VbConn *conn, VbDomainObj *dom, const char *command, JsonObject *args, AgentReplyFunc convert,
           GDestroyNotify result_free, GTask *task)
{
    g_autofree char *channel_dir = qemu_channel_dir(conn, dom->def);
    g_autofree char *socket = qemu_agent_socket(dom->def, channel_dir);
    AgentJob *job;
    GError *error = NULL;
    QemuRun *run;

    if (!(run = qemu_job_begin_active(conn, dom, &error))) {
        g_task_return_error(task, error);
        g_object_unref(task);
        return;
    }
    job = g_new0(AgentJob, 1);
    job->conn = conn;
    job->uuid = g_strdup(dom->def->uuid);
    job->outer = task;
    job->task = g_task_new(NULL, NULL, on_agent_job_done, job);
    job->convert = convert;
    job->result_free = result_free;
    if (!socket)
        vb_set_error(&error, VB_ERR_ARGUMENT_UNSUPPORTED, "%s", "QEMU guest agent is not configured");
    else if (run->agent_state == 2)
        vb_set_error(&error, VB_ERR_AGENT_UNRESPONSIVE, "%s", "QEMU guest agent is not connected");
    else if (dom->state == VB_DOMAIN_PAUSED)
        vb_set_error(&error, VB_ERR_OPERATION_INVALID, "%s", "domain is not running");
    if (error) {
        qemu_job_end(run, job->task, error);
        return;
    }
    qemu_agent_execute(socket, command, args, TRUE, on_agent_reply, job);
}

static gboolean
reply_hostname(AgentJob *job, JsonNode *reply, gpointer *result, GError **error)
{
    JsonObject *obj = JSON_NODE_HOLDS_OBJECT(reply) ? json_node_get_object(reply) : NULL;
    const char *name = obj ? json_object_get_string_member_with_default(obj, "host-name", NULL) : NULL;

    if (!name) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "%s", "malformed return value from the guest agent: no host-name");
        return FALSE;
    }
    *result = g_strdup(name);
    return TRUE;
}

/* guest-fsfreeze-*: the number of file systems, boxed. */
static gboolean
reply_count(AgentJob *job, JsonNode *reply, gpointer *result, GError **error)
{
    if (!JSON_NODE_HOLDS_VALUE(reply) || json_node_get_value_type(reply) != G_TYPE_INT64 ||
        json_node_get_int(reply) < 0 || json_node_get_int(reply) > G_MAXUINT) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "%s", "malformed return value from the guest agent: not a count");
        return FALSE;
    }
    *result = g_memdup2(&(guint){ (guint)json_node_get_int(reply) }, sizeof(guint));
    return TRUE;
}

void
qemu_domain_get_hostname_async(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task)
{
    GError *error = NULL;

    /* the agent is the QEMU driver's only source (VIR_DOMAIN_GET_HOSTNAME_AGENT, or none) */
    if (!vb_check_flags(flags, VB_GET_HOSTNAME_AGENT, "virDomainGetHostname", &error)) {
        g_task_return_error(task, error);
        g_object_unref(task);
        return;
    }
    agent_call(conn, dom, "guest-get-host-name", NULL, reply_hostname, g_free, task);
}

void
qemu_domain_set_time_async(VbConn *conn, VbDomainObj *dom, gint64 seconds, guint nseconds, guint flags,
                           GTask *task)
{
    g_autoptr(JsonObject) args = NULL;
    GError *error = NULL;

    if (!vb_check_flags(flags, VB_SET_TIME_SYNC, "virDomainSetTime", &error) ||
        (!(flags & VB_SET_TIME_SYNC) && (seconds < 0 || nseconds >= G_USEC_PER_SEC * 1000 ||
                                         seconds > G_MAXINT64 / 1000000000 - 1))) {
        if (!error)
            vb_set_error(&error, VB_ERR_INVALID_ARG, "Time '%" G_GINT64_FORMAT "' is too big for the guest agent",
                         seconds);
        g_task_return_error(task, error);
        g_object_unref(task);
        return;
    }
    /* SYNC: the guest sets its clock from its own RTC */
    if (!(flags & VB_SET_TIME_SYNC)) {
        args = json_object_new();
        json_object_set_int_member(args, "time", seconds * 1000000000 + nseconds);
    }
    agent_call(conn, dom, "guest-set-time", args, NULL, NULL, task);
}

void
qemu_domain_fs_freeze_async(VbConn *conn, VbDomainObj *dom, const char *const *mountpoints, guint flags,
                            gboolean freeze, GTask *task)
{
    g_autoptr(JsonObject) args = NULL;
    GError *error = NULL;

    if (vb_check_flags(flags, 0, freeze ? "virDomainFSFreeze" : "virDomainFSThaw", &error) && !freeze &&
        mountpoints && mountpoints[0])
        vb_set_error(&error, VB_ERR_ARGUMENT_UNSUPPORTED, "%s", "thawing chosen mount points is not supported");
    if (error) {
        g_task_return_error(task, error);
        g_object_unref(task);
        return;
    }
    if (freeze && mountpoints && mountpoints[0]) {
        JsonArray *list = json_array_new();
        args = json_object_new();
        for (guint i = 0; mountpoints[i]; i++)
            json_array_add_string_element(list, mountpoints[i]);
        json_object_set_array_member(args, "mountpoints", list);
    }
    agent_call(conn, dom, freeze ? (args ? "guest-fsfreeze-freeze-list" : "guest-fsfreeze-freeze")
                                 : "guest-fsfreeze-thaw",
               args, reply_count, g_free, task);
}

void
qemu_domain_fs_trim_async(VbConn *conn, VbDomainObj *dom, const char *mountpoint, guint64 minimum, guint flags,
                          GTask *task)
{
    g_autoptr(JsonObject) args = json_object_new();
    GError *error = NULL;

    if (vb_check_flags(flags, 0, "virDomainFSTrim", &error) && mountpoint)
        vb_set_error(&error, VB_ERR_ARGUMENT_UNSUPPORTED, "%s", "Specifying mount point is not supported for now");
    else if (!error && minimum > G_MAXINT64)
        vb_set_error(&error, VB_ERR_INVALID_ARG, "%s", "minimum is too large");
    if (error) {
        g_task_return_error(task, error);
        g_object_unref(task);
        return;
    }
    json_object_set_int_member(args, "minimum", (gint64)minimum);
    agent_call(conn, dom, "guest-fstrim", args, NULL, NULL, task);
}

/* ---- time, file systems, interfaces, passwords ---- */

static gboolean
malformed(GError **error, const char *what)
{
    vb_set_error(error, VB_ERR_INTERNAL_ERROR, "malformed return value from the guest agent: %s", what);
    return FALSE;
}

static gboolean
reply_time(AgentJob *job, JsonNode *reply, gpointer *result, GError **error)
{
    if (!JSON_NODE_HOLDS_VALUE(reply) || json_node_get_value_type(reply) != G_TYPE_INT64 || json_node_get_int(reply) < 0)
        return malformed(error, "not a time");
    *result = g_memdup2(&(gint64){ json_node_get_int(reply) }, sizeof(gint64));
    return TRUE;
}

void
qemu_domain_get_time_async(VbConn *conn, VbDomainObj *dom, GTask *task)
{
    agent_call(conn, dom, "guest-get-time", NULL, reply_time, g_free, task);
}

/* The domain's disk whose <serial> the agent reports, by its target name. */
static char *
disk_by_serial(AgentJob *job, const char *serial)
{
    VbDomainObj *dom = vb_obj_list_by_key(job->conn->domains, job->uuid);
    const VbDiskDef *disk;

    for (guint n = 0; dom && serial && (disk = vb_domain_def_nth_disk(dom->def, n)); n++) {
        if (g_strcmp0(disk->serial, serial) == 0)
            return g_strdup(disk->target_dev);
    }
    return NULL;
}

static gboolean
reply_fs_info(AgentJob *job, JsonNode *reply, gpointer *result, GError **error)
{
    JsonArray *list = JSON_NODE_HOLDS_ARRAY(reply) ? json_node_get_array(reply) : NULL;
    g_autoptr(GPtrArray) infos = g_ptr_array_new_with_free_func((GDestroyNotify)vb_fs_info_free);

    if (!list)
        return malformed(error, "not a list of file systems");
    for (guint i = 0; i < json_array_get_length(list); i++) {
        JsonObject *fs = json_array_get_object_element(list, i);
        JsonArray *disks = fs && json_object_has_member(fs, "disk") ? json_object_get_array_member(fs, "disk") : NULL;
        g_autoptr(GPtrArray) aliases = g_ptr_array_new_with_free_func(g_free);
        VbFSInfo *info;

        if (!fs || !json_object_get_string_member_with_default(fs, "mountpoint", NULL))
            return malformed(error, "a file system without a mount point");
        /* the agent names disks by bus address; those with a <serial> are found by it */
        for (guint j = 0; disks && j < json_array_get_length(disks); j++) {
            JsonObject *disk = json_array_get_object_element(disks, j);
            char *alias = disk ? disk_by_serial(job, json_object_get_string_member_with_default(disk, "serial",
                                                                                                NULL))
                               : NULL;
            if (alias)
                g_ptr_array_add(aliases, alias);
        }
        g_ptr_array_add(aliases, NULL);
        info = g_new0(VbFSInfo, 1);
        info->mountpoint = g_strdup(json_object_get_string_member(fs, "mountpoint"));
        info->name = g_strdup(json_object_get_string_member_with_default(fs, "name", ""));
        info->fstype = g_strdup(json_object_get_string_member_with_default(fs, "type", ""));
        info->dev_aliases = (GStrv)g_ptr_array_free(g_steal_pointer(&aliases), FALSE);
        g_ptr_array_add(infos, info);
    }
    *result = g_steal_pointer(&infos);
    return TRUE;
}

void
qemu_domain_get_fs_info_async(VbConn *conn, VbDomainObj *dom, guint flags, GTask *task)
{
    GError *error = NULL;

    if (!vb_check_flags(flags, 0, "virDomainGetFSInfo", &error)) {
        g_task_return_error(task, error);
        g_object_unref(task);
        return;
    }
    agent_call(conn, dom, "guest-get-fsinfo", NULL, reply_fs_info, (GDestroyNotify)g_ptr_array_unref, task);
}

static VbDomainIPAddress *
ip_address_new(int type, const char *addr, guint prefix)
{
    VbDomainIPAddress *ip = g_new0(VbDomainIPAddress, 1);

    ip->type = type;
    ip->addr = g_strdup(addr);
    ip->prefix = prefix;
    return ip;
}

static VbDomainInterface *
interface_new(const char *name, const char *hwaddr)
{
    VbDomainInterface *iface = g_new0(VbDomainInterface, 1);

    iface->name = g_strdup(name);
    iface->hwaddr = g_strdup(hwaddr);
    iface->addrs = g_ptr_array_new_with_free_func((GDestroyNotify)vb_domain_ip_address_free);
    return iface;
}

static GPtrArray *
interfaces_new(void)
{
    return g_ptr_array_new_with_free_func((GDestroyNotify)vb_domain_interface_free);
}

static gboolean
reply_interfaces(AgentJob *job, JsonNode *reply, gpointer *result, GError **error)
{
    JsonArray *list = JSON_NODE_HOLDS_ARRAY(reply) ? json_node_get_array(reply) : NULL;
    g_autoptr(GPtrArray) ifaces = interfaces_new();

    if (!list)
        return malformed(error, "not a list of interfaces");
    for (guint i = 0; i < json_array_get_length(list); i++) {
        JsonObject *nic = json_array_get_object_element(list, i);
        JsonArray *ips = nic && json_object_has_member(nic, "ip-addresses")
                             ? json_object_get_array_member(nic, "ip-addresses") : NULL;
        VbDomainInterface *iface;

        if (!nic || !json_object_get_string_member_with_default(nic, "name", NULL))
            return malformed(error, "an interface without a name");
        iface = interface_new(json_object_get_string_member(nic, "name"),
                              json_object_get_string_member_with_default(nic, "hardware-address", NULL));
        g_ptr_array_add(ifaces, iface);
        for (guint j = 0; ips && j < json_array_get_length(ips); j++) {
            JsonObject *ip = json_array_get_object_element(ips, j);
            const char *type = ip ? json_object_get_string_member_with_default(ip, "ip-address-type", "") : "";
            const char *addr = ip ? json_object_get_string_member_with_default(ip, "ip-address", NULL) : NULL;
            gint64 prefix = ip ? json_object_get_int_member_with_default(ip, "prefix", 0) : 0;

            if (!addr || !g_hostname_is_ip_address(addr) || prefix < 0 || prefix > 128)
                continue;
            g_ptr_array_add(iface->addrs, ip_address_new(g_str_equal(type, "ipv6") ? VB_IP_ADDR_TYPE_IPV6
                                                                                   : VB_IP_ADDR_TYPE_IPV4,
                                                         addr, (guint)prefix));
        }
    }
    *result = g_steal_pointer(&ifaces);
    return TRUE;
}

/* LEASE: what dnsmasq leased to the guest's interfaces on our virtual networks. */
static GPtrArray *
interfaces_from_leases(VbConn *conn, VbDomainObj *dom)
{
    GPtrArray *ifaces = interfaces_new();
    VbNetDef *net;

    for (guint n = 0; (net = vb_domain_def_nth_net(dom->def, n)); n++) {
        const char *name = NULL;
        VbNetworkObj *network;
        g_autoptr(GPtrArray) leases = NULL;
        VbDomainInterface *iface;

        for (guint i = 0; net->source_attrs && i + 1 < net->source_attrs->len; i += 2) {
            if (g_str_equal(g_ptr_array_index(net->source_attrs, i), "network"))
                name = g_ptr_array_index(net->source_attrs, i + 1);
        }
        if (!g_str_equal(net->type, "network") || !name || !(network = vb_conn_network_by_name(conn, name, NULL)) ||
            !(leases = vb_network_get_dhcp_leases(conn, network, net->mac, 0, NULL)) || !leases->len)
            continue;
        iface = interface_new(net->target_dev, net->mac);
        g_ptr_array_add(ifaces, iface);
        for (guint i = 0; i < leases->len; i++) {
            const char *ip;
            gint32 type;
            guint prefix;

            g_variant_get(g_ptr_array_index(leases, i), "(&sxi&s&s&su&s&s)", NULL, NULL, &type, NULL, NULL, &ip,
                          &prefix, NULL, NULL);
            g_ptr_array_add(iface->addrs, ip_address_new(type, ip, prefix));
        }
    }
    return ifaces;
}

/* ARP: the host's neighbour table for the guest's MACs (IPv4, no prefix). */
static GPtrArray *
interfaces_from_arp(VbDomainObj *dom)
{
    GPtrArray *ifaces = interfaces_new();
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    VbNetDef *net;

    if (!g_file_get_contents("/proc/net/arp", &text, NULL, NULL))
        return ifaces;
    lines = g_strsplit(text, "\n", -1);
    for (guint n = 0; (net = vb_domain_def_nth_net(dom->def, n)); n++) {
        VbDomainInterface *iface = NULL;

        for (guint i = 1; lines[i]; i++) {
            g_auto(GStrv) fields = g_strsplit_set(lines[i], " \t", -1);
            g_autoptr(GPtrArray) words = g_ptr_array_new();

            for (guint j = 0; fields[j]; j++) {
                if (*fields[j])
                    g_ptr_array_add(words, fields[j]);
            }
            if (words->len < 4 || g_ascii_strcasecmp(g_ptr_array_index(words, 3), net->mac) != 0)
                continue;
            if (!iface)
                g_ptr_array_add(ifaces, iface = interface_new(net->target_dev, net->mac));
            g_ptr_array_add(iface->addrs, ip_address_new(VB_IP_ADDR_TYPE_IPV4, g_ptr_array_index(words, 0), 0));
        }
    }
    return ifaces;
}

void
qemu_domain_interface_addresses_async(VbConn *conn, VbDomainObj *dom, guint source, guint flags, GTask *task)
{
    GError *error = NULL;

    if (vb_check_flags(flags, 0, "virDomainInterfaceAddresses", &error) && !vb_domain_obj_is_active(dom))
        vb_set_error(&error, VB_ERR_OPERATION_INVALID, "%s", "domain is not running");
    else if (!error && source >= VB_INTERFACE_ADDRESSES_SRC_LAST)
        vb_set_error(&error, VB_ERR_INVALID_ARG, "Unknown IP address data source %u", source);
    if (error) {
        g_task_return_error(task, error);
        g_object_unref(task);
        return;
    }
    if (source == VB_INTERFACE_ADDRESSES_SRC_AGENT) {
        agent_call(conn, dom, "guest-network-get-interfaces", NULL, reply_interfaces,
                   (GDestroyNotify)g_ptr_array_unref, task);
        return;
    }
    g_task_return_pointer(task, source == VB_INTERFACE_ADDRESSES_SRC_LEASE ? interfaces_from_leases(conn, dom)
                                                                           : interfaces_from_arp(dom),
                          (GDestroyNotify)g_ptr_array_unref);
    g_object_unref(task);
}

void
qemu_domain_set_user_password_async(VbConn *conn, VbDomainObj *dom, const char *user, const char *password,
                                    guint flags, GTask *task)
{
    g_autoptr(JsonObject) args = json_object_new();
    g_autofree char *encoded = g_base64_encode((const guchar *)password, strlen(password));
    GError *error = NULL;

    if (!vb_check_flags(flags, VB_DOMAIN_PASSWORD_ENCRYPTED, "virDomainSetUserPassword", &error)) {
        g_task_return_error(task, error);
        g_object_unref(task);
        return;
    }
    json_object_set_string_member(args, "username", user);
    json_object_set_string_member(args, "password", encoded);
    json_object_set_boolean_member(args, "crypted", (flags & VB_DOMAIN_PASSWORD_ENCRYPTED) != 0);
    agent_call(conn, dom, "guest-set-user-password", args, NULL, NULL, task);
}
