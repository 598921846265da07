#include "objlist.h"

VbObjList *
vb_obj_list_new(const char *(*key_of)(gconstpointer), const char *(*name_of)(gconstpointer),
                GDestroyNotify free_obj)
{
    VbObjList *list = g_new0(VbObjList, 1);

    list->by_key = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, free_obj);
    list->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    list->key_of = key_of;
    list->name_of = name_of;
    return list;
}

void
vb_obj_list_free(VbObjList *list)
{
    if (!list)
        return;
    g_hash_table_destroy(list->by_name);
    g_hash_table_destroy(list->by_key);
    g_free(list);
}

void
vb_obj_list_add(VbObjList *list, gpointer obj)
{
    g_hash_table_insert(list->by_key, (gpointer)list->key_of(obj), obj);
    vb_obj_list_add_name(list, obj);
}

void
vb_obj_list_remove(VbObjList *list, gpointer obj)
{
    vb_obj_list_remove_name(list, obj);
    g_hash_table_remove(list->by_key, list->key_of(obj));
}

void
vb_obj_list_remove_name(VbObjList *list, gpointer obj)
{
    const char *name = list->name_of ? list->name_of(obj) : NULL;

    if (name && g_hash_table_lookup(list->by_name, name) == obj)
        g_hash_table_remove(list->by_name, name);
}

void
vb_obj_list_add_name(VbObjList *list, gpointer obj)
{
    const char *name = list->name_of ? list->name_of(obj) : NULL;

    if (name)
        g_hash_table_insert(list->by_name, (gpointer)name, obj);
}

gpointer
vb_obj_list_by_key(VbObjList *list, const char *key)
{
    return key ? g_hash_table_lookup(list->by_key, key) : NULL;
}

gpointer
vb_obj_list_by_name(VbObjList *list, const char *name)
{
    return name ? g_hash_table_lookup(list->by_name, name) : NULL;
}

guint
vb_obj_list_size(VbObjList *list)
{
    return g_hash_table_size(list->by_key);
}

static int
compare_by_name(gconstpointer a, gconstpointer b, gpointer user_data)
{
    VbObjList *list = user_data;
    const char *name_a = list->name_of ? list->name_of(*(gpointer *)a) : list->key_of(*(gpointer *)a);
    const char *name_b = list->name_of ? list->name_of(*(gpointer *)b) : list->key_of(*(gpointer *)b);

    return g_strcmp0(name_a, name_b);
}

GPtrArray *
vb_obj_list_values(VbObjList *list)
{
    GPtrArray *values = g_ptr_array_sized_new(g_hash_table_size(list->by_key));
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init(&iter, list->by_key);
    while (g_hash_table_iter_next(&iter, NULL, &value))
        g_ptr_array_add(values, value);
    g_ptr_array_sort_with_data(values, compare_by_name, list);
    return values;
}
