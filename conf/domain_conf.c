/* domain_conf.c: parse and format libvirt's domain XML.
 *
 * Elements that drivers act on (memory, vCPUs, OS boot, CPU, disks, interfaces) are modelled
 * field by field. Other known elements are kept verbatim and written back in libvirt's order
 * and layout (single-quoted attributes, two-space indentation), so a define -> GetXMLDesc round
 * trip loses nothing. Unknown elements are dropped, as libvirt does. */
#include "domain_conf.h"
#include "vb_schema.h"

#include <errno.h>
#include <string.h>
#include <libxml/tree.h>

VB_ENUM_IMPL(vb_domain_virt, VB_DOMAIN_VIRT_LAST,
             "none", "qemu", "kvm", "xen", "lxc", "test", "vmware", "hyperv", "vbox", "bhyve",
             "kqemu", "uml", "openvz", "phyp", "parallels", "vz", "ch", "hvf")
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
             "rng", "nvram", "panic", "shmem", "memory", "iommu", "vsock", "crypto", "pstore")

#define CPUMASK_LEN 4096
#define BOOT_DEVS_MAX 4
/* libvirt caps memory sizes at LLONG_MAX bytes */
#define MEMORY_MAX_KIB ((guint64)G_MAXINT64 / 1024)

/* An unmodelled child element kept verbatim, and the place libvirt prints it. */
typedef struct {
    int slot;
    int rank;
    char *xml;
} ExtraXml;

/* Child name -> output slot, in libvirt's order (rank = index). */
typedef struct {
    const char *name;
    int slot;
} ExtraSlot;

/* ---- freeing ---- */

static void
extra_xml_free(ExtraXml *extra)
{
    g_free(extra->xml);
    g_free(extra);
}

static void
ptr_array_clear(GPtrArray **array)
{
    if (*array)
        g_ptr_array_unref(*array);
    *array = NULL;
}

static void
device_address_clear(VbDeviceAddress *addr)
{
    g_free(addr->type);
    g_free(addr->multifunction);
    ptr_array_clear(&addr->attrs);
}

static void
disk_def_free(VbDiskDef *disk)
{
    g_free(disk->type);
    g_free(disk->device);
    ptr_array_clear(&disk->attrs);
    g_free(disk->driver_name);
    g_free(disk->driver_type);
    g_free(disk->driver_cache);
    g_free(disk->driver_io);
    g_free(disk->driver_discard);
    ptr_array_clear(&disk->driver_extra);
    g_free(disk->source_file);
    g_free(disk->source_protocol);
    g_free(disk->source_name);
    g_free(disk->source_pool);
    g_free(disk->source_volume);
    ptr_array_clear(&disk->source_attrs);
    g_free(disk->source_extra_xml);
    g_free(disk->target_dev);
    g_free(disk->target_bus);
    ptr_array_clear(&disk->target_attrs);
    g_free(disk->serial);
    g_free(disk->alias);
    device_address_clear(&disk->address);
    ptr_array_clear(&disk->extras);
    g_free(disk);
}

static void
net_def_free(VbNetDef *net)
{
    g_free(net->type);
    ptr_array_clear(&net->attrs);
    ptr_array_clear(&net->source_attrs);
    g_free(net->source_xml);
    ptr_array_clear(&net->driver_attrs);
    g_free(net->driver_xml);
    g_free(net->model);
    g_free(net->target_dev);
    ptr_array_clear(&net->target_attrs);
    g_free(net->link_state);
    g_free(net->alias);
    device_address_clear(&net->address);
    ptr_array_clear(&net->extras);
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
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbDeviceDef, device_def_free)

void
vb_device_def_free(VbDeviceDef *dev)
{
    if (dev)
        device_def_free(dev);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbDiskDef, disk_def_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbNetDef, net_def_free)

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
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbCpuFeature, cpu_feature_free)

static void
cpu_def_clear(VbCpuDef *cpu)
{
    g_free(cpu->check);
    g_free(cpu->migratable);
    g_free(cpu->model);
    g_free(cpu->model_fallback);
    g_free(cpu->vendor_id);
    g_free(cpu->vendor);
    g_free(cpu->cache_mode);
    ptr_array_clear(&cpu->features);
    g_free(cpu->numa_xml);
}

static void
domain_def_free_os(VbDomainDef *def)
{
    g_free(def->bootloader);
    g_free(def->bootloader_args);
    g_free(def->os_type);
    g_free(def->os_arch);
    g_free(def->os_machine);
    g_free(def->os_firmware);
    g_free(def->os_firmware_xml);
    g_free(def->os_init_xml);
    g_free(def->os_loader_xml);
    g_free(def->os_kernel);
    g_free(def->os_initrd);
    g_free(def->os_cmdline);
    g_free(def->os_dtb);
    g_free(def->os_root);
    ptr_array_clear(&def->os_boot);
    g_free(def->os_bootmenu_xml);
    g_free(def->os_extra_xml);
}

static void
domain_def_free_verbatim(VbDomainDef *def)
{
    g_free(def->memory_backing_xml);
    g_free(def->blkiotune_xml);
    g_free(def->memtune_xml);
    g_free(def->cputune_xml);
    g_free(def->numatune_xml);
    g_free(def->resource_xml);
    g_free(def->sysinfo_xml);
    g_free(def->idmap_xml);
    g_free(def->features_xml);
    g_free(def->pm_xml);
    g_free(def->perf_xml);
    g_free(def->seclabel_xml);
    g_free(def->keywrap_xml);
    g_free(def->launch_security_xml);
}

