"""Real virtual networks on qemu:///session: a bridge made through netlink, dnsmasq, and the
nftables table `inet virtbus`. virtbusd runs in a network namespace the test creates
(`ip netns add`), so nothing touches the host's links, addresses or rules; the mount namespace
is shared, so the daemon's files are visible here."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

import dbus
import pytest

from conftest import CONNECT, NETWORK, PROPS, assert_dbus_error, virtbusd_binary
from test_qemu_guest import guest  # noqa: F401  (the test guest, built once per module)

QEMU_PATH = "/org/libvirt/QEMU"
U = dbus.UInt32
EV_DEFINED, EV_UNDEFINED, EV_STARTED, EV_STOPPED = 0, 1, 2, 3

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not all(shutil.which(t) for t in ("ip", "dnsmasq", "nft")),
    reason="needs root, ip, dnsmasq (dnsmasq-base) and nft (nftables)")

NAT_XML = """<network><name>%(name)s</name><forward mode='nat'/><bridge name='%(bridge)s'/>
<mac address='52:54:00:0a:0b:0c'/><mtu size='1400'/>
<ip address='%(prefix)s.1' netmask='255.255.255.0'><dhcp>
<range start='%(prefix)s.10' end='%(prefix)s.100'/>
<host mac='52:54:00:00:00:99' name='fixed' ip='%(prefix)s.99'/></dhcp></ip></network>"""


def nat_xml(name="vnat", bridge="vbnat0", prefix="192.168.150", mode="nat"):
    return NAT_XML.replace("mode='nat'", "mode='%s'" % mode) % {"name": name, "bridge": bridge, "prefix": prefix}


@pytest.fixture
def netns():
    name = "vbt-%s" % uuid.uuid4().hex[:8]
    subprocess.run(["ip", "netns", "add", name], check=True)
    subprocess.run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"], check=True)
    yield name
    out = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True).stdout.split()
    for pid in out:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass
    subprocess.run(["ip", "netns", "del", name])


@pytest.fixture
def home():
    root = tempfile.mkdtemp(prefix="vbn-", dir="/tmp")
    env = {}
    for var in ("XDG_CONFIG_HOME", "XDG_RUNTIME_DIR", "XDG_CACHE_HOME", "XDG_DATA_HOME", "HOME"):
        d = os.path.join(root, var.lower().replace("xdg_", "").replace("_home", "").replace("_dir", ""))
        os.makedirs(d, mode=0o700)
        env[var] = d
    yield env
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def start_daemon(netns, home, virtbusd_factory, monkeypatch, tmp_path):
    """Starts virtbusd inside the test's network namespace (again, after a stop)."""
    wrapper = tmp_path / "virtbusd-in-netns"
    wrapper.write_text("#!/bin/sh\nexec ip netns exec %s %s \"$@\"\n" % (netns, virtbusd_binary()))
    wrapper.chmod(0o755)
    monkeypatch.setenv("VIRTBUSD", str(wrapper))
    return lambda: virtbusd_factory(env=home)


def in_ns(netns, *argv, check=True):
    return subprocess.run(["ip", "netns", "exec", netns] + list(argv), capture_output=True, text=True, check=check)


def link(netns, name):
    out = in_ns(netns, "ip", "-j", "addr", "show", "dev", name, check=False)
    return json.loads(out.stdout)[0] if out.returncode == 0 else None


def nft_table(netns):
    out = in_ns(netns, "nft", "list", "table", "inet", "virtbus", check=False)
    return out.stdout if out.returncode == 0 else None


def state_dir(home):
    return os.path.join(home["XDG_RUNTIME_DIR"], "virtbus", "network")


def dnsmasq_pid(home, bridge):
    try:
        with open(os.path.join(state_dir(home), bridge + ".pid")) as f:
            return int(f.read().strip())
    except FileNotFoundError:
        return None


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


def cmdline(pid):
    with open("/proc/%d/cmdline" % pid) as f:
        return f.read().split("\0")


def define(d, xml):
    return str(d.call(QEMU_PATH, CONNECT, "NetworkDefineXML", xml))


