#!/usr/bin/env bash
# Installs, builds (warnings are errors) and runs every test suite twice: a normal build and an
# AddressSanitizer + UBSan build; then a clang build fuzzes every conf/ parser (suite 'fuzz').
# Ends with one line "N passed, M failed, K skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh || exit 1

status=0
# run_suite DIR [MESON_SETUP_ARGS...]; TEST_ARGS (environment) narrows `meson test`.
run_suite() {
  local dir=$1; shift
  rm -rf "$dir"
  if ! meson setup "$dir" --werror "$@" >"$dir.setup.log" 2>&1; then
    cat "$dir.setup.log"; echo "setup of $dir failed"; status=1; return
  fi
  if ! ninja -C "$dir"; then
    echo "build of $dir failed"; status=1; return
  fi
  # shellcheck disable=SC2086
  meson test -C "$dir" --print-errorlogs --num-processes 2 ${TEST_ARGS:-} || status=1
}

run_suite build
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
CC=clang TEST_ARGS="--suite fuzz" ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug

/usr/bin/python3 scripts/summarize-tests.py build build-asan build-fuzz || status=1
exit $status