void
vb_domain_def_free(VbDomainDef *def)
{
    if (!def)
        return;
    g_free(def->name);
    g_free(def->genid);
    g_free(def->title);
    g_free(def->description);
    ptr_array_clear(&def->metadata);
    g_free(def->memory_dump_core);
    g_free(def->vcpu_placement);
    g_free(def->vcpu_cpuset);
    g_free(def->vcpus_xml);
    g_free(def->iothreadids_xml);
    domain_def_free_os(def);
    cpu_def_clear(&def->cpu);
    g_free(def->clock_offset);
    g_free(def->clock_adjustment);
    g_free(def->clock_basis);
    g_free(def->clock_timezone);
    g_free(def->clock_start);
    g_free(def->clock_extra_xml);
    g_free(def->on_lockfailure);
    domain_def_free_verbatim(def);
    g_free(def->emulator);
    ptr_array_clear(&def->devices);
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

/* ---- writing XML the way libvirt does ----
 *
 * Elements kept verbatim are serialised here rather than with xmlNodeDump: attributes take
 * single quotes, children are indented by two spaces, and text content is never touched, so a
 * value with a newline in it survives any number of round trips. Metadata keeps libxml2's
 * double quotes, as libvirt prints it. */

typedef struct {
    GString *out;
    char quote;              /* '\'' libvirt style, '"' libxml2 style */
} XmlWriter;

static void
xml_escape(GString *out, const char *text, gboolean attr, char quote)
{
    for (const char *p = text; p && *p; p++) {
        switch (*p) {
        case '&': g_string_append(out, "&amp;"); break;
        case '<': g_string_append(out, "&lt;"); break;
        case '>': g_string_append(out, "&gt;"); break;
        case '\'':
            g_string_append(out, quote == '\'' ? "&apos;" : "'");
            break;
        case '"':
            g_string_append(out, quote == '\'' || attr ? "&quot;" : "\"");
            break;
        case '\r': g_string_append(out, "&#13;"); break;
        case '\n':
            g_string_append(out, attr ? "&#10;" : "\n");
            break;
        case '\t':
            g_string_append(out, attr ? "&#9;" : "\t");
            break;
        default:
            g_string_append_c(out, *p);
        }
    }
}

static void
write_attr(XmlWriter *w, const char *prefix, const char *name, const char *value)
{
    g_string_append_c(w->out, ' ');
    if (prefix)
        g_string_append_printf(w->out, "%s:", prefix);
    g_string_append_printf(w->out, "%s=%c", name, w->quote);
    xml_escape(w->out, value, TRUE, w->quote);
    g_string_append_c(w->out, w->quote);
}

static void
write_qname(GString *out, xmlNodePtr node)
{
    if (node->ns && node->ns->prefix)
        g_string_append_printf(out, "%s:", (const char *)node->ns->prefix);
    g_string_append(out, (const char *)node->name);
}

/* A PCI address: <address type='pci' .../>, or the untyped one under a hostdev <source>. */
static gboolean
is_pci_address(xmlNodePtr node)
{
    g_autofree char *type = NULL;

    if (node->type != XML_ELEMENT_NODE || !xmlStrEqual(node->name, BAD_CAST "address"))
        return FALSE;
    type = vb_xml_prop(node, "type");
    if (type)
        return g_str_equal(type, "pci");
    return xmlHasProp(node, BAD_CAST "slot") || xmlHasProp(node, BAD_CAST "function");
}

static void
write_pci_field(XmlWriter *w, xmlNodePtr node, const char *name, const char *fmt)
{
    g_autofree char *raw = vb_xml_prop(node, name);
    g_autofree char *value = NULL;
    guint64 number = 0;

    if (raw && !vb_parse_ull(g_strstrip(raw), &number)) {
        write_attr(w, NULL, name, raw);
        return;
    }
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    value = g_strdup_printf(fmt, (guint)number);
#pragma GCC diagnostic pop
    write_attr(w, NULL, name, value);
}

/* libvirt prints every PCI address the same way: domain='0x0000' bus='0x00' slot='0x01'... */
static void
write_pci_attrs(XmlWriter *w, xmlNodePtr node)
{
    static const char *const fixed[] = { "type", "domain", "bus", "slot", "function", NULL };
    g_autofree char *type = vb_xml_prop(node, "type");

    if (type)
        write_attr(w, NULL, "type", type);
    write_pci_field(w, node, "domain", "0x%04x");
    write_pci_field(w, node, "bus", "0x%02x");
    write_pci_field(w, node, "slot", "0x%02x");
    write_pci_field(w, node, "function", "0x%x");
    for (xmlAttrPtr attr = node->properties; attr; attr = attr->next) {
        g_autofree char *value = NULL;
        if (g_strv_contains(fixed, (const char *)attr->name) && !attr->ns)
            continue;
        value = (char *)xmlNodeGetContent((xmlNodePtr)attr);
        write_attr(w, attr->ns ? (const char *)attr->ns->prefix : NULL, (const char *)attr->name, value);
        xmlFree(value);
        value = NULL;
    }
}

static void
write_start_tag_attrs(XmlWriter *w, xmlNodePtr node)
{
    for (xmlNsPtr ns = node->nsDef; ns; ns = ns->next)
        write_attr(w, ns->prefix ? "xmlns" : NULL, ns->prefix ? (const char *)ns->prefix : "xmlns",
                   (const char *)ns->href);
    if (is_pci_address(node)) {
        write_pci_attrs(w, node);
        return;
    }
    for (xmlAttrPtr attr = node->properties; attr; attr = attr->next) {
        xmlChar *value = xmlNodeGetContent((xmlNodePtr)attr);
        write_attr(w, attr->ns ? (const char *)attr->ns->prefix : NULL, (const char *)attr->name,
                   (const char *)value);
        xmlFree(value);
    }
}

typedef enum {
    CONTENT_EMPTY,
    CONTENT_TEXT,
    CONTENT_ELEMENTS,
    CONTENT_MIXED,
} ContentKind;

static gboolean
is_text(xmlNodePtr node)
{
    return node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE;
}

static ContentKind
content_kind(xmlNodePtr node)
{
    gboolean elements = FALSE, text = FALSE, blank = FALSE;

    for (xmlNodePtr cur = node->children; cur; cur = cur->next) {
        if (cur->type == XML_ELEMENT_NODE)
            elements = TRUE;
        else if (is_text(cur) && xmlIsBlankNode(cur))
            blank = TRUE;
        else if (is_text(cur))
            text = TRUE;
    }
    if (elements)
        return text ? CONTENT_MIXED : CONTENT_ELEMENTS;
    return text || blank ? CONTENT_TEXT : CONTENT_EMPTY;
}

static void write_node(XmlWriter *w, xmlNodePtr node, int indent, gboolean pretty);

static void
write_children(XmlWriter *w, xmlNodePtr node, int indent, gboolean pretty)
{
    for (xmlNodePtr cur = node->children; cur; cur = cur->next) {
        if (cur->type == XML_ELEMENT_NODE)
            write_node(w, cur, indent, pretty);
        else if (is_text(cur) && !pretty)
            xml_escape(w->out, (const char *)cur->content, FALSE, w->quote);
    }
}

static void
write_node(XmlWriter *w, xmlNodePtr node, int indent, gboolean pretty)
{
    ContentKind kind = content_kind(node);

    if (pretty)
        g_string_append_printf(w->out, "%*s", indent, "");
    g_string_append_c(w->out, '<');
    write_qname(w->out, node);
    write_start_tag_attrs(w, node);
    if (kind == CONTENT_EMPTY) {
        g_string_append(w->out, "/>");
    } else {
        g_string_append_c(w->out, '>');
        if (kind == CONTENT_ELEMENTS && pretty) {
            g_string_append_c(w->out, '\n');
            write_children(w, node, indent + 2, TRUE);
            g_string_append_printf(w->out, "%*s", indent, "");
        } else {
            write_children(w, node, 0, FALSE);
        }
        g_string_append(w->out, "</");
        write_qname(w->out, node);
        g_string_append_c(w->out, '>');
    }
    if (pretty)
        g_string_append_c(w->out, '\n');
}

/* The subtree as standalone text: copied into its own document so that namespaces declared
 * higher up are declared on it. */
static char *
node_to_xml(xmlNodePtr node, char quote)
{
    g_autoptr(xmlDoc) doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr copy = xmlDocCopyNode(node, doc, 1);
    XmlWriter w = { g_string_new(NULL), quote };

    xmlDocSetRootElement(doc, copy);
    xmlReconciliateNs(doc, copy);
    write_node(&w, copy, 0, TRUE);
    g_string_truncate(w.out, w.out->len - 1);   /* the last newline */
    return g_string_free(w.out, FALSE);
}

char *
vb_domain_xml_dump(xmlNodePtr node)
{
    return node_to_xml(node, '\'');
}

static gboolean
buf_at_line_start(const VbBuf *buf)
{
    return buf->str->len == 0 || buf->str->str[buf->str->len - 1] == '\n';
}

/* Writes elements kept as text (one or several, as node_to_xml wrote them) at @buf's indent. */
static void
buf_add_xml_quoted(VbBuf *buf, const char *xml, char quote)
{
    g_autofree char *wrapped = NULL;
    g_autoptr(xmlDoc) doc = NULL;
    XmlWriter w = { buf->str, quote };

    if (!xml)
        return;
    wrapped = g_strconcat("<fragment>", xml, "</fragment>", NULL);
    if (!(doc = vb_xml_parse(wrapped, "fragment", NULL))) {
        vb_buf_add_raw_xml(buf, xml);
        return;
    }
    if (!buf_at_line_start(buf))
        g_string_append_c(buf->str, '\n');
    for (xmlNodePtr cur = vb_xml_child(xmlDocGetRootElement(doc), NULL); cur; cur = vb_xml_next(cur, NULL))
        write_node(&w, cur, buf->indent, TRUE);
}

void
vb_domain_buf_add_xml(VbBuf *buf, const char *xml)
{
    buf_add_xml_quoted(buf, xml, '\'');
}

void
vb_domain_buf_add_text(VbBuf *buf, const char *name, const char *value)
{
    if (!value)
        return;
    if (!buf_at_line_start(buf))
        g_string_append_c(buf->str, '\n');
    g_string_append_printf(buf->str, "%*s<%s>", buf->indent, "", name);
    xml_escape(buf->str, value, FALSE, '\'');
    g_string_append_printf(buf->str, "</%s>\n", name);
}

void
vb_domain_buf_add_attr(VbBuf *buf, const char *name, const char *value)
{
    if (!value)
        return;
    g_string_append_printf(buf->str, " %s='", name);
    xml_escape(buf->str, value, TRUE, '\'');
    g_string_append_c(buf->str, '\'');
}

#define add_attr vb_domain_buf_add_attr
#define add_text vb_domain_buf_add_text
#define add_xml vb_domain_buf_add_xml

/* A child buffer whose lines are already indented one level below @parent. */
static void
child_buf_init(VbBuf *child, const VbBuf *parent)
{
    vb_buf_init(child, parent->indent + 2);
}

/* <name attrs>children</name>, <name attrs/>, or nothing when both are empty; @children must
 * come from child_buf_init so that it is copied as it is. */
static void
add_element(VbBuf *buf, const char *name, VbBuf *attrs, VbBuf *children)
{
    gboolean no_attrs = !attrs || vb_buf_empty(attrs);
    gboolean no_children = !children || vb_buf_empty(children);

    if (no_attrs && no_children)
        return;
    vb_buf_add(buf, "<%s", name);
    if (!no_attrs)
        g_string_append(buf->str, attrs->str->str);
    if (no_children) {
        g_string_append(buf->str, "/>\n");
        return;
    }
    g_string_append(buf->str, ">\n");
    g_string_append(buf->str, children->str->str);
    vb_buf_add(buf, "</%s>\n", name);
}

/* ---- attribute lists (alternating name, value) ---- */

static void
attrs_add(GPtrArray *attrs, const char *name, const char *value)
{
    g_ptr_array_add(attrs, g_strdup(name));
    g_ptr_array_add(attrs, g_strdup(value));
}

/* Every attribute of @node except those in @skip, in document order. */
static GPtrArray *
attrs_of_except(xmlNodePtr node, const char *const *skip)
{
    GPtrArray *attrs = g_ptr_array_new_with_free_func(g_free);

    for (xmlAttrPtr attr = node ? node->properties : NULL; attr; attr = attr->next) {
        xmlChar *value;
        if (attr->ns || (skip && g_strv_contains(skip, (const char *)attr->name)))
            continue;
        value = xmlNodeGetContent((xmlNodePtr)attr);
        attrs_add(attrs, (const char *)attr->name, (const char *)value);
        xmlFree(value);
    }
    return attrs;
}

static GPtrArray *
attrs_of(xmlNodePtr node)
{
    return attrs_of_except(node, NULL);
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

/* Writes the attributes named in @order first, in that order, then the rest as given. */
static void
format_attrs_ordered(VbBuf *buf, GPtrArray *attrs, const char *const *order)
{
    for (guint i = 0; order && order[i]; i++)
        add_attr(buf, order[i], attrs_lookup(attrs, order[i]));
    for (guint i = 0; attrs && i + 1 < attrs->len; i += 2) {
        const char *name = g_ptr_array_index(attrs, i);
        if (!order || !g_strv_contains(order, name))
            add_attr(buf, name, g_ptr_array_index(attrs, i + 1));
    }
}

static void
format_attrs(VbBuf *buf, GPtrArray *attrs)
{
    format_attrs_ordered(buf, attrs, NULL);
}

/* ---- children kept verbatim ---- */

static char *
dump_children_of(xmlNodePtr parent, const char *const *names)
{
    g_autoptr(GString) out = g_string_new(NULL);

    for (xmlNodePtr cur = vb_xml_child(parent, NULL); cur; cur = vb_xml_next(cur, NULL)) {
        g_autofree char *text = NULL;
        if (names && !g_strv_contains(names, (const char *)cur->name))
            continue;
        text = node_to_xml(cur, '\'');
        g_string_append_printf(out, "%s\n", text);
    }
    return out->len ? g_string_free(g_steal_pointer(&out), FALSE) : NULL;
}

/* Like dump_children_of, but grouped in the order of @names. */
static char *
dump_children_ordered(xmlNodePtr parent, const char *const *names)
{
    g_autoptr(GString) out = g_string_new(NULL);

    for (guint i = 0; names[i]; i++) {
        VB_XML_FOREACH_CHILD(parent, names[i], cur) {
            g_autofree char *text = node_to_xml(cur, '\'');
            g_string_append_printf(out, "%s\n", text);
        }
    }
    return out->len ? g_string_free(g_steal_pointer(&out), FALSE) : NULL;
}

static char *
dump_child(xmlNodePtr parent, const char *name)
{
    const char *const names[] = { name, NULL };

    return dump_children_of(parent, names);
}

static gint
extra_compare(gconstpointer a, gconstpointer b)
{
    const ExtraXml *x = *(const ExtraXml *const *)a;
    const ExtraXml *y = *(const ExtraXml *const *)b;

    return x->rank - y->rank;
}

/* The children of @parent named in @table, each tagged with where libvirt prints it. */
static GPtrArray *
collect_extras(xmlNodePtr parent, const ExtraSlot *table)
{
    GPtrArray *extras = g_ptr_array_new_with_free_func((GDestroyNotify)extra_xml_free);

    for (xmlNodePtr cur = vb_xml_child(parent, NULL); cur; cur = vb_xml_next(cur, NULL)) {
        for (int i = 0; table[i].name; i++) {
            if (!xmlStrEqual(cur->name, BAD_CAST table[i].name))
                continue;
            ExtraXml *extra = g_new0(ExtraXml, 1);
            extra->slot = table[i].slot;
            extra->rank = i;
            extra->xml = node_to_xml(cur, '\'');
            g_ptr_array_add(extras, extra);
            break;
        }
    }
    g_ptr_array_sort(extras, extra_compare);   /* stable: keeps document order per name */
    return extras;
}

static void
format_extras(VbBuf *buf, GPtrArray *extras, int slot)
{
    for (guint i = 0; extras && i < extras->len; i++) {
        const ExtraXml *extra = g_ptr_array_index(extras, i);
        if (extra->slot == slot)
            add_xml(buf, extra->xml);
    }
}

/* ---- CPU sets: "0-3,^2,8" as libvirt's virBitmapParse reads them ---- */

static const char *
skip_spaces(const char *p)
{
    while (g_ascii_isspace(*p))
        p++;
    return p;
}

static gboolean
bitmap_parse_number(const char **p, guint *out)
{
    char *end = NULL;
    guint64 value;

    if (!g_ascii_isdigit(**p))
        return FALSE;
    errno = 0;
    value = g_ascii_strtoull(*p, &end, 10);
    if (errno || value >= CPUMASK_LEN)
        return FALSE;
    *out = (guint)value;
    *p = skip_spaces(end);
    return TRUE;
}

static gboolean
bitmap_parse_item(const char **p, gboolean *bits)
{
    gboolean negate = FALSE;
    guint first, last;

    if (**p == '^') {
        negate = TRUE;
        *p = skip_spaces(*p + 1);
    }
    if (!bitmap_parse_number(p, &first))
        return FALSE;
    last = first;
    if (**p == '-') {
        *p = skip_spaces(*p + 1);
        if (negate || !bitmap_parse_number(p, &last) || last < first)
            return FALSE;
    }
    for (guint i = first; i <= last; i++)
        bits[i] = !negate;
    return TRUE;
}

/* Fills @bits (CPUMASK_LEN entries); FALSE on a syntax error or an out-of-range number. */
static gboolean
bitmap_parse(const char *str, gboolean *bits)
{
    const char *p = skip_spaces(str);

    if (!*p)
        return FALSE;
    for (;;) {
        if (!bitmap_parse_item(&p, bits))
            return FALSE;
        if (*p == '\0')
            return TRUE;
        if (*p != ',')
            return FALSE;
        p = skip_spaces(p + 1);
    }
}

static char *
bitmap_format(const gboolean *bits)
{
    g_autoptr(GString) out = g_string_new(NULL);

    for (guint i = 0; i < CPUMASK_LEN; i++) {
        guint j = i;
        if (!bits[i])
            continue;
        while (j + 1 < CPUMASK_LEN && bits[j + 1])
            j++;
        g_string_append_printf(out, out->len ? ",%u" : "%u", i);
        if (j > i)
            g_string_append_printf(out, "-%u", j);
        i = j;
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

/* Parses and normalises a CPU/node set; @what names it in messages ("cpuset"). */
static char *
parse_cpuset(const char *str, const char *what, guint *count, guint *max_id, GError **error)
{
    g_autofree gboolean *bits = g_new0(gboolean, CPUMASK_LEN);
    char *formatted;

    if (!bitmap_parse(str, bits)) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "Failed to parse bitmap '%s'", str);
        return NULL;
    }
    formatted = bitmap_format(bits);
    if (!*formatted) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "Invalid value of '%s': %s", what, str);
        g_free(formatted);
        return NULL;
    }
    for (guint i = 0; i < CPUMASK_LEN; i++) {
        if (bits[i] && count)
            (*count)++;
        if (bits[i] && max_id && i > *max_id)
            *max_id = i;
    }
    return formatted;
}

/* ---- device addresses ---- */

static gboolean
parse_pci_field(xmlNodePtr node, const char *name, guint max, guint *out, GError **error)
{
    if (!vb_xml_prop_uint(node, name, VB_XML_OPTIONAL, out, error))
        return FALSE;
    if (*out > max) {
        vb_set_error(error, VB_ERR_XML_ERROR, "Invalid PCI address %s='0x%x', must be <= 0x%X",
                     name, *out, max);
        return FALSE;
    }
    return TRUE;
}

static gboolean
parse_pci_address(xmlNodePtr node, VbDeviceAddress *addr, GError **error)
{
    g_autofree char *multi = vb_xml_prop(node, "multifunction");

    if (multi && !g_str_equal(multi, "on") && !g_str_equal(multi, "off")) {
        vb_set_invalid_value(error, node, "multifunction", multi);
        return FALSE;
    }
    addr->multifunction = g_steal_pointer(&multi);
    return parse_pci_field(node, "domain", 0xffff, &addr->domain, error) &&
           parse_pci_field(node, "bus", 0xff, &addr->bus, error) &&
           parse_pci_field(node, "slot", 0x1f, &addr->slot, error) &&
           parse_pci_field(node, "function", 0x7, &addr->function, error);
}

