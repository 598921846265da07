/* qemu_command.c: the argv builder's helpers and the machine-wide options (name, machine,
 * firmware, CPU, memory and NUMA, SMP, monitor, clock, lifecycle, boot). Devices live in
 * qemu_command_disk.c and qemu_command_devices.c. */
#include "config.h"

#include <string.h>

#include "drivers/qemu/qemu_command_priv.h"

#define QEMU_MACHINE_DEFAULT "pc"
#define QEMU_SANDBOX "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"

/* ---- option strings ---- */

static gboolean
has_control_char(const char *value)
{
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return TRUE;
    }
    return FALSE;
}

static gboolean
check_value(QemuCmd *cmd, const char *key, const char *value)
{
    g_autofree char *shown = NULL;

    if (cmd->error || !has_control_char(value))
        return !cmd->error;
    shown = g_strescape(value, NULL);
    vb_set_error(&cmd->error, VB_ERR_CONFIG_UNSUPPORTED,
                 "value '%s' for QEMU option '%s' contains a control character, which QEMU's command "
                 "line cannot carry", shown, key ? key : "(argument)");
    return FALSE;
}

gboolean
qemu_check_path(QemuCmd *cmd, const char *what, const char *path)
{
    return check_value(cmd, what, path);
}

static void
append_escaped(GString *out, const char *value)
{
    for (const char *p = value; *p; p++) {
        if (*p == ',')
            g_string_append_c(out, ',');
        g_string_append_c(out, *p);
    }
}

GString *
qemu_opts_new(QemuCmd *cmd, const char *name)
{
    GString *opts = g_string_new(NULL);

    if (name) {
        check_value(cmd, NULL, name);
        append_escaped(opts, name);
    }
    return opts;
}

void
qemu_opts_add(QemuCmd *cmd, GString *opts, const char *key, const char *value)
{
    if (!value)
        return;
    check_value(cmd, key, value);
    if (opts->len)
        g_string_append_c(opts, ',');
    g_string_append_printf(opts, "%s=", key);
    append_escaped(opts, value);
}

void
qemu_opts_addf(QemuCmd *cmd, GString *opts, const char *key, const char *fmt, ...)
{
    g_autofree char *value = NULL;
    va_list args;

    va_start(args, fmt);
    value = g_strdup_vprintf(fmt, args);
    va_end(args);
    qemu_opts_add(cmd, opts, key, value);
}

void
qemu_cmd_arg(QemuCmd *cmd, const char *arg)
{
    check_value(cmd, NULL, arg);
    g_ptr_array_add(cmd->argv, g_strdup(arg));
}

void
qemu_cmd_args(QemuCmd *cmd, const char *option, const char *value)
{
    qemu_cmd_arg(cmd, option);
    check_value(cmd, option, value);
    g_ptr_array_add(cmd->argv, g_strdup(value));
}

void
qemu_cmd_add(QemuCmd *cmd, const char *option, GString *opts)
{
    g_ptr_array_add(cmd->argv, g_strdup(option));
    g_ptr_array_add(cmd->argv, g_string_free(opts, FALSE));
}

void
qemu_json_set_string(QemuCmd *cmd, JsonObject *obj, const char *key, const char *value)
{
    check_value(cmd, key, value);
    json_object_set_string_member(obj, key, value);
}

void
qemu_cmd_add_json(QemuCmd *cmd, const char *option, JsonObject *obj)
{
    g_autoptr(JsonNode) node = json_node_alloc();
    g_autoptr(JsonGenerator) generator = json_generator_new();

    json_node_init_object(node, obj);
    json_object_unref(obj);
    json_generator_set_root(generator, node);
    g_ptr_array_add(cmd->argv, g_strdup(option));
    g_ptr_array_add(cmd->argv, json_generator_to_data(generator, NULL));
}

void
qemu_cmd_unsupported(QemuCmd *cmd, const char *fmt, ...)
{
    g_autofree char *detail = NULL;
    va_list args;

    if (cmd->error)
        return;
    va_start(args, fmt);
    detail = g_strdup_vprintf(fmt, args);
    va_end(args);
    vb_set_error(&cmd->error, VB_ERR_CONFIG_UNSUPPORTED, "%s", detail);
}

gboolean
qemu_cmd_failed(const QemuCmd *cmd)
{
    return cmd->error != NULL;
}

/* ---- verbatim XML ---- */

static xmlDocPtr
parse_verbatim(QemuCmd *cmd, const char *xml)
{
    g_autoptr(GError) error = NULL;
    xmlDocPtr doc;

    if (cmd->error)
        return NULL;
    if (!(doc = vb_xml_parse(xml, NULL, &error)))
        vb_set_error(&cmd->error, VB_ERR_INTERNAL_ERROR, "cannot read the stored element: %s", error->message);
    return doc;
}

xmlDocPtr
qemu_device_doc(QemuCmd *cmd, const VbDeviceDef *dev)
{
    return parse_verbatim(cmd, dev->xml);
}

/* Several sibling elements kept as text, under one made-up root. */
static xmlDocPtr
parse_fragment(QemuCmd *cmd, const char *xml)
{
    g_autofree char *wrapped = g_strdup_printf("<fragment>%s</fragment>", xml ? xml : "");

    return parse_verbatim(cmd, wrapped);
}

gboolean
qemu_check_attrs(QemuCmd *cmd, xmlNodePtr node, const char *const *allowed, const char *what)
{
    for (xmlAttrPtr attr = node ? node->properties : NULL; attr && !cmd->error; attr = attr->next) {
        const char *name = (const char *)node->name;
        /* "of <controller>", or "of <target> in <controller>" for a child */
        gboolean child = !(what[0] == '<' && g_str_has_prefix(what + 1, name) &&
                           (what[strlen(name) + 1] == '>' || what[strlen(name) + 1] == ' '));

        if (attr->ns || !g_strv_contains(allowed, (const char *)attr->name)) {
            qemu_cmd_unsupported(cmd, "attribute '%s' of <%s>%s%s is not supported by the QEMU driver yet",
                                 (const char *)attr->name, name, child ? " in " : "", child ? what : "");
        }
    }
    return !cmd->error;
}

