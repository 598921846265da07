"""Real dir storage pools and volumes on qemu:///session: files on disk, checked with
qemu-img and os calls independently of the daemon; configs and autostart across restarts."""
import json
import os
import shutil
import subprocess

import dbus
import pytest

from conftest import CONNECT, POOL, VOL, assert_dbus_error, parse_xml

QEMU_PATH = "/org/libvirt/QEMU"
U = dbus.UInt32
T = dbus.UInt64
MIB = 1024 ** 2
GIB = 1024 ** 3

# virStoragePoolEventLifecycleType
DEFINED, UNDEFINED, STARTED, STOPPED, CREATED, DELETED = 0, 1, 2, 3, 4, 5
POOL_RUNNING = 2
RESIZE_SHRINK = 4
RESIZE_DELTA = 2


@pytest.fixture
def home(tmp_path):
    """XDG directories that outlive one daemon, so a restart sees the same configs."""
    env = {}
    for var in ("XDG_CONFIG_HOME", "XDG_RUNTIME_DIR", "XDG_CACHE_HOME", "XDG_DATA_HOME", "HOME"):
        d = tmp_path / var.lower()
        d.mkdir(mode=0o700)
        env[var] = str(d)
    return env


@pytest.fixture
def pooldir(tmp_path):
    return str(tmp_path / "pools" / "p1")


def storage_dir(home):
    return os.path.join(home["XDG_CONFIG_HOME"], "virtbus", "storage")


def qcall(d, method, *args):
    return d.call(QEMU_PATH, CONNECT, method, *args)


def pool_xml(path, name="p1"):
    return "<pool type='dir'><name>%s</name><target><path>%s</path></target></pool>" % (name, path)


def vol_xml(name, capacity, fmt="raw", allocation=None, extra=""):
    alloc = "<allocation>%d</allocation>" % allocation if allocation is not None else ""
    return ("<volume><name>%s</name><capacity>%d</capacity>%s<target><format type='%s'/></target>%s"
            "</volume>" % (name, capacity, alloc, fmt, extra))


def img_info(path):
    return json.loads(subprocess.check_output(["qemu-img", "info", "-U", "--output=json", path]))


def started_pool(d, path, name="p1"):
    p = str(qcall(d, "StoragePoolDefineXML", pool_xml(path, name), U(0)))
    d.call(p, POOL, "Build", U(0))
    d.call(p, POOL, "Create", U(0))
    return p


def create_vol(d, pool, xml):
    return str(d.call(pool, POOL, "StorageVolCreateXML", xml, U(0)))


def vol_names(d, pool):
    return sorted(str(d.get(v, VOL, "Name")) for v in d.call(pool, POOL, "ListStorageVolumes", U(0)))


def vol_info(d, vol):
    return tuple(int(x) for x in d.call(vol, VOL, "GetInfo", U(0)))


# --------------------------------------------------------------------------- pools

def test_default_pool_is_made_active_and_autostarted(virtbusd_factory, home):
    d = virtbusd_factory(env=home)
    p = str(qcall(d, "StoragePoolLookupByName", "default"))
    assert d.get(p, POOL, "Active") == True  # noqa: E712
    assert d.get(p, POOL, "Autostart") == True  # noqa: E712
    assert d.get(p, POOL, "Persistent") == True  # noqa: E712
    images = os.path.join(home["XDG_DATA_HOME"], "virtbus", "images")
    assert os.path.isdir(images)
    xml = parse_xml(str(d.call(p, POOL, "GetXMLDesc", U(0))))
    assert xml.get("type") == "dir"
    assert xml.findtext("target/path") == images
    config = os.path.join(storage_dir(home), "default.xml")
    assert oct(os.stat(config).st_mode & 0o777) == "0o600"
    assert os.readlink(os.path.join(storage_dir(home), "autostart", "default.xml")) == config


