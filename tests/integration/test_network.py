"""org.libvirt.Network on the test driver."""

import ipaddress

import dbus
import pytest
from gi.repository import GLib

from conftest import (CONNECT, NETWORK, PROPS, TEST_NETWORK_PATH, TEST_NETWORK_UUID,
                      TEST_PATH, assert_dbus_error, parse_xml, raises_dbus,
                      variant_inner_types)

U = dbus.UInt32

# virNetworkEventLifecycleType
DEFINED, UNDEFINED, STARTED, STOPPED = 0, 1, 2, 3
# virNetworkUpdateCommand / virNetworkUpdateSection / flags
CMD_MODIFY, CMD_DELETE, CMD_ADD_LAST, CMD_ADD_FIRST = 1, 2, 3, 4
SECTION_IP_DHCP_HOST = 4
AFFECT_CURRENT, AFFECT_LIVE, AFFECT_CONFIG = 0, 1, 2

HOST_XML = "<host mac='00:16:3e:77:e2:ed' name='foo.example.com' ip='192.168.122.10'/>"
NET_PROPS = {"Active": "b", "Autostart": "b", "Name": "s", "Persistent": "b", "UUID": "s"}


def net(d, path=TEST_NETWORK_PATH):
    return d.proxy(path, NETWORK)


def net_events(rec):
    return [(e[0], e[1]) for e in rec.events("NetworkEvent")]


def list_paths(d, flags=0):
    return sorted(str(p) for p in d.conn_call("ListNetworks", U(flags)))


def dhcp_hosts(d, path=TEST_NETWORK_PATH):
    x = parse_xml(net(d, path).GetXMLDesc(U(0)))
    return [(h.get("mac"), h.get("name"), h.get("ip")) for h in x.findall("ip/dhcp/host")]


def test_properties(virtbusd):
    p = virtbusd.get_all(TEST_NETWORK_PATH, NETWORK)
    assert set(NET_PROPS) <= set(p)
    assert p["Active"] == True  # noqa: E712
    assert p["Autostart"] == False  # noqa: E712
    assert str(p["Name"]) == "default"
    assert p["Persistent"] == True  # noqa: E712
    assert str(p["UUID"]) == TEST_NETWORK_UUID
    reply = virtbusd.gcall(TEST_NETWORK_PATH, PROPS, "GetAll",
                           GLib.Variant("(s)", (NETWORK,)), "(a{sv})")
    inner = variant_inner_types(reply.get_child_value(0))
    for k in NET_PROPS:
        assert inner[k] == "v", k


def test_get_xml_desc(virtbusd):
    x = parse_xml(net(virtbusd).GetXMLDesc(U(0)))
    assert x.tag == "network"
    assert x.findtext("name") == "default"
    assert x.findtext("uuid") == TEST_NETWORK_UUID
    assert x.find("bridge").get("name") == "virbr0"
    assert x.find("forward").get("mode", "nat") == "nat"
    ip = x.find("ip")
    assert ip.get("address") == "192.168.122.1"
    assert ip.get("netmask") == "255.255.255.0" or ip.get("prefix") == "24"
    rng = ip.find("dhcp/range")
    assert (rng.get("start"), rng.get("end")) == ("192.168.122.2", "192.168.122.254")
    assert_dbus_error(net(virtbusd).GetXMLDesc, U(1 << 20), contains="unsupported flags")


def test_xml_round_trip_is_stable(virtbusd):
    n = net(virtbusd)
    x1 = str(n.GetXMLDesc(U(0)))
    assert str(virtbusd.conn_call("NetworkDefineXML", x1)) == TEST_NETWORK_PATH
    assert str(n.GetXMLDesc(U(0))) == x1
    assert virtbusd.get(TEST_NETWORK_PATH, NETWORK, "Active") == True  # noqa: E712


def test_autostart(virtbusd):
    rec = virtbusd.recorder(interface=PROPS, member="PropertiesChanged", path=TEST_NETWORK_PATH)
    virtbusd.set(TEST_NETWORK_PATH, NETWORK, "Autostart", dbus.Boolean(True))
    assert virtbusd.get(TEST_NETWORK_PATH, NETWORK, "Autostart") == True  # noqa: E712
    sig = rec.wait(1)[0]
    assert str(sig[3][0]) == NETWORK
    assert sig[3][1]["Autostart"] == True  # noqa: E712
    t = str(virtbusd.conn_call("NetworkCreateXML",
                               "<network><name>tnet</name><bridge name='vbrt'/></network>"))
    with raises_dbus(contains="transient"):
        virtbusd.set(t, NETWORK, "Autostart", dbus.Boolean(True))
    assert virtbusd.get(t, NETWORK, "Autostart") == False  # noqa: E712


