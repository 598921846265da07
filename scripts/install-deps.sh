#!/usr/bin/env bash
# Installs what building and testing virtbus needs on Debian 12 (run as root, or with sudo).
set -euo pipefail
packages=(
  meson ninja-build pkg-config gcc clang libclang-rt-14-dev systemd
  libglib2.0-dev libglib2.0-bin libxml2-dev libxml2-utils libjson-glib-dev libpolkit-gobject-1-dev
  dbus python3-dbus python3-gi python3-pytest python3-dbusmock qemu-system-x86 qemu-utils
  polkitd
  dnsmasq-base nftables  # virtual networks (drivers/network)
  ethtool  # the tests compare node devices' offload features with ethtool -k
  libudev-dev udev pci.ids umockdev gir1.2-umockdev-1.0 libumockdev-dev  # drivers/nodedev and its mocked-sysfs tests
  e2fsprogs util-linux mount  # fs storage pools: mkfs, blkid, losetup, (u)mount, unshare, nsenter
  scrub  # volume wiping patterns (nnsa, dod, ... random)
  xz-utils cpio  # the test guest (../shared/guest): an uncompressed vmlinux, a reproducible initrd
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
