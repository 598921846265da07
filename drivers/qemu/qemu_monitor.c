/* qemu_monitor.c: QMP over a non-blocking unix socket, driven by GSocket sources. */
#include "qemu_monitor.h"

#include <string.h>
#include <gio/gunixfdlist.h>
#include <gio/gunixfdmessage.h>
#include <gio/gunixsocketaddress.h>

#include "conf/vb_error.h"

/* libvirt's limit for one reply line (QEMU_MONITOR_MAX_RESPONSE) */
#define MONITOR_MAX_LINE (10 * 1024 * 1024)
#define MONITOR_READ_CHUNK 65536

typedef struct {
    char *id;
    char *command;
    GTask *task;             /* NULL once the caller cancelled: the reply is then dropped */
    GSource *cancel_source;
} PendingCommand;

typedef struct {
    GBytes *bytes;
    gsize offset;
    GUnixFDList *fds;        /* sent with the first chunk, then dropped */
} OutgoingMessage;

/* What a command ended with: a value, or QMP's error class and the GError made from it. */
typedef struct {
    JsonNode *ret;
    char *qmp_class;
    GError *error;
} CommandOutcome;

struct _VbQemuMonitor {
    gatomicrefcount refs;
    GMainContext *context;
    GSocketConnection *connection;
    GSocket *socket;
    GSource *read_source;
    GSource *write_source;
    GByteArray *inbuf;
    GQueue pending;          /* PendingCommand, in the order sent */
    GQueue outgoing;         /* OutgoingMessage */
    guint64 next_id;
    const VbQemuMonitorCallbacks *callbacks;
    gpointer user_data;
    GTask *open_task;        /* until capabilities are negotiated */
    GSource *open_cancel_source;
    gboolean greeted;
    gboolean closed;
    GError *close_error;     /* what commands sent after the close fail with */
};

static void monitor_close_internal(VbQemuMonitor *mon, const GError *cause);
static void monitor_lost(VbQemuMonitor *mon, const GError *cause);

static void
command_outcome_free(CommandOutcome *outcome)
{
    if (outcome->ret)
        json_node_unref(outcome->ret);
    g_free(outcome->qmp_class);
    g_clear_error(&outcome->error);
    g_free(outcome);
}

static void
outgoing_message_free(OutgoingMessage *msg)
{
    g_bytes_unref(msg->bytes);
    g_clear_object(&msg->fds);
    g_free(msg);
}

static void
pending_command_free(PendingCommand *cmd)
{
    if (cmd->cancel_source) {
        g_source_destroy(cmd->cancel_source);
        g_source_unref(cmd->cancel_source);
    }
    g_clear_object(&cmd->task);
    g_free(cmd->id);
    g_free(cmd->command);
    g_free(cmd);
}

/* Hands @outcome (or @error) to the caller, if it still waits, and frees @cmd. */
static void
pending_command_complete(PendingCommand *cmd, CommandOutcome *outcome, const GError *error)
{
    if (cmd->task && outcome)
        g_task_return_pointer(cmd->task, outcome, (GDestroyNotify)command_outcome_free);
    else if (cmd->task)
        g_task_return_error(cmd->task, g_error_copy(error));
    else if (outcome)
        command_outcome_free(outcome);
    pending_command_free(cmd);
}

static GError *
monitor_closed_error(void)
{
    GError *error = NULL;

    vb_set_error(&error, VB_ERR_OPERATION_FAILED, "QEMU monitor was closed");
    return error;
}

VbQemuMonitor *
vb_qemu_monitor_ref(VbQemuMonitor *mon)
{
    g_atomic_ref_count_inc(&mon->refs);
    return mon;
}

void
vb_qemu_monitor_unref(VbQemuMonitor *mon)
{
    if (!mon || !g_atomic_ref_count_dec(&mon->refs))
        return;
    vb_qemu_monitor_close(mon);
    g_clear_error(&mon->close_error);
    g_byte_array_unref(mon->inbuf);
    g_main_context_unref(mon->context);
    g_free(mon);
}

