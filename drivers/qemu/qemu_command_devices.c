/* qemu_command_devices.c: every device but disks and controllers: network interfaces,
 * host devices, character devices (serial, console, channel), graphics, video, input,
 * balloon, RNG, watchdog and panic. */
#include "config.h"

#include <string.h>

#include "drivers/qemu/qemu_command_priv.h"

/* ---- network interfaces ---- */

static const char *
net_model_driver(const char *model)
{
    static const char *const map[][2] = {
        { "virtio", "virtio-net-pci" }, { "e1000", "e1000" }, { "e1000e", "e1000e" }, { "rtl8139", "rtl8139" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(map); i++) {
        if (g_str_equal(model, map[i][0]))
            return map[i][1];
    }
    return NULL;
}

static void
net_check_modelled(QemuCmd *cmd, const VbNetDef *net)
{
    static const char *const source_attrs[] = { "bridge", "network", NULL };
    static const char *const types[] = { "user", "bridge", "network", "ethernet", NULL };

    if (!g_strv_contains(types, net->type))
        qemu_cmd_unsupported(cmd, "interface type '%s' is not supported by the QEMU driver yet", net->type);
    else if (net->attrs && net->attrs->len)
        qemu_cmd_unsupported(cmd, "interface %s: attribute '%s' is not supported by the QEMU driver yet", net->mac,
                             (const char *)g_ptr_array_index(net->attrs, 0));
    else if (net->source_xml || net->driver_xml || (net->extras && net->extras->len))
        qemu_cmd_unsupported(cmd, "interface %s: elements such as <bandwidth>, <vlan>, <virtualport>, "
                             "<filterref> or <driver> children are not supported by the QEMU driver yet", net->mac);
    else if (net->target_attrs && net->target_attrs->len)
        qemu_cmd_unsupported(cmd, "interface %s: target attribute '%s' is not supported by the QEMU driver yet",
                             net->mac, (const char *)g_ptr_array_index(net->target_attrs, 0));
    for (guint i = 0; net->source_attrs && i + 1 < net->source_attrs->len && !qemu_cmd_failed(cmd); i += 2) {
        const char *name = g_ptr_array_index(net->source_attrs, i);
        if (!g_strv_contains(source_attrs, name))
            qemu_cmd_unsupported(cmd, "interface %s: source attribute '%s' is not supported by the QEMU driver "
                                 "yet", net->mac, name);
    }
    for (guint i = 0; net->driver_attrs && i + 1 < net->driver_attrs->len && !qemu_cmd_failed(cmd); i += 2) {
        const char *name = g_ptr_array_index(net->driver_attrs, i);
        const char *value = g_ptr_array_index(net->driver_attrs, i + 1);
        if (!g_str_equal(name, "name") || !g_str_equal(value, "qemu"))
            qemu_cmd_unsupported(cmd, "interface %s: driver %s='%s' is not supported by the QEMU driver yet",
                                 net->mac, name, value);
    }
}

/* The backend: user networking in QEMU, or a tap device the driver opened and passes down. */
static void
add_netdev(QemuCmd *cmd, const VbNetDef *net, guint index, const char *netdev_id)
{
    GString *opts;
    int fd = -1;

    if (g_str_equal(net->type, "user")) {
        opts = qemu_opts_new(cmd, "user");
    } else if (g_str_equal(net->type, "bridge") || g_str_equal(net->type, "network") ||
               g_str_equal(net->type, "ethernet")) {
        if (index < cmd->config->n_tap_fds)
            fd = cmd->config->tap_fds[index];
        if (fd < 0) {
            if (!cmd->error)
                vb_set_error(&cmd->error, VB_ERR_INTERNAL_ERROR, "no tap device was opened for interface %s",
                             net->mac);
            return;
        }
        opts = qemu_opts_new(cmd, "tap");
        qemu_opts_addf(cmd, opts, "fd", "%d", fd);
    } else {
        qemu_cmd_unsupported(cmd, "interface type '%s' is not supported by the QEMU driver yet", net->type);
        return;
    }
    qemu_opts_add(cmd, opts, "id", netdev_id);
    qemu_cmd_add(cmd, "-netdev", opts);
}

void
qemu_build_net(QemuCmd *cmd, const VbNetDef *net)
{
    guint index = cmd->nets++;
    g_autofree char *id = qemu_device_id(NULL, net->alias, "net", index);
    g_autofree char *netdev_id = g_strconcat("host", id, NULL);
    const char *model = net->model ? net->model : "rtl8139";   /* libvirt's default on x86 */
    const char *driver = net_model_driver(model);
    GString *opts;

    net_check_modelled(cmd, net);
    if (!driver)
        qemu_cmd_unsupported(cmd, "interface %s: model '%s' is not supported by the QEMU driver yet", net->mac,
                             model);
    if (net->mtu && !g_str_equal(model, "virtio"))
        qemu_cmd_unsupported(cmd, "interface %s: setting the MTU needs model 'virtio'", net->mac);
    if (qemu_cmd_failed(cmd))
        return;
    add_netdev(cmd, net, index, netdev_id);
    opts = qemu_opts_new(cmd, driver);
    qemu_opts_add(cmd, opts, "netdev", netdev_id);
    qemu_opts_add(cmd, opts, "id", id);
    qemu_opts_add(cmd, opts, "mac", net->mac);
    if (net->mtu)
        qemu_opts_addf(cmd, opts, "host_mtu", "%u", net->mtu);
    if (net->boot_order)
        qemu_opts_addf(cmd, opts, "bootindex", "%u", net->boot_order);
    qemu_opts_add_pci_address(cmd, opts, &net->address, "interface");
    qemu_cmd_add(cmd, "-device", opts);
    g_free(cmd->last_id);
    cmd->last_id = g_steal_pointer(&id);
}

/* ---- host devices ---- */

static void
hostdev_add_pci(QemuCmd *cmd, GString *opts, xmlNodePtr source)
{
    static const char *const attrs[] = { "domain", "bus", "slot", "function", NULL };
    static const char *const children[] = { "address", NULL };
    xmlNodePtr addr = vb_xml_child(source, "address");

    if (!addr) {
        qemu_cmd_unsupported(cmd, "%s", "a PCI host device needs a source <address>");
        return;
    }
    if (!qemu_check_children(cmd, source, children, "<hostdev>") ||
        !qemu_check_attrs(cmd, addr, attrs, "<hostdev> source"))
        return;
    qemu_opts_addf(cmd, opts, "host", "%04x:%02x:%02x.%x", qemu_prop_uint(cmd, addr, "domain", 0),
                   qemu_prop_uint(cmd, addr, "bus", 0), qemu_prop_uint(cmd, addr, "slot", 0),
                   qemu_prop_uint(cmd, addr, "function", 0));
}

/* A USB device by position (bus/device) or by identity (vendor/product). */
static void
hostdev_add_usb(QemuCmd *cmd, GString *opts, xmlNodePtr source)
{
    static const char *const children[] = { "vendor", "product", "address", NULL };
    static const char *const id_attrs[] = { "id", NULL };
    static const char *const addr_attrs[] = { "bus", "device", NULL };
    xmlNodePtr vendor = vb_xml_child(source, "vendor");
    xmlNodePtr product = vb_xml_child(source, "product");
    xmlNodePtr addr = vb_xml_child(source, "address");

    if (!qemu_check_children(cmd, source, children, "<hostdev>") ||
        !qemu_check_attrs(cmd, vendor, id_attrs, "<hostdev> source") ||
        !qemu_check_attrs(cmd, product, id_attrs, "<hostdev> source") ||
        !qemu_check_attrs(cmd, addr, addr_attrs, "<hostdev> source"))
        return;
    if (!addr && (!vendor || !product)) {
        qemu_cmd_unsupported(cmd, "%s", "a USB host device needs a source <vendor> and <product>, or an <address>");
        return;
    }
    if (addr) {
        qemu_opts_addf(cmd, opts, "hostbus", "%u", qemu_prop_uint(cmd, addr, "bus", 0));
        qemu_opts_addf(cmd, opts, "hostaddr", "%u", qemu_prop_uint(cmd, addr, "device", 0));
    }
    if (vendor && product) {
        qemu_opts_addf(cmd, opts, "vendorid", "0x%04x", qemu_prop_uint(cmd, vendor, "id", 0));
        qemu_opts_addf(cmd, opts, "productid", "0x%04x", qemu_prop_uint(cmd, product, "id", 0));
    }
}

/* Binding the device to vfio (managed='yes') is the driver's job before start. */
void
qemu_build_hostdev(QemuCmd *cmd, const VbDeviceDef *dev)
{
    static const char *const attrs[] = { "mode", "type", "managed", NULL };
    static const char *const children[] = { "source", "address", "boot", "alias", NULL };
    g_autoptr(xmlDoc) doc = qemu_device_doc(cmd, dev);
    xmlNodePtr node = doc ? xmlDocGetRootElement(doc) : NULL;
    g_autofree char *mode = NULL;
    g_autofree char *type = NULL;
    g_autofree char *id = NULL;
    GString *opts;

    if (!node || !qemu_check_attrs(cmd, node, attrs, "<hostdev>") ||
        !qemu_check_children(cmd, node, children, "<hostdev>"))
        return;
    mode = vb_xml_prop(node, "mode");
    type = vb_xml_prop(node, "type");
    id = qemu_device_id(node, NULL, "hostdev", cmd->hostdevs++);
    if (g_strcmp0(mode, "capabilities") == 0 || (g_strcmp0(type, "pci") != 0 && g_strcmp0(type, "usb") != 0)) {
        qemu_cmd_unsupported(cmd, "host device mode '%s' type '%s' is not supported by the QEMU driver yet",
                             mode ? mode : "subsystem", type ? type : "");
        return;
    }
    if (g_str_equal(type, "usb"))
        qemu_need_usb(cmd, "a USB host device");
    opts = qemu_opts_new(cmd, g_str_equal(type, "pci") ? "vfio-pci" : "usb-host");
    if (g_str_equal(type, "pci")) {
        hostdev_add_pci(cmd, opts, vb_xml_child(node, "source"));
        qemu_opts_add(cmd, opts, "id", id);
        qemu_opts_add_boot_node(cmd, opts, node);
        qemu_opts_add_pci_address_node(cmd, opts, node, "host device");
    } else {
        hostdev_add_usb(cmd, opts, vb_xml_child(node, "source"));
        qemu_opts_add(cmd, opts, "id", id);
        qemu_opts_add_boot_node(cmd, opts, node);
        if (vb_xml_child(node, "address"))
            qemu_cmd_unsupported(cmd, "%s", "a guest <address> for a USB host device is not supported by the "
                                 "QEMU driver yet");
    }
    qemu_cmd_add(cmd, "-device", opts);
}

/* ---- character devices ---- */

/* -chardev for the source of a <serial>, <console> or <channel>; a unix socket without a
 * path gets @default_path. */
static gboolean
add_chardev(QemuCmd *cmd, xmlNodePtr dev, const char *id, const char *default_path)
{
    static const char *const source_attrs[] = { "path", "mode", "append", NULL };
    g_autofree char *type = vb_xml_prop(dev, "type");
    xmlNodePtr source = vb_xml_child(dev, "source");
    g_autofree char *path = source ? vb_xml_prop(source, "path") : NULL;
    g_autofree char *mode = source ? vb_xml_prop(source, "mode") : NULL;
    g_autofree char *append = source ? vb_xml_prop(source, "append") : NULL;
    const char *where = (const char *)dev->name;
    GString *opts;

    if (!qemu_check_attrs(cmd, source, source_attrs, where) || (source && vb_xml_next(source, "source")) ||
        (source && vb_xml_child(source, NULL))) {
        qemu_cmd_unsupported(cmd, "<%s>: this <source> is not supported by the QEMU driver yet", where);
        return FALSE;
    }
    if (!type)
        type = g_strdup("pty");
    if (g_str_equal(type, "pty") || g_str_equal(type, "null")) {
        opts = qemu_opts_new(cmd, type);
        qemu_opts_add(cmd, opts, "id", id);
    } else if (g_str_equal(type, "file") && path) {
        opts = qemu_opts_new(cmd, "file");
        qemu_opts_add(cmd, opts, "id", id);
        qemu_opts_add(cmd, opts, "path", path);
        if (append)
            qemu_opts_add(cmd, opts, "append", g_str_equal(append, "on") ? "on" : "off");
    } else if (g_str_equal(type, "unix") && (path || default_path)) {
        opts = qemu_opts_new(cmd, "socket");
        qemu_opts_add(cmd, opts, "id", id);
        qemu_opts_add(cmd, opts, "path", path ? path : default_path);
        if (g_strcmp0(mode, "connect") == 0) {
            qemu_opts_add(cmd, opts, "server", "off");
        } else {
            qemu_opts_add(cmd, opts, "server", "on");
            qemu_opts_add(cmd, opts, "wait", "off");
        }
    } else if (g_str_equal(type, "spicevmc") && g_str_equal(where, "channel") && cmd->spice) {
        opts = qemu_opts_new(cmd, "spicevmc");
        qemu_opts_add(cmd, opts, "id", id);
        qemu_opts_add(cmd, opts, "name", "vdagent");
    } else {
        qemu_cmd_unsupported(cmd, "<%s type='%s'>%s is not supported by the QEMU driver yet", where, type,
                             g_str_equal(type, "file") || g_str_equal(type, "unix") ? " without a path" :
                             g_str_equal(type, "spicevmc") ? " without SPICE graphics" : "");
        return FALSE;
    }
    if (append && !g_str_equal(type, "file"))
        qemu_cmd_unsupported(cmd, "<%s>: append is only for type 'file'", where);
    qemu_cmd_add(cmd, "-chardev", opts);
    return !qemu_cmd_failed(cmd);
}

static gboolean
chardev_check(QemuCmd *cmd, xmlNodePtr node, const char *const *target_attrs, const char *const *target_children)
{
    static const char *const attrs[] = { "type", NULL };
    static const char *const children[] = { "source", "target", "alias", "address", NULL };
    const char *where = node ? (const char *)node->name : "";
    xmlNodePtr target = node ? vb_xml_child(node, "target") : NULL;

    return node && qemu_check_attrs(cmd, node, attrs, where) && qemu_check_children(cmd, node, children, where) &&
           qemu_check_attrs(cmd, target, target_attrs, where) &&
           qemu_check_children(cmd, target, target_children, where);
}

static void
add_isa_serial(QemuCmd *cmd, xmlNodePtr node)
{
    xmlNodePtr target = vb_xml_child(node, "target");
    xmlNodePtr model = vb_xml_child(target, "model");
    g_autofree char *target_type = target ? vb_xml_prop(target, "type") : NULL;
    g_autofree char *model_name = model ? vb_xml_prop(model, "name") : NULL;
    guint port = qemu_prop_uint(cmd, target, "port", cmd->serials);
    g_autofree char *id = qemu_device_id(node, NULL, "serial", port);
    g_autofree char *chardev = g_strconcat("char", id, NULL);
    GString *opts;

    if ((target_type && !g_str_equal(target_type, "isa-serial") && !g_str_equal(target_type, "serial")) ||
        (model_name && !g_str_equal(model_name, "isa-serial")) || port > 3) {
        qemu_cmd_unsupported(cmd, "serial port %u: only isa-serial ports 0-3 are supported by the QEMU driver yet",
                             port);
        return;
    }
    if (vb_xml_child(node, "address")) {
        qemu_cmd_unsupported(cmd, "%s", "an <address> for a serial port is not supported by the QEMU driver yet");
        return;
    }
    if (cmd->serial_ports & (1u << port)) {
        qemu_cmd_unsupported(cmd, "serial port %u is used twice", port);
        return;
    }
    cmd->serial_ports |= 1u << port;
    cmd->serials++;
    if (!add_chardev(cmd, node, chardev, NULL))
        return;
    opts = qemu_opts_new(cmd, "isa-serial");
    qemu_opts_add(cmd, opts, "chardev", chardev);
    qemu_opts_add(cmd, opts, "id", id);
    qemu_opts_addf(cmd, opts, "index", "%u", port);
    qemu_cmd_add(cmd, "-device", opts);
}

void
qemu_build_serial(QemuCmd *cmd, const VbDeviceDef *dev)
{
    static const char *const target_attrs[] = { "type", "port", NULL };
    static const char *const target_children[] = { "model", NULL };
    g_autoptr(xmlDoc) doc = qemu_device_doc(cmd, dev);
    xmlNodePtr node = doc ? xmlDocGetRootElement(doc) : NULL;

    if (chardev_check(cmd, node, target_attrs, target_children))
        add_isa_serial(cmd, node);
}

/* A serial console is the first serial port itself (libvirt lists it twice); a virtio
 * console is a virtconsole port. */
void
qemu_build_console(QemuCmd *cmd, const VbDeviceDef *dev)
{
    static const char *const target_attrs[] = { "type", "port", NULL };
    static const char *const no_children[] = { NULL };
    g_autoptr(xmlDoc) doc = qemu_device_doc(cmd, dev);
    xmlNodePtr node = doc ? xmlDocGetRootElement(doc) : NULL;
    xmlNodePtr target = node ? vb_xml_child(node, "target") : NULL;
    g_autofree char *type = target ? vb_xml_prop(target, "type") : NULL;
    g_autofree char *id = NULL;
    g_autofree char *chardev = NULL;
    GString *opts;

    if (!chardev_check(cmd, node, target_attrs, no_children))
        return;
    if (!type || g_str_equal(type, "serial")) {
        if (vb_domain_def_count_devices(cmd->def, VB_DEVICE_SERIAL) == 0)
            add_isa_serial(cmd, node);
        return;
    }
    if (!g_str_equal(type, "virtio")) {
        qemu_cmd_unsupported(cmd, "console target type '%s' is not supported by the QEMU driver yet", type);
        return;
    }
    id = qemu_device_id(node, NULL, "console", cmd->consoles++);
    chardev = g_strconcat("char", id, NULL);
    qemu_need_virtio_serial(cmd);
    if (!add_chardev(cmd, node, chardev, NULL))
        return;
    opts = qemu_opts_new(cmd, "virtconsole");
    qemu_opts_add(cmd, opts, "chardev", chardev);
    qemu_opts_add(cmd, opts, "id", id);
    qemu_cmd_add(cmd, "-device", opts);
}

/* A virtio-serial port; the guest agent's is named org.qemu.guest_agent.0. */
void
qemu_build_channel(QemuCmd *cmd, const VbDeviceDef *dev)
{
    static const char *const target_attrs[] = { "type", "name", "state", NULL };
    static const char *const no_children[] = { NULL };
    static const char *const addr_attrs[] = { "type", "controller", "bus", "port", NULL };
    g_autoptr(xmlDoc) doc = qemu_device_doc(cmd, dev);
    xmlNodePtr node = doc ? xmlDocGetRootElement(doc) : NULL;
    xmlNodePtr target = node ? vb_xml_child(node, "target") : NULL;
    xmlNodePtr addr = node ? vb_xml_child(node, "address") : NULL;
    g_autofree char *type = target ? vb_xml_prop(target, "type") : NULL;
    g_autofree char *name = target ? vb_xml_prop(target, "name") : NULL;
    g_autofree char *addr_type = addr ? vb_xml_prop(addr, "type") : NULL;
    g_autofree char *default_path = NULL;
    g_autofree char *id = NULL;
    g_autofree char *chardev = NULL;
    GString *opts;

    if (!chardev_check(cmd, node, target_attrs, no_children) ||
        !qemu_check_attrs(cmd, addr, addr_attrs, "<channel>"))
        return;
    if (g_strcmp0(type, "virtio") != 0 || (addr && g_strcmp0(addr_type, "virtio-serial") != 0) ||
        qemu_prop_uint(cmd, addr, "controller", 0) != 0 || qemu_prop_uint(cmd, addr, "bus", 0) != 0) {
        qemu_cmd_unsupported(cmd, "channel target type '%s' is not supported by the QEMU driver yet (virtio on "
                             "virtio-serial controller 0)", type ? type : "");
        return;
    }
    if (addr && qemu_prop_uint(cmd, addr, "port", 0) == 0) {
        qemu_cmd_unsupported(cmd, "%s", "virtio-serial port 0 is reserved for a console");
        return;
    }
    if (name && cmd->config->channel_dir)
        default_path = g_build_filename(cmd->config->channel_dir, name, NULL);
    id = qemu_device_id(node, NULL, "channel", cmd->channels++);
    chardev = g_strconcat("char", id, NULL);
    qemu_need_virtio_serial(cmd);
    if (!add_chardev(cmd, node, chardev, default_path))
        return;
    opts = qemu_opts_new(cmd, "virtserialport");
    qemu_opts_add(cmd, opts, "bus", "virtio-serial0.0");
    if (addr)
        qemu_opts_addf(cmd, opts, "nr", "%u", qemu_prop_uint(cmd, addr, "port", 0));
    qemu_opts_add(cmd, opts, "chardev", chardev);
    qemu_opts_add(cmd, opts, "id", id);
    qemu_opts_add(cmd, opts, "name", name);
    qemu_cmd_add(cmd, "-device", opts);
}

/* ---- graphics ---- */

typedef struct {
    char *address;           /* NULL: none given */
    char *socket;
    gboolean none;
} GraphicsListen;

static void
graphics_listen_clear(GraphicsListen *listen)
{
    g_free(listen->address);
    g_free(listen->socket);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(GraphicsListen, graphics_listen_clear)

static void
parse_listen(QemuCmd *cmd, xmlNodePtr node, GraphicsListen *listen)
{
    static const char *const listen_attrs[] = { "type", "address", "socket", NULL };
    xmlNodePtr child = vb_xml_child(node, "listen");
    g_autofree char *type = child ? vb_xml_prop(child, "type") : NULL;

    listen->address = vb_xml_prop(node, "listen");
    listen->socket = vb_xml_prop(node, "socket");
    if (!child)
        return;
    if (vb_xml_next(child, "listen") || !qemu_check_attrs(cmd, child, listen_attrs, "<graphics>")) {
        qemu_cmd_unsupported(cmd, "%s", "more than one <listen> is not supported by the QEMU driver yet");
        return;
    }
    if (g_strcmp0(type, "address") == 0) {
        g_free(listen->address);
        listen->address = vb_xml_prop(child, "address");
    } else if (g_strcmp0(type, "socket") == 0) {
        g_free(listen->socket);
        listen->socket = vb_xml_prop(child, "socket");
    } else if (g_strcmp0(type, "none") == 0) {
        listen->none = TRUE;
    } else {
        qemu_cmd_unsupported(cmd, "<listen type='%s'> is not supported by the QEMU driver yet", type ? type : "");
    }
}

/* A TCP port: the explicit one, or 0 when QEMU or the driver choose (autoport). */
static guint
graphics_port(QemuCmd *cmd, xmlNodePtr node)
{
    g_autofree char *autoport = vb_xml_prop(node, "autoport");
    g_autofree char *port = vb_xml_prop(node, "port");

    if (g_strcmp0(autoport, "yes") == 0 || !port || g_str_equal(port, "-1") || g_str_equal(port, "0"))
        return 0;
    return qemu_prop_uint(cmd, node, "port", 0);
}

static void
build_vnc(QemuCmd *cmd, xmlNodePtr node, const GraphicsListen *listen)
{
    const char *address = listen->address ? listen->address : "127.0.0.1";
    guint port = graphics_port(cmd, node);
    guint websocket = qemu_prop_uint(cmd, node, "websocket", 0);
    g_autofree char *display = NULL;
    GString *opts;

    if (listen->none) {
        display = g_strdup("none");
    } else if (listen->socket) {
        qemu_check_path(cmd, "VNC socket", listen->socket);
        display = g_strconcat("unix:", listen->socket, NULL);
    } else if (port && (port < 5900 || port > 65535)) {
        qemu_cmd_unsupported(cmd, "VNC port %u is outside 5900-65535", port);
        return;
    } else {
        /* IPv6 addresses need brackets before the display number */
        display = g_strdup_printf(strchr(address, ':') ? "[%s]:%u" : "%s:%u", address, port ? port - 5900 : 0);
    }
    opts = qemu_opts_new(cmd, display);
    /* autoport: QEMU takes the first free display from 0 up; the driver asks query-vnc */
    if (!port && !listen->socket && !listen->none)
        qemu_opts_add(cmd, opts, "to", "99");
    if (websocket)
        qemu_opts_addf(cmd, opts, "websocket", "%u", websocket);
    /* the password itself is set over QMP (set_password) before the guest runs */
    if (xmlHasProp(node, BAD_CAST "passwd"))
        qemu_opts_add(cmd, opts, "password", "on");
    qemu_cmd_add(cmd, "-vnc", opts);
}

static void
build_spice(QemuCmd *cmd, xmlNodePtr node, const GraphicsListen *listen)
{
    guint port = graphics_port(cmd, node);
    GString *opts = g_string_new(NULL);

    if (listen->socket) {
        qemu_opts_add(cmd, opts, "unix", "on");
        qemu_opts_add(cmd, opts, "addr", listen->socket);
    } else if (!listen->none) {
        if (!port) {
            qemu_cmd_unsupported(cmd, "%s", "SPICE autoport is not supported by the QEMU driver yet: give a port "
                                 "or a socket");
            g_string_free(opts, TRUE);
            return;
        }
        qemu_opts_addf(cmd, opts, "port", "%u", port);
        qemu_opts_add(cmd, opts, "addr", listen->address ? listen->address : "127.0.0.1");
    }
    /* with a password, ticketing stays on and the driver sets it over QMP */
    if (!xmlHasProp(node, BAD_CAST "passwd"))
        qemu_opts_add(cmd, opts, "disable-ticketing", "on");
    qemu_opts_add(cmd, opts, "seamless-migration", "on");
    qemu_cmd_add(cmd, "-spice", opts);
}

void
qemu_build_graphics(QemuCmd *cmd, const VbDeviceDef *dev)
{
    static const char *const vnc_attrs[] = { "type", "port", "autoport", "listen", "passwd", "websocket", "socket",
                                             NULL };
    static const char *const spice_attrs[] = { "type", "port", "autoport", "listen", "passwd", NULL };
    static const char *const children[] = { "listen", NULL };
    g_autoptr(xmlDoc) doc = qemu_device_doc(cmd, dev);
    xmlNodePtr node = doc ? xmlDocGetRootElement(doc) : NULL;
    g_autofree char *type = node ? vb_xml_prop(node, "type") : NULL;
    g_auto(GraphicsListen) listen = { 0 };
    gboolean vnc = g_strcmp0(type, "vnc") == 0;

    if (!node)
        return;
    if ((!vnc && g_strcmp0(type, "spice") != 0) || cmd->graphics++ > 0) {
        qemu_cmd_unsupported(cmd, "graphics type '%s' is not supported by the QEMU driver yet (one vnc or spice)",
                             type ? type : "");
        return;
    }
    if (!qemu_check_attrs(cmd, node, vnc ? vnc_attrs : spice_attrs, "<graphics>") ||
        !qemu_check_children(cmd, node, children, "<graphics>"))
        return;
    parse_listen(cmd, node, &listen);
    if (qemu_cmd_failed(cmd))
        return;
    if (vnc)
        build_vnc(cmd, node, &listen);
    else
        build_spice(cmd, node, &listen);
}

/* ---- video ---- */

static const char *
video_driver(const char *type, gboolean primary)
{
    static const char *const map[][3] = {
        { "vga", "VGA", NULL }, { "cirrus", "cirrus-vga", NULL }, { "qxl", "qxl-vga", "qxl" },
        { "virtio", "virtio-vga", "virtio-gpu-pci" }, { "bochs", "bochs-display", NULL },
    };

    for (gsize i = 0; type && i < G_N_ELEMENTS(map); i++) {
        if (g_str_equal(type, map[i][0]))
            return map[i][primary ? 1 : 2];
    }
    return NULL;
}

void
qemu_build_video(QemuCmd *cmd, const VbDeviceDef *dev)
{
    static const char *const attrs[] = { NULL };
    static const char *const children[] = { "model", "address", "alias", NULL };
    static const char *const model_attrs[] = { "type", "vram", "heads", "primary", "ram", "vgamem", NULL };
    g_autoptr(xmlDoc) doc = qemu_device_doc(cmd, dev);
    xmlNodePtr node = doc ? xmlDocGetRootElement(doc) : NULL;
    xmlNodePtr model = node ? vb_xml_child(node, "model") : NULL;
    g_autofree char *type = model ? vb_xml_prop(model, "type") : NULL;
    gboolean primary = cmd->videos == 0;
    const char *driver;
    guint heads, vgamem;
    g_autofree char *id = NULL;
    GString *opts;

    if (!node || !qemu_check_attrs(cmd, node, attrs, "<video>") ||
        !qemu_check_children(cmd, node, children, "<video>") || !qemu_check_attrs(cmd, model, model_attrs, "<video>") ||
        (model && vb_xml_child(model, NULL) && !qemu_check_children(cmd, model, attrs, "<video>")))
        return;
    if (g_strcmp0(type, "none") == 0)
        return;
    id = qemu_device_id(node, NULL, "video", cmd->videos++);
    if (!(driver = video_driver(type, primary))) {
        qemu_cmd_unsupported(cmd, "video model '%s' is not supported by the QEMU driver yet%s", type ? type : "",
                             primary ? "" : " as a secondary video device");
        return;
    }
    heads = qemu_prop_uint(cmd, model, "heads", 1);
    vgamem = qemu_prop_uint(cmd, model, "vgamem", 0);
    if ((heads > 1 && !g_str_equal(type, "qxl") && !g_str_equal(type, "virtio")) ||
        (vgamem && !g_str_equal(type, "qxl") && !g_str_equal(type, "vga")) ||
        (xmlHasProp(model, BAD_CAST "ram") && !g_str_equal(type, "qxl"))) {
        qemu_cmd_unsupported(cmd, "video model '%s': heads, vgamem or ram is not supported for it", type);
        return;
    }
    opts = qemu_opts_new(cmd, driver);
    qemu_opts_add(cmd, opts, "id", id);
    if (g_str_equal(type, "qxl")) {
        guint ram = qemu_prop_uint(cmd, model, "ram", 0);
        guint vram = qemu_prop_uint(cmd, model, "vram", 0);
        if (ram)
            qemu_opts_addf(cmd, opts, "ram_size", "%" G_GUINT64_FORMAT, (guint64)ram * 1024);
        if (vram)
            qemu_opts_addf(cmd, opts, "vram_size", "%" G_GUINT64_FORMAT, (guint64)vram * 1024);
    }
    if (vgamem)
        qemu_opts_addf(cmd, opts, "vgamem_mb", "%u", vgamem / 1024);
    if (heads > 1)
        qemu_opts_addf(cmd, opts, "max_outputs", "%u", heads);
    qemu_opts_add_pci_address_node(cmd, opts, node, "video device");
    qemu_cmd_add(cmd, "-device", opts);
}

/* ---- input ---- */

void
qemu_build_input(QemuCmd *cmd, const VbDeviceDef *dev)
{
    static const char *const attrs[] = { "type", "bus", NULL };
    static const char *const children[] = { "address", "alias", NULL };
    static const char *const types[] = { "tablet", "mouse", "keyboard", NULL };
    static const char *const usb[] = { "usb-tablet", "usb-mouse", "usb-kbd" };
    static const char *const virtio[] = { "virtio-tablet-pci", "virtio-mouse-pci", "virtio-keyboard-pci" };
    g_autoptr(xmlDoc) doc = qemu_device_doc(cmd, dev);
    xmlNodePtr node = doc ? xmlDocGetRootElement(doc) : NULL;
    g_autofree char *type = NULL;
    g_autofree char *bus = NULL;
    g_autofree char *id = NULL;
    int kind;
    GString *opts;

    if (!node || !qemu_check_attrs(cmd, node, attrs, "<input>") || !qemu_check_children(cmd, node, children, "<input>"))
        return;
    type = vb_xml_prop(node, "type");
    bus = vb_xml_prop(node, "bus");
    kind = type ? vb_enum_from_string(types, type) : -1;
    if (!bus)
        bus = g_strdup(g_strcmp0(type, "tablet") == 0 ? "usb" : "ps2");
    if (kind >= 1 && g_str_equal(bus, "ps2") && !vb_xml_child(node, "address"))
        return;   /* the PS/2 mouse and keyboard are part of the machine */
    if (kind < 0 || (!g_str_equal(bus, "usb") && !g_str_equal(bus, "virtio"))) {
        qemu_cmd_unsupported(cmd, "input device type '%s' on bus '%s' is not supported by the QEMU driver yet",
                             type ? type : "", bus);
        return;
    }
    id = qemu_device_id(node, NULL, "input", cmd->inputs++);
    if (g_str_equal(bus, "usb"))
        qemu_need_usb(cmd, "a USB input device");
    opts = qemu_opts_new(cmd, g_str_equal(bus, "usb") ? usb[kind] : virtio[kind]);
    qemu_opts_add(cmd, opts, "id", id);
    if (g_str_equal(bus, "virtio"))
        qemu_opts_add_pci_address_node(cmd, opts, node, "input device");
    else if (vb_xml_child(node, "address"))
        qemu_cmd_unsupported(cmd, "%s", "an <address> for a USB input device is not supported by the QEMU driver yet");
    qemu_cmd_add(cmd, "-device", opts);
}

/* ---- balloon, RNG, watchdog, panic ---- */

void
qemu_build_memballoon(QemuCmd *cmd, const VbDeviceDef *dev)
{
    static const char *const attrs[] = { "model", "autodeflate", "freePageReporting", NULL };
    /* <stats period>: set over QMP once QEMU runs (qemu_tune.c) */
    static const char *const children[] = { "address", "alias", "stats", NULL };
    g_autoptr(xmlDoc) doc = qemu_device_doc(cmd, dev);
    xmlNodePtr node = doc ? xmlDocGetRootElement(doc) : NULL;
    g_autofree char *model = NULL;
    g_autofree char *deflate = NULL;
    g_autofree char *reporting = NULL;
    g_autofree char *id = NULL;
    GString *opts;

    if (!node || !qemu_check_attrs(cmd, node, attrs, "<memballoon>") ||
        !qemu_check_children(cmd, node, children, "<memballoon>"))
        return;
    model = vb_xml_prop(node, "model");
    if (g_strcmp0(model, "none") == 0)
        return;
    if (g_strcmp0(model, "virtio") != 0 || cmd->balloons > 0) {
        qemu_cmd_unsupported(cmd, "memballoon model '%s' is not supported by the QEMU driver yet (one virtio)",
                             model ? model : "");
        return;
    }
    id = qemu_device_id(node, NULL, "balloon", cmd->balloons++);
    deflate = vb_xml_prop(node, "autodeflate");
    reporting = vb_xml_prop(node, "freePageReporting");
    opts = qemu_opts_new(cmd, "virtio-balloon-pci");
    qemu_opts_add(cmd, opts, "id", id);
    if (deflate)
        qemu_opts_add(cmd, opts, "deflate-on-oom", g_str_equal(deflate, "on") ? "on" : "off");
    if (reporting)
        qemu_opts_add(cmd, opts, "free-page-reporting", g_str_equal(reporting, "on") ? "on" : "off");
    qemu_opts_add_pci_address_node(cmd, opts, node, "memballoon");
    qemu_cmd_add(cmd, "-device", opts);
}

static gboolean
rng_add_backend(QemuCmd *cmd, xmlNodePtr backend, const char *object_id)
{
    static const char *const attrs[] = { "model", NULL };
    g_autofree char *model = backend ? vb_xml_prop(backend, "model") : NULL;
    g_autofree char *path = NULL;
    GString *opts;

    if (g_strcmp0(model, "random") != 0 && g_strcmp0(model, "builtin") != 0) {
        qemu_cmd_unsupported(cmd, "RNG backend '%s' is not supported by the QEMU driver yet (random, builtin)",
                             model ? model : "");
        return FALSE;
    }
    if (!qemu_check_attrs(cmd, backend, attrs, "<rng>"))
        return FALSE;
    path = vb_xml_content(backend);
    g_strstrip(path);
    if (g_str_equal(model, "builtin")) {
        opts = qemu_opts_new(cmd, "rng-builtin");
        qemu_opts_add(cmd, opts, "id", object_id);
    } else {
        opts = qemu_opts_new(cmd, "rng-random");
        qemu_opts_add(cmd, opts, "id", object_id);
        qemu_opts_add(cmd, opts, "filename", *path ? path : "/dev/urandom");
    }
    qemu_cmd_add(cmd, "-object", opts);
    return !qemu_cmd_failed(cmd);
}

void
qemu_build_rng(QemuCmd *cmd, const VbDeviceDef *dev)
{
    static const char *const attrs[] = { "model", NULL };
    static const char *const children[] = { "backend", "rate", "address", "alias", NULL };
    static const char *const rate_attrs[] = { "bytes", "period", NULL };
    g_autoptr(xmlDoc) doc = qemu_device_doc(cmd, dev);
    xmlNodePtr node = doc ? xmlDocGetRootElement(doc) : NULL;
    xmlNodePtr rate = node ? vb_xml_child(node, "rate") : NULL;
    g_autofree char *model = NULL;
    g_autofree char *id = NULL;
    g_autofree char *object_id = NULL;
    GString *opts;

    if (!node || !qemu_check_attrs(cmd, node, attrs, "<rng>") || !qemu_check_children(cmd, node, children, "<rng>") ||
        !qemu_check_attrs(cmd, rate, rate_attrs, "<rng>"))
        return;
    model = vb_xml_prop(node, "model");
    if (g_strcmp0(model, "virtio") != 0) {
        qemu_cmd_unsupported(cmd, "RNG model '%s' is not supported by the QEMU driver yet", model ? model : "");
        return;
    }
    id = qemu_device_id(node, NULL, "rng", cmd->rngs++);
    object_id = g_strconcat("obj", id, NULL);
    if (!rng_add_backend(cmd, vb_xml_child(node, "backend"), object_id))
        return;
    opts = qemu_opts_new(cmd, "virtio-rng-pci");
    qemu_opts_add(cmd, opts, "rng", object_id);
    qemu_opts_add(cmd, opts, "id", id);
    if (rate) {
        qemu_opts_addf(cmd, opts, "max-bytes", "%u", qemu_prop_uint(cmd, rate, "bytes", 0));
        qemu_opts_addf(cmd, opts, "period", "%u", qemu_prop_uint(cmd, rate, "period", 1000));
    }
    qemu_opts_add_pci_address_node(cmd, opts, node, "RNG device");
    qemu_cmd_add(cmd, "-device", opts);
}

void
qemu_build_watchdog(QemuCmd *cmd, const VbDeviceDef *dev)
{
    static const char *const attrs[] = { "model", "action", NULL };
    static const char *const children[] = { "address", "alias", NULL };
    static const char *const actions[] = { "reset", "shutdown", "poweroff", "pause", "none", "inject-nmi", NULL };
    g_autoptr(xmlDoc) doc = qemu_device_doc(cmd, dev);
    xmlNodePtr node = doc ? xmlDocGetRootElement(doc) : NULL;
    g_autofree char *model = NULL;
    g_autofree char *action = NULL;
    g_autofree char *id = NULL;
    GString *opts;

    if (!node || !qemu_check_attrs(cmd, node, attrs, "<watchdog>") ||
        !qemu_check_children(cmd, node, children, "<watchdog>"))
        return;
    model = vb_xml_prop(node, "model");
    action = vb_xml_prop(node, "action");
    if ((g_strcmp0(model, "i6300esb") != 0 && g_strcmp0(model, "ib700") != 0) || cmd->watchdogs > 0) {
        qemu_cmd_unsupported(cmd, "watchdog model '%s' is not supported by the QEMU driver yet (one i6300esb or "
                             "ib700)", model ? model : "");
        return;
    }
    if (action && !g_strv_contains(actions, action)) {
        qemu_cmd_unsupported(cmd, "watchdog action '%s' is not supported by the QEMU driver yet", action);
        return;
    }
    id = qemu_device_id(node, NULL, "watchdog", cmd->watchdogs++);
    opts = qemu_opts_new(cmd, model);
    qemu_opts_add(cmd, opts, "id", id);
    if (g_str_equal(model, "i6300esb"))
        qemu_opts_add_pci_address_node(cmd, opts, node, "watchdog");
    else if (vb_xml_child(node, "address"))
        qemu_cmd_unsupported(cmd, "%s", "an <address> for an ib700 watchdog is not supported");
    qemu_cmd_add(cmd, "-device", opts);
    qemu_cmd_args(cmd, "-watchdog-action", action ? action : "reset");
}

void
qemu_build_panic(QemuCmd *cmd, const VbDeviceDef *dev)
{
    static const char *const attrs[] = { "model", NULL };
    static const char *const children[] = { "address", "alias", NULL };
    static const char *const isa_attrs[] = { "type", "iobase", NULL };
    g_autoptr(xmlDoc) doc = qemu_device_doc(cmd, dev);
    xmlNodePtr node = doc ? xmlDocGetRootElement(doc) : NULL;
    xmlNodePtr addr = node ? vb_xml_child(node, "address") : NULL;
    g_autofree char *model = NULL;
    g_autofree char *addr_type = addr ? vb_xml_prop(addr, "type") : NULL;
    g_autofree char *id = NULL;
    GString *opts;

    if (!node || !qemu_check_attrs(cmd, node, attrs, "<panic>") || !qemu_check_children(cmd, node, children, "<panic>"))
        return;
    model = vb_xml_prop(node, "model");
    if ((model && !g_str_equal(model, "isa") && !g_str_equal(model, "pvpanic")) || cmd->panics > 0) {
        qemu_cmd_unsupported(cmd, "panic model '%s' is not supported by the QEMU driver yet (one isa or pvpanic)",
                             model ? model : "");
        return;
    }
    id = qemu_device_id(node, NULL, "panic", cmd->panics++);
    if (!model || g_str_equal(model, "isa")) {
        if (addr && (g_strcmp0(addr_type, "isa") != 0 || !qemu_check_attrs(cmd, addr, isa_attrs, "<panic>"))) {
            qemu_cmd_unsupported(cmd, "%s", "an ISA panic device takes only an ISA address");
            return;
        }
        opts = qemu_opts_new(cmd, "pvpanic");
        qemu_opts_add(cmd, opts, "id", id);
        if (addr)
            qemu_opts_addf(cmd, opts, "ioport", "%u", qemu_prop_uint(cmd, addr, "iobase", 0x505));
    } else {
        opts = qemu_opts_new(cmd, "pvpanic-pci");
        qemu_opts_add(cmd, opts, "id", id);
        qemu_opts_add_pci_address_node(cmd, opts, node, "panic device");
    }
    qemu_cmd_add(cmd, "-device", opts);
}
