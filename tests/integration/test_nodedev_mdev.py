"""Mediated devices and vHBAs on qemu:///session against the mocked sysfs of test_nodedev_udev.py: a GPU
offering an mdev type, NodeDeviceCreateXML writing the UUID to the type's create file and
answering once the device shows up, Destroy writing its remove file and answering once it is
gone. The test plays the kernel: it watches the files the daemon writes and adds or removes the
device in umockdev's testbed, which sends the uevents."""
import os
import time

import pytest

from conftest import CONNECT, NODEDEV, assert_dbus_error
import test_nodedev_udev
from test_nodedev_udev import QEMU_PATH, U, needs_umockdev, path_of, xml_of  # noqa: F401

mocked = test_nodedev_udev.mocked

GPU_ADDR = "0000:00:04.0"
GPU = "pci_0000_00_04_0"
TYPE = "i915-GVTg_V5_4"
UUID = "30820a6f-b1a5-4503-91ca-0c10ba58692a"
MDEV = "mdev_30820a6f_b1a5_4503_91ca_0c10ba58692a_0000_00_04_0"


def add_gpu(tb):
    types = "mdev_supported_types/%s/" % TYPE
    return tb.add_device("pci", GPU_ADDR, None,
                         ["vendor", "0x8086", "device", "0x3e92", "class", "0x030000",
                          types + "name", "GVTg_V5_4", types + "device_api", "vfio-pci",
                          types + "available_instances", "2", types + "create", ""],
                         ["PCI_CLASS", "30000", "PCI_SLOT_NAME", GPU_ADDR])


def wait_file(path, content, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path) and open(path).read().strip() == content:
            return
        time.sleep(0.02)
    raise AssertionError("%s never held %r" % (path, content))


class Pending:
    """A D-Bus call whose reply comes while the test plays the kernel."""

    def __init__(self, d, path, iface, method, *args):
        self.reply = self.error = None
        d.proxy(path, iface, introspect=False).get_dbus_method(method)(
            *args, reply_handler=self._ok, error_handler=self._fail)

    def _ok(self, *args):
        self.reply = args

    def _fail(self, e):
        self.error = e

    def wait(self, recorder, timeout=10):
        deadline = time.monotonic() + timeout
        while self.reply is None and self.error is None and time.monotonic() < deadline:
            recorder.pump(0.02)
        if self.error:
            raise self.error
        assert self.reply is not None, "no reply"
        return self.reply


def mdev_xml(uuid=UUID, type_id=TYPE, parent=GPU):
    return ("<device><parent>%s</parent><capability type='mdev'><type id='%s'/><uuid>%s</uuid>"
            "</capability></device>" % (parent, type_id, uuid))


@needs_umockdev
def test_an_mdev_is_created_and_destroyed_through_sysfs(mocked):
    d, tb = mocked.daemon, mocked
    rec = d.recorder(interface=CONNECT, member="NodeDeviceEvent", path=QEMU_PATH)
    gpu = add_gpu(tb)
    rec.wait(1)
    types = xml_of(d, GPU).find("capability/capability[@type='mdev_types']")
    assert types.find("type").get("id") == TYPE
    assert (types.findtext("type/name"), types.findtext("type/deviceAPI"),
            types.findtext("type/availableInstances")) == ("GVTg_V5_4", "vfio-pci", "2")

    create = Pending(d, QEMU_PATH, CONNECT, "NodeDeviceCreateXML", mdev_xml(), U(0))
    sysfs = os.path.join(tb.root, gpu.lstrip("/"))
    wait_file(os.path.join(sysfs, "mdev_supported_types", TYPE, "create"), UUID)
    # the kernel makes the device: its directory with the mdev_type link, then the uevent
    mdev = tb.add_device("mdev", UUID, gpu, [], [])
    os.symlink("../mdev_supported_types/" + TYPE, os.path.join(tb.root, mdev.lstrip("/"), "mdev_type"))
    tb.uevent(mdev, "add")
    assert str(create.wait(rec)[0]) == path_of(MDEV)
    cap = xml_of(d, MDEV).find("capability")
    assert (cap.get("type"), cap.find("type").get("id"), cap.findtext("uuid"), cap.findtext("parent_addr")) == \
        ("mdev", TYPE, UUID, GPU_ADDR)
    assert xml_of(d, MDEV).findtext("parent") == GPU

    assert_dbus_error(d.call, QEMU_PATH, CONNECT, "NodeDeviceCreateXML", mdev_xml(), U(0),
                      contains="mediated device %s already exists" % UUID)
    assert_dbus_error(d.call, QEMU_PATH, CONNECT, "NodeDeviceCreateXML", mdev_xml(type_id="nvidia-63"), U(0),
                      contains="Unable to find mediated device type 'nvidia-63'")
    assert_dbus_error(d.call, path_of(GPU), NODEDEV, "Destroy", contains="is neither a mediated device nor a vHBA")

    destroy = Pending(d, path_of(MDEV), NODEDEV, "Destroy")
    wait_file(os.path.join(tb.root, mdev.lstrip("/"), "remove"), "1")
    tb.uevent(mdev, "remove")
    tb.remove_device(mdev)
    destroy.wait(rec)
    assert MDEV not in [str(d.get(p, NODEDEV, "Name")) for p in d.call(QEMU_PATH, CONNECT, "ListNodeDevices", U(0))]


