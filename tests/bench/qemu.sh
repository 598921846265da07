#!/usr/bin/env bash
# The QEMU phase of the benchmark: real guests, one peer per run (run.sh calls it once per peer).
#
#   tests/bench/qemu.sh --bench BENCH --virtbusd VIRTBUSD [--reps N] [--guests G] [--state DIR] PEER
#
# PEER virtbus: a private `virtbusd --session` (its own bus and XDG_* directories) runs the test
#   guest from ../shared/guest under TCG: Domain.Create -> reply and -> "TEST-GUEST READY" in the
#   serial log, Shutdown -> DomainEvent STOPPED, Destroy (of the guest started paused); under KVM,
#   when /dev/kvm is usable, Create -> reply only (nested KVM here never finishes booting); the
#   daemon's RSS with G guests started paused.
# PEER libvirt (or libvirt-dbus, run.sh's name for the other peer): the same through virsh on
#   Debian's libvirt QEMU driver, embedded in one long-lived virsh process
#   (qemu:///embed?root=DIR: as root qemu:///session only reaches the system daemon's socket);
#   Shutdown is timed until `domstate` says "shut off", polled every 5 ms. Its RSS figure is that
#   virsh process, which holds the whole driver.
# Every round of either peer is followed by the floor: QEMU started by hand with the argv virtbusd
#   logged (bench qemu-bare): exec -> QMP cont answered, and -> READY. "qemu_tcg_ready_over_bare"
#   and "qemu_tcg_reply_over_bare_cont" compare the medians; as the floor is measured next to each
#   peer's rounds, these are the figures to compare peers by on a machine whose load varies.
#
# Prints "name: value" lines, medians over N rounds. Never asserts timings. Without QEMU or the
# guest it prints "qemu_skipped: <why>" and exits 0. DIR (run.sh's scratch directory) carries the
# logged argv from the virtbus run to the libvirt run.
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bench="" virtbusd="" reps=5 guests=10 state=""
while [ $# -gt 1 ]; do
  case "$1" in
    --bench) bench=$2 ;;
    --virtbusd) virtbusd=$2 ;;
    --reps) reps=$2 ;;
    --guests) guests=$2 ;;
    --state) state=$2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
peer=${1:-}
case $peer in
  virtbus | libvirt) ;;
  libvirt-dbus) peer=libvirt ;;
  *) echo "usage: $0 --bench BENCH --virtbusd VIRTBUSD [--reps N] [--guests G] [--state DIR] virtbus|libvirt" >&2
     exit 2 ;;
esac

skip() {
  echo "qemu_skipped: $1"
  echo "qemu phase skipped: $2" >&2
  exit 0
}
command -v qemu-system-x86_64 >/dev/null || skip no-qemu "qemu-system-x86_64 is not installed"
guest_script=${VIRTBUS_SHARED:-$root/../shared}/guest/build-test-guest.sh
[ -r "$guest_script" ] || skip no-guest "no $guest_script"
guest_env=$(bash "$guest_script" 2>/dev/null) || skip no-guest "the test guest cannot be built here"
eval "$guest_env"
kernel=${TEST_GUEST_VMLINUX:-$TEST_GUEST_KERNEL}

