"""Host node devices of qemu:///session from udev (drivers/nodedev): a mocked sysfs and udev
(umockdev) with scripted devices and uevents, and the real host's PCI devices."""
import os
import re
import shutil
import xml.etree.ElementTree as ET

import json
import subprocess

import dbus
import pytest

from conftest import CONNECT, NODEDEV, OBJMGR, escape, virtbusd_binary

QEMU_PATH = "/org/libvirt/QEMU"
U = dbus.UInt32
CREATED, DELETED = 0, 1
LIST_PCI_DEV, LIST_NET, LIST_STORAGE, LIST_DRM = 1 << 1, 1 << 4, 1 << 8, 1 << 12


def path_of(name):
    return "%s/nodedev/%s" % (QEMU_PATH, escape(name))


def names(d, flags=0):
    return sorted(str(d.get(p, NODEDEV, "Name"))
                  for p in d.call(QEMU_PATH, CONNECT, "ListNodeDevices", U(flags)))


def xml_of(d, name):
    return ET.fromstring(str(d.call(path_of(name), NODEDEV, "GetXMLDesc", U(0))))


def home_env(tmp_path):
    env = {}
    for var in ("XDG_CONFIG_HOME", "XDG_RUNTIME_DIR", "XDG_CACHE_HOME", "XDG_DATA_HOME", "HOME"):
        d = tmp_path / var.lower()
        d.mkdir(mode=0o700)
        env[var] = str(d)
    return env


# ---- the real host ----

def test_real_host_lists_every_pci_device(virtbusd_factory, tmp_path):
    base = "/sys/bus/pci/devices"
    if not os.path.isdir(base):
        pytest.skip("no PCI bus here")
    d = virtbusd_factory(env=home_env(tmp_path))
    expected = {"pci_" + re.sub(r"[^A-Za-z0-9]", "_", addr) for addr in os.listdir(base)}
    assert names(d, LIST_PCI_DEV) == sorted(expected)
    assert "computer" in names(d)
    for addr in os.listdir(base):
        name = "pci_" + re.sub(r"[^A-Za-z0-9]", "_", addr)
        x = xml_of(d, name)
        assert x.findtext("name") == name
        assert x.findtext("path") == os.path.realpath(os.path.join(base, addr))
        cap = x.find("capability[@type='pci']")
        dom, bus, slot_fn = addr.split(":")
        slot, fn = slot_fn.split(".")
        assert [int(cap.findtext(f)) for f in ("domain", "bus", "slot", "function")] == \
            [int(dom, 16), int(bus, 16), int(slot, 16), int(fn, 16)]
        with open(os.path.join(base, addr, "vendor")) as f:
            assert int(cap.find("vendor").get("id"), 16) == int(f.read(), 16)
        with open(os.path.join(base, addr, "device")) as f:
            assert int(cap.find("product").get("id"), 16) == int(f.read(), 16)
        driver = os.path.join(base, addr, "driver")
        if os.path.islink(driver):
            assert x.findtext("driver/name") == os.path.basename(os.readlink(driver))
        parent = x.findtext("parent")
        assert parent == "computer" or parent.startswith("pci_")


def test_real_host_net_devices_hang_off_their_parents(virtbusd_factory, tmp_path):
    d = virtbusd_factory(env=home_env(tmp_path))
    listed = names(d)
    for ifname in os.listdir("/sys/class/net"):
        syspath = os.path.realpath(os.path.join("/sys/class/net", ifname))
        with open(os.path.join(syspath, "address")) as f:
            mac = f.read().strip()
        with open(os.path.join(syspath, "uevent")) as f:
            if "DEVTYPE=" in f.read():
                continue    # bridges, vlans...: not listed, as in libvirt
        name = re.sub(r"[^A-Za-z0-9]", "_", "net_%s_%s" % (ifname, mac))
        assert name in listed
        x = xml_of(d, name)
        assert x.findtext("capability/interface") == ifname
        assert x.findtext("capability/address") == mac
        pci = re.search(r"/(\d{4}:[0-9a-f]{2}:[0-9a-f]{2}\.\d)/", syspath)
        if pci:
            assert x.findtext("parent") == "pci_" + re.sub(r"[^A-Za-z0-9]", "_", pci.group(1))
        else:
            assert x.findtext("parent") == "computer"
        want = ethtool_features(ifname)
        if want is not None:
            assert sorted(f.get("name") for f in x.findall("capability/feature")) == want, ifname


