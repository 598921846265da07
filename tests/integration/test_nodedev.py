"""org.libvirt.NodeDevice on the test driver."""

import dbus
import pytest
from gi.repository import GLib

from conftest import (CONNECT, NODEDEV, OBJMGR, PROPS, assert_dbus_error,
                      nodedev_path, parse_xml, raises_dbus, variant_inner_types)

U = dbus.UInt32

CREATED, DELETED = 0, 1

VHBA_XML = ("<device><parent>%s</parent><capability type='scsi_host'>"
            "<capability type='fc_host'><wwnn>%s</wwnn><wwpn>%s</wwpn></capability>"
            "</capability></device>")


def dev(d, name):
    return d.proxy(nodedev_path(name), NODEDEV)


def dev_names(d, flags=0):
    return sorted(str(d.get(p, NODEDEV, "Name"))
                  for p in d.conn_call("ListNodeDevices", U(flags)))


@pytest.mark.parametrize("name,parent", [("scsi_host1", "computer"),
                                         ("scsi_host2", "computer"),
                                         ("scsi_host11", "scsi_host1")])
def test_properties(virtbusd, name, parent):
    p = virtbusd.get_all(nodedev_path(name), NODEDEV)
    assert str(p["Name"]) == name
    assert str(p["Parent"]) == parent
    reply = virtbusd.gcall(nodedev_path(name), PROPS, "GetAll",
                           GLib.Variant("(s)", (NODEDEV,)), "(a{sv})")
    inner = variant_inner_types(reply.get_child_value(0))
    assert inner == {"Name": "v", "Parent": "v"}


def test_computer_name(virtbusd):
    assert str(virtbusd.get(nodedev_path("computer"), NODEDEV, "Name")) == "computer"


def test_get_xml_desc_system(virtbusd):
    x = parse_xml(dev(virtbusd, "computer").GetXMLDesc(U(0)))
    assert x.tag == "device"
    assert x.findtext("name") == "computer"
    cap = x.find("capability")
    assert cap.get("type") == "system"
    assert cap.findtext("hardware/vendor") == "Libvirt"
    assert cap.findtext("hardware/version") == "Test driver"
    assert cap.findtext("hardware/serial") == "123456"
    assert cap.findtext("hardware/uuid") == "11111111-2222-3333-4444-555555555555"
    assert cap.findtext("firmware/vendor") == "Libvirt"
    assert cap.findtext("firmware/version") == "Test Driver"
    assert cap.findtext("firmware/release_date") == "01/22/2007"
    assert_dbus_error(dev(virtbusd, "computer").GetXMLDesc, U(1 << 20),
                      contains="unsupported flags")


def test_get_xml_desc_scsi_host(virtbusd):
    x = parse_xml(dev(virtbusd, "scsi_host1").GetXMLDesc(U(0)))
    assert x.findtext("name") == "scsi_host1"
    assert x.findtext("parent") == "computer"
    cap = x.find("capability")
    assert cap.get("type") == "scsi_host"
    assert cap.findtext("host") == "1"
    assert cap.findtext("unique_id") == "0"
    sub = {c.get("type"): c for c in cap.findall("capability")}
    assert sub["fc_host"].findtext("wwnn") == "2000000012341234"
    assert sub["fc_host"].findtext("wwpn") == "1000000012341234"
    assert sub["fc_host"].findtext("fabric_wwn") == "2000000043214321"
    assert sub["vport_ops"].findtext("max_vports") == "127"
    assert sub["vport_ops"].findtext("vports") == "1"
    x11 = parse_xml(dev(virtbusd, "scsi_host11").GetXMLDesc(U(0)))
    assert x11.findtext("capability/host") == "11"
    assert x11.findtext("capability/unique_id") == "10"


