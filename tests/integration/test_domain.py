"""org.libvirt.Domain on the test driver: properties, lifecycle and its events, tuning,
metadata, errors, ObjectManager/PropertiesChanged signals."""

import os
import re
import tempfile

import dbus
import pytest
from gi.repository import Gio, GLib

from conftest import (CONNECT, DOMAIN, LIBVIRT_ERROR, OBJMGR, PROPS, TEST_DOMAIN_PATH,
                      TEST_DOMAIN_UUID, TEST_PATH, assert_dbus_error,
                      domain_path, domain_xml, parse_xml, raises_dbus, unwrap_all,
                      variant_inner_types)

U = dbus.UInt32

# virDomainState and reasons
RUNNING, PAUSED, SHUTOFF = 1, 3, 5
RUN_BOOTED, RUN_RESTORED, RUN_FROM_SNAPSHOT, RUN_UNPAUSED = 1, 3, 4, 5
PAUSED_USER = 1
OFF_SHUTDOWN, OFF_DESTROYED, OFF_SAVED = 1, 2, 5

# DomainEvent (event, detail)
DEFINED_ADDED, DEFINED_UPDATED, DEFINED_RENAMED = (0, 0), (0, 1), (0, 2)
UNDEFINED_REMOVED, UNDEFINED_RENAMED = (1, 0), (1, 1)
STARTED_BOOTED, STARTED_RESTORED = (2, 0), (2, 2)
SUSPENDED_PAUSED = (3, 0)
RESUMED_UNPAUSED = (4, 0)
STOPPED_SHUTDOWN, STOPPED_DESTROYED, STOPPED_SAVED = (5, 0), (5, 1), (5, 4)

DOMAIN_PROP_TYPES = {"Active": "b", "Autostart": "b", "Id": "u", "Name": "s", "OSType": "s",
                     "Persistent": "b", "SchedulerType": "(si)", "Updated": "b", "UUID": "s"}


def state(d, path=TEST_DOMAIN_PATH):
    s = d.domain(path).GetState(U(0))
    return (int(s[0]), int(s[1]))


def ev(rec, path=None):
    """(event, detail) list of recorded DomainEvents (for @path if given)."""
    return [(e[1], e[2]) for e in rec.events("DomainEvent") if path is None or e[0] == path]


@pytest.fixture
def dom_events(virtbusd):
    return virtbusd.recorder(interface=CONNECT, member="DomainEvent")


# --------------------------------------------------------------------------- properties

def test_properties(virtbusd):
    p = virtbusd.get_all(TEST_DOMAIN_PATH, DOMAIN)
    assert set(DOMAIN_PROP_TYPES) <= set(p)
    assert p["Active"] == True  # noqa: E712
    assert p["Autostart"] == False  # noqa: E712
    assert isinstance(p["Id"], dbus.UInt32) and int(p["Id"]) == 1
    assert str(p["Name"]) == "test"
    assert p["Persistent"] == True  # noqa: E712
    assert p["Updated"] == False  # noqa: E712
    assert str(p["UUID"]) == TEST_DOMAIN_UUID
    st = p["SchedulerType"]
    assert isinstance(st, dbus.Struct)
    assert (str(st[0]), int(st[1])) == ("fair", 1)
    assert isinstance(st[1], dbus.Int32)
    # Get agrees with GetAll
    for k in DOMAIN_PROP_TYPES:
        assert virtbusd.get(TEST_DOMAIN_PATH, DOMAIN, k) == p[k], k


def test_properties_wire_format(virtbusd):
    reply = virtbusd.gcall(TEST_DOMAIN_PATH, PROPS, "GetAll",
                           GLib.Variant("(s)", (DOMAIN,)), "(a{sv})")
    av = reply.get_child_value(0)
    inner = variant_inner_types(av)
    for k in DOMAIN_PROP_TYPES:
        assert inner.get(k) == "v", "GetAll %s: variant of %r, want variant of variant" % (
            k, inner.get(k))
        v = None
        for i in range(av.n_children()):
            e = av.get_child_value(i)
            if e.get_child_value(0).get_string() == k:
                v = e.get_child_value(1).get_variant().get_variant()
        assert v.get_type_string() == DOMAIN_PROP_TYPES[k], k
    for k, t in DOMAIN_PROP_TYPES.items():
        r = virtbusd.gcall(TEST_DOMAIN_PATH, PROPS, "Get", GLib.Variant("(ss)", (DOMAIN, k)),
                           "(v)")
        assert r.get_child_value(0).get_variant().get_type_string() == t, k


def test_ostype_matches_libvirt_test_driver(virtbusd):
    """libvirt's test driver answers virDomainGetOSType with "linux" for every domain
    (testDomainGetOSType), whatever <os><type> says."""
    assert str(virtbusd.get(TEST_DOMAIN_PATH, DOMAIN, "OSType")) == "linux"


def test_properties_inactive_and_transient(virtbusd):
    p = virtbusd.define_domain("inactive1")
    props = virtbusd.get_all(p, DOMAIN)
    assert props["Active"] == False  # noqa: E712
    assert props["Persistent"] == True  # noqa: E712
    assert str(props["Name"]) == "inactive1"
    assert int(props["Id"]) in (0, 0xFFFFFFFF)   # virDomainGetID of an inactive domain
    t = virtbusd.create_domain("transient1")
    props = virtbusd.get_all(t, DOMAIN)
    assert props["Active"] == True  # noqa: E712
    assert props["Persistent"] == False  # noqa: E712
    assert int(props["Id"]) >= 2


