"""The QEMU driver's persistent domains on qemu:///session: define, undefine, autostart,
and loading the configs again when the daemon restarts (no guest is started here)."""
import os

import dbus
import pytest

from conftest import CONNECT, DOMAIN, assert_dbus_error, parse_xml

QEMU_PATH = "/org/libvirt/QEMU"
U = dbus.UInt32
DEFINED_ADDED, DEFINED_UPDATED, UNDEFINED_REMOVED = (0, 0), (0, 1), (1, 0)


def qemu_xml(name, uuid=None, virt="qemu", extra=""):
    u = "<uuid>%s</uuid>" % uuid if uuid else ""
    return ("<domain type='%s'><name>%s</name>%s<memory unit='MiB'>128</memory><vcpu>1</vcpu>"
            "<os><type>hvm</type></os>%s</domain>" % (virt, name, u, extra))


@pytest.fixture
def home(tmp_path):
    """XDG directories that outlive one daemon, so a restart sees the same configs."""
    env = {}
    for var in ("XDG_CONFIG_HOME", "XDG_RUNTIME_DIR", "XDG_CACHE_HOME", "XDG_DATA_HOME", "HOME"):
        d = tmp_path / var.lower()
        d.mkdir(mode=0o700)
        env[var] = str(d)
    return env


def config_dir(home):
    return os.path.join(home["XDG_CONFIG_HOME"], "virtbus", "qemu")


def start(virtbusd_factory, home):
    return virtbusd_factory(env=home)


def qemu_call(d, method, *args):
    return d.call(QEMU_PATH, CONNECT, method, *args)


def qemu_domains(d):
    return sorted(str(d.get(p, DOMAIN, "Name")) for p in qemu_call(d, "ListDomains", U(0)))


def test_qemu_connection_is_exported_beside_the_test_driver(virtbusd_factory, home):
    d = start(virtbusd_factory, home)
    assert qemu_domains(d) == []
    assert "QEMU" in d.introspect("/org/libvirt")
    assert os.path.isdir(config_dir(home))


def test_define_writes_the_config_and_survives_a_restart(virtbusd_factory, home):
    d = start(virtbusd_factory, home)
    events = d.recorder(interface=CONNECT, member="DomainEvent", path=QEMU_PATH)
    path = str(qemu_call(d, "DomainDefineXML", qemu_xml("vm1", virt="kvm")))
    uuid = str(d.get(path, DOMAIN, "UUID"))
    events.wait(1)
    assert events.events() == [(path,) + DEFINED_ADDED]
    saved = parse_xml(open(os.path.join(config_dir(home), "vm1.xml")).read())
    assert saved.get("type") == "kvm"
    assert saved.findtext("uuid") == uuid
    assert saved.findtext("devices/emulator") == "/usr/bin/qemu-system-x86_64"
    assert oct(os.stat(os.path.join(config_dir(home), "vm1.xml")).st_mode & 0o777) == "0o600"
    live_xml = str(d.call(path, DOMAIN, "GetXMLDesc", U(0)))
    d.stop()

    d2 = start(virtbusd_factory, home)
    assert qemu_domains(d2) == ["vm1"]
    assert str(d2.call(path, DOMAIN, "GetXMLDesc", U(0))) == live_xml
    assert d2.get(path, DOMAIN, "Persistent") == True  # noqa: E712
    assert d2.get(path, DOMAIN, "Active") == False  # noqa: E712


def test_redefine_updates_the_config(virtbusd_factory, home):
    d = start(virtbusd_factory, home)
    path = str(qemu_call(d, "DomainDefineXML", qemu_xml("vm1")))
    uuid = str(d.get(path, DOMAIN, "UUID"))
    events = d.recorder(interface=CONNECT, member="DomainEvent", path=QEMU_PATH)
    qemu_call(d, "DomainDefineXML", qemu_xml("vm1", uuid, extra="<title>second</title>"))
    events.wait(1)
    assert events.events() == [(path,) + DEFINED_UPDATED]
    saved = parse_xml(open(os.path.join(config_dir(home), "vm1.xml")).read())
    assert saved.findtext("title") == "second"


