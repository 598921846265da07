"""NodeDevice.Detach/ReAttach/Reset on qemu:///session (drivers/nodedev/nodedev_pci.c) against
the mocked sysfs of test_nodedev_udev.py: the kernel's files the daemon writes are plain files
in umockdev's testbed, read back here."""
import os

import pytest

from conftest import NODEDEV, assert_dbus_error
import test_nodedev_udev
from test_nodedev_udev import NIC, NIC_PCI, USB_PCI, SATA, U, needs_umockdev, path_of, xml_of

mocked = test_nodedev_udev.mocked   # the daemon on the mocked host, as a fixture of this module too

NIC_ADDR = "0000:00:19.0"
NIC_DEV = "pci_0000_00_19_0"
NO_OVERRIDE = "(null)\n"    # what the kernel shows when driver_override is unset


class Kernel:
    """The sysfs files of the testbed that stand for the kernel's PCI interfaces."""

    def __init__(self, tb):
        self.sys = os.path.join(tb.root, "sys")
        for drv in ("e1000e", "vfio-pci", "xhci_hcd"):
            os.makedirs(self.path("bus/pci/drivers", drv), exist_ok=True)
            self.put("bus/pci/drivers/%s/unbind" % drv, "")
        self.put("bus/pci/drivers_probe", "")
        for dev in (NIC_PCI, USB_PCI, SATA):
            self.put(dev + "/driver_override", NO_OVERRIDE)

    def path(self, *parts):
        return os.path.join(self.sys, *[p.lstrip("/") for p in parts])

    def put(self, rel, text):
        with open(self.path(rel), "w") as f:
            f.write(text)

    def read(self, rel):
        with open(self.path(rel)) as f:
            return f.read()

    def bind(self, devpath, driver):
        """Points the device's driver link at @driver, as a bind would (without a uevent)."""
        link = self.path(devpath, "driver")
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink("../../../bus/pci/drivers/" + driver, link)

    def files(self):
        return {rel: self.read(rel) for rel in (
            NIC_PCI + "/driver_override", "bus/pci/drivers/e1000e/unbind", "bus/pci/drivers/vfio-pci/unbind",
            "bus/pci/drivers_probe")}


@pytest.fixture
def kernel(mocked):
    return Kernel(mocked)


def driver_of(d, name):
    return xml_of(d, name).findtext("driver/name")


def detach(d, name, driver="", flags=0):
    d.call(path_of(name), NODEDEV, "Detach", driver, U(flags))


@needs_umockdev
def test_detach_binds_to_vfio_and_reattach_gives_it_back(mocked, kernel):
    d = mocked.daemon
    assert driver_of(d, NIC_DEV) == "e1000e"
    detach(d, NIC_DEV)
    assert kernel.files() == {
        NIC_PCI + "/driver_override": "vfio-pci",
        "bus/pci/drivers/e1000e/unbind": NIC_ADDR,
        "bus/pci/drivers/vfio-pci/unbind": "",
        "bus/pci/drivers_probe": NIC_ADDR,
    }

    # what the kernel's drivers_probe did; no uevent, so only ReAttach's refresh shows it
    kernel.bind(NIC_PCI, "vfio-pci")
    for rel in ("bus/pci/drivers/e1000e/unbind", "bus/pci/drivers_probe"):
        kernel.put(rel, "")
    assert driver_of(d, NIC_DEV) == "e1000e"
    d.call(path_of(NIC_DEV), NODEDEV, "ReAttach")
    assert kernel.files() == {
        NIC_PCI + "/driver_override": "\n",
        "bus/pci/drivers/e1000e/unbind": "",
        "bus/pci/drivers/vfio-pci/unbind": NIC_ADDR,
        "bus/pci/drivers_probe": NIC_ADDR,
    }
    assert driver_of(d, NIC_DEV) == "vfio-pci"


@needs_umockdev
def test_detach_with_vfio_driver_name(mocked, kernel):
    detach(mocked.daemon, NIC_DEV, "vfio")
    assert kernel.read(NIC_PCI + "/driver_override") == "vfio-pci"
    assert kernel.read("bus/pci/drivers_probe") == NIC_ADDR


@needs_umockdev
def test_detach_of_a_vfio_device_writes_nothing_and_refreshes(mocked, kernel):
    d = mocked.daemon
    kernel.bind(NIC_PCI, "vfio-pci")
    before = kernel.files()
    assert driver_of(d, NIC_DEV) == "e1000e"   # no uevent yet
    detach(d, NIC_DEV)
    assert kernel.files() == before
    assert driver_of(d, NIC_DEV) == "vfio-pci"


@needs_umockdev
def test_reattach_of_a_host_bound_device_writes_nothing(mocked, kernel):
    before = kernel.files()
    mocked.daemon.call(path_of(NIC_DEV), NODEDEV, "ReAttach")
    assert kernel.files() == before


