/* domain_conf.c: parse and format libvirt's domain XML.
 *
 * Elements that drivers act on (memory, vCPUs, OS boot, CPU, disks, interfaces) are modelled
 * field by field. Other known elements are kept verbatim and written back in libvirt's order,
 * so a define -> GetXMLDesc round trip loses nothing. Unknown elements are dropped, as libvirt
 * does. */
#include "domain_conf.h"

#include <string.h>
#include <libxml/tree.h>

VB_ENUM_IMPL(vb_domain_virt, VB_DOMAIN_VIRT_LAST,
             "none", "qemu", "kvm", "xen", "lxc", "test", "vmware", "hyperv", "vbox", "bhyve")
VB_ENUM_IMPL(vb_domain_lifecycle, VB_DOMAIN_LIFECYCLE_LAST,
             "destroy", "restart", "rename-restart", "preserve", "coredump-destroy", "coredump-restart")
VB_ENUM_IMPL(vb_cpu_mode, VB_CPU_MODE_LAST,
             "custom", "host-model", "host-passthrough", "maximum")
VB_ENUM_IMPL(vb_cpu_match, VB_CPU_MATCH_LAST, "", "minimum", "exact", "strict")
VB_ENUM_IMPL(vb_cpu_feature_policy, VB_CPU_FEATURE_LAST,
             "force", "require", "optional", "disable", "forbid")
VB_ENUM_IMPL(vb_device_kind, VB_DEVICE_LAST,
             "disk", "controller", "lease", "filesystem", "interface", "smartcard", "serial",
             "parallel", "console", "channel", "input", "tpm", "graphics", "sound", "audio",
             "video", "hostdev", "redirdev", "redirfilter", "hub", "watchdog", "memballoon",
             "rng", "panic", "shmem", "memory", "iommu", "vsock")

/* ---- freeing ---- */

static void
device_address_clear(VbDeviceAddress *addr)
{
    g_free(addr->type);
    g_free(addr->multifunction);
    if (addr->attrs)
        g_ptr_array_unref(addr->attrs);
}

static void
disk_def_free(VbDiskDef *disk)
{
    g_free(disk->type);
    g_free(disk->device);
    g_free(disk->driver_name);
    g_free(disk->driver_type);
    g_free(disk->driver_cache);
    g_free(disk->driver_io);
    g_free(disk->driver_discard);
    g_free(disk->source_file);
    g_free(disk->source_protocol);
    g_free(disk->source_name);
    g_free(disk->source_pool);
    g_free(disk->source_volume);
    g_free(disk->source_extra_xml);
    g_free(disk->target_dev);
    g_free(disk->target_bus);
    g_free(disk->serial);
    g_free(disk->alias);
    device_address_clear(&disk->address);
    g_free(disk);
}

static void
net_def_free(VbNetDef *net)
{
    g_free(net->type);
    if (net->source_attrs)
        g_ptr_array_unref(net->source_attrs);
    if (net->driver_attrs)
        g_ptr_array_unref(net->driver_attrs);
    g_free(net->model);
    g_free(net->target_dev);
    g_free(net->link_state);
    g_free(net->extra_xml);
    g_free(net->alias);
    device_address_clear(&net->address);
    g_free(net);
}

static void
device_def_free(VbDeviceDef *dev)
{
    if (dev->disk)
        disk_def_free(dev->disk);
    if (dev->net)
        net_def_free(dev->net);
    g_free(dev->xml);
    g_free(dev->xml_public);
    g_free(dev);
}

static void
metadata_element_free(VbMetadataElement *md)
{
    g_free(md->uri);
    g_free(md->xml);
    g_free(md);
}

static void
cpu_feature_free(VbCpuFeature *feature)
{
    g_free(feature->name);
    g_free(feature);
}

static void
cpu_def_clear(VbCpuDef *cpu)
{
    g_free(cpu->check);
    g_free(cpu->migratable);
    g_free(cpu->model);
    g_free(cpu->model_fallback);
    g_free(cpu->vendor);
    if (cpu->features)
        g_ptr_array_unref(cpu->features);
    g_free(cpu->numa_xml);
    g_free(cpu->cache_xml);
}

void
vb_domain_def_free(VbDomainDef *def)
{
    if (!def)
        return;
    g_free(def->name);
    g_free(def->title);
    g_free(def->description);
    g_ptr_array_unref(def->metadata);
    g_free(def->vcpu_placement);
    g_free(def->vcpu_cpuset);
    g_free(def->os_type);
    g_free(def->os_arch);
    g_free(def->os_machine);
    g_free(def->os_loader_xml);
    g_free(def->os_kernel);
    g_free(def->os_initrd);
    g_free(def->os_cmdline);
    g_free(def->os_dtb);
    g_ptr_array_unref(def->os_boot);
    g_free(def->os_bootmenu_xml);
    g_free(def->os_extra_xml);
    cpu_def_clear(&def->cpu);
    g_free(def->clock_offset);
    g_free(def->clock_extra_xml);
    g_free(def->memory_backing_xml);
    g_free(def->blkiotune_xml);
    g_free(def->memtune_xml);
    g_free(def->cputune_xml);
    g_free(def->numatune_xml);
    g_free(def->resource_xml);
    g_free(def->sysinfo_xml);
    g_free(def->features_xml);
    g_free(def->pm_xml);
    g_free(def->perf_xml);
    g_free(def->seclabel_xml);
    g_free(def->emulator);
    g_ptr_array_unref(def->devices);
    g_free(def);
}

static VbDomainDef *
domain_def_new(void)
{
    VbDomainDef *def = g_new0(VbDomainDef, 1);

    def->metadata = g_ptr_array_new_with_free_func((GDestroyNotify)metadata_element_free);
    def->os_boot = g_ptr_array_new_with_free_func(g_free);
    def->devices = g_ptr_array_new_with_free_func((GDestroyNotify)device_def_free);
    def->cpu.features = g_ptr_array_new_with_free_func((GDestroyNotify)cpu_feature_free);
    def->on_poweroff = VB_DOMAIN_LIFECYCLE_DESTROY;
    def->on_reboot = VB_DOMAIN_LIFECYCLE_RESTART;
    def->on_crash = VB_DOMAIN_LIFECYCLE_DESTROY;
    return def;
}

/* ---- small parse helpers ---- */

/* The subtree as canonical text, with namespaces declared on it, so it stands alone. */
static char *
dump_standalone(xmlNodePtr node)
{
    g_autoptr(xmlDoc) doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr copy = xmlDocCopyNode(node, doc, 1);

    xmlDocSetRootElement(doc, copy);
    xmlReconciliateNs(doc, copy);
    return vb_xml_node_dump(copy);
}