# ethtool -k's names for the offloads libvirt lists
ETHTOOL_NAMES = {"rx-checksumming": "rx", "tx-checksumming": "tx", "scatter-gather": "sg",
                 "tcp-segmentation-offload": "tso", "generic-segmentation-offload": "gso",
                 "generic-receive-offload": "gro", "large-receive-offload": "lro", "rx-vlan-offload": "rxvlan",
                 "tx-vlan-offload": "txvlan", "ntuple-filters": "ntuple", "receive-hashing": "rxhash"}


def ethtool_features(ifname):
    """The offloads ethtool -k reports on, with libvirt's names; None without ethtool."""
    if not shutil.which("ethtool"):
        return None
    out = subprocess.run(["ethtool", "-k", ifname], capture_output=True, text=True)
    if out.returncode != 0:
        return None
    on = []
    for line in out.stdout.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ETHTOOL_NAMES and value.split() and value.split()[0] == "on":
            on.append(ETHTOOL_NAMES[key.strip()])
    return sorted(on)


# ---- a mocked host (umockdev) ----

# umockdev's testbed resolves /sys through its preload library, so it lives in a helper process
# run under umockdev-wrapper; the test drives it with one JSON command per line.
TESTBED_HELPER = r"""
import json, sys
import gi
gi.require_version("UMockdev", "1.0")
from gi.repository import UMockdev
tb = UMockdev.Testbed.new()
print(json.dumps(tb.get_root_dir()), flush=True)
for line in sys.stdin:
    op, args = json.loads(line)
    print(json.dumps(getattr(tb, op)(*args)), flush=True)
"""


def umockdev_usable():
    if not shutil.which("umockdev-wrapper"):
        return False
    probe = subprocess.run(["umockdev-wrapper", "/usr/bin/python3", "-c", TESTBED_HELPER],
                           input="", capture_output=True, text=True)
    return probe.returncode == 0


needs_umockdev = pytest.mark.skipif(not umockdev_usable(),
                                    reason="umockdev (umockdev, gir1.2-umockdev-1.0) is not usable here")

NIC_MAC = "52:54:00:12:34:56"
NIC = "net_eth0_52_54_00_12_34_56"
DISK_SERIAL = "QEMU_HARDDISK_QM00001"
DISK = "block_sda_" + DISK_SERIAL

PCI = "/devices/pci0000:00"
NIC_PCI = PCI + "/0000:00:19.0"
USB_PCI = PCI + "/0000:00:14.0"
SATA = PCI + "/0000:00:1f.2"
USB = USB_PCI + "/usb1/1-2"
SCSI_HOST = SATA + "/ata1/host0"
LUN = SCSI_HOST + "/target0:0:0/0:0:0:0"
NVME_PCI = PCI + "/0000:02:00.0"
NVME_SERIAL = "Samsung_SSD_970_EVO_Plus_500GB_S4EWNX0R123456"
NVME = "block_nvme0n1_" + NVME_SERIAL
HUB = USB_PCI + "/usb1/1-3"
PF = PCI + "/0000:01:00.0"

