"""org.freedesktop.DBus.ObjectManager on /org/libvirt/Test: every child object that
GetManagedObjects lists must be announced by InterfacesAdded when it appears and by
InterfacesRemoved when it goes."""

import dbus
import pytest

from conftest import (CONNECT, DOMAIN, IFACE, NETWORK, NODEDEV, NWFILTER, OBJMGR, POOL, SECRET,
                      SNAPSHOT, TEST_PATH, VOL, create_snapshot, create_volume,
                      define_nwfilter, define_secret)

U = dbus.UInt32


def _vhba(d):
    return str(d.conn_call(
        "NodeDeviceCreateXML",
        "<device><parent>scsi_host1</parent><capability type='scsi_host'>"
        "<capability type='fc_host'><wwnn>2000000098765432</wwnn>"
        "<wwpn>1000000098765432</wwpn></capability></capability></device>", U(0)))


KINDS = {
    "domain": (DOMAIN, lambda d: d.define_domain("om-dom"),
               lambda d, p: d.proxy(p, DOMAIN).Undefine(U(0))),
    "network": (NETWORK,
                lambda d: str(d.conn_call("NetworkDefineXML",
                                          "<network><name>om-net</name>"
                                          "<bridge name='vbrom'/></network>")),
                lambda d, p: d.proxy(p, NETWORK).Undefine()),
    "storagepool": (POOL,
                    lambda d: str(d.conn_call("StoragePoolDefineXML",
                                              "<pool type='dir'><name>om-pool</name><target>"
                                              "<path>/om</path></target></pool>", U(0))),
                    lambda d, p: d.proxy(p, POOL).Undefine()),
    "storagevol": (VOL, lambda d: create_volume(d, "om.img", 1, 1),
                   lambda d, p: d.proxy(p, VOL).Delete(U(0))),
    "nodedev": (NODEDEV, _vhba, lambda d, p: d.proxy(p, NODEDEV).Destroy()),
    "interface": (IFACE,
                  lambda d: str(d.conn_call(
                      "InterfaceDefineXML",
                      "<interface type='ethernet' name='om0'><start mode='onboot'/>"
                      "<mac address='11:22:33:44:55:99'/></interface>", U(0))),
                  lambda d, p: d.proxy(p, IFACE).Undefine()),
    "secret": (SECRET, define_secret, lambda d, p: d.proxy(p, SECRET).Undefine()),
    "nwfilter": (NWFILTER, define_nwfilter, lambda d, p: d.proxy(p, NWFILTER).Undefine()),
    "domainsnapshot": (SNAPSHOT, lambda d: create_snapshot(d, "om-snap"),
                       lambda d, p: d.proxy(p, SNAPSHOT).Delete(U(0))),
}


def managed(d):
    objs = d.call(TEST_PATH, OBJMGR, "GetManagedObjects", signature="")
    return {str(k): v for k, v in objs.items()}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_added_removed(virtbusd, kind):
    iface, create, remove = KINDS[kind]
    rec = virtbusd.recorder(interface=OBJMGR, path=TEST_PATH)
    p = create(virtbusd)
    assert p.startswith("%s/%s/" % (TEST_PATH, kind)), p
    objs = managed(virtbusd)
    assert p in objs and iface in objs[p], "%s not in GetManagedObjects" % p
    added = rec.wait(1, member="InterfacesAdded", pred=lambda s: str(s[3][0]) == p)
    ifaces = added[0][3][1]
    assert iface in ifaces
    # the announced properties are the object's properties
    for prop, value in ifaces[iface].items():
        assert virtbusd.get(p, iface, str(prop)) == value, prop
    remove(virtbusd, p)
    assert p not in managed(virtbusd)
    removed = rec.wait(1, member="InterfacesRemoved", pred=lambda s: str(s[3][0]) == p)
    assert iface in [str(x) for x in removed[0][3][1]]


def test_managed_objects_initial(virtbusd):
    objs = managed(virtbusd)
    kinds = sorted({p[len(TEST_PATH) + 1:].split("/")[0] for p in objs})
    assert kinds == ["domain", "interface", "network", "nodedev", "storagepool"]
    assert len(objs) == 1 + 1 + 1 + 4 + 1
    assert CONNECT not in [i for v in objs.values() for i in v]
