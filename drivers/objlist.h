/* objlist.h: a keyed collection of driver objects with a second index by name.
 * Keys are UUIDs (domains, networks, pools, secrets, nwfilters), names (node devices,
 * interfaces) or paths (volumes). Shared by every driver, like libvirt's object lists. */
#pragma once

#include <glib.h>

typedef struct {
    GHashTable *by_key;      /* key -> object, owns the object */
    GHashTable *by_name;     /* name -> object */
    const char *(*key_of)(gconstpointer obj);
    const char *(*name_of)(gconstpointer obj);
} VbObjList;

VbObjList *vb_obj_list_new(const char *(*key_of)(gconstpointer), const char *(*name_of)(gconstpointer),
                           GDestroyNotify free_obj);
void vb_obj_list_free(VbObjList *list);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbObjList, vb_obj_list_free)

void vb_obj_list_add(VbObjList *list, gpointer obj);
void vb_obj_list_remove(VbObjList *list, gpointer obj);
/* Call before changing an object's name, and vb_obj_list_add_name after. */
void vb_obj_list_remove_name(VbObjList *list, gpointer obj);
void vb_obj_list_add_name(VbObjList *list, gpointer obj);
gpointer vb_obj_list_by_key(VbObjList *list, const char *key);
gpointer vb_obj_list_by_name(VbObjList *list, const char *name);
guint vb_obj_list_size(VbObjList *list);
/* A snapshot of the objects, sorted by name, for stable listings. */
GPtrArray *vb_obj_list_values(VbObjList *list);
