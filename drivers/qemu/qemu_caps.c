/* qemu_caps.c: libvirt's capabilities and domain capabilities XML for a QEMU connection.
 *
 * The host part comes from /sys and /proc (conf/capabilities_conf.h), the guest part from
 * what QEMU reported (qemu_host.c) narrowed to what the argv builder (qemu_command*.c)
 * accepts: a machine type, device model or mode is listed only if a definition using it can
 * start. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "conf/capabilities_conf.h"
#include "conf/cpu_conf.h"
#include "drivers/qemu/qemu_private.h"

#define OVMF_DIR "/usr/share/OVMF"
#define QEMU_DEFAULT_MACHINE "pc"

/* The machine families qemu_command.c builds (i440FX and Q35 PCs). */
static gboolean
machine_is_buildable(const char *name)
{
    return g_str_equal(name, "pc") || g_str_equal(name, "q35") || g_str_has_prefix(name, "pc-i440fx-") ||
           g_str_has_prefix(name, "pc-q35-");
}

static gboolean
machine_is_q35(const char *name)
{
    return g_str_equal(name, "q35") || g_str_has_prefix(name, "pc-q35-");
}

/* The machine QEMU knows as @name (its own name or its alias), or NULL. */
static const QemuMachine *
find_machine(GPtrArray *machines, const char *name)
{
    for (guint i = 0; i < machines->len; i++) {
        const QemuMachine *machine = g_ptr_array_index(machines, i);
        if (g_str_equal(machine->name, name) || g_strcmp0(machine->alias, name) == 0)
            return machine;
    }
    return NULL;
}

/* ---- capabilities ---- */

static void
format_machine(VbBuf *buf, const char *name, const char *canonical, const QemuMachine *machine)
{
    vb_buf_add(buf, "<machine");
    if (canonical)
        vb_buf_escape(buf, " canonical='%s'", canonical);
    if (machine->max_cpus > 0)
        g_string_append_printf(buf->str, " maxCpus='%u'", machine->max_cpus);
    if (machine->deprecated)
        g_string_append(buf->str, " deprecated='yes'");
    vb_buf_escape(buf, ">%s</machine>\n", name);
}

/* libvirt's order: QEMU's default machine first; an alias right after its canonical name. */
static void
format_machines(VbBuf *buf, GPtrArray *machines)
{
    for (int pass = 0; pass < 2; pass++) {
        for (guint i = 0; i < machines->len; i++) {
            const QemuMachine *machine = g_ptr_array_index(machines, i);

            if (machine->is_default != (pass == 0) || !machine_is_buildable(machine->name))
                continue;
            format_machine(buf, machine->name, NULL, machine);
            if (machine->alias)
                format_machine(buf, machine->alias, machine->name, machine);
        }
    }
}

/* Only x86_64 guests: the argv builder refuses any other <os arch>. The features are those
 * libvirt lists that the builder honours (no disk snapshots yet). */
static void
format_guest(VbBuf *buf, GPtrArray *machines)
{
    vb_buf_add(buf, "<guest>\n");
    buf->indent += 2;
    vb_buf_add(buf, "<os_type>hvm</os_type>\n");
    vb_buf_add(buf, "<arch name='x86_64'>\n");
    buf->indent += 2;
    vb_buf_add(buf, "<wordsize>64</wordsize>\n");
    vb_buf_add(buf, "<emulator>%s</emulator>\n", QEMU_HOST_EMULATOR);
    format_machines(buf, machines);
    vb_buf_add(buf, "<domain type='qemu'/>\n");
    if (qemu_host_kvm_usable())
        vb_buf_add(buf, "<domain type='kvm'/>\n");
    buf->indent -= 2;
    vb_buf_add(buf, "</arch>\n");
    vb_buf_add(buf, "<features>\n");
    vb_buf_add(buf, "  <acpi default='on' toggle='yes'/>\n");
    vb_buf_add(buf, "  <apic default='on' toggle='no'/>\n");
    vb_buf_add(buf, "  <cpuselection/>\n");
    vb_buf_add(buf, "  <deviceboot/>\n");
    vb_buf_add(buf, "</features>\n");
    buf->indent -= 2;
    vb_buf_add(buf, "</guest>\n");
}

