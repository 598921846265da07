"""Shutdown and Reboot through the QEMU guest agent, with libvirt's choice of method: the agent
when asked for or (by default) when the guest has an agent channel, the ACPI power button
otherwise or when asked for, and the power button again when a default shutdown finds the agent
silent. The test guest's agent prints which way it was asked to go ("POWEROFF agent")."""
import json
import os
import socket
import threading
import time

import dbus

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


# ---- calls the agent answers ----

def test_agent_calls_reach_the_guests_own_agent(qemu, guest, home):
    path = agent_guest(qemu, guest, home)
    # the test guest's agent knows a few commands: others come back as its own error
    assert_dbus_error(qemu.call, path, DOMAIN, "GetHostname", U(0),
                      contains="unable to execute QEMU agent command 'guest-get-host-name'")
    assert state(qemu, path)[0] == 1


def test_agent_calls_without_an_agent_are_refused(qemu, guest, home):
    path = agent_guest(qemu, guest, home, channel=False)
    for method, args in (("GetHostname", (U(0),)), ("FSThaw", (dbus.Array([], signature="s"), U(0))),
                         ("SetTime", (dbus.UInt64(1), U(0), U(0))), ("FSTrim", ("", dbus.UInt64(0), U(0)))):
        assert_dbus_error(qemu.call, path, DOMAIN, method, *args, contains="QEMU guest agent is not configured")
    assert_dbus_error(qemu.call, path, DOMAIN, "FSTrim", "/", dbus.UInt64(0), U(0),
                      contains="Specifying mount point is not supported")


class FakeAgent(threading.Thread):
    """Answers on the agent channel's socket in place of the guest: the sync, then each command
    from @answers (command name -> the JSON reply line)."""

    def __init__(self, path, answers):
        super().__init__(daemon=True)
        self.answers, self.commands = answers, []
        if os.path.exists(path):
            os.unlink(path)           # QEMU's listening socket: the daemon now reaches us instead
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(8)
        self.start()

    def run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn, conn.makefile("rwb") as f:
                sync = json.loads(f.readline())
                f.write(b"\xff" + json.dumps({"return": sync["arguments"]["id"]}).encode() + b"\n")
                f.flush()
                command = json.loads(f.readline())
                self.commands.append(command)
                f.write(self.answers[command["execute"]].encode() + b"\n")
                f.flush()