static char *
dump_children_of(xmlNodePtr parent, const char *const *names)
{
    g_autoptr(GString) out = g_string_new(NULL);

    for (xmlNodePtr cur = vb_xml_child(parent, NULL); cur; cur = vb_xml_next(cur, NULL)) {
        if (names && !g_strv_contains(names, (const char *)cur->name))
            continue;
        g_autofree char *text = dump_standalone(cur);
        g_string_append_printf(out, "%s\n", text);
    }
    return out->len ? g_string_free(g_steal_pointer(&out), FALSE) : NULL;
}

static GPtrArray *
attrs_of(xmlNodePtr node)
{
    GPtrArray *attrs = g_ptr_array_new_with_free_func(g_free);

    for (xmlAttrPtr attr = node ? node->properties : NULL; attr; attr = attr->next) {
        xmlChar *value = xmlNodeGetContent((xmlNodePtr)attr);
        g_ptr_array_add(attrs, g_strdup((const char *)attr->name));
        g_ptr_array_add(attrs, g_strdup((const char *)value));
        xmlFree(value);
    }
    return attrs;
}

static const char *
attrs_lookup(GPtrArray *attrs, const char *name)
{
    for (guint i = 0; attrs && i + 1 < attrs->len; i += 2) {
        if (g_str_equal(g_ptr_array_index(attrs, i), name))
            return g_ptr_array_index(attrs, i + 1);
    }
    return NULL;
}

static void
format_attrs(VbBuf *buf, GPtrArray *attrs)
{
    for (guint i = 0; attrs && i + 1 < attrs->len; i += 2) {
        g_autofree char *fmt = g_strdup_printf(" %s='%%s'", (const char *)g_ptr_array_index(attrs, i));
        vb_buf_escape(buf, fmt, g_ptr_array_index(attrs, i + 1));
    }
}

static gboolean
parse_pci_field(xmlNodePtr node, const char *name, guint max, guint *out, GError **error)
{
    if (!vb_xml_prop_uint(node, name, VB_XML_OPTIONAL, out, error))
        return FALSE;
    if (*out > max) {
        g_autofree char *value = vb_xml_prop(node, name);
        vb_set_invalid_value(error, node, name, value);
        return FALSE;
    }
    return TRUE;
}

static gboolean
parse_address(xmlNodePtr parent, VbDeviceAddress *addr, GError **error)
{
    xmlNodePtr node = vb_xml_child(parent, "address");

    if (!node)
        return TRUE;
    addr->type = vb_xml_prop(node, "type");
    if (!addr->type) {
        vb_set_error(error, VB_ERR_XML_ERROR, "missing required attribute 'type' in element 'address'");
        return FALSE;
    }
    if (!g_str_equal(addr->type, "pci")) {
        addr->attrs = attrs_of(node);
        return TRUE;
    }
    addr->multifunction = vb_xml_prop(node, "multifunction");
    return parse_pci_field(node, "domain", 0xffff, &addr->domain, error) &&
           parse_pci_field(node, "bus", 0xff, &addr->bus, error) &&
           parse_pci_field(node, "slot", 0x1f, &addr->slot, error) &&
           parse_pci_field(node, "function", 0x7, &addr->function, error);
}

static void
format_address(VbBuf *buf, const VbDeviceAddress *addr)
{
    if (!addr->type)
        return;
    if (!g_str_equal(addr->type, "pci")) {
        vb_buf_add(buf, "<address");
        format_attrs(buf, addr->attrs);
        vb_buf_add(buf, "/>\n");
        return;
    }
    vb_buf_add(buf, "<address type='pci' domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'",
               addr->domain, addr->bus, addr->slot, addr->function);
    vb_buf_escape(buf, " multifunction='%s'", addr->multifunction);
    vb_buf_add(buf, "/>\n");
}

static gboolean
parse_boot_order(xmlNodePtr parent, guint *order, GError **error)
{
    xmlNodePtr boot = vb_xml_child(parent, "boot");

    return !boot || vb_xml_prop_uint(boot, "order", VB_XML_REQUIRED | VB_XML_NONZERO, order, error);
}

static char *
child_prop(xmlNodePtr parent, const char *child, const char *attr)
{
    xmlNodePtr node = vb_xml_child(parent, child);

    return node ? vb_xml_prop(node, attr) : NULL;
}

/* ---- disks ---- */

static const char *
disk_bus_from_target(const char *dev)
{
    if (g_str_has_prefix(dev, "vd"))
        return "virtio";
    if (g_str_has_prefix(dev, "sd"))
        return "scsi";
    if (g_str_has_prefix(dev, "hd"))
        return "ide";
    if (g_str_has_prefix(dev, "fd"))
        return "fdc";
    if (g_str_has_prefix(dev, "xvd"))
        return "xen";
    if (g_str_has_prefix(dev, "ubd"))
        return "uml";
    return NULL;
}

static gboolean
parse_disk_source(xmlNodePtr source, VbDiskDef *disk, GError **error)
{
    static const char *const host_children[] = { "host", "auth", "snapshot", "config", "reservations", NULL };

    if (!source)
        return TRUE;
    if (g_str_equal(disk->type, "file"))
        disk->source_file = vb_xml_prop(source, "file");
    else if (g_str_equal(disk->type, "block"))
        disk->source_file = vb_xml_prop(source, "dev");
    else if (g_str_equal(disk->type, "dir"))
        disk->source_file = vb_xml_prop(source, "dir");
    else if (g_str_equal(disk->type, "network")) {
        if (!vb_xml_prop_required(source, "protocol", &disk->source_protocol, error))
            return FALSE;
        disk->source_name = vb_xml_prop(source, "name");
        disk->source_extra_xml = dump_children_of(source, host_children);
    } else if (g_str_equal(disk->type, "volume")) {
        if (!vb_xml_prop_required(source, "pool", &disk->source_pool, error) ||
            !vb_xml_prop_required(source, "volume", &disk->source_volume, error))
            return FALSE;
    }
    return TRUE;
}

static gboolean
parse_disk_driver(xmlNodePtr driver, VbDiskDef *disk)
{
    if (!driver)
        return TRUE;
    disk->driver_name = vb_xml_prop(driver, "name");
    disk->driver_type = vb_xml_prop(driver, "type");
    disk->driver_cache = vb_xml_prop(driver, "cache");
    disk->driver_io = vb_xml_prop(driver, "io");
    disk->driver_discard = vb_xml_prop(driver, "discard");
    return TRUE;
}

static gboolean
parse_disk_target(xmlNodePtr node, VbDiskDef *disk, GError **error)
{
    xmlNodePtr target = vb_xml_child(node, "target");
    const char *bus;

    if (!target || !vb_xml_prop_required(target, "dev", &disk->target_dev, error)) {
        if (!target)
            vb_set_error(error, VB_ERR_XML_ERROR, "missing target information for device %s",
                         disk->source_file ? disk->source_file : "disk");
        return FALSE;
    }
    disk->target_bus = vb_xml_prop(target, "bus");
    if (disk->target_bus)
        return TRUE;
    bus = disk_bus_from_target(disk->target_dev);
    if (!bus) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "Invalid harddisk device name: %s", disk->target_dev);
        return FALSE;
    }
    disk->target_bus = g_strdup(bus);
    return TRUE;
}

