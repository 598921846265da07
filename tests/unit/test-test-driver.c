/* test-test-driver: the in-memory test driver through its vtable, without D-Bus.
 *
 * Every test opens a fresh test:///default (VIRTBUS_TEST_DEFAULT_XML names the node file,
 * else the source tree's data/test/default.xml) and records the events the driver emits. */
#include "config.h"

#include <glib.h>
#include <stdarg.h>
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
    [VB_EVENT_STORAGE_POOL_REFRESH] = "refresh", [VB_EVENT_STORAGE_VOL] = "vol", [VB_EVENT_SECRET] = "secret", [VB_EVENT_SNAPSHOT] = "snap",
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

/* ---- typed-parameter tunables ---- */

static void
param_add(GArray *params, const char *name, int type, ...)
{
    VbTypedParam param = { .field = g_strdup(name), .type = type };
    va_list ap;

    va_start(ap, type);
    if (type == VB_TYPED_PARAM_INT)
        param.value.i = va_arg(ap, int);
    else if (type == VB_TYPED_PARAM_UINT || type == VB_TYPED_PARAM_BOOLEAN)
        param.value.ui = va_arg(ap, guint);
    else if (type == VB_TYPED_PARAM_ULLONG)
        param.value.ul = va_arg(ap, guint64);
    else
        param.value.s = g_strdup(va_arg(ap, const char *));
    va_end(ap);
    g_array_append_val(params, param);
}

static const VbTypedParam *
param_get(GArray *params, const char *name)
{
    for (guint i = 0; i < params->len; i++) {
        if (g_str_equal(g_array_index(params, VbTypedParam, i).field, name))
            return &g_array_index(params, VbTypedParam, i);
    }
    g_assert_not_reached();
    return NULL;
}

static char *
domain_xml(Fixture *fx, VbDomainObj *dom, guint flags)
{
    g_autoptr(GError) error = NULL;
    char *xml = vb_test_driver.domain_get_xml_desc(fx->conn, dom, flags, &error);

    g_assert_no_error(error);
    return xml;
}

static void
test_domain_blkio(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = &vb_test_driver;
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) params = vb_typed_params_new();
    g_autoptr(GArray) bad = vb_typed_params_new();
    g_autoptr(GArray) got = NULL;
    g_autofree char *xml = NULL;
    VbDomainObj *dom = domain(fx, "test");

    param_add(params, "weight", VB_TYPED_PARAM_UINT, 500u);
    param_add(params, "device_weight", VB_TYPED_PARAM_STRING, "/dev/sda,300,/dev/sdb,0");
    param_add(params, "device_read_iops_sec", VB_TYPED_PARAM_STRING, "/dev/sda,1000");
    g_assert_true(drv->domain_set_blkio_parameters(fx->conn, dom, params, VB_AFFECT_CONFIG, &error));
    g_assert_no_error(error);
    got = drv->domain_get_blkio_parameters(fx->conn, dom, VB_AFFECT_CONFIG | VB_TYPED_PARAM_STRING_OKAY, &error);
    g_assert_cmpuint(got->len, ==, 6);
    g_assert_cmpuint(param_get(got, "weight")->value.ui, ==, 500);
    g_assert_cmpstr(param_get(got, "device_weight")->value.s, ==, "/dev/sda,300");
    g_assert_cmpstr(param_get(got, "device_read_iops_sec")->value.s, ==, "/dev/sda,1000");
    g_assert_cmpstr(param_get(got, "device_write_bytes_sec")->value.s, ==, "");
    g_clear_pointer(&got, g_array_unref);
    got = drv->domain_get_blkio_parameters(fx->conn, dom, 0, &error);
    g_assert_cmpuint(param_get(got, "weight")->value.ui, ==, 0);
    xml = domain_xml(fx, dom, VB_DOMAIN_XML_INACTIVE);
    g_assert_nonnull(strstr(xml, "<blkiotune>\n    <weight>500</weight>\n    <device>\n      <path>/dev/sda</path>\n"
                                 "      <weight>300</weight>\n      <read_iops_sec>1000</read_iops_sec>\n"));
    param_add(bad, "device_weight", VB_TYPED_PARAM_STRING, "/dev/sda,x1");
    g_assert_false(drv->domain_set_blkio_parameters(fx->conn, dom, bad, 0, &error));
    assert_error(error, VB_ERR_INVALID_ARG,
                 "invalid argument: invalid value 'x1' for parameter 'device_weight' of device '/dev/sda'");
    g_clear_error(&error);
    g_array_set_size(bad, 0);
    param_add(bad, "device_weight", VB_TYPED_PARAM_STRING, "/dev/sda,1,/dev/sdb");
    g_assert_false(drv->domain_set_blkio_parameters(fx->conn, dom, bad, 0, &error));
    assert_error(error, VB_ERR_INVALID_ARG,
                 "invalid argument: unable to parse blkio device 'device_weight' '/dev/sda,1,/dev/sdb'");
    g_clear_error(&error);
    g_array_set_size(bad, 0);
    param_add(bad, "weight", VB_TYPED_PARAM_ULLONG, G_GUINT64_CONSTANT(5));
    g_assert_false(drv->domain_set_blkio_parameters(fx->conn, dom, bad, 0, &error));
    assert_error(error, VB_ERR_INVALID_ARG,
                 "invalid argument: invalid type 'ullong' for parameter 'weight', expected 'uint'");
    g_clear_error(&error);
    param_add(bad, "nonsense", VB_TYPED_PARAM_UINT, 1u);
    g_assert_false(drv->domain_set_blkio_parameters(fx->conn, dom, bad, 0, &error));
    assert_error(error, VB_ERR_ARGUMENT_UNSUPPORTED, "argument unsupported: parameter 'nonsense' not supported");
    ASSERT_NO_EVENTS(fx);
}

