"""Shutdown and Reboot through the QEMU guest agent, with libvirt's choice of method: the agent
when asked for or (by default) when the guest has an agent channel, the ACPI power button
otherwise or when asked for, and the power button again when a default shutdown finds the agent
silent. The test guest's agent prints which way it was asked to go ("POWEROFF agent")."""
import os
import time

import pytest

from conftest import DOMAIN, assert_dbus_error
from test_qemu_guest import (U, define, guest, guest_xml, home, qemu, serial_log, state,  # noqa: F401
                             wait_for, wait_serial)

SHUTDOWN_ACPI, SHUTDOWN_AGENT = 1, 2
AGENT_CHANNEL = ("<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>")

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/qemu-system-x86_64"),
                                reason="qemu-system-x86_64 is not installed")


def agent_guest(d, guest, home, agent_in_guest=True, channel=True):
    """The test guest booted; with its agent running, until the agent opened its port."""
    xml = guest_xml(guest, home)
    if channel:
        xml = xml.replace("<memballoon model='none'/>", "<memballoon model='none'/>" + AGENT_CHANNEL)
    if not agent_in_guest:
        xml = xml.replace("console=ttyS0 quiet", "console=ttyS0 quiet tg.agent=0")
    path = define(d, xml)
    events = d.recorder(interface=DOMAIN, member="AgentEvent", path=path)
    d.call(path, DOMAIN, "Create", U(0))
    wait_serial(home, "tg", "TEST-GUEST READY")
    if channel and agent_in_guest:
        # connected (1), by the channel (2): the guest's agent opened its virtio-serial port
        assert events.wait(timeout=60)[0][3] == (1, 2)
    return path


def serial(home):
    with open(serial_log(home, "tg"), errors="replace") as f:
        return f.read()


def test_default_shutdown_goes_through_the_agent(qemu, guest, home):
    path = agent_guest(qemu, guest, home)
    qemu.call(path, DOMAIN, "Shutdown", U(0))
    wait_serial(home, "tg", "TEST-GUEST POWEROFF agent")
    wait_for(lambda: state(qemu, path)[0] == 5, 60, "the guest to be shut off")
    assert "POWEROFF acpi-button" not in serial(home)


def test_acpi_when_asked_for_even_with_an_agent(qemu, guest, home):
    path = agent_guest(qemu, guest, home)
    qemu.call(path, DOMAIN, "Shutdown", U(SHUTDOWN_ACPI))
    wait_serial(home, "tg", "TEST-GUEST POWEROFF acpi-button")
    wait_for(lambda: state(qemu, path)[0] == 5, 60, "the guest to be shut off")


def test_reboot_through_the_agent(qemu, guest, home):
    path = agent_guest(qemu, guest, home)
    qemu.call(path, DOMAIN, "Reboot", U(SHUTDOWN_AGENT))
    wait_serial(home, "tg", "TEST-GUEST REBOOT agent")
    wait_for(lambda: serial(home).count("TEST-GUEST READY") >= 2, 90, "the guest to boot again")
    assert state(qemu, path)[0] == 1


def test_agent_mode_without_a_channel_is_refused(qemu, guest, home):
    path = agent_guest(qemu, guest, home, channel=False)
    assert_dbus_error(qemu.call, path, DOMAIN, "Shutdown", U(SHUTDOWN_AGENT),
                      contains="argument unsupported: QEMU guest agent is not configured")
    assert_dbus_error(qemu.call, path, DOMAIN, "Reboot", U(SHUTDOWN_AGENT),
                      contains="QEMU guest agent is not configured")
    assert state(qemu, path)[0] == 1
    assert_dbus_error(qemu.call, path, DOMAIN, "Shutdown", U(4), contains="unsupported flags (0x4)")


def test_silent_agent_fails_or_falls_back_to_acpi(qemu, guest, home):
    path = agent_guest(qemu, guest, home, agent_in_guest=False)
    started = time.monotonic()
    assert_dbus_error(qemu.call, path, DOMAIN, "Shutdown", U(SHUTDOWN_AGENT),
                      contains="Guest agent is not responding")
    assert time.monotonic() - started < 15
    assert state(qemu, path)[0] == 1 and "POWEROFF" not in serial(home)
    # no mode asked for: libvirt tries the agent, then the power button
    qemu.call(path, DOMAIN, "Shutdown", U(0))
    wait_serial(home, "tg", "TEST-GUEST POWEROFF acpi-button")
    wait_for(lambda: state(qemu, path)[0] == 5, 60, "the guest to be shut off")
