/* nodedev_conf.c: libvirt's node device XML, one parse/format pair per capability */
#include "nodedev_conf.h"

#include <string.h>

VB_ENUM_IMPL(vb_node_device_cap, VB_NODE_DEVICE_CAP_LAST,
             "system", "pci", "usb_device", "usb", "net", "scsi_host", "scsi_target", "scsi",
             "storage", "fc_host", "vports", "scsi_generic", "drm", "mdev_types", "mdev", "ccw",
             "css", "vdpa");
VB_ENUM_IMPL(vb_node_device_pci_header, VB_NODE_DEVICE_PCI_HDR_LAST,
             "", "pci-bridge", "cardbus-bridge");
VB_ENUM_IMPL(vb_node_device_pcie_speed, VB_NODE_DEVICE_PCIE_SPEED_LAST,
             "", "2.5", "5", "8", "16", "32", "64");
VB_ENUM_IMPL(vb_node_device_link_state, VB_NODE_DEVICE_LINK_LAST,
             "unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up");
VB_ENUM_IMPL(vb_node_device_net_feature, VB_NODE_DEVICE_NET_FEATURE_LAST,
             "rx", "tx", "sg", "tso", "gso", "gro", "lro", "rxvlan", "txvlan", "ntuple",
             "rxhash", "rdma", "txudptnl", "switchdev");
VB_ENUM_IMPL(vb_node_device_net_subtype, VB_NODE_DEVICE_NET_SUBTYPE_LAST,
             "", "80203", "80211");
VB_ENUM_IMPL(vb_node_device_drm, VB_NODE_DEVICE_DRM_LAST,
             "primary", "control", "render");

#define ZERO_UUID "00000000-0000-0000-0000-000000000000"

/* What every parse helper needs for its messages and mode. */
typedef struct {
    const char *name;           /* the device name, as libvirt's messages quote it */
    guint flags;                /* VbNodeDeviceParseFlags */
} NdCtx;

/* A number held in a child element's text. */
typedef struct {
    const char *child;
    const char *what;           /* its meaning in messages: "SCSI host ID" */
    guint64 max;
    gboolean hex;               /* hex digits with or without 0x; else decimal or 0x-hex */
    gboolean required;
} NdNumber;

typedef struct {
    gboolean (*parse)(xmlNodePtr node, VbNodeDeviceCap *cap, const NdCtx *ctx, GError **error);
    void (*format)(VbBuf *buf, const VbNodeDeviceCap *cap);
    void (*clear)(VbNodeDeviceCap *cap);
} NdCapOps;

static const NdCapOps *nd_cap_ops(int type);

/* ---- small helpers ---------------------------------------------------------------- */

static void
nd_mdev_type_free(VbNodeDeviceMdevType *type)
{
    g_free(type->id);
    g_free(type->name);
    g_free(type->device_api);
    g_free(type);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbNodeDeviceMdevType, nd_mdev_type_free)

static void
nd_mdev_attr_free(VbNodeDeviceMdevAttr *attr)
{
    g_free(attr->name);
    g_free(attr->value);
    g_free(attr);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbNodeDeviceMdevAttr, nd_mdev_attr_free)

static void
nd_cap_free(VbNodeDeviceCap *cap)
{
    const NdCapOps *ops = nd_cap_ops(cap->type);

    if (ops && ops->clear)
        ops->clear(cap);
    g_free(cap);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbNodeDeviceCap, nd_cap_free)

static GArray *
nd_address_array_new(void)
{
    return g_array_new(FALSE, TRUE, sizeof(VbNodeDevicePciAddress));
}

static gboolean
nd_parse_uint(const char *str, gboolean hex, guint64 max, guint64 *out)
{
    guint base = hex ? 16 : 10;

    if (!str)
        return FALSE;
    if (str[0] == '0' && (str[1] == 'x' || str[1] == 'X')) {
        str += 2;
        base = 16;
    }
    return g_ascii_string_to_unsigned(str, base, 0, max, out, NULL);
}

static gboolean
nd_child_number(xmlNodePtr parent, const NdNumber *spec, const NdCtx *ctx, guint64 *out,
                GError **error)
{
    xmlNodePtr node = vb_xml_child(parent, spec->child);
    g_autofree char *text = NULL;

    if (!node) {
        if (!spec->required)
            return TRUE;
        vb_set_error(error, VB_ERR_XML_ERROR, "no %s supplied for '%s'", spec->what, ctx->name);
        return FALSE;
    }
    text = vb_xml_content(node);
    g_strstrip(text);
    if (!nd_parse_uint(text, spec->hex, spec->max, out)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "invalid %s '%s' in <%s> supplied for '%s'",
                     spec->what, text, spec->child, ctx->name);
        return FALSE;
    }
    return TRUE;
}

static gboolean
nd_child_uint(xmlNodePtr parent, const NdNumber *spec, const NdCtx *ctx, guint *out, GError **error)
{
    guint64 value = *out;

    if (!nd_child_number(parent, spec, ctx, &value, error))
        return FALSE;
    *out = (guint)value;
    return TRUE;
}

/* Reads @n numbers described by @specs into @fields. */
static gboolean
nd_child_uints(xmlNodePtr parent, const NdNumber *specs, guint *const *fields, gsize n,
               const NdCtx *ctx, GError **error)
{
    for (gsize i = 0; i < n; i++) {
        if (!nd_child_uint(parent, &specs[i], ctx, fields[i], error))
            return FALSE;
    }
    return TRUE;
}

static gboolean
nd_child_required(xmlNodePtr parent, const char *child, const char *what, const NdCtx *ctx,
                  char **out, GError **error)
{
    g_autofree char *text = vb_xml_child_content(parent, child);

    if (!text || !*text) {
        vb_set_error(error, VB_ERR_XML_ERROR, "no %s supplied for '%s'", what, ctx->name);
        return FALSE;
    }
    g_free(*out);   /* a repeated element or capability: the last one counts */
    *out = g_steal_pointer(&text);
    return TRUE;
}

static char *
nd_capability_type(xmlNodePtr node, const char *what, const NdCtx *ctx, GError **error)
{
    char *type = vb_xml_prop(node, "type");

    if (!type)
        vb_set_error(error, VB_ERR_XML_ERROR, "missing %s capability type for '%s'", what, ctx->name);
    return type;
}

static void
nd_set_unknown_subcap(GError **error, const char *what, const char *type, const NdCtx *ctx)
{
    vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "unknown %s capability type '%s' for '%s'",
                 what, type, ctx->name);
}

/* <product id='0x1234'>name</product>: the id is hex, the name optional. */
static gboolean
nd_parse_id(xmlNodePtr parent, const char *child, const char *what, const NdCtx *ctx,
            guint *id, char **name, GError **error)
{
    xmlNodePtr node = vb_xml_child(parent, child);
    g_autofree char *str = node ? vb_xml_prop(node, "id") : NULL;
    g_autofree char *text = vb_xml_content(node);
    guint64 value;

    if (!str) {
        vb_set_error(error, VB_ERR_XML_ERROR, "no %s supplied for '%s'", what, ctx->name);
        return FALSE;
    }
    if (!nd_parse_uint(str, TRUE, 0xffff, &value)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "invalid %s '%s' supplied for '%s'", what, str, ctx->name);
        return FALSE;
    }
    *id = (guint)value;
    if (text && *text)
        *name = g_steal_pointer(&text);
    return TRUE;
}

static void
nd_format_id(VbBuf *buf, const char *element, guint id, const char *name)
{
    if (!name) {
        vb_buf_add(buf, "<%s id='0x%04x'/>\n", element, id);
        return;
    }
    vb_buf_add(buf, "<%s id='0x%04x'>", element, id);
    vb_buf_escape(buf, "%s", name);
    vb_buf_add(buf, "</%s>\n", element);
}

/* libvirt's virValidateWWN: 16 hex digits, optionally after 0x. */
static gboolean
nd_wwn_valid(const char *wwn)
{
    const char *p = wwn;

    if (g_str_has_prefix(p, "0x") || g_str_has_prefix(p, "0X"))
        p += 2;
    if (strlen(p) != 16)
        return FALSE;
    for (; *p; p++) {
        if (!g_ascii_isxdigit(*p))
            return FALSE;
    }
    return TRUE;
}

static gboolean
nd_check_wwn(const char *wwn, const char *where, const NdCtx *ctx, GError **error)
{
    if (!wwn || nd_wwn_valid(wwn))
        return TRUE;
    vb_set_error(error, VB_ERR_XML_ERROR, "Malformed wwn: %s (in %s of '%s')", wwn, where, ctx->name);
    return FALSE;
}

