/* test-test-driver: the in-memory test driver through its vtable, without D-Bus.
 *
 * Every test opens a fresh test:///default (VIRTBUS_TEST_DEFAULT_XML names the node file,
 * else the source tree's data/test/default.xml) and records the events the driver emits. */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "drivers/test/test_driver.h"

#define TEST_UUID "6695eb01-f6a4-8304-79aa-97f2502e193f"
#define NEW_UUID "c7a5fdb2-cdaf-9455-926a-d65c16db1809"
#define NEW_DOMAIN_XML(name, uuid) \
    "<domain type='test'><name>" name "</name><uuid>" uuid "</uuid>" \
    "<memory unit='MiB'>512</memory><vcpu current='1'>4</vcpu><os><type>hvm</type></os>" \
    "<devices><disk type='file' device='disk'><source file='/guest/" name ".img'/>" \
    "<target dev='vda' bus='virtio'/></disk></devices></domain>"

typedef struct {
    VbConn *conn;
    GPtrArray *events;     /* char*: "<kind> <event>/<detail><presence>" */
    char *tmpdir;
} Fixture;

static const char *const kind_names[] = {
    [VB_EVENT_DOMAIN] = "dom", [VB_EVENT_DOMAIN_METADATA] = "meta", [VB_EVENT_DOMAIN_REBOOT] = "reboot",
    [VB_EVENT_NETWORK] = "net", [VB_EVENT_NODE_DEVICE] = "dev", [VB_EVENT_STORAGE_POOL] = "pool",
    [VB_EVENT_STORAGE_POOL_REFRESH] = "refresh", [VB_EVENT_SECRET] = "secret", [VB_EVENT_SNAPSHOT] = "snap",
    [VB_EVENT_INTERFACE] = "iface", [VB_EVENT_NWFILTER] = "filter",
};

static const char *const domain_events[] = {
    "DEFINED", "UNDEFINED", "STARTED", "SUSPENDED", "RESUMED", "STOPPED", "SHUTDOWN", "PMSUSPENDED", "CRASHED",
};

static void
record_event(VbConn *conn, const VbEvent *ev, gpointer user_data)
{
    Fixture *fx = user_data;
    const char *presence = ev->presence == VB_PRESENCE_APPEARED ? "+" : ev->presence == VB_PRESENCE_GONE ? "-" : "";
    g_autofree char *event = ev->kind == VB_EVENT_DOMAIN ? g_strdup(domain_events[ev->event])
                                                         : g_strdup_printf("%d", ev->event);

    g_assert_nonnull(ev->key);
    g_ptr_array_add(fx->events, g_strdup_printf("%s %s/%d%s", kind_names[ev->kind], event, ev->detail, presence));
}

/* Compares the recorded events with @expected (NULL-terminated) and forgets them. */
static void
assert_events(Fixture *fx, const char *const *expected)
{
    g_autofree char *got = NULL;
    g_autofree char *want = g_strjoinv(", ", (char **)expected);

    g_ptr_array_add(fx->events, NULL);
    got = g_strjoinv(", ", (char **)fx->events->pdata);
    g_assert_cmpstr(got, ==, want);
    g_ptr_array_set_size(fx->events, 0);
}
#define ASSERT_EVENTS(fx, ...) assert_events((fx), (const char *const[]){ __VA_ARGS__, NULL })
#define ASSERT_NO_EVENTS(fx) assert_events((fx), (const char *const[]){ NULL })

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    fx->conn = vb_conn_open(&vb_test_driver, "test:///default", &error);
    g_assert_no_error(error);
    g_assert_nonnull(fx->conn);
    fx->events = g_ptr_array_new_with_free_func(g_free);
    vb_conn_set_sink(fx->conn, record_event, fx);
    fx->tmpdir = g_dir_make_tmp("test-driver-XXXXXX", &error);
    g_assert_no_error(error);
}

static void
remove_tree(const char *dir)
{
    g_autoptr(GDir) gdir = g_dir_open(dir, 0, NULL);
    const char *name;

    while (gdir && (name = g_dir_read_name(gdir))) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        g_unlink(path);
    }
    g_rmdir(dir);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
    vb_conn_free(fx->conn);
    g_ptr_array_unref(fx->events);
    remove_tree(fx->tmpdir);
    g_free(fx->tmpdir);
}

static VbDomainObj *
domain(Fixture *fx, const char *name)
{
    g_autoptr(GError) error = NULL;
    VbDomainObj *dom = vb_conn_domain_by_name(fx->conn, name, &error);

    g_assert_no_error(error);
    return dom;
}

static void
assert_error(GError *error, int code, const char *message)
{
    g_assert_error(error, VB_ERROR, code);
    g_assert_cmpstr(error->message, ==, message);
}

static guint64
stat_value(GHashTable *stats, const char *key)
{
    guint64 *value = g_hash_table_lookup(stats, key);

    g_assert_nonnull(value);
    return *value;
}

/* ---- defaults ---- */