static gboolean
parse_address(xmlNodePtr parent, VbDeviceAddress *addr, GError **error)
{
    static const char *const skip[] = { "type", NULL };
    xmlNodePtr node = vb_xml_child(parent, "address");

    if (!node)
        return TRUE;
    if (!vb_xml_prop_required(node, "type", &addr->type, error))
        return FALSE;
    if (!g_str_equal(addr->type, "pci")) {
        addr->attrs = attrs_of_except(node, skip);
        return TRUE;
    }
    return parse_pci_address(node, addr, error);
}

/* Every PCI address in a device kept verbatim is checked as a modelled one would be. */
static gboolean
check_pci_addresses(xmlNodePtr node, GError **error)
{
    for (xmlNodePtr cur = vb_xml_child(node, NULL); cur; cur = vb_xml_next(cur, NULL)) {
        if (is_pci_address(cur)) {
            VbDeviceAddress addr = { 0 };
            gboolean ok = parse_pci_address(cur, &addr, error);
            device_address_clear(&addr);
            if (!ok)
                return FALSE;
        } else if (!check_pci_addresses(cur, error)) {
            return FALSE;
        }
    }
    return TRUE;
}

static void
format_address(VbBuf *buf, const VbDeviceAddress *addr)
{
    if (!addr->type)
        return;
    vb_buf_add(buf, "<address");
    add_attr(buf, "type", addr->type);
    if (g_str_equal(addr->type, "pci")) {
        g_string_append_printf(buf->str, " domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'",
                               addr->domain, addr->bus, addr->slot, addr->function);
        add_attr(buf, "multifunction", addr->multifunction);
    } else {
        format_attrs(buf, addr->attrs);
    }
    g_string_append(buf->str, "/>\n");
}

/* <boot order='N'/>; @orders collects every order seen so that duplicates are refused. */
static gboolean
parse_boot_order(xmlNodePtr parent, GHashTable *orders, guint *order, GError **error)
{
    xmlNodePtr boot = vb_xml_child(parent, "boot");
    g_autofree char *text = NULL;

    if (!boot)
        return TRUE;
    text = vb_xml_prop(boot, "order");
    if (!text || !vb_xml_prop_uint(boot, "order", VB_XML_REQUIRED | VB_XML_NONZERO, order, NULL)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "incorrect boot order '%s', expecting positive integer",
                     text ? text : "");
        return FALSE;
    }
    if (orders && !g_hash_table_add(orders, GUINT_TO_POINTER(*order))) {
        vb_set_error(error, VB_ERR_XML_ERROR, "boot order '%u' used for more than one device", *order);
        return FALSE;
    }
    return TRUE;
}

static char *
child_prop(xmlNodePtr parent, const char *child, const char *attr)
{
    xmlNodePtr node = vb_xml_child(parent, child);

    return node ? vb_xml_prop(node, attr) : NULL;
}

/* libvirt keeps a device alias in the inactive XML only when the user chose it ("ua-"). */
static void
format_alias(VbBuf *buf, const char *alias, gboolean inactive)
{
    if (alias && (!inactive || g_str_has_prefix(alias, "ua-"))) {
        vb_buf_add(buf, "<alias");
        add_attr(buf, "name", alias);
        g_string_append(buf->str, "/>\n");
    }
}

/* ---- parse context shared by the device parsers ---- */

typedef struct {
    GHashTable *boot_orders;     /* every <boot order> seen */
    gboolean device_boot;        /* some device has <boot order> */
    guint64 memory_devices_kib;  /* <memory> devices, counted in the total memory */
} ParseCtx;

/* ---- disks ---- */

enum {
    DISK_SLOT_BEFORE_SOURCE,
    DISK_SLOT_AFTER_SOURCE,
    DISK_SLOT_AFTER_TARGET,
    DISK_SLOT_AFTER_SHAREABLE,
    DISK_SLOT_AFTER_SERIAL,
    DISK_SLOT_AFTER_ALIAS,
};

static const ExtraSlot disk_extras[] = {
    { "auth", DISK_SLOT_BEFORE_SOURCE },
    { "backingStore", DISK_SLOT_AFTER_SOURCE },
    { "backenddomain", DISK_SLOT_AFTER_SOURCE },
    { "geometry", DISK_SLOT_AFTER_SOURCE },
    { "blockio", DISK_SLOT_AFTER_SOURCE },
    { "iotune", DISK_SLOT_AFTER_TARGET },
    { "transient", DISK_SLOT_AFTER_SHAREABLE },
    { "wwn", DISK_SLOT_AFTER_SERIAL },
    { "vendor", DISK_SLOT_AFTER_SERIAL },
    { "product", DISK_SLOT_AFTER_SERIAL },
    { "encryption", DISK_SLOT_AFTER_SERIAL },
    { "acpi", DISK_SLOT_AFTER_ALIAS },
    { NULL, 0 },
};

/* Is @extra the element @name? */
static gboolean
extra_is(const ExtraXml *extra, const char *name)
{
    gsize len = strlen(name);

    return extra->xml[0] == '<' && strncmp(extra->xml + 1, name, len) == 0 &&
           strchr(" />", extra->xml[len + 1]) != NULL;
}

const char *
vb_disk_def_get_extra(const VbDiskDef *disk, const char *name)
{
    for (guint i = 0; disk->extras && i < disk->extras->len; i++) {
        const ExtraXml *extra = g_ptr_array_index(disk->extras, i);
        if (extra_is(extra, name))
            return extra->xml;
    }
    return NULL;
}

void
vb_disk_def_set_extra(VbDiskDef *disk, const char *name, char *xml)
{
    ExtraXml *extra;
    int rank;

    for (guint i = disk->extras ? disk->extras->len : 0; i > 0; i--) {
        if (extra_is(g_ptr_array_index(disk->extras, i - 1), name))
            g_ptr_array_remove_index(disk->extras, i - 1);
    }
    for (rank = 0; disk_extras[rank].name && !g_str_equal(disk_extras[rank].name, name); rank++)
        ;
    if (!xml || !disk_extras[rank].name) {
        g_free(xml);
        return;
    }
    if (!disk->extras)
        disk->extras = g_ptr_array_new_with_free_func((GDestroyNotify)extra_xml_free);
    extra = g_new0(ExtraXml, 1);
    extra->slot = disk_extras[rank].slot;
    extra->rank = rank;
    extra->xml = xml;
    g_ptr_array_add(disk->extras, extra);
    g_ptr_array_sort(disk->extras, extra_compare);
}

static const char *const disk_driver_order[] = {
    "name", "type", "cache", "error_policy", "rerror_policy", "io", "ioeventfd", "event_idx",
    "copy_on_read", "discard", "iothread", "detect_zeroes", "queues", "queue_size", "iommu",
    "ats", "packed", "page_per_vq", NULL
};

static gboolean
check_enum_prop(xmlNodePtr node, const char *name, const char *const *values, char **out, GError **error)
{
    g_autofree char *value = vb_xml_prop(node, name);

    if (value && !g_strv_contains(values, value)) {
        vb_set_invalid_value(error, node, name, value);
        return FALSE;
    }
    g_free(*out);
    *out = g_steal_pointer(&value);
    return TRUE;
}

static gboolean
parse_disk_driver(xmlNodePtr driver, VbDiskDef *disk, GError **error)
{
    static const char *const modelled[] = { "name", "type", "cache", "io", "discard", NULL };
    static const char *const caches[] = { "default", "none", "writethrough", "writeback", "directsync",
                                          "unsafe", NULL };
    static const char *const ios[] = { "default", "native", "threads", "io_uring", NULL };
    static const char *const discards[] = { "default", "unmap", "ignore", NULL };

    if (!driver)
        return TRUE;
    disk->driver_name = vb_xml_prop(driver, "name");
    disk->driver_type = vb_xml_prop(driver, "type");
    if (!check_enum_prop(driver, "cache", caches, &disk->driver_cache, error) ||
        !check_enum_prop(driver, "io", ios, &disk->driver_io, error) ||
        !check_enum_prop(driver, "discard", discards, &disk->driver_discard, error))
        return FALSE;
    /* "default" is what leaving the attribute out means; libvirt does not print it */
    if (g_strcmp0(disk->driver_cache, "default") == 0)
        g_clear_pointer(&disk->driver_cache, g_free);
    if (g_strcmp0(disk->driver_io, "default") == 0)
        g_clear_pointer(&disk->driver_io, g_free);
    if (g_strcmp0(disk->driver_discard, "default") == 0)
        g_clear_pointer(&disk->driver_discard, g_free);
    disk->driver_extra = attrs_of_except(driver, modelled);
    return TRUE;
}

static const char *
disk_driver_value(const VbDiskDef *disk, const char *name)
{
    if (g_str_equal(name, "name"))
        return disk->driver_name;
    if (g_str_equal(name, "type"))
        return disk->driver_type;
    if (g_str_equal(name, "cache"))
        return disk->driver_cache;
    if (g_str_equal(name, "io"))
        return disk->driver_io;
    if (g_str_equal(name, "discard"))
        return disk->driver_discard;
    return attrs_lookup(disk->driver_extra, name);
}

static void
format_disk_driver(VbBuf *buf, const VbDiskDef *disk)
{
    g_auto(VbBuf) attrs = { 0 };

    vb_buf_init(&attrs, 0);
    for (guint i = 0; disk_driver_order[i]; i++)
        add_attr(&attrs, disk_driver_order[i], disk_driver_value(disk, disk_driver_order[i]));
    for (guint i = 0; disk->driver_extra && i + 1 < disk->driver_extra->len; i += 2) {
        const char *name = g_ptr_array_index(disk->driver_extra, i);
        if (!g_strv_contains(disk_driver_order, name))
            add_attr(&attrs, name, g_ptr_array_index(disk->driver_extra, i + 1));
    }
    add_element(buf, "driver", &attrs, NULL);
}

/* The attribute that names a local source: <source file=|dev=|dir=>. */
static const char *
disk_source_attr(const char *type)
{
    if (g_str_equal(type, "file"))
        return "file";
    if (g_str_equal(type, "block"))
        return "dev";
    if (g_str_equal(type, "dir"))
        return "dir";
    return NULL;
}

static gboolean
parse_disk_source_network(xmlNodePtr source, VbDiskDef *disk, GError **error)
{
    static const char *const protocols[] = { "nbd", "rbd", "sheepdog", "gluster", "iscsi", "http",
                                             "https", "ftp", "ftps", "tftp", "ssh", "vxhs", "nfs", NULL };

    if (!vb_xml_prop_required(source, "protocol", &disk->source_protocol, error))
        return FALSE;
    if (!g_strv_contains(protocols, disk->source_protocol)) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "unknown protocol type '%s'", disk->source_protocol);
        return FALSE;
    }
    disk->source_name = vb_xml_prop(source, "name");
    return TRUE;
}

static gboolean
parse_disk_source(xmlNodePtr source, VbDiskDef *disk, GError **error)
{
    const char *main_attr = disk_source_attr(disk->type);
    const char *skip[3] = { NULL, NULL, NULL };

    if (!source)
        return TRUE;
    if (main_attr) {
        disk->source_file = vb_xml_prop(source, main_attr);
        skip[0] = main_attr;
    } else if (g_str_equal(disk->type, "network")) {
        if (!parse_disk_source_network(source, disk, error))
            return FALSE;
        skip[0] = "protocol";
        skip[1] = "name";
    } else if (g_str_equal(disk->type, "volume")) {
        if (!vb_xml_prop_required(source, "pool", &disk->source_pool, error) ||
            !vb_xml_prop_required(source, "volume", &disk->source_volume, error))
            return FALSE;
        skip[0] = "pool";
        skip[1] = "volume";
    }
    disk->source_attrs = attrs_of_except(source, skip);
    disk->source_extra_xml = dump_children_of(source, NULL);
    return check_pci_addresses(source, error);
}

static void
format_disk_source(VbBuf *buf, const VbDiskDef *disk)
{
    const char *main_attr = disk_source_attr(disk->type);
    g_auto(VbBuf) attrs = { 0 };
    g_auto(VbBuf) children = { 0 };

    vb_buf_init(&attrs, 0);
    child_buf_init(&children, buf);
    if (main_attr) {
        add_attr(&attrs, main_attr, disk->source_file);
    } else if (g_str_equal(disk->type, "network")) {
        add_attr(&attrs, "protocol", disk->source_protocol);
        add_attr(&attrs, "name", disk->source_name);
    } else if (g_str_equal(disk->type, "volume")) {
        add_attr(&attrs, "pool", disk->source_pool);
        add_attr(&attrs, "volume", disk->source_volume);
    }
    format_attrs(&attrs, disk->source_attrs);
    add_xml(&children, disk->source_extra_xml);
    add_element(buf, "source", &attrs, &children);
}

