/* test-qemu-monitor: the QMP client against a scripted fake QMP server on a unix socket.
 * The server runs on the same main loop; each test drives it step by step. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <gio/gunixfdmessage.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

#include "conf/vb_error.h"
#include "drivers/qemu/qemu_monitor.h"

#define GREETING "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}}, \"capabilities\": []}}\r\n"

typedef struct {
    char *dir;
    char *path;
    GSocketService *service;
    GSocketConnection *conn;     /* the client, once accepted */
    GSource *read_source;
    GByteArray *received;
    GArray *received_fds;
    gboolean client_closed;
    /* what the monitor reported */
    GPtrArray *events;           /* "NAME data-json timestamp" */
    guint eof_count;
    char *eof_message;           /* NULL for a clean EOF */
    VbQemuMonitor *mon;
} Fixture;

typedef struct {
    gboolean done;
    GAsyncResult *result;
} Pending;

static void
iterate_until(gboolean *flag)
{
    while (!*flag)
        g_main_context_iteration(NULL, TRUE);
}

static void
iterate_idle(void)
{
    while (g_main_context_iteration(NULL, FALSE))
        ;
}

static void
on_done(GObject *source, GAsyncResult *result, gpointer data)
{
    Pending *pending = data;

    pending->result = g_object_ref(result);
    pending->done = TRUE;
}

static void
pending_clear(Pending *pending)
{
    g_clear_object(&pending->result);
    pending->done = FALSE;
}

/* ---- the fake server ---- */

static gboolean
on_server_readable(GSocket *socket, GIOCondition condition, gpointer data)
{
    Fixture *f = data;
    char buffer[4096];
    GInputVector vector = { buffer, sizeof(buffer) };
    GSocketControlMessage **messages = NULL;
    int n_messages = 0;
    g_autoptr(GError) error = NULL;
    gssize got = g_socket_receive_message(socket, NULL, &vector, 1, &messages, &n_messages, NULL, NULL, &error);

    for (int i = 0; i < n_messages; i++) {
        if (G_IS_UNIX_FD_MESSAGE(messages[i])) {
            int n_fds = 0;
            g_autofree int *fds = g_unix_fd_message_steal_fds(G_UNIX_FD_MESSAGE(messages[i]), &n_fds);

            g_array_append_vals(f->received_fds, fds, n_fds);
        }
        g_object_unref(messages[i]);
    }
    g_free(messages);
    if (got < 0 && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return G_SOURCE_CONTINUE;
    if (got <= 0) {
        f->client_closed = TRUE;
        f->read_source = NULL;
        return G_SOURCE_REMOVE;
    }
    g_byte_array_append(f->received, (guint8 *)buffer, got);
    return G_SOURCE_CONTINUE;
}

static gboolean
on_incoming(GSocketService *service, GSocketConnection *conn, GObject *source, gpointer data)
{
    Fixture *f = data;
    GSocket *socket = g_socket_connection_get_socket(conn);

    g_assert_null(f->conn);
    f->conn = g_object_ref(conn);
    g_socket_set_blocking(socket, FALSE);
    f->read_source = g_socket_create_source(socket, G_IO_IN | G_IO_HUP, NULL);
    g_source_set_callback(f->read_source, G_SOURCE_FUNC(on_server_readable), f, NULL);
    g_source_attach(f->read_source, NULL);
    g_source_unref(f->read_source);
    return TRUE;
}

static void
fake_send(Fixture *f, const char *text)
{
    GSocket *socket = g_socket_connection_get_socket(f->conn);
    gsize len = strlen(text);
    gsize done = 0;

    while (done < len) {
        g_autoptr(GError) error = NULL;
        gssize sent = g_socket_send(socket, text + done, len - done, NULL, &error);

        g_assert_no_error(error);
        done += sent;
    }
}

/* The next line the client wrote, as a JSON object (runs the loop until it arrives). */
static JsonObject *
fake_read_command(Fixture *f)
{
    guint8 *newline;
    g_autofree char *line = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) node = NULL;

    while (!f->received->len || !(newline = memchr(f->received->data, '\n', f->received->len)))
        g_main_context_iteration(NULL, TRUE);
    line = g_strndup((char *)f->received->data, newline - f->received->data + 1);
    g_byte_array_remove_range(f->received, 0, newline - f->received->data + 1);
    g_assert_true(g_str_has_suffix(line, "\r\n"));
    node = json_from_string(line, &error);
    g_assert_no_error(error);
    g_assert_true(JSON_NODE_HOLDS_OBJECT(node));
    return json_object_ref(json_node_get_object(node));
}

