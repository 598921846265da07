"""Real guests on qemu:///session: the test guest from ../shared/guest booted under TCG
(type='qemu'), and a KVM guest started, paused and destroyed (this machine's nested KVM
starts QEMU but does not finish booting a kernel). Every state change is checked three
ways: the reply, the DomainEvent signals, and the QEMU process itself."""
import os
import shutil
import signal
import subprocess
import tempfile
import time

import dbus
import pytest

from conftest import CONNECT, DOMAIN, assert_dbus_error

QEMU_PATH = "/org/libvirt/QEMU"
U = dbus.UInt32
RUNNING_BOOTED, RUNNING_UNPAUSED = (1, 1), (1, 5)
PAUSED_USER = (3, 1)
SHUTOFF_SHUTDOWN, SHUTOFF_DESTROYED, SHUTOFF_CRASHED = (5, 1), (5, 2), (5, 3)
STARTED_BOOTED, SUSPENDED_PAUSED, RESUMED_UNPAUSED = (2, 0), (3, 0), (4, 0)
STOPPED_SHUTDOWN, STOPPED_DESTROYED, STOPPED_FAILED = (5, 0), (5, 1), (5, 5)
BOOT_TIMEOUT = 90   # TCG on a loaded 2-core machine

pytestmark = pytest.mark.skipif(not shutil.which("qemu-system-x86_64"), reason="qemu-system-x86_64 is not installed")


@pytest.fixture(scope="module")
def guest():
    script = os.path.join(os.environ.get("VIRTBUS_SHARED", os.path.join(os.path.dirname(__file__), "..", "..", "..",
                                                                        "shared")), "guest", "build-test-guest.sh")
    out = subprocess.run(["bash", script], capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip("the test guest cannot be built here: %s" % out.stderr.strip()[-300:])
    env = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    env = {k.replace("export ", ""): v.strip("'\"") for k, v in env.items()}
    return {"vmlinux": env.get("TEST_GUEST_VMLINUX") or env["TEST_GUEST_KERNEL"], "initrd": env["TEST_GUEST_INITRD"]}


@pytest.fixture
def home():
    # short paths: the QMP socket lives under XDG_RUNTIME_DIR and unix socket paths are short
    root = tempfile.mkdtemp(prefix="vbq-", dir="/tmp")
    env = {}
    for var in ("XDG_CONFIG_HOME", "XDG_RUNTIME_DIR", "XDG_CACHE_HOME", "XDG_DATA_HOME", "HOME"):
        d = os.path.join(root, var.lower().replace("xdg_", "").replace("_home", "").replace("_dir", ""))
        os.makedirs(d, mode=0o700)
        env[var] = d
    env["root"] = root
    yield env
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def qemu(virtbusd_factory, home):
    d = virtbusd_factory(env={k: v for k, v in home.items() if k != "root"})
    yield d
    # no guest outlives its test
    for p in d.call(QEMU_PATH, CONNECT, "ListDomains", U(1)):   # active
        d.call(str(p), DOMAIN, "Destroy", U(0))


def guest_xml(guest, home, name="tg", virt="qemu", extra_os=""):
    return ("<domain type='%s'><name>%s</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>"
            "<os><type arch='x86_64' machine='pc'>hvm</type><kernel>%s</kernel><initrd>%s</initrd>"
            "<cmdline>console=ttyS0 quiet</cmdline>%s</os><features><acpi/></features>"
            "<devices><serial type='file'><source path='%s'/><target port='0'/></serial>"
            "<controller type='usb' model='none'/><memballoon model='none'/></devices></domain>"
            % (virt, name, guest["vmlinux"], guest["initrd"], extra_os, serial_log(home, name)))


def serial_log(home, name):
    return os.path.join(home["root"], name + ".serial")


def state(d, path):
    return tuple(int(x) for x in d.call(path, DOMAIN, "GetState", U(0)))


def qemu_pid(home, name):
    with open(os.path.join(home["XDG_RUNTIME_DIR"], "virtbus", "qemu", name + ".pid")) as f:
        return int(f.read().strip())


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purposes, but our daemon reaps its children anyway
    with open("/proc/%d/stat" % pid) as f:
        return f.read().split(")")[1].split()[0] != "Z"


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.1)
    raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))


def wait_serial(home, name, text, timeout=BOOT_TIMEOUT):
    path = serial_log(home, name)
    wait_for(lambda: os.path.exists(path) and text in open(path, errors="replace").read(), timeout,
             "%r on the serial console" % text)


def define(d, xml):
    return str(d.call(QEMU_PATH, CONNECT, "DomainDefineXML", xml))


