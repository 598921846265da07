"""org.libvirt.Interface, org.libvirt.Secret and org.libvirt.NWFilter."""

import dbus
from gi.repository import GLib

from conftest import (CONNECT, ETH1_PATH, IFACE, NWFILTER, NWFILTER_UUID, NWFILTER_XML, PROPS,
                      SECRET, SECRET_UUID, SECRET_XML, TEST_PATH, assert_dbus_error,
                      define_nwfilter, define_secret, escape, parse_xml, raises_dbus,
                      variant_inner_types)

U = dbus.UInt32

IFACE_XML = ("<interface type='ethernet' name='%s'><start mode='onboot'/>"
             "<mac address='%s'/><mtu size='1500'/>"
             "<protocol family='ipv4'><ip address='192.168.15.5' prefix='24'/>"
             "<route gateway='192.168.15.1'/></protocol></interface>")


def iface_paths(d, flags=0):
    return sorted(str(p) for p in d.conn_call("ListInterfaces", U(flags)))


# --------------------------------------------------------------------------- interfaces

def test_interface_properties(virtbusd):
    p = virtbusd.get_all(ETH1_PATH, IFACE)
    assert p["Active"] == True  # noqa: E712
    assert str(p["MAC"]) == "aa:bb:cc:dd:ee:ff"
    assert str(p["Name"]) == "eth1"
    reply = virtbusd.gcall(ETH1_PATH, PROPS, "GetAll", GLib.Variant("(s)", (IFACE,)),
                           "(a{sv})")
    assert variant_inner_types(reply.get_child_value(0)) == \
        {"Active": "v", "MAC": "v", "Name": "v"}


def test_interface_xml(virtbusd):
    x = parse_xml(virtbusd.proxy(ETH1_PATH, IFACE).GetXMLDesc(U(0)))
    assert x.tag == "interface"
    assert (x.get("type"), x.get("name")) == ("ethernet", "eth1")
    assert x.find("start").get("mode") == "onboot"
    assert x.find("mac").get("address") == "aa:bb:cc:dd:ee:ff"
    assert x.find("mtu").get("size") == "1492"
    proto = x.find("protocol")
    assert proto.get("family") == "ipv4"
    assert (proto.find("ip").get("address"), proto.find("ip").get("prefix")) == \
        ("192.168.0.5", "24")
    assert proto.find("route").get("gateway") == "192.168.0.1"
    assert_dbus_error(virtbusd.proxy(ETH1_PATH, IFACE).GetXMLDesc, U(1 << 20),
                      contains="unsupported flags")


def test_interface_destroy_create(virtbusd):
    i = virtbusd.proxy(ETH1_PATH, IFACE)
    i.Destroy(U(0))
    assert virtbusd.get(ETH1_PATH, IFACE, "Active") == False  # noqa: E712
    assert iface_paths(virtbusd, 1) == [ETH1_PATH]
    assert iface_paths(virtbusd, 2) == []
    assert_dbus_error(i.Destroy, U(0))
    assert virtbusd.get(ETH1_PATH, IFACE, "Active") == False  # noqa: E712
    i.Create(U(0))
    assert virtbusd.get(ETH1_PATH, IFACE, "Active") == True  # noqa: E712
    assert_dbus_error(i.Create, U(0))
    assert virtbusd.get(ETH1_PATH, IFACE, "Active") == True  # noqa: E712
    assert_dbus_error(i.Create, U(1 << 20), contains="unsupported flags")


def test_interface_define_undefine(virtbusd):
    mac = "11:22:33:44:55:66"
    p = str(virtbusd.conn_call("InterfaceDefineXML", IFACE_XML % ("test-iface", mac), U(0)))
    assert p == "%s/interface/%s" % (TEST_PATH, escape(mac))
    assert virtbusd.get(p, IFACE, "Active") == False  # noqa: E712
    assert str(virtbusd.get(p, IFACE, "Name")) == "test-iface"
    assert iface_paths(virtbusd) == sorted([ETH1_PATH, p])
    assert iface_paths(virtbusd, 1) == [p]
    assert str(virtbusd.conn_call("InterfaceLookupByName", "test-iface")) == p
    assert str(virtbusd.conn_call("InterfaceLookupByMAC", mac)) == p
    virtbusd.proxy(p, IFACE).Undefine()
    assert iface_paths(virtbusd) == [ETH1_PATH]
    assert_dbus_error(virtbusd.conn_call, "InterfaceLookupByName", "test-iface",
                      contains="Interface not found")


