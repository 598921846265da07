"""org.libvirt.Connect at /org/libvirt/Test."""

import socket

import dbus
import pytest
from gi.repository import GLib

from conftest import (BUS_NAME, CONNECT, DOMAIN, ETH1_PATH, IFACE, LIBVIRT_ERROR, NETWORK,
                      NODEDEV, NWFILTER, NWFILTER_UUID, OBJMGR, POOL, PROPS, SECRET,
                      SECRET_UUID, TEST_DOMAIN_PATH, TEST_DOMAIN_UUID, TEST_NETWORK_PATH,
                      TEST_NETWORK_UUID, TEST_PATH, TEST_POOL_PATH, TEST_POOL_UUID,
                      assert_dbus_error, create_snapshot, define_nwfilter, define_secret,
                      domain_path, domain_xml, nodedev_path, parse_xml, raises_dbus,
                      uuid_node, unwrap_all, variant_inner_types)

U = dbus.UInt32

CONNECT_PROPS = {"Encrypted": "b", "Hostname": "s", "LibVersion": "t", "Secure": "b",
                 "Version": "t"}


# --------------------------------------------------------------------------- properties

def test_properties_get(virtbusd):
    enc = virtbusd.get(TEST_PATH, CONNECT, "Encrypted")
    sec = virtbusd.get(TEST_PATH, CONNECT, "Secure")
    host = virtbusd.get(TEST_PATH, CONNECT, "Hostname")
    lib = virtbusd.get(TEST_PATH, CONNECT, "LibVersion")
    ver = virtbusd.get(TEST_PATH, CONNECT, "Version")
    assert isinstance(enc, dbus.Boolean) and enc == False  # noqa: E712 (test driver: 0)
    assert isinstance(sec, dbus.Boolean) and sec == True  # noqa: E712 (test driver: 1)
    assert isinstance(host, dbus.String) and str(host)
    names = {socket.gethostname(), socket.getfqdn()}
    assert str(host) in names or str(host).split(".")[0] == socket.gethostname().split(".")[0]
    assert isinstance(lib, dbus.UInt64) and int(lib) >= 1000000  # major*1000000+...
    assert isinstance(ver, dbus.UInt64)
    assert int(ver) == 2  # testConnectGetVersion: hvVer = 2


def test_properties_get_all_python(virtbusd):
    props = virtbusd.get_all(TEST_PATH, CONNECT)
    assert set(props) == set(CONNECT_PROPS)
    assert props["Hostname"] == virtbusd.get(TEST_PATH, CONNECT, "Hostname")
    assert props["LibVersion"] == virtbusd.get(TEST_PATH, CONNECT, "LibVersion")
    # libvirt-dbus wraps each value twice: python-dbus shows variant_level 2
    for k, v in props.items():
        assert getattr(v, "variant_level", 0) == 2, "%s variant_level %r" % (
            k, getattr(v, "variant_level", 0))


def test_properties_get_all_wire_format(virtbusd):
    """GetAll returns a{sv} whose every value is a variant holding another variant."""
    reply = virtbusd.gcall(TEST_PATH, PROPS, "GetAll",
                           GLib.Variant("(s)", (CONNECT,)), "(a{sv})")
    av = reply.get_child_value(0)
    assert av.get_type_string() == "a{sv}"
    inner = variant_inner_types(av)
    assert set(inner) == set(CONNECT_PROPS)
    for k, t in inner.items():
        assert t == "v", "GetAll value of %s is a variant of %r, not of a variant" % (k, t)
    # and inside the inner variant, the property's own type
    for i in range(av.n_children()):
        e = av.get_child_value(i)
        k = e.get_child_value(0).get_string()
        v = e.get_child_value(1).get_variant().get_variant()
        assert v.get_type_string() == CONNECT_PROPS[k], k


@pytest.mark.parametrize("prop,ptype", sorted(CONNECT_PROPS.items()))
def test_properties_get_wire_format(virtbusd, prop, ptype):
    """Properties.Get returns one plain variant."""
    reply = virtbusd.gcall(TEST_PATH, PROPS, "Get",
                           GLib.Variant("(ss)", (CONNECT, prop)), "(v)")
    v = reply.get_child_value(0).get_variant()
    assert v.get_type_string() == ptype


def test_libversion_gate(virtbusd):
    """Cockpit's gate: Properties.Get(Connect, LibVersion)."""
    obj = virtbusd.bus.get_object(BUS_NAME, TEST_PATH, introspect=False)
    v = obj.Get(CONNECT, "LibVersion", dbus_interface=PROPS, signature="ss")
    assert isinstance(v, dbus.UInt64)
    assert v.variant_level == 1
    assert int(v) > 0


def test_properties_read_only(virtbusd):
    with raises_dbus(("org.freedesktop.DBus.Error.PropertyReadOnly",
                      "org.freedesktop.DBus.Error.AccessDenied",
                      "org.freedesktop.DBus.Error.InvalidArgs")):
        virtbusd.set(TEST_PATH, CONNECT, "Hostname", dbus.String("x", variant_level=1))
    assert str(virtbusd.get(TEST_PATH, CONNECT, "Hostname")) != "x"


def test_unknown_property(virtbusd):
    with raises_dbus(("org.freedesktop.DBus.Error.InvalidArgs",
                      "org.freedesktop.DBus.Error.UnknownProperty")):
        virtbusd.get(TEST_PATH, CONNECT, "NoSuchProperty")


# --------------------------------------------------------------------------- domains