def test_define_build_start_and_sizes(virtbusd_factory, home, pooldir):
    d = virtbusd_factory(env=home)
    events = d.recorder(interface=CONNECT, member="StoragePoolEvent", path=QEMU_PATH)
    p = str(qcall(d, "StoragePoolDefineXML", pool_xml(pooldir), U(0)))
    assert os.path.exists(os.path.join(storage_dir(home), "p1.xml"))
    assert not os.path.exists(pooldir)
    assert_dbus_error(d.call, p, POOL, "Create", U(0), contains="No such file or directory")
    d.call(p, POOL, "Build", U(0))
    assert os.path.isdir(pooldir)
    assert oct(os.stat(pooldir).st_mode & 0o777) == "0o711"
    d.call(p, POOL, "Create", U(0))
    assert d.get(p, POOL, "Active") == True  # noqa: E712
    state, capacity, allocation, available = (int(x) for x in d.call(p, POOL, "GetInfo"))
    st = os.statvfs(pooldir)
    assert state == POOL_RUNNING
    assert capacity == st.f_frsize * st.f_blocks
    assert abs(available - st.f_frsize * st.f_bavail) < 64 * MIB
    assert 0 < allocation <= capacity
    events.wait(3)
    assert events.events("StoragePoolEvent") == [(p, DEFINED, 0), (p, CREATED, 0), (p, STARTED, 0)]


def test_build_modes(virtbusd_factory, home, tmp_path):
    d = virtbusd_factory(env=home)
    existing = tmp_path / "existing"
    existing.mkdir()
    os.chmod(existing, 0o755)
    p = str(qcall(d, "StoragePoolDefineXML", pool_xml(str(existing)), U(0)))
    d.call(p, POOL, "Build", U(0))
    assert oct(os.stat(existing).st_mode & 0o777) == "0o755"
    made = tmp_path / "a" / "made"
    p2 = str(qcall(d, "StoragePoolDefineXML",
                   "<pool type='dir'><name>m</name><target><path>%s</path><permissions>"
                   "<mode>0750</mode></permissions></target></pool>" % made, U(0)))
    d.call(p2, POOL, "Build", U(0))
    assert oct(os.stat(made).st_mode & 0o777) == "0o750"
    assert_dbus_error(qcall, d, "StoragePoolDefineXML", pool_xml("relative/dir", "r"), U(0),
                      contains="must be absolute")


def test_pool_target_that_is_a_file(virtbusd_factory, home, tmp_path):
    d = virtbusd_factory(env=home)
    target = tmp_path / "plain-file"
    target.write_text("x")
    p = str(qcall(d, "StoragePoolDefineXML", pool_xml(str(target)), U(0)))
    assert_dbus_error(d.call, p, POOL, "Create", U(0), contains="Not a directory")
    assert_dbus_error(d.call, p, POOL, "Build", U(0), contains="Not a directory")
    assert target.read_text() == "x"
    assert d.get(p, POOL, "Active") == False  # noqa: E712


def test_delete_refuses_a_non_empty_directory(virtbusd_factory, home, pooldir):
    d = virtbusd_factory(env=home)
    p = started_pool(d, pooldir)
    create_vol(d, p, vol_xml("keep.img", MIB))
    assert_dbus_error(d.call, p, POOL, "Delete", U(0), contains="still active")
    d.call(p, POOL, "Destroy")
    assert_dbus_error(d.call, p, POOL, "Delete", U(0), contains="Directory not empty")
    assert os.listdir(pooldir) == ["keep.img"]
    os.unlink(os.path.join(pooldir, "keep.img"))
    d.call(p, POOL, "Delete", U(0))
    assert not os.path.exists(pooldir)


def test_lifecycle_events_and_undefine(virtbusd_factory, home, pooldir):
    d = virtbusd_factory(env=home)
    events = d.recorder(interface=CONNECT, member="StoragePoolEvent", path=QEMU_PATH)
    p = started_pool(d, pooldir)
    refresh = d.recorder(interface=POOL, member="Refresh", path=p)
    d.call(p, POOL, "Refresh", U(0))
    refresh.wait(1)
    assert_dbus_error(d.call, p, POOL, "Undefine", contains="still active")
    d.set(p, POOL, "Autostart", True)
    link = os.path.join(storage_dir(home), "autostart", "p1.xml")
    assert os.path.islink(link)
    d.call(p, POOL, "Destroy")
    assert_dbus_error(d.call, p, POOL, "Refresh", U(0), contains="is not active")
    assert_dbus_error(d.call, p, POOL, "StorageVolCreateXML", vol_xml("a", MIB), U(0),
                      contains="storage pool 'p1' is not active")
    d.call(p, POOL, "Delete", U(0))
    d.call(p, POOL, "Undefine")
    assert not os.path.exists(os.path.join(storage_dir(home), "p1.xml"))
    assert not os.path.lexists(link)
    events.wait(6)
    assert events.events("StoragePoolEvent") == [
        (p, DEFINED, 0), (p, CREATED, 0), (p, STARTED, 0), (p, STOPPED, 0), (p, DELETED, 0),
        (p, UNDEFINED, 0)]


