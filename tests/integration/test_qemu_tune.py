"""Tuning and queries of real QEMU guests over QMP: the memory balloon, vCPU hot-plug and
pinning, statistics, keys and NMIs. Each change is checked against QEMU or the kernel
(/proc, QMP-backed statistics, the saved configuration), not only against the reply."""
import os
import re
import subprocess
import time

import dbus
import pytest

from conftest import CONNECT, DOMAIN, assert_dbus_error
from test_qemu_guest import (QEMU_PATH, U, BRIDGED_NIC, define, guest, guest_xml, home, netns_qemu,  # noqa: F401
                             qemu, qemu_pid, wait_for, wait_serial, with_nic)

AFFECT_LIVE, AFFECT_CONFIG, VCPU_MAXIMUM = 1, 2, 4
XML_INACTIVE = 2
START_PAUSED = 1
STATS_BALLOON, STATS_INTERFACE, STATS_BLOCK = 4, 16, 32
TAG_ACTUAL_BALLOON, TAG_RSS = 6, 7
TAG_UNUSED, TAG_LAST_UPDATE = 4, 9
KEYSET_LINUX, KEYSET_XT = 0, 1

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/qemu-system-x86_64"),
                                reason="qemu-system-x86_64 is not installed")


def tune_xml(guest, home, name="tg", balloon=True, disk=None):
    xml = guest_xml(guest, home, name).replace("<vcpu>1</vcpu>", "<vcpu current='1'>2</vcpu>")
    if balloon:
        xml = xml.replace("<memballoon model='none'/>", "<memballoon model='virtio'/>")
    if disk:
        xml = xml.replace("<devices>", "<devices><disk type='file' device='disk'><driver name='qemu' type='raw'/>"
                          "<source file='%s'/><target dev='vda' bus='virtio'/></disk>" % disk)
    return xml


def current_memory(xml):
    return int(re.search(r"<currentMemory unit='KiB'>(\d+)</currentMemory>", xml).group(1))


def stats(d, path, groups):
    return {str(k): v for k, v in d.call(path, DOMAIN, "GetStats", U(groups), U(0)).items()}


def vcpu_threads(pid):
    """vCPU index -> thread id, from the thread names QEMU sets (debug-threads=on)."""
    threads = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                m = re.match(r"CPU (\d+)/", f.read())
        except FileNotFoundError:
            continue
        if m:
            threads[int(m.group(1))] = int(tid)
    return threads


def cpus_allowed(tid):
    with open("/proc/%d/status" % tid) as f:
        return re.search(r"^Cpus_allowed_list:\s*(\S+)$", f.read(), re.M).group(1)


def config_file(home, name="tg"):
    with open(os.path.join(home["XDG_CONFIG_HOME"], "virtbus", "qemu", name + ".xml")) as f:
        return f.read()


def test_balloon_deflates_and_stats_follow(qemu, guest, home):
    path = define(qemu, tune_xml(guest, home))
    qemu.call(path, DOMAIN, "Create", U(0))
    wait_serial(home, "tg", "TEST-GUEST READY")
    assert current_memory(str(qemu.call(path, DOMAIN, "GetXMLDesc", U(0)))) == 131072
    changes = qemu.recorder(interface=DOMAIN, member="BalloonChange", path=path)

    qemu.call(path, DOMAIN, "SetMemory", dbus.UInt64(98304), U(AFFECT_LIVE))
    # the guest's balloon driver gives the memory back by itself; QEMU's query-balloon follows
    wait_for(lambda: int(qemu.call(path, DOMAIN, "MemoryStats", U(0)).get(TAG_ACTUAL_BALLOON, 0)) == 98304, 60,
             "the balloon to reach 96 MiB")
    # QEMU's BALLOON_CHANGE events as BalloonChange signals (KiB), ending at the new size
    wait_for(lambda: changes.settle(0.1) and int(changes.signals[-1][3][0]) == 98304, 30,
             "a BalloonChange signal of 96 MiB")
    mem = qemu.call(path, DOMAIN, "MemoryStats", U(0))
    with open("/proc/%d/status" % qemu_pid(home, "tg")) as f:
        vmrss = int(re.search(r"VmRSS:\s*(\d+)", f.read()).group(1))
    assert 0 < int(mem[TAG_RSS]) and abs(int(mem[TAG_RSS]) - vmrss) < vmrss // 2
    s = stats(qemu, path, STATS_BALLOON)
    assert int(s["balloon.current"]) == 98304
    assert int(s["balloon.maximum"]) == 131072
    assert int(s["balloon.rss"]) > 0
    # the live definition has the new size, the persistent one keeps its own
    assert current_memory(str(qemu.call(path, DOMAIN, "GetXMLDesc", U(0)))) == 98304
    assert current_memory(str(qemu.call(path, DOMAIN, "GetXMLDesc", U(XML_INACTIVE)))) == 131072
    assert_dbus_error(qemu.call, path, DOMAIN, "SetMemory", dbus.UInt64(262144), U(AFFECT_LIVE),
                      contains="cannot set memory higher than max memory")