/* A drive name as libvirt's virDiskNameToIndex accepts it: prefix, then letters. */
static gboolean
disk_name_valid(const char *dev)
{
    static const char *const prefixes[] = { "fd", "hd", "vd", "sd", "xvd", "ubd", NULL };

    for (guint i = 0; prefixes[i]; i++) {
        const char *p = dev + strlen(prefixes[i]);
        if (!g_str_has_prefix(dev, prefixes[i]) || !*p)
            continue;
        while (g_ascii_islower(*p))
            p++;
        return *p == '\0';
    }
    return FALSE;
}

static const char *
disk_bus_default(const VbDiskDef *disk)
{
    static const char *const map[][2] = {
        { "hd", "ide" }, { "sd", "scsi" }, { "vd", "virtio" }, { "xvd", "xen" }, { "ubd", "uml" },
    };

    if (g_str_equal(disk->device, "floppy"))
        return "fdc";
    for (gsize i = 0; i < G_N_ELEMENTS(map); i++) {
        if (g_str_has_prefix(disk->target_dev, map[i][0]))
            return map[i][1];
    }
    return "ide";
}

static gboolean
parse_disk_target(xmlNodePtr node, VbDiskDef *disk, GError **error)
{
    static const char *const buses[] = { "ide", "fdc", "scsi", "virtio", "xen", "usb", "uml", "sata",
                                         "sd", NULL };
    static const char *const drive_buses[] = { "ide", "fdc", "scsi", "sata", NULL };
    static const char *const skip[] = { "dev", "bus", NULL };
    xmlNodePtr target = vb_xml_child(node, "target");
    gboolean inferred;

    if (!target) {
        vb_set_error(error, VB_ERR_XML_ERROR, "missing target information for device %s",
                     disk->source_file ? disk->source_file : "disk");
        return FALSE;
    }
    if (!vb_xml_prop_required(target, "dev", &disk->target_dev, error) ||
        !check_enum_prop(target, "bus", buses, &disk->target_bus, error))
        return FALSE;
    inferred = disk->target_bus == NULL;
    if (inferred)
        disk->target_bus = g_strdup(disk_bus_default(disk));
    if ((inferred || g_strv_contains(drive_buses, disk->target_bus)) && !disk_name_valid(disk->target_dev)) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "Invalid harddisk device name: %s", disk->target_dev);
        return FALSE;
    }
    disk->target_attrs = attrs_of_except(target, skip);
    return TRUE;
}

static gboolean
parse_disk_kind(xmlNodePtr node, VbDiskDef *disk, GError **error)
{
    static const char *const types[] = { "file", "block", "dir", "network", "volume", "nvme", "vhostuser",
                                         "vhostvdpa", NULL };
    static const char *const devices[] = { "disk", "cdrom", "floppy", "lun", NULL };
    static const char *const skip[] = { "type", "device", NULL };

    if (!check_enum_prop(node, "type", types, &disk->type, error) ||
        !check_enum_prop(node, "device", devices, &disk->device, error))
        return FALSE;
    if (!disk->type)
        disk->type = g_strdup("file");
    if (!disk->device)
        disk->device = g_strdup("disk");
    disk->attrs = attrs_of_except(node, skip);
    return TRUE;
}

static VbDiskDef *
parse_disk(xmlNodePtr node, ParseCtx *ctx, GError **error)
{
    g_autoptr(VbDiskDef) disk = g_new0(VbDiskDef, 1);

    if (!parse_disk_kind(node, disk, error) ||
        !parse_disk_driver(vb_xml_child(node, "driver"), disk, error) ||
        !parse_disk_source(vb_xml_child(node, "source"), disk, error) ||
        !parse_disk_target(node, disk, error) ||
        !parse_boot_order(node, ctx->boot_orders, &disk->boot_order, error) ||
        !parse_address(node, &disk->address, error))
        return NULL;
    disk->readonly = vb_xml_child(node, "readonly") != NULL;
    disk->shareable = vb_xml_child(node, "shareable") != NULL;
    disk->serial = vb_xml_child_content(node, "serial");
    disk->alias = child_prop(node, "alias", "name");
    disk->extras = collect_extras(node, disk_extras);
    return g_steal_pointer(&disk);
}

static void
format_disk_start(VbBuf *buf, const VbDiskDef *disk)
{
    static const char *const order[] = { "model", "rawio", "sgio", "snapshot", NULL };

    vb_buf_add(buf, "<disk");
    add_attr(buf, "type", disk->type);
    add_attr(buf, "device", disk->device);
    format_attrs_ordered(buf, disk->attrs, order);
    g_string_append(buf->str, ">\n");
}

static void
format_disk_target(VbBuf *buf, const VbDiskDef *disk)
{
    static const char *const order[] = { "tray", "removable", "rotation_rate", NULL };

    vb_buf_add(buf, "<target");
    add_attr(buf, "dev", disk->target_dev);
    add_attr(buf, "bus", disk->target_bus);
    format_attrs_ordered(buf, disk->target_attrs, order);
    g_string_append(buf->str, "/>\n");
}

static void
format_disk(VbBuf *buf, const VbDiskDef *disk, gboolean inactive)
{
    format_disk_start(buf, disk);
    buf->indent += 2;
    format_disk_driver(buf, disk);
    format_extras(buf, disk->extras, DISK_SLOT_BEFORE_SOURCE);
    format_disk_source(buf, disk);
    format_extras(buf, disk->extras, DISK_SLOT_AFTER_SOURCE);
    format_disk_target(buf, disk);
    format_extras(buf, disk->extras, DISK_SLOT_AFTER_TARGET);
    if (disk->readonly)
        vb_buf_add(buf, "<readonly/>\n");
    if (disk->shareable)
        vb_buf_add(buf, "<shareable/>\n");
    format_extras(buf, disk->extras, DISK_SLOT_AFTER_SHAREABLE);
    add_text(buf, "serial", disk->serial);
    format_extras(buf, disk->extras, DISK_SLOT_AFTER_SERIAL);
    if (disk->boot_order)
        vb_buf_add(buf, "<boot order='%u'/>\n", disk->boot_order);
    format_alias(buf, disk->alias, inactive);
    format_extras(buf, disk->extras, DISK_SLOT_AFTER_ALIAS);
    format_address(buf, &disk->address);
    buf->indent -= 2;
    vb_buf_add(buf, "</disk>\n");
}

/* ---- network interfaces ---- */

enum {
    NET_SLOT_AFTER_SOURCE,
    NET_SLOT_AFTER_TARGET,
    NET_SLOT_AFTER_DRIVER,
    NET_SLOT_AFTER_MTU,
    NET_SLOT_AFTER_ALIAS,
};

static const ExtraSlot net_extras[] = {
    { "vlan", NET_SLOT_AFTER_SOURCE },
    { "virtualport", NET_SLOT_AFTER_SOURCE },
    { "bandwidth", NET_SLOT_AFTER_SOURCE },
    { "ip", NET_SLOT_AFTER_SOURCE },
    { "route", NET_SLOT_AFTER_SOURCE },
    { "script", NET_SLOT_AFTER_SOURCE },
    { "downscript", NET_SLOT_AFTER_SOURCE },
    { "backenddomain", NET_SLOT_AFTER_SOURCE },
    { "guest", NET_SLOT_AFTER_TARGET },
    { "backend", NET_SLOT_AFTER_DRIVER },
    { "filterref", NET_SLOT_AFTER_DRIVER },
    { "tune", NET_SLOT_AFTER_DRIVER },
    { "teaming", NET_SLOT_AFTER_DRIVER },
    { "coalesce", NET_SLOT_AFTER_MTU },
    { "port", NET_SLOT_AFTER_MTU },
    { "rom", NET_SLOT_AFTER_ALIAS },
    { "acpi", NET_SLOT_AFTER_ALIAS },
    { NULL, 0 },
};

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

/* The <source> attribute each interface type cannot do without. */
static const char *
net_required_source(const char *type)
{
    static const char *const map[][2] = {
        { "network", "network" }, { "bridge", "bridge" }, { "direct", "dev" },
        { "server", "port" }, { "client", "port" }, { "mcast", "port" }, { "udp", "port" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(map); i++) {
        if (g_str_equal(type, map[i][0]))
            return map[i][1];
    }
    return NULL;
}

static gboolean
parse_net_source(xmlNodePtr node, VbNetDef *net, GError **error)
{
    xmlNodePtr source = vb_xml_child(node, "source");
    const char *required = net_required_source(net->type);

    net->source_attrs = attrs_of(source);
    net->source_xml = dump_children_of(source, NULL);
    if (required && !attrs_lookup(net->source_attrs, required)) {
        vb_set_error(error, VB_ERR_XML_ERROR,
                     "No <source> '%s' attribute specified with <interface type='%s'/>",
                     required, net->type);
        return FALSE;
    }
    /* macvtap's default mode, which libvirt always prints */
    if (g_str_equal(net->type, "direct") && !attrs_lookup(net->source_attrs, "mode"))
        attrs_add(net->source_attrs, "mode", "vepa");
    return !source || check_pci_addresses(source, error);
}

static gboolean
parse_net_type(xmlNodePtr node, VbNetDef *net, GError **error)
{
    static const char *const types[] = { "user", "ethernet", "vhostuser", "server", "client", "mcast",
                                         "network", "bridge", "internal", "direct", "hostdev", "udp",
                                         "vdpa", "null", "vds", NULL };
    static const char *const skip[] = { "type", NULL };

    net->type = vb_xml_prop(node, "type");
    if (!net->type)
        net->type = g_strdup("user");   /* libvirt's default */
    if (!g_strv_contains(types, net->type)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "unknown interface type '%s'", net->type);
        return FALSE;
    }
    net->attrs = attrs_of_except(node, skip);
    return TRUE;
}

static gboolean
parse_net_link_mtu(xmlNodePtr node, VbNetDef *net, GError **error)
{
    static const char *const states[] = { "up", "down", NULL };
    xmlNodePtr link = vb_xml_child(node, "link");
    xmlNodePtr mtu = vb_xml_child(node, "mtu");

    if (link && !check_enum_prop(link, "state", states, &net->link_state, error))
        return FALSE;
    return !mtu || vb_xml_prop_uint(mtu, "size", VB_XML_REQUIRED | VB_XML_NONZERO, &net->mtu, error);
}

static VbNetDef *
parse_net(xmlNodePtr node, ParseCtx *ctx, GError **error)
{
    static const char *const skip_dev[] = { "dev", NULL };
    g_autoptr(VbNetDef) net = g_new0(VbNetDef, 1);
    xmlNodePtr driver = vb_xml_child(node, "driver");

    if (!parse_net_type(node, net, error) ||
        !parse_net_mac(node, net, error) ||
        !parse_net_source(node, net, error) ||
        !parse_net_link_mtu(node, net, error) ||
        !parse_boot_order(node, ctx->boot_orders, &net->boot_order, error) ||
        !parse_address(node, &net->address, error))
        return NULL;
    net->driver_attrs = attrs_of(driver);
    net->driver_xml = dump_children_of(driver, NULL);
    net->model = child_prop(node, "model", "type");
    net->target_dev = child_prop(node, "target", "dev");
    net->target_attrs = attrs_of_except(vb_xml_child(node, "target"), skip_dev);
    net->alias = child_prop(node, "alias", "name");
    net->extras = collect_extras(node, net_extras);
    return g_steal_pointer(&net);
}

/* Target names libvirt generates itself, left out of the inactive XML. */
static gboolean
net_target_generated(const char *dev)
{
    return g_str_has_prefix(dev, "vnet") || g_str_has_prefix(dev, "macvtap") ||
           g_str_has_prefix(dev, "macvlan");
}

static void
format_net_source_driver(VbBuf *buf, GPtrArray *attrs, const char *xml, const char *name)
{
    g_auto(VbBuf) attr_buf = { 0 };
    g_auto(VbBuf) children = { 0 };

    vb_buf_init(&attr_buf, 0);
    child_buf_init(&children, buf);
    format_attrs(&attr_buf, attrs);
    add_xml(&children, xml);
    add_element(buf, name, &attr_buf, &children);
}

static void
format_net_start(VbBuf *buf, const VbNetDef *net)
{
    static const char *const order[] = { "managed", "trustGuestRxFilters", NULL };

    vb_buf_add(buf, "<interface");
    add_attr(buf, "type", net->type);
    format_attrs_ordered(buf, net->attrs, order);
    g_string_append(buf->str, ">\n");
    buf->indent += 2;
    vb_buf_add(buf, "<mac address='%s'/>\n", net->mac);
}

static void
format_net_simple(VbBuf *buf, const char *element, const char *attr, const char *value)
{
    if (!value)
        return;
    vb_buf_add(buf, "<%s", element);
    add_attr(buf, attr, value);
    g_string_append(buf->str, "/>\n");
}

