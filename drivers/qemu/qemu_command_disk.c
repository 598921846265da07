/* qemu_command_disk.c: controllers, disks and firmware flash as -blockdev node pairs
 * (protocol node "libvirt-N-storage" under format node "libvirt-N-format") plus the
 * guest device on its bus. */
#include "config.h"

#include <string.h>

#include "drivers/qemu/qemu_command_priv.h"

/* ---- controllers ---- */

static void
add_usb_controller(QemuCmd *cmd, const char *model, xmlNodePtr node)
{
    static const char *const map[][2] = {
        { "piix3-uhci", "piix3-usb-uhci" }, { "piix4-uhci", "piix4-usb-uhci" },
        { "qemu-xhci", "qemu-xhci" }, { "nec-xhci", "nec-usb-xhci" },
    };
    const char *driver = NULL;
    GString *opts;

    if (!model)
        model = cmd->q35 ? "qemu-xhci" : "piix3-uhci";   /* libvirt's defaults */
    for (gsize i = 0; i < G_N_ELEMENTS(map); i++) {
        if (g_str_equal(model, map[i][0]))
            driver = map[i][1];
    }
    if (!driver) {
        qemu_cmd_unsupported(cmd, "USB controller model '%s' is not supported by the QEMU driver yet", model);
        return;
    }
    opts = qemu_opts_new(cmd, driver);
    qemu_opts_add(cmd, opts, "id", "usb");
    if (node)
        qemu_opts_add_pci_address_node(cmd, opts, node, "USB controller");
    qemu_cmd_add(cmd, "-device", opts);
    cmd->has_usb = TRUE;
}

void
qemu_need_usb(QemuCmd *cmd, const char *what)
{
    if (cmd->has_usb)
        return;
    if (cmd->usb_disabled) {
        qemu_cmd_unsupported(cmd, "%s needs a USB controller, but the USB controller model is 'none'", what);
        return;
    }
    add_usb_controller(cmd, NULL, NULL);
}

static void
add_scsi_controller(QemuCmd *cmd, guint index, xmlNodePtr node)
{
    GString *opts = qemu_opts_new(cmd, "virtio-scsi-pci");

    if (index >= 32) {
        qemu_cmd_unsupported(cmd, "SCSI controller index %u is too large for the QEMU driver", index);
        g_string_free(opts, TRUE);
        return;
    }
    qemu_opts_addf(cmd, opts, "id", "scsi%u", index);
    if (node)
        qemu_opts_add_pci_address_node(cmd, opts, node, "SCSI controller");
    qemu_cmd_add(cmd, "-device", opts);
    cmd->scsi_controllers |= 1u << index;
}

static void
add_sata_controller(QemuCmd *cmd, xmlNodePtr node)
{
    GString *opts;

    if (cmd->q35 || cmd->has_sata)
        return;   /* q35 has its AHCI built in, named "ide" */
    opts = qemu_opts_new(cmd, "ahci");
    qemu_opts_add(cmd, opts, "id", "sata0");
    if (node)
        qemu_opts_add_pci_address_node(cmd, opts, node, "SATA controller");
    qemu_cmd_add(cmd, "-device", opts);
    cmd->has_sata = TRUE;
}

static void
add_virtio_serial(QemuCmd *cmd, xmlNodePtr node)
{
    GString *opts = qemu_opts_new(cmd, "virtio-serial-pci");

    qemu_opts_add(cmd, opts, "id", "virtio-serial0");
    if (node) {
        guint ports = qemu_prop_uint(cmd, node, "ports", 0);
        if (ports)
            qemu_opts_addf(cmd, opts, "max_ports", "%u", ports);
        qemu_opts_add_pci_address_node(cmd, opts, node, "virtio-serial controller");
    }
    qemu_cmd_add(cmd, "-device", opts);
    cmd->has_virtio_serial = TRUE;
}

void
qemu_need_virtio_serial(QemuCmd *cmd)
{
    if (!cmd->has_virtio_serial)
        add_virtio_serial(cmd, NULL);
}