# A host in umockdev's record format: a NIC, a USB stick, a SATA disk and CD-ROM, a GPU, and an
# SR-IOV NIC (physical function 01:00.0 with two virtual functions).
HOST_RECORDS = """P: /devices/virtual/dmi/id
E: SUBSYSTEM=dmi
A: product_name=Laptop X1
A: sys_vendor=ACME
A: product_version=Gen 3
A: bios_vendor=ACME BIOS
A: bios_version=1.2.3
A: bios_date=01/02/2023
A: product_uuid=4c4c4544-0042-3510-8052-b4c04f4b4e31

P: {nic_pci}
E: SUBSYSTEM=pci
E: PCI_CLASS=20000
E: PCI_SLOT_NAME=0000:00:19.0
E: DRIVER=e1000e
A: vendor=0x8086
A: device=0x15d7
A: class=0x020000
A: numa_node=0
L: driver=../../../bus/pci/drivers/e1000e

P: {nic_pci}/net/eth0
E: SUBSYSTEM=net
E: INTERFACE=eth0
A: address={mac}
A: operstate=up
A: speed=1000

P: {usb_pci}
E: SUBSYSTEM=pci
E: PCI_CLASS=C0330
E: PCI_SLOT_NAME=0000:00:14.0
A: vendor=0x8086
A: device=0x9d2f
A: class=0x0c0330

P: {usb}
E: SUBSYSTEM=usb
E: DEVTYPE=usb_device
E: DEVNAME=/dev/bus/usb/001/003
A: busnum=1
A: devnum=3
A: idVendor=0781
A: idProduct=5567
A: manufacturer=SanDisk
A: product=Cruzer Blade

P: {usb}/1-2:1.0
E: SUBSYSTEM=usb
E: DEVTYPE=usb_interface
A: bInterfaceNumber=00
A: bInterfaceClass=08
A: bInterfaceSubClass=06
A: bInterfaceProtocol=50

P: {sata}
E: SUBSYSTEM=pci
E: PCI_CLASS=10601
E: PCI_SLOT_NAME=0000:00:1f.2
A: vendor=0x8086
A: device=0x2922
A: class=0x010601

P: {scsi_host}
E: SUBSYSTEM=scsi
E: DEVTYPE=scsi_host

P: {scsi_host}/scsi_host/host0
E: SUBSYSTEM=scsi_host
A: unique_id=1

P: {scsi_host}/target0:0:0
E: SUBSYSTEM=scsi
E: DEVTYPE=scsi_target

P: {lun}
E: SUBSYSTEM=scsi
E: DEVTYPE=scsi_device
A: type=0
A: vendor=ATA
A: model=QEMU HARDDISK

P: {lun}/block/sda
E: SUBSYSTEM=block
E: DEVTYPE=disk
E: DEVNAME=/dev/sda
E: ID_TYPE=disk
E: ID_BUS=ata
E: ID_SERIAL={serial}
A: size=2097152
A: removable=0
A: queue/logical_block_size=512
L: device=../../../0:0:0:0

P: {scsi_host}/target0:0:0/0:0:0:1
E: SUBSYSTEM=scsi
E: DEVTYPE=scsi_device
A: type=5

P: {scsi_host}/target0:0:0/0:0:0:1/block/sr0
E: SUBSYSTEM=block
E: DEVTYPE=disk
E: DEVNAME=/dev/sr0
E: ID_CDROM=1
E: ID_CDROM_MEDIA=1
E: ID_FS_LABEL=Debian 12
A: size=1290240
A: removable=1
A: queue/logical_block_size=2048

P: {gpu}
E: SUBSYSTEM=pci
E: PCI_CLASS=30000
E: PCI_SLOT_NAME=0000:00:02.0
A: vendor=0x8086
A: device=0x5917
A: class=0x030000

P: {gpu}/drm/card0
E: SUBSYSTEM=drm
E: DEVTYPE=drm_minor
E: MAJOR=226
E: MINOR=0
E: DEVNAME=/dev/dri/card0
A: dev=226:0

P: {gpu}/drm/renderD128
E: SUBSYSTEM=drm
E: DEVTYPE=drm_minor
E: MAJOR=226
E: MINOR=128
E: DEVNAME=/dev/dri/renderD128
A: dev=226:128

P: {pf}
E: SUBSYSTEM=pci
E: PCI_CLASS=20000
E: PCI_SLOT_NAME=0000:01:00.0
A: vendor=0x8086
A: device=0x1572
A: class=0x020000
A: sriov_totalvfs=4
A: max_link_speed=8.0 GT/s PCIe
A: max_link_width=8
A: current_link_speed=5.0 GT/s PCIe
A: current_link_width=4
L: virtfn0=../0000:01:02.0
L: virtfn1=../0000:01:02.1

P: {vf0}
E: SUBSYSTEM=pci
E: PCI_CLASS=20000
E: PCI_SLOT_NAME=0000:01:02.0
A: vendor=0x8086
A: device=0x154c
A: class=0x020000
L: physfn=../0000:01:00.0

P: {vf1}
E: SUBSYSTEM=pci
E: PCI_CLASS=20000
E: PCI_SLOT_NAME=0000:01:02.1
A: vendor=0x8086
A: device=0x154c
A: class=0x020000
L: physfn=../0000:01:00.0

P: {lun}/block/sda/sda1
E: SUBSYSTEM=block
E: DEVTYPE=partition
E: DEVNAME=/dev/sda1
A: size=1024

P: {nvme_pci}
E: SUBSYSTEM=pci
E: PCI_CLASS=10802
E: PCI_SLOT_NAME=0000:02:00.0
A: vendor=0x144d
A: device=0xa808
A: class=0x010802

P: {nvme_pci}/nvme/nvme0
E: SUBSYSTEM=nvme
E: DEVNAME=/dev/nvme0
A: serial=S4EWNX0R123456

P: {nvme_pci}/nvme/nvme0/nvme0n1
E: SUBSYSTEM=block
E: DEVTYPE=disk
E: DEVNAME=/dev/nvme0n1
E: ID_SERIAL={nvme_serial}
A: size=976773168
A: removable=0
A: queue/logical_block_size=512

P: {hub}
E: SUBSYSTEM=usb
E: DEVTYPE=usb_device
E: DEVNAME=/dev/bus/usb/001/004
A: busnum=1
A: devnum=4
A: idVendor=05e3
A: idProduct=0608
A: bDeviceClass=09
A: product=USB2.0 Hub

P: {hub}/1-3:1.0
E: SUBSYSTEM=usb
E: DEVTYPE=usb_interface
A: bInterfaceNumber=00
A: bInterfaceClass=09
A: bInterfaceSubClass=00
A: bInterfaceProtocol=01
""".format(pf=PF, vf0=PCI + "/0000:01:02.0", vf1=PCI + "/0000:01:02.1", gpu=PCI + "/0000:00:02.0", nic_pci=NIC_PCI, usb_pci=USB_PCI, usb=USB, sata=SATA, scsi_host=SCSI_HOST, lun=LUN,
           mac=NIC_MAC, serial=DISK_SERIAL, nvme_pci=NVME_PCI, nvme_serial=NVME_SERIAL, hub=HUB)