static void
format_net(VbBuf *buf, const VbNetDef *net, gboolean inactive)
{
    format_net_start(buf, net);
    format_net_source_driver(buf, net->source_attrs, net->source_xml, "source");
    format_extras(buf, net->extras, NET_SLOT_AFTER_SOURCE);
    if (net->target_dev && !(inactive && net_target_generated(net->target_dev))) {
        vb_buf_add(buf, "<target");
        add_attr(buf, "dev", net->target_dev);
        format_attrs(buf, net->target_attrs);
        g_string_append(buf->str, "/>\n");
    }
    format_extras(buf, net->extras, NET_SLOT_AFTER_TARGET);
    format_net_simple(buf, "model", "type", net->model);
    format_net_source_driver(buf, net->driver_attrs, net->driver_xml, "driver");
    format_extras(buf, net->extras, NET_SLOT_AFTER_DRIVER);
    format_net_simple(buf, "link", "state", net->link_state);
    if (net->mtu)
        vb_buf_add(buf, "<mtu size='%u'/>\n", net->mtu);
    format_extras(buf, net->extras, NET_SLOT_AFTER_MTU);
    if (net->boot_order)
        vb_buf_add(buf, "<boot order='%u'/>\n", net->boot_order);
    format_alias(buf, net->alias, inactive);
    format_extras(buf, net->extras, NET_SLOT_AFTER_ALIAS);
    format_address(buf, &net->address);
    buf->indent -= 2;
    vb_buf_add(buf, "</interface>\n");
}

/* ---- devices ---- */

static void
strip_secrets(xmlNodePtr node, VbDeviceDef *dev)
{
    g_autoptr(xmlDoc) doc = NULL;
    xmlNodePtr copy;

    if (dev->kind != VB_DEVICE_GRAPHICS || !xmlHasProp(node, BAD_CAST "passwd"))
        return;
    doc = xmlNewDoc(BAD_CAST "1.0");
    copy = xmlDocCopyNode(node, doc, 1);
    xmlDocSetRootElement(doc, copy);
    xmlUnsetProp(copy, BAD_CAST "passwd");
    dev->xml_public = node_to_xml(copy, '\'');
}

/* A memory device adds its size to the domain's total memory, as in libvirt. */
static gboolean
count_memory_device(xmlNodePtr node, ParseCtx *ctx, GError **error)
{
    xmlNodePtr size = vb_xml_child(vb_xml_child(node, "target"), "size");
    guint64 kib = 0;

    if (!size)
        return TRUE;
    if (!vb_xml_scaled_kib(size, &kib, error))
        return FALSE;
    if (kib > MEMORY_MAX_KIB - ctx->memory_devices_kib) {
        vb_set_error(error, VB_ERR_OVERFLOW, "total size of memory devices is too large");
        return FALSE;
    }
    ctx->memory_devices_kib += kib;
    return TRUE;
}

static gboolean
parse_verbatim_device(xmlNodePtr node, VbDeviceDef *dev, ParseCtx *ctx, GError **error)
{
    guint order = 0;

    if (!check_pci_addresses(node, error))
        return FALSE;
    if ((dev->kind == VB_DEVICE_HOSTDEV || dev->kind == VB_DEVICE_REDIRDEV) &&
        !parse_boot_order(node, ctx->boot_orders, &order, error))
        return FALSE;
    if (dev->kind == VB_DEVICE_MEMORY && !count_memory_device(node, ctx, error))
        return FALSE;
    dev->xml = node_to_xml(node, '\'');
    strip_secrets(node, dev);
    return TRUE;
}

static gboolean
parse_device(xmlNodePtr node, VbDomainDef *def, ParseCtx *ctx, GError **error)
{
    int kind = vb_device_kind_from_string((const char *)node->name);
    g_autoptr(VbDeviceDef) dev = NULL;

    if (xmlStrEqual(node->name, BAD_CAST "emulator")) {
        g_free(def->emulator);
        def->emulator = vb_xml_content(node);
        return TRUE;
    }
    if (kind < 0 || node->ns)
        return TRUE;   /* unknown device families are ignored, as libvirt does */
    dev = g_new0(VbDeviceDef, 1);
    dev->kind = kind;
    if (kind == VB_DEVICE_DISK) {
        if (!(dev->disk = parse_disk(node, ctx, error)))
            return FALSE;
    } else if (kind == VB_DEVICE_INTERFACE) {
        if (!(dev->net = parse_net(node, ctx, error)))
            return FALSE;
    } else if (!parse_verbatim_device(node, dev, ctx, error)) {
        return FALSE;
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
        VbDiskDef *first;
        if (!dev->disk)
            continue;
        first = g_hash_table_lookup(seen, dev->disk->target_dev);
        if (first) {
            vb_set_error(error, VB_ERR_XML_ERROR, "target '%s' duplicated for disk sources '%s' and '%s'",
                         dev->disk->target_dev, first->source_file ? first->source_file : "",
                         dev->disk->source_file ? dev->disk->source_file : "");
            return FALSE;
        }
        g_hash_table_insert(seen, dev->disk->target_dev, dev->disk);
    }
    return TRUE;
}

static gboolean
parse_devices(xmlNodePtr root, VbDomainDef *def, ParseCtx *ctx, GError **error)
{
    xmlNodePtr devices = vb_xml_child(root, "devices");

    for (xmlNodePtr cur = vb_xml_child(devices, NULL); cur; cur = vb_xml_next(cur, NULL)) {
        if (!parse_device(cur, def, ctx, error))
            return FALSE;
    }
    ctx->device_boot = g_hash_table_size(ctx->boot_orders) > 0;
    return check_unique_disk_targets(def, error);
}

static void
format_device(VbBuf *buf, const VbDeviceDef *dev, guint flags)
{
    gboolean inactive = (flags & VB_DOMAIN_XML_INACTIVE) != 0;

    if (dev->disk)
        format_disk(buf, dev->disk, inactive);
    else if (dev->net)
        format_net(buf, dev->net, inactive);
    else if (dev->xml_public && !(flags & VB_DOMAIN_XML_SECURE))
        add_xml(buf, dev->xml_public);
    else
        add_xml(buf, dev->xml);
}

static void
format_devices(VbBuf *buf, const VbDomainDef *def, guint flags)
{
    vb_buf_add(buf, "<devices>\n");
    buf->indent += 2;
    add_text(buf, "emulator", def->emulator);
    for (int kind = 0; kind < VB_DEVICE_LAST; kind++) {
        for (guint i = 0; i < def->devices->len; i++) {
            const VbDeviceDef *dev = g_ptr_array_index(def->devices, i);
            if (dev->kind == kind)
                format_device(buf, dev, flags);
        }
    }
    buf->indent -= 2;
    vb_buf_add(buf, "</devices>\n");
}

/* ---- memory and vCPUs ---- */

/* A scaled size in KiB, capped like libvirt's (LLONG_MAX bytes). */
static gboolean
parse_memory_size(xmlNodePtr node, guint64 *kib, GError **error)
{
    if (!vb_xml_scaled_kib(node, kib, error))
        return FALSE;
    if (*kib > MEMORY_MAX_KIB) {
        g_autofree char *text = vb_xml_content(node);
        g_autofree char *unit = vb_xml_prop(node, "unit");
        vb_set_error(error, VB_ERR_OVERFLOW, "value '%s%s' of element '%s' is too large",
                     g_strstrip(text), unit ? unit : "", (const char *)node->name);
        return FALSE;
    }
    return TRUE;
}

static gboolean
parse_memory(xmlNodePtr root, VbDomainDef *def, GError **error)
{
    static const char *const switches[] = { "on", "off", NULL };
    xmlNodePtr memory = vb_xml_child(root, "memory");
    xmlNodePtr current = vb_xml_child(root, "currentMemory");
    xmlNodePtr max = vb_xml_child(root, "maxMemory");

    if (memory && (!parse_memory_size(memory, &def->memory_kib, error) ||
                   !check_enum_prop(memory, "dumpCore", switches, &def->memory_dump_core, error)))
        return FALSE;
    if (current && !parse_memory_size(current, &def->current_memory_kib, error))
        return FALSE;
    if (max && (!parse_memory_size(max, &def->max_memory_kib, error) ||
                !vb_xml_prop_uint(max, "slots", VB_XML_OPTIONAL, &def->max_memory_slots, error)))
        return FALSE;
    return TRUE;
}

/* libvirt's post-parse rules: NUMA cells, when they give sizes, decide the initial memory;
 * memory devices come on top; the balloon never exceeds the total. */
static gboolean
finish_memory(VbDomainDef *def, const ParseCtx *ctx, GError **error)
{
    guint64 initial;

    if (def->cpu.numa_memory_kib) {
        initial = def->cpu.numa_memory_kib;
    } else if (ctx->memory_devices_kib > def->memory_kib) {
        vb_set_error(error, VB_ERR_XML_DETAIL, "Total size of memory devices exceeds the total memory size");
        return FALSE;
    } else {
        initial = def->memory_kib - ctx->memory_devices_kib;
    }
    if (initial == 0) {
        vb_set_error(error, VB_ERR_XML_ERROR,
                     "Memory size must be specified via <memory> or in the <numa> configuration");
        return FALSE;
    }
    if (initial > MEMORY_MAX_KIB - ctx->memory_devices_kib) {
        vb_set_error(error, VB_ERR_OVERFLOW, "total memory size is too large");
        return FALSE;
    }
    def->memory_kib = initial + ctx->memory_devices_kib;
    if (def->current_memory_kib == 0 || def->current_memory_kib > def->memory_kib)
        def->current_memory_kib = def->memory_kib;
    if (def->max_memory_kib && def->max_memory_kib < def->memory_kib) {
        vb_set_error(error, VB_ERR_XML_ERROR,
                     "maximum memory size must be equal or greater than the actual memory size");
        return FALSE;
    }
    return TRUE;
}

static gboolean
parse_vcpu_count(xmlNodePtr vcpu, VbDomainDef *def, GError **error)
{
    guint64 count = 1;

    if (vcpu && !vb_xml_content_ull(vcpu, &count, error))
        return FALSE;
    if (count == 0 || count > 4096) {
        vb_set_error(error, VB_ERR_XML_ERROR,
                     "invalid value '%" G_GUINT64_FORMAT "' for element 'vcpu': must be between 1 and 4096", count);
        return FALSE;
    }
    def->vcpus = (guint)count;
    if (!vcpu)
        return TRUE;
    if (!vb_xml_prop_uint(vcpu, "current", VB_XML_NONZERO, &def->vcpus_current, error))
        return FALSE;
    if (def->vcpus_current > def->vcpus) {
        vb_set_error(error, VB_ERR_XML_ERROR, "maxvcpus must not be less than current vcpus (%u < %u)",
                     def->vcpus, def->vcpus_current);
        return FALSE;
    }
    if (def->vcpus_current == def->vcpus)
        def->vcpus_current = 0;
    return TRUE;
}

static gboolean
parse_vcpu(xmlNodePtr root, VbDomainDef *def, GError **error)
{
    xmlNodePtr vcpu = vb_xml_child(root, "vcpu");
    g_autofree char *cpuset = NULL;

    if (!parse_vcpu_count(vcpu, def, error))
        return FALSE;
    def->vcpus_xml = dump_child(root, "vcpus");
    if (!vcpu)
        return TRUE;
    def->vcpu_placement = vb_xml_prop(vcpu, "placement");
    if (def->vcpu_placement && !g_str_equal(def->vcpu_placement, "static") &&
        !g_str_equal(def->vcpu_placement, "auto")) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "Unsupported CPU placement mode '%s'", def->vcpu_placement);
        return FALSE;
    }
    /* with automatic placement libvirt ignores a cpuset */
    cpuset = vb_xml_prop(vcpu, "cpuset");
    if (cpuset && g_strcmp0(def->vcpu_placement, "auto") != 0 &&
        !(def->vcpu_cpuset = parse_cpuset(cpuset, "cpuset", NULL, NULL, error)))
        return FALSE;
    return TRUE;
}

/* Placement follows <numatune><memory placement='auto'/> when nothing pins the vCPUs. */
static void
finish_vcpu_placement(xmlNodePtr root, VbDomainDef *def)
{
    static const char *const pins[] = { "vcpupin", "emulatorpin", "iothreadpin", NULL };
    xmlNodePtr numa_memory = vb_xml_child(vb_xml_child(root, "numatune"), "memory");
    g_autofree char *placement = numa_memory ? vb_xml_prop(numa_memory, "placement") : NULL;
    xmlNodePtr cputune = vb_xml_child(root, "cputune");

    if (def->vcpu_placement || def->vcpu_cpuset || g_strcmp0(placement, "auto") != 0)
        return;
    for (guint i = 0; pins[i]; i++) {
        if (vb_xml_child(cputune, pins[i]))
            return;
    }
    def->vcpu_placement = g_strdup("auto");
}

static gboolean
check_iothread_ids(xmlNodePtr ids, guint *count, GError **error)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_direct_hash, g_direct_equal);

    VB_XML_FOREACH_CHILD(ids, "iothread", node) {
        g_autofree char *text = vb_xml_prop(node, "id");
        guint id = 0;
        if (!text || !vb_xml_prop_uint(node, "id", VB_XML_NONZERO, &id, NULL)) {
            vb_set_error(error, VB_ERR_XML_ERROR, "invalid iothread 'id' value '%s'", text ? text : "");
            return FALSE;
        }
        if (!g_hash_table_add(seen, GUINT_TO_POINTER(id))) {
            vb_set_error(error, VB_ERR_XML_ERROR, "duplicate iothread id '%u' found", id);
            return FALSE;
        }
    }
    *count = g_hash_table_size(seen);
    return TRUE;
}