static void
test_default_host(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = fx->conn->driver;
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) mem = NULL;
    g_autoptr(GArray) map = NULL;
    g_autofree char *caps = NULL;
    g_autofree char *domcaps = NULL;
    VbNodeInfo info;

    g_assert_true(drv->node_get_info(fx->conn, &info, &error));
    g_assert_cmpstr(info.model, ==, "i686");
    g_assert_cmpuint(info.memory_kib, ==, 3145728);
    g_assert_cmpuint(info.cpus, ==, 16);
    g_assert_cmpuint(info.mhz, ==, 1400);
    g_assert_cmpuint(info.nodes, ==, 2);
    g_assert_cmpuint(info.sockets, ==, 2);
    g_assert_cmpuint(info.cores, ==, 2);
    g_assert_cmpuint(info.threads, ==, 2);
    map = drv->node_get_cpu_map(fx->conn, 0, &error);
    g_assert_cmpuint(map->len, ==, 16);
    mem = drv->node_get_memory_stats(fx->conn, -1, 0, &error);
    g_assert_cmpuint(stat_value(mem, "total"), ==, 3145728);
    g_assert_nonnull(g_hash_table_lookup(mem, "free"));
    caps = drv->get_capabilities(fx->conn, &error);
    g_assert_nonnull(strstr(caps, "<arch>i686</arch>"));
    g_assert_nonnull(strstr(caps, "<cells num='2'>"));
    g_assert_nonnull(strstr(caps, "<domain type='test'/>"));
    domcaps = drv->get_domain_capabilities(fx->conn, "", "", "", "", 0, &error);
    g_assert_no_error(error);
    g_assert_nonnull(strstr(domcaps, "<domain>test</domain>"));
    g_assert_null(drv->get_domain_capabilities(fx->conn, "", "nosucharch", "", "", 0, &error));
    assert_error(error, VB_ERR_INVALID_ARG, "invalid argument: unknown architecture: nosucharch");
}

static void
test_default_objects(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    VbDomainObj *dom = domain(fx, "test");
    VbNetworkObj *net = vb_conn_network_by_name(fx->conn, "default", &error);
    VbStoragePoolObj *pool = vb_conn_pool_by_name(fx->conn, "default-pool", &error);
    VbInterfaceObj *iface = vb_conn_interface_by_name(fx->conn, "eth1", &error);
    g_autofree char *xml = vb_test_driver.domain_get_xml_desc(fx->conn, dom, 0, &error);

    g_assert_no_error(error);
    g_assert_true(dom == vb_conn_domain_by_id(fx->conn, 1, NULL));
    g_assert_cmpstr(dom->def->uuid, ==, TEST_UUID);
    g_assert_cmpint(dom->state, ==, VB_DOMAIN_RUNNING);
    g_assert_cmpint(dom->reason, ==, VB_RUNNING_BOOTED);
    g_assert_true(dom->persistent);
    g_assert_false(dom->autostart);
    g_assert_cmpuint(dom->def->memory_kib, ==, 8388608);
    g_assert_cmpuint(dom->def->current_memory_kib, ==, 2097152);
    g_assert_cmpuint(dom->def->vcpus, ==, 2);
    g_assert_nonnull(strstr(xml, "<domain type='test' id='1'>"));
    g_assert_nonnull(strstr(xml, "/guest/diskimage1"));
    g_assert_true(net->active && net->persistent);
    g_assert_cmpstr(net->def->uuid, ==, "dd8fe884-6c02-601e-7551-cca97df1c5df");
    g_assert_cmpstr(net->def->bridge, ==, "virbr0");
    g_assert_true(pool->active && pool->persistent);
    g_assert_cmpuint(pool->def->capacity, ==, 100ull << 30);
    g_assert_cmpuint(pool->def->allocation, ==, 0);
    g_assert_cmpuint(pool->volumes->len, ==, 0);
    g_assert_true(iface->active);
    g_assert_cmpstr(iface->def->mac, ==, "aa:bb:cc:dd:ee:ff");
    g_assert_cmpuint(vb_obj_list_size(fx->conn->node_devices), ==, 4);
    g_assert_nonnull(vb_conn_node_device_by_name(fx->conn, "scsi_host11", &error));
}

/* ---- domain life cycle ---- */

static void
test_domain_lifecycle(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = &vb_test_driver;
    g_autoptr(GError) error = NULL;
    VbDomainObj *dom = drv->domain_define_xml(fx->conn, NEW_DOMAIN_XML("new", NEW_UUID), 0, &error);

    g_assert_no_error(error);
    g_assert_cmpint(dom->id, ==, -1);
    g_assert_true(drv->domain_create(fx->conn, dom, 0, &error));
    g_assert_cmpint(dom->id, ==, 2);
    g_assert_true(vb_conn_domain_by_id(fx->conn, 2, NULL) == dom);
    g_assert_true(drv->domain_suspend(fx->conn, dom, &error));
    g_assert_true(drv->domain_resume(fx->conn, dom, &error));
    g_assert_true(drv->domain_reboot(fx->conn, dom, 0, &error));
    g_assert_true(drv->domain_destroy(fx->conn, dom, 0, &error));
    g_assert_cmpint(dom->state, ==, VB_DOMAIN_SHUTOFF);
    g_assert_cmpint(dom->reason, ==, VB_SHUTOFF_DESTROYED);
    g_assert_null(vb_conn_domain_by_id(fx->conn, 2, NULL));
    g_assert_true(drv->domain_undefine(fx->conn, dom, 0, &error));
    g_assert_null(vb_conn_domain_by_name(fx->conn, "new", NULL));
    ASSERT_EVENTS(fx, "dom DEFINED/0+", "dom STARTED/0", "dom SUSPENDED/0", "dom RESUMED/0", "reboot 0/0",
                  "dom STOPPED/1", "dom UNDEFINED/0-");
}