char *
vb_node_device_generate_wwn(void)
{
    return g_strdup_printf("5001a4a%01x%08x", (guint)g_random_int_range(0, 16), g_random_int());
}

/* ---- PCI addresses ------------------------------------------------------------------ */

static gboolean
nd_pci_attr(xmlNodePtr node, const char *attr, guint max, guint *out, GError **error)
{
    g_autofree char *str = vb_xml_prop(node, attr);
    guint64 value;

    if (!str)
        return TRUE;
    if (!nd_parse_uint(str, FALSE, G_MAXUINT, &value)) {
        vb_set_invalid_value(error, node, attr, str);
        return FALSE;
    }
    if (value > max) {
        vb_set_error(error, VB_ERR_XML_ERROR, "Invalid PCI address %s='%s', must be <= 0x%X",
                     attr, str, max);
        return FALSE;
    }
    *out = (guint)value;
    return TRUE;
}

gboolean
vb_node_device_pci_address_parse(xmlNodePtr node, VbNodeDevicePciAddress *addr, GError **error)
{
    return nd_pci_attr(node, "domain", 0xffff, &addr->domain, error) &&
           nd_pci_attr(node, "bus", 0xff, &addr->bus, error) &&
           nd_pci_attr(node, "slot", 0x1f, &addr->slot, error) &&
           nd_pci_attr(node, "function", 0x7, &addr->function, error);
}

void
vb_node_device_pci_address_format(VbBuf *buf, const VbNodeDevicePciAddress *addr, gboolean with_type)
{
    vb_buf_add(buf, "<address%s domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>\n",
               with_type ? " type='pci'" : "", addr->domain, addr->bus, addr->slot, addr->function);
}

static gboolean
nd_parse_addresses(xmlNodePtr node, GArray *out, GError **error)
{
    VB_XML_FOREACH_CHILD(node, "address", child) {
        VbNodeDevicePciAddress addr = { 0 };

        if (!vb_node_device_pci_address_parse(child, &addr, error))
            return FALSE;
        g_array_append_val(out, addr);
    }
    return TRUE;
}

static void
nd_format_addresses(VbBuf *buf, const GArray *addrs)
{
    for (guint i = 0; addrs && i < addrs->len; i++)
        vb_node_device_pci_address_format(buf, &g_array_index(addrs, VbNodeDevicePciAddress, i), FALSE);
}

/* ---- mediated device types (pci, css) ------------------------------------------------ */

static gboolean
nd_parse_mdev_type(xmlNodePtr node, GPtrArray *out, const NdCtx *ctx, GError **error)
{
    static const NdNumber available = {
        "availableInstances", "number of available instances", G_MAXUINT, FALSE, TRUE
    };
    g_autoptr(VbNodeDeviceMdevType) type = g_new0(VbNodeDeviceMdevType, 1);

    if (!vb_xml_prop_required(node, "id", &type->id, error))
        return FALSE;
    type->name = vb_xml_child_content(node, "name");
    type->device_api = vb_xml_child_content(node, "deviceAPI");
    if (!type->device_api) {
        vb_set_error(error, VB_ERR_XML_ERROR, "missing device API for mediated device type '%s'",
                     type->id);
        return FALSE;
    }
    if (!nd_child_uint(node, &available, ctx, &type->available_instances, error))
        return FALSE;
    g_ptr_array_add(out, g_steal_pointer(&type));
    return TRUE;
}

static gboolean
nd_parse_mdev_types(xmlNodePtr node, GPtrArray *out, const NdCtx *ctx, GError **error)
{
    VB_XML_FOREACH_CHILD(node, "type", child) {
        if (!nd_parse_mdev_type(child, out, ctx, error))
            return FALSE;
    }
    return TRUE;
}

static void
nd_format_mdev_types(VbBuf *buf, gboolean present, const GPtrArray *types)
{
    g_auto(VbBuf) attrs = { 0 };
    g_auto(VbBuf) children = { 0 };

    if (!present)
        return;
    vb_buf_init(&attrs, 0);
    vb_buf_init(&children, 0);
    vb_buf_add(&attrs, " type='mdev_types'");
    for (guint i = 0; i < types->len; i++) {
        const VbNodeDeviceMdevType *type = g_ptr_array_index(types, i);

        vb_buf_escape(&children, "<type id='%s'>\n", type->id);
        vb_buf_escape(&children, "  <name>%s</name>\n", type->name);
        vb_buf_escape(&children, "  <deviceAPI>%s</deviceAPI>\n", type->device_api);
        vb_buf_add(&children, "  <availableInstances>%u</availableInstances>\n</type>\n",
                   type->available_instances);
    }
    vb_buf_element(buf, "capability", &attrs, &children);
}

/* ---- system ------------------------------------------------------------------------- */

static gboolean
nd_parse_system(xmlNodePtr node, VbNodeDeviceCap *cap, const NdCtx *ctx, GError **error)
{
    VbNodeDeviceCapSystem *sys = &cap->system;
    xmlNodePtr hw = vb_xml_child(node, "hardware");
    xmlNodePtr fw = vb_xml_child(node, "firmware");
    g_autofree char *uuid = vb_xml_child_content(hw, "uuid");

    sys->product = vb_xml_child_content(node, "product");
    sys->hw_vendor = vb_xml_child_content(hw, "vendor");
    sys->hw_version = vb_xml_child_content(hw, "version");
    sys->hw_serial = vb_xml_child_content(hw, "serial");
    sys->fw_vendor = vb_xml_child_content(fw, "vendor");
    sys->fw_version = vb_xml_child_content(fw, "version");
    sys->fw_release_date = vb_xml_child_content(fw, "release_date");
    if (uuid && !vb_uuid_parse(g_strstrip(uuid), sys->hw_uuid)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "malformed uuid element '%s' for '%s'", uuid, ctx->name);
        return FALSE;
    }
    return TRUE;
}

static void
nd_format_system(VbBuf *buf, const VbNodeDeviceCap *cap)
{
    const VbNodeDeviceCapSystem *sys = &cap->system;
    g_auto(VbBuf) hw = { 0 };
    g_auto(VbBuf) fw = { 0 };

    vb_buf_init(&hw, 0);
    vb_buf_init(&fw, 0);
    vb_buf_escape(buf, "<product>%s</product>\n", sys->product);
    vb_buf_escape(&hw, "<vendor>%s</vendor>\n", sys->hw_vendor);
    vb_buf_escape(&hw, "<version>%s</version>\n", sys->hw_version);
    vb_buf_escape(&hw, "<serial>%s</serial>\n", sys->hw_serial);
    vb_buf_add(&hw, "<uuid>%s</uuid>\n", sys->hw_uuid[0] ? sys->hw_uuid : ZERO_UUID);
    vb_buf_escape(&fw, "<vendor>%s</vendor>\n", sys->fw_vendor);
    vb_buf_escape(&fw, "<version>%s</version>\n", sys->fw_version);
    vb_buf_escape(&fw, "<release_date>%s</release_date>\n", sys->fw_release_date);
    vb_buf_element(buf, "hardware", NULL, &hw);
    vb_buf_element(buf, "firmware", NULL, &fw);
}

static void
nd_clear_system(VbNodeDeviceCap *cap)
{
    VbNodeDeviceCapSystem *sys = &cap->system;

    g_free(sys->product);
    g_free(sys->hw_vendor);
    g_free(sys->hw_version);
    g_free(sys->hw_serial);
    g_free(sys->fw_vendor);
    g_free(sys->fw_version);
    g_free(sys->fw_release_date);
}

/* ---- pci ---------------------------------------------------------------------------- */

static gboolean
nd_parse_pci_class(xmlNodePtr node, VbNodeDeviceCapPci *pci, const NdCtx *ctx, GError **error)
{
    static const NdNumber klass = { "class", "PCI class", 0xffffff, TRUE, FALSE };
    guint64 value;

    if (!vb_xml_child(node, "class"))
        return TRUE;
    if (!nd_child_number(node, &klass, ctx, &value, error))
        return FALSE;
    pci->klass = (int)value;
    return TRUE;
}

static gboolean
nd_parse_phys_function(xmlNodePtr node, VbNodeDeviceCapPci *pci, const NdCtx *ctx, GError **error)
{
    xmlNodePtr addr = vb_xml_child(node, "address");

    if (!addr) {
        vb_set_error(error, VB_ERR_XML_ERROR,
                     "missing address in 'phys_function' capability for '%s'", ctx->name);
        return FALSE;
    }
    g_free(pci->phys_function);
    pci->phys_function = g_new0(VbNodeDevicePciAddress, 1);
    return vb_node_device_pci_address_parse(addr, pci->phys_function, error);
}