@pytest.mark.parametrize("xml, message", [
    (qemu_xml("t1", virt="test"), "does not support virt type 'test'"),
    ("<domain type='qemu'><name>a/b</name><memory>1024</memory><os><type>hvm</type></os></domain>",
     "cannot contain '/'"),
    ("<domain type='qemu'><name>x1</name><memory>1024</memory><os><type>xen</type></os></domain>",
     "does not support os type 'xen'"),
    ("<domain type='qemu'><name>broken", "Premature end of data"),
])
def test_bad_definitions_write_nothing(virtbusd_factory, home, xml, message):
    d = start(virtbusd_factory, home)
    assert_dbus_error(qemu_call, d, "DomainDefineXML", xml, contains=message)
    assert os.listdir(config_dir(home)) == ["autostart"]
    assert qemu_domains(d) == []


def test_same_name_other_uuid_is_refused(virtbusd_factory, home):
    d = start(virtbusd_factory, home)
    qemu_call(d, "DomainDefineXML", qemu_xml("vm1"))
    before = open(os.path.join(config_dir(home), "vm1.xml")).read()
    assert_dbus_error(qemu_call, d, "DomainDefineXML",
                      qemu_xml("vm1", "11111111-2222-3333-4444-555555555555"), contains="already exists")
    assert open(os.path.join(config_dir(home), "vm1.xml")).read() == before


def test_autostart_is_a_link_and_survives_a_restart(virtbusd_factory, home):
    d = start(virtbusd_factory, home)
    path = str(qemu_call(d, "DomainDefineXML", qemu_xml("vm1")))
    d.set(path, DOMAIN, "Autostart", True)
    link = os.path.join(config_dir(home), "autostart", "vm1.xml")
    assert os.path.islink(link)
    assert os.readlink(link) == os.path.join(config_dir(home), "vm1.xml")
    d.stop()

    d2 = start(virtbusd_factory, home)
    assert d2.get(path, DOMAIN, "Autostart") == True  # noqa: E712
    d2.set(path, DOMAIN, "Autostart", False)
    assert not os.path.lexists(link)


def test_undefine_removes_config_and_link(virtbusd_factory, home):
    d = start(virtbusd_factory, home)
    path = str(qemu_call(d, "DomainDefineXML", qemu_xml("vm1")))
    d.set(path, DOMAIN, "Autostart", True)
    events = d.recorder(interface=CONNECT, member="DomainEvent", path=QEMU_PATH)
    d.call(path, DOMAIN, "Undefine", U(0))
    events.wait(1)
    assert events.events() == [(path,) + UNDEFINED_REMOVED]
    assert sorted(os.listdir(config_dir(home))) == ["autostart"]
    assert os.listdir(os.path.join(config_dir(home), "autostart")) == []
    assert qemu_domains(d) == []


def test_unparsable_config_is_skipped_with_a_warning(virtbusd_factory, home):
    d = start(virtbusd_factory, home)
    qemu_call(d, "DomainDefineXML", qemu_xml("good"))
    d.stop()
    with open(os.path.join(config_dir(home), "bad.xml"), "w") as f:
        f.write("<domain type='qemu'><name>bad</name>")
    with open(os.path.join(config_dir(home), "wrongtype.xml"), "w") as f:
        f.write(qemu_xml("wrongtype", virt="test"))

    d2 = start(virtbusd_factory, home)
    assert qemu_domains(d2) == ["good"]
    err = d2.stderr()
    assert "skipping domain configuration %s" % os.path.join(config_dir(home), "bad.xml") in err
    assert "does not support virt type 'test'" in err


def test_qemu_none_serves_only_the_test_driver(virtbusd_factory, home):
    d = virtbusd_factory(args=["--qemu-uri", "none"], env=home)
    assert "QEMU" not in d.introspect("/org/libvirt")
    assert not os.path.exists(config_dir(home))


