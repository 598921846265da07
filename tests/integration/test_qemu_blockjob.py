"""Block jobs on running QEMU guests: BlockPull, BlockRebase, BlockCommit (the active layer with a
pivot included), GetBlockJobInfo, BlockJobSetSpeed, BlockJobAbort, the BlockJob signal, and
BlockResize/BlockPeek. Every result is checked on the images themselves with qemu-img/qemu-io
(their backing chains and the data that moved), and in the live definition."""
import json
import os
import subprocess
import time

import dbus
import pytest

from conftest import DOMAIN, assert_dbus_error
from test_qemu_guest import U, define, guest, guest_xml, home, qemu, wait_for  # noqa: F401

T = dbus.UInt64
START_PAUSED = 1
TYPE_PULL, TYPE_COPY, TYPE_COMMIT, TYPE_ACTIVE_COMMIT = 1, 2, 3, 4
COMPLETED, CANCELED, READY = 0, 2, 3
ABORT_PIVOT = 2
COMMIT_ACTIVE = 4
RESIZE_BYTES = 1
COPY_SHALLOW, COPY_REUSE_EXT = 1, 2
MiB = 1 << 20

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/qemu-img"), reason="qemu-utils is not installed")


def qemu_img(*args):
    return subprocess.run(["qemu-img"] + list(args), check=True, capture_output=True, text=True).stdout


def create(home, name, fmt="qcow2", backing=None, size="64M"):
    path = os.path.join(home["root"], name)
    args = ["create", "-q", "-f", fmt]
    if backing:
        args += ["-b", backing, "-F", "qcow2" if backing.endswith(".qcow2") else "raw"]
    qemu_img(*(args + [path, size]))
    return path


def write_pattern(path, pattern, offset, length):
    subprocess.run(["qemu-io", "-c", "write -P 0x%x %d %d" % (pattern, offset, length), path],
                   check=True, capture_output=True)


def has_pattern(path, pattern, offset, length):
    out = subprocess.run(["qemu-io", "-U", "-r", "-c", "read -P 0x%x %d %d" % (pattern, offset, length), path],
                         capture_output=True, text=True)
    return out.returncode == 0 and "Pattern verification failed" not in out.stdout


def chain(path):
    """The files of the image's backing chain, top first, as qemu-img reads them."""
    info = json.loads(qemu_img("info", "-U", "--backing-chain", "--output=json", path))
    return [os.path.basename(entry["filename"]) for entry in info]


def with_disk(xml, path, fmt="qcow2", dev="vdb"):
    disk = ("<disk type='file' device='disk'><driver name='qemu' type='%s'/><source file='%s'/>"
            "<target dev='%s' bus='virtio'/></disk>" % (fmt, path, dev))
    return xml.replace("</devices>", disk + "</devices>")


def started(d, guest, home, disk, fmt="qcow2"):
    path = define(d, with_disk(guest_xml(guest, home), disk, fmt))
    d.call(path, DOMAIN, "Create", U(START_PAUSED))   # block jobs need QEMU, not a booted guest
    return path


def block_job_signals(d, path):
    return d.recorder(interface=DOMAIN, member="BlockJob", path=path)


def stopped(d, path):
    """QEMU flushes and closes the images on its way out: only then do other readers see its writes."""
    d.call(path, DOMAIN, "Destroy", U(0))


def job_info(d, path, disk="vdb", flags=0):
    return tuple(int(v) for v in d.call(path, DOMAIN, "GetBlockJobInfo", disk, U(flags)))


def test_pull_merges_the_backing_chain_into_the_disk(qemu, guest, home):
    base = create(home, "base.qcow2")
    write_pattern(base, 0xaa, 0, MiB)
    top = create(home, "top.qcow2", backing=base)
    path = started(qemu, guest, home, top)
    signals = block_job_signals(qemu, path)

    qemu.call(path, DOMAIN, "BlockPull", "vdb", T(0), U(0))
    assert signals.wait(member="BlockJob", timeout=30)[0][3] == ("vdb", TYPE_PULL, COMPLETED)
    assert job_info(qemu, path) == (0, 0, 0, 0)
    stopped(qemu, path)
    assert chain(top) == ["top.qcow2"]                     # no backing file any more
    assert has_pattern(top, 0xaa, 0, MiB)                  # the base's data now lives in the top