static gboolean
nd_parse_virt_functions(xmlNodePtr node, VbNodeDeviceCapPci *pci, GError **error)
{
    pci->has_virt_functions = TRUE;
    return vb_xml_prop_uint(node, "maxCount", VB_XML_OPTIONAL, &pci->max_virt_functions, error) &&
           nd_parse_addresses(node, pci->virt_functions, error);
}

static gboolean
nd_parse_pci_subcap(xmlNodePtr node, VbNodeDeviceCapPci *pci, const NdCtx *ctx, GError **error)
{
    g_autofree char *type = nd_capability_type(node, "PCI", ctx, error);
    int hdr;

    if (!type)
        return FALSE;
    if (g_str_equal(type, "phys_function"))
        return nd_parse_phys_function(node, pci, ctx, error);
    if (g_str_equal(type, "virt_functions"))
        return nd_parse_virt_functions(node, pci, error);
    if (g_str_equal(type, "mdev_types")) {
        pci->has_mdev_types = TRUE;
        return nd_parse_mdev_types(node, pci->mdev_types, ctx, error);
    }
    hdr = vb_node_device_pci_header_from_string(type);
    if (hdr <= 0) {
        nd_set_unknown_subcap(error, "PCI", type, ctx);
        return FALSE;
    }
    pci->hdr_type = hdr;
    return TRUE;
}

static gboolean
nd_parse_iommu_group(xmlNodePtr parent, VbNodeDeviceCapPci *pci, GError **error)
{
    xmlNodePtr node = vb_xml_child(parent, "iommuGroup");
    int number = 0;

    if (!node)
        return TRUE;
    if (!vb_xml_prop_int(node, "number", VB_XML_REQUIRED, &number, error))
        return FALSE;
    if (number < 0) {
        g_autofree char *str = vb_xml_prop(node, "number");
        vb_set_invalid_value(error, node, "number", str);
        return FALSE;
    }
    pci->iommu_group = number;
    return nd_parse_addresses(node, pci->iommu_group_devices, error);
}

static gboolean
nd_parse_pcie_link(xmlNodePtr node, VbNodeDeviceCapPci *pci, GError **error)
{
    g_autofree char *validity = NULL;
    VbNodeDevicePcieLink *lnk;

    if (!vb_xml_prop_required(node, "validity", &validity, error))
        return FALSE;
    if (g_str_equal(validity, "cap")) {
        lnk = &pci->link_cap;
    } else if (g_str_equal(validity, "sta")) {
        lnk = &pci->link_sta;
    } else {
        vb_set_invalid_value(error, node, "validity", validity);
        return FALSE;
    }
    lnk->present = TRUE;
    return vb_xml_prop_int(node, "port", VB_XML_OPTIONAL, &lnk->port, error) &&
           vb_xml_prop_enum(node, "speed", vb_node_device_pcie_speed_from_string, VB_XML_NONZERO,
                            &lnk->speed, error) &&
           vb_xml_prop_uint(node, "width", VB_XML_OPTIONAL, &lnk->width, error);
}

static gboolean
nd_parse_pci_extras(xmlNodePtr node, VbNodeDeviceCapPci *pci, const NdCtx *ctx, GError **error)
{
    xmlNodePtr numa = vb_xml_child(node, "numa");
    xmlNodePtr pcie = vb_xml_child(node, "pci-express");

    VB_XML_FOREACH_CHILD(node, "capability", sub) {
        if (!nd_parse_pci_subcap(sub, pci, ctx, error))
            return FALSE;
    }
    if (!nd_parse_iommu_group(node, pci, error))
        return FALSE;
    if (numa && !vb_xml_prop_int(numa, "node", VB_XML_REQUIRED, &pci->numa_node, error))
        return FALSE;
    pci->has_pcie = pcie != NULL;
    VB_XML_FOREACH_CHILD(pcie, "link", lnk) {
        if (!nd_parse_pcie_link(lnk, pci, error))
            return FALSE;
    }
    return TRUE;
}

static gboolean
nd_parse_pci(xmlNodePtr node, VbNodeDeviceCap *cap, const NdCtx *ctx, GError **error)
{
    static const NdNumber numbers[] = {
        { "domain", "PCI domain ID", 0xffff, FALSE, TRUE },
        { "bus", "PCI bus ID", 0xff, FALSE, TRUE },
        { "slot", "PCI slot ID", 0x1f, FALSE, TRUE },
        { "function", "PCI function ID", 0x7, FALSE, TRUE },
    };
    VbNodeDeviceCapPci *pci = &cap->pci;
    guint *const fields[] = { &pci->domain, &pci->bus, &pci->slot, &pci->function };

    pci->klass = -1;
    pci->iommu_group = -1;
    pci->numa_node = -1;
    pci->link_cap.port = pci->link_sta.port = -1;
    pci->virt_functions = nd_address_array_new();
    pci->iommu_group_devices = nd_address_array_new();
    pci->mdev_types = g_ptr_array_new_with_free_func((GDestroyNotify)nd_mdev_type_free);
    return nd_parse_pci_class(node, pci, ctx, error) &&
           nd_child_uints(node, numbers, fields, G_N_ELEMENTS(numbers), ctx, error) &&
           nd_parse_id(node, "product", "PCI product ID", ctx, &pci->product, &pci->product_name, error) &&
           nd_parse_id(node, "vendor", "PCI vendor ID", ctx, &pci->vendor, &pci->vendor_name, error) &&
           nd_parse_pci_extras(node, pci, ctx, error);
}

static void
nd_format_pci_subcaps(VbBuf *buf, const VbNodeDeviceCapPci *pci)
{
    if (pci->phys_function) {
        vb_buf_add(buf, "<capability type='phys_function'>\n");
        buf->indent += 2;
        vb_node_device_pci_address_format(buf, pci->phys_function, FALSE);
        buf->indent -= 2;
        vb_buf_add(buf, "</capability>\n");
    }
    if (pci->has_virt_functions) {
        g_auto(VbBuf) attrs = { 0 };
        g_auto(VbBuf) children = { 0 };

        vb_buf_init(&attrs, 0);
        vb_buf_init(&children, 0);
        vb_buf_add(&attrs, " type='virt_functions'");
        if (pci->max_virt_functions)
            vb_buf_add(&attrs, " maxCount='%u'", pci->max_virt_functions);
        nd_format_addresses(&children, pci->virt_functions);
        vb_buf_element(buf, "capability", &attrs, &children);
    }
    if (pci->hdr_type)
        vb_buf_add(buf, "<capability type='%s'/>\n", vb_node_device_pci_header_to_string(pci->hdr_type));
    nd_format_mdev_types(buf, pci->has_mdev_types, pci->mdev_types);
}

static void
nd_format_pcie_link(VbBuf *buf, const char *validity, const VbNodeDevicePcieLink *lnk)
{
    if (!lnk->present)
        return;
    vb_buf_add(buf, "<link validity='%s'", validity);
    if (lnk->port >= 0)
        vb_buf_add(buf, " port='%d'", lnk->port);
    if (lnk->speed)
        vb_buf_add(buf, " speed='%s'", vb_node_device_pcie_speed_to_string(lnk->speed));
    vb_buf_add(buf, " width='%u'/>\n", lnk->width);
}

static void
nd_format_pci_extras(VbBuf *buf, const VbNodeDeviceCapPci *pci)
{
    g_auto(VbBuf) links = { 0 };

    if (pci->iommu_group >= 0) {
        g_auto(VbBuf) attrs = { 0 };
        g_auto(VbBuf) children = { 0 };

        vb_buf_init(&attrs, 0);
        vb_buf_init(&children, 0);
        vb_buf_add(&attrs, " number='%d'", pci->iommu_group);
        nd_format_addresses(&children, pci->iommu_group_devices);
        vb_buf_element(buf, "iommuGroup", &attrs, &children);
    }
    if (pci->numa_node >= 0)
        vb_buf_add(buf, "<numa node='%d'/>\n", pci->numa_node);
    if (!pci->has_pcie)
        return;
    vb_buf_init(&links, 0);
    nd_format_pcie_link(&links, "cap", &pci->link_cap);
    nd_format_pcie_link(&links, "sta", &pci->link_sta);
    if (vb_buf_empty(&links))
        vb_buf_add(buf, "<pci-express/>\n");
    else
        vb_buf_element(buf, "pci-express", NULL, &links);
}

