/* nodedev_pciids.c: vendor and device names from hwdata's pci.ids.
 *
 * The file is large (1.3 MB, ~40,000 names) and a host has a few dozen PCI devices, so it is
 * never held in memory: one pass keeps only the names of the vendor/device pairs present in
 * /sys/bus/pci/devices, and an id asked for later that was not among them (a device plugged
 * in since) costs one more pass. Only vendor and device lines count; the class list (after the
 * first "C ") and subsystem lines (two tabs) are skipped. */
#include <string.h>

#include "drivers/nodedev/nodedev_private.h"

#define PCI_IDS_DEFAULT "/usr/share/misc/pci.ids"
#define SYSFS_PCI_DEVICES "/sys/bus/pci/devices"
#define VENDOR_KEY(vendor) ((vendor) << 16 | 0xffffu)   /* device ids never are 0xffff */

typedef struct {
    char *path;               /* NULL: the default */
    GHashTable *wanted;       /* VENDOR_KEY / vendor << 16 | device: looked for in the last pass */
    GHashTable *names;        /* the same keys -> name, for those the file has */
} PciIds;

static PciIds pci_ids;

static gboolean
parse_id_line(const char *line, const char *end, guint *id, char **name)
{
    char *after;
    guint64 value;

    if (end - line < 6 || !g_ascii_isxdigit(line[0]))
        return FALSE;
    value = g_ascii_strtoull(line, &after, 16);
    if (after - line != 4 || !g_ascii_isspace(*after))
        return FALSE;
    while (after < end && g_ascii_isspace(*after))
        after++;
    if (after >= end)
        return FALSE;
    *id = (guint)value;
    *name = g_strchomp(g_strndup(after, end - after));
    return TRUE;
}

static void
keep_if_wanted(guint key, char *name)
{
    if (g_hash_table_contains(pci_ids.wanted, GUINT_TO_POINTER(key)))
        g_hash_table_insert(pci_ids.names, GUINT_TO_POINTER(key), name);
    else
        g_free(name);
}

static void
scan(const char *text, gsize len)
{
    const char *p = text, *end = text + len;
    gboolean in_vendor = FALSE;
    guint vendor = 0, id;
    char *name;

    while (p < end) {
        const char *eol = memchr(p, '\n', end - p);
        const char *line_end = eol ? eol : end;

        if (p[0] == 'C' && p + 1 < line_end && p[1] == ' ')
            break;
        if (p[0] != '#' && p[0] != '\t' && p < line_end) {
            in_vendor = parse_id_line(p, line_end, &vendor, &name);
            if (in_vendor)
                keep_if_wanted(VENDOR_KEY(vendor), name);
        } else if (in_vendor && p[0] == '\t' && p + 1 < line_end && p[1] != '\t' &&
                   parse_id_line(p + 1, line_end, &id, &name)) {
            keep_if_wanted(vendor << 16 | id, name);
        }
        p = line_end + 1;
    }
}

static gboolean
read_hex_file(const char *dir, const char *file, guint *out)
{
    g_autofree char *path = g_build_filename(dir, file, NULL);
    g_autofree char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL))
        return FALSE;
    *out = (guint)g_ascii_strtoull(text, NULL, 16);
    return TRUE;
}

static void
want(guint vendor, guint device)
{
    g_hash_table_add(pci_ids.wanted, GUINT_TO_POINTER(VENDOR_KEY(vendor)));
    g_hash_table_add(pci_ids.wanted, GUINT_TO_POINTER(vendor << 16 | device));
}

/* The ids of the PCI devices this host has. */
static void
want_present_devices(void)
{
    g_autoptr(GDir) dir = g_dir_open(SYSFS_PCI_DEVICES, 0, NULL);
    const char *entry;

    while (dir && (entry = g_dir_read_name(dir))) {
        g_autofree char *path = g_build_filename(SYSFS_PCI_DEVICES, entry, NULL);
        guint vendor, device;

        if (read_hex_file(path, "vendor", &vendor) && read_hex_file(path, "device", &device))
            want(vendor, device);
    }
}

/* A pass over the file for every id wanted so far; @vendor/@device join them. */
static void
pass(guint vendor, guint device)
{
    g_autoptr(GMappedFile) file = NULL;

    if (!pci_ids.wanted) {
        pci_ids.wanted = g_hash_table_new(g_direct_hash, g_direct_equal);
        pci_ids.names = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
        want_present_devices();
    }
    want(vendor, device);
    if ((file = g_mapped_file_new(pci_ids.path ? pci_ids.path : PCI_IDS_DEFAULT, FALSE, NULL)))
        scan(g_mapped_file_get_contents(file), g_mapped_file_get_length(file));
}

static const char *
lookup(guint key, guint vendor, guint device)
{
    if (!pci_ids.wanted || !g_hash_table_contains(pci_ids.wanted, GUINT_TO_POINTER(key)))
        pass(vendor, device);
    return g_hash_table_lookup(pci_ids.names, GUINT_TO_POINTER(key));
}

void
nodedev_pci_ids_reset(const char *path)
{
    g_clear_pointer(&pci_ids.path, g_free);
    g_clear_pointer(&pci_ids.wanted, g_hash_table_unref);
    g_clear_pointer(&pci_ids.names, g_hash_table_unref);
    pci_ids.path = g_strdup(path);
}

const char *
nodedev_pci_vendor_name(guint vendor)
{
    return lookup(VENDOR_KEY(vendor), vendor, 0xffff);
}

const char *
nodedev_pci_device_name(guint vendor, guint device)
{
    return lookup(vendor << 16 | device, vendor, device);
}
