#!/usr/bin/python3
"""Prints README's supported-API table by asking the real daemon.

Every method of every interface is called once, on a freshly started virtbusd (so calls
cannot disturb each other), with neutral arguments. A reply or any error other than libvirt's
"this function is not supported by the connection driver" means the driver implements the
member; that error means it does not. Each member is probed on the test driver and on the
QEMU driver (qemu:///session, in a throwaway XDG home; the probe domain's kernel does not
exist, so nothing really starts). Usage: api-table.py BUILD_DIR > table.md"""
import os
import re
import subprocess
import shutil
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

from gi.repository import Gio, GLib

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEST = '/org/libvirt/Test'
QEMU = '/org/libvirt/QEMU'
NOT_SUPPORTED = 'not supported by the connection driver'

SETUP = {
    'org.libvirt.Connect': [],
    'org.libvirt.Domain': [('Connect', 'DomainLookupByName', '(s)', ('test',))],
    'org.libvirt.Network': [('Connect', 'NetworkLookupByName', '(s)', ('default',))],
    'org.libvirt.NodeDevice': [('Connect', 'NodeDeviceLookupByName', '(s)', ('scsi_host2',))],
    'org.libvirt.StoragePool': [('Connect', 'StoragePoolLookupByName', '(s)', ('default-pool',))],
    'org.libvirt.Interface': [('Connect', 'InterfaceLookupByName', '(s)', ('eth1',))],
    'org.libvirt.Secret': [('Connect', 'SecretDefineXML', '(su)',
                            ("<secret ephemeral='no' private='no'><usage type='ceph'><name>x</name></usage></secret>", 0))],
    'org.libvirt.NWFilter': [('Connect', 'NWFilterDefineXML', '(s)',
                              ("<filter name='probe' chain='root'><rule action='accept' direction='in'/></filter>",))],
    'org.libvirt.StorageVol': [('Connect', 'StoragePoolLookupByName', '(s)', ('default-pool',)),
                               ('StoragePool', 'StorageVolCreateXML', '(su)',
                                ("<volume><name>probe.img</name><capacity>1048576</capacity></volume>", 0))],
    'org.libvirt.DomainSnapshot': [('Connect', 'DomainLookupByName', '(s)', ('test',)),
                                   ('Domain', 'SnapshotCreateXML', '(su)',
                                    ("<domainsnapshot><name>probe</name></domainsnapshot>", 0))],
}

QEMU_DOMAIN = ("<domain type='qemu'><name>probe</name><memory unit='MiB'>64</memory><os><type>hvm</type>"
               "<kernel>/nonexistent/probe-kernel</kernel></os></domain>")
QEMU_SETUP = {
    'org.libvirt.Connect': [],
    'org.libvirt.Domain': [('Connect', 'DomainDefineXML', '(s)', (QEMU_DOMAIN,))],
    'org.libvirt.StoragePool': [('Connect', 'StoragePoolLookupByName', '(s)', ('default',))],
    'org.libvirt.StorageVol': [('Connect', 'StoragePoolLookupByName', '(s)', ('default',)),
                               ('StoragePool', 'StorageVolCreateXML', '(su)',
                                ("<volume><name>probe.img</name><capacity>1048576</capacity></volume>", 0))],
    'org.libvirt.DomainSnapshot': [('Connect', 'DomainDefineXML', '(s)', (QEMU_DOMAIN,)),
                                   ('Domain', 'SnapshotCreateXML', '(su)',
                                    ("<domainsnapshot><name>probe</name></domainsnapshot>", 0))],
    # a bridge-mode network on a bridge that does not exist: probing it changes nothing on the host
    'org.libvirt.Network': [('Connect', 'NetworkDefineXML', '(s)',
                             ("<network><name>probe</name><forward mode='bridge'/>"
                              "<bridge name='vbprobe-none'/></network>",))],
    'org.libvirt.NodeDevice': [('Connect', 'NodeDeviceLookupByName', '(s)', ('computer',))],
    'org.libvirt.Interface': [('Connect', 'InterfaceLookupByName', '(s)', ('lo',))],
    'org.libvirt.Secret': SETUP['org.libvirt.Secret'],
    'org.libvirt.NWFilter': SETUP['org.libvirt.NWFilter'],
}

DEFAULTS = {'s': '', 'o': '/', 'u': 0, 'i': 0, 't': 0, 'x': 0, 'b': False, 'h': 0, 'y': 0, 'd': 0.0}


def neutral(sig):
    if sig in DEFAULTS:
        return DEFAULTS[sig]
    if sig == 'a{sv}':
        # one unknown parameter: an empty list would be refused before the driver is asked
        return {'vb-probe': GLib.Variant('u', 0)}
    if sig.startswith('a{'):
        return {}
    if sig.startswith('a'):
        return []
    if sig.startswith('('):
        return tuple(neutral(s) for s in split_sig(sig[1:-1]))
    return 0


def split_sig(sig):
    out, depth, cur = [], 0, ''
    for ch in sig:
        cur += ch
        if ch in '({':
            depth += 1
        elif ch in ')}':
            depth -= 1
        if depth == 0 and ch != 'a':
            out.append(cur)
            cur = ''
    return out