static void
test_domain_errors(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = &vb_test_driver;
    g_autoptr(GError) error = NULL;
    VbDomainObj *dom = domain(fx, "test");

    g_assert_null(drv->domain_define_xml(fx->conn, NEW_DOMAIN_XML("test", NEW_UUID), 0, &error));
    assert_error(error, VB_ERR_OPERATION_FAILED,
                 "operation failed: domain 'test' already exists with uuid " TEST_UUID);
    g_clear_error(&error);
    g_assert_null(drv->domain_define_xml(fx->conn, NEW_DOMAIN_XML("other", TEST_UUID), 0, &error));
    assert_error(error, VB_ERR_OPERATION_FAILED,
                 "operation failed: domain 'test' is already defined with uuid " TEST_UUID);
    g_clear_error(&error);
    g_assert_cmpuint(vb_obj_list_size(fx->conn->domains), ==, 1);
    g_assert_false(drv->domain_create(fx->conn, dom, 0, &error));
    assert_error(error, VB_ERR_OPERATION_INVALID, "Requested operation is not valid: domain is already running");
    g_clear_error(&error);
    g_assert_false(drv->domain_resume(fx->conn, dom, &error));
    assert_error(error, VB_ERR_OPERATION_INVALID, "Requested operation is not valid: domain is not paused");
    g_clear_error(&error);
    g_assert_false(drv->domain_create(fx->conn, dom, 0x100, &error));
    assert_error(error, VB_ERR_INVALID_ARG,
                 "invalid argument: unsupported flags (0x100) in function virDomainCreateWithFlags");
    g_clear_error(&error);
    g_assert_false(drv->domain_rename(fx->conn, dom, "x", 0, &error));
    assert_error(error, VB_ERR_OPERATION_INVALID, "Requested operation is not valid: cannot rename active domain");
    g_clear_error(&error);
    g_assert_true(drv->domain_destroy(fx->conn, dom, 0, &error));
    g_assert_false(drv->domain_shutdown(fx->conn, dom, 0, &error));
    assert_error(error, VB_ERR_OPERATION_INVALID, "Requested operation is not valid: domain is not running");
    ASSERT_EVENTS(fx, "dom STOPPED/1");
}

static void
test_domain_transient(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = &vb_test_driver;
    g_autoptr(GError) error = NULL;
    VbDomainObj *dom = drv->domain_create_xml(fx->conn, NEW_DOMAIN_XML("tr", NEW_UUID), VB_START_PAUSED, &error);

    g_assert_no_error(error);
    g_assert_cmpint(dom->state, ==, VB_DOMAIN_PAUSED);
    g_assert_false(dom->persistent);
    g_assert_false(drv->domain_undefine(fx->conn, dom, 0, &error));
    assert_error(error, VB_ERR_OPERATION_INVALID, "Requested operation is not valid: cannot undefine transient domain");
    g_clear_error(&error);
    g_assert_false(drv->domain_set_autostart(fx->conn, dom, TRUE, &error));
    g_clear_error(&error);
    g_assert_false(drv->domain_managed_save(fx->conn, dom, 0, &error));
    assert_error(error, VB_ERR_OPERATION_INVALID,
                 "Requested operation is not valid: cannot do managed save for transient domain");
    g_clear_error(&error);
    g_assert_true(drv->domain_shutdown(fx->conn, dom, 0, &error));
    g_assert_null(vb_conn_domain_by_uuid(fx->conn, NEW_UUID, NULL));
    ASSERT_EVENTS(fx, "dom STARTED/0+", "dom SUSPENDED/0", "dom STOPPED/0-");
}

static void
test_domain_redefine_active(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = &vb_test_driver;
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *inactive = NULL;
    g_autofree char *updated = NULL;
    g_auto(GStrv) parts = NULL;
    VbDomainObj *dom = domain(fx, "test");

    xml = drv->domain_get_xml_desc(fx->conn, dom, VB_DOMAIN_XML_INACTIVE, &error);
    parts = g_strsplit(xml, "<vcpu placement='static'>2</vcpu>", 2);
    g_assert_cmpuint(g_strv_length(parts), ==, 2);
    updated = g_strjoinv("<vcpu placement='static'>4</vcpu>", parts);
    g_assert_true(drv->domain_define_xml(fx->conn, updated, 0, &error) == dom);
    g_assert_cmpuint(dom->def->vcpus, ==, 2);
    inactive = drv->domain_get_xml_desc(fx->conn, dom, VB_DOMAIN_XML_INACTIVE, &error);
    g_assert_nonnull(strstr(inactive, ">4</vcpu>"));
    g_assert_true(drv->domain_destroy(fx->conn, dom, 0, &error));
    g_assert_cmpuint(dom->def->vcpus, ==, 4);
    g_assert_null(dom->new_def);
    ASSERT_EVENTS(fx, "dom DEFINED/1", "dom STOPPED/1");
}