gboolean
vb_qemu_monitor_is_closed(VbQemuMonitor *mon)
{
    return mon->closed;
}

void
vb_qemu_monitor_close(VbQemuMonitor *mon)
{
    monitor_close_internal(mon, NULL);
}

static void
source_clear(GSource **source)
{
    if (!*source)
        return;
    g_source_destroy(*source);
    g_source_unref(*source);
    *source = NULL;
}

static void
monitor_fail_open(VbQemuMonitor *mon, const GError *error)
{
    g_autoptr(GTask) task = g_steal_pointer(&mon->open_task);

    source_clear(&mon->open_cancel_source);
    if (task)
        g_task_return_error(task, g_error_copy(error));
}

static void
monitor_close_internal(VbQemuMonitor *mon, const GError *cause)
{
    PendingCommand *cmd;

    if (mon->closed)
        return;
    mon->closed = TRUE;
    mon->close_error = cause ? g_error_copy(cause) : monitor_closed_error();
    source_clear(&mon->read_source);
    source_clear(&mon->write_source);
    g_queue_clear_full(&mon->outgoing, (GDestroyNotify)outgoing_message_free);
    /* closing a socket never blocks */
    g_io_stream_close(G_IO_STREAM(mon->connection), NULL, NULL);
    g_clear_object(&mon->connection);
    mon->socket = NULL;
    while ((cmd = g_queue_pop_head(&mon->pending)))
        pending_command_complete(cmd, NULL, mon->close_error);
    monitor_fail_open(mon, mon->close_error);
}

/* The connection ended by itself: close, then tell the owner (once it has the monitor). */
static void
monitor_lost(VbQemuMonitor *mon, const GError *cause)
{
    gboolean owner_knows = mon->open_task == NULL;

    if (mon->closed)
        return;
    monitor_close_internal(mon, cause);
    if (owner_knows && mon->callbacks && mon->callbacks->eof)
        mon->callbacks->eof(mon, cause, mon->user_data);
}

/* ---- writing ---- */

/* Sends what the socket takes of @msg; FALSE with G_IO_ERROR_WOULD_BLOCK when it takes none. */
static gboolean
outgoing_message_send(VbQemuMonitor *mon, OutgoingMessage *msg, GError **error)
{
    gsize size;
    const guint8 *data = g_bytes_get_data(msg->bytes, &size);
    GOutputVector vector = { data + msg->offset, size - msg->offset };
    GSocketControlMessage *control[1] = { NULL };
    gssize sent;

    if (msg->fds)
        control[0] = g_unix_fd_message_new_with_fd_list(msg->fds);
    sent = g_socket_send_message(mon->socket, NULL, &vector, 1, msg->fds ? control : NULL,
                                 msg->fds ? 1 : 0, G_SOCKET_MSG_NONE, NULL, error);
    g_clear_object(&control[0]);
    if (sent < 0)
        return FALSE;
    msg->offset += sent;
    g_clear_object(&msg->fds);
    return TRUE;
}

static gboolean
on_socket_writable(GSocket *socket, GIOCondition condition, gpointer data)
{
    g_autoptr(VbQemuMonitor) mon = vb_qemu_monitor_ref(data);
    OutgoingMessage *msg;

    while ((msg = g_queue_peek_head(&mon->outgoing))) {
        g_autoptr(GError) error = NULL;

        if (!outgoing_message_send(mon, msg, &error)) {
            if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
                return G_SOURCE_CONTINUE;
            monitor_lost(mon, error);
            return G_SOURCE_REMOVE;
        }
        if (msg->offset == g_bytes_get_size(msg->bytes))
            outgoing_message_free(g_queue_pop_head(&mon->outgoing));
    }
    source_clear(&mon->write_source);
    return G_SOURCE_REMOVE;
}