def test_autostart_set(virtbusd):
    rec = virtbusd.recorder(interface=PROPS, member="PropertiesChanged", path=TEST_DOMAIN_PATH)
    virtbusd.set(TEST_DOMAIN_PATH, DOMAIN, "Autostart", dbus.Boolean(True))
    assert virtbusd.get(TEST_DOMAIN_PATH, DOMAIN, "Autostart") == True  # noqa: E712
    sigs = rec.wait(1)
    iface, changed, invalidated = sigs[0][3]
    assert str(iface) == DOMAIN
    assert "Autostart" in changed and changed["Autostart"] == True  # noqa: E712
    assert "Autostart" not in list(invalidated)
    assert virtbusd.domain_names(1024) == ["test"]
    virtbusd.set(TEST_DOMAIN_PATH, DOMAIN, "Autostart", dbus.Boolean(False))
    assert virtbusd.get(TEST_DOMAIN_PATH, DOMAIN, "Autostart") == False  # noqa: E712
    sigs = rec.wait(2)
    assert sigs[1][3][1]["Autostart"] == False  # noqa: E712


def test_autostart_set_same_value_no_signal(virtbusd):
    rec = virtbusd.recorder(interface=PROPS, member="PropertiesChanged", path=TEST_DOMAIN_PATH)
    virtbusd.set(TEST_DOMAIN_PATH, DOMAIN, "Autostart", dbus.Boolean(False))
    rec.settle(0.3)
    assert [s for s in rec.signals if "Autostart" in s[3][1]] == []


def test_autostart_transient_fails(virtbusd):
    t = virtbusd.create_domain("transient1")
    with raises_dbus(LIBVIRT_ERROR, "transient"):
        virtbusd.set(t, DOMAIN, "Autostart", dbus.Boolean(True))
    assert virtbusd.get(t, DOMAIN, "Autostart") == False  # noqa: E712


def test_read_only_property(virtbusd):
    with raises_dbus(("org.freedesktop.DBus.Error.PropertyReadOnly",
                      "org.freedesktop.DBus.Error.AccessDenied",
                      "org.freedesktop.DBus.Error.InvalidArgs")):
        virtbusd.set(TEST_DOMAIN_PATH, DOMAIN, "Name", dbus.String("x"))
    assert str(virtbusd.get(TEST_DOMAIN_PATH, DOMAIN, "Name")) == "test"


def test_autostart_wrong_type(virtbusd):
    with raises_dbus("org.freedesktop.DBus.Error.InvalidArgs"):
        virtbusd.set(TEST_DOMAIN_PATH, DOMAIN, "Autostart", dbus.String("yes"))
    assert virtbusd.get(TEST_DOMAIN_PATH, DOMAIN, "Autostart") == False  # noqa: E712


# --------------------------------------------------------------------------- lifecycle

def test_suspend_resume(virtbusd, dom_events):
    dom = virtbusd.test_domain()
    dom.Suspend()
    assert state(virtbusd) == (PAUSED, PAUSED_USER)
    assert virtbusd.get(TEST_DOMAIN_PATH, DOMAIN, "Active") == True  # noqa: E712
    dom.Resume()
    assert state(virtbusd) == (RUNNING, RUN_UNPAUSED)
    dom_events.wait(2)
    dom_events.settle(0.2)
    assert ev(dom_events) == [SUSPENDED_PAUSED, RESUMED_UNPAUSED]
    assert dom_events.events()[0][0] == TEST_DOMAIN_PATH


def test_shutdown(virtbusd, dom_events):
    """libvirt's test driver: Shutdown emits only STOPPED/SHUTDOWN (5,0)."""
    virtbusd.test_domain().Shutdown(U(0))
    assert state(virtbusd) == (SHUTOFF, OFF_SHUTDOWN)
    assert virtbusd.get(TEST_DOMAIN_PATH, DOMAIN, "Active") == False  # noqa: E712
    dom_events.wait(1)
    dom_events.settle(0.2)
    assert ev(dom_events) == [STOPPED_SHUTDOWN]
    # still defined
    assert virtbusd.list_domains() == [TEST_DOMAIN_PATH]
    assert virtbusd.domain_names(2) == ["test"]


def test_create_after_shutdown(virtbusd, dom_events):
    dom = virtbusd.test_domain()
    dom.Shutdown(U(0))
    dom.Create(U(0))
    assert state(virtbusd) == (RUNNING, RUN_BOOTED)
    assert virtbusd.get(TEST_DOMAIN_PATH, DOMAIN, "Active") == True  # noqa: E712
    assert int(virtbusd.get(TEST_DOMAIN_PATH, DOMAIN, "Id")) == 2   # ids count up from 2
    dom_events.wait(2)
    dom_events.settle(0.2)
    assert ev(dom_events) == [STOPPED_SHUTDOWN, STARTED_BOOTED]


def test_destroy(virtbusd, dom_events):
    virtbusd.test_domain().Destroy(U(0))
    assert state(virtbusd) == (SHUTOFF, OFF_DESTROYED)
    dom_events.wait(1)
    dom_events.settle(0.2)
    assert ev(dom_events) == [STOPPED_DESTROYED]


def test_define_update_undefine(virtbusd, dom_events):
    uuid = "3c1f9a2b-4d5e-4f60-8a7b-1c2d3e4f5a6b"
    p = virtbusd.define_domain("d1", uuid)
    p2 = virtbusd.define_domain("d1", uuid, extra="<description>updated</description>")
    assert p2 == p
    assert "updated" in str(virtbusd.domain(p).GetXMLDesc(U(0)))
    virtbusd.domain(p).Undefine(U(0))
    assert p not in virtbusd.list_domains()
    dom_events.wait(3)
    dom_events.settle(0.2)
    assert ev(dom_events, p) == [DEFINED_ADDED, DEFINED_UPDATED, UNDEFINED_REMOVED]
    assert_dbus_error(virtbusd.conn_call, "DomainLookupByName", "d1",
                      contains="Domain not found")