/* The host element with libvirt's <secmodel> for "no security driver" before its end. */
static char *
format_host(GError **error)
{
    g_autofree char *host = vb_capabilities_host_format("/", 2, error);
    char *end = host ? g_strrstr(host, "  </host>") : NULL;

    if (!end) {
        if (host)
            vb_set_error(error, VB_ERR_INTERNAL_ERROR, "%s", "malformed host capabilities");
        return NULL;
    }
    *end = '\0';
    return g_strconcat(host, "    <secmodel>\n      <model>none</model>\n      <doi>0</doi>\n    </secmodel>\n",
                       "  </host>\n", NULL);
}

char *
qemu_get_capabilities(VbConn *conn, GError **error)
{
    char **cache = qemu_host_caps_cache(conn);
    g_autofree char *host = NULL;
    GPtrArray *machines;
    VbBuf buf;

    if (*cache)
        return g_strdup(*cache);
    if (!(machines = qemu_host_machines(conn, error)) || !(host = format_host(error)))
        return NULL;
    vb_buf_init(&buf, 0);
    vb_buf_add(&buf, "<capabilities>\n\n");
    g_string_append(buf.str, host);
    vb_buf_add(&buf, "\n");
    buf.indent = 2;
    format_guest(&buf, machines);
    buf.indent = 0;
    vb_buf_add(&buf, "\n</capabilities>\n");
    *cache = vb_buf_steal(&buf);
    return g_strdup(*cache);
}

/* ---- domain capabilities: the arguments ---- */

typedef struct {
    const char *emulator;
    const char *arch;
    const QemuMachine *machine;
    const char *machine_name; /* QEMU's canonical name */
    gboolean kvm;
} DomCapsArgs;

static gboolean
check_virttype(const char *virttype, DomCapsArgs *args, GError **error)
{
    int type = virttype ? vb_domain_virt_from_string(virttype) : -1;

    if (virttype && type < 0) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "unknown virttype: %s", virttype);
        return FALSE;
    }
    if (!virttype) {
        args->kvm = qemu_host_kvm_usable();
        return TRUE;
    }
    if (type != VB_DOMAIN_VIRT_QEMU && type != VB_DOMAIN_VIRT_KVM) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "the accel '%s' is not supported by '%s' on this host", virttype,
                     QEMU_HOST_EMULATOR);
        return FALSE;
    }
    args->kvm = type == VB_DOMAIN_VIRT_KVM;
    if (args->kvm && !qemu_host_kvm_usable()) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "KVM is not supported by '%s' on this host", QEMU_HOST_EMULATOR);
        return FALSE;
    }
    return TRUE;
}

/* The emulator is fixed by the driver: another binary is never run. */
static gboolean
check_emulator(const char *emulator, GError **error)
{
    if (!emulator || g_str_equal(emulator, QEMU_HOST_EMULATOR))
        return TRUE;
    if (access(emulator, F_OK) != 0)
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "Cannot check QEMU binary %s: %s", emulator, g_strerror(errno));
    else
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "emulator '%s' is not the configured QEMU binary '%s'",
                     emulator, QEMU_HOST_EMULATOR);
    return FALSE;
}

static gboolean
check_arch(const char *arch, GError **error)
{
    if (!arch || g_str_equal(arch, "x86_64"))
        return TRUE;
    if (!qemu_arch_is_known(arch))
        vb_set_error(error, VB_ERR_INVALID_ARG, "unknown architecture: %s", arch);
    else
        vb_set_error(error, VB_ERR_INVALID_ARG, "unable to find any emulator to serve '%s' architecture", arch);
    return FALSE;
}

static gboolean
resolve_args(VbConn *conn, const char *emulator, const char *arch, const char *machine, const char *virttype,
             DomCapsArgs *args, GError **error)
{
    GPtrArray *machines;
    const char *wanted = machine ? machine : QEMU_DEFAULT_MACHINE;

    if (!check_virttype(virttype, args, error) || !check_arch(arch, error) || !check_emulator(emulator, error) ||
        !(machines = qemu_host_machines(conn, error)))
        return FALSE;
    args->emulator = QEMU_HOST_EMULATOR;
    args->arch = "x86_64";
    args->machine = machine_is_buildable(wanted) ? find_machine(machines, wanted) : NULL;
    if (!args->machine) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "the machine '%s' is not supported by emulator '%s'", wanted,
                     QEMU_HOST_EMULATOR);
        return FALSE;
    }
    args->machine_name = args->machine->name;
    return TRUE;
}

/* ---- domain capabilities: the body ---- */

