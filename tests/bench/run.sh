#!/usr/bin/env bash
# Benchmarks virtbus, and with --compare Debian's libvirt-dbus side by side in the same run.
#
#   tests/bench/run.sh [--compare] [--quick | --smoke] [--build DIR]
#
# Prints "name: value" lines (medians over repetitions) per peer, then "name: ratio" lines
# (virtbus / libvirt-dbus) when comparing. --smoke runs tiny counts to check the harness works
# (CI); --quick skips the 100,000-domain step. Without --build it makes a release build.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
compare=0 mode=full build=""
while [ $# -gt 0 ]; do
  case "$1" in
    --compare) compare=1 ;;
    --quick) mode=quick ;;
    --smoke) mode=smoke ;;
    --build) build=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

if [ -z "$build" ]; then
  build=$root/build-release
  [ -d "$build" ] || meson setup "$build" "$root" --buildtype=release >/dev/null
  ninja -C "$build" >/dev/null
fi
bench=$build/tests/bench/bench
virtbusd=$build/service/virtbusd
if [ $compare = 1 ] && [ ! -x /usr/sbin/libvirt-dbus ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get install -y -qq --no-install-recommends libvirt-dbus >/dev/null
fi

case $mode in
  smoke) starts=2 calls=50 scales="100" clients=2 seconds=1 qemu_reps=1 qemu_guests=2 ;;
  quick) starts=10 calls=2000 scales="1000 10000" clients=8 seconds=10 qemu_reps=5 qemu_guests=10 ;;
  full) starts=10 calls=2000 scales="1000 10000 100000" clients=8 seconds=10 qemu_reps=10 qemu_guests=10 ;;
esac

tmp=$(mktemp -d)
cleanup() {
  local pids
  pids=$(cat "$tmp"/*.pid 2>/dev/null || true)
  [ -z "$pids" ] || kill $pids 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

start_bus() {
  local info
  info=$(dbus-daemon --session --fork --print-address=1 --print-pid=1)
  export DBUS_SESSION_BUS_ADDRESS=$(echo "$info" | sed -n 1p)
  echo "$info" | sed -n 2p > "$tmp/bus.pid"
}
stop_bus() { kill "$(cat "$tmp/bus.pid")" 2>/dev/null || true; rm -f "$tmp/bus.pid"; }

peer_cmd() {
  case $1 in
    virtbus) echo "$virtbusd --session" ;;
    libvirt-dbus) echo "/usr/sbin/libvirt-dbus --session" ;;
  esac
}

start_peer() {
  $(peer_cmd "$1") 2>/dev/null &
  echo $! > "$tmp/peer.pid"
  for _ in $(seq 200); do
    busctl --user status org.libvirt >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "$1 did not start" >&2; return 1
}
stop_peer() { kill "$(cat "$tmp/peer.pid")" 2>/dev/null || true; wait "$(cat "$tmp/peer.pid")" 2>/dev/null || true; rm -f "$tmp/peer.pid"; }

# Each phase runs for every peer before the next phase starts, so both see the same machine
# load at nearly the same time ("alternately in the same run").
phase_startup() {
  start_bus
  # shellcheck disable=SC2046
  "$bench" startup "$starts" -- $(peer_cmd "$1")
  stop_bus
}
phase_calls() {
  start_bus; start_peer "$1"
  "$bench" calls "$calls" | over_floor
  stop_peer; stop_bus
}
phase_scale() {
  local done=0
  start_bus; start_peer "$1"
  for n in $scales; do
    BENCH_NAME=org.libvirt "$bench" scale $((n - done)) | sed "s/scale_$((n - done))_/scale_${n}_/"
    done=$n
  done
  stop_peer; stop_bus
}
phase_events() {
  start_bus; start_peer "$1"
  "$bench" events "$calls"
  stop_peer; stop_bus
}
phase_throughput() {
  start_bus; start_peer "$1"
  "$bench" throughput "$clients" "$seconds"
  stop_peer; stop_bus
}
# Real guests (tests/bench/qemu.sh): the libvirt-dbus peer's figures there come from Debian's
# libvirt QEMU driver through virsh. Not in a smoke run.
phase_qemu() {
  [ $mode != smoke ] || [ "$1" = virtbus ] || return 0
  "$root/tests/bench/qemu.sh" --bench "$bench" --virtbusd "$virtbusd" --reps "$qemu_reps" --guests "$qemu_guests" \
    --state "$tmp" "$1"
}

# Adds "<call>_over_floor_us": a call's median minus the bus's own round trip measured in the
# same phase, i.e. the time the service itself adds.
over_floor() {
  awk '{ print } $1 == "bus_floor_getid_median_us:" { floor = $2 }
       $1 ~ /_median_us:$/ && $1 != "bus_floor_getid_median_us:" { v[$1] = $2 }
       END { for (k in v) { n = k; sub(/_median_us:$/, "", n); printf "%s_over_floor_us: %.1f\n", n, v[k] - floor } }'
}

peers="virtbus"
[ $compare = 0 ] || peers="virtbus libvirt-dbus"
for peer in $peers; do : > "$tmp/$peer.txt"; done
for phase in startup calls events scale throughput qemu; do
  for peer in $peers; do
    "phase_$phase" "$peer" >> "$tmp/$peer.txt"
  done
done
for peer in $peers; do sed "s/^/$peer: /" "$tmp/$peer.txt"; done
if [ $compare = 1 ]; then
  echo "ratios (virtbus / libvirt-dbus):"
  join <(sort "$tmp/virtbus.txt" | tr -d ':') <(sort "$tmp/libvirt-dbus.txt" | tr -d ':') |
    awk '$3 + 0 > 0 { printf "%s: %.3f\n", $1, $2 / $3 }'
fi