static VbDiskDef *
parse_disk(xmlNodePtr node, GError **error)
{
    static const char *const types[] = { "file", "block", "dir", "network", "volume", "nvme", "vhostuser", NULL };
    static const char *const devices[] = { "disk", "cdrom", "floppy", "lun", NULL };
    g_autoptr(GPtrArray) guard = g_ptr_array_new_with_free_func((GDestroyNotify)disk_def_free);
    VbDiskDef *disk = g_new0(VbDiskDef, 1);

    g_ptr_array_add(guard, disk);
    disk->type = vb_xml_prop(node, "type");
    disk->device = vb_xml_prop(node, "device");
    if (!disk->type)
        disk->type = g_strdup("file");
    if (!disk->device)
        disk->device = g_strdup("disk");
    if (!g_strv_contains(types, disk->type)) {
        vb_set_invalid_value(error, node, "type", disk->type);
        return NULL;
    }
    if (!g_strv_contains(devices, disk->device)) {
        vb_set_invalid_value(error, node, "device", disk->device);
        return NULL;
    }
    if (!parse_disk_driver(vb_xml_child(node, "driver"), disk) ||
        !parse_disk_source(vb_xml_child(node, "source"), disk, error) ||
        !parse_disk_target(node, disk, error) ||
        !parse_boot_order(node, &disk->boot_order, error) ||
        !parse_address(node, &disk->address, error))
        return NULL;
    disk->readonly = vb_xml_child(node, "readonly") != NULL;
    disk->shareable = vb_xml_child(node, "shareable") != NULL;
    disk->serial = vb_xml_child_content(node, "serial");
    disk->alias = child_prop(node, "alias", "name");
    return g_ptr_array_steal_index(guard, 0);
}

static void
format_disk_source(VbBuf *buf, const VbDiskDef *disk)
{
    const char *attr = g_str_equal(disk->type, "block") ? "dev" :
                       g_str_equal(disk->type, "dir") ? "dir" : "file";

    if (g_str_equal(disk->type, "network")) {
        vb_buf_escape(buf, "<source protocol='%s'", disk->source_protocol);
        vb_buf_escape(buf, " name='%s'", disk->source_name);
        if (!disk->source_extra_xml) {
            vb_buf_add(buf, "/>\n");
            return;
        }
        vb_buf_add(buf, ">\n");
        buf->indent += 2;
        vb_buf_add_raw_xml(buf, disk->source_extra_xml);
        buf->indent -= 2;
        vb_buf_add(buf, "</source>\n");
    } else if (g_str_equal(disk->type, "volume")) {
        vb_buf_escape(buf, "<source pool='%s'", disk->source_pool);
        vb_buf_escape(buf, " volume='%s'/>\n", disk->source_volume);
    } else if (disk->source_file) {
        g_autofree char *fmt = g_strdup_printf("<source %s='%%s'/>\n", attr);
        vb_buf_escape(buf, fmt, disk->source_file);
    }
}

static void
format_disk(VbBuf *buf, const VbDiskDef *disk, gboolean inactive)
{
    g_auto(VbBuf) driver = { 0 };

    vb_buf_init(&driver, 0);
    vb_buf_escape(&driver, " name='%s'", disk->driver_name);
    vb_buf_escape(&driver, " type='%s'", disk->driver_type);
    vb_buf_escape(&driver, " cache='%s'", disk->driver_cache);
    vb_buf_escape(&driver, " io='%s'", disk->driver_io);
    vb_buf_escape(&driver, " discard='%s'", disk->driver_discard);

    vb_buf_escape(buf, "<disk type='%s'", disk->type);
    vb_buf_escape(buf, " device='%s'>\n", disk->device);
    buf->indent += 2;
    vb_buf_element(buf, "driver", &driver, NULL);
    format_disk_source(buf, disk);
    vb_buf_escape(buf, "<target dev='%s'", disk->target_dev);
    vb_buf_escape(buf, " bus='%s'/>\n", disk->target_bus);
    if (disk->boot_order)
        vb_buf_add(buf, "<boot order='%u'/>\n", disk->boot_order);
    if (disk->readonly)
        vb_buf_add(buf, "<readonly/>\n");
    if (disk->shareable)
        vb_buf_add(buf, "<shareable/>\n");
    vb_buf_escape(buf, "<serial>%s</serial>\n", disk->serial);
    if (!inactive)
        vb_buf_escape(buf, "<alias name='%s'/>\n", disk->alias);
    format_address(buf, &disk->address);
    buf->indent -= 2;
    vb_buf_add(buf, "</disk>\n");
}

/* ---- network interfaces ---- */

static gboolean
parse_net_mac(xmlNodePtr node, VbNetDef *net, GError **error)
{
    g_autofree char *mac = child_prop(node, "mac", "address");

    if (!mac) {
        vb_mac_generate(net->mac);
        return TRUE;
    }
    if (!vb_mac_parse(mac, net->mac)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "unable to parse mac address '%s'", mac);
        return FALSE;
    }
    if (vb_mac_is_multicast(net->mac)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "expected unicast mac address, found multicast '%s'", mac);
        return FALSE;
    }
    return TRUE;
}

static gboolean
check_net_source(xmlNodePtr node, VbNetDef *net, GError **error)
{
    const char *required = NULL;

    if (g_str_equal(net->type, "network"))
        required = "network";
    else if (g_str_equal(net->type, "bridge"))
        required = "bridge";
    else if (g_str_equal(net->type, "direct"))
        required = "dev";
    if (required && !attrs_lookup(net->source_attrs, required)) {
        vb_set_error(error, VB_ERR_XML_ERROR,
                     "No <source> '%s' attribute specified with <interface type='%s'/>",
                     required, net->type);
        return FALSE;
    }
    return TRUE;
}

static VbNetDef *
parse_net(xmlNodePtr node, GError **error)
{
    static const char *const types[] = { "user", "ethernet", "vhostuser", "server", "client", "mcast",
                                         "network", "bridge", "internal", "direct", "hostdev", "udp",
                                         "vdpa", "null", "vds", NULL };
    static const char *const extras[] = { "virtualport", "vlan", "bandwidth", "filterref", "tune",
                                          "ip", "route", "script", "guest", "backend", "teaming",
                                          "coalesce", "port", "rom", NULL };
    g_autoptr(GPtrArray) guard = g_ptr_array_new_with_free_func((GDestroyNotify)net_def_free);
    VbNetDef *net = g_new0(VbNetDef, 1);
    xmlNodePtr mtu;

    g_ptr_array_add(guard, net);
    if (!vb_xml_prop_required(node, "type", &net->type, error))
        return NULL;
    if (!g_strv_contains(types, net->type)) {
        vb_set_invalid_value(error, node, "type", net->type);
        return NULL;
    }
    net->source_attrs = attrs_of(vb_xml_child(node, "source"));
    net->driver_attrs = attrs_of(vb_xml_child(node, "driver"));
    net->model = child_prop(node, "model", "type");
    net->target_dev = child_prop(node, "target", "dev");
    net->link_state = child_prop(node, "link", "state");
    net->alias = child_prop(node, "alias", "name");
    net->extra_xml = dump_children_of(node, extras);
    mtu = vb_xml_child(node, "mtu");
    if (!parse_net_mac(node, net, error) || !check_net_source(node, net, error) ||
        (mtu && !vb_xml_prop_uint(mtu, "size", VB_XML_REQUIRED | VB_XML_NONZERO, &net->mtu, error)) ||
        !parse_boot_order(node, &net->boot_order, error) ||
        !parse_address(node, &net->address, error))
        return NULL;
    return g_ptr_array_steal_index(guard, 0);
}