def test_boot_pause_resume_destroy(qemu, guest, home):
    path = define(qemu, guest_xml(guest, home))
    events = qemu.recorder(interface=CONNECT, member="DomainEvent", path=QEMU_PATH)
    qemu.call(path, DOMAIN, "Create", U(0))
    assert state(qemu, path) == RUNNING_BOOTED
    assert int(qemu.get(path, DOMAIN, "Id")) > 0
    pid = qemu_pid(home, "tg")
    assert alive(pid)
    wait_serial(home, "tg", "TEST-GUEST READY")

    qemu.call(path, DOMAIN, "Suspend")
    assert state(qemu, path) == PAUSED_USER
    qemu.call(path, DOMAIN, "Resume")
    assert state(qemu, path) == RUNNING_UNPAUSED
    qemu.call(path, DOMAIN, "Destroy", U(0))
    assert state(qemu, path) == SHUTOFF_DESTROYED
    assert int(qemu.get(path, DOMAIN, "Id")) == -1 & 0xffffffff
    assert not alive(pid)
    events.wait(4)
    events.settle(0.2)
    assert events.events() == [(path,) + e for e in (STARTED_BOOTED, SUSPENDED_PAUSED, RESUMED_UNPAUSED,
                                                     STOPPED_DESTROYED)]


def test_acpi_shutdown_ends_qemu(qemu, guest, home):
    path = define(qemu, guest_xml(guest, home))
    qemu.call(path, DOMAIN, "Create", U(0))
    pid = qemu_pid(home, "tg")
    wait_serial(home, "tg", "TEST-GUEST READY")
    events = qemu.recorder(interface=CONNECT, member="DomainEvent", path=QEMU_PATH)
    qemu.call(path, DOMAIN, "Shutdown", U(0))
    events.wait(1, pred=lambda s: tuple(int(x) for x in s[3][1:]) == STOPPED_SHUTDOWN, timeout=60)
    assert state(qemu, path) == SHUTOFF_SHUTDOWN
    assert "TEST-GUEST POWEROFF acpi-button" in open(serial_log(home, "tg")).read()
    assert not alive(pid)


def test_start_paused(qemu, guest, home):
    path = define(qemu, guest_xml(guest, home))
    events = qemu.recorder(interface=CONNECT, member="DomainEvent", path=QEMU_PATH)
    qemu.call(path, DOMAIN, "Create", U(1))   # VIR_DOMAIN_START_PAUSED
    assert state(qemu, path) == PAUSED_USER
    events.wait(2)
    assert events.events() == [(path,) + STARTED_BOOTED, (path,) + SUSPENDED_PAUSED]
    assert not os.path.exists(serial_log(home, "tg")) or "READY" not in open(serial_log(home, "tg")).read()
    qemu.call(path, DOMAIN, "Resume")
    wait_serial(home, "tg", "TEST-GUEST READY")


def test_create_xml_is_transient(qemu, guest, home):
    path = str(qemu.call(QEMU_PATH, CONNECT, "DomainCreateXML", guest_xml(guest, home, "tr"), U(0)))
    assert state(qemu, path) == RUNNING_BOOTED
    assert qemu.get(path, DOMAIN, "Persistent") == False  # noqa: E712
    assert not os.path.exists(os.path.join(home["XDG_CONFIG_HOME"], "virtbus", "qemu", "tr.xml"))
    qemu.call(path, DOMAIN, "Destroy", U(0))
    assert path not in [str(p) for p in qemu.call(QEMU_PATH, CONNECT, "ListDomains", U(0))]


def test_second_start_and_stopping_a_stopped_guest_are_refused(qemu, guest, home):
    path = define(qemu, guest_xml(guest, home))
    assert_dbus_error(qemu.call, path, DOMAIN, "Destroy", U(0), contains="domain is not running")
    qemu.call(path, DOMAIN, "Create", U(1))
    assert_dbus_error(qemu.call, path, DOMAIN, "Create", U(0), contains="domain is already running")
    qemu.call(path, DOMAIN, "Resume")
    assert_dbus_error(qemu.call, path, DOMAIN, "Resume", contains="domain is not paused")
    qemu.call(path, DOMAIN, "Destroy", U(0))


def test_failed_start_leaves_nothing(qemu, guest, home):
    bad = dict(guest, vmlinux=os.path.join(home["root"], "no-such-kernel"))
    path = define(qemu, guest_xml(bad, home))
    events = qemu.recorder(interface=CONNECT, member="DomainEvent", path=QEMU_PATH)
    assert_dbus_error(qemu.call, path, DOMAIN, "Create", U(0), contains="no-such-kernel")
    assert state(qemu, path)[0] == 5
    assert int(qemu.get(path, DOMAIN, "Id")) == -1 & 0xffffffff
    assert not os.path.exists(os.path.join(home["XDG_RUNTIME_DIR"], "virtbus", "qemu", "tg.pid"))
    out = subprocess.run(["pgrep", "-f", "no-such-kernel"], capture_output=True, text=True)
    assert out.stdout.strip() == ""
    events.settle(0.3)
    assert events.events() == []


