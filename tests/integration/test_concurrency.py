"""Many calls in flight at once (asynchronous python-dbus calls): results and events must
stay consistent."""

import time

import dbus
from gi.repository import GLib

from conftest import CONNECT, DOMAIN, OBJMGR, TEST_DOMAIN_PATH, TEST_PATH, domain_xml

U = dbus.UInt32


def run_async(calls, timeout=20.0):
    """calls: list of (bound method, args).  Fires all, then iterates the main context
    until every reply or error arrived.  Returns [(ok, value)]."""
    results = [None] * len(calls)

    def make(i):
        def ok(*r):
            results[i] = (True, r[0] if len(r) == 1 else r)

        def err(e):
            results[i] = (False, e)
        return ok, err

    for i, (fn, args) in enumerate(calls):
        ok, err = make(i)
        fn(*args, reply_handler=ok, error_handler=err, timeout=timeout)
    ctx = GLib.MainContext.default()
    deadline = time.monotonic() + timeout
    while any(r is None for r in results):
        if time.monotonic() > deadline:
            raise AssertionError("replies missing: %d of %d"
                                 % (sum(r is None for r in results), len(results)))
        if ctx.pending():
            ctx.iteration(False)
        else:
            time.sleep(0.002)
    return results


N = 40


def test_parallel_defines(virtbusd):
    ev = virtbusd.recorder(interface=CONNECT, member="DomainEvent")
    om = virtbusd.recorder(interface=OBJMGR, member="InterfacesAdded", path=TEST_PATH)
    conn = virtbusd.connect()
    res = run_async([(conn.DomainDefineXML, (domain_xml("par%02d" % i),)) for i in range(N)])
    assert all(ok for ok, _ in res), [v for ok, v in res if not ok][:3]
    paths = {str(v) for _, v in res}
    assert len(paths) == N
    assert set(virtbusd.list_domains()) == paths | {TEST_DOMAIN_PATH}
    ev.wait(N)
    om.wait(N)
    ev.settle(0.2)
    events = ev.events()
    assert sorted(e[0] for e in events) == sorted(paths)
    assert all((e[1], e[2]) == (0, 0) for e in events)


def test_parallel_lifecycle_on_many_domains(virtbusd):
    paths = [virtbusd.define_domain("life%02d" % i) for i in range(N)]
    ev = virtbusd.recorder(interface=CONNECT, member="DomainEvent")
    res = run_async([(virtbusd.domain(p).Create, (U(0),)) for p in paths])
    assert all(ok for ok, _ in res), [v for ok, v in res if not ok][:3]
    ids = [int(virtbusd.get(p, DOMAIN, "Id")) for p in paths]
    assert len(set(ids)) == N and min(ids) >= 2
    res = run_async([(virtbusd.domain(p).Destroy, (U(0),)) for p in paths])
    assert all(ok for ok, _ in res)
    ev.wait(2 * N)
    ev.settle(0.2)
    for p in paths:
        assert [(e[1], e[2]) for e in ev.events() if e[0] == p] == [(2, 0), (5, 1)], p
    assert all(virtbusd.get(p, DOMAIN, "Active") == False for p in paths)  # noqa: E712


def test_concurrent_create_same_domain(virtbusd):
    p = virtbusd.define_domain("race")
    ev = virtbusd.recorder(interface=CONNECT, member="DomainEvent")
    # several connections so the calls really are independent on the bus
    conns = [dbus.bus.BusConnection(virtbusd.bus_address) for _ in range(4)]
    try:
        calls = []
        for i in range(12):
            obj = conns[i % len(conns)].get_object(virtbusd.bus_name, p, introspect=False)
            calls.append((obj.get_dbus_method("Create", DOMAIN), (U(0),)))
        res = run_async(calls)
    finally:
        for c in conns:
            c.close()
    oks = [v for ok, v in res if ok]
    errs = [v for ok, v in res if not ok]
    assert len(oks) == 1, "exactly one Create must win: %d succeeded" % len(oks)
    for e in errs:
        assert e.get_dbus_name() == "org.libvirt.Error"
        assert "already running" in e.get_dbus_message()
    ev.wait(1)
    ev.settle(0.3)
    assert [(e[1], e[2]) for e in ev.events() if e[0] == p] == [(2, 0)]


def test_parallel_mixed_reads_during_writes(virtbusd):
    conn = virtbusd.connect()
    calls = []
    for i in range(N):
        calls.append((conn.DomainDefineXML, (domain_xml("mix%02d" % i),)))
        calls.append((conn.ListDomains, (U(0),)))
        calls.append((virtbusd.test_domain().GetXMLDesc, (U(0),)))
    res = run_async(calls)
    assert all(ok for ok, _ in res), [v for ok, v in res if not ok][:3]
    assert len(virtbusd.list_domains()) == N + 1
    assert virtbusd.proc.poll() is None