/* Reads one command, checks its name, returns its id. */
static char *
fake_expect(Fixture *f, const char *command)
{
    g_autoptr(JsonObject) obj = fake_read_command(f);

    g_assert_cmpstr(json_object_get_string_member(obj, "execute"), ==, command);
    return g_strdup(json_object_get_string_member(obj, "id"));
}

static void
fake_reply(Fixture *f, const char *id, const char *return_json)
{
    g_autofree char *text = g_strdup_printf("{\"return\": %s, \"id\": \"%s\"}\r\n", return_json, id);

    fake_send(f, text);
}

static void
fake_close(Fixture *f)
{
    if (f->read_source)
        g_source_destroy(f->read_source);
    f->read_source = NULL;
    g_io_stream_close(G_IO_STREAM(f->conn), NULL, NULL);
}

/* ---- monitor callbacks ---- */

static void
on_event(VbQemuMonitor *mon, const char *name, JsonObject *data, gint64 timestamp_us, gpointer user_data)
{
    Fixture *f = user_data;
    g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), data);
    g_autofree char *text = json_to_string(node, FALSE);

    g_assert_true(mon == f->mon);
    g_ptr_array_add(f->events, g_strdup_printf("%s %s %" G_GINT64_FORMAT, name, text, timestamp_us));
}

static void
on_eof(VbQemuMonitor *mon, const GError *error, gpointer user_data)
{
    Fixture *f = user_data;

    g_assert_true(mon == f->mon);
    f->eof_count++;
    g_free(f->eof_message);
    f->eof_message = error ? g_strdup(error->message) : NULL;
}

static const VbQemuMonitorCallbacks callbacks = { on_event, on_eof };

/* ---- fixture ---- */

static void
fixture_setup(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GSocketAddress) address = NULL;

    f->dir = g_dir_make_tmp("vb-qmp-XXXXXX", &error);
    g_assert_no_error(error);
    f->path = g_build_filename(f->dir, "qmp.sock", NULL);
    address = g_unix_socket_address_new(f->path);
    f->service = g_socket_service_new();
    g_socket_listener_add_address(G_SOCKET_LISTENER(f->service), address, G_SOCKET_TYPE_STREAM,
                                  G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, &error);
    g_assert_no_error(error);
    g_signal_connect(f->service, "incoming", G_CALLBACK(on_incoming), f);
    g_socket_service_start(f->service);
    f->received = g_byte_array_new();
    f->received_fds = g_array_new(FALSE, FALSE, sizeof(int));
    f->events = g_ptr_array_new_with_free_func(g_free);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
    g_clear_pointer(&f->mon, vb_qemu_monitor_unref);
    if (f->read_source)
        g_source_destroy(f->read_source);
    g_clear_object(&f->conn);
    g_socket_service_stop(f->service);
    g_socket_listener_close(G_SOCKET_LISTENER(f->service));
    g_clear_object(&f->service);
    iterate_idle();
    for (guint i = 0; i < f->received_fds->len; i++)
        close(g_array_index(f->received_fds, int, i));
    g_array_unref(f->received_fds);
    g_byte_array_unref(f->received);
    g_ptr_array_unref(f->events);
    g_free(f->eof_message);
    g_unlink(f->path);
    g_rmdir(f->dir);
    g_free(f->path);
    g_free(f->dir);
}

/* Opens the monitor: the server greets and acknowledges qmp_capabilities. */
static void
open_monitor(Fixture *f)
{
    Pending open = { 0 };
    g_autoptr(GError) error = NULL;
    g_autofree char *id = NULL;

    vb_qemu_monitor_open(f->path, &callbacks, f, NULL, on_done, &open);
    while (!f->conn)
        g_main_context_iteration(NULL, TRUE);
    fake_send(f, GREETING);
    id = fake_expect(f, "qmp_capabilities");
    g_assert_false(open.done);
    fake_reply(f, id, "{}");
    iterate_until(&open.done);
    f->mon = vb_qemu_monitor_open_finish(open.result, &error);
    g_assert_no_error(error);
    g_assert_nonnull(f->mon);
    pending_clear(&open);
}

