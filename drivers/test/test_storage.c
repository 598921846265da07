/* test_storage.c: storage pools and volumes of the test driver (bookkeeping only: every
 * pool holds 100 GiB and volumes take their allocation from it) */
#include <string.h>

#include "drivers/test/test_private.h"

#define TEST_WIPE_ALG_LAST 10   /* libvirt's VIR_STORAGE_VOL_WIPE_ALG_LAST */
#define TEST_STORAGE_XML_INACTIVE 1
enum { TEST_RESIZE_ALLOCATE = 1 << 0, TEST_RESIZE_DELTA = 1 << 1, TEST_RESIZE_SHRINK = 1 << 2 };

static const char *const sources_logical_xml =
    "<sources>\n"
    "  <source>\n"
    "    <device path='/dev/sda20'/>\n"
    "    <name>testvg1</name>\n"
    "    <format type='lvm2'/>\n"
    "  </source>\n"
    "  <source>\n"
    "    <device path='/dev/sda21'/>\n"
    "    <name>testvg2</name>\n"
    "    <format type='lvm2'/>\n"
    "  </source>\n"
    "</sources>\n";

static void
set_default_sizes(VbStoragePoolDef *def)
{
    def->capacity = TEST_POOL_CAPACITY;
    def->allocation = 0;
    def->available = TEST_POOL_CAPACITY;
}

static void
emit_pool(VbConn *conn, VbStoragePoolObj *pool, int event, VbPresence presence)
{
    vb_conn_emit(conn, VB_EVENT_STORAGE_POOL, pool->def->uuid, event, 0, presence);
}

static gboolean
check_active(VbStoragePoolObj *pool, gboolean want_active, GError **error)
{
    if (pool->active == want_active)
        return TRUE;
    vb_set_error(error, VB_ERR_OPERATION_INVALID, want_active ? "storage pool '%s' is not active"
                                                              : "storage pool '%s' is active", pool->def->name);
    return FALSE;
}

/* Two directory pools may not share a target path. */
static gboolean
check_source_conflict(VbConn *conn, const VbStoragePoolDef *def, GError **error)
{
    g_autoptr(GPtrArray) all = vb_obj_list_values(conn->pools);

    for (guint i = 0; def->type == VB_STORAGE_POOL_DIR && i < all->len; i++) {
        VbStoragePoolObj *other = g_ptr_array_index(all, i);
        if (other->def->type == VB_STORAGE_POOL_DIR && !g_str_equal(other->def->uuid, def->uuid) &&
            g_strcmp0(other->def->target_path, def->target_path) == 0) {
            vb_set_error(error, VB_ERR_OPERATION_FAILED, "Storage source conflict with pool: '%s'",
                         other->def->name);
            return FALSE;
        }
    }
    return TRUE;
}

/* libvirt's virStoragePoolObjIsDuplicate. */
static gboolean
check_duplicate(VbConn *conn, const VbStoragePoolDef *def, gboolean live, VbStoragePoolObj **found,
                GError **error)
{
    VbStoragePoolObj *pool = vb_obj_list_by_key(conn->pools, def->uuid);

    *found = NULL;
    if (!pool) {
        if ((pool = vb_obj_list_by_name(conn->pools, def->name))) {
            vb_set_error(error, VB_ERR_OPERATION_FAILED, "pool '%s' already exists with uuid %s", def->name,
                         pool->def->uuid);
            return FALSE;
        }
        return check_source_conflict(conn, def, error);
    }
    if (!g_str_equal(pool->def->name, def->name)) {
        vb_set_error(error, VB_ERR_OPERATION_FAILED, "pool '%s' is already defined with uuid %s", pool->def->name,
                     pool->def->uuid);
        return FALSE;
    }
    if (live && pool->active) {
        vb_set_error(error, VB_ERR_OPERATION_INVALID, "pool is already active as '%s'", pool->def->name);
        return FALSE;
    }
    *found = pool;
    return check_source_conflict(conn, def, error);
}

static VbStoragePoolObj *
add_pool(VbConn *conn, VbStoragePoolDef *def, gboolean persistent)
{
    VbStoragePoolObj *pool = vb_pool_obj_new(def);

    set_default_sizes(def);
    pool->persistent = persistent;
    vb_obj_list_add(conn->pools, pool);
    return pool;
}

