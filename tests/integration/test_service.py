"""The daemon as a process: bus ownership, signals, failures, introspectable tree."""

import os
import re
import shutil
import signal
import subprocess
import xml.etree.ElementTree as ET

import dbus
import pytest

from conftest import BUS_NAME, CONNECT, TEST_PATH, virtbusd_binary


def test_name_owned(virtbusd):
    assert virtbusd.bus.name_has_owner(BUS_NAME)
    # the connection object answers
    ver = virtbusd.get(TEST_PATH, CONNECT, "LibVersion")
    assert isinstance(ver, dbus.UInt64)
    assert int(ver) > 0
    assert virtbusd.proc.poll() is None


def test_bus_name_option(virtbusd_factory):
    d = virtbusd_factory(args=["--bus-name", "org.example.Other"], bus_name="org.example.Other")
    assert d.bus.name_has_owner("org.example.Other")
    assert not d.bus.name_has_owner(BUS_NAME)
    # the other name serves the same objects
    obj = d.bus.get_object("org.example.Other", TEST_PATH)
    doms = obj.ListDomains(dbus.UInt32(0), dbus_interface=CONNECT)
    assert len(doms) == 1


def test_second_daemon_same_name_fails(virtbusd, virtbusd_factory):
    second = virtbusd_factory(wait=False)
    rc = second.wait_exit(10)
    assert rc is not None, "second daemon did not exit; stderr:\n" + second.stderr()
    assert rc != 0
    err = second.stderr()
    assert BUS_NAME in err, err
    assert re.search(r"taken|already (owned|in use)|has an owner|exists", err, re.I), err
    # the first one still serves
    assert virtbusd.proc.poll() is None
    assert virtbusd.bus.name_has_owner(BUS_NAME)
    assert len(virtbusd.list_domains()) == 1


def test_sigint_exits_zero(virtbusd_factory):
    d = virtbusd_factory()
    rc = d.stop(signal.SIGINT, 5.0)
    assert rc == 0, "exit code %r after SIGINT; stderr:\n%s" % (rc, d.stderr())


def test_sigterm_exits_zero_and_releases_name(virtbusd_factory, private_bus):
    d = virtbusd_factory()
    watcher = dbus.bus.BusConnection(private_bus.address)
    try:
        rc = d.stop(signal.SIGTERM, 5.0)
        assert rc == 0, d.stderr()
        assert not watcher.name_has_owner(BUS_NAME)
    finally:
        watcher.close()


def test_bad_bus_address(private_bus):
    env = dict(os.environ)
    env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/nonexistent/virtbus-no-bus"
    p = subprocess.run([virtbusd_binary(), "--session"], env=env, capture_output=True,
                       text=True, timeout=10, stdin=subprocess.DEVNULL)
    assert p.returncode != 0
    err = p.stderr
    assert err.strip(), "no message on stderr"
    assert re.search(r"bus|connect", err, re.I), err
    assert "Traceback" not in err and "CRITICAL" not in err, err