def test_rebase_keeps_the_chain_below_the_base(qemu, guest, home):
    base = create(home, "base.qcow2")
    mid = create(home, "mid.qcow2", backing=base)
    write_pattern(mid, 0xbb, 0, MiB)
    top = create(home, "top.qcow2", backing=mid)
    path = started(qemu, guest, home, top)
    signals = block_job_signals(qemu, path)

    qemu.call(path, DOMAIN, "BlockRebase", top, base, T(0), U(0))   # the disk named by its source path
    assert signals.wait(member="BlockJob", timeout=30)[0][3] == ("vdb", TYPE_PULL, COMPLETED)
    stopped(qemu, path)
    assert chain(top) == ["top.qcow2", "base.qcow2"]
    assert has_pattern(top, 0xbb, 0, MiB)


def test_commit_of_a_middle_image_into_its_base(qemu, guest, home):
    base = create(home, "base.qcow2")
    mid = create(home, "mid.qcow2", backing=base)
    write_pattern(mid, 0xcc, MiB, MiB)
    top = create(home, "top.qcow2", backing=mid)
    path = started(qemu, guest, home, top)
    signals = block_job_signals(qemu, path)

    qemu.call(path, DOMAIN, "BlockCommit", "vdb", base, mid, T(0), U(0))
    assert signals.wait(member="BlockJob", timeout=30)[0][3] == ("vdb", TYPE_COMMIT, COMPLETED)
    stopped(qemu, path)
    assert has_pattern(base, 0xcc, MiB, MiB)
    assert chain(top) == ["top.qcow2", "base.qcow2"]        # QEMU dropped mid from the chain


def test_active_commit_pivots_the_disk_onto_its_base(qemu, guest, home):
    base = create(home, "base.qcow2")
    top = create(home, "top.qcow2", backing=base)
    write_pattern(top, 0xdd, 2 * MiB, MiB)
    path = started(qemu, guest, home, top)
    signals = block_job_signals(qemu, path)

    assert_dbus_error(qemu.call, path, DOMAIN, "BlockCommit", "vdb", "", "", T(0), U(0),
                      contains="commit of 'vdb' active layer requires active flag")
    qemu.call(path, DOMAIN, "BlockCommit", "vdb", "", "", T(0), U(COMMIT_ACTIVE))
    assert signals.wait(member="BlockJob", timeout=30)[0][3] == ("vdb", TYPE_ACTIVE_COMMIT, READY)
    kind, bandwidth, cur, end = job_info(qemu, path)
    assert (kind, bandwidth) == (TYPE_ACTIVE_COMMIT, 0) and cur == end > 0
    assert_dbus_error(qemu.call, path, DOMAIN, "BlockPull", "vdb", T(0), U(0),
                      contains="disk 'vdb' already in active block job")

    qemu.call(path, DOMAIN, "BlockJobAbort", "vdb", U(ABORT_PIVOT))   # synchronous: returns once pivoted
    assert signals.wait(count=2, member="BlockJob")[-1][3] == ("vdb", TYPE_ACTIVE_COMMIT, COMPLETED)
    live = str(qemu.call(path, DOMAIN, "GetXMLDesc", U(0)))
    assert "<source file='%s'/>" % base in live and top not in live
    assert job_info(qemu, path) == (0, 0, 0, 0)
    # the guest's device now reads the base: a resize reaches it, not the old top
    qemu.call(path, DOMAIN, "BlockResize", "vdb", U(128 * 1024), U(0))
    stopped(qemu, path)
    assert has_pattern(base, 0xdd, 2 * MiB, MiB)
    assert json.loads(qemu_img("info", "--output=json", base))["virtual-size"] == 128 * MiB
    assert json.loads(qemu_img("info", "--output=json", top))["virtual-size"] == 64 * MiB