static void
format_net(VbBuf *buf, const VbNetDef *net, gboolean inactive)
{
    vb_buf_escape(buf, "<interface type='%s'>\n", net->type);
    buf->indent += 2;
    vb_buf_add(buf, "<mac address='%s'/>\n", net->mac);
    if (net->source_attrs->len) {
        vb_buf_add(buf, "<source");
        format_attrs(buf, net->source_attrs);
        vb_buf_add(buf, "/>\n");
    }
    if (net->extra_xml)
        vb_buf_add_raw_xml(buf, net->extra_xml);
    if (!inactive)
        vb_buf_escape(buf, "<target dev='%s'/>\n", net->target_dev);
    vb_buf_escape(buf, "<model type='%s'/>\n", net->model);
    if (net->driver_attrs->len) {
        vb_buf_add(buf, "<driver");
        format_attrs(buf, net->driver_attrs);
        vb_buf_add(buf, "/>\n");
    }
    vb_buf_escape(buf, "<link state='%s'/>\n", net->link_state);
    if (net->mtu)
        vb_buf_add(buf, "<mtu size='%u'/>\n", net->mtu);
    if (net->boot_order)
        vb_buf_add(buf, "<boot order='%u'/>\n", net->boot_order);
    if (!inactive)
        vb_buf_escape(buf, "<alias name='%s'/>\n", net->alias);
    format_address(buf, &net->address);
    buf->indent -= 2;
    vb_buf_add(buf, "</interface>\n");
}

/* ---- devices ---- */

static void
strip_secrets(xmlNodePtr node, VbDeviceDef *dev)
{
    if (dev->kind != VB_DEVICE_GRAPHICS || !xmlHasProp(node, BAD_CAST "passwd"))
        return;
    g_autoptr(xmlDoc) doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr copy = xmlDocCopyNode(node, doc, 1);
    xmlDocSetRootElement(doc, copy);
    xmlUnsetProp(copy, BAD_CAST "passwd");
    dev->xml_public = vb_xml_node_dump(copy);
}

static gboolean
parse_device(xmlNodePtr node, VbDomainDef *def, GError **error)
{
    int kind = vb_device_kind_from_string((const char *)node->name);
    g_autofree VbDeviceDef *dev = NULL;

    if (xmlStrEqual(node->name, BAD_CAST "emulator")) {
        g_free(def->emulator);
        def->emulator = vb_xml_content(node);
        return TRUE;
    }
    if (kind < 0)
        return TRUE;   /* unknown device families are ignored, as libvirt does */
    dev = g_new0(VbDeviceDef, 1);
    dev->kind = kind;
    if (kind == VB_DEVICE_DISK) {
        if (!(dev->disk = parse_disk(node, error)))
            return FALSE;
    } else if (kind == VB_DEVICE_INTERFACE) {
        if (!(dev->net = parse_net(node, error)))
            return FALSE;
    } else {
        dev->xml = vb_xml_node_dump(node);
        strip_secrets(node, dev);
    }
    g_ptr_array_add(def->devices, g_steal_pointer(&dev));
    return TRUE;
}