static void
nd_format_pci(VbBuf *buf, const VbNodeDeviceCap *cap)
{
    const VbNodeDeviceCapPci *pci = &cap->pci;

    if (pci->klass >= 0)
        vb_buf_add(buf, "<class>0x%06x</class>\n", (guint)pci->klass);
    vb_buf_add(buf, "<domain>%u</domain>\n<bus>%u</bus>\n<slot>%u</slot>\n<function>%u</function>\n",
               pci->domain, pci->bus, pci->slot, pci->function);
    nd_format_id(buf, "product", pci->product, pci->product_name);
    nd_format_id(buf, "vendor", pci->vendor, pci->vendor_name);
    nd_format_pci_subcaps(buf, pci);
    nd_format_pci_extras(buf, pci);
}

static void
nd_clear_pci(VbNodeDeviceCap *cap)
{
    VbNodeDeviceCapPci *pci = &cap->pci;

    g_free(pci->product_name);
    g_free(pci->vendor_name);
    g_free(pci->phys_function);
    g_clear_pointer(&pci->virt_functions, g_array_unref);
    g_clear_pointer(&pci->iommu_group_devices, g_array_unref);
    g_clear_pointer(&pci->mdev_types, g_ptr_array_unref);
}

/* ---- usb_device, usb ---------------------------------------------------------------- */

static gboolean
nd_parse_usb_dev(xmlNodePtr node, VbNodeDeviceCap *cap, const NdCtx *ctx, GError **error)
{
    static const NdNumber numbers[] = {
        { "bus", "USB bus number", G_MAXUINT, FALSE, TRUE },
        { "device", "USB device number", G_MAXUINT, FALSE, TRUE },
    };
    VbNodeDeviceCapUsbDev *usb = &cap->usb_dev;
    guint *const fields[] = { &usb->bus, &usb->device };

    return nd_child_uints(node, numbers, fields, G_N_ELEMENTS(numbers), ctx, error) &&
           nd_parse_id(node, "product", "USB product ID", ctx, &usb->product, &usb->product_name, error) &&
           nd_parse_id(node, "vendor", "USB vendor ID", ctx, &usb->vendor, &usb->vendor_name, error);
}

static void
nd_format_usb_dev(VbBuf *buf, const VbNodeDeviceCap *cap)
{
    const VbNodeDeviceCapUsbDev *usb = &cap->usb_dev;

    vb_buf_add(buf, "<bus>%u</bus>\n<device>%u</device>\n", usb->bus, usb->device);
    nd_format_id(buf, "product", usb->product, usb->product_name);
    nd_format_id(buf, "vendor", usb->vendor, usb->vendor_name);
}

static void
nd_clear_usb_dev(VbNodeDeviceCap *cap)
{
    g_free(cap->usb_dev.product_name);
    g_free(cap->usb_dev.vendor_name);
}

static gboolean
nd_parse_usb_interface(xmlNodePtr node, VbNodeDeviceCap *cap, const NdCtx *ctx, GError **error)
{
    static const NdNumber numbers[] = {
        { "number", "USB interface number", G_MAXUINT, FALSE, TRUE },
        { "class", "USB interface class", G_MAXUINT, FALSE, TRUE },
        { "subclass", "USB interface subclass", G_MAXUINT, FALSE, TRUE },
        { "protocol", "USB interface protocol", G_MAXUINT, FALSE, TRUE },
    };
    VbNodeDeviceCapUsbInterface *usb = &cap->usb_if;
    guint *const fields[] = { &usb->number, &usb->klass, &usb->subclass, &usb->protocol };

    usb->description = vb_xml_child_content(node, "description");
    return nd_child_uints(node, numbers, fields, G_N_ELEMENTS(numbers), ctx, error);
}

static void
nd_format_usb_interface(VbBuf *buf, const VbNodeDeviceCap *cap)
{
    const VbNodeDeviceCapUsbInterface *usb = &cap->usb_if;

    vb_buf_add(buf, "<number>%u</number>\n<class>%u</class>\n<subclass>%u</subclass>\n"
               "<protocol>%u</protocol>\n", usb->number, usb->klass, usb->subclass, usb->protocol);
    vb_buf_escape(buf, "<description>%s</description>\n", usb->description);
}

static void
nd_clear_usb_interface(VbNodeDeviceCap *cap)
{
    g_free(cap->usb_if.description);
}

/* ---- net ---------------------------------------------------------------------------- */

static gboolean
nd_parse_net_features(xmlNodePtr node, VbNodeDeviceCapNet *net, const NdCtx *ctx, GError **error)
{
    VB_XML_FOREACH_CHILD(node, "feature", child) {
        g_autofree char *name = NULL;
        int feature;

        if (!vb_xml_prop_required(child, "name", &name, error))
            return FALSE;
        feature = vb_node_device_net_feature_from_string(name);
        if (feature < 0) {
            vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED,
                         "unknown network device feature '%s' for '%s'", name, ctx->name);
            return FALSE;
        }
        net->features |= 1u << feature;
    }
    return TRUE;
}