def last_update(d, path):
    """When the guest last sent its balloon statistics (s since the epoch), 0 before it ever did."""
    return int(d.call(path, DOMAIN, "MemoryStats", U(0)).get(TAG_LAST_UPDATE, 0))


def test_memory_stats_period_live_config_and_at_start(qemu, guest, home):
    path = define(qemu, tune_xml(guest, home))
    qemu.call(path, DOMAIN, "Create", U(0))
    wait_serial(home, "tg", "TEST-GUEST READY")
    first = last_update(qemu, path)
    time.sleep(2.5)
    assert last_update(qemu, path) == first                   # without a period QEMU does not ask again

    qemu.call(path, DOMAIN, "SetMemoryStatsPeriod", 1, U(AFFECT_LIVE))
    wait_for(lambda: last_update(qemu, path) > first, 30, "the guest's balloon statistics to be polled")
    assert int(qemu.call(path, DOMAIN, "MemoryStats", U(0)).get(TAG_UNUSED, 0)) > 0
    assert "<stats period='1'/>" in str(qemu.call(path, DOMAIN, "GetXMLDesc", U(0)))
    assert "<stats" not in config_file(home)
    assert_dbus_error(qemu.call, path, DOMAIN, "SetMemoryStatsPeriod", -1, U(AFFECT_LIVE),
                      contains="invalid value for collection period")

    qemu.call(path, DOMAIN, "SetMemoryStatsPeriod", 2, U(AFFECT_CONFIG))
    assert "<memballoon model='virtio'>\n      <stats period='2'/>" in config_file(home)
    qemu.call(path, DOMAIN, "Destroy", U(0))
    qemu.call(path, DOMAIN, "Create", U(0))                   # the saved period applies at start
    wait_serial(home, "tg", "TEST-GUEST READY")
    wait_for(lambda: last_update(qemu, path) > 0, 30, "the guest's first statistics")
    first = last_update(qemu, path)
    wait_for(lambda: last_update(qemu, path) > first, 30, "the guest's balloon statistics to be polled")

    other = define(qemu, tune_xml(guest, home, name="nb", balloon=False))
    assert_dbus_error(qemu.call, other, DOMAIN, "SetMemoryStatsPeriod", 1, U(AFFECT_CONFIG),
                      contains="No memory balloon device configured")


def test_set_memory_config_changes_the_saved_xml_only(qemu, guest, home):
    path = define(qemu, tune_xml(guest, home))
    qemu.call(path, DOMAIN, "Create", U(START_PAUSED))
    qemu.call(path, DOMAIN, "SetMemory", dbus.UInt64(100000), U(AFFECT_CONFIG))
    assert current_memory(config_file(home)) == 100000
    assert current_memory(str(qemu.call(path, DOMAIN, "GetXMLDesc", U(XML_INACTIVE)))) == 100000
    assert current_memory(str(qemu.call(path, DOMAIN, "GetXMLDesc", U(0)))) == 131072
    assert int(qemu.call(path, DOMAIN, "MemoryStats", U(0))[TAG_ACTUAL_BALLOON]) == 131072
    assert_dbus_error(qemu.call, path, DOMAIN, "SetMemory", dbus.UInt64(65536), U(AFFECT_LIVE | VCPU_MAXIMUM),
                      contains="cannot resize the maximum memory on an active domain")

    qemu.call(path, DOMAIN, "Destroy", U(0))
    # stopped: the definition itself changes; live changes are refused
    qemu.call(path, DOMAIN, "SetMemory", dbus.UInt64(120000), U(0))
    assert current_memory(config_file(home)) == 120000
    assert_dbus_error(qemu.call, path, DOMAIN, "SetMemory", dbus.UInt64(98304), U(AFFECT_LIVE),
                      contains="domain is not running")
    assert_dbus_error(qemu.call, path, DOMAIN, "MemoryStats", U(0), contains="domain is not running")

    other = define(qemu, tune_xml(guest, home, "tnb", balloon=False))
    qemu.call(other, DOMAIN, "Create", U(START_PAUSED))
    assert_dbus_error(qemu.call, other, DOMAIN, "SetMemory", dbus.UInt64(98304), U(AFFECT_LIVE),
                      contains="Requested operation is not valid: Unable to change memory of active domain "
                               "without the balloon device")
    assert set(int(k) for k in qemu.call(other, DOMAIN, "MemoryStats", U(0))) == {TAG_RSS}