/* ---- vHBA of a pool with an fc_host adapter, made through the node device code ---- */

static gboolean
create_vport(VbConn *conn, const VbStorageAdapter *adapter, GError **error)
{
    g_autoptr(GString) xml = NULL;
    g_autofree char *parent = NULL;
    g_autofree char *wwns = NULL;

    if (adapter->type != VB_STORAGE_ADAPTER_FC_HOST)
        return TRUE;
    xml = g_string_new("<device>");
    if (adapter->parent) {
        parent = g_markup_printf_escaped("<parent>%s</parent>", adapter->parent);
        g_string_append(xml, parent);
    }
    wwns = g_markup_printf_escaped("<capability type='scsi_host'><capability type='fc_host'><wwnn>%s</wwnn>"
                                   "<wwpn>%s</wwpn></capability></capability></device>",
                                   adapter->wwnn ? adapter->wwnn : "", adapter->wwpn ? adapter->wwpn : "");
    g_string_append(xml, wwns);
    return test_node_device_create_xml(conn, xml->str, 0, error) != NULL;
}

static void
destroy_vport(VbConn *conn, const VbStorageAdapter *adapter)
{
    VbNodeDeviceObj *dev;

    if (adapter->type == VB_STORAGE_ADAPTER_FC_HOST &&
        (dev = vb_conn_node_device_by_wwn(conn, adapter->wwnn, adapter->wwpn, NULL)))
        test_node_device_destroy(conn, dev, NULL);
}

/* ---- volume bookkeeping ---- */

static void
pool_take(VbStoragePoolDef *def, gint64 delta)
{
    def->allocation = (guint64)((gint64)def->allocation + delta);
    def->available = def->capacity > def->allocation ? def->capacity - def->allocation : 0;
}

static gboolean
check_new_volume(VbStoragePoolObj *pool, VbStorageVolDef *vol, GError **error)
{
    if (vb_pool_vol_by_name(pool, vol->name, NULL)) {
        vb_set_error(error, VB_ERR_OPERATION_FAILED, "storage vol already exists");
        return FALSE;
    }
    if (pool->def->allocation + vol->allocation > pool->def->capacity) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "Not enough free space in pool for volume '%s'", vol->name);
        return FALSE;
    }
    return TRUE;
}

/* Adds @vol to @pool: path under the pool's target, key = path, allocation taken. */
static VbStorageVolObj *
add_volume(VbStoragePoolObj *pool, VbStorageVolDef *def)
{
    VbStorageVolObj *vol;

    if (!def->target.path)
        def->target.path = g_strdup_printf("%s/%s", pool->def->target_path ? pool->def->target_path
                                                                            : pool->def->name, def->name);
    if (!def->key)
        def->key = g_strdup(def->target.path);
    vol = vb_vol_obj_new(pool, def);
    g_ptr_array_add(pool->volumes, vol);
    pool_take(pool->def, (gint64)def->allocation);
    return vol;
}

static void announce_volumes(VbConn *conn, VbStoragePoolObj *pool, VbPresence presence);

/* ---- pools ---- */

/* A <volume> of the node file keeps the path and key it gives. */
static gboolean
load_volume(VbStoragePoolObj *pool, const char *xml, GError **error)
{
    g_autoptr(VbStorageVolDef) def = vb_storage_vol_def_parse(xml, 0, error);

    if (!def || !check_new_volume(pool, def, error))
        return FALSE;
    add_volume(pool, g_steal_pointer(&def));
    return TRUE;
}

gboolean
test_pool_load(VbConn *conn, xmlNodePtr node, const char *dir, GError **error)
{
    g_autofree char *xml = vb_xml_node_dump(node);
    g_autoptr(VbStoragePoolDef) def = vb_storage_pool_def_parse(xml, 0, error);
    VbStoragePoolObj *pool;

    if (!def || !check_duplicate(conn, def, FALSE, &pool, error))
        return FALSE;
    if (pool) {
        vb_set_error(error, VB_ERR_OPERATION_FAILED, "pool '%s' already exists with uuid %s", def->name, def->uuid);
        return FALSE;
    }
    pool = add_pool(conn, g_steal_pointer(&def), TRUE);
    pool->active = TRUE;
    VB_XML_FOREACH_CHILD(node, "volume", child) {
        g_autoptr(xmlDoc) doc = NULL;
        g_autofree char *file = vb_xml_prop(child, "file");
        g_autofree char *vol_xml = NULL;

        if (file && !(doc = test_load_external(child, dir, "volume", error)))
            return FALSE;
        vol_xml = vb_xml_node_dump(doc ? xmlDocGetRootElement(doc) : child);
        if (!load_volume(pool, vol_xml, error))
            return FALSE;
    }
    return TRUE;
}