def test_nat_network_start_and_destroy_leave_nothing_behind(start_daemon, netns, home):
    d = start_daemon()
    events = d.recorder(interface=CONNECT, member="NetworkEvent", path=QEMU_PATH)
    path = define(d, nat_xml())
    assert not d.get(path, NETWORK, "Active")

    began = time.monotonic()
    d.call(path, NETWORK, "Create")
    start_s = time.monotonic() - began
    assert d.get(path, NETWORK, "Active")
    bridge = link(netns, "vbnat0")
    assert bridge is not None
    assert bridge["address"] == "52:54:00:0a:0b:0c"
    assert bridge["mtu"] == 1400
    assert "UP" in bridge["flags"]
    assert [(a["local"], a["prefixlen"]) for a in bridge["addr_info"] if a["family"] == "inet"] == \
        [("192.168.150.1", 24)]
    assert "bridge" in in_ns(netns, "ip", "-d", "link", "show", "dev", "vbnat0").stdout

    pid = dnsmasq_pid(home, "vbnat0")
    assert pid and alive(pid)
    conf = os.path.join(state_dir(home), "vbnat0.conf")
    assert "--conf-file=" + conf in cmdline(pid)
    text = open(conf).read()
    for line in ("strict-order", "bind-dynamic", "interface=vbnat0", "except-interface=lo",
                 "dhcp-range=192.168.150.10,192.168.150.100,255.255.255.0",
                 "dhcp-host=52:54:00:00:00:99,192.168.150.99,fixed", "dhcp-no-override",
                 "dhcp-leasefile=%s/vbnat0.leases" % state_dir(home), "addn-hosts=%s/vbnat0.addnhosts" % state_dir(home),
                 "pid-file=%s/vbnat0.pid" % state_dir(home)):
        assert line in text.splitlines(), (line, text)
    # dnsmasq listens on the bridge's address (DNS on port 53)
    assert "192.168.150.1:53" in in_ns(netns, "ss", "-lnu").stdout

    table = nft_table(netns)
    assert table and "masquerade" in table and "192.168.150.0/24" in table, table
    assert in_ns(netns, "cat", "/proc/sys/net/ipv4/ip_forward").stdout.strip() == "1"

    live = str(d.call(path, NETWORK, "GetXMLDesc", U(0)))
    assert "<bridge name='vbnat0'" in live and "52:54:00:0a:0b:0c" in live

    began = time.monotonic()
    d.call(path, NETWORK, "Destroy")
    stop_s = time.monotonic() - began
    print("\nNAT network start %.1f ms, stop %.1f ms" % (start_s * 1000, stop_s * 1000))
    assert not d.get(path, NETWORK, "Active")
    assert link(netns, "vbnat0") is None
    assert not alive(pid)
    assert nft_table(netns) is None
    assert os.listdir(state_dir(home)) == []
    assert_dbus_error(d.call, path, NETWORK, "Destroy", contains="network 'vnat' is not active")

    events.wait(3)
    assert [e[1] for e in events.events("NetworkEvent")] == [EV_DEFINED, EV_STARTED, EV_STOPPED]


def test_generated_bridge_name_and_mac_persist(start_daemon, netns, home):
    d = start_daemon()
    path = define(d, "<network><name>iso</name><ip address='10.77.0.1' prefix='24'/></network>")
    xml = str(d.call(path, NETWORK, "GetXMLDesc", U(0)))
    assert "<bridge name='virbr0'" in xml
    assert "<mac address='52:54:00:" in xml
    saved = open(os.path.join(home["XDG_CONFIG_HOME"], "virtbus", "network", "iso.xml")).read()
    assert "virbr0" in saved
    d.call(path, NETWORK, "Create")
    assert link(netns, "virbr0") is not None
    table = nft_table(netns)
    assert table and "masquerade" not in table and 'iifname "virbr0" reject' in table, table
    # a second network gets the next name
    other = define(d, "<network><name>iso2</name><ip address='10.78.0.1' prefix='24'/></network>")
    assert "<bridge name='virbr1'" in str(d.call(other, NETWORK, "GetXMLDesc", U(0)))
    d.call(path, NETWORK, "Destroy")
    assert link(netns, "virbr0") is None


