"""fs storage pools: a loop device's file system, made by Build and mounted by Create, in the
daemon's own mount namespace (unshare -m), so the host's mounts are never touched. Checked from
outside: blkid for the file system, /proc/<daemon pid>/mountinfo for the mount, and the files
inside the daemon's namespace through nsenter."""
import os
import shutil
import subprocess

import dbus
import pytest

from conftest import CONNECT, POOL, VOL, assert_dbus_error, virtbusd_binary

QEMU_PATH = "/org/libvirt/QEMU"
U = dbus.UInt32
MIB = 1024 ** 2
BUILD_NO_OVERWRITE, BUILD_OVERWRITE = 4, 8
CREATED, STARTED, STOPPED = 4, 2, 3

pytestmark = pytest.mark.skipif(not shutil.which("losetup") or not shutil.which("mkfs.ext4"),
                                reason="needs losetup and mkfs.ext4")


@pytest.fixture
def loop(tmp_path):
    image = tmp_path / "disk.img"
    with open(image, "wb") as f:
        f.truncate(64 * MIB)
    out = subprocess.run(["losetup", "-f", "--show", str(image)], capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip("no loop device here: %s" % out.stderr.strip())
    dev = out.stdout.strip()
    yield dev
    subprocess.run(["losetup", "-d", dev])


@pytest.fixture
def daemon(virtbusd_factory, tmp_path, monkeypatch):
    if subprocess.run(["unshare", "-m", "true"]).returncode != 0:
        pytest.skip("cannot create a mount namespace here")
    env = {}
    for var in ("XDG_CONFIG_HOME", "XDG_RUNTIME_DIR", "XDG_CACHE_HOME", "XDG_DATA_HOME", "HOME"):
        d = tmp_path / var.lower()
        d.mkdir(mode=0o700)
        env[var] = str(d)
    wrapper = tmp_path / "virtbusd-in-mountns"
    wrapper.write_text("#!/bin/sh\nexec unshare -m --propagation private %s \"$@\"\n" % virtbusd_binary())
    wrapper.chmod(0o755)
    monkeypatch.setenv("VIRTBUSD", str(wrapper))
    return virtbusd_factory(env=env)


def fs_pool_xml(dev, target, fmt="ext4", name="fs1"):
    return ("<pool type='fs'><name>%s</name><source><device path='%s'/><format type='%s'/></source>"
            "<target><path>%s</path></target></pool>" % (name, dev, fmt, target))


def mounts(d):
    with open("/proc/%d/mountinfo" % d.proc.pid) as f:
        return [line.split() for line in f.read().splitlines()]


def mounted_on(d, target):
    return [m[m.index("-") + 2] for m in mounts(d) if m[4] == target]


def fs_type(dev):
    return subprocess.run(["blkid", "-p", "-o", "value", "-s", "TYPE", dev], capture_output=True,
                          text=True).stdout.strip()


def test_build_start_use_and_stop_a_file_system_pool(daemon, loop, tmp_path):
    d = daemon
    target = str(tmp_path / "mnt" / "fs1")
    events = d.recorder(interface=CONNECT, member="StoragePoolEvent", path=QEMU_PATH)
    path = str(d.call(QEMU_PATH, CONNECT, "StoragePoolDefineXML", fs_pool_xml(loop, target), U(0)))

    d.call(path, POOL, "Build", U(BUILD_OVERWRITE))
    assert fs_type(loop) == "ext4" and os.path.isdir(target)
    d.call(path, POOL, "Create", U(0))
    assert mounted_on(d, target) == [loop]
    with open("/proc/self/mountinfo") as f:
        assert not any(line.split()[4] == target for line in f)    # the test's namespace: untouched
    state, capacity, allocation, available = d.call(path, POOL, "GetInfo")
    assert state == 2 and 40 * MIB < capacity <= 64 * MIB and available < capacity

    vol = str(d.call(path, POOL, "StorageVolCreateXML",
                     "<volume><name>v1.img</name><capacity unit='MiB'>4</capacity></volume>", U(0)))
    ls = subprocess.run(["nsenter", "-t", str(d.proc.pid), "-m", "ls", target], capture_output=True, text=True)
    assert "v1.img" in ls.stdout.split() and "lost+found" in ls.stdout.split()
    assert not os.path.exists(os.path.join(target, "v1.img"))    # only inside the daemon's namespace
    assert vol

    d.call(path, POOL, "Destroy")
    assert mounted_on(d, target) == []
    d.call(path, POOL, "Create", U(0))                             # the volume lives on the device
    assert [str(d.get(str(v), VOL, "Name")) for v in d.call(path, POOL, "ListStorageVolumes", U(0))] == ["v1.img"]
    d.call(path, POOL, "Destroy")
    got = [(int(e[1]), int(e[2])) for e in (s[3] for s in events.settle())]
    assert (CREATED, 0) in got and (STARTED, 0) in got and (STOPPED, 0) in got


def test_no_overwrite_and_bad_sources_change_nothing(daemon, loop, tmp_path):
    d = daemon
    target = str(tmp_path / "mnt" / "fs2")
    subprocess.run(["mkfs.ext4", "-q", "-F", loop], check=True)
    uuid_before = subprocess.run(["blkid", "-p", "-o", "value", "-s", "UUID", loop], capture_output=True,
                                 text=True).stdout
    path = str(d.call(QEMU_PATH, CONNECT, "StoragePoolDefineXML", fs_pool_xml(loop, target, name="fs2"), U(0)))
    assert_dbus_error(d.call, path, POOL, "Build", U(BUILD_NO_OVERWRITE),
                      contains="Device '%s' already formatted using 'ext4'" % loop)
    assert subprocess.run(["blkid", "-p", "-o", "value", "-s", "UUID", loop], capture_output=True,
                          text=True).stdout == uuid_before
    # one device, one pool
    assert_dbus_error(d.call, QEMU_PATH, CONNECT, "StoragePoolDefineXML",
                      fs_pool_xml(loop, str(tmp_path / "other"), name="fs3"), U(0),
                      contains="Storage source conflict with pool: 'fs2'")
    d.call(path, POOL, "Undefine")
    # the wrong file system type: mount refuses, the pool stays inactive, nothing is mounted
    bad = str(d.call(QEMU_PATH, CONNECT, "StoragePoolDefineXML",
                     fs_pool_xml(loop, target, fmt="xfs", name="fs3"), U(0)))
    d.call(bad, POOL, "Build", U(0))
    assert_dbus_error(d.call, bad, POOL, "Create", U(0), contains="mount failed")
    assert not d.get(bad, POOL, "Active") and mounted_on(d, target) == []
    missing = fs_pool_xml("/dev/no-such-disk", str(tmp_path / "mnt" / "fs4"), name="fs4")
    assert_dbus_error(d.call, QEMU_PATH, CONNECT, "StoragePoolCreateXML", missing, U(1),   # WITH_BUILD
                      contains="Cannot find source device '/dev/no-such-disk'")
    assert "fs4" not in [str(d.get(str(p), POOL, "Name")) for p in d.call(QEMU_PATH, CONNECT, "ListStoragePools",
                                                                          U(0))]
    assert_dbus_error(d.call, QEMU_PATH, CONNECT, "StoragePoolDefineXML",
                      "<pool type='fs'><name>fs5</name><target><path>/x</path></target></pool>", U(0),
                      contains="missing storage pool source device")