def test_destroy_create(virtbusd):
    rec = virtbusd.recorder(interface=CONNECT, member="NetworkEvent")
    props = virtbusd.recorder(interface=PROPS, member="PropertiesChanged",
                              path=TEST_NETWORK_PATH)
    n = net(virtbusd)
    n.Destroy()
    assert virtbusd.get(TEST_NETWORK_PATH, NETWORK, "Active") == False  # noqa: E712
    assert list_paths(virtbusd, 1) == [TEST_NETWORK_PATH]
    n.Create()
    assert virtbusd.get(TEST_NETWORK_PATH, NETWORK, "Active") == True  # noqa: E712
    assert_dbus_error(n.Create, contains="already running")
    rec.wait(2)
    rec.settle(0.2)
    assert net_events(rec) == [(TEST_NETWORK_PATH, STOPPED), (TEST_NETWORK_PATH, STARTED)]
    props.wait(2)
    actives = [bool(s[3][1]["Active"]) for s in props.signals if "Active" in s[3][1]]
    assert actives == [False, True]


def test_undefine(virtbusd):
    rec = virtbusd.recorder(interface=CONNECT, member="NetworkEvent")
    n = net(virtbusd)
    assert_dbus_error(n.Undefine, regex=r"(?i)still running|is active")
    assert list_paths(virtbusd) == [TEST_NETWORK_PATH]
    n.Destroy()
    n.Undefine()
    assert list_paths(virtbusd) == []
    assert_dbus_error(virtbusd.conn_call, "NetworkLookupByName", "default",
                      contains="Network not found")
    with raises_dbus(contains="Network not found"):
        virtbusd.call(TEST_NETWORK_PATH, NETWORK, "GetXMLDesc", U(0), signature="u")
    rec.wait(2)
    assert net_events(rec) == [(TEST_NETWORK_PATH, STOPPED), (TEST_NETWORK_PATH, UNDEFINED)]


def test_transient_destroy_removes(virtbusd):
    rec = virtbusd.recorder(interface=CONNECT, member="NetworkEvent")
    t = str(virtbusd.conn_call("NetworkCreateXML",
                               "<network><name>tnet</name><bridge name='vbrt'/></network>"))
    assert t in list_paths(virtbusd)
    net(virtbusd, t).Destroy()
    assert t not in list_paths(virtbusd)
    rec.wait(2)
    assert net_events(rec) == [(t, STARTED), (t, STOPPED)]


def test_defined_network_lifecycle(virtbusd):
    rec = virtbusd.recorder(interface=CONNECT, member="NetworkEvent")
    p = str(virtbusd.conn_call(
        "NetworkDefineXML",
        "<network><name>n1</name><bridge name='vbrn1'/>"
        "<ip address='10.1.0.1' netmask='255.255.255.0'/></network>"))
    n = net(virtbusd, p)
    n.Create()
    n.Destroy()
    n.Undefine()
    assert p not in list_paths(virtbusd)
    rec.wait(4)
    assert net_events(rec) == [(p, DEFINED), (p, STARTED), (p, STOPPED), (p, UNDEFINED)]


@pytest.mark.parametrize("flags", [AFFECT_CURRENT, AFFECT_LIVE | AFFECT_CONFIG],
                         ids=["current", "live+config"])
def test_update_dhcp_host(virtbusd, flags):
    n = net(virtbusd)
    assert dhcp_hosts(virtbusd) == []
    n.Update(U(CMD_ADD_LAST), U(SECTION_IP_DHCP_HOST), -1, HOST_XML, U(flags))
    assert dhcp_hosts(virtbusd) == [("00:16:3e:77:e2:ed", "foo.example.com",
                                     "192.168.122.10")]
    second = "<host mac='00:16:3e:77:e2:ee' name='bar' ip='192.168.122.11'/>"
    n.Update(U(CMD_ADD_FIRST), U(SECTION_IP_DHCP_HOST), -1, second, U(flags))
    assert [h[1] for h in dhcp_hosts(virtbusd)] == ["bar", "foo.example.com"]
    n.Update(U(CMD_DELETE), U(SECTION_IP_DHCP_HOST), -1, HOST_XML, U(flags))
    assert [h[1] for h in dhcp_hosts(virtbusd)] == ["bar"]
    n.Update(U(CMD_DELETE), U(SECTION_IP_DHCP_HOST), -1, second, U(flags))
    assert dhcp_hosts(virtbusd) == []