def copy_xml(path, fmt="qcow2"):
    return "<disk type='file'><driver type='%s'/><source file='%s'/></disk>" % (fmt, path)


@pytest.mark.parametrize("shallow", [False, True])
def test_copy_mirrors_the_disk_and_pivots_onto_the_copy(qemu, guest, home, shallow):
    base = create(home, "base.qcow2")
    write_pattern(base, 0x11, 0, MiB)
    top = create(home, "top.qcow2", backing=base)
    write_pattern(top, 0x22, MiB, MiB)
    copy = os.path.join(home["root"], "copy.qcow2")
    path = started(qemu, guest, home, top)
    signals = block_job_signals(qemu, path)

    qemu.call(path, DOMAIN, "BlockCopy", "vdb", copy_xml(copy), {"bandwidth": T(0)},
              U(COPY_SHALLOW if shallow else 0))
    assert signals.wait(member="BlockJob", timeout=30)[0][3] == ("vdb", TYPE_COPY, READY)
    assert job_info(qemu, path)[0] == TYPE_COPY
    qemu.call(path, DOMAIN, "BlockJobAbort", "vdb", U(ABORT_PIVOT))
    assert signals.wait(count=2, member="BlockJob")[-1][3] == ("vdb", TYPE_COPY, COMPLETED)
    live = str(qemu.call(path, DOMAIN, "GetXMLDesc", U(0)))
    assert "<source file='%s'/>" % copy in live and "<driver name='qemu' type='qcow2'/>" in live
    assert "<source file='%s'/>" % top in str(qemu.call(path, DOMAIN, "GetXMLDesc", U(2)))   # config unchanged
    stopped(qemu, path)
    assert chain(copy) == (["copy.qcow2", "base.qcow2"] if shallow else ["copy.qcow2"])
    assert has_pattern(copy, 0x22, MiB, MiB) and has_pattern(copy, 0x11, 0, MiB)


def test_a_copy_aborted_without_pivot_leaves_the_disk_where_it_was(qemu, guest, home):
    top = create(home, "top.qcow2")
    copy = create(home, "existing.qcow2")                   # REUSE_EXT: copy into an image made beforehand
    path = started(qemu, guest, home, top)
    signals = block_job_signals(qemu, path)

    qemu.call(path, DOMAIN, "BlockCopy", top, copy_xml(copy), {}, U(COPY_REUSE_EXT))
    assert signals.wait(member="BlockJob", timeout=30)[0][3] == ("vdb", TYPE_COPY, READY)
    qemu.call(path, DOMAIN, "BlockJobAbort", "vdb", U(0))
    assert signals.wait(count=2, member="BlockJob")[-1][3] == ("vdb", TYPE_COPY, CANCELED)
    assert "<source file='%s'/>" % top in str(qemu.call(path, DOMAIN, "GetXMLDesc", U(0)))


def test_a_slow_job_reports_progress_and_can_be_cancelled(qemu, guest, home):
    base = create(home, "base.qcow2")
    write_pattern(base, 0xee, 0, 32 * MiB)
    top = create(home, "top.qcow2", backing=base)
    path = started(qemu, guest, home, top)
    signals = block_job_signals(qemu, path)

    qemu.call(path, DOMAIN, "BlockPull", "vdb", T(1), U(0))          # 1 MiB/s: seconds of work
    kind, bandwidth, cur, end = job_info(qemu, path)
    assert (kind, bandwidth) == (TYPE_PULL, 1) and cur < end
    assert job_info(qemu, path, flags=1)[1] == MiB                    # BANDWIDTH_BYTES
    qemu.call(path, DOMAIN, "BlockJobSetSpeed", "vdb", T(2), U(0))
    assert job_info(qemu, path)[1] == 2
    assert_dbus_error(qemu.call, path, DOMAIN, "BlockJobAbort", "vdb", U(ABORT_PIVOT),
                      contains="pivot of disk 'vdb' requires an active copy job")
    qemu.call(path, DOMAIN, "BlockJobAbort", "vdb", U(0))            # waits for QEMU's end of the job
    assert signals.wait(member="BlockJob")[-1][3] == ("vdb", TYPE_PULL, CANCELED)
    assert job_info(qemu, path) == (0, 0, 0, 0)
    stopped(qemu, path)
    assert chain(top) == ["top.qcow2", "base.qcow2"]                 # a cancelled pull keeps the chain


