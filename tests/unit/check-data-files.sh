#!/usr/bin/env bash
# check-data-files.sh SOURCE_DIR DAEMON: the files `meson install` ships are valid for the tools
# that read them. TAP output, one line per check.
set -u
src=$1 daemon=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0

check() {   # check NAME COMMAND...: passes when COMMAND succeeds and prints nothing
  local name=$1 out; shift
  n=$((n + 1))
  if out=$("$@" 2>&1) && [ -z "$out" ]; then
    echo "ok $n $name"
  else
    echo "not ok $n $name"; printf '%s\n' "$out" | sed 's/^/# /'; failed=1
  fi
}

echo "1..6"
sed "s|@libexecdir@/virtbusd|$daemon|" "$src/data/virtbusd.service.in" > "$tmp/virtbusd.service"
check "systemd unit passes systemd-analyze verify" systemd-analyze verify --man=no "$tmp/virtbusd.service"
check "polkit actions valid against policyconfig-1.dtd" \
  xmllint --noout --nonet --dtdvalid /usr/share/polkit-1/policyconfig-1.dtd "$src/data/org.libvirt.policy"
check "bus policy is well-formed busconfig" \
  bash -c "xmllint --noout --nonet '$src/data/org.libvirt.conf' && xmllint --xpath 'count(/busconfig/policy)' '$src/data/org.libvirt.conf' | grep -qv '^0$'"

root=$tmp/root
mkdir -p "$root/etc" "$root/usr/lib/sysusers.d" "$root/usr/lib/tmpfiles.d"
printf 'root:x:0:0::/root:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\nkvm:x:104:\n' > "$root/etc/group"
cp "$src/data/virtbus.sysusers" "$root/usr/lib/sysusers.d/virtbus.conf"
cp "$src/data/virtbus.tmpfiles" "$root/usr/lib/tmpfiles.d/virtbus.conf"
check "sysusers creates the QEMU user in group kvm" bash -c "
  systemd-sysusers --root='$root' virtbus.conf >/dev/null 2>&1 &&
  grep -q '^virtbus-qemu:' '$root/etc/passwd' && grep -q '^kvm:.*virtbus-qemu' '$root/etc/group'"
check "tmpfiles creates the state directories" bash -c "
  systemd-tmpfiles --create --root='$root' virtbus.conf &&
  [ \"\$(stat -c %a '$root/var/lib/virtbus/qemu')\" = 700 ] && [ -d '$root/run/virtbus' ]"
rules=$src/data/polkit-rules/50-virtbus-group.rules.example
if command -v node >/dev/null; then
  cp "$rules" "$tmp/rules.js"
  check "example polkit rules are valid JavaScript" node --check "$tmp/rules.js"
else
  n=$((n + 1)); echo "ok $n example polkit rules are valid JavaScript # SKIP node is not installed"
fi
exit $failed
