"""Host facts of qemu:///session checked against this machine: what the test reads from /proc,
/sys and the QEMU binary itself must be what the daemon reports."""
import os
import re
import subprocess

import dbus
import pytest

from conftest import CONNECT, assert_dbus_error, parse_xml

QEMU_PATH = "/org/libvirt/QEMU"
QEMU = "/usr/bin/qemu-system-x86_64"
U = dbus.UInt32

pytestmark = pytest.mark.skipif(not os.access(QEMU, os.X_OK), reason="no " + QEMU)


@pytest.fixture
def qemu(virtbusd_factory, tmp_path):
    env = {}
    for var in ("XDG_CONFIG_HOME", "XDG_RUNTIME_DIR", "XDG_CACHE_HOME", "XDG_DATA_HOME", "HOME"):
        d = tmp_path / var.lower()
        d.mkdir(mode=0o700)
        env[var] = str(d)
    return virtbusd_factory(env=env)


def call(d, method, *args):
    return d.call(QEMU_PATH, CONNECT, method, *args)


# ---- the host, read independently ----

def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def cpu_ids(text):
    ids = set()
    for part in text.strip().split(","):
        if part:
            lo, _, hi = part.partition("-")
            ids.update(range(int(lo), int(hi or lo) + 1))
    return ids


def meminfo(path="/proc/meminfo"):
    values = {}
    for line in read(path).splitlines():
        m = re.match(r"(?:Node \d+ )?(\w+(?:\(\w+\))?):\s+(\d+)", line)
        if m:
            values[m.group(1)] = int(m.group(2))
    return values


def numa_nodes():
    base = "/sys/devices/system/node"
    if not os.path.isdir(base):
        return []
    return sorted(int(n[4:]) for n in os.listdir(base) if re.fullmatch(r"node\d+", n))


def kvm_usable():
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
        return True
    except OSError:
        return False


def qemu_version():
    out = subprocess.run([QEMU, "--version"], capture_output=True, text=True, check=True).stdout
    major, minor, micro = map(int, re.search(r"version (\d+)\.(\d+)\.(\d+)", out).groups())
    return major * 1000000 + minor * 1000 + micro


# ---- tests ----

def test_version_is_the_qemu_binary_version(qemu):
    assert int(qemu.get(QEMU_PATH, CONNECT, "Version")) == qemu_version()


def test_cpu_map_lists_present_cpus_with_online_flags(qemu):
    present = cpu_ids(read("/sys/devices/system/cpu/present"))
    online = cpu_ids(read("/sys/devices/system/cpu/online"))
    m = call(qemu, "NodeGetCPUMap", U(0))
    assert len(m) == max(present) + 1
    assert [bool(b) for b in m] == [i in online for i in range(max(present) + 1)]
    assert_dbus_error(call, qemu, "NodeGetCPUMap", U(1), contains="unsupported flags")


def test_memory_stats_of_the_host_and_of_each_cell(qemu):
    s = call(qemu, "NodeGetMemoryStats", -1, U(0))
    assert set(s) == {"total", "free", "buffers", "cached"}
    assert int(s["total"]) == meminfo()["MemTotal"]
    assert 0 < int(s["free"]) <= int(s["total"])
    nodes = numa_nodes()
    for node in nodes:
        cell = call(qemu, "NodeGetMemoryStats", node, U(0))
        assert set(cell) == {"total", "free"}
        assert int(cell["total"]) == meminfo("/sys/devices/system/node/node%d/meminfo" % node)["MemTotal"]
    assert_dbus_error(call, qemu, "NodeGetMemoryStats", (max(nodes) if nodes else 0) + 1, U(0),
                      contains="invalid argument: cellNum in virHostMemGetStats must be less than or equal to %d"
                      % (max(nodes) if nodes else 0))


def test_free_memory_is_the_sum_over_cells(qemu):
    free = int(call(qemu, "NodeGetFreeMemory"))
    nodes = numa_nodes()
    expected = (sum(meminfo("/sys/devices/system/node/node%d/meminfo" % n)["MemFree"] for n in nodes)
                if nodes else meminfo()["MemFree"]) * 1024
    # free memory moves while we look: allow 64 MiB of drift
    assert abs(free - expected) < 64 << 20