static gboolean
check_unique_disk_targets(VbDomainDef *def, GError **error)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; i < def->devices->len; i++) {
        VbDeviceDef *dev = g_ptr_array_index(def->devices, i);
        if (!dev->disk)
            continue;
        if (!g_hash_table_add(seen, dev->disk->target_dev)) {
            vb_set_error(error, VB_ERR_XML_ERROR, "target '%s' duplicated for disk sources '%s' and '%s'",
                         dev->disk->target_dev, "", dev->disk->source_file ? dev->disk->source_file : "");
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
parse_devices(xmlNodePtr root, VbDomainDef *def, GError **error)
{
    xmlNodePtr devices = vb_xml_child(root, "devices");

    for (xmlNodePtr cur = vb_xml_child(devices, NULL); cur; cur = vb_xml_next(cur, NULL)) {
        if (!parse_device(cur, def, error))
            return FALSE;
    }
    return check_unique_disk_targets(def, error);
}

static void
format_devices(VbBuf *buf, const VbDomainDef *def, guint flags)
{
    gboolean inactive = (flags & VB_DOMAIN_XML_INACTIVE) != 0;

    vb_buf_add(buf, "<devices>\n");
    buf->indent += 2;
    vb_buf_escape(buf, "<emulator>%s</emulator>\n", def->emulator);
    for (int kind = 0; kind < VB_DEVICE_LAST; kind++) {
        for (guint i = 0; i < def->devices->len; i++) {
            const VbDeviceDef *dev = g_ptr_array_index(def->devices, i);
            if (dev->kind != kind)
                continue;
            if (dev->disk)
                format_disk(buf, dev->disk, inactive);
            else if (dev->net)
                format_net(buf, dev->net, inactive);
            else if (dev->xml_public && !(flags & VB_DOMAIN_XML_SECURE))
                vb_buf_add_raw_xml(buf, dev->xml_public);
            else
                vb_buf_add_raw_xml(buf, dev->xml);
        }
    }
    buf->indent -= 2;
    vb_buf_add(buf, "</devices>\n");
}

/* ---- memory and vCPUs ---- */

static gboolean
parse_memory(xmlNodePtr root, VbDomainDef *def, GError **error)
{
    xmlNodePtr memory = vb_xml_child(root, "memory");
    xmlNodePtr current = vb_xml_child(root, "currentMemory");
    xmlNodePtr max = vb_xml_child(root, "maxMemory");

    if (!memory) {
        vb_set_error(error, VB_ERR_XML_ERROR, "missing required element 'memory'");
        return FALSE;
    }
    if (!vb_xml_scaled_kib(memory, &def->memory_kib, error))
        return FALSE;
    if (def->memory_kib == 0) {
        vb_set_error(error, VB_ERR_XML_ERROR, "Memory size must be specified via <memory> or in the <numa> configuration");
        return FALSE;
    }
    if (current && !vb_xml_scaled_kib(current, &def->current_memory_kib, error))
        return FALSE;
    if (!current || def->current_memory_kib > def->memory_kib || def->current_memory_kib == 0)
        def->current_memory_kib = def->memory_kib;
    if (max && (!vb_xml_scaled_kib(max, &def->max_memory_kib, error) ||
                !vb_xml_prop_uint(max, "slots", VB_XML_OPTIONAL, &def->max_memory_slots, error)))
        return FALSE;
    if (max && def->max_memory_kib < def->memory_kib) {
        vb_set_error(error, VB_ERR_XML_ERROR, "maximum memory size must be equal or greater than the actual memory size");
        return FALSE;
    }
    return TRUE;
}

static gboolean
parse_vcpu(xmlNodePtr root, VbDomainDef *def, GError **error)
{
    xmlNodePtr vcpu = vb_xml_child(root, "vcpu");
    guint64 count = 1;

    if (vcpu && !vb_xml_content_ull(vcpu, &count, error))
        return FALSE;
    if (count == 0 || count > 4096) {
        vb_set_error(error, VB_ERR_XML_ERROR, "invalid value '%" G_GUINT64_FORMAT "' for element 'vcpu': must be between 1 and 4096", count);
        return FALSE;
    }
    def->vcpus = (guint)count;
    if (!vcpu)
        return TRUE;
    if (!vb_xml_prop_uint(vcpu, "current", VB_XML_OPTIONAL, &def->vcpus_current, error))
        return FALSE;
    if (def->vcpus_current > def->vcpus) {
        vb_set_error(error, VB_ERR_XML_ERROR, "requested vcpus is greater than max allowable vcpus for the domain: %u > %u",
                     def->vcpus_current, def->vcpus);
        return FALSE;
    }
    if (def->vcpus_current == def->vcpus)
        def->vcpus_current = 0;
    def->vcpu_placement = vb_xml_prop(vcpu, "placement");
    def->vcpu_cpuset = vb_xml_prop(vcpu, "cpuset");
    if (def->vcpu_placement && !g_str_equal(def->vcpu_placement, "static") &&
        !g_str_equal(def->vcpu_placement, "auto")) {
        vb_set_invalid_value(error, vcpu, "placement", def->vcpu_placement);
        return FALSE;
    }
    return TRUE;
}

static void
format_memory_and_vcpus(VbBuf *buf, const VbDomainDef *def)
{
    if (def->max_memory_kib) {
        vb_buf_add(buf, "<maxMemory");
        if (def->max_memory_slots)
            vb_buf_add(buf, " slots='%u'", def->max_memory_slots);
        vb_buf_add(buf, " unit='KiB'>%" G_GUINT64_FORMAT "</maxMemory>\n", def->max_memory_kib);
    }
    vb_buf_add(buf, "<memory unit='KiB'>%" G_GUINT64_FORMAT "</memory>\n", def->memory_kib);
    vb_buf_add(buf, "<currentMemory unit='KiB'>%" G_GUINT64_FORMAT "</currentMemory>\n", def->current_memory_kib);
    if (def->blkiotune_xml)
        vb_buf_add_raw_xml(buf, def->blkiotune_xml);
    if (def->memtune_xml)
        vb_buf_add_raw_xml(buf, def->memtune_xml);
    if (def->memory_backing_xml)
        vb_buf_add_raw_xml(buf, def->memory_backing_xml);
    vb_buf_escape(buf, "<vcpu placement='%s'", def->vcpu_placement ? def->vcpu_placement : "static");
    vb_buf_escape(buf, " cpuset='%s'", def->vcpu_cpuset);
    if (def->vcpus_current)
        vb_buf_add(buf, " current='%u'", def->vcpus_current);
    vb_buf_add(buf, ">%u</vcpu>\n", def->vcpus);
    if (def->iothreads)
        vb_buf_add(buf, "<iothreads>%u</iothreads>\n", def->iothreads);
}

/* ---- os ---- */

static gboolean
parse_os_boot(xmlNodePtr os, VbDomainDef *def, GError **error)
{
    static const char *const devs[] = { "hd", "cdrom", "network", "fd", NULL };

    VB_XML_FOREACH_CHILD(os, "boot", boot) {
        g_autofree char *dev = vb_xml_prop(boot, "dev");
        if (!dev || !g_strv_contains(devs, dev)) {
            vb_set_error(error, VB_ERR_XML_ERROR, "unknown boot device '%s'", dev ? dev : "");
            return FALSE;
        }
        g_ptr_array_add(def->os_boot, g_steal_pointer(&dev));
    }
    return TRUE;
}

static gboolean
parse_os(xmlNodePtr root, VbDomainDef *def, GError **error)
{
    static const char *const loader[] = { "loader", "nvram", NULL };
    static const char *const extra[] = { "smbios", "bios", "init", "initarg", "initdir", "inituser",
                                         "initgroup", "initenv", "acpi", "firmware", "shim", NULL };
    xmlNodePtr os = vb_xml_child(root, "os");
    xmlNodePtr type = vb_xml_child(os, "type");

    if (!type) {
        vb_set_error(error, VB_ERR_OS_TYPE, "%s", "an os <type> must be specified");
        return FALSE;
    }
    def->os_type = vb_xml_content(type);
    g_strstrip(def->os_type);
    if (!g_strv_contains((const char *const[]){ "hvm", "xen", "linux", "exe", "uml", "xenpvh", NULL }, def->os_type)) {
        vb_set_error(error, VB_ERR_OS_TYPE, "%s", def->os_type);
        return FALSE;
    }
    def->os_arch = vb_xml_prop(type, "arch");
    def->os_machine = vb_xml_prop(type, "machine");
    def->os_loader_xml = dump_children_of(os, loader);
    def->os_kernel = vb_xml_child_content(os, "kernel");
    def->os_initrd = vb_xml_child_content(os, "initrd");
    def->os_cmdline = vb_xml_child_content(os, "cmdline");
    def->os_dtb = vb_xml_child_content(os, "dtb");
    def->os_bootmenu_xml = dump_children_of(os, (const char *const[]){ "bootmenu", NULL });
    def->os_extra_xml = dump_children_of(os, extra);
    return parse_os_boot(os, def, error);
}

static gboolean
def_has_device_boot_order(const VbDomainDef *def)
{
    for (guint i = 0; i < def->devices->len; i++) {
        const VbDeviceDef *dev = g_ptr_array_index(def->devices, i);
        if ((dev->disk && dev->disk->boot_order) || (dev->net && dev->net->boot_order))
            return TRUE;
    }
    return FALSE;
}

static void
format_os(VbBuf *buf, const VbDomainDef *def)
{
    vb_buf_add(buf, "<os>\n");
    buf->indent += 2;
    vb_buf_add(buf, "<type");
    vb_buf_escape(buf, " arch='%s'", def->os_arch);
    vb_buf_escape(buf, " machine='%s'", def->os_machine);
    vb_buf_escape(buf, ">%s</type>\n", def->os_type);
    if (def->os_loader_xml)
        vb_buf_add_raw_xml(buf, def->os_loader_xml);
    vb_buf_escape(buf, "<kernel>%s</kernel>\n", def->os_kernel);
    vb_buf_escape(buf, "<initrd>%s</initrd>\n", def->os_initrd);
    vb_buf_escape(buf, "<cmdline>%s</cmdline>\n", def->os_cmdline);
    vb_buf_escape(buf, "<dtb>%s</dtb>\n", def->os_dtb);
    for (guint i = 0; i < def->os_boot->len; i++)
        vb_buf_escape(buf, "<boot dev='%s'/>\n", g_ptr_array_index(def->os_boot, i));
    if (def->os_bootmenu_xml)
        vb_buf_add_raw_xml(buf, def->os_bootmenu_xml);
    if (def->os_extra_xml)
        vb_buf_add_raw_xml(buf, def->os_extra_xml);
    buf->indent -= 2;
    vb_buf_add(buf, "</os>\n");
}

/* ---- cpu ---- */

static gboolean
parse_cpu_features(xmlNodePtr cpu, VbCpuDef *def, GError **error)
{
    VB_XML_FOREACH_CHILD(cpu, "feature", node) {
        g_autofree VbCpuFeature *feature = g_new0(VbCpuFeature, 1);

        feature->policy = VB_CPU_FEATURE_REQUIRE;
        if (!vb_xml_prop_enum(node, "policy", vb_cpu_feature_policy_from_string, VB_XML_OPTIONAL,
                              &feature->policy, error) ||
            !vb_xml_prop_required(node, "name", &feature->name, error))
            return FALSE;
        for (guint i = 0; i < def->features->len; i++) {
            VbCpuFeature *other = g_ptr_array_index(def->features, i);
            if (g_str_equal(other->name, feature->name)) {
                vb_set_error(error, VB_ERR_XML_ERROR, "CPU feature '%s' specified more than once", feature->name);
                g_free(feature->name);
                return FALSE;
            }
        }
        g_ptr_array_add(def->features, g_steal_pointer(&feature));
    }
    return TRUE;
}

static gboolean
parse_cpu_topology(xmlNodePtr cpu, VbCpuDef *def, GError **error)
{
    xmlNodePtr topo = vb_xml_child(cpu, "topology");

    if (!topo)
        return TRUE;
    def->dies = 1;
    return vb_xml_prop_uint(topo, "sockets", VB_XML_REQUIRED | VB_XML_NONZERO, &def->sockets, error) &&
           vb_xml_prop_uint(topo, "dies", VB_XML_NONZERO, &def->dies, error) &&
           vb_xml_prop_uint(topo, "cores", VB_XML_REQUIRED | VB_XML_NONZERO, &def->cores, error) &&
           vb_xml_prop_uint(topo, "threads", VB_XML_REQUIRED | VB_XML_NONZERO, &def->threads, error);
}

static gboolean
parse_cpu(xmlNodePtr root, VbCpuDef *def, GError **error)
{
    xmlNodePtr cpu = vb_xml_child(root, "cpu");
    xmlNodePtr model;

    if (!cpu)
        return TRUE;
    def->present = TRUE;
    if (!vb_xml_prop_enum(cpu, "mode", vb_cpu_mode_from_string, VB_XML_OPTIONAL, &def->mode, error) ||
        !vb_xml_prop_enum(cpu, "match", vb_cpu_match_from_string, VB_XML_NONZERO, &def->match, error))
        return FALSE;
    def->check = vb_xml_prop(cpu, "check");
    def->migratable = vb_xml_prop(cpu, "migratable");
    if (def->check && !g_strv_contains((const char *const[]){ "none", "partial", "full", NULL }, def->check)) {
        vb_set_invalid_value(error, cpu, "check", def->check);
        return FALSE;
    }
    if ((model = vb_xml_child(cpu, "model"))) {
        def->model = vb_xml_content(model);
        def->model_fallback = vb_xml_prop(model, "fallback");
        if (def->model_fallback && !g_str_equal(def->model_fallback, "allow") &&
            !g_str_equal(def->model_fallback, "forbid")) {
            vb_set_invalid_value(error, model, "fallback", def->model_fallback);
            return FALSE;
        }
    }
    def->vendor = vb_xml_child_content(cpu, "vendor");
    if (def->vendor && !def->model) {
        vb_set_error(error, VB_ERR_XML_ERROR, "CPU vendor specified without CPU model");
        return FALSE;
    }
    if (def->mode == VB_CPU_MODE_CUSTOM && def->model && def->match == VB_CPU_MATCH_NONE)
        def->match = VB_CPU_MATCH_EXACT;
    def->numa_xml = dump_children_of(cpu, (const char *const[]){ "numa", NULL });
    def->cache_xml = dump_children_of(cpu, (const char *const[]){ "cache", NULL });
    return parse_cpu_topology(cpu, def, error) && parse_cpu_features(cpu, def, error);
}

static void
format_cpu_children(VbBuf *buf, const VbCpuDef *cpu)
{
    if (cpu->model) {
        vb_buf_add(buf, "<model");
        vb_buf_escape(buf, " fallback='%s'", cpu->model_fallback);
        vb_buf_escape(buf, ">%s</model>\n", cpu->model);
    }
    vb_buf_escape(buf, "<vendor>%s</vendor>\n", cpu->vendor);
    if (cpu->sockets)
        vb_buf_add(buf, "<topology sockets='%u' dies='%u' cores='%u' threads='%u'/>\n",
                   cpu->sockets, cpu->dies, cpu->cores, cpu->threads);
    if (cpu->cache_xml)
        vb_buf_add_raw_xml(buf, cpu->cache_xml);
    for (guint i = 0; i < cpu->features->len; i++) {
        const VbCpuFeature *feature = g_ptr_array_index(cpu->features, i);
        vb_buf_add(buf, "<feature policy='%s'", vb_cpu_feature_policy_to_string(feature->policy));
        vb_buf_escape(buf, " name='%s'/>\n", feature->name);
    }
    if (cpu->numa_xml)
        vb_buf_add_raw_xml(buf, cpu->numa_xml);
}

static void
format_cpu(VbBuf *buf, const VbCpuDef *cpu)
{
    g_auto(VbBuf) attrs = { 0 };
    g_auto(VbBuf) children = { 0 };

    if (!cpu->present)
        return;
    vb_buf_init(&attrs, 0);
    vb_buf_init(&children, 0);
    vb_buf_add(&attrs, " mode='%s'", vb_cpu_mode_to_string(cpu->mode));
    if (cpu->match != VB_CPU_MATCH_NONE)
        vb_buf_add(&attrs, " match='%s'", vb_cpu_match_to_string(cpu->match));
    vb_buf_escape(&attrs, " check='%s'", cpu->check);
    vb_buf_escape(&attrs, " migratable='%s'", cpu->migratable);
    format_cpu_children(&children, cpu);
    vb_buf_element(buf, "cpu", &attrs, &children);
}

/* ---- clock and lifecycle ---- */

static gboolean
parse_clock(xmlNodePtr root, VbDomainDef *def, GError **error)
{
    static const char *const offsets[] = { "utc", "localtime", "timezone", "variable", "absolute", NULL };
    xmlNodePtr clock = vb_xml_child(root, "clock");

    def->clock_offset = clock ? vb_xml_prop(clock, "offset") : NULL;
    if (!def->clock_offset)
        def->clock_offset = g_strdup("utc");
    if (!g_strv_contains(offsets, def->clock_offset)) {
        vb_set_invalid_value(error, clock, "offset", def->clock_offset);
        return FALSE;
    }
    def->clock_extra_xml = dump_children_of(clock, NULL);
    return TRUE;
}

static void
format_clock(VbBuf *buf, const VbDomainDef *def)
{
    vb_buf_escape(buf, "<clock offset='%s'", def->clock_offset);
    if (!def->clock_extra_xml) {
        vb_buf_add(buf, "/>\n");
        return;
    }
    vb_buf_add(buf, ">\n");
    buf->indent += 2;
    vb_buf_add_raw_xml(buf, def->clock_extra_xml);
    buf->indent -= 2;
    vb_buf_add(buf, "</clock>\n");
}

static gboolean
parse_lifecycle_one(xmlNodePtr root, const char *name, int *out, GError **error)
{
    g_autofree char *text = vb_xml_child_content(root, name);

    if (!text)
        return TRUE;
    g_strstrip(text);
    *out = vb_domain_lifecycle_from_string(text);
    if (*out < 0) {
        vb_set_error(error, VB_ERR_XML_ERROR, "invalid value '%s' for element '%s'", text, name);
        return FALSE;
    }
    return TRUE;
}

static gboolean
parse_lifecycle(xmlNodePtr root, VbDomainDef *def, GError **error)
{
    return parse_lifecycle_one(root, "on_poweroff", &def->on_poweroff, error) &&
           parse_lifecycle_one(root, "on_reboot", &def->on_reboot, error) &&
           parse_lifecycle_one(root, "on_crash", &def->on_crash, error);
}

/* ---- identity and metadata ---- */

static gboolean
parse_metadata(xmlNodePtr root, VbDomainDef *def)
{
    xmlNodePtr metadata = vb_xml_child(root, "metadata");

    for (xmlNodePtr cur = vb_xml_child(metadata, NULL); cur; cur = vb_xml_next(cur, NULL)) {
        VbMetadataElement *md;

        /* like libvirt: only namespaced elements, one per namespace */
        if (!cur->ns || !cur->ns->href || vb_domain_def_get_metadata(def, (const char *)cur->ns->href))
            continue;
        md = g_new0(VbMetadataElement, 1);
        md->uri = g_strdup((const char *)cur->ns->href);
        md->xml = dump_standalone(cur);
        g_ptr_array_add(def->metadata, md);
    }
    return TRUE;
}

static gboolean
parse_identity(xmlNodePtr root, VbDomainDef *def, GError **error)
{
    g_autofree char *uuid = vb_xml_child_content(root, "uuid");

    if (!vb_xml_prop_enum(root, "type", vb_domain_virt_from_string, VB_XML_REQUIRED, &def->virt_type, error))
        return FALSE;
    def->name = vb_xml_child_content(root, "name");
    if (def->name)
        g_strstrip(def->name);
    if (!vb_name_validate(def->name, "domain", error))
        return FALSE;
    if (!uuid)
        vb_uuid_generate(def->uuid);
    else if (!vb_uuid_parse(g_strstrip(uuid), def->uuid)) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "malformed uuid element");
        return FALSE;
    }
    def->title = vb_xml_child_content(root, "title");
    if (def->title && strchr(def->title, '\n')) {
        vb_set_error(error, VB_ERR_XML_ERROR, "Domain title can't contain newlines");
        return FALSE;
    }
    def->description = vb_xml_child_content(root, "description");
    return parse_metadata(root, def);
}