gboolean
qemu_check_children(QemuCmd *cmd, xmlNodePtr node, const char *const *allowed, const char *what)
{
    for (xmlNodePtr cur = node ? vb_xml_child(node, NULL) : NULL; cur && !cmd->error; cur = vb_xml_next(cur, NULL)) {
        if (cur->ns || !g_strv_contains(allowed, (const char *)cur->name)) {
            qemu_cmd_unsupported(cmd, "element <%s> in %s is not supported by the QEMU driver yet",
                                 (const char *)cur->name, what);
        }
    }
    return !cmd->error;
}

char *
qemu_device_id(xmlNodePtr device, const char *alias, const char *prefix, guint index)
{
    g_autofree char *node_alias = NULL;
    xmlNodePtr node = device ? vb_xml_child(device, "alias") : NULL;

    if (node)
        alias = node_alias = vb_xml_prop(node, "name");
    /* only a user-chosen alias is stable enough to name the device */
    if (alias && g_str_has_prefix(alias, "ua-"))
        return g_strdup(alias);
    return g_strdup_printf("%s%u", prefix, index);
}

guint
qemu_prop_uint(QemuCmd *cmd, xmlNodePtr node, const char *name, guint fallback)
{
    g_autofree char *text = node ? vb_xml_prop(node, name) : NULL;
    guint64 value = 0;
    char *end = NULL;

    if (!text || cmd->error)
        return fallback;
    value = g_ascii_strtoull(text, &end, 0);
    if (end == text || *end || value > G_MAXINT32) {
        qemu_cmd_unsupported(cmd, "invalid value '%s' for attribute '%s' of <%s>", text, name,
                             (const char *)node->name);
        return fallback;
    }
    return (guint)value;
}

/* ---- device addresses ---- */

void
qemu_opts_add_pci_address(QemuCmd *cmd, GString *opts, const VbDeviceAddress *addr, const char *what)
{
    if (!addr->type)
        return;
    if (!g_str_equal(addr->type, "pci")) {
        qemu_cmd_unsupported(cmd, "%s: address type '%s' is not supported by the QEMU driver yet", what,
                             addr->type);
        return;
    }
    if (addr->domain != 0 || addr->bus >= 32 || !(cmd->pci_buses & (1u << addr->bus))) {
        qemu_cmd_unsupported(cmd, "%s: PCI address %04x:%02x:%02x.%x is on a bus that no PCI controller "
                             "provides", what, addr->domain, addr->bus, addr->slot, addr->function);
        return;
    }
    if (addr->bus == 0)
        qemu_opts_add(cmd, opts, "bus", cmd->q35 ? "pcie.0" : "pci.0");
    else
        qemu_opts_addf(cmd, opts, "bus", "pci.%u", addr->bus);
    if (addr->function)
        qemu_opts_addf(cmd, opts, "addr", "0x%x.0x%x", addr->slot, addr->function);
    else
        qemu_opts_addf(cmd, opts, "addr", "0x%x", addr->slot);
    if (g_strcmp0(addr->multifunction, "on") == 0)
        qemu_opts_add(cmd, opts, "multifunction", "on");
}

void
qemu_opts_add_pci_address_node(QemuCmd *cmd, GString *opts, xmlNodePtr device, const char *what)
{
    xmlNodePtr node = vb_xml_child(device, "address");
    VbDeviceAddress addr = { 0 };
    g_autofree char *type = node ? vb_xml_prop(node, "type") : NULL;
    g_autofree char *multifunction = node ? vb_xml_prop(node, "multifunction") : NULL;

    if (!node)
        return;
    addr.type = type;
    addr.multifunction = multifunction;
    addr.domain = qemu_prop_uint(cmd, node, "domain", 0);
    addr.bus = qemu_prop_uint(cmd, node, "bus", 0);
    addr.slot = qemu_prop_uint(cmd, node, "slot", 0);
    addr.function = qemu_prop_uint(cmd, node, "function", 0);
    qemu_opts_add_pci_address(cmd, opts, &addr, what);
}

void
qemu_opts_add_boot_node(QemuCmd *cmd, GString *opts, xmlNodePtr device)
{
    guint order = qemu_prop_uint(cmd, vb_xml_child(device, "boot"), "order", 0);

    if (order)
        qemu_opts_addf(cmd, opts, "bootindex", "%u", order);
}

/* ---- domain type, firmware and what the builder refuses as a whole ---- */

static gboolean
check_domain_type(QemuCmd *cmd)
{
    const VbDomainDef *def = cmd->def;

    if (def->virt_type != VB_DOMAIN_VIRT_QEMU && def->virt_type != VB_DOMAIN_VIRT_KVM) {
        qemu_cmd_unsupported(cmd, "domain type '%s' is not supported by the QEMU driver (use 'qemu' or 'kvm')",
                             vb_domain_virt_to_string(def->virt_type));
        return FALSE;
    }
    if (g_strcmp0(def->os_type, "hvm") != 0) {
        qemu_cmd_unsupported(cmd, "OS type '%s' is not supported by the QEMU driver (only 'hvm')",
                             def->os_type ? def->os_type : "");
        return FALSE;
    }
    if (def->os_arch && !g_str_equal(def->os_arch, "x86_64")) {
        qemu_cmd_unsupported(cmd, "architecture '%s' is not supported by the QEMU driver yet (only x86_64)",
                             def->os_arch);
        return FALSE;
    }
    /* the binary is the administrator's choice, never a client's */
    if (def->emulator && g_strcmp0(def->emulator, cmd->config->emulator) != 0) {
        qemu_cmd_unsupported(cmd, "emulator '%s' is not the configured QEMU binary '%s'", def->emulator,
                             cmd->config->emulator);
        return FALSE;
    }
    cmd->kvm = def->virt_type == VB_DOMAIN_VIRT_KVM;
    return TRUE;
}

/* Elements kept verbatim that change what the guest sees: refused until modelled. */
/* vCPU pins are applied by the driver to the vCPU threads after QEMU started; nothing else in
 * <cputune> is yet. */