static void
monitor_schedule_write(VbQemuMonitor *mon)
{
    if (mon->write_source || mon->closed)
        return;
    mon->write_source = g_socket_create_source(mon->socket, G_IO_OUT, NULL);
    g_source_set_callback(mon->write_source, G_SOURCE_FUNC(on_socket_writable), mon, NULL);
    g_source_attach(mon->write_source, mon->context);
}

/* ---- commands ---- */

static GBytes *
command_to_json(const char *command, JsonObject *arguments, const char *id)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *text = NULL;

    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "execute");
    json_builder_add_string_value(builder, command);
    if (arguments) {
        json_builder_set_member_name(builder, "arguments");
        json_builder_add_value(builder, json_node_init_object(json_node_alloc(), arguments));
    }
    json_builder_set_member_name(builder, "id");
    json_builder_add_string_value(builder, id);
    json_builder_end_object(builder);
    root = json_builder_get_root(builder);
    text = json_to_string(root, FALSE);
    return g_bytes_new_take(g_strconcat(text, "\r\n", NULL), strlen(text) + 2);
}

static gboolean
on_command_cancelled(GCancellable *cancellable, gpointer data)
{
    PendingCommand *cmd = data;
    g_autoptr(GTask) task = g_steal_pointer(&cmd->task);

    g_task_return_error_if_cancelled(task);
    g_source_unref(g_steal_pointer(&cmd->cancel_source));
    return G_SOURCE_REMOVE;
}

static void
pending_command_watch_cancel(VbQemuMonitor *mon, PendingCommand *cmd, GCancellable *cancellable)
{
    if (!cancellable)
        return;
    cmd->cancel_source = g_cancellable_source_new(cancellable);
    g_source_set_callback(cmd->cancel_source, G_SOURCE_FUNC(on_command_cancelled), cmd, NULL);
    g_source_attach(cmd->cancel_source, mon->context);
}

static void
monitor_send_command(VbQemuMonitor *mon, const char *command, JsonObject *arguments, int fd,
                     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data,
                     gpointer source_tag)
{
    g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
    g_autoptr(GUnixFDList) fds = NULL;
    g_autoptr(GError) error = NULL;
    PendingCommand *cmd;
    OutgoingMessage *msg;

    g_task_set_source_tag(task, source_tag);
    g_task_set_task_data(task, vb_qemu_monitor_ref(mon), (GDestroyNotify)vb_qemu_monitor_unref);
    if (mon->closed) {
        g_task_return_error(task, g_error_copy(mon->close_error));
        return;
    }
    if (fd >= 0) {
        fds = g_unix_fd_list_new();
        if (g_unix_fd_list_append(fds, fd, &error) < 0) {
            g_task_return_error(task, g_steal_pointer(&error));
            return;
        }
    }
    cmd = g_new0(PendingCommand, 1);
    cmd->id = g_strdup_printf("vb-%" G_GUINT64_FORMAT, ++mon->next_id);
    cmd->command = g_strdup(command);
    cmd->task = g_steal_pointer(&task);
    pending_command_watch_cancel(mon, cmd, cancellable);
    g_queue_push_tail(&mon->pending, cmd);

    msg = g_new0(OutgoingMessage, 1);
    msg->bytes = command_to_json(command, arguments, cmd->id);
    msg->fds = g_steal_pointer(&fds);
    g_queue_push_tail(&mon->outgoing, msg);
    monitor_schedule_write(mon);
}

void
vb_qemu_monitor_execute(VbQemuMonitor *mon, const char *command, JsonObject *arguments,
                        GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
    monitor_send_command(mon, command, arguments, -1, cancellable, callback, user_data,
                         vb_qemu_monitor_execute);
}

void
vb_qemu_monitor_execute_with_fd(VbQemuMonitor *mon, const char *command, JsonObject *arguments, int fd,
                                GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
    g_return_if_fail(fd >= 0);
    monitor_send_command(mon, command, arguments, fd, cancellable, callback, user_data,
                         vb_qemu_monitor_execute);
}