static gboolean
parse_iothreads(xmlNodePtr root, VbDomainDef *def, GError **error)
{
    xmlNodePtr node = vb_xml_child(root, "iothreads");
    xmlNodePtr ids = vb_xml_child(root, "iothreadids");
    g_autofree char *text = vb_xml_content(node);
    guint64 count = 0;
    guint nids = 0;

    if (text && (!vb_parse_ull(g_strstrip(text), &count) || count > G_MAXUINT)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "invalid iothreads count '%s'", text);
        return FALSE;
    }
    if (ids && !check_iothread_ids(ids, &nids, error))
        return FALSE;
    def->iothreads = MAX((guint)count, nids);
    def->iothreadids_xml = dump_child(root, "iothreadids");
    return TRUE;
}

static void
format_memory(VbBuf *buf, const VbDomainDef *def)
{
    if (def->max_memory_kib) {
        vb_buf_add(buf, "<maxMemory");
        if (def->max_memory_slots)
            g_string_append_printf(buf->str, " slots='%u'", def->max_memory_slots);
        g_string_append_printf(buf->str, " unit='KiB'>%" G_GUINT64_FORMAT "</maxMemory>\n", def->max_memory_kib);
    }
    vb_buf_add(buf, "<memory");
    add_attr(buf, "dumpCore", def->memory_dump_core);
    g_string_append_printf(buf->str, " unit='KiB'>%" G_GUINT64_FORMAT "</memory>\n", def->memory_kib);
    vb_buf_add(buf, "<currentMemory unit='KiB'>%" G_GUINT64_FORMAT "</currentMemory>\n", def->current_memory_kib);
    add_xml(buf, def->blkiotune_xml);
    add_xml(buf, def->memtune_xml);
    add_xml(buf, def->memory_backing_xml);
}

static void
format_vcpus(VbBuf *buf, const VbDomainDef *def)
{
    vb_buf_add(buf, "<vcpu");
    add_attr(buf, "placement", def->vcpu_placement ? def->vcpu_placement : "static");
    add_attr(buf, "cpuset", def->vcpu_cpuset);
    if (def->vcpus_current)
        g_string_append_printf(buf->str, " current='%u'", def->vcpus_current);
    g_string_append_printf(buf->str, ">%u</vcpu>\n", def->vcpus);
    add_xml(buf, def->vcpus_xml);
    if (def->iothreads)
        vb_buf_add(buf, "<iothreads>%u</iothreads>\n", def->iothreads);
    add_xml(buf, def->iothreadids_xml);
}

/* ---- os ---- */

static const char *const os_types[] = { "hvm", "xen", "linux", "exe", "uml", "xenpvh", NULL };

static const char *const archs[] = {
    "alpha", "armv6l", "armv7l", "armv7b", "aarch64", "cris", "i686", "ia64", "lm32", "loongarch64",
    "m68k", "microblaze", "microblazeel", "mips", "mipsel", "mips64", "mips64el", "openrisc",
    "parisc", "parisc64", "ppc", "ppcle", "ppc64", "ppc64le", "ppcemb", "riscv32", "riscv64",
    "s390", "s390x", "sh4", "sh4eb", "sparc", "sparc64", "unicore32", "x86_64", "xtensa",
    "xtensaeb", NULL
};

static gboolean
parse_os_type(xmlNodePtr root, xmlNodePtr os, VbDomainDef *def, GError **error)
{
    xmlNodePtr type = vb_xml_child(os, "type");

    def->bootloader = vb_xml_child_content(root, "bootloader");
    def->bootloader_args = vb_xml_child_content(root, "bootloader_args");
    if (!type && !def->bootloader) {
        vb_set_error(error, VB_ERR_XML_ERROR, "%s", "an os <type> must be specified");
        return FALSE;
    }
    def->os_type = type ? g_strstrip(vb_xml_content(type)) : g_strdup("xen");
    if (!g_strv_contains(os_types, def->os_type)) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "unknown OS type '%s'", def->os_type);
        return FALSE;
    }
    /* libvirt's old name for Xen paravirt */
    if (g_str_equal(def->os_type, "linux") && def->virt_type == VB_DOMAIN_VIRT_XEN) {
        g_free(def->os_type);
        def->os_type = g_strdup("xen");
    }
    def->os_arch = type ? vb_xml_prop(type, "arch") : NULL;
    def->os_machine = type ? vb_xml_prop(type, "machine") : NULL;
    if (def->os_arch && !g_strv_contains(archs, def->os_arch)) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "Unknown architecture %s", def->os_arch);
        return FALSE;
    }
    return TRUE;
}

static gboolean
parse_os_loader(xmlNodePtr os, VbDomainDef *def, GError **error)
{
    static const char *const loader_names[] = { "loader", "nvram", NULL };
    static const char *const firmwares[] = { "bios", "efi", NULL };
    static const char *const yes_no[] = { "yes", "no", NULL };
    static const char *const loader_types[] = { "rom", "pflash", NULL };
    xmlNodePtr loader = vb_xml_child(os, "loader");
    g_autofree char *value = NULL;

    if (!check_enum_prop(os, "firmware", firmwares, &def->os_firmware, error))
        return FALSE;
    if (loader && (!check_enum_prop(loader, "readonly", yes_no, &value, error) ||
                   !check_enum_prop(loader, "secure", yes_no, &value, error) ||
                   !check_enum_prop(loader, "type", loader_types, &value, error)))
        return FALSE;
    def->os_firmware_xml = dump_child(os, "firmware");
    def->os_loader_xml = dump_children_ordered(os, loader_names);
    return TRUE;
}

static gboolean
parse_os_boot(xmlNodePtr os, VbDomainDef *def, GError **error)
{
    static const char *const devs[] = { "fd", "cdrom", "hd", "network", NULL };

    VB_XML_FOREACH_CHILD(os, "boot", boot) {
        g_autofree char *dev = vb_xml_prop(boot, "dev");
        if (!dev) {
            vb_set_error(error, VB_ERR_INTERNAL_ERROR, "%s", "missing boot device");
            return FALSE;
        }
        if (!g_strv_contains(devs, dev)) {
            vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "unknown boot device '%s'", dev);
            return FALSE;
        }
        if (def->os_boot->len < BOOT_DEVS_MAX)   /* libvirt ignores the rest */
            g_ptr_array_add(def->os_boot, g_steal_pointer(&dev));
    }
    return TRUE;
}

/* <bootmenu enable='yes' timeout='N'/>, normalised as libvirt prints it. */
static gboolean
parse_os_bootmenu(xmlNodePtr os, VbDomainDef *def, GError **error)
{
    xmlNodePtr menu = vb_xml_child(os, "bootmenu");
    g_autofree char *enable = menu ? vb_xml_prop(menu, "enable") : NULL;
    g_autofree char *timeout = menu ? vb_xml_prop(menu, "timeout") : NULL;
    guint64 value = 0;

    if (!enable)
        return TRUE;
    if (!g_str_equal(enable, "yes")) {
        /* like libvirt: anything but yes disables the menu rather than failing */
        def->os_bootmenu_xml = g_strdup("<bootmenu enable='no'/>");
        return TRUE;
    }
    if (!timeout) {
        def->os_bootmenu_xml = g_strdup("<bootmenu enable='yes'/>");
        return TRUE;
    }
    if (!vb_parse_ull(g_strstrip(timeout), &value) || value > 65535) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "%s",
                     "invalid value for boot menu timeout, must be in range [0,65535]");
        return FALSE;
    }
    def->os_bootmenu_xml = g_strdup_printf("<bootmenu enable='yes' timeout='%u'/>", (guint)value);
    return TRUE;
}

static gboolean
parse_os(xmlNodePtr root, VbDomainDef *def, GError **error)
{
    static const char *const init[] = { "init", "initarg", "initenv", "initdir", "inituser",
                                        "initgroup", NULL };
    static const char *const extra[] = { "bios", "acpi", "smbios", NULL };
    xmlNodePtr os = vb_xml_child(root, "os");

    if (!parse_os_type(root, os, def, error) || !parse_os_loader(os, def, error))
        return FALSE;
    def->os_init_xml = dump_children_ordered(os, init);
    def->os_kernel = vb_xml_child_content(os, "kernel");
    def->os_initrd = vb_xml_child_content(os, "initrd");
    def->os_cmdline = vb_xml_child_content(os, "cmdline");
    def->os_dtb = vb_xml_child_content(os, "dtb");
    def->os_root = vb_xml_child_content(os, "root");
    def->os_extra_xml = dump_children_ordered(os, extra);
    if (!g_str_equal(def->os_type, "hvm"))
        return TRUE;   /* boot order and menu only make sense for full virtualization */
    return parse_os_boot(os, def, error) && parse_os_bootmenu(os, def, error);
}

/* libvirt boots an HVM guest from its first disk when neither <os> nor a device says how. */
static gboolean
finish_boot(VbDomainDef *def, const ParseCtx *ctx, GError **error)
{
    if (!g_str_equal(def->os_type, "hvm"))
        return TRUE;
    if (def->os_boot->len > 0 && ctx->device_boot) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "%s",
                     "per-device boot elements cannot be used together with os/boot elements");
        return FALSE;
    }
    if (def->os_boot->len == 0 && !ctx->device_boot)
        g_ptr_array_add(def->os_boot, g_strdup("hd"));
    return TRUE;
}

static void
format_os_type(VbBuf *buf, const VbDomainDef *def)
{
    vb_buf_add(buf, "<os");
    add_attr(buf, "firmware", def->os_firmware);
    g_string_append(buf->str, ">\n");
    buf->indent += 2;
    vb_buf_add(buf, "<type");
    add_attr(buf, "arch", def->os_arch);
    add_attr(buf, "machine", def->os_machine);
    g_string_append_c(buf->str, '>');
    xml_escape(buf->str, def->os_type, FALSE, '\'');
    g_string_append(buf->str, "</type>\n");
}

static void
format_os(VbBuf *buf, const VbDomainDef *def)
{
    add_text(buf, "bootloader", def->bootloader);
    add_text(buf, "bootloader_args", def->bootloader_args);
    format_os_type(buf, def);
    add_xml(buf, def->os_firmware_xml);
    add_xml(buf, def->os_init_xml);
    add_xml(buf, def->os_loader_xml);
    add_text(buf, "kernel", def->os_kernel);
    add_text(buf, "initrd", def->os_initrd);
    add_text(buf, "cmdline", def->os_cmdline);
    add_text(buf, "dtb", def->os_dtb);
    add_text(buf, "root", def->os_root);
    for (guint i = 0; i < def->os_boot->len; i++) {
        vb_buf_add(buf, "<boot");
        add_attr(buf, "dev", g_ptr_array_index(def->os_boot, i));
        g_string_append(buf->str, "/>\n");
    }
    add_xml(buf, def->os_bootmenu_xml);
    add_xml(buf, def->os_extra_xml);
    buf->indent -= 2;
    vb_buf_add(buf, "</os>\n");
}

/* ---- cpu ---- */

static gboolean
cpu_mode_is_host_cpu(int mode)
{
    return mode == VB_CPU_MODE_HOST_PASSTHROUGH || mode == VB_CPU_MODE_MAXIMUM;
}

static gboolean
parse_cpu_attrs(xmlNodePtr cpu, VbCpuDef *def, GError **error)
{
    static const char *const checks[] = { "none", "partial", "full", NULL };
    static const char *const switches[] = { "on", "off", NULL };
    g_autofree char *mode = vb_xml_prop(cpu, "mode");

    if (mode && (def->mode = vb_cpu_mode_from_string(mode)) < 0) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "Invalid mode attribute '%s'", mode);
        return FALSE;
    }
    if (!vb_xml_prop_enum(cpu, "match", vb_cpu_match_from_string, VB_XML_NONZERO, &def->match, error) ||
        !check_enum_prop(cpu, "check", checks, &def->check, error) ||
        !check_enum_prop(cpu, "migratable", switches, &def->migratable, error))
        return FALSE;
    if (def->migratable && !cpu_mode_is_host_cpu(def->mode)) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "%s",
                     "Attribute migratable is only allowed for 'host-passthrough' / 'maximum' CPU mode");
        return FALSE;
    }
    return TRUE;
}