/* pci-root/pcie-root are the machine's own bus; bridges and root ports add bus pci.N. */
static void
add_pci_controller(QemuCmd *cmd, xmlNodePtr node, guint index, const char *model)
{
    static const char *const target_attrs[] = { "chassis", "port", "chassisNr", NULL };
    const char *root = cmd->q35 ? "pcie-root" : "pci-root";
    xmlNodePtr target = vb_xml_child(node, "target");
    GString *opts;

    if (index == 0) {
        if (g_strcmp0(model, root) != 0)
            qemu_cmd_unsupported(cmd, "PCI controller 0 must be of model '%s' on this machine type", root);
        return;
    }
    if (index >= 32 || (g_strcmp0(model, "pcie-root-port") != 0 && g_strcmp0(model, "pci-bridge") != 0) ||
        g_str_equal(model, "pcie-root-port") != cmd->q35) {
        qemu_cmd_unsupported(cmd, "PCI controller model '%s' (index %u) is not supported by the QEMU driver "
                             "yet on this machine type", model ? model : "", index);
        return;
    }
    if (!qemu_check_attrs(cmd, target, target_attrs, "<controller type='pci'>"))
        return;
    opts = qemu_opts_new(cmd, model);
    if (cmd->q35) {
        qemu_opts_addf(cmd, opts, "port", "0x%x", qemu_prop_uint(cmd, target, "port", 0x10 + index - 1));
        qemu_opts_addf(cmd, opts, "chassis", "%u", qemu_prop_uint(cmd, target, "chassis", index));
    } else {
        qemu_opts_addf(cmd, opts, "chassis_nr", "%u", qemu_prop_uint(cmd, target, "chassisNr", index));
    }
    qemu_opts_addf(cmd, opts, "id", "pci.%u", index);
    qemu_opts_add_pci_address_node(cmd, opts, node, "PCI controller");
    qemu_cmd_add(cmd, "-device", opts);
    cmd->pci_buses |= 1u << index;
}

void
qemu_build_controller(QemuCmd *cmd, const VbDeviceDef *dev)
{
    static const char *const attrs[] = { "type", "index", "model", "ports", NULL };
    static const char *const children[] = { "address", "alias", "target", "model", NULL };
    g_autoptr(xmlDoc) doc = qemu_device_doc(cmd, dev);
    xmlNodePtr node = doc ? xmlDocGetRootElement(doc) : NULL;
    g_autofree char *type = NULL;
    g_autofree char *model = NULL;
    guint index;

    if (!node || !qemu_check_attrs(cmd, node, attrs, "<controller>") ||
        !qemu_check_children(cmd, node, children, "<controller>"))
        return;
    type = vb_xml_prop(node, "type");
    model = vb_xml_prop(node, "model");
    index = qemu_prop_uint(cmd, node, "index", 0);
    if (g_strcmp0(type, "pci") == 0) {
        add_pci_controller(cmd, node, index, model);
        return;
    }
    if (vb_xml_child(node, "target") || vb_xml_child(node, "model") ||
        (xmlHasProp(node, BAD_CAST "ports") && g_strcmp0(type, "virtio-serial") != 0)) {
        qemu_cmd_unsupported(cmd, "%s", "<target>, <model> and ports of this controller are not supported by "
                             "the QEMU driver yet");
        return;
    }
    if (g_strcmp0(type, "usb") == 0 && index == 0) {
        if (g_strcmp0(model, "none") == 0)
            cmd->usb_disabled = TRUE;
        else
            add_usb_controller(cmd, model, node);
    } else if (g_strcmp0(type, "scsi") == 0 && (!model || g_str_equal(model, "virtio-scsi"))) {
        add_scsi_controller(cmd, index, node);
    } else if (g_strcmp0(type, "sata") == 0 && index == 0) {
        add_sata_controller(cmd, node);
    } else if (g_strcmp0(type, "ide") == 0 && index == 0 && !cmd->q35) {
        /* the PIIX3 IDE controller is part of the pc machine */
    } else if (g_strcmp0(type, "virtio-serial") == 0 && index == 0) {
        add_virtio_serial(cmd, node);
    } else {
        qemu_cmd_unsupported(cmd, "controller type '%s'%s%s (index %u) is not supported by the QEMU driver yet "
                             "on this machine type", type ? type : "", model ? " model " : "", model ? model : "",
                             index);
    }
}

