/* test-tables: the interface XML and the C tables agree. Every method and property in
 * interfaces/ has exactly one table row in objects/, every row names a member that exists,
 * and every unimplemented row names the libvirt API it stands for. */
#include <gio/gio.h>

#include "objects/object.h"

static GDBusInterfaceInfo *
load_interface(const char *name)
{
    g_autofree char *resource = g_strdup_printf("/org/libvirt/virtbus/interfaces/%s.xml", name);
    g_autoptr(GBytes) bytes = g_resources_lookup_data(resource, 0, NULL);
    g_autoptr(GDBusNodeInfo) node = NULL;

    g_assert_nonnull(bytes);
    node = g_dbus_node_info_new_for_xml(g_bytes_get_data(bytes, NULL), NULL);
    g_assert_nonnull(node);
    return g_dbus_interface_info_ref(node->interfaces[0]);
}

static guint
count_rows(const VbObjectClass *klass, const char *name)
{
    guint n = 0;

    for (const VbMethod *m = klass->methods; m && m->name; m++)
        n += g_str_equal(m->name, name);
    return n;
}

static void
test_class(gconstpointer data)
{
    const VbObjectClass *klass = data;
    GDBusInterfaceInfo *info = load_interface(klass->interface);

    for (GDBusMethodInfo **m = info->methods; m && *m; m++) {
        if (count_rows(klass, (*m)->name) != 1)
            g_error("%s.%s has %u table rows, expected 1", klass->interface, (*m)->name, count_rows(klass, (*m)->name));
    }
    for (const VbMethod *m = klass->methods; m && m->name; m++) {
        if (!g_dbus_interface_info_lookup_method(info, m->name))
            g_error("table row %s is not a method of %s", m->name, klass->interface);
        if (!m->api || !g_str_has_prefix(m->api, "vir"))
            g_error("%s.%s does not name its libvirt API", klass->interface, m->name);
    }
    for (GDBusPropertyInfo **p = info->properties; p && *p; p++) {
        const VbProperty *prop = vb_object_class_property(klass, (*p)->name);
        if (!prop || !prop->get)
            g_error("property %s.%s has no getter", klass->interface, (*p)->name);
        if (((*p)->flags & G_DBUS_PROPERTY_INFO_FLAGS_WRITABLE) && !prop->set)
            g_error("writable property %s.%s has no setter", klass->interface, (*p)->name);
    }
    g_dbus_interface_info_unref(info);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (const VbObjectClass *const *klass = vb_object_classes; *klass; klass++) {
        g_autofree char *path = g_strdup_printf("/tables/%s", (*klass)->interface);
        g_test_add_data_func(path, *klass, test_class);
    }
    return g_test_run();
}