@needs_umockdev
def test_an_mdev_the_kernel_never_makes_times_out(mocked):
    d, tb = mocked.daemon, mocked
    rec = d.recorder(interface=CONNECT, member="NodeDeviceEvent", path=QEMU_PATH)
    add_gpu(tb)
    rec.wait(1)
    began = time.monotonic()
    assert_dbus_error(d.call, QEMU_PATH, CONNECT, "NodeDeviceCreateXML", mdev_xml(), U(0),
                      contains="did not appear within 5 s")
    assert 4.5 < time.monotonic() - began < 15


# ---- vHBAs: NPIV ports made by an FC HBA's vport_create

WWNN, WWPN = "20000000c9831b4b", "10000000c9831b4b"


def add_hba(tb, rec):
    """A PCI Fibre Channel HBA with scsi_host5 that can make vports."""
    pci = tb.add_device("pci", "0000:05:00.0", None, ["vendor", "0x10df", "device", "0xf100", "class", "0x0c0400"],
                        ["PCI_CLASS", "C0400", "PCI_SLOT_NAME", "0000:05:00.0"])
    host = tb.add_device("scsi", "host5", pci, [], ["DEVTYPE", "scsi_host"])
    tb.add_device("fc_host", "host5", host, ["node_name", "0x2000000000000005", "port_name", "0x1000000000000005",
                                             "fabric_name", "0x2000000000000099", "vport_create", "",
                                             "vport_delete", "", "max_npiv_vports", "255",
                                             "npiv_vports_inuse", "0"], [])
    tb.uevent(host, "change")
    rec.wait(2)
    return host


def add_vport(tb, hba, name, wwnn, wwpn):
    """What the kernel makes for a vport: a scsi_host with its fc_host."""
    host = tb.add_device("scsi", name, hba, [], ["DEVTYPE", "scsi_host"])
    tb.add_device("fc_host", name, host, ["node_name", "0x" + wwnn, "port_name", "0x" + wwpn], [])
    tb.uevent(host, "change")
    return host


def vhba_xml(parent="<parent>scsi_host5</parent>", wwns=True):
    ids = "<wwnn>%s</wwnn><wwpn>%s</wwpn>" % (WWNN, WWPN) if wwns else ""
    return ("<device>%s<capability type='scsi_host'><capability type='fc_host'>%s</capability></capability>"
            "</device>" % (parent, ids))


@needs_umockdev
def test_a_vhba_is_created_and_destroyed_through_vports(mocked):
    d, tb = mocked.daemon, mocked
    rec = d.recorder(interface=CONNECT, member="NodeDeviceEvent", path=QEMU_PATH)
    hba = add_hba(tb, rec)
    fc = os.path.join(tb.root, "sys/class/fc_host/host5")
    vport_ops = xml_of(d, "scsi_host5").find("capability/capability[@type='vport_ops']")
    assert vport_ops is not None and vport_ops.findtext("max_vports") == "255"

    create = Pending(d, QEMU_PATH, CONNECT, "NodeDeviceCreateXML", vhba_xml(), U(0))
    wait_file(os.path.join(fc, "vport_create"), "%s:%s" % (WWPN, WWNN))
    vport = add_vport(tb, hba, "host6", WWNN, WWPN)
    assert str(create.wait(rec)[0]) == path_of("scsi_host6")       # the name the kernel chose
    assert xml_of(d, "scsi_host6").findtext("capability/capability/wwpn") == WWPN

    # the parent named by its WWNs, and WWNs generated when none are given
    create = Pending(d, QEMU_PATH, CONNECT, "NodeDeviceCreateXML",
                     vhba_xml("<parent wwnn='2000000000000005' wwpn='1000000000000005'/>", wwns=False), U(0))
    deadline = time.monotonic() + 10
    while open(os.path.join(fc, "vport_create")).read().strip() == "%s:%s" % (WWPN, WWNN):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    wwpn2, wwnn2 = open(os.path.join(fc, "vport_create")).read().strip().split(":")
    assert wwnn2.startswith("5001a4a") and wwpn2.startswith("5001a4a")
    add_vport(tb, hba, "host7", wwnn2, wwpn2)
    assert str(create.wait(rec)[0]) == path_of("scsi_host7")

    destroy = Pending(d, path_of("scsi_host6"), NODEDEV, "Destroy")
    wait_file(os.path.join(fc, "vport_delete"), "%s:%s" % (WWPN, WWNN))
    tb.uevent(vport, "remove")
    tb.remove_device(vport)
    destroy.wait(rec)
    assert_dbus_error(d.call, QEMU_PATH, CONNECT, "NodeDeviceCreateXML", vhba_xml("<parent>pci_0000_05_00_0</parent>"),
                      U(0), contains="Parent device pci_0000_05_00_0 is not capable of vport operations")
    assert_dbus_error(d.call, path_of("scsi_host5"), NODEDEV, "Destroy", contains="nor a vHBA")
