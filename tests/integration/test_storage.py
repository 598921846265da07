"""org.libvirt.StoragePool and org.libvirt.StorageVol on the test driver."""

import dbus
from gi.repository import GLib

from conftest import (CONNECT, POOL, PROPS, TEST_POOL_PATH, TEST_POOL_UUID, TEST_PATH, VOL,
                      VOL_XML, assert_dbus_error, create_volume, parse_xml, raises_dbus,
                      variant_inner_types, vol_path)

U = dbus.UInt32
T = dbus.UInt64

GIB = 1024 ** 3
MIB = 1024 ** 2
POOL_CAP = 100 * GIB

# virStoragePoolEventLifecycleType
DEFINED, UNDEFINED, STARTED, STOPPED, CREATED, DELETED = 0, 1, 2, 3, 4, 5
# virStoragePoolState
POOL_INACTIVE, POOL_RUNNING = 0, 2
VOL_FILE = 0


def pool(d, path=TEST_POOL_PATH):
    return d.proxy(path, POOL)


def info(d, path=TEST_POOL_PATH):
    return tuple(int(x) for x in pool(d, path).GetInfo())


def vol_info(d, path):
    return tuple(int(x) for x in d.proxy(path, VOL).GetInfo(U(0)))


def vols(d, path=TEST_POOL_PATH):
    return sorted(str(p) for p in pool(d, path).ListStorageVolumes(U(0)))


def pool_events(rec):
    return [(e[0], e[1], e[2]) for e in rec.events("StoragePoolEvent")]


# --------------------------------------------------------------------------- pools

def test_pool_properties(virtbusd):
    p = virtbusd.get_all(TEST_POOL_PATH, POOL)
    assert p["Active"] == True  # noqa: E712
    assert p["Autostart"] == False  # noqa: E712
    assert str(p["Name"]) == "default-pool"
    assert p["Persistent"] == True  # noqa: E712
    assert str(p["UUID"]) == TEST_POOL_UUID
    reply = virtbusd.gcall(TEST_POOL_PATH, PROPS, "GetAll", GLib.Variant("(s)", (POOL,)),
                           "(a{sv})")
    inner = variant_inner_types(reply.get_child_value(0))
    for k in ("Active", "Autostart", "Name", "Persistent", "UUID"):
        assert inner[k] == "v", k


def test_pool_get_info_and_xml(virtbusd):
    assert info(virtbusd) == (POOL_RUNNING, POOL_CAP, 0, POOL_CAP)
    reply = virtbusd.gcall(TEST_POOL_PATH, POOL, "GetInfo", None, "((ittt))")
    assert reply.get_type_string() == "((ittt))"
    x = parse_xml(pool(virtbusd).GetXMLDesc(U(0)))
    assert x.tag == "pool" and x.get("type") == "dir"
    assert x.findtext("name") == "default-pool"
    assert x.findtext("uuid") == TEST_POOL_UUID
    assert int(x.findtext("capacity")) == POOL_CAP
    assert int(x.findtext("allocation")) == 0
    assert x.findtext("target/path") == "/default-pool"
    assert_dbus_error(pool(virtbusd).GetXMLDesc, U(1 << 20), contains="unsupported flags")


def test_pool_autostart(virtbusd):
    rec = virtbusd.recorder(interface=PROPS, member="PropertiesChanged", path=TEST_POOL_PATH)
    virtbusd.set(TEST_POOL_PATH, POOL, "Autostart", dbus.Boolean(True))
    assert virtbusd.get(TEST_POOL_PATH, POOL, "Autostart") == True  # noqa: E712
    assert rec.wait(1)[0][3][1]["Autostart"] == True  # noqa: E712
    flags_autostart = sorted(str(p) for p in virtbusd.conn_call("ListStoragePools", U(16)))
    assert flags_autostart == [TEST_POOL_PATH]


