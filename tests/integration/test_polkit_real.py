"""The gate against the real polkitd from the distribution, on a private system bus.

polkitd has no option for other action or rule directories, so for the length of this
module our actions are installed into /usr/share/polkit-1/actions and test rules into
/etc/polkit-1/rules.d, each under a name only this test uses, and removed afterwards.
The caller is a subprocess running as an unprivileged user (`virtbus-test`, group
`virtbus-testers`, created here if absent). Such a process has no login session, so for
polkit it is not an "active local user": our defaults give it nothing, and a rules file
grants its group the read-only actions (`*.getattr`, `*.read`), as an admin would. The
harness itself calls as root, which a second rule lets do everything.

Needs root and /usr/lib/polkit-1/polkitd (Debian package polkitd); skipped otherwise."""
import grp
import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time

import pytest
from gi.repository import Gio, GLib

POLKITD = '/usr/lib/polkit-1/polkitd'
ACTIONS_DIR = '/usr/share/polkit-1/actions'
RULES_DIR = '/etc/polkit-1/rules.d'
USER = 'virtbus-test'
GROUP = 'virtbus-testers'
POLICY_FILE = os.path.join(ACTIONS_DIR, 'org.libvirt.virtbus-test.policy')
BASE_RULES = os.path.join(RULES_DIR, 'zz-virtbus-test-base.rules')
START_RULES = os.path.join(RULES_DIR, 'zz-virtbus-test.rules')
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get('VIRTBUS_SOURCE', os.path.dirname(os.path.dirname(HERE)))
TEST = '/org/libvirt/Test'
DOMAIN_XML = ("<domain type='test'><name>vb-real</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
              "<os><type>hvm</type></os></domain>")

if os.geteuid() != 0:
    pytest.skip('the real polkitd layer runs as root (it installs actions and rules)', allow_module_level=True)
if not os.access(POLKITD, os.X_OK):
    pytest.skip(f'{POLKITD} is missing (Debian package polkitd)', allow_module_level=True)

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"""

BASE_RULES_JS = """// virtbus integration test (tests/integration/test_polkit_real.py); removed after the test
polkit.addRule(function(action, subject) {
    if (action.id.indexOf("org.libvirt.api.") != 0)
        return polkit.Result.NOT_HANDLED;
    if (subject.user == "root")
        return polkit.Result.YES;
    if (subject.isInGroup("%s") && /\\.(getattr|read)$/.test(action.id))
        return polkit.Result.YES;
    return polkit.Result.NOT_HANDLED;
});
""" % GROUP

START_RULES_JS = """// virtbus integration test (tests/integration/test_polkit_real.py); removed after the test
polkit.addRule(function(action, subject) {
    if (action.id == "org.libvirt.api.domain.start" && subject.isInGroup("%s"))
        return polkit.Result.YES;
    return polkit.Result.NOT_HANDLED;
});
""" % GROUP

# Runs as the unprivileged user: one call, its answer or error as JSON on stdout.
CLIENT = r"""
import json, sys
from gi.repository import Gio, GLib
address, path, iface, method, sig, args = sys.argv[1:7]
conn = Gio.DBusConnection.new_for_address_sync(
    address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
    None, None)
try:
    reply = conn.call_sync('org.libvirt', path, iface, method, GLib.Variant(sig, tuple(json.loads(args))),
                           None, 0, 20000, None)
    print(json.dumps({'value': reply.unpack()}))
except GLib.Error as e:
    print(json.dumps({'error': Gio.DBusError.get_remote_error(e), 'message': e.message}))
