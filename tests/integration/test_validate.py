"""RelaxNG validation on request: DomainCreateXML with VIR_DOMAIN_START_VALIDATE (16) checks
the document against data/schemas/domain.rng before anything is created; without the flag an
unknown element is dropped, as libvirt does.

The D-Bus API (libvirt-dbus's) has no DomainDefineXMLFlags or NetworkDefineXMLFlags, so the
define-time flags are covered by tests/unit/test-schema.c through the driver."""

import dbus

from conftest import domain_xml, raises_dbus

U = dbus.UInt32
START_VALIDATE = 16
SCHEMA_ERROR = "XML document failed to validate against schema"


def test_create_validate_refuses_unknown_element(virtbusd):
    before = virtbusd.list_domains()
    xml = domain_xml("strict", extra="<devices><gizmo/></devices>")
    with raises_dbus(contains=[SCHEMA_ERROR, "gizmo"]):
        virtbusd.conn_call("DomainCreateXML", xml, U(START_VALIDATE))
    assert virtbusd.list_domains() == before


def test_create_validate_refuses_unknown_top_level_element(virtbusd):
    before = virtbusd.list_domains()
    xml = domain_xml("strict", extra="<foo/>")
    with raises_dbus(contains=[SCHEMA_ERROR, "Did not expect element foo"]):
        virtbusd.conn_call("DomainCreateXML", xml, U(START_VALIDATE))
    with raises_dbus(contains=SCHEMA_ERROR):
        virtbusd.conn_call("DomainCreateXMLWithFiles", xml, dbus.Array([], signature="h"),
                           U(START_VALIDATE))
    assert virtbusd.list_domains() == before


def test_create_validate_refuses_bad_enum_value(virtbusd):
    xml = domain_xml("strict", extra="<devices><disk type='file'><source file='/a.img'/>"
                                     "<target dev='vda' bus='warp'/></disk></devices>")
    with raises_dbus(contains=[SCHEMA_ERROR, "Invalid attribute bus for element target"]):
        virtbusd.conn_call("DomainCreateXML", xml, U(START_VALIDATE))


def test_create_without_validate_drops_unknown_element(virtbusd):
    before = virtbusd.list_domains()
    path = virtbusd.create_domain("lenient", extra="<devices><gizmo/></devices>")
    assert sorted(before + [path]) == virtbusd.list_domains()
    assert "gizmo" not in str(virtbusd.domain(path).GetXMLDesc(U(0)))


def test_create_validate_accepts_valid_document(virtbusd):
    xml = domain_xml("valid", extra="<devices><disk type='file' device='disk'>"
                                    "<source file='/guest/valid.img'/><target dev='vda' bus='virtio'/>"
                                    "</disk><interface type='network'><source network='default'/>"
                                    "</interface></devices>")
    path = str(virtbusd.conn_call("DomainCreateXML", xml, U(START_VALIDATE)))
    assert path in virtbusd.list_domains()