static void
test_domain_tuning(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = &vb_test_driver;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) pins = NULL;
    g_autoptr(GArray) cpumap = g_array_new(FALSE, TRUE, sizeof(gboolean));
    VbDomainObj *dom = domain(fx, "test");
    gboolean on = TRUE;
    guint count = 0;

    g_assert_true(drv->domain_set_vcpus_flags(fx->conn, dom, 1, VB_AFFECT_LIVE, &error));
    g_assert_true(drv->domain_get_vcpus_flags(fx->conn, dom, VB_AFFECT_LIVE, &count, &error));
    g_assert_cmpuint(count, ==, 1);
    g_assert_true(drv->domain_get_vcpus_flags(fx->conn, dom, VB_AFFECT_CONFIG, &count, &error));
    g_assert_cmpuint(count, ==, 2);
    g_assert_false(drv->domain_set_vcpus_flags(fx->conn, dom, 3, VB_AFFECT_LIVE, &error));
    assert_error(error, VB_ERR_INVALID_ARG, "invalid argument: requested cpu amount exceeds maximum (3 > 2)");
    g_clear_error(&error);
    g_assert_false(drv->domain_set_memory_flags(fx->conn, dom, 9000000, 0, &error));
    assert_error(error, VB_ERR_INVALID_ARG, "invalid argument: cannot set memory higher than max memory");
    g_clear_error(&error);
    g_assert_true(drv->domain_set_memory_flags(fx->conn, dom, 1048576, 0, &error));
    g_assert_cmpuint(dom->def->current_memory_kib, ==, 1048576);
    g_array_set_size(cpumap, 16);
    g_array_index(cpumap, gboolean, 3) = on;
    g_assert_true(drv->domain_pin_vcpu(fx->conn, dom, 0, cpumap, 0, &error));
    g_assert_no_error(error);
    pins = drv->domain_get_vcpu_pin_info(fx->conn, dom, 0, &error);
    g_assert_cmpuint(pins->len, ==, 2);
    g_assert_true(g_array_index((GArray *)g_ptr_array_index(pins, 0), gboolean, 3));
    g_assert_false(g_array_index((GArray *)g_ptr_array_index(pins, 0), gboolean, 2));
    g_assert_true(g_array_index((GArray *)g_ptr_array_index(pins, 1), gboolean, 2));
    ASSERT_NO_EVENTS(fx);
}

static void
test_domain_metadata(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = &vb_test_driver;
    g_autoptr(GError) error = NULL;
    g_autofree char *title = NULL;
    g_autofree char *element = NULL;
    VbDomainObj *dom = domain(fx, "test");

    g_assert_null(drv->domain_get_metadata(fx->conn, dom, VB_METADATA_TITLE, NULL, 0, &error));
    assert_error(error, VB_ERR_NO_DOMAIN_METADATA, "metadata not found: Requested metadata element is not present");
    g_clear_error(&error);
    g_assert_true(drv->domain_set_metadata(fx->conn, dom, VB_METADATA_TITLE, "A title", NULL, NULL, 0, &error));
    title = drv->domain_get_metadata(fx->conn, dom, VB_METADATA_TITLE, NULL, 0, &error);
    g_assert_cmpstr(title, ==, "A title");
    g_assert_true(drv->domain_set_metadata(fx->conn, dom, VB_METADATA_ELEMENT, "<app>1</app>", "my",
                                           "http://example.org/my", 0, &error));
    element = drv->domain_get_metadata(fx->conn, dom, VB_METADATA_ELEMENT, "http://example.org/my", 0, &error);
    g_assert_no_error(error);
    g_assert_nonnull(strstr(element, "app"));
    ASSERT_EVENTS(fx, "meta 0/1", "meta 0/2");
}

static void
test_domain_rename(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = &vb_test_driver;
    g_autoptr(GError) error = NULL;
    VbDomainObj *dom = domain(fx, "test");

    g_assert_true(drv->domain_destroy(fx->conn, dom, 0, &error));
    g_assert_true(drv->domain_define_xml(fx->conn, NEW_DOMAIN_XML("other", NEW_UUID), 0, &error) != NULL);
    g_assert_false(drv->domain_rename(fx->conn, dom, "other", 0, &error));
    assert_error(error, VB_ERR_OPERATION_INVALID,
                 "Requested operation is not valid: domain with name 'other' already exists");
    g_clear_error(&error);
    g_assert_true(drv->domain_rename(fx->conn, dom, "renamed", 0, &error));
    g_assert_true(domain(fx, "renamed") == dom);
    g_assert_null(vb_conn_domain_by_name(fx->conn, "test", NULL));
    ASSERT_EVENTS(fx, "dom STOPPED/1", "dom DEFINED/0+", "dom UNDEFINED/1", "dom DEFINED/2");
}

