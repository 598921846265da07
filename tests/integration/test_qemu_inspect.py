"""GetControlInfo and MemoryPeek on running QEMU guests. The peeks read the BIOS's reset vector
at 0xFFFF0 (a far jump, 0xEA, on every PC), physically and — before the first instruction, in
real mode — virtually, through QEMU's memsave/pmemsave into a file QEMU gets as an fd set."""
import glob
import os
import tempfile

import dbus
import pytest

from conftest import DOMAIN, assert_dbus_error
from test_qemu_guest import U, define, guest, guest_xml, home, qemu, qemu_pid  # noqa: F401

T = dbus.UInt64
START_PAUSED = 1
VIRTUAL, PHYSICAL = 1, 2
RESET_VECTOR = 0xFFFF0
CONTROL_OK = 0

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/qemu-system-x86_64"),
                                reason="qemu-system-x86_64 is not installed")


def peek(d, path, start, size, flags):
    return bytes(d.call(path, DOMAIN, "MemoryPeek", T(start), T(size), U(flags)))


def qemu_fds(home):
    pid = qemu_pid(home, "tg")
    return sorted(os.readlink(f) for f in glob.glob("/proc/%d/fd/*" % pid))


def test_memory_peek_reads_guest_memory(qemu, guest, home):
    path = define(qemu, guest_xml(guest, home))
    qemu.call(path, DOMAIN, "Create", U(START_PAUSED))
    fds_before = qemu_fds(home)
    tmp_before = set(os.listdir(tempfile.gettempdir()))

    physical = peek(qemu, path, RESET_VECTOR, 16, PHYSICAL)
    assert len(physical) == 16 and physical[0] == 0xEA
    assert peek(qemu, path, RESET_VECTOR, 16, VIRTUAL) == physical    # real mode: linear = physical
    assert peek(qemu, path, RESET_VECTOR + 1, 4, PHYSICAL) == physical[1:5]
    # QEMU let go of the file, and no file stayed anywhere
    assert qemu_fds(home) == fds_before
    assert not [f for f in set(os.listdir(tempfile.gettempdir())) - tmp_before if f.startswith("virtbus-peek")]


def test_memory_peek_refusals(qemu, guest, home):
    path = define(qemu, guest_xml(guest, home))
    assert_dbus_error(qemu.call, path, DOMAIN, "MemoryPeek", T(0), T(16), U(PHYSICAL), contains="domain is not running")
    qemu.call(path, DOMAIN, "Create", U(START_PAUSED))
    assert_dbus_error(qemu.call, path, DOMAIN, "MemoryPeek", T(0), T(16), U(VIRTUAL | PHYSICAL),
                      contains="flags parameter must be VIR_MEMORY_VIRTUAL or VIR_MEMORY_PHYSICAL")
    assert_dbus_error(qemu.call, path, DOMAIN, "MemoryPeek", T(0), T(1 << 20), U(PHYSICAL),
                      contains="memory peek request too large")


def test_control_info(qemu, guest, home):
    path = define(qemu, guest_xml(guest, home))
    assert_dbus_error(qemu.call, path, DOMAIN, "GetControlInfo", U(0), contains="domain is not running")
    qemu.call(path, DOMAIN, "Create", U(START_PAUSED))
    assert tuple(int(v) for v in qemu.call(path, DOMAIN, "GetControlInfo", U(0))) == (CONTROL_OK, 0, 0)
    assert_dbus_error(qemu.call, path, DOMAIN, "GetControlInfo", U(1), contains="unsupported flags (0x1)")