def test_qemu_killed_from_outside_is_a_crash(qemu, guest, home):
    path = define(qemu, guest_xml(guest, home))
    qemu.call(path, DOMAIN, "Create", U(1))
    events = qemu.recorder(interface=CONNECT, member="DomainEvent", path=QEMU_PATH)
    os.kill(qemu_pid(home, "tg"), signal.SIGKILL)
    events.wait(1, timeout=10)
    assert events.events() == [(path,) + STOPPED_FAILED]
    assert state(qemu, path) == SHUTOFF_CRASHED


@pytest.mark.skipif(not os.access("/dev/kvm", os.R_OK | os.W_OK), reason="no usable /dev/kvm")
def test_kvm_guest_starts_pauses_and_is_destroyed(qemu, guest, home):
    path = define(qemu, guest_xml(guest, home, "kv", virt="kvm"))
    qemu.call(path, DOMAIN, "Create", U(0))
    assert state(qemu, path) == RUNNING_BOOTED
    pid = qemu_pid(home, "kv")
    with open("/proc/%d/cmdline" % pid) as f:
        assert "accel=kvm" in f.read().replace("\0", " ")
    qemu.call(path, DOMAIN, "Suspend")
    assert state(qemu, path) == PAUSED_USER
    qemu.call(path, DOMAIN, "Resume")
    assert state(qemu, path) == RUNNING_UNPAUSED
    qemu.call(path, DOMAIN, "Destroy", U(0))
    assert not alive(pid)


# ---- a daemon restart loses no guest

def test_guest_survives_a_daemon_restart(virtbusd_factory, guest, home):
    env = {k: v for k, v in home.items() if k != "root"}
    d = virtbusd_factory(env=env)
    path = define(d, guest_xml(guest, home))
    d.call(path, DOMAIN, "Create", U(1))
    pid = qemu_pid(home, "tg")
    dom_id = int(d.get(path, DOMAIN, "Id"))
    assert d.stop() == 0
    assert alive(pid), "QEMU must outlive the daemon"

    d2 = virtbusd_factory(env=env)
    try:
        assert state(d2, path) == PAUSED_USER
        assert int(d2.get(path, DOMAIN, "Id")) == dom_id
        assert d2.get(path, DOMAIN, "Persistent") == True  # noqa: E712
        d2.call(path, DOMAIN, "Resume")             # the monitor is ours again
        assert state(d2, path) == RUNNING_UNPAUSED
        wait_serial(home, "tg", "TEST-GUEST READY")
        new = str(d2.call(QEMU_PATH, CONNECT, "DomainDefineXML", guest_xml(guest, home).replace(
            "<vcpu>1</vcpu>", "<uuid>%s</uuid><vcpu>1</vcpu>" % d2.get(path, DOMAIN, "UUID"))))
        assert new == path
    finally:
        d2.call(path, DOMAIN, "Destroy", U(0))
    assert state(d2, path) == SHUTOFF_DESTROYED
    assert not alive(pid)


def test_guest_that_died_meanwhile_is_crashed(virtbusd_factory, guest, home):
    env = {k: v for k, v in home.items() if k != "root"}
    d = virtbusd_factory(env=env)
    path = define(d, guest_xml(guest, home))
    d.call(path, DOMAIN, "Create", U(1))
    pid = qemu_pid(home, "tg")
    assert d.stop() == 0
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not os.path.exists("/proc/%d" % pid) or not alive(pid), 10, "QEMU to die")

    d2 = virtbusd_factory(env=env)
    wait_for(lambda: state(d2, path) == SHUTOFF_CRASHED, 10, "the domain to be marked crashed")
    assert d2.get(path, DOMAIN, "Active") == False  # noqa: E712
    status = os.path.join(home["XDG_RUNTIME_DIR"], "virtbus", "qemu", "tg.xml")
    assert not os.path.exists(status)


def test_reboot_resets_and_continues_the_guest(qemu, guest, home):
    path = define(qemu, guest_xml(guest, home))
    qemu.call(path, DOMAIN, "Create", U(0))
    pid = qemu_pid(home, "tg")
    wait_serial(home, "tg", "TEST-GUEST READY")
    reboots = qemu.recorder(interface=DOMAIN, member="Reboot", path=path)
    events = qemu.recorder(interface=CONNECT, member="DomainEvent", path=QEMU_PATH)
    qemu.call(path, DOMAIN, "Reboot", U(0))
    reboots.wait(1, timeout=60)
    wait_for(lambda: open(serial_log(home, "tg")).read().count("TEST-GUEST READY") == 2, BOOT_TIMEOUT,
             "the guest to come up again")
    assert "TEST-GUEST POWEROFF acpi-button" in open(serial_log(home, "tg")).read()
    assert state(qemu, path) == RUNNING_BOOTED
    assert qemu_pid(home, "tg") == pid                       # the same QEMU, reset
    events.settle(0.2)
    assert [e for e in events.events() if e[1] in (3, 4, 5)] == []   # no pause, resume or stop