JsonNode *
vb_qemu_monitor_execute_finish_full(VbQemuMonitor *mon, GAsyncResult *result, char **qmp_class,
                                    GError **error)
{
    CommandOutcome *outcome;
    JsonNode *ret;

    g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
    if (qmp_class)
        *qmp_class = NULL;
    outcome = g_task_propagate_pointer(G_TASK(result), error);
    if (!outcome)
        return NULL;
    if (outcome->error) {
        g_propagate_error(error, g_steal_pointer(&outcome->error));
        if (qmp_class)
            *qmp_class = g_steal_pointer(&outcome->qmp_class);
        command_outcome_free(outcome);
        return NULL;
    }
    ret = g_steal_pointer(&outcome->ret);
    command_outcome_free(outcome);
    return ret;
}

JsonNode *
vb_qemu_monitor_execute_finish(VbQemuMonitor *mon, GAsyncResult *result, GError **error)
{
    return vb_qemu_monitor_execute_finish_full(mon, result, NULL, error);
}

void
vb_qemu_monitor_send_fd(VbQemuMonitor *mon, const char *fdname, int fd, GCancellable *cancellable,
                        GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(JsonObject) arguments = json_object_new();

    json_object_set_string_member(arguments, "fdname", fdname);
    vb_qemu_monitor_execute_with_fd(mon, "getfd", arguments, fd, cancellable, callback, user_data);
}

gboolean
vb_qemu_monitor_send_fd_finish(VbQemuMonitor *mon, GAsyncResult *result, GError **error)
{
    g_autoptr(JsonNode) ret = vb_qemu_monitor_execute_finish(mon, result, error);

    return ret != NULL;
}

/* ---- reading ---- */

/* Member accessors that tolerate any JSON QEMU (or garbage) may send: NULL/default when absent
 * or of another type, without json-glib's criticals. */
static JsonObject *
member_object(JsonObject *object, const char *name)
{
    JsonNode *node = object ? json_object_get_member(object, name) : NULL;

    return node && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
}

static const char *
member_string(JsonObject *object, const char *name)
{
    JsonNode *node = object ? json_object_get_member(object, name) : NULL;

    if (!node || !JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(node);
}

static gint64
member_int(JsonObject *object, const char *name)
{
    JsonNode *node = object ? json_object_get_member(object, name) : NULL;

    if (!node || !JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64)
        return 0;
    return json_node_get_int(node);
}

static CommandOutcome *
command_outcome_from_reply(const PendingCommand *cmd, JsonObject *reply)
{
    CommandOutcome *outcome = g_new0(CommandOutcome, 1);
    JsonObject *qmp_error;
    const char *qmp_class;
    const char *desc;

    if (json_object_has_member(reply, "return")) {
        outcome->ret = json_node_copy(json_object_get_member(reply, "return"));
        return outcome;
    }
    qmp_error = member_object(reply, "error");
    qmp_class = member_string(qmp_error, "class");
    outcome->qmp_class = g_strdup(qmp_class ? qmp_class : "GenericError");
    desc = member_string(qmp_error, "desc");
    vb_set_error(&outcome->error, VB_ERR_INTERNAL_ERROR, "unable to execute QEMU command '%s': %s",
                 cmd->command, desc ? desc : outcome->qmp_class);
    return outcome;
}

static PendingCommand *
monitor_take_pending(VbQemuMonitor *mon, const char *id)
{
    for (GList *l = mon->pending.head; l; l = l->next) {
        PendingCommand *cmd = l->data;

        if (!id || g_str_equal(cmd->id, id)) {
            g_queue_delete_link(&mon->pending, l);
            return cmd;
        }
    }
    return NULL;
}

/* A reply without an id can only answer the oldest command: QEMU executes them in order. */
static void
monitor_handle_reply(VbQemuMonitor *mon, JsonObject *reply)
{
    const char *id = member_string(reply, "id");
    PendingCommand *cmd = monitor_take_pending(mon, id);

    if (!cmd) {
        g_debug("QMP reply with unknown id '%s' dropped", id ? id : "");
        return;
    }
    pending_command_complete(cmd, command_outcome_from_reply(cmd, reply), NULL);
}

static void
monitor_handle_event(VbQemuMonitor *mon, JsonObject *message)
{
    const char *name = member_string(message, "event");
    JsonObject *timestamp = member_object(message, "timestamp");
    JsonObject *data_member = member_object(message, "data");
    g_autoptr(JsonObject) data = data_member ? json_object_ref(data_member) : json_object_new();
    gint64 timestamp_us = member_int(timestamp, "seconds") * G_USEC_PER_SEC +
                          member_int(timestamp, "microseconds");

    if (!name || !mon->callbacks || !mon->callbacks->event)
        return;
    mon->callbacks->event(mon, name, data, timestamp_us, mon->user_data);
}

static void
on_capabilities_negotiated(GObject *source, GAsyncResult *result, gpointer data)
{
    g_autoptr(VbQemuMonitor) mon = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) ret = vb_qemu_monitor_execute_finish(mon, result, &error);
    g_autoptr(GTask) task = NULL;

    if (!ret) {
        monitor_fail_open(mon, error);
        vb_qemu_monitor_close(mon);
        return;
    }
    task = g_steal_pointer(&mon->open_task);
    source_clear(&mon->open_cancel_source);
    if (task)
        g_task_return_pointer(task, vb_qemu_monitor_ref(mon), (GDestroyNotify)vb_qemu_monitor_unref);
}