static JsonNode *
finish_ok(Fixture *f, Pending *pending)
{
    g_autoptr(GError) error = NULL;
    JsonNode *ret;

    iterate_until(&pending->done);
    ret = vb_qemu_monitor_execute_finish(f->mon, pending->result, &error);
    g_assert_no_error(error);
    g_assert_nonnull(ret);
    pending_clear(pending);
    return ret;
}

static char *
finish_error(Fixture *f, Pending *pending, char **qmp_class)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) ret = NULL;

    iterate_until(&pending->done);
    ret = vb_qemu_monitor_execute_finish_full(f->mon, pending->result, qmp_class, &error);
    g_assert_null(ret);
    g_assert_nonnull(error);
    pending_clear(pending);
    return g_strdup(error->message);
}

/* ---- tests ---- */

static void
test_open(Fixture *f, gconstpointer data)
{
    open_monitor(f);
    g_assert_false(vb_qemu_monitor_is_closed(f->mon));
    g_assert_cmpuint(f->eof_count, ==, 0);
}

static void
test_open_missing_socket(Fixture *f, gconstpointer data)
{
    Pending open = { 0 };
    g_autoptr(GError) error = NULL;
    g_autofree char *missing = g_build_filename(f->dir, "nothere.sock", NULL);

    vb_qemu_monitor_open(missing, &callbacks, f, NULL, on_done, &open);
    iterate_until(&open.done);
    g_assert_null(vb_qemu_monitor_open_finish(open.result, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    pending_clear(&open);
}

static void
test_open_eof_before_greeting(Fixture *f, gconstpointer data)
{
    Pending open = { 0 };
    g_autoptr(GError) error = NULL;

    vb_qemu_monitor_open(f->path, &callbacks, f, NULL, on_done, &open);
    while (!f->conn)
        g_main_context_iteration(NULL, TRUE);
    fake_close(f);
    iterate_until(&open.done);
    g_assert_null(vb_qemu_monitor_open_finish(open.result, &error));
    g_assert_error(error, VB_ERROR, VB_ERR_OPERATION_FAILED);
    g_assert_cmpstr(error->message, ==, "operation failed: QEMU monitor was closed");
    g_assert_cmpuint(f->eof_count, ==, 0);
    pending_clear(&open);
}

static void
test_return_value(Fixture *f, gconstpointer data)
{
    Pending cmd = { 0 };
    g_autoptr(JsonObject) args = json_object_new();
    g_autoptr(JsonObject) sent = NULL;
    g_autoptr(JsonNode) ret = NULL;
    JsonObject *status;

    open_monitor(f);
    json_object_set_string_member(args, "device", "drive-virtio\"disk0");
    vb_qemu_monitor_execute(f->mon, "query-status", args, NULL, on_done, &cmd);
    sent = fake_read_command(f);
    g_assert_cmpstr(json_object_get_string_member(sent, "execute"), ==, "query-status");
    g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(sent, "arguments"), "device"), ==,
                    "drive-virtio\"disk0");
    fake_reply(f, json_object_get_string_member(sent, "id"), "{\"status\": \"prelaunch\", \"running\": false}");
    ret = finish_ok(f, &cmd);
    status = json_node_get_object(ret);
    g_assert_cmpstr(json_object_get_string_member(status, "status"), ==, "prelaunch");
    g_assert_false(json_object_get_boolean_member(status, "running"));
}

static void
test_error_reply(Fixture *f, gconstpointer data)
{
    Pending cmd = { 0 };
    g_autofree char *id = NULL;
    g_autofree char *reply = NULL;
    g_autofree char *message = NULL;
    g_autofree char *qmp_class = NULL;

    open_monitor(f);
    vb_qemu_monitor_execute(f->mon, "cont", NULL, NULL, on_done, &cmd);
    id = fake_expect(f, "cont");
    reply = g_strdup_printf("{\"id\": \"%s\", \"error\": {\"class\": \"GenericError\", "
                            "\"desc\": \"Resetting the Virtual Machine is required\"}}\r\n", id);
    fake_send(f, reply);
    message = finish_error(f, &cmd, &qmp_class);
    g_assert_cmpstr(message, ==,
                    "internal error: unable to execute QEMU command 'cont': Resetting the Virtual Machine is required");
    g_assert_cmpstr(qmp_class, ==, "GenericError");
    g_assert_false(vb_qemu_monitor_is_closed(f->mon));
}