def test_cpu_stats_count_up_from_proc_stat(qemu):
    tick_ns = 10 ** 9 // os.sysconf("SC_CLK_TCK")
    online = sorted(cpu_ids(read("/sys/devices/system/cpu/online")))
    for cpu in (-1, online[0]):
        before = read("/proc/stat")
        s = call(qemu, "NodeGetCPUStats", cpu, U(0))
        after = read("/proc/stat")
        assert set(s) == {"kernel", "user", "idle", "iowait"}
        prefix = "cpu " if cpu == -1 else "cpu%d " % cpu
        lo, hi = ([int(v) for v in next(line for line in text.splitlines() if line.startswith(prefix)).split()[1:]]
                  for text in (before, after))
        assert (lo[0] + lo[1]) * tick_ns <= int(s["user"]) <= (hi[0] + hi[1]) * tick_ns
        assert (lo[2] + lo[5] + lo[6]) * tick_ns <= int(s["kernel"]) <= (hi[2] + hi[5] + hi[6]) * tick_ns
        assert lo[3] * tick_ns <= int(s["idle"]) <= hi[3] * tick_ns
    possible = cpu_ids(read("/sys/devices/system/cpu/possible"))
    assert_dbus_error(call, qemu, "NodeGetCPUStats", max(possible) + 1, U(0),
                      contains="invalid argument: Invalid cpuNum")


def test_capabilities_describe_this_host_and_qemu(qemu):
    caps = parse_xml(call(qemu, "GetCapabilities"))
    assert caps.findtext("host/cpu/arch") == "x86_64"
    assert caps.findtext("host/secmodel/model") == "none"
    guests = caps.findall("guest")
    assert [g.find("arch").get("name") for g in guests] == ["x86_64"]
    arch = guests[0].find("arch")
    assert arch.findtext("emulator") == QEMU
    domains = [d.get("type") for d in arch.findall("domain")]
    assert domains == (["qemu", "kvm"] if kvm_usable() else ["qemu"])
    machines = {m.text: m for m in arch.findall("machine")}
    assert "pc" in machines and "q35" in machines
    # aliases point at canonical names listed too, as QEMU says
    helped = subprocess.run([QEMU, "-machine", "help"], capture_output=True, text=True, check=True).stdout
    pc_canonical = re.search(r"^pc\s+.*\(alias of (\S+)\)", helped, re.M).group(1)
    assert machines["pc"].get("canonical") == pc_canonical
    assert pc_canonical in machines and machines[pc_canonical].get("canonical") is None
    assert int(machines["pc"].get("maxCpus")) > 0
    # only machine types the command line builder accepts
    assert all(re.fullmatch(r"pc|q35|pc-i440fx-.*|pc-q35-.*", name) for name in machines)
    assert guests[0].find("features/acpi") is not None
    # the same text again (cached)
    assert call(qemu, "GetCapabilities") == call(qemu, "GetCapabilities")


def test_domain_capabilities_defaults(qemu):
    caps = parse_xml(call(qemu, "GetCapabilities"))
    machines = {m.text: m for m in caps.findall("guest/arch/machine")}
    dc = parse_xml(call(qemu, "GetDomainCapabilities", "", "", "", "", U(0)))
    assert dc.tag == "domainCapabilities"
    assert dc.findtext("path") == QEMU
    assert dc.findtext("domain") == ("kvm" if kvm_usable() else "qemu")
    assert dc.findtext("arch") == "x86_64"
    assert dc.findtext("machine") == machines["pc"].get("canonical")
    assert 0 < int(dc.find("vcpu").get("max")) <= int(machines["pc"].get("maxCpus"))
    modes = {m.get("name"): m for m in dc.findall("cpu/mode")}
    assert modes["host-passthrough"].get("supported") == ("yes" if kvm_usable() else "no")
    custom = [m.text for m in modes["custom"].findall("model")]
    assert custom and set(custom) <= set(call(qemu, "GetCPUModelNames", "x86_64", U(0)))
    buses = [v.text for v in dc.findall("devices/disk/enum[@name='bus']/value")]
    assert "virtio" in buses and "ide" in buses
    # firmware images listed are the installed ones
    for value in dc.findall("os/loader/value"):
        assert os.path.isfile(value.text)


def test_domain_capabilities_for_tcg_and_q35(qemu):
    dc = parse_xml(call(qemu, "GetDomainCapabilities", QEMU, "x86_64", "q35", "qemu", U(0)))
    assert dc.findtext("domain") == "qemu"
    assert dc.findtext("machine").startswith("pc-q35-")
    assert dc.find("cpu/mode[@name='host-passthrough']").get("supported") == "no"
    buses = [v.text for v in dc.findall("devices/disk/enum[@name='bus']/value")]
    assert "ide" not in buses and "sata" in buses
    assert [v.text for v in dc.findall("os/loader/enum[@name='secure']/value")] == ["yes", "no"]