def test_transient_pool(virtbusd_factory, home, pooldir):
    d = virtbusd_factory(env=home)
    os.makedirs(pooldir)
    p = str(qcall(d, "StoragePoolCreateXML", pool_xml(pooldir, "tp"), U(0)))
    assert d.get(p, POOL, "Persistent") == False  # noqa: E712
    assert d.get(p, POOL, "Active") == True  # noqa: E712
    assert not os.path.exists(os.path.join(storage_dir(home), "tp.xml"))
    assert_dbus_error(d.set, p, POOL, "Autostart", True, contains="transient")
    d.call(p, POOL, "Destroy")
    assert "tp" not in [str(d.get(x, POOL, "Name")) for x in qcall(d, "ListStoragePools", U(0))]


def test_same_target_path_is_refused(virtbusd_factory, home, pooldir):
    d = virtbusd_factory(env=home)
    started_pool(d, pooldir)
    assert_dbus_error(qcall, d, "StoragePoolDefineXML", pool_xml(pooldir, "p2"), U(0),
                      contains="Storage source conflict with pool: 'p1'")


# --------------------------------------------------------------------------- volumes

def test_raw_volumes_sparse_and_allocated(virtbusd_factory, home, pooldir):
    d = virtbusd_factory(env=home)
    p = started_pool(d, pooldir)
    sparse = create_vol(d, p, vol_xml("sparse.img", 64 * MIB, allocation=0))
    full = create_vol(d, p, vol_xml("full.img", 8 * MIB))
    sparse_path = os.path.join(pooldir, "sparse.img")
    full_path = os.path.join(pooldir, "full.img")
    st = os.stat(sparse_path)
    assert st.st_size == 64 * MIB and st.st_blocks * 512 < MIB
    assert oct(st.st_mode & 0o777) == "0o600"
    assert os.stat(full_path).st_blocks * 512 >= 8 * MIB
    assert img_info(sparse_path)["format"] == "raw"
    assert str(d.get(sparse, VOL, "Key")) == sparse_path
    assert str(d.get(sparse, VOL, "Path")) == sparse_path
    assert vol_info(d, sparse)[:2] == (0, 64 * MIB)
    assert vol_info(d, full)[2] >= 8 * MIB
    xml = parse_xml(str(d.call(sparse, VOL, "GetXMLDesc", U(0))))
    assert xml.get("type") == "file"
    assert xml.findtext("key") == sparse_path
    assert xml.findtext("target/path") == sparse_path
    assert xml.find("target/format").get("type") == "raw"
    assert xml.find("capacity").get("unit") == "bytes"
    assert int(xml.findtext("capacity")) == 64 * MIB
    assert xml.findtext("target/permissions/mode") == "0600"
    assert xml.findtext("target/permissions/owner") == str(os.getuid())
    assert str(qcall(d, "StorageVolLookupByPath", full_path)) == full
    assert str(d.call(p, POOL, "StorageVolLookupByName", "full.img")) == full
    assert vol_names(d, p) == ["full.img", "sparse.img"]