static gboolean
cputune_only_pins(const char *cputune_xml)
{
    g_autoptr(xmlDoc) doc = vb_xml_parse(cputune_xml, "cputune", NULL);

    if (!doc)
        return FALSE;
    for (xmlNodePtr child = vb_xml_child(xmlDocGetRootElement(doc), NULL); child; child = vb_xml_next(child, NULL)) {
        if (!xmlStrEqual(child->name, BAD_CAST "vcpupin") && !xmlStrEqual(child->name, BAD_CAST "emulatorpin"))
            return FALSE;
    }
    return TRUE;
}

static void
check_unmodelled(QemuCmd *cmd)
{
    const VbDomainDef *def = cmd->def;
    const struct { const char *xml; const char *what; } unmodelled[] = {
        { def->os_firmware_xml, "<firmware>" }, { def->os_init_xml, "<init>" }, { def->os_dtb, "<dtb>" },
        { def->os_root, "<root>" }, { def->os_extra_xml, "<bios>/<acpi>/<smbios>" },
        { def->bootloader, "<bootloader>" }, { def->genid, "<genid>" },
        { def->vcpu_cpuset, "<vcpu cpuset>" }, { def->vcpus_xml, "<vcpus>" },
        { def->iothreadids_xml, "<iothreadids>" },
        { def->memory_backing_xml, "<memoryBacking>" }, { def->blkiotune_xml, "<blkiotune>" },
        { def->memtune_xml, "<memtune>" },
        { def->numatune_xml, "<numatune>" }, { def->sysinfo_xml, "<sysinfo>" }, { def->idmap_xml, "<idmap>" },
        { def->perf_xml, "<perf>" }, { def->keywrap_xml, "<keywrap>" },
        { def->launch_security_xml, "<launchSecurity>" }, { def->resource_xml, "<resource>" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(unmodelled); i++) {
        if (unmodelled[i].xml) {
            qemu_cmd_unsupported(cmd, "%s is not supported by the QEMU driver yet", unmodelled[i].what);
            return;
        }
    }
    if (def->cputune_xml && !cputune_only_pins(def->cputune_xml))
        qemu_cmd_unsupported(cmd, "%s", "<cputune> other than <vcpupin> and <emulatorpin> is not supported by the "
                             "QEMU driver yet");
    if (def->iothreads)
        qemu_cmd_unsupported(cmd, "%s", "<iothreads> is not supported by the QEMU driver yet");
    if (g_strcmp0(def->vcpu_placement, "auto") == 0)
        qemu_cmd_unsupported(cmd, "%s", "<vcpu placement='auto'> is not supported by the QEMU driver yet");
}

/* Only <seclabel type='none'/> is accepted: a label the driver cannot apply must not be
 * mistaken for confinement. */
static void
check_seclabels(QemuCmd *cmd)
{
    g_autoptr(xmlDoc) doc = NULL;

    if (!cmd->def->seclabel_xml || !(doc = parse_fragment(cmd, cmd->def->seclabel_xml)))
        return;
    VB_XML_FOREACH_CHILD(xmlDocGetRootElement(doc), "seclabel", label) {
        g_autofree char *type = vb_xml_prop(label, "type");
        if (g_strcmp0(type, "none") != 0) {
            qemu_cmd_unsupported(cmd, "<seclabel type='%s'> is not supported by the QEMU driver yet",
                                 type ? type : "dynamic");
            return;
        }
    }
}

typedef struct {
    char *loader;
    gboolean pflash;
    gboolean readonly;
    gboolean secure;
    char *nvram;             /* the guest's variable store; NULL: none */
} QemuFirmware;

static void
firmware_clear(QemuFirmware *fw)
{
    g_free(fw->loader);
    g_free(fw->nvram);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(QemuFirmware, firmware_clear)

/* <loader> and <nvram>; the driver fills the store from nvram's template before starting. */
static void
parse_firmware(QemuCmd *cmd, QemuFirmware *fw)
{
    static const char *const loader_attrs[] = { "readonly", "secure", "type", NULL };
    static const char *const nvram_attrs[] = { "template", NULL };
    g_autoptr(xmlDoc) doc = NULL;
    xmlNodePtr loader, nvram;
    g_autofree char *type = NULL;
    g_autofree char *readonly = NULL;
    g_autofree char *secure = NULL;

    if (g_strcmp0(cmd->def->os_firmware, "efi") == 0 && !cmd->def->os_loader_xml) {
        qemu_cmd_unsupported(cmd, "%s", "firmware autoselection (<os firmware='efi'>) is not supported by "
                             "the QEMU driver yet: name the firmware with <loader>");
        return;
    }
    if (!cmd->def->os_loader_xml || !(doc = parse_fragment(cmd, cmd->def->os_loader_xml)))
        return;
    loader = vb_xml_child(xmlDocGetRootElement(doc), "loader");
    nvram = vb_xml_child(xmlDocGetRootElement(doc), "nvram");
    if (!qemu_check_attrs(cmd, loader, loader_attrs, "<os>") || !qemu_check_attrs(cmd, nvram, nvram_attrs, "<os>"))
        return;
    fw->loader = loader ? g_strstrip(vb_xml_content(loader)) : NULL;
    fw->nvram = nvram ? g_strstrip(vb_xml_content(nvram)) : NULL;
    if (fw->nvram && !*fw->nvram)
        g_clear_pointer(&fw->nvram, g_free);
    if (!fw->loader || !*fw->loader) {
        qemu_cmd_unsupported(cmd, "%s", "<nvram> or <loader> without a firmware path is not supported by the "
                             "QEMU driver yet");
        return;
    }
    type = vb_xml_prop(loader, "type");
    readonly = vb_xml_prop(loader, "readonly");
    secure = vb_xml_prop(loader, "secure");
    fw->pflash = g_strcmp0(type, "pflash") == 0 || (!type && fw->nvram);
    fw->readonly = g_strcmp0(readonly, "yes") == 0;
    fw->secure = g_strcmp0(secure, "yes") == 0;
    if (!fw->pflash && (fw->nvram || fw->secure))
        qemu_cmd_unsupported(cmd, "%s", "<nvram> and secure boot need a loader of type 'pflash'");
    if (fw->secure && !cmd->q35)
        qemu_cmd_unsupported(cmd, "%s", "secure boot needs a q35 machine type");
}

/* ---- machine ---- */

static void
machine_add_features(QemuCmd *cmd, GString *opts)
{
    static const char *const accepted[] = { "acpi", "apic", "pae", "vmport", NULL };
    g_autoptr(xmlDoc) doc = NULL;
    xmlNodePtr root;
    gboolean acpi = FALSE;

    if (cmd->def->features_xml && !(doc = parse_verbatim(cmd, cmd->def->features_xml)))
        return;
    root = doc ? xmlDocGetRootElement(doc) : NULL;
    for (xmlNodePtr cur = root ? vb_xml_child(root, NULL) : NULL; cur; cur = vb_xml_next(cur, NULL)) {
        const char *name = (const char *)cur->name;
        if (!g_strv_contains(accepted, name)) {
            qemu_cmd_unsupported(cmd, "feature <%s> is not supported by the QEMU driver yet", name);
            return;
        }
        if (g_str_equal(name, "acpi"))
            acpi = TRUE;
        if (g_str_equal(name, "vmport")) {
            g_autofree char *state = vb_xml_prop(cur, "state");
            qemu_opts_add(cmd, opts, "vmport", g_strcmp0(state, "off") == 0 ? "off" : "on");
        }
    }
    /* like libvirt on x86: no <acpi/> in the definition means no ACPI in the guest */
    if (!acpi)
        qemu_opts_add(cmd, opts, "acpi", "off");
}

/* <timer name='hpet' present='no'/> switches the HPET off on the machine itself. */
static gboolean
clock_has_hpet_off(QemuCmd *cmd)
{
    g_autoptr(xmlDoc) doc = NULL;

    if (!cmd->def->clock_extra_xml || !(doc = parse_fragment(cmd, cmd->def->clock_extra_xml)))
        return FALSE;
    VB_XML_FOREACH_CHILD(xmlDocGetRootElement(doc), "timer", timer) {
        g_autofree char *name = vb_xml_prop(timer, "name");
        g_autofree char *present = vb_xml_prop(timer, "present");
        if (g_strcmp0(name, "hpet") == 0 && g_strcmp0(present, "no") == 0)
            return TRUE;
    }
    return FALSE;
}

static gboolean
machine_is_known(const char *machine, gboolean *q35)
{
    *q35 = g_str_equal(machine, "q35") || g_str_has_prefix(machine, "pc-q35-");
    return *q35 || g_str_equal(machine, "pc") || g_str_has_prefix(machine, "pc-i440fx-");
}

static void
build_machine(QemuCmd *cmd, const QemuFirmware *fw)
{
    const char *machine = cmd->def->os_machine ? cmd->def->os_machine : QEMU_MACHINE_DEFAULT;
    GString *opts = qemu_opts_new(cmd, machine);

    qemu_opts_add(cmd, opts, "accel", cmd->kvm ? "kvm" : "tcg");
    qemu_opts_add(cmd, opts, "usb", "off");
    if (cmd->def->memory_dump_core)
        qemu_opts_add(cmd, opts, "dump-guest-core", cmd->def->memory_dump_core);
    if (clock_has_hpet_off(cmd))
        qemu_opts_add(cmd, opts, "hpet", "off");
    machine_add_features(cmd, opts);
    if (fw->pflash) {
        qemu_opts_add(cmd, opts, "pflash0", "libvirt-pflash0-format");
        if (fw->nvram)
            qemu_opts_add(cmd, opts, "pflash1", "libvirt-pflash1-format");
    }
    if (fw->secure)
        qemu_opts_add(cmd, opts, "smm", "on");
    qemu_cmd_add(cmd, "-machine", opts);
}

static void
build_firmware(QemuCmd *cmd, const QemuFirmware *fw)
{
    if (!fw->loader)
        return;
    if (!fw->pflash) {
        qemu_cmd_args(cmd, "-bios", fw->loader);
        return;
    }
    qemu_build_pflash(cmd, 0, fw->loader, fw->readonly);
    if (fw->nvram)
        qemu_build_pflash(cmd, 1, fw->nvram, FALSE);
    if (fw->secure)
        qemu_cmd_args(cmd, "-global", "driver=cfi.pflash01,property=secure,value=on");
}

/* ---- CPU ---- */

static const char *
feature_sign(int policy)
{
    return policy == VB_CPU_FEATURE_DISABLE || policy == VB_CPU_FEATURE_FORBID ? "-" : "+";
}

static void
cpu_add_features(QemuCmd *cmd, GString *opts, const VbCpuDef *cpu)
{
    for (guint i = 0; cpu->features && i < cpu->features->len; i++) {
        const VbCpuFeature *feature = g_ptr_array_index(cpu->features, i);
        g_autofree char *flag = g_strconcat(feature_sign(feature->policy), feature->name, NULL);
        check_value(cmd, "cpu feature", feature->name);
        g_string_append_c(opts, ',');
        append_escaped(opts, flag);
    }
}

/* Host capability checks (match, check, fallback, require/forbid) are the driver's, before start. */
static void
build_cpu(QemuCmd *cmd)
{
    const VbCpuDef *cpu = &cmd->def->cpu;
    GString *opts = NULL;

    if (!cpu->present)
        return;
    if (cpu->cache_mode || cpu->vendor_id || cpu->vendor) {
        qemu_cmd_unsupported(cmd, "%s", "<cache>, <vendor> and vendor_id in <cpu> are not supported by the "
                             "QEMU driver yet");
        return;
    }
    switch (cpu->mode) {
    case VB_CPU_MODE_HOST_PASSTHROUGH:
        if (!cmd->kvm)
            qemu_cmd_unsupported(cmd, "%s", "CPU mode 'host-passthrough' needs a domain of type 'kvm'");
        opts = qemu_opts_new(cmd, "host");
        break;
    case VB_CPU_MODE_HOST_MODEL:
        /* the closest QEMU has to the host's model: the host CPU itself, or all TCG can emulate */
        opts = qemu_opts_new(cmd, cmd->kvm ? "host" : "max");
        break;
    case VB_CPU_MODE_MAXIMUM:
        opts = qemu_opts_new(cmd, "max");
        break;
    default:
        if (!cpu->model)
            return;   /* <cpu> only for its topology or NUMA cells */
        opts = qemu_opts_new(cmd, cpu->model);
        break;
    }
    if (cpu->migratable)
        qemu_opts_add(cmd, opts, "migratable", cpu->migratable);
    cpu_add_features(cmd, opts, cpu);
    qemu_cmd_add(cmd, "-cpu", opts);
}

/* ---- memory, NUMA, SMP ---- */

static void
opts_add_size(QemuCmd *cmd, GString *opts, const char *key, guint64 kib)
{
    if (kib % 1024 == 0)
        qemu_opts_addf(cmd, opts, key, "%" G_GUINT64_FORMAT "M", kib / 1024);
    else
        qemu_opts_addf(cmd, opts, key, "%" G_GUINT64_FORMAT "k", kib);
}

static void
build_memory(QemuCmd *cmd)
{
    const VbDomainDef *def = cmd->def;
    GString *opts = g_string_new(NULL);

    opts_add_size(cmd, opts, "size", def->memory_kib);
    if (def->max_memory_kib) {
        if (!def->max_memory_slots)
            qemu_cmd_unsupported(cmd, "%s", "<maxMemory> needs a number of memory slots");
        qemu_opts_addf(cmd, opts, "slots", "%u", def->max_memory_slots);
        opts_add_size(cmd, opts, "maxmem", def->max_memory_kib);
    }
    qemu_cmd_add(cmd, "-m", opts);
}

/* "0-1,4" as QEMU's repeated cpus=0-1,cpus=4 */
static void
numa_add_cpus(QemuCmd *cmd, GString *opts, const char *cpus)
{
    g_auto(GStrv) ranges = NULL;

    if (!cpus)
        return;
    if (strspn(cpus, "0123456789-, ") != strlen(cpus)) {
        qemu_cmd_unsupported(cmd, "NUMA cell CPU list '%s' is not supported by the QEMU driver yet", cpus);
        return;
    }
    ranges = g_strsplit(cpus, ",", -1);
    for (guint i = 0; ranges[i]; i++) {
        g_strstrip(ranges[i]);
        if (*ranges[i])
            qemu_opts_add(cmd, opts, "cpus", ranges[i]);
    }
}

static guint64
numa_cell_bytes(QemuCmd *cmd, xmlNodePtr cell)
{
    g_autofree char *memory = vb_xml_prop(cell, "memory");
    g_autofree char *unit = vb_xml_prop(cell, "unit");
    guint64 value = 0, bytes = 0;

    /* the domain parser checked the size already */
    if (!memory || !vb_parse_ull(g_strstrip(memory), &value) || !vb_scale_to_bytes(unit ? unit : "KiB", value, &bytes))
        qemu_cmd_unsupported(cmd, "%s", "a NUMA cell needs its memory size");
    return bytes;
}

static void
numa_add_distances(QemuCmd *cmd, xmlNodePtr cell, guint id)
{
    static const char *const children[] = { "sibling", NULL };
    static const char *const attrs[] = { "id", "value", NULL };
    xmlNodePtr distances = vb_xml_child(cell, "distances");

    if (!qemu_check_children(cmd, distances, children, "<distances>"))
        return;
    VB_XML_FOREACH_CHILD(distances, "sibling", sibling) {
        GString *opts = qemu_opts_new(cmd, "dist");
        if (!qemu_check_attrs(cmd, sibling, attrs, "<distances>")) {
            g_string_free(opts, TRUE);
            return;
        }
        qemu_opts_addf(cmd, opts, "src", "%u", id);
        qemu_opts_addf(cmd, opts, "dst", "%u", qemu_prop_uint(cmd, sibling, "id", 0));
        qemu_opts_addf(cmd, opts, "val", "%u", qemu_prop_uint(cmd, sibling, "value", 0));
        qemu_cmd_add(cmd, "-numa", opts);
    }
}

/* Each <cell> gets its own RAM backend; distances come after all nodes exist. */
static void
build_numa(QemuCmd *cmd)
{
    static const char *const cell_attrs[] = { "id", "cpus", "memory", "unit", NULL };
    static const char *const cell_children[] = { "distances", NULL };
    static const char *const numa_children[] = { "cell", NULL };
    g_autoptr(xmlDoc) doc = NULL;
    xmlNodePtr numa;
    guint index = 0;

    if (!cmd->def->cpu.numa_xml || !(doc = parse_verbatim(cmd, cmd->def->cpu.numa_xml)))
        return;
    numa = xmlDocGetRootElement(doc);
    if (!qemu_check_children(cmd, numa, numa_children, "<numa>"))
        return;
    VB_XML_FOREACH_CHILD(numa, "cell", cell) {
        guint id = qemu_prop_uint(cmd, cell, "id", index++);
        g_autofree char *cpus = vb_xml_prop(cell, "cpus");
        g_autofree char *backend = g_strdup_printf("ram-node%u", id);
        GString *object = qemu_opts_new(cmd, "memory-backend-ram");
        GString *node = qemu_opts_new(cmd, "node");

        qemu_check_attrs(cmd, cell, cell_attrs, "<numa>");
        qemu_check_children(cmd, cell, cell_children, "<numa>");
        qemu_opts_add(cmd, object, "id", backend);
        qemu_opts_addf(cmd, object, "size", "%" G_GUINT64_FORMAT, numa_cell_bytes(cmd, cell));
        qemu_cmd_add(cmd, "-object", object);
        qemu_opts_addf(cmd, node, "nodeid", "%u", id);
        numa_add_cpus(cmd, node, cpus);
        qemu_opts_add(cmd, node, "memdev", backend);
        qemu_cmd_add(cmd, "-numa", node);
    }
    index = 0;
    VB_XML_FOREACH_CHILD(numa, "cell", cell)
        numa_add_distances(cmd, cell, qemu_prop_uint(cmd, cell, "id", index++));
}

static void
build_smp(QemuCmd *cmd)
{
    const VbDomainDef *def = cmd->def;
    const VbCpuDef *cpu = &def->cpu;
    guint sockets = cpu->sockets ? cpu->sockets : def->vcpus;
    guint dies = cpu->dies ? cpu->dies : 1;
    guint cores = cpu->cores ? cpu->cores : 1;
    guint threads = cpu->threads ? cpu->threads : 1;
    GString *opts = g_string_new(NULL);

    if ((guint64)sockets * dies * cores * threads != def->vcpus)
        qemu_cmd_unsupported(cmd, "CPU topology (%u sockets, %u dies, %u cores, %u threads) does not match "
                             "the maximum vCPU count %u", sockets, dies, cores, threads, def->vcpus);
    g_string_append_printf(opts, "%u", vb_domain_def_vcpus_current(def));
    qemu_opts_addf(cmd, opts, "sockets", "%u", sockets);
    if (dies > 1)
        qemu_opts_addf(cmd, opts, "dies", "%u", dies);
    qemu_opts_addf(cmd, opts, "cores", "%u", cores);
    qemu_opts_addf(cmd, opts, "threads", "%u", threads);
    qemu_opts_addf(cmd, opts, "maxcpus", "%u", def->vcpus);
    qemu_cmd_add(cmd, "-smp", opts);
}

static void
build_monitor(QemuCmd *cmd)
{
    GString *chardev = qemu_opts_new(cmd, "socket");
    GString *mon = g_string_new(NULL);

    qemu_opts_add(cmd, chardev, "id", "charmonitor");
    if (cmd->config->monitor_fd > 0)
        qemu_opts_addf(cmd, chardev, "fd", "%d", cmd->config->monitor_fd);
    else
        qemu_opts_add(cmd, chardev, "path", cmd->config->monitor_path);
    qemu_opts_add(cmd, chardev, "server", "on");
    qemu_opts_add(cmd, chardev, "wait", "off");
    qemu_cmd_add(cmd, "-chardev", chardev);
    qemu_opts_add(cmd, mon, "chardev", "charmonitor");
    qemu_opts_add(cmd, mon, "id", "monitor");
    qemu_opts_add(cmd, mon, "mode", "control");
    qemu_cmd_add(cmd, "-mon", mon);
}

/* ---- clock ---- */

static void
clock_add_timer(QemuCmd *cmd, xmlNodePtr timer, GString *rtc, GString *pit)
{
    g_autofree char *name = vb_xml_prop(timer, "name");
    g_autofree char *present = vb_xml_prop(timer, "present");
    g_autofree char *tickpolicy = vb_xml_prop(timer, "tickpolicy");
    static const char *const attrs[] = { "name", "present", "tickpolicy", NULL };

    if (!qemu_check_attrs(cmd, timer, attrs, "<clock>"))
        return;
    if (g_strcmp0(name, "rtc") == 0 && (!tickpolicy || g_str_equal(tickpolicy, "catchup")) && !present) {
        if (tickpolicy)
            qemu_opts_add(cmd, rtc, "driftfix", "slew");
    } else if (g_strcmp0(name, "pit") == 0 && (!tickpolicy || g_str_equal(tickpolicy, "delay")) && !present) {
        /* the in-kernel PIT takes the policy; TCG's PIT has no such property */
        if (tickpolicy && cmd->kvm)
            g_string_append(pit, "kvm-pit.lost_tick_policy=delay");
    } else if (g_strcmp0(name, "hpet") == 0 && g_strcmp0(present, "no") == 0 && !tickpolicy) {
        /* a machine option: see build_machine */
    } else {
        qemu_cmd_unsupported(cmd, "<timer name='%s'%s%s%s%s> is not supported by the QEMU driver yet",
                             name ? name : "", present ? " present=" : "", present ? present : "",
                             tickpolicy ? " tickpolicy=" : "", tickpolicy ? tickpolicy : "");
    }
}

static void
build_clock(QemuCmd *cmd)
{
    const VbDomainDef *def = cmd->def;
    GString *rtc = g_string_new(NULL);
    g_autoptr(GString) pit = g_string_new(NULL);
    g_autoptr(xmlDoc) doc = NULL;

    if (!g_str_equal(def->clock_offset, "utc") && !g_str_equal(def->clock_offset, "localtime"))
        qemu_cmd_unsupported(cmd, "clock offset '%s' is not supported by the QEMU driver yet", def->clock_offset);
    if (def->clock_adjustment && !g_str_equal(def->clock_adjustment, "reset"))
        qemu_cmd_unsupported(cmd, "%s", "clock adjustment is not supported by the QEMU driver yet");
    qemu_opts_add(cmd, rtc, "base", def->clock_offset);
    if (def->clock_extra_xml && (doc = parse_fragment(cmd, def->clock_extra_xml))) {
        VB_XML_FOREACH_CHILD(xmlDocGetRootElement(doc), "timer", timer)
            clock_add_timer(cmd, timer, rtc, pit);
    }
    qemu_cmd_add(cmd, "-rtc", rtc);
    if (pit->len)
        qemu_cmd_args(cmd, "-global", pit->str);
}

/* ---- lifecycle, boot, power management ---- */

/* QEMU stops instead of exiting on a guest power-off (-no-shutdown), so the driver sees
 * every shutdown and applies <on_poweroff> itself. */
static void
build_lifecycle(QemuCmd *cmd)
{
    const VbDomainDef *def = cmd->def;

    if (def->on_poweroff != VB_DOMAIN_LIFECYCLE_DESTROY)
        qemu_cmd_unsupported(cmd, "<on_poweroff>%s</on_poweroff> is not supported by the QEMU driver yet",
                             vb_domain_lifecycle_to_string(def->on_poweroff));
    if (def->on_reboot != VB_DOMAIN_LIFECYCLE_RESTART && def->on_reboot != VB_DOMAIN_LIFECYCLE_DESTROY)
        qemu_cmd_unsupported(cmd, "<on_reboot>%s</on_reboot> is not supported by the QEMU driver yet",
                             vb_domain_lifecycle_to_string(def->on_reboot));
    if (def->on_crash != VB_DOMAIN_LIFECYCLE_DESTROY)
        qemu_cmd_unsupported(cmd, "<on_crash>%s</on_crash> is not supported by the QEMU driver yet",
                             vb_domain_lifecycle_to_string(def->on_crash));
    if (def->on_lockfailure)
        qemu_cmd_unsupported(cmd, "%s", "<on_lockfailure> is not supported by the QEMU driver yet");
    qemu_cmd_arg(cmd, "-no-shutdown");
    if (def->on_reboot == VB_DOMAIN_LIFECYCLE_DESTROY)
        qemu_cmd_arg(cmd, "-no-reboot");
}

static char
boot_device_letter(const char *dev)
{
    if (g_str_equal(dev, "hd"))
        return 'c';
    if (g_str_equal(dev, "cdrom"))
        return 'd';
    if (g_str_equal(dev, "network"))
        return 'n';
    return 'a';   /* fd, the parser allows nothing else */
}

static void
boot_add_menu(QemuCmd *cmd, GString *opts)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autofree char *enable = NULL;
    g_autofree char *timeout = NULL;

    if (!cmd->def->os_bootmenu_xml || !(doc = parse_verbatim(cmd, cmd->def->os_bootmenu_xml)))
        return;
    enable = vb_xml_prop(xmlDocGetRootElement(doc), "enable");
    timeout = vb_xml_prop(xmlDocGetRootElement(doc), "timeout");
    qemu_opts_add(cmd, opts, "menu", g_strcmp0(enable, "yes") == 0 ? "on" : "off");
    qemu_opts_add(cmd, opts, "splash-time", timeout);
}

/* <os><boot dev=.../> becomes -boot order=; per-device <boot order> becomes bootindex
 * on each device, and then only those devices may boot (strict=on). */
static void
build_boot(QemuCmd *cmd)
{
    const VbDomainDef *def = cmd->def;
    g_autoptr(GString) order = g_string_new(NULL);
    GString *opts = g_string_new(NULL);

    for (guint i = 0; !def->os_kernel && def->os_boot && i < def->os_boot->len; i++)
        g_string_append_c(order, boot_device_letter(g_ptr_array_index(def->os_boot, i)));
    if (order->len)
        qemu_opts_add(cmd, opts, "order", order->str);
    boot_add_menu(cmd, opts);
    if (!def->os_kernel && (!def->os_boot || def->os_boot->len == 0))
        qemu_opts_add(cmd, opts, "strict", "on");
    if (opts->len)
        qemu_cmd_add(cmd, "-boot", opts);
    else
        g_string_free(opts, TRUE);
    if (def->os_kernel)
        qemu_cmd_args(cmd, "-kernel", def->os_kernel);
    if (def->os_initrd)
        qemu_cmd_args(cmd, "-initrd", def->os_initrd);
    if (def->os_cmdline)
        qemu_cmd_args(cmd, "-append", def->os_cmdline);
    if ((def->os_initrd || def->os_cmdline) && !def->os_kernel)
        qemu_cmd_unsupported(cmd, "%s", "<initrd> and <cmdline> need a <kernel>");
}

static void
pm_add_state(QemuCmd *cmd, xmlNodePtr pm, const char *element, const char *property)
{
    xmlNodePtr node = vb_xml_child(pm, element);
    g_autofree char *enabled = node ? vb_xml_prop(node, "enabled") : NULL;
    g_autofree char *global = NULL;

    if (!enabled)
        return;
    global = g_strdup_printf("%s.%s=%s", cmd->q35 ? "ICH9-LPC" : "PIIX4_PM", property,
                             g_str_equal(enabled, "no") ? "1" : "0");
    qemu_cmd_args(cmd, "-global", global);
}

static void
build_pm(QemuCmd *cmd)
{
    static const char *const children[] = { "suspend-to-mem", "suspend-to-disk", NULL };
    g_autoptr(xmlDoc) doc = NULL;

    if (!cmd->def->pm_xml || !(doc = parse_verbatim(cmd, cmd->def->pm_xml)))
        return;
    if (!qemu_check_children(cmd, xmlDocGetRootElement(doc), children, "<pm>"))
        return;
    pm_add_state(cmd, xmlDocGetRootElement(doc), "suspend-to-mem", "disable_s3");
    pm_add_state(cmd, xmlDocGetRootElement(doc), "suspend-to-disk", "disable_s4");
}

/* ---- devices ---- */

static void
build_device(QemuCmd *cmd, const VbDeviceDef *dev)
{
    switch (dev->kind) {
    case VB_DEVICE_DISK: qemu_build_disk(cmd, dev->disk); break;
    case VB_DEVICE_INTERFACE: qemu_build_net(cmd, dev->net); break;
    case VB_DEVICE_HOSTDEV: qemu_build_hostdev(cmd, dev); break;
    case VB_DEVICE_SERIAL: qemu_build_serial(cmd, dev); break;
    case VB_DEVICE_CONSOLE: qemu_build_console(cmd, dev); break;
    case VB_DEVICE_CHANNEL: qemu_build_channel(cmd, dev); break;
    case VB_DEVICE_GRAPHICS: qemu_build_graphics(cmd, dev); break;
    case VB_DEVICE_VIDEO: qemu_build_video(cmd, dev); break;
    case VB_DEVICE_MEMBALLOON: qemu_build_memballoon(cmd, dev); break;
    case VB_DEVICE_INPUT: qemu_build_input(cmd, dev); break;
    case VB_DEVICE_PANIC: qemu_build_panic(cmd, dev); break;
    case VB_DEVICE_RNG: qemu_build_rng(cmd, dev); break;
    case VB_DEVICE_WATCHDOG: qemu_build_watchdog(cmd, dev); break;
    case VB_DEVICE_CONTROLLER: break;   /* done first, see build_devices */
    default:
        qemu_cmd_unsupported(cmd, "device <%s> is not supported by the QEMU driver yet",
                             vb_device_kind_to_string(dev->kind));
        break;
    }
}

static gboolean
graphics_is_spice(QemuCmd *cmd, const VbDeviceDef *dev)
{
    g_autoptr(xmlDoc) doc = qemu_device_doc(cmd, dev);
    g_autofree char *type = doc ? vb_xml_prop(xmlDocGetRootElement(doc), "type") : NULL;

    return g_strcmp0(type, "spice") == 0;
}

static void
build_devices(QemuCmd *cmd)
{
    GPtrArray *devices = cmd->def->devices;

    cmd->pci_buses = 1;   /* the root bus */
    for (guint i = 0; i < devices->len && !qemu_cmd_failed(cmd); i++) {
        const VbDeviceDef *dev = g_ptr_array_index(devices, i);
        if (dev->kind == VB_DEVICE_CONTROLLER)
            qemu_build_controller(cmd, dev);
        else if (dev->kind == VB_DEVICE_GRAPHICS)
            cmd->spice |= graphics_is_spice(cmd, dev);
    }
    for (guint i = 0; i < devices->len && !qemu_cmd_failed(cmd); i++) {
        g_clear_pointer(&cmd->last_id, g_free);
        build_device(cmd, g_ptr_array_index(devices, i));
        if (cmd->device_ids)
            g_ptr_array_add(cmd->device_ids, g_steal_pointer(&cmd->last_id));
    }
    if (cmd->graphics == 0)
        qemu_cmd_args(cmd, "-display", "none");
}

/* ---- the whole command ---- */

static void
build_identity(QemuCmd *cmd)
{
    GString *name = g_string_new(NULL);

    qemu_cmd_arg(cmd, cmd->config->emulator);
    qemu_opts_add(cmd, name, "guest", cmd->def->name);
    qemu_opts_add(cmd, name, "debug-threads", "on");
    qemu_cmd_add(cmd, "-name", name);
    qemu_cmd_arg(cmd, "-S");
}

static void
build_fixed_options(QemuCmd *cmd)
{
    qemu_cmd_args(cmd, "-uuid", cmd->def->uuid);
    qemu_cmd_arg(cmd, "-no-user-config");
    qemu_cmd_arg(cmd, "-nodefaults");
    build_monitor(cmd);
}

static void
build_sandbox(QemuCmd *cmd)
{
    qemu_cmd_args(cmd, "-sandbox", QEMU_SANDBOX);
    qemu_cmd_args(cmd, "-msg", "timestamp=on");
}

static void
build_all(QemuCmd *cmd)
{
    g_auto(QemuFirmware) fw = { 0 };
    const char *machine = cmd->def->os_machine ? cmd->def->os_machine : QEMU_MACHINE_DEFAULT;

    if (check_domain_type(cmd) && !machine_is_known(machine, &cmd->q35)) {
        qemu_cmd_unsupported(cmd, "machine type '%s' is not supported by the QEMU driver yet "
                             "(pc, q35, pc-i440fx-*, pc-q35-*)", machine);
    }
    if (cmd->error)
        return;
    check_unmodelled(cmd);
    check_seclabels(cmd);
    parse_firmware(cmd, &fw);
    build_identity(cmd);
    build_machine(cmd, &fw);
    build_firmware(cmd, &fw);
    build_cpu(cmd);
    build_memory(cmd);
    build_numa(cmd);
    build_smp(cmd);
    build_fixed_options(cmd);
    build_clock(cmd);
    build_lifecycle(cmd);
    build_boot(cmd);
    build_pm(cmd);
    build_devices(cmd);
    build_sandbox(cmd);
}

GPtrArray *
vb_qemu_command_build_with_ids(const VbDomainDef *def, const VbQemuCommandConfig *config, GPtrArray **device_ids,
                               GError **error)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
    QemuCmd cmd = { .def = def, .config = config, .argv = argv, .device_ids = ids };

    build_all(&cmd);
    g_free(cmd.last_id);
    if (cmd.error) {
        g_propagate_error(error, cmd.error);
        return NULL;
    }
    if (device_ids)
        *device_ids = g_steal_pointer(&ids);
    return g_steal_pointer(&argv);
}