# Short paths: QEMU's monitor socket lives under XDG_RUNTIME_DIR, and socket paths are short.
work=$(mktemp -d /tmp/vbq-XXXXXX)
state=${state:-$work}
daemon_pid="" bus_pid="" virsh_pid="" reaper_pid=""
cleanup() {
  local pid
  # QEMU outlives its manager by design: end the ones this run started, by their pid files
  { cat "$work"/runtime/virtbus/qemu/*.pid "$work"/embed/run/qemu/*.pid "$work"/bare.pid 2>/dev/null || true; } |
    while read -r pid; do kill "$pid" 2>/dev/null || true; done
  for pid in $virsh_pid $reaper_pid $daemon_pid $bus_pid; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

guest_xml() { # NAME TYPE
  printf "<domain type='%s'><name>%s</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>" "$2" "$1"
  printf "<os><type arch='x86_64' machine='pc'>hvm</type><kernel>%s</kernel><initrd>%s</initrd>" "$kernel" \
    "$TEST_GUEST_INITRD"
  printf "<cmdline>console=ttyS0 quiet</cmdline></os><features><acpi/></features><devices>"
  printf "<serial type='file'><source path='%s'/><target port='0'/></serial>" "$work/$1.serial"
  printf "<controller type='usb' model='none'/><memballoon model='none'/></devices></domain>\n"
}
kvm_usable() { [ -c /dev/kvm ] && (exec 3<>/dev/kvm) 2>/dev/null; }
now_us() { echo "${EPOCHREALTIME/./}"; }
ms_since() { local d=$(($(now_us) - $1)); printf '%d.%02d' $((d / 1000)) $((d % 1000 / 10)); }
rss_of() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }

bare_round() {
  if [ -r "$state/qemu-argv.log" ]; then
    "$bench" qemu-bare "$state/qemu-argv.log" "$work" | sed 's/^/qemu_bare_tcg_/'
  fi
}

# ---- virtbus

start_virtbus() {
  local var info
  for var in config runtime cache data; do mkdir -m 700 "$work/$var"; done
  export XDG_CONFIG_HOME=$work/config XDG_RUNTIME_DIR=$work/runtime XDG_CACHE_HOME=$work/cache \
    XDG_DATA_HOME=$work/data HOME=$work
  info=$(dbus-daemon --session --fork --print-address=1 --print-pid=1)
  export DBUS_SESSION_BUS_ADDRESS=${info%%$'\n'*}
  bus_pid=${info##*$'\n'}
  "$virtbusd" --session 2>"$work/virtbusd.log" &
  daemon_pid=$!
  for _ in $(seq 200); do
    if busctl --user status org.libvirt >/dev/null 2>&1; then
      # its start-up work (QEMU probes) is the startup phase's, as libvirt's is before its first prompt
      sleep 1
      return 0
    fi
    sleep 0.05
  done
  echo "virtbusd did not start" >&2
  return 1
}
virtbus_define() { # NAME TYPE
  busctl --user call org.libvirt /org/libvirt/QEMU org.libvirt.Connect DomainDefineXML s "$(guest_xml "$1" "$2")" \
    >/dev/null
}

virtbus_rounds() {
  local i names=()
  start_virtbus
  virtbus_define tg qemu
  for i in $(seq "$reps"); do
    "$bench" qemu-cycle tg "$work/tg.serial" | sed 's/^/qemu_tcg_/'
    [ "$i" -gt 1 ] || cp "$work/cache/virtbus/qemu/log/tg.log" "$state/qemu-argv.log"
    bare_round
  done
  if kvm_usable; then
    virtbus_define tgk kvm
    for i in $(seq "$reps"); do "$bench" qemu-start tgk | sed 's/^/qemu_kvm_/'; done
  fi
  for i in $(seq 0 $((guests - 1))); do
    virtbus_define "tg$i" qemu
    names+=("tg$i")
  done
  "$bench" qemu-rss "${names[@]}" | sed 's/^/qemu_/'
}

# ---- libvirt, through virsh with the QEMU driver embedded

install_libvirt_qemu() {
  local sudo=""
  command -v virsh >/dev/null && ls /usr/lib/*/libvirt/connection-driver/libvirt_driver_qemu.so >/dev/null 2>&1 &&
    return 0
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get install -y -qq --no-install-recommends libvirt-daemon-driver-qemu libvirt-clients libvirt-daemon \
    >/dev/null
}

# QEMU runs as root in privileged embedded mode; nothing here needs confining, and virtlogd
# (the default stdio handler) is a system daemon this run does not start.
write_qemu_conf() {
  mkdir -p "$work/embed/etc"
  cat > "$work/embed/etc/qemu.conf" <<'EOF'
user = "root"
group = "root"
security_driver = "none"
dynamic_ownership = 0
remember_owner = 0
namespaces = [ ]
stdio_handler = "file"
EOF
}

# virsh runs below `bench reaper`: libvirt daemonizes QEMU, and after a kill polls every 200 ms
# until the pid is gone, which is when someone reaps the orphan. A normal init does at once;
# this machine's PID 1 takes up to about 2 s, which would be timed as libvirt's.
start_virsh() {
  coproc VIRSH { exec "$bench" reaper "$work/virsh.pid" -- virsh -c "qemu:///embed?root=$work/embed" \
    2>"$work/virsh.log"; }
  # shellcheck disable=SC2153 # set by coproc
  reaper_pid=$VIRSH_PID
  mkfifo "$work/nap"
  exec {nap}<>"$work/nap"
  # the first prompt: the driver is up (capabilities probed), before anything is timed
  IFS= read -r -d '#' -u "${VIRSH[0]}" _
  virsh_pid=$(cat "$work/virsh.pid")
}
# Runs one virsh command; its output (up to the next prompt) lands in $reply.
vsh() {
  printf '%s\n' "$*" >&"${VIRSH[1]}"
  IFS= read -r -d '#' -u "${VIRSH[0]}" reply
}
vsh_expect() { # TEXT COMMAND...
  local text=$1
  shift
  vsh "$@"
  [[ $reply == *"$text"* ]] && return 0
  echo "virsh $*: $reply" >&2
  tail -n 3 "$work/virsh.log" >&2
  return 1
}
nap() { read -r -t "$1" -u "$nap" _ || true; }

libvirt_round() {
  local t0
  rm -f "$work/tg.serial"
  t0=$(now_us)
  vsh_expect started start tg
  echo "qemu_tcg_create_reply_ms: $(ms_since "$t0")"
  echo "qemu_tcg_create_ready_ms: $("$bench" wait-serial "$work/tg.serial" "$t0")"
  t0=$(now_us)
  vsh_expect shutdown shutdown tg
  until vsh domstate tg; [[ $reply == *"shut off"* ]]; do nap 0.005; done
  echo "qemu_tcg_shutdown_ms: $(ms_since "$t0")"
  vsh_expect started start --paused tg
  t0=$(now_us)
  vsh_expect destroyed destroy tg
  echo "qemu_tcg_destroy_ms: $(ms_since "$t0")"
}

libvirt_rounds() {
  local i t0
  install_libvirt_qemu
  write_qemu_conf
  start_virsh
  guest_xml tg qemu > "$work/tg.xml"
  vsh_expect defined define "$work/tg.xml"
  for i in $(seq "$reps"); do
    libvirt_round
    bare_round
  done
  if kvm_usable; then
    guest_xml tgk kvm > "$work/tgk.xml"
    vsh_expect defined define "$work/tgk.xml"
    for i in $(seq "$reps"); do
      t0=$(now_us)
      vsh_expect started start tgk
      echo "qemu_kvm_create_reply_ms: $(ms_since "$t0")"
      vsh_expect destroyed destroy tgk
    done
  fi
  for i in $(seq 0 $((guests - 1))); do
    guest_xml "tg$i" qemu > "$work/tg$i.xml"
    vsh_expect defined define "$work/tg$i.xml"
    vsh_expect started start --paused "tg$i"
  done
  sleep 0.3
  echo "qemu_rss_${guests}_guests_kib: $(rss_of "$virsh_pid")"
  for i in $(seq 0 $((guests - 1))); do vsh_expect destroyed destroy "tg$i"; done
}

# Median of each name over the rounds (first-seen order), then the ratio to the floor.
medians() {
  awk -F': ' '
    !($1 in n) { order[++names] = $1 }
    { v[$1, ++n[$1]] = $2 + 0 }
    END {
      for (i = 1; i <= names; i++) {
        k = order[i]; c = n[k]
        for (a = 1; a <= c; a++) s[a] = v[k, a]
        for (a = 2; a <= c; a++) for (b = a; b > 1 && s[b - 1] > s[b]; b--) { t = s[b]; s[b] = s[b - 1]; s[b - 1] = t }
        m[k] = c % 2 ? s[(c + 1) / 2] : (s[c / 2] + s[c / 2 + 1]) / 2
        printf "%s: %s\n", k, k ~ /_kib$/ ? sprintf("%d", m[k]) : sprintf("%.2f", m[k])
      }
      if (m["qemu_bare_tcg_ready_ms"] > 0)
        printf "qemu_tcg_ready_over_bare: %.3f\n", m["qemu_tcg_create_ready_ms"] / m["qemu_bare_tcg_ready_ms"]
      if (m["qemu_bare_tcg_cont_ms"] > 0)
        printf "qemu_tcg_reply_over_bare_cont: %.3f\n", m["qemu_tcg_create_reply_ms"] / m["qemu_bare_tcg_cont_ms"]
    }'
}

"${peer}_rounds" > "$work/rounds.txt"
medians < "$work/rounds.txt"