static gboolean
nd_parse_net_subtype(xmlNodePtr node, VbNodeDeviceCapNet *net, const NdCtx *ctx, GError **error)
{
    VB_XML_FOREACH_CHILD(node, "capability", child) {
        g_autofree char *type = nd_capability_type(child, "network", ctx, error);

        if (!type)
            return FALSE;
        net->subtype = vb_node_device_net_subtype_from_string(type);
        if (net->subtype <= 0) {
            nd_set_unknown_subcap(error, "network", type, ctx);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
nd_parse_net(xmlNodePtr node, VbNodeDeviceCap *cap, const NdCtx *ctx, GError **error)
{
    VbNodeDeviceCapNet *net = &cap->net;
    xmlNodePtr lnk = vb_xml_child(node, "link");

    if (!nd_child_required(node, "interface", "network interface", ctx, &net->ifname, error))
        return FALSE;
    net->address = vb_xml_child_content(node, "address");
    if (lnk && (!vb_xml_prop_uint(lnk, "speed", VB_XML_OPTIONAL, &net->link_speed, error) ||
                 !vb_xml_prop_enum(lnk, "state", vb_node_device_link_state_from_string,
                                   VB_XML_OPTIONAL, &net->link_state, error)))
        return FALSE;
    return nd_parse_net_features(node, net, ctx, error) && nd_parse_net_subtype(node, net, ctx, error);
}

static void
nd_format_net(VbBuf *buf, const VbNodeDeviceCap *cap)
{
    const VbNodeDeviceCapNet *net = &cap->net;

    vb_buf_escape(buf, "<interface>%s</interface>\n", net->ifname);
    vb_buf_escape(buf, "<address>%s</address>\n", net->address);
    if (net->link_speed || net->link_state) {
        vb_buf_add(buf, "<link");
        if (net->link_speed)
            vb_buf_add(buf, " speed='%u'", net->link_speed);
        if (net->link_state)
            vb_buf_add(buf, " state='%s'", vb_node_device_link_state_to_string(net->link_state));
        vb_buf_add(buf, "/>\n");
    }
    for (int i = 0; i < VB_NODE_DEVICE_NET_FEATURE_LAST; i++) {
        if (net->features & (1u << i))
            vb_buf_add(buf, "<feature name='%s'/>\n", vb_node_device_net_feature_to_string(i));
    }
    if (net->subtype)
        vb_buf_add(buf, "<capability type='%s'/>\n", vb_node_device_net_subtype_to_string(net->subtype));
}

static void
nd_clear_net(VbNodeDeviceCap *cap)
{
    g_free(cap->net.ifname);
    g_free(cap->net.address);
}

/* ---- scsi_host ---------------------------------------------------------------------- */

/* A WWN child; a missing wwnn/wwpn is generated, as libvirt does. */
static gboolean
nd_parse_wwn(xmlNodePtr node, const char *child, gboolean generate, char **out, const NdCtx *ctx,
             GError **error)
{
    g_autofree char *wwn = vb_xml_child_content(node, child);

    if (wwn)
        g_strstrip(wwn);
    if (!wwn || !*wwn) {
        if (generate) {
            g_free(*out);    /* a repeated <capability type='fc_host'>: the last one counts */
            *out = vb_node_device_generate_wwn();
        }
        return TRUE;
    }
    if (!nd_check_wwn(wwn, child, ctx, error))
        return FALSE;
    g_free(*out);
    *out = g_steal_pointer(&wwn);
    return TRUE;
}

static gboolean
nd_parse_fc_host(xmlNodePtr node, VbNodeDeviceCapScsiHost *host, const NdCtx *ctx, GError **error)
{
    host->has_fc_host = TRUE;
    return nd_parse_wwn(node, "wwnn", TRUE, &host->wwnn, ctx, error) &&
           nd_parse_wwn(node, "wwpn", TRUE, &host->wwpn, ctx, error) &&
           nd_parse_wwn(node, "fabric_wwn", FALSE, &host->fabric_wwn, ctx, error);
}

static gboolean
nd_parse_vport_ops(xmlNodePtr node, VbNodeDeviceCapScsiHost *host, const NdCtx *ctx, GError **error)
{
    static const NdNumber numbers[] = {
        { "max_vports", "maximum vports count", G_MAXINT, FALSE, FALSE },
        { "vports", "vports count", G_MAXINT, FALSE, FALSE },
    };
    guint *const fields[] = { &host->max_vports, &host->vports };

    host->has_vport_ops = TRUE;
    return nd_child_uints(node, numbers, fields, G_N_ELEMENTS(numbers), ctx, error);
}

static gboolean
nd_parse_scsi_host_subcap(xmlNodePtr node, VbNodeDeviceCapScsiHost *host, const NdCtx *ctx,
                          GError **error)
{
    g_autofree char *type = nd_capability_type(node, "SCSI host", ctx, error);

    if (!type)
        return FALSE;
    if (g_str_equal(type, "fc_host"))
        return nd_parse_fc_host(node, host, ctx, error);
    if (g_str_equal(type, "vport_ops"))
        return nd_parse_vport_ops(node, host, ctx, error);
    nd_set_unknown_subcap(error, "SCSI host", type, ctx);
    return FALSE;
}

static gboolean
nd_parse_scsi_host(xmlNodePtr node, VbNodeDeviceCap *cap, const NdCtx *ctx, GError **error)
{
    static const NdNumber unique_id = { "unique_id", "unique_id", G_MAXINT, FALSE, FALSE };
    NdNumber host_id = { "host", "SCSI host ID", G_MAXUINT, FALSE, TRUE };
    VbNodeDeviceCapScsiHost *host = &cap->scsi_host;
    guint64 value = G_MAXUINT64;

    host_id.required = !(ctx->flags & VB_NODE_DEVICE_PARSE_CREATE);
    if (!nd_child_uint(node, &host_id, ctx, &host->host, error) ||
        !nd_child_number(node, &unique_id, ctx, &value, error))
        return FALSE;
    host->unique_id = value == G_MAXUINT64 ? -1 : (int)value;
    VB_XML_FOREACH_CHILD(node, "capability", sub) {
        if (!nd_parse_scsi_host_subcap(sub, host, ctx, error))
            return FALSE;
    }
    return TRUE;
}

static void
nd_format_scsi_host(VbBuf *buf, const VbNodeDeviceCap *cap)
{
    const VbNodeDeviceCapScsiHost *host = &cap->scsi_host;

    vb_buf_add(buf, "<host>%u</host>\n", host->host);
    if (host->unique_id >= 0)
        vb_buf_add(buf, "<unique_id>%d</unique_id>\n", host->unique_id);
    if (host->has_fc_host) {
        vb_buf_add(buf, "<capability type='fc_host'>\n");
        vb_buf_escape(buf, "  <wwnn>%s</wwnn>\n", host->wwnn);
        vb_buf_escape(buf, "  <wwpn>%s</wwpn>\n", host->wwpn);
        vb_buf_escape(buf, "  <fabric_wwn>%s</fabric_wwn>\n", host->fabric_wwn);
        vb_buf_add(buf, "</capability>\n");
    }
    if (host->has_vport_ops) {
        vb_buf_add(buf, "<capability type='vport_ops'>\n");
        vb_buf_add(buf, "  <max_vports>%u</max_vports>\n", host->max_vports);
        vb_buf_add(buf, "  <vports>%u</vports>\n", host->vports);
        vb_buf_add(buf, "</capability>\n");
    }
}

static void
nd_clear_scsi_host(VbNodeDeviceCap *cap)
{
    g_free(cap->scsi_host.wwnn);
    g_free(cap->scsi_host.wwpn);
    g_free(cap->scsi_host.fabric_wwn);
}

/* ---- scsi_target, scsi -------------------------------------------------------------- */

static gboolean
nd_parse_scsi_target_subcap(xmlNodePtr node, VbNodeDeviceCapScsiTarget *target, const NdCtx *ctx,
                            GError **error)
{
    g_autofree char *type = nd_capability_type(node, "SCSI target", ctx, error);

    if (!type)
        return FALSE;
    if (!g_str_equal(type, "fc_remote_port")) {
        nd_set_unknown_subcap(error, "SCSI target", type, ctx);
        return FALSE;
    }
    target->has_fc_rport = TRUE;
    return nd_child_required(node, "rport", "rport name", ctx, &target->rport, error) &&
           nd_child_required(node, "wwpn", "wwpn identifier", ctx, &target->wwpn, error);
}

static gboolean
nd_parse_scsi_target(xmlNodePtr node, VbNodeDeviceCap *cap, const NdCtx *ctx, GError **error)
{
    VbNodeDeviceCapScsiTarget *target = &cap->scsi_target;

    if (!nd_child_required(node, "target", "target name", ctx, &target->name, error))
        return FALSE;
    VB_XML_FOREACH_CHILD(node, "capability", sub) {
        if (!nd_parse_scsi_target_subcap(sub, target, ctx, error))
            return FALSE;
    }
    return TRUE;
}

static void
nd_format_scsi_target(VbBuf *buf, const VbNodeDeviceCap *cap)
{
    const VbNodeDeviceCapScsiTarget *target = &cap->scsi_target;

    vb_buf_escape(buf, "<target>%s</target>\n", target->name);
    if (!target->has_fc_rport)
        return;
    vb_buf_add(buf, "<capability type='fc_remote_port'>\n");
    vb_buf_escape(buf, "  <rport>%s</rport>\n", target->rport);
    vb_buf_escape(buf, "  <wwpn>%s</wwpn>\n", target->wwpn);
    vb_buf_add(buf, "</capability>\n");
}

static void
nd_clear_scsi_target(VbNodeDeviceCap *cap)
{
    g_free(cap->scsi_target.name);
    g_free(cap->scsi_target.rport);
    g_free(cap->scsi_target.wwpn);
}

static gboolean
nd_parse_scsi(xmlNodePtr node, VbNodeDeviceCap *cap, const NdCtx *ctx, GError **error)
{
    static const NdNumber numbers[] = {
        { "host", "SCSI host ID", G_MAXUINT, FALSE, TRUE },
        { "bus", "SCSI bus ID", G_MAXUINT, FALSE, TRUE },
        { "target", "SCSI target ID", G_MAXUINT, FALSE, TRUE },
        { "lun", "SCSI LUN ID", G_MAXUINT, FALSE, TRUE },
    };
    VbNodeDeviceCapScsi *scsi = &cap->scsi;
    guint *const fields[] = { &scsi->host, &scsi->bus, &scsi->target, &scsi->lun };

    scsi->type = vb_xml_child_content(node, "type");
    return nd_child_uints(node, numbers, fields, G_N_ELEMENTS(numbers), ctx, error);
}

static void
nd_format_scsi(VbBuf *buf, const VbNodeDeviceCap *cap)
{
    const VbNodeDeviceCapScsi *scsi = &cap->scsi;

    vb_buf_add(buf, "<host>%u</host>\n<bus>%u</bus>\n<target>%u</target>\n<lun>%u</lun>\n",
               scsi->host, scsi->bus, scsi->target, scsi->lun);
    vb_buf_escape(buf, "<type>%s</type>\n", scsi->type);
}

static void
nd_clear_scsi(VbNodeDeviceCap *cap)
{
    g_free(cap->scsi.type);
}

/* ---- storage ------------------------------------------------------------------------ */

static gboolean
nd_parse_block_geometry(xmlNodePtr node, VbNodeDeviceCapStorage *storage, const NdCtx *ctx,
                        GError **error)
{
    static const NdNumber block_size = {
        "logical_block_size", "logical block size", G_MAXUINT64, FALSE, FALSE
    };
    static const NdNumber num_blocks = { "num_blocks", "number of blocks", G_MAXUINT64, FALSE, FALSE };

    return nd_child_number(node, &block_size, ctx, &storage->logical_block_size, error) &&
           nd_child_number(node, &num_blocks, ctx, &storage->num_blocks, error);
}

static gboolean
nd_parse_removable(xmlNodePtr node, VbNodeDeviceCapStorage *storage, const NdCtx *ctx,
                   GError **error)
{
    static const NdNumber media_size = {
        "media_size", "removable media size", G_MAXUINT64, FALSE, TRUE
    };
    g_autofree char *available = vb_xml_child_content(node, "media_available");

    storage->removable = TRUE;
    storage->media_available = available && g_str_equal(g_strstrip(available), "1");
    g_free(storage->media_label);   /* a repeated removable capability: the last one counts */
    storage->media_label = vb_xml_child_content(node, "media_label");
    return nd_child_number(node, &media_size, ctx, &storage->media_size, error) &&
           nd_parse_block_geometry(node, storage, ctx, error);
}

static gboolean
nd_parse_storage_subcap(xmlNodePtr node, VbNodeDeviceCapStorage *storage, const NdCtx *ctx,
                        GError **error)
{
    g_autofree char *type = nd_capability_type(node, "storage", ctx, error);

    if (!type)
        return FALSE;
    if (g_str_equal(type, "hotpluggable")) {
        storage->hotpluggable = TRUE;
        return TRUE;
    }
    if (g_str_equal(type, "removable"))
        return nd_parse_removable(node, storage, ctx, error);
    nd_set_unknown_subcap(error, "storage", type, ctx);
    return FALSE;
}

static gboolean
nd_parse_storage(xmlNodePtr node, VbNodeDeviceCap *cap, const NdCtx *ctx, GError **error)
{
    static const NdNumber size = { "size", "size", G_MAXUINT64, FALSE, TRUE };
    VbNodeDeviceCapStorage *storage = &cap->storage;

    if (!nd_child_required(node, "block", "block device path", ctx, &storage->block, error))
        return FALSE;
    storage->bus = vb_xml_child_content(node, "bus");
    storage->drive_type = vb_xml_child_content(node, "drive_type");
    storage->model = vb_xml_child_content(node, "model");
    storage->vendor = vb_xml_child_content(node, "vendor");
    storage->serial = vb_xml_child_content(node, "serial");
    VB_XML_FOREACH_CHILD(node, "capability", sub) {
        if (!nd_parse_storage_subcap(sub, storage, ctx, error))
            return FALSE;
    }
    if (storage->removable)
        return TRUE;
    return nd_child_number(node, &size, ctx, &storage->size, error) &&
           nd_parse_block_geometry(node, storage, ctx, error);
}

static void
nd_format_block_geometry(VbBuf *buf, const VbNodeDeviceCapStorage *storage)
{
    if (storage->logical_block_size)
        vb_buf_add(buf, "<logical_block_size>%" G_GUINT64_FORMAT "</logical_block_size>\n",
                   storage->logical_block_size);
    if (storage->num_blocks)
        vb_buf_add(buf, "<num_blocks>%" G_GUINT64_FORMAT "</num_blocks>\n", storage->num_blocks);
}

static void
nd_format_storage(VbBuf *buf, const VbNodeDeviceCap *cap)
{
    const VbNodeDeviceCapStorage *storage = &cap->storage;

    vb_buf_escape(buf, "<block>%s</block>\n", storage->block);
    vb_buf_escape(buf, "<bus>%s</bus>\n", storage->bus);
    vb_buf_escape(buf, "<drive_type>%s</drive_type>\n", storage->drive_type);
    vb_buf_escape(buf, "<model>%s</model>\n", storage->model);
    vb_buf_escape(buf, "<vendor>%s</vendor>\n", storage->vendor);
    vb_buf_escape(buf, "<serial>%s</serial>\n", storage->serial);
    if (storage->removable) {
        vb_buf_add(buf, "<capability type='removable'>\n");
        buf->indent += 2;
        vb_buf_add(buf, "<media_available>%d</media_available>\n", storage->media_available ? 1 : 0);
        vb_buf_add(buf, "<media_size>%" G_GUINT64_FORMAT "</media_size>\n", storage->media_size);
        vb_buf_escape(buf, "<media_label>%s</media_label>\n", storage->media_label);
        nd_format_block_geometry(buf, storage);
        buf->indent -= 2;
        vb_buf_add(buf, "</capability>\n");
    } else {
        vb_buf_add(buf, "<size>%" G_GUINT64_FORMAT "</size>\n", storage->size);
        nd_format_block_geometry(buf, storage);
    }
    if (storage->hotpluggable)
        vb_buf_add(buf, "<capability type='hotpluggable'/>\n");
}

static void
nd_clear_storage(VbNodeDeviceCap *cap)
{
    VbNodeDeviceCapStorage *storage = &cap->storage;

    g_free(storage->block);
    g_free(storage->bus);
    g_free(storage->drive_type);
    g_free(storage->model);
    g_free(storage->vendor);
    g_free(storage->serial);
    g_free(storage->media_label);
}

/* ---- scsi_generic, drm, vdpa -------------------------------------------------------- */

static gboolean
nd_parse_scsi_generic(xmlNodePtr node, VbNodeDeviceCap *cap, const NdCtx *ctx, GError **error)
{
    return nd_child_required(node, "char", "SCSI generic device path", ctx, &cap->sg_path, error);
}

static void
nd_format_scsi_generic(VbBuf *buf, const VbNodeDeviceCap *cap)
{
    vb_buf_escape(buf, "<char>%s</char>\n", cap->sg_path);
}

static void
nd_clear_scsi_generic(VbNodeDeviceCap *cap)
{
    g_free(cap->sg_path);
}

static gboolean
nd_parse_drm(xmlNodePtr node, VbNodeDeviceCap *cap, const NdCtx *ctx, GError **error)
{
    g_autofree char *type = vb_xml_child_content(node, "type");

    cap->drm_type = vb_node_device_drm_from_string(type);
    if (cap->drm_type < 0) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "unknown drm type '%s' for '%s'",
                     type ? type : "", ctx->name);
        return FALSE;
    }
    return TRUE;
}

static void
nd_format_drm(VbBuf *buf, const VbNodeDeviceCap *cap)
{
    vb_buf_add(buf, "<type>%s</type>\n", vb_node_device_drm_to_string(cap->drm_type));
}

static gboolean
nd_parse_vdpa(xmlNodePtr node, VbNodeDeviceCap *cap, const NdCtx *ctx, GError **error)
{
    cap->vdpa_chardev = vb_xml_child_content(node, "chardev");
    return TRUE;
}

static void
nd_format_vdpa(VbBuf *buf, const VbNodeDeviceCap *cap)
{
    vb_buf_escape(buf, "<chardev>%s</chardev>\n", cap->vdpa_chardev);
}

static void
nd_clear_vdpa(VbNodeDeviceCap *cap)
{
    g_free(cap->vdpa_chardev);
}

/* ---- mdev --------------------------------------------------------------------------- */

static gboolean
nd_parse_mdev_attrs(xmlNodePtr node, VbNodeDeviceCapMdev *mdev, GError **error)
{
    VB_XML_FOREACH_CHILD(node, "attr", child) {
        g_autoptr(VbNodeDeviceMdevAttr) attr = g_new0(VbNodeDeviceMdevAttr, 1);

        if (!vb_xml_prop_required(child, "name", &attr->name, error))
            return FALSE;
        attr->value = vb_xml_prop(child, "value");
        if (!attr->value) {
            vb_set_error(error, VB_ERR_XML_ERROR, "missing value for mdev attribute '%s'", attr->name);
            return FALSE;
        }
        g_ptr_array_add(mdev->attrs, g_steal_pointer(&attr));
    }
    return TRUE;
}

static gboolean
nd_parse_mdev(xmlNodePtr node, VbNodeDeviceCap *cap, const NdCtx *ctx, GError **error)
{
    VbNodeDeviceCapMdev *mdev = &cap->mdev;
    xmlNodePtr type = vb_xml_child(node, "type");
    xmlNodePtr group = vb_xml_child(node, "iommuGroup");
    g_autofree char *uuid = vb_xml_child_content(node, "uuid");

    mdev->iommu_group = -1;
    mdev->attrs = g_ptr_array_new_with_free_func((GDestroyNotify)nd_mdev_attr_free);
    mdev->parent_addr = vb_xml_child_content(node, "parent_addr");
    mdev->type = type ? vb_xml_prop(type, "id") : NULL;
    if (!mdev->type) {
        vb_set_error(error, VB_ERR_XML_ERROR, "missing type id attribute for '%s'", ctx->name);
        return FALSE;
    }
    if (uuid && !vb_uuid_parse(g_strstrip(uuid), mdev->uuid)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "invalid uuid '%s' for '%s'", uuid, ctx->name);
        return FALSE;
    }
    if (group && !vb_xml_prop_int(group, "number", VB_XML_REQUIRED, &mdev->iommu_group, error))
        return FALSE;
    return nd_parse_mdev_attrs(node, mdev, error);
}