def test_qcow2_volume_and_backing_file(virtbusd_factory, home, pooldir):
    d = virtbusd_factory(env=home)
    p = started_pool(d, pooldir)
    base = create_vol(d, p, vol_xml("base.qcow2", GIB, "qcow2"))
    base_path = os.path.join(pooldir, "base.qcow2")
    info = img_info(base_path)
    assert info["format"] == "qcow2" and info["virtual-size"] == GIB
    assert "backing-filename" not in info
    assert vol_info(d, base)[1] == GIB
    overlay = create_vol(d, p, vol_xml(
        "overlay.qcow2", 2 * GIB, "qcow2",
        extra="<backingStore><path>%s</path><format type='qcow2'/></backingStore>" % base_path))
    info = img_info(os.path.join(pooldir, "overlay.qcow2"))
    assert info["format"] == "qcow2" and info["virtual-size"] == 2 * GIB
    assert info["backing-filename"] == base_path
    assert info["backing-filename-format"] == "qcow2"
    xml = parse_xml(str(d.call(overlay, VOL, "GetXMLDesc", U(0))))
    assert xml.find("target/format").get("type") == "qcow2"
    assert xml.findtext("backingStore/path") == base_path
    assert xml.find("backingStore/format").get("type") == "qcow2"
    assert_dbus_error(d.call, p, POOL, "StorageVolCreateXML", vol_xml(
        "raw-with-backing", MIB, extra="<backingStore><path>%s</path></backingStore>" % base_path),
        U(0), contains="backing storage not supported for raw volumes")


