#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Consistency check for interfaces/*.xml and data/org.libvirt.policy.

Usage: check-interfaces.py REPO_ROOT [MEMBERS_FILE]

Checks that
  (a) every interfaces/*.xml file parses and declares well-formed members;
  (b) every method carries exactly one org.libvirt.Polkit.Action annotation,
      every property one as well, and every readwrite property also exactly
      one org.libvirt.Polkit.WriteAction (read-only ones none); every member
      has a doc string and every property an EmitsChangedSignal annotation;
  (c) every action used by an annotation is declared in
      data/org.libvirt.policy, and every declared action is used;
  (d) if MEMBERS_FILE is given and exists, every member listed there is
      declared with the same argument names, types and directions (methods,
      signals) or the same type and access (properties).

Exits 0 when all is well, else 1 after listing every problem found.
Standard library only.
"""

import os
import re
import sys
import xml.etree.ElementTree as ET

ACTION = "org.libvirt.Polkit.Action"
WRITE_ACTION = "org.libvirt.Polkit.WriteAction"
DOCSTRING = "org.gtk.GDBus.DocString"
EMITS = "org.freedesktop.DBus.Property.EmitsChangedSignal"
EMITS_VALUES = ("true", "false", "invalidates", "const")
ACTION_RE = re.compile(r"^org\.libvirt\.api\.[a-z]+(-[a-z]+)*\.[a-z]+(-[a-z]+)*$")
POLICY = os.path.join("data", "org.libvirt.policy")

problems = []


def problem(msg):
    problems.append(msg)


# --- D-Bus type signatures -------------------------------------------------

BASIC = set("ybnqiuxtdhsog")


def _parse_one(sig, i, depth=0):
    """Parse one complete type at sig[i]; return the index after it or None."""
    if i >= len(sig) or depth > 64:
        return None
    c = sig[i]
    if c in BASIC or c == "v":
        return i + 1
    if c == "a":
        if i + 1 < len(sig) and sig[i + 1] == "{":
            if i + 2 >= len(sig) or sig[i + 2] not in BASIC:
                return None
            j = _parse_one(sig, i + 3, depth + 1)
            if j is None or j >= len(sig) or sig[j] != "}":
                return None
            return j + 1
        return _parse_one(sig, i + 1, depth + 1)
    if c == "(":
        j = i + 1
        if j < len(sig) and sig[j] == ")":
            return None
        while j < len(sig) and sig[j] != ")":
            j = _parse_one(sig, j, depth + 1)
            if j is None:
                return None
        if j >= len(sig):
            return None
        return j + 1
    return None


def single_complete_type(sig):
    return bool(sig) and _parse_one(sig, 0) == len(sig)


# --- introspection XML -----------------------------------------------------

def annotations(elem):
    """Return {name: [values]} for the direct <annotation> children."""
    result = {}
    for a in elem.findall("annotation"):
        result.setdefault(a.get("name"), []).append(a.get("value"))
    return result


class Member:
    def __init__(self, kind, name, args=None, ptype=None, access=None):
        self.kind = kind          # "method", "signal" or "property"
        self.name = name
        self.args = args or []    # [(direction or None, name, type)]
        self.ptype = ptype
        self.access = access


def check_doc(where, ann):
    docs = ann.get(DOCSTRING, [])
    if len(docs) != 1 or not (docs[0] or "").strip():
        problem("%s: needs exactly one non-empty %s annotation (has %d)"
                % (where, DOCSTRING, len(docs)))


def check_action_values(where, values, used):
    for v in values:
        if v is None or not ACTION_RE.match(v):
            problem("%s: malformed polkit action %r" % (where, v))
        else:
            used.setdefault(v, []).append(where)


def load_interfaces(root, used_actions):
    """Parse interfaces/*.xml; return {interface name: {member key: Member}}."""
    ifaces = {}
    idir = os.path.join(root, "interfaces")
    files = sorted(f for f in os.listdir(idir) if f.endswith(".xml")) \
        if os.path.isdir(idir) else []
    if not files:
        problem("%s: no interface XML files found" % idir)
    for fname in files:
        path = os.path.join(idir, fname)
        try:
            tree = ET.parse(path)
        except ET.ParseError as e:
            problem("%s: does not parse: %s" % (path, e))
            continue
        node = tree.getroot()
        if node.tag != "node":
            problem("%s: root element is <%s>, expected <node>" % (path, node.tag))
            continue
        for iface in node.findall("interface"):
            iname = iface.get("name")
            if not iname:
                problem("%s: <interface> without a name" % path)
                continue
            if iname in ifaces:
                problem("%s: interface %s declared more than once" % (path, iname))
            members = ifaces.setdefault(iname, {})
            for elem in iface:
                if elem.tag not in ("method", "signal", "property"):
                    if elem.tag != "annotation":
                        problem("%s: %s: unexpected element <%s>" % (fname, iname, elem.tag))
                    continue
                mname = elem.get("name")
                where = "%s: %s.%s (%s)" % (fname, iname, mname, elem.tag)
                if not mname:
                    problem("%s: %s: <%s> without a name" % (fname, iname, elem.tag))
                    continue
                key = (elem.tag, mname)
                if key in members:
                    problem("%s: declared more than once" % where)
                ann = annotations(elem)
                check_doc(where, ann)
                if elem.tag == "property":
                    member = load_property(where, elem, ann, used_actions)
                else:
                    member = load_callable(where, elem, ann, used_actions)
                members[key] = member
    return ifaces


def load_property(where, elem, ann, used):
    ptype, access = elem.get("type"), elem.get("access")
    if not single_complete_type(ptype or ""):
        problem("%s: invalid type %r" % (where, ptype))
    if access not in ("read", "write", "readwrite"):
        problem("%s: invalid access %r" % (where, access))
    reads = ann.get(ACTION, [])
    writes = ann.get(WRITE_ACTION, [])
    if len(reads) != 1:
        problem("%s: needs exactly one %s annotation (has %d)" % (where, ACTION, len(reads)))
    if access in ("write", "readwrite"):
        if len(writes) != 1:
            problem("%s: writable property needs exactly one %s annotation (has %d)"
                    % (where, WRITE_ACTION, len(writes)))
    elif writes:
        problem("%s: read-only property must not have %s" % (where, WRITE_ACTION))
    check_action_values(where, reads + writes, used)
    emits = ann.get(EMITS, [])
    if len(emits) != 1 or emits[0] not in EMITS_VALUES:
        problem("%s: needs exactly one %s annotation with a value in %s (has %r)"
                % (where, EMITS, "/".join(EMITS_VALUES), emits))
    return Member("property", elem.get("name"), ptype=ptype, access=access)


def load_callable(where, elem, ann, used):
    args = []
    for a in elem.findall("arg"):
        aname, atype, adir = a.get("name"), a.get("type"), a.get("direction")
        if not aname:
            problem("%s: argument without a name" % where)
        if not single_complete_type(atype or ""):
            problem("%s: argument %s has invalid type %r" % (where, aname, atype))
        if elem.tag == "method":
            if adir is None:
                adir = "in"
            if adir not in ("in", "out"):
                problem("%s: argument %s has invalid direction %r" % (where, aname, adir))
        else:
            if adir not in (None, "out"):
                problem("%s: signal argument %s has direction %r" % (where, aname, adir))
            adir = None
        args.append((adir, aname, atype))
    names = [a[1] for a in args]
    if len(set(names)) != len(names):
        problem("%s: duplicate argument names %s" % (where, names))
    actions = ann.get(ACTION, [])
    if elem.tag == "method":
        if len(actions) != 1:
            problem("%s: needs exactly one %s annotation (has %d)" % (where, ACTION, len(actions)))
        check_action_values(where, actions, used)
    elif actions or WRITE_ACTION in ann:
        problem("%s: signals take no polkit annotation" % where)
    return Member(elem.tag, elem.get("name"), args=args)


# --- polkit policy ---------------------------------------------------------

def load_policy(root):
    path = os.path.join(root, POLICY)
    declared = {}
    try:
        tree = ET.parse(path)
    except (OSError, ET.ParseError) as e:
        problem("%s: cannot read: %s" % (path, e))
        return declared
    for act in tree.getroot().findall("action"):
        aid = act.get("id")
        if aid in declared:
            problem("%s: action %s declared more than once" % (POLICY, aid))
        declared[aid] = act
        for tag in ("description", "message"):
            el = act.find(tag)
            if el is None or not (el.text or "").strip():
                problem("%s: action %s has no <%s>" % (POLICY, aid, tag))
        if act.find("defaults") is None:
            problem("%s: action %s has no <defaults>" % (POLICY, aid))
    return declared


# --- compatibility member list ---------------------------------------------

def load_members_file(path):
    """Return {interface: [(key, Member)]} from the members list."""
    result = {}
    cur = None
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if line.startswith("## "):
                cur = line[3:].strip()
                result.setdefault(cur, [])
                continue
            words = line.split()
            if cur is None or not words or words[0] not in ("method", "signal", "property"):
                continue
            kind, name, rest = words[0], words[1], words[2:]
            if kind == "property":
                m = Member(kind, name, ptype=rest[0], access=rest[1])
            else:
                args = []
                for w in rest:
                    if kind == "method":
                        d, an, at = w.split(":", 2)
                    else:
                        d = None
                        an, at = w.split(":", 1)
                    args.append((d, an, at))
                m = Member(kind, name, args=args)
            result[cur].append(((kind, name), m))
    return result


def fmt_args(args):
    return ", ".join(("%s %s:%s" % (d, n, t)) if d else ("%s:%s" % (n, t))
                     for d, n, t in args) or "(none)"


def compare_members(ifaces, expected):
    for iname, members in expected.items():
        have = ifaces.get(iname)
        if have is None:
            problem("members: interface %s is not declared in interfaces/" % iname)
            continue
        for key, want in members:
            where = "members: %s.%s (%s)" % (iname, want.name, want.kind)
            got = have.get(key)
            if got is None:
                problem("%s: missing" % where)
                continue
            if want.kind == "property":
                if (got.ptype, got.access) != (want.ptype, want.access):
                    problem("%s: expected type %s access %s, XML has type %s access %s"
                            % (where, want.ptype, want.access, got.ptype, got.access))
            elif got.args != want.args:
                problem("%s: expected args [%s], XML has [%s]"
                        % (where, fmt_args(want.args), fmt_args(got.args)))


def main(argv):
    if len(argv) < 2 or len(argv) > 3:
        sys.stderr.write("usage: %s REPO_ROOT [MEMBERS_FILE]\n" % argv[0])
        return 2
    root = argv[1]
    used = {}
    ifaces = load_interfaces(root, used)
    declared = load_policy(root)

    for action in sorted(used):
        if action not in declared:
            problem("policy: %s (used by %s) is not declared in %s"
                    % (action, used[action][0], POLICY))
    for action in sorted(declared):
        if action not in used:
            problem("policy: %s is declared in %s but used by no annotation"
                    % (action, POLICY))

    if len(argv) == 3:
        if os.path.exists(argv[2]):
            compare_members(ifaces, load_members_file(argv[2]))
        else:
            print("note: members file %s not found, skipping the comparison" % argv[2])

    nmembers = sum(len(m) for m in ifaces.values())
    if problems:
        for p in problems:
            print("FAIL: " + p)
        print("%d problem(s) found" % len(problems))
        return 1
    print("ok: %d interfaces, %d members, %d polkit actions"
          % (len(ifaces), nmembers, len(declared)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
