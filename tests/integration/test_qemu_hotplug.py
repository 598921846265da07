"""AttachDevice / DetachDevice on running QEMU guests: disks and interfaces plugged in and out
over QMP. Each change is checked against QEMU (block statistics, the tap device on the bridge),
against the live and the saved definitions, and through the DeviceAdded/DeviceRemoved signals;
a refused attach must leave QEMU without half-added block nodes or backends."""
import os
import time

import pytest

from conftest import DOMAIN, assert_dbus_error
from test_qemu_guest import (BRIDGED_NIC, U, define, guest, guest_xml, home, alive, links_in, netns_qemu,  # noqa: F401
                             qemu, qemu_pid, wait_for, wait_serial, with_nic)

AFFECT_LIVE, AFFECT_CONFIG = 1, 2
XML_INACTIVE = 2
STATS_BLOCK = 32

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/qemu-system-x86_64"),
                                reason="qemu-system-x86_64 is not installed")


def disk_xml(path, dev="vdb", bus="virtio"):
    return ("<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='%s'/>"
            "<target dev='%s' bus='%s'/></disk>" % (path, dev, bus))


def image(home, name="extra.img", size=8 << 20):
    path = os.path.join(home["root"], name)
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def block_devices(d, path):
    """The disks QEMU reports statistics for (query-blockstats through GetStats)."""
    records = d.call(path, DOMAIN, "GetStats", U(STATS_BLOCK), U(0))
    count = int(records.get("block.count", 0))
    return sorted(str(records["block.%d.name" % i]) for i in range(count))


def booted(d, guest, home, xml=None):
    path = define(d, xml or guest_xml(guest, home))
    d.call(path, DOMAIN, "Create", U(0))
    wait_serial(home, "tg", "TEST-GUEST READY")
    return path


def config_file(home):
    with open(os.path.join(home["XDG_CONFIG_HOME"], "virtbus", "qemu", "tg.xml")) as f:
        return f.read()


def test_disk_plugged_in_and_out_of_a_running_guest(qemu, guest, home):
    path = booted(qemu, guest, home)
    signals = qemu.recorder(interface=DOMAIN, path=path)
    extra = image(home)

    qemu.call(path, DOMAIN, "AttachDevice", disk_xml(extra), U(0))     # CURRENT: live on a running guest
    assert signals.wait(member="DeviceAdded")[0][3] == ("virtio-disk1",)
    assert block_devices(qemu, path) == ["vdb"]
    # its statistics are QEMU's for that device (found by its id, whatever its block nodes are called)
    records = qemu.call(path, DOMAIN, "GetStats", U(STATS_BLOCK), U(0))
    assert "block.0.rd.reqs" in records and "block.0.wr.bytes" in records
    live = str(qemu.call(path, DOMAIN, "GetXMLDesc", U(0)))
    assert "<target dev='vdb' bus='virtio'/>" in live and "<alias name='virtio-disk1'/>" in live
    assert "vdb" not in config_file(home)                               # live only
    assert "vdb" not in str(qemu.call(path, DOMAIN, "GetXMLDesc", U(XML_INACTIVE)))

    # the guest lets go of it (ACPI eject); the call waits for QEMU's DEVICE_DELETED
    qemu.call(path, DOMAIN, "DetachDevice", disk_xml(extra), U(AFFECT_LIVE))
    assert signals.wait(member="DeviceRemoved")[0][3] == ("virtio-disk1",)
    assert block_devices(qemu, path) == []
    assert "vdb" not in str(qemu.call(path, DOMAIN, "GetXMLDesc", U(0)))
    # its block nodes went with it: the same target can come back
    qemu.call(path, DOMAIN, "AttachDevice", disk_xml(extra), U(AFFECT_LIVE))
    assert block_devices(qemu, path) == ["vdb"]


def test_live_and_config_together_and_the_next_start(qemu, guest, home):
    path = booted(qemu, guest, home)
    extra = image(home)

    qemu.call(path, DOMAIN, "AttachDevice", disk_xml(extra), U(AFFECT_LIVE | AFFECT_CONFIG))
    assert block_devices(qemu, path) == ["vdb"]
    assert "<target dev='vdb' bus='virtio'/>" in config_file(home)
    qemu.call(path, DOMAIN, "Destroy", U(0))
    qemu.call(path, DOMAIN, "Create", U(0))
    assert block_devices(qemu, path) == ["vdb"]                         # from the saved config
    qemu.call(path, DOMAIN, "DetachDevice", disk_xml(extra), U(AFFECT_CONFIG))
    assert "vdb" not in config_file(home)
    assert block_devices(qemu, path) == ["vdb"]                         # the running guest keeps it