def test_resize_and_peek_a_raw_disk(qemu, guest, home):
    disk = create(home, "data.raw", fmt="raw", size="8M")
    with open(disk, "r+b") as f:
        f.seek(4096)
        f.write(b"virtbus-peek")
    path = started(qemu, guest, home, disk, fmt="raw")

    assert bytes(qemu.call(path, DOMAIN, "BlockPeek", "vdb", T(4096), T(12), U(0))) == b"virtbus-peek"
    assert bytes(qemu.call(path, DOMAIN, "BlockPeek", disk, T(4090), T(8), U(0))) == b"\0" * 6 + b"vi"
    qemu.call(path, DOMAIN, "BlockResize", "vdb", U(16 * 1024), U(0))            # KiB
    assert os.path.getsize(disk) == 16 * MiB
    qemu.call(path, DOMAIN, "BlockResize", "vdb", U(20 * MiB + 100), U(RESIZE_BYTES))
    assert os.path.getsize(disk) == 20 * MiB + 512                                # whole sectors


def test_bad_block_calls_change_nothing(qemu, guest, home):
    base = create(home, "base.qcow2")
    top = create(home, "top.qcow2", backing=base)
    xml = with_disk(guest_xml(guest, home), top)
    path = define(qemu, xml)

    assert_dbus_error(qemu.call, path, DOMAIN, "BlockPull", "vdb", T(0), U(0), contains="domain is not running")
    qemu.call(path, DOMAIN, "Create", U(START_PAUSED))
    assert_dbus_error(qemu.call, path, DOMAIN, "BlockPull", "vdz", T(0), U(0),
                      contains="disk 'vdz' not found in domain")
    assert_dbus_error(qemu.call, path, DOMAIN, "BlockJobAbort", "vdb", U(0),
                      contains="disk vdb does not have an active block job")
    assert_dbus_error(qemu.call, path, DOMAIN, "BlockRebase", "vdb", "/nowhere.qcow2", T(0), U(0),
                      contains="could not find image '/nowhere.qcow2'")
    assert_dbus_error(qemu.call, path, DOMAIN, "BlockCommit", "vdb", "", top, T(0), U(COMMIT_ACTIVE | 1 << 10),
                      contains="unsupported flags (0x400)")
    assert_dbus_error(qemu.call, path, DOMAIN, "BlockPull", "vdb", T(1 << 62), U(0), contains="bandwidth must be less")
    assert_dbus_error(qemu.call, path, DOMAIN, "BlockPeek", "vdb", T(0), T(16), U(0),
                      contains="peeking is only supported for disk with 'raw' format not 'qcow2'")
    copy = os.path.join(home["root"], "copy.qcow2")
    assert_dbus_error(qemu.call, path, DOMAIN, "BlockCopy", "vdb", "<disk type='network'/>", {}, U(0),
                      contains="must be a <disk type='file'> or <disk type='block'>")
    assert_dbus_error(qemu.call, path, DOMAIN, "BlockCopy", "vdb", copy_xml(copy), {}, U(COPY_REUSE_EXT),
                      contains="missing destination file for disk vdb")
    assert_dbus_error(qemu.call, path, DOMAIN, "BlockCopy", "vdb", copy_xml(base), {}, U(0),
                      contains="destination file for disk vdb exists")
    assert_dbus_error(qemu.call, path, DOMAIN, "BlockCopy", "vdb", copy_xml(copy), {"speed": T(1)}, U(0),
                      contains="parameter 'speed' not supported")
    assert_dbus_error(qemu.call, path, DOMAIN, "BlockCopy", "vdb", copy_xml(copy), {"bandwidth": U(1)}, U(0),
                      contains="invalid type 'u' for parameter 'bandwidth', expected 't'")
    assert not os.path.exists(copy)
    assert chain(top) == ["top.qcow2", "base.qcow2"]
    assert job_info(qemu, path) == (0, 0, 0, 0)
    assert "<source file='%s'/>" % top in str(qemu.call(path, DOMAIN, "GetXMLDesc", U(0)))