/* An error member that is not an object must not upset the client. */
static void
test_malformed_error_reply(Fixture *f, gconstpointer data)
{
    Pending cmd = { 0 };
    g_autofree char *id = NULL;
    g_autofree char *reply = NULL;
    g_autofree char *message = NULL;
    g_autofree char *qmp_class = NULL;

    open_monitor(f);
    vb_qemu_monitor_execute(f->mon, "device_del", NULL, NULL, on_done, &cmd);
    id = fake_expect(f, "device_del");
    reply = g_strdup_printf("{\"id\": \"%s\", \"error\": \"bad\"}\r\n", id);
    fake_send(f, reply);
    message = finish_error(f, &cmd, &qmp_class);
    g_assert_cmpstr(message, ==, "internal error: unable to execute QEMU command 'device_del': GenericError");
    g_assert_cmpstr(qmp_class, ==, "GenericError");
}

static void
test_events(Fixture *f, gconstpointer data)
{
    Pending cmd = { 0 };
    g_autofree char *id = NULL;
    g_autoptr(JsonNode) ret = NULL;

    open_monitor(f);
    fake_send(f, "{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 250}, \"event\": \"RESUME\"}\r\n");
    vb_qemu_monitor_execute(f->mon, "stop", NULL, NULL, on_done, &cmd);
    id = fake_expect(f, "stop");
    /* the event comes between the command and its reply */
    fake_send(f, "{\"timestamp\": {\"seconds\": 1700000001, \"microseconds\": 5}, \"event\": \"STOP\"}\r\n");
    fake_reply(f, id, "{}");
    fake_send(f, "{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true, \"reason\": \"guest-shutdown\"}, "
                 "\"timestamp\": {\"seconds\": 1700000002, \"microseconds\": 0}}\r\n");
    ret = finish_ok(f, &cmd);
    while (f->events->len < 3)
        g_main_context_iteration(NULL, TRUE);
    g_assert_cmpstr(f->events->pdata[0], ==, "RESUME {} 1700000000000250");
    g_assert_cmpstr(f->events->pdata[1], ==, "STOP {} 1700000001000005");
    g_assert_cmpstr(f->events->pdata[2], ==, "SHUTDOWN {\"guest\":true,\"reason\":\"guest-shutdown\"} 1700000002000000");
}

/* Three commands sent before the server reads any: written in order, answered in order by
 * one write carrying all three replies. */
static void
test_pipelining(Fixture *f, gconstpointer data)
{
    const char *names[] = { "query-status", "query-name", "query-uuid" };
    Pending cmds[3] = { { 0 } };
    GString *replies = g_string_new(NULL);

    open_monitor(f);
    for (guint i = 0; i < 3; i++)
        vb_qemu_monitor_execute(f->mon, names[i], NULL, NULL, on_done, &cmds[i]);
    for (guint i = 0; i < 3; i++) {
        g_autofree char *id = fake_expect(f, names[i]);

        g_string_append_printf(replies, "{\"return\": {\"n\": %u}, \"id\": \"%s\"}\r\n", i, id);
    }
    fake_send(f, replies->str);
    g_string_free(replies, TRUE);
    for (guint i = 0; i < 3; i++) {
        g_autoptr(JsonNode) ret = finish_ok(f, &cmds[i]);

        g_assert_cmpint(json_object_get_int_member(json_node_get_object(ret), "n"), ==, i);
    }
}