def test_network_survives_a_daemon_restart(start_daemon, netns, home):
    d = start_daemon()
    path = define(d, nat_xml())
    d.set(path, NETWORK, "Autostart", True)
    assert os.path.islink(os.path.join(home["XDG_CONFIG_HOME"], "virtbus", "network", "autostart", "vnat.xml"))
    d.call(path, NETWORK, "Create")
    pid = dnsmasq_pid(home, "vbnat0")
    assert d.stop() == 0

    assert alive(pid) and link(netns, "vbnat0") is not None
    d = start_daemon()
    assert d.get(path, NETWORK, "Active")
    assert d.get(path, NETWORK, "Autostart")
    assert d.get(path, NETWORK, "Persistent")
    assert dnsmasq_pid(home, "vbnat0") == pid and alive(pid)   # re-attached, not restarted
    assert "masquerade" in nft_table(netns)
    d.call(path, NETWORK, "Destroy")
    assert not alive(pid) and link(netns, "vbnat0") is None and nft_table(netns) is None


def test_transient_network_and_undefine(start_daemon, netns, home):
    d = start_daemon()
    path = str(d.call(QEMU_PATH, CONNECT, "NetworkCreateXML", nat_xml(mode="route")))
    assert d.get(path, NETWORK, "Active") and not d.get(path, NETWORK, "Persistent")
    table = nft_table(netns)
    assert table and "masquerade" not in table and "192.168.150.0/24" in table
    assert_dbus_error(d.set, path, NETWORK, "Autostart", True, contains="transient")
    # NAT out of one device only
    other = str(d.call(QEMU_PATH, CONNECT, "NetworkCreateXML",
                       nat_xml(name="vdev", bridge="vbdev0", prefix="10.80.0").replace(
                           "<forward mode='nat'/>", "<forward mode='nat' dev='eth9'/>")))
    assert 'oifname "eth9" masquerade' in nft_table(netns)
    d.call(other, NETWORK, "Destroy")
    d.call(path, NETWORK, "Destroy")
    assert [str(p) for p in d.call(QEMU_PATH, CONNECT, "ListNetworks", U(0))] == []
    assert link(netns, "vbnat0") is None

    path = define(d, nat_xml())
    d.call(path, NETWORK, "Undefine")
    assert [str(p) for p in d.call(QEMU_PATH, CONNECT, "ListNetworks", U(0))] == []
    assert not os.path.exists(os.path.join(home["XDG_CONFIG_HOME"], "virtbus", "network", "vnat.xml"))


def test_open_network_has_no_rules_and_bridge_mode_uses_a_host_bridge(start_daemon, netns, home):
    d = start_daemon()
    opened = define(d, nat_xml(mode="open"))
    d.call(opened, NETWORK, "Create")
    assert link(netns, "vbnat0") is not None
    assert nft_table(netns) is None
    d.call(opened, NETWORK, "Destroy")

    in_ns(netns, "ip", "link", "add", "hostbr", "type", "bridge")
    path = define(d, "<network><name>hb</name><forward mode='bridge'/><bridge name='hostbr'/></network>")
    d.call(path, NETWORK, "Create")
    assert d.get(path, NETWORK, "Active")
    d.call(path, NETWORK, "Destroy")
    assert link(netns, "hostbr") is not None   # not ours: left alone