def test_a_pivoted_disk_stays_pivoted_across_a_daemon_restart(virtbusd_factory, guest, home):
    env = {k: v for k, v in home.items() if k != "root"}
    d = virtbusd_factory(env=env)
    top = create(home, "top.qcow2")
    copy = os.path.join(home["root"], "copy.qcow2")
    path = started(d, guest, home, top)
    signals = block_job_signals(d, path)
    d.call(path, DOMAIN, "BlockCopy", "vdb", copy_xml(copy), {}, U(0))
    signals.wait(member="BlockJob", timeout=30)
    d.call(path, DOMAIN, "BlockJobAbort", "vdb", U(ABORT_PIVOT))
    d.stop()
    d = virtbusd_factory(env=env)
    try:
        assert "<source file='%s'/>" % copy in str(d.call(path, DOMAIN, "GetXMLDesc", U(0)))
        # the re-attached daemon finds the disk's new block node: a resize reaches the copy
        d.call(path, DOMAIN, "BlockResize", "vdb", U(96 * 1024), U(0))
    finally:
        d.call(path, DOMAIN, "Destroy", U(0))
    assert json.loads(qemu_img("info", "--output=json", copy))["virtual-size"] == 96 * MiB
    assert json.loads(qemu_img("info", "--output=json", top))["virtual-size"] == 64 * MiB


def test_a_job_in_flight_is_taken_over_by_a_restarted_daemon(virtbusd_factory, guest, home):
    env = {k: v for k, v in home.items() if k != "root"}
    d = virtbusd_factory(env=env)
    base = create(home, "base.qcow2")
    write_pattern(base, 0x5a, 0, 32 * MiB)
    top = create(home, "top.qcow2", backing=base)
    path = started(d, guest, home, top)
    d.call(path, DOMAIN, "BlockPull", "vdb", T(1), U(0))              # 1 MiB/s: half a minute of work
    d.stop()
    d = virtbusd_factory(env=env)
    try:
        assert job_info(d, path)[:2] == (TYPE_PULL, 1)
        assert_dbus_error(d.call, path, DOMAIN, "BlockPull", "vdb", T(0), U(0),
                          contains="disk 'vdb' already in active block job")
        signals = block_job_signals(d, path)
        d.call(path, DOMAIN, "BlockJobSetSpeed", "vdb", T(0), U(0))     # unlimited: it ends now
        assert signals.wait(member="BlockJob", timeout=60)[0][3] == ("vdb", TYPE_PULL, COMPLETED)
    finally:
        d.call(path, DOMAIN, "Destroy", U(0))
    assert chain(top) == ["top.qcow2"]


def test_a_job_that_ended_while_the_daemon_was_away_is_settled(virtbusd_factory, guest, home):
    env = {k: v for k, v in home.items() if k != "root"}
    d = virtbusd_factory(env=env)
    base = create(home, "base.qcow2")
    write_pattern(base, 0x5b, 0, 2 * MiB)
    top = create(home, "top.qcow2", backing=base)
    path = started(d, guest, home, top)
    d.call(path, DOMAIN, "BlockPull", "vdb", T(1), U(0))              # about two seconds
    d.stop()
    time.sleep(5)                                                      # QEMU finishes it meanwhile
    d = virtbusd_factory(env=env)
    try:
        assert job_info(d, path) == (0, 0, 0, 0)                        # settled from query-jobs
        signals = block_job_signals(d, path)
        d.call(path, DOMAIN, "BlockPull", "vdb", T(0), U(0))           # the disk is free again
        assert signals.wait(member="BlockJob", timeout=30)[0][3] == ("vdb", TYPE_PULL, COMPLETED)
    finally:
        d.call(path, DOMAIN, "Destroy", U(0))
    assert chain(top) == ["top.qcow2"]