def _setup_mix(d):
    """test (running, persistent, snapshot), inactive1 (shut off, autostart),
    transient1 (running, transient), paused1 (paused), saved1 (managed save)."""
    create_snapshot(d, "s1")
    inactive = d.define_domain("inactive1")
    d.set(inactive, DOMAIN, "Autostart", dbus.Boolean(True))
    transient = d.create_domain("transient1")
    paused = d.define_domain("paused1")
    d.domain(paused).Create(U(0))
    d.domain(paused).Suspend()
    saved = d.define_domain("saved1")
    d.domain(saved).Create(U(0))
    d.domain(saved).ManagedSave(U(0))
    return {"test": TEST_DOMAIN_PATH, "inactive1": inactive, "transient1": transient,
            "paused1": paused, "saved1": saved}


ALL = {"test", "inactive1", "transient1", "paused1", "saved1"}
LIST_FLAG_EXPECT = [
    (0, ALL),
    (1, {"test", "transient1", "paused1"}),              # active
    (2, {"inactive1", "saved1"}),                        # inactive
    (3, ALL),
    (4, {"test", "inactive1", "paused1", "saved1"}),     # persistent
    (8, {"transient1"}),                                 # transient
    (16, {"test", "transient1"}),                        # running
    (32, {"paused1"}),                                   # paused
    (64, {"inactive1", "saved1"}),                       # shutoff
    (128, set()),                                        # other
    (16 | 32, {"test", "transient1", "paused1"}),
    (256, {"saved1"}),                                   # managedsave
    (512, ALL - {"saved1"}),                             # no_managedsave
    (1024, {"inactive1"}),                               # autostart
    (2048, ALL - {"inactive1"}),                         # no_autostart
    (4096, {"test"}),                                    # has_snapshot
    (8192, ALL - {"test"}),                              # no_snapshot
    (4 | 64, {"inactive1", "saved1"}),                   # persistent and shut off
    (1 | 8, {"transient1"}),                             # active and transient
    (2 | 1024, {"inactive1"}),
]


def test_list_domains_default(virtbusd):
    assert virtbusd.list_domains() == [TEST_DOMAIN_PATH]
    r = virtbusd.conn_call("ListDomains", U(0))
    assert all(isinstance(p, dbus.ObjectPath) for p in r)


def test_list_domains_flags(virtbusd):
    paths = _setup_mix(virtbusd)
    names = {p: n for n, p in paths.items()}
    problems = []
    for flags, want in LIST_FLAG_EXPECT:
        got = {names.get(p, p) for p in virtbusd.list_domains(flags)}
        if got != want:
            problems.append("flags %d: got %s, want %s" % (flags, sorted(got), sorted(want)))
    assert not problems, "\n".join(problems)


def test_list_domains_unknown_flags(virtbusd):
    assert_dbus_error(virtbusd.conn_call, "ListDomains", U(1 << 20),
                      contains="unsupported flags (0x100000)")
    assert_dbus_error(virtbusd.conn_call, "ListDomains", U(0x80000000),
                      contains="unsupported flags (0x80000000)")
    assert virtbusd.list_domains() == [TEST_DOMAIN_PATH]


def test_domain_lookup(virtbusd):
    assert str(virtbusd.conn_call("DomainLookupByID", 1)) == TEST_DOMAIN_PATH
    assert str(virtbusd.conn_call("DomainLookupByName", "test")) == TEST_DOMAIN_PATH
    assert str(virtbusd.conn_call("DomainLookupByUUID", TEST_DOMAIN_UUID)) == TEST_DOMAIN_PATH
    # uppercase / no dashes are valid libvirt UUID spellings
    assert str(virtbusd.conn_call("DomainLookupByUUID", TEST_DOMAIN_UUID.upper())) == \
        TEST_DOMAIN_PATH
    assert str(virtbusd.conn_call("DomainLookupByUUID",
                                  TEST_DOMAIN_UUID.replace("-", ""))) == TEST_DOMAIN_PATH


def test_domain_lookup_not_found(virtbusd):
    assert_dbus_error(virtbusd.conn_call, "DomainLookupByName", "nope",
                      contains="Domain not found: no domain with matching name 'nope'")
    assert_dbus_error(virtbusd.conn_call, "DomainLookupByID", 99, contains="Domain not found")
    assert_dbus_error(virtbusd.conn_call, "DomainLookupByID", -1)
    assert_dbus_error(virtbusd.conn_call, "DomainLookupByUUID",
                      "00000000-0000-0000-0000-000000000001", contains="Domain not found")
    assert_dbus_error(virtbusd.conn_call, "DomainLookupByUUID", "not-a-uuid",
                      regex=r"(?i)uuid")


def test_domain_lookup_by_id_inactive(virtbusd):
    p = virtbusd.define_domain("inactive1")
    assert p in virtbusd.list_domains()
    # an inactive domain has no id: LookupByID must not find it under any id
    for i in (0, 2, -1):
        with raises_dbus():
            virtbusd.conn_call("DomainLookupByID", i)