class MockHost:
    """The helper process holding a umockdev testbed; methods are UMockdev.Testbed's."""

    def __init__(self):
        self.proc = subprocess.Popen(["umockdev-wrapper", "/usr/bin/python3", "-c", TESTBED_HELPER],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.root = json.loads(self.proc.stdout.readline())

    def __getattr__(self, op):
        def call(*args):
            self.proc.stdin.write(json.dumps([op, list(args)]) + "\n")
            self.proc.stdin.flush()
            return json.loads(self.proc.stdout.readline())
        return call

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(10)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def mocked(virtbusd_factory, tmp_path, monkeypatch):
    tb = MockHost()
    tb.add_from_string(HOST_RECORDS)
    # IOMMU group 7 holds the NIC and the USB controller; /sys/kernel is outside umockdev's
    # records, so the group is made in the testbed's directory directly
    group = os.path.join(tb.root, "sys/kernel/iommu_groups/7/devices")
    os.makedirs(group)
    for dev in (NIC_PCI, USB_PCI):
        os.symlink("../../../.." + dev, os.path.join(group, os.path.basename(dev)))
        os.symlink("../../../kernel/iommu_groups/7", tb.root + "/sys" + dev + "/iommu_group")
    wrapper = tmp_path / "virtbusd-in-umockdev"
    wrapper.write_text('#!/bin/sh\nexec umockdev-wrapper %s "$@"\n' % virtbusd_binary())
    wrapper.chmod(0o755)
    monkeypatch.setenv("VIRTBUSD", str(wrapper))
    env = home_env(tmp_path)
    env["UMOCKDEV_DIR"] = tb.root
    # umockdev's preload library comes before an ASan build's runtime: let ASan accept that
    env["ASAN_OPTIONS"] = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"), "verify_asan_link_order=0"]))
    tb.daemon = virtbusd_factory(env=env)
    yield tb
    tb.close()


def syspath(devpath):
    return "/sys" + devpath


ALL = ["computer", DISK, "block_sr0", "drm_card0", "drm_renderD128", NIC, "pci_0000_00_02_0",
       "pci_0000_01_00_0", "pci_0000_01_02_0", "pci_0000_01_02_1", "pci_0000_00_14_0", "pci_0000_00_19_0", "pci_0000_00_1f_2", "scsi_0_0_0_0", "scsi_0_0_0_1",
       "scsi_host0", "scsi_target0_0_0", "usb_1_2", "usb_1_2_1_0",
       "pci_0000_02_00_0", NVME, "usb_1_3", "usb_1_3_1_0"]


@needs_umockdev
def test_mocked_host_devices_names_and_parents(mocked):
    d = mocked.daemon
    assert names(d) == sorted(ALL)
    parents = {n: str(d.get(path_of(n), NODEDEV, "Parent")) for n in ALL}
    assert parents == {
        "computer": "",
        "pci_0000_00_19_0": "computer", "pci_0000_00_14_0": "computer", "pci_0000_00_1f_2": "computer",
        NIC: "pci_0000_00_19_0",
        "usb_1_2": "pci_0000_00_14_0", "usb_1_2_1_0": "usb_1_2",
        "scsi_host0": "pci_0000_00_1f_2", "scsi_target0_0_0": "scsi_host0",
        "scsi_0_0_0_0": "scsi_target0_0_0", DISK: "scsi_0_0_0_0",
        "scsi_0_0_0_1": "scsi_target0_0_0", "block_sr0": "scsi_0_0_0_1",
        "pci_0000_01_00_0": "computer", "pci_0000_01_02_0": "computer", "pci_0000_01_02_1": "computer",
        "pci_0000_00_02_0": "computer", "drm_card0": "pci_0000_00_02_0", "drm_renderD128": "pci_0000_00_02_0",
        # the NVMe controller (nvme0) is not listed: its namespace hangs off the PCI function
        "pci_0000_02_00_0": "computer", NVME: "pci_0000_02_00_0",
        "usb_1_3": "pci_0000_00_14_0", "usb_1_3_1_0": "usb_1_3",
    }
    assert names(d, LIST_NET) == [NIC]
    assert names(d, LIST_STORAGE) == sorted([DISK, "block_sr0", NVME])
    assert names(d, LIST_PCI_DEV) == ["pci_0000_00_02_0", "pci_0000_00_14_0", "pci_0000_00_19_0",
                                      "pci_0000_00_1f_2", "pci_0000_01_00_0", "pci_0000_01_02_0",
                                      "pci_0000_01_02_1", "pci_0000_02_00_0"]
    assert names(d, LIST_DRM) == ["drm_card0", "drm_renderD128"]
    assert str(d.call(QEMU_PATH, CONNECT, "NodeDeviceLookupByName", NIC)) == path_of(NIC)
    assert list(d.call(path_of("scsi_host0"), NODEDEV, "ListCaps")) == ["scsi_host"]


@needs_umockdev
def test_mocked_nvme_disk_and_usb_hub(mocked):
    d = mocked.daemon
    cap = xml_of(d, NVME).find("capability[@type='storage']")
    assert (cap.findtext("block"), cap.findtext("drive_type"), cap.findtext("serial")) == \
        ("/dev/nvme0n1", "disk", NVME_SERIAL)
    assert int(cap.findtext("size")) == 976773168 * 512
    pci = xml_of(d, "pci_0000_02_00_0").find("capability")
    assert (pci.findtext("class"), pci.find("vendor").get("id"), pci.find("product").get("id")) == \
        ("0x010802", "0x144d", "0xa808")
    hub = xml_of(d, "usb_1_3").find("capability[@type='usb_device']")
    assert (hub.findtext("bus"), hub.findtext("device"), hub.find("vendor").get("id")) == ("1", "4", "0x05e3")
    iface = xml_of(d, "usb_1_3_1_0").find("capability[@type='usb']")
    assert (iface.findtext("number"), iface.findtext("class")) == ("0", "9")


@needs_umockdev
def test_mocked_host_xml(mocked):
    d = mocked.daemon
    x = xml_of(d, "computer")
    assert x.findtext("capability/product") == "Laptop X1"
    assert x.findtext("capability/hardware/vendor") == "ACME"
    assert x.findtext("capability/hardware/version") == "Gen 3"
    assert x.findtext("capability/hardware/uuid") == "4c4c4544-0042-3510-8052-b4c04f4b4e31"
    assert x.findtext("capability/firmware/release_date") == "01/02/2023"

    x = xml_of(d, "pci_0000_00_19_0")
    assert x.findtext("path") == syspath(NIC_PCI)
    assert x.findtext("driver/name") == "e1000e"
    cap = x.find("capability[@type='pci']")
    assert cap.findtext("class") == "0x020000"
    assert [cap.findtext(f) for f in ("domain", "bus", "slot", "function")] == ["0", "0", "25", "0"]
    assert cap.find("vendor").get("id") == "0x8086"
    assert cap.find("product").get("id") == "0x15d7"
    if os.path.exists("/usr/share/misc/pci.ids"):
        assert cap.findtext("vendor") == "Intel Corporation"
    assert cap.find("numa").get("node") == "0"
    group = cap.find("iommuGroup")
    assert group.get("number") == "7"
    assert [a.get("slot") + "." + a.get("function") for a in group.findall("address")] == ["0x14.0x0", "0x19.0x0"]
    assert cap.find("pci-express") is None

    cap = xml_of(d, "pci_0000_01_00_0").find("capability[@type='pci']")
    vfs = cap.find("capability[@type='virt_functions']")
    assert vfs.get("maxCount") == "4"
    assert [(a.get("bus"), a.get("slot"), a.get("function")) for a in vfs.findall("address")] == \
        [("0x01", "0x02", "0x0"), ("0x01", "0x02", "0x1")]
    assert cap.find("iommuGroup") is None
    links = {lnk.get("validity"): lnk.attrib for lnk in cap.findall("pci-express/link")}
    assert links == {"cap": {"validity": "cap", "speed": "8", "width": "8"},
                     "sta": {"validity": "sta", "speed": "5", "width": "4"}}
    pf = xml_of(d, "pci_0000_01_02_1").find("capability[@type='pci']/capability[@type='phys_function']/address")
    assert (pf.get("bus"), pf.get("slot"), pf.get("function")) == ("0x01", "0x00", "0x0")

    x = xml_of(d, NIC)
    cap = x.find("capability[@type='net']")
    assert cap.findtext("interface") == "eth0"
    assert cap.findtext("address") == NIC_MAC
    assert cap.find("link").attrib == {"speed": "1000", "state": "up"}
    assert cap.find("capability").get("type") == "80203"

    cap = xml_of(d, "usb_1_2").find("capability[@type='usb_device']")
    assert (cap.findtext("bus"), cap.findtext("device")) == ("1", "3")
    assert (cap.find("vendor").get("id"), cap.findtext("vendor")) == ("0x0781", "SanDisk")
    assert (cap.find("product").get("id"), cap.findtext("product")) == ("0x5567", "Cruzer Blade")
    cap = xml_of(d, "usb_1_2_1_0").find("capability[@type='usb']")
    assert [cap.findtext(f) for f in ("number", "class", "subclass", "protocol")] == ["0", "8", "6", "80"]

    cap = xml_of(d, "scsi_host0").find("capability[@type='scsi_host']")
    assert (cap.findtext("host"), cap.findtext("unique_id")) == ("0", "1")
    assert xml_of(d, "scsi_target0_0_0").findtext("capability/target") == "target0:0:0"
    cap = xml_of(d, "scsi_0_0_0_0").find("capability[@type='scsi']")
    assert [cap.findtext(f) for f in ("host", "bus", "target", "lun", "type")] == ["0", "0", "0", "0", "disk"]

    x = xml_of(d, DISK)
    assert x.findtext("devnode[@type='dev']") == "/dev/sda"
    cap = x.find("capability[@type='storage']")
    assert cap.findtext("block") == "/dev/sda"
    assert cap.findtext("bus") == "ata"
    assert cap.findtext("drive_type") == "disk"
    assert cap.findtext("model") == "QEMU HARDDISK"
    assert cap.findtext("vendor") == "ATA"
    assert cap.findtext("serial") == DISK_SERIAL
    assert cap.findtext("size") == str(2097152 * 512)
    assert cap.findtext("logical_block_size") == "512"
    assert cap.findtext("num_blocks") == "2097152"
    assert cap.find("capability[@type='removable']") is None

    cap = xml_of(d, "scsi_0_0_0_1").find("capability[@type='scsi']")
    assert cap.findtext("type") == "cdrom"
    cap = xml_of(d, "block_sr0").find("capability[@type='storage']")
    assert cap.findtext("drive_type") == "cdrom"
    media = cap.find("capability[@type='removable']")
    assert media.findtext("media_available") == "1"
    assert media.findtext("media_size") == str(1290240 * 512)
    assert media.findtext("media_label") == "Debian 12"
    assert media.findtext("logical_block_size") == "2048"
    assert cap.find("size") is None

    x = xml_of(d, "drm_card0")
    assert x.findtext("devnode[@type='dev']") == "/dev/dri/card0"
    assert x.find("capability[@type='drm']").findtext("type") == "primary"
    assert xml_of(d, "drm_renderD128").find("capability[@type='drm']").findtext("type") == "render"


@needs_umockdev
def test_mocked_uevents_add_and_remove_devices(mocked):
    d, tb = mocked.daemon, mocked
    rec = d.recorder(interface=CONNECT, member="NodeDeviceEvent", path=QEMU_PATH)
    om = d.recorder(interface=OBJMGR, path=QEMU_PATH)

    nic2_pci = tb.add_device("pci", "0000:03:00.0", None,
                             ["vendor", "0x8086", "device", "0x1572", "class", "0x020000"],
                             ["PCI_CLASS", "20000", "PCI_SLOT_NAME", "0000:03:00.0"])
    nic2 = tb.add_device("net", "eth1", nic2_pci, ["address", "52:54:00:ab:cd:ef", "operstate", "down"],
                         ["INTERFACE", "eth1"])
    tb.uevent(nic2_pci, "add")   # a replayed "add" (umockdev sent one already) changes nothing
    tb.uevent(nic2, "add")
    rec.wait(2)
    assert rec.events("NodeDeviceEvent") == [(path_of("pci_0000_03_00_0"), CREATED, 0),
                                             (path_of("net_eth1_52_54_00_ab_cd_ef"), CREATED, 0)]
    assert "net_eth1_52_54_00_ab_cd_ef" in names(d)
    assert str(d.get(path_of("net_eth1_52_54_00_ab_cd_ef"), NODEDEV, "Parent")) == "pci_0000_03_00_0"
    added = [s[3][0] for s in om.wait(2, member="InterfacesAdded")]
    assert added == [path_of("pci_0000_03_00_0"), path_of("net_eth1_52_54_00_ab_cd_ef")]

    # a change that keeps the name updates in place, without an event
    tb.set_attribute(nic2, "operstate", "up")
    tb.uevent(nic2, "change")
    tb.uevent(syspath(USB + "/1-2:1.0"), "remove")
    tb.remove_device(syspath(USB + "/1-2:1.0"))
    rec.wait(3)
    assert rec.events("NodeDeviceEvent")[2:] == [(path_of("usb_1_2_1_0"), DELETED, 0)]
    assert xml_of(d, "net_eth1_52_54_00_ab_cd_ef").find("capability/link").get("state") == "up"

    # removing children then their parent, in the kernel's order
    for dev in (nic2, nic2_pci):
        tb.uevent(dev, "remove")
        tb.remove_device(dev)
    rec.wait(5)
    assert rec.events("NodeDeviceEvent")[3:] == [(path_of("net_eth1_52_54_00_ab_cd_ef"), DELETED, 0),
                                                 (path_of("pci_0000_03_00_0"), DELETED, 0)]
    assert names(d) == sorted(n for n in ALL if n != "usb_1_2_1_0")
    removed = [s[3][0] for s in om.wait(3, member="InterfacesRemoved")]
    assert removed == [path_of("usb_1_2_1_0"), path_of("net_eth1_52_54_00_ab_cd_ef"), path_of("pci_0000_03_00_0")]


# umockdev delivers uevents over a unix datagram socket whose queue holds
# net.unix.max_dgram_qlen datagrams (10 in a fresh network namespace); its sender gives up
# when the queue is full, so bursts are sent in groups that fit in the queue.
BURST = 8


def in_bursts(rec, items, send, done_before):
    for start in range(0, len(items), BURST):
        for item in items[start:start + BURST]:
            send(item)
        rec.wait(done_before + min(start + BURST, len(items)), timeout=10)


@needs_umockdev
def test_mocked_bursts_of_uevents_in_order(mocked):
    """200 functions appear in bursts (as SR-IOV VF creation makes them), their "add" events
    are replayed, and they vanish again: every one is listed once, events arrive in order,
    none lost or doubled."""
    d, tb = mocked.daemon, mocked
    rec = d.recorder(interface=CONNECT, member="NodeDeviceEvent", path=QEMU_PATH)
    addrs = ["0000:81:%02x.%d" % (i // 8, i % 8) for i in range(200)]
    expected = ["pci_" + re.sub(r"[^A-Za-z0-9]", "_", a) for a in addrs]
    paths = []

    def add(addr):   # umockdev sends the "add" uevent itself
        paths.append(tb.add_device("pci", addr, None, ["vendor", "0x8086", "device", "0x154c",
                                                       "class", "0x020000"],
                                   ["PCI_CLASS", "20000", "PCI_SLOT_NAME", addr]))

    in_bursts(rec, addrs, add, 0)
    assert rec.events("NodeDeviceEvent") == [(path_of(n), CREATED, 0) for n in expected]
    assert names(d) == sorted(ALL + expected)

    for start in range(0, len(paths), BURST):
        for p in paths[start:start + BURST]:
            tb.uevent(p, "add")
        # a call round trip: the daemon drained its uevent queue (sent before the call) first
        assert names(d, LIST_PCI_DEV)
    assert len(rec.settle(0.3)) == 200
    assert names(d) == sorted(ALL + expected)

    in_bursts(rec, paths, lambda p: tb.uevent(p, "remove"), 200)
    assert rec.events("NodeDeviceEvent")[200:] == [(path_of(n), DELETED, 0) for n in expected]
    assert names(d) == sorted(ALL)
    assert len(rec.settle(0.2)) == 400


@needs_umockdev
def test_mocked_net_rename_moves_the_device(mocked):
    d, tb = mocked.daemon, mocked
    rec = d.recorder(interface=CONNECT, member="NodeDeviceEvent", path=QEMU_PATH)
    # a new MAC gives a new libvirt name: the old device goes, the new one comes
    tb.set_attribute(syspath(NIC_PCI + "/net/eth0"), "address", "52:54:00:00:00:01")
    tb.uevent(syspath(NIC_PCI + "/net/eth0"), "change")
    rec.wait(2)
    assert rec.events("NodeDeviceEvent") == [(path_of(NIC), DELETED, 0),
                                             (path_of("net_eth0_52_54_00_00_00_01"), CREATED, 0)]
    assert names(d, LIST_NET) == ["net_eth0_52_54_00_00_00_01"]


@pytest.fixture
def deep_uevent_queue():
    """Room for 256 uevents at once in umockdev's datagram socket (a sysctl of this network
    namespace, read when a socket is made: set before the testbed and the daemon start)."""
    path = "/proc/sys/net/unix/max_dgram_qlen"
    try:
        with open(path) as f:
            old = f.read()
        with open(path, "w") as f:
            f.write("1024\n")
    except OSError as e:
        pytest.skip("cannot deepen the datagram queue: %s" % e)
    yield
    with open(path, "w") as f:
        f.write(old)


@needs_umockdev
def test_a_burst_of_256_uevents_at_once(deep_uevent_queue, mocked):
    """256 VFs appear in one burst and vanish in another, each burst sent without waiting: every
    event is handled once and in order."""
    import time
    d, tb = mocked.daemon, mocked
    rec = d.recorder(interface=CONNECT, member="NodeDeviceEvent", path=QEMU_PATH)
    addrs = ["0000:82:%02x.%d" % (i // 8, i % 8) for i in range(256)]
    expected = ["pci_" + re.sub(r"[^A-Za-z0-9]", "_", a) for a in addrs]
    began = time.monotonic()
    paths = [tb.add_device("pci", a, None, ["vendor", "0x8086", "device", "0x154c", "class", "0x020000"],
                           ["PCI_CLASS", "20000", "PCI_SLOT_NAME", a]) for a in addrs]
    rec.wait(256, timeout=30)
    added_s = time.monotonic() - began
    assert rec.events("NodeDeviceEvent") == [(path_of(n), CREATED, 0) for n in expected]
    assert names(d) == sorted(ALL + expected)

    began = time.monotonic()
    for p in paths:
        tb.uevent(p, "remove")
    rec.wait(512, timeout=30)
    removed_s = time.monotonic() - began
    assert rec.events("NodeDeviceEvent")[256:] == [(path_of(n), DELETED, 0) for n in expected]
    assert names(d) == sorted(ALL)
    assert len(rec.settle(0.2)) == 512
    print("\n256-event bursts: add (with umockdev creating the devices) %.0f ms, remove %.0f ms"
          % (added_s * 1000, removed_s * 1000))
