/* test-nodedev-udev: the udev node device backend's pieces: libvirt's device names, the
 * pci.ids reader, the computer device, and one real udev device (the loopback NIC). */
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "drivers/nodedev/nodedev_private.h"

static void
test_names(void)
{
    static const struct {
        const char *subsystem, *sysname, *suffix, *name;
    } cases[] = {
        { "pci", "0000:00:1f.2", NULL, "pci_0000_00_1f_2" },
        { "usb", "1-2", NULL, "usb_1_2" },
        { "usb", "1-2:1.0", NULL, "usb_1_2_1_0" },
        { "usb", "usb1", NULL, "usb_usb1" },
        { "net", "eth0", "52:54:00:12:34:56", "net_eth0_52_54_00_12_34_56" },
        { "net", "wlp3s0", "aa:bb:cc:dd:ee:ff", "net_wlp3s0_aa_bb_cc_dd_ee_ff" },
        { "scsi", "host0", NULL, "scsi_host0" },
        { "scsi", "target0:0:0", NULL, "scsi_target0_0_0" },
        { "scsi", "0:0:0:0", NULL, "scsi_0_0_0_0" },
        { "block", "sda", "WDC_WD10EZEX-00BN5A0_WD-WCC3F7XXXXXX", "block_sda_WDC_WD10EZEX_00BN5A0_WD_WCC3F7XXXXXX" },
        { "block", "vda", NULL, "block_vda" },
        { "drm", "card0", NULL, "drm_card0" },
        { "scsi_generic", "sg0", NULL, "scsi_generic_sg0" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *name = nodedev_name_form(cases[i].subsystem, cases[i].sysname, cases[i].suffix);
        g_assert_cmpstr(name, ==, cases[i].name);
    }
}

static const char pci_ids[] =
    "# a comment\n"
    "#\tdevice  device_name\n"
    "\n"
    "8086  Intel Corporation\n"
    "\t1237  440FX - 82441FX PMC [Natoma]\n"
    "\t\t1af4 1100  Qemu virtual machine\n"
    "1af4  Red Hat, Inc.\n"
    "# a comment inside a vendor\n"
    "\t1000  Virtio network device\n"
    "\t1041  Virtio 1.0 network device   \n"
    "C 02  Network controller\n"
    "\t00  Ethernet controller\n";

static void
test_pci_ids(void)
{
    g_autofree char *path = NULL;
    int fd = g_file_open_tmp("pci-ids-XXXXXX", &path, NULL);

    g_assert_cmpint(fd, >=, 0);
    g_assert_true(g_file_set_contents(path, pci_ids, -1, NULL));
    close(fd);
    nodedev_pci_ids_reset(path);
    g_assert_cmpstr(nodedev_pci_vendor_name(0x8086), ==, "Intel Corporation");
    g_assert_cmpstr(nodedev_pci_device_name(0x8086, 0x1237), ==, "440FX - 82441FX PMC [Natoma]");
    g_assert_cmpstr(nodedev_pci_vendor_name(0x1af4), ==, "Red Hat, Inc.");
    g_assert_cmpstr(nodedev_pci_device_name(0x1af4, 0x1000), ==, "Virtio network device");
    g_assert_cmpstr(nodedev_pci_device_name(0x1af4, 0x1041), ==, "Virtio 1.0 network device");
    /* subsystem lines and the class list are no devices */
    g_assert_null(nodedev_pci_device_name(0x1af4, 0x1100));
    g_assert_null(nodedev_pci_device_name(0x8086, 0x1af4));
    g_assert_null(nodedev_pci_vendor_name(0x0002));
    g_assert_null(nodedev_pci_device_name(0x1af4, 0x0000));
    g_unlink(path);
    nodedev_pci_ids_reset("/nonexistent/pci.ids");
    g_assert_null(nodedev_pci_vendor_name(0x8086));
    nodedev_pci_ids_reset(NULL);
}

static void
test_computer_without_dmi(void)
{
    g_autoptr(VbNodeDeviceDef) def = nodedev_def_computer(NULL);
    g_autofree char *xml = vb_node_device_def_format(def, 0);
    g_autoptr(VbNodeDeviceDef) back = vb_node_device_def_parse(xml, 0, NULL);
    g_auto(GStrv) caps = vb_node_device_def_cap_names(def);

    g_assert_cmpstr(def->name, ==, "computer");
    g_assert_null(def->parent);
    g_assert_nonnull(back);
    g_assert_cmpuint(g_strv_length(caps), ==, 1);
    g_assert_cmpstr(caps[0], ==, "system");
    g_assert_nonnull(strstr(xml, "<uuid>00000000-0000-0000-0000-000000000000</uuid>"));
}

static void
test_loopback_from_udev(void)
{
    struct udev *udev = udev_new();
    struct udev_device *lo = udev ? udev_device_new_from_subsystem_sysname(udev, "net", "lo") : NULL;
    g_autoptr(VbNodeDeviceDef) def = NULL;
    VbNodeDeviceCap *cap;

    if (!lo) {
        g_test_skip("no udev view of the loopback interface");
        if (udev)
            udev_unref(udev);
        return;
    }
    g_assert_cmpint(nodedev_classify(lo), ==, VB_NODE_DEVICE_CAP_NET);
    def = nodedev_def_from_udev(lo);
    g_assert_nonnull(def);
    g_assert_cmpstr(def->name, ==, "net_lo_00_00_00_00_00_00");
    g_assert_cmpstr(def->path, ==, "/sys/devices/virtual/net/lo");
    cap = vb_node_device_def_find_cap(def, VB_NODE_DEVICE_CAP_NET);
    g_assert_nonnull(cap);
    g_assert_cmpstr(cap->net.ifname, ==, "lo");
    g_assert_cmpstr(cap->net.address, ==, "00:00:00:00:00:00");
    g_assert_cmpint(cap->net.subtype, ==, VB_NODE_DEVICE_NET_SUBTYPE_80203);
    udev_device_unref(lo);
    udev_unref(udev);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/nodedev-udev/names", test_names);
    g_test_add_func("/nodedev-udev/pci-ids", test_pci_ids);
    g_test_add_func("/nodedev-udev/computer-without-dmi", test_computer_without_dmi);
    g_test_add_func("/nodedev-udev/loopback-from-udev", test_loopback_from_udev);
    return g_test_run();
}