def test_interface_define_errors(virtbusd):
    assert_dbus_error(virtbusd.conn_call, "InterfaceDefineXML", "<interface", U(0))
    assert_dbus_error(virtbusd.conn_call, "InterfaceDefineXML",
                      "<interface type='nosuch' name='x'/>", U(0))
    assert_dbus_error(virtbusd.conn_call, "InterfaceDefineXML",
                      IFACE_XML % ("x", "11:22:33:44:55:66"), U(1 << 20),
                      contains="unsupported flags")
    assert iface_paths(virtbusd) == [ETH1_PATH]


def test_interface_transactions(virtbusd):
    c = virtbusd.connect()
    assert_dbus_error(c.InterfaceChangeCommit, U(0), contains="no transaction running")
    assert_dbus_error(c.InterfaceChangeRollback, U(0), contains="no transaction running")
    c.InterfaceChangeBegin(U(0))
    assert_dbus_error(c.InterfaceChangeBegin, U(0), contains="another transaction")
    p = str(c.InterfaceDefineXML(IFACE_XML % ("tx1", "11:22:33:44:55:77"), U(0)))
    assert p in iface_paths(virtbusd)
    c.InterfaceChangeRollback(U(0))
    assert iface_paths(virtbusd) == [ETH1_PATH]
    c.InterfaceChangeBegin(U(0))
    p = str(c.InterfaceDefineXML(IFACE_XML % ("tx2", "11:22:33:44:55:88"), U(0)))
    c.InterfaceChangeCommit(U(0))
    assert iface_paths(virtbusd) == sorted([ETH1_PATH, p])


# --------------------------------------------------------------------------- secrets

def secret_paths(d, flags=0):
    return sorted(str(p) for p in d.conn_call("ListSecrets", U(flags)))


def test_secret_properties_and_xml(virtbusd):
    p = define_secret(virtbusd)
    props = virtbusd.get_all(p, SECRET)
    assert str(props["UUID"]) == SECRET_UUID
    assert str(props["UsageID"]) == "/var/lib/libvirt/images/secret.img"
    assert isinstance(props["UsageType"], dbus.Int32) and int(props["UsageType"]) == 1
    reply = virtbusd.gcall(p, PROPS, "GetAll", GLib.Variant("(s)", (SECRET,)), "(a{sv})")
    assert variant_inner_types(reply.get_child_value(0)) == \
        {"UUID": "v", "UsageID": "v", "UsageType": "v"}
    x = parse_xml(virtbusd.proxy(p, SECRET).GetXMLDesc(U(0)))
    assert x.tag == "secret"
    assert x.get("ephemeral") == "no" and x.get("private") == "no"
    assert x.findtext("uuid") == SECRET_UUID
    assert x.find("usage").get("type") == "volume"
    assert x.findtext("usage/volume") == "/var/lib/libvirt/images/secret.img"


def test_secret_value(virtbusd):
    p = define_secret(virtbusd)
    s = virtbusd.proxy(p, SECRET)
    assert_dbus_error(s.GetValue, U(0), contains="does not have a value")
    s.SetValue(dbus.ByteArray(b"hunter2\x00\xff"), U(0))
    v = s.GetValue(U(0), byte_arrays=True)
    assert bytes(v) == b"hunter2\x00\xff"
    s.SetValue(dbus.ByteArray(b"second"), U(0))
    assert bytes(s.GetValue(U(0), byte_arrays=True)) == b"second"
    assert_dbus_error(s.SetValue, dbus.ByteArray(b"x"), U(1 << 20),
                      contains="unsupported flags")
    assert bytes(s.GetValue(U(0), byte_arrays=True)) == b"second"


def test_private_secret_value_hidden(virtbusd):
    uuid = "1b2c3d4e-5f60-4718-a9b0-c1d2e3f4a5b6"
    xml = ("<secret ephemeral='no' private='yes'><uuid>%s</uuid>"
           "<usage type='ceph'><name>client.admin secret</name></usage></secret>" % uuid)
    p = str(virtbusd.conn_call("SecretDefineXML", xml, U(0)))
    s = virtbusd.proxy(p, SECRET)
    s.SetValue(dbus.ByteArray(b"topsecret"), U(0))
    assert_dbus_error(s.GetValue, U(0), contains="secret is private")
    assert int(virtbusd.get(p, SECRET, "UsageType")) == 2     # ceph
    assert str(virtbusd.conn_call("SecretLookupByUsage", 2, "client.admin secret")) == p
    assert secret_paths(virtbusd, 4) == [p]        # private
    assert secret_paths(virtbusd, 8) == []         # no private