static void
monitor_handle_greeting(VbQemuMonitor *mon)
{
    if (mon->greeted || !mon->open_task)
        return;
    mon->greeted = TRUE;
    vb_qemu_monitor_execute(mon, "qmp_capabilities", NULL, NULL, on_capabilities_negotiated,
                            vb_qemu_monitor_ref(mon));
}

static void
monitor_handle_line(VbQemuMonitor *mon, const char *line)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) node = json_from_string(line, &error);
    JsonObject *message;

    if (!node || !JSON_NODE_HOLDS_OBJECT(node)) {
        g_autoptr(GError) broken = NULL;

        vb_set_error(&broken, VB_ERR_INTERNAL_ERROR, "cannot parse QEMU monitor message '%s': %s", line,
                     error ? error->message : "not a JSON object");
        monitor_lost(mon, broken);
        return;
    }
    message = json_node_get_object(node);
    if (json_object_has_member(message, "QMP"))
        monitor_handle_greeting(mon);
    else if (json_object_has_member(message, "event"))
        monitor_handle_event(mon, message);
    else if (json_object_has_member(message, "return") || json_object_has_member(message, "error"))
        monitor_handle_reply(mon, message);
    else
        g_debug("QMP message of unknown kind ignored: %s", line);
}

/* Handles every complete line in the input buffer; a callback may close the monitor. */
static void
monitor_process_input(VbQemuMonitor *mon)
{
    while (!mon->closed && mon->inbuf->len > 0) {
        guint8 *newline = memchr(mon->inbuf->data, '\n', mon->inbuf->len);
        gsize length;
        g_autofree char *line = NULL;

        if (!newline)
            break;
        length = newline - mon->inbuf->data + 1;
        line = g_strndup((const char *)mon->inbuf->data, length);
        g_byte_array_remove_range(mon->inbuf, 0, length);
        g_strstrip(line);
        if (*line)
            monitor_handle_line(mon, line);
    }
}

static void
monitor_fail_oversized(VbQemuMonitor *mon)
{
    g_autoptr(GError) error = NULL;

    vb_set_error(&error, VB_ERR_INTERNAL_ERROR, "QEMU monitor reply exceeds buffer size (%d bytes)",
                 MONITOR_MAX_LINE);
    monitor_lost(mon, error);
}