"""


def virtbusd():
    return os.environ.get('VIRTBUSD') or os.path.join(SOURCE, 'build', 'service', 'virtbusd')


def wait_for_name(conn, name, proc, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f'the process meant to own {name} exited with {proc.returncode}'
        reply = conn.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                               'NameHasOwner', GLib.Variant('(s)', (name,)), None, 0, -1, None)
        if reply.unpack()[0]:
            return
        time.sleep(0.05)
    raise TimeoutError(f'{name} did not appear on the bus')


def write_ours(path, text):
    """Writes a file only this test uses (a leftover of an earlier run is replaced)."""
    with open(path, 'w') as f:
        f.write(text)
    os.chmod(path, 0o644)


def remove_ours(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


@pytest.fixture(scope='module')
def test_user():
    created = []
    try:
        grp.getgrnam(GROUP)
    except KeyError:
        subprocess.run(['groupadd', '--system', GROUP], check=True)
        created.append(('groupdel', GROUP))
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(['useradd', '--system', '--no-create-home', '--home-dir', '/nonexistent',
                        '--shell', '/usr/sbin/nologin', '--groups', GROUP, USER], check=True)
        created.insert(0, ('userdel', USER))
    if GROUP not in [g.gr_name for g in grp.getgrall() if USER in g.gr_mem]:
        subprocess.run(['usermod', '--append', '--groups', GROUP, USER], check=True)
    yield USER
    for command, name in created:
        subprocess.run([command, name], check=False)


@pytest.fixture(scope='module')
def polkit_files():
    if not os.path.isdir(ACTIONS_DIR) or not os.path.isdir(RULES_DIR):
        pytest.skip(f'{ACTIONS_DIR} or {RULES_DIR} is missing: polkitd is not installed properly')
    shutil.copyfile(os.path.join(SOURCE, 'data', 'org.libvirt.policy'), POLICY_FILE)
    os.chmod(POLICY_FILE, 0o644)
    write_ours(BASE_RULES, BASE_RULES_JS)
    remove_ours(START_RULES)
    try:
        yield
    finally:
        for path in (START_RULES, BASE_RULES, POLICY_FILE):
            remove_ours(path)


class RealSystem:
    """A private system bus with the real polkitd and virtbusd --system on it."""

    def __init__(self, tmp):
        self.procs = []
        try:
            self.start(tmp)
        except BaseException:
            self.close()
            raise

    def start(self, tmp):
        os.chmod(tmp, 0o755)   # the unprivileged client and polkitd (once it dropped root) connect
        socket = os.path.join(tmp, 'system_bus_socket')
        config = os.path.join(tmp, 'system.conf')
        with open(config, 'w') as f:
            f.write(BUS_CONFIG.format(socket=socket))
        self.bus = self.spawn(['dbus-daemon', '--config-file', config, '--nofork'])
        self.address = 'unix:path=' + socket
        deadline = time.monotonic() + 10
        while not os.path.exists(socket):
            assert time.monotonic() < deadline, 'the private system bus did not start'
            time.sleep(0.01)
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.address)
        self.conn = Gio.DBusConnection.new_for_address_sync(
            self.address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
            Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
        self.polkitd = self.spawn([POLKITD, '--no-debug'], env=env)
        wait_for_name(self.conn, 'org.freedesktop.PolicyKit1', self.polkitd)
        self.daemon = self.spawn([virtbusd(), '--system'], env=env)
        wait_for_name(self.conn, 'org.libvirt', self.daemon)

    def spawn(self, argv, env=None):
        proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL)
        self.procs.append(proc)
        return proc

    def call_as_root(self, path, iface, method, sig, args):
        return self.conn.call_sync('org.libvirt', path, iface, method, GLib.Variant(sig, args),
                                   None, 0, 20000, None).unpack()

    def call_as_user(self, path, iface, method, sig, args, user=USER, group=GROUP):
        """The call made by a process running as an unprivileged user (by default, the test user)."""
        out = subprocess.run(['setpriv', f'--reuid={user}', f'--regid={group}', '--init-groups',
                              '/usr/bin/python3', '-c', CLIENT, self.address, path, iface, method, sig,
                              json.dumps(list(args))],
                             env={'PATH': '/usr/bin:/bin', 'HOME': '/nonexistent', 'PYTHONDONTWRITEBYTECODE': '1'},
                             capture_output=True, text=True, timeout=60, check=True, cwd='/')
        return json.loads(out.stdout)

    def close(self):
        codes = {}
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            try:
                codes[proc.args[0]] = proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return codes.get(virtbusd())


@pytest.fixture(scope='module')
def real(test_user, polkit_files):
    with tempfile.TemporaryDirectory(prefix='virtbus-polkit-') as tmp:
        system = RealSystem(tmp)
        try:
            yield system
        finally:
            assert system.close() == 0


@pytest.fixture(scope='module')
def inactive_domain(real):
    return real.call_as_root(TEST, 'org.libvirt.Connect', 'DomainDefineXML', '(s)', (DOMAIN_XML,))[0]


def is_active(real, domain):
    return real.call_as_root(domain, 'org.freedesktop.DBus.Properties', 'Get', '(ss)',
                             ('org.libvirt.Domain', 'Active'))[0]


def test_unprivileged_caller_may_read(real, inactive_domain):
    answer = real.call_as_user(inactive_domain, 'org.libvirt.Domain', 'GetXMLDesc', '(u)', (0,))
    assert 'error' not in answer, answer
    assert '<name>vb-real</name>' in answer['value'][0]
    answer = real.call_as_user(inactive_domain, 'org.freedesktop.DBus.Properties', 'Get', '(ss)',
                               ('org.libvirt.Domain', 'Name'))
    assert answer == {'value': ['vb-real']}


def test_the_read_grant_comes_from_the_group_rule(real):
    """node-device.read is allowed to no "any" subject by default (ours, and libvirt's own
    actions file, which may be installed too and declares the same ids): the group rule is
    what lets the test user read, and a user outside the group is denied."""
    device = TEST + '/nodedev/computer'
    answer = real.call_as_user(device, 'org.libvirt.NodeDevice', 'GetXMLDesc', '(u)', (0,))
    assert '<name>computer</name>' in answer.get('value', [''])[0], answer
    answer = real.call_as_user(device, 'org.libvirt.NodeDevice', 'GetXMLDesc', '(u)', (0,),
                               user='nobody', group='nogroup')
    assert answer.get('error') == 'org.freedesktop.DBus.Error.AccessDenied', answer
    assert 'org.libvirt.api.node-device.read' in answer['message']


def test_unprivileged_caller_may_not_start_a_domain(real, inactive_domain):
    answer = real.call_as_user(inactive_domain, 'org.libvirt.Domain', 'Create', '(u)', (0,))
    assert answer.get('error') == 'org.freedesktop.DBus.Error.AccessDenied', answer
    assert 'org.libvirt.api.domain.start' in answer['message']
    assert is_active(real, inactive_domain) is False


def test_a_rule_for_the_group_lets_it_start_the_domain(real, inactive_domain):
    assert is_active(real, inactive_domain) is False
    write_ours(START_RULES, START_RULES_JS)
    try:
        # polkitd notices the new rules file on its own; ask until it has (bounded)
        deadline = time.monotonic() + 30
        while True:
            answer = real.call_as_user(inactive_domain, 'org.libvirt.Domain', 'Create', '(u)', (0,))
            if answer.get('error') != 'org.freedesktop.DBus.Error.AccessDenied':
                break
            assert time.monotonic() < deadline, 'polkitd did not pick up %s: %r' % (START_RULES, answer)
            time.sleep(0.2)
        assert answer == {'value': []}, answer
        assert is_active(real, inactive_domain) is True
    finally:
        remove_ours(START_RULES)


def test_polkitd_is_asked_without_libpolkit(real, inactive_domain):
    """The daemon calls polkitd's CheckAuthorization itself: neither libpolkit-gobject nor the
    libsystemd it drags in (with libgcrypt, lz4, zstd) is in its address space."""
    answer = real.call_as_user(inactive_domain, 'org.libvirt.Domain', 'GetXMLDesc', '(u)', (0,))
    assert 'error' not in answer, answer
    with open(f'/proc/{real.daemon.pid}/maps') as f:
        maps = f.read()
    for library in ('libpolkit-gobject', 'libsystemd', 'libgcrypt'):
        assert library not in maps, library