static void
test_domain_stats(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = &vb_test_driver;
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) block = NULL;
    g_autoptr(GHashTable) net = NULL;
    g_autoptr(GHashTable) mem = NULL;
    g_autofree char *hostname = NULL;
    VbDomainObj *dom = domain(fx, "test");
    VbBlockInfo info;
    VbDomainInfo dinfo;

    g_assert_true(drv->domain_get_block_info(fx->conn, dom, "vda", &info, &error));
    g_assert_cmpuint(info.capacity, ==, 1099506450432ull);
    g_assert_false(drv->domain_get_block_info(fx->conn, dom, "vdz", &info, &error));
    assert_error(error, VB_ERR_INVALID_ARG, "invalid argument: invalid path vdz not assigned to domain");
    g_clear_error(&error);
    block = drv->domain_block_stats(fx->conn, dom, "/guest/diskimage1", &error);
    g_assert_nonnull(g_hash_table_lookup(block, "rd_req"));
    net = drv->domain_interface_stats(fx->conn, dom, "aa:bb:cc:dd:ee:ff", &error);
    g_assert_no_error(error);
    g_assert_nonnull(g_hash_table_lookup(net, "rx_bytes"));
    mem = drv->domain_memory_stats(fx->conn, dom, 0, &error);
    g_assert_cmpuint(stat_value(mem, "actual_balloon"), ==, 2097152);
    hostname = drv->domain_get_hostname(fx->conn, dom, 0, &error);
    g_assert_cmpstr(hostname, ==, "testhost");
    g_assert_true(drv->domain_get_info(fx->conn, dom, &dinfo, &error));
    g_assert_cmpint(dinfo.state, ==, VB_DOMAIN_RUNNING);
    g_assert_cmpuint(dinfo.max_mem_kib, ==, 8388608);
    g_assert_cmpuint(dinfo.vcpus, ==, 2);
}

/* ---- save, restore, managed save ---- */

static void
test_save_restore(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = &vb_test_driver;
    g_autoptr(GError) error = NULL;
    g_autofree char *path = g_build_filename(fx->tmpdir, "test.save", NULL);
    g_autofree char *bad = g_build_filename(fx->tmpdir, "bad.save", NULL);
    g_autofree char *xml = NULL;
    VbDomainObj *dom = domain(fx, "test");

    g_assert_true(drv->domain_save(fx->conn, dom, path, NULL, 0, &error));
    g_assert_no_error(error);
    g_assert_cmpint(dom->state, ==, VB_DOMAIN_SHUTOFF);
    g_assert_cmpint(dom->reason, ==, VB_SHUTOFF_SAVED);
    xml = drv->domain_save_image_get_xml_desc(fx->conn, path, 0, &error);
    g_assert_nonnull(strstr(xml, TEST_UUID));
    g_assert_true(drv->domain_restore(fx->conn, path, NULL, 0, &error));
    g_assert_no_error(error);
    g_assert_cmpint(dom->state, ==, VB_DOMAIN_RUNNING);
    g_assert_cmpint(dom->reason, ==, VB_RUNNING_RESTORED);
    g_assert_cmpint(dom->id, ==, 2);
    g_assert_true(g_file_set_contents(bad, "garbage", -1, NULL));
    g_assert_false(drv->domain_restore(fx->conn, bad, NULL, 0, &error));
    g_assert_error(error, VB_ERROR, VB_ERR_INTERNAL_ERROR);
    g_clear_error(&error);
    g_assert_false(drv->domain_restore(fx->conn, "/nonexistent/x.save", NULL, 0, &error));
    g_assert_error(error, VB_ERROR, VB_ERR_SYSTEM_ERROR);
    ASSERT_EVENTS(fx, "dom STOPPED/4", "dom STARTED/2");
}

static void
test_managed_save(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = &vb_test_driver;
    g_autoptr(GError) error = NULL;
    VbDomainObj *dom = domain(fx, "test");

    g_assert_true(drv->domain_managed_save(fx->conn, dom, 0, &error));
    g_assert_true(dom->has_managed_save);
    g_assert_false(drv->domain_undefine(fx->conn, dom, 0, &error));
    assert_error(error, VB_ERR_OPERATION_INVALID,
                 "Requested operation is not valid: Refusing to undefine while domain managed save image exists");
    g_clear_error(&error);
    g_assert_true(drv->domain_create(fx->conn, dom, 0, &error));
    g_assert_false(dom->has_managed_save);
    g_assert_cmpint(dom->reason, ==, VB_RUNNING_RESTORED);
    ASSERT_EVENTS(fx, "dom STOPPED/4", "dom STARTED/2");
}

/* ---- snapshots ---- */

