#!/usr/bin/python3
"""check-qemu-args: every golden argv in tests/data/qemu is real QEMU syntax.

For each <case>.args (a positive case of test-qemu-command) QEMU is started with exactly
those arguments, except that host paths are moved into a temporary directory (with the
disk images, firmware, kernel and sockets they name created there) and, without a usable
/dev/kvm (or with VIRTBUS_QEMU_NO_KVM=1), KVM is swapped for TCG. QEMU must start (it waits in -S), answer QMP, and quit
with exit code 0 and nothing on stderr. Cases needing host devices (tap fds, vfio, USB
host devices, block devices) are skipped. TAP output."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

QEMU = os.environ.get('VIRTBUS_QEMU', '/usr/bin/qemu-system-x86_64')
QEMU_IMG = shutil.which('qemu-img')
# the host locations the test cases use, relocated under the temporary directory
RELOCATED = ('/run/virtbus/test', '/var/lib/virtbus', '/var/log/virtbus', '/usr/share/OVMF',
             '/usr/share/seabios')
# what QEMU prints that is neither an error nor about the command line: the display it
# picked (VNC with to=) and CPUID bits a (nested) KVM host lacks
HARMLESS_STDERR = ('VNC server running on', "warning: host doesn't support requested feature")
START_TIMEOUT = 30
EXIT_TIMEOUT = 30


def keyval(opts):
    """QEMU's 'name,key=value,...' with ',,' unescaped, as (first word, dict)."""
    parts, cur, i = [], '', 0
    while i < len(opts):
        if opts[i] == ',':
            if opts[i + 1:i + 2] == ',':
                cur += ','
                i += 2
                continue
            parts.append(cur)
            cur = ''
        else:
            cur += opts[i]
        i += 1
    parts.append(cur)
    first = parts[0] if '=' not in parts[0] else None
    values = dict(p.split('=', 1) for p in parts if '=' in p)
    return first, values


def skip_reason(args):
    text = '\n'.join(args)
    if 'tap,fd=' in text:
        return 'needs tap file descriptors from the driver'
    if 'vfio-pci' in text or 'usb-host' in text:
        return 'needs a host PCI/USB device'
    if '"host_device"' in text or '"host_cdrom"' in text:
        return 'needs a host block device'
    if '"qcow2"' in text and not QEMU_IMG:
        return 'qemu-img is missing'
    return None


def kvm_usable():
    if os.environ.get('VIRTBUS_QEMU_NO_KVM') == '1':
        return False
    return os.access('/dev/kvm', os.R_OK | os.W_OK)


def without_kvm(args):
    """The same command line for TCG: accel, the host CPU and the in-kernel PIT."""
    out = []
    for i, arg in enumerate(args):
        prev = args[i - 1] if i else ''
        if prev == '-machine':
            arg = arg.replace('accel=kvm', 'accel=tcg')
        elif prev == '-cpu' and (arg == 'host' or arg.startswith('host,')):
            arg = 'max' + arg[len('host'):]
        elif prev == '-global' and arg.startswith('kvm-pit.'):
            out.pop()
            continue
        out.append(arg)
    return out


def fake_bzimage(path):
    """Enough of a Linux boot header for QEMU to load it; it never runs (-S)."""
    data = bytearray(64 * 1024)
    data[0x1f1] = 4                                   # setup sectors
    data[0x1fe:0x200] = b'\x55\xaa'
    data[0x202:0x206] = b'HdrS'
    data[0x206:0x208] = (0x0206).to_bytes(2, 'little')  # boot protocol 2.06
    data[0x211] = 0x01                                # loaded high
    data[0x22c:0x230] = (0x37ffffff).to_bytes(4, 'little')
    data[0x238:0x23c] = (2048).to_bytes(4, 'little')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)


def make_file(path, size):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.truncate(size)