def test_metadata_is_saved_with_the_config(virtbusd_factory, home):
    d = start(virtbusd_factory, home)
    path = str(qemu_call(d, "DomainDefineXML", qemu_xml("vm1")))
    d.call(path, DOMAIN, "SetMetadata", 1, "a title", "", "", U(2))              # TITLE, AFFECT_CONFIG
    d.call(path, DOMAIN, "SetMetadata", 2, "<owner>lab</owner>", "app", "http://example.org/app/", U(0))
    saved = open(os.path.join(config_dir(home), "vm1.xml")).read()
    assert "<title>a title</title>" in saved and "http://example.org/app/" in saved
    d.stop()
    d2 = start(virtbusd_factory, home)
    assert str(d2.call(path, DOMAIN, "GetMetadata", 1, "", U(0))) == "a title"
    element = str(d2.call(path, DOMAIN, "GetMetadata", 2, "http://example.org/app/", U(0)))
    assert "owner" in element and ">lab<" in element
    assert_dbus_error(d2.call, path, DOMAIN, "SetMetadata", 1, "two\nlines", "", "", U(0), contains="newlines")


def test_rename_moves_config_and_autostart(virtbusd_factory, home):
    d = start(virtbusd_factory, home)
    path = str(qemu_call(d, "DomainDefineXML", qemu_xml("old")))
    d.set(path, DOMAIN, "Autostart", True)
    events = d.recorder(interface=CONNECT, member="DomainEvent", path=QEMU_PATH)
    d.call(path, DOMAIN, "Rename", "new", U(0))
    events.wait(2)
    assert events.events() == [(path, 1, 1), (path, 0, 2)]       # UNDEFINED_RENAMED, DEFINED_RENAMED
    assert sorted(os.listdir(config_dir(home))) == ["autostart", "new.xml"]
    assert os.listdir(os.path.join(config_dir(home), "autostart")) == ["new.xml"]
    assert_dbus_error(d.call, path, DOMAIN, "Rename", "new", U(0), contains="Can't rename domain to itself")
    d.stop()
    d2 = start(virtbusd_factory, home)
    assert qemu_domains(d2) == ["new"]
    assert d2.get(path, DOMAIN, "Autostart") == True  # noqa: E712


DISK = ("<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/var/tmp/x.img'/>"
        "<target dev='vdb' bus='virtio'/></disk>")


def test_attach_and_detach_devices_in_the_config(virtbusd_factory, home):
    d = start(virtbusd_factory, home)
    path = str(qemu_call(d, "DomainDefineXML", qemu_xml("vm1")))
    d.call(path, DOMAIN, "AttachDevice", DISK, U(2))                       # AFFECT_CONFIG
    d.call(path, DOMAIN, "AttachDevice", "<interface type='user'><model type='virtio'/></interface>", U(0))
    saved = parse_xml(open(os.path.join(config_dir(home), "vm1.xml")).read())
    assert saved.find("devices/disk/target").get("dev") == "vdb"
    mac = saved.find("devices/interface/mac").get("address")
    assert mac.startswith("52:54:00:")
    assert_dbus_error(d.call, path, DOMAIN, "AttachDevice", DISK, U(2), contains="target vdb already exists")
    assert_dbus_error(d.call, path, DOMAIN, "AttachDevice", "<disk type='file'>", U(2),
                      contains="Premature end of data")
    d.call(path, DOMAIN, "DetachDevice", DISK, U(2))
    d.call(path, DOMAIN, "DetachDevice", "<interface type='user'><mac address='%s'/></interface>" % mac, U(2))
    saved = parse_xml(open(os.path.join(config_dir(home), "vm1.xml")).read())
    assert saved.find("devices/disk") is None and saved.find("devices/interface") is None
    assert_dbus_error(d.call, path, DOMAIN, "DetachDevice", DISK, U(2), contains="no matching device")

