#include "object.h"

#include <string.h>

const VbObjectClass *const vb_object_classes[] = {
    &vb_connect_class,
    &vb_domain_class,
    &vb_snapshot_class,
    &vb_network_class,
    &vb_nodedev_class,
    &vb_storagepool_class,
    &vb_storagevol_class,
    &vb_interface_class,
    &vb_secret_class,
    &vb_nwfilter_class,
    NULL,
};

const VbMethod *
vb_object_class_method(const VbObjectClass *klass, const char *name)
{
    for (const VbMethod *m = klass->methods; m && m->name; m++) {
        if (g_str_equal(m->name, name))
            return m;
    }
    return NULL;
}

const VbProperty *
vb_object_class_property(const VbObjectClass *klass, const char *name)
{
    for (const VbProperty *p = klass->properties; p && p->name; p++) {
        if (g_str_equal(p->name, name))
            return p;
    }
    return NULL;
}

char *
vb_path_escape(const char *str)
{
    GString *out = g_string_sized_new(strlen(str) * 3 / 2 + 1);

    for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
        if (g_ascii_isalnum(*p))
            g_string_append_c(out, (char)*p);
        else
            g_string_append_printf(out, "_%02x", *p);
    }
    return g_string_free(out, FALSE);
}

char *
vb_path_unescape(const char *node)
{
    g_autoptr(GString) out = g_string_new(NULL);

    for (const char *p = node; *p; p++) {
        if (g_ascii_isalnum(*p)) {
            g_string_append_c(out, *p);
        } else if (*p == '_' && g_ascii_isxdigit(p[1]) && g_ascii_isxdigit(p[2])) {
            g_string_append_c(out, (char)(g_ascii_xdigit_value(p[1]) << 4 | g_ascii_xdigit_value(p[2])));
            p += 2;
        } else {
            return NULL;
        }
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

char *
vb_uuid_node(const char *uuid)
{
    char *node = g_strconcat("_", uuid, NULL);

    g_strdelimit(node + 1, "-", '_');
    return node;
}

gboolean
vb_uuid_from_node(const char *node, char uuid[VB_UUID_STRING_LEN])
{
    g_autofree char *copy = NULL;

    if (!node || node[0] != '_' || strlen(node) != 37)
        return FALSE;
    copy = g_strdup(node + 1);
    g_strdelimit(copy, "_", '-');
    return vb_uuid_parse(copy, uuid);
}

char *
vb_object_path(const VbCall *call, const VbObjectClass *klass, const char *key)
{
    g_autofree char *node = klass->node_for_key(key);

    return g_strconcat(call->base_path, "/", klass->subtree, "/", node, NULL);
}

/* GVariant's framing offsets for a container of @data_len bytes holding @n variable-size
 * elements: the smallest width whose range holds the whole container. */
static guint
offset_size(gsize data_len, gsize n)
{
    if (data_len + n <= G_MAXUINT8)
        return 1;
    if (data_len + 2 * n <= G_MAXUINT16)
        return 2;
    if (data_len + 4 * n <= G_MAXUINT32)
        return 4;
    return 8;
}

GVariant *
vb_object_paths_variant(const VbCall *call, const VbObjectClass *klass, GPtrArray *keys)
{
    GByteArray *data = g_byte_array_new();
    g_autoptr(GArray) ends = g_array_sized_new(FALSE, FALSE, sizeof(guint64), keys->len);
    g_autofree char *prefix = g_strconcat(call->base_path, "/", klass->subtree, "/", NULL);
    guint size;

    for (guint i = 0; i < keys->len; i++) {
        g_autofree char *node = klass->node_for_key(g_ptr_array_index(keys, i));
        guint64 end;

        g_byte_array_append(data, (const guint8 *)prefix, (guint)strlen(prefix));
        g_byte_array_append(data, (const guint8 *)node, (guint)strlen(node) + 1);   /* with its NUL */
        end = data->len;
        g_array_append_val(ends, end);
    }
    /* an array of strings in GVariant's serialised form: the strings, then where each ends */
    size = offset_size(data->len, keys->len);
    for (guint i = 0; i < ends->len; i++) {
        guint64 le = GUINT64_TO_LE(g_array_index(ends, guint64, i));
        g_byte_array_append(data, (const guint8 *)&le, size);
    }
    return g_variant_new_from_bytes(G_VARIANT_TYPE_OBJECT_PATH_ARRAY, g_byte_array_free_to_bytes(data), TRUE);
}

GArray *
vb_variant_to_cpumap(GVariant *ab)
{
    GArray *map = g_array_new(FALSE, TRUE, sizeof(gboolean));
    GVariantIter iter;
    gboolean bit;

    g_variant_iter_init(&iter, ab);
    while (g_variant_iter_next(&iter, "b", &bit))
        g_array_append_val(map, bit);
    return map;
}

GVariant *
vb_cpumap_to_variant(GArray *map)
{
    GVariantBuilder builder;

    g_variant_builder_init(&builder, G_VARIANT_TYPE("ab"));
    for (guint i = 0; i < map->len; i++)
        g_variant_builder_add(&builder, "b", g_array_index(map, gboolean, i));
    return g_variant_builder_end(&builder);
}

GVariant *
vb_ull_table_to_variant(GHashTable *table, const char *type)
{
    GVariantBuilder builder;
    g_autoptr(GList) keys = g_hash_table_get_keys(table);

    keys = g_list_sort(keys, (GCompareFunc)g_strcmp0);
    g_variant_builder_init(&builder, G_VARIANT_TYPE(type));
    for (GList *l = keys; l; l = l->next) {
        guint64 value = *(guint64 *)g_hash_table_lookup(table, l->data);
        if (g_str_equal(type, "a{st}"))
            g_variant_builder_add(&builder, "{st}", l->data, value);
        else
            vb_params_add(&builder, l->data, g_variant_new_uint64(value));
    }
    return g_variant_builder_end(&builder);
}

GVariant *
vb_paths_variant(const VbCall *call, const VbObjectClass *klass, GPtrArray *keys)
{
    GVariantBuilder builder;

    g_variant_builder_init(&builder, G_VARIANT_TYPE("ao"));
    for (guint i = 0; i < keys->len; i++) {
        g_autofree char *path = vb_object_path(call, klass, g_ptr_array_index(keys, i));
        g_variant_builder_add(&builder, "o", path);
    }
    return g_variant_builder_end(&builder);
}

static void
empty_reply_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    VbDeferred *deferred = user_data;
    g_autoptr(GError) error = NULL;

    if (g_task_propagate_boolean(G_TASK(result), &error))
        deferred->complete(deferred, g_variant_new("()"), NULL);
    else
        deferred->complete(deferred, NULL, error);
}

GTask *
vb_call_empty_reply_task(VbCall *call)
{
    g_assert(call->defer);
    return g_task_new(NULL, NULL, empty_reply_done, call->defer(call));
}

gboolean
vb_call_check_fd_handles(const VbCall *call, GVariant *handles, GError **error)
{
    gint n_fds = call->fds ? g_unix_fd_list_get_length(call->fds) : 0;
    GVariantIter iter;
    gint32 handle;

    g_variant_iter_init(&iter, handles);
    while (g_variant_iter_next(&iter, "h", &handle)) {
        if (handle < 0 || handle >= n_fds) {
            vb_set_error(error, VB_ERR_INVALID_ARG, "invalid argument: file handle %d does not name one of the %d "
                         "file descriptors sent with the call", handle, n_fds);
            return FALSE;
        }
    }
    return TRUE;
}

void
vb_params_add(GVariantBuilder *builder, const char *key, GVariant *value)
{
    g_variant_builder_add(builder, "{sv}", key, g_variant_new_variant(value));
}