def test_vcpu_hotplug_adds_a_cpu_thread(qemu, guest, home):
    path = define(qemu, tune_xml(guest, home))
    qemu.call(path, DOMAIN, "Create", U(0))
    wait_serial(home, "tg", "TEST-GUEST READY")
    pid = qemu_pid(home, "tg")
    assert int(qemu.call(path, DOMAIN, "GetVcpus", U(0))) == 1
    assert int(qemu.call(path, DOMAIN, "GetVcpus", U(VCPU_MAXIMUM))) == 2
    assert sorted(vcpu_threads(pid)) == [0]

    qemu.call(path, DOMAIN, "SetVcpus", U(2), U(AFFECT_LIVE))
    assert int(qemu.call(path, DOMAIN, "GetVcpus", U(0))) == 2
    assert int(qemu.call(path, DOMAIN, "GetVcpus", U(AFFECT_CONFIG))) == 1
    wait_for(lambda: sorted(vcpu_threads(pid)) == [0, 1], 10, "a thread for vCPU 1")
    assert "current='1'" in re.search(r"<vcpu[^>]*>", config_file(home)).group(0)
    assert int(stats(qemu, path, 8)["vcpu.current"]) == 2
    assert_dbus_error(qemu.call, path, DOMAIN, "SetVcpus", U(3), U(AFFECT_LIVE),
                      contains="requested vcpus is greater than max allowable vcpus for the live domain: 3 > 2")
    assert_dbus_error(qemu.call, path, DOMAIN, "SetVcpus", U(2), U(AFFECT_LIVE | VCPU_MAXIMUM),
                      contains="maximum vcpu count of a live domain can't be modified")

    # the guest's ACPI hot-plug driver gives the added vCPU back; the CPUs QEMU started with stay
    qemu.call(path, DOMAIN, "SetVcpus", U(1), U(AFFECT_LIVE))
    assert int(qemu.call(path, DOMAIN, "GetVcpus", U(0))) == 1
    wait_for(lambda: sorted(vcpu_threads(pid)) == [0], 30, "vCPU 1's thread to end")

    qemu.call(path, DOMAIN, "SetVcpus", U(2), U(AFFECT_CONFIG))
    assert int(qemu.call(path, DOMAIN, "GetVcpus", U(AFFECT_CONFIG))) == 2
    assert "current=" not in re.search(r"<vcpu[^>]*>", config_file(home)).group(0)


def test_vcpus_qemu_started_with_cannot_be_unplugged(qemu, guest, home):
    path = define(qemu, tune_xml(guest, home).replace("<vcpu current='1'>2</vcpu>", "<vcpu>2</vcpu>"))
    qemu.call(path, DOMAIN, "Create", U(START_PAUSED))
    assert_dbus_error(qemu.call, path, DOMAIN, "SetVcpus", U(1), U(AFFECT_LIVE),
                      contains="failed to find appropriate hotpluggable vcpus to reach the desired target vcpu count")
    assert int(qemu.call(path, DOMAIN, "GetVcpus", U(0))) == 2
    assert sorted(vcpu_threads(qemu_pid(home, "tg"))) == [0, 1]


