#!/usr/bin/python3
"""Prints README's supported-API table by asking the real daemon.

Every method of every interface is called once, on a freshly started virtbusd (so calls
cannot disturb each other), with neutral arguments. A reply or any error other than libvirt's
"this function is not supported by the connection driver" means the test driver implements
the member; that error means it does not. Usage: api-table.py BUILD_DIR > table.md"""
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

from gi.repository import Gio, GLib

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEST = '/org/libvirt/Test'
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

DEFAULTS = {'s': '', 'o': '/', 'u': 0, 'i': 0, 't': 0, 'x': 0, 'b': False, 'h': 0, 'y': 0, 'd': 0.0}


def neutral(sig):
    if sig in DEFAULTS:
        return DEFAULTS[sig]
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
        self.binary, self.env = binary, env
        self.conn = Gio.DBusConnection.new_for_address_sync(
            self.address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
        self.proc = None

    def start(self):
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

    def call(self, path, iface, method, sig, args):
        return self.conn.call_sync('org.libvirt', path, 'org.libvirt.' + iface, method,
                                   GLib.Variant(sig, args) if sig else None, None, 0, 5000, None).unpack()

    def close(self):
        self.bus.terminate()


def object_path(daemon, iface):
    path = TEST
    for owner, method, sig, args in SETUP.get(iface, []):
        path = daemon.call(path if owner != 'Connect' else TEST, owner, method, sig, args)[0]
    return path


def probe(daemon, iface, method):
    daemon.start()
    try:
        path = object_path(daemon, iface)
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
    print('| interface | member | kind | test driver |')
    print('|---|---|---|---|')
    counts = [0, 0]
    for iface in SETUP:
        root = ET.parse(os.path.join(SRC, 'interfaces', iface + '.xml')).getroot()
        node = root.find('interface')
        for prop in node.findall('property'):
            print(f"| {iface} | {prop.get('name')} | property ({prop.get('access')}) | implemented |")
        for method in node.findall('method'):
            ok = probe(daemon, iface, method)
            counts[0 if ok else 1] += 1
            print(f"| {iface} | {method.get('name')} | method | {'implemented' if ok else 'not supported'} |")
        for signal in node.findall('signal'):
            print(f"| {iface} | {signal.get('name')} | signal | emitted |" if signal.get('name') in EMITTED
                  else f"| {iface} | {signal.get('name')} | signal | never (no source in the test driver) |")
    daemon.close()
    print(f'\n{counts[0]} methods implemented on the test driver, {counts[1]} not supported.')


EMITTED = {'DomainEvent', 'NetworkEvent', 'NodeDeviceEvent', 'StoragePoolEvent', 'SecretEvent',
           'Refresh', 'MetadataChange', 'Reboot'}

if __name__ == '__main__':
    main()