static void
test_domain_memtune(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = &vb_test_driver;
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) mem = vb_typed_params_new();
    g_autoptr(GArray) limits = NULL;
    g_autofree char *xml = NULL;
    VbDomainObj *dom = domain(fx, "test");

    param_add(mem, "hard_limit", VB_TYPED_PARAM_ULLONG, G_GUINT64_CONSTANT(1048576));
    param_add(mem, "hard_limit", VB_TYPED_PARAM_ULLONG, G_GUINT64_CONSTANT(1));
    g_assert_false(drv->domain_set_memory_parameters(fx->conn, dom, mem, 0, &error));
    assert_error(error, VB_ERR_INVALID_ARG, "invalid argument: parameter 'hard_limit' occurs multiple times");
    g_clear_error(&error);
    g_array_set_size(mem, 1);
    param_add(mem, "swap_hard_limit", VB_TYPED_PARAM_ULLONG, G_GUINT64_CONSTANT(1024));
    g_assert_false(drv->domain_set_memory_parameters(fx->conn, dom, mem, 0, &error));
    assert_error(error, VB_ERR_INVALID_ARG,
                 "invalid argument: memory hard_limit tunable value must be lower than or equal to swap_hard_limit");
    g_clear_error(&error);
    g_array_set_size(mem, 1);
    g_assert_true(drv->domain_set_memory_parameters(fx->conn, dom, mem, VB_AFFECT_LIVE, &error));
    limits = drv->domain_get_memory_parameters(fx->conn, dom, 0, &error);
    g_assert_cmpuint(vb_typed_params_get(limits, "hard_limit")->value.ul, ==, 1048576);
    g_assert_cmpuint(vb_typed_params_get(limits, "soft_limit")->value.ul, ==, 9007199254740991ull);
    g_assert_cmpint(vb_typed_params_get(limits, "soft_limit")->type, ==, VB_TYPED_PARAM_ULLONG);
    xml = domain_xml(fx, dom, 0);
    g_assert_nonnull(strstr(xml, "<memtune>\n    <hard_limit unit='KiB'>1048576</hard_limit>\n  </memtune>"));
    ASSERT_NO_EVENTS(fx);
}

static void
test_domain_numa(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = &vb_test_driver;
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) numa = vb_typed_params_new();
    g_autoptr(GArray) got = NULL;
    g_autofree char *xml = NULL;
    VbDomainObj *dom = domain(fx, "test");

    param_add(numa, "numa_mode", VB_TYPED_PARAM_INT, 2);
    g_assert_false(drv->domain_set_numa_parameters(fx->conn, dom, numa, VB_AFFECT_CONFIG, &error));
    assert_error(error, VB_ERR_CONFIG_UNSUPPORTED,
                 "unsupported configuration: nodeset for NUMA memory tuning must be set if 'placement' is 'static'");
    g_clear_error(&error);
    param_add(numa, "numa_nodeset", VB_TYPED_PARAM_STRING, "0-1,^1,1");
    g_assert_true(drv->domain_set_numa_parameters(fx->conn, dom, numa, VB_AFFECT_CONFIG, &error));
    g_assert_no_error(error);
    got = drv->domain_get_numa_parameters(fx->conn, dom, VB_AFFECT_CONFIG, &error);
    g_assert_cmpint(param_get(got, "numa_mode")->value.i, ==, 2);
    g_assert_cmpstr(param_get(got, "numa_nodeset")->value.s, ==, "0-1");
    g_clear_pointer(&got, g_array_unref);
    got = drv->domain_get_numa_parameters(fx->conn, dom, 0, &error);
    g_assert_cmpint(param_get(got, "numa_mode")->value.i, ==, 0);
    g_assert_cmpstr(param_get(got, "numa_nodeset")->value.s, ==, "");
    xml = domain_xml(fx, dom, VB_DOMAIN_XML_INACTIVE);
    g_assert_nonnull(strstr(xml, "<numatune>\n    <memory mode='interleave' nodeset='0-1'/>\n  </numatune>"));
    g_array_set_size(numa, 0);
    param_add(numa, "numa_nodeset", VB_TYPED_PARAM_STRING, "^0");
    g_assert_false(drv->domain_set_numa_parameters(fx->conn, dom, numa, 0, &error));
    assert_error(error, VB_ERR_OPERATION_INVALID, "Requested operation is not valid: Invalid nodeset of 'numatune': ^0");
    g_clear_error(&error);
    g_array_set_size(numa, 0);
    param_add(numa, "numa_mode", VB_TYPED_PARAM_INT, 7);
    g_assert_false(drv->domain_set_numa_parameters(fx->conn, dom, numa, 0, &error));
    assert_error(error, VB_ERR_INVALID_ARG, "invalid argument: unsupported numatune mode: '7'");
    ASSERT_NO_EVENTS(fx);
}