static void
test_snapshots(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = &vb_test_driver;
    g_autoptr(GError) error = NULL;
    VbDomainObj *dom = domain(fx, "test");
    VbSnapshotObj *s1, *s2;

    s1 = drv->snapshot_create_xml(fx->conn, dom, "<domainsnapshot><name>s1</name></domainsnapshot>", 0, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(s1->def->state, ==, "running");
    g_assert_null(drv->snapshot_create_xml(fx->conn, dom, "<domainsnapshot><name>s1</name></domainsnapshot>", 0,
                                           &error));
    assert_error(error, VB_ERR_OPERATION_FAILED, "operation failed: domain moment s1 already exists");
    g_clear_error(&error);
    g_assert_true(drv->domain_destroy(fx->conn, dom, 0, &error));
    s2 = drv->snapshot_create_xml(fx->conn, dom, "<domainsnapshot><name>s2</name></domainsnapshot>", 0, &error);
    g_assert_cmpstr(s2->def->state, ==, "shutoff");
    g_assert_cmpstr(s2->def->parent, ==, "s1");
    g_assert_cmpstr(dom->current_snapshot, ==, "s2");
    g_assert_false(drv->domain_undefine(fx->conn, dom, 0, &error));
    assert_error(error, VB_ERR_OPERATION_INVALID,
                 "Requested operation is not valid: cannot delete inactive domain with 2 snapshots");
    g_clear_error(&error);
    g_assert_true(drv->snapshot_revert(fx->conn, dom, s1, 0, &error));
    g_assert_cmpint(dom->state, ==, VB_DOMAIN_RUNNING);
    g_assert_cmpint(dom->reason, ==, VB_RUNNING_FROM_SNAPSHOT);
    g_assert_cmpstr(dom->current_snapshot, ==, "s1");
    g_assert_true(drv->snapshot_revert(fx->conn, dom, s2, 0, &error));
    g_assert_cmpint(dom->state, ==, VB_DOMAIN_SHUTOFF);
    g_assert_true(drv->snapshot_delete(fx->conn, dom, s1, 0, &error));
    g_assert_cmpuint(dom->snapshots->len, ==, 1);
    g_assert_null(s2->def->parent);
    g_assert_nonnull(drv->snapshot_create_xml(fx->conn, dom, "<domainsnapshot><name>s3</name></domainsnapshot>", 0,
                                              &error));
    g_assert_cmpstr(dom->current_snapshot, ==, "s3");
    g_assert_true(drv->snapshot_delete(fx->conn, dom, s2, VB_SNAPSHOT_DELETE_CHILDREN, &error));
    g_assert_cmpuint(dom->snapshots->len, ==, 0);
    g_assert_null(dom->current_snapshot);
    ASSERT_EVENTS(fx, "snap 0/0+", "dom STOPPED/1", "snap 0/0+", "dom STARTED/3", "snap 2/0", "dom STOPPED/6",
                  "snap 2/0", "snap 1/0-", "snap 0/0+", "snap 1/0-", "snap 1/0-");
}

/* ---- networks ---- */

#define NET_XML "<network><name>net2</name><uuid>0d6a9a32-2a9e-4b3b-9e5c-4a1f4e3f5a10</uuid>" \
                "<bridge name='virbr9'/><ip address='10.9.0.1' netmask='255.255.255.0'><dhcp>" \
                "<range start='10.9.0.10' end='10.9.0.100'/></dhcp></ip></network>"

static void
test_networks(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = &vb_test_driver;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) leases = NULL;
    VbNetworkObj *def_net = vb_conn_network_by_name(fx->conn, "default", NULL);
    VbNetworkObj *net = drv->network_define_xml(fx->conn, NET_XML, &error);
    const char *ip = NULL;

    g_assert_no_error(error);
    g_assert_false(net->active);
    g_assert_true(drv->network_create(fx->conn, net, &error));
    g_assert_false(drv->network_create(fx->conn, net, &error));
    assert_error(error, VB_ERR_OPERATION_INVALID, "Requested operation is not valid: Network 'net2' is already running");
    g_clear_error(&error);
    g_assert_false(drv->network_undefine(fx->conn, net, &error));
    g_clear_error(&error);
    g_assert_true(drv->network_destroy(fx->conn, net, &error));
    g_assert_true(drv->network_undefine(fx->conn, net, &error));
    g_assert_null(drv->network_define_xml(fx->conn, "<network><name>default</name></network>", &error));
    g_assert_error(error, VB_ERROR, VB_ERR_OPERATION_FAILED);
    g_clear_error(&error);
    leases = drv->network_get_dhcp_leases(fx->conn, def_net, NULL, 0, &error);
    g_assert_cmpuint(leases->len, ==, 1);
    g_variant_get_child(g_ptr_array_index(leases, 0), 5, "&s", &ip);
    g_assert_cmpstr(ip, ==, "192.168.122.3");
    g_assert_true(drv->network_update(fx->conn, def_net, VB_NETWORK_UPDATE_COMMAND_ADD_LAST,
                                      VB_NETWORK_SECTION_IP_DHCP_HOST, -1,
                                      "<host mac='52:54:00:00:00:01' name='h1' ip='192.168.122.50'/>",
                                      VB_NETWORK_UPDATE_AFFECT_LIVE | VB_NETWORK_UPDATE_AFFECT_CONFIG, &error));
    g_assert_no_error(error);
    ASSERT_EVENTS(fx, "net 0/0+", "net 2/0", "net 3/0", "net 1/0-");
}