def test_cpu_time_of_a_running_guest(qemu, guest, home):
    path = define(qemu, guest_xml(guest, home))
    qemu.call(path, DOMAIN, "Create", U(0))
    wait_serial(home, "tg", "TEST-GUEST READY")
    stats = qemu.call(path, DOMAIN, "GetStats", U(2), U(0))     # VIR_DOMAIN_STATS_CPU_TOTAL
    with open("/proc/%d/stat" % qemu_pid(home, "tg")) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks_ns = 10 ** 9 // os.sysconf("SC_CLK_TCK")
    # booting under TCG costs seconds of CPU; the figure is QEMU's own utime + stime
    assert int(stats["cpu.time"]) >= 100 * 10 ** 6
    assert int(stats["cpu.time"]) <= (int(fields[11]) + int(fields[12])) * ticks_ns


def test_autostart_runs_once_per_boot(virtbusd_factory, guest, home):
    env = {k: v for k, v in home.items() if k != "root"}
    d = virtbusd_factory(env=env)
    path = define(d, guest_xml(guest, home))
    d.set(path, DOMAIN, "Autostart", True)
    assert d.stop() == 0
    # a new host boot: the runtime directory is empty again
    shutil.rmtree(os.path.join(home["XDG_RUNTIME_DIR"], "virtbus"))

    d2 = virtbusd_factory(env=env)
    wait_for(lambda: state(d2, path) == RUNNING_BOOTED, 30, "the autostart domain to run")
    d2.call(path, DOMAIN, "Destroy", U(0))
    assert d2.stop() == 0

    d3 = virtbusd_factory(env=env)                  # same boot: no second autostart
    time.sleep(1)
    assert state(d3, path)[0] == 5
    assert d3.get(path, DOMAIN, "Active") == False  # noqa: E712


# ---- bridged interfaces: a tap opened by the daemon, in a private network namespace

BRIDGED_NIC = ("<interface type='bridge'><mac address='52:54:00:12:34:56'/><source bridge='%s'/>"
               "<model type='virtio'/></interface>")


@pytest.fixture
def netns_qemu(virtbusd_factory, home, monkeypatch, tmp_path):
    """virtbusd in its own network namespace that holds a bridge vbbr0."""
    if not shutil.which("unshare") or subprocess.run(["unshare", "-n", "true"]).returncode != 0:
        pytest.skip("cannot create a network namespace here")
    from conftest import virtbusd_binary
    wrapper = tmp_path / "virtbusd-in-netns"
    wrapper.write_text("#!/bin/sh\nexec unshare -n sh -c 'ip link add vbbr0 type bridge && ip link set vbbr0 up && "
                       "exec \"$0\" \"$@\"' %s \"$@\"\n" % virtbusd_binary())
    wrapper.chmod(0o755)
    monkeypatch.setenv("VIRTBUSD", str(wrapper))
    d = virtbusd_factory(env={k: v for k, v in home.items() if k != "root"})
    yield d
    for p in d.call(QEMU_PATH, CONNECT, "ListDomains", U(1)):
        d.call(str(p), DOMAIN, "Destroy", U(0))


def links_in(d):
    import json
    out = subprocess.run(["nsenter", "-t", str(d.proc.pid), "-n", "ip", "-j", "-d", "link", "show"],
                         capture_output=True, text=True, check=True)
    return {link["ifname"]: link for link in json.loads(out.stdout)}


def with_nic(xml, nic):
    return xml.replace("<memballoon model='none'/>", "<memballoon model='none'/>" + nic)


def test_bridge_interface_gets_a_tap_on_the_bridge(netns_qemu, guest, home):
    d = netns_qemu
    path = define(d, with_nic(guest_xml(guest, home), BRIDGED_NIC % "vbbr0"))
    d.call(path, DOMAIN, "Create", U(1))
    links = links_in(d)
    assert "vnet0" in links, links.keys()
    tap = links["vnet0"]
    assert tap["address"] == "fe:54:00:12:34:56"
    assert tap.get("master") == "vbbr0"
    assert "UP" in tap["flags"]
    live = str(d.call(path, DOMAIN, "GetXMLDesc", U(0)))
    assert "<target dev='vnet0'/>" in live
    assert "vnet0" not in str(d.call(path, DOMAIN, "GetXMLDesc", U(2)))   # VIR_DOMAIN_XML_INACTIVE
    with open("/proc/%d/cmdline" % qemu_pid(home, "tg")) as f:
        assert "tap,fd=" in f.read().replace("\0", " ")
    d.call(path, DOMAIN, "Destroy", U(0))
    assert "vnet0" not in links_in(d)
    assert "vnet0" not in str(d.call(path, DOMAIN, "GetXMLDesc", U(0)))