static char *
dump_child(xmlNodePtr root, const char *name)
{
    xmlNodePtr node = vb_xml_child(root, name);

    return node ? vb_xml_node_dump(node) : NULL;
}

static void
parse_verbatim(xmlNodePtr root, VbDomainDef *def)
{
    def->memory_backing_xml = dump_child(root, "memoryBacking");
    def->blkiotune_xml = dump_child(root, "blkiotune");
    def->memtune_xml = dump_child(root, "memtune");
    def->cputune_xml = dump_child(root, "cputune");
    def->numatune_xml = dump_child(root, "numatune");
    def->resource_xml = dump_child(root, "resource");
    def->sysinfo_xml = dump_child(root, "sysinfo");
    def->features_xml = dump_child(root, "features");
    def->pm_xml = dump_child(root, "pm");
    def->perf_xml = dump_child(root, "perf");
    def->seclabel_xml = dump_child(root, "seclabel");
}

static gboolean
parse_iothreads(xmlNodePtr root, VbDomainDef *def, GError **error)
{
    xmlNodePtr node = vb_xml_child(root, "iothreads");
    guint64 count = 0;

    if (node && !vb_xml_content_ull(node, &count, error))
        return FALSE;
    if (count > G_MAXUINT) {
        vb_set_error(error, VB_ERR_XML_ERROR, "invalid value '%" G_GUINT64_FORMAT "' for element 'iothreads'", count);
        return FALSE;
    }
    def->iothreads = (guint)count;
    return TRUE;
}