static void
test_domain_perf_sched(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = &vb_test_driver;
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) perf = vb_typed_params_new();
    g_autoptr(GArray) sched = vb_typed_params_new();
    g_autoptr(GArray) got = NULL;
    g_autofree char *xml = NULL;
    VbDomainObj *dom = domain(fx, "test");

    param_add(perf, "cmt", VB_TYPED_PARAM_BOOLEAN, TRUE);
    param_add(perf, "cpu_cycles", VB_TYPED_PARAM_BOOLEAN, FALSE);
    g_assert_true(drv->domain_set_perf_events(fx->conn, dom, perf, 0, &error));
    got = drv->domain_get_perf_events(fx->conn, dom, 0, &error);
    g_assert_cmpuint(got->len, ==, 22);
    g_assert_true(param_get(got, "cmt")->value.b);
    g_assert_false(param_get(got, "cpu_cycles")->value.b);
    g_assert_cmpstr(g_array_index(got, VbTypedParam, 21).field, ==, "emulation_faults");
    xml = domain_xml(fx, dom, 0);
    g_assert_nonnull(strstr(xml, "<perf>\n    <event name='cmt' enabled='yes'/>\n"
                                 "    <event name='cpu_cycles' enabled='no'/>\n  </perf>"));
    param_add(sched, "weight", VB_TYPED_PARAM_UINT, 100u);
    g_assert_true(drv->domain_set_scheduler_parameters(fx->conn, dom, sched, 0, &error));
    g_assert_false(drv->domain_set_scheduler_parameters(fx->conn, dom, sched, VB_AFFECT_LIVE, &error));
    assert_error(error, VB_ERR_INVALID_ARG,
                 "invalid argument: unsupported flags (0x1) in function virDomainSetSchedulerParametersFlags");
    g_clear_error(&error);
    param_add(sched, "cap", VB_TYPED_PARAM_UINT, 1u);
    g_assert_false(drv->domain_set_scheduler_parameters(fx->conn, dom, sched, 0, &error));
    assert_error(error, VB_ERR_ARGUMENT_UNSUPPORTED, "argument unsupported: parameter 'cap' not supported");
    ASSERT_NO_EVENTS(fx);
}

static void
test_domain_bandwidth(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = &vb_test_driver;
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) params = vb_typed_params_new();
    g_autoptr(GArray) got = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *cleared = NULL;
    VbDomainObj *dom = domain(fx, "test");

    param_add(params, "inbound.average", VB_TYPED_PARAM_UINT, 1000u);
    param_add(params, "inbound.burst", VB_TYPED_PARAM_UINT, 2048u);
    param_add(params, "outbound.average", VB_TYPED_PARAM_UINT, 128u);
    g_assert_true(drv->domain_set_interface_parameters(fx->conn, dom, "testnet0", params, 0, &error));
    g_assert_no_error(error);
    got = drv->domain_get_interface_parameters(fx->conn, dom, "aa:bb:cc:dd:ee:ff", 0, &error);
    g_assert_cmpuint(got->len, ==, 7);
    g_assert_cmpuint(param_get(got, "inbound.average")->value.ui, ==, 1000);
    g_assert_cmpuint(param_get(got, "inbound.burst")->value.ui, ==, 2048);
    g_assert_cmpuint(param_get(got, "outbound.average")->value.ui, ==, 128);
    g_assert_cmpuint(param_get(got, "outbound.peak")->value.ui, ==, 0);
    xml = domain_xml(fx, dom, 0);
    g_assert_nonnull(strstr(xml, "<bandwidth>\n        <inbound average='1000' burst='2048'/>\n"
                                 "        <outbound average='128'/>\n      </bandwidth>"));
    g_array_set_size(params, 0);
    param_add(params, "outbound.average", VB_TYPED_PARAM_UINT, 0u);
    g_assert_true(drv->domain_set_interface_parameters(fx->conn, dom, "testnet0", params, 0, &error));
    cleared = domain_xml(fx, dom, 0);
    g_assert_null(strstr(cleared, "<outbound"));
    g_assert_nonnull(strstr(cleared, "<inbound average='1000' burst='2048'/>"));
    g_assert_null(drv->domain_get_interface_parameters(fx->conn, dom, "eth9", 0, &error));
    assert_error(error, VB_ERR_INVALID_ARG, "invalid argument: 'eth9' is not a known interface");
    ASSERT_NO_EVENTS(fx);
}