/* ---- block nodes ---- */

typedef struct {
    gboolean set;
    gboolean direct, no_flush, write_cache;
} DiskCache;

static DiskCache
disk_cache(QemuCmd *cmd, const char *mode)
{
    static const struct { const char *mode; DiskCache cache; } map[] = {
        { "none", { TRUE, TRUE, FALSE, TRUE } },
        { "writeback", { TRUE, FALSE, FALSE, TRUE } },
        { "writethrough", { TRUE, FALSE, FALSE, FALSE } },
        { "directsync", { TRUE, TRUE, FALSE, FALSE } },
        { "unsafe", { TRUE, FALSE, TRUE, TRUE } },
    };
    DiskCache none = { 0 };

    for (gsize i = 0; mode && i < G_N_ELEMENTS(map); i++) {
        if (g_str_equal(mode, map[i].mode))
            return map[i].cache;
    }
    if (mode)
        qemu_cmd_unsupported(cmd, "disk cache mode '%s' is not supported by the QEMU driver yet", mode);
    return none;
}

static void
json_add_cache(JsonObject *obj, const DiskCache *cache)
{
    JsonObject *inner;

    if (!cache->set)
        return;
    inner = json_object_new();
    json_object_set_boolean_member(inner, "direct", cache->direct);
    json_object_set_boolean_member(inner, "no-flush", cache->no_flush);
    json_object_set_object_member(obj, "cache", inner);
}

typedef struct {
    const char *driver;      /* file | host_device | host_cdrom */
    const char *path;
    const char *format;      /* raw | qcow2 */
    gboolean readonly;
    DiskCache cache;
    const char *aio;
    const char *discard;
} BlockNodes;

/* The pair of -blockdev options for @prefix ("libvirt-1"): "<prefix>-storage" opens the
 * file, "<prefix>-format" reads the image format on top of it. */
static void
add_blockdevs(QemuCmd *cmd, const char *prefix, const BlockNodes *nodes)
{
    g_autofree char *storage_name = g_strdup_printf("%s-storage", prefix);
    g_autofree char *format_name = g_strdup_printf("%s-format", prefix);
    JsonObject *storage = json_object_new();
    JsonObject *format = json_object_new();

    if (!qemu_check_path(cmd, "disk source", nodes->path)) {
        json_object_unref(storage);
        json_object_unref(format);
        return;
    }
    json_object_set_string_member(storage, "driver", nodes->driver);
    qemu_json_set_string(cmd, storage, "filename", nodes->path);
    json_object_set_string_member(storage, "node-name", storage_name);
    json_object_set_boolean_member(storage, "auto-read-only", TRUE);
    if (nodes->aio)
        json_object_set_string_member(storage, "aio", nodes->aio);
    if (nodes->discard)
        json_object_set_string_member(storage, "discard", nodes->discard);
    json_add_cache(storage, &nodes->cache);
    qemu_cmd_add_json(cmd, "-blockdev", storage);

    json_object_set_string_member(format, "node-name", format_name);
    json_object_set_boolean_member(format, "read-only", nodes->readonly);
    if (nodes->discard)
        json_object_set_string_member(format, "discard", nodes->discard);
    json_add_cache(format, &nodes->cache);
    json_object_set_string_member(format, "driver", nodes->format);
    json_object_set_string_member(format, "file", storage_name);
    qemu_cmd_add_json(cmd, "-blockdev", format);
}

void
qemu_build_pflash(QemuCmd *cmd, guint unit, const char *path, gboolean readonly)
{
    g_autofree char *prefix = g_strdup_printf("libvirt-pflash%u", unit);
    BlockNodes nodes = { .driver = "file", .path = path, .format = "raw", .readonly = readonly };

    add_blockdevs(cmd, prefix, &nodes);
}

/* ---- disks ---- */