GPtrArray *
vb_qemu_command_build(const VbDomainDef *def, const VbQemuCommandConfig *config, GError **error)
{
    return vb_qemu_command_build_with_ids(def, config, NULL, error);
}

/* What a hot-plugged device may put on the command line: its backend and itself. */
static gboolean
hotplug_fragment_ok(QemuCmd *cmd)
{
    guint devices = 0;

    for (guint i = 0; i + 1 < cmd->argv->len; i += 2) {
        const char *option = g_ptr_array_index(cmd->argv, i);
        if (g_str_equal(option, "-device"))
            devices++;
        else if (!g_str_equal(option, "-blockdev") && !g_str_equal(option, "-netdev"))
            devices = 2;
    }
    if (devices != 1)
        qemu_cmd_unsupported(cmd, "%s", "the device needs a controller the running guest does not have; "
                             "add the controller to the configuration and restart the guest");
    return !cmd->error;
}

GPtrArray *
vb_qemu_command_build_hotplug(const VbDomainDef *def, const VbDeviceDef *dev, const VbQemuCommandConfig *config,
                              const char *node_prefix, guint net_index, char **id, GError **error)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    QemuCmd cmd = { .def = def, .config = config, .argv = argv };

    if (dev->kind != VB_DEVICE_DISK && dev->kind != VB_DEVICE_INTERFACE) {
        vb_set_error(error, VB_ERR_OPERATION_UNSUPPORTED, "live attach of device '%s' is not supported",
                     vb_device_kind_to_string(dev->kind));
        return NULL;
    }
    /* the whole guest first: which machine, buses and controllers the device joins */
    build_all(&cmd);
    if (!cmd.error) {
        g_ptr_array_set_size(argv, 0);
        cmd.node_prefix = node_prefix;
        cmd.nets = net_index;
        g_clear_pointer(&cmd.last_id, g_free);
        build_device(&cmd, dev);
        hotplug_fragment_ok(&cmd);
    }
    if (cmd.error) {
        g_free(cmd.last_id);
        g_propagate_error(error, cmd.error);
        return NULL;
    }
    *id = cmd.last_id;
    return g_steal_pointer(&argv);
}