def test_domain_define_xml(virtbusd):
    rec = virtbusd.recorder(interface=CONNECT, member="DomainEvent")
    uuid = "2b9a8c1e-1f3d-4c5e-8a7b-9c0d1e2f3a4b"
    path = virtbusd.define_domain("defined1", uuid)
    assert path == domain_path(uuid)
    assert path in virtbusd.list_domains()
    assert str(virtbusd.conn_call("DomainLookupByName", "defined1")) == path
    assert virtbusd.get(path, DOMAIN, "Active") == False  # noqa: E712
    assert virtbusd.get(path, DOMAIN, "Persistent") == True  # noqa: E712
    assert str(virtbusd.get(path, DOMAIN, "UUID")) == uuid
    rec.wait(1)
    assert rec.events()[0] == (path, 0, 0)
    # without a uuid one is generated and the path follows it
    p2 = virtbusd.define_domain("defined2")
    u2 = str(virtbusd.get(p2, DOMAIN, "UUID"))
    assert p2 == domain_path(u2)


BAD_DEFINES = [
    ("malformed", "<domain type='test'><name>bad</name>", None),
    ("not xml", "this is not xml", None),
    ("missing name", "<domain type='test'><memory>1024</memory><os><type>hvm</type></os>"
                     "</domain>", "name"),
    ("duplicate name", domain_xml("test", "11111111-2222-3333-4444-555555555555"),
     "operation failed: domain 'test' already exists with uuid " + TEST_DOMAIN_UUID),
    ("duplicate uuid", domain_xml("other", TEST_DOMAIN_UUID), "already defined with uuid"),
    ("slash in name", domain_xml("bad/name"), "cannot contain '/'"),
    ("wrong root", "<network><name>x</name></network>", None),
    ("bad uuid", domain_xml("baduuid", "zzzz"), None),
    ("empty", "", None),
]


@pytest.mark.parametrize("what,xml,msg", BAD_DEFINES, ids=[b[0] for b in BAD_DEFINES])
def test_domain_define_xml_errors(virtbusd, what, xml, msg):
    before = virtbusd.list_domains()
    rec = virtbusd.recorder(interface=CONNECT, member="DomainEvent")
    assert_dbus_error(virtbusd.conn_call, "DomainDefineXML", xml, contains=msg)
    assert virtbusd.list_domains() == before
    # the test domain is untouched
    assert str(virtbusd.get(TEST_DOMAIN_PATH, DOMAIN, "Name")) == "test"
    assert virtbusd.get(TEST_DOMAIN_PATH, DOMAIN, "Active") == True  # noqa: E712
    rec.settle(0.2)
    assert rec.events() == []


def test_domain_create_xml(virtbusd):
    rec = virtbusd.recorder(interface=CONNECT, member="DomainEvent")
    path = virtbusd.create_domain("transient1")
    assert path in virtbusd.list_domains()
    assert virtbusd.get(path, DOMAIN, "Active") == True  # noqa: E712
    assert virtbusd.get(path, DOMAIN, "Persistent") == False  # noqa: E712
    assert int(virtbusd.get(path, DOMAIN, "Id")) >= 2
    state = virtbusd.domain(path).GetState(U(0))
    assert tuple(int(x) for x in state) == (1, 1)   # running, booted
    rec.wait(1)
    assert rec.events() == [(path, 2, 0)]
    virtbusd.domain(path).Destroy(U(0))
    rec.wait(2)
    assert rec.events()[1] == (path, 5, 1)
    assert path not in virtbusd.list_domains()
    assert_dbus_error(virtbusd.conn_call, "DomainLookupByName", "transient1",
                      contains="Domain not found")


def test_domain_create_xml_errors(virtbusd):
    before = virtbusd.list_domains()
    assert_dbus_error(virtbusd.conn_call, "DomainCreateXML", "<domain", U(0))
    assert_dbus_error(virtbusd.conn_call, "DomainCreateXML", domain_xml("test"), U(0))
    assert_dbus_error(virtbusd.conn_call, "DomainCreateXML", domain_xml("x"), U(1 << 20),
                      contains="unsupported flags")
    assert virtbusd.list_domains() == before


def test_domain_create_xml_ids_count_up(virtbusd):
    a = virtbusd.create_domain("t1")
    b = virtbusd.create_domain("t2")
    ia, ib = int(virtbusd.get(a, DOMAIN, "Id")), int(virtbusd.get(b, DOMAIN, "Id"))
    assert ia >= 2 and ib > ia
    assert str(virtbusd.conn_call("DomainLookupByID", ib)) == b


def test_get_all_domain_stats(virtbusd):
    """a(sa{sv}): one record per domain, named, with typed-param values wrapped twice."""
    virtbusd.define_domain("inactive1")
    reply = virtbusd.gcall(TEST_PATH, CONNECT, "GetAllDomainStats",
                           GLib.Variant("(uu)", (45, 0)), "(a(sa{sv}))")
    recs = reply.get_child_value(0)
    got = {}
    for i in range(recs.n_children()):
        r = recs.get_child_value(i)
        name = r.get_child_value(0).get_string()
        av = r.get_child_value(1)
        inner = variant_inner_types(av)
        assert all(t == "v" for t in inner.values()), (name, inner)
        got[name] = unwrap_all(av)
    assert sorted(got) == ["inactive1", "test"]
    assert got["test"]["state.state"] == 1
    assert got["inactive1"]["state.state"] == 5
    assert got["test"]["block.0.name"] == "vda"
    # ACTIVE (1) filter
    only = virtbusd.conn_call("GetAllDomainStats", U(1), U(1))
    assert [str(r[0]) for r in only] == ["test"]