/* libvirt's virDiskNameToIndex: the letters after the prefix, base 26 (sda=0, sdaa=26). */
static guint
disk_name_index(const char *name)
{
    static const char *const prefixes[] = { "xvd", "ubd", "hd", "sd", "vd", "fd", NULL };
    const char *p = name;
    guint index = 0;

    for (guint i = 0; prefixes[i]; i++) {
        if (g_str_has_prefix(name, prefixes[i])) {
            p = name + strlen(prefixes[i]);
            break;
        }
    }
    for (guint i = 0; g_ascii_islower(p[i]) && index < 1000000; i++)
        index = (index + (i ? 1 : 0)) * 26 + (guint)(p[i] - 'a');
    return index;
}

typedef struct {
    gboolean given;
    guint controller, bus, target, unit;
} DriveAddress;

static guint
attr_uint(QemuCmd *cmd, GPtrArray *attrs, const char *name)
{
    for (guint i = 0; attrs && i + 1 < attrs->len; i += 2) {
        if (g_str_equal(g_ptr_array_index(attrs, i), name)) {
            const char *text = g_ptr_array_index(attrs, i + 1);
            guint64 value = 0;
            if (!vb_parse_ull(text, &value) || value > 1024)
                qemu_cmd_unsupported(cmd, "invalid drive address %s='%s'", name, text);
            return (guint)value;
        }
    }
    return 0;
}

/* A <address type='drive'> when given, else placed from the target name like libvirt. */
static DriveAddress
disk_drive_address(QemuCmd *cmd, const VbDiskDef *disk, guint per_bus, guint per_controller)
{
    DriveAddress addr = { 0 };
    guint index = disk_name_index(disk->target_dev);

    if (disk->address.type && g_str_equal(disk->address.type, "drive")) {
        addr.given = TRUE;
        addr.controller = attr_uint(cmd, disk->address.attrs, "controller");
        addr.bus = attr_uint(cmd, disk->address.attrs, "bus");
        addr.target = attr_uint(cmd, disk->address.attrs, "target");
        addr.unit = attr_uint(cmd, disk->address.attrs, "unit");
        return addr;
    }
    if (disk->address.type) {
        qemu_cmd_unsupported(cmd, "disk '%s': address type '%s' does not fit bus '%s'", disk->target_dev,
                             disk->address.type, disk->target_bus);
        return addr;
    }
    addr.controller = index / per_controller;
    addr.bus = (index % per_controller) / per_bus;
    addr.unit = index % per_bus;
    return addr;
}

static void
disk_check_modelled(QemuCmd *cmd, const VbDiskDef *disk)
{
    const char *dev = disk->target_dev;

    if (!g_str_equal(disk->type, "file") && !g_str_equal(disk->type, "block"))
        qemu_cmd_unsupported(cmd, "disk '%s': source type '%s' is not supported by the QEMU driver yet", dev,
                             disk->type);
    else if (!g_str_equal(disk->device, "disk") && !g_str_equal(disk->device, "cdrom"))
        qemu_cmd_unsupported(cmd, "disk '%s': device '%s' is not supported by the QEMU driver yet", dev,
                             disk->device);
    else if (disk->attrs && disk->attrs->len)
        qemu_cmd_unsupported(cmd, "disk '%s': attribute '%s' is not supported by the QEMU driver yet", dev,
                             (const char *)g_ptr_array_index(disk->attrs, 0));
    else if (disk->driver_name && !g_str_equal(disk->driver_name, "qemu"))
        qemu_cmd_unsupported(cmd, "disk '%s': driver '%s' is not supported by the QEMU driver", dev,
                             disk->driver_name);
    else if (disk->driver_type && !g_str_equal(disk->driver_type, "raw") && !g_str_equal(disk->driver_type, "qcow2"))
        qemu_cmd_unsupported(cmd, "disk '%s': image format '%s' is not supported by the QEMU driver yet "
                             "(raw, qcow2)", dev, disk->driver_type);
    else if (disk->driver_extra && disk->driver_extra->len)
        qemu_cmd_unsupported(cmd, "disk '%s': driver attribute '%s' is not supported by the QEMU driver yet", dev,
                             (const char *)g_ptr_array_index(disk->driver_extra, 0));
    else if ((disk->source_attrs && disk->source_attrs->len) || disk->source_extra_xml)
        qemu_cmd_unsupported(cmd, "disk '%s': <source> %s are not supported by the QEMU driver yet", dev,
                             disk->source_extra_xml ? "child elements" : "attributes other than the path");
    else if (disk->extras && disk->extras->len > (vb_disk_def_get_extra(disk, "iotune") ? 1u : 0u))
        qemu_cmd_unsupported(cmd, "disk '%s': elements such as <encryption>, <backingStore> or <blockio> are "
                             "not supported by the QEMU driver yet", dev);
    else if (cmd->node_prefix && vb_disk_def_get_extra(disk, "iotune"))
        qemu_cmd_unsupported(cmd, "disk '%s': <iotune> of a disk being plugged in is not supported yet; "
                             "SetBlockIoTune sets it once the disk is in", dev);
    else if (!disk->source_file && !g_str_equal(disk->device, "cdrom"))
        qemu_cmd_unsupported(cmd, "disk '%s' has no source", dev);
    else if (g_strcmp0(disk->driver_io, "native") == 0 && g_strcmp0(disk->driver_cache, "none") != 0 &&
             g_strcmp0(disk->driver_cache, "directsync") != 0)
        qemu_cmd_unsupported(cmd, "disk '%s': io='native' needs cache 'none' or 'directsync'", dev);
    for (guint i = 0; disk->target_attrs && i + 1 < disk->target_attrs->len && !qemu_cmd_failed(cmd); i += 2) {
        const char *name = g_ptr_array_index(disk->target_attrs, i);
        const char *value = g_ptr_array_index(disk->target_attrs, i + 1);
        if (!g_str_equal(name, "tray") || !g_str_equal(value, "closed"))
            qemu_cmd_unsupported(cmd, "disk '%s': target %s='%s' is not supported by the QEMU driver yet", dev,
                                 name, value);
    }
}