def test_undefine_running_persistent_becomes_transient(virtbusd, dom_events):
    virtbusd.test_domain().Undefine(U(0))
    assert virtbusd.get(TEST_DOMAIN_PATH, DOMAIN, "Persistent") == False  # noqa: E712
    assert virtbusd.get(TEST_DOMAIN_PATH, DOMAIN, "Active") == True  # noqa: E712
    virtbusd.test_domain().Destroy(U(0))
    assert virtbusd.list_domains() == []
    dom_events.wait(2)
    assert ev(dom_events) == [UNDEFINED_REMOVED, STOPPED_DESTROYED]


def test_reboot(virtbusd, dom_events):
    rec = virtbusd.recorder(interface=DOMAIN, member="Reboot", path=TEST_DOMAIN_PATH)
    virtbusd.test_domain().Reboot(U(0))
    rec.wait(1)
    assert state(virtbusd)[0] == RUNNING
    dom_events.settle(0.2)
    assert ev(dom_events) == []   # on_reboot=restart: no lifecycle change
    assert int(virtbusd.get(TEST_DOMAIN_PATH, DOMAIN, "Id")) == 1


def test_reboot_inactive_fails(virtbusd):
    virtbusd.test_domain().Destroy(U(0))
    assert_dbus_error(virtbusd.test_domain().Reboot, U(0), contains="not running")


def test_reset(virtbusd, dom_events):
    virtbusd.test_domain().Reset(U(0))
    assert state(virtbusd)[0] == RUNNING
    dom_events.settle(0.2)
    assert ev(dom_events) == []
    virtbusd.test_domain().Destroy(U(0))
    assert_dbus_error(virtbusd.test_domain().Reset, U(0), contains="domain is not running")


def test_managed_save_and_create_restores(virtbusd, dom_events):
    dom = virtbusd.test_domain()
    assert dom.HasManagedSaveImage(U(0)) == False  # noqa: E712
    dom.ManagedSave(U(0))
    assert dom.HasManagedSaveImage(U(0)) == True  # noqa: E712
    assert state(virtbusd) == (SHUTOFF, OFF_SAVED)
    assert virtbusd.domain_names(256) == ["test"]
    dom.Create(U(0))
    assert dom.HasManagedSaveImage(U(0)) == False  # noqa: E712
    assert state(virtbusd)[0] == RUNNING
    dom_events.wait(2)
    dom_events.settle(0.2)
    assert ev(dom_events) == [STOPPED_SAVED, STARTED_RESTORED]


def test_managed_save_remove(virtbusd, dom_events):
    dom = virtbusd.test_domain()
    dom.ManagedSave(U(0))
    dom.ManagedSaveRemove(U(0))
    assert dom.HasManagedSaveImage(U(0)) == False  # noqa: E712
    assert virtbusd.domain_names(256) == []
    dom.Create(U(0))
    dom_events.wait(2)
    dom_events.settle(0.2)
    assert ev(dom_events) == [STOPPED_SAVED, STARTED_BOOTED]


def test_managed_save_errors(virtbusd):
    t = virtbusd.create_domain("transient1")
    assert_dbus_error(virtbusd.domain(t).ManagedSave, U(0), contains="transient")
    assert state(virtbusd, t)[0] == RUNNING
    virtbusd.test_domain().Destroy(U(0))
    assert_dbus_error(virtbusd.test_domain().ManagedSave, U(0), contains="not running")
    # undefine refuses while a managed save image exists
    virtbusd.test_domain().Create(U(0))
    virtbusd.test_domain().ManagedSave(U(0))
    assert_dbus_error(virtbusd.test_domain().Undefine, U(0), contains="managed save")
    assert TEST_DOMAIN_PATH in virtbusd.list_domains()
    virtbusd.test_domain().Undefine(U(1))   # VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
    assert TEST_DOMAIN_PATH not in virtbusd.list_domains()


def test_save_restore(virtbusd, dom_events):
    with tempfile.TemporaryDirectory() as tmp:
        f = os.path.join(tmp, "test.save")
        dom = virtbusd.test_domain()
        dom.Save(f, "", U(0))
        assert os.path.exists(f)
        assert state(virtbusd) == (SHUTOFF, OFF_SAVED)
        x = parse_xml(virtbusd.conn_call("DomainSaveImageGetXMLDesc", f, U(0)))
        assert x.findtext("name") == "test"
        assert x.findtext("uuid") == TEST_DOMAIN_UUID
        virtbusd.conn_call("DomainRestore", f, "", U(0))
        assert state(virtbusd) == (RUNNING, RUN_RESTORED)
        assert virtbusd.list_domains() == [TEST_DOMAIN_PATH]
        dom_events.wait(2)
        dom_events.settle(0.2)
        assert ev(dom_events) == [STOPPED_SAVED, STARTED_RESTORED]
        # restoring again while it runs fails
        assert_dbus_error(virtbusd.conn_call, "DomainRestore", f, "", U(0))
        assert state(virtbusd) == (RUNNING, RUN_RESTORED)


def test_save_transient_restore(virtbusd, dom_events):
    t = virtbusd.create_domain("transient1")
    with tempfile.TemporaryDirectory() as tmp:
        f = os.path.join(tmp, "t.save")
        virtbusd.domain(t).Save(f, "", U(0))
        assert t not in virtbusd.list_domains()
        virtbusd.conn_call("DomainRestore", f, "", U(0))
        assert t in virtbusd.list_domains()
        assert virtbusd.get(t, DOMAIN, "Persistent") == False  # noqa: E712
        dom_events.wait(3)
        assert ev(dom_events, t) == [STARTED_BOOTED, STOPPED_SAVED, STARTED_RESTORED]