static void
test_domain_iotune(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = &vb_test_driver;
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) params = vb_typed_params_new();
    g_autoptr(GArray) got = NULL;
    g_autofree char *xml = NULL;
    VbDomainObj *dom = domain(fx, "test");

    param_add(params, "total_bytes_sec", VB_TYPED_PARAM_ULLONG, G_GUINT64_CONSTANT(1000));
    g_assert_false(drv->domain_set_block_io_tune(fx->conn, dom, "vda", params, 0, &error));
    assert_error(error, VB_ERR_INVALID_ARG, "invalid argument: total_bytes_sec cannot be set higher than total_bytes_sec_max");
    g_clear_error(&error);
    param_add(params, "total_bytes_sec_max", VB_TYPED_PARAM_ULLONG, G_GUINT64_CONSTANT(2000));
    param_add(params, "group_name", VB_TYPED_PARAM_STRING, "grp");
    g_assert_true(drv->domain_set_block_io_tune(fx->conn, dom, "/guest/diskimage1", params, VB_AFFECT_CONFIG, &error));
    g_assert_no_error(error);
    got = drv->domain_get_block_io_tune(fx->conn, dom, "vda", VB_AFFECT_CONFIG, &error);
    g_assert_cmpuint(got->len, ==, 20);
    g_assert_cmpuint(param_get(got, "total_bytes_sec")->value.ul, ==, 1000);
    g_assert_cmpuint(param_get(got, "total_bytes_sec_max")->value.ul, ==, 2000);
    g_assert_cmpstr(param_get(got, "group_name")->value.s, ==, "grp");
    g_assert_cmpstr(g_array_index(got, VbTypedParam, 13).field, ==, "group_name");
    g_clear_pointer(&got, g_array_unref);
    got = drv->domain_get_block_io_tune(fx->conn, dom, "vda", 0, &error);
    g_assert_cmpuint(param_get(got, "total_bytes_sec")->value.ul, ==, 0);
    xml = domain_xml(fx, dom, VB_DOMAIN_XML_INACTIVE);
    g_assert_nonnull(strstr(xml, "<iotune>\n        <total_bytes_sec>1000</total_bytes_sec>\n"
                                 "        <total_bytes_sec_max>2000</total_bytes_sec_max>\n"
                                 "        <group_name>grp</group_name>\n      </iotune>"));
    g_array_set_size(params, 0);
    param_add(params, "read_bytes_sec", VB_TYPED_PARAM_ULLONG, G_GUINT64_CONSTANT(1));
    g_assert_false(drv->domain_set_block_io_tune(fx->conn, dom, "vda", params, VB_AFFECT_CONFIG, &error));
    assert_error(error, VB_ERR_INVALID_ARG,
                 "invalid argument: total and read/write of bytes_sec cannot be set at the same time");
    g_clear_error(&error);
    g_assert_false(drv->domain_set_block_io_tune(fx->conn, dom, "vdz", params, 0, &error));
    assert_error(error, VB_ERR_INVALID_ARG, "invalid argument: missing persistent configuration for disk 'vdz'");
    g_clear_error(&error);
    g_assert_null(drv->domain_get_block_io_tune(fx->conn, dom, "vdz", 0, &error));
    assert_error(error, VB_ERR_INVALID_ARG, "invalid argument: disk 'vdz' was not found in the domain config");
    ASSERT_NO_EVENTS(fx);
}

static void
test_domain_memstats_period(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = &vb_test_driver;
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL;
    VbDomainObj *dom = domain(fx, "test");
    VbDomainObj *other = drv->domain_define_xml(fx->conn, NEW_DOMAIN_XML("new", NEW_UUID), 0, &error);

    g_assert_true(drv->domain_set_memory_stats_period(fx->conn, dom, 10, 0, &error));
    xml = domain_xml(fx, dom, 0);
    g_assert_nonnull(strstr(xml, "<memballoon model='virtio'>\n      <stats period='10'/>\n      <address"));
    g_assert_false(drv->domain_set_memory_stats_period(fx->conn, other, 10, 0, &error));
    assert_error(error, VB_ERR_INTERNAL_ERROR,
                 "internal error: No memory balloon device configured, can not set the collection period");
    g_clear_error(&error);
    g_assert_false(drv->domain_set_memory_stats_period(fx->conn, other, 10, VB_AFFECT_LIVE, &error));
    assert_error(error, VB_ERR_OPERATION_INVALID, "Requested operation is not valid: domain is not running");
}