def test_missing_bridge_or_network_refuses_to_start(netns_qemu, guest, home):
    d = netns_qemu
    path = define(d, with_nic(guest_xml(guest, home), BRIDGED_NIC % "nosuchbr"))
    assert_dbus_error(d.call, path, DOMAIN, "Create", U(0), contains="Cannot get interface MTU on 'nosuchbr'")
    assert state(d, path)[0] == 5
    assert [n for n in links_in(d) if n.startswith("vnet")] == []
    other = define(d, with_nic(guest_xml(guest, home, "tn"), "<interface type='network'><source network='default'/>"
                                                             "</interface>"))
    assert_dbus_error(d.call, other, DOMAIN, "Create", U(0), contains="no network with matching name 'default'")
    assert subprocess.run(["pgrep", "-f", "guest=tn"], capture_output=True).stdout == b""


# ---- save, restore, managed save: QEMU's migration to and from a file

SHUTOFF_SAVED, RUNNING_RESTORED = (5, 5), (1, 3)
STOPPED_SAVED, STARTED_RESTORED = (5, 4), (2, 2)


def no_new_boot(home, name, seconds=6):
    """A restored guest continues: it does not boot again (a boot prints TEST-GUEST lines in ~3 s)."""
    time.sleep(seconds)
    log = serial_log(home, name)
    return not os.path.exists(log) or "TEST-GUEST" not in open(log, errors="replace").read()


def test_save_and_restore(qemu, guest, home):
    path = define(qemu, guest_xml(guest, home))
    qemu.call(path, DOMAIN, "Create", U(0))
    wait_serial(home, "tg", "TEST-GUEST READY")
    pid = qemu_pid(home, "tg")
    image = os.path.join(home["root"], "tg.save")
    events = qemu.recorder(interface=CONNECT, member="DomainEvent", path=QEMU_PATH)
    qemu.call(path, DOMAIN, "Save", image, "", U(0))
    assert state(qemu, path) == SHUTOFF_SAVED
    assert not alive(pid)
    with open(image, "rb") as f:
        assert f.read(16) == b"VirtbusQemuSave\0"
    assert "<name>tg</name>" in str(qemu.call(QEMU_PATH, CONNECT, "DomainSaveImageGetXMLDesc", image, U(0)))

    qemu.call(QEMU_PATH, CONNECT, "DomainRestore", image, "", U(0))
    assert state(qemu, path) == RUNNING_RESTORED
    events.wait(3)
    got = [e[1:] for e in events.events()]
    assert got[-2:] == [STOPPED_SAVED, STARTED_RESTORED], got
    assert no_new_boot(home, "tg")
    assert state(qemu, path) == RUNNING_RESTORED


def test_managed_save_then_create_continues(qemu, guest, home):
    path = define(qemu, guest_xml(guest, home))
    qemu.call(path, DOMAIN, "Create", U(0))
    wait_serial(home, "tg", "TEST-GUEST READY")
    qemu.call(path, DOMAIN, "ManagedSave", U(0))
    assert state(qemu, path) == SHUTOFF_SAVED
    assert bool(qemu.call(path, DOMAIN, "HasManagedSaveImage", U(0)))
    image = os.path.join(home["XDG_DATA_HOME"], "virtbus", "qemu", "save", "tg.save")
    assert os.path.exists(image)
    qemu.call(path, DOMAIN, "Create", U(0))
    assert state(qemu, path) == RUNNING_RESTORED
    assert not bool(qemu.call(path, DOMAIN, "HasManagedSaveImage", U(0)))
    assert not os.path.exists(image)
    assert no_new_boot(home, "tg")


def test_managed_save_remove_and_force_boot(qemu, guest, home):
    path = define(qemu, guest_xml(guest, home))
    qemu.call(path, DOMAIN, "Create", U(1))
    qemu.call(path, DOMAIN, "ManagedSave", U(0))
    qemu.call(path, DOMAIN, "Create", U(8))              # VIR_DOMAIN_START_FORCE_BOOT: a fresh boot
    assert state(qemu, path) == RUNNING_BOOTED
    assert not bool(qemu.call(path, DOMAIN, "HasManagedSaveImage", U(0)))
    qemu.call(path, DOMAIN, "ManagedSave", U(0))
    qemu.call(path, DOMAIN, "ManagedSaveRemove", U(0))
    assert not bool(qemu.call(path, DOMAIN, "HasManagedSaveImage", U(0)))
    qemu.call(path, DOMAIN, "Create", U(1))
    assert state(qemu, path) == PAUSED_USER


