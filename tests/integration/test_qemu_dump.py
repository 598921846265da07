"""CoreDump of running QEMU guests: QEMU's migration stream (the default), an ELF core or a
kdump-compressed file with MEMORY_ONLY; the guest runs on afterwards, is gone as crashed with
CRASH; refused dumps leave no file and the guest as it was."""
import os
import struct

import pytest

from conftest import CONNECT, DOMAIN, assert_dbus_error
from test_qemu_guest import QEMU_PATH, U, define, guest, guest_xml, home, qemu, state  # noqa: F401

CRASH, LIVE, RESET, MEMORY_ONLY = 1, 2, 8, 16
FORMAT_RAW, FORMAT_KDUMP_ZLIB = 0, 1
RUNNING, PAUSED = 1, 3
SHUTOFF_CRASHED = (5, 3)
EVENT_STOPPED, STOPPED_CRASHED = 5, 2

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/qemu-system-x86_64"),
                                reason="qemu-system-x86_64 is not installed")


def running_guest(d, guest, home, flags=0):
    path = define(d, guest_xml(guest, home))
    d.call(path, DOMAIN, "Create", U(flags))
    return path


def head(path, n):
    with open(path, "rb") as f:
        return f.read(n)


def test_memory_only_dump_is_an_elf_core_and_the_guest_runs_on(qemu, guest, home):
    path = running_guest(qemu, guest, home)
    dump = os.path.join(home["root"], "core.elf")

    qemu.call(path, DOMAIN, "CoreDump", dump, U(FORMAT_RAW), U(MEMORY_ONLY))
    header = head(dump, 64)
    assert header[:4] == b"\x7fELF" and struct.unpack_from("<H", header, 16)[0] == 4    # ET_CORE
    assert os.path.getsize(dump) >= 128 << 20                                         # the guest's RAM
    assert state(qemu, path)[0] == RUNNING                                            # resumed after the dump


def test_kdump_compressed_needs_memory_only(qemu, guest, home):
    path = running_guest(qemu, guest, home, flags=1)    # paused: it stays paused
    dump = os.path.join(home["root"], "core.kdump")

    assert_dbus_error(qemu.call, path, DOMAIN, "CoreDump", dump, U(FORMAT_KDUMP_ZLIB), U(0),
                      contains="kdump-compressed format is only supported with memory-only dump")
    assert not os.path.exists(dump)
    qemu.call(path, DOMAIN, "CoreDump", dump, U(FORMAT_KDUMP_ZLIB), U(MEMORY_ONLY))
    assert head(dump, 12) == b"makedumpfile"     # QEMU writes kdump files in makedumpfile's flattened format
    assert state(qemu, path)[0] == PAUSED


def test_default_dump_is_the_migration_stream(qemu, guest, home):
    path = running_guest(qemu, guest, home)
    dump = os.path.join(home["root"], "core.raw")

    qemu.call(path, DOMAIN, "CoreDump", dump, U(FORMAT_RAW), U(LIVE))
    assert head(dump, 4) == b"QEVM"
    assert state(qemu, path)[0] == RUNNING


def test_reset_flag_resets_the_guest_after_the_dump(qemu, guest, home):
    path = running_guest(qemu, guest, home)
    reboots = qemu.recorder(interface=DOMAIN, member="Reboot", path=path)
    dump = os.path.join(home["root"], "core.elf")

    qemu.call(path, DOMAIN, "CoreDump", dump, U(FORMAT_RAW), U(MEMORY_ONLY | RESET))
    assert head(dump, 4) == b"\x7fELF"
    reboots.wait(member="Reboot")                       # QEMU's RESET
    assert state(qemu, path)[0] == RUNNING


def test_crash_flag_ends_the_guest_as_crashed(qemu, guest, home):
    path = running_guest(qemu, guest, home)
    events = qemu.recorder(interface=CONNECT, member="DomainEvent", path=QEMU_PATH)
    dump = os.path.join(home["root"], "core.elf")

    qemu.call(path, DOMAIN, "CoreDump", dump, U(FORMAT_RAW), U(MEMORY_ONLY | CRASH))
    assert head(dump, 4) == b"\x7fELF"
    assert state(qemu, path) == SHUTOFF_CRASHED
    assert events.wait(member="DomainEvent", pred=lambda s: s[3][1] == EVENT_STOPPED)[-1][3][1:] == \
        (EVENT_STOPPED, STOPPED_CRASHED)


def test_refused_dumps_leave_nothing(qemu, guest, home):
    path = define(qemu, guest_xml(guest, home))
    dump = os.path.join(home["root"], "core")

    assert_dbus_error(qemu.call, path, DOMAIN, "CoreDump", dump, U(FORMAT_RAW), U(0), contains="domain is not running")
    qemu.call(path, DOMAIN, "Create", U(0))
    assert_dbus_error(qemu.call, path, DOMAIN, "CoreDump", dump, U(FORMAT_RAW), U(CRASH | LIVE),
                      contains="Flags 'VIR_DUMP_CRASH' and 'VIR_DUMP_LIVE' are mutually exclusive")
    assert_dbus_error(qemu.call, path, DOMAIN, "CoreDump", "core", U(FORMAT_RAW), U(0), contains="is not absolute")
    assert_dbus_error(qemu.call, path, DOMAIN, "CoreDump", dump, U(9), U(0), contains="dumpformat '9' is not supported")
    assert_dbus_error(qemu.call, path, DOMAIN, "CoreDump", "/proc/virtbus-core", U(FORMAT_RAW), U(0),
                      contains="failed to open '/proc/virtbus-core'")
    assert not os.path.exists(dump)
    assert state(qemu, path)[0] == RUNNING