def test_save_restore_errors(virtbusd):
    with tempfile.TemporaryDirectory() as tmp:
        f = os.path.join(tmp, "x.save")
        assert_dbus_error(virtbusd.conn_call, "DomainRestore", os.path.join(tmp, "missing"),
                          "", U(0))
        with open(f, "w") as fh:
            fh.write("not a save image")
        assert_dbus_error(virtbusd.conn_call, "DomainRestore", f, "", U(0))
        assert_dbus_error(virtbusd.conn_call, "DomainSaveImageGetXMLDesc", f, U(0))
        virtbusd.test_domain().Destroy(U(0))
        assert_dbus_error(virtbusd.test_domain().Save, os.path.join(tmp, "y.save"), "", U(0),
                          contains="not running")
        assert not os.path.exists(os.path.join(tmp, "y.save"))


def test_rename(virtbusd, dom_events):
    dom = virtbusd.test_domain()
    assert_dbus_error(dom.Rename, "renamed", U(0), contains="cannot rename active domain")
    dom.Shutdown(U(0))
    dom.Rename("renamed", U(0))
    assert str(virtbusd.get(TEST_DOMAIN_PATH, DOMAIN, "Name")) == "renamed"
    assert str(virtbusd.conn_call("DomainLookupByName", "renamed")) == TEST_DOMAIN_PATH
    assert_dbus_error(virtbusd.conn_call, "DomainLookupByName", "test",
                      contains="Domain not found")
    dom_events.wait(3)
    dom_events.settle(0.2)
    assert ev(dom_events) == [STOPPED_SHUTDOWN, UNDEFINED_RENAMED, DEFINED_RENAMED]
    assert parse_xml(dom.GetXMLDesc(U(0))).findtext("name") == "renamed"


def test_rename_errors(virtbusd):
    other = virtbusd.define_domain("other")
    dom = virtbusd.domain(other)
    assert_dbus_error(dom.Rename, "test", U(0), contains="already exists")
    assert_dbus_error(dom.Rename, "a/b", U(0), contains="cannot contain '/'")
    assert_dbus_error(dom.Rename, "x", U(1 << 20), contains="unsupported flags")
    t = virtbusd.create_domain("transient1")
    assert_dbus_error(virtbusd.domain(t).Rename, "x", U(0))
    assert virtbusd.domain_names() == ["other", "test", "transient1"]


# --------------------------------------------------------------------------- XML, state

def test_get_xml_desc(virtbusd):
    dom = virtbusd.test_domain()
    live = parse_xml(dom.GetXMLDesc(U(0)))
    assert live.tag == "domain"
    assert live.get("type") == "test"
    assert live.get("id") == "1"
    inactive = parse_xml(dom.GetXMLDesc(U(2)))
    assert inactive.get("id") is None
    secure = parse_xml(dom.GetXMLDesc(U(1)))
    for x in (live, inactive, secure):
        assert x.findtext("name") == "test"
        assert x.findtext("uuid") == TEST_DOMAIN_UUID
        t = x.find("os/type")
        assert t is not None and t.text == "hvm"
        assert t.get("arch"), "no <os><type arch=...>"
        assert t.get("machine"), "no <os><type machine=...>"
        mem = x.find("memory")
        assert mem is not None and mem.get("unit") and mem.text.strip() == "8388608"
        cur = x.find("currentMemory")
        assert cur is not None and cur.get("unit") and cur.text.strip() == "2097152"
        assert x.findtext("vcpu").strip() == "2"
        dev = x.find("devices")
        assert dev is not None
        disk = dev.find("disk")
        assert disk.find("source").get("file") == "/guest/diskimage1"
        assert disk.find("target").get("dev") == "vda"
        assert dev.find("interface/mac").get("address") == "aa:bb:cc:dd:ee:ff"
        assert dev.find("memballoon").get("model") == "virtio"
    # migratable(8) and update-cpu(4) are accepted
    dom.GetXMLDesc(U(8))
    dom.GetXMLDesc(U(4))
    assert_dbus_error(dom.GetXMLDesc, U(1 << 20), contains="unsupported flags")


def test_xml_round_trip_is_stable(virtbusd, dom_events):
    """Redefining a domain from its own inactive XML changes nothing and is an update."""
    dom = virtbusd.test_domain()
    x1 = str(dom.GetXMLDesc(U(2)))
    assert str(virtbusd.conn_call("DomainDefineXML", x1)) == TEST_DOMAIN_PATH
    assert str(dom.GetXMLDesc(U(2))) == x1
    p = virtbusd.define_domain("rt", extra="<title>t</title>")
    y1 = str(virtbusd.domain(p).GetXMLDesc(U(0)))
    virtbusd.conn_call("DomainDefineXML", y1)
    assert str(virtbusd.domain(p).GetXMLDesc(U(0))) == y1
    dom_events.wait(3)
    assert ev(dom_events) == [DEFINED_UPDATED, DEFINED_ADDED, DEFINED_UPDATED]


def test_get_xml_desc_inactive_domain(virtbusd):
    p = virtbusd.define_domain("inactive1")
    x = parse_xml(virtbusd.domain(p).GetXMLDesc(U(0)))
    assert x.get("id") is None
    assert x.findtext("name") == "inactive1"
    assert x.find("os/type").get("arch")
    assert x.find("memory").text.strip() == str(256 * 1024)
    assert x.find("devices") is not None


def test_get_state(virtbusd):
    reply = virtbusd.gcall(TEST_DOMAIN_PATH, DOMAIN, "GetState", GLib.Variant("(u)", (0,)),
                           "((ii))")
    assert reply.get_type_string() == "((ii))"
    assert reply.unpack() == ((1, 1),)
    s = virtbusd.test_domain().GetState(U(0))
    assert isinstance(s, dbus.Struct) and len(s) == 2
    assert_dbus_error(virtbusd.test_domain().GetState, U(1), contains="unsupported flags")


STATS_KEYS = ["state.state", "balloon.rss", "vcpu.current", "vcpu.maximum", "vcpu.0.time",
              "vcpu.1.time", "block.count", "block.0.name", "block.0.physical",
              "block.0.capacity", "block.0.allocation"]


