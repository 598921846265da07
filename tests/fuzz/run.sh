#!/bin/sh
# run.sh BUILD_DIR SECONDS [KIND...]: runs every conf/ libFuzzer target (or the KINDs named) for SECONDS seconds, each with a
# fresh corpus seeded from tests/data/conf/<kind>/*.xml, and prints one line per target with the
# executions and coverage (cov:) from libFuzzer's final stats line. Exits non-zero when a target
# crashes (ASan, UBSan, LeakSanitizer, abort, timeout) or is missing. Crash inputs and logs are
# kept in BUILD_DIR/fuzz-artifacts/<kind>/.
#
# tests/fuzz/conf.dict (XML syntax and the names used in tests/data/conf) is given as -dict.
# Extra libFuzzer options may be passed in FUZZ_ARGS; VB_FUZZ_FIXED_POINT=1 (environment) makes
# the targets also require format(parse(format(x))) == format(x).
set -u

if [ $# -lt 2 ]; then
    echo "usage: $0 BUILD_DIR SECONDS [KIND...]" >&2
    exit 2
fi
build=$1
seconds=$2
shift 2
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
kinds="domain network nodedev storagepool storagevol secret interface nwfilter snapshot"
[ $# -eq 0 ] || kinds="$*"
dict="$srcdir/tests/fuzz/conf.dict"
dict_arg=
[ -f "$dict" ] && dict_arg="-dict=$dict"
status=0

find_target() {
    for candidate in "$build/tests/fuzz/fuzz-$1" "$build/fuzz-$1"; do
        if [ -x "$candidate" ]; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

for kind in $kinds; do
    if ! target=$(find_target "$kind"); then
        printf '%-12s MISSING (no fuzz-%s in %s)\n' "$kind" "$kind" "$build"
        status=1
        continue
    fi
    corpus=$(mktemp -d)
    artifacts="$build/fuzz-artifacts/$kind"
    mkdir -p "$artifacts"
    log="$artifacts/last-run.log"
    cp "$srcdir"/tests/data/conf/"$kind"/*.xml "$corpus"/ 2>/dev/null
    # shellcheck disable=SC2086
    "$target" -max_total_time="$seconds" -max_len=65536 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" $dict_arg ${FUZZ_ARGS:-} "$corpus" >"$log" 2>&1
    rc=$?
    rm -rf "$corpus"

    # the final stats line: "#12345  DONE   cov: 678 ft: ..." (else the last one with cov:)
    final=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
    [ -n "$final" ] || final=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1)
    execs=$(printf '%s\n' "$final" | sed -n 's/^#\([0-9]*\).*/\1/p')
    cov=$(printf '%s\n' "$final" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    units=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    [ -n "$units" ] && execs=$units

    if [ $rc -ne 0 ] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|deadly signal|ALARM: working on the last Unit' "$log"; then
        crash=$(ls -t "$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-* "$artifacts"/oom-* 2>/dev/null | head -n 1)
        reason=$(grep -m 1 -E 'ERROR: |runtime error:|fuzz-[a-z]+: ' "$log" | cut -c1-120)
        printf '%-12s execs=%-10s cov=%-6s CRASH %s\n             %s\n' "$kind" "${execs:-?}" "${cov:-?}" \
            "${crash:-(see $log)}" "$reason"
        status=1
    else
        printf '%-12s execs=%-10s cov=%-6s ok\n' "$kind" "${execs:-?}" "${cov:-?}"
    fi
done
exit $status