def test_secret_events_and_undefine(virtbusd):
    rec = virtbusd.recorder(interface=CONNECT, member="SecretEvent")
    p = define_secret(virtbusd)
    virtbusd.proxy(p, SECRET).Undefine()
    assert secret_paths(virtbusd) == []
    assert_dbus_error(virtbusd.conn_call, "SecretLookupByUUID", SECRET_UUID,
                      contains="Secret not found")
    with raises_dbus(contains="Secret not found"):
        virtbusd.call(p, SECRET, "GetXMLDesc", U(0), signature="u")
    rec.wait(2)
    assert [(e[0], e[1], e[2]) for e in rec.events("SecretEvent")] == [(p, 0, 0), (p, 1, 0)]


def test_secret_define_errors(virtbusd):
    p = define_secret(virtbusd)
    other = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
    assert_dbus_error(virtbusd.conn_call, "SecretDefineXML", SECRET_XML % other, U(0),
                      contains="already defined for use with")
    assert_dbus_error(virtbusd.conn_call, "SecretDefineXML", "<secret", U(0))
    assert_dbus_error(virtbusd.conn_call, "SecretDefineXML",
                      "<secret><usage type='nosuch'/></secret>", U(0))
    assert_dbus_error(virtbusd.conn_call, "SecretDefineXML", SECRET_XML % other, U(1 << 20),
                      contains="unsupported flags")
    assert secret_paths(virtbusd) == [p]
    # redefining the same secret (same uuid and usage) updates it
    p2 = define_secret(virtbusd)
    assert p2 == p
    assert secret_paths(virtbusd) == [p]


# --------------------------------------------------------------------------- nwfilters

def test_nwfilter_properties_and_xml(virtbusd):
    p = define_nwfilter(virtbusd)
    props = virtbusd.get_all(p, NWFILTER)
    assert str(props["Name"]) == "vb-test-filter"
    assert str(props["UUID"]) == NWFILTER_UUID
    reply = virtbusd.gcall(p, PROPS, "GetAll", GLib.Variant("(s)", (NWFILTER,)), "(a{sv})")
    assert variant_inner_types(reply.get_child_value(0)) == {"Name": "v", "UUID": "v"}
    x = parse_xml(virtbusd.proxy(p, NWFILTER).GetXMLDesc(U(0)))
    assert x.tag == "filter"
    assert x.get("name") == "vb-test-filter"
    assert x.get("chain") == "root"
    assert x.findtext("uuid") == NWFILTER_UUID
    rule = x.find("rule")
    assert (rule.get("action"), rule.get("direction"), rule.get("priority")) == \
        ("drop", "out", "500")
    assert rule.find("mac").get("srcmacaddr") == "$MAC"


def test_nwfilter_undefine(virtbusd):
    before = sorted(str(p) for p in virtbusd.conn_call("ListNWFilters", U(0)))
    p = define_nwfilter(virtbusd)
    virtbusd.proxy(p, NWFILTER).Undefine()
    assert sorted(str(x) for x in virtbusd.conn_call("ListNWFilters", U(0))) == before
    assert_dbus_error(virtbusd.conn_call, "NWFilterLookupByName", "vb-test-filter",
                      contains="not found")


def test_nwfilter_define_errors(virtbusd):
    p = define_nwfilter(virtbusd)
    before = sorted(str(x) for x in virtbusd.conn_call("ListNWFilters", U(0)))
    assert_dbus_error(virtbusd.conn_call, "NWFilterDefineXML",
                      NWFILTER_XML % ("vb-test-filter", "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d"),
                      contains="already exists")
    assert_dbus_error(virtbusd.conn_call, "NWFilterDefineXML",
                      NWFILTER_XML % ("other-name", NWFILTER_UUID), contains="already exists")
    assert_dbus_error(virtbusd.conn_call, "NWFilterDefineXML", "<filter name='x'")
    assert sorted(str(x) for x in virtbusd.conn_call("ListNWFilters", U(0))) == before
    assert str(virtbusd.get(p, NWFILTER, "Name")) == "vb-test-filter"