def test_pool_refresh_signal(virtbusd):
    rec = virtbusd.recorder(interface=POOL, member="Refresh", path=TEST_POOL_PATH)
    pool(virtbusd).Refresh(U(0))
    sigs = rec.wait(1)
    assert sigs[0][2] == TEST_POOL_PATH
    assert sigs[0][3] == ()


def test_pool_refresh_inactive_fails(virtbusd):
    pool(virtbusd).Destroy()
    rec = virtbusd.recorder(interface=POOL, member="Refresh")
    assert_dbus_error(pool(virtbusd).Refresh, U(0), contains="not active")
    rec.settle(0.2)
    assert rec.signals == []


def test_pool_destroy_create(virtbusd):
    rec = virtbusd.recorder(interface=CONNECT, member="StoragePoolEvent")
    p = pool(virtbusd)
    p.Destroy()
    assert virtbusd.get(TEST_POOL_PATH, POOL, "Active") == False  # noqa: E712
    assert info(virtbusd)[0] == POOL_INACTIVE
    assert_dbus_error(p.ListStorageVolumes, U(0), contains="not active")
    assert_dbus_error(p.StorageVolCreateXML, VOL_XML % ("v", 1, 1), U(0),
                      contains="not active")
    assert_dbus_error(p.Destroy, contains="not active")
    p.Create(U(0))
    assert virtbusd.get(TEST_POOL_PATH, POOL, "Active") == True  # noqa: E712
    assert_dbus_error(p.Create, U(0), contains="is active")
    rec.wait(2)
    rec.settle(0.2)
    assert pool_events(rec) == [(TEST_POOL_PATH, STOPPED, 0), (TEST_POOL_PATH, STARTED, 0)]


def test_pool_build_delete_undefine(virtbusd):
    rec = virtbusd.recorder(interface=CONNECT, member="StoragePoolEvent")
    p = pool(virtbusd)
    assert_dbus_error(p.Build, U(0), contains="is active")
    assert_dbus_error(p.Delete, U(0), contains="is active")
    assert_dbus_error(p.Undefine, contains="is active")
    p.Destroy()
    p.Build(U(0))
    p.Delete(U(0))
    assert str(virtbusd.conn_call("StoragePoolLookupByName", "default-pool")) == \
        TEST_POOL_PATH
    p.Undefine()
    assert list(virtbusd.conn_call("ListStoragePools", U(0))) == []
    assert_dbus_error(virtbusd.conn_call, "StoragePoolLookupByName", "default-pool",
                      contains="Storage pool not found")
    rec.wait(4)
    assert pool_events(rec) == [(TEST_POOL_PATH, STOPPED, 0), (TEST_POOL_PATH, CREATED, 0),
                                (TEST_POOL_PATH, DELETED, 0), (TEST_POOL_PATH, UNDEFINED, 0)]


def test_transient_pool_destroy_removes(virtbusd):
    rec = virtbusd.recorder(interface=CONNECT, member="StoragePoolEvent")
    t = str(virtbusd.conn_call(
        "StoragePoolCreateXML",
        "<pool type='dir'><name>tp</name><target><path>/tp</path></target></pool>", U(0)))
    assert virtbusd.get(t, POOL, "Persistent") == False  # noqa: E712
    assert virtbusd.get(t, POOL, "Autostart") == False  # noqa: E712
    pool(virtbusd, t).Destroy()
    assert t not in [str(p) for p in virtbusd.conn_call("ListStoragePools", U(0))]
    rec.wait(2)
    assert pool_events(rec) == [(t, STARTED, 0), (t, STOPPED, 0)]


# --------------------------------------------------------------------------- volumes

