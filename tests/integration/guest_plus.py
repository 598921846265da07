"""The shared test guest (../shared/guest) with a disk and a network card it can use: its
initrd gets another archive appended (the kernel unpacks concatenated archives in order, later
files replacing earlier ones) holding virtio_blk and virtio_net from the same kernel package and
an /init that loads them (after the guest's own modules), reports on the serial console what the
guest sees, then hands over to the guest's own /init:

    TEST-GUEST PLUS failover ...          the extension is there
    TEST-GUEST PARTITIONS vda,vdb,        the block devices of /proc/partitions
    TEST-GUEST LEASE 192.168.150.57       the address udhcpc leased on eth0 (or "none")

and, asked on the kernel command line, makes QEMU report events:

    tgplus.rtc=1          sets the clock to 2030-01-01 and writes it to the RTC (RTC_CHANGE)
    tgplus.watchdog=1     arms an i6300esb watchdog (2 s) and lets it expire (WATCHDOG)
"""
import gzip
import io
import os
import subprocess
import tarfile

MODULES = ["failover", "net_failover", "virtio_net", "virtio_blk"]   # in load order
WATCHDOG_MODULES = ["watchdog", "i6300esb"]

WRAPPER = r"""#!/bin/sh
# /init of the extended test guest (tests/integration/guest_plus.py): everything happens before
# the guest's own /init runs, which then loads its modules again (quietly) and boots as usual.
PATH=/bin
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "TEST-GUEST PLUS %(modules)s" >/dev/console
while read -r mod; do
	[ -n "$mod" ] && insmod "/lib/modules/$mod.ko" 2>/dev/null
done </etc/tg-modules
for m in %(modules)s; do insmod "/lib/modules/$m.ko"; done
# wait only when there is a virtio NIC (device 0x0001) or disk (0x0002) to come up
want=$(cat /sys/bus/virtio/devices/*/device 2>/dev/null | grep -c -E '^0x000[12]$')
n=0
while [ "$want" -gt 0 ] && [ $n -lt 30 ] && ! grep -q ' vd' /proc/partitions && [ ! -e /sys/class/net/eth0 ]; do
	n=$((n + 1))
	sleep 1
done
parts=$(sed -n '3,$p' /proc/partitions | while read -r _ _ _ name; do printf '%%s,' "$name"; done)
echo "TEST-GUEST PARTITIONS $parts" >/dev/console
if [ -e /sys/class/net/eth0 ]; then
	ip link set eth0 up
	ip=$(udhcpc -i eth0 -n -q -t 20 -T 1 -s /bin/true -x hostname:tg 2>&1 |
		sed -n 's/.*lease of \([0-9.]*\) obtained.*/\1/p')
	echo "TEST-GUEST LEASE ${ip:-none}" >/dev/console
fi
for arg in $(cat /proc/cmdline); do
	case $arg in
	tgplus.rtc=1)
		date -s '2030-01-01 00:00:00' >/dev/null && hwclock -w -u &&
			echo "TEST-GUEST RTC written" >/dev/console ;;
	tgplus.watchdog=1)
		# closed without the magic 'V': the timer keeps running and expires
		for m in %(watchdog)s; do insmod "/lib/modules/$m.ko" $([ $m = i6300esb ] && echo heartbeat=2); done
		echo x >/dev/watchdog && echo "TEST-GUEST WATCHDOG armed" >/dev/console ;;
	esac
done
umount /sys
umount /proc
exec /init.guest
"""


def _cpio_newc(files):
    """A newc cpio archive of (name, mode, data) entries."""
    out = io.BytesIO()
    for ino, (name, mode, data) in enumerate(files + [("TRAILER!!!", 0, b"")], start=1):
        encoded = name.encode() + b"\0"
        header = "070701" + "".join("%08x" % v for v in (
            ino if name != "TRAILER!!!" else 0, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(encoded), 0))
        out.write(header.encode() + encoded)
        out.write(b"\0" * (-(110 + len(encoded)) % 4))
        out.write(data)
        out.write(b"\0" * (-len(data) % 4))
    return out.getvalue()


def _guest_init(initrd):
    """The shared guest's /init, from the compressed archive after its early one."""
    data = open(initrd, "rb").read()
    start = data.find(b"\x1f\x8b\x08")
    archive = gzip.decompress(data[start:])
    pos = 0
    while pos < len(archive):
        header = archive[pos:pos + 110]
        namesize, filesize = int(header[94:102], 16), int(header[54:62], 16)
        name_end = pos + 110 + namesize
        name = archive[pos + 110:name_end - 1].decode()
        data_start = name_end + (-(110 + namesize) % 4)
        if name == "init":
            return archive[data_start:data_start + filesize]
        if name == "TRAILER!!!":
            break
        pos = data_start + filesize + (-filesize % 4)
    raise RuntimeError("no /init in %s" % initrd)


def _kernel_modules(debs):
    deb = [f for f in os.listdir(debs) if f.startswith("linux-image-") and f.endswith(".deb")][0]
    tar = subprocess.run(["dpkg-deb", "--fsys-tarfile", os.path.join(debs, deb)], capture_output=True,
                         check=True).stdout
    found = {}
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        for member in t.getmembers():
            base = os.path.basename(member.name)
            if base.endswith(".ko") and base[:-3] in MODULES + WATCHDOG_MODULES:
                found[base[:-3]] = t.extractfile(member).read()
    missing = [m for m in MODULES + WATCHDOG_MODULES if m not in found]
    if missing:
        raise RuntimeError("modules %s are not in %s" % (missing, deb))
    return found


def extended_initrd(guest, workdir):
    """The path of the extended initrd, built once into @workdir."""
    path = os.path.join(workdir, "initrd-plus.img")
    if os.path.exists(path):
        return path
    debs = os.path.join(os.path.dirname(guest["initrd"]), "debs")
    modules = _kernel_modules(debs)
    files = [("init", 0o100755, (WRAPPER % {"modules": " ".join(MODULES), "watchdog": " ".join(WATCHDOG_MODULES)}).encode()),
             ("init.guest", 0o100755, _guest_init(guest["initrd"]))]
    files += [("lib/modules/%s.ko" % m, 0o100644, modules[m]) for m in MODULES + WATCHDOG_MODULES]
    with open(path + ".tmp", "wb") as out:
        base = open(guest["initrd"], "rb").read()
        out.write(base + b"\0" * (-len(base) % 4))
        # uncompressed: the kernel does not look for another archive after a gzip one that ends its
        # input, but takes an uncompressed one at a 4-byte boundary
        out.write(_cpio_newc(files))
    os.chmod(path + ".tmp", 0o644)
    os.rename(path + ".tmp", path)
    return path
