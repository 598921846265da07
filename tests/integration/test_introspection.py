"""Every object kind introspects with exactly the members clients rely on
(../shared/api/org.libvirt-members.txt), and every method names its polkit action."""

import os
import xml.etree.ElementTree as ET

import pytest

from conftest import (CONNECT, DOMAIN, ETH1_PATH, IFACE, NETWORK, NODEDEV, NWFILTER, POOL,
                      SECRET, SNAPSHOT, TEST_DOMAIN_PATH, TEST_NETWORK_PATH, TEST_PATH,
                      TEST_POOL_PATH, VOL, create_snapshot, create_volume, define_nwfilter,
                      define_secret, nodedev_path, shared_dir)

POLKIT_ACTION = "org.libvirt.Polkit.Action"


def load_members():
    sd = shared_dir()
    if sd is None:
        return None
    path = os.path.join(sd, "api", "org.libvirt-members.txt")
    members = {}
    current = None
    with open(path) as f:
        for raw in f:
            line = raw.strip()
            if line.startswith("## "):
                current = line[3:].strip()
                members[current] = {"property": {}, "method": {}, "signal": {}}
                continue
            if current is None or not line or line.startswith("#"):
                continue
            parts = line.split()
            kind, name = parts[0], parts[1]
            if kind == "property":
                members[current]["property"][name] = (parts[2], parts[3])
            elif kind == "method":
                args = []
                for a in parts[2:]:
                    d, n, t = a.split(":", 2)
                    args.append((d, n, t))
                members[current]["method"][name] = args
            elif kind == "signal":
                args = []
                for a in parts[2:]:
                    n, t = a.split(":", 1)
                    args.append((n, t))
                members[current]["signal"][name] = args
    return members


MEMBERS = load_members()


def _setup_none(d):
    return None


OBJECTS = {
    CONNECT: lambda d: TEST_PATH,
    DOMAIN: lambda d: TEST_DOMAIN_PATH,
    NETWORK: lambda d: TEST_NETWORK_PATH,
    NODEDEV: lambda d: nodedev_path("computer"),
    POOL: lambda d: TEST_POOL_PATH,
    VOL: lambda d: create_volume(d),
    IFACE: lambda d: ETH1_PATH,
    SECRET: lambda d: define_secret(d),
    NWFILTER: lambda d: define_nwfilter(d),
    SNAPSHOT: lambda d: create_snapshot(d),
}


def interface_element(d, path, iface):
    root = ET.fromstring(d.introspect(path))
    for el in root.findall("interface"):
        if el.get("name") == iface:
            return el
    raise AssertionError("%s does not implement %s; has %s"
                         % (path, iface, [e.get("name") for e in root.findall("interface")]))


def _annotations(el):
    return {a.get("name"): a.get("value") for a in el.findall("annotation")}


def test_members_file_parsed():
    if MEMBERS is None:
        pytest.skip("VIRTBUS_SHARED missing: no org.libvirt-members.txt")
    assert set(OBJECTS) == set(MEMBERS), "members file interfaces changed: %s" % sorted(MEMBERS)
    assert len(MEMBERS[DOMAIN]["method"]) > 90


@pytest.mark.parametrize("iface", sorted(OBJECTS))
def test_members_present(virtbusd, iface):
    if MEMBERS is None:
        pytest.skip("VIRTBUS_SHARED missing: no org.libvirt-members.txt")
    path = OBJECTS[iface](virtbusd)
    el = interface_element(virtbusd, path, iface)
    want = MEMBERS[iface]
    problems = []

    props = {p.get("name"): p for p in el.findall("property")}
    for name, (ptype, access) in want["property"].items():
        p = props.get(name)
        if p is None:
            problems.append("property %s missing" % name)
            continue
        if p.get("type") != ptype:
            problems.append("property %s type %s, want %s" % (name, p.get("type"), ptype))
        if p.get("access") != access:
            problems.append("property %s access %s, want %s" % (name, p.get("access"), access))

    methods = {m.get("name"): m for m in el.findall("method")}
    for name, args in want["method"].items():
        m = methods.get(name)
        if m is None:
            problems.append("method %s missing" % name)
            continue
        got = [(a.get("direction") or "in", a.get("name"), a.get("type"))
               for a in m.findall("arg")]
        if [(x[0], x[2]) for x in got] != [(x[0], x[2]) for x in args]:
            problems.append("method %s signature %s, want %s" % (name, got, args))
        elif got != args:
            problems.append("method %s argument names %s, want %s" % (name, got, args))

    signals = {s.get("name"): s for s in el.findall("signal")}
    for name, args in want["signal"].items():
        s = signals.get(name)
        if s is None:
            problems.append("signal %s missing" % name)
            continue
        got = [(a.get("name"), a.get("type")) for a in s.findall("arg")]
        if [x[1] for x in got] != [x[1] for x in args]:
            problems.append("signal %s signature %s, want %s" % (name, got, args))
        elif got != args:
            problems.append("signal %s argument names %s, want %s" % (name, got, args))

    assert not problems, "%s at %s:\n  %s" % (iface, path, "\n  ".join(problems))


@pytest.mark.parametrize("iface", sorted(OBJECTS))
def test_methods_have_polkit_action(virtbusd, iface):
    path = OBJECTS[iface](virtbusd)
    el = interface_element(virtbusd, path, iface)
    methods = el.findall("method")
    assert methods, "%s has no methods" % iface
    missing = []
    for m in methods:
        act = _annotations(m).get(POLKIT_ACTION)
        if not act or not act.startswith("org.libvirt.api."):
            missing.append(m.get("name"))
    assert not missing, "%s methods without %s: %s" % (iface, POLKIT_ACTION, missing)


@pytest.mark.parametrize("iface", sorted(OBJECTS))
def test_standard_interfaces(virtbusd, iface):
    path = OBJECTS[iface](virtbusd)
    root = ET.fromstring(virtbusd.introspect(path))
    names = {e.get("name") for e in root.findall("interface")}
    assert "org.freedesktop.DBus.Properties" in names
    assert "org.freedesktop.DBus.Introspectable" in names
    if iface == CONNECT:
        assert "org.freedesktop.DBus.ObjectManager" in names