def test_save_errors_change_nothing(qemu, guest, home):
    path = define(qemu, guest_xml(guest, home))
    image = os.path.join(home["root"], "x.save")
    assert_dbus_error(qemu.call, path, DOMAIN, "Save", image, "", U(0), contains="domain is not running")
    assert not os.path.exists(image)
    with open(image, "wb") as f:
        f.write(b"not a saved domain" * 100)
    before = qemu.call(QEMU_PATH, CONNECT, "ListDomains", U(0))
    assert_dbus_error(qemu.call, QEMU_PATH, CONNECT, "DomainRestore", image, "", U(0),
                      contains="image magic is incorrect")
    assert qemu.call(QEMU_PATH, CONNECT, "ListDomains", U(0)) == before
    qemu.call(path, DOMAIN, "Create", U(1))
    assert_dbus_error(qemu.call, path, DOMAIN, "Save", image, "", U(6), contains="mutually exclusive")
    assert state(qemu, path) == PAUSED_USER


# ---- several guests at once

def start_async(d, path, results):
    """Create @path without waiting; the reply (or error) lands in @results[path]."""
    def reply():
        results[path] = "ok"

    def error(e):
        results[path] = e
    d.proxy(path, DOMAIN).Create(U(1), reply_handler=reply, error_handler=error, timeout=120)


def test_four_guests_start_concurrently(qemu, guest, home):
    paths = [define(qemu, guest_xml(guest, home, "c%d" % i)) for i in range(4)]
    results = {}
    for p in paths:
        start_async(qemu, p, results)
    wait_for(lambda: (qemu.recorder(interface=DOMAIN).pump(0.05) or True) and len(results) == 4, 60,
             "four replies")
    assert results == {p: "ok" for p in paths}
    pids = {qemu_pid(home, "c%d" % i) for i in range(4)}
    assert len(pids) == 4 and all(alive(pid) for pid in pids)
    ids = {int(qemu.get(p, DOMAIN, "Id")) for p in paths}
    assert len(ids) == 4
    for p in paths:
        qemu.call(p, DOMAIN, "Destroy", U(0))
    assert not any(alive(pid) for pid in pids)


def test_two_guests_reattached_after_a_restart(virtbusd_factory, guest, home):
    env = {k: v for k, v in home.items() if k != "root"}
    d = virtbusd_factory(env=env)
    a = define(d, guest_xml(guest, home, "ra"))
    b = define(d, guest_xml(guest, home, "rb"))
    d.call(a, DOMAIN, "Create", U(0))
    d.call(b, DOMAIN, "Create", U(1))
    pids = [qemu_pid(home, "ra"), qemu_pid(home, "rb")]
    assert d.stop() == 0

    d2 = virtbusd_factory(env=env)
    try:
        assert state(d2, a) == RUNNING_BOOTED
        assert state(d2, b) == PAUSED_USER
        d2.call(a, DOMAIN, "Suspend")
        d2.call(b, DOMAIN, "Resume")
        assert state(d2, a) == PAUSED_USER
        assert state(d2, b) == RUNNING_UNPAUSED
    finally:
        d2.call(a, DOMAIN, "Destroy", U(0))
        d2.call(b, DOMAIN, "Destroy", U(0))
    assert not any(alive(pid) for pid in pids)


def test_calls_on_one_domain_wait_for_each_other(qemu, guest, home):
    """A second client's call while a start is still running waits for it, as libvirt's job
    lock makes it wait, instead of failing."""
    path = define(qemu, guest_xml(guest, home))
    results = {}
    proxy = qemu.proxy(path, DOMAIN)
    order = []

    def done(name):
        def reply(*_):
            order.append(name)
            results[name] = "ok"

        def error(e):
            order.append(name)
            results[name] = e
        return reply, error
    for name, call, args in (("create", proxy.Create, (U(1),)), ("resume", proxy.Resume, ()),
                             ("suspend", proxy.Suspend, ()), ("destroy", proxy.Destroy, (U(0),))):
        reply, error = done(name)
        call(*args, reply_handler=reply, error_handler=error, timeout=120)
    wait_for(lambda: (qemu.recorder(interface=DOMAIN).pump(0.05) or True) and len(results) == 4, 60, "four replies")
    assert results == {"create": "ok", "resume": "ok", "suspend": "ok", "destroy": "ok"}, results
    assert order == ["create", "resume", "suspend", "destroy"]
    assert state(qemu, path) == SHUTOFF_DESTROYED