def test_list_caps(virtbusd):
    assert [str(c) for c in dev(virtbusd, "computer").ListCaps()] == ["system"]
    caps = [str(c) for c in dev(virtbusd, "scsi_host1").ListCaps()]
    assert caps[0] == "scsi_host"
    # libvirt's cap type names: "fc_host" and "vports" (the XML element is vport_ops)
    assert set(caps) <= {"scsi_host", "fc_host", "vports"}
    caps11 = [str(c) for c in dev(virtbusd, "scsi_host11").ListCaps()]
    assert caps11[0] == "scsi_host"
    assert "vports" not in caps11


def test_create_vhba_and_destroy(virtbusd):
    rec = virtbusd.recorder(interface=CONNECT, member="NodeDeviceEvent")
    om = virtbusd.recorder(interface=OBJMGR)
    p = str(virtbusd.conn_call("NodeDeviceCreateXML",
                               VHBA_XML % ("scsi_host2", "2000000098765432",
                                           "1000000098765432"), U(0)))
    name = str(virtbusd.get(p, NODEDEV, "Name"))
    assert str(virtbusd.get(p, NODEDEV, "Parent")) == "scsi_host2"
    x = parse_xml(virtbusd.proxy(p, NODEDEV).GetXMLDesc(U(0)))
    fc = [c for c in x.find("capability").findall("capability") if c.get("type") == "fc_host"]
    assert fc and fc[0].findtext("wwnn") == "2000000098765432"
    assert fc[0].findtext("wwpn") == "1000000098765432"
    assert name in dev_names(virtbusd)
    om.wait(1, member="InterfacesAdded")
    virtbusd.proxy(p, NODEDEV).Destroy()
    assert name not in dev_names(virtbusd)
    with raises_dbus(contains="not found"):
        virtbusd.call(p, NODEDEV, "GetXMLDesc", U(0), signature="u")
    rec.wait(2)
    assert [(e[0], e[1], e[2]) for e in rec.events("NodeDeviceEvent")] == \
        [(p, CREATED, 0), (p, DELETED, 0)]
    om.wait(1, member="InterfacesRemoved")


def test_create_vhba_duplicate_wwn(virtbusd):
    xml = VHBA_XML % ("scsi_host1", "2000000098765432", "1000000098765432")
    virtbusd.conn_call("NodeDeviceCreateXML", xml, U(0))
    before = dev_names(virtbusd)
    assert_dbus_error(virtbusd.conn_call, "NodeDeviceCreateXML", xml, U(0),
                      contains="already exists")
    # same wwnn/wwpn as an existing HBA
    assert_dbus_error(virtbusd.conn_call, "NodeDeviceCreateXML",
                      VHBA_XML % ("scsi_host1", "2000000012341234", "1000000012341234"),
                      U(0))
    assert dev_names(virtbusd) == before


def test_create_vhba_bad_flags(virtbusd):
    before = dev_names(virtbusd)
    assert_dbus_error(virtbusd.conn_call, "NodeDeviceCreateXML",
                      VHBA_XML % ("scsi_host1", "2000000098765432", "1000000098765432"),
                      U(1 << 20), contains="unsupported flags")
    assert dev_names(virtbusd) == before


def test_destroy_non_vhba_fails(virtbusd):
    assert_dbus_error(dev(virtbusd, "computer").Destroy)
    assert "computer" in dev_names(virtbusd)


def test_unsupported_host_device_ops(virtbusd):
    d = dev(virtbusd, "computer")
    assert_dbus_error(d.Detach, "", U(0),
                      contains="this function is not supported by the connection driver")
    assert_dbus_error(d.ReAttach,
                      contains="this function is not supported by the connection driver")
    assert_dbus_error(d.Reset,
                      contains="this function is not supported by the connection driver")
    assert "computer" in dev_names(virtbusd)


def test_missing_device_path(virtbusd):
    with raises_dbus(contains="Node device not found"):
        virtbusd.call(nodedev_path("scsi_host99"), NODEDEV, "GetXMLDesc", U(0),
                      signature="u")
