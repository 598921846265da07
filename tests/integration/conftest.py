"""Integration test harness for virtbusd.

A private dbus-daemon runs per test module; a fresh virtbusd runs per test (so the
in-memory test driver always starts from test:///default).  Run with Debian's
/usr/bin/python3 -m pytest tests/integration (python3-dbus and python3-gi).

Environment:
  VIRTBUSD        path to the built daemon (default: $VIRTBUS_SOURCE/build/service/virtbusd,
                  then /work/main/build/service/virtbusd)
  VIRTBUS_SHARED  path to ../shared (API members list); tests needing it skip without it
  VIRTBUS_SOURCE  repository root
"""

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET

import pytest

import dbus
import dbus.bus
from dbus.mainloop.glib import DBusGMainLoop

import gi
gi.require_version("Gio", "2.0")
gi.require_version("GLib", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

DBusGMainLoop(set_as_default=True)

BUS_NAME = "org.libvirt"
TEST_PATH = "/org/libvirt/Test"
CONNECT = "org.libvirt.Connect"
DOMAIN = "org.libvirt.Domain"
SNAPSHOT = "org.libvirt.DomainSnapshot"
NETWORK = "org.libvirt.Network"
NODEDEV = "org.libvirt.NodeDevice"
POOL = "org.libvirt.StoragePool"
VOL = "org.libvirt.StorageVol"
IFACE = "org.libvirt.Interface"
SECRET = "org.libvirt.Secret"
NWFILTER = "org.libvirt.NWFilter"
PROPS = "org.freedesktop.DBus.Properties"
OBJMGR = "org.freedesktop.DBus.ObjectManager"
INTROSPECTABLE = "org.freedesktop.DBus.Introspectable"
LIBVIRT_ERROR = "org.libvirt.Error"

TEST_DOMAIN_UUID = "6695eb01-f6a4-8304-79aa-97f2502e193f"
TEST_NETWORK_UUID = "dd8fe884-6c02-601e-7551-cca97df1c5df"
TEST_POOL_UUID = "dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566"


def escape(s):
    """libvirt-dbus path escaping: [A-Za-z0-9] kept, other bytes as _xx."""
    out = []
    for b in s.encode():
        c = chr(b)
        if c.isascii() and c.isalnum():
            out.append(c)
        else:
            out.append("_%02x" % b)
    return "".join(out)


def uuid_node(uuid):
    return "_" + uuid.replace("-", "_")


def domain_path(uuid):
    return "%s/domain/%s" % (TEST_PATH, uuid_node(uuid))


TEST_DOMAIN_PATH = domain_path(TEST_DOMAIN_UUID)
TEST_NETWORK_PATH = "%s/network/%s" % (TEST_PATH, uuid_node(TEST_NETWORK_UUID))
TEST_POOL_PATH = "%s/storagepool/%s" % (TEST_PATH, uuid_node(TEST_POOL_UUID))
ETH1_PATH = "%s/interface/%s" % (TEST_PATH, escape("aa:bb:cc:dd:ee:ff"))


def nodedev_path(name):
    return "%s/nodedev/%s" % (TEST_PATH, escape(name))


def vol_path(key):
    return "%s/storagevol/%s" % (TEST_PATH, escape(key))


# --------------------------------------------------------------------------- locations

def _source_root():
    src = os.environ.get("VIRTBUS_SOURCE")
    if src:
        return src
    return os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def virtbusd_binary():
    exe = os.environ.get("VIRTBUSD")
    if exe:
        return exe
    for cand in (os.path.join(_source_root(), "build", "service", "virtbusd"),
                 "/work/main/build/service/virtbusd"):
        if os.path.exists(cand):
            return cand
    return "/work/main/build/service/virtbusd"


def shared_dir():
    """The ../shared directory, or None when it is missing."""
    cands = []
    if os.environ.get("VIRTBUS_SHARED"):
        cands.append(os.environ["VIRTBUS_SHARED"])
    cands.append(os.path.join(_source_root(), "..", "shared"))
    for c in cands:
        if os.path.isfile(os.path.join(c, "api", "org.libvirt-members.txt")):
            return c
    return None


# --------------------------------------------------------------------------- errors

@contextlib.contextmanager
def raises_dbus(name=LIBVIRT_ERROR, contains=None, regex=None):
    """Assert the block raises a D-Bus error with @name (str or tuple) whose message
    contains @contains (str or list of str) and/or matches @regex."""
    with pytest.raises(dbus.exceptions.DBusException) as ei:
        yield ei
    err = ei.value
    names = (name,) if isinstance(name, str) else tuple(name)
    msg = err.get_dbus_message() or ""
    assert err.get_dbus_name() in names, \
        "expected error %s, got %s: %s" % (names, err.get_dbus_name(), msg)
    if contains is not None:
        for sub in ([contains] if isinstance(contains, str) else contains):
            assert sub in msg, "error message %r lacks %r" % (msg, sub)
    if regex is not None:
        assert re.search(regex, msg), "error message %r does not match %r" % (msg, regex)


def assert_dbus_error(func, *args, name=LIBVIRT_ERROR, contains=None, regex=None):
    """Call func(*args) and assert it fails with the given D-Bus error; returns the message."""
    with raises_dbus(name, contains, regex) as ei:
        func(*args)
    return ei.value.get_dbus_message()


# --------------------------------------------------------------------------- signals

class SignalRecorder:
    """Records D-Bus signals matching a filter.  Create (subscribe) BEFORE the action,
    then wait(n) runs the GLib main context until n matching signals arrived."""

    def __init__(self, bus, interface=None, member=None, path=None):
        self.bus = bus
        self.signals = []   # list of (interface, member, path, args)
        self._match = bus.add_signal_receiver(
            self._on_signal, signal_name=member, dbus_interface=interface, path=path,
            path_keyword="path", member_keyword="member", interface_keyword="interface",
            byte_arrays=True)
        # make sure the AddMatch reached the bus before the caller acts
        bus.get_object("org.freedesktop.DBus", "/org/freedesktop/DBus").GetId(
            dbus_interface="org.freedesktop.DBus")

    def _on_signal(self, *args, **kw):
        self.signals.append((kw.get("interface"), kw.get("member"), kw.get("path"),
                             tuple(args)))

    @staticmethod
    def pump(seconds=0.0):
        ctx = GLib.MainContext.default()
        deadline = time.monotonic() + seconds
        while True:
            while ctx.pending():
                ctx.iteration(False)
            if time.monotonic() >= deadline:
                break
            time.sleep(0.005)

    def matching(self, member=None, path=None, pred=None):
        out = []
        for s in self.signals:
            if member is not None and s[1] != member:
                continue
            if path is not None and s[2] != path:
                continue
            if pred is not None and not pred(s):
                continue
            out.append(s)
        return out

    def wait(self, count=1, member=None, path=None, pred=None, timeout=5.0):
        """Wait until at least @count matching signals were recorded; returns them."""
        ctx = GLib.MainContext.default()
        deadline = time.monotonic() + timeout
        while True:
            while ctx.pending():
                ctx.iteration(False)
            got = self.matching(member, path, pred)
            if len(got) >= count:
                return got
            if time.monotonic() >= deadline:
                raise AssertionError(
                    "timed out after %.1fs waiting for %d signal(s) member=%s path=%s; "
                    "recorded: %r" % (timeout, count, member, path, self.signals))
            time.sleep(0.005)

    def settle(self, seconds=0.3):
        """Let in-flight signals arrive (used before asserting that nothing else came)."""
        self.pump(seconds)
        return list(self.signals)

    def events(self, member="DomainEvent"):
        """(path, ints...) tuples of the recorded connection events with @member."""
        return [(s[3][0],) + tuple(int(x) for x in s[3][1:])
                for s in self.signals if s[1] == member]

    def close(self):
        if self._match is not None:
            self._match.remove()
            self._match = None


# --------------------------------------------------------------------------- bus daemon

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:dir=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  <limit name="reply_timeout">60000</limit>
</busconfig>
"""


class PrivateBus:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="virtbus-it-")
        conf = os.path.join(self.tmp, "bus.conf")
        with open(conf, "w") as f:
            f.write(BUS_CONFIG % self.tmp)
        self.proc = subprocess.Popen(
            ["dbus-daemon", "--config-file=" + conf, "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if not line:
            err = self.proc.stderr.read()
            raise RuntimeError("dbus-daemon failed to start: %s" % err)
        self.address = line

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def private_bus():
    bus = PrivateBus()
    yield bus
    bus.stop()


# --------------------------------------------------------------------------- the daemon

class Daemon:
    """A running virtbusd plus client helpers."""

    def __init__(self, bus_address, args=(), bus_name=BUS_NAME, env=None, wait=True):
        self.bus_address = bus_address
        self.bus_name = bus_name
        self.tmp = tempfile.mkdtemp(prefix="virtbusd-")
        self.stderr_path = os.path.join(self.tmp, "stderr")
        self.stdout_path = os.path.join(self.tmp, "stdout")
        e = dict(os.environ)
        e["DBUS_SESSION_BUS_ADDRESS"] = bus_address
        for var in ("XDG_CONFIG_HOME", "XDG_RUNTIME_DIR", "XDG_DATA_HOME", "XDG_CACHE_HOME",
                    "HOME"):
            d = os.path.join(self.tmp, var.lower())
            os.makedirs(d, mode=0o700, exist_ok=True)
            e[var] = d
        e.pop("DBUS_SYSTEM_BUS_ADDRESS", None)
        if env:
            e.update(env)
        exe = virtbusd_binary()
        if not os.access(exe, os.X_OK):
            raise AssertionError("virtbusd not found at %s: build it (ninja -C build) or set "
                                 "VIRTBUSD" % exe)
        self.argv = [exe, "--session"] + list(args)
        self._err = open(self.stderr_path, "w")
        self._out = open(self.stdout_path, "w")
        self.proc = subprocess.Popen(self.argv, env=e, stdout=self._out, stderr=self._err,
                                     stdin=subprocess.DEVNULL)
        self._bus = None
        self._gio = None
        self._proxies = {}
        self.recorders = []
        if wait:
            try:
                self.wait_for_name()
            except BaseException:
                if self.proc.poll() is None:
                    self.proc.kill()
                    self.proc.wait()
                self.close_clients()
                raise

    # ---- process
    def stderr(self):
        try:
            self._err.flush()
        except ValueError:
            pass
        with open(self.stderr_path, errors="replace") as f:
            return f.read()

    def wait_for_name(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("virtbusd exited with %s before owning %s; stderr:\n%s"
                                     % (self.proc.returncode, self.bus_name, self.stderr()))
            try:
                if self.bus.name_has_owner(self.bus_name):
                    return
            except dbus.exceptions.DBusException:
                pass
            time.sleep(0.02)
        raise AssertionError("virtbusd did not own %s within %.0fs; stderr:\n%s"
                             % (self.bus_name, timeout, self.stderr()))

    def wait_exit(self, timeout=5.0):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, sig=signal.SIGTERM, timeout=5.0):
        """Send @sig and return the exit code (None if it did not exit in time; then it
        is killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        rc = self.wait_exit(timeout)
        if rc is None:
            self.proc.kill()
            self.proc.wait()
        self.close_clients()
        return rc

    def close_clients(self):
        for r in self.recorders:
            try:
                r.close()
            except Exception:
                pass
        self.recorders = []
        if self._bus is not None:
            try:
                self._bus.close()
            except Exception:
                pass
            self._bus = None
        if self._gio is not None:
            try:
                self._gio.close_sync(None)
            except Exception:
                pass
            self._gio = None
        self._proxies = {}

    def cleanup(self):
        for f in (self._err, self._out):
            try:
                f.close()
            except Exception:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- python-dbus client
    @property
    def bus(self):
        if self._bus is None:
            self._bus = dbus.bus.BusConnection(self.bus_address)
        return self._bus

    def proxy(self, path, iface=None, introspect=True):
        key = (path, introspect)
        obj = self._proxies.get(key)
        if obj is None:
            obj = self.bus.get_object(self.bus_name, path, introspect=introspect)
            self._proxies[key] = obj
        if iface is None:
            return obj
        return dbus.Interface(obj, iface)

    def call(self, path, iface, method, *args, signature=None, timeout=30):
        """Call @method with the introspected signature (or @signature)."""
        obj = self.proxy(path, introspect=signature is None)
        fn = obj.get_dbus_method(method, iface)
        kw = {"timeout": timeout}
        if signature is not None:
            kw["signature"] = signature
        return fn(*args, **kw)

    def conn_call(self, method, *args, **kw):
        return self.call(TEST_PATH, CONNECT, method, *args, **kw)

    def get(self, path, iface, prop):
        return self.call(path, PROPS, "Get", iface, prop, signature="ss")

    def get_all(self, path, iface):
        return self.call(path, PROPS, "GetAll", iface, signature="s")

    def set(self, path, iface, prop, value):
        return self.call(path, PROPS, "Set", iface, prop, value, signature="ssv")

    def introspect(self, path):
        return str(self.call(path, INTROSPECTABLE, "Introspect", signature=""))

    def recorder(self, interface=None, member=None, path=None):
        r = SignalRecorder(self.bus, interface=interface, member=member, path=path)
        self.recorders.append(r)
        return r

    # ---- Gio client (raw GVariant access)
    @property
    def gio(self):
        if self._gio is None:
            self._gio = Gio.DBusConnection.new_for_address_sync(
                self.bus_address,
                Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
                | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
                None, None)
        return self._gio

    def gcall(self, path, iface, method, params=None, reply_type=None, timeout_ms=30000):
        """Raw call; @params is a GLib.Variant tuple (or None); returns the reply tuple
        as a GLib.Variant."""
        rt = GLib.VariantType.new(reply_type) if reply_type else None
        return self.gio.call_sync(self.bus_name, path, iface, method, params, rt,
                                  Gio.DBusCallFlags.NONE, timeout_ms, None)

    # ---- convenience
    def list_domains(self, flags=0):
        return sorted(str(p) for p in self.conn_call("ListDomains", dbus.UInt32(flags)))

    def domain_name(self, path):
        return str(self.get(path, DOMAIN, "Name"))

    def domain_names(self, flags=0):
        return sorted(self.domain_name(p) for p in self.list_domains(flags))

    def domain(self, path):
        return self.proxy(path, DOMAIN)

    def test_domain(self):
        return self.proxy(TEST_DOMAIN_PATH, DOMAIN)

    def connect(self):
        return self.proxy(TEST_PATH, CONNECT)

    def define_domain(self, name, uuid=None, extra=""):
        return str(self.conn_call("DomainDefineXML", domain_xml(name, uuid, extra)))

    def create_domain(self, name, uuid=None, extra="", flags=0):
        return str(self.conn_call("DomainCreateXML", domain_xml(name, uuid, extra),
                                  dbus.UInt32(flags)))


def domain_xml(name, uuid=None, extra=""):
    u = "<uuid>%s</uuid>" % uuid if uuid else ""
    return ("<domain type='test'><name>%s</name>%s<memory unit='MiB'>256</memory>"
            "<vcpu>1</vcpu><os><type>hvm</type></os>%s</domain>" % (name, u, extra))


class DaemonFactory:
    def __init__(self, bus_address):
        self.bus_address = bus_address
        self.daemons = []

    def __call__(self, *args, **kw):
        d = Daemon(self.bus_address, *args, **kw)
        self.daemons.append(d)
        return d

    def teardown(self):
        problems = []
        for d in self.daemons:
            if d.proc.poll() is None:
                rc = d.stop(signal.SIGTERM, 5.0)
                if rc != 0:
                    problems.append("virtbusd %s: exit code %r after SIGTERM (expected 0)\n"
                                    "stderr:\n%s" % (d.argv, rc, d.stderr()))
            else:
                d.close_clients()
        for d in self.daemons:
            d.cleanup()
        return problems


@pytest.fixture
def virtbusd_factory(private_bus):
    """Spawns extra daemons; each still running at teardown must exit 0 on SIGTERM."""
    f = DaemonFactory(private_bus.address)
    yield f
    problems = f.teardown()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def virtbusd(private_bus):
    """A fresh virtbusd owning org.libvirt on the private bus."""
    d = Daemon(private_bus.address)
    failed = None
    try:
        yield d
    finally:
        if d.proc.poll() is not None:
            failed = ("virtbusd died during the test (exit code %s); stderr:\n%s"
                      % (d.proc.returncode, d.stderr()))
            d.close_clients()
        else:
            rc = d.stop(signal.SIGTERM, 5.0)
            if rc != 0:
                failed = ("virtbusd exit code %r after SIGTERM (expected 0 within 5 s); "
                          "stderr:\n%s" % (rc, d.stderr()))
        d.cleanup()
    if failed:
        pytest.fail(failed, pytrace=False)


# --------------------------------------------------------------------------- XML helpers

def parse_xml(s):
    return ET.fromstring(str(s))


def variant_inner_types(av):
    """For a GLib.Variant of type a{sv}: {key: type string of the value inside the v}."""
    out = {}
    for i in range(av.n_children()):
        entry = av.get_child_value(i)
        key = entry.get_child_value(0).get_string()
        val = entry.get_child_value(1)          # the 'v'
        out[key] = val.get_variant().get_type_string()
    return out


def unwrap_all(av):
    """a{sv} whose values may be variants of variants -> {key: python value} (fully
    unwrapped)."""
    out = {}
    for i in range(av.n_children()):
        entry = av.get_child_value(i)
        key = entry.get_child_value(0).get_string()
        val = entry.get_child_value(1).get_variant()
        while val.get_type_string() == "v":
            val = val.get_variant()
        out[key] = val.unpack()
    return out


# --------------------------------------------------------------------------- fixtures' XML

VOL_XML = ("<volume><name>%s</name><capacity unit='MiB'>%d</capacity>"
           "<allocation unit='MiB'>%d</allocation></volume>")

SECRET_UUID = "0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f"
SECRET_XML = ("<secret ephemeral='no' private='no'><uuid>%s</uuid>"
              "<description>test secret</description>"
              "<usage type='volume'><volume>/var/lib/libvirt/images/secret.img</volume></usage>"
              "</secret>")

NWFILTER_UUID = "5d4c1b3a-6f2e-4b7a-9c8d-0e1f2a3b4c5d"
NWFILTER_XML = ("<filter name='%s' chain='root'><uuid>%s</uuid>"
                "<rule action='drop' direction='out' priority='500'>"
                "<mac match='no' srcmacaddr='$MAC'/></rule></filter>")

SNAPSHOT_XML = "<domainsnapshot><name>%s</name><description>%s</description></domainsnapshot>"


def create_volume(d, name="vol1", cap_mib=10, alloc_mib=5):
    pool = d.proxy(TEST_POOL_PATH, POOL)
    return str(pool.StorageVolCreateXML(VOL_XML % (name, cap_mib, alloc_mib),
                                        dbus.UInt32(0)))


def define_secret(d, uuid=SECRET_UUID):
    return str(d.conn_call("SecretDefineXML", SECRET_XML % uuid, dbus.UInt32(0)))


def define_nwfilter(d, name="vb-test-filter", uuid=NWFILTER_UUID):
    return str(d.conn_call("NWFilterDefineXML", NWFILTER_XML % (name, uuid)))


def create_snapshot(d, name="snap1", domain_path=None, flags=0, description="test"):
    dom = d.proxy(domain_path or TEST_DOMAIN_PATH, DOMAIN)
    return str(dom.SnapshotCreateXML(SNAPSHOT_XML % (name, description), dbus.UInt32(flags)))