def test_define_xml_no_external_entities(virtbusd):
    """libxml2 runs in safe mode: no DTD/external entities are expanded."""
    xxe = ("<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/hostname'>]>"
           "<domain type='test'><name>a&x;</name><memory>1024</memory>"
           "<os><type>hvm</type></os></domain>")
    try:
        p = str(virtbusd.conn_call("DomainDefineXML", xxe))
    except dbus.exceptions.DBusException as e:
        assert e.get_dbus_name() == LIBVIRT_ERROR
    else:
        with open("/etc/hostname") as f:
            host = f.read().strip()
        assert host not in virtbusd.domain_name(p)
    assert virtbusd.proc.poll() is None


def test_define_xml_entity_expansion_bomb(virtbusd):
    ents = "".join("<!ENTITY lol%d '%s'>" % (i + 1, ("&lol%s;" % (i if i else "")) * 10)
                   for i in range(9))
    bomb = ("<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>%s]>"
            "<domain type='test'><name>&lol9;</name><memory>1024</memory>"
            "<os><type>hvm</type></os></domain>" % ents)
    assert_dbus_error(virtbusd.conn_call, "DomainDefineXML", bomb)
    assert virtbusd.list_domains() == [TEST_DOMAIN_PATH]


def test_define_xml_size_cap(virtbusd):
    big = ("<domain type='test'><name>big</name><description>%s</description>"
           "<memory>1024</memory><os><type>hvm</type></os></domain>" % ("x" * (11 << 20)))
    assert_dbus_error(virtbusd.conn_call, "DomainDefineXML", big)
    assert virtbusd.list_domains() == [TEST_DOMAIN_PATH]


def test_define_xml_control_characters_in_name(virtbusd):
    assert_dbus_error(virtbusd.conn_call, "DomainDefineXML", domain_xml("bad\nname"))
    assert virtbusd.list_domains() == [TEST_DOMAIN_PATH]


def test_wrong_interface_on_connect_path(virtbusd):
    with raises_dbus(("org.freedesktop.DBus.Error.UnknownMethod",
                      "org.freedesktop.DBus.Error.UnknownInterface")):
        virtbusd.call(TEST_PATH, DOMAIN, "GetState", U(0), signature="u")
    with raises_dbus(("org.freedesktop.DBus.Error.InvalidArgs",
                      "org.freedesktop.DBus.Error.UnknownInterface")):
        virtbusd.call(TEST_PATH, PROPS, "GetAll", DOMAIN, signature="s")


# --------------------------------------------------------------------------- host

def test_get_capabilities(virtbusd):
    caps = parse_xml(virtbusd.conn_call("GetCapabilities"))
    assert caps.tag == "capabilities"
    host = caps.find("host")
    assert host is not None
    assert host.find("cpu/arch") is not None
    guests = caps.findall("guest")
    assert guests
    archs = {g.find("arch").get("name") for g in guests}
    assert "i686" in archs
    dtypes = {d.get("type") for g in guests for d in g.findall("arch/domain")}
    assert "test" in dtypes
    ostypes = {g.findtext("os_type") for g in guests}
    assert "hvm" in ostypes


def test_get_sysinfo(virtbusd):
    si = parse_xml(virtbusd.conn_call("GetSysinfo", U(0)))
    assert si.tag == "sysinfo"
    assert si.get("type") == "smbios"
    assert_dbus_error(virtbusd.conn_call, "GetSysinfo", U(1), contains="unsupported flags")


def _arch_machine(d, path):
    x = parse_xml(d.domain(path).GetXMLDesc(U(0)))
    t = x.find("os/type")
    return t.get("arch"), t.get("machine")


def test_get_domain_capabilities_every_domain(virtbusd):
    """Cockpit drops a domain whose GetDomainCapabilities("", arch, machine, "", 0) fails."""
    _setup_mix(virtbusd)
    paths = virtbusd.list_domains()
    assert len(paths) == 5
    for p in paths:
        arch, machine = _arch_machine(virtbusd, p)
        assert arch, "domain %s XML lacks <os><type arch=...>" % p
        assert machine, "domain %s XML lacks <os><type machine=...>" % p
        dc = parse_xml(virtbusd.conn_call("GetDomainCapabilities", "", arch, machine, "",
                                          U(0)))
        assert dc.tag == "domainCapabilities"
        assert dc.findtext("arch") == arch


def test_get_domain_capabilities_defaults(virtbusd):
    dc = parse_xml(virtbusd.conn_call("GetDomainCapabilities", "", "", "", "", U(0)))
    assert dc.tag == "domainCapabilities"
    assert dc.findtext("domain") == "test"
    assert dc.findtext("arch")
    dc2 = parse_xml(virtbusd.conn_call("GetDomainCapabilities", "", "i686", "", "test",
                                       U(0)))
    assert dc2.findtext("arch") == "i686"


def test_get_domain_capabilities_errors(virtbusd):
    assert_dbus_error(virtbusd.conn_call, "GetDomainCapabilities", "", "nosucharch", "", "",
                      U(0))
    assert_dbus_error(virtbusd.conn_call, "GetDomainCapabilities", "", "", "", "kvmx",
                      U(0))


def test_node_get_cpu_map(virtbusd):
    m = virtbusd.conn_call("NodeGetCPUMap", U(0))
    assert len(m) == 16
    assert all(isinstance(b, dbus.Boolean) for b in m)
    assert any(m)


def test_node_get_memory_stats(virtbusd):
    s = virtbusd.conn_call("NodeGetMemoryStats", -1, U(0))
    assert "total" in s
    assert "free" in s
    assert all(isinstance(v, dbus.UInt64) for v in s.values())
    assert int(s["total"]) == 3145728   # KiB, the node's memory
    assert 0 < int(s["free"]) <= int(s["total"])
    # per cell
    s0 = virtbusd.conn_call("NodeGetMemoryStats", 0, U(0))
    assert "total" in s0 and int(s0["total"]) <= int(s["total"])
    assert_dbus_error(virtbusd.conn_call, "NodeGetMemoryStats", 99, U(0))