def test_pin_vcpu_sets_the_thread_affinity(qemu, guest, home):
    ncpus = os.cpu_count()
    path = define(qemu, tune_xml(guest, home))
    qemu.call(path, DOMAIN, "Create", U(START_PAUSED))
    tid = vcpu_threads(qemu_pid(home, "tg"))[0]
    assert cpus_allowed(tid) == ("0-%d" % (ncpus - 1) if ncpus > 1 else "0")
    assert [list(m) for m in qemu.call(path, DOMAIN, "GetVcpuPinInfo", U(0))] == [[True] * ncpus] * 2

    only_first = [True] + [False] * (ncpus - 1)
    qemu.call(path, DOMAIN, "PinVcpu", U(0), only_first, U(AFFECT_LIVE))
    assert cpus_allowed(tid) == "0"
    pins = [list(m) for m in qemu.call(path, DOMAIN, "GetVcpuPinInfo", U(AFFECT_LIVE))]
    assert pins == [only_first, [True] * ncpus]
    assert "vcpupin" in str(qemu.call(path, DOMAIN, "GetXMLDesc", U(0)))
    assert "vcpupin" not in config_file(home)

    assert_dbus_error(qemu.call, path, DOMAIN, "PinVcpu", U(1), only_first, U(AFFECT_LIVE),
                      contains="vcpu 1 is out of range of live cpu count 1")
    assert_dbus_error(qemu.call, path, DOMAIN, "PinVcpu", U(0), [False] * ncpus, U(AFFECT_LIVE),
                      contains="Empty cpu list for pinning")
    qemu.call(path, DOMAIN, "PinVcpu", U(1), only_first, U(AFFECT_CONFIG))
    assert "<vcpupin vcpu='1' cpuset='0'/>" in config_file(home)
    assert [list(m) for m in qemu.call(path, DOMAIN, "GetVcpuPinInfo", U(AFFECT_CONFIG))][1] == only_first
    qemu.call(path, DOMAIN, "Destroy", U(0))
    assert_dbus_error(qemu.call, path, DOMAIN, "PinVcpu", U(0), only_first, U(AFFECT_LIVE),
                      contains="domain is not running")


def test_config_pins_apply_when_the_guest_starts(qemu, guest, home):
    ncpus = os.cpu_count()
    path = define(qemu, tune_xml(guest, home))
    last_only = [False] * (ncpus - 1) + [True]
    qemu.call(path, DOMAIN, "PinVcpu", U(0), last_only, U(AFFECT_CONFIG))
    assert "<vcpupin vcpu='0' cpuset='%d'/>" % (ncpus - 1) in config_file(home)
    qemu.call(path, DOMAIN, "Create", U(START_PAUSED))
    tid = vcpu_threads(qemu_pid(home, "tg"))[0]
    assert cpus_allowed(tid) == str(ncpus - 1)
    assert [list(m) for m in qemu.call(path, DOMAIN, "GetVcpuPinInfo", U(0))][0] == last_only


def emulator_threads(pid):
    """Every QEMU thread but the vCPUs."""
    vcpus = set(vcpu_threads(pid).values())
    return [int(t) for t in os.listdir("/proc/%d/task" % pid) if int(t) not in vcpus]


@pytest.mark.skipif(os.cpu_count() < 2, reason="pinning needs two host CPUs to be seen")
def test_pin_emulator_live_config_and_at_start(qemu, guest, home):
    ncpus = os.cpu_count()
    first, last = [True] + [False] * (ncpus - 1), [False] * (ncpus - 1) + [True]
    path = define(qemu, tune_xml(guest, home))
    qemu.call(path, DOMAIN, "Create", U(START_PAUSED))
    pid = qemu_pid(home, "tg")
    vcpu = vcpu_threads(pid)[0]

    qemu.call(path, DOMAIN, "PinEmulator", first, U(AFFECT_LIVE))
    assert {cpus_allowed(t) for t in emulator_threads(pid)} == {"0"}
    assert cpus_allowed(vcpu) != "0"                                       # the vCPU is not the emulator
    assert list(qemu.call(path, DOMAIN, "GetEmulatorPinInfo", U(AFFECT_LIVE))) == first
    assert "<emulatorpin cpuset='0'/>" in str(qemu.call(path, DOMAIN, "GetXMLDesc", U(0)))
    assert "emulatorpin" not in config_file(home)
    assert_dbus_error(qemu.call, path, DOMAIN, "PinEmulator", [False] * ncpus, U(AFFECT_LIVE),
                      contains="Empty cpu list for pinning")

    qemu.call(path, DOMAIN, "PinVcpu", U(0), first, U(AFFECT_CONFIG))
    qemu.call(path, DOMAIN, "PinEmulator", last, U(AFFECT_CONFIG))       # after the vcpupin, as libvirt writes it
    assert "<vcpupin vcpu='0' cpuset='0'/>\n    <emulatorpin cpuset='%d'/>" % (ncpus - 1) in config_file(home)
    assert list(qemu.call(path, DOMAIN, "GetEmulatorPinInfo", U(AFFECT_CONFIG))) == last
    qemu.call(path, DOMAIN, "Destroy", U(0))
    qemu.call(path, DOMAIN, "Create", U(START_PAUSED))
    pid = qemu_pid(home, "tg")
    assert {cpus_allowed(t) for t in emulator_threads(pid)} == {str(ncpus - 1)}
    assert cpus_allowed(vcpu_threads(pid)[0]) == "0"