def test_refused_attaches_leave_the_guest_as_it_was(qemu, guest, home):
    path = booted(qemu, guest, home)
    missing = os.path.join(home["root"], "missing.img")
    before = str(qemu.call(path, DOMAIN, "GetXMLDesc", U(0)))

    assert_dbus_error(qemu.call, path, DOMAIN, "AttachDevice", disk_xml(missing), U(AFFECT_LIVE | AFFECT_CONFIG),
                      contains="blockdev-add")
    assert not os.path.exists(missing)
    assert_dbus_error(qemu.call, path, DOMAIN, "AttachDevice", disk_xml(image(home), "sda", "usb"), U(0),
                      contains="USB")
    assert_dbus_error(qemu.call, path, DOMAIN, "AttachDevice", "<watchdog model='i6300esb'/>", U(0),
                      contains="live attach of device 'watchdog' is not supported")
    assert_dbus_error(qemu.call, path, DOMAIN, "DetachDevice", disk_xml(missing), U(0),
                      contains="no matching device found")
    assert str(qemu.call(path, DOMAIN, "GetXMLDesc", U(0))) == before
    assert "vdb" not in config_file(home)
    assert block_devices(qemu, path) == []
    # nothing of the failed attach stayed in QEMU: the same target and node names work now
    qemu.call(path, DOMAIN, "AttachDevice", disk_xml(image(home)), U(0))
    assert block_devices(qemu, path) == ["vdb"]
    assert_dbus_error(qemu.call, path, DOMAIN, "AttachDevice", disk_xml(image(home, "other.img")), U(0),
                      contains="target vdb already exists")


def test_unplug_the_guest_does_not_answer_yet(qemu, guest, home):
    path = booted(qemu, guest, home)
    signals = qemu.recorder(interface=DOMAIN, path=path)
    extra = image(home)
    qemu.call(path, DOMAIN, "AttachDevice", disk_xml(extra), U(0))
    qemu.call(path, DOMAIN, "Suspend")

    started = time.monotonic()
    qemu.call(path, DOMAIN, "DetachDevice", disk_xml(extra), U(0))
    # as libvirt: the call returns after its wait; the removal is still pending
    assert time.monotonic() - started >= 4.5
    assert "vdb" in str(qemu.call(path, DOMAIN, "GetXMLDesc", U(0)))
    assert signals.matching(member="DeviceRemoved") == []
    qemu.call(path, DOMAIN, "Resume")
    assert signals.wait(member="DeviceRemoved", timeout=60)[0][3] == ("virtio-disk1",)
    assert "vdb" not in str(qemu.call(path, DOMAIN, "GetXMLDesc", U(0)))
    assert block_devices(qemu, path) == []


def test_interface_plugged_onto_a_bridge_and_out(netns_qemu, guest, home):
    d = netns_qemu
    path = booted(d, guest, home)
    signals = d.recorder(interface=DOMAIN, path=path)
    nic = BRIDGED_NIC % "vbbr0"

    d.call(path, DOMAIN, "AttachDevice", nic, U(0))
    assert signals.wait(member="DeviceAdded")[0][3] == ("net0",)
    links = links_in(d)
    assert links["vnet0"].get("master") == "vbbr0" and links["vnet0"]["address"] == "fe:54:00:12:34:56"
    live = str(d.call(path, DOMAIN, "GetXMLDesc", U(0)))
    assert "<target dev='vnet0'/>" in live and "<alias name='net0'/>" in live
    assert_dbus_error(d.call, path, DOMAIN, "AttachDevice", nic, U(0), contains="mac address 52:54:00:12:34:56 "
                      "already exists")

    d.call(path, DOMAIN, "DetachDevice", nic, U(0))
    assert signals.wait(member="DeviceRemoved")[0][3] == ("net0",)
    # QEMU dropped the backend, which held the only fd of the tap
    wait_for(lambda: "vnet0" not in links_in(d), 10, "the tap to go")
    assert "52:54:00:12:34:56" not in str(d.call(path, DOMAIN, "GetXMLDesc", U(0)))


def test_a_started_guest_names_its_devices_and_keeps_them_across_a_restart(virtbusd_factory, guest, home):
    env = {k: v for k, v in home.items() if k != "root"}
    d = virtbusd_factory(env=env)
    extra = image(home)
    xml = guest_xml(guest, home).replace("<devices>", "<devices>" + disk_xml(extra, "vda"))
    path = booted(d, guest, home, xml)
    pid = qemu_pid(home, "tg")
    assert "<alias name='virtio-disk0'/>" in str(d.call(path, DOMAIN, "GetXMLDesc", U(0)))
    d.stop()
    d = virtbusd_factory(env=env)
    try:
        # the re-attached guest's devices keep their ids: the disk still unplugs
        d.call(path, DOMAIN, "DetachDevice", disk_xml(extra, "vda"), U(0))
        assert block_devices(d, path) == []
    finally:
        d.call(path, DOMAIN, "Destroy", U(0))
    wait_for(lambda: not alive(pid), 10, "QEMU to end")