static gboolean
parse_cpu_model(xmlNodePtr cpu, VbCpuDef *def, GError **error)
{
    static const char *const fallbacks[] = { "allow", "forbid", NULL };
    xmlNodePtr model = vb_xml_child(cpu, "model");

    def->model = vb_xml_content(model);
    if (def->model && !*def->model)
        g_clear_pointer(&def->model, g_free);
    if (model && !cpu_mode_is_host_cpu(def->mode)) {
        if (!check_enum_prop(model, "fallback", fallbacks, &def->model_fallback, error))
            return FALSE;
        def->vendor_id = vb_xml_prop(model, "vendor_id");
        if (def->vendor_id && (strlen(def->vendor_id) != 12 || strchr(def->vendor_id, ','))) {
            vb_set_error(error, VB_ERR_XML_ERROR, "invalid vendor_id '%s': must be 12 characters, no ','",
                         def->vendor_id);
            return FALSE;
        }
    }
    def->vendor = vb_xml_child_content(cpu, "vendor");
    if (def->vendor && !def->model) {
        vb_set_error(error, VB_ERR_XML_ERROR, "%s", "CPU vendor specified without CPU model");
        return FALSE;
    }
    return TRUE;
}

static gboolean
parse_cpu_features(xmlNodePtr cpu, VbCpuDef *def, GError **error)
{
    if (vb_xml_child(cpu, "feature") && !def->model && def->mode == VB_CPU_MODE_CUSTOM) {
        vb_set_error(error, VB_ERR_XML_ERROR, "%s", "Non-empty feature list specified without CPU model");
        return FALSE;
    }
    VB_XML_FOREACH_CHILD(cpu, "feature", node) {
        g_autoptr(VbCpuFeature) feature = g_new0(VbCpuFeature, 1);

        feature->policy = VB_CPU_FEATURE_REQUIRE;
        if (!vb_xml_prop_enum(node, "policy", vb_cpu_feature_policy_from_string, VB_XML_OPTIONAL,
                              &feature->policy, error) ||
            !vb_xml_prop_required(node, "name", &feature->name, error))
            return FALSE;
        for (guint i = 0; i < def->features->len; i++) {
            VbCpuFeature *other = g_ptr_array_index(def->features, i);
            if (g_str_equal(other->name, feature->name)) {
                vb_set_error(error, VB_ERR_XML_ERROR, "CPU feature '%s' specified more than once", feature->name);
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
parse_cpu_cache(xmlNodePtr cpu, VbCpuDef *def, GError **error)
{
    static const char *const modes[] = { "emulate", "passthrough", "disable", NULL };
    xmlNodePtr cache = vb_xml_child(cpu, "cache");
    guint level = 0;

    if (!cache)
        return TRUE;
    if (vb_xml_next(cache, "cache")) {
        vb_set_error(error, VB_ERR_XML_ERROR, "%s", "at most one CPU cache element may be specified");
        return FALSE;
    }
    if (!vb_xml_prop_uint(cache, "level", VB_XML_OPTIONAL, &level, NULL) ||
        (xmlHasProp(cache, BAD_CAST "level") && (level < 1 || level > 3))) {
        vb_set_error(error, VB_ERR_XML_ERROR, "%s", "invalid CPU cache level, must be in range [1,3]");
        return FALSE;
    }
    def->cache_level = (int)level;
    def->cache_mode = vb_xml_prop(cache, "mode");
    if (!def->cache_mode || !g_strv_contains(modes, def->cache_mode)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "%s", "missing or invalid CPU cache mode");
        return FALSE;
    }
    return TRUE;
}

/* One NUMA cell: its memory joins the total, its CPUs must exist. */
static gboolean
parse_numa_cell(xmlNodePtr cell, VbCpuDef *def, guint *ncpus, guint *max_cpu, GError **error)
{
    g_autofree char *memory = vb_xml_prop(cell, "memory");
    g_autofree char *unit = vb_xml_prop(cell, "unit");
    g_autofree char *cpus = vb_xml_prop(cell, "cpus");
    g_autofree char *normalised = NULL;
    guint64 value = 0, kib = 0;

    if (memory && (!vb_parse_ull(g_strstrip(memory), &value) ||
                   !vb_scale_to_kib(unit ? unit : "KiB", value, &kib) ||
                   kib > MEMORY_MAX_KIB - def->numa_memory_kib)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "invalid memory '%s%s' of NUMA cell", memory, unit ? unit : "");
        return FALSE;
    }
    def->numa_memory_kib += kib;
    if (cpus && !(normalised = parse_cpuset(cpus, "cpus", ncpus, max_cpu, error)))
        return FALSE;
    return TRUE;
}

static gboolean
parse_cpu_numa(xmlNodePtr cpu, VbCpuDef *def, guint vcpus, GError **error)
{
    xmlNodePtr numa = vb_xml_child(cpu, "numa");
    guint ncpus = 0, max_cpu = 0;

    if (!numa)
        return TRUE;
    VB_XML_FOREACH_CHILD(numa, "cell", cell) {
        if (!parse_numa_cell(cell, def, &ncpus, &max_cpu, error))
            return FALSE;
    }
    if (ncpus > vcpus) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "%s", "Number of CPUs in <numa> exceeds the <vcpu> count");
        return FALSE;
    }
    if (ncpus && max_cpu >= vcpus) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "%s", "CPU IDs in <numa> exceed the <vcpu> count");
        return FALSE;
    }
    def->numa_xml = dump_child(cpu, "numa");
    return TRUE;
}

static gboolean
parse_cpu_element(xmlNodePtr cpu, VbCpuDef *def, guint vcpus, GError **error)
{
    def->present = TRUE;
    return parse_cpu_attrs(cpu, def, error) &&
           parse_cpu_model(cpu, def, error) &&
           parse_cpu_topology(cpu, def, error) &&
           parse_cpu_cache(cpu, def, error) &&
           parse_cpu_features(cpu, def, error) &&
           parse_cpu_numa(cpu, def, vcpus, error);
}

static gboolean
parse_cpu(xmlNodePtr root, VbCpuDef *def, guint vcpus, GError **error)
{
    xmlNodePtr cpu = vb_xml_child(root, "cpu");

    return !cpu || parse_cpu_element(cpu, def, vcpus, error);
}

static void
format_cpu_model(VbBuf *buf, const VbCpuDef *cpu)
{
    /* libvirt prints the model for custom and host-model CPUs only */
    if (cpu->mode != VB_CPU_MODE_CUSTOM && cpu->mode != VB_CPU_MODE_HOST_MODEL)
        return;
    if (cpu->model || cpu->vendor_id) {
        vb_buf_add(buf, "<model");
        if (cpu->model)
            add_attr(buf, "fallback", cpu->model_fallback ? cpu->model_fallback : "allow");
        add_attr(buf, "vendor_id", cpu->vendor_id);
        if (cpu->model) {
            g_string_append_c(buf->str, '>');
            xml_escape(buf->str, cpu->model, FALSE, '\'');
            g_string_append(buf->str, "</model>\n");
        } else {
            g_string_append(buf->str, "/>\n");
        }
    }
    add_text(buf, "vendor", cpu->vendor);
}

static void
format_cpu_children(VbBuf *buf, const VbCpuDef *cpu)
{
    format_cpu_model(buf, cpu);
    if (cpu->sockets)
        vb_buf_add(buf, "<topology sockets='%u' dies='%u' cores='%u' threads='%u'/>\n",
                   cpu->sockets, cpu->dies, cpu->cores, cpu->threads);
    if (cpu->cache_mode) {
        vb_buf_add(buf, "<cache");
        if (cpu->cache_level)
            g_string_append_printf(buf->str, " level='%d'", cpu->cache_level);
        add_attr(buf, "mode", cpu->cache_mode);
        g_string_append(buf->str, "/>\n");
    }
    for (guint i = 0; i < cpu->features->len; i++) {
        const VbCpuFeature *feature = g_ptr_array_index(cpu->features, i);
        vb_buf_add(buf, "<feature policy='%s'", vb_cpu_feature_policy_to_string(feature->policy));
        add_attr(buf, "name", feature->name);
        g_string_append(buf->str, "/>\n");
    }
    add_xml(buf, cpu->numa_xml);
}

static void
format_cpu(VbBuf *buf, const VbCpuDef *cpu)
{
    g_auto(VbBuf) attrs = { 0 };
    g_auto(VbBuf) children = { 0 };

    if (!cpu->present)
        return;
    vb_buf_init(&attrs, 0);
    child_buf_init(&children, buf);
    /* a custom CPU that only gives topology, cache or NUMA has no attributes */
    if (cpu->mode != VB_CPU_MODE_CUSTOM || cpu->model) {
        add_attr(&attrs, "mode", vb_cpu_mode_to_string(cpu->mode));
        if (cpu->mode == VB_CPU_MODE_CUSTOM)
            add_attr(&attrs, "match", cpu->match == VB_CPU_MATCH_NONE ? "exact" : vb_cpu_match_to_string(cpu->match));
        add_attr(&attrs, "check", cpu->check);
        add_attr(&attrs, "migratable", cpu->migratable);
    }
    format_cpu_children(&children, cpu);
    add_element(buf, "cpu", &attrs, &children);
}

void
vb_cpu_def_init(VbCpuDef *def)
{
    memset(def, 0, sizeof(*def));
    def->features = g_ptr_array_new_with_free_func((GDestroyNotify)cpu_feature_free);
}

void
vb_cpu_def_clear(VbCpuDef *def)
{
    cpu_def_clear(def);
    memset(def, 0, sizeof(*def));
}

gboolean
vb_cpu_def_parse_node(xmlNodePtr cpu, VbCpuDef *def, GError **error)
{
    return parse_cpu_element(cpu, def, G_MAXUINT, error);
}

void
vb_cpu_def_format_buf(VbBuf *buf, const VbCpuDef *def)
{
    format_cpu(buf, def);
}

/* ---- clock and lifecycle ---- */

static gboolean
parse_int64(const char *str, gint64 *out)
{
    char *end = NULL;

    if (!str || !*str)
        return FALSE;
    errno = 0;
    *out = g_ascii_strtoll(str, &end, 10);
    return errno == 0 && end != str && *end == '\0';
}

/* utc and localtime take adjustment='reset', or a number that turns them into variable. */
static gboolean
parse_clock_variable(xmlNodePtr clock, VbDomainDef *def, GError **error)
{
    static const char *const bases[] = { "utc", "localtime", NULL };
    g_autofree char *adjustment = vb_xml_prop(clock, "adjustment");
    gboolean variable = g_str_equal(def->clock_offset, "variable");
    gint64 seconds = 0;

    if (!adjustment && !variable)
        return TRUE;
    if (!variable && g_str_equal(adjustment, "reset")) {
        def->clock_adjustment = g_steal_pointer(&adjustment);
        return TRUE;
    }
    if (adjustment && !parse_int64(adjustment, &seconds)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "unknown clock adjustment '%s'", adjustment);
        return FALSE;
    }
    def->clock_adjustment = g_strdup_printf("%" G_GINT64_FORMAT, seconds);
    if (!variable) {
        def->clock_basis = g_steal_pointer(&def->clock_offset);
        def->clock_offset = g_strdup("variable");
        return TRUE;
    }
    def->clock_basis = vb_xml_prop(clock, "basis");
    if (def->clock_basis && !g_strv_contains(bases, def->clock_basis)) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "unknown clock basis '%s'", def->clock_basis);
        return FALSE;
    }
    if (!def->clock_basis)
        def->clock_basis = g_strdup("utc");
    return TRUE;
}

static gboolean
parse_clock_offset_data(xmlNodePtr clock, VbDomainDef *def, GError **error)
{
    guint64 start;

    if (g_str_equal(def->clock_offset, "timezone")) {
        if (!(def->clock_timezone = vb_xml_prop(clock, "timezone"))) {
            vb_set_error(error, VB_ERR_INTERNAL_ERROR, "%s",
                         "missing 'timezone' attribute for clock with offset='timezone'");
            return FALSE;
        }
        return TRUE;
    }
    if (g_str_equal(def->clock_offset, "absolute")) {
        def->clock_start = vb_xml_prop(clock, "start");
        if (!def->clock_start || !vb_parse_ull(def->clock_start, &start)) {
            vb_set_error(error, VB_ERR_XML_ERROR, "%s", "missing 'start' attribute for clock with offset='absolute'");
            return FALSE;
        }
        return TRUE;
    }
    return parse_clock_variable(clock, def, error);
}

static gboolean
parse_clock(xmlNodePtr root, VbDomainDef *def, GError **error)
{
    static const char *const offsets[] = { "utc", "localtime", "timezone", "variable", "absolute", NULL };
    static const char *const timers[] = { "timer", NULL };
    xmlNodePtr clock = vb_xml_child(root, "clock");

    def->clock_offset = clock ? vb_xml_prop(clock, "offset") : NULL;
    if (!def->clock_offset)
        def->clock_offset = g_strdup("utc");
    if (!g_strv_contains(offsets, def->clock_offset)) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "unknown clock offset '%s'", def->clock_offset);
        return FALSE;
    }
    def->clock_extra_xml = dump_children_of(clock, timers);
    return !clock || parse_clock_offset_data(clock, def, error);
}