/* ---- storage ---- */

#define VOL_XML(name, size) "<volume><name>" name "</name><capacity unit='MiB'>" size "</capacity></volume>"

static void
test_storage(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = &vb_test_driver;
    g_autoptr(GError) error = NULL;
    VbStoragePoolObj *pool = vb_conn_pool_by_name(fx->conn, "default-pool", NULL);
    VbStorageVolObj *vol = drv->vol_create_xml(fx->conn, pool, VOL_XML("v1", "1024"), 0, &error);

    g_assert_no_error(error);
    g_assert_cmpstr(vol->def->key, ==, "/default-pool/v1");
    g_assert_true(vb_conn_vol_by_path(fx->conn, "/default-pool/v1", NULL) == vol);
    g_assert_cmpuint(pool->def->allocation, ==, 1ull << 30);
    g_assert_null(drv->vol_create_xml(fx->conn, pool, VOL_XML("v1", "1"), 0, &error));
    assert_error(error, VB_ERR_OPERATION_FAILED, "operation failed: storage vol already exists");
    g_clear_error(&error);
    g_assert_false(drv->vol_resize(fx->conn, vol, 1ull << 20, 0, &error));
    assert_error(error, VB_ERR_INVALID_ARG, "invalid argument: Can't shrink capacity below current capacity unless "
                 "shrink flag explicitly specified");
    g_clear_error(&error);
    g_assert_true(drv->vol_resize(fx->conn, vol, 2ull << 30, 1, &error));
    g_assert_cmpuint(pool->def->allocation, ==, 2ull << 30);
    g_assert_true(drv->vol_delete(fx->conn, vol, 0, &error));
    g_assert_cmpuint(pool->def->allocation, ==, 0);
    g_assert_cmpuint(pool->def->available, ==, 100ull << 30);
    g_assert_true(drv->pool_refresh(fx->conn, pool, 0, &error));
    g_assert_false(drv->pool_undefine(fx->conn, pool, &error));
    assert_error(error, VB_ERR_OPERATION_INVALID, "Requested operation is not valid: storage pool 'default-pool' is active");
    g_clear_error(&error);
    g_assert_true(drv->pool_destroy(fx->conn, pool, &error));
    g_assert_true(drv->pool_undefine(fx->conn, pool, &error));
    ASSERT_EVENTS(fx, "refresh 0/0", "pool 3/0", "pool 1/0-");
}

/* ---- secrets, node devices, interfaces ---- */

#define SECRET_XML(uuid) "<secret ephemeral='no' private='%s'><uuid>" uuid "</uuid>" \
                         "<usage type='ceph'><name>client.admin</name></usage></secret>"

static void
test_secrets(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = &vb_test_driver;
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) value = g_bytes_new_static("s3cr3t", 6);
    g_autoptr(GBytes) got = NULL;
    g_autofree char *xml = g_strdup_printf(SECRET_XML(NEW_UUID), "no");
    g_autofree char *clash = g_strdup_printf(SECRET_XML(TEST_UUID), "no");
    g_autofree char *priv = g_strdup_printf(SECRET_XML(NEW_UUID), "yes");
    VbSecretObj *secret = drv->secret_define_xml(fx->conn, xml, 0, &error);

    g_assert_no_error(error);
    g_assert_null(drv->secret_get_value(fx->conn, secret, 0, &error));
    g_assert_error(error, VB_ERROR, VB_ERR_NO_SECRET);
    g_clear_error(&error);
    g_assert_true(drv->secret_set_value(fx->conn, secret, value, 0, &error));
    got = drv->secret_get_value(fx->conn, secret, 0, &error);
    g_assert_true(g_bytes_equal(got, value));
    g_assert_null(drv->secret_define_xml(fx->conn, clash, 0, &error));
    assert_error(error, VB_ERR_INTERNAL_ERROR, "internal error: a secret with UUID " NEW_UUID
                 " already defined for use with client.admin");
    g_clear_error(&error);
    g_assert_true(drv->secret_define_xml(fx->conn, priv, 0, &error) == secret);
    g_assert_null(drv->secret_get_value(fx->conn, secret, 0, &error));
    assert_error(error, VB_ERR_INVALID_SECRET, "Invalid secret: secret is private");
    g_clear_error(&error);
    g_assert_true(drv->secret_undefine(fx->conn, secret, &error));
    ASSERT_EVENTS(fx, "secret 0/0+", "secret 0/0", "secret 1/0-");
}

#define VHBA_XML "<device><parent>scsi_host1</parent><capability type='scsi_host'>" \
                 "<capability type='fc_host'><wwnn>2000000012345678</wwnn><wwpn>1000000012345678</wwpn>" \
                 "</capability></capability></device>"

