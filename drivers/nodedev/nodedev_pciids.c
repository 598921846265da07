/* nodedev_pciids.c: vendor and device names from hwdata's pci.ids, read once on first use.
 * Only the vendor and device lines count; the file's class list (after the first "C ") and
 * subsystem lines (two tabs) are skipped. */
#include <string.h>

#include "drivers/nodedev/nodedev_private.h"

#define PCI_IDS_DEFAULT "/usr/share/misc/pci.ids"

typedef struct {
    char *path;               /* NULL: the default */
    gboolean loaded;
    GHashTable *vendors;      /* vendor id -> name */
    GHashTable *devices;      /* vendor << 16 | device -> name */
} PciIds;

static PciIds pci_ids;

static gboolean
parse_id_line(const char *line, guint *id, const char **name)
{
    char *end;
    guint64 value;

    if (!g_ascii_isxdigit(line[0]))
        return FALSE;
    value = g_ascii_strtoull(line, &end, 16);
    if (end - line != 4 || !g_ascii_isspace(*end))
        return FALSE;
    while (g_ascii_isspace(*end))
        end++;
    if (!*end)
        return FALSE;
    *id = (guint)value;
    *name = end;
    return TRUE;
}

static void
pci_ids_parse(const char *text)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    gboolean in_vendor = FALSE;
    guint vendor = 0, id;
    const char *name;

    for (char **line = lines; *line; line++) {
        const char *l = *line;

        if (l[0] == '#' || l[0] == '\0')
            continue;
        if (l[0] == 'C' && l[1] == ' ')
            break;
        if (l[0] != '\t') {
            in_vendor = parse_id_line(l, &vendor, &name);
            if (in_vendor)
                g_hash_table_insert(pci_ids.vendors, GUINT_TO_POINTER(vendor), g_strdup(g_strchomp((char *)name)));
        } else if (in_vendor && l[1] != '\t' && parse_id_line(l + 1, &id, &name)) {
            g_hash_table_insert(pci_ids.devices, GUINT_TO_POINTER(vendor << 16 | id),
                                g_strdup(g_strchomp((char *)name)));
        }
    }
}

static void
pci_ids_load(void)
{
    g_autofree char *text = NULL;

    if (pci_ids.loaded)
        return;
    pci_ids.loaded = TRUE;
    pci_ids.vendors = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    pci_ids.devices = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    if (g_file_get_contents(pci_ids.path ? pci_ids.path : PCI_IDS_DEFAULT, &text, NULL, NULL))
        pci_ids_parse(text);
}

void
nodedev_pci_ids_reset(const char *path)
{
    g_clear_pointer(&pci_ids.path, g_free);
    g_clear_pointer(&pci_ids.vendors, g_hash_table_unref);
    g_clear_pointer(&pci_ids.devices, g_hash_table_unref);
    pci_ids.loaded = FALSE;
    pci_ids.path = g_strdup(path);
}

const char *
nodedev_pci_vendor_name(guint vendor)
{
    pci_ids_load();
    return g_hash_table_lookup(pci_ids.vendors, GUINT_TO_POINTER(vendor));
}

const char *
nodedev_pci_device_name(guint vendor, guint device)
{
    pci_ids_load();
    return g_hash_table_lookup(pci_ids.devices, GUINT_TO_POINTER(vendor << 16 | device));
}
