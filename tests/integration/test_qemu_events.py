"""QMP events of a running guest that become libvirt's events: a guest panic (pvpanic:
GUEST_PANICKED) is a crash, an expired watchdog the Watchdog signal (and with action pause a
pause), a guest writing its RTC the RTCChange signal. The test guest panics on purpose with
tg.action=panic; the extended guest (guest_plus.py) arms a watchdog or writes its RTC."""
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


def plus_guest(qemu, guest, home, option, devices=""):
    import guest_plus
    plus = dict(guest, initrd=guest_plus.extended_initrd(guest, home["root"]))
    xml = guest_xml(plus, home).replace("console=ttyS0 quiet", "console=ttyS0 quiet " + option)
    return define(qemu, xml.replace("<memballoon model='none'/>", "<memballoon model='none'/>" + devices))


WATCHDOG_PAUSE = 1
PAUSED_WATCHDOG = (3, 6)
SUSPENDED, SUSPENDED_WATCHDOG = 3, 3


def test_an_expired_watchdog_pauses_the_guest(qemu, guest, home):
    path = plus_guest(qemu, guest, home, "tgplus.watchdog=1", "<watchdog model='i6300esb' action='pause'/>")
    signals = qemu.recorder(interface=DOMAIN, member="Watchdog", path=path)
    events = qemu.recorder(interface=CONNECT, member="DomainEvent", path=QEMU_PATH)
    qemu.call(path, DOMAIN, "Create", U(0))
    wait_serial(home, "tg", "TEST-GUEST WATCHDOG armed")
    assert signals.wait(timeout=60)[0][3] == (WATCHDOG_PAUSE,)
    wait_for(lambda: state(qemu, path) == PAUSED_WATCHDOG, 10, "the guest to be paused by its watchdog")
    events.settle()
    assert (SUSPENDED, SUSPENDED_WATCHDOG) in [e[1:] for e in events.events() if e[0] == path]


def test_a_guest_writing_its_rtc_is_an_rtc_change(qemu, guest, home):
    path = plus_guest(qemu, guest, home, "tgplus.rtc=1")
    signals = qemu.recorder(interface=DOMAIN, member="RTCChange", path=path)
    qemu.call(path, DOMAIN, "Create", U(0))
    wait_serial(home, "tg", "TEST-GUEST RTC written")
    offset = int(signals.wait(timeout=60)[-1][3][0])
    # 2030-01-01 against now: years ahead, in seconds
    assert offset > 86400 * 365, offset