static void
nd_format_mdev(VbBuf *buf, const VbNodeDeviceCap *cap)
{
    const VbNodeDeviceCapMdev *mdev = &cap->mdev;

    vb_buf_escape(buf, "<type id='%s'/>\n", mdev->type);
    if (mdev->uuid[0])
        vb_buf_add(buf, "<uuid>%s</uuid>\n", mdev->uuid);
    vb_buf_escape(buf, "<parent_addr>%s</parent_addr>\n", mdev->parent_addr);
    if (mdev->iommu_group >= 0)
        vb_buf_add(buf, "<iommuGroup number='%d'/>\n", mdev->iommu_group);
    for (guint i = 0; i < mdev->attrs->len; i++) {
        const VbNodeDeviceMdevAttr *attr = g_ptr_array_index(mdev->attrs, i);

        vb_buf_escape(buf, "<attr name='%s'", attr->name);
        vb_buf_escape(buf, " value='%s'/>\n", attr->value);
    }
}

static void
nd_clear_mdev(VbNodeDeviceCap *cap)
{
    g_free(cap->mdev.type);
    g_free(cap->mdev.parent_addr);
    g_clear_pointer(&cap->mdev.attrs, g_ptr_array_unref);
}

/* ---- ccw, css ----------------------------------------------------------------------- */