class Daemon:
    def __init__(self, binary):
        self.bus = subprocess.Popen(['dbus-daemon', '--session', '--nofork', '--print-address=1'],
                                    stdout=subprocess.PIPE, text=True)
        self.address = self.bus.stdout.readline().strip()
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=self.address,
                   VIRTBUS_TEST_DEFAULT_XML=os.path.join(SRC, 'data', 'test', 'default.xml'))
        self.home = None
        self.base_env = env
        self.binary, self.env = binary, env
        self.conn = Gio.DBusConnection.new_for_address_sync(
            self.address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
        self.proc = None

    def start(self):
        self.home = tempfile.mkdtemp(prefix='vb-api-', dir='/tmp')
        self.env = dict(self.base_env, **{v: os.path.join(self.home, v.lower()) for v in
                                         ('XDG_CONFIG_HOME', 'XDG_RUNTIME_DIR', 'XDG_CACHE_HOME', 'XDG_DATA_HOME')})
        self.proc = subprocess.Popen([self.binary, '--session'], env=self.env, stderr=subprocess.DEVNULL)
        for _ in range(200):
            owner = self.conn.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                                        'NameHasOwner', GLib.Variant('(s)', ('org.libvirt',)), None, 0, -1, None)
            if owner.unpack()[0]:
                return
            time.sleep(0.01)
        raise RuntimeError('virtbusd did not start')

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.home, ignore_errors=True)

    def call(self, path, iface, method, sig, args):
        return self.conn.call_sync('org.libvirt', path, 'org.libvirt.' + iface, method,
                                   GLib.Variant(sig, args) if sig else None, None, 0, 5000, None).unpack()

    def close(self):
        self.bus.terminate()


def object_path(daemon, iface, root, setup):
    path = root
    for owner, method, sig, args in setup.get(iface, []):
        path = daemon.call(path if owner != 'Connect' else root, owner, method, sig, args)[0]
    return path


def probe(daemon, iface, method, root, setup):
    daemon.start()
    try:
        try:
            path = object_path(daemon, iface, root, setup)
        except GLib.Error:
            return False     # the driver has no such objects at all
        sig = '(' + ''.join(a.get('type') for a in method.findall("arg[@direction='in']")) + ')'
        args = tuple(neutral(s) for s in split_sig(sig[1:-1]))
        try:
            daemon.call(path, iface.split('.')[-1], method.get('name'), sig if args else None, args)
            return True
        except GLib.Error as e:
            # "...driver: virDomainBlockCommit": the API itself is missing, not one of its options
            return not re.search(NOT_SUPPORTED + r': vir\w+$', e.message)
    finally:
        daemon.stop()


def main():
    binary = os.path.join(sys.argv[1], 'service', 'virtbusd')
    daemon = Daemon(binary)
    print('| interface | member | kind | test driver | QEMU driver |')
    print('|---|---|---|---|---|')
    counts = {'test': [0, 0], 'qemu': [0, 0]}
    word = {True: 'implemented', False: 'not supported'}
    for iface in SETUP:
        root = ET.parse(os.path.join(SRC, 'interfaces', iface + '.xml')).getroot()
        node = root.find('interface')
        for prop in node.findall('property'):
            print(f"| {iface} | {prop.get('name')} | property ({prop.get('access')}) | implemented | "
                  f"{'implemented' if iface in QEMU_OBJECTS else 'no objects'} |")
        for method in node.findall('method'):
            test = probe(daemon, iface, method, TEST, SETUP)
            qemu = probe(daemon, iface, method, QEMU, QEMU_SETUP)
            counts['test'][0 if test else 1] += 1
            counts['qemu'][0 if qemu else 1] += 1
            print(f"| {iface} | {method.get('name')} | method | {word[test]} | {word[qemu]} |")
        for signal in node.findall('signal'):
            name = signal.get('name')
            in_qemu = name in EMITTED_BY_QEMU and iface in QEMU_OBJECTS
            print(f"| {iface} | {name} | signal | {'emitted' if name in EMITTED_BY_TEST else 'never'} | "
                  f"{'emitted' if in_qemu else 'never'} |")
    daemon.close()
    print(f"\nMethods implemented: test driver {counts['test'][0]} ({counts['test'][1]} not supported), "
          f"QEMU driver {counts['qemu'][0]} ({counts['qemu'][1]} not supported).")


QEMU_OBJECTS = {'org.libvirt.Connect', 'org.libvirt.Domain', 'org.libvirt.StoragePool', 'org.libvirt.StorageVol',
                'org.libvirt.Network', 'org.libvirt.NodeDevice'}
# the signals each driver's events become (drivers/*: vb_conn_emit* with these VbEventKinds)
EMITTED_BY_TEST = {'DomainEvent', 'NetworkEvent', 'NodeDeviceEvent', 'StoragePoolEvent', 'SecretEvent',
                   'Refresh', 'MetadataChange', 'Reboot'}
EMITTED_BY_QEMU = {'DomainEvent', 'NetworkEvent', 'NodeDeviceEvent', 'StoragePoolEvent', 'Refresh',
                   'MetadataChange', 'Reboot', 'DeviceAdded', 'DeviceRemoved', 'AgentEvent', 'BalloonChange',
                   'RTCChange', 'Watchdog', 'BlockJob'}

if __name__ == '__main__':
    main()