/* ---- IOThreads and emulator pinning ---- */

static GArray *
cpus(guint first, guint last)
{
    GArray *map = g_array_new(FALSE, TRUE, sizeof(gboolean));

    g_array_set_size(map, 16);
    for (guint i = first; i <= last; i++)
        g_array_index(map, gboolean, i) = TRUE;
    return map;
}

static char *
cpumap_string(GArray *map)
{
    GString *str = g_string_new(NULL);

    for (guint i = 0; i < map->len; i++)
        g_string_append_c(str, g_array_index(map, gboolean, i) ? 'y' : '-');
    return g_string_free(str, FALSE);
}

static void
test_domain_iothreads(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = &vb_test_driver;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) infos = NULL;
    g_autoptr(GArray) pin = cpus(3, 4);
    g_autofree char *map = NULL;
    g_autofree char *xml = NULL;
    VbDomainObj *dom = domain(fx, "test");

    infos = drv->domain_get_iothread_info(fx->conn, dom, 0, &error);
    g_assert_cmpuint(infos->len, ==, 0);
    g_clear_pointer(&infos, g_ptr_array_unref);
    g_assert_false(drv->domain_add_iothread(fx->conn, dom, 0, 0, &error));
    assert_error(error, VB_ERR_INVALID_ARG, "invalid argument: invalid value of 0 for iothread_id");
    g_clear_error(&error);
    g_assert_true(drv->domain_add_iothread(fx->conn, dom, 5, 0, &error));
    g_assert_false(drv->domain_add_iothread(fx->conn, dom, 5, 0, &error));
    assert_error(error, VB_ERR_INVALID_ARG, "invalid argument: an IOThread is already using iothread_id '5'");
    g_clear_error(&error);
    g_assert_true(drv->domain_pin_iothread(fx->conn, dom, 5, pin, 0, &error));
    infos = drv->domain_get_iothread_info(fx->conn, dom, 0, &error);
    g_assert_cmpuint(infos->len, ==, 1);
    g_assert_cmpuint(((VbIOThreadInfo *)g_ptr_array_index(infos, 0))->id, ==, 5);
    map = cpumap_string(((VbIOThreadInfo *)g_ptr_array_index(infos, 0))->cpumap);
    g_assert_cmpstr(map, ==, "---yy-----------");
    xml = domain_xml(fx, dom, 0);
    g_assert_nonnull(strstr(xml, "<iothreads>1</iothreads>\n  <iothreadids>\n    <iothread id='5'/>\n"));
    g_assert_nonnull(strstr(xml, "<iothreadpin iothread='5' cpuset='3-4'/>"));
    g_assert_false(drv->domain_pin_iothread(fx->conn, dom, 6, pin, 0, &error));
    assert_error(error, VB_ERR_INVALID_ARG, "invalid argument: iothreadid 6 not found");
    g_clear_error(&error);
    g_assert_true(drv->domain_del_iothread(fx->conn, dom, 5, 0, &error));
    g_clear_pointer(&xml, g_free);
    xml = domain_xml(fx, dom, 0);
    g_assert_null(strstr(xml, "iothread"));
    g_assert_false(drv->domain_del_iothread(fx->conn, dom, 5, 0, &error));
    assert_error(error, VB_ERR_INVALID_ARG, "invalid argument: cannot find IOThread '5' in iothreadids list");
    ASSERT_NO_EVENTS(fx);
}

#define IOTHREAD_DOMAIN_XML \
    "<domain type='test'><name>io</name><uuid>" NEW_UUID "</uuid><memory>1024</memory><vcpu>3</vcpu>" \
    "<iothreads>3</iothreads><os><type>hvm</type></os><devices><disk type='file' device='disk'>" \
    "<driver name='qemu' iothread='3'/><source file='/x.img'/><target dev='vda'/></disk></devices></domain>"

static void
test_domain_iothreads_autofill(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = &vb_test_driver;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) infos = NULL;
    g_autofree char *map = NULL;
    VbDomainObj *dom = drv->domain_define_xml(fx->conn, IOTHREAD_DOMAIN_XML, 0, &error);

    g_assert_no_error(error);
    g_assert_false(drv->domain_del_iothread(fx->conn, dom, 3, 0, &error));
    assert_error(error, VB_ERR_INVALID_ARG, "invalid argument: cannot remove IOThread 3 since it is being used by disk 'vda'");
    g_clear_error(&error);
    g_assert_false(drv->domain_del_iothread(fx->conn, dom, 1, VB_AFFECT_LIVE, &error));
    assert_error(error, VB_ERR_OPERATION_INVALID, "Requested operation is not valid: domain is not running");
    g_clear_error(&error);
    g_assert_true(drv->domain_del_iothread(fx->conn, dom, 1, 0, &error));
    infos = drv->domain_get_iothread_info(fx->conn, dom, 0, &error);
    g_assert_cmpuint(infos->len, ==, 2);
    g_assert_cmpuint(((VbIOThreadInfo *)g_ptr_array_index(infos, 0))->id, ==, 2);
    g_assert_cmpuint(((VbIOThreadInfo *)g_ptr_array_index(infos, 1))->id, ==, 3);
    /* libvirt's test driver sizes an unpinned thread's map by the vCPU count */
    map = cpumap_string(((VbIOThreadInfo *)g_ptr_array_index(infos, 0))->cpumap);
    g_assert_cmpstr(map, ==, "yyy-------------");
}