def test_node_get_cpu_stats(virtbusd):
    for cpu in (-1, 0):
        s = virtbusd.conn_call("NodeGetCPUStats", cpu, U(0))
        assert {"user", "kernel", "idle", "iowait"} <= set(s), s
        assert all(isinstance(v, dbus.UInt64) for v in s.values())
    assert_dbus_error(virtbusd.conn_call, "NodeGetCPUStats", -1, U(1 << 20),
                      contains="unsupported flags")


def test_node_get_free_memory(virtbusd):
    f = virtbusd.conn_call("NodeGetFreeMemory")
    assert isinstance(f, dbus.UInt64)
    assert 0 < int(f) <= 3145728 * 1024     # bytes; the node has 3 GiB


def test_node_get_security_model(virtbusd):
    model, doi = virtbusd.conn_call("NodeGetSecurityModel")
    assert str(model) == "testSecurity"
    assert str(doi) == ""


def test_get_cpu_model_names(virtbusd):
    models = virtbusd.conn_call("GetCPUModelNames", "x86_64", U(0))
    assert isinstance(models, dbus.Array)
    assert_dbus_error(virtbusd.conn_call, "GetCPUModelNames", "nosucharch", U(0),
                      contains="nosucharch")


def test_find_storage_pool_sources(virtbusd):
    x = parse_xml(virtbusd.conn_call("FindStoragePoolSources", "logical", "", U(0)))
    assert x.tag == "sources"
    names = [s.findtext("name") for s in x.findall("source")]
    assert names == ["testvg1", "testvg2"]
    assert_dbus_error(virtbusd.conn_call, "FindStoragePoolSources", "nosuchtype", "", U(0))


# --------------------------------------------------------------------------- networks

NET_XML = ("<network><name>%s</name>%s<bridge name='%s'/>"
           "<ip address='10.%d.0.1' netmask='255.255.255.0'/></network>")


def net_xml(name, uuid=None, bridge=None, n=1):
    u = "<uuid>%s</uuid>" % uuid if uuid else ""
    return NET_XML % (name, u, bridge or ("vbr" + name)[:15], n)


def _net_names(d, flags=0):
    return sorted(str(d.get(p, NETWORK, "Name")) for p in d.conn_call("ListNetworks", U(flags)))


def test_list_networks(virtbusd):
    nets = virtbusd.conn_call("ListNetworks", U(0))
    assert [str(p) for p in nets] == [TEST_NETWORK_PATH]
    defined = str(virtbusd.conn_call("NetworkDefineXML", net_xml("net1")))
    created = str(virtbusd.conn_call("NetworkCreateXML", net_xml("net2", n=2)))
    virtbusd.set(TEST_NETWORK_PATH, NETWORK, "Autostart", dbus.Boolean(True))
    assert _net_names(virtbusd) == ["default", "net1", "net2"]
    assert _net_names(virtbusd, 1) == ["net1"]                  # inactive
    assert _net_names(virtbusd, 2) == ["default", "net2"]       # active
    assert _net_names(virtbusd, 4) == ["default", "net1"]       # persistent
    assert _net_names(virtbusd, 8) == ["net2"]                  # transient
    assert _net_names(virtbusd, 16) == ["default"]              # autostart
    assert _net_names(virtbusd, 32) == ["net1", "net2"]         # no autostart
    assert defined != created
    assert_dbus_error(virtbusd.conn_call, "ListNetworks", U(1 << 20),
                      contains="unsupported flags")


def test_network_lookup(virtbusd):
    assert str(virtbusd.conn_call("NetworkLookupByName", "default")) == TEST_NETWORK_PATH
    assert str(virtbusd.conn_call("NetworkLookupByUUID", TEST_NETWORK_UUID)) == \
        TEST_NETWORK_PATH
    assert_dbus_error(virtbusd.conn_call, "NetworkLookupByName", "nope",
                      contains="Network not found: no network with matching name 'nope'")
    assert_dbus_error(virtbusd.conn_call, "NetworkLookupByUUID",
                      "00000000-0000-0000-0000-000000000002", contains="Network not found")


def test_network_define_and_create_xml(virtbusd):
    rec = virtbusd.recorder(interface=CONNECT, member="NetworkEvent")
    uuid = "004b96e1-2d78-c30f-5aa5-f03c87d21e69"
    p = str(virtbusd.conn_call("NetworkDefineXML", net_xml("net1", uuid)))
    assert p == "%s/network/%s" % (TEST_PATH, uuid_node(uuid))
    assert virtbusd.get(p, NETWORK, "Active") == False  # noqa: E712
    assert virtbusd.get(p, NETWORK, "Persistent") == True  # noqa: E712
    t = str(virtbusd.conn_call("NetworkCreateXML", net_xml("net2", n=2)))
    assert virtbusd.get(t, NETWORK, "Active") == True  # noqa: E712
    assert virtbusd.get(t, NETWORK, "Persistent") == False  # noqa: E712
    rec.wait(2)
    assert rec.events("NetworkEvent") == [(p, 0), (t, 2)]