def test_get_stats(virtbusd):
    reply = virtbusd.gcall(TEST_DOMAIN_PATH, DOMAIN, "GetStats",
                           GLib.Variant("(uu)", (45, 0)), "(a{sv})")
    av = reply.get_child_value(0)
    inner = variant_inner_types(av)
    for k in STATS_KEYS:
        assert k in inner, "GetStats lacks %s: %s" % (k, sorted(inner))
    bad = {k: t for k, t in inner.items() if t != "v"}
    assert not bad, "GetStats values must be variants of variants: %s" % bad
    vals = unwrap_all(av)
    assert vals["state.state"] == 1
    assert vals["vcpu.current"] == 2
    assert vals["vcpu.maximum"] == 2
    assert vals["block.count"] == 1
    assert vals["block.0.name"] == "vda"
    for k in ("block.0.physical", "block.0.capacity", "block.0.allocation", "balloon.rss",
              "vcpu.0.time"):
        assert isinstance(vals[k], int) and vals[k] >= 0, k
    # CPU_TOTAL (2) and INTERFACE (16) were not asked for
    assert not any(k.startswith("net.") or k.startswith("cpu.") for k in vals), sorted(vals)
    # python-dbus view: variant_level 2
    st = virtbusd.test_domain().GetStats(U(45), U(0))
    assert st["block.0.name"] == "vda"
    assert st["vcpu.current"].variant_level == 2


def test_get_stats_inactive(virtbusd):
    virtbusd.test_domain().Destroy(U(0))
    vals = virtbusd.test_domain().GetStats(U(45), U(0))
    assert int(vals["state.state"]) == SHUTOFF
    assert "balloon.rss" not in vals
    assert int(vals["block.count"]) == 1


def test_get_stats_state_only(virtbusd):
    vals = virtbusd.test_domain().GetStats(U(1), U(0))
    assert set(str(k) for k in vals) <= {"state.state", "state.reason"}
    assert int(vals["state.state"]) == 1


# --------------------------------------------------------------------------- tuning

def test_vcpus(virtbusd):
    dom = virtbusd.test_domain()
    assert int(dom.GetVcpus(U(0))) == 2
    assert int(dom.GetVcpus(U(4))) == 2      # VIR_DOMAIN_VCPU_MAXIMUM
    dom.SetVcpus(U(1), U(0))
    assert int(dom.GetVcpus(U(0))) == 1
    assert int(dom.GetVcpus(U(4))) == 2
    assert_dbus_error(dom.SetVcpus, U(3), U(0), contains="exceeds maximum")
    assert_dbus_error(dom.SetVcpus, U(1), U(1 << 20), contains="unsupported flags")
    assert int(dom.GetVcpus(U(0))) == 1
    stats = dom.GetStats(U(8), U(0))
    assert int(stats["vcpu.current"]) == 1


def test_vcpu_pinning(virtbusd):
    dom = virtbusd.test_domain()
    ncpu = len(virtbusd.conn_call("NodeGetCPUMap", U(0)))
    info = dom.GetVcpuPinInfo(U(0))
    assert len(info) == 2
    for row in info:
        assert len(row) == ncpu
        assert all(bool(b) for b in row)
    cpumap = [True] + [False] * (ncpu - 1)
    dom.PinVcpu(U(1), dbus.Array(cpumap, signature="b"), U(0))
    info = dom.GetVcpuPinInfo(U(0))
    assert [bool(b) for b in info[1]] == cpumap
    assert all(bool(b) for b in info[0])
    assert_dbus_error(dom.PinVcpu, U(7), dbus.Array(cpumap, signature="b"), U(0),
                      contains="vcpu")
    assert_dbus_error(dom.PinVcpu, U(0), dbus.Array([False] * ncpu, signature="b"), U(0))
    assert [bool(b) for b in dom.GetVcpuPinInfo(U(0))[1]] == cpumap


def test_set_memory(virtbusd):
    dom = virtbusd.test_domain()
    assert_dbus_error(dom.SetMemory, dbus.UInt64(8388608 + 1), U(0),
                      contains="cannot set memory higher than max memory")
    assert parse_xml(dom.GetXMLDesc(U(0))).findtext("currentMemory").strip() == "2097152"
    dom.SetMemory(dbus.UInt64(1048576), U(0))
    assert parse_xml(dom.GetXMLDesc(U(0))).findtext("currentMemory").strip() == "1048576"
    st = dom.GetStats(U(4), U(0))
    assert int(st["balloon.current"]) == 1048576
    assert int(st["balloon.maximum"]) == 8388608


def test_memory_parameters(virtbusd):
    p = virtbusd.test_domain().GetMemoryParameters(U(0))
    assert {"hard_limit", "soft_limit", "swap_hard_limit"} <= set(str(k) for k in p)
    for k in ("hard_limit", "soft_limit", "swap_hard_limit"):
        assert isinstance(p[k], dbus.UInt64), (k, type(p[k]))


def test_scheduler(virtbusd):
    st = virtbusd.get(TEST_DOMAIN_PATH, DOMAIN, "SchedulerType")
    assert (str(st[0]), int(st[1])) == ("fair", 1)
    p = virtbusd.test_domain().GetSchedulerParameters(U(0))
    assert set(str(k) for k in p) == {"weight"}
    assert int(p["weight"]) == 50      # its D-Bus type: test_typed_params_wire_format


# --------------------------------------------------------------------------- metadata