def test_system_and_session_exclusive(private_bus):
    env = dict(os.environ)
    env["DBUS_SESSION_BUS_ADDRESS"] = private_bus.address
    p = subprocess.run([virtbusd_binary(), "--session", "--system"], env=env,
                       capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
    assert p.returncode != 0
    assert p.stderr.strip()


def test_version_option():
    p = subprocess.run([virtbusd_binary(), "--version"], capture_output=True, text=True,
                       timeout=10, stdin=subprocess.DEVNULL)
    assert p.returncode == 0
    assert re.search(r"\d+\.\d+", p.stdout + p.stderr)


def _children(xml):
    return sorted(n.get("name") for n in ET.fromstring(xml).findall("node"))


def test_introspection_lists_children(virtbusd):
    kids = _children(virtbusd.introspect(TEST_PATH))
    for k in ("domain", "network", "nodedev", "storagepool", "interface"):
        assert k in kids, kids
    # deeper levels
    doms = _children(virtbusd.introspect(TEST_PATH + "/domain"))
    assert doms == ["_6695eb01_f6a4_8304_79aa_97f2502e193f"]
    devs = _children(virtbusd.introspect(TEST_PATH + "/nodedev"))
    assert devs == sorted(["computer", "scsi_5fhost1", "scsi_5fhost2", "scsi_5fhost11"])
    nets = _children(virtbusd.introspect(TEST_PATH + "/network"))
    assert nets == ["_dd8fe884_6c02_601e_7551_cca97df1c5df"]
    pools = _children(virtbusd.introspect(TEST_PATH + "/storagepool"))
    assert pools == ["_dfe224cb_28fb_8dd0_c4b2_64eb3f0f4566"]
    # parents up to the root
    assert "libvirt" in _children(virtbusd.introspect("/org"))
    assert "Test" in _children(virtbusd.introspect("/org/libvirt"))


@pytest.mark.skipif(shutil.which("busctl") is None, reason="busctl not installed")
def test_busctl_tree(virtbusd):
    env = dict(os.environ)
    env["DBUS_SESSION_BUS_ADDRESS"] = virtbusd.bus_address
    p = subprocess.run(["busctl", "--user", "--list", "tree", BUS_NAME], env=env,
                       capture_output=True, text=True, timeout=20)
    assert p.returncode == 0, p.stderr
    lines = set(p.stdout.split())
    for path in (TEST_PATH,
                 TEST_PATH + "/domain/_6695eb01_f6a4_8304_79aa_97f2502e193f",
                 TEST_PATH + "/network/_dd8fe884_6c02_601e_7551_cca97df1c5df",
                 TEST_PATH + "/nodedev/computer",
                 TEST_PATH + "/nodedev/scsi_5fhost1",
                 TEST_PATH + "/storagepool/_dfe224cb_28fb_8dd0_c4b2_64eb3f0f4566",
                 TEST_PATH + "/interface/aa_3abb_3acc_3add_3aee_3aff"):
        assert path in lines, p.stdout


@pytest.mark.skipif(shutil.which("gdbus") is None, reason="gdbus not installed")
def test_gdbus_introspect_recurse(virtbusd):
    env = dict(os.environ)
    env["DBUS_SESSION_BUS_ADDRESS"] = virtbusd.bus_address
    p = subprocess.run(["gdbus", "introspect", "--session", "--dest", BUS_NAME,
                        "--object-path", TEST_PATH, "--recurse", "--only-properties"],
                       env=env, capture_output=True, text=True, timeout=20)
    assert p.returncode == 0, p.stderr
    out = p.stdout
    for iface in ("org.libvirt.Connect", "org.libvirt.Domain", "org.libvirt.Network",
                  "org.libvirt.NodeDevice", "org.libvirt.StoragePool", "org.libvirt.Interface"):
        assert "interface %s" % iface in out, iface


def test_unknown_object_path(virtbusd):
    with pytest.raises(dbus.exceptions.DBusException) as ei:
        virtbusd.call("/org/libvirt/Nope", CONNECT, "ListDomains", dbus.UInt32(0),
                      signature="u")
    assert ei.value.get_dbus_name() in ("org.freedesktop.DBus.Error.UnknownObject",
                                        "org.freedesktop.DBus.Error.UnknownMethod",
                                        "org.freedesktop.DBus.Error.UnknownInterface")


def test_unknown_method(virtbusd):
    with pytest.raises(dbus.exceptions.DBusException) as ei:
        virtbusd.call(TEST_PATH, CONNECT, "NoSuchMethod", signature="")
    assert ei.value.get_dbus_name() == "org.freedesktop.DBus.Error.UnknownMethod"


def test_survives_client_disconnect(virtbusd, private_bus):
    """A client that vanishes mid-way must not take the daemon down."""
    c = dbus.bus.BusConnection(private_bus.address)
    obj = c.get_object(BUS_NAME, TEST_PATH)
    obj.ListDomains(dbus.UInt32(0), dbus_interface=CONNECT)
    c.close()
    assert virtbusd.proc.poll() is None
    assert len(virtbusd.list_domains()) == 1


def _notify_socket(tmp_path, abstract):
    import socket
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if abstract:
        name = "virtbus-test-notify-%d" % os.getpid()
        sock.bind("\0" + name)
        return sock, "@" + name
    path = str(tmp_path / "notify")
    sock.bind(path)
    return sock, path


@pytest.mark.parametrize("abstract", [False, True], ids=["path", "abstract"])
def test_sd_notify_ready_and_stopping(virtbusd_factory, tmp_path, abstract):
    sock, name = _notify_socket(tmp_path, abstract)
    sock.settimeout(5)
    try:
        d = virtbusd_factory(env={"NOTIFY_SOCKET": name})
        ready = sock.recv(4096).decode()
        assert ready.split("\n")[0] == "READY=1", ready
        assert "STATUS=Serving " + BUS_NAME in ready
        # READY is sent once the name is owned
        assert d.bus.name_has_owner(BUS_NAME)
        assert d.stop(signal.SIGTERM, 5.0) == 0, d.stderr()
        assert sock.recv(4096).decode() == "STOPPING=1"
    finally:
        sock.close()


def test_sd_notify_bad_socket_is_not_fatal(virtbusd_factory):
    d = virtbusd_factory(env={"NOTIFY_SOCKET": "relative/name"})
    assert d.bus.name_has_owner(BUS_NAME)
    assert "neither a path nor an abstract name" in d.stderr()