# ---- link states: <link state='down'/> at start, UpdateDevice live and in the config

USER_NIC = ("<interface type='user'><mac address='52:54:00:aa:bb:01'/><model type='virtio'/>%s</interface>")


def test_link_state_at_start_and_through_update_device(qemu, guest, home):
    xml = guest_xml(guest, home).replace("<devices>", "<devices>" + USER_NIC % "<link state='down'/>")
    path = define(qemu, xml)
    qemu.call(path, DOMAIN, "Create", U(1))     # QEMU accepted set_link for net0 before the guest ran
    assert "<link state='down'/>" in str(qemu.call(path, DOMAIN, "GetXMLDesc", U(0)))

    qemu.call(path, DOMAIN, "UpdateDevice", USER_NIC % "<link state='up'/>", U(AFFECT_LIVE))
    live = str(qemu.call(path, DOMAIN, "GetXMLDesc", U(0)))
    assert "<link state='up'/>" in live
    assert "<link state='down'/>" in config_file(home)                 # the config is unchanged
    qemu.call(path, DOMAIN, "UpdateDevice", USER_NIC % "", U(AFFECT_LIVE | AFFECT_CONFIG))
    assert "<link state=" not in config_file(home)

    # anything but the link state cannot change; unknown MACs and other devices are refused
    assert_dbus_error(qemu.call, path, DOMAIN, "UpdateDevice",
                      USER_NIC.replace("virtio", "e1000") % "", U(AFFECT_LIVE),
                      contains="cannot change network interface configuration other than its link state")
    assert_dbus_error(qemu.call, path, DOMAIN, "UpdateDevice",
                      USER_NIC.replace("aa:bb:01", "aa:bb:02") % "", U(AFFECT_LIVE), contains="no interface with MAC")
    assert_dbus_error(qemu.call, path, DOMAIN, "UpdateDevice", "<watchdog model='i6300esb'/>", U(AFFECT_LIVE),
                      contains="updating device 'watchdog' is not supported")
    assert_dbus_error(qemu.call, path, DOMAIN, "UpdateDevice", disk_xml("/x"), U(AFFECT_LIVE),
                      contains="no disk with target vdb")
    assert_dbus_error(qemu.call, "/org/libvirt/Test/domain/_6695eb01_f6a4_8304_79aa_97f2502e193f", DOMAIN,
                      "UpdateDevice", USER_NIC % "", U(0), contains="not supported by the connection driver")


CDROM = ("<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>%s<target dev='hdc' bus='ide'/>"
         "<readonly/></disk>")


def test_cdrom_media_inserted_changed_and_ejected(qemu, guest, home):
    isos = [image(home, "a.iso", 1 << 20), image(home, "b.iso", 2 << 20)]
    path = define(qemu, guest_xml(guest, home).replace("<devices>", "<devices>" + CDROM % ""))
    qemu.call(path, DOMAIN, "Create", U(1))

    def medium():
        disk = [d for d in str(qemu.call(path, DOMAIN, "GetXMLDesc", U(0))).split("<disk ")[1:] if "hdc" in d][0]
        return disk.split("<source file='")[1].split("'")[0] if "<source file=" in disk else None

    # each step is QEMU's own: the tray opened, the medium out and in, the tray closed
    for iso in (isos[0], isos[1]):
        qemu.call(path, DOMAIN, "UpdateDevice", CDROM % ("<source file='%s'/>" % iso), U(AFFECT_LIVE))
        assert medium() == iso
    qemu.call(path, DOMAIN, "UpdateDevice", CDROM % "", U(AFFECT_LIVE))             # eject
    assert medium() is None
    qemu.call(path, DOMAIN, "UpdateDevice", CDROM % ("<source file='%s'/>" % isos[0]), U(AFFECT_LIVE))
    assert medium() == isos[0]
    assert "a.iso" not in config_file(home)

    assert_dbus_error(qemu.call, path, DOMAIN, "UpdateDevice",
                      CDROM.replace("bus='ide'", "bus='sata'") % "", U(AFFECT_LIVE),
                      contains="cannot change anything but the medium")
    missing = os.path.join(home["root"], "missing.iso")
    assert_dbus_error(qemu.call, path, DOMAIN, "UpdateDevice", CDROM % ("<source file='%s'/>" % missing),
                      U(AFFECT_LIVE), contains="blockdev-add")
    assert medium() == isos[0]      # nothing changed: the new file failed before the tray opened
    qemu.call(path, DOMAIN, "UpdateDevice", CDROM % ("<source file='%s'/>" % isos[1]), U(AFFECT_LIVE))
    assert medium() == isos[1]
