#!/usr/bin/python3
"""Sums every test case of the given meson build dirs into one line: N passed, M failed, K skipped.

GTest binaries speak TAP, so each subtest counts; pytest writes JUnit XML, so each test counts;
any other meson test counts once. A build dir that never ran tests counts as one failure."""
import json
import os
import re
import sys
import xml.etree.ElementTree as ET


def count_tap(text):
    passed = failed = skipped = 0
    for line in text.splitlines():
        m = re.match(r'^(not ok|ok)\b.*?(#\s*(SKIP|TODO).*)?$', line.strip(), re.IGNORECASE)
        if not m:
            continue
        if m.group(3) and m.group(3).upper() == 'SKIP':
            skipped += 1
        elif m.group(1) == 'ok':
            passed += 1
        else:
            failed += 1
    return passed, failed, skipped


def count_junit(path):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == 'testsuite' else root.findall('testsuite')
    passed = failed = skipped = 0
    for s in suites:
        total = int(s.get('tests', 0))
        f = int(s.get('failures', 0)) + int(s.get('errors', 0))
        k = int(s.get('skipped', 0))
        passed += total - f - k
        failed += f
        skipped += k
    return passed, failed, skipped


def count_dir(build):
    log = os.path.join(build, 'meson-logs', 'testlog.json')
    if not os.path.exists(log):
        return 0, 1, 0
    passed = failed = skipped = 0
    for line in open(log):
        entry = json.loads(line)
        result = entry.get('result')
        name = entry.get('name', '').split(' / ')[-1]
        stdout = entry.get('stdout') or entry.get('stdo') or ''
        junit = os.path.join(build, 'tests', 'integration.xml')
        if name == 'integration' and os.path.exists(junit):
            p, f, k = count_junit(junit)
            if result not in ('OK', 'SKIP') and f == 0:
                f = 1
        elif re.search(r'^1\.\.\d+$', stdout, re.MULTILINE):
            p, f, k = count_tap(stdout)
            if result not in ('OK', 'SKIP') and f == 0:
                f = 1
        else:
            p, f, k = (1, 0, 0) if result == 'OK' else (0, 0, 1) if result == 'SKIP' else (0, 1, 0)
        passed, failed, skipped = passed + p, failed + f, skipped + k
    return passed, failed, skipped


def main():
    totals = [0, 0, 0]
    for build in sys.argv[1:]:
        counts = count_dir(build)
        print(f'{build}: {counts[0]} passed, {counts[1]} failed, {counts[2]} skipped')
        totals = [a + b for a, b in zip(totals, counts)]
    print(f'{totals[0]} passed, {totals[1]} failed, {totals[2]} skipped')
    return 1 if totals[1] else 0


sys.exit(main())