@needs_umockdev
def test_detach_refused_while_group_peer_has_a_host_driver(mocked, kernel):
    d = mocked.daemon
    kernel.bind(USB_PCI, "xhci_hcd")    # 00:14.0 shares IOMMU group 7 with the NIC
    before = kernel.files()
    msg = assert_dbus_error(detach, d, NIC_DEV,
                            contains=["Requested operation is not valid", "0000:00:14.0", "xhci_hcd"])
    assert NIC_ADDR in msg
    assert kernel.files() == before
    # a peer on a stub driver is fine
    kernel.bind(USB_PCI, "vfio-pci")
    detach(d, NIC_DEV)
    assert kernel.read(NIC_PCI + "/driver_override") == "vfio-pci"


@needs_umockdev
def test_detach_restores_driver_override_when_unbind_fails(mocked, kernel):
    os.unlink(kernel.path("bus/pci/drivers/e1000e/unbind"))
    assert_dbus_error(detach, mocked.daemon, NIC_DEV,
                      contains=["Failed to write '0000:00:19.0' to '/sys/bus/pci/devices/0000:00:19.0/driver/unbind'",
                                os.strerror(2)])
    assert kernel.read(NIC_PCI + "/driver_override") == "\n"
    assert kernel.read("bus/pci/drivers_probe") == ""


@needs_umockdev
def test_detach_without_vfio_driver_is_refused(mocked, kernel):
    os.unlink(kernel.path("bus/pci/drivers/vfio-pci/unbind"))
    os.rmdir(kernel.path("bus/pci/drivers/vfio-pci"))
    assert_dbus_error(detach, mocked.daemon, NIC_DEV,
                      contains="unsupported configuration: VFIO device assignment is currently not supported")
    assert kernel.read(NIC_PCI + "/driver_override") == NO_OVERRIDE
    assert kernel.read("bus/pci/drivers/e1000e/unbind") == ""
    assert kernel.read("bus/pci/drivers_probe") == ""


@needs_umockdev
def test_detach_unknown_driver_name_and_flags(mocked, kernel):
    d = mocked.daemon
    before = kernel.files()
    assert_dbus_error(detach, d, NIC_DEV, "kvm", contains="unsupported configuration: unknown driver name 'kvm'")
    assert_dbus_error(detach, d, NIC_DEV, "", 1, contains="unsupported flags (0x1)")
    assert kernel.files() == before


@needs_umockdev
def test_non_pci_devices_are_refused(mocked, kernel):
    d = mocked.daemon
    before = kernel.files()
    expected = "device %s is not a PCI device" % NIC
    assert_dbus_error(detach, d, NIC, contains=expected)
    assert_dbus_error(d.call, path_of(NIC), NODEDEV, "ReAttach", contains=expected)
    assert_dbus_error(d.call, path_of(NIC), NODEDEV, "Reset", contains=expected)
    assert kernel.files() == before


@needs_umockdev
def test_reset(mocked, kernel):
    d = mocked.daemon
    kernel.put(NIC_PCI + "/reset", "")
    d.call(path_of(NIC_DEV), NODEDEV, "Reset")
    assert kernel.read(NIC_PCI + "/reset") == "1"
    assert_dbus_error(d.call, path_of("pci_0000_00_1f_2"), NODEDEV, "Reset",
                      contains="internal error: Unable to reset PCI device 0000:00:1f.2: "
                               "no FLR, PM reset or bus reset available")


# ---- managed='yes' host devices of QEMU guests (drivers/qemu/qemu_hostdev.c)

def hostdev_guest(d, managed, name="hd"):
    xml = ("<domain type='qemu'><name>%s</name><memory unit='MiB'>64</memory><os><type>hvm</type></os>"
           "<devices><hostdev mode='subsystem' type='pci' managed='%s'><source>"
           "<address domain='0x0000' bus='0x00' slot='0x19' function='0x0'/></source></hostdev>"
           "<memballoon model='none'/></devices></domain>" % (name, managed))
    return str(d.call("/org/libvirt/QEMU", "org.libvirt.Connect", "DomainDefineXML", xml))


@needs_umockdev
def test_a_managed_hostdev_goes_to_vfio_for_the_start_and_back_after_it_failed(mocked, kernel):
    d = mocked.daemon
    path = hostdev_guest(d, "yes")
    # QEMU cannot open the (mocked) device: the start fails after the device was detached...
    assert_dbus_error(d.call, path, "org.libvirt.Domain", "Create", U(1), contains="vfio")
    files = kernel.files()
    assert files["bus/pci/drivers/e1000e/unbind"] == NIC_ADDR     # unbound from its host driver
    # ...and it was handed back: the override cleared and the device probed again
    assert files[NIC_PCI + "/driver_override"] == "\n"
    assert files["bus/pci/drivers_probe"] == NIC_ADDR
    state = tuple(int(x) for x in d.call(path, "org.libvirt.Domain", "GetState", U(0)))
    assert state[0] == 5


@needs_umockdev
def test_an_unmanaged_hostdev_is_not_touched(mocked, kernel):
    d = mocked.daemon
    path = hostdev_guest(d, "no")
    before = kernel.files()
    assert_dbus_error(d.call, path, "org.libvirt.Domain", "Create", U(1), contains="vfio")
    assert kernel.files() == before