def test_agent_calls_and_their_replies(qemu, guest, home):
    sock = os.path.join(home["root"], "agent.sock")
    channel = AGENT_CHANNEL.replace("<target", "<source mode='bind' path='%s'/><target" % sock)
    xml = guest_xml(guest, home).replace("<memballoon model='none'/>", "<memballoon model='none'/>" + channel)
    disk = os.path.join(home["root"], "data.img")
    with open(disk, "wb") as f:
        f.truncate(1 << 20)
    xml = xml.replace("<devices>", "<devices><disk type='file' device='disk'><source file='%s'/>"
                                   "<target dev='vda' bus='virtio'/><serial>S123</serial></disk>" % disk)
    path = define(qemu, xml.replace("console=ttyS0 quiet", "console=ttyS0 quiet tg.agent=0"))
    qemu.call(path, DOMAIN, "Create", U(0))
    agent = FakeAgent(sock, {
        "guest-get-host-name": '{"return": {"host-name": "fakehost"}}',
        "guest-set-time": '{"return": {}}',
        "guest-fsfreeze-freeze": '{"return": 3}',
        "guest-fsfreeze-freeze-list": '{"return": 2}',
        "guest-fsfreeze-thaw": '{"return": 3}',
        "guest-fstrim": '{"error": {"class": "GenericError", "desc": "fstrim is not allowed here"}}',
        "guest-get-time": '{"return": 1700000000123456789}',
        "guest-get-fsinfo": json.dumps({"return": [
            {"name": "vda1", "mountpoint": "/", "type": "ext4",
             "disk": [{"serial": "S123", "bus-type": "virtio", "bus": 0, "target": 0, "unit": 0}]},
            {"name": "tmpfs", "mountpoint": "/tmp", "type": "tmpfs", "disk": []}]}),
        "guest-network-get-interfaces": json.dumps({"return": [
            {"name": "lo", "hardware-address": "00:00:00:00:00:00",
             "ip-addresses": [{"ip-address-type": "ipv4", "ip-address": "127.0.0.1", "prefix": 8}]},
            {"name": "eth0", "hardware-address": "52:54:00:12:34:56",
             "ip-addresses": [{"ip-address-type": "ipv4", "ip-address": "10.0.0.5", "prefix": 24},
                              {"ip-address-type": "ipv6", "ip-address": "fe80::1", "prefix": 64},
                              {"ip-address-type": "ipv4", "ip-address": "not-an-address", "prefix": 24}]}]}),
        "guest-set-user-password": '{"return": {}}',
    })
    try:
        assert str(qemu.call(path, DOMAIN, "GetHostname", U(0))) == "fakehost"
        qemu.call(path, DOMAIN, "SetTime", dbus.UInt64(1700000000), U(5), U(0))
        qemu.call(path, DOMAIN, "SetTime", dbus.UInt64(0), U(0), U(1))              # SYNC: from the RTC
        assert int(qemu.call(path, DOMAIN, "FSFreeze", dbus.Array([], signature="s"), U(0))) == 3
        assert int(qemu.call(path, DOMAIN, "FSFreeze", ["/", "/home"], U(0))) == 2
        assert int(qemu.call(path, DOMAIN, "FSThaw", dbus.Array([], signature="s"), U(0))) == 3
        assert_dbus_error(qemu.call, path, DOMAIN, "FSTrim", "", dbus.UInt64(4096), U(0),
                          contains="unable to execute QEMU agent command 'guest-fstrim': fstrim is not allowed here")
        assert agent.commands == [
            {"execute": "guest-get-host-name"},
            {"execute": "guest-set-time", "arguments": {"time": 1700000000000000005}},
            {"execute": "guest-set-time"},
            {"execute": "guest-fsfreeze-freeze"},
            {"execute": "guest-fsfreeze-freeze-list", "arguments": {"mountpoints": ["/", "/home"]}},
            {"execute": "guest-fsfreeze-thaw"},
            {"execute": "guest-fstrim", "arguments": {"minimum": 4096}},
        ]
        assert tuple(qemu.call(path, DOMAIN, "GetTime", U(0))) == (1700000000, 123456789)
        assert [(str(m), str(n), str(t), [str(a) for a in al]) for m, n, t, al in
                qemu.call(path, DOMAIN, "GetFSInfo", U(0))] == [("/", "vda1", "ext4", ["vda"]),
                                                                 ("/tmp", "tmpfs", "tmpfs", [])]
        got = [(str(n), str(m), [(int(t), str(a), int(p)) for t, a, p in addrs])
               for n, m, addrs in qemu.call(path, DOMAIN, "InterfaceAddresses", U(1), U(0))]   # AGENT
        assert got == [("lo", "00:00:00:00:00:00", [(0, "127.0.0.1", 8)]),
                       ("eth0", "52:54:00:12:34:56", [(0, "10.0.0.5", 24), (1, "fe80::1", 64)])]
        qemu.call(path, DOMAIN, "SetUserPassword", "root", "s3cret", U(0))
        assert agent.commands[-4:] == [
            {"execute": "guest-get-time"}, {"execute": "guest-get-fsinfo"},
            {"execute": "guest-network-get-interfaces"},
            {"execute": "guest-set-user-password",
             "arguments": {"username": "root", "password": "czNjcmV0", "crypted": False}}]
        assert_dbus_error(qemu.call, path, DOMAIN, "InterfaceAddresses", U(7), U(0),
                          contains="Unknown IP address data source 7")
    finally:
        agent.sock.close()