VbStoragePoolObj *
test_pool_define_xml(VbConn *conn, const char *xml, guint flags, GError **error)
{
    g_autoptr(VbStoragePoolDef) def = NULL;
    VbStoragePoolObj *pool;

    if (!vb_check_flags(flags, 1, "virStoragePoolDefineXML", error) ||
        !(def = vb_storage_pool_def_parse(xml, 0, error)) ||
        !check_duplicate(conn, def, FALSE, &pool, error))
        return NULL;
    if (pool) {
        vb_conn_pool_replace_def(conn, pool, g_steal_pointer(&def));
        pool->persistent = TRUE;
        emit_pool(conn, pool, VB_POOL_EVENT_DEFINED, VB_PRESENCE_SAME);
        return pool;
    }
    pool = add_pool(conn, g_steal_pointer(&def), TRUE);
    emit_pool(conn, pool, VB_POOL_EVENT_DEFINED, VB_PRESENCE_APPEARED);
    return pool;
}

VbStoragePoolObj *
test_pool_create_xml(VbConn *conn, const char *xml, guint flags, GError **error)
{
    g_autoptr(VbStoragePoolDef) def = NULL;
    VbPresence presence = VB_PRESENCE_SAME;
    VbStoragePoolObj *pool;

    if (!vb_check_flags(flags, 0, "virStoragePoolCreateXML", error) ||
        !(def = vb_storage_pool_def_parse(xml, 0, error)) ||
        !check_duplicate(conn, def, TRUE, &pool, error) ||
        !create_vport(conn, &def->source.adapter, error))
        return NULL;
    if (pool) {
        vb_conn_pool_replace_def(conn, pool, g_steal_pointer(&def));
    } else {
        pool = add_pool(conn, g_steal_pointer(&def), FALSE);
        presence = VB_PRESENCE_APPEARED;
    }
    pool->active = TRUE;
    emit_pool(conn, pool, VB_POOL_EVENT_STARTED, presence);
    return pool;
}

gboolean
test_pool_build(VbConn *conn, VbStoragePoolObj *pool, guint flags, GError **error)
{
    if (!vb_check_flags(flags, 0, "virStoragePoolBuild", error) || !check_active(pool, FALSE, error))
        return FALSE;
    emit_pool(conn, pool, VB_POOL_EVENT_CREATED, VB_PRESENCE_SAME);
    return TRUE;
}

gboolean
test_pool_create(VbConn *conn, VbStoragePoolObj *pool, guint flags, GError **error)
{
    if (!vb_check_flags(flags, 0, "virStoragePoolCreate", error) || !check_active(pool, FALSE, error) ||
        !create_vport(conn, &pool->def->source.adapter, error))
        return FALSE;
    pool->active = TRUE;
    emit_pool(conn, pool, VB_POOL_EVENT_STARTED, VB_PRESENCE_SAME);
    announce_volumes(conn, pool, VB_PRESENCE_APPEARED);
    return TRUE;
}

gboolean
test_pool_delete(VbConn *conn, VbStoragePoolObj *pool, guint flags, GError **error)
{
    if (!vb_check_flags(flags, 0, "virStoragePoolDelete", error) || !check_active(pool, FALSE, error))
        return FALSE;
    emit_pool(conn, pool, VB_POOL_EVENT_DELETED, VB_PRESENCE_SAME);
    return TRUE;
}

gboolean
test_pool_destroy(VbConn *conn, VbStoragePoolObj *pool, GError **error)
{
    if (!check_active(pool, TRUE, error))
        return FALSE;
    announce_volumes(conn, pool, VB_PRESENCE_GONE);
    pool->active = FALSE;
    destroy_vport(conn, &pool->def->source.adapter);
    emit_pool(conn, pool, VB_POOL_EVENT_STOPPED, pool->persistent ? VB_PRESENCE_SAME : VB_PRESENCE_GONE);
    if (!pool->persistent)
        vb_obj_list_remove(conn->pools, pool);
    return TRUE;
}

