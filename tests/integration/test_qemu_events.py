"""QMP events of a running guest that become libvirt's events: a guest panic (pvpanic:
GUEST_PANICKED) is a crash. The test guest panics on purpose with tg.action=panic on its
command line."""
import os

import pytest

from conftest import CONNECT, DOMAIN
from test_qemu_guest import (QEMU_PATH, U, define, guest, guest_xml, home, qemu, qemu_pid, alive, state,  # noqa: F401
                             wait_for, wait_serial)

CRASHED, CRASHED_PANICKED = 8, 0
STOPPED, STOPPED_CRASHED = 5, 2
SHUTOFF_CRASHED = (5, 3)

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/qemu-system-x86_64"),
                                reason="qemu-system-x86_64 is not installed")


def test_a_guest_panic_is_a_crash(qemu, guest, home):
    xml = guest_xml(guest, home).replace("console=ttyS0 quiet", "console=ttyS0 quiet tg.action=panic tg.delay=0")
    xml = xml.replace("<memballoon model='none'/>", "<memballoon model='none'/><panic model='isa'/>")
    path = define(qemu, xml)
    events = qemu.recorder(interface=CONNECT, member="DomainEvent", path=QEMU_PATH)
    qemu.call(path, DOMAIN, "Create", U(0))
    pid = qemu_pid(home, "tg")
    wait_serial(home, "tg", "TEST-GUEST PANIC")
    wait_for(lambda: state(qemu, path) == SHUTOFF_CRASHED, 60, "the guest to be shut off as crashed")
    events.settle()
    got = [e[1:] for e in events.events() if e[0] == path]
    assert (CRASHED, CRASHED_PANICKED) in got and got[-1] == (STOPPED, STOPPED_CRASHED), got
    wait_for(lambda: not alive(pid), 10, "QEMU to end")