def test_metadata_title_description(virtbusd):
    dom = virtbusd.test_domain()
    rec = virtbusd.recorder(interface=DOMAIN, member="MetadataChange", path=TEST_DOMAIN_PATH)
    assert_dbus_error(dom.GetMetadata, 1, "", U(0), contains="metadata not found")
    dom.SetMetadata(1, "My title", "", "", U(0))
    assert str(dom.GetMetadata(1, "", U(0))) == "My title"
    dom.SetMetadata(0, "A description\nover two lines", "", "", U(0))
    assert str(dom.GetMetadata(0, "", U(0))) == "A description\nover two lines"
    x = parse_xml(dom.GetXMLDesc(U(0)))
    assert x.findtext("title") == "My title"
    assert x.find("description") is not None
    sigs = rec.wait(2)
    assert [(int(s[3][0]), str(s[3][1])) for s in sigs] == [(1, ""), (0, "")]
    # removal
    dom.SetMetadata(1, "", "", "", U(0))
    assert_dbus_error(dom.GetMetadata, 1, "", U(0), contains="metadata not found")
    assert parse_xml(dom.GetXMLDesc(U(0))).find("title") is None
    rec.wait(3)


def test_xml_preserves_multiline_text(virtbusd):
    """GetXMLDesc must not re-indent text content: a multi-line <description> read back
    from the XML (or redefined from it, the usual edit cycle) stays the same."""
    text = "first line\nsecond line\n  third, indented"
    p = virtbusd.define_domain("ml", extra="<description>%s</description>" % text)
    dom = virtbusd.domain(p)
    assert str(dom.GetMetadata(0, "", U(0))) == text
    xml = str(dom.GetXMLDesc(U(0)))
    assert parse_xml(xml).findtext("description") == text
    virtbusd.conn_call("DomainDefineXML", xml)
    assert str(dom.GetMetadata(0, "", U(0))) == text


def test_metadata_errors(virtbusd):
    dom = virtbusd.test_domain()
    assert_dbus_error(dom.SetMetadata, 1, "two\nlines", "", "", U(0), contains="newline")
    assert_dbus_error(dom.SetMetadata, 7, "x", "", "", U(0))
    assert_dbus_error(dom.GetMetadata, 7, "", U(0))
    assert_dbus_error(dom.SetMetadata, 1, "x", "", "", U(1 << 20),
                      contains="unsupported flags")
    assert_dbus_error(dom.GetMetadata, 1, "", U(0), contains="metadata not found")


def test_metadata_element(virtbusd):
    dom = virtbusd.test_domain()
    uri = "http://example.org/app/1.0"
    rec = virtbusd.recorder(interface=DOMAIN, member="MetadataChange", path=TEST_DOMAIN_PATH)
    dom.SetMetadata(2, "<foo attr='1'>bar</foo>", "app", uri, U(0))
    md = str(dom.GetMetadata(2, uri, U(0)))
    assert re.search(r"<(\w+:)?foo\b", md), md
    assert "bar" in md
    x = parse_xml(dom.GetXMLDesc(U(0)))
    meta = x.find("metadata")
    assert meta is not None
    assert meta.find("{%s}foo" % uri) is not None, dom.GetXMLDesc(U(0))
    sigs = rec.wait(1)
    assert (int(sigs[0][3][0]), str(sigs[0][3][1])) == (2, uri)
    assert_dbus_error(dom.GetMetadata, 2, "http://example.org/other", U(0),
                      contains="metadata not found")
    # replace, then remove
    dom.SetMetadata(2, "<foo>baz</foo>", "app", uri, U(0))
    assert "baz" in str(dom.GetMetadata(2, uri, U(0)))
    dom.SetMetadata(2, "", "", uri, U(0))
    assert_dbus_error(dom.GetMetadata, 2, uri, U(0), contains="metadata not found")


# --------------------------------------------------------------------------- misc getters

def test_get_time(virtbusd):
    dom = virtbusd.test_domain()
    t = dom.GetTime(U(0))
    assert (int(t[0]), int(t[1])) == (627319920, 0)
    assert_dbus_error(dom.GetTime, U(1 << 20), contains="unsupported flags")
    dom.Destroy(U(0))
    assert_dbus_error(dom.GetTime, U(0), contains="not running")


def test_get_hostname(virtbusd):
    dom = virtbusd.test_domain()
    assert str(dom.GetHostname(U(0))) == "testhost"
    dom.Destroy(U(0))
    assert_dbus_error(dom.GetHostname, U(0), contains="not running")


@pytest.mark.parametrize("method,want", [
    ("GetSchedulerParameters", {"weight": "u"}),
    ("GetMemoryParameters", {"hard_limit": "t", "soft_limit": "t", "swap_hard_limit": "t"}),
])
def test_typed_params_wire_format(virtbusd, method, want):
    """libvirt-dbus turns typed parameters into a{sv} whose values are variants of
    variants (virtDBusUtilTypedParamsToGVariant), with libvirt's typed-param D-Bus types."""
    reply = virtbusd.gcall(TEST_DOMAIN_PATH, DOMAIN, method, GLib.Variant("(u)", (0,)),
                           "(a{sv})")
    av = reply.get_child_value(0)
    inner = variant_inner_types(av)
    assert set(want) <= set(inner), inner
    for k in want:
        assert inner[k] == "v", "%s: %s is a variant of %r" % (method, k, inner[k])
    for i in range(av.n_children()):
        e = av.get_child_value(i)
        k = e.get_child_value(0).get_string()
        if k in want:
            t = e.get_child_value(1).get_variant().get_variant().get_type_string()
            assert t == want[k], "%s: %s has type %s, want %s" % (method, k, t, want[k])


# --------------------------------------------------------------------------- error cases

def test_resume_running_fails(virtbusd, dom_events):
    assert_dbus_error(virtbusd.test_domain().Resume, contains="not paused")
    assert state(virtbusd) == (RUNNING, RUN_BOOTED)
    dom_events.settle(0.2)
    assert ev(dom_events) == []


def test_suspend_twice_fails(virtbusd):
    dom = virtbusd.test_domain()
    dom.Suspend()
    assert_dbus_error(dom.Suspend)
    assert state(virtbusd) == (PAUSED, PAUSED_USER)
    dom.Destroy(U(0))
    assert_dbus_error(dom.Suspend, contains="not running")
    assert_dbus_error(dom.Resume)
    assert state(virtbusd)[0] == SHUTOFF