/* Replies matched by id, whatever order they come in. */
static void
test_out_of_order(Fixture *f, gconstpointer data)
{
    Pending first = { 0 };
    Pending second = { 0 };
    g_autofree char *id1 = NULL;
    g_autofree char *id2 = NULL;
    g_autoptr(JsonNode) ret2 = NULL;
    g_autoptr(JsonNode) ret1 = NULL;

    open_monitor(f);
    vb_qemu_monitor_execute(f->mon, "one", NULL, NULL, on_done, &first);
    vb_qemu_monitor_execute(f->mon, "two", NULL, NULL, on_done, &second);
    id1 = fake_expect(f, "one");
    id2 = fake_expect(f, "two");
    g_assert_cmpstr(id1, !=, id2);
    fake_reply(f, id2, "2");
    ret2 = finish_ok(f, &second);
    g_assert_false(first.done);
    fake_reply(f, id1, "1");
    ret1 = finish_ok(f, &first);
    g_assert_cmpint(json_node_get_int(ret1), ==, 1);
    g_assert_cmpint(json_node_get_int(ret2), ==, 2);
}

/* A reply in several writes, each read by the client before the next is sent. */
static void
test_split_reply(Fixture *f, gconstpointer data)
{
    Pending cmd = { 0 };
    g_autofree char *id = NULL;
    g_autofree char *reply = NULL;
    g_autoptr(JsonNode) ret = NULL;
    gsize len;

    open_monitor(f);
    vb_qemu_monitor_execute(f->mon, "query-name", NULL, NULL, on_done, &cmd);
    id = fake_expect(f, "query-name");
    reply = g_strdup_printf("{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"RESET\"}\r\n"
                            "{\"return\": {\"name\": \"split\\u00e9\"}, \"id\": \"%s\"}\r\n", id);
    len = strlen(reply);
    for (gsize at = 0; at < len; at += 7) {
        g_autofree char *piece = g_strndup(reply + at, 7);

        fake_send(f, piece);
        iterate_idle();
        if (at + 7 < len)
            g_assert_false(cmd.done);
    }
    ret = finish_ok(f, &cmd);
    g_assert_cmpstr(json_object_get_string_member(json_node_get_object(ret), "name"), ==, "split\xc3\xa9");
    g_assert_cmpuint(f->events->len, ==, 1);
    g_assert_cmpstr(f->events->pdata[0], ==, "RESET {} 1000002");
}

static void
test_eof_mid_command(Fixture *f, gconstpointer data)
{
    Pending cmds[2] = { { 0 } };
    Pending late = { 0 };
    g_autofree char *id = NULL;

    open_monitor(f);
    vb_qemu_monitor_execute(f->mon, "query-status", NULL, NULL, on_done, &cmds[0]);
    vb_qemu_monitor_execute(f->mon, "cont", NULL, NULL, on_done, &cmds[1]);
    id = fake_expect(f, "query-status");
    fake_send(f, "{\"return\": {\"status\": ");   /* half a reply, then the end */
    fake_close(f);
    for (guint i = 0; i < 2; i++) {
        g_autofree char *message = finish_error(f, &cmds[i], NULL);

        g_assert_cmpstr(message, ==, "operation failed: QEMU monitor was closed");
    }
    g_assert_cmpuint(f->eof_count, ==, 1);
    g_assert_null(f->eof_message);
    g_assert_true(vb_qemu_monitor_is_closed(f->mon));

    vb_qemu_monitor_execute(f->mon, "cont", NULL, NULL, on_done, &late);
    g_free(finish_error(f, &late, NULL));
    g_assert_cmpuint(f->eof_count, ==, 1);
}

static void
test_garbage(Fixture *f, gconstpointer data)
{
    Pending cmd = { 0 };
    g_autofree char *id = NULL;
    g_autofree char *message = NULL;

    open_monitor(f);
    vb_qemu_monitor_execute(f->mon, "query-status", NULL, NULL, on_done, &cmd);
    id = fake_expect(f, "query-status");
    fake_send(f, "{\"return\": {}, \"id\": \r\n");
    message = finish_error(f, &cmd, NULL);
    g_assert_true(g_str_has_prefix(message, "internal error: cannot parse QEMU monitor message"));
    g_assert_cmpuint(f->eof_count, ==, 1);
    g_assert_cmpstr(f->eof_message, ==, message);
    g_assert_true(vb_qemu_monitor_is_closed(f->mon));
}

static void
test_not_an_object(Fixture *f, gconstpointer data)
{
    open_monitor(f);
    fake_send(f, "{\"event\": 5, \"data\": [], \"timestamp\": \"x\"}\r\n[1, 2]\r\n");
    while (!f->eof_count)
        g_main_context_iteration(NULL, TRUE);
    g_assert_cmpuint(f->events->len, ==, 0);
    g_assert_true(g_str_has_suffix(f->eof_message, "not a JSON object"));
}