static void
test_node_devices(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = &vb_test_driver;
    g_autoptr(GError) error = NULL;
    g_autofree char *bad = NULL;
    VbNodeDeviceObj *dev = drv->node_device_create_xml(fx->conn, VHBA_XML, 0, &error);

    g_assert_no_error(error);
    g_assert_cmpstr(dev->def->name, ==, "scsi_host12");
    g_assert_cmpstr(dev->def->parent, ==, "scsi_host1");
    g_assert_true(vb_conn_node_device_by_wwn(fx->conn, "2000000012345678", "1000000012345678", NULL) == dev);
    g_assert_true(drv->node_device_destroy(fx->conn, dev, &error));
    g_assert_null(vb_conn_node_device_by_name(fx->conn, "scsi_host12", NULL));
    bad = g_strconcat("<device><parent>computer</parent>", strstr(VHBA_XML, "<capability"), NULL);
    g_assert_null(drv->node_device_create_xml(fx->conn, bad, 0, &error));
    assert_error(error, VB_ERR_INVALID_ARG,
                 "invalid argument: Parent device computer is not capable of vport operations");
    ASSERT_EVENTS(fx, "dev 0/0+", "dev 1/0-");
}

static void
test_interfaces(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = &vb_test_driver;
    g_autoptr(GError) error = NULL;
    VbInterfaceObj *iface = vb_conn_interface_by_name(fx->conn, "eth1", NULL);

    g_assert_true(drv->interface_change_begin(fx->conn, 0, &error));
    g_assert_false(drv->interface_change_begin(fx->conn, 0, &error));
    assert_error(error, VB_ERR_OPERATION_INVALID,
                 "Requested operation is not valid: there is another transaction running.");
    g_clear_error(&error);
    g_assert_true(drv->interface_destroy(fx->conn, iface, 0, &error));
    g_assert_true(drv->interface_undefine(fx->conn, iface, &error));
    g_assert_null(vb_conn_interface_by_name(fx->conn, "eth1", NULL));
    g_assert_true(drv->interface_change_rollback(fx->conn, 0, &error));
    iface = vb_conn_interface_by_name(fx->conn, "eth1", &error);
    g_assert_no_error(error);
    g_assert_true(iface->active);
    g_assert_false(drv->interface_change_commit(fx->conn, 0, &error));
    g_assert_error(error, VB_ERROR, VB_ERR_OPERATION_INVALID);
    ASSERT_EVENTS(fx, "iface 3/0", "iface 1/0-", "iface 0/0+");
}

/* ---- other node files ---- */

#define NODE_XML "<node xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>" \
                 "<cpu><nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>1</threads></cpu>" \
                 "<memory>1048576</memory>" \
                 "<domain type='test'><name>off</name><memory>1024</memory><os><type>hvm</type></os><test:runstate>5</test:runstate>" \
                 "</domain><domain type='test'><name>on</name><memory>1024</memory><os><type>hvm</type></os></domain></node>"

static void
test_node_file(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("test-node-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "node.xml", NULL);
    g_autofree char *uri = g_strconcat("test://", path, NULL);
    g_autoptr(VbConn) conn = NULL;
    VbNodeInfo info;

    g_assert_true(g_file_set_contents(path, NODE_XML, -1, NULL));
    conn = vb_conn_open(&vb_test_driver, uri, &error);
    g_assert_no_error(error);
    g_assert_true(vb_test_driver.node_get_info(conn, &info, &error));
    g_assert_cmpuint(info.cpus, ==, 4);
    g_assert_cmpint(vb_conn_domain_by_name(conn, "off", NULL)->state, ==, VB_DOMAIN_SHUTOFF);
    g_assert_cmpint(vb_conn_domain_by_name(conn, "on", NULL)->id, ==, 1);
    g_assert_null(vb_conn_open(&vb_test_driver, "qemu:///system", &error));
    g_assert_error(error, VB_ERROR, VB_ERR_INVALID_ARG);
    g_assert_nonnull(strstr(error->message, "qemu:///system"));
    g_unlink(path);
    g_rmdir(dir);
}

#define ADD(name, fn) g_test_add("/test-driver/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!g_getenv("VIRTBUS_TEST_DEFAULT_XML"))
        g_setenv("VIRTBUS_TEST_DEFAULT_XML", VB_SOURCE_DATADIR "/test/default.xml", TRUE);
    ADD("default/host", test_default_host);
    ADD("default/objects", test_default_objects);
    ADD("domain/lifecycle", test_domain_lifecycle);
    ADD("domain/errors", test_domain_errors);
    ADD("domain/transient", test_domain_transient);
    ADD("domain/redefine-active", test_domain_redefine_active);
    ADD("domain/tuning", test_domain_tuning);
    ADD("domain/metadata", test_domain_metadata);
    ADD("domain/rename", test_domain_rename);
    ADD("domain/stats", test_domain_stats);
    ADD("domain/save-restore", test_save_restore);
    ADD("domain/managed-save", test_managed_save);
    ADD("domain/snapshots", test_snapshots);
    ADD("network", test_networks);
    ADD("storage", test_storage);
    ADD("secret", test_secrets);
    ADD("nodedev", test_node_devices);
    ADD("interface", test_interfaces);
    g_test_add_func("/test-driver/node-file", test_node_file);
    return g_test_run();
}