static gboolean
on_socket_readable(GSocket *socket, GIOCondition condition, gpointer data)
{
    g_autoptr(VbQemuMonitor) mon = vb_qemu_monitor_ref(data);
    g_autoptr(GError) error = NULL;
    guint8 buffer[MONITOR_READ_CHUNK];
    gssize got = g_socket_receive(socket, (char *)buffer, sizeof(buffer), NULL, &error);

    if (got < 0 && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return G_SOURCE_CONTINUE;
    if (got <= 0) {
        monitor_lost(mon, error);
        return G_SOURCE_REMOVE;
    }
    g_byte_array_append(mon->inbuf, buffer, got);
    monitor_process_input(mon);
    if (!mon->closed && mon->inbuf->len > MONITOR_MAX_LINE)
        monitor_fail_oversized(mon);
    return G_SOURCE_CONTINUE;
}

/* ---- opening ---- */

typedef struct {
    const VbQemuMonitorCallbacks *callbacks;
    gpointer user_data;
} OpenData;

static VbQemuMonitor *
monitor_new(GSocketConnection *connection, const OpenData *open_data)
{
    VbQemuMonitor *mon = g_new0(VbQemuMonitor, 1);

    g_atomic_ref_count_init(&mon->refs);
    mon->context = g_main_context_ref_thread_default();
    mon->connection = g_object_ref(connection);
    mon->socket = g_socket_connection_get_socket(connection);
    g_socket_set_blocking(mon->socket, FALSE);
    mon->inbuf = g_byte_array_new();
    g_queue_init(&mon->pending);
    g_queue_init(&mon->outgoing);
    mon->callbacks = open_data->callbacks;
    mon->user_data = open_data->user_data;
    mon->read_source = g_socket_create_source(mon->socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
    g_source_set_callback(mon->read_source, G_SOURCE_FUNC(on_socket_readable), mon, NULL);
    g_source_attach(mon->read_source, mon->context);
    return mon;
}

static gboolean
on_open_cancelled(GCancellable *cancellable, gpointer data)
{
    VbQemuMonitor *mon = data;
    g_autoptr(GError) error = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");

    monitor_close_internal(mon, error);
    return G_SOURCE_REMOVE;
}

static void
on_connected(GObject *source, GAsyncResult *result, gpointer data)
{
    g_autoptr(GTask) task = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GSocketConnection) connection = NULL;
    GCancellable *cancellable = g_task_get_cancellable(task);
    VbQemuMonitor *mon;

    connection = g_socket_client_connect_finish(G_SOCKET_CLIENT(source), result, &error);
    if (!connection) {
        g_task_return_error(task, g_steal_pointer(&error));
        return;
    }
    mon = monitor_new(connection, g_task_get_task_data(task));
    mon->open_task = g_object_ref(task);
    /* the task keeps the monitor until the greeting and capabilities are done */
    g_task_set_task_data(task, mon, (GDestroyNotify)vb_qemu_monitor_unref);
    if (cancellable) {
        mon->open_cancel_source = g_cancellable_source_new(cancellable);
        g_source_set_callback(mon->open_cancel_source, G_SOURCE_FUNC(on_open_cancelled), mon, NULL);
        g_source_attach(mon->open_cancel_source, mon->context);
    }
}

void
vb_qemu_monitor_open(const char *path, const VbQemuMonitorCallbacks *callbacks, gpointer user_data,
                     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer callback_data)
{
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_autoptr(GSocketAddress) address = g_unix_socket_address_new(path);
    GTask *task = g_task_new(NULL, cancellable, callback, callback_data);
    OpenData *open_data = g_new0(OpenData, 1);

    open_data->callbacks = callbacks;
    open_data->user_data = user_data;
    g_task_set_source_tag(task, vb_qemu_monitor_open);
    g_task_set_task_data(task, open_data, g_free);
    g_socket_client_connect_async(client, G_SOCKET_CONNECTABLE(address), cancellable, on_connected, task);
}

VbQemuMonitor *
vb_qemu_monitor_open_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}