static void
test_close_by_owner(Fixture *f, gconstpointer data)
{
    Pending cmd = { 0 };
    g_autofree char *message = NULL;

    open_monitor(f);
    vb_qemu_monitor_execute(f->mon, "query-status", NULL, NULL, on_done, &cmd);
    vb_qemu_monitor_close(f->mon);
    message = finish_error(f, &cmd, NULL);
    g_assert_cmpstr(message, ==, "operation failed: QEMU monitor was closed");
    while (!f->client_closed)
        g_main_context_iteration(NULL, TRUE);
    g_assert_cmpuint(f->eof_count, ==, 0);
}

static void
test_cancel(Fixture *f, gconstpointer data)
{
    Pending cmd = { 0 };
    Pending next = { 0 };
    g_autoptr(GCancellable) cancellable = g_cancellable_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *id = NULL;
    g_autofree char *next_id = NULL;
    g_autoptr(JsonNode) ret = NULL;

    open_monitor(f);
    vb_qemu_monitor_execute(f->mon, "query-status", NULL, cancellable, on_done, &cmd);
    id = fake_expect(f, "query-status");
    g_cancellable_cancel(cancellable);
    iterate_until(&cmd.done);
    g_assert_null(vb_qemu_monitor_execute_finish(f->mon, cmd.result, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    pending_clear(&cmd);

    /* the late reply is dropped; the next command gets its own */
    vb_qemu_monitor_execute(f->mon, "query-name", NULL, NULL, on_done, &next);
    next_id = fake_expect(f, "query-name");
    fake_reply(f, id, "\"stale\"");
    fake_reply(f, next_id, "\"fresh\"");
    ret = finish_ok(f, &next);
    g_assert_cmpstr(json_node_get_string(ret), ==, "fresh");
}

static void
test_fd_passing(Fixture *f, gconstpointer data)
{
    Pending cmd = { 0 };
    g_autoptr(JsonObject) sent = NULL;
    int pipefd[2];
    int received;
    char byte = 0;

    open_monitor(f);
    g_assert_cmpint(pipe(pipefd), ==, 0);
    vb_qemu_monitor_send_fd(f->mon, "tap0", pipefd[1], NULL, on_done, &cmd);
    sent = fake_read_command(f);
    g_assert_cmpstr(json_object_get_string_member(sent, "execute"), ==, "getfd");
    g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(sent, "arguments"), "fdname"), ==,
                    "tap0");
    g_assert_cmpuint(f->received_fds->len, ==, 1);
    received = g_array_index(f->received_fds, int, 0);
    g_assert_cmpint(received, !=, pipefd[1]);
    fake_reply(f, json_object_get_string_member(sent, "id"), "{}");
    iterate_until(&cmd.done);
    g_assert_true(vb_qemu_monitor_send_fd_finish(f->mon, cmd.result, NULL));
    pending_clear(&cmd);

    /* the fd the server got is the caller's pipe, which the caller still holds */
    close(pipefd[1]);
    g_assert_cmpint(write(received, "x", 1), ==, 1);
    g_assert_cmpint(read(pipefd[0], &byte, 1), ==, 1);
    g_assert_cmpint(byte, ==, 'x');
    close(pipefd[0]);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_type_ensure(G_TYPE_UNIX_FD_MESSAGE);
#define ADD(path, fn) g_test_add("/qemu-monitor/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("open", test_open);
    ADD("open-missing-socket", test_open_missing_socket);
    ADD("open-eof-before-greeting", test_open_eof_before_greeting);
    ADD("return-value", test_return_value);
    ADD("error-reply", test_error_reply);
    ADD("malformed-error-reply", test_malformed_error_reply);
    ADD("events", test_events);
    ADD("pipelining", test_pipelining);
    ADD("out-of-order", test_out_of_order);
    ADD("split-reply", test_split_reply);
    ADD("eof-mid-command", test_eof_mid_command);
    ADD("garbage", test_garbage);
    ADD("not-an-object", test_not_an_object);
    ADD("close-by-owner", test_close_by_owner);
    ADD("cancel", test_cancel);
    ADD("fd-passing", test_fd_passing);
#undef ADD
    return g_test_run();
}