def test_create_running_fails(virtbusd, dom_events):
    assert_dbus_error(virtbusd.test_domain().Create, U(0), contains="already running")
    assert state(virtbusd) == (RUNNING, RUN_BOOTED)
    assert int(virtbusd.get(TEST_DOMAIN_PATH, DOMAIN, "Id")) == 1
    dom_events.settle(0.2)
    assert ev(dom_events) == []


def test_create_running_fails_message(virtbusd):
    assert_dbus_error(virtbusd.test_domain().Create, U(0),
                      contains="Requested operation is not valid: domain is already running")


def test_destroy_inactive_fails(virtbusd):
    dom = virtbusd.test_domain()
    dom.Destroy(U(0))
    assert_dbus_error(dom.Destroy, U(0),
                      contains="Requested operation is not valid: domain is not running")
    assert_dbus_error(dom.Shutdown, U(0), contains="not running")
    assert state(virtbusd) == (SHUTOFF, OFF_DESTROYED)


def test_undefine_transient_fails(virtbusd, dom_events):
    t = virtbusd.create_domain("transient1")
    assert_dbus_error(virtbusd.domain(t).Undefine, U(0), contains="transient")
    assert t in virtbusd.list_domains()
    assert state(virtbusd, t)[0] == RUNNING
    dom_events.settle(0.2)
    assert ev(dom_events, t) == [STARTED_BOOTED]


def test_wrong_argument_type(virtbusd):
    with raises_dbus("org.freedesktop.DBus.Error.InvalidArgs"):
        virtbusd.call(TEST_DOMAIN_PATH, DOMAIN, "Create", "now", signature="s")
    with raises_dbus("org.freedesktop.DBus.Error.InvalidArgs"):
        virtbusd.call(TEST_DOMAIN_PATH, DOMAIN, "Destroy", U(0), U(0), signature="uu")
    assert state(virtbusd) == (RUNNING, RUN_BOOTED)


@pytest.mark.parametrize("method", ["Destroy", "Shutdown", "Reboot", "Reset", "Create",
                                    "ManagedSave", "Undefine", "GetXMLDesc", "GetVcpus",
                                    "HasManagedSaveImage", "ManagedSaveRemove",
                                    "ListDomainSnapshots", "GetHostname"])
def test_unknown_flags(virtbusd, method, dom_events):
    fn = getattr(virtbusd.test_domain(), method)
    assert_dbus_error(fn, U(1 << 20), contains="unsupported flags (0x100000)")
    assert state(virtbusd) == (RUNNING, RUN_BOOTED)
    assert virtbusd.list_domains() == [TEST_DOMAIN_PATH]
    dom_events.settle(0.1)
    assert ev(dom_events) == []


def test_missing_domain_path(virtbusd):
    gone = domain_path("00000000-0000-0000-0000-000000000009")
    with raises_dbus(LIBVIRT_ERROR, "Domain not found"):
        virtbusd.call(gone, DOMAIN, "GetState", U(0), signature="u")
    with raises_dbus(LIBVIRT_ERROR, "Domain not found"):
        virtbusd.call(gone, PROPS, "Get", DOMAIN, "Name", signature="ss")


def test_undefined_domain_path_gone(virtbusd):
    p = virtbusd.define_domain("gone1")
    virtbusd.domain(p).Undefine(U(0))
    with raises_dbus(LIBVIRT_ERROR, "Domain not found"):
        virtbusd.call(p, DOMAIN, "GetState", U(0), signature="u")


def test_malformed_domain_path(virtbusd):
    for node in ("garbage", "_6695eb01", "_zz95eb01_f6a4_8304_79aa_97f2502e193f"):
        with raises_dbus(("org.freedesktop.DBus.Error.UnknownObject",
                          "org.freedesktop.DBus.Error.UnknownMethod")):
            virtbusd.call(TEST_PATH + "/domain/" + node, DOMAIN, "GetState", U(0),
                          signature="u")


def test_unimplemented_member(virtbusd):
    dom = virtbusd.test_domain()
    assert_dbus_error(dom.BlockCommit, "vda", "", "", dbus.UInt64(0), U(0),
                      contains="this function is not supported by the connection driver: "
                               "virDomainBlockCommit")
    assert state(virtbusd) == (RUNNING, RUN_BOOTED)


# --------------------------------------------------------------------------- ObjectManager

def _all_signals(d):
    return d.recorder()


def _index(sigs, pred):
    for i, s in enumerate(sigs):
        if pred(s):
            return i
    return None


def test_define_emits_interfaces_added_first(virtbusd):
    rec = _all_signals(virtbusd)
    p = virtbusd.define_domain("om1")
    rec.wait(1, member="DomainEvent")
    rec.wait(1, member="InterfacesAdded")
    sigs = rec.settle(0.2)
    ia = _index(sigs, lambda s: s[1] == "InterfacesAdded" and str(s[3][0]) == p)
    de = _index(sigs, lambda s: s[1] == "DomainEvent" and str(s[3][0]) == p)
    assert ia is not None and de is not None
    assert ia < de, "InterfacesAdded must precede DomainEvent(0,0): %r" % sigs
    iface, member, path, args = sigs[ia]
    assert iface == OBJMGR and path == TEST_PATH
    ifaces = args[1]
    assert DOMAIN in ifaces
    assert str(ifaces[DOMAIN]["Name"]) == "om1"
    assert ifaces[DOMAIN]["Active"] == False  # noqa: E712
    assert tuple(int(x) for x in sigs[de][3][1:]) == DEFINED_ADDED