/* What KVM allows per guest (KVM_CAP_MAX_VCPUS, else the recommended KVM_CAP_NR_VCPUS). */
static guint
kvm_max_vcpus(void)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    int max;

    if (fd < 0)
        return 0;
    max = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
    if (max <= 0)
        max = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
    close(fd);
    return max > 0 ? (guint)max : 4;
}

static void
format_enum(VbBuf *buf, const char *name, const char *const *values)
{
    if (!values || !values[0]) {
        vb_buf_add(buf, "<enum name='%s'/>\n", name);
        return;
    }
    vb_buf_add(buf, "<enum name='%s'>\n", name);
    for (gsize i = 0; values[i]; i++)
        vb_buf_escape(buf, "  <value>%s</value>\n", values[i]);
    vb_buf_add(buf, "</enum>\n");
}

static gint
compare_paths(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

/* The OVMF code images installed (firmware paths a <loader> can name). */
static GPtrArray *
ovmf_images(void)
{
    g_autoptr(GDir) dir = g_dir_open(OVMF_DIR, 0, NULL);
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    const char *name;

    while (dir && (name = g_dir_read_name(dir))) {
        if (strstr(name, "CODE") && g_str_has_suffix(name, ".fd"))
            g_ptr_array_add(paths, g_build_filename(OVMF_DIR, name, NULL));
    }
    g_ptr_array_sort(paths, compare_paths);
    g_ptr_array_add(paths, NULL);
    return paths;
}

/* Firmware is named with <loader> (autoselection is refused), secure boot only on q35. */
static void
format_os(VbBuf *buf, const DomCapsArgs *args)
{
    static const char *const types[] = { "rom", "pflash", NULL };
    static const char *const yes_no[] = { "yes", "no", NULL };
    static const char *const no[] = { "no", NULL };
    g_autoptr(GPtrArray) images = ovmf_images();

    vb_buf_add(buf, "<os supported='yes'>\n");
    buf->indent += 2;
    format_enum(buf, "firmware", NULL);
    vb_buf_add(buf, "<loader supported='yes'>\n");
    buf->indent += 2;
    for (guint i = 0; g_ptr_array_index(images, i); i++)
        vb_buf_escape(buf, "<value>%s</value>\n", g_ptr_array_index(images, i));
    format_enum(buf, "type", types);
    format_enum(buf, "readonly", yes_no);
    format_enum(buf, "secure", machine_is_q35(args->machine_name) ? yes_no : no);
    buf->indent -= 2;
    vb_buf_add(buf, "</loader>\n");
    buf->indent -= 2;
    vb_buf_add(buf, "</os>\n");
}

/* "yes", "no" or "unknown" for a custom CPU model: under TCG what QEMU said, under KVM
 * whether the host CPU has every feature of the model. */
static const char *
model_usable(const VbCpuDb *db, const VbCpuDef *host, GHashTable *qemu_models, const char *model, gboolean kvm)
{
    VbCpuDef guest;
    VbCpuCompareResult result;

    if (!kvm)
        return GPOINTER_TO_INT(g_hash_table_lookup(qemu_models, model)) ? "yes" : "no";
    if (!host->model)
        return "unknown";
    vb_cpu_def_init(&guest);
    guest.present = TRUE;
    guest.mode = VB_CPU_MODE_CUSTOM;
    guest.model = g_strdup(model);
    result = vb_cpu_compare(db, host, &guest, "x86_64", FALSE, NULL);
    vb_cpu_def_clear(&guest);
    return result == VB_CPU_COMPARE_ERROR ? "unknown" : result == VB_CPU_COMPARE_INCOMPATIBLE ? "no" : "yes";
}

/* Models of our CPU database that this QEMU also knows (others would not start). */
static void
format_custom_models(VbBuf *buf, const VbCpuDef *host, GHashTable *qemu_models, gboolean kvm)
{
    const VbCpuDb *db = vb_cpu_db_default(NULL);
    g_auto(GStrv) names = db ? vb_cpu_db_model_names(db) : NULL;

    vb_buf_add(buf, "<mode name='custom' supported='%s'>\n", names && qemu_models ? "yes" : "no");
    for (guint i = 0; names && qemu_models && names[i]; i++) {
        if (!g_hash_table_contains(qemu_models, names[i]))
            continue;
        vb_buf_add(buf, "  <model usable='%s'>", model_usable(db, host, qemu_models, names[i], kvm));
        vb_buf_escape(buf, "%s</model>\n", names[i]);
    }
    vb_buf_add(buf, "</mode>\n");
}

/* host-passthrough needs KVM; host-model is "-cpu host" under KVM and "-cpu max" under TCG,
 * so only under KVM does it stand for the host's named model. */
static void
format_cpu(VbConn *conn, VbBuf *buf, const DomCapsArgs *args)
{
    static const char *const on_off[] = { "on", "off", NULL };
    g_autofree char *caps = qemu_get_capabilities(conn, NULL);
    GHashTable *qemu_models = qemu_host_cpu_models(conn, NULL);
    VbCpuDef host;

    vb_cpu_def_init(&host);
    if (caps)
        vb_cpu_def_parse_xml(caps, &host, NULL, NULL);
    vb_buf_add(buf, "<cpu>\n");
    buf->indent += 2;
    vb_buf_add(buf, "<mode name='host-passthrough' supported='%s'>\n", args->kvm ? "yes" : "no");
    if (args->kvm) {
        buf->indent += 2;
        format_enum(buf, "hostPassthroughMigratable", on_off);
        buf->indent -= 2;
    }
    vb_buf_add(buf, "</mode>\n");
    vb_buf_add(buf, "<mode name='maximum' supported='yes'>\n");
    buf->indent += 2;
    format_enum(buf, "maximumMigratable", on_off);
    buf->indent -= 2;
    vb_buf_add(buf, "</mode>\n");
    vb_buf_add(buf, "<mode name='host-model' supported='yes'");
    if (args->kvm && host.model) {
        vb_buf_escape(buf, ">\n  <model fallback='forbid'>%s</model>\n", host.model);
        vb_buf_escape(buf, "  <vendor>%s</vendor>\n", host.vendor);
        vb_buf_add(buf, "</mode>\n");
    } else {
        g_string_append(buf->str, "/>\n");
    }
    format_custom_models(buf, &host, qemu_models, args->kvm);
    buf->indent -= 2;
    vb_buf_add(buf, "</cpu>\n");
    vb_cpu_def_clear(&host);
}

static void
format_device(VbBuf *buf, const char *name, const char *const *enum_names, const char *const *const *enums)
{
    if (!enum_names) {
        vb_buf_add(buf, "<%s supported='no'/>\n", name);
        return;
    }
    vb_buf_add(buf, "<%s supported='yes'>\n", name);
    buf->indent += 2;
    for (gsize i = 0; enum_names[i]; i++)
        format_enum(buf, enum_names[i], enums[i]);
    buf->indent -= 2;
    vb_buf_add(buf, "</%s>\n", name);
}

#define ENUMS(...) (const char *const[]){ __VA_ARGS__, NULL }
#define VALUES(...) (const char *const *const[]){ __VA_ARGS__ }
#define NONE_OF ((const char *const[]){ NULL })

/* The device models and types qemu_command_disk.c / qemu_command_devices.c build. */
static void
format_devices(VbBuf *buf, const DomCapsArgs *args)
{
    gboolean q35 = machine_is_q35(args->machine_name);
    static const char *const chardevs[] = { "pty", "file", "unix", "null", "spicevmc", NULL };

    vb_buf_add(buf, "<devices>\n");
    buf->indent += 2;
    format_device(buf, "disk", ENUMS("diskDevice", "bus"),
                  VALUES(ENUMS("disk", "cdrom"),
                         q35 ? ENUMS("scsi", "virtio", "usb", "sata") : ENUMS("ide", "scsi", "virtio", "usb", "sata")));
    format_device(buf, "graphics", ENUMS("type"), VALUES(ENUMS("vnc", "spice")));
    format_device(buf, "video", ENUMS("modelType"), VALUES(ENUMS("vga", "cirrus", "virtio", "none", "bochs", "qxl")));
    format_device(buf, "hostdev", ENUMS("mode", "startupPolicy", "subsysType", "capsType", "pciBackend"),
                  VALUES(ENUMS("subsystem"), NONE_OF, ENUMS("usb", "pci"), NONE_OF, ENUMS("default")));
    format_device(buf, "rng", ENUMS("model", "backendModel"), VALUES(ENUMS("virtio"), ENUMS("random", "builtin")));
    format_device(buf, "filesystem", NULL, NULL);
    format_device(buf, "tpm", NULL, NULL);
    format_device(buf, "redirdev", NULL, NULL);
    format_device(buf, "channel", ENUMS("type"), VALUES(chardevs));
    format_device(buf, "crypto", NULL, NULL);
    format_device(buf, "interface", ENUMS("backendType"), VALUES(ENUMS("default")));
    format_device(buf, "panic", ENUMS("model"), VALUES(ENUMS("isa", "pvpanic")));
    format_device(buf, "console", ENUMS("type"), VALUES(chardevs));
    buf->indent -= 2;
    vb_buf_add(buf, "</devices>\n");
}

/* None of libvirt's optional domain features is built yet (the builder refuses them). */
static void
format_features(VbBuf *buf)
{
    static const char *const features[] = {
        "gic", "vmcoreinfo", "genid", "backingStoreInput", "backup", "async-teardown", "s390-pv", "ps2", "sev",
        "sgx", "hyperv", "launchSecurity", NULL,
    };

    vb_buf_add(buf, "<features>\n");
    for (gsize i = 0; features[i]; i++)
        vb_buf_add(buf, "  <%s supported='no'/>\n", features[i]);
    vb_buf_add(buf, "</features>\n");
}

char *
qemu_get_domain_capabilities(VbConn *conn, const char *emulator, const char *arch, const char *machine,
                             const char *virttype, guint flags, GError **error)
{
    DomCapsArgs args = { 0 };
    guint max_vcpus, kvm_max;
    VbBuf buf;

    /* 1: VIR_CONNECT_GET_DOMAIN_CAPABILITIES_DISABLE_DEPRECATED_FEATURES, nothing to hide here */
    if (!vb_check_flags(flags, 1, "virConnectGetDomainCapabilities", error) ||
        !resolve_args(conn, emulator, arch, machine, virttype, &args, error))
        return NULL;
    /* like libvirt: under KVM also no more than KVM takes */
    max_vcpus = args.machine->max_cpus;
    if (args.kvm && (kvm_max = kvm_max_vcpus()) > 0)
        max_vcpus = max_vcpus ? MIN(max_vcpus, kvm_max) : kvm_max;
    vb_buf_init(&buf, 0);
    vb_buf_add(&buf, "<domainCapabilities>\n");
    buf.indent = 2;
    vb_buf_escape(&buf, "<path>%s</path>\n", args.emulator);
    vb_buf_add(&buf, "<domain>%s</domain>\n", args.kvm ? "kvm" : "qemu");
    vb_buf_escape(&buf, "<machine>%s</machine>\n", args.machine_name);
    vb_buf_add(&buf, "<arch>%s</arch>\n", args.arch);
    vb_buf_add(&buf, "<vcpu max='%u'/>\n", max_vcpus);
    vb_buf_add(&buf, "<iothreads supported='no'/>\n");
    format_os(&buf, &args);
    format_cpu(conn, &buf, &args);
    vb_buf_add(&buf, "<memoryBacking supported='no'/>\n");
    format_devices(&buf, &args);
    format_features(&buf);
    buf.indent = 0;
    vb_buf_add(&buf, "</domainCapabilities>\n");
    return vb_buf_steal(&buf);
}

/* Before a KVM guest starts: its custom CPU against the host's (virCPUCompare, as libvirt's
 * check='partial' default does): a model or a required feature the host lacks, or a
 * forbidden one it has, refuses the start. Under TCG QEMU emulates the CPU, so QEMU itself
 * decides. */
gboolean
qemu_check_guest_cpu(VbConn *conn, const VbDomainDef *def, GError **error)
{
    g_autofree char *caps = NULL;
    const VbCpuDb *db;
    VbCpuDef host;
    gboolean ok = TRUE;

    if (def->virt_type != VB_DOMAIN_VIRT_KVM || !def->cpu.present || def->cpu.mode != VB_CPU_MODE_CUSTOM ||
        g_strcmp0(def->cpu.check, "none") == 0 || !(db = vb_cpu_db_default(NULL)) ||
        !(caps = qemu_get_capabilities(conn, NULL)))
        return TRUE;
    vb_cpu_def_init(&host);
    if (vb_cpu_def_parse_xml(caps, &host, NULL, NULL) && host.model)
        ok = vb_cpu_compare(db, &host, &def->cpu, def->os_arch ? def->os_arch : "x86_64", TRUE, error) !=
             VB_CPU_COMPARE_INCOMPATIBLE;
    vb_cpu_def_clear(&host);
    return ok && !(error && *error);
}
