#!/usr/bin/env bash
# What the polkit gate costs a caller: `bench calls N` (its get_version is a Properties.Get of
# org.libvirt.Connect.Version) against
#   session: virtbusd --session on a private session bus, no polkit;
#   polkit:  virtbusd --system on a private system bus whose polkitd is the recording mock
#            (tests/integration/polkitd_recording.py) allowing everything.
#   real:    with --real-polkitd (root only), the same with Debian's polkitd; our actions and a
#            rule allowing root are installed into polkit's directories under names only this
#            script uses, and removed on exit.
# Alternates them, ROUNDS times, and prints each round's medians and the ratios to session.
#
#   tests/bench/polkit-overhead.sh [--build DIR] [--calls N] [--rounds R] [--real-polkitd]
#
# A benchmark, not a test: it asserts nothing about time. Without --build it makes a release build.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build="" calls=1000 rounds=1 real=0
while [ $# -gt 0 ]; do
  case "$1" in
    --real-polkitd) real=1 ;;
    --build) build=$2; shift ;;
    --calls) calls=$2; shift ;;
    --rounds) rounds=$2; shift ;;
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

policy=/usr/share/polkit-1/actions/org.libvirt.virtbus-bench.policy
rules=/etc/polkit-1/rules.d/zz-virtbus-bench.rules
if [ $real = 1 ] && { [ "$(id -u)" -ne 0 ] || [ ! -x /usr/lib/polkit-1/polkitd ]; }; then
  echo "--real-polkitd needs root and /usr/lib/polkit-1/polkitd (package polkitd)" >&2; exit 2
fi

tmp=$(mktemp -d)
chmod 755 "$tmp"   # polkitd connects after dropping root
cleanup() {
  local pids
  pids=$(cat "$tmp"/*.pid 2>/dev/null || true)
  [ -z "$pids" ] || kill $pids 2>/dev/null || true
  rm -rf "$tmp"
  [ $real = 0 ] || rm -f "$policy" "$rules"
}
trap cleanup EXIT

# start NAME CMD...: runs CMD in the background, its pid in $tmp/NAME.pid
start() {
  local name=$1; shift
  "$@" >/dev/null 2>&1 &
  echo $! > "$tmp/$name.pid"
}
stop() {
  local name
  for name in "$@"; do
    [ -f "$tmp/$name.pid" ] || continue
    kill "$(cat "$tmp/$name.pid")" 2>/dev/null || true
    wait "$(cat "$tmp/$name.pid")" 2>/dev/null || true
    rm -f "$tmp/$name.pid"
  done
}
wait_name() {
  for _ in $(seq 200); do
    DBUS_SESSION_BUS_ADDRESS=$1 busctl --user status "$2" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "$2 did not appear on $1" >&2; return 1
}

# bus CONFIG: starts a dbus-daemon, prints its address
bus() {
  local info
  info=$(dbus-daemon --config-file="$1" --fork --print-address=1 --print-pid=1)
  echo "$info" | sed -n 2p > "$tmp/bus.pid"
  echo "$info" | sed -n 1p
}

cat > "$tmp/session.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=$tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default"><allow send_destination="*"/><allow receive_sender="*"/><allow own="*"/></policy>
</busconfig>
EOF
cat > "$tmp/system.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:dir=$tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/>
  </policy>
</busconfig>
EOF

run_session() {
  local address
  address=$(bus "$tmp/session.conf")
  start daemon env DBUS_SESSION_BUS_ADDRESS="$address" "$virtbusd" --session
  wait_name "$address" org.libvirt
  DBUS_SESSION_BUS_ADDRESS=$address "$bench" calls "$calls"
  stop daemon bus
}

run_polkit() {
  local address
  address=$(bus "$tmp/system.conf")
  start polkit env DBUS_SYSTEM_BUS_ADDRESS="$address" /usr/bin/python3 -m dbusmock --template \
    "$root/tests/integration/polkitd_recording.py"
  wait_name "$address" org.freedesktop.PolicyKit1
  DBUS_SESSION_BUS_ADDRESS=$address busctl --user call org.freedesktop.PolicyKit1 /org/freedesktop/PolicyKit1/Authority \
    org.freedesktop.DBus.Mock AllowUnknown b true
  start daemon env DBUS_SYSTEM_BUS_ADDRESS="$address" "$virtbusd" --system
  wait_name "$address" org.libvirt
  # bench talks to "the session bus": point it at the system bus
  DBUS_SESSION_BUS_ADDRESS=$address "$bench" calls "$calls"
  stop daemon polkit bus
}

run_real() {
  local address
  address=$(bus "$tmp/system.conf")
  start polkit env DBUS_SYSTEM_BUS_ADDRESS="$address" /usr/lib/polkit-1/polkitd --no-debug
  wait_name "$address" org.freedesktop.PolicyKit1
  start daemon env DBUS_SYSTEM_BUS_ADDRESS="$address" "$virtbusd" --system
  wait_name "$address" org.libvirt
  DBUS_SESSION_BUS_ADDRESS=$address "$bench" calls "$calls"
  stop daemon polkit bus
}

if [ $real = 1 ]; then
  install -m 644 "$root/data/org.libvirt.policy" "$policy"
  cat > "$rules" <<'EOF'
// virtbus benchmark (tests/bench/polkit-overhead.sh); removed when it ends
polkit.addRule(function(action, subject) {
    if (action.id.indexOf("org.libvirt.api.") == 0 && subject.user == "root")
        return polkit.Result.YES;
    return polkit.Result.NOT_HANDLED;
});
EOF
fi

medians() { grep _median_us "$tmp/$1.txt" | sort | tr -d ':'; }
for round in $(seq "$rounds"); do
  run_session > "$tmp/session.txt"
  run_polkit > "$tmp/mock.txt"
  echo "round $round ($calls calls each, median us; ratios to session):"
  if [ $real = 1 ]; then
    run_real > "$tmp/real.txt"
    join <(join <(medians session) <(medians mock)) <(medians real) |
      awk '{ printf "  %s: session %.1f mock-polkitd %.1f (%.2f) real-polkitd %.1f (%.2f)\n", $1, $2, $3, $3 / $2, $4, $4 / $2 }'
  else
    join <(medians session) <(medians mock) |
      awk '{ printf "  %s: session %.1f mock-polkitd %.1f (%.2f)\n", $1, $2, $3, $3 / $2 }'
  fi
done