gboolean
test_pool_undefine(VbConn *conn, VbStoragePoolObj *pool, GError **error)
{
    if (!check_active(pool, FALSE, error))
        return FALSE;
    emit_pool(conn, pool, VB_POOL_EVENT_UNDEFINED, VB_PRESENCE_GONE);
    vb_obj_list_remove(conn->pools, pool);
    return TRUE;
}

gboolean
test_pool_refresh(VbConn *conn, VbStoragePoolObj *pool, guint flags, GError **error)
{
    if (!vb_check_flags(flags, 0, "virStoragePoolRefresh", error) || !check_active(pool, TRUE, error))
        return FALSE;
    vb_conn_emit(conn, VB_EVENT_STORAGE_POOL_REFRESH, pool->def->uuid, 0, 0, VB_PRESENCE_SAME);
    return TRUE;
}

gboolean
test_pool_set_autostart(VbConn *conn, VbStoragePoolObj *pool, gboolean autostart, GError **error)
{
    if (!pool->persistent) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "pool has no config file");
        return FALSE;
    }
    pool->autostart = autostart != FALSE;
    return TRUE;
}

char *
test_pool_get_xml_desc(VbConn *conn, VbStoragePoolObj *pool, guint flags, GError **error)
{
    if (!vb_check_flags(flags, TEST_STORAGE_XML_INACTIVE, "virStoragePoolGetXMLDesc", error))
        return NULL;
    return vb_storage_pool_def_format(pool->def, 0);
}

static char *
netfs_sources(const char *spec, GError **error)
{
    g_autoptr(xmlDoc) doc = spec && *spec ? vb_xml_parse(spec, "source", error) : NULL;
    g_autofree char *host = NULL;

    if (spec && *spec && !doc)
        return NULL;
    if (doc)
        host = vb_xml_prop(vb_xml_child(xmlDocGetRootElement(doc), "host"), "name");
    if (!host || !*host) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "hostname must be specified for netfs sources");
        return NULL;
    }
    return g_markup_printf_escaped("<sources>\n  <source>\n    <host name='%s'/>\n    <dir path='/testshare'/>\n"
                                   "    <format type='nfs'/>\n  </source>\n</sources>\n", host);
}

char *
test_find_pool_sources(VbConn *conn, const char *type, const char *spec, guint flags, GError **error)
{
    int pool_type = vb_storage_pool_type_from_string(type);

    if (!vb_check_flags(flags, 0, "virConnectFindStoragePoolSources", error))
        return NULL;
    if (pool_type < 0) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "unknown storage pool type %s", type ? type : "");
        return NULL;
    }
    if (pool_type == VB_STORAGE_POOL_LOGICAL)
        return g_strdup(sources_logical_xml);
    if (pool_type == VB_STORAGE_POOL_NETFS)
        return netfs_sources(spec, error);
    vb_set_error(error, VB_ERR_NO_SUPPORT, "pool type '%s' does not support source discovery", type);
    return NULL;
}

/* ---- volumes ---- */

/* Volumes are visible while their pool is active; tell when they come and go. */
static void
announce_volumes(VbConn *conn, VbStoragePoolObj *pool, VbPresence presence)
{
    for (guint i = 0; i < pool->volumes->len; i++)
        vb_conn_emit(conn, VB_EVENT_STORAGE_VOL, ((VbStorageVolObj *)g_ptr_array_index(pool->volumes, i))->def->key,
                     0, 0, presence);
}

static VbStorageVolObj *
add_announced_volume(VbConn *conn, VbStoragePoolObj *pool, VbStorageVolDef *def)
{
    VbStorageVolObj *vol = add_volume(pool, def);

    vb_conn_emit(conn, VB_EVENT_STORAGE_VOL, vol->def->key, 0, 0, VB_PRESENCE_APPEARED);
    return vol;
}

VbStorageVolObj *
test_vol_create_xml(VbConn *conn, VbStoragePoolObj *pool, const char *xml, guint flags, GError **error)
{
    g_autoptr(VbStorageVolDef) def = NULL;

    if (!vb_check_flags(flags, 0, "virStorageVolCreateXML", error) || !check_active(pool, TRUE, error) ||
        !(def = vb_storage_vol_def_parse(xml, 0, error)) || !check_new_volume(pool, def, error))
        return NULL;
    g_clear_pointer(&def->target.path, g_free);
    g_clear_pointer(&def->key, g_free);
    return add_announced_volume(conn, pool, g_steal_pointer(&def));
}

