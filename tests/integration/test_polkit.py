"""The polkit gate on the system bus, against python-dbusmock's polkitd on a private
"system" bus: every method and property is checked with libvirt's action name and
details, denied calls change nothing, interactive authorisation follows the flag, and
lists show only the objects the caller may read."""
import os
import signal
import subprocess
import tempfile
import time

import pytest
from gi.repository import Gio, GLib

HERE = os.path.dirname(os.path.abspath(__file__))
TEST = '/org/libvirt/Test'
DOMAIN = '/org/libvirt/Test/domain/_6695eb01_f6a4_8304_79aa_97f2502e193f'
MOCK_IFACE = 'org.freedesktop.DBus.Mock'
AUTHORITY = '/org/freedesktop/PolicyKit1/Authority'

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
"""


def virtbusd():
    binary = os.environ.get('VIRTBUSD')
    if binary:
        return binary
    source = os.environ.get('VIRTBUS_SOURCE', os.path.dirname(os.path.dirname(HERE)))
    return os.path.join(source, 'build', 'service', 'virtbusd')


def wait_for_name(conn, name, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reply = conn.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                               'NameHasOwner', GLib.Variant('(s)', (name,)), None, 0, -1, None)
        if reply.unpack()[0]:
            return
        time.sleep(0.02)
    raise TimeoutError(f'{name} did not appear on the bus')


class SystemBus:
    def __init__(self, tmp):
        socket = os.path.join(tmp, 'system_bus_socket')
        config = os.path.join(tmp, 'system.conf')
        with open(config, 'w') as f:
            f.write(BUS_CONFIG.format(socket=socket))
        self.bus = subprocess.Popen(['dbus-daemon', '--config-file', config, '--nofork'])
        self.address = 'unix:path=' + socket
        deadline = time.monotonic() + 10
        while not os.path.exists(socket) and time.monotonic() < deadline:
            time.sleep(0.01)
        self.env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.address)
        self.conn = Gio.DBusConnection.new_for_address_sync(
            self.address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
            Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
        self.polkit = subprocess.Popen(['/usr/bin/python3', '-m', 'dbusmock', '--template',
                                        os.path.join(HERE, 'polkitd_recording.py')], env=self.env)
        wait_for_name(self.conn, 'org.freedesktop.PolicyKit1')
        self.daemon = subprocess.Popen([virtbusd(), '--system'], env=self.env, stderr=subprocess.PIPE, text=True)
        wait_for_name(self.conn, 'org.libvirt')

    def mock(self, method, sig=None, args=None):
        return self.conn.call_sync('org.freedesktop.PolicyKit1', AUTHORITY, MOCK_IFACE, method,
                                   GLib.Variant(sig, args) if sig else None, None, 0, -1, None).unpack()

    def allow(self, *actions):
        self.mock('SetAllowed', '(as)', (list(actions),))

    def checks(self):
        return self.mock('GetChecks')[0]

    def allow_everything(self, allow=True):
        self.mock('AllowUnknown', '(b)', (allow,))

    def allow_with(self, action, **details):
        self.mock('AllowWithDetails', '(sa{ss})', (action, details))

    def call(self, path, iface, method, sig=None, args=None, flags=Gio.DBusCallFlags.NONE):
        return self.conn.call_sync('org.libvirt', path, iface, method, GLib.Variant(sig, args) if sig else None,
                                   None, flags, 10000, None).unpack()

    def close(self):
        self.daemon.send_signal(signal.SIGTERM)
        code = self.daemon.wait(10)
        self.polkit.terminate()
        self.polkit.wait(10)
        self.bus.terminate()
        self.bus.wait(10)
        assert code == 0, self.daemon.stderr.read()


@pytest.fixture
def system():
    with tempfile.TemporaryDirectory() as tmp:
        bus = SystemBus(tmp)
        try:
            yield bus
        finally:
            bus.close()


def error_of(excinfo):
    return Gio.DBusError.get_remote_error(excinfo.value), excinfo.value.message


def test_denied_by_default_names_the_action(system):
    with pytest.raises(GLib.Error) as excinfo:
        system.call(TEST, 'org.libvirt.Connect', 'ListDomains', '(u)', (0,))
    name, message = error_of(excinfo)
    assert name == 'org.freedesktop.DBus.Error.AccessDenied'
    assert 'org.libvirt.api.connect.search-domains' in message


def test_allowed_action_runs_the_call(system):
    system.allow('org.libvirt.api.connect.search-domains', 'org.libvirt.api.domain.getattr')
    domains = system.call(TEST, 'org.libvirt.Connect', 'ListDomains', '(u)', (0,))[0]
    assert domains == [DOMAIN]
    action, details, flags = system.checks()[0]
    assert action == 'org.libvirt.api.connect.search-domains'
    assert details['connect_driver'] == 'Test'
    assert flags == 0


def test_denied_call_changes_nothing(system):
    system.allow('org.libvirt.api.domain.read')
    with pytest.raises(GLib.Error) as excinfo:
        system.call(DOMAIN, 'org.libvirt.Domain', 'Suspend')
    assert error_of(excinfo)[0] == 'org.freedesktop.DBus.Error.AccessDenied'
    assert 'org.libvirt.api.domain.suspend' in excinfo.value.message
    assert system.call(DOMAIN, 'org.libvirt.Domain', 'GetState', '(u)', (0,))[0] == (1, 1)


def test_domain_details_let_admins_write_rules(system):
    system.allow('org.libvirt.api.domain.suspend')
    system.call(DOMAIN, 'org.libvirt.Domain', 'Suspend')
    action, details, _ = system.checks()[-1]
    assert action == 'org.libvirt.api.domain.suspend'
    assert details == {'connect_driver': 'Test', 'domain_name': 'test',
                       'domain_uuid': '6695eb01-f6a4-8304-79aa-97f2502e193f'}


def test_properties_are_gated(system):
    with pytest.raises(GLib.Error) as excinfo:
        system.call(DOMAIN, 'org.freedesktop.DBus.Properties', 'Get', '(ss)', ('org.libvirt.Domain', 'Name'))
    assert error_of(excinfo)[0] == 'org.freedesktop.DBus.Error.AccessDenied'
    system.allow('org.libvirt.api.domain.getattr')
    assert system.call(DOMAIN, 'org.freedesktop.DBus.Properties', 'Get', '(ss)',
                       ('org.libvirt.Domain', 'Name'))[0] == 'test'


def test_property_write_uses_the_write_action(system):
    system.allow('org.libvirt.api.domain.getattr', 'org.libvirt.api.domain.read')
    with pytest.raises(GLib.Error):
        system.call(DOMAIN, 'org.freedesktop.DBus.Properties', 'Set', '(ssv)',
                    ('org.libvirt.Domain', 'Autostart', GLib.Variant('b', True)))
    write_action = system.checks()[-1][0]
    assert write_action.startswith('org.libvirt.api.domain.')
    assert write_action not in ('org.libvirt.api.domain.getattr', 'org.libvirt.api.domain.read')
    assert system.call(DOMAIN, 'org.freedesktop.DBus.Properties', 'Get', '(ss)',
                       ('org.libvirt.Domain', 'Autostart'))[0] is False
    system.allow('org.libvirt.api.domain.getattr', 'org.libvirt.api.domain.read', write_action)
    system.call(DOMAIN, 'org.freedesktop.DBus.Properties', 'Set', '(ssv)',
                ('org.libvirt.Domain', 'Autostart', GLib.Variant('b', True)))
    assert system.call(DOMAIN, 'org.freedesktop.DBus.Properties', 'Get', '(ss)',
                       ('org.libvirt.Domain', 'Autostart'))[0] is True


def test_getall_needs_every_read_action(system):
    system.allow('org.libvirt.api.domain.getattr')
    with pytest.raises(GLib.Error):
        system.call(DOMAIN, 'org.freedesktop.DBus.Properties', 'GetAll', '(s)', ('org.libvirt.Domain',))
    system.allow('org.libvirt.api.domain.getattr', 'org.libvirt.api.domain.read')
    props = system.call(DOMAIN, 'org.freedesktop.DBus.Properties', 'GetAll', '(s)', ('org.libvirt.Domain',))[0]
    assert props['Name'] == 'test'


def test_interactive_only_when_the_caller_allows_it(system):
    system.mock('SetChallenge', '(as)', (['org.libvirt.api.domain.suspend'],))
    with pytest.raises(GLib.Error) as excinfo:
        system.call(DOMAIN, 'org.libvirt.Domain', 'Suspend')
    assert error_of(excinfo)[0] == 'org.freedesktop.DBus.Error.InteractiveAuthorizationRequired'
    assert system.checks()[-1][2] == 0
    with pytest.raises(GLib.Error) as excinfo:
        system.call(DOMAIN, 'org.libvirt.Domain', 'Suspend',
                    flags=Gio.DBusCallFlags.ALLOW_INTERACTIVE_AUTHORIZATION)
    # the caller accepted a dialog; the mock still said no, so it is a plain denial
    assert error_of(excinfo)[0] == 'org.freedesktop.DBus.Error.AccessDenied'
    assert system.checks()[-1][2] == 1


def test_session_bus_makes_no_polkit_calls(system):
    """The daemon on the session bus never asks polkit: its calls succeed with no authority."""
    bus = subprocess.run(['dbus-daemon', '--session', '--fork', '--print-address=1', '--print-pid=1'],
                         capture_output=True, text=True, check=True).stdout.split()
    address, pid = bus[0], int(bus[1])
    env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=address, DBUS_SYSTEM_BUS_ADDRESS=system.address)
    daemon = subprocess.Popen([virtbusd(), '--session'], env=env)
    try:
        conn = Gio.DBusConnection.new_for_address_sync(
            address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
            Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
        wait_for_name(conn, 'org.libvirt')
        system.mock('ClearChecks')
        reply = conn.call_sync('org.libvirt', TEST, 'org.libvirt.Connect', 'ListDomains', GLib.Variant('(u)', (0,)),
                               None, 0, -1, None).unpack()
        assert reply[0] == [DOMAIN]
        assert system.checks() == []
    finally:
        daemon.terminate()
        daemon.wait(10)
        os.kill(pid, signal.SIGTERM)


# ---- list filtering: a list keeps only the objects the caller may getattr, as libvirt's ACL filters do

NETWORK_XML = "<network><name>%s</name><bridge name='vb%s'/></network>"
DOMAIN_XML = ("<domain type='test'><name>%s</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
              "<os><type>hvm</type></os></domain>")
VOL_XML = "<volume><name>%s</name><capacity unit='MiB'>1</capacity></volume>"
POOL = '/org/libvirt/Test/storagepool/_dfe224cb_28fb_8dd0_c4b2_64eb3f0f4566'


def prop(system, path, iface, name):
    return system.call(path, 'org.freedesktop.DBus.Properties', 'Get', '(ss)', (iface, name))[0]


def setup_everything(system, build):
    """Runs @build with every action allowed, then denies all again and forgets the checks."""
    system.allow_everything()
    result = build()
    system.allow_everything(False)
    system.mock('ClearChecks')
    return result


def list_checks(system, action):
    return [details for a, details, flags in system.checks() if a == action and flags == 0]


def define_domains(system, *names):
    for name in names:
        system.call(TEST, 'org.libvirt.Connect', 'DomainDefineXML', '(s)', (DOMAIN_XML % name,))
    return system.call(TEST, 'org.libvirt.Connect', 'ListDomains', '(u)', (0,))[0]


def test_list_domains_keeps_only_readable_domains_in_order(system):
    every = setup_everything(system, lambda: define_domains(system, 'lab-a', 'prod', 'lab-b'))
    names = setup_everything(system, lambda: {p: prop(system, p, 'org.libvirt.Domain', 'Name') for p in every})
    uuids = setup_everything(system, lambda: {p: prop(system, p, 'org.libvirt.Domain', 'UUID') for p in every})
    system.allow('org.libvirt.api.connect.search-domains')
    system.allow_with('org.libvirt.api.domain.getattr', domain_name='lab-a')
    system.allow_with('org.libvirt.api.domain.getattr', domain_name='lab-b')

    listed = system.call(TEST, 'org.libvirt.Connect', 'ListDomains', '(u)', (0,))[0]

    assert listed == [p for p in every if names[p] in ('lab-a', 'lab-b')]
    assert len(listed) == 2
    checks = system.checks()
    assert checks[0] == ('org.libvirt.api.connect.search-domains', {'connect_driver': 'Test'}, 0)
    assert sorted(list_checks(system, 'org.libvirt.api.domain.getattr'), key=lambda d: d['domain_name']) == sorted(
        ({'connect_driver': 'Test', 'domain_name': names[p], 'domain_uuid': uuids[p]} for p in every),
        key=lambda d: d['domain_name'])


def test_list_networks_keeps_only_readable_networks(system):
    def build():
        for name in ('lab0', 'lab1'):
            system.call(TEST, 'org.libvirt.Connect', 'NetworkDefineXML', '(s)', (NETWORK_XML % (name, name),))
        every = system.call(TEST, 'org.libvirt.Connect', 'ListNetworks', '(u)', (0,))[0]
        return {p: (prop(system, p, 'org.libvirt.Network', 'Name'), prop(system, p, 'org.libvirt.Network', 'UUID'))
                for p in every}
    every = setup_everything(system, build)
    system.allow('org.libvirt.api.connect.search-networks')
    system.allow_with('org.libvirt.api.network.getattr', network_name='lab1')

    listed = system.call(TEST, 'org.libvirt.Connect', 'ListNetworks', '(u)', (0,))[0]

    assert listed == [p for p, (name, _) in every.items() if name == 'lab1']
    assert sorted(list_checks(system, 'org.libvirt.api.network.getattr'), key=lambda d: d['network_name']) == [
        {'connect_driver': 'Test', 'network_name': name, 'network_uuid': uuid}
        for name, uuid in sorted(every.values())]


def test_list_node_devices_by_name(system):
    every = setup_everything(
        system, lambda: system.call(TEST, 'org.libvirt.Connect', 'ListNodeDevices', '(u)', (0,))[0])
    names = setup_everything(system, lambda: [prop(system, p, 'org.libvirt.NodeDevice', 'Name') for p in every])
    assert len(names) > 2
    system.allow('org.libvirt.api.connect.search-node-devices')
    for name in names[1::2]:
        system.allow_with('org.libvirt.api.node-device.getattr', node_device_name=name)

    listed = system.call(TEST, 'org.libvirt.Connect', 'ListNodeDevices', '(u)', (0,))[0]

    assert listed == every[1::2]
    assert sorted(d['node_device_name'] for d in list_checks(system, 'org.libvirt.api.node-device.getattr')) == \
        sorted(names)


def test_list_storage_volumes_by_volume(system):
    def build():
        for name in ('a.img', 'b.img', 'c.img'):
            system.call(POOL, 'org.libvirt.StoragePool', 'StorageVolCreateXML', '(su)', (VOL_XML % name, 0))
        return system.call(POOL, 'org.libvirt.StoragePool', 'ListStorageVolumes', '(u)', (0,))[0]
    every = setup_everything(system, build)
    system.allow('org.libvirt.api.storage-pool.search-storage-vols')
    system.allow_with('org.libvirt.api.storage-vol.getattr', vol_name='b.img')

    listed = system.call(POOL, 'org.libvirt.StoragePool', 'ListStorageVolumes', '(u)', (0,))[0]

    assert [p for p in listed] == [p for p in every if p.endswith('b_2eimg')]
    assert len(listed) == 1
    vol_checks = list_checks(system, 'org.libvirt.api.storage-vol.getattr')
    assert sorted(d['vol_name'] for d in vol_checks) == ['a.img', 'b.img', 'c.img']
    assert all(d['pool_name'] == 'default-pool' and d['connect_driver'] == 'Test' for d in vol_checks)


def test_nothing_readable_gives_an_empty_list(system):
    every = setup_everything(system, lambda: define_domains(system, 'lab-a'))
    system.allow('org.libvirt.api.connect.search-domains', 'org.libvirt.api.connect.search-networks')
    assert system.call(TEST, 'org.libvirt.Connect', 'ListDomains', '(u)', (0,))[0] == []
    assert system.call(TEST, 'org.libvirt.Connect', 'ListNetworks', '(u)', (0,))[0] == []
    assert len(list_checks(system, 'org.libvirt.api.domain.getattr')) == len(every) == 2


def test_get_managed_objects_drops_what_the_caller_may_not_read(system):
    every = setup_everything(system, lambda: system.call(
        TEST, 'org.freedesktop.DBus.ObjectManager', 'GetManagedObjects')[0])
    kinds = {path.split('/')[4] for path in every}
    assert {'domain', 'network', 'nodedev', 'storagepool', 'interface'} <= kinds
    system.allow('org.libvirt.api.connect.getattr', 'org.libvirt.api.network.getattr')
    system.allow_with('org.libvirt.api.domain.getattr', domain_name='test')

    managed = system.call(TEST, 'org.freedesktop.DBus.ObjectManager', 'GetManagedObjects')[0]

    assert sorted(managed) == sorted([DOMAIN] + [p for p in every if '/network/' in p])
    assert managed[DOMAIN]['org.libvirt.Domain']['Name'] == 'test'
    checked = {a for a, _, _ in system.checks()}
    for action in ('domain.getattr', 'network.getattr', 'node-device.getattr', 'storage-pool.getattr',
                   'interface.getattr'):
        assert 'org.libvirt.api.' + action in checked
    assert len(system.checks()) == 1 + len(every)


def test_object_deleted_while_polkit_thinks_is_dropped(system):
    every = setup_everything(system, lambda: define_domains(system, 'lab-a', 'lab-b'))
    lab_b = setup_everything(system, lambda: system.call(TEST, 'org.libvirt.Connect', 'DomainLookupByName', '(s)',
                                                         ('lab-b',))[0])
    system.allow('org.libvirt.api.connect.search-domains', 'org.libvirt.api.domain.getattr',
                 'org.libvirt.api.domain.delete')
    system.mock('Hold', '(as)', (['org.libvirt.api.domain.getattr'],))
    result = []
    system.conn.call('org.libvirt', TEST, 'org.libvirt.Connect', 'ListDomains', GLib.Variant('(u)', (0,)),
                     None, 0, 10000, None, lambda conn, res: result.append(conn.call_finish(res).unpack()[0]))
    ctx = GLib.MainContext.default()
    deadline = time.monotonic() + 10
    while len(list_checks(system, 'org.libvirt.api.domain.getattr')) < len(every):
        assert time.monotonic() < deadline, 'the per-domain checks never reached polkit'
        ctx.iteration(False)
        time.sleep(0.01)

    system.call(lab_b, 'org.libvirt.Domain', 'Undefine', '(u)', (0,))
    system.mock('Release')
    while not result:
        assert time.monotonic() < deadline, 'ListDomains never answered'
        ctx.iteration(True)

    assert result[0] == [p for p in every if p != lab_b]
    assert len(result[0]) == 2