VbDomainDef *
vb_domain_def_parse_node(xmlNodePtr root, guint flags, GError **error)
{
    g_autoptr(VbDomainDef) def = domain_def_new();

    if (!parse_identity(root, def, error) ||
        !parse_memory(root, def, error) ||
        !parse_vcpu(root, def, error) ||
        !parse_iothreads(root, def, error) ||
        !parse_os(root, def, error) ||
        !parse_cpu(root, &def->cpu, error) ||
        !parse_clock(root, def, error) ||
        !parse_lifecycle(root, def, error) ||
        !parse_devices(root, def, error))
        return NULL;
    parse_verbatim(root, def);
    /* libvirt boots from the first disk when nothing else says how to boot */
    if (g_str_equal(def->os_type, "hvm") && def->os_boot->len == 0 && !def->os_kernel &&
        !def_has_device_boot_order(def))
        g_ptr_array_add(def->os_boot, g_strdup("hd"));
    return g_steal_pointer(&def);
}

VbDomainDef *
vb_domain_def_parse(const char *xml, guint flags, GError **error)
{
    g_autoptr(xmlDoc) doc = vb_xml_parse(xml, "domain", error);

    if (!doc)
        return NULL;
    return vb_domain_def_parse_node(xmlDocGetRootElement(doc), flags, error);
}