def test_clone_raw_and_to_qcow2(virtbusd_factory, home, pooldir):
    d = virtbusd_factory(env=home)
    p = started_pool(d, pooldir)
    src = create_vol(d, p, vol_xml("src.img", 4 * MIB, allocation=0))
    src_path = os.path.join(pooldir, "src.img")
    with open(src_path, "r+b") as f:
        f.seek(MIB)
        f.write(b"virtbus clone data")
    key = str(d.get(src, VOL, "Key"))
    copy = str(d.call(p, POOL, "StorageVolCreateXMLFrom",
                      "<volume><name>copy.img</name></volume>", key, U(0)))
    copy_path = os.path.join(pooldir, "copy.img")
    assert open(copy_path, "rb").read() == open(src_path, "rb").read()
    assert vol_info(d, copy)[1] == 4 * MIB
    d.call(p, POOL, "StorageVolCreateXMLFrom",
           "<volume><name>copy.qcow2</name><capacity unit='MiB'>8</capacity>"
           "<target><format type='qcow2'/></target></volume>", key, U(0))
    qpath = os.path.join(pooldir, "copy.qcow2")
    info = img_info(qpath)
    assert info["format"] == "qcow2" and info["virtual-size"] == 8 * MIB
    out = subprocess.run(["qemu-img", "compare", "-U", src_path, qpath], capture_output=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert_dbus_error(d.call, p, POOL, "StorageVolCreateXMLFrom",
                      "<volume><name>copy.img</name></volume>", key, U(0),
                      contains="storage volume 'copy.img' exists already")


def test_resize_rules(virtbusd_factory, home, pooldir):
    d = virtbusd_factory(env=home)
    p = started_pool(d, pooldir)
    raw = create_vol(d, p, vol_xml("r.img", 8 * MIB, allocation=0))
    qcow = create_vol(d, p, vol_xml("q.qcow2", 8 * MIB, "qcow2"))
    raw_path = os.path.join(pooldir, "r.img")
    qpath = os.path.join(pooldir, "q.qcow2")
    d.call(raw, VOL, "Resize", T(16 * MIB), U(0))
    assert os.stat(raw_path).st_size == 16 * MIB
    assert vol_info(d, raw)[1] == 16 * MIB
    assert_dbus_error(d.call, raw, VOL, "Resize", T(4 * MIB), U(0),
                      contains="Can't shrink capacity below current capacity")
    assert os.stat(raw_path).st_size == 16 * MIB
    d.call(raw, VOL, "Resize", T(4 * MIB), U(RESIZE_SHRINK))
    assert os.stat(raw_path).st_size == 4 * MIB
    d.call(raw, VOL, "Resize", T(MIB), U(RESIZE_DELTA))
    assert os.stat(raw_path).st_size == 5 * MIB
    assert_dbus_error(d.call, raw, VOL, "Resize", T(2 ** 63 + 1), U(0), contains="too large")
    assert_dbus_error(d.call, raw, VOL, "Resize", T(2 ** 64 - MIB), U(RESIZE_DELTA),
                      contains="too large")
    assert os.stat(raw_path).st_size == 5 * MIB
    d.call(qcow, VOL, "Resize", T(GIB), U(0))
    assert img_info(qpath)["virtual-size"] == GIB
    assert_dbus_error(d.call, qcow, VOL, "Resize", T(16 * MIB), U(0), contains="shrink")
    d.call(qcow, VOL, "Resize", T(16 * MIB), U(RESIZE_SHRINK))
    assert img_info(qpath)["virtual-size"] == 16 * MIB
    assert vol_info(d, qcow)[1] == 16 * MIB


def test_wipe_writes_zeros(virtbusd_factory, home, pooldir):
    d = virtbusd_factory(env=home)
    p = started_pool(d, pooldir)
    raw = create_vol(d, p, vol_xml("w.img", 4 * MIB, allocation=0))
    raw_path = os.path.join(pooldir, "w.img")
    with open(raw_path, "r+b") as f:
        f.write(b"\xff" * 4096)
        f.seek(3 * MIB)
        f.write(b"secret")
    assert_dbus_error(d.call, raw, VOL, "Wipe", U(99), U(0), contains="not supported")
    assert open(raw_path, "rb").read(4) == b"\xff" * 4
    d.call(raw, VOL, "Wipe", U(0), U(0))
    data = open(raw_path, "rb").read()
    assert len(data) == 4 * MIB and data.count(0) == len(data)
    qcow = create_vol(d, p, vol_xml("w.qcow2", 32 * MIB, "qcow2"))
    qpath = os.path.join(pooldir, "w.qcow2")
    subprocess.check_call(["qemu-io", "-f", "qcow2", "-c", "write -P 0x55 0 1M", qpath],
                          stdout=subprocess.DEVNULL)
    d.call(qcow, VOL, "Wipe", U(0), U(0))
    info = img_info(qpath)
    assert info["format"] == "qcow2" and info["virtual-size"] == 32 * MIB
    out = subprocess.check_output(["qemu-io", "-f", "qcow2", "-c", "read -P 0 0 1M", qpath])
    assert b"Pattern verification failed" not in out
    assert_dbus_error(d.call, qcow, VOL, "Wipe", U(1), U(0), contains="for raw volumes only")


WIPE_NNSA, WIPE_RANDOM, WIPE_TRIM = 1, 8, 9


def test_wipe_patterns_trim_and_scrub(virtbusd_factory, home, pooldir):
    d = virtbusd_factory(env=home)
    p = started_pool(d, pooldir)
    raw = create_vol(d, p, vol_xml("t.img", 4 * MIB, allocation=0))
    path = os.path.join(pooldir, "t.img")

    def fill():
        with open(path, "r+b") as f:
            f.write(b"secret" * (MIB // 6))
            os.fsync(f.fileno())

    fill()
    assert os.stat(path).st_blocks * 512 >= MIB
    d.call(raw, VOL, "Wipe", U(WIPE_TRIM), U(0))                 # punched: zeros, no blocks
    data = open(path, "rb").read()
    assert len(data) == 4 * MIB and data.count(0) == len(data) and os.stat(path).st_blocks == 0
    assert int(d.call(raw, VOL, "GetInfo", U(0))[2]) == 0        # allocation follows
    if not shutil.which("scrub"):
        pytest.skip("scrub is not installed")
    for pattern in (WIPE_NNSA, WIPE_RANDOM):
        fill()
        d.call(raw, VOL, "Wipe", U(pattern), U(0))
        data = open(path, "rb").read()
        assert len(data) == 4 * MIB and b"secret" not in data


def test_delete_volume(virtbusd_factory, home, pooldir):
    d = virtbusd_factory(env=home)
    p = started_pool(d, pooldir)
    v = create_vol(d, p, vol_xml("gone.img", MIB))
    create_vol(d, p, vol_xml("stays.img", MIB))
    d.call(v, VOL, "Delete", U(0))
    assert os.listdir(pooldir) == ["stays.img"]
    assert vol_names(d, p) == ["stays.img"]
    assert_dbus_error(d.call, p, POOL, "StorageVolLookupByName", "gone.img",
                      contains="Storage volume not found")


def test_refresh_finds_files_made_behind_its_back(virtbusd_factory, home, pooldir, tmp_path):
    d = virtbusd_factory(env=home)
    p = started_pool(d, pooldir)
    create_vol(d, p, vol_xml("known.img", MIB))
    outside = str(tmp_path / "outside.qcow2")
    subprocess.check_call(["qemu-img", "create", "-q", "-f", "qcow2", outside, "3M"])
    shutil.copy(outside, os.path.join(pooldir, "copied.qcow2"))
    os.unlink(os.path.join(pooldir, "known.img"))
    os.mkdir(os.path.join(pooldir, "subdir"))
    assert vol_names(d, p) == ["known.img"]
    refresh = d.recorder(interface=POOL, member="Refresh", path=p)
    d.call(p, POOL, "Refresh", U(0))
    refresh.wait(1)
    assert vol_names(d, p) == ["copied.qcow2"]
    v = str(d.call(p, POOL, "StorageVolLookupByName", "copied.qcow2"))
    assert vol_info(d, v)[1] == 3 * MIB
    xml = parse_xml(str(d.call(v, VOL, "GetXMLDesc", U(0))))
    assert xml.find("target/format").get("type") == "qcow2"


@pytest.mark.parametrize("xml, message", [
    (vol_xml("a/b", MIB), "cannot contain '/'"),
    (vol_xml("..", MIB), "cannot be '.' or '..'"),
    (vol_xml("", MIB), "missing volume name"),
    (vol_xml("huge", 2 ** 63 + 512), "too large"),
    (vol_xml("huge2", 2 ** 64 - 1, "qcow2"), "too large"),
    ("<volume><name>big</name><capacity unit='EiB'>100</capacity></volume>", "value too large"),
    (vol_xml("exists.img", MIB), "storage volume 'exists.img' exists already"),
    (vol_xml("stray.img", MIB), "storage volume 'stray.img' exists already"),
    (vol_xml("odd.vmdk", MIB, "vmdk"), "not supported"),
])
def test_bad_volumes_change_nothing(virtbusd_factory, home, pooldir, xml, message):
    d = virtbusd_factory(env=home)
    p = started_pool(d, pooldir)
    create_vol(d, p, vol_xml("exists.img", MIB))
    with open(os.path.join(pooldir, "stray.img"), "w") as f:
        f.write("not refreshed yet")
    before = sorted(os.listdir(pooldir))
    sizes = {n: os.stat(os.path.join(pooldir, n)).st_size for n in before}
    assert_dbus_error(d.call, p, POOL, "StorageVolCreateXML", xml, U(0), contains=message)
    assert sorted(os.listdir(pooldir)) == before
    assert {n: os.stat(os.path.join(pooldir, n)).st_size for n in before} == sizes
    assert sorted(os.listdir(os.path.dirname(pooldir))) == ["p1"]
    assert vol_names(d, p) == ["exists.img"]


# --------------------------------------------------------------------------- restart

def test_pools_and_volumes_survive_a_restart(virtbusd_factory, home, pooldir):
    d = virtbusd_factory(env=home)
    p = started_pool(d, pooldir)
    d.set(p, POOL, "Autostart", True)
    create_vol(d, p, vol_xml("disk.qcow2", 64 * MIB, "qcow2"))
    create_vol(d, p, vol_xml("data.img", 2 * MIB))
    off = started_pool(d, pooldir + "-off", "p2")
    d.call(off, POOL, "Destroy")
    uuid = str(d.get(p, POOL, "UUID"))
    d.stop()

    d2 = virtbusd_factory(env=home)
    names = sorted(str(d2.get(x, POOL, "Name")) for x in qcall(d2, "ListStoragePools", U(0)))
    assert names == ["default", "p1", "p2"]
    p = str(qcall(d2, "StoragePoolLookupByUUID", uuid))
    assert d2.get(p, POOL, "Active") == True  # noqa: E712
    assert d2.get(p, POOL, "Autostart") == True  # noqa: E712
    p2 = str(qcall(d2, "StoragePoolLookupByName", "p2"))
    assert d2.get(p2, POOL, "Active") == False  # noqa: E712
    assert vol_names(d2, p) == ["data.img", "disk.qcow2"]
    v = str(qcall(d2, "StorageVolLookupByPath", os.path.join(pooldir, "disk.qcow2")))
    assert vol_info(d2, v)[1] == 64 * MIB
    xml = parse_xml(str(d2.call(v, VOL, "GetXMLDesc", U(0))))
    assert xml.find("target/format").get("type") == "qcow2"
