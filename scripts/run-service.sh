#!/usr/bin/env bash
# Installs, builds, and runs virtbusd with its embedded test driver on a private session bus,
# then shows it working. Ctrl-C stops everything. Pass --keep to leave it running in the shell.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null

bus_info=$(dbus-daemon --session --fork --print-address=1 --print-pid=1)
export DBUS_SESSION_BUS_ADDRESS=$(echo "$bus_info" | sed -n 1p)
BUS_PID=$(echo "$bus_info" | sed -n 2p)
DAEMON_PID=
trap '[ -n "$DAEMON_PID" ] && kill $DAEMON_PID 2>/dev/null; kill $BUS_PID 2>/dev/null' EXIT
./build/service/virtbusd --session &
DAEMON_PID=$!
for _ in $(seq 50); do
  busctl --user status org.libvirt >/dev/null 2>&1 && break
  sleep 0.1
done

echo "== busctl --user tree org.libvirt"
busctl --user tree org.libvirt
echo "== version and domains"
busctl --user get-property org.libvirt /org/libvirt/Test org.libvirt.Connect LibVersion
busctl --user call org.libvirt /org/libvirt/Test org.libvirt.Connect ListDomains u 0
dom=$(busctl --user call org.libvirt /org/libvirt/Test org.libvirt.Connect DomainLookupByName s test | awk '{print $2}' | tr -d '"')
echo "== the test domain: $dom"
busctl --user call org.libvirt "$dom" org.libvirt.Domain GetState u 0
busctl --user call org.libvirt "$dom" org.libvirt.Domain Suspend
busctl --user call org.libvirt "$dom" org.libvirt.Domain GetState u 0
busctl --user call org.libvirt "$dom" org.libvirt.Domain Resume
echo "== define and start a new domain"
xml="<domain type='test'><name>demo</name><memory unit='MiB'>256</memory><os><type>hvm</type></os></domain>"
new=$(busctl --user call org.libvirt /org/libvirt/Test org.libvirt.Connect DomainDefineXML s "$xml" | awk '{print $2}' | tr -d '"')
busctl --user call org.libvirt "$new" org.libvirt.Domain Create u 0
busctl --user get-property org.libvirt "$new" org.libvirt.Domain Id
gdbus call --session --dest org.libvirt --object-path "$new" --method org.libvirt.Domain.GetXMLDesc 0
if [ "${1:-}" = "--keep" ]; then
  echo "virtbusd runs on DBUS_SESSION_BUS_ADDRESS=$DBUS_SESSION_BUS_ADDRESS; Ctrl-C to stop"
  wait $DAEMON_PID
fi