def test_volume_create(virtbusd):
    p = create_volume(virtbusd, "vol1", 10, 5)
    key = "/default-pool/vol1"
    assert p == vol_path(key)
    props = virtbusd.get_all(p, VOL)
    assert str(props["Name"]) == "vol1"
    assert str(props["Key"]) == key
    assert str(props["Path"]) == key
    assert vol_info(virtbusd, p) == (VOL_FILE, 10 * MIB, 5 * MIB)
    assert vols(virtbusd) == [p]
    assert info(virtbusd) == (POOL_RUNNING, POOL_CAP, 5 * MIB, POOL_CAP - 5 * MIB)
    assert str(pool(virtbusd).StorageVolLookupByName("vol1")) == p
    assert str(virtbusd.conn_call("StorageVolLookupByKey", key)) == p
    assert str(virtbusd.conn_call("StorageVolLookupByPath", key)) == p
    x = parse_xml(virtbusd.proxy(p, VOL).GetXMLDesc(U(0)))
    assert x.findtext("name") == "vol1"
    assert x.findtext("key") == key
    assert int(x.findtext("capacity")) == 10 * MIB
    assert int(x.findtext("allocation")) == 5 * MIB
    assert x.findtext("target/path") == key


def test_volume_path_escaping(virtbusd):
    p = create_volume(virtbusd, "a b-c.img", 1, 1)
    assert p == TEST_PATH + "/storagevol/_2fdefault_2dpool_2fa_20b_2dc_2eimg"
    assert str(virtbusd.get(p, VOL, "Key")) == "/default-pool/a b-c.img"
    assert str(virtbusd.conn_call("StorageVolLookupByPath", "/default-pool/a b-c.img")) == p


def test_volume_wire_format(virtbusd):
    p = create_volume(virtbusd)
    reply = virtbusd.gcall(p, VOL, "GetInfo", GLib.Variant("(u)", (0,)), "((itt))")
    assert reply.get_type_string() == "((itt))"
    reply = virtbusd.gcall(p, PROPS, "GetAll", GLib.Variant("(s)", (VOL,)), "(a{sv})")
    inner = variant_inner_types(reply.get_child_value(0))
    assert inner == {"Name": "v", "Key": "v", "Path": "v"}


def test_volume_create_errors(virtbusd):
    p = create_volume(virtbusd, "vol1", 10, 5)
    before = (vols(virtbusd), info(virtbusd))
    pl = pool(virtbusd)
    assert_dbus_error(pl.StorageVolCreateXML, VOL_XML % ("vol1", 1, 1), U(0),
                      contains="already exists")
    assert_dbus_error(pl.StorageVolCreateXML, VOL_XML % ("big", 200 * 1024, 200 * 1024),
                      U(0), contains="Not enough free space in pool for volume 'big'")
    assert_dbus_error(pl.StorageVolCreateXML, "<volume><name>x</name>", U(0))
    assert_dbus_error(pl.StorageVolCreateXML, "<volume><capacity>1</capacity></volume>",
                      U(0))
    assert_dbus_error(pl.StorageVolCreateXML, VOL_XML % ("v2", 1, 1), U(1 << 20),
                      contains="unsupported flags")
    assert (vols(virtbusd), info(virtbusd)) == before
    assert vol_info(virtbusd, p) == (VOL_FILE, 10 * MIB, 5 * MIB)


def test_volume_create_from(virtbusd):
    p = create_volume(virtbusd, "vol1", 10, 5)
    c = str(pool(virtbusd).StorageVolCreateXMLFrom(VOL_XML % ("clone", 10, 5),
                                                   "/default-pool/vol1", U(0)))
    assert c == vol_path("/default-pool/clone")
    assert vols(virtbusd) == sorted([p, c])
    assert info(virtbusd)[2] == 10 * MIB
    assert_dbus_error(pool(virtbusd).StorageVolCreateXMLFrom, VOL_XML % ("c2", 1, 1),
                      "/default-pool/nope", U(0), contains="not found")
    assert vols(virtbusd) == sorted([p, c])