def test_volume_disk_runs_the_volume_file(qemu, guest, home):
    pool = str(qemu.call(QEMU_PATH, CONNECT, "StoragePoolLookupByName", "default"))
    vol = str(qemu.call(pool, "org.libvirt.StoragePool", "StorageVolCreateXML",
                        "<volume><name>v.img</name><capacity unit='MiB'>8</capacity></volume>", U(0)))
    vol_path = str(qemu.get(vol, "org.libvirt.StorageVol", "Path"))
    disk = ("<disk type='volume' device='disk'><driver name='qemu' type='raw'/>"
            "<source pool='default' volume='%s'/><target dev='vda' bus='virtio'/></disk>")
    path = define(qemu, guest_xml(guest, home).replace("<memballoon model='none'/>",
                                                       "<memballoon model='none'/>" + disk % "v.img"))
    qemu.call(path, DOMAIN, "Create", U(1))
    with open("/proc/%d/cmdline" % qemu_pid(home, "tg")) as f:
        assert vol_path in f.read()
    live = str(qemu.call(path, DOMAIN, "GetXMLDesc", U(0)))
    assert "type='volume'" in live and "volume='v.img'" in live
    qemu.call(path, DOMAIN, "Destroy", U(0))

    missing = define(qemu, guest_xml(guest, home, "nv").replace(
        "<memballoon model='none'/>", "<memballoon model='none'/>" + disk % "nope.img"))
    assert_dbus_error(qemu.call, missing, DOMAIN, "Create", U(1), contains="Storage volume not found")
    assert state(qemu, missing)[0] == 5


def test_a_volume_a_running_guest_uses_is_not_deleted(qemu, guest, home):
    pool = str(qemu.call(QEMU_PATH, CONNECT, "StoragePoolLookupByName", "default"))
    vol = str(qemu.call(pool, "org.libvirt.StoragePool", "StorageVolCreateXML",
                        "<volume><name>busy.img</name><capacity unit='MiB'>8</capacity></volume>", U(0)))
    vol_path = str(qemu.get(vol, "org.libvirt.StorageVol", "Path"))
    disk = ("<disk type='volume' device='disk'><driver name='qemu' type='raw'/>"
            "<source pool='default' volume='busy.img'/><target dev='vda' bus='virtio'/></disk>")
    path = define(qemu, guest_xml(guest, home).replace("<memballoon model='none'/>",
                                                       "<memballoon model='none'/>" + disk))
    qemu.call(path, DOMAIN, "Create", U(1))
    assert_dbus_error(qemu.call, vol, "org.libvirt.StorageVol", "Delete", U(0),
                      contains="storage volume 'busy.img' is in use by running domain 'tg'")
    assert os.path.exists(vol_path)
    qemu.call(path, DOMAIN, "Destroy", U(0))
    qemu.call(vol, "org.libvirt.StorageVol", "Delete", U(0))
    assert not os.path.exists(vol_path)


# ---- QEMU as an unprivileged user (qemu.conf)

@pytest.mark.skipif(os.geteuid() != 0, reason="changing QEMU's user needs root")
def test_qemu_runs_as_the_configured_user_and_files_are_given_back(virtbusd_factory, guest, home):
    import pwd
    nobody = pwd.getpwnam("nobody")
    os.chmod(home["root"], 0o755)
    files = os.path.join(home["root"], "guest")
    os.makedirs(files, mode=0o755)
    copy = dict(vmlinux=shutil.copy(guest["vmlinux"], files), initrd=shutil.copy(guest["initrd"], files))
    conf_dir = os.path.join(home["XDG_CONFIG_HOME"], "virtbus")
    os.makedirs(conf_dir, exist_ok=True)
    with open(os.path.join(conf_dir, "qemu.conf"), "w") as f:
        f.write("[qemu]\nuser=nobody\ngroup=%s\n" % __import__("grp").getgrgid(nobody.pw_gid).gr_name)
    d = virtbusd_factory(env={k: v for k, v in home.items() if k != "root"})
    path = define(d, guest_xml(copy, home))
    d.call(path, DOMAIN, "Create", U(0))
    pid = qemu_pid(home, "tg")
    with open("/proc/%d/status" % pid) as f:
        uids = [line.split()[1:] for line in f if line.startswith("Uid:")][0]
    assert uids == [str(nobody.pw_uid)] * 4
    assert os.stat(copy["vmlinux"]).st_uid == nobody.pw_uid
    assert os.stat(serial_log(home, "tg")).st_uid == nobody.pw_uid
    wait_serial(home, "tg", "TEST-GUEST READY")
    # a daemon restart in between: the new daemon learns from the status file what to give back
    assert d.stop() == 0
    d = virtbusd_factory(env={k: v for k, v in home.items() if k != "root"})
    assert os.stat(copy["vmlinux"]).st_uid == nobody.pw_uid
    d.call(path, DOMAIN, "Destroy", U(0))
    assert os.stat(copy["vmlinux"]).st_uid == 0 and os.stat(copy["initrd"]).st_uid == 0
    assert os.stat(serial_log(home, "tg")).st_uid == 0
    with open(os.path.join(conf_dir, "qemu.conf"), "w") as f:
        f.write("[qemu]\nuser=no-such-user-here\n")
    d.stop()
    bad = virtbusd_factory(env={k: v for k, v in home.items() if k != "root"})
    assert "QEMU user 'no-such-user-here' does not exist" in bad.stderr()