def test_overlaps_and_bad_input_are_refused_and_leave_nothing(start_daemon, netns, home):
    d = start_daemon()
    first = define(d, nat_xml())
    d.call(first, NETWORK, "Create")
    second = define(d, nat_xml(name="vnat2", bridge="vbnat1", prefix="192.168.150"))
    assert_dbus_error(d.call, second, NETWORK, "Create", contains="Network is already in use by interface vbnat0")
    assert link(netns, "vbnat1") is None and dnsmasq_pid(home, "vbnat1") is None
    assert not d.get(second, NETWORK, "Active")

    # an address of the host (here: of a veth link in the namespace)
    in_ns(netns, "ip", "link", "add", "hv0", "type", "veth", "peer", "name", "hv1")
    in_ns(netns, "ip", "addr", "add", "10.99.5.7/16", "dev", "hv0")
    third = define(d, nat_xml(name="vnat3", bridge="vbnat3", prefix="10.99.6"))
    assert_dbus_error(d.call, third, NETWORK, "Create", contains="Network is already in use by interface hv0")
    assert link(netns, "vbnat3") is None

    # a bridge name that is someone else's link
    fourth = define(d, nat_xml(name="vnat4", bridge="hv1", prefix="10.40.0"))
    assert_dbus_error(d.call, fourth, NETWORK, "Create", contains="'hv1' is already in use")
    assert link(netns, "hv1") is not None

    # the same bridge name as another network
    assert_dbus_error(d.call, QEMU_PATH, CONNECT, "NetworkDefineXML",
                      nat_xml(name="vnat5", bridge="vbnat0", prefix="10.50.0"), contains="already in use")
    # DHCP ranges outside the subnet or reversed
    bad = nat_xml(name="vnat6", bridge="vbnat6", prefix="10.60.0")
    assert_dbus_error(d.call, QEMU_PATH, CONNECT, "NetworkDefineXML",
                      bad.replace("10.60.0.100", "10.61.0.100"), contains="not entirely within")
    assert_dbus_error(d.call, QEMU_PATH, CONNECT, "NetworkDefineXML",
                      bad.replace("start='10.60.0.10'", "start='10.60.0.200'"), contains="reversed")
    # names that would inject dnsmasq options
    assert_dbus_error(d.call, QEMU_PATH, CONNECT, "NetworkCreateXML",
                      bad.replace("name='fixed'", "name='x,set:evil'"), contains="may hold only letters")
    assert link(netns, "vbnat6") is None
    # a subnet the host routes somewhere through a gateway
    in_ns(netns, "ip", "addr", "add", "10.61.0.5/24", "dev", "hv0")
    in_ns(netns, "ip", "link", "set", "hv0", "up")
    in_ns(netns, "ip", "link", "set", "hv1", "up")
    in_ns(netns, "ip", "route", "add", "10.91.0.0/16", "via", "10.61.0.1")
    routed = nat_xml(name="vnat8", bridge="vbnat8", prefix="10.91.3")
    assert_dbus_error(d.call, QEMU_PATH, CONNECT, "NetworkCreateXML", routed, contains="already in use by interface hv0")
    assert link(netns, "vbnat8") is None
    # IPv6: a subnet the host already has, and two IPv6 subnets at once
    in_ns(netns, "ip", "-6", "addr", "add", "fd00:71::5/64", "dev", "hv0", "nodad")
    v6 = nat_xml(name="vnat7", bridge="vbnat7", prefix="10.70.0").replace(
        "</network>", "<ip family='ipv6' address='fd00:71::1' prefix='64'/></network>")
    assert_dbus_error(d.call, QEMU_PATH, CONNECT, "NetworkCreateXML", v6, contains="already in use by interface hv0")
    two = v6.replace("fd00:71::1", "fd00:72::1").replace(
        "</network>", "<ip family='ipv6' address='fd00:73::1' prefix='64'/></network>")
    assert_dbus_error(d.call, QEMU_PATH, CONNECT, "NetworkCreateXML", two, contains="more than one IPv6 address")
    assert link(netns, "vbnat7") is None
    assert nft_table(netns).count("masquerade") == 1
    d.call(first, NETWORK, "Destroy")
    assert nft_table(netns) is None


