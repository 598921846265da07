"""Disk I/O throttling of QEMU guests: <iotune> set by QEMU when the guest starts, and
SetBlockIoTune/GetBlockIoTune live (QEMU's block_set_io_throttle and query-block: what Get
returns live is what QEMU reports) and in the saved config."""
import os

import dbus
import pytest

from conftest import DOMAIN, assert_dbus_error
from test_qemu_guest import U, define, guest, guest_xml, home, qemu  # noqa: F401

T = dbus.UInt64
START_PAUSED = 1
AFFECT_LIVE, AFFECT_CONFIG = 1, 2
IOTUNE = ("<iotune><total_bytes_sec>1000000</total_bytes_sec><read_iops_sec>400</read_iops_sec>"
          "<group_name>slow</group_name></iotune>")

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/qemu-system-x86_64"),
                                reason="qemu-system-x86_64 is not installed")


def disk_xml(path, iotune=""):
    return ("<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='%s'/>"
            "<target dev='vdb' bus='virtio'/>%s</disk>" % (path, iotune))


def image(home, name="data.img"):
    path = os.path.join(home["root"], name)
    with open(path, "wb") as f:
        f.truncate(8 << 20)
    return path


def tune(d, path, flags, disk="vdb"):
    return {str(k): v for k, v in d.call(path, DOMAIN, "GetBlockIOTune", disk, U(flags)).items()}


def config_file(home):
    with open(os.path.join(home["XDG_CONFIG_HOME"], "virtbus", "qemu", "tg.xml")) as f:
        return f.read()


def started(d, guest, home, iotune=IOTUNE):
    xml = guest_xml(guest, home).replace("</devices>", disk_xml(image(home), iotune) + "</devices>")
    path = define(d, xml)
    d.call(path, DOMAIN, "Create", U(START_PAUSED))
    return path


def test_iotune_is_set_when_the_guest_starts(qemu, guest, home):
    path = started(qemu, guest, home)
    live = tune(qemu, path, AFFECT_LIVE)                  # read back from QEMU's query-block
    assert live["total_bytes_sec"] == 1000000 and live["read_iops_sec"] == 400
    assert live["group_name"] == "slow" and live["write_bytes_sec"] == 0
    assert len(live) == 20


def test_set_live_keeps_what_the_caller_left_out(qemu, guest, home):
    path = started(qemu, guest, home)

    assert_dbus_error(qemu.call, path, DOMAIN, "SetBlockIOTune", "vdb", {"write_bytes_sec": T(2000000)},
                      U(AFFECT_LIVE), contains="total and read/write of bytes_sec cannot be set at the same time")
    qemu.call(path, DOMAIN, "SetBlockIOTune", "vdb", {"total_bytes_sec": T(0), "write_bytes_sec": T(2000000)},
              U(AFFECT_LIVE))
    live = tune(qemu, path, AFFECT_LIVE)
    assert (live["total_bytes_sec"], live["write_bytes_sec"], live["read_iops_sec"]) == (0, 2000000, 400)
    xml = str(qemu.call(path, DOMAIN, "GetXMLDesc", U(0)))
    assert "<write_bytes_sec>2000000</write_bytes_sec>" in xml and "<total_bytes_sec>" not in xml
    assert "<total_bytes_sec>1000000</total_bytes_sec>" in config_file(home)     # live only

    qemu.call(path, DOMAIN, "SetBlockIOTune", "vdb", {"read_iops_sec": T(0)}, U(AFFECT_CONFIG))
    assert "read_iops_sec" not in config_file(home)
    assert tune(qemu, path, AFFECT_CONFIG)["read_iops_sec"] == 0
    assert tune(qemu, path, AFFECT_LIVE)["read_iops_sec"] == 400                # the running guest keeps it


def test_bad_limits_change_nothing(qemu, guest, home):
    path = started(qemu, guest, home)
    before = tune(qemu, path, AFFECT_LIVE)

    assert_dbus_error(qemu.call, path, DOMAIN, "SetBlockIOTune", "vdb", {"total_iops_sec": T(10 ** 15 + 1)},
                      U(AFFECT_LIVE), contains="block I/O throttle limit value must be no more than")
    assert_dbus_error(qemu.call, path, DOMAIN, "SetBlockIOTune", "vdb", {"fastest": T(1)}, U(AFFECT_LIVE),
                      contains="parameter 'fastest' not supported")
    assert_dbus_error(qemu.call, path, DOMAIN, "SetBlockIOTune", "vdb", {"total_bytes_sec": U(1)}, U(AFFECT_LIVE),
                      contains="invalid type 'uint' for parameter 'total_bytes_sec', expected 'ullong'")
    assert_dbus_error(qemu.call, path, DOMAIN, "SetBlockIOTune", "vdz", {"total_bytes_sec": T(1)}, U(AFFECT_LIVE),
                      contains="disk 'vdz' was not found")
    # QEMU's own rule: a burst below its limit
    assert_dbus_error(qemu.call, path, DOMAIN, "SetBlockIOTune", "vdb", {"total_bytes_sec_max": T(10)},
                      U(AFFECT_LIVE), contains="block_set_io_throttle")
    assert tune(qemu, path, AFFECT_LIVE) == before
    assert "<total_bytes_sec>1000000</total_bytes_sec>" in config_file(home)


def test_a_disk_plugged_in_with_iotune_is_refused(qemu, guest, home):
    path = started(qemu, guest, home, iotune="")
    extra = image(home, "extra.img")
    assert_dbus_error(qemu.call, path, DOMAIN, "AttachDevice",
                      disk_xml(extra, IOTUNE).replace("vdb", "vdc"), U(AFFECT_LIVE),
                      contains="<iotune> of a disk being plugged in is not supported yet")