static void
test_domain_emulator_pin(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = &vb_test_driver;
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) before = NULL;
    g_autoptr(GArray) after = NULL;
    g_autoptr(GArray) pin = cpus(2, 2);
    g_autoptr(GArray) none = cpus(1, 0);
    g_autofree char *map = NULL;
    g_autofree char *xml = NULL;
    VbDomainObj *dom = domain(fx, "test");

    before = drv->domain_get_emulator_pin_info(fx->conn, dom, 0, &error);
    map = cpumap_string(before);
    g_assert_cmpstr(map, ==, "yyyyyyyyyyyyyyyy");
    g_assert_false(drv->domain_pin_emulator(fx->conn, dom, none, 0, &error));
    assert_error(error, VB_ERR_INVALID_ARG, "invalid argument: Empty cpu list for pinning");
    g_clear_error(&error);
    g_assert_true(drv->domain_pin_emulator(fx->conn, dom, pin, VB_AFFECT_LIVE, &error));
    after = drv->domain_get_emulator_pin_info(fx->conn, dom, 0, &error);
    g_clear_pointer(&map, g_free);
    map = cpumap_string(after);
    g_assert_cmpstr(map, ==, "--y-------------");
    xml = domain_xml(fx, dom, 0);
    g_assert_nonnull(strstr(xml, "<cputune>\n    <emulatorpin cpuset='2'/>\n  </cputune>"));
    g_assert_false(drv->domain_pin_emulator(fx->conn, dom, pin, VB_AFFECT_LIVE | VB_AFFECT_CONFIG, &error));
    g_assert_error(error, VB_ERROR, VB_ERR_INVALID_ARG);
}

/* ---- guest requests ---- */

static void
test_domain_guest_clock(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = &vb_test_driver;
    g_autoptr(GError) error = NULL;
    VbDomainObj *dom = domain(fx, "test");
    VbDomainControlInfo info;
    gint64 seconds = 0;
    guint nseconds = 0;

    g_assert_true(drv->domain_get_control_info(fx->conn, dom, 0, &info, &error));
    g_assert_cmpuint(info.state, ==, VB_DOMAIN_CONTROL_OK);
    g_assert_true(drv->domain_set_time(fx->conn, dom, 5000, 7, VB_DOMAIN_TIME_SYNC, &error));
    g_assert_true(drv->domain_get_time(fx->conn, dom, &seconds, &nseconds, &error));
    g_assert_cmpint(seconds, ==, 5000);
    g_assert_cmpuint(nseconds, ==, 7);
    g_assert_true(drv->domain_get_control_info(fx->conn, dom, 0, &info, &error));
    g_assert_cmpuint(info.state, ==, VB_DOMAIN_CONTROL_JOB);
    g_assert_cmpuint(info.state_time, ==, 5000);
    g_assert_true(drv->domain_set_time(fx->conn, dom, 30002, 0, 0, &error));
    g_assert_true(drv->domain_get_control_info(fx->conn, dom, 0, &info, &error));
    g_assert_cmpuint(info.state, ==, VB_DOMAIN_CONTROL_ERROR);
    g_assert_cmpuint(info.details, ==, VB_CONTROL_ERROR_REASON_MONITOR);
    g_assert_cmpuint(info.state_time, ==, 2);
    g_assert_false(drv->domain_set_time(fx->conn, dom, 1, 0, 2, &error));
    g_assert_error(error, VB_ERROR, VB_ERR_INVALID_ARG);
    g_clear_error(&error);
    g_assert_true(drv->domain_set_user_password(fx->conn, dom, "root", "secret", VB_DOMAIN_PASSWORD_ENCRYPTED, &error));
    g_assert_true(drv->domain_destroy(fx->conn, dom, 0, &error));
    g_assert_false(drv->domain_get_control_info(fx->conn, dom, 0, &info, &error));
    assert_error(error, VB_ERR_OPERATION_INVALID, "Requested operation is not valid: domain is not running");
    g_clear_error(&error);
    g_assert_false(drv->domain_set_user_password(fx->conn, dom, "root", "x", 0, &error));
    g_clear_error(&error);
    g_assert_true(drv->domain_create(fx->conn, dom, 0, &error));
    g_assert_true(drv->domain_get_time(fx->conn, dom, &seconds, &nseconds, &error));
    g_assert_cmpint(seconds, ==, 30002);
    ASSERT_EVENTS(fx, "dom STOPPED/1", "dom STARTED/0");
}