def test_undefine_emits_interfaces_removed_last(virtbusd):
    p = virtbusd.define_domain("om1")
    rec = _all_signals(virtbusd)
    virtbusd.domain(p).Undefine(U(0))
    rec.wait(1, member="InterfacesRemoved")
    sigs = rec.settle(0.2)
    de = _index(sigs, lambda s: s[1] == "DomainEvent" and str(s[3][0]) == p)
    ir = _index(sigs, lambda s: s[1] == "InterfacesRemoved" and str(s[3][0]) == p)
    assert de is not None and ir is not None
    assert de < ir, "DomainEvent(1,0) must precede InterfacesRemoved: %r" % sigs
    assert tuple(int(x) for x in sigs[de][3][1:]) == UNDEFINED_REMOVED
    assert sigs[ir][2] == TEST_PATH
    assert DOMAIN in [str(x) for x in sigs[ir][3][1]]


def test_transient_destroy_emits_interfaces_removed(virtbusd):
    rec = _all_signals(virtbusd)
    t = virtbusd.create_domain("om-t")
    virtbusd.domain(t).Destroy(U(0))
    rec.wait(1, member="InterfacesRemoved")
    sigs = rec.settle(0.2)
    order = [(s[1], tuple(int(x) for x in s[3][1:]) if s[1] == "DomainEvent" else None)
             for s in sigs if s[1] in ("InterfacesAdded", "InterfacesRemoved", "DomainEvent")
             and str(s[3][0]) == t]
    assert order == [("InterfacesAdded", None), ("DomainEvent", STARTED_BOOTED),
                     ("DomainEvent", STOPPED_DESTROYED), ("InterfacesRemoved", None)], order


def test_create_emits_properties_changed(virtbusd):
    p = virtbusd.define_domain("pc1")
    rec = virtbusd.recorder(interface=PROPS, member="PropertiesChanged", path=p)
    virtbusd.domain(p).Create(U(0))
    newid = int(virtbusd.get(p, DOMAIN, "Id"))
    rec.wait(1)
    rec.settle(0.3)
    changed = {}
    for s in rec.signals:
        assert str(s[3][0]) == DOMAIN
        changed.update({str(k): v for k, v in s[3][1].items()})
    assert changed.get("Active") == True, rec.signals  # noqa: E712
    assert "Id" in changed, rec.signals
    assert int(changed["Id"]) == newid


def test_destroy_emits_properties_changed(virtbusd):
    rec = virtbusd.recorder(interface=PROPS, member="PropertiesChanged", path=TEST_DOMAIN_PATH)
    virtbusd.test_domain().Destroy(U(0))
    rec.wait(1)
    rec.settle(0.3)
    changed = {}
    for s in rec.signals:
        changed.update({str(k): v for k, v in s[3][1].items()})
    assert changed.get("Active") == False, rec.signals  # noqa: E712


def test_rename_emits_name_changed(virtbusd):
    dom = virtbusd.test_domain()
    dom.Destroy(U(0))
    rec = virtbusd.recorder(interface=PROPS, member="PropertiesChanged", path=TEST_DOMAIN_PATH)
    dom.Rename("renamed", U(0))
    rec.wait(1)
    rec.settle(0.2)
    changed = {}
    for s in rec.signals:
        changed.update({str(k): v for k, v in s[3][1].items()})
    assert str(changed.get("Name")) == "renamed", rec.signals


# ---- CreateWithFiles / DomainCreateXMLWithFiles (the test driver only checks the descriptors)

def _gcall_with_fds(virtbusd, path, iface, method, params, fds, reply_type):
    fd_list = Gio.UnixFDList.new()
    for fd in fds:
        fd_list.append(fd)
    reply, _ = virtbusd.gio.call_with_unix_fd_list_sync(
        virtbusd.bus_name, path, iface, method, params, GLib.VariantType.new(reply_type),
        Gio.DBusCallFlags.NONE, 30000, fd_list, None)
    return reply


def test_create_with_files_starts_the_domain(virtbusd):
    p = virtbusd.define_domain("withfiles")
    r, w = os.pipe()
    try:
        virtbusd.domain(p).CreateWithFiles([dbus.types.UnixFd(r), dbus.types.UnixFd(w)], U(0))
    finally:
        os.close(r)
        os.close(w)
    assert virtbusd.get(p, DOMAIN, "Active") == True  # noqa: E712
    assert int(virtbusd.get(p, DOMAIN, "Id")) > 0


def test_create_with_files_refuses_a_handle_not_sent(virtbusd):
    p = virtbusd.define_domain("badhandle")
    r, w = os.pipe()
    try:
        with pytest.raises(GLib.Error, match="file handle 3 does not name one of the 2"):
            _gcall_with_fds(virtbusd, p, DOMAIN, "CreateWithFiles",
                            GLib.Variant("(ahu)", ([0, 3], 0)), [r, w], "()")
    finally:
        os.close(r)
        os.close(w)
    assert virtbusd.get(p, DOMAIN, "Active") == False  # noqa: E712


def test_create_xml_with_files(virtbusd):
    r, w = os.pipe()
    try:
        (path,) = _gcall_with_fds(virtbusd, "/org/libvirt/Test", CONNECT, "DomainCreateXMLWithFiles",
                                  GLib.Variant("(sahu)", (domain_xml("xmlfiles"), [1], 0)), [r, w], "(o)")
    finally:
        os.close(r)
        os.close(w)
    assert virtbusd.get(path, DOMAIN, "Persistent") == False  # noqa: E712
    assert virtbusd.get(path, DOMAIN, "Active") == True  # noqa: E712


def test_create_xml_with_files_bad_handle_defines_nothing(virtbusd):
    before = virtbusd.list_domains()
    with pytest.raises(GLib.Error, match="file handle 0 does not name one of the 0"):
        _gcall_with_fds(virtbusd, "/org/libvirt/Test", CONNECT, "DomainCreateXMLWithFiles",
                        GLib.Variant("(sahu)", (domain_xml("nofiles"), [0], 0)), [], "(o)")
    assert virtbusd.list_domains() == before