static void
ensure_scsi_controller(QemuCmd *cmd, guint index)
{
    if (index < 32 && (cmd->scsi_controllers & (1u << index)))
        return;
    add_scsi_controller(cmd, index, NULL);
}

/* The -device for @disk on its bus, without drive= and the common properties. */
static GString *
disk_device_opts(QemuCmd *cmd, const VbDiskDef *disk, gboolean cdrom, char **id)
{
    const char *bus = disk->target_bus;
    guint index = disk_name_index(disk->target_dev);
    GString *opts = NULL;
    DriveAddress addr;

    if (g_str_equal(bus, "virtio") && !cdrom) {
        opts = qemu_opts_new(cmd, "virtio-blk-pci");
        qemu_opts_add_pci_address(cmd, opts, &disk->address, "disk");
        *id = g_strdup_printf("virtio-disk%u", index);
    } else if (g_str_equal(bus, "ide") && !cmd->q35) {
        addr = disk_drive_address(cmd, disk, 2, 4);
        if (addr.controller != 0 || addr.bus > 1 || addr.unit > 1 || addr.target != 0)
            qemu_cmd_unsupported(cmd, "disk '%s' does not fit the two IDE buses", disk->target_dev);
        opts = qemu_opts_new(cmd, cdrom ? "ide-cd" : "ide-hd");
        qemu_opts_addf(cmd, opts, "bus", "ide.%u", addr.bus);
        qemu_opts_addf(cmd, opts, "unit", "%u", addr.unit);
        *id = g_strdup_printf("ide0-%u-%u", addr.bus, addr.unit);
    } else if (g_str_equal(bus, "sata")) {
        addr = disk_drive_address(cmd, disk, 1, 6);
        if (!addr.given) {
            addr.unit = addr.bus;
            addr.bus = 0;
        }
        if (addr.controller != 0 || addr.bus != 0 || addr.unit > 5 || addr.target != 0)
            qemu_cmd_unsupported(cmd, "disk '%s' does not fit the six SATA ports", disk->target_dev);
        add_sata_controller(cmd, NULL);
        opts = qemu_opts_new(cmd, cdrom ? "ide-cd" : "ide-hd");
        qemu_opts_addf(cmd, opts, "bus", "%s.%u", cmd->q35 ? "ide" : "sata0", addr.unit);
        *id = g_strdup_printf("sata0-0-%u", addr.unit);
    } else if (g_str_equal(bus, "scsi")) {
        addr = disk_drive_address(cmd, disk, 7, 7);
        if (addr.bus != 0 || addr.target > 255 || addr.unit > 16383)
            qemu_cmd_unsupported(cmd, "disk '%s' does not fit a virtio-scsi controller", disk->target_dev);
        ensure_scsi_controller(cmd, addr.controller);
        opts = qemu_opts_new(cmd, cdrom ? "scsi-cd" : "scsi-hd");
        qemu_opts_addf(cmd, opts, "bus", "scsi%u.0", addr.controller);
        qemu_opts_add(cmd, opts, "channel", "0");
        qemu_opts_addf(cmd, opts, "scsi-id", "%u", addr.target);
        qemu_opts_addf(cmd, opts, "lun", "%u", addr.unit);
        *id = g_strdup_printf("scsi%u-0-%u-%u", addr.controller, addr.target, addr.unit);
    } else if (g_str_equal(bus, "usb") && !cdrom) {
        qemu_need_usb(cmd, "a USB disk");
        opts = qemu_opts_new(cmd, "usb-storage");
        *id = g_strdup_printf("usb-disk%u", index);
    } else {
        qemu_cmd_unsupported(cmd, "disk '%s': %s on bus '%s' is not supported by the QEMU driver yet%s",
                             disk->target_dev, disk->device, bus,
                             cmd->q35 && g_str_equal(bus, "ide") ? " (q35 has SATA, not IDE)" : "");
    }
    if (opts && !g_str_equal(bus, "virtio") && disk->address.type &&
        !g_str_equal(disk->address.type, "drive"))
        qemu_cmd_unsupported(cmd, "disk '%s': address type '%s' does not fit bus '%s'", disk->target_dev,
                             disk->address.type, bus);
    return opts;
}