BAD_NETS = [
    ("malformed", "<network><name>x</name>"),
    ("missing name", "<network><bridge name='vbrx'/></network>"),
    ("duplicate name", net_xml("default", "11111111-2222-3333-4444-555555555555")),
    ("duplicate uuid", net_xml("other", TEST_NETWORK_UUID)),
]


@pytest.mark.parametrize("what,xml", BAD_NETS, ids=[b[0] for b in BAD_NETS])
def test_network_define_xml_errors(virtbusd, what, xml):
    before = _net_names(virtbusd)
    assert_dbus_error(virtbusd.conn_call, "NetworkDefineXML", xml)
    assert_dbus_error(virtbusd.conn_call, "NetworkCreateXML", xml)
    assert _net_names(virtbusd) == before


def test_network_duplicate_name_message(virtbusd):
    assert_dbus_error(virtbusd.conn_call, "NetworkDefineXML",
                      net_xml("default", "11111111-2222-3333-4444-555555555555"),
                      contains="network 'default' already exists with uuid " +
                      TEST_NETWORK_UUID)


# --------------------------------------------------------------------------- node devices

def _dev_names(d, flags=0):
    return sorted(str(d.get(p, NODEDEV, "Name"))
                  for p in d.conn_call("ListNodeDevices", U(flags)))


def test_list_node_devices(virtbusd):
    devs = sorted(str(p) for p in virtbusd.conn_call("ListNodeDevices", U(0)))
    assert devs == sorted(nodedev_path(n) for n in
                          ("computer", "scsi_host1", "scsi_host2", "scsi_host11"))
    assert _dev_names(virtbusd) == sorted(["computer", "scsi_host1", "scsi_host2",
                                           "scsi_host11"])


@pytest.mark.parametrize("flags,want", [
    (1 << 0, ["computer"]),                                   # system
    (1 << 1, []),                                             # pci_dev
    (1 << 5, ["scsi_host1", "scsi_host11", "scsi_host2"]),    # scsi_host
    (1 << 9, ["scsi_host1", "scsi_host11", "scsi_host2"]),    # fc_host
    (1 << 10, ["scsi_host1", "scsi_host2"]),                  # vports
    ((1 << 0) | (1 << 10), ["computer", "scsi_host1", "scsi_host2"]),
])
def test_list_node_devices_cap_flags(virtbusd, flags, want):
    assert _dev_names(virtbusd, flags) == want


def test_node_device_lookup(virtbusd):
    for n in ("computer", "scsi_host1", "scsi_host2", "scsi_host11"):
        assert str(virtbusd.conn_call("NodeDeviceLookupByName", n)) == nodedev_path(n)
    assert_dbus_error(virtbusd.conn_call, "NodeDeviceLookupByName", "nope",
                      contains="Node device not found")
    p = virtbusd.conn_call("NodeDeviceLookupSCSIHostByWWN", "2000000012341234",
                           "1000000012341234", U(0))
    assert str(p) == nodedev_path("scsi_host1")
    p = virtbusd.conn_call("NodeDeviceLookupSCSIHostByWWN", "2000000034563456",
                           "1000000034563456", U(0))
    assert str(p) == nodedev_path("scsi_host11")
    assert_dbus_error(virtbusd.conn_call, "NodeDeviceLookupSCSIHostByWWN",
                      "2000000012341234", "1000000099999999", U(0),
                      contains="Node device not found")


VHBA_XML = ("<device><parent>%s</parent><capability type='scsi_host'>"
            "<capability type='fc_host'><wwnn>%s</wwnn><wwpn>%s</wwpn></capability>"
            "</capability></device>")


def test_node_device_create_destroy_vhba(virtbusd):
    rec = virtbusd.recorder(interface=CONNECT, member="NodeDeviceEvent")
    before = _dev_names(virtbusd)
    p = str(virtbusd.conn_call("NodeDeviceCreateXML",
                               VHBA_XML % ("scsi_host1", "2000000098765432",
                                           "1000000098765432"), U(0)))
    assert p.startswith(TEST_PATH + "/nodedev/")
    name = str(virtbusd.get(p, NODEDEV, "Name"))
    assert name not in before
    assert name.startswith("scsi_host")
    assert p == nodedev_path(name)
    assert _dev_names(virtbusd) == sorted(before + [name])
    assert name in _dev_names(virtbusd, 1 << 5)
    assert str(virtbusd.conn_call("NodeDeviceLookupSCSIHostByWWN", "2000000098765432",
                                  "1000000098765432", U(0))) == p
    rec.wait(1)
    assert rec.events("NodeDeviceEvent")[0] == (p, 0, 0)
    virtbusd.proxy(p, NODEDEV).Destroy()
    rec.wait(2)
    assert rec.events("NodeDeviceEvent")[1] == (p, 1, 0)
    assert _dev_names(virtbusd) == before


def test_node_device_create_errors(virtbusd):
    before = _dev_names(virtbusd)
    # parent without vport_ops capability
    assert_dbus_error(virtbusd.conn_call, "NodeDeviceCreateXML",
                      VHBA_XML % ("scsi_host11", "2000000098765432", "1000000098765432"),
                      U(0))
    assert_dbus_error(virtbusd.conn_call, "NodeDeviceCreateXML",
                      VHBA_XML % ("nope", "2000000098765432", "1000000098765432"), U(0))
    assert_dbus_error(virtbusd.conn_call, "NodeDeviceCreateXML", "<device>", U(0))
    assert _dev_names(virtbusd) == before


# --------------------------------------------------------------------------- storage pools

