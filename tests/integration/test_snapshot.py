"""Domain snapshots on the test driver."""

import dbus
import pytest

from conftest import (CONNECT, LIBVIRT_ERROR, SNAPSHOT, TEST_DOMAIN_PATH,
                      TEST_DOMAIN_UUID, TEST_PATH, assert_dbus_error, create_snapshot,
                      escape, parse_xml, raises_dbus, uuid_node)

U = dbus.UInt32

LIST_ROOTS, LIST_METADATA, LIST_LEAVES, LIST_NO_LEAVES = 1, 2, 4, 8
LIST_NO_METADATA, LIST_INACTIVE, LIST_ACTIVE, LIST_DISK_ONLY = 16, 32, 64, 128
LIST_INTERNAL, LIST_EXTERNAL, LIST_TOPOLOGICAL = 256, 512, 1024
LIST_DESCENDANTS = 1


def snap_path(name, uuid=TEST_DOMAIN_UUID):
    return "%s/domainsnapshot/%s_%s" % (TEST_PATH, uuid_node(uuid), escape(name))


def snap(d, path):
    return d.proxy(path, SNAPSHOT)


def names(d, paths):
    out = []
    for p in paths:
        out.append(parse_xml(snap(d, str(p)).GetXMLDesc(U(0))).findtext("name"))
    return out


def list_names(d, flags=0, dom=TEST_DOMAIN_PATH):
    return sorted(names(d, d.domain(dom).ListDomainSnapshots(U(flags))))


@pytest.fixture
def chain(virtbusd):
    """s1 <- s2 <- s3 on the running test domain; s3 is current."""
    p1 = create_snapshot(virtbusd, "s1")
    p2 = create_snapshot(virtbusd, "s2")
    p3 = create_snapshot(virtbusd, "s3")
    return {"s1": p1, "s2": p2, "s3": p3}


def test_create_and_path(virtbusd):
    p = create_snapshot(virtbusd, "snap 1")
    assert p == snap_path("snap 1")
    assert str(virtbusd.domain(TEST_DOMAIN_PATH).SnapshotLookupByName("snap 1", U(0))) == p
    x = parse_xml(snap(virtbusd, p).GetXMLDesc(U(0)))
    assert x.tag == "domainsnapshot"
    assert x.findtext("name") == "snap 1"
    assert x.findtext("description") == "test"
    assert x.findtext("state") == "running"
    assert x.find("parent") is None
    assert x.findtext("domain/uuid") == TEST_DOMAIN_UUID
    assert snap(virtbusd, p).IsCurrent(U(0)) == True  # noqa: E712


def test_list_snapshots(virtbusd, chain):
    assert list_names(virtbusd) == ["s1", "s2", "s3"]
    assert list_names(virtbusd, LIST_ROOTS) == ["s1"]
    assert list_names(virtbusd, LIST_LEAVES) == ["s3"]
    assert list_names(virtbusd, LIST_NO_LEAVES) == ["s1", "s2"]
    assert list_names(virtbusd, LIST_METADATA) == ["s1", "s2", "s3"]
    assert list_names(virtbusd, LIST_NO_METADATA) == []
    assert list_names(virtbusd, LIST_ACTIVE) == ["s1", "s2", "s3"]
    assert list_names(virtbusd, LIST_INACTIVE) == []
    assert list_names(virtbusd, LIST_DISK_ONLY) == []
    assert list_names(virtbusd, LIST_INTERNAL) == ["s1", "s2", "s3"]
    assert list_names(virtbusd, LIST_EXTERNAL) == []
    topo = names(virtbusd, virtbusd.test_domain().ListDomainSnapshots(U(LIST_TOPOLOGICAL)))
    assert topo == ["s1", "s2", "s3"]
    assert_dbus_error(virtbusd.test_domain().ListDomainSnapshots, U(1 << 20),
                      contains="unsupported flags")


def test_list_inactive_snapshot(virtbusd):
    virtbusd.test_domain().Destroy(U(0))
    p = create_snapshot(virtbusd, "off")
    assert parse_xml(snap(virtbusd, p).GetXMLDesc(U(0))).findtext("state") == "shutoff"
    assert list_names(virtbusd, LIST_INACTIVE) == ["off"]
    assert list_names(virtbusd, LIST_ACTIVE) == []


def test_lookup_and_current(virtbusd, chain):
    dom = virtbusd.test_domain()
    for n, p in chain.items():
        assert str(dom.SnapshotLookupByName(n, U(0))) == p
        assert p == snap_path(n)
    assert str(dom.SnapshotCurrent(U(0))) == chain["s3"]
    assert snap(virtbusd, chain["s3"]).IsCurrent(U(0)) == True  # noqa: E712
    assert snap(virtbusd, chain["s1"]).IsCurrent(U(0)) == False  # noqa: E712
    assert_dbus_error(dom.SnapshotLookupByName, "nope", U(0),
                      contains="no domain snapshot with matching name 'nope'")


def test_no_current_snapshot(virtbusd):
    assert_dbus_error(virtbusd.test_domain().SnapshotCurrent, U(0),
                      contains="does not have a current snapshot")
    assert virtbusd.test_domain().ListDomainSnapshots(U(0)) == []