void
qemu_build_disk(QemuCmd *cmd, const VbDiskDef *disk)
{
    gboolean cdrom = g_str_equal(disk->device, "cdrom");
    g_autofree char *prefix = cmd->node_prefix ? g_strdup(cmd->node_prefix) : g_strdup_printf("libvirt-%u", ++cmd->disks);
    g_autofree char *format_node = g_strdup_printf("%s-format", prefix);
    g_autofree char *id = NULL;
    BlockNodes nodes = { 0 };
    GString *opts;

    disk_check_modelled(cmd, disk);
    if (qemu_cmd_failed(cmd))
        return;
    if (disk->readonly && !cdrom && (g_str_equal(disk->target_bus, "ide") || g_str_equal(disk->target_bus, "sata"))) {
        qemu_cmd_unsupported(cmd, "disk '%s': read-only IDE/SATA disks are not supported by QEMU", disk->target_dev);
        return;
    }
    nodes.driver = g_str_equal(disk->type, "block") ? (cdrom ? "host_cdrom" : "host_device") : "file";
    nodes.path = disk->source_file;
    nodes.format = disk->driver_type ? disk->driver_type : "raw";
    nodes.readonly = disk->readonly || cdrom;
    nodes.cache = disk_cache(cmd, disk->driver_cache);
    nodes.aio = disk->driver_io;
    nodes.discard = disk->driver_discard;
    if (disk->source_file)
        add_blockdevs(cmd, prefix, &nodes);
    if (!(opts = disk_device_opts(cmd, disk, cdrom, &id)))
        return;
    if (disk->source_file)
        qemu_opts_add(cmd, opts, "drive", format_node);
    if (disk->alias && g_str_has_prefix(disk->alias, "ua-")) {
        g_free(id);
        id = g_strdup(disk->alias);
    }
    qemu_opts_add(cmd, opts, "id", id);
    g_free(cmd->last_id);
    cmd->last_id = g_steal_pointer(&id);
    if (disk->boot_order)
        qemu_opts_addf(cmd, opts, "bootindex", "%u", disk->boot_order);
    qemu_opts_add(cmd, opts, "serial", disk->serial);
    if (disk->shareable)
        qemu_opts_add(cmd, opts, "share-rw", "on");
    if (nodes.cache.set)
        qemu_opts_add(cmd, opts, "write-cache", nodes.cache.write_cache ? "on" : "off");
    qemu_cmd_add(cmd, "-device", opts);
}
