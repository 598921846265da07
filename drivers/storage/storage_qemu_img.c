/* storage_qemu_img.c: running qemu-img and reading `qemu-img info --output=json`.
 *
 * Everything here blocks until qemu-img exits: call it from a worker thread (see
 * storage_job_run in storage_driver.c), never from the main loop. */
#include <json-glib/json-glib.h>

#include "drivers/storage/storage_private.h"

#define QEMU_IMG "qemu-img"

void
vb_image_info_clear(VbImageInfo *info)
{
    g_clear_pointer(&info->format, g_free);
    g_clear_pointer(&info->backing, g_free);
    g_clear_pointer(&info->backing_format, g_free);
    g_clear_pointer(&info->compat, g_free);
}

static GSubprocess *
spawn(const char *const *args, GError **error)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) local = NULL;
    GSubprocess *proc;

    g_ptr_array_add(argv, (gpointer)QEMU_IMG);
    for (const char *const *arg = args; *arg; arg++)
        g_ptr_array_add(argv, (gpointer)*arg);
    g_ptr_array_add(argv, NULL);
    proc = g_subprocess_newv((const char *const *)argv->pdata,
                             G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &local);
    if (!proc)
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "cannot run %s: %s", QEMU_IMG, local->message);
    return proc;
}

/* Waits for @proc (qemu-img @what); its stdout in @out. */
static gboolean
finish(GSubprocess *proc, const char *what, char **out, GError **error)
{
    g_autofree char *stdout_text = NULL;
    g_autofree char *stderr_text = NULL;
    g_autoptr(GError) local = NULL;

    if (!g_subprocess_communicate_utf8(proc, NULL, NULL, &stdout_text, &stderr_text, &local)) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "cannot run %s: %s", QEMU_IMG, local->message);
        return FALSE;
    }
    if (!g_subprocess_get_if_exited(proc) || g_subprocess_get_exit_status(proc) != 0) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "%s %s failed: %s", QEMU_IMG, what,
                     stderr_text && *stderr_text ? g_strstrip(stderr_text) : "unexpected exit status");
        return FALSE;
    }
    if (out)
        *out = g_steal_pointer(&stdout_text);
    return TRUE;
}

gboolean
vb_qemu_img_run(const char *const *args, char **out, GError **error)
{
    g_autoptr(GSubprocess) proc = spawn(args, error);

    return proc && finish(proc, args[0], out, error);
}

static char *
member_string(JsonObject *obj, const char *name)
{
    JsonNode *node = json_object_get_member(obj, name);

    return node && JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING
               ? g_strdup(json_node_get_string(node)) : NULL;
}

static JsonObject *
member_object(JsonObject *obj, const char *name)
{
    JsonNode *node = obj ? json_object_get_member(obj, name) : NULL;

    return node && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
}

static guint64
member_size(JsonObject *obj, const char *name)
{
    JsonNode *node = json_object_get_member(obj, name);

    if (!node || !JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64)
        return 0;
    return (guint64)MAX(json_node_get_int(node), 0);
}

gboolean
vb_qemu_img_info_parse(const char *json, VbImageInfo *info, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) local = NULL;
    JsonNode *root;
    JsonObject *obj, *specific, *data;

    if (!json_parser_load_from_data(parser, json, -1, &local)) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "cannot parse %s info: %s", QEMU_IMG, local->message);
        return FALSE;
    }
    root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "%s info did not return an object", QEMU_IMG);
        return FALSE;
    }
    obj = json_node_get_object(root);
    info->format = member_string(obj, "format");
    if (!info->format) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "%s info names no image format", QEMU_IMG);
        return FALSE;
    }
    info->virtual_size = member_size(obj, "virtual-size");
    info->actual_size = member_size(obj, "actual-size");
    info->backing = member_string(obj, "full-backing-filename");
    if (!info->backing)
        info->backing = member_string(obj, "backing-filename");
    info->backing_format = member_string(obj, "backing-filename-format");
    specific = member_object(obj, "format-specific");
    data = member_object(specific, "data");
    if (data && g_str_equal(info->format, "qcow2")) {
        info->compat = member_string(data, "compat");
        info->lazy_refcounts = json_object_get_boolean_member_with_default(data, "lazy-refcounts", FALSE);
    }
    return TRUE;
}

GSubprocess *
vb_qemu_img_info_start(const char *path, GError **error)
{
    /* -U: the image may be open in a running guest; reading its header is still safe */
    const char *args[] = { "info", "-U", "--output=json", path, NULL };

    return spawn(args, error);
}

gboolean
vb_qemu_img_info_finish(GSubprocess *proc, VbImageInfo *info, GError **error)
{
    g_autofree char *json = NULL;

    return finish(proc, "info", &json, error) && vb_qemu_img_info_parse(json, info, error);
}

gboolean
vb_qemu_img_info(const char *path, VbImageInfo *info, GError **error)
{
    g_autoptr(GSubprocess) proc = vb_qemu_img_info_start(path, error);

    return proc && vb_qemu_img_info_finish(proc, info, error);
}