static void
format_clock(VbBuf *buf, const VbDomainDef *def)
{
    g_auto(VbBuf) attrs = { 0 };
    g_auto(VbBuf) children = { 0 };

    vb_buf_init(&attrs, 0);
    child_buf_init(&children, buf);
    add_attr(&attrs, "offset", def->clock_offset);
    add_attr(&attrs, "adjustment", def->clock_adjustment);
    add_attr(&attrs, "basis", def->clock_basis);
    add_attr(&attrs, "timezone", def->clock_timezone);
    add_attr(&attrs, "start", def->clock_start);
    add_xml(&children, def->clock_extra_xml);
    add_element(buf, "clock", &attrs, &children);
}

static gboolean
parse_lifecycle_one(xmlNodePtr root, const char *name, gboolean crash, int *out, GError **error)
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
    if (!crash && (*out == VB_DOMAIN_LIFECYCLE_COREDUMP_DESTROY || *out == VB_DOMAIN_LIFECYCLE_COREDUMP_RESTART)) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "Lifecycle event '%s' doesn't support '%s' action",
                     name, text);
        return FALSE;
    }
    return TRUE;
}

static gboolean
parse_lifecycle(xmlNodePtr root, VbDomainDef *def, GError **error)
{
    static const char *const lock_actions[] = { "default", "poweroff", "restart", "pause", "ignore", NULL };

    if (!parse_lifecycle_one(root, "on_poweroff", FALSE, &def->on_poweroff, error) ||
        !parse_lifecycle_one(root, "on_reboot", FALSE, &def->on_reboot, error) ||
        !parse_lifecycle_one(root, "on_crash", TRUE, &def->on_crash, error))
        return FALSE;
    def->on_lockfailure = vb_xml_child_content(root, "on_lockfailure");
    if (def->on_lockfailure && !g_strv_contains(lock_actions, g_strstrip(def->on_lockfailure))) {
        vb_set_error(error, VB_ERR_XML_ERROR, "invalid value '%s' for element 'on_lockfailure'", def->on_lockfailure);
        return FALSE;
    }
    if (g_strcmp0(def->on_lockfailure, "default") == 0)
        g_clear_pointer(&def->on_lockfailure, g_free);
    return TRUE;
}

static void
format_lifecycle(VbBuf *buf, const VbDomainDef *def)
{
    vb_buf_add(buf, "<on_poweroff>%s</on_poweroff>\n", vb_domain_lifecycle_to_string(def->on_poweroff));
    vb_buf_add(buf, "<on_reboot>%s</on_reboot>\n", vb_domain_lifecycle_to_string(def->on_reboot));
    vb_buf_add(buf, "<on_crash>%s</on_crash>\n", vb_domain_lifecycle_to_string(def->on_crash));
    add_text(buf, "on_lockfailure", def->on_lockfailure);
}

/* ---- identity and metadata ---- */

static void
parse_metadata(xmlNodePtr root, VbDomainDef *def)
{
    xmlNodePtr metadata = vb_xml_child(root, "metadata");

    for (xmlNodePtr cur = vb_xml_child(metadata, NULL); cur; cur = vb_xml_next(cur, NULL)) {
        VbMetadataElement *md;

        /* like libvirt: only namespaced elements, the first one per namespace */
        if (!cur->ns || !cur->ns->href || vb_domain_def_get_metadata(def, (const char *)cur->ns->href))
            continue;
        md = g_new0(VbMetadataElement, 1);
        md->uri = g_strdup((const char *)cur->ns->href);
        md->xml = node_to_xml(cur, '"');
        g_ptr_array_add(def->metadata, md);
    }
}

/* A UUID element: empty means "generate one" (uuid) or "requested" (genid). */
static gboolean
parse_uuid_element(xmlNodePtr root, const char *name, char out[VB_UUID_STRING_LEN], gboolean *present,
                   GError **error)
{
    g_autofree char *text = vb_xml_child_content(root, name);

    *present = text != NULL;
    if (!text || !*g_strstrip(text))
        return TRUE;
    if (!vb_uuid_parse(text, out)) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "malformed %s element", name);
        return FALSE;
    }
    return TRUE;
}

static gboolean
parse_uuids(xmlNodePtr root, VbDomainDef *def, GError **error)
{
    char genid[VB_UUID_STRING_LEN] = "";
    gboolean present;

    if (!parse_uuid_element(root, "uuid", def->uuid, &present, error) ||
        !parse_uuid_element(root, "genid", genid, &present, error))
        return FALSE;
    if (!def->uuid[0])
        vb_uuid_generate(def->uuid);
    if (present)
        def->genid = g_strdup(genid);
    return TRUE;
}

static gboolean
parse_identity(xmlNodePtr root, VbDomainDef *def, GError **error)
{
    g_autofree char *type = vb_xml_prop(root, "type");

    if (!type) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "%s", "missing domain type attribute");
        return FALSE;
    }
    if ((def->virt_type = vb_domain_virt_from_string(type)) < 0) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "invalid domain type %s", type);
        return FALSE;
    }
    def->name = vb_xml_child_content(root, "name");
    if (!vb_name_validate(def->name, "domain", error) || !parse_uuids(root, def, error))
        return FALSE;
    def->title = vb_xml_child_content(root, "title");
    if (def->title && strchr(def->title, '\n')) {
        vb_set_error(error, VB_ERR_XML_ERROR, "%s", "Domain title can't contain newlines");
        return FALSE;
    }
    def->description = vb_xml_child_content(root, "description");
    parse_metadata(root, def);
    return TRUE;
}

static void
format_identity(VbBuf *buf, const VbDomainDef *def)
{
    add_text(buf, "name", def->name);
    vb_buf_add(buf, "<uuid>%s</uuid>\n", def->uuid);
    if (def->genid && !*def->genid)
        vb_buf_add(buf, "<genid/>\n");
    else
        add_text(buf, "genid", def->genid);
    add_text(buf, "title", def->title);
    add_text(buf, "description", def->description);
    if (def->metadata->len == 0)
        return;
    vb_buf_add(buf, "<metadata>\n");
    buf->indent += 2;
    for (guint i = 0; i < def->metadata->len; i++)
        buf_add_xml_quoted(buf, ((VbMetadataElement *)g_ptr_array_index(def->metadata, i))->xml, '"');
    buf->indent -= 2;
    vb_buf_add(buf, "</metadata>\n");
}

/* ---- top-level elements kept verbatim ---- */

static void
parse_verbatim(xmlNodePtr root, VbDomainDef *def)
{
    static const char *const sysinfo[] = { "sysinfo", NULL };
    static const char *const seclabel[] = { "seclabel", NULL };

    def->memory_backing_xml = dump_child(root, "memoryBacking");
    def->blkiotune_xml = dump_child(root, "blkiotune");
    def->memtune_xml = dump_child(root, "memtune");
    def->cputune_xml = dump_child(root, "cputune");
    def->numatune_xml = dump_child(root, "numatune");
    def->resource_xml = dump_child(root, "resource");
    def->sysinfo_xml = dump_children_of(root, sysinfo);
    def->idmap_xml = dump_child(root, "idmap");
    def->features_xml = dump_child(root, "features");
    def->pm_xml = dump_child(root, "pm");
    def->perf_xml = dump_child(root, "perf");
    def->seclabel_xml = dump_children_of(root, seclabel);
    def->keywrap_xml = dump_child(root, "keywrap");
    def->launch_security_xml = dump_child(root, "launchSecurity");
}

/* ---- parsing ---- */

VbDomainDef *
vb_domain_def_parse_node(xmlNodePtr root, guint flags, GError **error)
{
    g_autoptr(VbDomainDef) def = domain_def_new();
    g_autoptr(GHashTable) boot_orders = g_hash_table_new(g_direct_hash, g_direct_equal);
    ParseCtx ctx = { boot_orders, FALSE, 0 };

    if (!parse_identity(root, def, error) ||
        !parse_memory(root, def, error) ||
        !parse_vcpu(root, def, error) ||
        !parse_iothreads(root, def, error) ||
        !parse_os(root, def, error) ||
        !parse_cpu(root, &def->cpu, def->vcpus, error) ||
        !parse_clock(root, def, error) ||
        !parse_lifecycle(root, def, error) ||
        !parse_devices(root, def, &ctx, error) ||
        !finish_memory(def, &ctx, error) ||
        !finish_boot(def, &ctx, error))
        return NULL;
    finish_vcpu_placement(root, def);
    parse_verbatim(root, def);
    return g_steal_pointer(&def);
}

VbDomainDef *
vb_domain_def_parse(const char *xml, guint flags, GError **error)
{
    g_autoptr(xmlDoc) doc = vb_xml_parse(xml, "domain", error);

    if (!doc || ((flags & VB_DOMAIN_PARSE_VALIDATE) && !vb_schema_validate("domain", doc, error)))
        return NULL;
    return vb_domain_def_parse_node(xmlDocGetRootElement(doc), flags, error);
}

/* ---- formatting ---- */

void
vb_domain_def_format_buf(VbBuf *buf, const VbDomainDef *def, int id, guint flags)
{
    vb_buf_add(buf, "<domain type='%s'", vb_domain_virt_to_string(def->virt_type));
    if (id >= 0 && !(flags & VB_DOMAIN_XML_INACTIVE))
        g_string_append_printf(buf->str, " id='%d'", id);
    g_string_append(buf->str, ">\n");
    buf->indent += 2;
    format_identity(buf, def);
    format_memory(buf, def);
    format_vcpus(buf, def);
    add_xml(buf, def->cputune_xml);
    add_xml(buf, def->numatune_xml);
    add_xml(buf, def->resource_xml);
    add_xml(buf, def->sysinfo_xml);
    format_os(buf, def);
    add_xml(buf, def->idmap_xml);
    add_xml(buf, def->features_xml);
    format_cpu(buf, &def->cpu);
    format_clock(buf, def);
    format_lifecycle(buf, def);
    add_xml(buf, def->pm_xml);
    add_xml(buf, def->perf_xml);
    format_devices(buf, def, flags);
    add_xml(buf, def->seclabel_xml);
    add_xml(buf, def->keywrap_xml);
    add_xml(buf, def->launch_security_xml);
    buf->indent -= 2;
    vb_buf_add(buf, "</domain>\n");
}

char *
vb_domain_def_format_full(const VbDomainDef *def, int id, guint flags)
{
    VbBuf buf;

    vb_buf_init(&buf, 0);
    vb_domain_def_format_buf(&buf, def, id, flags);
    return vb_buf_steal(&buf);
}

char *
vb_device_def_format(const VbDeviceDef *dev, guint flags)
{
    VbBuf buf;

    vb_buf_init(&buf, 0);
    format_device(&buf, dev, flags);
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

/* libvirt's virDomainDefHasMemballoon: a balloon whose model is not 'none'. */
VbDeviceDef *
vb_domain_def_find_memballoon(const VbDomainDef *def)
{
    for (guint i = 0; i < def->devices->len; i++) {
        VbDeviceDef *dev = g_ptr_array_index(def->devices, i);
        g_autoptr(xmlDoc) doc = NULL;
        g_autofree char *model = NULL;

        if (dev->kind != VB_DEVICE_MEMBALLOON || !(doc = vb_xml_parse(dev->xml, "memballoon", NULL)))
            continue;
        model = vb_xml_prop(xmlDocGetRootElement(doc), "model");
        return g_strcmp0(model, "none") != 0 ? dev : NULL;
    }
    return NULL;
}

gboolean
vb_domain_def_has_memballoon(const VbDomainDef *def)
{
    return vb_domain_def_find_memballoon(def) != NULL;
}

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

static VbDeviceDef *
nth_of_kind(const VbDomainDef *def, VbDeviceKind kind, guint n)
{
    for (guint i = 0; i < def->devices->len; i++) {
        VbDeviceDef *dev = g_ptr_array_index(def->devices, i);
        if (dev->kind == (int)kind && n-- == 0)
            return dev;
    }
    return NULL;
}

VbDiskDef *
vb_domain_def_nth_disk(const VbDomainDef *def, guint n)
{
    VbDeviceDef *dev = nth_of_kind(def, VB_DEVICE_DISK, n);

    return dev ? dev->disk : NULL;
}

VbNetDef *
vb_domain_def_nth_net(const VbDomainDef *def, guint n)
{
    VbDeviceDef *dev = nth_of_kind(def, VB_DEVICE_INTERFACE, n);

    return dev ? dev->net : NULL;
}

VbDiskDef *
vb_domain_def_find_disk(const VbDomainDef *def, const char *target_or_path)
{
    return vb_domain_def_find_disk_index(def, target_or_path, NULL);
}

VbDiskDef *
vb_domain_def_find_disk_index(const VbDomainDef *def, const char *target_or_path, guint *index)
{
    guint n = 0;

    for (guint i = 0; target_or_path && i < def->devices->len; i++) {
        VbDeviceDef *dev = g_ptr_array_index(def->devices, i);
        if (!dev->disk)
            continue;
        if (g_strcmp0(dev->disk->target_dev, target_or_path) == 0 ||
            g_strcmp0(dev->disk->source_file, target_or_path) == 0) {
            if (index)
                *index = n;
            return dev->disk;
        }
        n++;
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
    md->xml = node_to_xml(root, '"');
    g_ptr_array_add(def->metadata, md);
    return TRUE;
}