@pytest.mark.parametrize("args, message", [
    (("", "", "", "bogus"), "invalid argument: unknown virttype: bogus"),
    (("", "", "", "xen"), "is not supported by '%s' on this host" % QEMU),
    (("", "nosucharch", "", ""), "invalid argument: unknown architecture: nosucharch"),
    (("", "aarch64", "", ""), "unable to find any emulator to serve 'aarch64' architecture"),
    (("", "", "nosuchmachine", ""), "the machine 'nosuchmachine' is not supported by emulator"),
    (("/nonexistent/qemu", "", "", ""), "Cannot check QEMU binary /nonexistent/qemu"),
])
def test_domain_capabilities_refusals(qemu, args, message):
    assert_dbus_error(call, qemu, "GetDomainCapabilities", *args, U(0), contains=message)


@pytest.mark.skipif(kvm_usable(), reason="KVM is usable here")
def test_domain_capabilities_refuse_kvm_without_kvm(qemu):
    assert_dbus_error(call, qemu, "GetDomainCapabilities", "", "", "", "kvm", U(0),
                      contains="KVM is not supported")


def test_sysinfo_reports_the_dmi_tables(qemu):
    si = parse_xml(call(qemu, "GetSysinfo", U(0)))
    assert si.tag == "sysinfo" and si.get("type") == "smbios"
    entries = {(section.tag, e.get("name")): e.text for section in si for e in section.findall("entry")}
    for (section, name), path in {("system", "manufacturer"): "sys_vendor", ("bios", "vendor"): "bios_vendor",
                                  ("baseBoard", "product"): "board_name"}.items():
        text = read("/sys/class/dmi/id/" + path)
        assert entries.get((section, name)) == (text.strip() or None if text else None)
    assert_dbus_error(call, qemu, "GetSysinfo", U(1), contains="unsupported flags")


def test_cpu_model_names_and_security_model(qemu):
    models = call(qemu, "GetCPUModelNames", "x86_64", U(0))
    assert "qemu64" in models and "Skylake-Client" in models
    assert_dbus_error(call, qemu, "GetCPUModelNames", "nosucharch", U(0), contains="cannot find architecture")
    model, doi = call(qemu, "NodeGetSecurityModel")
    assert (str(model), str(doi)) == ("none", "0")


# ---- the probes' answers cached per binary ----

def cache_file(env):
    return os.path.join(env["XDG_CACHE_HOME"], "virtbus", "qemu", "capabilities.json")


def test_probes_are_cached_per_binary(virtbusd_factory, tmp_path):
    import json
    import time
    env = {}
    for var in ("XDG_CONFIG_HOME", "XDG_RUNTIME_DIR", "XDG_CACHE_HOME", "XDG_DATA_HOME", "HOME"):
        d = tmp_path / var.lower()
        d.mkdir(mode=0o700)
        env[var] = str(d)
    d = virtbusd_factory(env=env)
    real = qemu_version()
    assert int(d.get(QEMU_PATH, CONNECT, "Version")) == real
    deadline = time.monotonic() + 30
    while not os.path.exists(cache_file(env)) and time.monotonic() < deadline:
        time.sleep(0.1)
    with open(cache_file(env)) as f:
        cached = json.load(f)
    st = os.stat(QEMU)
    assert cached["binary"].split()[1] == QEMU and str(st.st_size) in cached["binary"].split()
    assert "pc-i440fx" in cached["qmp"] and "QEMU emulator version" in cached["version"]
    d.stop()

    # a second daemon answers from the cache: a cache claiming another version is believed...
    cached["version"] = cached["version"].replace("version ", "version 99.1.2 (was ")
    with open(cache_file(env), "w") as f:
        json.dump(cached, f)
    d = virtbusd_factory(env=env)
    assert int(d.get(QEMU_PATH, CONNECT, "Version")) == 99001002
    assert "pc-i440fx" in str(d.call(QEMU_PATH, CONNECT, "GetCapabilities"))
    d.stop()

    # ...but not one made for another binary (or another build of it): QEMU is asked again
    cached["binary"] = cached["binary"].replace(" %d " % st.st_size, " %d " % (st.st_size + 1))
    with open(cache_file(env), "w") as f:
        json.dump(cached, f)
    d = virtbusd_factory(env=env)
    assert int(d.get(QEMU_PATH, CONNECT, "Version")) == real
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with open(cache_file(env)) as f:
            if " %d " % st.st_size in json.load(f)["binary"]:
                break
        time.sleep(0.1)
    else:
        raise AssertionError("the cache was not rewritten for the binary")
