/* test-qemu-agent: the guest agent client against a scripted fake agent on a unix socket.
 *
 * The agent lives in the guest and is not trusted: stale replies and garbage before the sync
 * answer are skipped, an error reply becomes libvirt's message, and silence or a missing agent
 * ends in "Guest agent is not responding" within the client's bounds. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "drivers/qemu/qemu_private.h"

typedef struct {
    int listen_fd;
    const char *script;      /* "sync", "error", "silent", "garbage" */
    char *command_seen;      /* the command line the agent received */
} FakeAgent;

static char *
read_line_fd(int fd)
{
    GString *line = g_string_new(NULL);
    char c;

    while (read(fd, &c, 1) == 1 && c != '\n')
        g_string_append_c(line, c);
    return g_string_free(line, FALSE);
}

static void
write_text(int fd, const char *text)
{
    g_assert_cmpint(write(fd, text, strlen(text)), ==, (gssize)strlen(text));
}

static gpointer
fake_agent_main(gpointer data)
{
    FakeAgent *agent = data;
    int fd = accept(agent->listen_fd, NULL, NULL);
    g_autofree char *sync = NULL;
    g_autofree char *reply = NULL;
    const char *id;

    g_assert_cmpint(fd, >=, 0);
    sync = read_line_fd(fd);
    if (g_str_equal(agent->script, "silent")) {
        sleep(7);   /* past the client's sync timeout */
        close(fd);
        return NULL;
    }
    g_assert_nonnull((id = strstr(sync, "\"id\":")));
    id += strlen("\"id\":");
    /* what an earlier client left behind, and noise, come first */
    write_text(fd, "{\"return\": 12345}\nnot json at all\n");
    reply = g_strdup_printf("\xff{\"return\": %.*s}\n", (int)strcspn(id, "}"), id);
    write_text(fd, reply);
    agent->command_seen = read_line_fd(fd);
    if (g_str_equal(agent->script, "error"))
        write_text(fd, "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"no such command\"}}\n");
    else
        write_text(fd, "{\"return\": {\"version\": \"test\"}}\n");
    close(fd);
    return NULL;
}

typedef struct {
    GMainLoop *loop;
    JsonNode *reply;
    GError *error;
} Outcome;

static void
on_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Outcome *outcome = user_data;

    outcome->reply = qemu_agent_execute_finish(result, &outcome->error);
    g_main_loop_quit(outcome->loop);
}

static Outcome
run_against(const char *script, FakeAgent *agent)
{
    g_autofree char *dir = g_dir_make_tmp("vb-agent-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "agent.sock", NULL);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    Outcome outcome = { .loop = g_main_loop_new(NULL, FALSE) };
    GThread *thread = NULL;

    agent->script = script;
    agent->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
    g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
    g_assert_cmpint(bind(agent->listen_fd, (struct sockaddr *)&addr, sizeof(addr)), ==, 0);
    g_assert_cmpint(listen(agent->listen_fd, 1), ==, 0);
    if (!g_str_equal(script, "absent"))
        thread = g_thread_new("fake-agent", fake_agent_main, agent);
    else
        close(agent->listen_fd);   /* nobody listens: connection refused */
    qemu_agent_execute(path, "guest-info", NULL, TRUE, on_done, &outcome);
    g_main_loop_run(outcome.loop);
    if (thread) {
        g_thread_join(thread);
        close(agent->listen_fd);
    }
    g_main_loop_unref(outcome.loop);
    g_unlink(path);
    g_rmdir(dir);
    return outcome;
}

static void
test_reply_after_sync(void)
{
    FakeAgent agent = { 0 };
    Outcome outcome = run_against("sync", &agent);

    g_assert_no_error(outcome.error);
    g_assert_cmpstr(json_object_get_string_member(json_node_get_object(outcome.reply), "version"), ==, "test");
    g_assert_cmpstr(agent.command_seen, ==, "{\"execute\":\"guest-info\"}");
    json_node_unref(outcome.reply);
    g_free(agent.command_seen);
}

static void
test_error_reply(void)
{
    FakeAgent agent = { 0 };
    Outcome outcome = run_against("error", &agent);

    g_assert_null(outcome.reply);
    g_assert_cmpstr(outcome.error->message, ==,
                    "internal error: unable to execute QEMU agent command 'guest-info': no such command");
    g_error_free(outcome.error);
    g_free(agent.command_seen);
}

static void
test_unresponsive(gconstpointer data)
{
    FakeAgent agent = { 0 };
    Outcome outcome = run_against(data, &agent);

    g_assert_null(outcome.reply);
    g_assert_error(outcome.error, VB_ERROR, VB_ERR_AGENT_UNRESPONSIVE);
    g_assert_true(g_str_has_prefix(outcome.error->message, "Guest agent is not responding: "));
    g_assert_null(agent.command_seen);
    g_error_free(outcome.error);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qemu-agent/reply-after-sync", test_reply_after_sync);
    g_test_add_func("/qemu-agent/error-reply", test_error_reply);
    g_test_add_data_func("/qemu-agent/silent", "silent", test_unresponsive);
    g_test_add_data_func("/qemu-agent/absent", "absent", test_unresponsive);
    return g_test_run();
}