def test_parent_and_children(virtbusd, chain):
    s1, s2, s3 = (snap(virtbusd, chain[n]) for n in ("s1", "s2", "s3"))
    assert str(s2.GetParent(U(0))) == chain["s1"]
    assert str(s3.GetParent(U(0))) == chain["s2"]
    assert_dbus_error(s1.GetParent, U(0), contains="does not have a parent")
    assert [str(p) for p in s1.ListChildren(U(0))] == [chain["s2"]]
    assert sorted(str(p) for p in s1.ListChildren(U(LIST_DESCENDANTS))) == \
        sorted([chain["s2"], chain["s3"]])
    assert list(s3.ListChildren(U(0))) == []
    x = parse_xml(s2.GetXMLDesc(U(0)))
    assert x.findtext("parent/name") == "s1"


def test_revert_from_shutoff(virtbusd, chain):
    rec = virtbusd.recorder(interface=CONNECT, member="DomainEvent")
    dom = virtbusd.test_domain()
    dom.Destroy(U(0))
    snap(virtbusd, chain["s1"]).Revert(U(0))
    st = dom.GetState(U(0))
    assert (int(st[0]), int(st[1])) == (1, 4)        # running, from snapshot
    assert snap(virtbusd, chain["s1"]).IsCurrent(U(0)) == True  # noqa: E712
    assert str(dom.SnapshotCurrent(U(0))) == chain["s1"]
    rec.wait(2)
    rec.settle(0.2)
    assert [(e[1], e[2]) for e in rec.events()] == [(5, 1), (2, 3)]


def test_revert_to_inactive_snapshot(virtbusd):
    dom = virtbusd.test_domain()
    dom.Destroy(U(0))
    p = create_snapshot(virtbusd, "off")
    dom.Create(U(0))
    rec = virtbusd.recorder(interface=CONNECT, member="DomainEvent")
    snap(virtbusd, p).Revert(U(0))
    st = dom.GetState(U(0))
    assert (int(st[0]), int(st[1])) == (5, 7)        # shut off, from snapshot
    rec.wait(1)
    rec.settle(0.2)
    assert [(e[1], e[2]) for e in rec.events()] == [(5, 6)]


def test_delete(virtbusd, chain):
    s2 = snap(virtbusd, chain["s2"])
    s2.Delete(U(0))
    assert list_names(virtbusd) == ["s1", "s3"]
    # s3 is re-parented to s1
    assert str(snap(virtbusd, chain["s3"]).GetParent(U(0))) == chain["s1"]
    with raises_dbus((LIBVIRT_ERROR, "org.freedesktop.DBus.Error.UnknownObject")):
        virtbusd.call(chain["s2"], SNAPSHOT, "GetXMLDesc", U(0), signature="u")
    # deleting the current one makes its parent current
    snap(virtbusd, chain["s3"]).Delete(U(0))
    assert str(virtbusd.test_domain().SnapshotCurrent(U(0))) == chain["s1"]


def test_delete_children(virtbusd, chain):
    snap(virtbusd, chain["s1"]).Delete(U(1))        # VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN
    assert list_names(virtbusd) == []
    assert virtbusd.domain_names(4096) == []
    assert virtbusd.domain_names(8192) == ["test"]


def test_delete_children_only(virtbusd, chain):
    snap(virtbusd, chain["s1"]).Delete(U(4))        # DELETE_CHILDREN_ONLY
    assert list_names(virtbusd) == ["s1"]


def test_list_domains_has_snapshot(virtbusd):
    other = virtbusd.define_domain("other")
    assert virtbusd.domain_names(4096) == []
    assert virtbusd.domain_names(8192) == ["other", "test"]
    create_snapshot(virtbusd, "s1")
    assert virtbusd.domain_names(4096) == ["test"]
    assert virtbusd.domain_names(8192) == ["other"]
    create_snapshot(virtbusd, "o1", domain_path=other)
    assert virtbusd.domain_names(4096) == ["other", "test"]


def test_snapshot_errors(virtbusd, chain):
    dom = virtbusd.test_domain()
    assert_dbus_error(dom.SnapshotCreateXML, "<domainsnapshot>", U(0))
    assert_dbus_error(dom.SnapshotCreateXML,
                      "<domainsnapshot><name>s1</name></domainsnapshot>", U(0),
                      contains="already exists")
    assert_dbus_error(dom.SnapshotCreateXML,
                      "<domainsnapshot><name>x</name></domainsnapshot>", U(1 << 20),
                      contains="unsupported flags")
    assert_dbus_error(snap(virtbusd, chain["s1"]).Delete, U(1 << 20),
                      contains="unsupported flags")
    assert list_names(virtbusd) == ["s1", "s2", "s3"]
    assert str(dom.SnapshotCurrent(U(0))) == chain["s3"]


def test_undefine_with_snapshots(virtbusd):
    dom = virtbusd.test_domain()
    create_snapshot(virtbusd, "s1")
    dom.Destroy(U(0))
    assert_dbus_error(dom.Undefine, U(0), contains="snapshots")
    assert TEST_DOMAIN_PATH in virtbusd.list_domains()
    dom.Undefine(U(2))          # VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
    assert virtbusd.list_domains() == []


def test_snapshot_halt(virtbusd):
    rec = virtbusd.recorder(interface=CONNECT, member="DomainEvent")
    create_snapshot(virtbusd, "halted", flags=8)    # VIR_DOMAIN_SNAPSHOT_CREATE_HALT
    st = virtbusd.test_domain().GetState(U(0))
    assert (int(st[0]), int(st[1])) == (5, 7)
    rec.wait(1)
    assert [(e[1], e[2]) for e in rec.events()] == [(5, 6)]