VbStorageVolObj *
test_vol_create_xml_from(VbConn *conn, VbStoragePoolObj *pool, const char *xml, VbStorageVolObj *from,
                         guint flags, GError **error)
{
    g_autoptr(VbStorageVolDef) def = NULL;

    if (!vb_check_flags(flags, 0, "virStorageVolCreateXMLFrom", error) || !check_active(pool, TRUE, error) ||
        !check_active(from->pool, TRUE, error) ||
        !(def = vb_storage_vol_def_parse(xml, VB_STORAGE_VOL_PARSE_NO_CAPACITY, error)))
        return NULL;
    def->capacity = MAX(def->capacity, from->def->capacity);
    if (!check_new_volume(pool, def, error))
        return NULL;
    g_clear_pointer(&def->target.path, g_free);
    g_clear_pointer(&def->key, g_free);
    return add_announced_volume(conn, pool, g_steal_pointer(&def));
}

gboolean
test_vol_delete(VbConn *conn, VbStorageVolObj *vol, guint flags, GError **error)
{
    VbStoragePoolObj *pool = vol->pool;

    if (!vb_check_flags(flags, 0, "virStorageVolDelete", error) || !check_active(pool, TRUE, error))
        return FALSE;
    pool_take(pool->def, -(gint64)vol->def->allocation);
    vb_conn_emit(conn, VB_EVENT_STORAGE_VOL, vol->def->key, 0, 0, VB_PRESENCE_GONE);
    g_ptr_array_remove(pool->volumes, vol);
    return TRUE;
}

static gboolean
resize_target(const VbStorageVolDef *def, guint64 capacity, guint flags, guint64 *out, GError **error)
{
    if (!(flags & TEST_RESIZE_DELTA))
        *out = capacity;
    else if (flags & TEST_RESIZE_SHRINK)
        *out = def->capacity - MIN(capacity, def->capacity);
    else
        *out = def->capacity + capacity;
    if (*out < def->capacity && !(flags & TEST_RESIZE_SHRINK)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "Can't shrink capacity below current capacity unless shrink flag "
                     "explicitly specified");
        return FALSE;
    }
    if (*out < def->allocation) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "can't shrink capacity below existing allocation");
        return FALSE;
    }
    return TRUE;
}

gboolean
test_vol_resize(VbConn *conn, VbStorageVolObj *vol, guint64 capacity, guint flags, GError **error)
{
    guint allowed = TEST_RESIZE_ALLOCATE | TEST_RESIZE_DELTA | TEST_RESIZE_SHRINK;
    guint64 target, delta = 0;

    if (!vb_check_flags(flags, allowed, "virStorageVolResize", error) || !check_active(vol->pool, TRUE, error) ||
        !resize_target(vol->def, capacity, flags, &target, error))
        return FALSE;
    if (flags & TEST_RESIZE_ALLOCATE)
        delta = target - vol->def->allocation;
    if (delta > vol->pool->def->available) {
        vb_set_error(error, VB_ERR_OPERATION_FAILED, "Not enough space left in storage pool");
        return FALSE;
    }
    vol->def->capacity = target;
    if (flags & TEST_RESIZE_ALLOCATE)
        vol->def->allocation = target;
    pool_take(vol->pool->def, (gint64)delta);
    return TRUE;
}

gboolean
test_vol_wipe(VbConn *conn, VbStorageVolObj *vol, guint pattern, guint flags, GError **error)
{
    if (!vb_check_flags(flags, 0, "virStorageVolWipePattern", error) || !check_active(vol->pool, TRUE, error))
        return FALSE;
    if (pattern >= TEST_WIPE_ALG_LAST) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "wiping algorithm %u not supported", pattern);
        return FALSE;
    }
    return TRUE;
}

char *
test_vol_get_xml_desc(VbConn *conn, VbStorageVolObj *vol, guint flags, GError **error)
{
    if (!vb_check_flags(flags, 0, "virStorageVolGetXMLDesc", error) || !check_active(vol->pool, TRUE, error))
        return NULL;
    return vb_storage_vol_def_format(vol->def, 0);
}