static void
test_domain_core_dump(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = &vb_test_driver;
    g_autoptr(GError) error = NULL;
    g_autofree char *path = g_build_filename(fx->tmpdir, "test.core", NULL);
    g_autofree char *zlib = g_build_filename(fx->tmpdir, "zlib.core", NULL);
    g_autofree char *contents = NULL;
    VbDomainObj *dom = domain(fx, "test");
    gsize len = 0;

    g_assert_true(drv->domain_core_dump(fx->conn, dom, path, VB_CORE_DUMP_FORMAT_RAW, 0, &error));
    g_assert_no_error(error);
    g_assert_true(g_file_get_contents(path, &contents, &len, NULL));
    g_assert_cmpuint(len, ==, 15);
    g_assert_cmpmem(contents, len, "TestGuestMagic", 15);
    g_assert_false(drv->domain_core_dump(fx->conn, dom, zlib, VB_CORE_DUMP_FORMAT_KDUMP_ZLIB, 0, &error));
    assert_error(error, VB_ERR_OPERATION_UNSUPPORTED, "Operation not supported: kdump-compressed format is not supported here");
    g_clear_error(&error);
    g_assert_true(g_file_test(zlib, G_FILE_TEST_EXISTS));
    g_assert_false(drv->domain_core_dump(fx->conn, dom, path, 9, 0, &error));
    assert_error(error, VB_ERR_INVALID_ARG, "invalid argument: dumpformat '9' is not supported");
    g_clear_error(&error);
    g_assert_false(drv->domain_core_dump(fx->conn, dom, path, 0, VB_DUMP_LIVE, &error));
    assert_error(error, VB_ERR_INVALID_ARG,
                 "invalid argument: unsupported flags (0x2) in function virDomainCoreDumpWithFormat");
    g_clear_error(&error);
    g_assert_false(drv->domain_core_dump(fx->conn, dom, "/nonexistent/dir/core", 0, 0, &error));
    g_assert_error(error, VB_ERROR, VB_ERR_SYSTEM_ERROR);
    g_assert_true(g_str_has_prefix(error->message, "domain 'test' coredump: failed to open /nonexistent/dir/core: "));
    g_clear_error(&error);
    ASSERT_NO_EVENTS(fx);
    g_assert_true(drv->domain_core_dump(fx->conn, dom, path, 0, VB_DUMP_CRASH, &error));
    g_assert_cmpint(dom->state, ==, VB_DOMAIN_SHUTOFF);
    g_assert_cmpint(dom->reason, ==, VB_SHUTOFF_CRASHED);
    ASSERT_EVENTS(fx, "dom STOPPED/2");
    g_assert_false(drv->domain_core_dump(fx->conn, dom, path, 0, 0, &error));
    assert_error(error, VB_ERR_OPERATION_INVALID, "Requested operation is not valid: domain is not running");
}

static void
test_domain_guest_fs(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = &vb_test_driver;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) fsinfo = NULL;
    const char *const root[] = { "/", NULL };
    const char *const bad[] = { "/boot", "/var", NULL };
    VbDomainObj *dom = domain(fx, "test");
    VbFSInfo *info;
    guint count = 9;

    g_assert_true(drv->domain_fs_freeze(fx->conn, dom, root, 0, &count, &error));
    g_assert_cmpuint(count, ==, 1);
    g_assert_true(drv->domain_fs_freeze(fx->conn, dom, NULL, 0, &count, &error));
    g_assert_cmpuint(count, ==, 1);
    g_assert_false(drv->domain_fs_thaw(fx->conn, dom, bad, 0, &count, &error));
    assert_error(error, VB_ERR_OPERATION_INVALID, "Requested operation is not valid: mount point not found: /var");
    g_clear_error(&error);
    g_assert_true(drv->domain_fs_thaw(fx->conn, dom, NULL, 0, &count, &error));
    g_assert_cmpuint(count, ==, 2);
    g_assert_true(drv->domain_fs_thaw(fx->conn, dom, root, 0, &count, &error));
    g_assert_cmpuint(count, ==, 0);
    g_assert_true(drv->domain_fs_trim(fx->conn, dom, NULL, 0, 0, &error));
    g_assert_false(drv->domain_fs_trim(fx->conn, dom, "/home", 0, 0, &error));
    assert_error(error, VB_ERR_OPERATION_INVALID, "Requested operation is not valid: mount point not found: /home");
    g_clear_error(&error);
    fsinfo = drv->domain_get_fs_info(fx->conn, dom, 0, &error);
    g_assert_cmpuint(fsinfo->len, ==, 2);
    info = g_ptr_array_index(fsinfo, 1);
    g_assert_cmpstr(info->mountpoint, ==, "/boot");
    g_assert_cmpstr(info->name, ==, "vda2");
    g_assert_cmpstr(info->fstype, ==, "ext4");
    g_assert_cmpstr(info->dev_aliases[0], ==, "vda");
    g_assert_null(info->dev_aliases[1]);
}