/* ---- formatting ---- */

static void
format_identity(VbBuf *buf, const VbDomainDef *def)
{
    vb_buf_escape(buf, "<name>%s</name>\n", def->name);
    vb_buf_add(buf, "<uuid>%s</uuid>\n", def->uuid);
    vb_buf_escape(buf, "<title>%s</title>\n", def->title);
    vb_buf_escape(buf, "<description>%s</description>\n", def->description);
    if (def->metadata->len == 0)
        return;
    vb_buf_add(buf, "<metadata>\n");
    buf->indent += 2;
    for (guint i = 0; i < def->metadata->len; i++)
        vb_buf_add_raw_xml(buf, ((VbMetadataElement *)g_ptr_array_index(def->metadata, i))->xml);
    buf->indent -= 2;
    vb_buf_add(buf, "</metadata>\n");
}

static void
add_verbatim(VbBuf *buf, const char *xml)
{
    if (xml)
        vb_buf_add_raw_xml(buf, xml);
}

char *
vb_domain_def_format_full(const VbDomainDef *def, int id, guint flags)
{
    VbBuf buf;

    vb_buf_init(&buf, 0);
    vb_buf_add(&buf, "<domain type='%s'", vb_domain_virt_to_string(def->virt_type));
    if (id >= 0 && !(flags & VB_DOMAIN_XML_INACTIVE))
        vb_buf_add(&buf, " id='%d'", id);
    vb_buf_add(&buf, ">\n");
    buf.indent = 2;
    format_identity(&buf, def);
    format_memory_and_vcpus(&buf, def);
    add_verbatim(&buf, def->cputune_xml);
    add_verbatim(&buf, def->numatune_xml);
    add_verbatim(&buf, def->resource_xml);
    add_verbatim(&buf, def->sysinfo_xml);
    format_os(&buf, def);
    add_verbatim(&buf, def->features_xml);
    format_cpu(&buf, &def->cpu);
    format_clock(&buf, def);
    vb_buf_add(&buf, "<on_poweroff>%s</on_poweroff>\n", vb_domain_lifecycle_to_string(def->on_poweroff));
    vb_buf_add(&buf, "<on_reboot>%s</on_reboot>\n", vb_domain_lifecycle_to_string(def->on_reboot));
    vb_buf_add(&buf, "<on_crash>%s</on_crash>\n", vb_domain_lifecycle_to_string(def->on_crash));
    add_verbatim(&buf, def->pm_xml);
    add_verbatim(&buf, def->perf_xml);
    format_devices(&buf, def, flags);
    add_verbatim(&buf, def->seclabel_xml);
    buf.indent = 0;
    vb_buf_add(&buf, "</domain>\n");
    return vb_buf_steal(&buf);
}

char *
vb_domain_def_format(const VbDomainDef *def, guint flags)
{
    return vb_domain_def_format_full(def, -1, flags);
}

VbDomainDef *
vb_domain_def_copy(const VbDomainDef *def)
{
    g_autofree char *xml = vb_domain_def_format(def, VB_DOMAIN_XML_SECURE);
    g_autoptr(GError) error = NULL;
    VbDomainDef *copy = vb_domain_def_parse(xml, 0, &error);

    if (!copy)
        g_error("formatted domain XML does not parse back: %s", error->message);
    return copy;
}

/* ---- queries ---- */

guint
vb_domain_def_vcpus_current(const VbDomainDef *def)
{
    return def->vcpus_current ? def->vcpus_current : def->vcpus;
}

guint
vb_domain_def_count_devices(const VbDomainDef *def, VbDeviceKind kind)
{
    guint count = 0;

    for (guint i = 0; i < def->devices->len; i++)
        count += ((VbDeviceDef *)g_ptr_array_index(def->devices, i))->kind == (int)kind;
    return count;
}

VbDiskDef *
vb_domain_def_nth_disk(const VbDomainDef *def, guint n)
{
    for (guint i = 0; i < def->devices->len; i++) {
        VbDeviceDef *dev = g_ptr_array_index(def->devices, i);
        if (dev->disk && n-- == 0)
            return dev->disk;
    }
    return NULL;
}

VbDiskDef *
vb_domain_def_find_disk(const VbDomainDef *def, const char *target_or_path)
{
    for (guint i = 0; i < def->devices->len; i++) {
        VbDeviceDef *dev = g_ptr_array_index(def->devices, i);
        if (dev->disk && (g_strcmp0(dev->disk->target_dev, target_or_path) == 0 ||
                          g_strcmp0(dev->disk->source_file, target_or_path) == 0))
            return dev->disk;
    }
    return NULL;
}

VbNetDef *
vb_domain_def_find_net(const VbDomainDef *def, const char *dev_or_mac)
{
    char mac[VB_MAC_STRING_LEN] = "";

    vb_mac_parse(dev_or_mac, mac);
    for (guint i = 0; i < def->devices->len; i++) {
        VbDeviceDef *dev = g_ptr_array_index(def->devices, i);
        if (dev->net && (g_strcmp0(dev->net->target_dev, dev_or_mac) == 0 || g_str_equal(dev->net->mac, mac)))
            return dev->net;
    }
    return NULL;
}

const char *
vb_domain_def_get_metadata(const VbDomainDef *def, const char *uri)
{
    for (guint i = 0; i < def->metadata->len; i++) {
        VbMetadataElement *md = g_ptr_array_index(def->metadata, i);
        if (g_str_equal(md->uri, uri))
            return md->xml;
    }
    return NULL;
}

static void
remove_metadata(VbDomainDef *def, const char *uri)
{
    for (guint i = 0; i < def->metadata->len; i++) {
        VbMetadataElement *md = g_ptr_array_index(def->metadata, i);
        if (g_str_equal(md->uri, uri)) {
            g_ptr_array_remove_index(def->metadata, i);
            return;
        }
    }
}

gboolean
vb_domain_def_set_metadata(VbDomainDef *def, const char *xml, const char *key, const char *uri,
                           GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    VbMetadataElement *md;
    xmlNodePtr root;

    if (!uri || !*uri) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "%s", "uri must not be empty for element metadata");
        return FALSE;
    }
    if (xml && *xml && (!key || !*key)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "%s", "key must be set for element metadata");
        return FALSE;
    }
    if (!xml || !*xml) {
        remove_metadata(def, uri);
        return TRUE;
    }
    if (!(doc = vb_xml_parse(xml, NULL, error)))
        return FALSE;
    root = xmlDocGetRootElement(doc);
    xmlSetNs(root, xmlNewNs(root, BAD_CAST uri, BAD_CAST key));
    remove_metadata(def, uri);
    md = g_new0(VbMetadataElement, 1);
    md->uri = g_strdup(uri);
    md->xml = vb_xml_node_dump(root);
    g_ptr_array_add(def->metadata, md);
    return TRUE;
}