def test_volume_resize(virtbusd):
    p = create_volume(virtbusd, "vol1", 10, 5)
    v = virtbusd.proxy(p, VOL)
    v.Resize(T(20 * MIB), U(0))
    assert vol_info(virtbusd, p) == (VOL_FILE, 20 * MIB, 5 * MIB)
    assert info(virtbusd)[2] == 5 * MIB
    # shrinking needs VIR_STORAGE_VOL_RESIZE_SHRINK (4)
    assert_dbus_error(v.Resize, T(15 * MIB), U(0), contains="shrink")
    assert vol_info(virtbusd, p) == (VOL_FILE, 20 * MIB, 5 * MIB)
    v.Resize(T(8 * MIB), U(4))
    assert vol_info(virtbusd, p) == (VOL_FILE, 8 * MIB, 5 * MIB)
    # never below the allocation
    assert_dbus_error(v.Resize, T(1 * MIB), U(4), contains="allocation")
    # delta (2): grow by 2 MiB
    v.Resize(T(2 * MIB), U(2))
    assert vol_info(virtbusd, p)[1] == 10 * MIB
    # more than the pool can hold with allocate (1)
    assert_dbus_error(v.Resize, T(200 * GIB), U(1))
    assert vol_info(virtbusd, p) == (VOL_FILE, 10 * MIB, 5 * MIB)
    assert_dbus_error(v.Resize, T(30 * MIB), U(1 << 20), contains="unsupported flags")
    assert int(parse_xml(v.GetXMLDesc(U(0))).findtext("capacity")) == 10 * MIB


def test_volume_wipe(virtbusd):
    p = create_volume(virtbusd, "vol1", 10, 5)
    v = virtbusd.proxy(p, VOL)
    v.Wipe(U(0), U(0))
    assert vol_info(virtbusd, p) == (VOL_FILE, 10 * MIB, 5 * MIB)
    assert_dbus_error(v.Wipe, U(99), U(0), contains="not supported")
    assert_dbus_error(v.Wipe, U(0), U(1 << 20), contains="unsupported flags")
    assert vols(virtbusd) == [p]


def test_volume_delete(virtbusd):
    p = create_volume(virtbusd, "vol1", 10, 5)
    q = create_volume(virtbusd, "vol2", 4, 3)
    assert info(virtbusd)[2] == 8 * MIB
    virtbusd.proxy(p, VOL).Delete(U(0))
    assert vols(virtbusd) == [q]
    assert info(virtbusd) == (POOL_RUNNING, POOL_CAP, 3 * MIB, POOL_CAP - 3 * MIB)
    assert_dbus_error(virtbusd.conn_call, "StorageVolLookupByKey", "/default-pool/vol1",
                      contains="not found")
    assert_dbus_error(pool(virtbusd).StorageVolLookupByName, "vol1", contains="not found")
    with raises_dbus(contains="not found"):
        virtbusd.call(p, VOL, "GetInfo", U(0), signature="u")
    virtbusd.proxy(q, VOL).Delete(U(0))
    assert vols(virtbusd) == []
    assert info(virtbusd) == (POOL_RUNNING, POOL_CAP, 0, POOL_CAP)


def test_volume_delete_bad_flags(virtbusd):
    p = create_volume(virtbusd, "vol1", 10, 5)
    assert_dbus_error(virtbusd.proxy(p, VOL).Delete, U(1 << 20), contains="unsupported flags")
    assert vols(virtbusd) == [p]
    assert info(virtbusd)[2] == 5 * MIB


def test_volume_lookup_not_found(virtbusd):
    assert_dbus_error(virtbusd.conn_call, "StorageVolLookupByKey", "/nope",
                      contains="Storage volume not found")
    assert_dbus_error(virtbusd.conn_call, "StorageVolLookupByPath", "/nope",
                      contains="Storage volume not found")
    assert_dbus_error(pool(virtbusd).StorageVolLookupByName, "nope",
                      contains="Storage volume not found")


def test_missing_pool_path(virtbusd):
    gone = "%s/storagepool/_00000000_0000_0000_0000_000000000008" % TEST_PATH
    with raises_dbus(contains="Storage pool not found"):
        virtbusd.call(gone, POOL, "GetInfo", signature="")
