"""VIR_DOMAIN_START_AUTODESTROY on the bus: a guest started with it lives as long as the client
connection that started it. The client here is a second bus connection that is closed; the
guest must be destroyed (STOPPED/DESTROYED, QEMU gone) while guests started without the flag,
or by other clients, keep running."""
import os

import dbus
import dbus.lowlevel
import pytest

from conftest import CONNECT, DOMAIN
from test_qemu_guest import (QEMU_PATH, SHUTOFF_DESTROYED, U, alive, define, guest, guest_xml, home,  # noqa: F401
                             qemu, qemu_pid, state, wait_for)

START_PAUSED, START_AUTODESTROY = 1, 2

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/qemu-system-x86_64"),
                                reason="qemu-system-x86_64 is not installed")


def other_client(d):
    return dbus.bus.BusConnection(d.bus_address)


def client_call(bus, path, iface, method, *args):
    obj = bus.get_object("org.libvirt", path, introspect=False)
    return getattr(obj, method)(*args, dbus_interface=iface)


def test_guest_goes_with_the_client_that_started_it(qemu, guest, home):
    doomed = define(qemu, guest_xml(guest, home, "ad"))
    kept = define(qemu, guest_xml(guest, home, "ak"))
    client = other_client(qemu)
    client_call(client, doomed, DOMAIN, "Create", U(START_PAUSED | START_AUTODESTROY))
    client_call(client, kept, DOMAIN, "Create", U(START_PAUSED))
    pid = qemu_pid(home, "ad")
    assert state(qemu, doomed)[0] == 3

    client.close()
    wait_for(lambda: state(qemu, doomed) == SHUTOFF_DESTROYED, 10, "the guest to be destroyed")
    wait_for(lambda: not alive(pid), 10, "its QEMU to end")
    assert state(qemu, kept)[0] == 3                      # started without the flag


def test_transient_guest_from_create_xml_goes_too(qemu, guest, home):
    client = other_client(qemu)
    path = str(client_call(client, QEMU_PATH, CONNECT, "DomainCreateXML", guest_xml(guest, home, "at"),
                           U(START_PAUSED | START_AUTODESTROY)))
    pid = qemu_pid(home, "at")
    client.close()
    wait_for(lambda: not alive(pid), 10, "its QEMU to end")
    names = [str(qemu.get(str(p), DOMAIN, "Name")) for p in qemu.call(QEMU_PATH, CONNECT, "ListDomains", U(0))]
    assert "at" not in names and path


def test_other_clients_leaving_changes_nothing(qemu, guest, home):
    path = define(qemu, guest_xml(guest, home, "ao"))
    qemu.call(path, DOMAIN, "Create", U(START_PAUSED | START_AUTODESTROY))   # owned by the test's own connection
    bystander = other_client(qemu)
    client_call(bystander, QEMU_PATH, CONNECT, "ListDomains", U(0))
    bystander.close()
    qemu.call(QEMU_PATH, CONNECT, "ListDomains", U(0))
    assert state(qemu, path)[0] == 3



def test_client_gone_before_its_create_finished(qemu, guest, home):
    path = define(qemu, guest_xml(guest, home, "aq"))
    client = other_client(qemu)
    msg = dbus.lowlevel.MethodCallMessage("org.libvirt", path, DOMAIN, "Create")
    msg.append(U(START_AUTODESTROY), signature="u")
    client.send_message(msg)
    client.flush()
    client.close()        # before the reply: the start finishes, then the guest goes
    wait_for(lambda: state(qemu, path) == SHUTOFF_DESTROYED, 20, "the guest to be destroyed")