def test_update_modify(virtbusd):
    n = net(virtbusd)
    n.Update(U(CMD_ADD_LAST), U(SECTION_IP_DHCP_HOST), -1, HOST_XML, U(0))
    n.Update(U(CMD_MODIFY), U(SECTION_IP_DHCP_HOST), -1,
             "<host mac='00:16:3e:77:e2:ed' name='foo.example.com' ip='192.168.122.20'/>",
             U(0))
    assert dhcp_hosts(virtbusd) == [("00:16:3e:77:e2:ed", "foo.example.com",
                                     "192.168.122.20")]


def test_update_errors(virtbusd):
    n = net(virtbusd)
    before = str(n.GetXMLDesc(U(0)))
    # deleting a host that is not there
    assert_dbus_error(n.Update, U(CMD_DELETE), U(SECTION_IP_DHCP_HOST), -1, HOST_XML, U(0))
    # malformed XML
    assert_dbus_error(n.Update, U(CMD_ADD_LAST), U(SECTION_IP_DHCP_HOST), -1, "<host",
                      U(0))
    # wrong element for the section
    assert_dbus_error(n.Update, U(CMD_ADD_LAST), U(SECTION_IP_DHCP_HOST), -1,
                      "<range start='192.168.122.2' end='192.168.122.3'/>", U(0))
    # unknown section and command
    assert_dbus_error(n.Update, U(CMD_ADD_LAST), U(99), -1, HOST_XML, U(0))
    assert_dbus_error(n.Update, U(99), U(SECTION_IP_DHCP_HOST), -1, HOST_XML, U(0))
    assert_dbus_error(n.Update, U(CMD_ADD_LAST), U(SECTION_IP_DHCP_HOST), -1, HOST_XML,
                      U(1 << 20), contains="unsupported flags")
    n.Update(U(CMD_ADD_LAST), U(SECTION_IP_DHCP_HOST), -1, HOST_XML, U(0))
    # adding the same host twice
    assert_dbus_error(n.Update, U(CMD_ADD_LAST), U(SECTION_IP_DHCP_HOST), -1, HOST_XML, U(0))
    assert len(dhcp_hosts(virtbusd)) == 1
    n.Update(U(CMD_DELETE), U(SECTION_IP_DHCP_HOST), -1, HOST_XML, U(0))
    assert str(n.GetXMLDesc(U(0))) == before


def test_get_dhcp_leases(virtbusd):
    reply = virtbusd.gcall(TEST_NETWORK_PATH, NETWORK, "GetDHCPLeases",
                           GLib.Variant("(su)", ("", 0)), "(a(sxisssuss))")
    assert reply.get_type_string() == "(a(sxisssuss))"
    leases = reply.unpack()[0]
    subnet = ipaddress.ip_network("192.168.122.0/24")
    for iface, expiry, iptype, mac, iaid, ip, prefix, hostname, clientid in leases:
        assert iface == "virbr0"
        assert iptype == 0                       # VIR_IP_ADDR_TYPE_IPV4
        assert ipaddress.ip_address(ip) in subnet
        assert prefix == 24
        assert len(mac.split(":")) == 6
    none = virtbusd.gcall(TEST_NETWORK_PATH, NETWORK, "GetDHCPLeases",
                          GLib.Variant("(su)", ("00:00:00:00:00:01", 0)), "(a(sxisssuss))")
    assert none.unpack()[0] == []
    assert_dbus_error(net(virtbusd).GetDHCPLeases, "", U(1 << 20),
                      contains="unsupported flags")


def test_errors_leave_state(virtbusd):
    n = net(virtbusd)
    assert_dbus_error(n.Create, contains="already running")
    assert virtbusd.get(TEST_NETWORK_PATH, NETWORK, "Active") == True  # noqa: E712
    assert list_paths(virtbusd) == [TEST_NETWORK_PATH]
    with raises_dbus("org.freedesktop.DBus.Error.InvalidArgs"):
        virtbusd.call(TEST_NETWORK_PATH, NETWORK, "Destroy", U(0), signature="u")
    assert virtbusd.get(TEST_NETWORK_PATH, NETWORK, "Active") == True  # noqa: E712


def test_missing_network_path(virtbusd):
    gone = "%s/network/_00000000_0000_0000_0000_000000000007" % TEST_PATH
    with raises_dbus(contains="Network not found"):
        virtbusd.call(gone, NETWORK, "GetXMLDesc", U(0), signature="u")