POOL_XML = ("<pool type='dir'><name>%s</name>%s<target><path>/%s</path></target></pool>")


def pool_xml(name, uuid=None):
    return POOL_XML % (name, "<uuid>%s</uuid>" % uuid if uuid else "", name)


def _pool_names(d, flags=0):
    return sorted(str(d.get(p, POOL, "Name")) for p in d.conn_call("ListStoragePools", U(flags)))


def test_list_storage_pools(virtbusd):
    assert [str(p) for p in virtbusd.conn_call("ListStoragePools", U(0))] == [TEST_POOL_PATH]
    virtbusd.conn_call("StoragePoolDefineXML", pool_xml("pool1"), U(0))
    virtbusd.conn_call("StoragePoolCreateXML", pool_xml("pool2"), U(0))
    assert _pool_names(virtbusd) == ["default-pool", "pool1", "pool2"]
    assert _pool_names(virtbusd, 1) == ["pool1"]                       # inactive
    assert _pool_names(virtbusd, 2) == ["default-pool", "pool2"]       # active
    assert _pool_names(virtbusd, 4) == ["default-pool", "pool1"]       # persistent
    assert _pool_names(virtbusd, 8) == ["pool2"]                       # transient
    assert _pool_names(virtbusd, 64) == ["default-pool", "pool1", "pool2"]  # dir
    assert _pool_names(virtbusd, 128) == []                            # fs
    assert_dbus_error(virtbusd.conn_call, "ListStoragePools", U(1 << 30),
                      contains="unsupported flags")


def test_storage_pool_lookup(virtbusd):
    assert str(virtbusd.conn_call("StoragePoolLookupByName", "default-pool")) == \
        TEST_POOL_PATH
    assert str(virtbusd.conn_call("StoragePoolLookupByUUID", TEST_POOL_UUID)) == \
        TEST_POOL_PATH
    assert_dbus_error(virtbusd.conn_call, "StoragePoolLookupByName", "nope",
                      contains="Storage pool not found")
    assert_dbus_error(virtbusd.conn_call, "StoragePoolLookupByUUID",
                      "00000000-0000-0000-0000-000000000003",
                      contains="Storage pool not found")


def test_storage_pool_define_create_xml(virtbusd):
    rec = virtbusd.recorder(interface=CONNECT, member="StoragePoolEvent")
    uuid = "35bb2ad9-388a-cdfe-461a-b8907f6e53fe"
    p = str(virtbusd.conn_call("StoragePoolDefineXML", pool_xml("pool1", uuid), U(0)))
    assert p == "%s/storagepool/%s" % (TEST_PATH, uuid_node(uuid))
    assert virtbusd.get(p, POOL, "Active") == False  # noqa: E712
    assert virtbusd.get(p, POOL, "Persistent") == True  # noqa: E712
    t = str(virtbusd.conn_call("StoragePoolCreateXML", pool_xml("pool2"), U(0)))
    assert virtbusd.get(t, POOL, "Active") == True  # noqa: E712
    assert virtbusd.get(t, POOL, "Persistent") == False  # noqa: E712
    rec.wait(2)
    assert rec.events("StoragePoolEvent") == [(p, 0, 0), (t, 2, 0)]


@pytest.mark.parametrize("what,xml", [
    ("malformed", "<pool type='dir'><name>x</name>"),
    ("bad type", "<pool type='nosuch'><name>x</name><target><path>/x</path></target></pool>"),
    ("duplicate name", pool_xml("default-pool", "11111111-2222-3333-4444-555555555555")),
    ("duplicate uuid", pool_xml("other", TEST_POOL_UUID)),
], ids=["malformed", "bad-type", "duplicate-name", "duplicate-uuid"])
def test_storage_pool_define_xml_errors(virtbusd, what, xml):
    before = _pool_names(virtbusd)
    assert_dbus_error(virtbusd.conn_call, "StoragePoolDefineXML", xml, U(0))
    assert_dbus_error(virtbusd.conn_call, "StoragePoolCreateXML", xml, U(0))
    assert _pool_names(virtbusd) == before


# --------------------------------------------------------------------------- interfaces

def test_list_interfaces(virtbusd):
    assert [str(p) for p in virtbusd.conn_call("ListInterfaces", U(3))] == [ETH1_PATH]
    assert [str(p) for p in virtbusd.conn_call("ListInterfaces", U(0))] == [ETH1_PATH]
    assert [str(p) for p in virtbusd.conn_call("ListInterfaces", U(2))] == [ETH1_PATH]
    assert [str(p) for p in virtbusd.conn_call("ListInterfaces", U(1))] == []
    assert_dbus_error(virtbusd.conn_call, "ListInterfaces", U(4),
                      contains="unsupported flags")


def test_interface_lookup(virtbusd):
    assert str(virtbusd.conn_call("InterfaceLookupByName", "eth1")) == ETH1_PATH
    assert str(virtbusd.conn_call("InterfaceLookupByMAC", "aa:bb:cc:dd:ee:ff")) == ETH1_PATH
    assert_dbus_error(virtbusd.conn_call, "InterfaceLookupByName", "nope",
                      contains="Interface not found")
    assert_dbus_error(virtbusd.conn_call, "InterfaceLookupByMAC", "00:11:22:33:44:55",
                      contains="Interface not found")


# --------------------------------------------------------------------------- secrets