def test_dhcp_leases_come_from_the_lease_file(start_daemon, netns, home):
    d = start_daemon()
    path = define(d, nat_xml())
    assert list(d.call(path, NETWORK, "GetDHCPLeases", "", U(0))) == []   # inactive
    d.call(path, NETWORK, "Create")
    later = int(time.time()) + 3600
    leases = os.path.join(state_dir(home), "vbnat0.leases")
    with open(leases, "a") as f:
        f.write("%d 52:54:00:12:34:56 192.168.150.42 guest1 01:52:54:00:12:34:56\n" % later)
        f.write("%d 52:54:00:ab:cd:ef 192.168.150.43 * *\n" % later)
        f.write("%d 52:54:00:00:00:01 192.168.150.44 gone *\n" % (int(time.time()) - 10))   # expired
        f.write("garbage line\n")
    with open(leases, "ab") as f:
        f.write(b"%d 52:54:00:00:00:02 192.168.150.45 bad\xff *\n" % later)   # not text
    got = [tuple(x) for x in d.call(path, NETWORK, "GetDHCPLeases", "", U(0))]
    assert got == [("vbnat0", later, 0, "52:54:00:12:34:56", "", "192.168.150.42", 24, "guest1",
                    "01:52:54:00:12:34:56"),
                   ("vbnat0", later, 0, "52:54:00:ab:cd:ef", "", "192.168.150.43", 24, "", "")]
    one = d.call(path, NETWORK, "GetDHCPLeases", "52:54:00:AB:CD:EF", U(0))
    assert [str(x[5]) for x in one] == ["192.168.150.43"]
    assert_dbus_error(d.call, path, NETWORK, "GetDHCPLeases", "nonsense", U(0))
    d.call(path, NETWORK, "Destroy")