def test_block_stats_of_a_disk(qemu, guest, home):
    image = os.path.join(home["root"], "disk.img")
    subprocess.run(["qemu-img", "create", "-f", "raw", image, "8M"], check=True, capture_output=True)
    # no kernel: the BIOS reads the boot sector of the disk (the test guest has no disk driver)
    xml = re.sub(r"<kernel>.*</cmdline>", "<boot dev='hd'/>", tune_xml(guest, home, disk=image))
    path = define(qemu, xml)
    qemu.call(path, DOMAIN, "Create", U(0))
    wait_for(lambda: int(stats(qemu, path, STATS_BLOCK).get("block.0.rd.reqs", 0)) > 0, 30,
             "the BIOS to read the boot sector")
    s = stats(qemu, path, STATS_BLOCK)
    assert s["block.count"] == 1 and s["block.0.name"] == "vda" and s["block.0.path"] == image
    assert int(s["block.0.rd.bytes"]) >= 512 and int(s["block.0.rd.bytes"]) % 512 == 0
    assert int(s["block.0.wr.reqs"]) == 0 and int(s["block.0.wr.bytes"]) == 0
    assert "block.0.fl.reqs" in s and "block.0.rd.times" in s
    qemu.call(path, DOMAIN, "Destroy", U(0))
    s = stats(qemu, path, STATS_BLOCK)
    assert "block.0.rd.reqs" not in s and s["block.0.name"] == "vda"


def test_send_key_and_nmi(qemu, guest, home):
    path = define(qemu, tune_xml(guest, home))
    qemu.call(path, DOMAIN, "Create", U(0))
    wait_serial(home, "tg", "TEST-GUEST READY")
    qemu.call(path, DOMAIN, "SendKey", U(KEYSET_LINUX), U(0), [U(42), U(30), U(103)], U(0))   # shift, a, up
    qemu.call(path, DOMAIN, "SendKey", U(KEYSET_XT), U(50), [U(0x1c)], U(0))
    assert_dbus_error(qemu.call, path, DOMAIN, "SendKey", U(KEYSET_LINUX), U(0), [U(0x2ff)], U(0),
                      contains="cannot translate keycode 767 of linux codeset to qnum keycode")
    assert_dbus_error(qemu.call, path, DOMAIN, "SendKey", U(KEYSET_LINUX), U(0), [U(1)] * 17, U(0),
                      contains="nkeycodes must be between 1 and 16")
    qemu.call(path, DOMAIN, "InjectNMI", U(0))
    wait_serial(home, "tg", "NMI", timeout=30)   # the guest kernel reports the unexpected NMI
    qemu.call(path, DOMAIN, "Destroy", U(0))
    assert_dbus_error(qemu.call, path, DOMAIN, "SendKey", U(KEYSET_LINUX), U(0), [U(28)], U(0),
                      contains="domain is not running")
    assert_dbus_error(qemu.call, path, DOMAIN, "InjectNMI", U(0), contains="domain is not running")


def test_interface_stats_of_a_tap(netns_qemu, guest, home):
    d = netns_qemu
    path = define(d, with_nic(tune_xml(guest, home, balloon=False), BRIDGED_NIC % "vbbr0"))
    d.call(path, DOMAIN, "Create", U(START_PAUSED))
    s = stats(d, path, STATS_INTERFACE)
    assert s["net.count"] == 1 and s["net.0.name"] == "vnet0"
    out = subprocess.run(["nsenter", "-t", str(d.proc.pid), "-n", "cat", "/proc/net/dev"], capture_output=True,
                         text=True, check=True).stdout
    host = [int(x) for x in re.search(r"^\s*vnet0:(.*)$", out, re.M).group(1).split()]
    host_tx_bytes, host_rx_packets = host[8], host[1]
    # a tap's counters are the host's: what it transmits, the guest receives
    assert int(s["net.0.rx.bytes"]) == host_tx_bytes
    assert int(s["net.0.tx.pkts"]) == host_rx_packets
    assert "net.0.rx.drop" in s and "net.0.tx.errs" in s