def prepare(args, tmp):
    """Relocated args; creates what they point to. Returns (args, listeners, monitor path)."""
    moved = []
    for arg in args:
        for prefix in RELOCATED:
            arg = arg.replace(prefix, tmp + prefix)
        moved.append(arg)
    for prefix in RELOCATED:
        os.makedirs(tmp + prefix, exist_ok=True)
    os.makedirs(tmp + '/run/virtbus/test/channel', exist_ok=True)

    listeners, monitor, formats = [], None, {}
    blockdevs = [json.loads(a) for p, a in zip(moved, moved[1:]) if p == '-blockdev']
    for node in blockdevs:
        if 'file' in node:
            formats[node['file']] = node['driver']
    for p, a in zip(moved, moved[1:]):
        if p == '-blockdev' and json.loads(a).get('driver') == 'file':
            node = json.loads(a)
            path, fmt = node['filename'], formats.get(node['node-name'], 'raw')
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if 'pflash' in node['node-name']:
                make_file(path, 2 * 1024 * 1024 if 'pflash0' in node['node-name'] else 256 * 1024)
            elif fmt == 'qcow2':
                subprocess.run([QEMU_IMG, 'create', '-q', '-f', 'qcow2', path, '64M'], check=True)
            else:
                make_file(path, 64 * 1024 * 1024)
        elif p == '-kernel':
            fake_bzimage(a)
        elif p == '-initrd':
            make_file(a, 4096)
        elif p == '-bios':
            make_file(a, 256 * 1024)
        elif p == '-chardev':
            kind, opts = keyval(a)
            if kind == 'socket' and opts.get('id') == 'charmonitor':
                monitor = opts['path']
            elif kind == 'socket' and opts.get('server') == 'off':
                listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                listener.bind(opts['path'])
                listener.listen(1)
                listeners.append(listener)
    return moved, listeners, monitor


def qmp_command(stream, command):
    stream.write(json.dumps({'execute': command}) + '\n')
    stream.flush()
    while True:
        line = stream.readline()
        if not line:
            raise RuntimeError('QMP closed before replying to %s' % command)
        reply = json.loads(line)
        if 'return' in reply:
            return reply
        if 'error' in reply:
            raise RuntimeError('%s: %s' % (command, reply['error']))


def run_qemu(args, monitor):
    """'' when QEMU accepted the command line, else what went wrong."""
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not os.path.exists(monitor):
            if proc.poll() is not None:
                return 'QEMU exited with %d: %s' % (proc.returncode, proc.stderr.read().strip())
            if time.monotonic() > deadline:
                return 'the QMP socket did not appear within %d s' % START_TIMEOUT
            time.sleep(0.02)
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(EXIT_TIMEOUT)
                while True:
                    try:
                        sock.connect(monitor)
                        break
                    except ConnectionRefusedError:
                        # the socket file exists a moment before QEMU listens on it
                        if proc.poll() is not None or time.monotonic() > deadline:
                            raise
                        time.sleep(0.02)
                stream = sock.makefile('rw')
                greeting = json.loads(stream.readline())
                if 'QMP' not in greeting:
                    return 'no QMP greeting: %r' % greeting
                qmp_command(stream, 'qmp_capabilities')
                qmp_command(stream, 'quit')
        except (OSError, RuntimeError, ValueError) as e:
            # QEMU creates the monitor socket before it builds the machine: a refused
            # command line can still end it here
            proc.wait(timeout=EXIT_TIMEOUT)
            return 'QMP failed (%s); QEMU exited with %s: %s' % (e, proc.returncode, proc.stderr.read().strip())
        out, err = proc.communicate(timeout=EXIT_TIMEOUT)
        if proc.returncode != 0:
            return 'QEMU exited with %d: %s' % (proc.returncode, err.strip())
        err = '\n'.join(line for line in err.splitlines()
                        if line.strip() and not any(h in line for h in HARMLESS_STDERR))
        if err:
            return 'QEMU wrote to stderr: %s' % err
        return ''
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def main():
    datadir = sys.argv[1]
    cases = sorted(f[:-len('.args')] for f in os.listdir(datadir) if f.endswith('.args'))
    if not os.access(QEMU, os.X_OK):
        print('1..0 # SKIP %s is not installed (apt-get install qemu-system-x86)' % QEMU)
        return 0
    print('1..%d' % len(cases))
    failed = 0
    for n, name in enumerate(cases, 1):
        with open(os.path.join(datadir, name + '.args')) as f:
            args = f.read().splitlines()
        reason = skip_reason(args)
        if reason:
            print('ok %d - %s # SKIP %s' % (n, name, reason))
            continue
        if not kvm_usable():
            args = without_kvm(args)
        args[0] = QEMU
        with tempfile.TemporaryDirectory(prefix='vb-qemu-args-') as tmp:
            listeners = []
            try:
                moved, listeners, monitor = prepare(args, tmp)
                problem = run_qemu(moved, monitor) if monitor else 'no monitor socket in the command line'
            finally:
                for listener in listeners:
                    listener.close()
        if problem:
            failed += 1
            print('not ok %d - %s' % (n, name))
            for line in problem.splitlines():
                print('# ' + line)
        else:
            print('ok %d - %s' % (n, name))
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