static gboolean
nd_parse_ccw(xmlNodePtr node, VbNodeDeviceCap *cap, const NdCtx *ctx, GError **error)
{
    static const NdNumber numbers[] = {
        { "cssid", "cssid value", 0xfe, FALSE, TRUE },
        { "ssid", "ssid value", 0x3, FALSE, TRUE },
        { "devno", "devno value", 0xffff, TRUE, TRUE },
    };
    VbNodeDeviceCapCcw *ccw = &cap->ccw;
    guint *const fields[] = { &ccw->cssid, &ccw->ssid, &ccw->devno };

    ccw->mdev_types = g_ptr_array_new_with_free_func((GDestroyNotify)nd_mdev_type_free);
    return nd_child_uints(node, numbers, fields, G_N_ELEMENTS(numbers), ctx, error);
}

static gboolean
nd_parse_css(xmlNodePtr node, VbNodeDeviceCap *cap, const NdCtx *ctx, GError **error)
{
    if (!nd_parse_ccw(node, cap, ctx, error))
        return FALSE;
    VB_XML_FOREACH_CHILD(node, "capability", sub) {
        g_autofree char *type = nd_capability_type(sub, "CSS", ctx, error);

        if (!type)
            return FALSE;
        if (!g_str_equal(type, "mdev_types")) {
            nd_set_unknown_subcap(error, "CSS", type, ctx);
            return FALSE;
        }
        cap->ccw.has_mdev_types = TRUE;
        if (!nd_parse_mdev_types(sub, cap->ccw.mdev_types, ctx, error))
            return FALSE;
    }
    return TRUE;
}

static void
nd_format_ccw(VbBuf *buf, const VbNodeDeviceCap *cap)
{
    const VbNodeDeviceCapCcw *ccw = &cap->ccw;

    vb_buf_add(buf, "<cssid>0x%x</cssid>\n<ssid>0x%x</ssid>\n<devno>0x%04x</devno>\n",
               ccw->cssid, ccw->ssid, ccw->devno);
    nd_format_mdev_types(buf, ccw->has_mdev_types, ccw->mdev_types);
}

static void
nd_clear_ccw(VbNodeDeviceCap *cap)
{
    g_clear_pointer(&cap->ccw.mdev_types, g_ptr_array_unref);
}

/* ---- the capability table ----------------------------------------------------------- */

static const NdCapOps cap_ops_table[VB_NODE_DEVICE_CAP_LAST] = {
    [VB_NODE_DEVICE_CAP_SYSTEM] = { nd_parse_system, nd_format_system, nd_clear_system },
    [VB_NODE_DEVICE_CAP_PCI_DEV] = { nd_parse_pci, nd_format_pci, nd_clear_pci },
    [VB_NODE_DEVICE_CAP_USB_DEV] = { nd_parse_usb_dev, nd_format_usb_dev, nd_clear_usb_dev },
    [VB_NODE_DEVICE_CAP_USB_INTERFACE] = {
        nd_parse_usb_interface, nd_format_usb_interface, nd_clear_usb_interface
    },
    [VB_NODE_DEVICE_CAP_NET] = { nd_parse_net, nd_format_net, nd_clear_net },
    [VB_NODE_DEVICE_CAP_SCSI_HOST] = { nd_parse_scsi_host, nd_format_scsi_host, nd_clear_scsi_host },
    [VB_NODE_DEVICE_CAP_SCSI_TARGET] = {
        nd_parse_scsi_target, nd_format_scsi_target, nd_clear_scsi_target
    },
    [VB_NODE_DEVICE_CAP_SCSI] = { nd_parse_scsi, nd_format_scsi, nd_clear_scsi },
    [VB_NODE_DEVICE_CAP_STORAGE] = { nd_parse_storage, nd_format_storage, nd_clear_storage },
    [VB_NODE_DEVICE_CAP_SCSI_GENERIC] = {
        nd_parse_scsi_generic, nd_format_scsi_generic, nd_clear_scsi_generic
    },
    [VB_NODE_DEVICE_CAP_DRM] = { nd_parse_drm, nd_format_drm, NULL },
    [VB_NODE_DEVICE_CAP_MDEV] = { nd_parse_mdev, nd_format_mdev, nd_clear_mdev },
    [VB_NODE_DEVICE_CAP_CCW_DEV] = { nd_parse_ccw, nd_format_ccw, nd_clear_ccw },
    [VB_NODE_DEVICE_CAP_CSS_DEV] = { nd_parse_css, nd_format_ccw, nd_clear_ccw },
    [VB_NODE_DEVICE_CAP_VDPA] = { nd_parse_vdpa, nd_format_vdpa, nd_clear_vdpa },
};

/* NULL for the names that only appear nested (fc_host, vports, mdev_types). */
static const NdCapOps *
nd_cap_ops(int type)
{
    if (type < 0 || type >= VB_NODE_DEVICE_CAP_LAST || !cap_ops_table[type].parse)
        return NULL;
    return &cap_ops_table[type];
}

/* ---- the device --------------------------------------------------------------------- */

void
vb_node_device_def_free(VbNodeDeviceDef *def)
{
    if (!def)
        return;
    g_free(def->name);
    g_free(def->path);
    g_free(def->devnode);
    g_clear_pointer(&def->devlinks, g_ptr_array_unref);
    g_free(def->parent);
    g_free(def->parent_wwnn);
    g_free(def->parent_wwpn);
    g_free(def->parent_fabric_wwn);
    g_free(def->driver);
    g_clear_pointer(&def->caps, g_ptr_array_unref);
    g_free(def);
}

static VbNodeDeviceDef *
nd_def_new(void)
{
    VbNodeDeviceDef *def = g_new0(VbNodeDeviceDef, 1);

    def->devlinks = g_ptr_array_new_with_free_func(g_free);
    def->caps = g_ptr_array_new_with_free_func((GDestroyNotify)nd_cap_free);
    return def;
}

static gboolean
nd_parse_devnode(xmlNodePtr node, VbNodeDeviceDef *def, const NdCtx *ctx, GError **error)
{
    g_autofree char *type = vb_xml_prop(node, "type");
    g_autofree char *path = vb_xml_content(node);

    if (!type) {
        vb_set_error(error, VB_ERR_XML_ERROR, "missing devnode type for '%s'", ctx->name);
        return FALSE;
    }
    if (g_str_equal(type, "link")) {
        g_ptr_array_add(def->devlinks, g_steal_pointer(&path));
        return TRUE;
    }
    if (!g_str_equal(type, "dev")) {
        vb_set_error(error, VB_ERR_XML_ERROR, "unknown devnode type '%s' for '%s'", type, ctx->name);
        return FALSE;
    }
    if (def->devnode) {
        vb_set_error(error, VB_ERR_XML_ERROR, "more than one devnode of type 'dev' for '%s'", ctx->name);
        return FALSE;
    }
    def->devnode = g_steal_pointer(&path);
    return TRUE;
}