def test_secrets(virtbusd):
    assert list(virtbusd.conn_call("ListSecrets", U(0))) == []
    rec = virtbusd.recorder(interface=CONNECT, member="SecretEvent")
    p = define_secret(virtbusd)
    assert p == "%s/secret/%s" % (TEST_PATH, uuid_node(SECRET_UUID))
    assert [str(x) for x in virtbusd.conn_call("ListSecrets", U(0))] == [p]
    assert str(virtbusd.conn_call("SecretLookupByUUID", SECRET_UUID)) == p
    assert str(virtbusd.conn_call("SecretLookupByUsage", 1,
                                  "/var/lib/libvirt/images/secret.img")) == p
    rec.wait(1)
    assert rec.events("SecretEvent")[0] == (p, 0, 0)
    assert_dbus_error(virtbusd.conn_call, "SecretLookupByUUID",
                      "00000000-0000-0000-0000-000000000004", contains="Secret not found")
    assert_dbus_error(virtbusd.conn_call, "SecretLookupByUsage", 1, "/nope",
                      contains="Secret not found")
    assert_dbus_error(virtbusd.conn_call, "SecretDefineXML", "<secret", U(0))
    assert [str(x) for x in virtbusd.conn_call("ListSecrets", U(0))] == [p]


# --------------------------------------------------------------------------- nwfilters

def test_nwfilters(virtbusd):
    before = [str(x) for x in virtbusd.conn_call("ListNWFilters", U(0))]
    p = define_nwfilter(virtbusd)
    assert p == "%s/nwfilter/%s" % (TEST_PATH, uuid_node(NWFILTER_UUID))
    after = [str(x) for x in virtbusd.conn_call("ListNWFilters", U(0))]
    assert sorted(after) == sorted(before + [p])
    assert str(virtbusd.conn_call("NWFilterLookupByName", "vb-test-filter")) == p
    assert str(virtbusd.conn_call("NWFilterLookupByUUID", NWFILTER_UUID)) == p
    assert_dbus_error(virtbusd.conn_call, "NWFilterLookupByName", "nope",
                      contains="not found")
    assert_dbus_error(virtbusd.conn_call, "NWFilterLookupByUUID",
                      "00000000-0000-0000-0000-000000000005", contains="not found")
    assert_dbus_error(virtbusd.conn_call, "NWFilterDefineXML", "<filter")
    assert sorted(str(x) for x in virtbusd.conn_call("ListNWFilters", U(0))) == sorted(after)


# --------------------------------------------------------------------------- object manager

def test_get_managed_objects(virtbusd):
    vol_pool = virtbusd.proxy(TEST_POOL_PATH, POOL)
    vol = str(vol_pool.StorageVolCreateXML(
        "<volume><name>om.img</name><capacity unit='MiB'>1</capacity></volume>", U(0)))
    sec = define_secret(virtbusd)
    nwf = define_nwfilter(virtbusd)
    objs = virtbusd.call(TEST_PATH, OBJMGR, "GetManagedObjects", signature="")
    objs = {str(k): v for k, v in objs.items()}
    expect = {
        TEST_DOMAIN_PATH: (DOMAIN, "Name", "test"),
        TEST_NETWORK_PATH: (NETWORK, "Name", "default"),
        TEST_POOL_PATH: (POOL, "Name", "default-pool"),
        ETH1_PATH: (IFACE, "Name", "eth1"),
        nodedev_path("computer"): (NODEDEV, "Name", "computer"),
        nodedev_path("scsi_host1"): (NODEDEV, "Parent", "computer"),
        nodedev_path("scsi_host2"): (NODEDEV, "Name", "scsi_host2"),
        nodedev_path("scsi_host11"): (NODEDEV, "Parent", "scsi_host1"),
        vol: ("org.libvirt.StorageVol", "Name", "om.img"),
        sec: (SECRET, "UUID", SECRET_UUID),
        nwf: (NWFILTER, "Name", "vb-test-filter"),
    }
    for path, (iface, prop, value) in expect.items():
        assert path in objs, "%s missing from GetManagedObjects: %s" % (path, sorted(objs))
        assert iface in objs[path], (path, list(objs[path]))
        assert str(objs[path][iface][prop]) == value
    dom_props = objs[TEST_DOMAIN_PATH][DOMAIN]
    assert {"Active", "Autostart", "Id", "Name", "OSType", "Persistent", "UUID"} <= \
        set(dom_props)
    assert dom_props["Active"] == True  # noqa: E712
    assert int(dom_props["Id"]) == 1
    for path in objs:
        assert path.startswith(TEST_PATH + "/"), path


# --------------------------------------------------------------------------- unsupported
# (CompareCPU and BaselineCPU are implemented now: see test_cpu.py)

def test_wrong_argument_types(virtbusd):
    with raises_dbus("org.freedesktop.DBus.Error.InvalidArgs"):
        virtbusd.call(TEST_PATH, CONNECT, "ListDomains", "x", signature="s")
    with raises_dbus("org.freedesktop.DBus.Error.InvalidArgs"):
        virtbusd.call(TEST_PATH, CONNECT, "DomainLookupByName", signature="")
    with raises_dbus("org.freedesktop.DBus.Error.InvalidArgs"):
        virtbusd.call(TEST_PATH, CONNECT, "DomainLookupByID", U(1), signature="u")
    assert virtbusd.list_domains() == [TEST_DOMAIN_PATH]


def test_error_name_is_libvirt(virtbusd):
    with pytest.raises(dbus.exceptions.DBusException) as ei:
        virtbusd.conn_call("DomainLookupByName", "nope")
    assert ei.value.get_dbus_name() == LIBVIRT_ERROR