@pytest.fixture(scope="module")
def udhcpc(tmp_path_factory):
    """busybox's DHCP client: from PATH, else from the busybox-static package the test guest is
    built from (../shared/guest)."""
    found = shutil.which("busybox")
    if found:
        return found
    script = os.path.join(os.environ.get("VIRTBUS_SHARED", os.path.join(os.path.dirname(__file__), "..", "..", "..",
                                                                        "shared")), "guest", "build-test-guest.sh")
    out = subprocess.run(["bash", script], capture_output=True, text=True)
    env = dict(line.replace("export ", "").split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    debs = os.path.join(env.get("TEST_GUEST_DIR", "").strip("'\""), "debs")
    pkgs = [f for f in os.listdir(debs) if f.startswith("busybox-static_")] if os.path.isdir(debs) else []
    if out.returncode != 0 or not pkgs:
        pytest.skip("no busybox for a DHCP client")
    root = tmp_path_factory.mktemp("busybox")
    subprocess.run(["dpkg-deb", "-x", os.path.join(debs, pkgs[0]), str(root)], check=True)
    return str(root / "bin" / "busybox")


@pytest.fixture
def client_ns(netns):
    """A second namespace with a veth whose other end is in the daemon's namespace."""
    name = netns + "c"
    subprocess.run(["ip", "netns", "add", name], check=True)
    in_ns(netns, "ip", "link", "add", "vbh0", "type", "veth", "peer", "name", "vbc0", "netns", name)
    yield name
    subprocess.run(["ip", "netns", "del", name])


def test_a_dhcp_client_gets_a_lease_that_get_dhcp_leases_reports(start_daemon, netns, home, udhcpc, client_ns):
    d = start_daemon()
    path = define(d, nat_xml().replace("<bridge name='vbnat0'/>", "<bridge name='vbnat0' stp='off'/>"))
    d.call(path, NETWORK, "Create")
    in_ns(netns, "ip", "link", "set", "vbh0", "master", "vbnat0", "up")
    in_ns(client_ns, "ip", "link", "set", "vbc0", "address", "52:54:00:77:88:99", "up")
    began = time.monotonic()
    out = in_ns(client_ns, udhcpc, "udhcpc", "-i", "vbc0", "-n", "-q", "-t", "10", "-T", "1", "-x", "hostname:client1",
                "-s", "/bin/true", check=False)
    lease_s = time.monotonic() - began
    assert out.returncode == 0, out.stdout + out.stderr
    print("\nDHCP lease in %.2f s" % lease_s)
    leases = [tuple(x) for x in d.call(path, NETWORK, "GetDHCPLeases", "52:54:00:77:88:99", U(0))]
    assert len(leases) == 1, leases
    iface, expiry, kind, mac, _, ip, prefix, hostname, _ = leases[0]
    assert (iface, kind, mac, prefix, hostname) == ("vbnat0", 0, "52:54:00:77:88:99", 24, "client1")
    assert 10 <= int(ip.rsplit(".", 1)[1]) <= 100 and ip.startswith("192.168.150.")
    assert expiry > time.time()

    # the <host> entry's MAC gets its fixed address
    in_ns(client_ns, "ip", "link", "set", "vbc0", "address", "52:54:00:00:00:99")
    out = in_ns(client_ns, udhcpc, "udhcpc", "-i", "vbc0", "-n", "-q", "-t", "10", "-T", "1", "-s", "/bin/true",
                check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    fixed = [tuple(x) for x in d.call(path, NETWORK, "GetDHCPLeases", "52:54:00:00:00:99", U(0))]
    assert [(x[5], x[7]) for x in fixed] == [("192.168.150.99", "fixed")]
    d.call(path, NETWORK, "Destroy")


def ipv6_addrs(netns, dev):
    info = link(netns, dev)
    return [(a["local"], a["prefixlen"], a.get("tentative", False)) for a in (info or {}).get("addr_info", [])
            if a["family"] == "inet6" and a.get("scope") == "global"]


def test_ipv6_subnet_routed_with_router_advertisements(start_daemon, netns, home, client_ns):
    d = start_daemon()
    xml = nat_xml().replace("<bridge name='vbnat0'/>", "<bridge name='vbnat0' stp='off'/>").replace(
        "</network>", "<ip family='ipv6' address='fd00:74::1' prefix='64'/></network>")
    path = define(d, xml)
    d.call(path, NETWORK, "Create")
    assert ipv6_addrs(netns, "vbnat0") == [("fd00:74::1", 64, False)]
    with open(os.path.join(state_dir(home), "vbnat0.conf")) as f:
        conf = f.read()
    assert "enable-ra\ndhcp-range=fd00:74::,ra-only\n" in conf
    assert "dhcp-range=192.168.150.10,192.168.150.100,255.255.255.0" in conf
    table = nft_table(netns)
    assert 'iifname "vbnat0" ip6 saddr fd00:74::/64 accept' in table
    assert 'oifname "vbnat0" ip6 daddr fd00:74::/64 accept' in table
    assert table.count("masquerade") == 1                   # IPv4 only: IPv6 is routed
    assert in_ns(netns, "cat", "/proc/sys/net/ipv6/conf/all/forwarding").stdout.strip() == "1"
    assert in_ns(netns, "cat", "/proc/sys/net/ipv6/conf/vbnat0/accept_ra").stdout.strip() == "0"

    # a host on the bridge configures itself from dnsmasq's router advertisements (SLAAC)
    in_ns(netns, "ip", "link", "set", "vbh0", "master", "vbnat0", "up")
    in_ns(client_ns, "ip", "link", "set", "vbc0", "address", "52:54:00:77:88:aa", "up")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        got = [a for a in ipv6_addrs(client_ns, "vbc0") if a[0].startswith("fd00:74::")]
        if got:
            break
        time.sleep(0.2)
    assert got and got[0][1] == 64, got
    out = in_ns(client_ns, "ip", "-6", "route", "show", "default")
    assert "via fe80::" in out.stdout, out.stdout

    d.call(path, NETWORK, "Destroy")
    assert link(netns, "vbnat0") is None and nft_table(netns) is None


def test_dhcpv6_ranges_and_hosts_reach_dnsmasq(start_daemon, netns, home):
    d = start_daemon()
    xml = nat_xml().replace("</network>", "<ip family='ipv6' address='fd00:75::1' prefix='64'><dhcp>"
                                          "<range start='fd00:75::100' end='fd00:75::1ff'/>"
                                          "<host id='0:1:0:1:2a:2b:2c:2d:52:54:0:1:2:3' name='six' ip='fd00:75::9'/>"
                                          "</dhcp></ip></network>")
    path = define(d, xml)
    d.call(path, NETWORK, "Create")
    with open(os.path.join(state_dir(home), "vbnat0.conf")) as f:
        conf = f.read()
    assert "enable-ra\ndhcp-range=fd00:75::100,fd00:75::1ff,64\n" in conf
    assert "dhcp-host=id:0:1:0:1:2a:2b:2c:2d:52:54:0:1:2:3,[fd00:75::9],six\n" in conf
    assert alive(dnsmasq_pid(home, "vbnat0"))               # dnsmasq took the config
    d.call(path, NETWORK, "Destroy")


# ---- guests on a network

@pytest.mark.skipif(not shutil.which("qemu-system-x86_64"), reason="qemu-system-x86_64 is not installed")
def test_guest_interface_on_a_network_gets_a_tap_on_its_bridge(start_daemon, netns, home):
    d = start_daemon()
    net = define(d, nat_xml())
    guest = ("<domain type='qemu'><name>ng</name><memory unit='MiB'>64</memory><os><type>hvm</type></os>"
             "<devices><interface type='network'><mac address='52:54:00:77:66:55'/><source network='vnat'/>"
             "<model type='virtio'/></interface><memballoon model='none'/></devices></domain>")
    dom = str(d.call(QEMU_PATH, CONNECT, "DomainDefineXML", guest))
    assert_dbus_error(d.call, dom, "org.libvirt.Domain", "Create", U(1), contains="network 'vnat' is not active")
    d.call(net, NETWORK, "Create")
    d.call(dom, "org.libvirt.Domain", "Create", U(1))         # paused: nothing needs to boot
    tap = link(netns, "vnet0")
    assert tap is not None and tap.get("master") == "vbnat0", tap
    assert tap["address"] == "fe:54:00:77:66:55"
    assert "<target dev='vnet0'/>" in str(d.call(dom, "org.libvirt.Domain", "GetXMLDesc", U(0)))
    # InterfaceAddresses(LEASE): what the network's dnsmasq leased to the guest's MAC
    assert list(d.call(dom, "org.libvirt.Domain", "InterfaceAddresses", U(0), U(0))) == []
    with open(os.path.join(state_dir(home), "vbnat0.leases"), "a") as f:
        f.write("%d 52:54:00:77:66:55 192.168.150.57 ng *\n" % (int(time.time()) + 3600))
        f.write("%d 52:54:00:00:00:03 192.168.150.58 other *\n" % (int(time.time()) + 3600))
    got = [(str(n), str(m), [(int(t), str(a), int(p)) for t, a, p in addrs])
           for n, m, addrs in d.call(dom, "org.libvirt.Domain", "InterfaceAddresses", U(0), U(0))]
    assert got == [("vnet0", "52:54:00:77:66:55", [(0, "192.168.150.57", 24)])]
    d.call(dom, "org.libvirt.Domain", "Destroy", U(0))
    assert link(netns, "vnet0") is None
    d.call(net, NETWORK, "Destroy")


def test_update_adds_a_static_host_live_and_in_config(start_daemon, netns, home):
    d = start_daemon()
    path = define(d, nat_xml())
    d.call(path, NETWORK, "Create")
    old_pid = dnsmasq_pid(home, "vbnat0")
    host = "<host mac='52:54:00:00:00:77' name='added' ip='192.168.150.77'/>"
    # VIR_NETWORK_UPDATE_COMMAND_ADD_LAST (3), SECTION_IP_DHCP_HOST (4), AFFECT_LIVE|AFFECT_CONFIG (1|2)
    d.call(path, NETWORK, "Update", U(3), U(4), -1, host, U(3))
    conf = open(os.path.join(state_dir(home), "vbnat0.conf")).read().splitlines()
    assert "dhcp-host=52:54:00:00:00:77,192.168.150.77,added" in conf
    pid = dnsmasq_pid(home, "vbnat0")
    assert pid and alive(pid) and pid != old_pid             # restarted with the new host
    saved = open(os.path.join(home["XDG_CONFIG_HOME"], "virtbus", "network", "vnat.xml")).read()
    assert "192.168.150.77" in saved
    assert "192.168.150.77" in str(d.call(path, NETWORK, "GetXMLDesc", U(0)))
    assert_dbus_error(d.call, path, NETWORK, "Update", U(3), U(4), -1,
                      "<host mac='52:54:00:00:00:77' name='again' ip='192.168.150.78'/>", U(1),
                      contains="there is an existing dhcp host entry")
    d.call(path, NETWORK, "Destroy")


DNS_QUERY = r"""
import socket, struct, sys
name, qtype = sys.argv[1], int(sys.argv[2])
q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0" + struct.pack(">HH", qtype, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(q, ("192.168.150.1", 53))
r = s.recv(4096)
print(struct.unpack(">H", r[6:8])[0], r.hex())
"""


def dns_answer(netns, name, qtype):
    out = in_ns(netns, "/usr/bin/python3", "-c", DNS_QUERY, name, str(qtype))
    count, payload = out.stdout.split()
    return int(count), bytes.fromhex(payload)


def test_dns_txt_and_srv_records_are_served(start_daemon, netns, home):
    d = start_daemon()
    xml = nat_xml().replace("<ip ", "<dns><txt name='example' value='hello, world'/>"
                                    "<srv service='ldap' protocol='tcp' domain='lab.test' target='dir.lab.test' "
                                    "port='389' priority='10' weight='5'/></dns><ip ")
    path = define(d, xml)
    d.call(path, NETWORK, "Create")
    with open(os.path.join(state_dir(home), "vbnat0.conf")) as f:
        conf = f.read()
    assert 'txt-record=example,"hello, world"\n' in conf
    assert "srv-host=_ldap._tcp.lab.test,dir.lab.test,389,10,5\n" in conf
    count, answer = dns_answer(netns, "example", 16)               # TXT
    assert count == 1 and b"hello, world" in answer
    count, answer = dns_answer(netns, "_ldap._tcp.lab.test", 33)   # SRV: priority, weight, port 389
    assert count == 1 and bytes.fromhex("000a00050185") in answer
    d.call(path, NETWORK, "Destroy")
    bad = nat_xml(name="vbad", bridge="vbbad0", prefix="10.80.0").replace(
        "<ip ", "<dns><txt name='example' value='say \"hi\"'/></dns><ip ")
    assert_dbus_error(d.call, QEMU_PATH, CONNECT, "NetworkCreateXML", bad, contains="may not hold quotes")
    assert link(netns, "vbbad0") is None


@pytest.mark.skipif(not shutil.which("qemu-system-x86_64"), reason="qemu-system-x86_64 is not installed")
def test_a_booted_guest_gets_its_lease_from_the_network(start_daemon, netns, home, guest, tmp_path):
    """The test guest with a virtio NIC (guest_plus.py) asks the network's dnsmasq for an address."""
    import guest_plus
    d = start_daemon()
    net = define(d, nat_xml())
    d.call(net, NETWORK, "Create")
    root = str(tmp_path)
    initrd = guest_plus.extended_initrd(guest, root)
    serial = os.path.join(root, "lg.serial")
    xml = ("<domain type='qemu'><name>lg</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>"
           "<os><type arch='x86_64' machine='pc'>hvm</type><kernel>%s</kernel><initrd>%s</initrd>"
           "<cmdline>console=ttyS0 quiet</cmdline></os><features><acpi/></features><devices>"
           "<interface type='network'><mac address='52:54:00:77:66:11'/><source network='vnat'/>"
           "<model type='virtio'/></interface><serial type='file'><source path='%s'/><target port='0'/></serial>"
           "<controller type='usb' model='none'/><memballoon model='none'/></devices></domain>"
           % (guest["vmlinux"], initrd, serial))
    dom = str(d.call(QEMU_PATH, CONNECT, "DomainDefineXML", xml))
    began = time.monotonic()
    d.call(dom, "org.libvirt.Domain", "Create", U(0))
    deadline = time.monotonic() + 120
    line = None
    while time.monotonic() < deadline and not line:
        if os.path.exists(serial):
            line = next((x for x in open(serial, errors="replace").read().splitlines()
                         if "TEST-GUEST LEASE" in x), None)
        time.sleep(0.2)
    assert line, open(serial, errors="replace").read()[-2000:] if os.path.exists(serial) else "no serial log"
    print("\nguest lease %.1f s after Create" % (time.monotonic() - began))
    ip = line.split()[-1]
    assert ip.startswith("192.168.150."), line
    leases = [tuple(x) for x in d.call(net, NETWORK, "GetDHCPLeases", "52:54:00:77:66:11", U(0))]
    assert [(x[3], x[5], x[7]) for x in leases] == [("52:54:00:77:66:11", ip, "tg")]
    d.call(dom, "org.libvirt.Domain", "Destroy", U(0))
    d.call(net, NETWORK, "Destroy")