def test_attach_to_a_running_guest_changes_only_the_config(qemu, guest, home):
    disk = ("<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/var/tmp/x.img'/>"
            "<target dev='vdb' bus='virtio'/></disk>")
    path = define(qemu, guest_xml(guest, home))
    qemu.call(path, DOMAIN, "Create", U(1))
    config = os.path.join(home["XDG_CONFIG_HOME"], "virtbus", "qemu", "tg.xml")
    assert "vdb" not in open(config).read()
    qemu.call(path, DOMAIN, "AttachDevice", disk, U(2))                  # AFFECT_CONFIG
    assert "vdb" in open(config).read()
    assert "vdb" not in str(qemu.call(path, DOMAIN, "GetXMLDesc", U(0)))    # the live guest is unchanged
    assert "vdb" in str(qemu.call(path, DOMAIN, "GetXMLDesc", U(2)))        # INACTIVE: the next start
    qemu.call(path, DOMAIN, "Destroy", U(0))
    assert "vdb" in str(qemu.call(path, DOMAIN, "GetXMLDesc", U(0)))


def cpu_flags():
    with open("/proc/cpuinfo") as f:
        return set(next(line for line in f if line.startswith("flags")).split(":")[1].split())


@pytest.mark.skipif(not os.access("/dev/kvm", os.R_OK | os.W_OK), reason="no usable /dev/kvm")
def test_kvm_guest_cpu_is_checked_against_the_host_before_start(qemu, guest, home):
    flags = cpu_flags()
    absent = next((f for f in ("la57", "avx512_vp2intersect", "amx_tile") if f not in flags), None)
    if absent is None or "sse2" not in flags:
        pytest.skip("no CPU feature this host lacks among the candidates")

    def cpu_guest(name, features):
        cpu = "<cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model>%s</cpu>" % "".join(
            "<feature policy='%s' name='%s'/>" % f for f in features)
        return define(qemu, guest_xml(guest, home, name, virt="kvm").replace("<os>", cpu + "<os>"))

    missing = cpu_guest("cr", [("require", absent.replace("_", "-"))])
    assert_dbus_error(qemu.call, missing, DOMAIN, "Create", U(1), contains="incompatible with host CPU")
    forbidden = cpu_guest("cf", [("forbid", "sse2")])
    assert_dbus_error(qemu.call, forbidden, DOMAIN, "Create", U(1), contains="incompatible with host CPU")
    assert state(qemu, missing)[0] == 5 and state(qemu, forbidden)[0] == 5
    fine = cpu_guest("ck", [("require", "sse2")])
    qemu.call(fine, DOMAIN, "Create", U(1))
    assert state(qemu, fine) == PAUSED_USER


# ---- the guest sees its disks (the shared guest extended with virtio_blk: guest_plus.py)

def test_the_guest_sees_a_qcow2_volume_of_the_pool(qemu, guest, home):
    import guest_plus
    plus = dict(guest, initrd=guest_plus.extended_initrd(guest, home["root"]))
    pool = str(qemu.call(QEMU_PATH, CONNECT, "StoragePoolLookupByName", "default"))
    qemu.call(pool, "org.libvirt.StoragePool", "StorageVolCreateXML",
              "<volume><name>data.qcow2</name><capacity unit='MiB'>64</capacity>"
              "<target><format type='qcow2'/></target></volume>", U(0))
    disk = ("<disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>"
            "<source pool='default' volume='data.qcow2'/><target dev='vda' bus='virtio'/></disk>")
    path = define(qemu, guest_xml(plus, home).replace("<memballoon model='none'/>",
                                                      "<memballoon model='none'/>" + disk))
    qemu.call(path, DOMAIN, "Create", U(0))
    wait_serial(home, "tg", "TEST-GUEST PARTITIONS")
    line = [x for x in open(serial_log(home, "tg"), errors="replace").read().splitlines()
            if "TEST-GUEST PARTITIONS" in x][0]
    assert "vda" in line.split()[-1].split(","), line