static void
test_domain_guest_misc(Fixture *fx, gconstpointer data)
{
    const VbDriver *drv = &vb_test_driver;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) ifaces = NULL;
    g_autoptr(GPtrArray) errors = NULL;
    g_autoptr(GBytes) peek = NULL;
    VbDomainObj *dom = domain(fx, "test");
    VbDomainInterface *iface;
    VbDomainIPAddress *addr;
    gsize len = 0;
    const guint8 *bytes;

    ifaces = drv->domain_interface_addresses(fx->conn, dom, VB_INTERFACE_ADDRESSES_SRC_LEASE, 0, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(ifaces->len, ==, 1);
    iface = g_ptr_array_index(ifaces, 0);
    addr = g_ptr_array_index(iface->addrs, 0);
    g_assert_cmpstr(iface->name, ==, "testnet0");
    g_assert_cmpstr(iface->hwaddr, ==, "aa:bb:cc:dd:ee:ff");
    g_assert_cmpstr(addr->addr, ==, "192.168.122.3");
    g_assert_cmpuint(addr->prefix, ==, 24);
    g_assert_cmpint(addr->type, ==, VB_IP_ADDR_TYPE_IPV4);
    g_assert_null(drv->domain_interface_addresses(fx->conn, dom, 3, 0, &error));
    assert_error(error, VB_ERR_ARGUMENT_UNSUPPORTED, "argument unsupported: Unknown IP address data source 3");
    g_clear_error(&error);
    errors = drv->domain_get_disk_errors(fx->conn, dom, 0, &error);
    g_assert_cmpuint(errors->len, ==, 1);
    g_assert_cmpstr(((VbDiskError *)g_ptr_array_index(errors, 0))->disk, ==, "vda");
    g_assert_cmpint(((VbDiskError *)g_ptr_array_index(errors, 0))->error, ==, VB_DOMAIN_DISK_ERROR_UNSPEC);
    peek = drv->domain_memory_peek(fx->conn, dom, 254, 4, VB_MEMORY_PHYSICAL, &error);
    bytes = g_bytes_get_data(peek, &len);
    g_assert_cmpuint(len, ==, 4);
    g_assert_cmpuint(bytes[0], ==, 254);
    g_assert_cmpuint(bytes[2], ==, 0);
    g_assert_null(drv->domain_memory_peek(fx->conn, dom, 0, 4, VB_MEMORY_PHYSICAL | VB_MEMORY_VIRTUAL, &error));
    assert_error(error, VB_ERR_INVALID_ARG,
                 "invalid argument: flags parameter must be VIR_MEMORY_VIRTUAL or VIR_MEMORY_PHYSICAL");
    g_clear_error(&error);
    g_assert_true(drv->domain_send_process_signal(fx->conn, dom, 1, 15, 0, &error));
    g_assert_false(drv->domain_send_process_signal(fx->conn, dom, 2, 15, 0, &error));
    assert_error(error, VB_ERR_INVALID_ARG, "invalid argument: only sending a signal to pid 1 is supported");
    g_clear_error(&error);
    g_assert_false(drv->domain_send_process_signal(fx->conn, dom, 1, 65, 0, &error));
    assert_error(error, VB_ERR_INVALID_ARG, "invalid argument: signum value 65 is out of range");
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
    ASSERT_EVENTS(fx, "vol 0/0+", "vol 0/0-", "refresh 0/0", "pool 3/0", "pool 1/0-");
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
    ADD("domain/blkio", test_domain_blkio);
    ADD("domain/memtune", test_domain_memtune);
    ADD("domain/numa", test_domain_numa);
    ADD("domain/perf-sched", test_domain_perf_sched);
    ADD("domain/bandwidth", test_domain_bandwidth);
    ADD("domain/iotune", test_domain_iotune);
    ADD("domain/memstats-period", test_domain_memstats_period);
    ADD("domain/iothreads", test_domain_iothreads);
    ADD("domain/iothreads-autofill", test_domain_iothreads_autofill);
    ADD("domain/emulator-pin", test_domain_emulator_pin);
    ADD("domain/guest-clock", test_domain_guest_clock);
    ADD("domain/core-dump", test_domain_core_dump);
    ADD("domain/guest-fs", test_domain_guest_fs);
    ADD("domain/guest-misc", test_domain_guest_misc);
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