static gboolean
nd_parse_parent(xmlNodePtr root, VbNodeDeviceDef *def, const NdCtx *ctx, GError **error)
{
    xmlNodePtr node = vb_xml_child(root, "parent");
    g_autofree char *name = vb_xml_content(node);

    if (!node)
        return TRUE;
    if (name && *name)
        def->parent = g_steal_pointer(&name);
    def->parent_wwnn = vb_xml_prop(node, "wwnn");
    def->parent_wwpn = vb_xml_prop(node, "wwpn");
    def->parent_fabric_wwn = vb_xml_prop(node, "fabric_wwn");
    if (!def->parent_wwnn != !def->parent_wwpn) {
        vb_set_error(error, VB_ERR_XML_ERROR, "must supply both wwnn and wwpn for parent of '%s'",
                     ctx->name);
        return FALSE;
    }
    return nd_check_wwn(def->parent_wwnn, "parent wwnn", ctx, error) &&
           nd_check_wwn(def->parent_wwpn, "parent wwpn", ctx, error) &&
           nd_check_wwn(def->parent_fabric_wwn, "parent fabric_wwn", ctx, error);
}

static VbNodeDeviceCap *
nd_parse_cap(xmlNodePtr node, const NdCtx *ctx, GError **error)
{
    g_autofree char *type = vb_xml_prop(node, "type");
    g_autoptr(VbNodeDeviceCap) cap = NULL;
    int value = vb_node_device_cap_from_string(type);
    const NdCapOps *ops = nd_cap_ops(value);

    if (!type) {
        vb_set_error(error, VB_ERR_XML_ERROR, "missing capability type for '%s'", ctx->name);
        return NULL;
    }
    if (!ops) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "unknown capability type '%s'", type);
        return NULL;
    }
    cap = g_new0(VbNodeDeviceCap, 1);
    cap->type = value;
    if (!ops->parse(node, cap, ctx, error))
        return NULL;
    return g_steal_pointer(&cap);
}

static gboolean
nd_parse_children(xmlNodePtr root, VbNodeDeviceDef *def, const NdCtx *ctx, GError **error)
{
    VB_XML_FOREACH_CHILD(root, "devnode", node) {
        if (!nd_parse_devnode(node, def, ctx, error))
            return FALSE;
    }
    if (!nd_parse_parent(root, def, ctx, error))
        return FALSE;
    def->driver = vb_xml_child_content(vb_xml_child(root, "driver"), "name");
    VB_XML_FOREACH_CHILD(root, "capability", node) {
        VbNodeDeviceCap *cap = nd_parse_cap(node, ctx, error);

        if (!cap)
            return FALSE;
        g_ptr_array_add(def->caps, cap);
    }
    if (def->caps->len == 0) {
        vb_set_error(error, VB_ERR_XML_ERROR, "no device capabilities for '%s'", ctx->name);
        return FALSE;
    }
    return TRUE;
}

VbNodeDeviceDef *
vb_node_device_def_parse(const char *xml, guint flags, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(VbNodeDeviceDef) def = NULL;
    xmlNodePtr root;
    NdCtx ctx = { NULL, flags };

    if (!vb_check_flags(flags, VB_NODE_DEVICE_PARSE_CREATE, "vb_node_device_def_parse", error))
        return NULL;
    if (!(doc = vb_xml_parse(xml, "device", error)))
        return NULL;
    root = xmlDocGetRootElement(doc);
    def = nd_def_new();
    def->name = vb_xml_child_content(root, "name");
    if ((def->name || !(flags & VB_NODE_DEVICE_PARSE_CREATE)) &&
        !vb_name_validate(def->name, "node device", error))
        return NULL;
    ctx.name = def->name ? def->name : "new device";
    def->path = vb_xml_child_content(root, "path");
    if (!nd_parse_children(root, def, &ctx, error))
        return NULL;
    return g_steal_pointer(&def);
}

static void
nd_format_parent(VbBuf *buf, const VbNodeDeviceDef *def)
{
    g_auto(VbBuf) attrs = { 0 };

    if (!def->parent && !def->parent_wwnn && !def->parent_fabric_wwn)
        return;
    vb_buf_init(&attrs, 0);
    vb_buf_escape(&attrs, " wwnn='%s'", def->parent_wwnn);
    vb_buf_escape(&attrs, " wwpn='%s'", def->parent_wwpn);
    vb_buf_escape(&attrs, " fabric_wwn='%s'", def->parent_fabric_wwn);
    if (!def->parent) {
        vb_buf_add(buf, "<parent%s/>\n", attrs.str->str);
        return;
    }
    vb_buf_add(buf, "<parent%s>", attrs.str->str);
    vb_buf_escape(buf, "%s</parent>\n", def->parent);
}

static void
nd_format_cap(VbBuf *buf, const VbNodeDeviceCap *cap)
{
    g_auto(VbBuf) attrs = { 0 };
    g_auto(VbBuf) children = { 0 };

    vb_buf_init(&attrs, 0);
    vb_buf_init(&children, 0);
    vb_buf_add(&attrs, " type='%s'", vb_node_device_cap_to_string(cap->type));
    nd_cap_ops(cap->type)->format(&children, cap);
    vb_buf_element(buf, "capability", &attrs, &children);
}

char *
vb_node_device_def_format(const VbNodeDeviceDef *def, guint flags)
{
    g_auto(VbBuf) out = { 0 };
    g_auto(VbBuf) children = { 0 };

    vb_buf_init(&out, 0);
    vb_buf_init(&children, 0);
    vb_buf_escape(&children, "<name>%s</name>\n", def->name);
    vb_buf_escape(&children, "<path>%s</path>\n", def->path);
    vb_buf_escape(&children, "<devnode type='dev'>%s</devnode>\n", def->devnode);
    for (guint i = 0; i < def->devlinks->len; i++)
        vb_buf_escape(&children, "<devnode type='link'>%s</devnode>\n", g_ptr_array_index(def->devlinks, i));
    nd_format_parent(&children, def);
    vb_buf_escape(&children, "<driver>\n  <name>%s</name>\n</driver>\n", def->driver);
    for (guint i = 0; i < def->caps->len; i++)
        nd_format_cap(&children, g_ptr_array_index(def->caps, i));
    vb_buf_element(&out, "device", NULL, &children);
    return vb_buf_steal(&out);
}

/* ---- capability queries ------------------------------------------------------------- */

static void
nd_add_nested_cap_names(GStrvBuilder *names, const VbNodeDeviceCap *cap)
{
    switch (cap->type) {
    case VB_NODE_DEVICE_CAP_SCSI_HOST:
        if (cap->scsi_host.has_fc_host)
            g_strv_builder_add(names, vb_node_device_cap_to_string(VB_NODE_DEVICE_CAP_FC_HOST));
        if (cap->scsi_host.has_vport_ops)
            g_strv_builder_add(names, vb_node_device_cap_to_string(VB_NODE_DEVICE_CAP_VPORTS));
        break;
    case VB_NODE_DEVICE_CAP_PCI_DEV:
        if (cap->pci.has_mdev_types)
            g_strv_builder_add(names, vb_node_device_cap_to_string(VB_NODE_DEVICE_CAP_MDEV_TYPES));
        break;
    case VB_NODE_DEVICE_CAP_CSS_DEV:
        if (cap->ccw.has_mdev_types)
            g_strv_builder_add(names, vb_node_device_cap_to_string(VB_NODE_DEVICE_CAP_MDEV_TYPES));
        break;
    default:
        break;
    }
}

GStrv
vb_node_device_def_cap_names(const VbNodeDeviceDef *def)
{
    g_autoptr(GStrvBuilder) names = g_strv_builder_new();

    for (guint i = 0; i < def->caps->len; i++) {
        const VbNodeDeviceCap *cap = g_ptr_array_index(def->caps, i);

        g_strv_builder_add(names, vb_node_device_cap_to_string(cap->type));
        nd_add_nested_cap_names(names, cap);
    }
    return g_strv_builder_end(names);
}

gboolean
vb_node_device_def_has_cap(const VbNodeDeviceDef *def, const char *cap)
{
    g_auto(GStrv) names = vb_node_device_def_cap_names(def);

    return cap && g_strv_contains((const char *const *)names, cap);
}

VbNodeDeviceCap *
vb_node_device_def_find_cap(const VbNodeDeviceDef *def, VbNodeDeviceCapType type)
{
    for (guint i = 0; i < def->caps->len; i++) {
        VbNodeDeviceCap *cap = g_ptr_array_index(def->caps, i);

        if (cap->type == type)
            return cap;
    }
    return NULL;
}
